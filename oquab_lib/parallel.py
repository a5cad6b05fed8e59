"""Independent jobs (the source networks, the seeds of a CVPR'15 table) in worker processes on a CPU.

On two cores a small network trains faster as two one-thread processes than as one two-thread process: the quick
AlexNet's forward + backward runs at about 2,050 img/s with 2 threads and about 1,400 img/s per process with two
1-thread processes side by side (2,800 img/s together), because its 16-48-channel convolutions do not split well over
threads. That is not true of everything: NO PRETRAIN's training on patches already scales over 2 threads, and frozen
features lose to the spawn and set-up of each job (measured on CVPR'14 Tables 1-2, which therefore run serially).
Every job runs with the same fixed thread count whichever path computes it (a cache entry does not record
its thread count), so that the numbers do not depend on whether a chapter ran it here or serially.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

import torch
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

T = TypeVar("T")


def _call(fn: Callable[..., T], threads: int, args: tuple) -> T:
    torch.set_num_threads(max(threads, 1))
    return fn(*args)


def in_processes(fn: Callable[..., T], jobs: Sequence[tuple[Any, ...]], *, workers: int, threads: int,
                 desc: str, progress: bool = True) -> list[T]:
    """``[fn(*job) for job in jobs]``, computed in ``workers`` ``spawn`` processes with ``threads`` torch threads each.

    ``fn`` must be a top-level function (or a ``functools.partial`` of one) so that a worker can unpickle it; jobs are
    submitted in the given order (put the longest first). Results come back in job order; a bar counts finished
    jobs. An exception in a job is raised here, with the worker's traceback as its cause.
    """
    workers = max(1, min(workers, len(jobs)))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_call, fn, threads, tuple(job)): i for i, job in enumerate(jobs)}
        results: list[Any] = [None] * len(jobs)
        for future in tqdm(as_completed(futures), total=len(jobs), desc=desc, disable=not progress):
            results[futures[future]] = future.result()
    return results
