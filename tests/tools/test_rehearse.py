"""The full-profile rehearsal's set-up (the chapters themselves run in `make rehearse-quick`, a step of `make test`)."""

from __future__ import annotations

import json

from oquab_lib.data.coco import check_coco_root
from oquab_lib.models import build_alexnet, load_imagenet_weights
from oquab_lib.tools.rehearse import SHRINK, make_tree, write_random_alexnet


def test_the_tree_has_the_real_layouts_and_coco_2014_names(tmp_path):
    world = tmp_path / "world"
    (world / "VOCdevkit" / "VOC2012").mkdir(parents=True)
    for split in ("train", "val"):
        (world / "coco" / split).mkdir(parents=True)
        (world / "coco" / "annotations").mkdir(exist_ok=True)
        (world / "coco" / "annotations" / f"instances_{split}.json").write_text(json.dumps({"images": []}))
    root = make_tree(world, tmp_path / "data")
    assert (root / "VOCdevkit" / "VOC2012").is_dir()
    image_dir, ann_file = check_coco_root(root / "coco", "val2014")
    assert image_dir.name == "val2014" and ann_file.name == "instances_val2014.json"


def test_random_weights_load_as_imagenet_weights_and_are_seeded(tmp_path):
    first = write_random_alexnet(tmp_path / "a.pth", seed=3)
    second = write_random_alexnet(tmp_path / "b.pth", seed=3)
    net = load_imagenet_weights(build_alexnet("full", 1000), first)
    other = load_imagenet_weights(build_alexnet("full", 1000), second)
    assert all((p == q).all() for p, q in zip(net.parameters(), other.parameters()))


def test_shrink_overrides_are_lists_and_known_sections():
    # papermill passes parameters as literals: a tuple would arrive as its repr string
    assert all(not isinstance(v, tuple) for v in SHRINK.values())
    assert {key.split(".")[0] for key in SHRINK} <= {"cvpr14", "actions", "cvpr15"}
