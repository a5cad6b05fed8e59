"""The generic training loop (torchvision ``references/`` style): one epoch, evaluation, and ``fit`` with resume.

``fit`` writes ``work_dir/checkpoint.pt`` after every epoch (atomically: :func:`oquab_lib.cache.save_state_dict`) with
everything a later run needs to continue *bit for bit*: model, optimizer, scheduler (or :class:`PlateauRule`), AMP
scaler, history, and every random state the loop consumes (torch CPU, CUDA, python ``random``, numpy's global state, and
the generators of the training loader and its sampler). A run killed after epoch ``e`` and resumed therefore ends with
the same weights as an uninterrupted run (``tests/test_train.py`` checks it on CPU). Exact resume assumes the loader is
rebuilt the same way and does not use ``persistent_workers`` (worker processes keep RNG state we cannot save).

:class:`~oquab_lib.stopping.PlateauRule` (the CVPR'14 schedule) and :class:`~oquab_lib.stopping.EarlyStopping` (the
validation-metric rule of the CVPR'15 weak nets) are in :mod:`oquab_lib.stopping`; ``fit`` steps either.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch import nn
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib import distributed
from oquab_lib.cache import load_state_dict, save_state_dict
from oquab_lib.stopping import EarlyStopping, PlateauRule

__all__ = ["train_one_epoch", "evaluate", "topk_correct", "fit", "CHECKPOINT_NAME"]

CHECKPOINT_NAME = "checkpoint.pt"


def _autocast(device: torch.device, amp: bool):
    """bf16/fp16 autocast on CUDA only; a no-op context elsewhere (CPU results stay exact)."""
    return torch.autocast(device_type="cuda", enabled=amp and device.type == "cuda")


def _to_device(tensor: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    tensor = tensor.to(device, non_blocking=True)
    if channels_last and tensor.dim() == 4:
        tensor = tensor.contiguous(memory_format=torch.channels_last)
    return tensor


def train_one_epoch(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    loader: Iterable,
    *,
    device: str | torch.device,
    epoch: int,
    scaler: torch.amp.GradScaler | None = None,
    amp: bool = False,
    log_every: int = 50,
    channels_last: bool = False,
    progress: bool = True,
) -> dict[str, float]:
    """One pass over ``loader`` (batches ``(images [B, C, H, W], targets [B, ...])``).

    Returns ``dict(loss=mean loss per example, images=count, seconds=wall time, cpu_seconds=process CPU time,
    lr=rate at the start)``. Under torchrun (``model`` wrapped by :func:`oquab_lib.distributed.wrap`) each rank trains
    on its shard of every batch; ``loss`` and ``images`` are then over all ranks (CPU seconds: this rank's).
    """
    device = torch.device(device)
    model.train()
    lr = optimizer.param_groups[0]["lr"]
    total_loss, total_count, start, cpu_start = 0.0, 0, time.perf_counter(), time.process_time()
    bar = tqdm(loader, desc=f"epoch {epoch}", leave=False, disable=not progress or not distributed.is_main())
    for step, (images, targets) in enumerate(bar):
        images, targets, weight = distributed.shard_batch(images, targets)
        images, targets = _to_device(images, device, channels_last), targets.to(device, non_blocking=True)
        with _autocast(device, amp):
            loss = _mean_loss(loss_fn, model(images), targets)
        # DDP averages gradients over ranks: weighting each rank's mean by its share gives the global batch's mean
        scaled = loss * weight if weight != 1.0 else loss
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(scaled).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            scaled.backward()
            optimizer.step()
        total_loss += loss.item() * images.shape[0]
        total_count += images.shape[0]
        if step % log_every == 0:
            bar.set_postfix(loss=f"{total_loss / max(total_count, 1):.4f}", lr=f"{lr:.2g}")
    bar.close()
    total_loss, total_count = distributed.sum_across(total_loss, total_count)  # the same numbers on every rank
    total_count = int(total_count)
    mean_loss = total_loss / max(total_count, 1)
    # cpu_seconds (all threads of this process) tells the work done even when other processes share the cores
    return dict(loss=mean_loss, images=total_count, seconds=time.perf_counter() - start,
                cpu_seconds=time.process_time() - cpu_start, lr=lr)


def _mean_loss(loss_fn: Callable, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``loss_fn(outputs, targets)``; 0 (with a graph) for an empty shard: a last batch smaller than the world
    leaves some ranks nothing, and they must still join DDP's gradient average."""
    return loss_fn(outputs, targets) if targets.shape[0] else outputs.sum() * 0.0


def topk_correct(logits: torch.Tensor, targets: torch.Tensor, ks: tuple[int, ...]) -> list[int]:
    """Number of rows of ``logits [B, K]`` whose target ``[B]`` is among the top-k scores, for each k (k<=K)."""
    top = logits.topk(min(max(ks), logits.shape[1]), dim=1).indices
    hits = top.eq(targets[:, None])
    return [int(hits[:, : min(k, logits.shape[1])].any(dim=1).sum()) for k in ks]


@torch.inference_mode()
def evaluate(
    model: nn.Module,
    loader: Iterable,
    device: str | torch.device,
    *,
    loss_fn: Callable | None = None,
    ks: tuple[int, ...] = (1, 5),
    amp: bool = False,
    channels_last: bool = False,
    progress: bool = True,
    prefix: str = "val_",
) -> dict[str, float]:
    """Metrics over ``loader``: ``{prefix}loss`` and ``{prefix}top{k}`` (accuracy in %) for each k in ``ks``."""
    device = torch.device(device)
    model.eval()
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    total_loss, count, correct = 0.0, 0, [0] * len(ks)
    for images, targets in tqdm(loader, desc="evaluate", leave=False, disable=not progress):
        images, targets = _to_device(images, device, channels_last), targets.to(device, non_blocking=True)
        with _autocast(device, amp):
            logits = model(images)
        total_loss += float(loss_fn(logits.float(), targets)) * images.shape[0]
        correct = [c + n for c, n in zip(correct, topk_correct(logits, targets, ks))]
        count += images.shape[0]
    metrics = {f"{prefix}loss": total_loss / max(count, 1)}
    metrics.update({f"{prefix}top{k}": 100.0 * c / max(count, 1) for k, c in zip(ks, correct)})
    return metrics


# --- random states -------------------------------------------------------------------------------------------------


def loader_generators(loader: Any) -> list[torch.Generator]:
    """The distinct ``torch.Generator`` objects that drive a loader's shuffling and worker seeds, in a fixed order."""
    candidates = [
        getattr(loader, "generator", None),
        getattr(getattr(loader, "sampler", None), "generator", None),
        getattr(getattr(getattr(loader, "batch_sampler", None), "sampler", None), "generator", None),
    ]
    found: list[torch.Generator] = []
    for gen in candidates:
        if isinstance(gen, torch.Generator) and all(gen is not g for g in found):
            found.append(gen)
    return found


def seed_everything(seed: int, loader: Any = None) -> None:
    """Seed torch (CPU and CUDA), python ``random``, numpy's global state and the loader's generators."""
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    for offset, gen in enumerate(loader_generators(loader)):
        gen.manual_seed(seed + 1000003 * (offset + 1))


def rng_state(loader: Any, device: torch.device) -> dict[str, Any]:
    """Every random state the loop consumes, in a form ``torch.load(weights_only=True)`` accepts."""
    np_state = np.random.get_state(legacy=False)
    state = {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": {**np_state, "state": {"key": np_state["state"]["key"].tolist(), "pos": np_state["state"]["pos"]}},
        "loader": [gen.get_state() for gen in loader_generators(loader)],
    }
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any], loader: Any, device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(_as_tuple(state["python"]))
    np_state = dict(state["numpy"])
    np_state["state"] = {"key": np.asarray(np_state["state"]["key"], dtype=np.uint32), "pos": np_state["state"]["pos"]}
    np.random.set_state(np_state)
    for gen, saved in zip(loader_generators(loader), state["loader"], strict=True):
        gen.set_state(saved)
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state_all(state["cuda"])


def _as_tuple(value: Any) -> Any:
    return tuple(_as_tuple(v) for v in value) if isinstance(value, (list, tuple)) else value


# --- fit -------------------------------------------------------------------------------------------------------------


def _step_schedule(scheduler: Any, row: dict[str, Any]) -> bool:
    """Advance the schedule after an epoch (``row``: its history row); a :class:`PlateauRule` or an
    :class:`EarlyStopping` can ask to stop."""
    if scheduler is None:
        return False
    if isinstance(scheduler, EarlyStopping):
        return scheduler.step(row)
    if isinstance(scheduler, PlateauRule):
        return scheduler.step(row["loss"])
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(row["loss"])
    else:
        scheduler.step()
    return False


def fit(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train_loader: Iterable,
    *,
    epochs: int,
    work_dir: str | Path,
    val_fn: Callable[[nn.Module, int], dict[str, float]] | None = None,
    scheduler: Any = None,
    device: str | torch.device = "cpu",
    seed: int = 0,
    resume: bool = True,
    loss_fn: Callable | None = None,
    amp: bool = False,
    channels_last: bool = False,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Train for up to ``epochs`` epochs (fewer if a :class:`PlateauRule` or :class:`EarlyStopping` ``scheduler``
    stops), checkpointing after each one.

    ``model`` must already be on ``device`` and ``optimizer`` built over its parameters. ``val_fn(model, epoch)``
    returns metrics merged into that epoch's history row. On a fresh start ``seed`` seeds every RNG (model init is
    the caller's); with ``resume`` and an existing ``work_dir/checkpoint.pt`` the run continues where it stopped.
    Returns the history: one dict per epoch (``epoch``, ``lr``, ``loss``, ``images``, ``seconds`` + val metrics).

    Under torchrun (:mod:`oquab_lib.distributed`) every rank calls ``fit`` with the same arguments: the model trains
    wrapped in DDP on each rank's shard of the global batches, ``val_fn`` gets the plain model, only rank 0 writes the
    checkpoint, and every rank resumes from it (each with its own saved random state, e.g. its dropout masks).
    """
    device = torch.device(device)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    use_amp = amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda") if use_amp else None
    if channels_last:  # every device: on the CPU too, oneDNN's NHWC kernels are 1.2-2x faster (same function)
        model.to(memory_format=torch.channels_last)
    path = Path(work_dir) / CHECKPOINT_NAME
    history, start, stopped = [], 0, False
    if resume and path.is_file():
        # on the CPU: RNG states must stay CPU tensors; load_state_dict moves weights and optimizer state to the model
        state = load_state_dict(path, map_location="cpu")
        _restore(state, model, optimizer, scheduler, scaler)
        ranks = state.get("rng_ranks", [state["rng"]])  # one per rank when saved under torchrun
        set_rng_state(ranks[distributed.rank()] if len(ranks) == distributed.world_size() else ranks[0],
                      train_loader, device)
        history, start, stopped = list(state["history"]), state["epoch"] + 1, state["stopped"]
    else:
        seed_everything(seed, train_loader)
        if distributed.rank():  # each rank its own dropout masks; the loaders' generators stay shared
            torch.manual_seed(seed + 1000003 * distributed.rank())
    if stopped:  # the rule already ended this run: nothing to train
        return history
    trained = distributed.wrap(model, device)
    for epoch in range(start, epochs):
        row: dict[str, Any] = {"epoch": epoch}
        row.update(train_one_epoch(trained, loss_fn, optimizer, train_loader, device=device, epoch=epoch,
                                   scaler=scaler, amp=use_amp, channels_last=channels_last, progress=progress))
        if val_fn is not None:
            row.update(val_fn(model, epoch))
        stopped = _step_schedule(scheduler, row)
        history.append(row)
        state = {"epoch": epoch, "history": history, "stopped": stopped, **_rng_states(train_loader, device)}
        if distributed.is_main():
            _save(path, model, optimizer, scheduler, scaler, state=state)
        if stopped:
            break
    distributed.barrier()  # the last checkpoint is on disk before any rank moves on (and might read it)
    return history


def _rng_states(loader: Any, device: torch.device) -> dict[str, Any]:
    """``rng``: this process's random states; under torchrun (only) also ``rng_ranks``, every rank's, gathered."""
    rngs = distributed.all_gather_objects(rng_state(loader, device))
    return {"rng": rngs[0], "rng_ranks": rngs} if len(rngs) > 1 else {"rng": rngs[0]}


def _save(path: Path, model, optimizer, scheduler, scaler, *, state: dict[str, Any]) -> None:
    """The checkpoint: the four state dicts, then ``state`` (``epoch``, ``history``, ``stopped``, ``rng``)."""
    save_state_dict(path, {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "scaler": scaler.state_dict() if scaler is not None else None,
        **state,
    })


def _restore(state: dict[str, Any], model, optimizer, scheduler, scaler) -> None:
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    if scaler is not None and state["scaler"] is not None:
        scaler.load_state_dict(state["scaler"])
