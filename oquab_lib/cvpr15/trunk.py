"""The frozen trunk's C5 maps of the CVPR'15 training images, computed once and shared by every weak net on a source.

With ``cvpr15.finetune`` off, C1..FC7 of the weak net are frozen (eval mode, no dropout): the maps they give an image
at a given rescaling factor and flip are the same in every epoch and in every row built on that source network (rows
E and F, the pooling and training-rescale ablations). C1..C5 are about 75 % of a quick training step (FC6 / FC7 as
convolutions 4 %, the adaptation layers' forward and backward the rest), so :func:`cached_train_maps` stores the
*C5* maps (the frozen convolutional part; FC6 / FC7 still run per step, from them, as in
:func:`oquab_lib.cvpr15.predict.predict`'s ``c5`` path): 32 channels at quick against FC7's 384, so the store is
float32 (exact), 31 MB for the 640 training images of a quick seed, computed in about 22 s of CPU time on one thread
(measured: as much as 6-10 epochs on the image path; an epoch on the maps is 5-6x cheaper), and the same kind of maps
as ``cache_c5`` keeps for the test splits.

The continuous rescaling draw of the paper ("uniformly in [0.7, 1.4]") becomes a draw among ``cvpr15.train_factors``
factors equally spaced over ``train_scales``, ends included (:func:`train_factors`; 8 at quick: 0.7, 0.8, ..., 1.4).
Equal spacing, not geometric, because the paper's draw is uniform in the factor: the discrete uniform over an
equally spaced grid has the same range and mean as the continuous one, and 1.0 (the base size) is on the grid, so the
"fixed 1" ablation (its own, 8x smaller entry) trains on inputs the grid also has. At quick's 107-px base size neighbouring factors differ by 8-11 px of
input side, under the 16-px stride of the output grid: the jitter keeps its role (the score grid moves against the
image) at a fraction of the cost. This is a documented recipe change, used only where the maps cannot change during
training: a frozen trunk, and
``cvpr15.cache_trunk`` on (quick, smoke; off at full, where 5717 images x 16 maps of about 256 x 15 x 12 floats
are about 17 GB).

Entries: ``runs/cvpr15-trunk-<dataset>-<split>-s<seed>-<hash>/c5.pt``: one ``[n, C, h5, w5]`` tensor per (base size,
factor, flip), and each image's (group, row) slot.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib import cache
from oquab_lib.cvpr15.data import (
    ImageSet,
    resize_uint8,
    scaled_shape,
    size_groups,
    to_network_input,
)
from oquab_lib.errors import ConfigError
from oquab_lib.models import AlexNet, nhwc, normalization, use_band_lrn

FORMAT = 1  # bump when the stored layout changes


def train_factors(scale_range: tuple[float, float], count: int) -> tuple[float, ...]:
    """``count`` factors equally spaced over ``scale_range``, ends included (one when the range is a point)."""
    low, high = (float(v) for v in scale_range)
    if count < 1 or not 0 < low <= high:
        raise ConfigError(f"train_factors: count={count}, scale_range={scale_range}: need count >= 1, 0 < low <= high")
    if low == high or count == 1:
        return (round((low + high) / 2, 6),)
    return tuple(round(low + (high - low) * i / (count - 1), 6) for i in range(count))


@dataclass(frozen=True)
class TrunkMaps:
    """C5 maps of every image of a set at each of ``factors``, both flips.

    ``maps[(group, factor index, flipped)]``: ``float32 [n_group, C, h5, w5]``; ``slots[i] = (group, row)`` of image
    ``i``. Images of one base size share a group (the same scaled size at every factor, as in a training batch).
    """

    factors: tuple[float, ...]
    maps: dict[tuple[int, int, bool], Tensor]
    slots: Tensor

    def batch(self, indices: Tensor, factor_index: int, flips: Tensor) -> Tensor:
        """``[B, C, h5, w5]``: the maps of images ``indices`` (one base size) at a factor, flipped where ``flips``."""
        groups, rows = self.slots[indices, 0], self.slots[indices, 1]
        group = int(groups[0])
        if not bool((groups == group).all()):
            raise ConfigError("TrunkMaps.batch: the images of a batch must share their base size")
        plain, flipped = self.maps[(group, factor_index, False)][rows], self.maps[(group, factor_index, True)][rows]
        return nhwc(torch.where(flips[:, None, None, None], flipped, plain))


@torch.inference_mode()
def compute_trunk_maps(source: AlexNet, images: ImageSet, factors: tuple[float, ...], *, whole_image: bool = False,
                       batch_size: int = 32, device: str | torch.device = "cpu", progress: bool = True) -> TrunkMaps:
    """Run C1..C5 of ``source`` (banded LRN, as in the weak net) on every image at every factor and flip, with the
    exact input :class:`~oquab_lib.cvpr15.data.WeakBatches` builds (``whole_image``: squashed to the input size)."""
    device = torch.device(device)
    features = use_band_lrn(copy.deepcopy(source.features)).eval().to(device)
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in normalization(source.spec))
    side = source.spec.input_size
    groups = list(({(side, side): list(range(len(images)))} if whole_image
                   else size_groups(images, range(len(images)))).values())
    slots, maps = torch.zeros(len(images), 2, dtype=torch.long), {}
    for g, members in enumerate(groups):
        slots[members, 0], slots[members, 1] = g, torch.arange(len(members))
    steps = [(g, f, flip) for g in range(len(groups)) for f in range(len(factors)) for flip in (False, True)]
    for g, f, flip in tqdm(steps, desc=f"trunk maps {images.dataset}/{images.split}", leave=False,
                           disable=not progress):
        chunks = [groups[g][i:i + batch_size] for i in range(0, len(groups[g]), batch_size)]
        maps[(g, f, flip)] = torch.cat([_c5(features, images, chunk, factors[f], flip, whole_image=whole_image,
                                            side=side, mean=mean, std=std, device=device) for chunk in chunks])
    return TrunkMaps(tuple(factors), maps, slots)


def _c5(features: torch.nn.Module, images: ImageSet, chunk: list[int], factor: float, flip: bool, *,
        whole_image: bool, side: int, mean: Tensor, std: Tensor, device: torch.device) -> Tensor:
    """``float32 [B, C, h5, w5]`` on the CPU: the C5 maps of ``chunk`` (one base size) at ``factor``, all flipped or
    none; the same resizing steps as :meth:`WeakBatches.__iter__` (``side``: the network's input size)."""
    pictures = [images.images[i].to(device) for i in chunk]
    if whole_image:
        pictures = [resize_uint8(p, (side, side)) for p in pictures]
    stacked = torch.stack(pictures)
    size = (side, side) if whole_image else scaled_shape(*stacked.shape[-2:], factor, side)
    flips = torch.full((len(chunk),), flip)
    return features(to_network_input(stacked, size, mean, std, flips)).float().cpu()


def cached_train_maps(runs_dir: Path, name: str, key: dict[str, Any], source: AlexNet, images: ImageSet,
                      factors: tuple[float, ...], *, whole_image: bool, batch_size: int, device: str | torch.device,
                      progress: bool) -> TrunkMaps:
    """:func:`compute_trunk_maps`, cached under ``runs_dir/<name>-<hash>``; ``key`` names the source network and the
    images (the caller's: dataset, split, subset, base size, world); factors and ``whole_image`` are added here."""
    # the batch size too: a convolution's float rounding may depend on how many images it runs at once
    full_key = {**key, "factors": tuple(factors), "whole_image": whole_image, "batch_size": batch_size,
                "format": FORMAT}

    def compute(work: Path) -> None:
        stored = compute_trunk_maps(source, images, factors, whole_image=whole_image, batch_size=batch_size,
                                    device=device, progress=progress)
        cache.save_state_dict(work / "c5.pt", {
            "factors": list(stored.factors), "slots": stored.slots,
            "maps": [{"group": g, "factor": f, "flip": flip, "c5": c5} for (g, f, flip), c5 in stored.maps.items()]})

    entry = cache.load_or_compute(runs_dir, name, full_key, compute, verbose=progress)
    saved = cache.load_state_dict(entry / "c5.pt")
    maps = {(int(m["group"]), int(m["factor"]), bool(m["flip"])): m["c5"] for m in saved["maps"]}
    return TrunkMaps(tuple(float(f) for f in saved["factors"]), maps, saved["slots"])
