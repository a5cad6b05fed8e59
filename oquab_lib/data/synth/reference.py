"""Published statistics of the real datasets the mini world stands for, and tables that set ours beside them.

Only numbers checked against their source are here, each with that source; the list is short on purpose. The Pascal
VOC devkits count only the *non-difficult* objects ("Object statistics list only the 'non-difficult' objects used in
the evaluation", Table 1 of the VOC2007 and VOC2012 devkit documents), so our side counts the same way. Nothing here
is used by an experiment: these tables are for the book's data chapter, to show what is (and is not) to scale.

``reference_table()`` lists the published counts; ``dataset_comparison(root)``, ``voc07_class_comparison(objects)``,
``variant_comparison(source_stats)`` and ``targeted_comparison(root)`` put a generated world beside them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from oquab_lib.data.classes import VOC_CLASSES
from oquab_lib.data.synth.stats import object_table, source_statistics
from oquab_lib.errors import DataError

VOC2007_DOC = "VOC2007 devkit doc, Table 1 (objects: non-difficult)"
VOC2007_DOC_TEST = "VOC2007 devkit doc, Sec. 2: 9,963 images / 24,640 objects in all, minus trainval (non-difficult)"
VOC2012_DOC = "VOC2012 devkit doc, Table 1 (objects: non-difficult)"
VOC2012_TEST = "VOC2012 test release (labels withheld: evaluation server only)"
CVPR14 = "Oquab et al. CVPR 2014, Sec. 4 (VOC 2012 Action)"
ILSVRC = "Russakovsky et al. IJCV 2015 (ILSVRC-2012)"
COCO = "Lin et al. ECCV 2014 / cocodataset.org (COCO 2014)"
CVPR14_VARIANTS = "Oquab et al. CVPR 2014, Sec. 3-4 (pretraining variants)"


@dataclass(frozen=True)
class Published:
    """One published split: its image (and, for VOC, non-difficult object) count, and which split of ours it is
    set beside (``ours`` = (dataset, split) with dataset in voc07, voc12, action, coco or source)."""

    dataset: str
    split: str
    images: int
    objects: int | None
    classes: int
    source: str
    ours: tuple[str, str]


PUBLISHED: tuple[Published, ...] = (
    Published("VOC 2007", "trainval", 5_011, 12_608, 20, VOC2007_DOC, ("voc07", "trainval")),
    Published("VOC 2007", "test", 4_952, 12_032, 20, VOC2007_DOC_TEST, ("voc07", "test")),
    Published("VOC 2012", "train", 5_717, 13_609, 20, VOC2012_DOC, ("voc12", "train")),
    Published("VOC 2012", "val", 5_823, 13_841, 20, VOC2012_DOC, ("voc12", "val")),
    Published("VOC 2012", "test", 10_991, None, 20, VOC2012_TEST, ("voc12", "test")),
    Published("VOC 2012 Action", "train", 4_588, None, 10, CVPR14, ("action", "trainval")),
    Published("VOC 2012 Action", "test", 4_569, None, 10, CVPR14, ("action", "test")),
    Published("ILSVRC-2012", "train", 1_281_167, None, 1000, ILSVRC, ("source", "train")),
    Published("ILSVRC-2012", "val", 50_000, None, 1000, ILSVRC, ("source", "val")),
    Published("COCO 2014", "train", 82_783, None, 80, COCO, ("coco", "train")),
    Published("COCO 2014", "val", 40_504, None, 80, COCO, ("coco", "val")),
)

# VOC2007 trainval per class: (images containing the class, non-difficult objects), VOC2007 devkit doc Table 1
# (train + val columns; the objects sum to the published total 12,608).
VOC2007_TRAINVAL_PER_CLASS: dict[str, tuple[int, int]] = {
    "aeroplane": (238, 306), "bicycle": (243, 353), "bird": (330, 486), "boat": (181, 290), "bottle": (244, 505),
    "bus": (186, 229), "car": (713, 1250), "cat": (337, 376), "chair": (445, 798), "cow": (141, 259),
    "diningtable": (200, 215), "dog": (421, 510), "horse": (287, 362), "motorbike": (245, 339),
    "person": (2008, 4690), "pottedplant": (245, 514), "sheep": (96, 257), "sofa": (229, 248), "train": (261, 297),
    "tvmonitor": (256, 324),
}

# The paper's pretraining variants: (classes, training images). 1000R: "about 25 % fewer images" than 1.2M.
PAPER_VARIANTS: dict[str, tuple[int, int]] = {"1000C": (1000, 1_200_000), "1000R": (1000, 900_000),
                                              "1512": (1512, 1_600_000)}
# The 512 classes PRE-1512 adds, by superclass (the paper's Sec. 3).
PAPER_TARGETED: dict[str, int] = {"hoofed mammal": 276, "furniture": 165, "motor vehicle": 48,
                                  "public transport": 18, "bicycle": 5}


def reference_table() -> pd.DataFrame:
    """The published counts, one row per (dataset, split), with their source."""
    rows = [{k: v for k, v in asdict(p).items() if k != "ours"} for p in PUBLISHED]
    return pd.DataFrame(rows).set_index(["dataset", "split"]).astype({"objects": "Int64"})


def _our_split(tables: dict[str, pd.DataFrame], source: pd.DataFrame, dataset: str, split: str) -> dict:
    """Images, non-difficult objects and classes of one split of ours."""
    if dataset == "source":
        variant = source.loc["1000C"]
        return {"images": int(variant[f"{split}_images"]), "objects": None, "classes": int(variant["classes"])}
    table = tables[dataset]
    table = table[table["split"].isin(("train", "val") if split == "trainval" else (split,))]
    if dataset == "action":  # the annotated persons (an action XML may also hold other objects)
        table = table[table["cls"] == "person"]
    kept = table[~table["difficult"]]
    if dataset == "action":  # "other" (none of the ten) is a distractor, not an evaluated class
        classes = table["actions"].str.split("+").explode().drop_duplicates().ne("other").sum()
    else:
        classes = table["cls"].nunique()
    return {"images": table["image_id"].nunique(), "objects": len(kept), "classes": int(classes)}


def dataset_comparison(root: str | os.PathLike, tables: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Each published split beside the split of the world at ``root`` that plays its role: images, non-difficult
    objects (persons for actions, annotations for COCO), objects per image and how many times larger the real one is.
    Our source row is the ``1000C`` variant (the ILSVRC-2012 analog). ``tables``: :func:`object_table` frames by
    dataset name (voc07, voc12, action, coco) already read, to avoid reading them again."""
    tables = dict(tables or {})
    for name in ("voc07", "voc12", "action", "coco"):
        if name not in tables:
            tables[name] = object_table(root, name)
    source = source_statistics(root)
    rows = []
    for pub in PUBLISHED:
        ours = _our_split(tables, source, *pub.ours)
        rows.append({"dataset": pub.dataset, "split": pub.split, "ours: split": "/".join(pub.ours),
                     "ours: images": ours["images"], "ours: objects": ours["objects"],
                     "ours: classes": ours["classes"], "real: images": pub.images, "real: objects": pub.objects,
                     "real: classes": pub.classes})
    frame = pd.DataFrame(rows).set_index(["dataset", "split"])
    frame["ours: objects / image"] = frame["ours: objects"] / frame["ours: images"]
    frame["real: objects / image"] = frame["real: objects"] / frame["real: images"]
    frame["real / ours images"] = frame["real: images"] / frame["ours: images"]
    for column in ("ours: objects", "real: objects"):
        frame[column] = frame[column].astype("Int64")
    return frame


def voc07_class_comparison(objects: pd.DataFrame) -> pd.DataFrame:
    """Per VOC class, our VOC 2007 trainval beside the real one (:func:`object_table` ``(root, "voc07")`` rows in).

    Columns: images holding a non-difficult object of the class and non-difficult objects, each also as a percentage
    (of all trainval images / of all non-difficult objects) for ours and the real VOC 2007; ours also the fraction of
    the class's objects that are difficult and their median relative size sqrt(box area / image area)."""
    trainval = objects[objects["split"].isin(("train", "val"))]
    if trainval.empty:
        raise DataError("voc07_class_comparison: no VOC 2007 train/val objects; pass object_table(root, 'voc07')")
    kept = trainval[~trainval["difficult"]]
    grouped = trainval.groupby("cls")
    ours = pd.DataFrame({"ours: images": kept.groupby("cls")["image_id"].nunique(),
                         "ours: objects": kept.groupby("cls").size(),
                         "ours: difficult %": 100 * grouped["difficult"].mean(),
                         "ours: median size": grouped["rel_size"].median()}).reindex(list(VOC_CLASSES))
    ours[["ours: images", "ours: objects"]] = ours[["ours: images", "ours: objects"]].fillna(0).astype(int)
    real = pd.DataFrame(VOC2007_TRAINVAL_PER_CLASS, index=["real: images", "real: objects"]).T
    table = ours.join(real)
    for side, total_images, total_objects in (("ours", trainval["image_id"].nunique(), len(kept)),
                                              ("real", 5_011, 12_608)):
        table[f"{side}: % images"] = 100 * table[f"{side}: images"] / total_images
        table[f"{side}: % objects"] = 100 * table[f"{side}: objects"] / total_objects
    order = ["ours: images", "real: images", "ours: % images", "real: % images", "ours: objects", "real: objects",
             "ours: % objects", "real: % objects", "ours: difficult %", "ours: median size"]
    return table[order].rename_axis("class")


def variant_comparison(source_stats: pd.DataFrame) -> pd.DataFrame:
    """Our pretraining variants beside the paper's (:func:`source_statistics` rows in): classes and training images,
    absolute and relative to 1000C, which is the comparable part (the mini world is ~10x smaller in classes)."""
    base = source_stats.loc["1000C"]
    rows = []
    for variant in ("1000C", "1000R", "1512", "1512D"):
        if variant not in source_stats.index:
            continue
        ours = source_stats.loc[variant]
        paper_classes, paper_images = PAPER_VARIANTS.get(variant, (None, None))
        rows.append({"variant": variant, "ours: classes": int(ours["classes"]),
                     "ours: train images": int(ours["train_images"]),
                     "ours: images / class": ours["train_images"] / ours["classes"],
                     "ours: classes / 1000C": ours["classes"] / base["classes"],
                     "ours: images / 1000C": ours["train_images"] / base["train_images"],
                     "paper: classes": paper_classes, "paper: train images": paper_images,
                     "paper: images / class": paper_images / paper_classes if paper_classes else None,
                     "paper: classes / 1000C": paper_classes / 1000 if paper_classes else None,
                     "paper: images / 1000C": paper_images / 1_200_000 if paper_images else None})
    frame = pd.DataFrame(rows).set_index("variant")
    for column in ("paper: classes", "paper: train images"):
        frame[column] = frame[column].astype("Int64")
    return frame.astype({c: "Float64" for c in frame.columns if "/" in c})


def targeted_comparison(root: str | os.PathLike) -> pd.DataFrame:
    """The classes 1512 adds to 1000C, by targeted superclass: ours (leaves of 1512 not in 1000C under each
    superclass) beside the paper's 276 / 165 / 48 / 18 / 5, each also as a percentage of the added classes."""
    root = Path(root)
    try:
        subsets = json.loads((root / "source_subsets.json").read_text())
        parent = {n["id"]: n["parent"] for n in json.loads((root / "taxonomy.json").read_text())}
    except (OSError, ValueError) as exc:
        raise DataError(f"{root}: unreadable source_subsets.json / taxonomy.json ({exc}); regenerate the world") \
            from None
    added = set(subsets["1512"]) - set(subsets["1000C"])
    by_node = {node: name for name, node in subsets["targeted_superclasses"].items()}

    def superclass_of(node: str | None) -> str | None:
        while node is not None and node not in by_node:
            node = parent[node]
        return by_node.get(node)

    counts = pd.Series([superclass_of(leaf) for leaf in added], dtype=object).value_counts()
    table = pd.DataFrame({"ours: added classes": counts.reindex(list(PAPER_TARGETED)).fillna(0).astype(int),
                          "paper: added classes": pd.Series(PAPER_TARGETED)})
    table["ours: % of added"] = 100 * table["ours: added classes"] / max(len(added), 1)
    table["paper: % of added"] = 100 * table["paper: added classes"] / sum(PAPER_TARGETED.values())
    table.loc["total"] = table.sum()
    return table.astype({"ours: added classes": int, "paper: added classes": int}).rename_axis("superclass")
