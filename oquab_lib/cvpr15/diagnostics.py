"""Diagnostics of the CVPR'15 claims: the pointing game beside the location AP, and how many cells global pooling
chooses among (:func:`score_map_cells`, the ablations' pooling verdicts).

Location AP mixes two things: whether the class scores rank the images well, and whether the arg-max point lands on
the object. The pointing game (Zhang et al., "Top-down neural attention by excitation backprop", ECCV 2016) isolates
the second: over the (image, class) pairs with the class present, the share whose point falls within the tolerance
(18 px in the 500-px frame, as the location AP) of a box of the class. On real images weakly supervised CNN maps win
it by a wide margin over the image centre (VOC 2007 test: centre 69.5 %, CNN maps 80–90 %; COCO val: 27.8 % vs
50–58 %), so a mini world where they do not is a mini world that does not reward localisation. Zhang et al. count a
hit within 15 px of the box; we keep the location AP's 18 px, so both measures read the same points the same way.
"""

from __future__ import annotations

import pandas as pd
import torch

from oquab_lib.config import Run
from oquab_lib.cvpr15.config import Cvpr15Config, config, location_run, seeds
from oquab_lib.cvpr15.data import base_shape, scaled_shape
from oquab_lib.cvpr15.inputs import shared_inputs
from oquab_lib.cvpr15.results import SplitPrediction, cached_predictions
from oquab_lib.cvpr15.strong import heatmap_predictions
from oquab_lib.cvpr15.tables import (
    baseline_points,
    coco_unavailable,
    frame_factors,
    weak_model,
)
from oquab_lib.localize import pointing_accuracy
from oquab_lib.models import build_alexnet
from oquab_lib.weak_net import WeakNet

# Published pointing-game accuracies (%) on real images (Zhang et al., ECCV 2016, all test images): the
# image-centre baseline and the range of the CNN attention maps they compare.
PUBLISHED = {"VOC 2007 test": {"image centre": 69.5, "CNN maps": "80–90"},
             "COCO val": {"image centre": 27.8, "CNN maps": "50–58"}}


def framed_pointing(points: torch.Tensor, pred: SplitPrediction, cfg: Cvpr15Config) -> float:
    """Pointing accuracy (%) of ``points [N, K, 2]`` on ``pred``'s split, in the location frame of ``cfg``."""
    factors = frame_factors(pred.sizes, cfg.location_frame)
    framed = points.double() * factors[:, None, None]
    boxes = [torch.cat([b[:, :4].double() * f, b[:, 4:].double()], 1) for b, f in zip(pred.boxes, factors)]
    return 100.0 * pointing_accuracy(framed, boxes, pred.labels, cfg.tolerance)


def _seed_rows(run: Run, cfg: Cvpr15Config, seed: int, dataset: str, progress: bool) -> list[dict]:
    split = cfg.location_split if dataset == "voc" else cfg.coco_test_split
    pred = cached_predictions(run, cfg, weak_model(run, cfg, seed, "weak", dataset, progress=progress), split,
                              progress=progress)
    points = {"weak net (ours)": pred.points, "image centre": baseline_points("image centre", pred, seed),
              "random point": baseline_points("random point", pred, seed)}
    if dataset == "voc":
        points["CVPR'14 heat-map arg-max"] = heatmap_predictions(run, cfg, seed, split, progress)["points"]
    label = "VOC 2012 " + split if dataset == "voc" else "COCO " + split
    return [{"dataset": label, "method": method, "seed": seed, "pointing %": framed_pointing(p, pred, cfg)}
            for method, p in points.items()]


def pointing_table(run: Run, *, datasets: tuple[str, ...] = ("voc", "coco"), progress: bool = False) -> pd.DataFrame:
    """Pointing-game accuracy (%) per dataset, method and seed: ``dataset, method, seed, pointing %``.

    Reads the predictions the location table cached (computes them on a cold cache). COCO rows are left out when the
    location table left them out (no COCO tree). Seeds: ``cvpr15.location_seeds``, as the location table's.
    """
    run = location_run(run)
    cfg = config(run)
    if "coco" in datasets and coco_unavailable(run, cfg):
        datasets = tuple(d for d in datasets if d != "coco")
    with shared_inputs():
        rows = [row for dataset in datasets for seed in seeds(run)
                for row in _seed_rows(run, cfg, seed, dataset, progress)]
    return pd.DataFrame(rows, columns=["dataset", "method", "seed", "pointing %"])


def published_pointing() -> pd.DataFrame:
    """The published real-image figures the pointing table is read against (%)."""
    return pd.DataFrame(PUBLISHED).T.rename_axis("real data (Zhang et al., ECCV 2016)")


@torch.inference_mode()
def score_map_cells(run: Run, width: int = 500, height: int = 375) -> pd.DataFrame:
    """How many positions global pooling chooses among: the weak net's score-map size at each test scale, for a
    ``width x height`` scene (VOC's most common shape) brought to the profile's base size. One row per test scale:
    the network input (pixels) and the score map (cells, rows x columns). Shapes only: an untrained net of the source
    architecture runs on zeros."""
    from oquab_lib.source.config import SourceConfig

    cfg = config(run)
    net = WeakNet(build_alexnet(SourceConfig.from_section(run.section("source")).arch, 2, seed=0), 2, 4).eval()
    base = base_shape(width, height, cfg.image_size)
    rows = {}
    for scale in cfg.test_scales:
        size = scaled_shape(*base, scale, net.spec.input_size)
        cells = net.score_maps(torch.zeros(1, 3, *size)).shape[-2:]
        rows[scale] = {"input (px)": f"{size[0]} × {size[1]}", "score map (cells)": f"{cells[0]} × {cells[1]}",
                       "cells": int(cells[0] * cells[1])}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("test scale")
