"""MS COCO instances reader (pycocotools) for multi-label classification and point/box evaluation.

Accepted layouts for ``check_coco_root(root, split)`` (``split`` e.g. ``train2014``, ``val2014``, ``val2017``)::

    <root>/annotations/instances_<split>.json   and   <root>/<split>/*.jpg          (the official zips)
    <root>/annotations/instances_<split>.json   and   <root>/images/<split>/*.jpg

Category order: if the file's category names are exactly the 80 of ``COCO_CLASSES``, columns follow
``COCO_CLASSES`` (which is also sorted-id order for the official files); otherwise columns follow sorted
category id and ``.class_names`` says which is which. Every image of the file is an item, also those
without annotations (all-zero labels). Crowd annotations count as presence in ``labels`` (the class is in
the picture) and are flagged in ``iscrowd``.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path
from typing import Any, Callable

import torch
from pycocotools.coco import COCO
from torch.utils.data import Dataset
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib.data.classes import COCO_CLASSES
from oquab_lib.data.images import load_rgb
from oquab_lib.errors import ConfigError, DataError

__all__ = ["check_coco_root", "COCOImages"]


def check_coco_root(root: str | Path, split: str) -> tuple[Path, Path]:
    """Return ``(image_dir, ann_file)`` for ``split`` under ``root``; ``ConfigError`` listing the layouts."""
    root = Path(root).expanduser()
    ann_file = root / "annotations" / f"instances_{split}.json"
    for image_dir in (root / split, root / "images" / split):
        if ann_file.is_file() and image_dir.is_dir():
            return image_dir, ann_file
    raise ConfigError(
        f"data_root={root} is not a COCO root for split={split!r}: expected <root>/annotations/instances_{split}.json "
        f"with images in <root>/{split}/ or <root>/images/{split}/ (unzip the annotations and {split} archives there)"
        + ("; that path does not exist" if not root.exists() else "")
    )


def _load_coco(ann_file: Path) -> COCO:
    if not ann_file.is_file():
        raise DataError(f"{ann_file}: COCO annotation file not found — check ann_file / data_root")
    try:
        with open(ann_file, encoding="utf-8") as f:
            dataset = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{ann_file}: malformed JSON ({err}) — re-download or re-extract the annotations") from None
    if not isinstance(dataset, dict) or not {"images", "categories"} <= dataset.keys():
        raise DataError(f"{ann_file}: not a COCO instances file (needs top-level 'images' and 'categories')")
    if "annotations" not in dataset:  # e.g. image_info_test*.json: loading it would make every label negative
        raise DataError(f"{ann_file}: no 'annotations' list (an image-info file, not instances); use the "
                        "instances_<split>.json of a labelled split")
    coco = COCO()
    coco.dataset = dataset
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress chatter
        try:
            coco.createIndex()
        except (KeyError, TypeError) as err:
            raise DataError(f"{ann_file}: malformed COCO record (missing or bad field {err}) — "
                            f"re-download the annotations") from None
    return coco


def _is_xywh(bbox: Any) -> bool:
    """Whether ``bbox`` is ``[x, y, w, h]``: four finite numbers (not strings or booleans), ``w, h >= 0``."""
    if not (isinstance(bbox, list) and len(bbox) == 4):
        return False
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in bbox):
        return False
    return bbox[2] >= 0 and bbox[3] >= 0


class COCOImages(Dataset):
    """COCO images with multi-label and box targets: ``(image, target)``.

    ``target``: ``labels`` ``Tensor[K]`` float multi-hot (K = 80 for the official files), ``boxes``
    ``Tensor[n, 4]`` float XYXY pixels (from COCO ``xywh``: ``x2 = x + w``, ``y2 = y + h``), ``box_labels``
    ``[n]`` int64 column index, ``iscrowd`` ``[n]`` bool, ``image_id`` int, ``size`` ``(w, h)``.
    ``.multi_hot`` ``Tensor[N, K]`` and ``.image_ids`` (sorted) serve label-only passes.
    """

    def __init__(self, image_dir: str | Path, ann_file: str | Path, transform: Callable | None = None) -> None:
        self.image_dir, self.ann_file, self.transform = Path(image_dir), Path(ann_file), transform
        self.coco = _load_coco(self.ann_file)
        category_ids = sorted(self.coco.getCatIds())
        names = [self.coco.cats[c]["name"] for c in category_ids]
        if sorted(names) == sorted(COCO_CLASSES):
            by_name = dict(zip(names, category_ids))
            category_ids, names = [by_name[n] for n in COCO_CLASSES], list(COCO_CLASSES)
        self.category_ids, self.class_names = category_ids, names
        self.column_of = {c: k for k, c in enumerate(category_ids)}  # COCO category id -> label column
        self.image_ids = sorted(self.coco.getImgIds())
        self.multi_hot = torch.zeros(len(self.image_ids), len(category_ids))  # [N, K]
        rows = tqdm(enumerate(self.image_ids), total=len(self.image_ids), desc=f"labels {self.ann_file.name}",
                    disable=len(self.image_ids) < 5000)
        for row, image_id in rows:
            for ann in self.coco.imgToAnns[image_id]:
                self.multi_hot[row, self._column(ann)] = 1.0
        self._check_images()

    def _column(self, ann: dict[str, Any]) -> int:
        if ann.get("category_id") not in self.column_of:
            raise DataError(f"{self.ann_file}: annotation {ann.get('id')} has category_id {ann.get('category_id')} "
                            f"absent from 'categories' — re-download the annotations")
        return self.column_of[ann["category_id"]]

    def _check_images(self) -> None:
        if not self.image_dir.is_dir():
            raise DataError(f"{self.image_dir}: image folder not found (images of {self.ann_file.name}) — "
                            f"unzip the images there or pass the right image_dir")
        present = {p.name for p in self.image_dir.iterdir()}  # one directory read instead of N stat calls
        for image_id in self.image_ids:
            file_name = self.coco.imgs[image_id].get("file_name")
            if file_name is None or Path(file_name).name not in present:
                raise DataError(f"{self.ann_file}: image {image_id} ({file_name}) is missing from {self.image_dir} "
                                f"— unzip the images there or pass the right image_dir")

    def __len__(self) -> int:
        return len(self.image_ids)

    def image_path(self, index: int) -> Path:
        return self.image_dir / Path(self.coco.imgs[self.image_ids[index]]["file_name"]).name

    def target(self, index: int) -> dict[str, Any]:
        """The item's target without decoding the image."""
        from torchvision.ops import (
            box_convert,  # imported here: torchvision's import is slow (see data.images)
        )

        image_id = self.image_ids[index]
        anns = self.coco.imgToAnns[image_id]
        for ann in anns:
            if not _is_xywh(ann.get("bbox")):
                raise DataError(f"{self.ann_file}: annotation {ann.get('id')} has bbox {ann.get('bbox')!r}, "
                                f"expected [x, y, w, h] numbers with w, h >= 0 — re-download the annotations")
        xywh = torch.tensor([ann["bbox"] for ann in anns], dtype=torch.float32).reshape(-1, 4)
        info = self.coco.imgs[image_id]
        return {
            "labels": self.multi_hot[index],
            "boxes": box_convert(xywh, in_fmt="xywh", out_fmt="xyxy"),
            "box_labels": torch.tensor([self._column(a) for a in anns], dtype=torch.int64),
            "iscrowd": torch.tensor([bool(a.get("iscrowd", 0)) for a in anns], dtype=torch.bool),
            "image_id": image_id,
            "size": (info.get("width"), info.get("height")),
        }

    def __getitem__(self, index: int) -> tuple[Any, dict[str, Any]]:
        image = load_rgb(self.image_path(index))
        if self.transform is not None:
            image = self.transform(image)
        return image, self.target(index)
