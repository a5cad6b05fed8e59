"""Image scores from patch posteriors and their evaluation (CVPR'14, Sec. 3.3).

``score(C) = (1/M) Σ_i y(C|P_i)^k`` over the ``M`` patches of an image (:func:`aggregate_scores`, and
:func:`aggregate_scores_batched` for many images at once), ``k = 5`` in the paper, ``k = inf`` the max-over-patches
ablation; Pascal VOC AP per class (:func:`ap_fractions`); and the choice of ``k`` on validation (:func:`select_k`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor

from oquab_lib.cvpr14.features import PatchSet
from oquab_lib.data.classes import VOC_CLASSES
from oquab_lib.errors import ConfigError
from oquab_lib.metrics import voc_ap


def _check_k(k: float) -> None:
    if not k > 0:
        raise ConfigError(f"aggregate_scores: k must be positive (5 in the paper, inf for max), got {k}")


def aggregate_scores(patch_probs: Tensor, k: float = 5) -> Tensor:
    """Image scores ``[C]`` from patch posteriors ``[M, C+1]`` (last column = background, dropped).

    ``(1/M) Σ_i y_i^k`` per object class; ``k = float("inf")`` gives the max over patches.
    """
    _check_k(k)
    if patch_probs.ndim != 2 or patch_probs.shape[0] == 0 or patch_probs.shape[1] < 2:
        raise ConfigError(f"aggregate_scores: patch_probs must be [M >= 1, C+1 >= 2], got {tuple(patch_probs.shape)}")
    objects = patch_probs[:, :-1]
    if math.isinf(k):
        return objects.max(dim=0).values
    return objects.pow(k).mean(dim=0)


def aggregate_scores_batched(patch_probs: Tensor, image_index: Tensor, num_images: int, k: float = 5) -> Tensor:
    """Image scores ``[num_images, C]`` from the posteriors ``[P, C+1]`` of patches pooled over many images.

    ``image_index [P]`` (int, in ``[0, num_images)``) says which image each patch belongs to; same formula as
    :func:`aggregate_scores`, computed with ``index_add_`` (``scatter_reduce`` "amax" for ``k = inf``).
    Every image must have at least one patch.
    """
    _check_k(k)
    if patch_probs.ndim != 2 or patch_probs.shape[1] < 2 or image_index.shape != (patch_probs.shape[0],):
        raise ConfigError(f"aggregate_scores_batched: need patch_probs [P, C+1] and image_index [P], got "
                          f"{tuple(patch_probs.shape)} and {tuple(image_index.shape)}")
    image_index = image_index.to(patch_probs.device, torch.int64)
    if image_index.numel() and (image_index.min() < 0 or image_index.max() >= num_images):
        raise ConfigError(f"aggregate_scores_batched: image_index must lie in [0, {num_images}), got "
                          f"{int(image_index.min())}..{int(image_index.max())}")
    counts = torch.bincount(image_index, minlength=num_images)
    if (counts == 0).any():
        empty = torch.nonzero(counts == 0).flatten()[:5].tolist()
        raise ConfigError(f"aggregate_scores_batched: every image needs >= 1 patch; images without any: {empty}")
    objects = patch_probs[:, :-1]
    out = torch.zeros(num_images, objects.shape[1], dtype=objects.dtype, device=objects.device)
    if math.isinf(k):
        index = image_index[:, None].expand_as(objects)
        return out.scatter_reduce(0, index, objects, reduce="amax", include_self=False)
    out.index_add_(0, image_index, objects.pow(k))
    return out / counts[:, None].to(out.dtype)


def k_value(k: Any) -> float:
    """A ``cvpr14.k_values`` entry as the exponent of :func:`aggregate_scores` (``"max"`` -> inf)."""
    return math.inf if k == "max" else float(k)


def image_scores(probs: Tensor, patch_set: PatchSet, k_values: tuple) -> dict[str, Tensor]:
    """``{str(k): [N, 20]}`` image scores of every ``k`` from the patch posteriors ``probs [P, 21]`` of a set."""
    probs = probs.double()  # y^8 of small posteriors underflows float32 sums less often in double
    return {str(k): aggregate_scores_batched(probs, patch_set.image_index, patch_set.num_images, k_value(k)).float()
            for k in k_values}


def ap_fractions(scores: Tensor, labels: Tensor, protocol: str) -> np.ndarray:
    """Per-class AP ``[20]`` (fractions) of image scores ``[N, 20]``; NaN for a class without a positive image."""
    return np.array([voc_ap(scores[:, c], labels[:, c], protocol, name) if (labels[:, c] == 1).any() else np.nan
                     for c, name in enumerate(VOC_CLASSES)])


def select_k(val_scores: dict[str, Tensor], val_labels: Tensor, protocol: str) -> tuple[str, dict[str, float]]:
    """The ``k`` with the best validation mAP (ties: the first in ``k_values`` order) and every k's mAP (%).

    Takes validation data only: the test split can never influence the choice.
    """
    maps = {k: float(100 * np.nanmean(ap_fractions(s, val_labels, protocol))) for k, s in val_scores.items()}
    return max(maps, key=lambda k: (maps[k], -list(maps).index(k))), maps
