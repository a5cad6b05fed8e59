"""The CVPR'15 tables: rows D, E, F, location prediction in the location frame, COCO, ablations, seeds in parallel."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from oquab_lib.config import Run, profile_sections
from oquab_lib.cvpr15 import results as cvpr15_results
from oquab_lib.cvpr15 import tables as cvpr15_eval
from oquab_lib.cvpr15.config import PAPER_TEST_SCALES, Cvpr15Config
from oquab_lib.cvpr15.config import config as cvpr15_config
from oquab_lib.cvpr15.tables import (
    LOCATION_METHODS,
    METHODS,
    ablation_claims,
    ablation_summary,
    ablation_variants,
    coco_classification_table,
    frame_factors,
    headline_table,
    location_aps,
    location_table,
    per_method,
    voc_classification_table,
)
from oquab_lib.data.classes import VOC_CLASSES
from tests.fixtures import CVPR15_CLASSES, cvpr15_run

pytestmark = pytest.mark.usefixtures("one_thread")


def test_classification_table_has_rows_d_e_f_and_caches(cvpr15_world, capsys):
    run = cvpr15_run(cvpr15_world, cvpr15_world / "shared")
    table = voc_classification_table(run, progress=False)
    assert list(table.columns) == ["method", "seed", *VOC_CLASSES, "mAP"]
    assert table["method"].tolist() == list(METHODS.values())
    present = [c for c in VOC_CLASSES if c in CVPR15_CLASSES]
    assert table[present].notna().all().all() and table.drop(columns=[*present, "method", "seed", "mAP"]).isna().all().all()
    assert table["mAP"].between(0, 100).all()
    assert np.allclose(table["mAP"], table[present].mean(axis=1))
    assert set(per_method(table)) == set(METHODS.values())
    again = voc_classification_table(run, progress=True)
    assert "cache miss" not in capsys.readouterr().out
    assert again.equals(table)


def test_location_frame_rescales_to_the_largest_side():
    sizes = torch.tensor([[160.0, 120.0], [120.0, 160.0], [500.0, 375.0]], dtype=torch.float64)
    assert frame_factors(sizes, 500).tolist() == pytest.approx([500 / 160, 500 / 160, 1.0])
    assert frame_factors(sizes, None).tolist() == [1.0, 1.0, 1.0]
    assert math.isclose(18 / frame_factors(sizes, 500)[0].item(), 5.76)


def test_location_aps_apply_the_tolerance_in_the_location_frame():
    sizes = torch.tensor([[160.0, 120.0], [160.0, 120.0]], dtype=torch.float64)
    boxes = [torch.tensor([[10.0, 10.0, 30.0, 30.0, 0.0]]), torch.tensor([[100.0, 50.0, 140.0, 90.0, 0.0]])]
    labels = torch.tensor([[1], [1]], dtype=torch.int8)
    scores = torch.tensor([[2.0], [1.0]])
    pred = cvpr15_results.SplitPrediction(scores, None, None, labels, boxes, sizes, ["a", "b"])
    points = torch.tensor([[[35.0, 20.0]], [[145.0, 70.0]]])  # 5 px outside each box: inside 18 * 160/500 = 5.76
    assert location_aps(points, pred, Cvpr15Config(location_frame=500)).tolist() == [1.0]
    far = torch.tensor([[[37.0, 20.0]], [[145.0, 70.0]]])  # 7 px outside: a miss for the top-ranked point
    assert location_aps(far, pred, Cvpr15Config(location_frame=500))[0] == pytest.approx(0.25)  # hit ranked 2nd
    assert location_aps(far, pred, Cvpr15Config(location_frame=None)).tolist() == [1.0]  # 18 original px


def test_location_and_coco_tables(cvpr15_world):
    run = cvpr15_run(cvpr15_world, cvpr15_world / "shared", seeds=(0, 1))
    location = location_table(run, progress=False)
    assert list(location.columns[:3]) == ["dataset", "method", "seed"] and location.columns[-1] == "mAP"
    assert location.groupby("dataset", sort=False)["method"].unique().map(list).tolist() == [
        list(LOCATION_METHODS), list(LOCATION_METHODS[:3])]
    assert location["mAP"].between(0, 100).all() and len(location) == 2 * (4 + 3)
    coco = coco_classification_table(run, progress=False)
    assert coco.shape == (2, 2 + 80 + 1) and coco["mAP"].notna().all()
    headline = headline_table(location, coco)
    assert cvpr15_eval.coco_unavailable(run, cvpr15_config(run)) is None
    assert list(headline.index) == ["Location prediction mAP, VOC 2012 val", "Location prediction mAP, MS COCO val",
                                    "MS COCO val classification mAP"]
    assert headline["seeds"].tolist() == [2, 2, 2]


def test_ablations_put_the_paper_setting_first_and_pair_it_with_each_alternative():
    variants = ablation_variants(Cvpr15Config())
    assert [v[0] for v in variants].count("pooling") == 3
    assert variants[0][3] == PAPER_TEST_SCALES and variants[1][3] == (1.0,)
    assert variants[3][2].train_scales == (1.0, 1.0) and variants[5][2].pooling == "avg"
    table = pd.DataFrame([{"ablation": a, "setting": s, "seed": seed, "classification mAP": m + seed,
                           "location mAP": 2 * m} for a, s, m in (("pool", "max", 50), ("pool", "avg", 40),
                                                                    ("pool", "lse", 45)) for seed in (0, 1)])
    claims = list(ablation_claims(table))
    assert [(a, s) for a, s, _, _ in claims] == [("pool", "avg"), ("pool", "lse")]
    assert claims[0][2].tolist() == [50, 51] and claims[0][3].tolist() == [40, 41]
    summary = ablation_summary(table)
    assert summary.loc[("pool", "lse"), "classification mAP"] == 45.5 and summary["seeds"].tolist() == [2, 2, 2]


def test_missing_coco_is_skipped_with_a_reason(cvpr15_world, tmp_path, capsys):
    run = Run("smoke", tmp_path, "cpu", 0, tmp_path / "runs", profile_sections("smoke"))
    reason = cvpr15_eval.coco_unavailable(run, cvpr15_config(run))
    assert reason and "instances_train.json" in reason
    table = coco_classification_table(run, progress=False)
    assert table.empty and list(table.columns) == ["method", "seed", "mAP"]
    assert "COCO rows skipped" in capsys.readouterr().out


@pytest.mark.slow
def test_seeds_in_two_processes_give_the_serial_table(cvpr15_world, tmp_path):
    serial = voc_classification_table(cvpr15_run(cvpr15_world, tmp_path / "a", seeds=(0, 1)), kinds=("weak",),
                                      progress=False)
    parallel = voc_classification_table(cvpr15_run(cvpr15_world, tmp_path / "b", seeds=(0, 1), workers=2),
                                        kinds=("weak",), progress=False)
    pd.testing.assert_frame_equal(serial, parallel)


def test_comparisons_for_the_verdicts_are_indexed_by_seed():
    from oquab_lib.cvpr15.tables import (
        ablation_comparisons,
        location_comparisons,
        seed_values,
    )

    table = pd.DataFrame([{"ablation": "pool", "setting": s, "seed": seed, "classification mAP": m + seed}
                          for s, m in (("max", 50), ("avg", 40)) for seed in (1, 0)])
    (claim, paper, other), = ablation_comparisons(table)
    assert claim == "pool: the paper's choice beats avg"
    assert paper.to_dict() == {1: 51, 0: 50} and other.to_dict() == {1: 41, 0: 40}
    assert seed_values(table, "classification mAP", setting="none").empty
    location = pd.DataFrame([{"dataset": d, "method": m, "seed": 0, "mAP": v} for d, m, v in (
        ("VOC 2012 val", "weak net (ours)", 30.0), ("VOC 2012 val", "image centre", 20.0),
        ("COCO val", "weak net (ours)", 10.0), ("COCO val", "image centre", 12.0))])
    voc, coco = location_comparisons(location)
    assert voc[0].endswith("(VOC 2012 val): beats the image centre") and voc[1].tolist() == [30.0]
    assert coco[2].tolist() == [12.0] and coco[3] == "41.2 location mAP (no baseline given)"
