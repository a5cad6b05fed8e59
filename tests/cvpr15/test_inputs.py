"""Tests for oquab_lib.cvpr15.inputs: source networks and image sets are shared inside a ``shared_inputs()`` block
only, and a shared image set cannot be changed."""

from __future__ import annotations

import dataclasses

import pytest

from oquab_lib.cvpr15.config import config as cvpr15_config
from oquab_lib.cvpr15.inputs import image_set, shared_inputs, source_network
from tests.fixtures import cvpr15_run


def test_inputs_are_shared_inside_a_block_only(cvpr15_world, tmp_path):
    run = cvpr15_run(cvpr15_world, tmp_path)
    cfg = cvpr15_config(run)
    assert image_set(run, cfg, "voc", "val", progress=False) is not image_set(run, cfg, "voc", "val", progress=False)
    with shared_inputs() as cache:
        first = image_set(run, cfg, "voc", "val", progress=False)
        assert image_set(run, cfg, "voc", "val", progress=True) is first  # progress is not part of the key
        assert source_network(run, cfg, 0)[1] is source_network(run, cfg, 0)[1]
        with shared_inputs() as inner:  # a nested block joins the outer one
            assert inner is cache and image_set(run, cfg, "voc", "val") is first
        assert len(cache.image_sets) == 1 and len(cache.sources) == 1
    assert image_set(run, cfg, "voc", "val", progress=False) is not first  # the block is over


def test_a_shared_image_set_is_frozen(cvpr15_world, tmp_path):
    run = cvpr15_run(cvpr15_world, tmp_path)
    images = image_set(run, cvpr15_config(run), "voc", "val", progress=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        images.labels = None
    assert isinstance(images.ids, tuple) and isinstance(images.boxes, tuple)
    assert images.subset([0, 1]).ids == images.ids[:2]
