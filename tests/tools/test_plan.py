"""The disk planner (oquab_lib/disk.py, oquab_lib/tools/plan.py): sizes from the resolved config, the free-space check."""

from __future__ import annotations

import shutil
from collections import namedtuple

import pytest

from oquab_lib import disk
from oquab_lib.config import profile_sections
from oquab_lib.cvpr14.config import Cvpr14Config
from oquab_lib.errors import DiskFullError
from oquab_lib.patches import PAPER_SCALES, tile_patches
from oquab_lib.tools import plan


def _full(**changes) -> Cvpr14Config:
    section = profile_sections("full")["cvpr14"]
    section.update(changes)
    return Cvpr14Config.from_section(section)


def test_array_bytes_and_human_units():
    assert disk.array_bytes((10, 4096), "float16") == 10 * 4096 * 2
    assert disk.array_bytes((2, 3, 5, 5), "uint8") == 150
    assert disk.human(42_600_000_000) == "42.6 GB" and disk.human(999) == "999 B"


def test_split_images_follow_holdout_and_caps():
    assert plan.split_images(("2007", "train", "val", "test")) == {"train": 2501, "val": 2510, "test": 4952}
    assert plan.split_images(("2012", "train", "holdout:0.2", "val")) == {"train": 4574, "val": 1143, "test": 5823}
    assert plan.split_images(("2007", "train", "val", "test"), (100, 0, 50)) == {"train": 100, "val": 2510,
                                                                                   "test": 50}


def test_full_profile_feature_cache_matches_the_tiling_and_dtype():
    cfg = _full()
    per_image = len(tile_patches(500, 375, PAPER_SCALES))
    assert plan.patches_per_image(cfg) == per_image == 512
    table = plan.cvpr14_disk(cfg)
    images = 2501 + 2510 + 4952
    assert table.loc["Table 1", "patches"] == images * per_image
    assert table.loc["Table 1", "per_network"] == images * per_image * 4096 * 2  # float16 FC7, ~42 GB
    assert table.loc["Table 1", "networks"] == 1 + cfg.num_seeds  # PRE-1000C + RANDOM's seeds
    assert table.loc["Table 2", "networks"] == 1  # PRE-1000C only: no user source entries
    assert table.loc["Table 1", "inputs"] == images * 3 * 500 * 500  # cache_crops=False: the decoded images
    assert plan.cvpr14_disk(_full(feature_dtype="float32")).loc["Table 1", "per_network"] == 2 * table.loc[
        "Table 1", "per_network"]


def test_smaller_configs_plan_less_and_user_networks_count():
    small = plan.cvpr14_disk(_full(scales=(1, 2), max_images=(10, 10, 10)))
    assert small.loc["Table 1", "images"] == 30
    assert small.loc["Table 1", "patches"] == 30 * len(tile_patches(500, 375, (1, 2)))
    more = plan.cvpr14_disk(_full(source_entries={"1512": "/x", "1000R": "/y"}))
    assert more.loc["Table 2", "networks"] == 3
    gb = plan.full_profile_disk()
    assert 40 < gb.loc["Table 1", "per_network"] < 45 and gb.loc["Table 2", "total"] > 50


def test_check_free_space_names_the_folder_and_the_need(tmp_path, monkeypatch):
    disk.check_free_space(tmp_path / "not-yet" / "made", 1000, "a small file")  # nearest existing parent
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**12, 10**12 - 10**9, 10**9))
    with pytest.raises(DiskFullError, match=r"not enough disk for the FC7 features of X in .*work: needs 42\.0 GB, "
                                          r"1\.0 GB free; .*runs_dir") as caught:
        disk.check_free_space(tmp_path / "work", 40 * 10**9, "the FC7 features of X")
    assert "\n" not in str(caught.value)


def test_feature_extraction_checks_space_before_writing(tmp_path, monkeypatch):
    """patch_features stops before any compute when the cache folder is too small (the check runs in compute)."""
    import torch

    from oquab_lib.cvpr14 import features
    from oquab_lib.models import build_alexnet

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**6, 10**6 - 10, 10))
    monkeypatch.setattr(features, "patch_inputs", lambda *a, **k: pytest.fail("computed before the check"))
    patch_set = features.PatchSet("VOC2007-test", {"ids": "x"}, ["a"], [tmp_path / "a.jpg"],
                                  torch.tensor([[50, 40]]), torch.zeros(1, 20, dtype=torch.int8),
                                  torch.zeros(5, 4), torch.zeros(5, dtype=torch.int64), torch.zeros(5, dtype=torch.int64))
    cfg = Cvpr14Config.from_section(profile_sections("smoke")["cvpr14"])
    with pytest.raises(DiskFullError, match="not enough disk for the FC7 features of VOC2007-test"):
        features.patch_features(build_alexnet("smoke", 10), "net", patch_set, cfg, tmp_path / "runs", progress=False)
