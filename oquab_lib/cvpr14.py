"""CVPR'14 transfer pipeline.

Image-level scores from patch posteriors (Sec. 3.3 of the paper): ``score(C) = (1/M) Σ_i y(C|P_i)^k`` over the ``M``
patches of an image, with ``k = 5`` chosen on validation; ``k = inf`` is the max-over-patches ablation.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from oquab_lib.errors import ConfigError


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
