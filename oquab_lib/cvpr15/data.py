"""CVPR'15 data: whole images of a VOC or COCO split at a base size, and randomly rescaled training batches.

An :class:`ImageSet` holds the images of one split resized so that their largest side is ``image_size`` (the paper
resizes VOC images to about 500 px; the quick profile's base size is set in its ``cvpr15`` section), their image-level
labels ``[N, K]`` in {1, -1, 0} and their boxes in *original* image pixels (for location prediction).

:class:`WeakBatches` is the training loader. It groups images by their base size (exact ``(h, w)``), so a batch only
holds images of one size, and gives each *batch* one rescaling factor drawn uniformly from ``scale_range`` (the paper:
one factor per image in [0.7, 1.4]; with ``batch_size=1`` the two coincide) and each *image* a random horizontal
flip; with ``factors`` (the frozen-trunk path of :mod:`oquab_lib.cvpr15.trunk`) the factor is drawn among those
instead, and with ``maps`` the batches are the precomputed C5 maps of the images at that factor and flip. Every draw
comes from ``self.generator``, which :func:`oquab_lib.train.fit` saves and restores, so a resumed run
sees the same batches. A rescaled image is never smaller than the network input: its factor is raised until its shorter
side reaches ``input_size``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch
from torch import Tensor
from torch.nn import functional as F
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib.data.classes import VOC_CLASSES
from oquab_lib.data.coco import COCOImages, check_coco_root
from oquab_lib.data.images import load_rgb_tensor
from oquab_lib.data.voc import VOCBoxes, VOCClassification
from oquab_lib.errors import ConfigError, DataError
from oquab_lib.models import nhwc

DATASETS = ("voc", "coco")


class TrunkMapsLike(Protocol):
    """What :class:`WeakBatches` needs of :class:`oquab_lib.cvpr15.trunk.TrunkMaps` (defined above this module)."""

    factors: tuple[float, ...]

    def batch(self, indices: Tensor, factor_index: int, flips: Tensor) -> Tensor: ...


@dataclass(frozen=True)
class ImageSet:
    """The images of one split. ``images[i]``: ``uint8 [3, h_i, w_i]`` with ``max(h_i, w_i) = image_size``.

    ``labels`` ``[N, K]`` int8 in {1, -1, 0}; ``sizes`` ``[N, 2]`` original (width, height); ``boxes[i]`` ``[n_i, 5]``
    (x1, y1, x2, y2, class index) in original pixels (0-based); ``difficult[i]`` ``[n_i]`` bool (VOC difficult, COCO
    crowd); ``ids`` the image ids; ``paths`` the files. Frozen, its sequences tuples: one decoded split is shared by
    the experiments of a table (:class:`oquab_lib.cvpr15.inputs.SourceCache`), and none of them may change it.
    """

    dataset: str
    split: str
    class_names: tuple[str, ...]
    ids: tuple[str, ...]
    paths: tuple[Path, ...]
    labels: Tensor
    sizes: Tensor
    boxes: tuple[Tensor, ...]
    difficult: tuple[Tensor, ...]
    images: Sequence[Tensor]
    image_size: int

    def __len__(self) -> int:
        return len(self.ids)

    def base_factors(self, indices: Sequence[int] | None = None) -> Tensor:
        """``[n, 2]`` (x, y) factors from original pixels to base-size pixels."""
        idx = list(range(len(self))) if indices is None else list(indices)
        return torch.stack([_base_factor(self.sizes[i], self.image_size) for i in idx]) if idx else torch.zeros(0, 2)

    def subset(self, indices: Sequence[int]) -> ImageSet:
        idx = list(indices)
        return ImageSet(self.dataset, self.split, self.class_names, tuple(self.ids[i] for i in idx),
                        tuple(self.paths[i] for i in idx), self.labels[idx], self.sizes[idx],
                        tuple(self.boxes[i] for i in idx), tuple(self.difficult[i] for i in idx),
                        _Subset(self.images, idx), self.image_size)


class _Subset(Sequence):
    def __init__(self, items: Sequence[Tensor], indices: list[int]) -> None:
        self.items, self.indices = items, indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> Tensor:
        return self.items[self.indices[i]]


def base_shape(width: int, height: int, image_size: int) -> tuple[int, int]:
    """``(h, w)`` of an image whose largest side is resized to ``image_size`` (aspect kept, rounded)."""
    ratio = image_size / max(width, height)
    return max(1, round(height * ratio)), max(1, round(width * ratio))


def _base_factor(size: Tensor, image_size: int) -> Tensor:
    h, w = base_shape(int(size[0]), int(size[1]), image_size)
    return torch.tensor([w / float(size[0]), h / float(size[1])], dtype=torch.float64)


class _LazyImages(Sequence):
    """Decode and resize on access (the real COCO train set does not fit in memory at 500 px)."""

    def __init__(self, paths: list[Path], image_size: int) -> None:
        self.paths, self.image_size = paths, image_size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> Tensor:
        return decode_resized(self.paths[i], self.image_size)


def decode_resized(path: Path, image_size: int) -> Tensor:
    """``uint8 [3, h, w]``: the image at ``path`` with its largest side resized to ``image_size`` (antialiased)."""
    image = load_rgb_tensor(path)
    return resize_uint8(image, base_shape(image.shape[2], image.shape[1], image_size))


def _records(data_root: Path, dataset: str, split: str, voc_year: str):
    """ids, paths, labels [N, K], sizes [N, 2], boxes, difficult flags, class names of one split."""
    if dataset == "voc":
        cls = VOCClassification(data_root, voc_year, split)
        paths = [cls.image_path(i) for i in range(len(cls))]
        boxes_view = VOCBoxes(data_root, voc_year, split)
        boxes, difficult, sizes = [], [], []
        for i in range(len(cls)):
            target = boxes_view.target(i)
            boxes.append(torch.cat([target["boxes"], target["labels"][:, None].float()], 1))
            difficult.append(target["difficult"])
            sizes.append(target["size"])
        return list(cls.ids), paths, cls.labels.clone(), sizes, boxes, difficult, VOC_CLASSES
    if dataset == "coco":
        image_dir, ann_file = check_coco_root(data_root / "coco", split)
        coco = COCOImages(image_dir, ann_file)
        boxes, difficult, sizes = [], [], []
        for i in range(len(coco)):
            target = coco.target(i)
            boxes.append(torch.cat([target["boxes"], target["box_labels"][:, None].float()], 1))
            difficult.append(target["iscrowd"])
            sizes.append(target["size"] if None not in target["size"] else (0, 0))
        labels = (coco.multi_hot * 2 - 1).to(torch.int8)
        paths = [coco.image_path(i) for i in range(len(coco))]
        return [str(i) for i in coco.image_ids], paths, labels, sizes, boxes, difficult, tuple(coco.class_names)
    raise ConfigError(f"dataset={dataset!r}; accepted: {', '.join(DATASETS)}")


def load_image_set(data_root: str | Path, dataset: str, split: str, image_size: int, voc_year: str = "2012",
                   preload_limit: int = 20000, *, progress: bool = True) -> ImageSet:
    """The :class:`ImageSet` of ``split``, decoded now (experiments share one through
    :class:`oquab_lib.cvpr15.inputs.SourceCache`).

    Splits of at most ``preload_limit`` images are decoded now (threads); larger ones are decoded on access.
    """
    if image_size < 8:
        raise ConfigError(f"cvpr15.image_size={image_size}: the base size must be at least 8 px")
    ids, paths, labels, sizes, boxes, difficult, names = _records(Path(data_root), dataset, split, voc_year)
    if not ids:
        raise DataError(f"{data_root}: split {split!r} of {dataset} has no image")
    originals = [load_size(p) if s == (0, 0) else s for p, s in zip(paths, sizes)]
    images: Sequence[Tensor] = _LazyImages(paths, image_size)
    if len(paths) <= preload_limit:
        with ThreadPoolExecutor(max_workers=4) as pool:  # PIL decoding releases the GIL
            images = tuple(tqdm(pool.map(images.__getitem__, range(len(paths))), total=len(paths),
                               desc=f"decode {dataset}/{split}", disable=not progress or len(paths) < 200))
    size_tensor = torch.tensor([[float(w), float(h)] for w, h in originals], dtype=torch.float64)
    return ImageSet(dataset, split, tuple(names), tuple(ids), tuple(paths), labels, size_tensor, tuple(boxes),
                    tuple(difficult), images, image_size)


def load_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` of an image file from its header."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.size
    except OSError as err:
        raise DataError(f"{path}: cannot read the image size ({err}) — re-extract the dataset") from None


def train_val_split(n_images: int, val_fraction: float) -> tuple[list[int], list[int]]:
    """Indices ``(train, val)``: the validation set is the *tail* of the training split (file order), never test."""
    if not 0.0 < val_fraction < 1.0:
        raise ConfigError(f"cvpr15.val_fraction={val_fraction}: must be in (0, 1)")
    n_val = max(1, round(n_images * val_fraction))
    if n_val >= n_images:
        raise DataError(f"the training split has {n_images} images: too few to hold out {n_val} for validation")
    return list(range(n_images - n_val)), list(range(n_images - n_val, n_images))


# --------------------------------------------------------------------------------------------- rescaling
def scaled_shape(h: int, w: int, factor: float, input_size: int) -> tuple[int, int]:
    """``(h', w')`` of a base-size image rescaled by ``factor``, raised so the shorter side is >= ``input_size``."""
    factor = max(factor, input_size / min(h, w))
    return max(input_size, round(h * factor)), max(input_size, round(w * factor))


def resize_uint8(image: Tensor, size: tuple[int, int]) -> Tensor:
    """``uint8 [3, h, w]`` -> ``uint8 [3, *size]`` (bilinear, antialiased)."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    resized = F.interpolate(image[None].float(), size=size, mode="bilinear", antialias=True, align_corners=False)
    return resized[0].round().clamp(0, 255).to(torch.uint8)


def to_network_input(batch: Tensor, size: tuple[int, int], mean: Tensor, std: Tensor,
                     flips: Tensor | None = None) -> Tensor:
    """``uint8 [B, 3, h, w]`` -> normalised float ``[B, 3, *size]`` (bilinear, antialiased), flipped where ``flips``."""
    images = batch.float()
    if tuple(images.shape[-2:]) != tuple(size):
        images = F.interpolate(images, size=size, mode="bilinear", antialias=True, align_corners=False)
    if flips is not None and flips.any():
        images = torch.where(flips.to(images.device)[:, None, None, None], images.flip(-1), images)
    return nhwc((images - mean.to(images.device) * 255) / (std.to(images.device) * 255))


def size_groups(image_set: ImageSet, indices: Sequence[int]) -> dict[tuple[int, int], list[int]]:
    """Indices grouped by exact base size ``(h, w)`` (computed from the original sizes, no decoding), sorted."""
    groups: dict[tuple[int, int], list[int]] = {}
    for i in indices:
        width, height = (int(v) for v in image_set.sizes[i])
        groups.setdefault(base_shape(width, height, image_set.image_size), []).append(i)
    return dict(sorted(groups.items()))


class WeakBatches:
    """Training batches ``(images [B, 3, H, W] normalised float, labels [B, K] float in {1, -1, 0})``.

    ``whole_image=True`` (row D of the paper's table): every image is resized to ``input_size x input_size`` (the whole
    image, aspect not kept), flips only. ``on_batch(n)`` is called before the n-th batch of an epoch is built (the
    model has then made n updates in this epoch): the training-snapshot hook of the figures.
    """

    def __init__(self, image_set: ImageSet, indices: Sequence[int], batch_size: int, scale_range: tuple[float, float],
                 input_size: int, mean: Sequence[float], std: Sequence[float], device: str | torch.device = "cpu",
                 whole_image: bool = False, seed: int = 0, on_batch: Callable[[int], None] | None = None,
                 num_workers: int = 0, factors: Sequence[float] | None = None, maps: TrunkMapsLike | None = None
                 ) -> None:
        low, high = (float(v) for v in scale_range)
        if batch_size < 1 or not 0 < low <= high:
            raise ConfigError(f"WeakBatches: batch_size={batch_size}, scale_range={scale_range}: need >= 1, 0 < lo <= hi")
        self.images, self.labels = image_set.images, image_set.labels.float()
        self.indices, self.batch_size, self.scale_range = list(indices), batch_size, (low, high)
        self.input_size, self.whole_image, self.device = input_size, whole_image, torch.device(device)
        self.mean, self.std = torch.tensor(mean).view(1, 3, 1, 1), torch.tensor(std).view(1, 3, 1, 1)
        self.generator = torch.Generator().manual_seed(seed)
        self.on_batch, self.num_workers = on_batch, num_workers
        self.factors = tuple(float(f) for f in factors) if factors is not None else None
        if maps is not None and (self.factors is None or tuple(maps.factors) != self.factors):
            raise ConfigError(f"WeakBatches: trunk maps at factors {maps.factors} need factors={maps.factors}")
        self.maps = maps
        # whole images all become input_size x input_size: one group, resized one by one before stacking
        self.groups = {(input_size, input_size): self.indices} if whole_image else size_groups(image_set, self.indices)

    def __len__(self) -> int:
        return sum(math.ceil(len(g) / self.batch_size) for g in self.groups.values())

    def _plan(self) -> list[Tensor]:
        """This epoch's batches (index tensors): shuffled within size groups, then batch order shuffled."""
        batches = []
        for members in self.groups.values():
            members_t = torch.tensor(members)
            order = members_t[torch.randperm(len(members), generator=self.generator)]
            batches += list(order.split(self.batch_size))
        return [batches[i] for i in torch.randperm(len(batches), generator=self.generator).tolist()]

    def _decoded(self, plan: list[Tensor], pool: ThreadPoolExecutor | None) -> Iterator[list[Tensor]]:
        """The images of each planned batch, in order. With a pool, decoding runs ahead of training by about
        2 x num_workers images: with batch_size=1 a pool that decoded batch by batch would hold one image at a time.
        The decoded images do not depend on the model, so reading ahead changes no result."""
        if pool is None:
            yield from ([self.images[i] for i in batch.tolist()] for batch in plan)
            return
        pending: deque[list[Future]] = deque()
        queued, upcoming = 0, iter(plan)
        for _ in plan:
            while queued < 2 * self.num_workers and (batch := next(upcoming, None)) is not None:
                pending.append([pool.submit(self.images.__getitem__, i) for i in batch.tolist()])
                queued += len(batch)
            futures = pending.popleft()
            queued -= len(futures)
            yield [future.result() for future in futures]

    def _draw(self, batch_length: int) -> tuple[float, int, Tensor]:
        """``(factor, its index in factors or -1, flips [B])``: a factor uniform in ``scale_range`` (or among
        ``factors``), then one flip per image; always in this order from ``self.generator``."""
        if self.factors is not None:
            index = int(torch.randint(len(self.factors), (), generator=self.generator))
            factor = self.factors[index]
        else:
            low, high = self.scale_range
            index, factor = -1, low + (high - low) * float(torch.rand((), generator=self.generator))
        return factor, index, torch.rand(batch_length, generator=self.generator) < 0.5

    def __iter__(self):
        if self.maps is not None:  # the frozen trunk's maps, precomputed: no image is decoded or resized
            for n, batch in enumerate(self._plan()):
                if self.on_batch is not None:
                    self.on_batch(n)
                _, index, flips = self._draw(len(batch))
                yield self.maps.batch(batch, index, flips).to(self.device), self.labels[batch]
            return
        pool = ThreadPoolExecutor(self.num_workers) if self.num_workers > 0 else None
        plan = self._plan()
        try:
            for n, (batch, decoded) in enumerate(zip(plan, self._decoded(plan, pool))):
                if self.on_batch is not None:
                    self.on_batch(n)
                factor, _, flips = self._draw(len(batch))
                pictures = [p.to(self.device) for p in decoded]
                if self.whole_image:
                    side = (self.input_size, self.input_size)
                    pictures = [resize_uint8(p, side) for p in pictures]
                stacked = torch.stack(pictures)
                size = scaled_shape(*stacked.shape[-2:], factor, self.input_size) if not self.whole_image else side
                yield to_network_input(stacked, size, self.mean, self.std, flips), self.labels[batch]
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
