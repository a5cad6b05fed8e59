"""CVPR'15 cached test results: C5 maps shared by the models of a source, whole-image predictions, packed boxes."""

from __future__ import annotations

import pytest
import torch

from oquab_lib import cache
from oquab_lib.cvpr15 import results as cvpr15_results
from oquab_lib.cvpr15 import train as cvpr15
from oquab_lib.cvpr15.config import config as cvpr15_config
from oquab_lib.cvpr15.data import load_image_set
from oquab_lib.cvpr15.predict import predict
from oquab_lib.cvpr15.results import cached_predictions
from oquab_lib.cvpr15.train import train_weak
from tests.fixtures import cvpr15_run

pytestmark = pytest.mark.usefixtures("one_thread")


def test_cached_c5_predictions_equal_the_whole_net(cvpr15_world):
    run = cvpr15_run(cvpr15_world, cvpr15_world / "shared", test_scales=(0.8, 1.0, 1.5))
    cfg = cvpr15_config(run)
    result = train_weak(run, cfg, "weak", "voc", 0, progress=False)
    net = cvpr15.load_weak_net(run, cfg, result)
    images = load_image_set(str(cvpr15_world), "voc", "val", 40, progress=False)
    for scales in ((0.8, 1.0, 1.5), (1.0,)):
        direct = predict(net, images, scales, progress=False)
        store = cvpr15_results.c5_store(run, cfg, 0, "voc", "val", scales, progress=False)
        assert store is not None and {b.scale_index for b in store} == set(range(len(scales)))
        cached = cached_predictions(run, cfg, result, "val", scales=scales, progress=False)
        torch.testing.assert_close(cached.scores, direct.scores, rtol=0, atol=1e-6)
        assert torch.equal(cached.points, direct.points)
        assert len(cached.boxes) == len(images) and all(torch.equal(a, b) for a, b in zip(cached.boxes, images.boxes))
    assert cvpr15_results.c5_store(run, cfg, 0, "voc", "val", (2.0,), progress=False) is None  # not a test scale


def test_full_image_predictions_are_single_scale(cvpr15_world):
    run = cvpr15_run(cvpr15_world, cvpr15_world / "shared")
    result = train_weak(run, cvpr15_config(run), "full_images", "voc", 0, progress=False)
    pred = cached_predictions(run, cvpr15_config(run), result, "val", progress=False)
    assert pred.scores.shape == (6, 20) and torch.equal(pred.scale_index, torch.zeros(6, 20, dtype=torch.long))


def test_ground_truth_packs_boxes_and_unpacks_them_per_image_even_when_empty(tmp_path):
    from types import SimpleNamespace

    boxes = [torch.tensor([[1.0, 2.0, 3.0, 4.0, 5.0]]), torch.zeros(0, 5), torch.rand(3, 5)]
    images = SimpleNamespace(labels=torch.ones(3, 2), boxes=boxes, sizes=torch.ones(3, 2), ids=["a", "b", "c"])
    prediction = dict(scores=torch.zeros(3, 2), points=torch.zeros(3, 2, 2), scale_index=torch.zeros(3, 2))
    cache.save_state_dict(tmp_path / "p.pt", {**prediction, **cvpr15_results.ground_truth(images)})
    loaded = cvpr15_results._unpack(cache.load_state_dict(tmp_path / "p.pt"))
    assert [b.shape[0] for b in loaded.boxes] == [1, 0, 3]
    assert all(torch.equal(a, b) for a, b in zip(loaded.boxes, boxes)) and loaded.ids == ["a", "b", "c"]
