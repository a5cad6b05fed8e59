"""Writer of the COCO analog: ``coco/annotations/instances_{train,val}.json`` in the official format.

Category ids are COCO's real ones, 1..90 with the ten gaps of the 2014/2017 releases (12, 26, 29, 30, 45, 66, 68,
69, 71, 83), and supercategories are COCO's. Boxes are ``[x, y, w, h]`` in 0-based pixel units covering the visible
pixels; ``segmentation`` is the box as a polygon and ``area`` the box area (so the two agree); ``iscrowd`` is 0.
"""

from __future__ import annotations

from oquab_lib.data.classes import COCO_CLASSES
from oquab_lib.data.synth.scenes import ObjectRecord

MISSING_IDS = (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)
COCO_IDS = [i for i in range(1, 91) if i not in MISSING_IDS]
SUPERCATEGORY_STARTS = ((1, "person"), (2, "vehicle"), (10, "outdoor"), (16, "animal"), (27, "accessory"),
                        (34, "sports"), (44, "kitchen"), (52, "food"), (62, "furniture"), (72, "electronic"),
                        (78, "appliance"), (84, "indoor"))
assert len(COCO_IDS) == len(COCO_CLASSES) == 80


def supercategory(category_id: int) -> str:
    return [name for start, name in SUPERCATEGORY_STARTS if category_id >= start][-1]


def categories() -> list[dict]:
    return [{"id": i, "name": n, "supercategory": supercategory(i)} for i, n in zip(COCO_IDS, COCO_CLASSES)]


CATEGORY_ID = dict(zip(COCO_CLASSES, COCO_IDS))


def instances_document(split: str, images: list[tuple[int, str, tuple[int, int], list[tuple[str, ObjectRecord]]]]
                       ) -> dict:
    """``images`` = [(image id, file name, (w, h), [(COCO name, record)])]."""
    doc = {"info": {"description": f"oquab mini world, COCO analog ({split})", "version": "1.0", "year": 2014,
                    "contributor": "oquab synthetic generator", "date_created": "procedural"},
           "licenses": [], "images": [], "annotations": [], "categories": categories()}
    ann_id = 0
    for image_id, file_name, (w, h), objects in images:
        doc["images"].append({"id": image_id, "file_name": file_name, "width": w, "height": h})
        for name, rec in objects:
            ann_id += 1
            x0, y0, x1, y1 = rec.box
            bw, bh = x1 - x0 + 1, y1 - y0 + 1
            polygon = [x0, y0, x0 + bw, y0, x0 + bw, y0 + bh, x0, y0 + bh]
            doc["annotations"].append({"id": ann_id, "image_id": image_id, "category_id": CATEGORY_ID[name],
                                       "bbox": [x0, y0, bw, bh], "area": bw * bh, "iscrowd": 0,
                                       "segmentation": [polygon]})
    return doc
