"""Tests for oquab_lib.cvpr14.features: patch sets, the decoded-image store, crops, the band LRN and cached FC7 features."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

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
from tests.fixtures import cvpr14_run

pytestmark = pytest.mark.usefixtures("one_thread")



def test_config_names_unknown_keys():
    cfg = Cvpr14Config.from_section({"scales": [1, 2]})
    assert cfg.scales == (1, 2)
    with pytest.raises(ConfigError, match=r"cvpr14\.actions_epochs: unknown parameter"):  # actions have their section
        Cvpr14Config.from_section({"actions_epochs": 3})
    with pytest.raises(ConfigError, match=r"cvpr14\.scale: unknown parameter"):
        Cvpr14Config.from_section({"scale": 2})
    with pytest.raises(ConfigError, match="k_values"):
        Cvpr14Config(k_values=(5, "mean"))


def test_holdout_and_caps_split_images_disjointly(cvpr14_world):
    resolved = resolve_splits(cvpr14_world, ("2012", "train", "holdout:0.25", "val"), holdout_seed=3)
    train, val = resolved["train"][2], resolved["val"][2]
    all_train = VOCBoxes(cvpr14_world, "2012", "train").ids
    assert not set(train) & set(val) and sorted(train + val) == sorted(all_train) and len(val) == 3
    assert resolved["test"][1] == "val" and resolved["val"][1] == "train"
    assert train == [i for i in all_train if i in set(train)]  # file order kept
    capped = resolve_splits(cvpr14_world, ("2007", "train", "val", "test"), max_images=(4, 0, 5))
    assert len(capped["train"][2]) == 4 and len(capped["test"][2]) == 5 and len(capped["val"][2]) == 8
    with pytest.raises(ConfigError, match="holdout"):
        resolve_splits(cvpr14_world, ("2012", "train", "holdout:2", "val"))


def test_patch_set_labels_match_label_patches_and_are_cached(cvpr14_world, tmp_path, capsys):
    cfg = Cvpr14Config(scales=(1, 1.6, 3), overlap_measure="iou", partial="background")
    ids = VOCBoxes(cvpr14_world, "2007", "train").ids
    patch_set = build_patch_set(cvpr14_world, "2007", "train", ids, cfg, tmp_path)
    boxes_ds = VOCBoxes(cvpr14_world, "2007", "train")
    for n in range(len(ids)):
        target = boxes_ds.target(n)
        tiles = tile_patches(*target["size"], cfg.scales, cfg.min_overlap, cfg.overlap_measure)
        expected = label_patches(tiles, target["boxes"], target["labels"], 20, target["difficult"], "background")
        rows = patch_set.rows_of(n)
        assert torch.equal(patch_set.boxes[rows], tiles) and torch.equal(patch_set.labels[rows], expected)
    assert (patch_set.labels < 20).any() and (patch_set.labels == 20).any()
    assert patch_set.image_labels.shape == (len(ids), 20)
    capsys.readouterr()
    again = build_patch_set(cvpr14_world, "2007", "train", ids, cfg, tmp_path)
    assert "cache hit" in capsys.readouterr().out and torch.equal(again.labels, patch_set.labels)


def test_store_crops_equal_per_image_crops(cvpr14_world, tmp_path):
    cfg = Cvpr14Config(scales=(1, 2.5), overlap_measure="side")
    ids = VOCBoxes(cvpr14_world, "2007", "val").ids
    patch_set = build_patch_set(cvpr14_world, "2007", "val", ids, cfg, tmp_path, progress=False)
    store = image_store(patch_set, tmp_path, progress=False)
    assert store.dtype == np.uint8 and store.shape == (len(ids), 3, 64, 64)  # portrait and landscape padded
    rows = torch.arange(len(patch_set.boxes))
    mean, std = normalization("smoke")
    batched = crop_rows(store, patch_set, rows, 32, mean, std)
    for n, path in enumerate(patch_set.image_paths):
        image = torch.from_numpy(np.array(Image.open(path).convert("RGB"))).permute(2, 0, 1).float() / 255
        alone = crop_patches(image, patch_set.boxes[patch_set.rows_of(n)], None, 32, mean, std)
        torch.testing.assert_close(batched[patch_set.rows_of(n)], alone, atol=1e-5, rtol=0)


def test_crop_cache_is_the_on_the_fly_crop_to_half_a_grey_level(cvpr14_world, tmp_path, capsys):
    ids = VOCBoxes(cvpr14_world, "2007", "test").ids
    patch_set = build_patch_set(cvpr14_world, "2007", "test", ids, Cvpr14Config(),
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


def test_features_are_the_frozen_fc7_and_cached_per_source(cvpr14_world, tmp_path, capsys):
    run = cvpr14_run(cvpr14_world, tmp_path / "runs")
    cfg = Cvpr14Config.from_section(run.section("cvpr14"))
    ids = VOCBoxes(cvpr14_world, "2007", "test").ids
    patch_set = build_patch_set(cvpr14_world, "2007", "test", ids, cfg, run.runs_dir, progress=False)
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


def test_full_profile_sources_are_skipped_with_a_reason(cvpr14_world, tmp_path):
    run = cvpr14_run(cvpr14_world, tmp_path, profile="full", weights_path=str(tmp_path / "missing.pth"))
    cfg = Cvpr14Config.from_section(run.section("cvpr14"))
    with pytest.raises(SourceUnavailable, match="source_entries"):
        source_network(run, cfg, "PRE-1512", 0)
    with pytest.raises(ConfigError, match="missing.pth"):  # a file the user named fails loudly, not skipped
        source_network(run, cfg, "PRE-1000C", 0)
    with pytest.raises(ConfigError, match="accepted"):
        source_network(run, cfg, "PRE-9000", 0)
