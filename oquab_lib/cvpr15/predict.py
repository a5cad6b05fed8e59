"""CVPR'15 testing: multi-scale scores and arg-max points of a weak net, and classification AP.

:func:`predict` rescales every base-size image by each test factor (the paper: {0.5, 0.7, 1, 1.4, 2, 2.8}), averages
the pooled scores over scales, and takes the location of class k from the scale whose pooled score for k is highest
(where the evidence for k is strongest): the arg-max cell of that scale's map, mapped back to original image pixels
through the grid geometry (:func:`~oquab_lib.weak_net.score_geometry`) and that scale's resize factors
(:func:`~oquab_lib.localize.score_map_argmax_to_image`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib.cvpr15.data import ImageSet, scaled_shape, size_groups, to_network_input
from oquab_lib.localize import score_map_argmax_to_image
from oquab_lib.metrics import voc_ap
from oquab_lib.models import normalization
from oquab_lib.weak_net import WeakNet, global_pool, score_geometry


class Prediction(NamedTuple):
    """``scores [N, K]`` (pooled, averaged over scales); ``points [N, K, 2]`` (x, y) in original image pixels;
    ``scale_index [N, K]``: the test scale whose map gave the point."""

    scores: Tensor
    points: Tensor
    scale_index: Tensor


def _autocast(device: torch.device, amp: bool):
    return torch.autocast(device_type="cuda", enabled=amp and device.type == "cuda")


class C5Batch(NamedTuple):
    """One (chunk of images, test scale) step: ``indices`` into the image set, the scaled input ``size (h, w)`` and
    the pooled C5 maps ``[B, C, h5, w5]`` of the scaled images (the frozen backbone's convolutional part)."""

    indices: list[int]
    scale_index: int
    size: tuple[int, int]
    c5: Tensor


def chunks_of(images: ImageSet, batch_size: int) -> list[list[int]]:
    """Chunks of at most ``batch_size`` images of one base size, in a fixed order."""
    return [members[i:i + batch_size] for members in size_groups(images, range(len(images))).values()
            for i in range(0, len(members), batch_size)]


@torch.inference_mode()
def c5_batches(features: nn.Module, spec, images: ImageSet, scales: tuple[float, ...], *, device: torch.device,
               batch_size: int = 32, amp: bool = True, whole_image: bool = False,
               progress: bool = True) -> Iterator[C5Batch]:
    """Run C1..C5 (``features``) on every chunk of ``images`` at every scale (``whole_image``: input size only)."""
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in normalization(spec))
    side = spec.input_size
    chunks = chunks_of(images, batch_size)
    for chunk in tqdm(chunks, desc=f"test {images.dataset}/{images.split}", leave=False,
                      disable=not progress or len(chunks) < 4):
        base = torch.stack([images.images[i] for i in chunk]).to(device)
        for s, scale in enumerate(scales):
            size = (side, side) if whole_image else scaled_shape(*base.shape[-2:], scale, side)
            with _autocast(device, amp):
                yield C5Batch(chunk, s, size, features(to_network_input(base, size, mean, std)))


@torch.inference_mode()
def predict(net: WeakNet, images: ImageSet, scales: tuple[float, ...], device: str | torch.device = "cpu", *,
            whole_image: bool = False, batch_size: int = 32, amp: bool = True, progress: bool = True,
            c5: Iterable[C5Batch] | None = None) -> Prediction:
    """Multi-scale scores and points of every image of ``images`` (see the module docstring).

    ``c5``: precomputed C5 maps of these images and scales (:func:`c5_batches`, e.g. from a cache shared by every
    model on the same frozen source network); only FC6, FC7 and the adaptation layers then run here.
    """
    device = torch.device(device)
    net.eval().to(device)
    stride, offset = score_geometry(net)
    n, k = len(images), len(images.class_names)
    scores, best = torch.zeros(n, k), torch.full((n, k), -math.inf)
    points, scale_index = torch.zeros(n, k, 2), torch.zeros(n, k, dtype=torch.long)
    if c5 is None:
        c5 = c5_batches(net.backbone.features, net.spec, images, scales, device=device, batch_size=batch_size,
                        amp=amp, whole_image=whole_image, progress=progress)
    for batch in c5:
        idx, size = torch.tensor(batch.indices), batch.size
        with _autocast(device, amp):
            maps = net.adaptation(net.backbone.classifier(batch.c5.to(device))).float()
        pooled = global_pool(maps, net.pooling, net.lse_r).cpu()
        factors = torch.tensor([size[1], size[0]], dtype=torch.float64) / images.sizes[idx]  # [B, 2] (x, y)
        found = score_map_argmax_to_image(maps.cpu(), stride, offset, factors)
        better = pooled > best[idx]
        best[idx] = torch.where(better, pooled, best[idx])
        points[idx] = torch.where(better[..., None], found, points[idx])
        scale_index[idx] = torch.where(better, torch.full_like(scale_index[idx], batch.scale_index),
                                       scale_index[idx])
        scores[idx] += pooled / len(scales)
    return Prediction(scores, points, scale_index)


def class_aps(scores: Tensor, labels: Tensor) -> np.ndarray:
    """Per-class VOC 2012 AP fractions ``[K]``; NaN for a class with no positive image (left out of means)."""
    out = np.full(labels.shape[1], np.nan)
    for c in range(labels.shape[1]):
        if (labels[:, c] == 1).any():
            out[c] = voc_ap(scores[:, c], labels[:, c], "voc12")
    return out


def mean_ap(scores: Tensor, labels: Tensor) -> float:
    """mAP in percent over the classes with a positive image."""
    return float(100 * np.nanmean(class_aps(scores, labels)))
