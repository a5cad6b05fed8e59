"""Tests for oquab_lib.source.pretrain on a tiny hand-made source tree (no generated world needed)."""

from __future__ import annotations

import pytest
import torch

from oquab_lib.data.fingerprint import world_fingerprint
from oquab_lib.errors import ConfigError, DataError
from oquab_lib.source import data as source_data
from oquab_lib.source import pretrain
from oquab_lib.source.config import SourceConfig
from oquab_lib.source.data import DecodedBatches, variant_samples
from oquab_lib.source.pretrain import load_source_network, train_source
from tests.fixtures import write_source_tree


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return write_source_tree(tmp_path_factory.mktemp("world"))


def _cfg(**kwargs):
    base = dict(arch="smoke", epochs=2, batch_size=8, lr=0.01, threads=0)
    return SourceConfig(**{**base, **kwargs})


def test_pretrain_source_writes_complete_entry_then_hits_cache(tree, tmp_path, capsys):
    result = train_source(_cfg(), "1000C", seed=0, data_root=tree, runs_dir=tmp_path, progress=True)
    assert "cache miss" in capsys.readouterr().out
    entry = result.entry
    assert (entry / "COMPLETE").is_file() and result.weights_path.is_file()
    assert not (entry / "checkpoint.pt").exists()
    assert list(result.history.index) == [0, 1]
    assert {"loss", "val_top1", "val_top5", "val_loss"} <= set(result.history.columns)
    assert result.history["val_top5"].between(0, 100).all()
    assert (result.history["val_top5"] >= result.history["val_top1"]).all()
    assert (result.num_classes, result.num_train_images, result.num_val_images) == (3, 15, 6)

    again = train_source(_cfg(), "1000C", seed=0, data_root=tree, runs_dir=tmp_path)
    assert "cache hit" in capsys.readouterr().out
    assert again.entry == entry
    assert again.history.equals(result.history)


def test_1512_and_1512D_are_widened_and_load_back(tree, tmp_path):
    narrow = train_source(_cfg(epochs=1), "1000R", seed=0, data_root=tree, runs_dir=tmp_path, progress=False)
    wide = train_source(_cfg(epochs=1), "1512D", seed=0, data_root=tree, runs_dir=tmp_path, progress=False)
    assert wide.fc_width == round(1.5 * narrow.fc_width)
    assert narrow.num_train_images == 3 * 3  # the subsets file's cap
    assert wide.num_classes == 4
    net = load_source_network(wide.entry)
    assert net.fc7.out_features == wide.fc_width and net.fc8.out_features == 4
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 4)
    assert pretrain.fc_width_mult(_cfg(), "1512") == 1.5


def test_interrupted_pretraining_resumes_to_the_same_weights(tree, tmp_path, monkeypatch):
    straight = train_source(_cfg(), "1000C", seed=3, data_root=tree, runs_dir=tmp_path / "a", progress=False)
    calls = {"n": 0}
    real_evaluate = pretrain.evaluate

    def dies_on_second_validation(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(pretrain, "evaluate", dies_on_second_validation)
    with pytest.raises(KeyboardInterrupt):
        train_source(_cfg(), "1000C", seed=3, data_root=tree, runs_dir=tmp_path / "b", progress=False)
    assert list((tmp_path / "b").glob(".source-1000C-s3-*.partial/checkpoint.pt"))
    monkeypatch.setattr(pretrain, "evaluate", real_evaluate)
    resumed = train_source(_cfg(), "1000C", seed=3, data_root=tree, runs_dir=tmp_path / "b", progress=False)
    a, b = straight.network().state_dict(), resumed.network().state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_decoded_and_pil_paths_give_the_same_validation_batches(tree, tmp_path):
    cfg = _cfg()
    _, val_decoded = source_data.decoded_loaders(cfg, tree, "1512", tmp_path, progress=False)
    _, val_folder = source_data.folder_loaders(cfg, tree, "1512", torch.device("cpu"))
    x_dec, y_dec = next(iter(val_decoded))
    x_pil, y_pil = next(iter(val_folder))
    n = min(len(y_dec), len(y_pil))
    assert x_dec.shape[1:] == (3, 32, 32)
    assert torch.equal(y_dec[:n], y_pil[:n])
    assert torch.allclose(x_dec[:n], x_pil[:n], atol=1e-5)


def test_decoded_batches_crop_windows_and_flips_are_seeded():
    images = torch.arange(2 * 3 * 6 * 6, dtype=torch.float32).view(2, 3, 6, 6).to(torch.uint8)
    windows = [images[i, :, t : t + 4, l : l + 4].float() for i in range(2) for t in range(3) for l in range(3)]
    loader = DecodedBatches(images, torch.tensor([0, 1]), 2, 4, (0, 0, 0), (1 / 255,) * 3, train=True, seed=5)
    crops = [crop for _ in range(8) for x, _ in loader for crop in x]
    plain = sum(any(torch.equal(c, w) for w in windows) for c in crops)
    mirrored = sum(any(torch.equal(c, w.flip(-1)) for w in windows) for c in crops)
    assert plain + mirrored == len(crops) == 16  # every crop is a 4x4 window, possibly mirrored
    assert 0 < mirrored < 16
    same_seed = DecodedBatches(images, torch.tensor([0, 1]), 2, 4, (0, 0, 0), (1 / 255,) * 3, train=True, seed=5)
    assert torch.equal(next(iter(same_seed))[0], torch.stack(crops[:2]))


def test_1000R_cap_and_subsets_errors(tree, tmp_path):
    assert len(variant_samples(tree, "1000R", "train")) == 3 * 3
    assert len(variant_samples(tree, "1000R", "train", cap=2)) == 3 * 2  # the config's cap wins
    assert len(variant_samples(tree, "1000R", "val", cap=2)) == 3 * 2  # the cap is for training images only
    with pytest.raises(ConfigError, match="accepted"):
        variant_samples(tree, "2000X", "train")
    with pytest.raises(DataError, match="source_subsets.json"):
        variant_samples(tmp_path, "1512", "train")
    with pytest.raises(ConfigError, match="source.bogus"):
        SourceConfig.from_section({"arch": "smoke", "bogus": 1})


def test_world_fingerprint_follows_world_json(tmp_path):
    (tmp_path / "world.json").write_text("{}")
    before = world_fingerprint(tmp_path)
    (tmp_path / "world.json").write_text('{"seed": 1}')
    assert world_fingerprint(tmp_path) != before


@pytest.mark.parametrize("profile", ["smoke", "quick", "full"])
def test_every_profile_source_section_builds_a_config(profile):
    from oquab_lib.config import PROFILES

    cfg = SourceConfig.from_section(PROFILES[profile]["source"])
    assert cfg.crop < cfg.resize_side <= 2 * cfg.crop


def test_torchvision_alexnet_needs_local_weights(tmp_path):
    with pytest.raises(ConfigError, match="weights not found"):
        pretrain.torchvision_alexnet_1000C(tmp_path / "missing.pth")
