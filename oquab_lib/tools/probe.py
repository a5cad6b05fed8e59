"""A machine-speed probe, so that a time measured on one machine says something on another.

Two-core machines differ by 2x (CPU model, vector kernels, a noisy neighbour), so every timing the book states comes
with this probe, measured in the same run: the training throughput of the quick-profile AlexNet (forward + backward
+ SGD step, batches of 64 48-px images, 2 threads; the workload of most of the book) and the float32 GEMM throughput
(1024 x 1024 matrices, 2 threads). ``scale`` converts seconds measured here into seconds on the reference machine
(:data:`REFERENCE`, the two-core machine the book's budgets were written for): a machine twice as fast as the reference
has ``speed = 2``, and its 60 s count as 120 reference seconds.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import torch
from torch import nn

from oquab_lib.models import build_alexnet

# The reference machine (2 cores of an AMD EPYC with AVX-512 kernels, 2026-12-03, idle), measured with :func:`measure`
# (two runs: 1318 and 1517 img/s, 140 and 123 GFLOP/s: the probe itself moves by about 10 % between runs).
REFERENCE = {"alexnet_img_s": 1400.0, "gemm_gflops": 130.0}
FILE_NAME = "probe.json"


def _rate(step, work_per_step: float, seconds: float, windows: int = 3) -> float:
    """``work_per_step`` x steps per second of ``step()``, after one warm-up call: the best of ``windows`` windows of
    about ``seconds / windows`` each. A busy moment of the machine (a kernel starting, a cache flush) slows one
    window, not the best: one 2-s window read 0.73 and 0.92 x reference seconds apart on the same idle machine."""
    step()
    best = 0.0
    for _ in range(windows):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / windows or count < 3:
            step()
            count += 1
        best = max(best, work_per_step * count / (time.perf_counter() - start))
    return best


def alexnet_rate(threads: int = 2, batch: int = 64, seconds: float = 2.0) -> float:
    """Images per second of quick-AlexNet training steps ``[64, 3, 48, 48]`` at ``threads`` CPU threads."""
    torch.manual_seed(0)
    net = build_alexnet("quick", num_classes=100, dropout=0.0, seed=0)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    images, labels = torch.randn(batch, 3, 48, 48), torch.randint(0, 100, (batch,))

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(net(images), labels).backward()
        optimizer.step()

    return _rate(step, batch, seconds)


def gemm_rate(size: int = 1024, seconds: float = 1.0) -> float:
    """GFLOP/s of float32 ``[size, size] @ [size, size]`` products."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    return _rate(lambda: a @ b, 2 * size**3 / 1e9, seconds)


def measure(threads: int = 2) -> dict[str, object]:
    """The probe: AlexNet img/s and GEMM GFLOP/s at ``threads`` threads, the CPU and the ``speed`` vs the reference.

    ``speed`` is the geometric mean of the two ratios to :data:`REFERENCE`.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.no_grad():
            gemm = gemm_rate()
        alexnet = alexnet_rate(threads)
    finally:
        torch.set_num_threads(before)
    speed = ((alexnet / REFERENCE["alexnet_img_s"]) * (gemm / REFERENCE["gemm_gflops"])) ** 0.5
    return {"alexnet_img_s": round(alexnet, 1), "gemm_gflops": round(gemm, 1), "speed": round(speed, 3),
            "threads": threads, "cpu": cpu_name(), "cores": os.cpu_count(),
            "kernels": torch.backends.cpu.get_cpu_capability()}


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else what ``platform`` says."""
    info = Path("/proc/cpuinfo")
    if info.is_file():
        for line in info.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def describe(probe: dict[str, object]) -> str:
    """One line: ``machine speed 1.12 x reference (AlexNet 583 img/s, GEMM 106 GFLOP/s at 2 threads; CPU ...)``; a
    :func:`spanning` probe also gives its two readings."""
    span = (f"the mean of {probe['speed_start']:.2f} at the start of the build and {probe['speed_end']:.2f} at its "
            f"end; " if "speed_end" in probe else "")
    return (f"machine speed {probe['speed']:.2f} x reference ({span}quick AlexNet training "
            f"{probe['alexnet_img_s']:.0f} img/s, GEMM {probe['gemm_gflops']:.0f} GFLOP/s at {probe['threads']} "
            f"threads; {probe['cpu']}, {probe['cores']} cores, {probe['kernels']} kernels)")


def spanning(start: dict[str, object], end: dict[str, object]) -> dict[str, object]:
    """One probe for a whole build from readings at its start and its end: the geometric mean of each figure.

    A shared two-core VM's speed drifts while a half-hour build runs (readings of 0.78 and 1.15 x reference within
    an hour on the machine of the book's budgets), and one reading taken at the start can be far from the speed the
    build actually had. Both readings are kept (``speed_start``, ``speed_end``)."""
    mean = {key: (float(start[key]) * float(end[key])) ** 0.5 for key in ("alexnet_img_s", "gemm_gflops", "speed")}
    return {**end, **{key: round(value, 3 if key == "speed" else 1) for key, value in mean.items()},
            "speed_start": float(start["speed"]), "speed_end": float(end["speed"])}


def save(probe: dict[str, object], folder: str | os.PathLike) -> Path:
    path = Path(folder) / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(probe, indent=1))
    return path


def load(folder: str | os.PathLike) -> dict[str, object] | None:
    path = Path(folder) / FILE_NAME
    return json.loads(path.read_text()) if path.is_file() else None


if __name__ == "__main__":
    print(describe(measure()))
