"""Point-based location prediction (CVPR 2015): score-map arg-max -> image point -> AP with a pixel tolerance.

Coordinate convention (everything in this module): *pixel-index* coordinates, x = column, y = row, the centre of
pixel (row i, column j) is the point (j, i); an image of width w spans x in [-0.5, w - 0.5]. Ground-truth boxes must
be given in the same frame (VOC XML coordinates are 1-based: subtract 1). A half-pixel or one-pixel frame difference
is far below the 18-pixel tolerance of the protocol.

Geometry of a conv/pool stack: ``grid_geometry`` returns the total stride and the *offset*, the centre of the
receptive field of output cell 0 in network-input pixels, so output cell (i, j) is centred on
(offset + j * stride, offset + i * stride).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from oquab_lib.errors import ConfigError, DataError
from oquab_lib.metrics import ranked_ap

# Layers that keep the spatial grid unchanged (element-wise or per-position), skipped by ``sequential_geometry``.
_GRID_PRESERVING = (nn.ReLU, nn.LeakyReLU, nn.LocalResponseNorm, nn.Dropout, nn.Dropout2d, nn.BatchNorm2d,
                    nn.Identity, nn.Sigmoid, nn.Tanh, nn.GELU)


def grid_geometry(specs: Sequence[tuple[int, ...]]) -> tuple[float, float]:
    """Total stride and centre offset of the output grid of a chain of conv / pool layers.

    specs: one ``(kernel, stride, padding)`` or ``(kernel, stride, padding, dilation)`` per layer, input to output.
    Recurrence: output cell 0 of a layer covers its input cells -padding .. -padding + extent - 1 (extent =
    dilation * (kernel - 1) + 1), centred on input cell (extent - 1) / 2 - padding, so
    ``offset += ((extent - 1) / 2 - padding) * stride_so_far`` and ``stride_so_far *= stride``.
    ``ceil_mode`` pooling only adds cells at the far end, it does not move cell 0.
    Returns ``(stride, offset)`` in input pixels. torchvision AlexNet ``features``: (32, 31).
    """
    stride_so_far, offset = 1.0, 0.0
    for index, spec in enumerate(specs):
        if len(spec) not in (3, 4) or any(int(v) != v for v in spec):
            raise ConfigError(f"grid_geometry: spec #{index} {spec!r} must be integer (kernel, stride, padding[, dilation])")
        kernel, stride, padding, dilation = (*spec, 1) if len(spec) == 3 else spec
        if kernel < 1 or stride < 1 or padding < 0 or dilation < 1:
            raise ConfigError(f"grid_geometry: spec #{index} {spec!r} needs kernel, stride, dilation >= 1, padding >= 0")
        extent = dilation * (kernel - 1) + 1
        offset += ((extent - 1) / 2 - padding) * stride_so_far
        stride_so_far *= stride
    return stride_so_far, offset


def _square(value, layer: nn.Module, name: str) -> int:
    """Geometry is computed for square kernels/strides/paddings only (every layer of the papers' networks)."""
    pair = value if isinstance(value, tuple) else (value, value)
    if pair[0] != pair[1]:
        raise ConfigError(f"sequential_geometry: {layer} has a non-square {name} {pair}; only square layers supported")
    return int(pair[0])


def _layer_spec(layer: nn.Module) -> tuple[int, int, int, int]:
    kernel = _square(layer.kernel_size, layer, "kernel_size")
    dilation = _square(getattr(layer, "dilation", 1), layer, "dilation")
    padding = layer.padding
    if padding == "valid":
        padding = 0
    elif padding == "same":  # only legal with stride 1; PyTorch puts the odd extra pixel on the right/bottom
        padding = dilation * (kernel - 1) // 2
    return kernel, _square(layer.stride, layer, "stride"), _square(padding, layer, "padding"), dilation


def sequential_geometry(module: nn.Module) -> tuple[float, float]:
    """``grid_geometry`` of an ``nn.Sequential`` (nested allowed) of Conv2d / MaxPool2d / AvgPool2d layers.

    Element-wise layers (ReLU, LRN, Dropout, BatchNorm, ...) are skipped; any other layer raises ConfigError.
    """
    specs = []
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            specs.append(_layer_spec(layer))
        elif not isinstance(layer, (nn.Sequential, *_GRID_PRESERVING)) and layer is not module:
            if next(layer.children(), None) is None:  # a leaf we cannot reason about
                raise ConfigError(f"sequential_geometry: layer {layer} changes the grid in an unknown way; "
                                  "pass (kernel, stride, padding) specs to grid_geometry instead")
    return grid_geometry(specs)


def score_map_argmax_to_image(score_maps: torch.Tensor, stride: float, offset: float,
                              scale: float | torch.Tensor = 1.0) -> torch.Tensor:
    """Arg-max cell of each score map mapped back to image pixels.

    score_maps: [B, K, h, w]; returns points [B, K, 2] as (x, y) with ``x = (offset + j * stride) / scale``,
    ``y = (offset + i * stride) / scale`` for the arg-max cell (row i, column j); ties go to the first maximum in
    row-major order (``torch.argmax``). ``scale``: factor the image was resized by before the network, a float, a
    tensor [B] (one per image) or [B, 2] (x and y factors). Dividing the pixel index by the scale ignores the
    half-pixel shift of resizing (|1/scale - 1| / 2 px), negligible against the 18-px tolerance.
    """
    if score_maps.ndim != 4:
        raise DataError(f"score_maps: expected [B, K, h, w], got shape {tuple(score_maps.shape)}")
    batch, n_maps, _, width = score_maps.shape
    flat_index = score_maps.flatten(2).argmax(dim=2)  # [B, K]
    rows, cols = flat_index // width, flat_index % width
    points = offset + stride * torch.stack((cols, rows), dim=-1).to(torch.float64)  # [B, K, 2]
    scale = torch.as_tensor(scale, dtype=torch.float64, device=score_maps.device)
    if scale.ndim == 1 and scale.shape[0] == batch:
        scale = scale[:, None, None]
    elif scale.ndim == 2 and scale.shape == (batch, 2):
        scale = scale[:, None, :]
    elif scale.ndim != 0:
        raise ConfigError(f"scale: expected a float, [B] or [B, 2] with B={batch}, got shape {tuple(scale.shape)}")
    if (scale <= 0).any():
        raise ConfigError("scale: resize factors must be positive")
    return (points / scale).to(torch.float32)


def heatmap_argmax_points(heatmaps: torch.Tensor) -> torch.Tensor:
    """Arg-max pixel (x, y) of full-resolution heat maps [..., H, W] (e.g. [C, H, W]) -> [..., 2]."""
    if heatmaps.ndim < 2:
        raise DataError(f"heatmaps: expected [..., H, W], got shape {tuple(heatmaps.shape)}")
    leading = heatmaps.shape[:-2]
    flat = heatmaps.reshape(1, -1, *heatmaps.shape[-2:])
    return score_map_argmax_to_image(flat, stride=1.0, offset=0.0).reshape(*leading, 2)


def _sizes(widths, heights) -> tuple[torch.Tensor, torch.Tensor]:
    widths = torch.as_tensor(widths, dtype=torch.float32)
    heights = torch.as_tensor(heights, dtype=torch.float32)
    if widths.ndim != 1 or widths.shape != heights.shape or (widths <= 0).any() or (heights <= 0).any():
        raise DataError(f"widths {tuple(widths.shape)} / heights {tuple(heights.shape)}: need two [N] tensors > 0")
    return widths, heights


def centre_points(widths, heights, n_classes: int) -> torch.Tensor:
    """Baseline: the image centre ((w - 1) / 2, (h - 1) / 2) for every class -> [N, C, 2]."""
    widths, heights = _sizes(widths, heights)
    centre = torch.stack(((widths - 1) / 2, (heights - 1) / 2), dim=-1)  # [N, 2]
    return centre[:, None, :].expand(-1, n_classes, -1).clone()


def random_points(widths, heights, n_classes: int, generator: torch.Generator) -> torch.Tensor:
    """Baseline: a uniformly random pixel of the image per (image, class) -> [N, C, 2] (integer-valued floats)."""
    widths, heights = _sizes(widths, heights)
    unit = torch.rand(widths.shape[0], n_classes, 2, generator=generator)
    size = torch.stack((widths, heights), dim=-1)[:, None, :]  # [N, 1, 2]
    return torch.minimum(torch.floor(unit * size), size - 1)


def _check_location_inputs(points, scores, gt_boxes, labels) -> None:
    n_images, n_classes = scores.shape
    if points.shape != (n_images, n_classes, 2) or labels.shape != (n_images, n_classes):
        raise DataError(f"location_ap: points {tuple(points.shape)}, scores {tuple(scores.shape)}, labels "
                        f"{tuple(labels.shape)} must be [N, C, 2], [N, C], [N, C]")
    if len(gt_boxes) != n_images:
        raise DataError(f"location_ap: gt_boxes has {len(gt_boxes)} entries for {n_images} images; one [n_i, 5] each")
    for index, boxes in enumerate(gt_boxes):
        if boxes.ndim != 2 or boxes.shape[1] != 5:
            raise DataError(f"location_ap: gt_boxes[{index}] has shape {tuple(boxes.shape)}; expected [n_i, 5] "
                            "(x1, y1, x2, y2, class index)")
        cls = boxes[:, 4]
        if ((cls < 0) | (cls >= n_classes) | (cls != cls.round())).any():
            raise DataError(f"location_ap: gt_boxes[{index}] has a class index outside 0..{n_classes - 1}")
    if not torch.isin(labels, torch.tensor([1, -1, 0], dtype=labels.dtype)).all():
        raise DataError("location_ap: labels must be in {1, -1, 0} (present, absent, difficult only)")


def point_hits(points: torch.Tensor, gt_boxes: Sequence[torch.Tensor], tolerance: float) -> torch.Tensor:
    """[N, C] bool: point (x, y) of image n, class c lies in some class-c box of image n enlarged by ``tolerance``
    pixels on every side, boundaries inclusive (x1 - tol <= x <= x2 + tol, same for y)."""
    n_images, n_classes, _ = points.shape
    hits = torch.zeros(n_images, n_classes, dtype=torch.bool)
    if sum(len(b) for b in gt_boxes) == 0:
        return hits
    image_index = torch.cat([torch.full((len(b),), i, dtype=torch.long) for i, b in enumerate(gt_boxes)])
    boxes = torch.cat([b.detach().cpu().to(torch.float64) for b in gt_boxes])  # [M, 5]
    cls = boxes[:, 4].long()
    box_points = points.detach().cpu().to(torch.float64)[image_index, cls]  # [M, 2]: the point of the box's class
    x, y = box_points[:, 0], box_points[:, 1]
    inside = ((x >= boxes[:, 0] - tolerance) & (x <= boxes[:, 2] + tolerance)
              & (y >= boxes[:, 1] - tolerance) & (y <= boxes[:, 3] + tolerance))
    hits[image_index[inside], cls[inside]] = True
    return hits


def pointing_accuracy(points: torch.Tensor, gt_boxes: Sequence[torch.Tensor], labels: torch.Tensor,
                      tolerance: float = 18.0) -> float:
    """The pointing game (Zhang et al., ECCV 2016): the share of (image, class) pairs with the class present
    (``labels == 1``) whose point lies within ``tolerance`` px of a box of the class (as :func:`point_hits`).

    points: [N, C, 2]; gt_boxes: N tensors [n_i, 5]; labels: [N, C] in {1, -1, 0}. Returns a fraction in [0, 1]
    (NaN when no class is present anywhere). Unlike location AP it ignores the scores: it asks only *where*.
    """
    present = labels.detach().cpu() == 1
    if not present.any():
        return float("nan")
    hits = point_hits(points, gt_boxes, tolerance) & present
    return float(hits.sum()) / float(present.sum())


def location_ap(points: torch.Tensor, scores: torch.Tensor, gt_boxes: Sequence[torch.Tensor], labels: torch.Tensor,
                tolerance: float = 18.0) -> tuple[torch.Tensor, float]:
    """Point-based location prediction AP (CVPR 2015), per class and mean.

    points: [N, C, 2] predicted (x, y) per image and class, image pixels; scores: [N, C] class scores;
    gt_boxes: N tensors [n_i, 5] (x1, y1, x2, y2, class index); labels: [N, C] in {1, -1, 0}.
    For class c every image not labelled 0 gives one prediction (its point, its score); predictions are ranked by
    score over the whole set (stable ties, see ``metrics``). A prediction is a hit when the image is labelled 1 and
    the point lies in a class-c box enlarged by ``tolerance`` px on every side (inclusive boundaries); everything else,
    including a wrong position in an image where the class is present, is a false positive. Recall = hits / #images
    labelled 1; AP = VOC2010+ envelope AP (``metrics.ranked_ap``).
    Returns (ap [C] fractions in [0, 1], NaN for classes with no positive image; mean over the non-NaN classes).
    """
    if not (tolerance >= 0 and np.isfinite(tolerance)):
        raise ConfigError(f"location_ap: tolerance={tolerance!r} must be a finite number of pixels >= 0")
    points, scores, labels = (t.detach().cpu() for t in (points, scores, labels))
    _check_location_inputs(points, scores, gt_boxes, labels)
    hits = point_hits(points, gt_boxes, tolerance) & (labels == 1)
    ap = torch.full((scores.shape[1],), float("nan"), dtype=torch.float64)
    for c in range(scores.shape[1]):
        n_positives = int((labels[:, c] == 1).sum())
        if n_positives == 0:
            continue  # AP undefined: reported as NaN and left out of the mean
        kept = labels[:, c] != 0
        ap[c] = ranked_ap(scores[kept, c], hits[kept, c], n_positives, protocol="voc12")
    if torch.isnan(ap).all():
        raise DataError("location_ap: no class has an image labelled 1; location AP is undefined for this set")
    return ap, float(ap[~torch.isnan(ap)].mean())
