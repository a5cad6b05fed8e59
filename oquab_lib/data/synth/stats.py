"""Statistics of a generated world, read back from its files (what the book's data chapter tabulates and plots).

``object_table(root, dataset)`` has one row per annotated object; ``world_statistics(root)`` one row per
(dataset, split, class) with image and object counts, difficult / truncated fractions and the object size
distribution (relative size = sqrt(box area / image area)); ``source_statistics(root)`` one row per pretraining
variant; ``class_coverage(root)`` one row per VOC (or COCO) class: its leaves and how many each variant holds.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from oquab_lib.errors import DataError

DATASETS = {"voc07": ("VOC2007", ("train", "val", "test")), "voc12": ("VOC2012", ("train", "val", "test")),
            "action": ("VOC2012", ("train", "val", "test")), "coco": ("", ("train", "val"))}


def _read_ids(path: Path) -> list[str]:
    if not path.is_file():
        raise DataError(f"{path}: missing split list; regenerate the world with ensure_world(root, profile)")
    return path.read_text().split()


def _parse_xml(path: Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise DataError(f"{path}: unreadable annotation ({exc}); regenerate the world") from None


def _voc_rows(year_dir: Path, dataset: str, split: str, ids: list[str]) -> list[dict]:
    rows = []
    for image_id in ids:
        root = _parse_xml(year_dir / "Annotations" / f"{image_id}.xml")
        w, h = int(root.findtext("size/width")), int(root.findtext("size/height"))
        for index, obj in enumerate(root.iter("object"), start=1):
            box = [int(obj.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")]
            area = (box[2] - box[0] + 1) * (box[3] - box[1] + 1)
            row = {"dataset": dataset, "split": split, "image_id": image_id, "object_index": index,
                   "cls": obj.findtext("name"), "difficult": obj.findtext("difficult") == "1",
                   "truncated": obj.findtext("truncated") == "1", "occluded": obj.findtext("occluded") == "1",
                   "rel_size": (area / (w * h)) ** 0.5, "width": w, "height": h}
            actions = obj.find("actions")
            if actions is not None:
                row["actions"] = "+".join(a.tag for a in actions if a.text == "1" and a.tag != "other") or "other"
            rows.append(row)
    return rows


def object_table(root: str | os.PathLike, dataset: str = "voc07") -> pd.DataFrame:
    """One row per annotated object of ``dataset`` in ``voc07``, ``voc12``, ``action`` (persons, with an
    ``actions`` column) or ``coco``: split, image id, class, difficult / truncated / occluded, relative size."""
    if dataset not in DATASETS:
        raise DataError(f"dataset={dataset!r}: accepted: {', '.join(DATASETS)}")
    root = Path(root)
    folder, splits = DATASETS[dataset]
    if dataset == "coco":
        return _coco_table(root, splits)
    year_dir = root / "VOCdevkit" / folder
    sets = "Action" if dataset == "action" else "Main"
    rows = []
    for split in splits:
        rows += _voc_rows(year_dir, dataset, split, _read_ids(year_dir / "ImageSets" / sets / f"{split}.txt"))
    return pd.DataFrame(rows)


def _coco_table(root: Path, splits) -> pd.DataFrame:
    rows = []
    for split in splits:
        path = root / "coco" / "annotations" / f"instances_{split}.json"
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: unreadable COCO annotations ({exc}); regenerate the world") from None
        names = {c["id"]: c["name"] for c in doc["categories"]}
        sizes = {im["id"]: (im["width"], im["height"]) for im in doc["images"]}
        for ann in doc["annotations"]:
            w, h = sizes[ann["image_id"]]
            rows.append({"dataset": "coco", "split": split, "image_id": ann["image_id"],
                         "cls": names[ann["category_id"]], "difficult": False, "truncated": False,
                         "occluded": False, "rel_size": (ann["area"] / (w * h)) ** 0.5, "width": w, "height": h})
    return pd.DataFrame(rows)


def world_statistics(root: str | os.PathLike, datasets=("voc07", "voc12", "action", "coco")) -> pd.DataFrame:
    """One row per (dataset, split, class): images containing the class, objects, difficult / truncated
    fractions, and the quartiles of the relative object size."""
    frames = []
    for dataset in datasets:
        table = object_table(root, dataset)
        if dataset == "action":
            table = table.assign(cls=table["actions"].str.split("+")).explode("cls")
        grouped = table.groupby(["dataset", "split", "cls"])
        frames.append(pd.DataFrame({
            "images": grouped["image_id"].nunique(), "objects": grouped.size(),
            "difficult_fraction": grouped["difficult"].mean(), "truncated_fraction": grouped["truncated"].mean(),
            "size_q25": grouped["rel_size"].quantile(0.25), "size_median": grouped["rel_size"].median(),
            "size_q75": grouped["rel_size"].quantile(0.75)}))
    return pd.concat(frames).round(4)


def source_statistics(root: str | os.PathLike) -> pd.DataFrame:
    """One row per pretraining variant: classes, images, and how many classes fall under the targeted
    superclasses, read from ``source_subsets.json`` and ``taxonomy.json``."""
    root = Path(root)
    try:
        subsets = json.loads((root / "source_subsets.json").read_text())
        nodes = json.loads((root / "taxonomy.json").read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{root}: unreadable source_subsets.json / taxonomy.json ({exc}); regenerate the world") \
            from None
    parent = {n["id"]: n["parent"] for n in nodes}
    targeted = set(subsets["targeted_superclasses"].values())

    def under_targeted(node: str | None) -> bool:
        while node is not None:
            if node in targeted:
                return True
            node = parent[node]
        return False

    rows = []
    for variant, count in subsets["counts"].items():
        leaves = subsets[variant]
        rows.append({"variant": variant, **count, "targeted_classes": sum(map(under_targeted, leaves))})
    return pd.DataFrame(rows).set_index("variant")


def class_coverage(root: str | os.PathLike, benchmark: str = "voc") -> pd.DataFrame:
    """For each VOC (or COCO) class: how many leaves its node has and how many of them each pretraining variant
    contains (target instances are drawn uniformly over the node's leaves, so this is what transfer can lean on)."""
    root = Path(root)
    try:
        nodes = {n["id"]: n for n in json.loads((root / "taxonomy.json").read_text())}
        subsets = json.loads((root / "source_subsets.json").read_text())
        bindings = json.loads((root / "bindings.json").read_text())[benchmark]
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{root}: unreadable taxonomy / subsets / bindings ({exc}); regenerate the world") from None
    variants = [v for v in subsets["counts"] if v != "none"]
    rows = []
    for name, node in bindings.items():
        leaves = [i for i, n in nodes.items() if n["kind"] == "leaf" and node in _lineage(nodes, i)]
        row = {"class": name, "leaves": len(leaves), "heldout": sum(nodes[i]["status"] == "heldout" for i in leaves)}
        row |= {v: len(set(leaves) & set(subsets[v])) for v in variants}
        rows.append(row)
    return pd.DataFrame(rows).set_index("class")


def _lineage(nodes: dict, node: str | None):
    while node is not None:
        yield node
        node = nodes[node]["parent"]


def object_tables(root: str | os.PathLike, datasets=("voc07", "voc12", "action", "coco")) -> dict[str, pd.DataFrame]:
    """:func:`object_table` of each dataset, by name."""
    return {name: object_table(root, name) for name in datasets}


def size_quartiles(tables: dict[str, pd.DataFrame]) -> str:
    """``"name q25 / q50 / q75; …"`` of each table's ``rel_size`` column (the relative object size)."""
    quartiles = {name: table["rel_size"].quantile([0.25, 0.5, 0.75]).tolist() for name, table in tables.items()}
    return "; ".join(f"{n} {q[0]:.2f} / {q[1]:.2f} / {q[2]:.2f}" for n, q in quartiles.items())
