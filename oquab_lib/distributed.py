"""Data-parallel training under ``torchrun --nproc_per_node N`` (``DistributedDataParallel``); a no-op otherwise.

One process (no ``WORLD_SIZE`` above 1 in the environment, no process group) behaves exactly as without this module:
every function below then returns its input or the trivial answer, and nothing enters a cache key.

How N processes reproduce one process with the global batch ``B`` (the sharding is ours, not a
``DistributedSampler``, so that the existing seeded loaders need no change): every rank builds the *same* global
batches from the same seeded generators, and :func:`shard_batch` keeps rank ``r``'s contiguous slice of each one
(``B / N`` images). Each rank's mean loss is scaled by ``n_rank * N / B`` so that DDP's gradient average equals the
gradient of the global batch's mean loss, also for a last batch that does not split evenly. Data loading is therefore
*not* distributed (each rank decodes the whole global batch, then drops what is not its share), nor is evaluation (each
rank evaluates the whole validation set: the same weights give the same numbers, so every rank takes the same
best-epoch and plateau decisions); the forward and backward passes, the bulk of the work, are.

Files: only rank 0 writes cache entries and checkpoints. :func:`load_or_compute` lets rank 0 compute an entry under
the cache's lock while the other ranks compute alongside in a private copy of the same work folder (so every rank
resumes from the same checkpoint, and their own writes go to a folder that is deleted afterwards).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import distributed as dist
from torch import nn

from oquab_lib import cache

__all__ = ["init", "is_distributed", "rank", "world_size", "is_main", "local_device", "wrap", "shard_batch",
           "all_gather_objects", "sum_across", "barrier", "load_or_compute"]


def init() -> bool:
    """Join the process group that ``torchrun`` describes (env ``WORLD_SIZE`` > 1), once; True when distributed.

    The backend: NCCL when CUDA is available, else gloo (the CPU test)."""
    if dist.is_available() and not dist.is_initialized() and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return is_distributed()


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def is_main() -> bool:
    return rank() == 0


def local_device(device: str | torch.device) -> torch.device:
    """``cuda`` becomes this process's GPU, ``cuda:LOCAL_RANK``, under torchrun; any other device is unchanged."""
    device = torch.device(device)
    if init() and device.type == "cuda" and device.index is None:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    return device


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` in ``DistributedDataParallel`` (gradients averaged over ranks), or ``model`` itself in one process."""
    if not init():
        return model
    return nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def shard_batch(images: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, float]:
    """This rank's slice of a global batch ``images [B, ...]``, ``targets [B, ...]`` and the loss weight
    ``n_rank * N / B`` (DDP averages gradients over N ranks; the weight makes that the global batch's mean)."""
    if not is_distributed():
        return images, targets, 1.0
    total, count = images.shape[0], world_size()
    index = torch.arange(total).tensor_split(count)[rank()]
    return images[index], targets[index], len(index) * count / total


def all_gather_objects(obj: Any) -> list[Any]:
    """``[obj of rank 0, obj of rank 1, ...]`` on every rank; ``[obj]`` in one process."""
    if not is_distributed():
        return [obj]
    gathered: list[Any] = [None] * world_size()
    dist.all_gather_object(gathered, obj)
    return gathered


def sum_across(*values: float) -> tuple[float, ...]:
    """The sums over ranks of a few numbers (an epoch's loss total and image count); the values in one process."""
    if not is_distributed():
        return values
    tensor = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(tensor)  # gloo and NCCL both sum CPU / CUDA float64 tensors; NCCL needs it on the GPU
    return tuple(tensor.tolist())


def barrier() -> None:
    """Wait for every rank (nothing in one process)."""
    if is_distributed():
        dist.barrier()


def _broadcast(obj: Any) -> Any:
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def load_or_compute(runs_dir: str | os.PathLike, experiment: str, config: dict[str, Any],
                    compute: Callable[[Path], None], verbose: bool = True) -> Path:
    """:func:`oquab_lib.cache.load_or_compute` for a ``compute`` that trains with DDP (every rank must run it).

    Rank 0 computes under the entry's lock and publishes the entry; the other ranks run ``compute`` in a temporary
    copy of rank 0's work folder (taken before anyone trains: the same checkpoint), then delete it. In one process:
    exactly :func:`oquab_lib.cache.load_or_compute`."""
    if not init():
        return cache.load_or_compute(runs_dir, experiment, config, compute, verbose=verbose)
    if is_main():
        def compute_main(work: Path) -> None:
            _broadcast(str(work))  # "computing, in this folder": the other ranks copy it now ...
            dist.barrier()  # ... and rank 0 writes nothing until they have
            compute(work)

        entry = cache.load_or_compute(runs_dir, experiment, config, compute_main, verbose=verbose)
        _broadcast("")  # rank 0 is done (a hit, or computed and published)
        return entry
    work = _broadcast(None)
    if work:
        with tempfile.TemporaryDirectory(prefix=f"{experiment}-rank{rank()}-") as scratch:
            copy = Path(scratch) / "work"
            shutil.copytree(work, copy)
            dist.barrier()
            compute(copy)
        _broadcast(None)  # wait for rank 0 to publish
    return cache.entry_dir(runs_dir, experiment, config)
