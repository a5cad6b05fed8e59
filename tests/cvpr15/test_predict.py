"""CVPR'15 multi-scale testing: averaged scores, arg-max points mapped through the test scale."""

from __future__ import annotations

import pytest
import torch

from oquab_lib.cvpr15.config import Cvpr15Config
from oquab_lib.cvpr15.data import load_image_set, scaled_shape
from oquab_lib.cvpr15.predict import predict
from oquab_lib.cvpr15.train import build_weak_net
from oquab_lib.models import build_alexnet
from oquab_lib.weak_net import score_geometry

pytestmark = pytest.mark.usefixtures("one_thread")


def test_multiscale_scores_are_the_average_of_single_scale_scores(cvpr15_world):
    images = load_image_set(str(cvpr15_world), "voc", "val", 40, progress=False)
    net = build_weak_net(build_alexnet("smoke", 7, 1.5, seed=1), Cvpr15Config(hidden=8), 20, seed=2)
    both = predict(net, images, (0.8, 1.5), progress=False)
    one, two = (predict(net, images, (s,), progress=False) for s in (0.8, 1.5))
    torch.testing.assert_close(both.scores, (one.scores + two.scores) / 2)
    # the point of each class comes from the scale with the larger pooled score
    from_two = two.scores > one.scores
    expected = torch.where(from_two[..., None], two.points, one.points)
    torch.testing.assert_close(both.points, expected)
    assert torch.equal(both.scale_index, from_two.long())


def test_points_are_the_argmax_cell_mapped_through_the_test_scale(cvpr15_world):
    images = load_image_set(str(cvpr15_world), "voc", "val", 40, progress=False).subset([0])
    net = build_weak_net(build_alexnet("smoke", 7, 1.5, seed=1), Cvpr15Config(hidden=8), 20, seed=2)
    stride, offset = score_geometry(net)

    class Peak(torch.nn.Module):  # class 3 peaks at the last cell, higher on larger maps (= at the larger scale)
        def forward(self, x):
            maps = torch.zeros(x.shape[0], 20, *x.shape[-2:])
            maps[:, 3, -1, -1] = x.shape[-1]
            return maps

    net.adaptation = Peak()
    pred = predict(net, images, (1.0, 2.0), progress=False)
    height, width = scaled_shape(*images.images[0].shape[-2:], 2.0, 32)
    rows, cols = (height - 32) // 16 + 1, (width - 32) // 16 + 1  # the smoke net's map at that input size
    orig_w, orig_h = images.sizes[0].tolist()
    assert pred.scale_index[0, 3] == 1
    x, y = pred.points[0, 3].tolist()
    assert x == pytest.approx((offset + (cols - 1) * stride) * orig_w / width, rel=1e-5)
    assert y == pytest.approx((offset + (rows - 1) * stride) * orig_h / height, rel=1e-5)
