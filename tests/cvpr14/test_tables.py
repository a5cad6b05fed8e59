"""Tests for oquab_lib.cvpr14.tables: patch batches, frozen layers, k selection, the tables, and the image-level score
aggregation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from oquab_lib.cvpr14 import tables as cvpr14
from oquab_lib.cvpr14.config import Cvpr14Config
from oquab_lib.cvpr14.features import patch_features, patch_inputs, source_network
from oquab_lib.cvpr14.figures import ablation, head_name
from oquab_lib.cvpr14.scores import (
    aggregate_scores,
    aggregate_scores_batched,
    ap_fractions,
    select_k,
)
from oquab_lib.cvpr14.tables import (
    PatchBatches,
    run_table,
    selection_table,
    table_data,
    targeted_gain,
    train_transfer,
)
from oquab_lib.data.classes import TARGETED_BY_1512, VOC_CLASSES
from oquab_lib.errors import ConfigError
from oquab_lib.models import normalization, seeded
from oquab_lib.transfer import TransferHead, TransferNet
from tests.fixtures import cvpr14_run

pytestmark = pytest.mark.usefixtures("one_thread")


COLUMNS = [*VOC_CLASSES, "mAP"]


@pytest.fixture(autouse=True)
def _no_world_generation(monkeypatch):
    monkeypatch.setattr(cvpr14, "ensure_data", lambda run, verbose=True: None)  # the fixture tree stands in for the mini world


def test_patch_batches_keep_objects_and_redraw_background():
    labels = torch.tensor([0, 3, -1, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 5])
    batches = PatchBatches(labels, lambda rows: rows.float()[:, None], fraction=0.2, batch_size=4, seed=1)
    epochs = [torch.cat([rows[:, 0].long() for rows, _ in batches]) for _ in range(3)]
    for rows in epochs:
        kept = labels[rows]
        assert sorted(rows[kept < 20].tolist()) == [0, 1, 13] and (kept != -1).all()
        assert int((kept == 20).sum()) == 2 == batches.epoch_size - 3 and len(batches) == 2
    assert len({tuple(sorted(r.tolist())) for r in epochs}) > 1  # the background sample is re-drawn
    again = PatchBatches(labels, lambda rows: rows.float()[:, None], fraction=0.2, batch_size=4, seed=1)
    assert torch.equal(torch.cat([r[:, 0] for r, _ in again]).long(), epochs[0])


def test_frozen_layers_stay_frozen_and_cached_features_train_the_same_head(cvpr14_world, tmp_path):
    run = cvpr14_run(cvpr14_world, tmp_path / "runs")
    cfg = Cvpr14Config.from_section(run.section("cvpr14"))
    data = table_data(run, "table1", cfg, progress=False)
    train = data.sets["train"]
    key, source = source_network(run, cfg, "PRE-1000C", 0, progress=False)
    features = patch_features(source, key, train, cfg, run.runs_dir, progress=False)
    inputs = patch_inputs(train, cfg, run.runs_dir, 32, *normalization("smoke"), progress=False)

    net = TransferNet(source, 21, cfg.head_hidden, seed=7)
    frozen_before = {k: v.clone() for k, v in net.state_dict().items() if not k.startswith("head.")}
    head_before = {k: v.clone() for k, v in net.head.state_dict().items()}
    crops = PatchBatches(train.labels, inputs, 0.3, 16)
    train_transfer(net, crops, 0.05, 3, cfg, tmp_path / "a", seed=0, progress=False)
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in frozen_before.items())  # C1..FC7 unchanged
    assert any(not torch.equal(v, net.head.state_dict()[k]) for k, v in head_before.items())  # the head trained

    with seeded(7):
        head = TransferHead(features.shape[1], 21, cfg.head_hidden, cfg.dropout)
    cached = PatchBatches(train.labels, lambda rows: features[rows].float(), 0.3, 16)
    train_transfer(head, cached, 0.05, 3, cfg, tmp_path / "b", seed=0, progress=False)
    for name, value in head.state_dict().items():  # same math: frozen trunk in eval mode, no jitter
        torch.testing.assert_close(value, net.head.state_dict()[name], atol=1e-4, rtol=1e-3)


def test_select_k_uses_validation_only():
    labels = torch.tensor([[1, -1], [-1, 1], [1, 1], [-1, -1]], dtype=torch.int8).repeat(1, 10)
    good = labels.float() + 0.01 * torch.arange(4)[:, None]
    scores = {"1": -good, "5": good, "max": torch.zeros_like(good)}
    k, maps = select_k(scores, labels, "voc12")
    assert k == "5" and maps["5"] == 100.0 and maps["1"] < maps["5"] and list(maps) == ["1", "5", "max"]
    tied, _ = select_k({"2": good, "3": good}, labels, "voc12")
    assert tied == "2"  # ties go to the first k listed
    aps = ap_fractions(good, torch.cat([labels[:, :19], -torch.ones(4, 1, dtype=torch.int8)], 1), "voc07")
    assert math.isnan(aps[19]) and (aps[:19] == 1).all()


def test_table_has_the_paper_layout_and_k_ignores_the_test_labels(cvpr14_world, tmp_path, monkeypatch, capsys):
    run = cvpr14_run(cvpr14_world, tmp_path / "runs")
    table = run_table(run, "table1", progress=False)
    assert list(table.columns) == COLUMNS and table.index.names == ["method", "seed"]
    assert list(table.index) == [("PRE-1000C", 0), ("PRE-1000C", 1), ("RANDOM", 0), ("RANDOM", 1)]
    assert table.attrs["protocol"] == "voc07" and set(table.attrs["k"]["RANDOM"]) == {0, 1}
    assert ((table.fillna(0) >= 0) & (table.fillna(0) <= 100)).all().all()
    selection = selection_table(table)
    assert list(selection.columns) == ["1", "2", "3", "5", "8", "max", "chosen k"]

    original = cvpr14.table_data

    def poisoned(*args, **kwargs):  # test labels scrambled: the k chosen must not move
        data = original(*args, **kwargs)
        test = data.sets["test"]
        test.image_labels = -test.image_labels
        return data

    monkeypatch.setattr(cvpr14, "table_data", poisoned)
    again = run_table(run, "table1", progress=False)
    assert again.attrs["k"] == table.attrs["k"] and again.attrs["val_map"] == table.attrs["val_map"]


@pytest.mark.slow
def test_same_seed_same_table_and_seed_changes_it(cvpr14_world, tmp_path):
    first = run_table(cvpr14_run(cvpr14_world, tmp_path / "a"), "table2", progress=False)
    second = run_table(cvpr14_run(cvpr14_world, tmp_path / "b"), "table2", progress=False)
    assert list(first.index.get_level_values("method").unique()) == ["NO PRETRAIN", "PRE-1000C", "PRE-1512"]
    pd.testing.assert_frame_equal(first, second)
    shifted = run_table(cvpr14_run(cvpr14_world, tmp_path / "c", seed=5), "table2", methods=("PRE-1000C",),
                        progress=False)
    assert list(shifted.index) == [("PRE-1000C", 5), ("PRE-1000C", 6)]
    assert not np.allclose(shifted.to_numpy(), first.loc[["PRE-1000C"]].to_numpy(), equal_nan=True)


def test_full_profile_skips_missing_sources_and_runs_given_ones_once(cvpr14_world, tmp_path, capsys):
    from oquab_lib.source.pretrain import pretrain_source

    entry = pretrain_source(cvpr14_run(cvpr14_world, tmp_path / "src"), "1512", seed=0, progress=False).entry
    run = cvpr14_run(cvpr14_world, tmp_path, profile="full", table2_methods=("PRE-1000R", "PRE-1512"),
                   source_entries={"1512": str(entry)})
    table = run_table(run, "table2", progress=False)
    printed = capsys.readouterr().out
    assert "skipping PRE-1000R" in printed and "one fixed source network" in printed
    assert list(table.columns) == COLUMNS and list(table.index) == [("PRE-1512", 0)]
    assert "PRE-1000R" in table.attrs["skipped"]


def _fake_table(gain_targeted: float, gain_other: float) -> pd.DataFrame:
    base = pd.DataFrame(50.0, index=pd.MultiIndex.from_product([["PRE-1000C"], [0, 1]]), columns=COLUMNS)
    better = base.copy()
    for seed, wobble in ((0, -1.0), (1, 1.0)):  # seed 0 gains 1 less, seed 1 gains 1 more
        for c in VOC_CLASSES:
            better.loc[("PRE-1000C", seed), c] = 50 + (gain_targeted if c in TARGETED_BY_1512 else gain_other) + wobble
    better.index = pd.MultiIndex.from_product([["PRE-1512"], [0, 1]])
    table = pd.concat([base, better])
    table.index.names = ["method", "seed"]
    return table


def test_targeted_gain_paper_and_ours():
    result = targeted_gain(_fake_table(4.0, 1.0))
    assert round(result.loc["paper", "targeted"], 1) == 6.0 and round(result.loc["paper", "other"], 1) == 1.8
    assert math.isnan(result.loc["paper", "targeted std"])
    ours = result.loc["ours"]
    assert ours["targeted"] == pytest.approx(4.0) and ours["other"] == pytest.approx(1.0)
    assert ours["difference"] == pytest.approx(3.0) and ours["targeted std"] == pytest.approx(math.sqrt(2))
    missing = targeted_gain(_fake_table(4.0, 1.0), better="PRE-1512D")
    assert missing.loc[["paper", "ours"], "targeted"].isna().all()
    with pytest.raises(ConfigError, match="unknown class"):
        targeted_gain(_fake_table(1, 1), classes=("unicorn",))


def test_ablations_vary_one_choice_on_validation(cvpr14_world, tmp_path):
    run = cvpr14_run(cvpr14_world, tmp_path)
    heads = ablation(run, "head", progress=False)
    assert list(heads.columns) == ["setting", "seed", "val mAP", "k"]
    assert list(heads["setting"]) == ["FCb", "FCa+FCb"] * 2 and heads["val mAP"].notna().all()
    ks = ablation(run, "k", progress=False)
    assert list(ks["setting"][:6]) == ["1", "2", "3", "5", "8", "max"]
    assert head_name((8, 8)) == "FCa+FCa'+FCb"
    with pytest.raises(ConfigError, match="accepted"):
        ablation(run, "depth")


@pytest.mark.slow
def test_figures_build_from_the_cached_results(cvpr14_world, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from oquab_lib.cvpr14 import figures as figures_cvpr14

    run = cvpr14_run(cvpr14_world, tmp_path)
    tiling = figures_cvpr14.tiling_figure(run, max_scales=2)
    assert len(tiling.axes) == 2 and "patches" in tiling.axes[0].get_title()
    heat = figures_cvpr14.heatmap_figure(run, classes=["dog", "car"])
    assert len(heat.axes) == 4 and heat.axes[0].get_title().startswith("dog")
    top = figures_cvpr14.top_scoring_figure(run, classes=["person"], top=2)
    assert len(top.axes) == 3 and "first FP" in top.axes[2].get_title()
    tables = {kind: ablation(run, kind, progress=False) for kind in ("k", "background")}
    assert len(figures_cvpr14.ablation_figure(tables).axes) == 2
    with pytest.raises(ConfigError, match="unknown VOC class"):
        figures_cvpr14.heatmap_figure(run, classes=["unicorn"])


# --- image-level score aggregation ---------------------------------------------------------------------------
PROBS = torch.tensor([[0.5, 0.2, 0.3],
                      [1.0, 0.0, 0.0]], dtype=torch.float64)  # two patches, two classes + background


def test_aggregate_hand_computation():
    torch.testing.assert_close(aggregate_scores(PROBS, k=2), torch.tensor([(0.25 + 1) / 2, (0.04 + 0) / 2]).double())
    torch.testing.assert_close(aggregate_scores(PROBS), torch.tensor([(0.5 ** 5 + 1) / 2, 0.2 ** 5 / 2]).double())
    torch.testing.assert_close(aggregate_scores(PROBS, k=1), PROBS[:, :2].mean(0))


def test_aggregate_inf_is_max_and_large_k_approaches_it():
    probs = torch.softmax(torch.randn(50, 21, generator=torch.Generator().manual_seed(0)), dim=1).double()
    maxima = probs[:, :20].max(dim=0).values
    assert torch.equal(aggregate_scores(probs, float("inf")), maxima)
    # the power mean (score)^(1/k) rises towards the max as k grows
    powers = [aggregate_scores(probs, k) ** (1 / k) for k in (1, 5, 50)]
    assert (powers[0] <= powers[1]).all() and (powers[1] <= powers[2]).all() and (powers[2] <= maxima + 1e-12).all()


@pytest.mark.parametrize("k", [5, 1.5, float("inf")])
def test_batched_matches_per_image(k):
    gen = torch.Generator().manual_seed(1)
    probs = torch.softmax(torch.randn(40, 6, generator=gen), dim=1)
    image_index = torch.randint(0, 4, (40,), generator=gen)
    image_index[:4] = torch.arange(4)  # every image has a patch
    batched = aggregate_scores_batched(probs, image_index, 4, k)
    assert batched.shape == (4, 5)
    expected = torch.stack([aggregate_scores(probs[image_index == i], k) for i in range(4)])
    torch.testing.assert_close(batched, expected)


def test_aggregate_errors():
    with pytest.raises(ConfigError, match="k must be positive"):
        aggregate_scores(PROBS, k=0)
    with pytest.raises(ConfigError, match="patch_probs"):
        aggregate_scores(torch.zeros(0, 3))
    with pytest.raises(ConfigError, match="images without any: \\[2\\]"):
        aggregate_scores_batched(PROBS, torch.tensor([0, 1]), 3)
    with pytest.raises(ConfigError, match="image_index must lie"):
        aggregate_scores_batched(PROBS, torch.tensor([0, 3]), 3)
