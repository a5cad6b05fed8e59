"""Verdicts of earlier builds of the book beside this build's: how firm each verdict is.

``book/claims_history.csv`` keeps, for some earlier builds at profile ``quick`` (the commit and what it changed),
every claim's verdict and interval as their Claims page showed them. Some of those builds changed no recipe, only how
the same function is computed (a thread count, the memory layout of a batch): float sums then run in another order,
every trained network ends a little elsewhere, and a verdict whose interval ends near 0 can cross it. A verdict that
moved between such builds is fragile, whatever its interval in this build says. Add a row group for a build when the
next change moves the numbers (``columns``: :data:`COLUMNS`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from oquab_lib.errors import DataError

HISTORY = Path(__file__).resolve().parents[1] / "book" / "claims_history.csv"
COLUMNS = ("build", "change", "chapter", "claim", "verdict", "ci_low", "ci_high", "n_seeds")
PROFILE = "quick"  # the profile the recorded builds ran at
THIS_BUILD = "this build"
# background colour of each verdict, in every table of the book that shows verdicts (report.claims_display too)
COLOURS = {"reproduced": "#d9f2d9", "undecided": "#fff3cd", "undecided (one seed)": "#fff3cd",
           "not reproduced": "#f8d7da"}


def load(path: str | Path = HISTORY) -> pd.DataFrame:
    """The recorded builds' verdicts, one row per (build, claim), in the file's build order."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no verdict history; restore it from git (git checkout -- {path.name})")
    frame = pd.read_csv(path)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: columns {', '.join(missing)} missing; expected {', '.join(COLUMNS)}")
    return frame


def _cell(verdict: str, low: float, high: float, seeds: int) -> str:
    """``"undecided [-1.2, +7.1] 5s"``: the verdict, its interval and the number of seeds behind it."""
    return f"{verdict} [{low:+.1f}, {high:+.1f}] {int(seeds)}s"


def history_table(current: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Claims (rows, this build's order) x builds (columns: ``chapter``, :data:`THIS_BUILD`, ``moved``, then each
    recorded ``"<commit>: <change>"``, newest first); a cell is the verdict, interval and seed count; ``moved`` says
    whether the verdict differs between any two builds. ``current``: this build's claim records
    (:func:`oquab_lib.report.claims_page`)."""
    labels = history["build"] + ": " + history["change"]
    records = pd.concat([history.assign(build=labels), current.assign(build=THIS_BUILD)], ignore_index=True)
    records["cell"] = [_cell(r.verdict, r.ci_low, r.ci_high, r.n_seeds) for r in records.itertuples()]
    claims = list(current["claim"])
    cells = records.pivot(index="claim", columns="build", values="cell").reindex(claims)
    moved = records.pivot(index="claim", columns="build", values="verdict").reindex(claims).nunique(axis=1) > 1
    # what a reader looks for first: this build's verdict and whether it moved; then the builds before, newest first
    table = cells[[THIS_BUILD, *reversed(labels.unique())]]
    table.insert(0, "chapter", list(current["chapter"]))
    table.insert(2, "moved", moved.map({True: "yes", False: ""}))
    return table.rename_axis("claim").rename_axis(None, axis=1)


def moved_sentence(table: pd.DataFrame) -> str:
    """``"7 of 19 verdicts moved between these builds."``"""
    return f"{(table['moved'] == 'yes').sum()} of {len(table)} verdicts moved between these {table.shape[1] - 2} builds."


def history_display(table: pd.DataFrame) -> pd.io.formats.style.Styler:
    """The table for the book: each cell coloured by its verdict, like the claims table above it."""
    builds = [c for c in table.columns if c not in ("chapter", "moved")]

    def colour(value: object) -> str:
        verdict = next((v for v in sorted(COLOURS, key=len, reverse=True) if str(value).startswith(v)), None)
        return f"background-color: {COLOURS[verdict]}" if verdict else ""

    styler = table.style.map(colour, subset=builds).set_properties(subset=builds, **{"white-space": "normal",
                                                                                     "min-width": "9em"})
    # the claims (row labels) wrap too, so that the table fits the page
    return styler.set_table_styles([{"selector": "th.row_heading",
                                     "props": "white-space: normal; min-width: 16em; text-align: left"}])


def for_run(profile: str, current: pd.DataFrame,
            path: str | Path = HISTORY) -> tuple[str, pd.io.formats.style.Styler | None]:
    """``(sentence, display)`` for a build at ``profile``: how many verdicts moved and the table, or a one-line reason
    and None where the history does not apply (another profile, no claim recorded yet)."""
    if profile != PROFILE:
        return f"The recorded history is of profile {PROFILE} builds; this build ran at profile {profile}.", None
    if current.empty:
        return "No claim recorded by this build yet: no history to set it beside.", None
    table = history_table(current, load(path))
    return moved_sentence(table), history_display(table)
