"""COCO reader on a tiny instances file (tests/fixtures.py), cross-checked with pycocotools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pycocotools.coco import COCO

from oquab_lib.data.classes import COCO_CLASSES
from oquab_lib.data.coco import COCOImages, check_coco_root
from oquab_lib.errors import ConfigError, DataError
from tests.fixtures import coco_categories, write_coco


def assert_one_line(excinfo: pytest.ExceptionInfo, *fragments: str) -> None:
    message = str(excinfo.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_check_coco_root_layouts(tmp_path: Path) -> None:
    image_dir, ann_file = write_coco(tmp_path / "a", "val2014")
    assert check_coco_root(tmp_path / "a", "val2014") == (image_dir, ann_file)
    image_dir, ann_file = write_coco(tmp_path / "b", "val2017", images_subdir=True)
    assert check_coco_root(tmp_path / "b", "val2017") == (tmp_path / "b/images/val2017", ann_file)
    with pytest.raises(ConfigError) as excinfo:
        check_coco_root(tmp_path / "a", "train2014")
    assert_one_line(excinfo, "annotations/instances_train2014.json", "<root>/images/train2014/")


def test_coco_items_match_pycocotools(tmp_path: Path) -> None:
    image_dir, ann_file = write_coco(tmp_path)
    dataset = COCOImages(image_dir, ann_file)
    assert dataset.image_ids == [42, 73, 139] and len(dataset) == 3  # the image without annotations is kept
    assert dataset.multi_hot.shape == (3, 80) and dataset.class_names == list(COCO_CLASSES)
    reference = COCO(str(ann_file))
    for row, image_id in enumerate(dataset.image_ids):
        anns = reference.loadAnns(reference.getAnnIds(imgIds=image_id))
        names = {reference.cats[a["category_id"]]["name"] for a in anns}
        assert {COCO_CLASSES[k] for k in dataset.multi_hot[row].nonzero().flatten().tolist()} == names
        target = dataset.target(row)
        assert target["boxes"].shape == (len(anns), 4)
        for box, ann in zip(target["boxes"].tolist(), anns):
            x, y, w, h = ann["bbox"]
            assert box == [x, y, x + w, y + h]
    image, target = dataset[0]
    assert image.size == (64, 48) and target["size"] == (64, 48) and target["image_id"] == 42
    assert target["box_labels"].tolist() == [0, COCO_CLASSES.index("dog"), 0]
    assert target["iscrowd"].tolist() == [False, False, True]
    assert dataset.multi_hot[1].sum() == 0 and dataset.multi_hot[2, COCO_CLASSES.index("car")] == 1


def test_category_order_by_name_then_by_id(tmp_path: Path) -> None:
    image_dir, ann_file = write_coco(tmp_path / "rev", categories=coco_categories(reverse_ids=True))
    dataset = COCOImages(image_dir, ann_file)  # names match: COCO_CLASSES order although person has id 90
    assert dataset.class_names == list(COCO_CLASSES) and dataset.category_ids[0] == 90
    assert dataset.multi_hot[0, 0] == 1 and dataset.target(0)["box_labels"].tolist()[0] == 0
    subset = [{"id": 18, "name": "dog"}, {"id": 1, "name": "person"}, {"id": 3, "name": "car"}]
    image_dir, ann_file = write_coco(tmp_path / "sub", categories=subset)
    dataset = COCOImages(image_dir, ann_file)  # other names: sorted category id
    assert dataset.class_names == ["person", "car", "dog"] and dataset.multi_hot.shape == (3, 3)
    assert dataset.multi_hot.tolist() == [[1, 0, 1], [0, 0, 0], [0, 1, 0]]


def test_coco_bad_inputs(tmp_path: Path) -> None:
    image_dir, ann_file = write_coco(tmp_path)
    with pytest.raises(DataError) as excinfo:
        COCOImages(image_dir, tmp_path / "missing.json")
    assert_one_line(excinfo, "missing.json", "not found")
    text = ann_file.read_text()
    ann_file.write_text(text[: len(text) // 2])
    with pytest.raises(DataError) as excinfo:
        COCOImages(image_dir, ann_file)
    assert_one_line(excinfo, str(ann_file), "malformed JSON")
    dataset = json.loads(text)
    dataset["annotations"][0]["category_id"] = 12  # unused id in the official list
    ann_file.write_text(json.dumps(dataset))
    with pytest.raises(DataError) as excinfo:
        COCOImages(image_dir, ann_file)
    assert_one_line(excinfo, str(ann_file), "annotation 1000", "category_id 12")
    ann_file.write_text(text)
    (image_dir / "000000000139.jpg").unlink()
    with pytest.raises(DataError) as excinfo:
        COCOImages(image_dir, ann_file)
    assert_one_line(excinfo, str(ann_file), "000000000139.jpg", str(image_dir))
    ann_file.write_text(json.dumps({"annotations": []}))
    with pytest.raises(DataError) as excinfo:
        COCOImages(image_dir, ann_file)
    assert_one_line(excinfo, str(ann_file), "'images'")
