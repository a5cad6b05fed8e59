"""Tests for oquab_lib.train: exact resume after a kill, the CVPR'14 plateau rule, early stopping on a validation
metric, top-k counting."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from oquab_lib.cache import load_state_dict
from oquab_lib.stopping import EarlyStopping, PlateauRule
from oquab_lib.train import CHECKPOINT_NAME, evaluate, fit, topk_correct


def _data() -> TensorDataset:
    gen = torch.Generator().manual_seed(123)
    images = torch.randn(48, 3, 8, 8, generator=gen)
    labels = torch.randint(0, 4, (48,), generator=gen)
    return TensorDataset(images, labels)


def _setup(init_seed: int, scheduler_kind: str = "step"):
    """Fresh objects, as a new process would build them (the init seed differs to prove the checkpoint wins)."""
    torch.manual_seed(init_seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(192, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    if scheduler_kind == "step":
        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1, 2], gamma=0.5)
    else:
        scheduler = PlateauRule(optimizer, rel_tol=0.5, max_drops=1, max_epochs=10)
    loader = DataLoader(_data(), batch_size=8, shuffle=True, generator=torch.Generator())
    return model, optimizer, scheduler, loader


def _val_fn(loader):
    return lambda model, epoch: evaluate(model, loader, "cpu", progress=False)


class _Killed(Exception):
    pass


@pytest.mark.parametrize("scheduler_kind", ["step", "plateau"])
def test_resume_after_kill_gives_identical_weights(tmp_path, scheduler_kind):
    model, optimizer, scheduler, loader = _setup(0, scheduler_kind)
    straight = fit(model, optimizer, loader, val_fn=_val_fn(loader), epochs=3, work_dir=tmp_path / "a",
                   scheduler=scheduler, seed=7, progress=False)

    model_b, optimizer_b, scheduler_b, loader_b = _setup(0, scheduler_kind)

    def dies_in_third_epoch(net, epoch):
        if epoch == 2:  # after epoch 2's training, before its checkpoint: the last saved epoch is 1
            raise _Killed
        return _val_fn(loader_b)(net, epoch)

    with pytest.raises(_Killed):
        fit(model_b, optimizer_b, loader_b, val_fn=dies_in_third_epoch, epochs=3, work_dir=tmp_path / "b",
            scheduler=scheduler_b, seed=7, progress=False)
    assert load_state_dict(tmp_path / "b" / CHECKPOINT_NAME)["epoch"] == 1

    torch.manual_seed(999)  # a "new process": different global RNG, different init; the checkpoint must restore all
    model_c, optimizer_c, scheduler_c, loader_c = _setup(1, scheduler_kind)
    resumed = fit(model_c, optimizer_c, loader_c, val_fn=_val_fn(loader_c), epochs=3, work_dir=tmp_path / "b",
                  scheduler=scheduler_c, seed=7, progress=False)

    assert len(resumed) == len(straight) == 3
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, model_c.state_dict()[name]), name
    assert [r["loss"] for r in resumed] == [r["loss"] for r in straight]
    assert resumed[-1]["val_top1"] == straight[-1]["val_top1"]


def test_fit_seed_makes_runs_repeatable_and_different_seeds_differ(tmp_path):
    losses = []
    for run, seed in enumerate([3, 3, 4]):
        model, optimizer, scheduler, loader = _setup(0)
        history = fit(model, optimizer, loader, epochs=2, work_dir=tmp_path / str(run), scheduler=scheduler, seed=seed,
                      progress=False)
        losses.append([row["loss"] for row in history])
    assert losses[0] == losses[1]
    assert losses[0] != losses[2]


def test_finished_run_is_not_retrained(tmp_path):
    model, optimizer, scheduler, loader = _setup(0)
    fit(model, optimizer, loader, epochs=2, work_dir=tmp_path, scheduler=scheduler, progress=False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    history = fit(model, optimizer, loader, epochs=2, work_dir=tmp_path, scheduler=scheduler, progress=False)
    assert len(history) == 2
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())


def _run_rule(losses, **kwargs):
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.01)
    rule = PlateauRule(optimizer, **kwargs)
    lrs, stop_at = [], None
    for epoch, loss in enumerate(losses, start=1):
        stop = rule.step(loss)
        lrs.append(optimizer.param_groups[0]["lr"])
        if stop:
            stop_at = epoch
            break
    return rule, lrs, stop_at


def test_plateau_rule_drops_three_times_then_stops_at_next_plateau():
    # improving, plateau (drop 1), improving, plateau (drop 2), plateau (drop 3), improving, plateau (stop)
    losses = [4.0, 3.0, 2.99, 2.0, 1.5, 1.49, 1.485, 1.2, 1.195, 1.0]
    rule, lrs, stop_at = _run_rule(losses, rel_tol=0.01, patience=1, max_drops=3)
    assert rule.drop_epochs == [3, 6, 7]
    assert stop_at == 9 and "plateau after 3 drops" in rule.stop_reason
    assert lrs[:3] == pytest.approx([0.01, 0.01, 0.001])
    assert lrs[-1] == pytest.approx(1e-5)


def test_plateau_rule_patience_counts_consecutive_epochs_without_improvement():
    losses = [2.0, 1.0, 1.5, 0.98, 0.99, 0.975]  # 0.975 is not 1% below the best (0.98): the 2nd bad epoch in a row
    assert _run_rule(losses, patience=1, max_drops=0)[2] == 3  # one bad epoch is enough
    rule, _, stop_at = _run_rule(losses, patience=2, max_drops=0)
    assert stop_at == 6 and rule.bad_epochs == 2


def test_plateau_rule_max_epochs_cap_and_state_roundtrip():
    rule, _, stop_at = _run_rule([10.0 / (i + 1) for i in range(20)], max_epochs=5)
    assert stop_at == 5 and "max_epochs" in rule.stop_reason
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.01)
    copy = PlateauRule(optimizer, max_epochs=5)
    copy.load_state_dict(rule.state_dict())
    assert copy.state_dict() == rule.state_dict()


def test_plateau_rule_rejects_bad_parameters_and_stops_on_nan():
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.01)
    with pytest.raises(ValueError, match="factor"):
        PlateauRule(optimizer, factor=2.0)
    assert PlateauRule(optimizer).step(float("nan"))


def test_topk_correct_counts_and_clamps_k():
    logits = torch.tensor([[0.1, 0.9, 0.0], [0.8, 0.1, 0.2], [0.3, 0.2, 0.5]])
    targets = torch.tensor([1, 2, 0])
    assert topk_correct(logits, targets, (1, 2, 5)) == [1, 3, 3]


def test_early_stopping_stops_patience_epochs_after_the_best_and_ties_do_not_count():
    rule = EarlyStopping("val_mAP", patience=2)
    stops = [rule.step({"val_mAP": v}) for v in (1.0, 3.0, 2.0, 3.0, 2.5)]
    assert stops == [False, False, False, True, True] and rule.best_epoch == 1 and "epoch 1" in rule.stop_reason
    copy = EarlyStopping("val_mAP", patience=2)
    copy.load_state_dict(rule.state_dict())
    assert copy.state_dict() == rule.state_dict()
    with pytest.raises(ValueError, match="patience=0"):
        EarlyStopping(patience=0)


def test_fit_with_early_stopping_stops_and_a_rerun_trains_nothing(tmp_path):
    model, optimizer, _, loader = _setup(0)
    scores = iter([5.0, 6.0, 5.5, 5.9, 4.0, 7.0, 8.0])  # best at epoch 1, then 3 epochs without improvement
    history = fit(model, optimizer, loader, val_fn=lambda m, e: {"val_mAP": next(scores)}, epochs=7,
                  work_dir=tmp_path, scheduler=EarlyStopping("val_mAP", 3), progress=False)
    assert [row["epoch"] for row in history] == [0, 1, 2, 3, 4]
    again = fit(model, optimizer, loader, val_fn=lambda m, e: {"val_mAP": 99.0}, epochs=7, work_dir=tmp_path,
                scheduler=EarlyStopping("val_mAP", 3), progress=False)
    assert again == history
