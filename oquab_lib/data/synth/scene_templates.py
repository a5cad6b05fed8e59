"""Scene templates: which objects go together, and on which background.

Weights are per template: how often the template is drawn for the VOC analog (``voc``) and for the COCO analog
(``coco``); which concept anchors the scene (the object that is surely there) and which extra objects come with it.
Concepts a vocabulary does not name are drawn all the same and left unannotated: trucks, trams, goats and deer in VOC
scenes are the distractors of non-target leaves. Co-occurrences follow VOC and COCO: persons on streets with bikes
and motorbikes, horses and cows in fields with people, chairs around dining tables with bottles on them, sofas with
televisions. Group rules (riders on bicycles / motorbikes / horses, chairs and table-top items around tables) live
in ``scenes.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Template:
    context: str
    voc: float
    coco: float
    anchors: dict[str, float]
    extras: dict[str, float]
    flying: frozenset = field(default_factory=frozenset)  # concepts drawn in the air


TEMPLATES: dict[str, Template] = {
    "street": Template("road", 0.22, 0.14, {"car": 3, "bus": 1.2, "motorcycle": 1.2, "bicycle": 1.2, "person": 3},
                       {"car": 2, "person": 3, "truck": 1, "bicycle": 0.5, "motorcycle": 0.5, "bus": 0.3, "dog": 0.3,
                        "traffic light": 0.6, "stop sign": 0.25, "fire hydrant": 0.25, "parking meter": 0.2,
                        "bench": 0.3, "umbrella": 0.3, "handbag": 0.4, "backpack": 0.4, "tram": 0.2, "tree": 0.4,
                        "bird": 0.15, "suitcase": 0.15, "skateboard": 0.15}),
    "field": Template("grass", 0.17, 0.07, {"cattle": 2, "sheep": 2, "horse": 2.5, "dog": 1, "person": 1.2},
                      {"cattle": 1.5, "sheep": 1.5, "horse": 1, "person": 1.5, "dog": 0.5, "bird": 0.4, "tree": 0.8,
                       "goat": 0.4, "deer": 0.25, "antelope": 0.2, "pig": 0.3, "bench": 0.1, "bicycle": 0.2}),
    "living": Template("indoor", 0.2, 0.1, {"sofa": 1.5, "tv": 1.5, "chair": 1.2, "cat": 1.5, "dog": 1,
                                            "potted plant": 1, "person": 2},
                       {"sofa": 0.5, "chair": 1, "tv": 0.6, "potted plant": 0.8, "person": 1.5, "cat": 0.5,
                        "dog": 0.4, "bottle": 0.6, "book": 1, "clock": 0.5, "vase": 0.5, "remote": 0.5, "laptop": 0.4,
                        "teddy bear": 0.3, "cup": 0.4, "cabinet": 0.5, "guitar": 0.2, "flower": 0.2, "jar": 0.2}),
    "dining": Template("indoor", 0.12, 0.08, {"table": 2, "chair": 1.2, "bottle": 1.5, "person": 1.5},
                       {"chair": 2, "bottle": 1.2, "person": 1.5, "cup": 1.2, "wine glass": 1, "bowl": 1, "fork": 0.6,
                        "knife": 0.6, "spoon": 0.5, "pizza": 0.3, "cake": 0.3, "sandwich": 0.3, "potted plant": 0.4,
                        "cabinet": 0.4, "jar": 0.3, "vase": 0.3, "cat": 0.2}),
    "sky": Template("sky", 0.07, 0.03, {"airplane": 3, "bird": 2}, {"bird": 1, "airplane": 0.4, "kite": 0.3,
                                                                      "tree": 0.3},
                    flying=frozenset({"airplane", "bird", "kite"})),
    "water": Template("water", 0.08, 0.05, {"boat": 3, "bird": 1}, {"boat": 1.5, "person": 0.5, "bird": 0.5,
                                                                      "surfboard": 0.3}),
    "rail": Template("rail", 0.07, 0.04, {"train": 3}, {"person": 1, "bench": 0.3, "tram": 0.3, "train": 0.2,
                                                        "backpack": 0.2, "suitcase": 0.2, "traffic light": 0.2}),
    "garden": Template("grass", 0.07, 0.05, {"potted plant": 2, "cat": 1, "dog": 1, "bird": 1, "person": 1.2},
                       {"potted plant": 1, "person": 1, "bench": 0.4, "chair": 0.4, "flower": 1, "tree": 1,
                        "bicycle": 0.3, "butterfly": 0.3, "mushroom": 0.2, "sports ball": 0.2}),
    "kitchen": Template("indoor", 0.0, 0.09, {"refrigerator": 1, "oven": 1, "microwave": 1, "sink": 1, "bowl": 1},
                        {"bowl": 1, "cup": 1, "bottle": 1, "knife": 0.6, "spoon": 0.6, "fork": 0.5, "toaster": 0.5,
                         "banana": 0.5, "apple": 0.5, "orange": 0.5, "broccoli": 0.4, "carrot": 0.4, "person": 0.8,
                         "microwave": 0.3, "oven": 0.3, "sink": 0.3, "cabinet": 0.6, "jar": 0.5, "vase": 0.2}),
    "office": Template("indoor", 0.0, 0.06, {"laptop": 1, "keyboard": 1, "tv": 1},
                       {"mouse": 1, "cell phone": 0.8, "book": 1, "cup": 0.8, "chair": 0.8, "person": 1,
                        "scissors": 0.4, "laptop": 0.4, "keyboard": 0.3, "tv": 0.3, "clock": 0.4, "remote": 0.3,
                        "camera": 0.3, "potted plant": 0.4}),
    "bathroom": Template("indoor", 0.0, 0.03, {"toilet": 1, "sink": 1},
                         {"toothbrush": 1, "hair drier": 0.6, "bottle": 0.8, "cup": 0.6, "sink": 0.3, "toilet": 0.2,
                          "scissors": 0.3, "vase": 0.2}),
    "bedroom": Template("indoor", 0.0, 0.04, {"bed": 1}, {"teddy bear": 0.8, "book": 1, "clock": 0.6, "person": 0.8,
                                                          "tv": 0.5, "cat": 0.5, "dog": 0.4, "laptop": 0.4,
                                                          "cell phone": 0.4, "chair": 0.4, "cabinet": 0.5}),
    "savanna": Template("grass", 0.0, 0.06, {"elephant": 1, "zebra": 1, "giraffe": 1},
                        {"elephant": 0.8, "zebra": 1, "giraffe": 0.8, "bird": 0.5, "tree": 1, "antelope": 0.5,
                         "rhino": 0.2, "bear": 0.1}),
    "sports": Template("grass", 0.0, 0.07, {"person": 1},
                       {"person": 2, "sports ball": 1.5, "tennis racket": 1, "baseball bat": 1, "baseball glove": 1,
                        "frisbee": 1, "kite": 0.6, "skateboard": 0.8, "bench": 0.3, "dog": 0.3, "backpack": 0.3},
                       flying=frozenset({"kite", "frisbee", "sports ball"})),
    "snow": Template("snow", 0.0, 0.03, {"skis": 1, "snowboard": 1, "person": 2},
                     {"person": 2, "skis": 1, "snowboard": 1, "backpack": 0.3, "tree": 0.6}),
    "picnic": Template("grass", 0.0, 0.06, {"sandwich": 1, "hot dog": 1, "pizza": 1, "donut": 1, "cake": 1},
                       {"cup": 1, "bottle": 0.8, "person": 1, "dog": 0.4, "bowl": 0.8, "banana": 0.6, "apple": 0.6,
                        "orange": 0.6, "broccoli": 0.4, "carrot": 0.4, "fork": 0.4, "knife": 0.4, "spoon": 0.3,
                        "wine glass": 0.4, "umbrella": 0.3, "frisbee": 0.2}),
}

RIDEABLE = {"bicycle": ("ride_bike", "handle"), "motorcycle": ("ride_bike", "handle"), "horse": ("ride_horse", "reins")}
TABLE_ITEMS = {"bottle": 2, "cup": 1.5, "wine glass": 1, "bowl": 1, "pizza": 0.3, "cake": 0.3, "vase": 0.3,
               "laptop": 0.3, "book": 0.3}
