"""The source images of pretraining: which leaves and files each variant uses, and the two ways of loading them.

``<data_root>/source/{train,val}/<leaf>/*.JPEG`` is an ImageFolder tree; ``<data_root>/source_subsets.json`` lists the
leaves of each variant (and a per-class cap of training images, e.g. 1000R's ~25 % fewer images). Loading:
:func:`decoded_loaders` decodes each split once into ``uint8 [N, 3, S, S]`` (a cache entry shared by every variant and
seed) and crops and flips tensors, which is what makes tiny images fast on CPU; :func:`folder_loaders` is the usual
DataLoader over PIL images with torchvision transforms v2 (the ``full`` profile).
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib import cache
from oquab_lib.data.fingerprint import world_fingerprint
from oquab_lib.data.images import load_rgb, load_rgb_tensor
from oquab_lib.errors import ConfigError, DataError
from oquab_lib.models import normalization

if TYPE_CHECKING:
    from oquab_lib.source.config import SourceConfig

__all__ = ["VARIANTS", "variant_leaves", "variant_samples", "world_fingerprint", "DecodedBatches", "decoded_loaders",
           "folder_loaders"]

VARIANTS = ("1000C", "1000R", "1512", "1512D")
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".webp")


def variant_leaves(data_root: Path, variant: str) -> tuple[list[str], int | None]:
    """The sorted leaf ids of ``variant`` and the per-class cap the subsets file gives (None if none)."""
    if variant not in VARIANTS:
        raise ConfigError(f"source variant {variant!r}; accepted: {', '.join(VARIANTS)}")
    subsets_path = data_root / "source_subsets.json"
    if not subsets_path.is_file():
        train = data_root / "source" / "train"
        if variant == "1000C" and train.is_dir():  # a user's ImageNet-style tree: every class folder
            return sorted(p.name for p in train.iterdir() if p.is_dir()), None
        raise DataError(f"{subsets_path}: not found; generate the mini world or write the leaf lists of {variant}")
    try:
        subsets = cache.load_json(subsets_path)
        leaves = sorted(str(leaf) for leaf in subsets[variant])
    except (ValueError, KeyError, TypeError) as err:
        raise DataError(f"{subsets_path}: no leaf list for {variant!r} ({type(err).__name__}: {err})") from None
    counts = subsets.get("counts", {}).get(variant, {}) if isinstance(subsets.get("counts"), dict) else {}
    return leaves, (counts.get("train_cap_per_class") if isinstance(counts, dict) else None)


def variant_samples(data_root: str | Path, variant: str, split: str, cap: int | None = None) -> list[tuple[str, int]]:
    """``(relative path, class index)`` of the images of ``variant`` in ``source/<split>`` (classes: sorted leaves).

    ``cap`` keeps the first ``cap`` images of each class (file-name order) of the training split.
    """
    data_root = Path(data_root)
    leaves, file_cap = variant_leaves(data_root, variant)
    cap = cap if cap is not None else file_cap
    samples = []
    for index, leaf in enumerate(leaves):
        folder = data_root / "source" / split / leaf
        if not folder.is_dir():
            if split == "train":
                raise DataError(f"{folder}: class folder of {variant} missing; regenerate the world or fix the subsets")
            continue
        files = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in IMG_EXTENSIONS)
        if split == "train" and cap:
            files = files[:cap]
        samples += [(f"{split}/{leaf}/{name}", index) for name in files]
    if not samples:
        raise DataError(f"{data_root / 'source' / split}: no images for variant {variant}")
    return samples


def _decode_split(data_root: Path, split: str, size: int, runs_dir: Path, progress: bool) -> tuple[np.ndarray, dict]:
    """Every image of ``source/<split>`` as ``uint8 [N, 3, size, size]`` (shorter side -> size, centre crop), cached."""
    folder = data_root / "source" / split
    paths = sorted(str(p.relative_to(data_root / "source")) for p in folder.rglob("*")
                   if p.suffix.lower() in IMG_EXTENSIONS)
    key = {**world_fingerprint(data_root), "split": split, "size": size, "files": len(paths),
           "listing": hashlib.sha256("\n".join(paths).encode()).hexdigest()[:16]}

    def compute(work: Path) -> None:
        def decode(rel: str) -> np.ndarray:
            return _resize_crop(load_rgb_tensor(data_root / "source" / rel), size).numpy()

        # PIL releases the GIL while decoding: threads use every core the run was given
        with (ThreadPoolExecutor(max(1, torch.get_num_threads())) as pool,
              cache.NpyWriter(work / "images.npy", (len(paths), 3, size, size), np.uint8) as images):
            decoded = pool.map(decode, paths)
            for i, pixels in enumerate(tqdm(decoded, total=len(paths), desc=f"decode source/{split}",
                                            disable=not progress)):
                images[i] = pixels
        cache.save_json(work / "paths.json", paths)

    entry = cache.load_or_compute(runs_dir, f"source-decoded-{split}", key, compute, verbose=progress)
    return np.load(entry / "images.npy", mmap_mode="r"), {rel: i for i, rel in enumerate(paths)}


def _resize_crop(image: torch.Tensor, size: int) -> torch.Tensor:
    """``uint8 [3, H, W]`` -> ``uint8 [3, size, size]``: shorter side to ``size`` (antialiased), centre crop."""
    from torchvision.transforms.v2 import (
        functional as TF,  # here, not at the top: torchvision imports slowly
    )

    return TF.center_crop(TF.resize(image, size, antialias=True), [size, size])


class DecodedBatches:
    """Batches ``(float [B, 3, crop, crop] normalised, int64 [B])`` from decoded ``uint8 [N, 3, S, S]`` images.

    Training: a random permutation per epoch, a random crop offset and flip per image, all drawn from ``generator``
    (saved and restored by :func:`oquab_lib.train.fit`, so a resumed run sees the same batches). Evaluation: the
    central crop, in order.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, crop: int, mean, std,
                 train: bool, seed: int = 0) -> None:
        self.images, self.labels, self.batch_size, self.crop, self.train = images, labels, batch_size, crop, train
        self.mean = torch.tensor(mean).view(1, 3, 1, 1) * 255
        self.std = torch.tensor(std).view(1, 3, 1, 1) * 255
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return -(-len(self.labels) // self.batch_size)

    def __iter__(self):
        from torchvision.transforms.v2 import (
            functional as TF,  # here, not at the top: torchvision imports slowly
        )

        count, side, crop = len(self.labels), self.images.shape[-1], self.crop
        order = torch.randperm(count, generator=self.generator) if self.train else torch.arange(count)
        for start in range(0, count, self.batch_size):
            idx = order[start : start + self.batch_size]
            if self.train:
                top, left = torch.randint(0, side - crop + 1, (2, len(idx)), generator=self.generator).tolist()
                flip = torch.rand(len(idx), generator=self.generator) < 0.5
                # per-image slicing beats one 4-index gather by ~25x on CPU; it is ~50k images/s, never the bottleneck
                batch = torch.stack([self.images[i, :, t : t + crop, l : l + crop]
                                     for i, t, l in zip(idx.tolist(), top, left)])
                batch = torch.where(flip[:, None, None, None], batch.flip(-1), batch)
            else:
                batch = TF.center_crop(self.images[idx], [crop, crop])
            yield batch.float().sub_(self.mean).div_(self.std), self.labels[idx]


def decoded_splits(cfg: SourceConfig, data_root: Path, runs_dir: Path, progress: bool) -> None:
    """Decode (or find in the cache) the train and val splits that :func:`decoded_loaders` reads."""
    for split in ("train", "val"):
        _decode_split(data_root, split, cfg.resize_side, runs_dir, progress)


def decoded_loaders(cfg: SourceConfig, data_root: Path, variant: str, runs_dir: Path, progress: bool):
    mean, std = normalization(cfg.arch)
    loaders = []
    for split, train in (("train", True), ("val", False)):
        images, row_of = _decode_split(data_root, split, cfg.resize_side, runs_dir, progress)
        samples = _split_samples(cfg, data_root, variant, split)
        rows = np.fromiter((row_of[rel] for rel, _ in samples), dtype=np.int64, count=len(samples))
        labels = torch.tensor([label for _, label in samples], dtype=torch.int64)
        tensor = torch.from_numpy(np.ascontiguousarray(images[rows]))
        loaders.append(DecodedBatches(tensor, labels, cfg.batch_size if train else 2 * cfg.batch_size, cfg.crop,
                                      mean, std, train))
    return loaders


def _split_samples(cfg: SourceConfig, data_root: Path, variant: str, split: str) -> list[tuple[str, int]]:
    return variant_samples(data_root, variant, split, cfg.per_class_cap.get(variant))


class _SampleList(torch.utils.data.Dataset):
    """Images of an explicit ``(relative path, class)`` list, decoded by the safe ``load_rgb`` (one-line errors)."""

    def __init__(self, root: Path, samples: list[tuple[str, int]], transform) -> None:
        self.root, self.samples, self.transform = root, samples, transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        rel, label = self.samples[index]
        return self.transform(load_rgb(self.root / rel)), label


def folder_loaders(cfg: SourceConfig, data_root: Path, variant: str, device: torch.device):
    from torchvision.transforms import (
        v2,  # here, not at the top: torchvision imports slowly
    )

    mean, std = normalization(cfg.arch)
    common = [v2.PILToTensor(), v2.Resize(cfg.resize_side, antialias=True), v2.CenterCrop(cfg.resize_side)]
    tail = [v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean, std)]
    train_tf = v2.Compose(common + [v2.RandomCrop(cfg.crop), v2.RandomHorizontalFlip()] + tail)
    val_tf = v2.Compose(common + [v2.CenterCrop(cfg.crop)] + tail)
    loaders = []
    for split, transform in (("train", train_tf), ("val", val_tf)):
        dataset = _SampleList(data_root / "source", _split_samples(cfg, data_root, variant, split), transform)
        loaders.append(torch.utils.data.DataLoader(
            dataset, batch_size=cfg.batch_size, shuffle=split == "train", num_workers=cfg.num_workers,
            pin_memory=device.type == "cuda", generator=torch.Generator(), drop_last=False))
    return loaders
