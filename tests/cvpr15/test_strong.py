"""Tests for oquab_lib.cvpr15.strong: the box-trained start of row E (a patch head on dense windows of the source net)
and the CVPR'14-style heat-map baseline, on the small CVPR'15 world of tests/fixtures.py."""

from __future__ import annotations

import pytest
import torch

from oquab_lib.cvpr15.config import config as cvpr15_config
from oquab_lib.cvpr15.inputs import image_set, shared_inputs, source_network
from oquab_lib.cvpr15.strong import (
    BACKGROUND_FRACTION,
    dense_window_head,
    heatmap_predictions,
    labelled_windows,
    patch_head,
    window_features,
)
from oquab_lib.cvpr15.train import build_weak_net, init_from_patch_head
from oquab_lib.models import use_band_lrn
from oquab_lib.weak_net import fc_to_conv
from tests.fixtures import cvpr15_run

pytestmark = pytest.mark.usefixtures("one_thread")


def _backbone_and_images(run):
    cfg = cvpr15_config(run)
    _, source = source_network(run, cfg, 0, progress=False)
    backbone = use_band_lrn(fc_to_conv(source, include_fc8=False)).eval()
    return cfg, source, backbone, image_set(run, cfg, "voc", "train", progress=False)


def test_windows_cover_every_scale_and_are_labelled_like_cvpr14(cvpr15_world, tmp_path):
    run = cvpr15_run(cvpr15_world, tmp_path)
    cfg, source, backbone, images = _backbone_and_images(run)
    scales = (1.0, 1.4)
    with torch.inference_mode():  # as its callers run it
        seen = list(window_features(backbone, images, [0, 1], scales, device=torch.device("cpu"), progress=False))
    assert sorted(i for i, _, _ in seen) == [0, 0, 1, 1]  # each image once per scale
    for i, fc7, windows in seen:
        width, height = images.sizes[i].tolist()
        assert fc7.shape == (len(windows), source.fc7.out_features) and windows.shape[1] == 4
        assert (windows[:, 0] >= 0).all() and (windows[:, 0] < width).all() and (windows[:, 1] < height).all()
    features, labels = labelled_windows(backbone, images, [0, 1, 2], scales, device=torch.device("cpu"), seed=0,
                                        progress=False)
    num_classes = len(images.class_names)
    assert features.dtype == torch.float16 and len(features) == len(labels)
    assert labels.min() >= 0 and labels.max() <= num_classes  # K = background; excluded windows dropped
    assert (labels < num_classes).any(), "no object window"
    again = labelled_windows(backbone, images, [0, 1, 2], scales, device=torch.device("cpu"), seed=0, progress=False)
    assert torch.equal(again[1], labels)  # the background sample is seeded
    assert 0 < BACKGROUND_FRACTION < 1


@pytest.mark.slow
def test_dense_window_head_fits_the_adaptation_layers_and_is_cached(cvpr15_world, tmp_path, capsys):
    run = cvpr15_run(cvpr15_world, tmp_path, hidden=8, strong_epochs=1)
    cfg = cvpr15_config(run)
    head = dense_window_head(run, cfg, 0, progress=False)
    assert head.provenance.startswith("dense-window patch head cvpr15-patchhead-s0-")
    assert head.head.fca1.out_features == cfg.hidden and head.head.fcb.out_features == 20 + 1
    net = build_weak_net(source_network(run, cfg, 0)[1], cfg, 20, seed=0)
    init_from_patch_head(net, head.head)  # raises when the shapes do not fit
    capsys.readouterr()
    again = dense_window_head(run, cfg, 0, progress=True)
    assert "cache hit" in capsys.readouterr().out and again.provenance == head.provenance
    assert all(torch.equal(a, b) for a, b in zip(head.head.state_dict().values(), again.head.state_dict().values()))


def test_a_user_source_network_gets_our_head_not_table_2s(cvpr15_world, tmp_path):
    # cvpr14 heads are trained on the pipeline's own source networks: with a user's source_entry row E uses ours
    run = cvpr15_run(cvpr15_world, tmp_path, hidden=8, strong_epochs=1, strong_head="cvpr14")
    cfg = cvpr15_config(run)
    with shared_inputs():
        assert patch_head(run, cfg, 0, progress=False).provenance == dense_window_head(run, cfg, 0).provenance


def test_heatmap_points_lie_in_their_images_and_are_cached(cvpr15_world, tmp_path):
    run = cvpr15_run(cvpr15_world, tmp_path, hidden=8, strong_epochs=1, test_scales=(1.0,))
    cfg = cvpr15_config(run)
    out = heatmap_predictions(run, cfg, 0, "val", progress=False)
    images = image_set(run, cfg, "voc", "val", progress=False)
    n, k = len(images), len(images.class_names)
    assert out["scores"].shape == (n, k) and out["points"].shape == (n, k, 2)
    assert ((out["scores"] >= 0) & (out["scores"] <= 1)).all()  # mean of posteriors^5
    inside = (out["points"] >= 0) & (out["points"] <= images.sizes[:, None, :].float())
    assert inside.all()
    again = heatmap_predictions(run, cfg, 0, "val", progress=False)
    assert torch.equal(again["points"], out["points"])
