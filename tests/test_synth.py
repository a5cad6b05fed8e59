"""The synthetic mini world (smoke size): real readers read it, labels follow the devkit rule, generation is
deterministic, and the pretraining subsets have the documented ratios."""

from __future__ import annotations

import hashlib
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from oquab_lib.data.classes import (
    COCO_CLASSES,
    TARGETED_BY_1512,
    VOC_ACTIONS,
    VOC_CLASSES,
)
from oquab_lib.data.synth import (
    WorldConfig,
    class_coverage,
    ensure_world,
    sample_grid,
    source_statistics,
    world_statistics,
)
from oquab_lib.errors import ConfigError


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return ensure_world(tmp_path_factory.mktemp("w") / "miniworld-smoke", "smoke", seed=0, workers=1, verbose=False)


def file_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_same_seed_is_byte_identical_whatever_the_workers_and_other_seed_differs(world, tmp_path):
    again = ensure_world(tmp_path / "again", "smoke", seed=0, workers=2, verbose=False)
    first, second = file_hashes(world), file_hashes(again)
    assert len(first) > 300 and first == second
    other = file_hashes(ensure_world(tmp_path / "other", "smoke", seed=1, workers=1, verbose=False))
    images = [k for k in first if k.endswith((".jpg", ".JPEG"))]
    same = sum(other.get(k) == first[k] for k in images)
    assert same < 0.01 * len(images)


@pytest.mark.slow
def test_an_incomplete_world_is_never_trusted(world, tmp_path):
    root = tmp_path / "w"
    shutil.copytree(world, root)
    (root / "COMPLETE").unlink()  # as if the generation had been killed before its last step
    stale = tmp_path / f".w.partial-{WorldConfig.from_any('smoke').hash(0)}-999999999"
    stale.mkdir()  # the work folder of a killed run (no such process)
    stamp = (root / "world.json").stat().st_mtime_ns
    ensure_world(root, "smoke", seed=0, workers=1, verbose=False)
    assert (root / "COMPLETE").is_file() and (root / "world.json").stat().st_mtime_ns != stamp
    assert not stale.exists() and not list(tmp_path.glob(".w.partial-*"))


def test_cache_hit_and_bad_inputs(world, tmp_path, capsys):
    stamp = (world / "world.json").stat().st_mtime_ns
    assert ensure_world(world, "smoke", seed=0, verbose=True) == world
    assert "cache hit" in capsys.readouterr().out and (world / "world.json").stat().st_mtime_ns == stamp
    with pytest.raises(ConfigError, match="unknown key"):
        WorldConfig.from_any({"scale": "smoke", "leaves": 3})
    with pytest.raises(ConfigError, match="difficulty"):
        WorldConfig(difficulty=2.0)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(ConfigError, match="refusing"):
        ensure_world(tmp_path / "mine", "smoke")
    assert ensure_world(tmp_path / "real", "full") == tmp_path / "real" and not (tmp_path / "real").exists()


def test_torchvision_reads_both_voc_trees(world):
    from torchvision.datasets import VOCDetection

    for year, split, n in (("2007", "trainval", 24), ("2007", "test", 24), ("2012", "train", 24),
                           ("2012", "val", 24)):
        data = VOCDetection(str(world), year=year, image_set=split, download=False)
        assert len(data) == n
        image, target = data[0]
        ann = target["annotation"]
        assert image.size == (int(ann["size"]["width"]), int(ann["size"]["height"]))
        assert ann["object"] and all(o["name"] in VOC_CLASSES for o in ann["object"])
        for o in ann["object"]:
            box = o["bndbox"]
            assert 1 <= int(box["xmin"]) <= int(box["xmax"]) <= image.size[0]
            assert 1 <= int(box["ymin"]) <= int(box["ymax"]) <= image.size[1]
            assert o["difficult"] in ("0", "1") and o["pose"] in ("Left", "Right", "Unspecified")
        if year == "2012":
            assert all("occluded" in o for o in ann["object"])


def test_main_class_files_follow_the_devkit_rule(world):
    for year, splits in (("2007", ("trainval", "test", "train", "val")), ("2012", ("train", "val", "trainval", "test"))):
        devkit = world / "VOCdevkit" / f"VOC{year}"
        for split in splits:
            ids = (devkit / "ImageSets" / "Main" / f"{split}.txt").read_text().split()
            difficult_by_image = {}
            for image_id in ids:
                root = ET.parse(devkit / "Annotations" / f"{image_id}.xml").getroot()
                difficult_by_image[image_id] = [(o.find("name").text, o.find("difficult").text == "1")
                                                for o in root.findall("object")]
            for cls in VOC_CLASSES:
                written = [line.split() for line in (devkit / "ImageSets" / "Main" / f"{cls}_{split}.txt")
                           .read_text().splitlines()]
                assert [w[0] for w in written] == ids
                for image_id, label in written:
                    flags = [d for name, d in difficult_by_image[image_id] if name == cls]
                    expected = -1 if not flags else (1 if not all(flags) else 0)
                    assert int(label) == expected, (year, split, cls, image_id)


def test_voc_trees_have_variety(world):
    meta = json.loads((world / "world.json").read_text())["counts"]
    total = meta["voc07"]["objects"] + meta["voc12"]["objects"]
    assert total >= 150 and 0 < meta["voc07"]["difficult_fraction"] < 0.5
    assert 0 < meta["voc12"]["truncated_fraction"] < 0.9
    stats = world_statistics(world, datasets=("voc07", "voc12"))
    assert len(stats.index.get_level_values("cls").unique()) >= 12
    assert {"images", "objects", "difficult_fraction", "size_median"} <= set(stats.columns)


@pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools.*")
def test_pycocotools_reads_the_coco_analog(world):
    from pycocotools.coco import COCO

    for split, n in (("train", 24), ("val", 16)):
        coco = COCO(str(world / "coco" / "annotations" / f"instances_{split}.json"))
        cats = coco.loadCats(coco.getCatIds())
        assert [c["name"] for c in cats] == list(COCO_CLASSES) and max(c["id"] for c in cats) == 90
        assert len(coco.getImgIds()) == n and len(coco.getAnnIds()) >= 2 * n
        for ann in coco.loadAnns(coco.getAnnIds()):
            img = coco.loadImgs(ann["image_id"])[0]
            x, y, w, h = ann["bbox"]
            assert 0 <= x and 0 <= y and x + w <= img["width"] and y + h <= img["height"] and ann["iscrowd"] == 0
            assert (world / "coco" / split / img["file_name"]).is_file()
            assert coco.annToMask(ann).sum() > 0


def _ancestors(nodes: dict, node: str):
    while node is not None:
        yield node
        node = nodes[node]["parent"]


def test_pretraining_subsets_have_the_documented_ratios(world):
    subsets = json.loads((world / "source_subsets.json").read_text())
    nodes = {n["id"]: n for n in json.loads((world / "taxonomy.json").read_text())}
    targeted = set(subsets["targeted_superclasses"].values())
    under_targeted = {leaf: bool(targeted & set(_ancestors(nodes, leaf))) for leaf in nodes}
    base, b1512, b1512d, r1000 = (set(subsets[v]) for v in ("1000C", "1512", "1512D", "1000R"))
    assert len(b1512) == len(base) + round(0.512 * len(base)) and base < b1512 and base < b1512d
    assert all(under_targeted[leaf] for leaf in b1512 - base)
    assert len(b1512d) == len(b1512) and not any(under_targeted[leaf] for leaf in b1512d - base)
    counts = subsets["counts"]
    assert counts["1512D"]["train_images"] == counts["1512"]["train_images"]
    assert len(r1000) == len(base) and counts["1000R"]["train_images"] < counts["1000C"]["train_images"]
    assert 0.6 <= counts["1000R"]["train_cap_per_class"] / counts["1000C"]["train_cap_per_class"] < 1.0
    for leaf in base | b1512 | b1512d | r1000:
        assert len(list((world / "source" / "train" / leaf).glob("*.JPEG"))) >= counts["1000C"]["train_cap_per_class"]
    used = base | b1512 | b1512d | r1000
    bindings = json.loads((world / "bindings.json").read_text())
    for name, node in bindings["voc"].items():  # transfer is never identity: every class has target-only leaves
        leaves = [n for n, v in nodes.items() if v["kind"] == "leaf" and node in _ancestors(nodes, n)]
        assert leaves and set(leaves) - used, name
    assert source_statistics(world).loc["1512", "targeted_classes"] > source_statistics(world).loc["1000C",
                                                                                                   "targeted_classes"]
    coverage = class_coverage(world)
    targeted_voc = list(TARGETED_BY_1512)
    assert (coverage.loc[targeted_voc, "1512D"] == coverage.loc[targeted_voc, "1000C"]).all()
    assert (coverage["1512"] >= coverage["1000C"]).all() and (coverage["heldout"] >= 1).all()


def test_source_tree_is_an_imagefolder(world):
    from torchvision.datasets import ImageFolder

    data = ImageFolder(str(world / "source" / "train"))
    image, label = data[0]
    assert image.size == (36, 36) and len(data.classes) == json.loads((world / "world.json").read_text())[
        "counts"]["source_leaves"]


def test_action_files_agree_with_the_xml_flags(world):
    devkit = world / "VOCdevkit" / "VOC2012"
    persons = multi = 0
    for split in ("train", "val", "trainval", "test"):
        ids = (devkit / "ImageSets" / "Action" / f"{split}.txt").read_text().split()
        flags = {}
        for image_id in ids:
            root = ET.parse(devkit / "Annotations" / f"{image_id}.xml").getroot()
            for k, obj in enumerate(root.findall("object"), start=1):
                assert obj.find("name").text == "person"
                flags[(image_id, k)] = {a.tag: a.text == "1" for a in obj.find("actions")}
        for action in VOC_ACTIONS:
            lines = (devkit / "ImageSets" / "Action" / f"{action}_{split}.txt").read_text().splitlines()
            written = {(i, int(k)): int(label) for i, k, label in map(str.split, lines)}
            assert written == {key: 1 if f[action] else -1 for key, f in flags.items()}
        if split in ("trainval", "test"):
            persons += len(flags)
            multi += sum(sum(f[a] for a in VOC_ACTIONS) > 1 for f in flags.values())
            assert all(sum(f[a] for a in VOC_ACTIONS) > 0 or f["other"] for f in flags.values())
    assert persons >= 40 and multi >= 1


def test_figure_helpers_draw(world):
    import matplotlib.pyplot as plt

    for kind in ("source", "voc", "action", "coco"):
        fig = sample_grid(world, kind, **({"per_row": 3} if kind == "source" else {"n": 4}))
        assert fig.axes
        plt.close(fig)


def test_size_quartiles_sentence():
    import pandas as pd

    from oquab_lib.data.synth import size_quartiles

    tables = {"a": pd.DataFrame({"rel_size": [0.1, 0.2, 0.3, 0.4, 0.5]}), "b": pd.DataFrame({"rel_size": [1.0]})}
    assert size_quartiles(tables) == "a 0.20 / 0.30 / 0.40; b 1.00 / 1.00 / 1.00"
