"""What every chapter does first: resolve its parameters and make sure its data exists.

``start(profile, data_root, device, seed, runs_dir, overrides)`` is the one call after a notebook's ``parameters``
cell. It validates the parameters (:func:`oquab_lib.config.resolve`), generates the mini world for the synthetic
profiles when it is missing or of another config (a cache hit otherwise), and fixes the number of CPU threads so that
timings and results do not depend on what else the machine runs.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pandas as pd
import torch

from oquab_lib import cache
from oquab_lib.config import Run, resolve
from oquab_lib.data.synth import ensure_world

# The mini world is one fixed world per profile: `seed` varies the experiments run on it, not the world itself (a
# different world per seed would regenerate thousands of images whenever a chapter is re-run with another seed).
WORLD_SEED = 0


def start(
    profile: str = "quick",
    data_root: str | os.PathLike | None = None,
    device: str = "auto",
    seed: int = 0,
    runs_dir: str | os.PathLike = "runs",
    overrides: dict[str, Any] | None = None,
) -> Run:
    """Resolve a chapter's parameters and prepare its data; returns the :class:`~oquab_lib.config.Run`.

    Every field of every section's dataclass may be overridden (``{"cvpr14.scales": [1, 2]}``); its type and range
    are checked here, before any compute (a one-line ConfigError naming the key, the value and what is accepted).
    """
    # registers the sections' dataclasses (oquab_lib/schema.py); imported here, not at module top, because the
    # experiment packages sit above this module and some of them import it
    import oquab_lib.sections  # noqa: F401

    run = resolve(profile, data_root, device, seed, runs_dir, overrides)
    # The papers' tables have 21 columns: a chapter shows them whole, not elided (set here, not at import time).
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.width", 250)
    threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    if threads > 0:
        torch.set_num_threads(threads)
    ensure_data(run)
    return run


def ensure_data(run: Run, verbose: bool = True) -> None:
    """Generate the mini world of a synthetic profile if it is missing (a cache hit otherwise); real data: nothing."""
    if run.is_synthetic:
        ensure_world(run.data_root, run.section("world"), seed=WORLD_SEED, verbose=verbose)


@contextlib.contextmanager
def cache_summary(verbose: bool = False) -> Iterator[list[tuple[str, Any]]]:
    """Count the results cache's hits and computed entries inside the block and print one line at its end
    (``"42 results from the cache, 0 computed"``); ``verbose`` also lists each entry. Misses still say what they
    compute as they start. Yields the ``(kind, entry)`` list it fills."""
    tally: list[tuple[str, Any]] = []
    cache._tallies.append(tally)
    try:
        yield tally
    finally:
        cache._tallies.remove(tally)
    hits = sum(kind == "hit" for kind, _ in tally)
    print(f"{hits} result{'s' if hits != 1 else ''} from the cache, {len(tally) - hits} computed")
    if verbose:
        print("\n".join(f"  {kind}: {entry}" for kind, entry in tally))
