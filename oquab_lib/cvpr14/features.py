"""CVPR'14 patch data and frozen patch features, each computed once and cached under ``runs/``.

For one set of VOC images (a split, or the part of a split a hold-out leaves):

1. :class:`PatchSet` -- the multi-scale grid of every image (:func:`~oquab_lib.patches.tile_patches`) and each patch's
   training label (:func:`~oquab_lib.patches.label_patches`), from the annotations alone;
2. :func:`image_store` -- every image decoded once into ``uint8 [N, 3, Hmax, Wmax]``, edge-replicated to a common size
   so that one ``roi_align`` call crops patches of many images (:func:`crop_rows`; replicated edges give exactly what
   ``roi_align`` gives on each image alone, whose bilinear sampling clamps at the border);
3. :func:`patch_features` -- FC7 of every patch through a *frozen* source network. C1..FC7 never change while the
   heads train, so each patch's FC7 is computed once per source network and reused by every head (seeds, ablations).
   This is the same math as training the head on top of the frozen net (:class:`~oquab_lib.transfer.TransferNet` keeps
   frozen layers in eval mode, dropout off) *provided there is no jitter*: the paper jittered patches (Krizhevsky's
   random crops); we do not, which is what makes the features cacheable.

Cache keys hold the world's fingerprint, the image ids, the tiling/labelling settings and the source network's cache
entry name, so a regenerated world, another tiling or another network never reuses stale features.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib import cache
from oquab_lib.config import Run
from oquab_lib.cvpr14.config import Cvpr14Config
from oquab_lib.data.classes import VOC_CLASSES
from oquab_lib.data.fingerprint import world_fingerprint
from oquab_lib.data.images import load_rgb_tensor
from oquab_lib.data.splits import ids_hash
from oquab_lib.data.voc import VOCBoxes, VOCClassification
from oquab_lib.disk import array_bytes, check_free_space
from oquab_lib.errors import ConfigError, DataError, OquabError
from oquab_lib.models import (
    build_alexnet,
    default_weights_path,
    nhwc,
    normalization,
    use_band_lrn,
)
from oquab_lib.patches import crop_patches, label_patches, tile_patches

__all__ = [
    "Cvpr14Config", "PatchSet", "SourceUnavailable", "build_patch_set", "image_store", "crop_rows",
    "patch_features", "source_network", "SOURCE_METHODS",
    "patch_crops", "patch_inputs", "used_rows", "torch_threads", "random_network",
]

NUM_CLASSES = len(VOC_CLASSES)
# Table method -> source variant of oquab_lib.source.pretrain ("RANDOM": a frozen, randomly initialised net, our control).
SOURCE_METHODS = {"PRE-1000C": "1000C", "PRE-1000R": "1000R", "PRE-1512": "1512", "PRE-1512D": "1512D",
                  "RANDOM": None}


# ------------------------------------------------------------------------------------------------- patch sets
@dataclass
class PatchSet:
    """The patches of a set of VOC images. ``P`` patches over ``N`` images, images in split-file order."""

    name: str  # e.g. "VOC2012-train" or "VOC2012-train-a1b2c3" for a part of a split
    key: dict[str, Any]  # what identifies it in the cache
    image_ids: list[str]
    image_paths: list[Path]
    sizes: Tensor  # [N, 2] int64 (width, height)
    image_labels: Tensor  # [N, 20] int8 in {1, -1, 0} (devkit per-class files)
    boxes: Tensor  # [P, 4] float32 patch boxes, pixels (x1, y1, x2, y2)
    image_index: Tensor  # [P] int64 image of each patch
    labels: Tensor  # [P] int64 training label: class, 20 = background, -1 = excluded (label_patches)

    @property
    def num_images(self) -> int:
        return len(self.image_ids)

    def rows_of(self, image: int) -> Tensor:
        """Rows ``[n]`` of the patches of one image."""
        return torch.nonzero(self.image_index == image).squeeze(1)


def build_patch_set(data_root: Path, year: str, split: str, ids: list[str], cfg: Cvpr14Config, runs_dir: Path,
                    progress: bool = True) -> PatchSet:
    """Tile and label the images ``ids`` of ``VOC<year>/<split>`` (cached; annotations only, no image decoding)."""
    data_root = Path(data_root)
    key = {**world_fingerprint(data_root), "year": year, "split": split, "ids": ids_hash(ids), **cfg.tiling_key()}
    boxes_ds, class_ds = VOCBoxes(data_root, year, split), VOCClassification(data_root, year, split)
    position = {image_id: n for n, image_id in enumerate(boxes_ds.ids)}
    missing = [i for i in ids if i not in position]
    if missing:
        raise DataError(f"VOC{year}/{split}: image {missing[0]} is not in the split list; regenerate the world")
    rows = [position[i] for i in ids]

    def compute(work: Path) -> None:
        patches, index, labels, sizes = [], [], [], []
        for n, row in enumerate(tqdm(rows, desc=f"tile VOC{year}/{split}", disable=not progress)):
            target = boxes_ds.target(row)
            width, height = target["size"]
            tiles = tile_patches(width, height, cfg.scales, cfg.min_overlap, cfg.overlap_measure)
            labels.append(label_patches(tiles, target["boxes"], target["labels"], NUM_CLASSES, target["difficult"],
                                        cfg.partial, cfg.difficult_policy, cfg.objects))
            patches.append(tiles)
            index.append(torch.full((len(tiles),), n, dtype=torch.int64))
            sizes.append((width, height))
        cache.save_state_dict(work / "patches.pt", {
            "boxes": torch.cat(patches), "image_index": torch.cat(index), "labels": torch.cat(labels),
            "sizes": torch.tensor(sizes, dtype=torch.int64).reshape(-1, 2)})

    name = f"VOC{year}-{split}" if rows == list(range(len(boxes_ds))) else f"VOC{year}-{split}-{key['ids'][:6]}"
    entry = cache.load_or_compute(runs_dir, f"cvpr14-patches-{name}", key, compute, verbose=progress)
    state = cache.load_state_dict(entry / "patches.pt")
    label_row = {image_id: n for n, image_id in enumerate(class_ds.ids)}
    return PatchSet(name, key, list(ids), [boxes_ds.image_path(r) for r in rows], state["sizes"],
                    class_ds.labels[[label_row[i] for i in ids]], state["boxes"], state["image_index"],
                    state["labels"])


# ------------------------------------------------------------------------------------------------ image store
def image_store(patch_set: PatchSet, runs_dir: Path, progress: bool = True) -> np.ndarray:
    """Every image of ``patch_set`` as ``uint8 [N, 3, Hmax, Wmax]`` (edge-replicated padding), cached, memory-mapped."""
    height, width = int(patch_set.sizes[:, 1].max()), int(patch_set.sizes[:, 0].max())
    key = {k: patch_set.key[k] for k in patch_set.key if k in ("world", "data_root", "year", "split", "ids")}

    def compute(work: Path) -> None:
        shape = (patch_set.num_images, 3, height, width)
        check_free_space(work, array_bytes(shape, np.uint8), f"the decoded images of {patch_set.name}")
        with cache.NpyWriter(work / "images.npy", shape, np.uint8) as store:
            for n, path in enumerate(tqdm(patch_set.image_paths, desc=f"decode {patch_set.name}",
                                          disable=not progress)):
                image = load_rgb_tensor(path)
                w, h = patch_set.sizes[n].tolist()
                if tuple(image.shape[1:]) != (h, w):
                    raise DataError(f"{path}: image is {image.shape[2]}x{image.shape[1]} but its annotation says "
                                    f"{w}x{h}; fix the <size> of the XML")
                padded = F.pad(image[None].float(), (0, width - w, 0, height - h), mode="replicate")
                store[n] = padded[0].to(torch.uint8).numpy()

    entry = cache.load_or_compute(runs_dir, f"cvpr14-images-{patch_set.name}", key, compute, verbose=progress)
    return np.load(entry / "images.npy", mmap_mode="r")


def crop_rows(store: np.ndarray, patch_set: PatchSet, rows: Tensor, out_size: int, mean, std,
              device: torch.device | str = "cpu") -> Tensor:
    """Normalised crops ``[B, 3, out_size, out_size]`` of patch ``rows [B]``: one ``roi_align`` over their images.

    ``mean`` / ``std`` are for pixels in [0, 1]; the crops are taken from 0-255 pixels with both scaled by 255 instead
    (``roi_align`` is linear): one pass fewer over the images.
    """
    images, inverse = patch_set.image_index[rows].unique(return_inverse=True)  # sorted: sequential memmap reads
    pixels = torch.from_numpy(np.ascontiguousarray(store[images.numpy()])).to(device).float()
    return crop_patches(pixels, patch_set.boxes[rows], inverse, out_size, [255 * m for m in mean],
                        [255 * s for s in std], device)


def used_rows(patch_set: PatchSet, skip_excluded: bool) -> Tensor:
    """Rows ``[R]`` whose inputs are computed: all, or (training sets) all but the excluded ones (label -1).

    Excluded patches never enter a training batch, so their crops and features are left as zeros.
    """
    if skip_excluded:
        return torch.nonzero(patch_set.labels != -1).squeeze(1)
    return torch.arange(len(patch_set.boxes))


def patch_crops(patch_set: PatchSet, out_size: int, runs_dir: Path, batch_size: int = 512,
                skip_excluded: bool = False, progress: bool = True) -> Tensor:
    """Every patch cropped and resized once: ``uint8 [P, 3, out_size, out_size]`` (pixel values), cached, mapped.

    ``roi_align`` is slow on CPU next to a small network, and the crops are the same for every source network of a
    given input size, so the quick profile crops each split once. Rounding to uint8 changes a pixel by at most 0.5/255,
    the precision of the JPEG the pixels come from. ``skip_excluded``: see :func:`used_rows`.
    """
    key = {**patch_set.key, "crop_size": out_size, "skip_excluded": skip_excluded}

    def compute(work: Path) -> None:
        shape = (len(patch_set.boxes), 3, out_size, out_size)
        check_free_space(work, array_bytes(shape, np.uint8), f"the patch crops of {patch_set.name}")
        store = image_store(patch_set, runs_dir, progress)
        chunks = used_rows(patch_set, skip_excluded).split(batch_size)
        with cache.NpyWriter(work / "crops.npy", shape, np.uint8) as out:
            for rows in tqdm(chunks, desc=f"crop {patch_set.name}", disable=not progress or len(chunks) < 2):
                crops = crop_rows(store, patch_set, rows, out_size, (0.0, 0.0, 0.0), (1 / 255,) * 3)
                out[rows.numpy()] = crops.round_().clamp_(0, 255).to(torch.uint8).numpy()

    entry = cache.load_or_compute(runs_dir, f"cvpr14-crops-{patch_set.name}", key, compute, verbose=progress)
    return torch.from_numpy(np.load(entry / "crops.npy", mmap_mode="c"))


def uint8_normaliser(mean, std, device: torch.device | str = "cpu") -> Callable[[Tensor], Tensor]:
    """``uint8 [B, 3, S, S]`` pixel crops -> normalised float inputs on ``device`` (one copy, then in place)."""
    shift = torch.tensor(mean, device=device).view(1, 3, 1, 1) * 255
    scale = torch.tensor(std, device=device).view(1, 3, 1, 1) * 255
    return lambda crops: nhwc(crops.to(device).float().sub_(shift).div_(scale))


def patch_inputs(patch_set: PatchSet, cfg: Cvpr14Config, runs_dir: Path, input_size: int, mean, std,
                 device: torch.device | str = "cpu", skip_excluded: bool = False, progress: bool = True):
    """``fetch(rows [B]) -> [B, 3, S, S]`` normalised network inputs of patch rows, from the crop cache
    (``cfg.cache_crops``) or cropped on the fly from the decoded images."""
    if cfg.cache_crops:
        crops = patch_crops(patch_set, input_size, runs_dir, skip_excluded=skip_excluded, progress=progress)
        normalise = uint8_normaliser(mean, std, device)
        return lambda rows: normalise(crops[rows])
    store = image_store(patch_set, runs_dir, progress)
    return lambda rows: nhwc(crop_rows(store, patch_set, rows, input_size, mean, std, device))


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run a block with ``count`` torch CPU threads (0: unchanged). Tiny ops (the heads) run faster on one thread:
    with two, every op waits for both threads, which costs far more than it saves on a busy machine."""
    previous = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# ------------------------------------------------------------------------------------------------ source nets
class SourceUnavailable(OquabError):
    """A table row needs a source network this run cannot provide (the reason is the message)."""


def random_network(run: Run, seed: int) -> tuple[str, nn.Module]:
    """``(key, net)``: the source architecture with the source recipe's random initialisation, untrained.

    NO PRETRAIN starts from it and the RANDOM control freezes it, so both start exactly where pretraining starts
    (``source.init``: He or PyTorch's default, see :func:`oquab_lib.source.pretrain.init_weights`).
    """
    from oquab_lib.source import pretrain

    source = pretrain.SourceConfig.from_section(run.section("source"))
    net = build_alexnet(source.arch, 1000, dropout=source.dropout, seed=seed)
    if source.init == "he":
        pretrain.init_weights(net, seed)
    return f"random-{source.arch}-{source.init}-s{seed}", net


def source_network(run: Run, cfg: Cvpr14Config, method: str, seed: int, progress: bool = True) -> tuple[str, nn.Module]:
    """``(cache key, frozen source net in eval mode)`` of a table method (:data:`SOURCE_METHODS`) and source seed.

    Synthetic profiles train (or load from the cache) the net with :func:`oquab_lib.source.pretrain.pretrain_source`. The
    ``full`` profile takes PRE-1000C from torchvision's ImageNet weights and the other variants from
    ``cvpr14.source_entries``; a missing one raises :class:`SourceUnavailable`.
    """
    from oquab_lib.source import pretrain

    if method not in SOURCE_METHODS:
        raise ConfigError(f"cvpr14 method {method!r}; accepted: NO PRETRAIN, {', '.join(SOURCE_METHODS)}")
    variant = SOURCE_METHODS[method]
    if variant is None:
        key, net = random_network(run, seed)
        return key, net.eval()
    if run.is_synthetic:
        result = pretrain.pretrain_source(run, variant, seed=seed, progress=progress)
        return result.entry.name, pretrain.load_source_network(result.entry)
    if variant in cfg.source_entries:
        entry = Path(cfg.source_entries[variant])
        return f"user-{variant}-{entry.resolve()}", pretrain.load_source_network(entry)
    if variant == "1000C":
        # No file at torch's default place: the row is skipped (with a printed reason). A file the user named, or a
        # corrupt / wrong-shaped one anywhere, stops the run with load_imagenet_weights' one-line ConfigError.
        if cfg.weights_path is None and not default_weights_path().is_file():
            raise SourceUnavailable(f"{method}: no AlexNet ImageNet weights at {default_weights_path()}; copy "
                                    f"torchvision's file there or pass overrides={{'cvpr14.weights_path': '<file>'}}")
        return "torchvision-alexnet-1000C", pretrain.torchvision_alexnet_1000C(cfg.weights_path)
    raise SourceUnavailable(f"{method}: no source network for variant {variant}; pretrain one and pass "
                            f"overrides={{'cvpr14.source_entries': {{'{variant}': '<entry folder>'}}}}")


# --------------------------------------------------------------------------------------------------- features
@torch.inference_mode()
def _extract(net: nn.Module, patch_set: PatchSet, fetch, out: cache.NpyWriter, cfg: Cvpr14Config,
             device: torch.device, skip_excluded: bool, progress: bool) -> None:
    chunks = used_rows(patch_set, skip_excluded).split(cfg.feature_batch_size)
    for rows in tqdm(chunks, desc=f"FC7 {patch_set.name}", disable=not progress or len(chunks) < 2):
        with torch.autocast("cuda", enabled=cfg.amp and device.type == "cuda"):
            out[rows.numpy()] = net.forward_fc7(fetch(rows)).float().cpu().numpy()


def patch_features(net: nn.Module, source_key: str, patch_set: PatchSet, cfg: Cvpr14Config, runs_dir: Path,
                   device: str | torch.device = "cpu", skip_excluded: bool = False, progress: bool = True) -> Tensor:
    """FC7 (after ReLU) of every patch of ``patch_set`` through the frozen ``net``: ``[P, fc_width]``, cached.

    ``source_key`` names the network (its cache entry) in the cache key. The net runs in eval mode (no dropout) on
    un-jittered crops, so the features are exactly what a frozen C1..FC7 feeds the head. ``skip_excluded`` (training
    sets): excluded patches get zeros instead (:func:`used_rows`).
    """
    device = torch.device(device)
    key = {**patch_set.key, "source": source_key, "input_size": net.spec.input_size, "dtype": cfg.feature_dtype,
           "cache_crops": cfg.cache_crops, "skip_excluded": skip_excluded}

    def compute(work: Path) -> None:
        shape = (len(patch_set.boxes), net.fc7.out_features)
        check_free_space(work, array_bytes(shape, cfg.feature_dtype), f"the FC7 features of {patch_set.name}")
        fetch = patch_inputs(patch_set, cfg, runs_dir, net.spec.input_size, *normalization(net.spec), device,
                             skip_excluded, progress)
        with cache.NpyWriter(work / "features.npy", shape, cfg.feature_dtype) as out, torch_threads(cfg.threads):
            _extract(use_band_lrn(copy.deepcopy(net)).to(device).eval(), patch_set, fetch, out, cfg, device,
                     skip_excluded, progress)

    entry = cache.load_or_compute(runs_dir, f"cvpr14-features-{patch_set.name}", key, compute, verbose=progress)
    # copy-on-write map: pages are read when used (the full profile's features exceed RAM), and the tensor is writable
    return torch.from_numpy(np.load(entry / "features.npy", mmap_mode="c"))
