"""What CVPR'15 training and testing read: the source network of a seed and the image sets, and the CPU threads
they run with.

Loading a source network or decoding a split takes seconds, and one table needs the same ones many times (rows D, E,
F, the baselines and the figures of a seed share a source network and the test split). A :class:`SourceCache` keeps
them for the length of a ``with shared_inputs():`` block, which every table and figure function opens: nothing is kept
between two calls, and outside such a block every call loads afresh. The networks it hands out are read-only here
(callers copy the layers they build on), and image sets are frozen.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

import torch

from oquab_lib.config import Run
from oquab_lib.cvpr15.config import Cvpr15Config
from oquab_lib.cvpr15.data import ImageSet, load_image_set
from oquab_lib.models import AlexNet


class SourceCache:
    """Source networks and decoded image sets of one table call, keyed by what they are made of."""

    def __init__(self) -> None:
        self.sources: dict[tuple, tuple[str, AlexNet]] = {}
        self.image_sets: dict[tuple, ImageSet] = {}

    def source_network(self, run: Run, cfg: Cvpr15Config, seed: int, progress: bool = True) -> tuple[str, AlexNet]:
        key = (str(run.data_root), str(run.runs_dir), run.profile, cfg.source_variant, cfg.weights_path,
               cfg.source_entry, seed)
        if key not in self.sources:
            self.sources[key] = load_source_network(run, cfg, seed, progress)
        return self.sources[key]

    def image_set(self, run: Run, cfg: Cvpr15Config, dataset: str, split: str, progress: bool = True) -> ImageSet:
        key = (str(run.data_root), dataset, split, cfg.image_size, cfg.voc_year, cfg.preload_limit)
        if key not in self.image_sets:
            self.image_sets[key] = load_image_set(*key, progress=progress)
        return self.image_sets[key]  # frozen: sharing it is safe


_ACTIVE: ContextVar[SourceCache | None] = ContextVar("cvpr15_source_cache", default=None)


@contextlib.contextmanager
def shared_inputs() -> Iterator[SourceCache]:
    """Share source networks and image sets inside the block (a nested block joins the outer one's cache)."""
    active = _ACTIVE.get()
    if active is not None:
        yield active
        return
    token = _ACTIVE.set(SourceCache())
    try:
        yield _ACTIVE.get()
    finally:
        _ACTIVE.reset(token)


def load_source_network(run: Run, cfg: Cvpr15Config, seed: int, progress: bool = True) -> tuple[str, AlexNet]:
    """``(id, source AlexNet)``, loaded now: the PRE-1512 analog of ``seed`` (synthetic), a user's finished network
    (``cfg.source_entry``) or torchvision's AlexNet (``full``)."""
    from oquab_lib.source import pretrain

    if cfg.source_entry is not None:  # a user's network (e.g. a PRE-1512 pretrained on a real ImageNet tree)
        entry = Path(cfg.source_entry)
        return f"entry-{entry.resolve()}", pretrain.load_source_network(entry)
    if run.is_synthetic:
        result = pretrain.pretrain_source(run, cfg.source_variant, seed=seed, progress=progress)
        return result.entry.name, pretrain.load_source_network(result.entry)
    # the paper's PRE-1512 is not public: ImageNet AlexNet stands in (same for every seed)
    return "torchvision-alexnet-1000C", pretrain.torchvision_alexnet_1000C(cfg.weights_path)


def source_network(run: Run, cfg: Cvpr15Config, seed: int, progress: bool = True) -> tuple[str, AlexNet]:
    """``(id, source AlexNet)`` of ``seed``: from the active :func:`shared_inputs` block, else loaded now."""
    active = _ACTIVE.get()
    return (active.source_network(run, cfg, seed, progress) if active is not None
            else load_source_network(run, cfg, seed, progress))


def image_set(run: Run, cfg: Cvpr15Config, dataset: str, split: str, progress: bool = True) -> ImageSet:
    """A split of VOC (``cfg.voc_year``) or COCO (under ``data_root/coco``) at ``cfg.image_size``, capped by
    ``cfg.max_images``; decoded once per :func:`shared_inputs` block."""
    active = _ACTIVE.get()
    images = (active.image_set(run, cfg, dataset, split, progress) if active is not None else
              load_image_set(str(run.data_root), dataset, split, cfg.image_size, cfg.voc_year, cfg.preload_limit,
                             progress=progress))
    if cfg.max_images is not None and len(images) > cfg.max_images:
        images = images.subset(range(cfg.max_images))
    return images


@contextlib.contextmanager
def compute_threads(cfg: Cvpr15Config, device: torch.device) -> Iterator[None]:
    """Run a block with ``cfg.threads`` torch CPU threads (0: unchanged), restored afterwards. On a busy machine two
    threads can be far slower than one for these small convolutions: every op waits for both."""
    before = torch.get_num_threads()
    if cfg.threads and torch.device(device).type == "cpu":
        torch.set_num_threads(cfg.threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
