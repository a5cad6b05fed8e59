"""Disk space, planned: the bytes of a cached array, and a free-space check before a big cache file is written.

The full profile's CVPR'14 caches are tens of gigabytes (FC7 of ~500 patches per image, per source network: see
``oquab_lib/tools/plan.py`` and the Running on real data page), so a chapter checks the free space of the cache folder
before it creates one, and stops with a one-line error naming the folder and the space needed rather than filling the
disk hours into a run.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from oquab_lib.errors import DiskFullError

MARGIN = 1.05  # headroom over the array itself: the .npy header, the entry's metadata, other files written meanwhile


def array_bytes(shape: Sequence[int], dtype: str | np.dtype) -> int:
    """Bytes of an array of ``shape`` and ``dtype`` on disk (an ``.npy`` without its header)."""
    return math.prod(int(n) for n in shape) * np.dtype(dtype).itemsize


def human(nbytes: float) -> str:
    """``42600000000`` -> ``"42.6 GB"`` (decimal units, as ``df -H``)."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(nbytes) < 1000:
            return f"{nbytes:.1f} {unit}" if unit != "B" else f"{int(nbytes)} B"
        nbytes /= 1000
    return f"{nbytes:.1f} TB"


def check_free_space(folder: str | os.PathLike, needed: int, what: str) -> None:
    """One-line :class:`DiskFullError` unless ``folder`` (or its nearest existing parent) has ``needed`` x MARGIN
    bytes free. The one free-space check of the project: the cache calls it before every checked write."""
    place = Path(folder).absolute()
    while not place.exists() and place != place.parent:
        place = place.parent
    free = shutil.disk_usage(place).free
    if needed * MARGIN > free:
        raise DiskFullError(f"not enough disk for {what} in {Path(folder)}: needs {human(needed * MARGIN)}, "
                          f"{human(free)} free; free some space there or pass runs_dir=<a folder on a larger disk>")
