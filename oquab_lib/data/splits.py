"""Which images a CVPR'14 table trains, selects and tests on: VOC splits, a seeded hold-out, and image caps."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from oquab_lib.data.voc import VOCClassification
from oquab_lib.errors import ConfigError

__all__ = ["resolve_splits", "subsample", "ids_hash"]


def ids_hash(ids: list[str]) -> str:
    """A short digest of an image-id list (part of cache keys)."""
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


def subsample(ids: list[str], cap: int, seed: int) -> list[str]:
    """At most ``cap`` of ``ids`` (0 = all): a seeded subset, kept in file order."""
    if not cap or cap >= len(ids):
        return ids
    keep = set(np.random.default_rng(seed).permutation(len(ids))[:cap].tolist())
    return [image_id for n, image_id in enumerate(ids) if n in keep]


def resolve_splits(data_root: Path, splits: tuple[str, ...], holdout_seed: int = 0,
                   max_images: tuple[int, int, int] = (0, 0, 0)) -> dict[str, tuple[str, str, list]]:
    """``{"train"|"val"|"test": (year, split, image ids)}`` from ``(year, train, val, test)``.

    A validation entry ``"holdout:<f>"`` takes a seeded fraction ``f`` of the training split's images (a permutation
    by ``numpy.random.default_rng(holdout_seed)``) and removes them from training, so both never share an image.
    ``max_images`` caps each role (quick profile: feature extraction time grows with the number of patches).
    """
    year, train, val, test = splits
    train_ids = VOCClassification(data_root, year, train).ids
    resolved = {"test": (year, test, VOCClassification(data_root, year, test).ids)}
    if val.startswith("holdout:"):
        try:
            fraction = float(val.split(":", 1)[1])
        except ValueError:
            fraction = -1.0
        if not 0 < fraction < 1:
            raise ConfigError(f"cvpr14 splits: {val!r}: expected 'holdout:<fraction in (0, 1)>', e.g. 'holdout:0.2'")
        order = np.random.default_rng(holdout_seed).permutation(len(train_ids))
        held = set(order[: max(1, round(fraction * len(train_ids)))].tolist())
        resolved["val"] = (year, train, [i for n, i in enumerate(train_ids) if n in held])
        resolved["train"] = (year, train, [i for n, i in enumerate(train_ids) if n not in held])
    else:
        resolved["val"] = (year, val, VOCClassification(data_root, year, val).ids)
        resolved["train"] = (year, train, train_ids)
    caps = dict(zip(("train", "val", "test"), max_images))
    return {role: (y, s, subsample(ids, caps[role], holdout_seed)) for role, (y, s, ids) in resolved.items()}
