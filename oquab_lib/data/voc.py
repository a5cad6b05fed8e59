"""Pascal VOC readers that work unchanged on a real ``VOCdevkit`` tree (VOC2007 and VOC2010-2012 layouts).

Layout (what the official tarballs extract to)::

    <parent>/VOCdevkit/VOC<year>/JPEGImages/<id>.jpg
                                 Annotations/<id>.xml
                                 ImageSets/Main/<split>.txt           one image id a line
                                 ImageSets/Main/<class>_<split>.txt   "<id> <label>", label 1 / -1 / 0
                                 ImageSets/Action/...                 VOC2010-2012 only, see ``voc_actions``

Every public function takes ``root`` = the ``VOCdevkit`` folder or its parent (torchvision wants the parent).
Per-class labels follow the devkit: 1 = a non-difficult object of the class, 0 = only difficult ones (the
evaluation ignores those images), -1 = absent.

Box convention: XML boxes are 1-based inclusive pixel indices; ``VOCBoxes`` returns continuous 0-based
corners ``(xmin - 1, ymin - 1, xmax, ymax)``, so pixel ``i`` (1-based) spans ``[i - 1, i]`` and the box
width is ``xmax - xmin + 1`` pixels, as the devkit computes areas.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable

import torch
from torch.utils.data import Dataset

from oquab_lib.data.classes import VOC_CLASSES
from oquab_lib.data.images import load_rgb
from oquab_lib.errors import ConfigError, DataError

__all__ = [
    "check_vocdevkit", "voc_year_dir", "read_split_ids", "read_class_labels", "parse_annotation",
    "VOCClassification", "VOCBoxes",
]

_REQUIRED_SUBDIRS = ("JPEGImages", "Annotations", "ImageSets/Main")
_REEXTRACT = "re-extract the VOC tarball"


# ----------------------------------------------------------------------------------------------- layout
def check_vocdevkit(root: str | Path, years: tuple[str, ...] = ("2007",)) -> Path:
    """Return the ``VOCdevkit`` folder under ``root`` (``root`` itself or ``root/VOCdevkit``).

    Raises ``ConfigError`` (one line, listing the accepted layouts) unless every ``VOC<year>`` has
    ``JPEGImages``, ``Annotations`` and ``ImageSets/Main``.
    """
    root = Path(root).expanduser()
    years = tuple(str(y) for y in years)
    for devkit in (root, root / "VOCdevkit"):
        if all((devkit / f"VOC{y}" / sub).is_dir() for y in years for sub in _REQUIRED_SUBDIRS):
            return devkit
    subdirs = "{" + ",".join(_REQUIRED_SUBDIRS) + "}"
    want = " and ".join(f"<root>/VOCdevkit/VOC{y}/{subdirs}" for y in years)
    hint = ""
    if root.name.startswith("VOC20") and (root / "JPEGImages").is_dir():
        hint = f"; you gave a VOC<year> folder, pass its grandparent {root.parent.parent}"
    elif not root.exists():
        hint = "; that path does not exist"
    raise ConfigError(
        f"data_root={root} is not a VOCdevkit: expected {want} (root = the parent of VOCdevkit, as torchvision "
        f"wants) or the same without the VOCdevkit/ level (root = the VOCdevkit folder itself){hint}"
    )


def voc_year_dir(root: str | Path, year: str) -> Path:
    """``<VOCdevkit>/VOC<year>`` after ``check_vocdevkit``."""
    return check_vocdevkit(root, (str(year),)) / f"VOC{year}"


def read_rows(path: Path, widths: tuple[int, ...], what: str) -> list[tuple[int, list[str]]]:
    """Non-blank lines of a whitespace-separated text file as ``(line_number, tokens)``.

    ``widths``: the accepted token counts; ``what``: how the file is described in the missing-file error.
    """
    if not path.is_file():
        available = sorted(p.stem for p in path.parent.glob("*.txt") if "_" not in p.stem)
        raise DataError(f"{path}: {what} not found (splits present here: {', '.join(available) or 'none'}) — "
                        f"check split= or {_REEXTRACT}")
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line_number, line in enumerate(f, start=1):
            tokens = line.split()
            if not tokens:
                continue
            if len(tokens) not in widths:
                shown = " or ".join(str(w) for w in widths)
                raise DataError(f"{path}:{line_number}: malformed line {line.strip()!r} (expected {shown} "
                                f"space-separated fields) — {_REEXTRACT}")
            rows.append((line_number, tokens))
    if not rows:
        raise DataError(f"{path}: {what} lists no images (the file is empty) — {_REEXTRACT}")
    return rows


def read_label_table(paths: list[Path], key_width: int) -> tuple[list[tuple[str, ...]], torch.Tensor]:
    """Read devkit per-class files (``<key fields> <label>`` a line, one file per class).

    Returns the keys in the first file's order and ``Tensor[N, len(paths)]`` int8 in {1, -1, 0}. Every file
    must list the same keys (the devkit writes them in the same order; another order is accepted).
    """
    columns, keys = [], None
    for path in paths:
        by_key: dict[tuple[str, ...], int] = {}
        for line_number, tokens in read_rows(path, (key_width + 1,), "per-class label file"):
            key, label = tuple(tokens[:key_width]), _label_value(path, line_number, tokens[-1])
            if key in by_key:
                raise DataError(f"{path}:{line_number}: {' '.join(key)} is listed twice — {_REEXTRACT}")
            by_key[key] = label
        if keys is None:
            keys, first = list(by_key), path
        elif by_key.keys() != set(keys):
            odd = min(by_key.keys() ^ set(keys))
            raise DataError(f"{path}: ids differ from {first.name} (e.g. {' '.join(odd)} is in only one of them) "
                            f"— the per-class files of one split must list the same images; {_REEXTRACT}")
        columns.append([by_key[k] for k in keys])
    labels = torch.tensor(columns, dtype=torch.int8).T.contiguous() if keys else torch.zeros(0, len(paths))
    return keys or [], labels.to(torch.int8)


def _label_value(path: Path, line_number: int, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value not in (1, -1, 0):
        raise DataError(f"{path}:{line_number}: label {text!r} is not one of 1, -1, 0 — {_REEXTRACT}")
    return value


def read_split_ids(root: str | Path, year: str, split: str) -> list[str]:
    """Image ids listed in ``ImageSets/Main/<split>.txt``, in file order."""
    return [tokens[0] for _, tokens in _split_rows(root, year, split)[1]]


def _split_rows(root: str | Path, year: str, split: str) -> tuple[Path, list[tuple[int, list[str]]]]:
    path = voc_year_dir(root, year) / "ImageSets" / "Main" / f"{split}.txt"
    rows = read_rows(path, (1,), "split file")
    seen: set[str] = set()
    for line_number, (image_id,) in rows:
        if image_id in seen:
            raise DataError(f"{path}:{line_number}: image {image_id} is listed twice — {_REEXTRACT}")
        seen.add(image_id)
    return path, rows


def read_class_labels(root: str | Path, year: str, split: str) -> tuple[list[str], torch.Tensor]:
    """Read the 20 ``ImageSets/Main/<class>_<split>.txt`` files.

    Returns ``(ids, labels)``: ids in file order and ``labels`` ``Tensor[N, 20]`` int8 in {1, -1, 0},
    columns in ``VOC_CLASSES`` order.
    """
    main = voc_year_dir(root, year) / "ImageSets" / "Main"
    paths = [main / f"{c}_{split}.txt" for c in VOC_CLASSES]
    # memoised on every file's (size, mtime_ns), like the data keys: a warm chapter reads a split's labels dozens of
    # times (one per cache key of a table row), and parsing 20 files costs ~40 ms each time
    signature = tuple((str(p), *_stat_signature(p)) for p in paths)
    if signature not in _CLASS_LABELS:
        keys, labels = read_label_table(paths, key_width=1)
        if len(_CLASS_LABELS) >= 64:  # a few kB each; bounded all the same
            _CLASS_LABELS.pop(next(iter(_CLASS_LABELS)))
        _CLASS_LABELS[signature] = ([k[0] for k in keys], labels)
    ids, labels = _CLASS_LABELS[signature]
    return list(ids), labels.clone()


_CLASS_LABELS: dict[tuple, tuple[list[str], torch.Tensor]] = {}  # a memo, never a decision


def _stat_signature(path: Path) -> tuple[int, int]:
    """``(size, mtime_ns)`` of ``path``; ``(-1, -1)`` when it is missing (read_label_table then names it)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


def check_images_listed_exist(year_dir: Path, split_path: Path, rows: list[tuple[int, list[str]]]) -> None:
    """Raise ``DataError`` naming the split file, line and JPEG for the first listed image not on disk."""
    present = set(os.listdir(year_dir / "JPEGImages"))  # one directory read instead of N stat calls
    for line_number, tokens in rows:
        if f"{tokens[0]}.jpg" not in present:
            raise DataError(f"{split_path}:{line_number}: lists image {tokens[0]} but "
                            f"{year_dir / 'JPEGImages' / (tokens[0] + '.jpg')} is missing — {_REEXTRACT}")


# ------------------------------------------------------------------------------------------ annotations
def parse_annotation(xml_path: str | Path) -> dict[str, Any]:
    """Parse one VOC annotation XML.

    Returns ``{"filename", "folder", "size": (width, height, depth), "segmented", "objects": [...]}``; each
    object is ``{"name", "pose", "truncated", "difficult", "occluded", "bndbox": {"xmin", "ymin", "xmax",
    "ymax"}}`` plus ``"actions": {action: 0/1}`` when the XML has ``<actions>`` (VOC2010-2012 action files).
    Boxes are as in the file (1-based pixels, floats). Absent optional fields: ``pose`` "Unspecified",
    ``truncated``/``difficult`` 0 (action objects carry no ``<truncated>``), ``occluded`` None (VOC2007 has none).
    """
    path = Path(xml_path)
    if not path.is_file():
        raise DataError(f"{path}: annotation file not found — {_REEXTRACT}")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as err:
        line, column = err.position
        raise DataError(f"{path}:{line}:{column}: malformed XML ({err}) — {_REEXTRACT}") from None
    if root.tag != "annotation":
        raise DataError(f"{path}: root element is <{root.tag}>, expected <annotation> — not a VOC annotation")
    size = _child(root, "size", path, "the annotation")
    return {
        "filename": _text(root, "filename", path, "the annotation"),
        "folder": root.findtext("folder", default="").strip(),
        "size": tuple(_number(size, tag, path, "<size>", int) for tag in ("width", "height", "depth")),
        "segmented": _flag(root, "segmented", path, "the annotation", default=0),
        "objects": [_parse_object(obj, path, k) for k, obj in enumerate(root.findall("object"), start=1)],
    }


def _parse_object(obj: ET.Element, path: Path, index: int) -> dict[str, Any]:
    where = f"object #{index}"
    name = _text(obj, "name", path, where)  # direct child: <part><name> of layout objects is not matched
    if name not in VOC_CLASSES:
        raise DataError(f"{path}: {where} has unknown class name {name!r} (expected one of the 20 VOC classes) "
                        f"— fix or remove the object")
    where = f"object #{index} ({name})"
    box_node = _child(obj, "bndbox", path, where)
    box = {tag: _number(box_node, tag, path, f"{where} <bndbox>", float) for tag in ("xmin", "ymin", "xmax", "ymax")}
    if box["xmax"] < box["xmin"] or box["ymax"] < box["ymin"]:
        raise DataError(f"{path}: {where} has an inverted box {box} — fix the annotation")
    occluded = obj.find("occluded")
    parsed = {
        "name": name,
        "pose": obj.findtext("pose", default="Unspecified").strip() or "Unspecified",
        "truncated": _flag(obj, "truncated", path, where, default=0),
        "difficult": _flag(obj, "difficult", path, where, default=0),
        "occluded": None if occluded is None else _flag(obj, "occluded", path, where, default=0),
        "bndbox": box,
    }
    actions = obj.find("actions")
    if actions is not None:
        parsed["actions"] = {a.tag: _flag(actions, a.tag, path, f"{where} <actions>", default=0) for a in actions}
    return parsed


def _child(node: ET.Element, tag: str, path: Path, where: str) -> ET.Element:
    child = node.find(tag)
    if child is None:
        raise DataError(f"{path}: {where} has no <{tag}> — {_REEXTRACT}")
    return child


def _text(node: ET.Element, tag: str, path: Path, where: str) -> str:
    text = (_child(node, tag, path, where).text or "").strip()
    if not text:
        raise DataError(f"{path}: {where} has an empty <{tag}> — {_REEXTRACT}")
    return text


def _number(node: ET.Element, tag: str, path: Path, where: str, kind: type) -> int | float:
    text = _text(node, tag, path, where)
    try:
        return kind(float(text)) if kind is int else kind(text)
    except ValueError:
        raise DataError(f"{path}: {where} <{tag}> is {text!r}, not a number — {_REEXTRACT}") from None


def _flag(node: ET.Element, tag: str, path: Path, where: str, default: int) -> int:
    if node.find(tag) is None:
        return default
    value = _number(node, tag, path, where, int)
    if value not in (0, 1):
        raise DataError(f"{path}: {where} <{tag}> is {value}, expected 0 or 1 — {_REEXTRACT}")
    return value


def voc_box_to_xyxy(bndbox: dict[str, float]) -> list[float]:
    """1-based inclusive VOC ``bndbox`` -> 0-based continuous ``[x1, y1, x2, y2]`` (see module docstring)."""
    return [bndbox["xmin"] - 1.0, bndbox["ymin"] - 1.0, bndbox["xmax"], bndbox["ymax"]]


# --------------------------------------------------------------------------------------------- datasets
class VOCClassification(Dataset):
    """Image-level VOC classification: ``(image, target)`` with ``target`` ``Tensor[20]`` int8 in {1, -1, 0}.

    ``image`` is an RGB PIL image, or ``transform(image)``. ``.ids`` (N), ``.labels`` ``Tensor[N, 20]`` int8
    (columns in ``VOC_CLASSES`` order, rows in ``<split>.txt`` order) serve label-only passes.
    """

    def __init__(self, root: str | Path, year: str = "2007", split: str = "trainval",
                 transform: Callable | None = None) -> None:
        self.year_dir = voc_year_dir(root, year)
        self.split, self.transform = split, transform
        split_path, rows = _split_rows(root, year, split)
        self.ids = [tokens[0] for _, tokens in rows]
        class_ids, class_labels = read_class_labels(root, year, split)
        if set(class_ids) != set(self.ids):
            odd = min(set(class_ids) ^ set(self.ids))
            raise DataError(f"{split_path}: image {odd} is in only one of {split}.txt and the "
                            f"<class>_{split}.txt files — {_REEXTRACT}")
        row_of = {image_id: i for i, image_id in enumerate(class_ids)}
        self.labels = class_labels[[row_of[i] for i in self.ids]]  # [N, 20] in split-file order
        check_images_listed_exist(self.year_dir, split_path, rows)

    def __len__(self) -> int:
        return len(self.ids)

    def image_path(self, index: int) -> Path:
        return self.year_dir / "JPEGImages" / f"{self.ids[index]}.jpg"

    def __getitem__(self, index: int) -> tuple[Any, torch.Tensor]:
        image = load_rgb(self.image_path(index))
        if self.transform is not None:
            image = self.transform(image)
        return image, self.labels[index]


class VOCBoxes(Dataset):
    """Box-level VOC view over ``ImageSets/Main/<split>.txt``: ``(image, target)``.

    ``target``: ``boxes`` ``tv_tensors.BoundingBoxes[n, 4]`` float XYXY, 0-based (``xmin - 1, ymin - 1, xmax,
    ymax``; a Tensor, so v2 transforms move them with the image), ``labels`` ``[n]`` int64 index into
    ``VOC_CLASSES``, ``difficult`` / ``truncated`` ``[n]`` bool, ``image_id`` str, ``size`` ``(w, h)`` from the
    XML. Difficult objects are kept (flagged). ``transforms(image, target)`` is applied jointly when given.
    """

    def __init__(self, root: str | Path, year: str = "2007", split: str = "trainval",
                 transforms: Callable | None = None) -> None:
        self.year_dir = voc_year_dir(root, year)
        self.split, self.transforms = split, transforms
        split_path, rows = _split_rows(root, year, split)
        self.ids = [tokens[0] for _, tokens in rows]
        check_images_listed_exist(self.year_dir, split_path, rows)
        present = set(os.listdir(self.year_dir / "Annotations"))
        for line_number, (image_id,) in rows:
            if f"{image_id}.xml" not in present:
                raise DataError(f"{split_path}:{line_number}: lists image {image_id} but "
                                f"{self.year_dir / 'Annotations' / (image_id + '.xml')} is missing — {_REEXTRACT}")

    def __len__(self) -> int:
        return len(self.ids)

    def image_path(self, index: int) -> Path:
        return self.year_dir / "JPEGImages" / f"{self.ids[index]}.jpg"

    def annotation(self, index: int) -> dict[str, Any]:
        """The parsed XML (``parse_annotation``) without decoding the image."""
        return parse_annotation(self.year_dir / "Annotations" / f"{self.ids[index]}.xml")

    def target(self, index: int) -> dict[str, Any]:
        """The item's target with plain tensors (``boxes`` ``Tensor[n, 4]``), without decoding the image."""
        record = self.annotation(index)
        objects = record["objects"]
        return {
            "boxes": torch.tensor([voc_box_to_xyxy(o["bndbox"]) for o in objects], dtype=torch.float32).reshape(-1, 4),
            "labels": torch.tensor([VOC_CLASSES.index(o["name"]) for o in objects], dtype=torch.int64),
            "difficult": torch.tensor([bool(o["difficult"]) for o in objects], dtype=torch.bool),
            "truncated": torch.tensor([bool(o["truncated"]) for o in objects], dtype=torch.bool),
            "image_id": self.ids[index],
            "size": record["size"][:2],
        }

    def __getitem__(self, index: int) -> tuple[Any, dict[str, Any]]:
        from torchvision import (
            tv_tensors,  # imported here: torchvision's import is slow (see data.images)
        )

        image = load_rgb(self.image_path(index))
        target = self.target(index)
        # canvas = the decoded image, so a stale <size> in the XML cannot mis-clamp transformed boxes
        target["boxes"] = tv_tensors.BoundingBoxes(target["boxes"], format="XYXY",
                                                   canvas_size=(image.height, image.width))
        if self.transforms is not None:
            image, target = self.transforms(image, target)
        return image, target
