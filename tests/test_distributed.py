"""Tests for oquab_lib.distributed: 2 processes (gloo, CPU) train through ``fit`` to the weights of 1 process with the
same global batch, resume from rank 0's checkpoint, and publish one cache entry; one process is untouched."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import torch
from torch import multiprocessing as mp
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from oquab_lib import cache, distributed
from oquab_lib.train import fit

WORLD = 2
EPOCHS = 2


def _setup():
    """Model, optimizer, scheduler and loader as a fresh process builds them. 21 images in batches of 8: the last
    batch (5) splits 3 / 2 over two ranks, which checks the loss weighting of uneven shards."""
    gen = torch.Generator().manual_seed(7)
    data = TensorDataset(torch.randn(21, 6, generator=gen), torch.randint(0, 3, (21,), generator=gen))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1], gamma=0.5)
    return model, optimizer, scheduler, DataLoader(data, batch_size=8, shuffle=True, generator=torch.Generator())


def _train(work: Path, epochs: int = EPOCHS) -> tuple[dict[str, torch.Tensor], list[dict]]:
    model, optimizer, scheduler, loader = _setup()
    history = fit(model, optimizer, loader, epochs=epochs, work_dir=work, scheduler=scheduler, seed=3,
                  progress=False)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}, history


def _worker(rank: int, port: int, tmp: str) -> None:
    """One rank of the 2-process run: plain fit, fit killed after epoch 1 and resumed, and a cache entry."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(WORLD), RANK=str(rank),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    assert distributed.init() and distributed.world_size() == WORLD
    tmp_path = Path(tmp)
    weights, history = _train(tmp_path / "ddp")
    _train(tmp_path / "resume", epochs=1)  # "killed" after epoch 1 ...
    resumed, _ = _train(tmp_path / "resume")  # ... and restarted: every rank reads rank 0's checkpoint

    def compute(work: Path) -> None:
        trained, _ = _train(work)
        cache.save_state_dict(work / "weights.pt", trained)  # every rank writes: rank > 0 into its scratch copy

    entry = distributed.load_or_compute(tmp_path / "runs", "toy", {"seed": 3}, compute, verbose=False)
    torch.save({"weights": weights, "history": history, "resumed": resumed, "entry": str(entry)},
               tmp_path / f"rank{rank}.pt")
    torch.distributed.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _assert_close(got: dict[str, torch.Tensor], want: dict[str, torch.Tensor]) -> None:
    assert got.keys() == want.keys()
    for name, value in want.items():
        torch.testing.assert_close(got[name], value, atol=1e-5, rtol=1e-5, msg=name)


@pytest.mark.slow
def test_ddp_two_processes_match_one_process_and_resume(tmp_path, one_thread):
    reference, ref_history = _train(tmp_path / "one")
    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=WORLD, join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(WORLD)]
    for result in ranks:
        _assert_close(result["weights"], reference)
        _assert_close(result["resumed"], reference)
        assert [row["images"] for row in result["history"]] == [row["images"] for row in ref_history] == [21, 21]
        assert [row["loss"] for row in result["history"]] == pytest.approx([row["loss"] for row in ref_history],
                                                                          rel=1e-5)
    entry = Path(ranks[0]["entry"])
    assert ranks[1]["entry"] == str(entry) and cache.is_complete(entry)
    _assert_close(cache.load_state_dict(entry / "weights.pt"), reference)
    # rank 1 wrote nothing under runs/: one entry and its lock, no second work folder
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [".locks", entry.name]


def test_ddp_one_process_is_untouched():
    images, targets = torch.randn(5, 2), torch.arange(5)
    assert not distributed.is_distributed() and distributed.world_size() == 1 and distributed.is_main()
    assert distributed.shard_batch(images, targets) == (images, targets, 1.0)
    model = nn.Linear(2, 2)
    assert distributed.wrap(model, torch.device("cpu")) is model
    assert distributed.all_gather_objects({"a": 1}) == [{"a": 1}] and distributed.sum_across(2.0, 3.0) == (2.0, 3.0)
    assert distributed.local_device("cuda") == torch.device("cuda")
