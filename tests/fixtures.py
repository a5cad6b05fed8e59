"""Writers of tiny but real-format dataset trees for tests (plain functions; pass them ``tmp_path``).

* ``write_vocdevkit(parent, year)``: ``<parent>/VOCdevkit/VOC<year>`` with JPEGs written by PIL, annotation
  XMLs carrying every field the real files have (VOC2007 element order with ``source``/``owner``; VOC2012
  files in the alphabetical order of the 2012 release, with ``occluded`` and layout ``<part>``s), the
  ``ImageSets/Main`` split files and the per-class files derived by the devkit rule (``voc_image_label``).
* ``write_voc_actions(parent)``: adds the VOC2012 action layout (person objects with ``<actions>``,
  ``ImageSets/Action/<split>.txt`` and ``<action>_<split>.txt``).
* ``write_coco(root, split)``: ``<root>/annotations/instances_<split>.json`` (all 80 categories with their
  official ids) and ``<root>/<split>/*.jpg``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from PIL import Image

from oquab_lib import cache
from oquab_lib.config import Run, profile_sections, resolve
from oquab_lib.data.classes import COCO_CLASSES, VOC_ACTIONS, VOC_CLASSES
from oquab_lib.models import build_alexnet

# One object: (name, (xmin, ymin, xmax, ymax) 1-based inclusive, difficult, truncated).
VOC2007_RECORDS = [
    {"id": "000005", "split": "train", "size": (60, 45), "objects": [
        ("chair", (10, 12, 30, 40), 0, 0), ("chair", (35, 5, 58, 44), 1, 1), ("pottedplant", (1, 1, 9, 20), 1, 0)]},
    {"id": "000007", "split": "train", "size": (50, 40), "objects": [("car", (2, 3, 50, 38), 0, 1)]},
    {"id": "000009", "split": "val", "size": (64, 48), "objects": [
        ("horse", (5, 10, 40, 47), 0, 0), ("person", (20, 2, 35, 30), 0, 0), ("person", (50, 20, 60, 40), 1, 0)]},
    {"id": "000012", "split": "val", "size": (48, 64), "objects": [("car", (3, 20, 46, 60), 0, 1)]},
    {"id": "000001", "split": "test", "size": (40, 40), "objects": [("dog", (5, 5, 30, 35), 0, 0),
                                                                     ("person", (1, 1, 20, 39), 0, 1)]},
    {"id": "000002", "split": "test", "size": (56, 40), "objects": [("train", (4, 6, 55, 33), 0, 0)]},
]
VOC2012_RECORDS = [
    {"id": "2008_000008", "split": "train", "size": (64, 48), "objects": [
        ("horse", (3, 10, 60, 46), 0, 0), ("person", (20, 2, 40, 30), 0, 0)]},
    {"id": "2008_000015", "split": "train", "size": (48, 56), "objects": [
        ("bottle", (5, 8, 20, 50), 0, 1), ("bottle", (25, 8, 40, 50), 1, 0)]},
    {"id": "2008_000019", "split": "val", "size": (60, 40), "objects": [("dog", (8, 6, 52, 38), 0, 0)]},
    {"id": "2008_000023", "split": "val", "size": (50, 50), "objects": [
        ("bottle", (2, 2, 10, 30), 1, 0), ("tvmonitor", (15, 5, 45, 30), 0, 0), ("person", (10, 20, 40, 50), 0, 1)]},
]
# Action images (not in the Main lists, as in the real release). A non-person object first makes the
# devkit's object index (among ALL objects) differ from the index among persons.
ACTION_RECORDS = [
    {"id": "2010_000002", "split": "train", "size": (56, 48),
     "objects": [("person", (10, 4, 40, 46), ["jumping"])]},
    {"id": "2010_000003", "split": "train", "size": (64, 48),
     "objects": [("person", (2, 2, 28, 46), ["phoning", "walking"]), ("person", (32, 5, 60, 47), ["running"])]},
    {"id": "2010_000004", "split": "val", "size": (60, 50),
     "objects": [("horse", (5, 20, 55, 49), None), ("person", (20, 3, 40, 35), ["ridinghorse"])]},
    {"id": "2010_000005", "split": "val", "size": (48, 48), "objects": [("person", (6, 6, 44, 47), ["reading"])]},
]


def write_jpeg(path: Path, width: int, height: int, seed: int = 0) -> Path:
    """A smooth colour gradient plus noise (decodes to a real RGB JPEG of the given size)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([xx * 255 // max(width - 1, 1), yy * 255 // max(height - 1, 1), (xx + yy) % 256], axis=-1)
    pixels = np.clip(base + rng.integers(-20, 20, base.shape), 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, "RGB").save(path, "JPEG", quality=90)
    return path


def voc_image_label(objects: list[tuple], cls: str) -> int:
    """Devkit rule: 1 if a non-difficult object of ``cls``, 0 if only difficult ones, -1 otherwise."""
    flags = [difficult for name, _, difficult, *_ in objects if name == cls]
    return -1 if not flags else (1 if 0 in flags else 0)


def _add(parent: ET.Element, tag: str, text: object = None) -> ET.Element:
    node = ET.SubElement(parent, tag)
    if text is not None:
        node.text = str(text)
    return node


def _add_box(parent: ET.Element, box: tuple, alphabetical: bool) -> None:
    node = _add(parent, "bndbox")
    order = ("xmax", "xmin", "ymax", "ymin") if alphabetical else ("xmin", "ymin", "xmax", "ymax")
    for tag in order:
        _add(node, tag, dict(zip(("xmin", "ymin", "xmax", "ymax"), box))[tag])


def _xml_2007(record: dict) -> ET.Element:
    root = ET.Element("annotation")
    _add(root, "folder", "VOC2007")
    _add(root, "filename", f"{record['id']}.jpg")
    source = _add(root, "source")
    for tag, text in (("database", "The VOC2007 Database"), ("annotation", "PASCAL VOC2007"),
                      ("image", "flickr"), ("flickrid", "341012865")):
        _add(source, tag, text)
    owner = _add(root, "owner")
    _add(owner, "flickrid", "Fried Camels")
    _add(owner, "name", "Jinky the Fruit Bat")
    size = _add(root, "size")
    for tag, value in zip(("width", "height", "depth"), (*record["size"], 3)):
        _add(size, tag, value)
    _add(root, "segmented", 0)
    for name, box, difficult, truncated in record["objects"]:
        obj = _add(root, "object")
        _add(obj, "name", name)
        _add(obj, "pose", "Left" if name == "person" else "Unspecified")
        _add(obj, "truncated", truncated)
        _add(obj, "difficult", difficult)
        _add_box(obj, box, alphabetical=False)
    return root


def _header_2012(record: dict) -> ET.Element:
    root = ET.Element("annotation")
    _add(root, "filename", f"{record['id']}.jpg")
    _add(root, "folder", "VOC2012")
    return root


def _footer_2012(root: ET.Element, record: dict) -> None:
    _add(root, "segmented", 0)
    size = _add(root, "size")
    for tag, value in (("depth", 3), ("height", record["size"][1]), ("width", record["size"][0])):
        _add(size, tag, value)
    source = _add(root, "source")
    for tag, text in (("annotation", "PASCAL VOC2012"), ("database", "The VOC2012 Database"), ("image", "flickr")):
        _add(source, tag, text)


def _xml_2012(record: dict) -> ET.Element:
    root = _header_2012(record)
    for name, box, difficult, truncated in record["objects"]:
        obj = _add(root, "object")
        _add(obj, "name", name)
        _add_box(obj, box, alphabetical=True)
        _add(obj, "difficult", difficult)
        _add(obj, "occluded", int(truncated))
        if name == "person":  # layout annotation: nested <name>/<bndbox> that a careless parser would pick up
            part = _add(obj, "part")
            _add(part, "name", "head")
            _add_box(part, (box[0], box[1], box[0] + 3, box[1] + 3), alphabetical=True)
        _add(obj, "pose", "Unspecified")
        _add(obj, "truncated", truncated)
    _footer_2012(root, record)
    return root


def _xml_action(record: dict) -> ET.Element:
    root = _header_2012(record)
    for name, box, actions in record["objects"]:
        obj = _add(root, "object")
        _add(obj, "name", name)
        if actions is not None:  # real action objects: actions, bndbox, difficult, pose, point; no truncated
            node = _add(obj, "actions")
            for action in sorted((*VOC_ACTIONS, "other")):
                _add(node, action, int(action in actions))
        _add_box(obj, box, alphabetical=True)
        _add(obj, "difficult", 0)
        if actions is None:
            _add(obj, "occluded", 0)
        _add(obj, "pose", "Unspecified")
        if actions is not None:
            point = _add(obj, "point")
            _add(point, "x", (box[0] + box[2]) // 2)
            _add(point, "y", (box[1] + box[3]) // 2)
        else:
            _add(obj, "truncated", 0)
    _footer_2012(root, record)
    return root


def _write_xml(path: Path, root: ET.Element) -> None:
    ET.indent(root, space="\t")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ET.tostring(root, encoding="unicode") + "\n", encoding="utf-8")


def _write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _splits_of(records: list[dict], year: str) -> dict[str, list[dict]]:
    splits = {split: [r for r in records if r["split"] == split] for split in ("train", "val")}
    splits["trainval"] = splits["train"] + splits["val"]
    if year == "2007":
        splits["test"] = [r for r in records if r["split"] == "test"]
    return splits


def write_vocdevkit(parent: Path, year: str = "2007", records: list[dict] | None = None) -> Path:
    """Write ``<parent>/VOCdevkit/VOC<year>`` (Main layout) and return the ``VOCdevkit`` path."""
    records = records if records is not None else (VOC2007_RECORDS if year == "2007" else VOC2012_RECORDS)
    year_dir = Path(parent) / "VOCdevkit" / f"VOC{year}"
    for seed, record in enumerate(records):
        write_jpeg(year_dir / "JPEGImages" / f"{record['id']}.jpg", *record["size"], seed=seed)
        _write_xml(year_dir / "Annotations" / f"{record['id']}.xml",
                   _xml_2007(record) if year == "2007" else _xml_2012(record))
    main = year_dir / "ImageSets" / "Main"
    for split, members in _splits_of(records, year).items():
        _write_lines(main / f"{split}.txt", [r["id"] for r in members])
        for cls in VOC_CLASSES:  # the devkit writes "%s %2d": one space before -1, two before 1 and 0
            _write_lines(main / f"{cls}_{split}.txt",
                         [f"{r['id']} {voc_image_label(r['objects'], cls):2d}" for r in members])
    return year_dir.parent


def write_voc_actions(parent: Path, records: list[dict] | None = None) -> Path:
    """Add the VOC2012 action layout under ``<parent>/VOCdevkit/VOC2012`` (writing the Main layout first if
    absent) and return the ``VOCdevkit`` path."""
    records = records if records is not None else ACTION_RECORDS
    if not (Path(parent) / "VOCdevkit" / "VOC2012" / "ImageSets" / "Main").is_dir():
        write_vocdevkit(parent, "2012")
    year_dir = Path(parent) / "VOCdevkit" / "VOC2012"
    for seed, record in enumerate(records, start=100):
        write_jpeg(year_dir / "JPEGImages" / f"{record['id']}.jpg", *record["size"], seed=seed)
        _write_xml(year_dir / "Annotations" / f"{record['id']}.xml", _xml_action(record))
    action_dir = year_dir / "ImageSets" / "Action"
    for split, members in _splits_of(records, "2012").items():
        _write_lines(action_dir / f"{split}.txt", [r["id"] for r in members])
        for action in VOC_ACTIONS:
            _write_lines(action_dir / f"{action}_{split}.txt", [
                f"{r['id']} {index:2d} {1 if action in acts else -1:2d}"
                for r in members for index, (_, _, acts) in enumerate(r["objects"], start=1) if acts is not None])
    return year_dir.parent


# Official COCO category ids: 1..90 with these ten unused.
_COCO_UNUSED_IDS = {12, 26, 29, 30, 45, 66, 68, 69, 71, 83}
COCO_CATEGORY_IDS = [i for i in range(1, 91) if i not in _COCO_UNUSED_IDS]


def coco_categories(reverse_ids: bool = False) -> list[dict]:
    """The 80 categories; ``reverse_ids`` gives person the largest id (name order then differs from id order)."""
    ids = COCO_CATEGORY_IDS[::-1] if reverse_ids else COCO_CATEGORY_IDS
    return [{"supercategory": "thing", "id": i, "name": n} for i, n in zip(ids, COCO_CLASSES)]


def write_coco(root: Path, split: str = "val2017", categories: list[dict] | None = None,
               images_subdir: bool = False) -> tuple[Path, Path]:
    """Write a 3-image COCO instances file and its JPEGs; returns ``(image_dir, ann_file)``.

    Image 42: person + dog (+ a crowd of persons); image 73: no annotation; image 139: car.
    """
    categories = categories if categories is not None else coco_categories()
    id_of = {c["name"]: c["id"] for c in categories}
    image_dir = Path(root) / ("images" if images_subdir else "") / split
    images = [(42, 64, 48), (73, 40, 40), (139, 56, 44)]
    boxes = [(42, "person", [4.0, 2.0, 20.5, 40.0], 0), (42, "dog", [30.0, 20.0, 30.0, 25.0], 0),
             (42, "person", [0.0, 30.0, 64.0, 18.0], 1), (139, "car", [10.0, 12.0, 40.0, 20.0], 0)]
    dataset = {
        "info": {"description": "oquab test fixture", "year": 2017}, "licenses": [],
        "images": [{"id": i, "file_name": f"{i:012d}.jpg", "width": w, "height": h} for i, w, h in images],
        "annotations": [{"id": 1000 + k, "image_id": i, "category_id": id_of[n], "bbox": b, "area": b[2] * b[3],
                         "iscrowd": crowd, "segmentation": [[b[0], b[1], b[0] + b[2], b[1], b[0], b[1] + b[3]]]}
                        for k, (i, n, b, crowd) in enumerate(boxes)],
        "categories": categories,
    }
    for seed, (i, w, h) in enumerate(images):
        write_jpeg(image_dir / f"{i:012d}.jpg", w, h, seed=seed)
    ann_file = Path(root) / "annotations" / f"instances_{split}.json"
    ann_file.parent.mkdir(parents=True, exist_ok=True)
    ann_file.write_text(json.dumps(dataset), encoding="utf-8")
    return image_dir, ann_file


# --- the small worlds of the experiment tests (tests/conftest.py makes them session fixtures) ----------------------
CVPR14_CLASSES = ("car", "dog", "horse", "person", "chair", "sheep")
SOURCE_LEAVES = [f"n{i:03d}" for i in range(6)]
SOURCE_SUBSETS = {"1000C": SOURCE_LEAVES[:3], "1000R": SOURCE_LEAVES[2:5], "1512": SOURCE_LEAVES[:4],
                  "1512D": SOURCE_LEAVES[:3] + SOURCE_LEAVES[5:],
                  "counts": {"1000R": {"train_cap_per_class": 3}}}  # the generator's format: 1000R has fewer images
CVPR14_SMALL = dict(
    scales=(1, 2), overlap_measure="side", head_hidden=(16,), batch_size=32, max_epochs=2,
    scratch_max_epochs=1, scratch_batch_size=32, num_seeds=2, feature_batch_size=64,
    table1_splits=("2007", "train", "val", "test"), table2_splits=("2012", "train", "holdout:0.3", "val"),
    table1_methods=("PRE-1000C", "RANDOM"), table2_methods=("NO PRETRAIN", "PRE-1000C", "PRE-1512"),
    ablation_hidden=((), (16,)), ablation_background=(0.2,))


def cvpr14_records(prefix: str, counts: dict[str, int], seed: int) -> list[dict]:
    """Random scenes of 64x48 / 48x64 pixels with one or two boxes of a few classes (some difficult)."""
    rng = np.random.default_rng(seed)
    records = []
    for split, count in counts.items():
        for i in range(count):
            width, height = (64, 48) if i % 3 else (48, 64)
            objects = []
            for _ in range(int(rng.integers(1, 3))):
                box_w, box_h = int(rng.integers(12, width // 2 + 8)), int(rng.integers(12, height // 2 + 8))
                x1, y1 = int(rng.integers(1, width - box_w + 2)), int(rng.integers(1, height - box_h + 2))
                name = CVPR14_CLASSES[int(rng.integers(len(CVPR14_CLASSES)))]
                objects.append((name, (x1, y1, x1 + box_w - 1, y1 + box_h - 1), int(rng.random() < 0.1), 0))
            records.append({"id": f"{prefix}{len(records):06d}", "split": split, "size": (width, height),
                            "objects": objects})
    return records


def write_cvpr14_world(root):
    """VOC2007 (train/val/test) and VOC2012 (train/val) trees, a 6-leaf source tree and its subsets file."""
    write_vocdevkit(root, "2007", cvpr14_records("", {"train": 10, "val": 8, "test": 10}, 0))
    write_vocdevkit(root, "2012", cvpr14_records("2012_", {"train": 12, "val": 10}, 1))
    rng = np.random.default_rng(0)
    for c, leaf in enumerate(SOURCE_LEAVES):
        for split, count in (("train", 4), ("val", 2)):
            folder = root / "source" / split / leaf
            folder.mkdir(parents=True)
            for i in range(count):
                base = np.array([40 * c % 255, 255 - 40 * c, 30 * (c % 3)], dtype=np.int16)
                pixels = np.clip(base + rng.integers(-20, 20, (40, 40, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(folder / f"{leaf}_{i:04d}.JPEG")
    subsets = {"1000C": SOURCE_LEAVES[:3], "1000R": SOURCE_LEAVES[2:5], "1512": SOURCE_LEAVES[:4],
               "1512D": SOURCE_LEAVES[:3] + SOURCE_LEAVES[5:]}
    (root / "source_subsets.json").write_text(json.dumps(subsets))
    (root / "world.json").write_text(json.dumps({"scale": "test", "seed": 0}))
    return root


def cvpr14_run(root, runs_dir, profile: str = "smoke", seed: int = 0, **cvpr14):
    """A resolved smoke run on :func:`write_cvpr14_world`: a tiny source recipe, ``CVPR14_SMALL`` + ``cvpr14``."""
    base = resolve("smoke", data_root=root, device="cpu", runs_dir=runs_dir, seed=seed)
    sections = {**base.sections, "source": dict(arch="smoke", epochs=1, batch_size=8, threads=0),
                "cvpr14": {**CVPR14_SMALL, **cvpr14}}
    return Run(profile, base.data_root, base.device, base.seed, base.runs_dir, sections)


def write_source_tree(root, train_per_class=5, val_per_class=2):
    """source/{train,val}/<leaf>/*.JPEG of solid-ish colours per class, plus source_subsets.json and world.json."""
    rng = np.random.default_rng(0)
    for c, leaf in enumerate(SOURCE_LEAVES):
        for split, count in (("train", train_per_class), ("val", val_per_class)):
            folder = root / "source" / split / leaf
            folder.mkdir(parents=True)
            for i in range(count):
                base = np.array([40 * c % 255, 255 - 40 * c, 30 * (c % 3)], dtype=np.int16)
                pixels = np.clip(base + rng.integers(-20, 20, (40, 52, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(folder / f"{leaf}_{i:04d}.JPEG")
    (root / "source_subsets.json").write_text(json.dumps(SOURCE_SUBSETS))
    (root / "world.json").write_text(json.dumps({"scale": "test", "seed": 0}))
    return root


CVPR15_CLASSES = ("car", "dog", "person", "horse")


def cvpr15_records(count: int, split: str, seed: int) -> list[dict]:
    """Images with one or two boxes of a few classes, sizes in two aspect ratios (two size groups)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        width, height = ((64, 48), (48, 64))[i % 2]
        objects = []
        for k in range(1 + i % 2):
            x1, y1 = int(rng.integers(1, width // 2)), int(rng.integers(1, height // 2))
            box = (x1, y1, x1 + int(rng.integers(10, width // 2)), y1 + int(rng.integers(10, height // 2)))
            objects.append((CVPR15_CLASSES[(i + k) % len(CVPR15_CLASSES)], box, 0, 0))
        out.append({"id": f"2012_{split}{i:04d}", "split": split, "size": (width, height), "objects": objects})
    return out


def write_cvpr15_world(root: Path) -> Path:
    """VOC 2012 train (10) / val (6) scenes of a few classes, COCO train / val, and a finished smoke source network
    under ``root/source-entry`` (so that no source pretraining runs)."""
    write_vocdevkit(root, "2012", cvpr15_records(10, "train", 0) + cvpr15_records(6, "val", 1))
    write_coco(root / "coco", "train")
    write_coco(root / "coco", "val")
    source_dir = root / "source-entry"
    net = build_alexnet("smoke", 7, fc_width_mult=1.5, seed=0)
    cache.save_state_dict(source_dir / "weights.pt", net.state_dict())
    cache.save_json(source_dir / "meta.json", {"arch": "smoke", "num_classes": 7, "fc_width_mult": 1.5})
    return root


def cvpr15_run(world: Path, runs_parent: Path, **changes) -> Run:
    """A smoke run on :func:`write_cvpr15_world`, runs under ``runs_parent/runs``, ``changes`` to its cvpr15 section."""
    sections = profile_sections("smoke")
    sections["cvpr15"].update(dict(source_entry=str(world / "source-entry"), image_size=40, test_split="val",
                                   val_fraction=0.3, seeds=(0,), epochs=2, batch_size=4, threads=1), **changes)
    return Run("smoke", world, "cpu", 0, runs_parent / "runs", sections)
