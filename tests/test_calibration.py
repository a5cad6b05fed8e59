"""The calibration targets T1-T6 (oquab_lib.calibration) measured at smoke size, and skipped on real data."""

import pytest

from oquab_lib import calibration
from oquab_lib.config import resolve
from oquab_lib.data.synth import ensure_world
from tests.fixtures import write_vocdevkit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return ensure_world(tmp_path_factory.mktemp("w") / "miniworld-smoke", "smoke", seed=0, workers=1, verbose=False)


def test_every_target_is_measured_with_a_verdict(world, tmp_path):
    run = resolve("smoke", world, "cpu", 0, tmp_path / "runs", {
        "cvpr14.num_seeds": 2, "cvpr14.max_epochs": 1, "cvpr14.scratch_max_epochs": 1,
        "cvpr15.seeds": (0,), "cvpr15.epochs": 1})
    table = calibration.targets_table(run)
    assert list(table.index.str[:2]) == ["T1", "T2", "T3", "T4", "T5", "T6"]
    assert list(table.columns) == calibration.COLUMNS[1:]
    assert set(table["met"]) <= {"yes", "no", "n/a"}
    # the smoke world: 1000C has 30 leaves x 8 images = 240 source images; Table 1 trains on 20 VOC 2007 images
    assert "table1 " in table.loc["T1 source : target", "measured"]
    assert table.loc["T6 seed spread", "met"] in {"yes", "no"}  # two seeds: a spread
    assert calibration.targets_table(run).equals(table)  # warm: read from the cache, same numbers
    html = calibration.targets_display(table).to_html()
    assert "white-space: normal" in html and "T5 pointing game" in html


def test_real_data_has_nothing_to_calibrate(tmp_path):
    write_vocdevkit(tmp_path, "2007")
    write_vocdevkit(tmp_path, "2012")
    run = resolve("full", tmp_path, "cpu", 0, tmp_path / "runs", None)
    assert calibration.targets_table(run).empty


def test_t3_floor_is_three_times_chance_capped_at_the_papers_weakest_class():
    # a rare class (chance 0.05) must beat 0.15; person (chance 0.31) need not reach 0.93, only bottle's 0.475
    assert calibration.t3_floor([0.05, 0.31]).tolist() == pytest.approx([0.15, 0.475])
