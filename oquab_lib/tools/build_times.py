"""How long each chapter of a book build took, and whether the build met its time budgets.

``python -m oquab_lib.tools.runner --toc`` (what ``make book`` runs) appends one row per executed chapter to
``<out>/build_times.csv`` (written atomically after every chapter): the chapter, its wall time (kernel start-up
included) and how many result-cache entries it computed. It also tells the kernels where that file is
(``OQUAB_BUILD_TIMES``), so the Performance chapter, executed last, can show the times of the build it belongs to.

A chapter that computed no cache entry ran *warm* (everything read back from ``runs/``); one that computed any ran
*cold* (or partly cold). The budgets are the issues' own, for the quick profile on 2 CPU cores: each paper's chapters
at most 5 minutes cold and 20 s warm, the source networks 6 minutes.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from oquab_lib.cache import save_csv

ENV_VAR = "OQUAB_BUILD_TIMES"
FILE_NAME = "build_times.csv"
COLUMNS = ["chapter", "seconds", "entries_computed", "executed", "last_run"]
# part -> (budget when cold, budget when warm), seconds; the parts are groups of chapters (see part_of)
BUDGETS = {"source networks": (360.0, float("nan")), "CVPR 2014": (300.0, 20.0), "CVPR 2015": (300.0, 20.0)}


def count_entries(runs_dir: str | os.PathLike) -> int:
    """Finished result-cache entries under ``runs_dir`` (folders; in-progress ``.<name>.partial`` ones excluded)."""
    folder = Path(runs_dir)
    if not folder.is_dir():
        return 0
    return sum(1 for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def record(path: str | os.PathLike, chapter: str, seconds: float, entries_computed: int, last_run: str = "") -> None:
    """Append (or replace) ``chapter``'s row of the build-times file at ``path``. ``last_run`` (when, how long) is
    given for a chapter that was up to date and not executed (:mod:`oquab_lib.tools.uptodate`); ``executed`` False."""
    path = Path(path)
    rows = pd.read_csv(path, keep_default_na=False) if path.is_file() else pd.DataFrame(columns=COLUMNS)
    rows = rows[rows["chapter"] != chapter]
    row = pd.DataFrame([[chapter, round(float(seconds), 1), int(entries_computed), not last_run, last_run]],
                       columns=COLUMNS)
    save_csv(path, pd.concat([rows, row], ignore_index=True).set_index("chapter"))


def part_of(chapter: str) -> str:
    """The book part a chapter belongs to: ``CVPR 2014`` / ``CVPR 2015`` by name prefix, else the chapter itself."""
    for prefix, part in (("cvpr14", "CVPR 2014"), ("cvpr15", "CVPR 2015")):
        if chapter.startswith(prefix):
            return part
    return chapter.replace("_", " ")


def load(path: str | os.PathLike | None = None) -> pd.DataFrame | None:
    """The build-times table of this build (``path``, default ``$OQUAB_BUILD_TIMES``); None outside a book build."""
    path = path or os.environ.get(ENV_VAR)
    if not path or not Path(path).is_file():
        return None
    return pd.read_csv(path, keep_default_na=False)  # last_run: "" where the chapter was executed


def build_probe() -> dict[str, object]:
    """The machine-speed probe of this build: the reading the runner saved at its start beside the build times,
    combined with one taken now, at its end (:func:`oquab_lib.tools.probe.spanning`); only the one taken now when the
    chapter runs on its own."""
    from oquab_lib.tools import probe

    path = os.environ.get(ENV_VAR)
    saved = probe.load(Path(path).parent) if path else None
    now = probe.measure()
    return probe.spanning(saved, now) if saved else now


def with_reference_seconds(times: pd.DataFrame, speed: float) -> pd.DataFrame:
    """``times`` with ``reference_s``: each chapter's seconds on the probe's reference machine (seconds x ``speed``,
    the machine-speed probe of the same build, :mod:`oquab_lib.tools.probe`), so builds on machines of different
    speeds compare."""
    return times.assign(reference_s=(times["seconds"] * speed).round(1))


def budget_table(times: pd.DataFrame) -> pd.DataFrame:
    """Per part: its chapters, total seconds, cold or warm, the budget and whether it was met.

    Columns: ``chapters, seconds, run, budget_s, met``; ``run`` is ``up to date`` when no chapter of the part was
    executed, ``warm`` when none computed a cache entry, else ``cold``. Parts without a budget get NaN / empty budget
    cells.
    """
    rows = {}
    executed = times["executed"] if "executed" in times else pd.Series(True, index=times.index)
    for part, group in times.groupby(times["chapter"].map(part_of), sort=False):
        warm = int(group["entries_computed"].sum()) == 0
        cold_budget, warm_budget = BUDGETS.get(part, (float("nan"), float("nan")))
        budget = warm_budget if warm else cold_budget
        seconds = float(group["seconds"].sum())
        run = "up to date" if not executed[group.index].any() else ("warm" if warm else "cold")
        rows[part] = {"chapters": len(group), "seconds": round(seconds, 1), "run": run,
                      "budget_s": budget, "met": "" if math.isnan(budget) else ("yes" if seconds <= budget else "no")}
    return pd.DataFrame.from_dict(rows, orient="index")
