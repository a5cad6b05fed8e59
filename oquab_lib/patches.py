"""Square patches for the CVPR'14 transfer pipeline: tiling, labelling, re-sampling and cropping.

Coordinates are continuous pixel coordinates: pixel ``(x, y)`` covers ``[x, x+1) x [y, y+1)`` and its centre is at
``(x + 0.5, y + 0.5)``; a box is ``(x1, y1, x2, y2)`` with ``x2`` exclusive, so a whole ``W x H`` image is
``(0, 0, W, H)``. This is the convention of ``torchvision.ops.roi_align(aligned=True)``. Ground-truth boxes must be
given in the same convention (a 1-based inclusive VOC box ``xmin..xmax`` becomes ``(xmin - 1, ymin - 1, xmax, ymax)``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib.errors import ConfigError

PAPER_SCALES = (1, 1.3, 1.6, 2, 2.4, 2.8, 3.2, 3.6, 4)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Relative slack on the 0.2 / 0.6 thresholds so that a patch exactly at the threshold passes despite float rounding.
_THRESHOLD_RTOL = 1e-6


# --------------------------------------------------------------------------------------------------------- tiling
def _grid_starts(length: float, side: float, max_step: float) -> Tensor:
    """Start coordinates ``[n]`` of patches of ``side`` spread evenly over ``[0, length]``, step <= ``max_step``."""
    span = length - side
    # The 1e-9 slack keeps an exact multiple (e.g. 187.5 / 62.5) from gaining a spurious extra patch.
    n_steps = max(0, math.ceil(span / max_step - 1e-9))
    if n_steps == 0:  # the patch fills this dimension (up to rounding): centre it
        return torch.tensor([span / 2], dtype=torch.float64)
    return torch.linspace(0.0, span, n_steps + 1, dtype=torch.float64)


def tile_patches(
    width: int,
    height: int,
    scales: Sequence[float] = PAPER_SCALES,
    min_overlap: float = 0.5,
    overlap_measure: Literal["iou", "side"] = "iou",
) -> Tensor:
    """Regular multi-scale grid of square patches ``[N, 4]`` (x1, y1, x2, y2), float32, pixels.

    Per scale ``λ`` the side is ``min(width, height) / λ``; patches are spread evenly so that the first touches the
    left/top border and the last the right/bottom border, all inside the image. Order: scale-major, then row, then
    column. ``min_overlap`` is the minimum overlap between horizontal / vertical neighbours, measured as
    ``overlap_measure``:

    - ``"iou"`` (default): intersection over union of the two neighbours, so step <= side·(1 − o)/(1 + o) (side/3 for
      o = 0.5). On a 500x375 image this gives 512 patches, matching the paper's "about 500".
    - ``"side"``: shared fraction of the side, step <= (1 − o)·side. Gives only 275 patches on 500x375, about half the
      paper's count, which is why it is not the default.
    """
    if width <= 0 or height <= 0:
        raise ConfigError(f"tile_patches: image size must be positive, got width={width}, height={height}")
    if not 0.0 <= min_overlap < 1.0:
        raise ConfigError(f"tile_patches: min_overlap must be in [0, 1), got {min_overlap}")
    if not scales or min(scales) < 1:
        raise ConfigError(f"tile_patches: scales must be non-empty and >= 1 (patch inside image), got {scales}")
    if overlap_measure == "iou":
        step_fraction = (1 - min_overlap) / (1 + min_overlap)
    elif overlap_measure == "side":
        step_fraction = 1 - min_overlap
    else:
        raise ConfigError(f"tile_patches: overlap_measure must be 'iou' or 'side', got {overlap_measure!r}")
    per_scale = []
    for scale in scales:
        side = min(width, height) / scale
        xs = _grid_starts(width, side, step_fraction * side)
        ys = _grid_starts(height, side, step_fraction * side)
        y1, x1 = torch.meshgrid(ys, xs, indexing="ij")  # row-major: rows (y) outer, columns (x) inner
        x1, y1 = x1.reshape(-1), y1.reshape(-1)
        per_scale.append(torch.stack([x1, y1, x1 + side, y1 + side], dim=1))
    patches = torch.cat(per_scale)
    # Clamp away float64 rounding at the borders (x2 = 500.00000000000006) before casting.
    patches[:, 0::2] = patches[:, 0::2].clamp(0, width)
    patches[:, 1::2] = patches[:, 1::2].clamp(0, height)
    return patches.float()


# ------------------------------------------------------------------------------------------------------ labelling
def _intersection_areas(patches: Tensor, boxes: Tensor) -> Tensor:
    """Pairwise intersection areas ``[N, n]`` of boxes in (x1, y1, x2, y2) form."""
    top_left = torch.max(patches[:, None, :2], boxes[None, :, :2])
    bottom_right = torch.min(patches[:, None, 2:], boxes[None, :, 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    return wh[..., 0] * wh[..., 1]


def _check_label_inputs(patches: Tensor, boxes: Tensor, box_labels: Tensor, num_classes: int,
                        difficult: Tensor | None, partial: str, difficult_policy: str, objects: str) -> None:
    if patches.ndim != 2 or patches.shape[1] != 4 or boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ConfigError(f"label_patches: patches and boxes must be [N, 4] and [n, 4], got "
                          f"{tuple(patches.shape)} and {tuple(boxes.shape)}")
    if box_labels.shape != (boxes.shape[0],):
        raise ConfigError(f"label_patches: box_labels must be [{boxes.shape[0]}], got {tuple(box_labels.shape)}")
    if difficult is not None and difficult.shape != (boxes.shape[0],):
        raise ConfigError(f"label_patches: difficult must be [{boxes.shape[0]}], got {tuple(difficult.shape)}")
    if box_labels.numel() and (box_labels.min() < 0 or box_labels.max() >= num_classes):
        raise ConfigError(f"label_patches: box_labels must lie in [0, {num_classes}), got "
                          f"{box_labels.min().item()}..{box_labels.max().item()}")
    if partial not in ("exclude", "background"):
        raise ConfigError(f"label_patches: partial must be 'exclude' or 'background', got {partial!r}")
    if objects not in ("sufficient", "touch"):
        raise ConfigError(f"label_patches: objects must be 'sufficient' or 'touch', got {objects!r}")
    if difficult_policy not in ("ignore", "include", "drop"):
        raise ConfigError(f"label_patches: difficult_policy must be 'ignore', 'include' or 'drop', "
                          f"got {difficult_policy!r}")


def label_patches(
    patches: Tensor,
    boxes: Tensor,
    box_labels: Tensor,
    num_classes: int,
    difficult: Tensor | None = None,
    partial: Literal["exclude", "background"] = "exclude",
    difficult_policy: Literal["ignore", "include", "drop"] = "ignore",
    objects: Literal["sufficient", "touch"] = "sufficient",
) -> Tensor:
    """Training label ``[N]`` int64 of each patch: a class in ``[0, num_classes)``, ``num_classes`` or ``-1``.

    Args: ``patches [N, 4]``, ``boxes [n, 4]`` (same pixel convention), ``box_labels [n]`` int, ``difficult [n]`` bool.

    Rules (CVPR'14, Sec. 3.2): P is positive for class o when a box B of class o has ``|P∩B| >= 0.2|P|`` and
    ``|P∩B| >= 0.6|B|`` and "P overlaps no more than one object". Which boxes count as objects P overlaps is not
    stated (``objects``):

    - ``"sufficient"`` (default): the boxes that pass both thresholds. A patch with one such box is a positive even
      when other boxes graze it; with two or more it is excluded (``-1``). In the mini world, where objects overlap,
      the stricter reading leaves about half of the positive (image, class) pairs of a split without a single
      positive patch (the Mini world chapter's change log, C5).
    - ``"touch"``: every box with a nonzero intersection: a positive must touch no other box.

    Two boxes of the SAME class count as two objects. A patch that touches no box is background (``num_classes``).
    A patch that touches boxes but is neither a positive nor excluded for several objects: the paper is silent;
    ``partial="exclude"`` (default) -> ``-1``, ``partial="background"`` -> ``num_classes``.

    Difficult objects (``difficult_policy``; the paper is silent): ``"ignore"`` (default) never makes a difficult box a
    positive (a patch whose only object is difficult is ``-1``) yet still counts it as an object for the
    several-objects rule; ``"include"`` treats difficult boxes as ordinary ones; ``"drop"`` deletes them first, so patches
    on them may become background.
    """
    patches = torch.as_tensor(patches)
    patches = patches if patches.is_floating_point() else patches.float()
    boxes = torch.as_tensor(boxes, dtype=patches.dtype, device=patches.device)
    boxes = boxes.reshape(0, 4) if boxes.numel() == 0 else boxes  # an empty list of boxes is shape [0]
    box_labels = torch.as_tensor(box_labels, dtype=torch.int64, device=patches.device).reshape(-1)
    if difficult is not None:
        difficult = torch.as_tensor(difficult, dtype=torch.bool, device=patches.device).reshape(-1)
    _check_label_inputs(patches, boxes, box_labels, num_classes, difficult, partial, difficult_policy, objects)
    if difficult is None or difficult_policy == "include":
        difficult = torch.zeros(boxes.shape[0], dtype=torch.bool, device=patches.device)
    elif difficult_policy == "drop":
        boxes, box_labels = boxes[~difficult], box_labels[~difficult]
        difficult = difficult[~difficult]

    from torchvision.ops import (
        box_area,  # imported here: torchvision's import is slow (see data.images)
    )

    labels = torch.full((patches.shape[0],), num_classes, dtype=torch.int64, device=patches.device)
    if boxes.shape[0] == 0:
        return labels
    inter = _intersection_areas(patches, boxes)  # [N, n]
    touching = inter > 0
    passes = (inter >= 0.2 * box_area(patches)[:, None] * (1 - _THRESHOLD_RTOL)) & (
        inter >= 0.6 * box_area(boxes)[None, :] * (1 - _THRESHOLD_RTOL))
    counted = passes if objects == "sufficient" else touching  # the objects P "overlaps"
    n_counted = counted.sum(dim=1)
    # Where exactly one object is counted, argmax finds it (its only True entry); elsewhere the value is unused.
    only_box = counted.to(torch.uint8).argmax(dim=1)
    single = n_counted == 1
    single_passes = single & passes.gather(1, only_box[:, None]).squeeze(1)
    labels[touching.any(dim=1)] = -1 if partial == "exclude" else num_classes
    labels[single_passes] = box_labels[only_box[single_passes]]
    labels[single & difficult[only_box]] = -1
    labels[n_counted >= 2] = -1
    return labels


def resample_background(
    labels: Tensor, num_classes: int, fraction: float = 0.1, generator: torch.Generator | None = None
) -> Tensor:
    """Indices ``[M]`` (ascending) of the patches kept for training.

    Keeps every object patch (label in ``[0, num_classes)``), ``round(fraction * n_background)`` background patches
    drawn without replacement (round half up, so 0 when ``fraction * n_background < 0.5``), and drops excluded ones
    (``-1``). Pass an explicit ``generator`` for reproducibility (same generator state -> same indices).
    """
    if not 0.0 <= fraction <= 1.0:
        raise ConfigError(f"resample_background: fraction must be in [0, 1], got {fraction}")
    is_object = (labels >= 0) & (labels < num_classes)
    background = torch.nonzero(labels == num_classes).squeeze(1)
    n_keep = math.floor(fraction * background.numel() + 0.5)
    order = torch.randperm(background.numel(), generator=generator).to(background.device)
    kept = torch.cat([torch.nonzero(is_object).squeeze(1), background[order[:n_keep]]])
    return kept.sort().values


# -------------------------------------------------------------------------------------------------------- cropping
def _channel_tensor(values: Sequence[float] | Tensor, like: Tensor, name: str) -> Tensor:
    values = torch.as_tensor(values, dtype=like.dtype, device=like.device).reshape(-1)
    if values.numel() != like.shape[1]:
        raise ConfigError(f"crop_patches: {name} must have {like.shape[1]} values (one per channel), "
                          f"got {values.numel()}")
    return values.view(1, -1, 1, 1)


def crop_patches(
    images: Tensor,
    patches: Tensor,
    image_index: Tensor | None = None,
    out_size: int = 224,
    mean: Sequence[float] | Tensor = IMAGENET_MEAN,
    std: Sequence[float] | Tensor = IMAGENET_STD,
    device: torch.device | str | None = None,
) -> Tensor:
    """Crop and resize every patch to ``out_size``, then normalise: ``[N, 3, out_size, out_size]``.

    ``images`` is ``[B, 3, H, W]`` or ``[3, H, W]`` float (e.g. in [0, 1] for the default ImageNet mean/std);
    ``patches [N, 4]`` pixels; ``image_index [N]`` says which image each patch comes from (may be omitted when B = 1).
    One batched ``roi_align(aligned=True)`` call, ``sampling_ratio=0`` (adaptive): each output pixel averages
    ``ceil(side / out_size)²`` bilinear samples, i.e. plain bilinear when up-sampling and an area-like anti-aliased
    average when shrinking a large patch (a 375-px patch -> 224: 2x2 samples). An integer-aligned patch of side
    ``out_size`` is copied exactly. ``device`` (default: that of ``images``) is where the crops are made and returned.
    """
    from torchvision.ops import (
        roi_align,  # imported here: torchvision's import is slow (see data.images)
    )

    device = torch.device(device) if device is not None else images.device
    images = images.unsqueeze(0) if images.ndim == 3 else images
    if images.ndim != 4 or not images.is_floating_point():
        raise ConfigError(f"crop_patches: images must be float [B, C, H, W] or [C, H, W], "
                          f"got {images.dtype} {tuple(images.shape)}")
    if image_index is None:
        if images.shape[0] != 1:
            raise ConfigError(f"crop_patches: image_index is required when {images.shape[0]} images are given")
        image_index = torch.zeros(len(patches))
    images = images.to(device)
    patches = torch.as_tensor(patches, dtype=images.dtype, device=device).reshape(-1, 4)
    image_index = torch.as_tensor(image_index, dtype=images.dtype, device=device).reshape(-1, 1)
    if image_index.shape[0] != patches.shape[0]:
        raise ConfigError(f"crop_patches: image_index has {image_index.shape[0]} entries for {patches.shape[0]} patches")
    rois = torch.cat([image_index, patches], dim=1)
    crops = roi_align(images, rois, output_size=(out_size, out_size), spatial_scale=1.0,
                      sampling_ratio=0, aligned=True)
    return crops.sub_(_channel_tensor(mean, crops, "mean")).div_(_channel_tensor(std, crops, "std"))  # fresh: in place


def _reflect_pad(image: Tensor, left: int, right: int, top: int, bottom: int) -> Tensor:
    """Mirror padding of ``[C, H, W]``; repeats the reflection when a pad is wider than the image allows."""
    while left or right or top or bottom:
        height, width = image.shape[-2:]
        # mode="reflect" needs pad < size; step by at most size - 1 and reflect the already padded image again.
        step = [min(p, max(size - 1, 0)) for p, size in ((left, width), (right, width), (top, height), (bottom, height))]
        if not any(step):
            raise ConfigError(f"mirror_pad_square: cannot mirror-pad a {height}x{width} image (needs >= 2 pixels)")
        image = F.pad(image.unsqueeze(0), step, mode="reflect").squeeze(0)
        left, right, top, bottom = left - step[0], right - step[1], top - step[2], bottom - step[3]
    return image


def mirror_pad_square(image: Tensor, box: Tensor | Sequence[float]) -> tuple[Tensor, Tensor]:
    """Square patch centred on a person ``box``; mirror-pads ``image [C, H, W]`` where the square leaves it.

    The side is ``max(w, h)`` of the box (the tightest square containing it; the CVPR'14 action pipeline only says
    "a square patch centred on the person box"). Returns ``(padded_image [C, H', W'], square_box [4])`` with the box
    in padded-image pixels, ready for :func:`crop_patches`. Pads are whole pixels (rounded up), ``mode="reflect"``
    (edge pixel not repeated), applied repeatedly when a pad exceeds the image size.
    """
    box = torch.as_tensor(box, dtype=torch.float64).reshape(4)
    x1, y1, x2, y2 = box.tolist()
    if x2 <= x1 or y2 <= y1:
        raise ConfigError(f"mirror_pad_square: box must have x2 > x1 and y2 > y1, got {box.tolist()}")
    side = max(x2 - x1, y2 - y1)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    square = [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2]
    height, width = image.shape[-2:]
    left, top = max(0, math.ceil(-square[0] - 1e-9)), max(0, math.ceil(-square[1] - 1e-9))
    right = max(0, math.ceil(square[2] - width - 1e-9))
    bottom = max(0, math.ceil(square[3] - height - 1e-9))
    padded = _reflect_pad(image, left, right, top, bottom)
    shifted = torch.tensor([square[0] + left, square[1] + top, square[2] + left, square[3] + top])
    return padded, shifted.to(image.dtype if image.is_floating_point() else torch.float32)


# ---------------------------------------------------------------------------------------------------- mini-batches
class PatchBatch(NamedTuple):
    """One mini-batch from :func:`iterate_patch_batches`."""

    crops: Tensor  # [b, 3, out, out] normalised
    image_index: Tensor  # [b] position of the source image in the `images` sequence
    patch_index: Tensor  # [b] row of the patch in that image's patch tensor


def iterate_patch_batches(
    images: Sequence[Tensor],
    patches: Sequence[Tensor],
    batch_size: int = 256,
    out_size: int = 224,
    mean: Sequence[float] | Tensor = IMAGENET_MEAN,
    std: Sequence[float] | Tensor = IMAGENET_STD,
    device: torch.device | str = "cpu",
    progress: bool = True,
) -> Iterator[PatchBatch]:
    """Yield :class:`PatchBatch` es of at most ``batch_size`` crops over all (image, patch) pairs, in order.

    ``images[i]`` is a float ``[3, H_i, W_i]`` tensor (any sequence works, e.g. a lazily loading dataset: each image
    is fetched once, since batches walk the images in order); ``patches[i]`` its ``[N_i, 4]`` boxes. Images of
    different sizes cannot share a ``roi_align`` call, so a batch spanning several images crops each and concatenates.
    """
    if len(images) != len(patches):
        raise ConfigError(f"iterate_patch_batches: {len(images)} images but {len(patches)} patch tensors")
    if batch_size <= 0:
        raise ConfigError(f"iterate_patch_batches: batch_size must be positive, got {batch_size}")
    counts = torch.tensor([p.shape[0] for p in patches], dtype=torch.int64)
    all_images = torch.repeat_interleave(torch.arange(len(patches)), counts)
    all_rows = torch.cat([torch.arange(int(n)) for n in counts]) if len(patches) else torch.zeros(0, dtype=torch.int64)
    cached_index, cached_image = -1, None
    starts = range(0, all_images.numel(), batch_size)
    for start in tqdm(starts, desc="patch batches", disable=not progress or len(starts) < 2):
        batch_images, batch_rows = all_images[start:start + batch_size], all_rows[start:start + batch_size]
        pieces = []
        for image_id in batch_images.unique_consecutive().tolist():
            if image_id != cached_index:
                cached_index, cached_image = image_id, images[image_id]
            rows = batch_rows[batch_images == image_id]
            pieces.append(crop_patches(cached_image, patches[image_id][rows], None, out_size, mean, std, device))
        yield PatchBatch(torch.cat(pieces), batch_images, batch_rows)
