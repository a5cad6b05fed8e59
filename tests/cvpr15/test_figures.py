"""CVPR'15 figures draw from cached models on a tiny VOC tree (smoke-sized nets)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch

from oquab_lib.cvpr15 import figures as figures_cvpr15
from oquab_lib.cvpr15.config import Cvpr15Config
from oquab_lib.cvpr15.data import load_image_set
from oquab_lib.cvpr15.train import build_weak_net
from oquab_lib.models import build_alexnet
from tests.fixtures import cvpr15_run

pytestmark = pytest.mark.usefixtures("one_thread")


def test_image_maps_cover_the_scaled_image(cvpr15_world):
    images = load_image_set(str(cvpr15_world), "voc", "val", 40, progress=False)
    net = build_weak_net(build_alexnet("smoke", 7, 1.5, seed=1), Cvpr15Config(hidden=8), 20, seed=2)
    shown, maps = figures_cvpr15.image_maps(net, images.images[0], scale=1.5)
    assert shown.dtype == torch.uint8 and shown.shape[0] == 3
    assert maps.shape == (20, *shown.shape[1:]) and min(shown.shape[1:]) >= 32


@pytest.mark.parametrize("name", ["training_maps_figure", "localisation_examples_figure", "false_positives_figure",
                                  "boxes_harmful_figure"])
def test_figures_draw_panels(cvpr15_world, name):
    run = cvpr15_run(cvpr15_world, cvpr15_world / "shared")
    figure = getattr(figures_cvpr15, name)(run)
    drawn = [ax for ax in figure.axes if ax.images]
    assert drawn, f"{name} drew no image"
    plt.close(figure)
