import math

import pandas as pd
import torch

from oquab_lib.config import Run, profile_sections
from oquab_lib.cvpr15.config import Cvpr15Config
from oquab_lib.cvpr15.diagnostics import (
    framed_pointing,
    published_pointing,
    score_map_cells,
)
from oquab_lib.cvpr15.results import SplitPrediction
from oquab_lib.localize import pointing_accuracy


def _two_images():
    # image 0: class 0 box at (10..20, 10..20); image 1: class 1 box at (50..60, 0..10); class 0 absent from image 1
    boxes = [torch.tensor([[10.0, 10, 20, 20, 0]]), torch.tensor([[50.0, 0, 60, 10, 1]])]
    labels = torch.tensor([[1, -1], [-1, 1]])
    return boxes, labels


def test_pointing_counts_only_present_pairs_and_the_tolerance():
    boxes, labels = _two_images()
    points = torch.tensor([[[15.0, 15], [0, 0]], [[0, 0], [70, 5]]])  # image 0 class 0 inside; image 1 class 1 10 px off
    assert pointing_accuracy(points, boxes, labels, tolerance=0) == 0.5
    assert pointing_accuracy(points, boxes, labels, tolerance=10) == 1.0
    assert pointing_accuracy(points, boxes, labels, tolerance=9.9) == 0.5
    assert math.isnan(pointing_accuracy(points, boxes, torch.full((2, 2), -1), tolerance=10))


def test_framed_pointing_scales_points_and_boxes_to_the_location_frame():
    boxes, labels = _two_images()
    points = torch.tensor([[[15.0, 15], [0, 0]], [[0, 0], [61, 5]]])  # 1 px right of the box in original pixels
    pred = SplitPrediction(scores=torch.zeros(2, 2), points=points, scale_index=torch.zeros(2, 2, dtype=torch.long),
                           labels=labels, boxes=boxes, sizes=torch.tensor([[100, 50], [100, 50]]), ids=["a", "b"])
    # frame 1000 = x10: the 1-px miss becomes 10 px, within a 10-px tolerance but not a 9-px one
    assert framed_pointing(points, pred, Cvpr15Config(location_frame=1000, tolerance=10)) == 100.0
    assert framed_pointing(points, pred, Cvpr15Config(location_frame=1000, tolerance=9)) == 50.0


def test_published_figures_are_the_cited_ones():
    table = published_pointing()
    assert isinstance(table, pd.DataFrame) and table.loc["VOC 2007 test", "image centre"] == 69.5


def test_score_map_cells_grow_with_the_test_scale_and_match_the_output_grid(tmp_path):
    sections = profile_sections("quick")
    run = Run("quick", tmp_path / "data", "cpu", 0, tmp_path / "runs", sections)
    cells = score_map_cells(run)
    assert list(cells.index) == list(sections["cvpr15"]["test_scales"])
    assert cells["cells"].is_monotonic_increasing and cells["cells"].iloc[0] >= 1
    # at scale 1 a 500 x 375 scene becomes 107 x 80 px; the quick grid (stride 16, 48-px window) fits 4 x 3 cells
    assert cells.loc[1.0, "input (px)"] == "80 × 107" and cells.loc[1.0, "score map (cells)"] == "3 × 4"
