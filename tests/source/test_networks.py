"""Tests for oquab_lib.source.networks on the tiny hand-made source tree of tests/fixtures.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import pytest
import torch

from oquab_lib.source import networks as source_networks
from tests.fixtures import write_source_tree

matplotlib.use("Agg")


@dataclass
class FakeRun:
    """The part of config.Run that source_networks reads."""

    data_root: Path
    runs_dir: Path
    seed: int = 0
    device: str = "cpu"
    sections: dict = field(default_factory=lambda: {
        "source": dict(arch="smoke", epochs=2, batch_size=8, lr=0.01, threads=0),
        "cvpr14": dict(num_seeds=2),
        "cvpr15": dict(seeds=(0, 1), location_seeds=(0, 1, 2)),  # the location chapter's third seed: 1512 only
    })

    def section(self, name: str) -> dict:
        return dict(self.sections[name])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run = FakeRun(write_source_tree(tmp_path_factory.mktemp("world")), tmp_path_factory.mktemp("runs"), seed=3)
    return run, source_networks.train_all(run, variants=("1000C", "1512"), progress=False)


def test_every_variant_is_trained_with_every_source_seed(trained):
    run, results = trained
    assert source_networks.seeds(run) == [3, 4]
    assert [(r.variant, r.seed) for r in results] == [("1000C", 3), ("1000C", 4), ("1512", 3), ("1512", 4),
                                                      ("1512", 5)]


def test_two_worker_processes_train_the_same_networks_as_one(trained, tmp_path):
    run, results = trained
    sections = {**run.sections, "source": {**run.sections["source"], "threads": 1, "workers": 2}}
    serial = FakeRun(run.data_root, tmp_path / "serial", seed=3, sections={
        **sections, "source": {**sections["source"], "workers": 1}})
    parallel = FakeRun(run.data_root, tmp_path / "parallel", seed=3, sections=sections)
    one = source_networks.train_all(serial, variants=("1000C",), progress=False)
    two = source_networks.train_all(parallel, variants=("1000C",), progress=False)
    for a, b in zip(one, two, strict=True):
        weights_a, weights_b = torch.load(a.weights_path), torch.load(b.weights_path)
        assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)
        assert a.history["loss"].tolist() == b.history["loss"].tolist()


def test_runs_table_reads_the_last_epoch_of_each_history(trained):
    _, results = trained
    runs = source_networks.runs_table(results)
    assert list(runs["network"]) == ["PRE-1000C", "PRE-1000C", "PRE-1512", "PRE-1512", "PRE-1512"]
    for (_, row), result in zip(runs.iterrows(), results):
        assert row["val top-1 (%)"] == pytest.approx(result.history["val_top1"].iloc[-1])
        assert row["val top-5 error (%)"] == pytest.approx(100 - result.history["val_top5"].iloc[-1])
        assert row["epochs"] == 2 and row["classes"] == result.num_classes
    assert list(runs["classes"]) == [3, 3, 4, 4, 4]  # the tree's leaf lists


def test_summary_and_paper_tables_pair_each_network_with_its_seeds(trained):
    _, results = trained
    runs = source_networks.runs_table(results)
    summary = source_networks.summary_table(runs)
    assert list(summary.index) == ["PRE-1000C", "PRE-1512"] and list(summary["seeds"]) == [2, 3]
    assert "±" in summary.loc["PRE-1000C", "val top-5 error (%)"]
    versus = source_networks.paper_vs_ours(runs)
    assert versus.loc["PRE-1000C", "paper: top-5 error (%)"] == 18.0
    assert versus.loc["PRE-1512", "paper: top-5 error (%)"] == 21.8
    assert versus.loc["PRE-1512", "ours: classes"] == 4


def test_curves_have_one_point_per_network_seed_epoch_and_metric(trained):
    _, results = trained
    frame = source_networks.curves(results)
    assert len(frame) == 5 * 2 * len(source_networks.CURVE_METRICS)
    assert sorted(frame["epoch"].unique()) == [1, 2]
    figure = source_networks.curves_figure(results)
    assert len(figure.axes) == len(source_networks.CURVE_METRICS)


def test_without_a_source_tree_nothing_is_trained(tmp_path):
    assert source_networks.train_all(FakeRun(tmp_path, tmp_path)) == []
    reference = source_networks.torchvision_reference()
    assert 50 < reference.iloc[0]["val top-1 (%)"] < 60  # torchvision's published 56.5 %
