"""What notebooks call to show results: paper-vs-ours tables, verdicts, and the claims register.

Only notebooks import this module. Every chapter shows its numbers the same way:

* :func:`paper_vs_ours` puts the paper's rows and ours (mean ± std over source-network seeds) in one table, with the
  paper's column order;
* :func:`verdict` turns a claimed ordering ("A beats B") into *reproduced*, *tie* or *not reproduced*, where a difference
  smaller than twice the seed spread is a tie, never a win;
* :func:`record_claim` / :func:`claims_table` gather every verdict of the book for the "Claims" page.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from oquab_lib.cache import config_hash, load_json, save_json
from oquab_lib.spread import format_mean_std, mean_std

REPRODUCED, TIE, NOT_REPRODUCED = "reproduced", "tie", "not reproduced"

def paper_vs_ours(
    paper: pd.DataFrame,
    ours: dict[str, pd.DataFrame],
    columns: list[str] | None = None,
    digits: int = 1,
) -> pd.DataFrame:
    """One table with the paper's rows (``paper: <row>``) and ours (``ours: <row>``, mean ± std over seeds).

    Args:
        paper: the paper's table, rows = methods, columns = classes + ``mAP`` (percent).
        ours: method name → per-seed rows (one row per source-network seed) with the same columns (percent).
        columns: column order; defaults to the paper's.
    Returns:
        A DataFrame of strings, ready to display; missing paper cells show as ``–``.
    """
    columns = list(columns or paper.columns)
    table = {}
    for method, row in paper.iterrows():
        table[f"paper: {method}"] = [format_mean_std(row.get(c, math.nan), math.nan, digits) for c in columns]
    for method, rows in ours.items():
        mean, std = mean_std(rows[columns])
        table[f"ours: {method}"] = [format_mean_std(mean[c], std[c], digits) for c in columns]
    return pd.DataFrame.from_dict(table, orient="index", columns=columns)


def verdict(better: float, worse: float, spread: float) -> str:
    """Verdict on the claim "``better`` > ``worse``" given a seed spread (std; NaN when unknown).

    A difference smaller than twice the spread is a tie. With an unknown spread (one seed) any nonzero difference counts,
    so chapters should always run at least two seeds (the quick profile runs three).
    """
    difference = better - worse
    threshold = 0.0 if spread is None or math.isnan(spread) else 2.0 * spread
    if abs(difference) <= threshold:
        return TIE
    return REPRODUCED if difference > 0 else NOT_REPRODUCED


def pooled_spread(*stds: float) -> float:
    """The spread of a difference of two independent means' seeds: sqrt(s1² + s2²) (NaN if any is NaN)."""
    return math.sqrt(sum(s * s for s in stds))


@dataclass(frozen=True)
class Claim:
    """One claim of a paper and what we measured for it."""

    paper: str  # "CVPR 2014" or "CVPR 2015"
    claim: str  # the claim in words
    paper_figure: str  # what the paper reports, e.g. "78.7 vs 70.9 mAP"
    ours: str  # what we measured, with spread
    verdict: str  # reproduced / tie / not reproduced (or a sentence for qualitative claims)
    chapter: str  # the notebook name that shows it, for links
    difference: float = math.nan  # better - worse, as the verdict measured it (mAP or AP points)
    threshold: float = math.nan  # the tie threshold it was compared with (twice the seed spread)


def margin(difference: float, threshold: float) -> float:
    """``|difference| / threshold``: how far a verdict is from the tie line (1 = on it; NaN when unknown).

    A verdict with a margin near 1 can flip with a few tenths of a point, e.g. on a CPU whose vector kernels round
    differently; far from 1 (a win at 3, a tie at 0.2) it is firm.
    """
    if math.isnan(difference) or math.isnan(threshold) or threshold <= 0:
        return math.nan
    return abs(difference) / threshold


def record_claim(runs_dir: str | Path, claim: Claim) -> None:
    """Store a chapter's verdict so the Claims page can gather them (one JSON file per chapter and claim)."""
    key = f"{claim.chapter}--{config_hash({'claim': claim.claim})}"
    save_json(Path(runs_dir) / "claims" / f"{key}.json", asdict(claim))


def claims_table(runs_dir: str | Path) -> pd.DataFrame:
    """Every recorded claim, sorted by paper and chapter."""
    folder = Path(runs_dir) / "claims"
    rows = [load_json(p) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    columns = [f for f in Claim.__dataclass_fields__]
    frame = pd.DataFrame(rows, columns=columns).astype({"difference": float, "threshold": float})
    frame["margin"] = [margin(d, t) for d, t in zip(frame["difference"], frame["threshold"])]
    return frame.sort_values(["paper", "chapter"], kind="stable").reset_index(drop=True)


def claims_display(frame: pd.DataFrame) -> "pd.io.formats.style.Styler":
    """The claims table for the book: the verdict and its margin next to the claim (visible without scrolling), then
    the numbers; the chapter column becomes a link to the executed chapter's page."""
    order = ["paper", "claim", "verdict", "margin", "difference", "threshold", "ours", "paper_figure", "chapter"]
    shown = frame[[c for c in order if c in frame.columns]].copy()
    shown["chapter"] = [f'<a href="{name}.html">{name}</a>' for name in shown["chapter"]]
    colours = {REPRODUCED: "#d9f2d9", TIE: "#fff3cd", NOT_REPRODUCED: "#f8d7da"}
    styler = shown.style.hide(axis="index")
    styler = styler.format("{:+.1f}", subset=["difference"], na_rep="–")
    styler = styler.format("{:.1f}", subset=["threshold", "margin"], na_rep="–")
    # the long text columns wrap (the book's tables do not, by default) so the table fits the page
    styler = styler.set_properties(subset=["claim", "ours", "paper_figure"], **{"white-space": "normal",
                                                                                "min-width": "14em"})
    return styler.map(lambda value: f"background-color: {colours[value]}" if value in colours else "",
                      subset=["verdict"])
