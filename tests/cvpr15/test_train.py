"""CVPR'15 weak-net training: snapshots, the row E and prior-bias initialisations, model selection on the training
split only, exact resume."""

from __future__ import annotations

import math

import pytest
import torch

from oquab_lib import cache
from oquab_lib.cvpr15 import data as cvpr15_data
from oquab_lib.cvpr15.config import Cvpr15Config
from oquab_lib.cvpr15.config import config as cvpr15_config
from oquab_lib.cvpr15.data import load_image_set
from oquab_lib.cvpr15.train import (
    build_weak_net,
    init_from_patch_head,
    init_prior_bias,
    snapshot_steps,
    train_weak,
)
from oquab_lib.errors import ConfigError
from oquab_lib.models import build_alexnet
from oquab_lib.transfer import TransferHead
from tests.fixtures import cvpr15_run

pytestmark = pytest.mark.usefixtures("one_thread")


def test_snapshot_steps_follow_the_paper_fractions():
    assert snapshot_steps(20 * 5717) == [210, 510, 4200]
    assert snapshot_steps(100) == [1, 4]  # 0.18 % and 0.45 % both round to >= 1 step; 3.7 % -> 4
    assert all(s < 10 for s in snapshot_steps(10))


def test_init_from_patch_head_makes_every_cell_the_head_log_odds():
    source = build_alexnet("smoke", 7, 1.5, seed=0)
    net = build_weak_net(source, Cvpr15Config(hidden=8), 20, seed=1).eval()
    head = TransferHead(source.fc7.out_features, 21, (8,)).eval()
    init_from_patch_head(net, head)
    fc7 = torch.rand(1, source.fc7.out_features, 1, 1)
    with torch.no_grad():
        maps = net.adaptation(fc7)[0, :, 0, 0]
        logits = head(fc7[:, :, 0, 0])[0]
    torch.testing.assert_close(maps, logits[:20] - logits[20])
    with pytest.raises(ConfigError, match="do not fit"):
        init_from_patch_head(net, TransferHead(source.fc7.out_features, 21, (9,)))


def test_prior_bias_starts_each_class_at_its_training_log_odds_ignoring_difficult_only_labels():
    net = build_weak_net(build_alexnet("smoke", 7, 1.5, seed=0), Cvpr15Config(hidden=8), 3, seed=1)
    labels = torch.tensor([[1, -1, 0], [1, -1, 0], [-1, -1, 1], [-1, -1, 0]], dtype=torch.int8)
    init_prior_bias(net, labels)
    bias = net.score_conv.bias
    # class 0: 2 of 4 positive -> 0; class 1: none -> clamped at 1e-3; class 2: 1 of 1 known -> clamped at 1 - 1e-3
    torch.testing.assert_close(bias, torch.tensor([0.0, math.log(1e-3 / 0.999), math.log(0.999 / 1e-3)]))
    with torch.no_grad():  # the score conv of a silent hidden layer outputs the priors
        torch.testing.assert_close(net.score_conv(torch.zeros(1, 8, 3, 3))[0, :, 1, 1], bias)


def test_model_selection_reads_only_the_training_split(cvpr15_world, tmp_path, monkeypatch):
    run = cvpr15_run(cvpr15_world, tmp_path)
    loaded = []
    real = cvpr15_data._records

    def spy(data_root, dataset, split, year):
        loaded.append(split)
        return real(data_root, dataset, split, year)

    monkeypatch.setattr(cvpr15_data, "_records", spy)
    result = train_weak(run, cvpr15_config(run), "weak", "voc", 0, progress=False)
    assert set(loaded) == {"train"}
    train_ids = set(load_image_set(str(cvpr15_world), "voc", "train", 40, progress=False).ids)
    assert set(result.meta["val_ids"]) <= train_ids and not set(result.meta["val_ids"]) & set(result.meta["train_ids"])
    assert {"loss", "lr", "val_mAP"} <= set(result.history.columns) and len(result.history) == 2
    assert result.meta["best_val_mAP"] == pytest.approx(result.history["val_mAP"].max())


def test_early_stopping_stops_patience_epochs_after_the_best_which_is_kept(cvpr15_world, tmp_path):
    run = cvpr15_run(cvpr15_world, tmp_path, epochs=12, patience=2, lr=0.05)
    result = train_weak(run, cvpr15_config(run), "weak", "voc", 0, progress=False)
    val = result.history["val_mAP"].tolist()
    first_best = val.index(max(val))
    assert result.best_epoch == first_best and result.meta["best_val_mAP"] == max(val)
    assert len(val) == min(12, first_best + 2 + 1) < 12, val  # stopped by the rule, not by the cap
    assert result.meta["epochs_trained"] == len(val) and result.meta["converged"]


class _Killed(Exception):
    pass


@pytest.mark.parametrize("cache_trunk", [True, False])
def test_interrupted_training_resumes_to_the_same_weights(cvpr15_world, tmp_path, monkeypatch, cache_trunk):
    run_a = cvpr15_run(cvpr15_world, tmp_path / "a", epochs=3, cache_trunk=cache_trunk)
    straight = train_weak(run_a, cvpr15_config(run_a), "weak", "voc", 0, snapshots=True, progress=False)
    import oquab_lib.train as train_module

    real_epoch, calls = train_module.train_one_epoch, []

    def dies_in_epoch_three(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise _Killed
        return real_epoch(*args, **kwargs)

    run_b = cvpr15_run(cvpr15_world, tmp_path / "b", epochs=3, cache_trunk=cache_trunk)
    monkeypatch.setattr(train_module, "train_one_epoch", dies_in_epoch_three)
    with pytest.raises(_Killed):
        train_weak(run_b, cvpr15_config(run_b), "weak", "voc", 0, snapshots=True, progress=False)
    monkeypatch.setattr(train_module, "train_one_epoch", real_epoch)
    torch.manual_seed(1234)  # a new process: the checkpoint must restore every random state
    resumed = train_weak(run_b, cvpr15_config(run_b), "weak", "voc", 0, snapshots=True, progress=False)
    a, b = (cache.load_state_dict(r.entry / "weights.pt") for r in (straight, resumed))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert straight.history["val_mAP"].tolist() == resumed.history["val_mAP"].tolist()
    assert straight.snapshot_paths().keys() == resumed.snapshot_paths().keys() and straight.snapshot_paths()


@pytest.mark.parametrize("step", ["weights-renamed", "checkpoint-removed"])
def test_a_kill_while_finalising_a_weak_net_is_completed_without_training_again(cvpr15_world, tmp_path, monkeypatch,
                                                                                 step):
    import oquab_lib.train as train_module

    run_a, run_b = cvpr15_run(cvpr15_world, tmp_path / "a"), cvpr15_run(cvpr15_world, tmp_path / "b")
    straight = train_weak(run_a, cvpr15_config(run_a), "weak", "voc", 0, progress=False)

    def fault(name: str) -> None:
        if name == step:
            raise _Killed(name)

    monkeypatch.setattr(cache, "fault_point", fault)
    with pytest.raises(_Killed):
        train_weak(run_b, cvpr15_config(run_b), "weak", "voc", 0, progress=False)
    monkeypatch.undo()
    epochs = []
    real_epoch = train_module.train_one_epoch
    monkeypatch.setattr(train_module, "train_one_epoch", lambda *a, **k: epochs.append(1) or real_epoch(*a, **k))
    resumed = train_weak(run_b, cvpr15_config(run_b), "weak", "voc", 0, progress=False)
    a, b = (cache.load_state_dict(r.entry / "weights.pt") for r in (straight, resumed))
    assert epochs == [] and all(torch.equal(a[k], b[k]) for k in a) and cache.is_complete(resumed.entry)
    assert not (resumed.entry / "checkpoint.pt").exists() and resumed.meta == straight.meta
