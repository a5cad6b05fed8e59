"""What CVPR'15 training and testing read: the source network of a seed and the image sets, and the CPU threads
they run with.

Source networks are loaded once per process and kept in :data:`_SOURCES` (a network is read-only here: rows D, E, F
and the figures of a seed share it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from oquab_lib.cvpr15.config import Cvpr15Config
from oquab_lib.cvpr15.data import ImageSet, load_image_set
from oquab_lib.models import AlexNet

_SOURCES: dict[tuple, tuple[str, AlexNet]] = {}


def source_network(run: Any, cfg: Cvpr15Config, seed: int, progress: bool = True) -> tuple[str, AlexNet]:
    """``(id, source AlexNet)``: the PRE-1512 analog of ``seed`` (synthetic) or torchvision's AlexNet (``full``)."""
    from oquab_lib.source import pretrain

    key = (str(run.data_root), str(run.runs_dir), run.profile, cfg.source_variant, cfg.weights_path,
           cfg.source_entry, seed)
    if key not in _SOURCES:
        if cfg.source_entry is not None:  # a user's network (e.g. a PRE-1512 pretrained on a real ImageNet tree)
            entry = Path(cfg.source_entry)
            _SOURCES[key] = (f"entry-{entry.resolve()}", pretrain.load_source_network(entry))
        elif run.is_synthetic:
            result = pretrain.pretrain_source(run, cfg.source_variant, seed=seed, progress=progress)
            _SOURCES[key] = (result.entry.name, pretrain.load_source_network(result.entry))
        else:  # the paper's PRE-1512 is not public: ImageNet AlexNet stands in (same for every seed)
            _SOURCES[key] = ("torchvision-alexnet-1000C", pretrain.torchvision_alexnet_1000C(cfg.weights_path))
    return _SOURCES[key]


def image_set(run: Any, cfg: Cvpr15Config, dataset: str, split: str, progress: bool = True) -> ImageSet:
    """A split of VOC (``cfg.voc_year``) or COCO (under ``data_root/coco``) at ``cfg.image_size``, capped by
    ``cfg.max_images``."""
    images = load_image_set(str(run.data_root), dataset, split, cfg.image_size, cfg.voc_year, cfg.preload_limit,
                            progress)
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
