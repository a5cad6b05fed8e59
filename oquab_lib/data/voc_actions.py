"""VOC2012 (2010-2012) action classification: one item per annotated person.

Layout, as the devkit's ``example_action.m`` reads it::

    VOC2012/ImageSets/Action/<split>.txt            image ids (a second "<object index>" field is accepted too)
    VOC2012/ImageSets/Action/<action>_<split>.txt   "<image id> <object index> <label>", label 1 / -1 / 0
    VOC2012/Annotations/<image id>.xml              the person is objects(<object index>)

The object index is 1-based among ALL ``<object>`` elements of the XML, in file order (the devkit does
``rec.objects(objids(i))``), not among persons only. Labels come from the per-action files; the XML's
``<actions>`` flags (which also carry ``other``) are returned alongside, unmodified.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import torch
from torch.utils.data import Dataset

from oquab_lib.data.classes import VOC_ACTIONS
from oquab_lib.data.images import load_rgb
from oquab_lib.data.voc import (
    parse_annotation,
    read_label_table,
    read_rows,
    voc_box_to_xyxy,
    voc_year_dir,
)
from oquab_lib.errors import DataError

__all__ = ["read_action_split_ids", "read_action_labels", "VOCActions"]

_REEXTRACT = "re-extract the VOC2012 trainval tarball"


def _action_dir(root: str | Path, year: str) -> Path:
    action_dir = voc_year_dir(root, year) / "ImageSets" / "Action"
    if not action_dir.is_dir():
        raise DataError(f"{action_dir}: no action image sets (they ship with the VOC2010-2012 trainval tarballs) "
                        f"— use year='2012' or {_REEXTRACT}")
    return action_dir


def read_action_split_ids(root: str | Path, year: str = "2012", split: str = "trainval") -> list[str]:
    """Distinct image ids of ``ImageSets/Action/<split>.txt`` in file order."""
    rows = read_rows(_action_dir(root, year) / f"{split}.txt", (1, 2), "action split file")
    return list(dict.fromkeys(tokens[0] for _, tokens in rows))


def read_action_labels(root: str | Path, year: str = "2012",
                       split: str = "trainval") -> tuple[list[tuple[str, int]], torch.Tensor]:
    """Read the 10 ``<action>_<split>.txt`` files.

    Returns ``(instances, labels)``: ``instances`` = ``(image_id, object_index)`` (1-based, see module doc)
    in file order, ``labels`` ``Tensor[N, 10]`` int8 in {1, -1, 0}, columns in ``VOC_ACTIONS`` order.
    """
    action_dir = _action_dir(root, year)
    paths = [action_dir / f"{a}_{split}.txt" for a in VOC_ACTIONS]
    keys, labels = read_label_table(paths, key_width=2)
    instances = []
    for image_id, index_text in keys:
        if not index_text.isdigit() or int(index_text) < 1:
            raise DataError(f"{paths[0]}: object index {index_text!r} of image {image_id} is not a positive "
                            f"integer — {_REEXTRACT}")
        instances.append((image_id, int(index_text)))
    return instances, labels


class VOCActions(Dataset):
    """Person instances of the VOC action task: ``(image, target)``.

    ``target``: ``box`` ``Tensor[4]`` float, 0-based XYXY (``xmin - 1, ymin - 1, xmax, ymax``), ``labels``
    ``Tensor[10]`` int8 in {1, -1, 0} from the per-action files, ``actions`` ``Tensor[10]`` int8 0/1 = the XML
    ``<actions>`` flags in ``VOC_ACTIONS`` order, ``image_id`` str, ``object_index`` int (1-based), ``size``
    ``(w, h)``. ``.instances``, ``.labels`` ``[N, 10]`` serve label-only passes; ``.multi_action`` ``[N]`` bool
    marks persons with several positive actions (CVPR'14 drops them from training).
    ``transforms(image, target)`` is applied jointly when given.
    """

    def __init__(self, root: str | Path, year: str = "2012", split: str = "trainval",
                 transforms: Callable | None = None) -> None:
        self.year_dir = voc_year_dir(root, year)
        self.split, self.transforms = split, transforms
        listed = set(read_action_split_ids(root, year, split))
        self.instances, self.labels = read_action_labels(root, year, split)
        first_file = _action_dir(root, year) / f"{VOC_ACTIONS[0]}_{split}.txt"
        for image_id, _ in self.instances:
            if image_id not in listed:
                raise DataError(f"{first_file}: image {image_id} is not in {split}.txt — {_REEXTRACT}")
            for folder, ext in (("JPEGImages", ".jpg"), ("Annotations", ".xml")):
                if not (self.year_dir / folder / f"{image_id}{ext}").is_file():
                    raise DataError(f"{first_file}: lists image {image_id} but "
                                    f"{self.year_dir / folder / (image_id + ext)} is missing — {_REEXTRACT}")
        self.multi_action = (self.labels == 1).sum(dim=1) > 1  # [N] bool

    def __len__(self) -> int:
        return len(self.instances)

    def image_path(self, index: int) -> Path:
        return self.year_dir / "JPEGImages" / f"{self.instances[index][0]}.jpg"

    def annotation(self, index: int) -> dict[str, Any]:
        """The person's parsed ``<object>`` (``parse_annotation`` format) plus ``size``, no image decode."""
        image_id, object_index = self.instances[index]
        xml_path = self.year_dir / "Annotations" / f"{image_id}.xml"
        record = parse_annotation(xml_path)
        if object_index > len(record["objects"]):
            raise DataError(f"{xml_path}: the action files refer to object #{object_index} but the XML has "
                            f"{len(record['objects'])} objects — {_REEXTRACT}")
        person = record["objects"][object_index - 1]
        if person["name"] != "person" or "actions" not in person:
            raise DataError(f"{xml_path}: object #{object_index} is a {person['name']} without <actions>, "
                            f"but the action files list it as a person — {_REEXTRACT}")
        return {**person, "size": record["size"]}

    def target(self, index: int) -> dict[str, Any]:
        """The item's target without decoding the image."""
        person = self.annotation(index)
        return {
            "box": torch.tensor(voc_box_to_xyxy(person["bndbox"]), dtype=torch.float32),
            "labels": self.labels[index],
            "actions": torch.tensor([person["actions"].get(a, 0) for a in VOC_ACTIONS], dtype=torch.int8),
            "image_id": self.instances[index][0],
            "object_index": self.instances[index][1],
            "size": person["size"][:2],
        }

    def __getitem__(self, index: int) -> tuple[Any, dict[str, Any]]:
        image = load_rgb(self.image_path(index))
        target = self.target(index)
        if self.transforms is not None:
            image, target = self.transforms(image, target)
        return image, target
