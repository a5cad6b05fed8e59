"""CVPR'15 data: size-bucketed, randomly rescaled training batches that replay from their generator."""

from __future__ import annotations

import pytest
import torch

from oquab_lib.cvpr15.data import (
    WeakBatches,
    load_image_set,
    scaled_shape,
    train_val_split,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_weak_batches_share_a_size_respect_the_range_and_replay_from_the_generator(cvpr15_world):
    images = load_image_set(str(cvpr15_world), "voc", "train", 40, progress=False)
    loader = WeakBatches(images, range(len(images)), 3, (0.7, 1.4), 32, (0.5,) * 3, (0.25,) * 3, seed=5)
    state = loader.generator.get_state()
    first = list(loader)
    assert len(first) == len(loader) == 4  # two size groups of 5 images, batches of <= 3
    for images_batch, labels in first:
        assert min(images_batch.shape[-2:]) >= 32 and max(images_batch.shape[-2:]) <= round(40 * 1.4) + 1
        assert labels.shape == (images_batch.shape[0], 20)
    assert len({tuple(x.shape[-2:]) for x, _ in first}) > 1  # a factor per batch
    loader.generator.set_state(state)
    replay = list(loader)
    assert all(torch.equal(a, c) and torch.equal(b, d) for (a, b), (c, d) in zip(first, replay))
    whole = WeakBatches(images, range(len(images)), 4, (1, 1), 32, (0.5,) * 3, (0.25,) * 3, whole_image=True)
    assert {tuple(x.shape[-2:]) for x, _ in whole} == {(32, 32)}


def test_weak_batches_decode_ahead_on_a_pool_with_the_same_batches(cvpr15_world):
    """batch_size=1 on a decoding pool: images are read ahead (COCO on 8 workers), the batches are the same."""
    images = load_image_set(str(cvpr15_world), "voc", "train", 40, progress=False)
    serial = list(WeakBatches(images, range(len(images)), 1, (0.7, 1.4), 32, (0.5,) * 3, (0.25,) * 3, seed=3))
    pooled = WeakBatches(images, range(len(images)), 1, (0.7, 1.4), 32, (0.5,) * 3, (0.25,) * 3, seed=3,
                         num_workers=4)
    batches = list(pooled)
    assert len(batches) == len(serial) == len(images)
    assert all(torch.equal(a, c) and torch.equal(b, d) for (a, b), (c, d) in zip(serial, batches))
    next(iter(pooled))  # stopping early leaves no decoding thread behind (the pool is shut down)


def test_scaled_shape_never_goes_below_the_input_size():
    assert scaled_shape(40, 60, 1.0, 32) == (40, 60)
    assert scaled_shape(40, 60, 0.5, 32) == (32, 48)  # factor raised to 0.8 so the short side is 32
    assert train_val_split(10, 0.3) == (list(range(7)), [7, 8, 9])
