"""The target-size sweep beside Table 2 (oquab_lib.cvpr14.diagnostics), on the small fixture world."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from oquab_lib.cvpr14 import diagnostics, tables
from oquab_lib.cvpr14.tables import run_table
from tests.fixtures import cvpr14_run, write_cvpr14_world

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(autouse=True)
def _no_world_generation(monkeypatch):
    monkeypatch.setattr(tables, "ensure_data", lambda run, verbose=True: None)  # the fixture tree is the world


def test_sweep_shrinks_only_the_training_split_and_reuses_table2_at_full_size(tmp_path):
    world = write_cvpr14_world(tmp_path / "world")
    run = cvpr14_run(world, tmp_path / "runs", table2_methods=("PRE-1000C",))
    # 2.0 x Table 2's split is more than the world's split holds: that point is Table 2 again, and is dropped
    sweep = diagnostics.size_sweep(run, fractions=(0.5, 1.0, 2.0), methods=("PRE-1000C",))
    assert list(sweep.columns) == ["fraction", "train images", "source : target", "method", "seed", "mAP"]
    assert sorted(sweep["train images"].unique()) == [4, 8]  # the fixture caps VOC 2012 train at 8; and half
    assert sweep["source : target"].tolist() == [12 / 4, 12 / 4, 12 / 8, 12 / 8]  # 1000C: 3 leaves x 4 images
    table2 = run_table(run, "table2", progress=False)
    at_full = sweep[sweep["fraction"] == 1.0].set_index("seed")["mAP"]
    assert at_full.tolist() == pytest.approx(table2.loc["PRE-1000C", "mAP"].tolist())  # same entries as Table 2
    figure = diagnostics.sweep_figure(sweep)
    assert figure.axes[0].get_xscale() == "log"
    plt.close(figure)


def test_sweep_is_skipped_on_real_data_with_a_figure_that_says_so(tmp_path):
    import dataclasses

    run = dataclasses.replace(cvpr14_run(tmp_path / "world", tmp_path / "runs"), profile="full")
    sweep = diagnostics.size_sweep(run)
    assert sweep.empty and list(sweep.columns) == diagnostics.COLUMNS
    figure = diagnostics.sweep_figure(sweep)
    assert "skipped on real data" in figure.axes[0].texts[0].get_text()
    plt.close(figure)
