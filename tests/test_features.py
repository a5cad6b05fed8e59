"""Tests for oquab_lib.cvpr14.features: patch sets, the decoded-image store, crops, the band LRN and cached FC7 features."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from oquab_lib.config import resolve
from oquab_lib.cvpr14.config import Cvpr14Config
from oquab_lib.cvpr14.features import (
    SourceUnavailable,
    build_patch_set,
    crop_rows,
    image_store,
    patch_crops,
    patch_features,
    patch_inputs,
    source_network,
)
from oquab_lib.data.splits import resolve_splits
from oquab_lib.data.voc import VOCBoxes
from oquab_lib.errors import ConfigError
from oquab_lib.models import BandLRN, build_alexnet, normalization, use_band_lrn
from oquab_lib.patches import crop_patches, label_patches, tile_patches
from tests.fixtures import write_vocdevkit

USED_CLASSES = ("car", "dog", "horse", "person", "chair", "sheep")
LEAVES = [f"n{i:03d}" for i in range(6)]
SMALL = dict(scales=(1, 2), overlap_measure="side", head_hidden=(16,), batch_size=32, max_epochs=2,
             scratch_max_epochs=1, scratch_batch_size=32, num_seeds=2, feature_batch_size=64,
             table1_splits=("2007", "train", "val", "test"), table2_splits=("2012", "train", "holdout:0.3", "val"),
             table1_methods=("PRE-1000C", "RANDOM"), table2_methods=("NO PRETRAIN", "PRE-1000C", "PRE-1512"),
             ablation_hidden=((), (16,)), ablation_background=(0.2,))


def _records(prefix: str, counts: dict[str, int], seed: int) -> list[dict]:
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
                name = USED_CLASSES[int(rng.integers(len(USED_CLASSES)))]
                objects.append((name, (x1, y1, x1 + box_w - 1, y1 + box_h - 1), int(rng.random() < 0.1), 0))
            records.append({"id": f"{prefix}{len(records):06d}", "split": split, "size": (width, height),
                            "objects": objects})
    return records


def make_world(root):
    """VOC2007 (train/val/test) and VOC2012 (train/val) trees, a 6-leaf source tree and its subsets file."""
    write_vocdevkit(root, "2007", _records("", {"train": 10, "val": 8, "test": 10}, 0))
    write_vocdevkit(root, "2012", _records("2012_", {"train": 12, "val": 10}, 1))
    rng = np.random.default_rng(0)
    for c, leaf in enumerate(LEAVES):
        for split, count in (("train", 4), ("val", 2)):
            folder = root / "source" / split / leaf
            folder.mkdir(parents=True)
            for i in range(count):
                base = np.array([40 * c % 255, 255 - 40 * c, 30 * (c % 3)], dtype=np.int16)
                pixels = np.clip(base + rng.integers(-20, 20, (40, 40, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(folder / f"{leaf}_{i:04d}.JPEG")
    subsets = {"1000C": LEAVES[:3], "1000R": LEAVES[2:5], "1512": LEAVES[:4], "1512D": LEAVES[:3] + LEAVES[5:]}
    (root / "source_subsets.json").write_text(json.dumps(subsets))
    (root / "world.json").write_text(json.dumps({"scale": "test", "seed": 0}))
    return root


def make_run(root, runs_dir, profile: str = "smoke", seed: int = 0, **cvpr14):
    """A resolved smoke run on the fixture world, with a tiny source recipe and ``SMALL`` + ``cvpr14`` settings."""
    base = resolve("smoke", data_root=root, device="cpu", runs_dir=runs_dir, seed=seed)
    sections = {**base.sections, "source": dict(arch="smoke", epochs=1, batch_size=8, threads=0),
                "cvpr14": {**SMALL, **cvpr14}}
    return dataclasses.replace(base, profile=profile, sections=sections)


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny tensors: one thread is faster, and immune to other processes competing for the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return make_world(tmp_path_factory.mktemp("world"))


def test_config_names_unknown_keys():
    cfg = Cvpr14Config.from_section({"scales": [1, 2]})
    assert cfg.scales == (1, 2)
    with pytest.raises(ConfigError, match=r"cvpr14\.actions_epochs: unknown parameter"):  # actions have their section
        Cvpr14Config.from_section({"actions_epochs": 3})
    with pytest.raises(ConfigError, match=r"cvpr14\.scale: unknown parameter"):
        Cvpr14Config.from_section({"scale": 2})
    with pytest.raises(ConfigError, match="k_values"):
        Cvpr14Config(k_values=(5, "mean"))


def test_holdout_and_caps_split_images_disjointly(world):
    resolved = resolve_splits(world, ("2012", "train", "holdout:0.25", "val"), holdout_seed=3)
    train, val = resolved["train"][2], resolved["val"][2]
    all_train = VOCBoxes(world, "2012", "train").ids
    assert not set(train) & set(val) and sorted(train + val) == sorted(all_train) and len(val) == 3
    assert resolved["test"][1] == "val" and resolved["val"][1] == "train"
    assert train == [i for i in all_train if i in set(train)]  # file order kept
    capped = resolve_splits(world, ("2007", "train", "val", "test"), max_images=(4, 0, 5))
    assert len(capped["train"][2]) == 4 and len(capped["test"][2]) == 5 and len(capped["val"][2]) == 8
    with pytest.raises(ConfigError, match="holdout"):
        resolve_splits(world, ("2012", "train", "holdout:2", "val"))


def test_patch_set_labels_match_label_patches_and_are_cached(world, tmp_path, capsys):
    cfg = Cvpr14Config(scales=(1, 1.6, 3), overlap_measure="iou", partial="background")
    ids = VOCBoxes(world, "2007", "train").ids
    patch_set = build_patch_set(world, "2007", "train", ids, cfg, tmp_path)
    boxes_ds = VOCBoxes(world, "2007", "train")
    for n in range(len(ids)):
        target = boxes_ds.target(n)
        tiles = tile_patches(*target["size"], cfg.scales, cfg.min_overlap, cfg.overlap_measure)
        expected = label_patches(tiles, target["boxes"], target["labels"], 20, target["difficult"], "background")
        rows = patch_set.rows_of(n)
        assert torch.equal(patch_set.boxes[rows], tiles) and torch.equal(patch_set.labels[rows], expected)
    assert (patch_set.labels < 20).any() and (patch_set.labels == 20).any()
    assert patch_set.image_labels.shape == (len(ids), 20)
    capsys.readouterr()
    again = build_patch_set(world, "2007", "train", ids, cfg, tmp_path)
    assert "cache hit" in capsys.readouterr().out and torch.equal(again.labels, patch_set.labels)


def test_store_crops_equal_per_image_crops(world, tmp_path):
    cfg = Cvpr14Config(scales=(1, 2.5), overlap_measure="side")
    ids = VOCBoxes(world, "2007", "val").ids
    patch_set = build_patch_set(world, "2007", "val", ids, cfg, tmp_path, progress=False)
    store = image_store(patch_set, tmp_path, progress=False)
    assert store.dtype == np.uint8 and store.shape == (len(ids), 3, 64, 64)  # portrait and landscape padded
    rows = torch.arange(len(patch_set.boxes))
    mean, std = normalization("smoke")
    batched = crop_rows(store, patch_set, rows, 32, mean, std)
    for n, path in enumerate(patch_set.image_paths):
        image = torch.from_numpy(np.array(Image.open(path).convert("RGB"))).permute(2, 0, 1).float() / 255
        alone = crop_patches(image, patch_set.boxes[patch_set.rows_of(n)], None, 32, mean, std)
        torch.testing.assert_close(batched[patch_set.rows_of(n)], alone, atol=1e-5, rtol=0)


def test_crop_cache_is_the_on_the_fly_crop_to_half_a_grey_level(world, tmp_path, capsys):
    patch_set = build_patch_set(world, "2007", "test", VOCBoxes(world, "2007", "test").ids, Cvpr14Config(),
                                tmp_path, progress=False)
    mean, std = normalization("smoke")
    rows = torch.randperm(len(patch_set.boxes))[:50]
    cached = patch_inputs(patch_set, Cvpr14Config(cache_crops=True), tmp_path, 32, mean, std, progress=False)(rows)
    direct = patch_inputs(patch_set, Cvpr14Config(cache_crops=False), tmp_path, 32, mean, std, progress=False)(rows)
    assert cached.shape == direct.shape == (50, 3, 32, 32)
    assert (cached - direct).abs().max() <= 0.5 / 255 / min(std) + 1e-5
    assert patch_crops(patch_set, 32, tmp_path, progress=False).dtype == torch.uint8
    capsys.readouterr()
    patch_crops(patch_set, 32, tmp_path)
    assert "cache hit" in capsys.readouterr().out


def test_band_lrn_matches_pytorch_lrn_forward_and_backward():
    lrn = nn.LocalResponseNorm(5, alpha=1e-2, beta=0.75, k=2.0)
    x = torch.randn(3, 7, 5, 4, dtype=torch.float64, requires_grad=True)
    y = x.detach().clone().requires_grad_(True)
    torch.testing.assert_close(BandLRN(lrn)(y), lrn(x))
    lrn(x).pow(2).sum().backward()
    BandLRN(lrn)(y).pow(2).sum().backward()
    torch.testing.assert_close(y.grad, x.grad)
    net = build_alexnet("smoke", 5, seed=0)
    swapped = use_band_lrn(build_alexnet("smoke", 5, seed=0))
    assert not any(isinstance(m, nn.LocalResponseNorm) for m in swapped.modules())
    assert swapped.state_dict().keys() == net.state_dict().keys()


def test_features_are_the_frozen_fc7_and_cached_per_source(world, tmp_path, capsys):
    run = make_run(world, tmp_path / "runs")
    cfg = Cvpr14Config.from_section(run.section("cvpr14"))
    ids = VOCBoxes(world, "2007", "test").ids
    patch_set = build_patch_set(world, "2007", "test", ids, cfg, run.runs_dir, progress=False)
    key, net = source_network(run, cfg, "PRE-1000C", 0, progress=False)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    capsys.readouterr()
    features = patch_features(net, key, patch_set, cfg, run.runs_dir, progress=True)
    assert "cache miss" in capsys.readouterr().out
    assert features.shape == (len(patch_set.boxes), net.fc7.out_features)
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in before.items())
    crops = patch_inputs(patch_set, cfg, run.runs_dir, 32, *normalization("smoke"), progress=False)(torch.arange(10))
    with torch.no_grad():
        torch.testing.assert_close(features[:10], net.eval().forward_fc7(crops), atol=1e-5, rtol=1e-4)
    again = patch_features(net, key, patch_set, cfg, run.runs_dir, progress=True)
    assert "cache hit" in capsys.readouterr().out and torch.equal(again, features)
    skipped = patch_features(net, key, patch_set, cfg, run.runs_dir, skip_excluded=True, progress=False)
    excluded = patch_set.labels == -1
    assert excluded.any() and (skipped[excluded] == 0).all()  # never used for training: not computed
    torch.testing.assert_close(skipped[~excluded], features[~excluded])
    other_key, other = source_network(run, cfg, "RANDOM", 0)
    patch_features(other, other_key, patch_set, cfg, run.runs_dir, progress=True)
    assert "cache miss" in capsys.readouterr().out  # another source network never reuses these features


def test_full_profile_sources_are_skipped_with_a_reason(world, tmp_path):
    run = make_run(world, tmp_path, profile="full", weights_path=str(tmp_path / "missing.pth"))
    cfg = Cvpr14Config.from_section(run.section("cvpr14"))
    with pytest.raises(SourceUnavailable, match="source_entries"):
        source_network(run, cfg, "PRE-1512", 0)
    with pytest.raises(ConfigError, match="missing.pth"):  # a file the user named fails loudly, not skipped
        source_network(run, cfg, "PRE-1000C", 0)
    with pytest.raises(ConfigError, match="accepted"):
        source_network(run, cfg, "PRE-9000", 0)
