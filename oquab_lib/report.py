"""What notebooks call to show results: paper-vs-ours tables, every verdict, and the claims register.

Only notebooks import this module. Every chapter shows its numbers the same way:

* :func:`paper_vs_ours` puts the paper's rows and ours (mean ± std over source-network seeds) in one table;
* :func:`ordering` decides a claim "A beats B" from the 95 % confidence interval of the mean difference over seeds
  (paired t when seed s of A and seed s of B share something real, Welch otherwise): *reproduced* when the interval
  lies above 0, *not reproduced* when it lies below 0, *undecided* otherwise;
* :func:`equivalence` decides a claim "A ≈ B" by two one-sided tests (TOST) at α = 5 % against a margin fixed before
  the results are seen: *reproduced* when the 90 % interval lies inside ±margin, *not reproduced* when it lies wholly
  outside, *undecided* otherwise;
* with fewer than two seeds nothing is decided (*undecided (one seed)*);
* each verdict is recorded with the profile and the hash of the config that produced it; :func:`claims_page` gathers
  the records of one build for the Claims page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from oquab_lib.cache import config_hash, load_json, save_json_if_writable
from oquab_lib.config import Run
from oquab_lib.data.fingerprint import world_fingerprint
from oquab_lib.spread import format_mean_std, mean_std
from oquab_lib.verdict_history import COLOURS

REPRODUCED, NOT_REPRODUCED, UNDECIDED = "reproduced", "not reproduced", "undecided"
ONE_SEED = "undecided (one seed)"
NOT_TESTED = "not tested"
HEAD_SEEDS_ONLY = "head seeds only, spread understated"
ORDERING_LEVEL = 0.95  # two-sided confidence level of an ordering claim's interval
EQUIVALENCE_ALPHA = 0.05  # each one-sided test of TOST; the interval that decides is the 1 - 2α = 90 % one


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


def headline_vs_ours(paper: pd.DataFrame, ours: pd.DataFrame, digits: int = 1) -> pd.DataFrame:
    """The paper's headline quantities (``value``, ``source``) beside ours (``mean``, ``std`` columns) as
    ``"mean ± std"``, for the quantities both have."""
    both = paper.join(ours, how="inner")
    both["ours"] = [format_mean_std(m, s, digits) for m, s in zip(both["mean"], both["std"])]
    return both[["value", "source", "ours"]]


# ---------------------------------------------------------------------------------------------- statistics
def t_quantile(probability: float, df: float) -> float:
    """The ``probability`` (in (0.5, 1)) quantile of Student's t with ``df`` > 0 degrees of freedom (whole or not:
    Welch's are not): ``scipy.special.stdtrit``, the function ``scipy.stats.t.ppf`` evaluates (the same bits), without
    importing ``scipy.stats`` (over a second in every chapter that decides a claim)."""
    from scipy.special import stdtrit  # lazy: only chapters that decide a claim need it

    return float(stdtrit(df, probability))


@dataclass(frozen=True)
class Interval:
    """The mean difference ``a - b`` over seeds and a two-sided interval around it at ``level``."""

    difference: float
    low: float
    high: float
    level: float
    n_seeds: int  # pairs (paired), or the smaller of the two groups (Welch)
    test: str  # "paired t" or "Welch t"


def difference_interval(a: Sequence[float], b: Sequence[float], paired: bool, level: float) -> Interval:
    """The ``level`` interval of mean(a) - mean(b): paired t over the seeds both have (n - 1 df), or Welch's t.

    ``a`` and ``b`` are per-seed values; for ``paired`` they are aligned on their index (pandas) or by position. With
    fewer than two seeds the interval is NaN; with zero spread it is the single point ``[d, d]`` (no NaN, no division).
    """
    a, b = pd.Series(a, dtype=float).dropna(), pd.Series(b, dtype=float).dropna()
    if paired:
        diffs = (a - b).dropna()  # aligned on the index: seed s of a minus seed s of b
        n, difference = len(diffs), float(diffs.mean()) if len(diffs) else math.nan
        var, df = (float(diffs.var(ddof=1)) / n if n > 1 else math.nan), n - 1
    else:
        n, difference = min(len(a), len(b)), float(a.mean() - b.mean()) if len(a) and len(b) else math.nan
        va = float(a.var(ddof=1)) / len(a) if len(a) > 1 else math.nan
        vb = float(b.var(ddof=1)) / len(b) if len(b) > 1 else math.nan
        var = va + vb
        # Welch-Satterthwaite degrees of freedom (undefined, and unneeded, when both spreads are zero)
        df = var * var / (va * va / (len(a) - 1) + vb * vb / (len(b) - 1)) if n > 1 and var > 0 else math.nan
    test = "paired t" if paired else "Welch t"
    if n < 2:
        return Interval(difference, math.nan, math.nan, level, n, test)
    half = 0.0 if var == 0 else t_quantile(0.5 + level / 2, df) * math.sqrt(var)
    return Interval(difference, difference - half, difference + half, level, n, test)


def ordering_verdict(interval: Interval) -> str:
    """"A beats B" from the interval of A - B: above 0 reproduced, below 0 not reproduced, else undecided."""
    if interval.n_seeds < 2:
        return ONE_SEED
    if interval.low > 0:
        return REPRODUCED
    return NOT_REPRODUCED if interval.high < 0 else UNDECIDED


def equivalence_verdict(interval: Interval, margin: float) -> str:
    """"A ≈ B" from the (1 - 2α) interval of A - B: inside ±margin reproduced, wholly outside not reproduced."""
    if interval.n_seeds < 2:
        return ONE_SEED
    if -margin < interval.low and interval.high < margin:
        return REPRODUCED
    return NOT_REPRODUCED if interval.low >= margin or interval.high <= -margin else UNDECIDED


# ---------------------------------------------------------------------------------------------- claim records
@dataclass(frozen=True)
class Claim:
    """One claim of a paper, what we measured for it and its verdict, as recorded by a chapter."""

    claim: str  # the claim in words
    paper: str  # "CVPR 2014" or "CVPR 2015"
    chapter: str  # the notebook that measured it, for links
    profile: str
    config_hash: str  # hash of the resolved config (sections, seed, data) that produced it
    n_seeds: int
    kind: str  # "ordering" or "equivalence"
    difference: float  # mean over seeds of A - B (mAP or AP points)
    ci_low: float
    ci_high: float
    level: float  # the interval's confidence level (0.95 ordering, 0.90 equivalence)
    test: str  # "paired t" or "Welch t"
    margin: float  # equivalence only (NaN for ordering)
    verdict: str
    paper_figure: str  # what the paper reports, e.g. "78.7 vs 70.9 mAP"
    ours: str  # what we measured: means ± std over seeds
    note: str = ""  # e.g. "head seeds only, spread understated"


def run_config_hash(run: Run) -> str:
    """The hash of everything that decides a chapter's numbers: profile, sections, seed and the data's fingerprint."""
    return config_hash({"profile": run.profile, "seed": run.seed, "sections": run.sections,
                        "data": world_fingerprint(run.data_root)})


def head_seeds_only(run: Run) -> bool:
    """Whether seeds vary only the new layers: the full profile's source networks are one fixed network each
    (torchvision's ImageNet AlexNet, or one user-given entry), whatever the seed."""
    return not run.is_synthetic


def values(by_method: dict[str, pd.DataFrame], method: str, column: str = "mAP") -> pd.Series | None:
    """``by_method[method][column]``: a method's per-seed values, or ``None`` when the method was not computed."""
    return by_method[method][column] if method in by_method else None


def _measured(a: pd.Series, b: pd.Series, labels: tuple[str, str], unit: str) -> str:
    return (f"{labels[0]} {format_mean_std(a.mean(), a.std())} vs {labels[1]} "
            f"{format_mean_std(b.mean(), b.std())} {unit}")


def _decide(run: Run, chapter: str, claim: str, a, b, *, kind: str, paired: bool, margin: float, paper: str,
            paper_figure: str, labels: tuple[str, str], unit: str) -> Claim:
    """Compute, record and print one verdict (the shared body of :func:`ordering` and :func:`equivalence`)."""
    note = HEAD_SEEDS_ONLY if head_seeds_only(run) else ""
    if a is None or b is None or len(a) == 0 or len(b) == 0:
        interval, verdict, ours = Interval(math.nan, math.nan, math.nan, math.nan, 0, ""), NOT_TESTED, "–"
        note = "a row was not computed"
    else:
        a, b = pd.Series(a, dtype=float), pd.Series(b, dtype=float)
        level = ORDERING_LEVEL if kind == "ordering" else 1 - 2 * EQUIVALENCE_ALPHA
        interval = difference_interval(a, b, paired, level)
        verdict = ordering_verdict(interval) if kind == "ordering" else equivalence_verdict(interval, margin)
        ours = _measured(a, b, labels, unit)
    record = Claim(claim, paper, chapter, run.profile, run_config_hash(run), interval.n_seeds, kind,
                   interval.difference, interval.low, interval.high, interval.level, interval.test, margin, verdict,
                   paper_figure, ours, note)
    save_json_if_writable(Path(run.runs_dir) / "claims" / f"{_record_key(record)}.json", asdict(record))
    print(sentence(record))
    return record


def ordering(run: Run, chapter: str, claim: str, better, worse, *, paired: bool, paper: str, paper_figure: str,
             labels: tuple[str, str] = ("", ""), unit: str = "mAP") -> Claim:
    """Decide, record and print the claim "``better`` beats ``worse``" from per-seed values (``None``: not tested).

    ``paired``: seed s of both shares something real (the same trained model under two test procedures, the same
    network on two class subsets, the same source network); the values are then aligned on their index (the seed).
    """
    return _decide(run, chapter, claim, better, worse, kind="ordering", paired=paired, margin=math.nan, paper=paper,
                   paper_figure=paper_figure, labels=labels, unit=unit)


def equivalence(run: Run, chapter: str, claim: str, a, b, *, margin: float, paired: bool, paper: str,
                paper_figure: str, labels: tuple[str, str] = ("", ""), unit: str = "mAP") -> Claim:
    """Decide, record and print the claim "``a`` ≈ ``b``" within ±``margin`` (TOST, 90 % interval of a - b)."""
    return _decide(run, chapter, claim, a, b, kind="equivalence", paired=paired, margin=margin, paper=paper,
                   paper_figure=paper_figure, labels=labels, unit=unit)


def orderings(run: Run, chapter: str, comparisons: Sequence[tuple], *, paired: bool, paper: str,
              paper_figure: str = "", labels: tuple[str, str] = ("", ""), unit: str = "mAP") -> list[Claim]:
    """:func:`ordering` for each ``(claim, better, worse)`` or ``(claim, better, worse, paper_figure)`` of a list (e.g.
    one per ablation setting or dataset, as the library builds them); ``paper_figure`` is the default figure."""
    return [ordering(run, chapter, claim, better, worse, paired=paired, paper=paper,
                     paper_figure=figure[0] if figure else paper_figure, labels=labels, unit=unit)
            for claim, better, worse, *figure in comparisons]


def sentence(record: Claim) -> str:
    """The verdict in one printed sentence, with the numbers behind it."""
    if record.verdict == NOT_TESTED:
        return f"{record.claim}: {NOT_TESTED} ({record.note})."
    interval = ("no interval from one seed" if record.n_seeds < 2 else
                f"{record.level:.0%} interval [{record.ci_low:+.1f}, {record.ci_high:+.1f}]")
    rule = f", margin ±{record.margin:g}" if record.kind == "equivalence" else ""
    note = f"; {record.note}" if record.note else ""
    return (f"{record.claim}: {record.verdict}. Paper: {record.paper_figure}. Ours: {record.ours}; difference "
            f"{record.difference:+.1f}, {interval}{rule} ({record.test}, {record.n_seeds} seeds{note}).")


MAX_SEEDS = 50  # beyond this a seed count is reported as "more than 50"


def seeds_to_decide(record: Claim) -> int | None:
    """About how many seeds would decide an undecided claim if its mean difference and seed spread held.

    The spread is read back from the interval: half-width = t(n - 1) x sd / sqrt(n) (Welch's df taken as n - 1, an
    approximation). An ordering is decided once the half-width falls below ``|difference|``; an equivalence once
    ``|difference|`` + half-width falls inside the margin. None when no seed count would do it (a zero difference, or
    one already at the margin) or when the record has no interval."""
    n, half = record.n_seeds, (record.ci_high - record.ci_low) / 2
    if n < 2 or not math.isfinite(half):
        return None
    upper = 0.5 + record.level / 2
    sd = half * math.sqrt(n) / t_quantile(upper, n - 1)
    room = abs(record.difference) if record.kind == "ordering" else record.margin - abs(record.difference)
    if room <= 0:
        return None
    needed = next((m for m in range(2, MAX_SEEDS + 1) if t_quantile(upper, m - 1) * sd / math.sqrt(m) < room), None)
    return needed if needed is not None else MAX_SEEDS + 1


def undecided_reason(record: Claim) -> str:
    """Why a claim is undecided, in numbers a reader can check against the Claims page."""
    half = (record.ci_high - record.ci_low) / 2
    interval = f"{100 * record.level:.0f} % interval [{record.ci_low:+.1f}, {record.ci_high:+.1f}]"
    if record.kind == "ordering":
        what = f"the difference {record.difference:+.1f} is smaller than the half-width {half:.1f} of its {interval}"
    else:
        what = f"its {interval} is not inside the margin of +/-{record.margin:g}"
    needed = seeds_to_decide(record)
    if needed is None:
        more = "no number of seeds would decide it at this mean difference"
    elif needed > MAX_SEEDS:
        more = f"more than {MAX_SEEDS} seeds would be needed at this spread"
    else:
        more = f"about {needed} seeds would decide it if the mean and the spread held"
    return f"- {record.claim}: {what} over {record.n_seeds} seeds; {more}."


def in_words(records: Sequence[Claim], caveat: str = "") -> None:
    """Print how many of a chapter's claims got each verdict and which; then ``caveat`` if any is not reproduced or
    undecided (a sentence that only applies then)."""
    verdicts = pd.Series([r.verdict for r in records], dtype=object)
    counts = ", ".join(f"{count} {verdict}" for verdict, count in verdicts.value_counts().items())
    print(f"Of {len(records)} claim{'' if len(records) == 1 else 's'} tested here: {counts or 'none'}.")
    for verdict in (REPRODUCED, UNDECIDED, ONE_SEED, NOT_REPRODUCED, NOT_TESTED):
        names = [r.claim for r in records if r.verdict == verdict]
        if names:
            print(f"{verdict.capitalize()}: " + "; ".join(names) + ".")
    undecided = [r for r in records if r.verdict == UNDECIDED]
    if undecided:
        print("Why undecided (the seeds' spread against the effect):")
        print("\n".join(undecided_reason(r) for r in undecided))
    if caveat and any(r.verdict != REPRODUCED for r in records):
        print(caveat)


def _record_key(record: Claim) -> str:
    return f"{record.chapter}--{config_hash({'claim': record.claim})}--{record.config_hash}"


# ---------------------------------------------------------------------------------------------- the Claims page
def claims_table(runs_dir: str | Path) -> pd.DataFrame:
    """Every recorded claim, of every profile and config, sorted by paper and chapter."""
    folder = Path(runs_dir) / "claims"
    rows = [load_json(p) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    columns = [f.name for f in fields(Claim)]
    frame = pd.DataFrame([r for r in rows if "config_hash" in r], columns=columns)  # older records lack a config
    frame = frame.astype({c: float for c in ("difference", "ci_low", "ci_high", "level", "margin")})
    return frame.sort_values(["paper", "chapter"], kind="stable").reset_index(drop=True)


def claims_page(run: Run) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(current, other)``: the records of this run's profile and config, and those of any other (shown apart)."""
    table = claims_table(run.runs_dir)
    current = (table["profile"] == run.profile) & (table["config_hash"] == run_config_hash(run))
    return table[current].reset_index(drop=True), table[~current].reset_index(drop=True)


def verdict_counts(records: pd.DataFrame) -> str:
    """``"5 reproduced, 3 undecided, …"`` for a claims table (or a sentence saying there is none)."""
    counts = records["verdict"].value_counts()
    return ", ".join(f"{count} {verdict}" for verdict, count in counts.items()) or "No chapter has recorded a claim."


def claims_display(frame: pd.DataFrame) -> "pd.io.formats.style.Styler":
    """The claims table for the book: the verdict next to the claim, then difference, interval, seeds and what was
    measured; the chapter column links to the executed chapter's page."""
    shown = frame.copy()
    shown["interval"] = [_interval_text(row) for row in shown.itertuples()]
    order = ["paper", "claim", "verdict", "difference", "interval", "n_seeds", "ours", "paper_figure", "note",
             "profile", "chapter"]
    shown = shown[order]
    shown["chapter"] = [f'<a href="{name}.html">{name}</a>' for name in shown["chapter"]]
    styler = shown.style.hide(axis="index").format("{:+.1f}", subset=["difference"], na_rep="–")
    # the long text columns wrap (the book's tables do not, by default) so the table fits the page
    styler = styler.set_properties(subset=["claim", "ours", "paper_figure", "interval"],
                                   **{"white-space": "normal", "min-width": "12em"})
    return styler.map(lambda value: f"background-color: {COLOURS[value]}" if value in COLOURS else "",
                      subset=["verdict"])


def _interval_text(row) -> str:
    if np.isnan(row.ci_low):
        return "–"
    text = f"{row.level:.0%} [{row.ci_low:+.1f}, {row.ci_high:+.1f}] {row.test}"
    return f"{text}, margin ±{row.margin:g}" if row.kind == "equivalence" else text
