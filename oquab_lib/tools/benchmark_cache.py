"""The Performance page's benchmarks, measured once per machine and read back from the results cache.

The benchmarks (:func:`oquab_lib.tools.benchmark.measure_variants`, :func:`oquab_lib.tools.benchmark_patches.
measure_overheads`) take about a minute at profile ``quick`` and their figures are ratios measured within one run, so
a warm book reads them from ``runs/benchmark-<kind>-<hash>/`` instead of measuring again. The key is what the figures
depend on: the machine (:func:`machine`: CPU model or GPU name, vector kernels, torch threads, torch version), the
benchmark's sizes (variants, images, repeats), the seed, and :data:`VERSION` (bumped when the measuring code changes).
Each entry records when it was measured; deleting the entry folder makes the next run measure again.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import torch

from oquab_lib import cache
from oquab_lib.config import PROFILES, Run

VERSION = 1  # bump when what benchmark.py or benchmark_patches.py measure changes
Tables = dict[str, pd.DataFrame]


def machine(device: str) -> dict[str, object]:
    """What a timing depends on besides the code: the device's name, torch's CPU kernels and threads, torch version."""
    from oquab_lib.tools.probe import cpu_name

    name = torch.cuda.get_device_name(device) if device.startswith("cuda") else cpu_name()
    return {"device": device, "name": name, "kernels": torch.backends.cpu.get_cpu_capability(),
            "threads": torch.get_num_threads(), "torch": torch.__version__}


def _save_tables(work: Path, tables: Tables) -> None:
    """One CSV per variant plus its ``attrs`` (JSON), and when and on what they were measured."""
    for variant, table in tables.items():
        cache.save_csv(work / f"{variant}.csv", table)
    cache.save_json(work / "attrs.json", {variant: table.attrs for variant, table in tables.items()})
    cache.save_json(work / "measured.json", {"at": datetime.datetime.now().isoformat(timespec="seconds")})


def _load_tables(entry: Path) -> Tables:
    """The tables :func:`_save_tables` wrote, in the order measured, ``attrs`` restored, ``attrs['measured']`` added."""
    attrs, measured = cache.load_json(entry / "attrs.json"), cache.load_json(entry / "measured.json")
    tables = {}
    for variant, table_attrs in attrs.items():
        table = cache.load_csv(entry / f"{variant}.csv")
        table.attrs.update(table_attrs, measured=measured["at"], entry=str(entry))
        tables[variant] = table
    return tables


def cached(run: Run, kind: str, sizes: dict[str, object], measure: Callable[[], Tables]) -> Tables:
    """``measure()``'s tables from ``runs/benchmark-<kind>-<hash>/``, measured on a miss only.

    ``sizes``: every argument of the measurement (variants, images, repeats...). The profiles' ``cvpr14`` sections
    of the measured variants are part of the key too (their tiling decides the patch counts)."""
    variants = [v for v in sizes.get("variants", {}) if v in PROFILES]
    config = {"version": VERSION, "machine": machine(run.device), "sizes": sizes, "seed": run.seed,
              "cvpr14": {v: PROFILES[v]["cvpr14"] for v in variants}}
    entry = cache.load_or_compute(run.runs_dir, f"benchmark-{kind}", config,
                                  lambda work: _save_tables(work, measure()))
    return _load_tables(entry)


def variants(run: Run, variants: dict[str, tuple[int, int]]) -> Tables:
    """:func:`oquab_lib.tools.benchmark.measure_variants` of ``variant -> (images, repeats)``, cached per machine."""
    from oquab_lib.tools.benchmark import measure_variants

    return cached(run, "pipelines", {"variants": variants},
                  lambda: measure_variants(variants, device=run.device, seed=run.seed))


def overheads(run: Run, images: dict[str, int]) -> Tables:
    """:func:`oquab_lib.tools.benchmark_patches.measure_overheads` of ``variant -> images``, cached per machine."""
    from oquab_lib.tools.benchmark_patches import measure_overheads

    return cached(run, "patch-overheads", {"variants": images},
                  lambda: measure_overheads(images, run.device, seed=run.seed))


def provenance(tables: Tables) -> str:
    """One line: when and on what machine the figures were measured, and how to measure them again."""
    if not tables:
        return "No benchmark was run."
    first = next(iter(tables.values())).attrs
    config = cache.load_json(Path(first["entry"]) / "config.json")["machine"]
    return (f"Measured {first['measured']} on {config['name']} ({config['device']}, {config['kernels']} kernels, "
            f"{config['threads']} threads, torch {config['torch']}); read from the results cache "
            f"{Path(first['entry']).name}: delete that folder to measure again.")
