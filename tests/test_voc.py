"""VOC readers on tiny real-format VOCdevkit trees (tests/fixtures.py), cross-checked with torchvision."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader
from torchvision.datasets import VOCDetection
from torchvision.transforms import v2

from oquab_lib.data.classes import VOC_ACTIONS, VOC_CLASSES
from oquab_lib.data.images import load_rgb, load_rgb_tensor
from oquab_lib.data.voc import (
    VOCBoxes,
    VOCClassification,
    check_vocdevkit,
    parse_annotation,
    read_class_labels,
    read_split_ids,
    voc_year_dir,
)
from oquab_lib.data.voc_actions import (
    VOCActions,
    read_action_labels,
    read_action_split_ids,
)
from oquab_lib.errors import ConfigError, DataError
from tests.fixtures import (
    ACTION_RECORDS,
    VOC2007_RECORDS,
    VOC2012_RECORDS,
    voc_image_label,
    write_jpeg,
    write_voc_actions,
    write_vocdevkit,
)


@pytest.fixture
def voc07(tmp_path: Path) -> Path:
    write_vocdevkit(tmp_path, "2007")
    return tmp_path


@pytest.fixture
def voc12(tmp_path: Path) -> Path:
    write_vocdevkit(tmp_path, "2012")
    write_voc_actions(tmp_path)
    return tmp_path


def assert_one_line(excinfo: pytest.ExceptionInfo, *fragments: str) -> None:
    message = str(excinfo.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def records_of(records: list[dict], split: str) -> list[dict]:
    return [r for r in records if r["split"] == split or (split == "trainval" and r["split"] in ("train", "val"))]


# ------------------------------------------------------------------------------------------------ layout
def test_check_vocdevkit_accepts_devkit_or_its_parent(voc07: Path) -> None:
    devkit = voc07 / "VOCdevkit"
    assert check_vocdevkit(voc07) == devkit
    assert check_vocdevkit(devkit) == devkit
    with pytest.raises(ConfigError) as excinfo:
        check_vocdevkit(voc07, years=("2007", "2012"))
    assert_one_line(excinfo, f"data_root={voc07}", "VOCdevkit/VOC2012/{JPEGImages,Annotations,ImageSets/Main}")


def test_check_vocdevkit_rejects_missing_and_year_folder(tmp_path: Path, voc07: Path) -> None:
    with pytest.raises(ConfigError) as excinfo:
        check_vocdevkit(tmp_path / "nowhere")
    assert_one_line(excinfo, "nowhere", "is not a VOCdevkit", "does not exist")
    with pytest.raises(ConfigError) as excinfo:
        check_vocdevkit(voc07 / "VOCdevkit" / "VOC2007")
    assert_one_line(excinfo, "pass its grandparent")


def test_read_split_ids_and_class_labels_follow_devkit_rule(voc07: Path) -> None:
    for split in ("train", "val", "trainval", "test"):
        expected = records_of(VOC2007_RECORDS, split)
        assert read_split_ids(voc07, "2007", split) == [r["id"] for r in expected]
        ids, labels = read_class_labels(voc07, "2007", split)
        assert ids == [r["id"] for r in expected]
        assert labels.dtype == torch.int8 and labels.shape == (len(expected), 20)
        truth = [[voc_image_label(r["objects"], c) for c in VOC_CLASSES] for r in expected]
        assert labels.tolist() == truth
    _, labels = read_class_labels(voc07, "2007", "trainval")
    chair, plant = VOC_CLASSES.index("chair"), VOC_CLASSES.index("pottedplant")
    assert labels[0, chair] == 1 and labels[0, plant] == 0 and labels[1, chair] == -1  # all three values occur



def test_class_labels_are_read_again_when_a_file_changes_and_callers_get_copies(voc07: Path) -> None:
    ids, labels = read_class_labels(voc07, "2007", "val")
    ids.append("x")
    labels[0, 0] = 99  # a caller editing its result does not edit the memo
    again_ids, again = read_class_labels(voc07, "2007", "val")
    assert "x" not in again_ids and again[0, 0] != 99
    path = voc_year_dir(voc07, "2007") / "ImageSets" / "Main" / "aeroplane_val.txt"
    first = path.read_text().splitlines()[0].split()
    flipped = {"1": "-1", "-1": "1", "0": "1"}[first[-1]]
    path.write_text("\n".join([f"{first[0]} {flipped}", *path.read_text().splitlines()[1:]]) + "\n")
    _, edited = read_class_labels(voc07, "2007", "val")
    assert int(edited[0, 0]) == int(flipped)

# ------------------------------------------------------------------------------------------- annotations
def test_parse_annotation_voc2007(voc07: Path) -> None:
    record = parse_annotation(voc07 / "VOCdevkit/VOC2007/Annotations/000005.xml")
    assert record["filename"] == "000005.jpg" and record["folder"] == "VOC2007"
    assert record["size"] == (60, 45, 3) and record["segmented"] == 0
    assert [o["name"] for o in record["objects"]] == ["chair", "chair", "pottedplant"]
    second = record["objects"][1]
    assert second["difficult"] == 1 and second["truncated"] == 1 and second["occluded"] is None
    assert second["bndbox"] == {"xmin": 35.0, "ymin": 5.0, "xmax": 58.0, "ymax": 44.0}
    assert "actions" not in second and second["pose"] == "Unspecified"


def test_parse_annotation_voc2012_ignores_layout_parts(voc12: Path) -> None:
    record = parse_annotation(voc12 / "VOCdevkit/VOC2012/Annotations/2008_000008.xml")
    person = record["objects"][1]
    assert person["name"] == "person"  # not the <part><name>head</name> below it
    assert person["bndbox"] == {"xmin": 20.0, "ymin": 2.0, "xmax": 40.0, "ymax": 30.0}
    assert person["occluded"] == 0 and record["size"] == (64, 48, 3)


def test_parse_annotation_action_objects(voc12: Path) -> None:
    record = parse_annotation(voc12 / "VOCdevkit/VOC2012/Annotations/2010_000003.xml")
    first = record["objects"][0]
    assert first["actions"]["phoning"] == 1 and first["actions"]["walking"] == 1 and first["actions"]["other"] == 0
    assert set(first["actions"]) == {*VOC_ACTIONS, "other"}
    assert first["truncated"] == 0 and first["difficult"] == 0  # action objects have no <truncated>


# ---------------------------------------------------------------------------------------------- datasets
def test_voc_classification_items(voc07: Path) -> None:
    dataset = VOCClassification(voc07 / "VOCdevkit", "2007", "trainval")
    assert dataset.ids == [r["id"] for r in records_of(VOC2007_RECORDS, "trainval")]
    assert dataset.labels.shape == (4, 20) and dataset.labels.dtype == torch.int8
    image, target = dataset[2]
    assert isinstance(image, Image.Image) and image.mode == "RGB" and image.size == (64, 48)
    assert torch.equal(target, dataset.labels[2])
    assert target[VOC_CLASSES.index("horse")] == 1 and target[VOC_CLASSES.index("dog")] == -1
    assert dataset.image_path(2) == voc07 / "VOCdevkit/VOC2007/JPEGImages/000009.jpg"
    tensor_view = VOCClassification(voc07, "2007", "trainval",
                                    transform=v2.Compose([v2.ToImage(), v2.Resize((32, 32), antialias=True)]))
    images, targets = next(iter(DataLoader(tensor_view, batch_size=4)))
    assert images.shape == (4, 3, 32, 32) and images.dtype == torch.uint8 and targets.shape == (4, 20)


def test_voc_boxes_targets_and_conversion(voc07: Path) -> None:
    dataset = VOCBoxes(voc07, "2007", "trainval")
    image, target = dataset[0]
    assert image.size == (60, 45) and target["image_id"] == "000005" and target["size"] == (60, 45)
    assert target["boxes"].tolist() == [[9, 11, 30, 40], [34, 4, 58, 44], [0, 0, 9, 20]]  # xmin-1, ymin-1, xmax, ymax
    assert target["boxes"].dtype == torch.float32
    assert target["labels"].tolist() == [VOC_CLASSES.index(n) for n in ("chair", "chair", "pottedplant")]
    assert target["difficult"].tolist() == [False, True, True]
    assert target["truncated"].tolist() == [False, True, False]
    flipped_image, flipped = v2.RandomHorizontalFlip(p=1.0)(image, target)  # boxes travel with the image
    assert flipped["boxes"][0].tolist() == [60 - 30, 11, 60 - 9, 40]


def test_voc_boxes_annotation_does_not_decode_image(voc07: Path) -> None:
    dataset = VOCBoxes(voc07, "2007", "val")
    (voc07 / "VOCdevkit/VOC2007/JPEGImages/000009.jpg").write_bytes(b"not a jpeg")
    assert [o["name"] for o in dataset.annotation(0)["objects"]] == ["horse", "person", "person"]
    assert dataset.target(0)["labels"].tolist() == [12, 14, 14]
    with pytest.raises(DataError):
        dataset[0]


def test_voc_actions_instances_and_labels(voc12: Path) -> None:
    assert read_action_split_ids(voc12, "2012", "val") == ["2010_000004", "2010_000005"]
    instances, labels = read_action_labels(voc12, "2012", "trainval")
    assert instances == [("2010_000002", 1), ("2010_000003", 1), ("2010_000003", 2), ("2010_000004", 2),
                         ("2010_000005", 1)]
    assert labels.shape == (5, 10) and labels.dtype == torch.int8
    dataset = VOCActions(voc12, "2012", "trainval")
    assert dataset.multi_action.tolist() == [False, True, False, False, False]
    for index in range(len(dataset)):  # per-action files agree with the XML <actions> flags
        target = dataset.target(index)
        assert torch.equal(target["labels"], torch.where(target["actions"] == 1, 1, -1).to(torch.int8))
    image, target = dataset[3]  # object #2 of 2010_000004: the person after a horse
    assert image.size == (60, 50) and target["object_index"] == 2
    assert target["box"].tolist() == [19, 2, 40, 35]
    assert target["labels"][VOC_ACTIONS.index("ridinghorse")] == 1 and target["size"] == (60, 50)
    persons = [o for r in records_of(ACTION_RECORDS, "val") for o in r["objects"] if o[2] is not None]
    assert len(VOCActions(voc12, "2012", "val")) == len(persons) == 2


def test_torchvision_parses_the_same_tree(voc07: Path, voc12: Path) -> None:
    # both fixtures wrote into the same tmp_path, so voc07 is also the parent of VOCdevkit/VOC2012
    for year, split in (("2007", "trainval"), ("2007", "test"), ("2012", "train")):
        ours = VOCBoxes(voc07, year, split)
        assert ours.ids == [r["id"] for r in records_of(VOC2007_RECORDS if year == "2007" else VOC2012_RECORDS, split)]
        theirs = VOCDetection(str(voc07), year=year, image_set=split, download=False)  # wants the parent
        assert len(theirs) == len(ours) > 0
        for index in range(len(ours)):
            image, annotation = theirs[index]
            objects = annotation["annotation"]["object"]
            ours_record = ours.annotation(index)
            assert image.size == tuple(ours_record["size"][:2])
            assert [o["name"] for o in objects] == [o["name"] for o in ours_record["objects"]]
            assert [[float(o["bndbox"][k]) for k in ("xmin", "ymin", "xmax", "ymax")] for o in objects] == \
                   [list(o["bndbox"].values()) for o in ours_record["objects"]]


# ------------------------------------------------------------------------------------------- bad inputs
def test_missing_split_file(voc07: Path) -> None:
    with pytest.raises(DataError) as excinfo:
        VOCClassification(voc07, "2007", "minival")
    assert_one_line(excinfo, "ImageSets/Main/minival.txt", "test, train, trainval, val")


@pytest.mark.parametrize("damage,expected", [
    (lambda p: p.write_bytes(b"\x00garbage" * 10), "not a recognised image format"),
    (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "truncated"),
    (lambda p: p.unlink(), "image file not found"),
])
def test_bad_jpeg_is_one_line(tmp_path: Path, damage, expected: str) -> None:
    path = write_jpeg(tmp_path / "x.jpg", 40, 30)
    assert load_rgb_tensor(path).shape == (3, 30, 40)
    damage(path)
    with pytest.raises(DataError) as excinfo:
        load_rgb(path)
    assert_one_line(excinfo, str(path), "cannot decode image" if path.exists() else "not found")
    assert expected in str(excinfo.value).lower()


def test_grayscale_jpeg_becomes_rgb(tmp_path: Path) -> None:
    Image.new("L", (20, 10), 128).save(tmp_path / "g.jpg")
    assert load_rgb(tmp_path / "g.jpg").mode == "RGB"


def test_malformed_xml_names_file_and_line(voc07: Path) -> None:
    path = voc07 / "VOCdevkit/VOC2007/Annotations/000007.xml"
    path.write_text("<annotation>\n<filename>000007.jpg</filename>\n<size><width>5</size>\n</annotation>\n")
    with pytest.raises(DataError) as excinfo:
        VOCBoxes(voc07, "2007", "train").target(1)
    assert_one_line(excinfo, f"{path}:3:", "malformed XML")


def test_unknown_class_and_missing_field(voc07: Path) -> None:
    path = voc07 / "VOCdevkit/VOC2007/Annotations/000007.xml"
    text = path.read_text()
    path.write_text(text.replace("<name>car</name>", "<name>automobile</name>"))
    with pytest.raises(DataError) as excinfo:
        parse_annotation(path)
    assert_one_line(excinfo, str(path), "'automobile'", "object #1")
    path.write_text(text.replace("<xmax>50</xmax>", ""))
    with pytest.raises(DataError) as excinfo:
        parse_annotation(path)
    assert_one_line(excinfo, str(path), "<xmax>", "object #1 (car)")


def test_label_outside_range_and_malformed_line(voc07: Path) -> None:
    path = voc07 / "VOCdevkit/VOC2007/ImageSets/Main/dog_train.txt"
    path.write_text("000005 -1\n000007  2\n")
    with pytest.raises(DataError) as excinfo:
        read_class_labels(voc07, "2007", "train")
    assert_one_line(excinfo, f"{path}:2:", "'2'", "1, -1, 0")
    path.write_text("000005 -1\n000007\n")
    with pytest.raises(DataError) as excinfo:
        VOCClassification(voc07, "2007", "train")
    assert_one_line(excinfo, f"{path}:2:", "malformed line")


def test_class_files_must_list_the_same_ids(voc07: Path) -> None:
    path = voc07 / "VOCdevkit/VOC2007/ImageSets/Main/bird_train.txt"
    path.write_text("000005 -1\n000099 -1\n")
    with pytest.raises(DataError) as excinfo:
        read_class_labels(voc07, "2007", "train")
    assert_one_line(excinfo, str(path), "aeroplane_train.txt")


def test_listed_image_missing_names_split_line_and_jpeg(voc07: Path) -> None:
    jpeg = voc07 / "VOCdevkit/VOC2007/JPEGImages/000012.jpg"
    jpeg.unlink()
    for dataset_class in (VOCClassification, VOCBoxes):
        with pytest.raises(DataError) as excinfo:
            dataset_class(voc07, "2007", "trainval")
        assert_one_line(excinfo, "ImageSets/Main/trainval.txt:4:", str(jpeg))


def test_action_file_pointing_at_non_person(voc12: Path) -> None:
    path = voc12 / "VOCdevkit/VOC2012/ImageSets/Action"
    for action in VOC_ACTIONS:  # index 1 of 2010_000004 is the horse
        lines = (path / f"{action}_val.txt").read_text().replace("2010_000004  2", "2010_000004  1")
        (path / f"{action}_val.txt").write_text(lines)
    dataset = VOCActions(voc12, "2012", "val")
    with pytest.raises(DataError) as excinfo:
        dataset.target(0)
    assert_one_line(excinfo, "2010_000004.xml", "object #1 is a horse")
