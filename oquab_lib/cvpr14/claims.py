"""What the CVPR'14 Table 2 claims compare, per source seed (the verdicts themselves are ``report``'s).

``table`` is :func:`oquab_lib.cvpr14.tables.table2`'s: rows ``(method, seed)``, columns the VOC classes and ``mAP``.
"""

from __future__ import annotations

import pandas as pd

from oquab_lib.data.classes import TARGETED_BY_1512, VOC_CLASSES


def group_mean(table: pd.DataFrame, method: str, classes: tuple[str, ...] = TARGETED_BY_1512) -> pd.Series | None:
    """Per seed: ``method``'s mean AP over ``classes`` (``None`` when the method was not computed)."""
    if method not in table.index.get_level_values("method"):
        return None
    return table.xs(method, level="method")[list(classes)].mean(axis=1)


def group_gains(table: pd.DataFrame, better: str = "PRE-1512", base: str = "PRE-1000C",
                classes: tuple[str, ...] = TARGETED_BY_1512) -> pd.DataFrame:
    """Per seed s: the mean AP gain of ``better`` s over ``base`` s on ``classes`` (``targeted``) and on the other VOC
    classes (``other``); rows are the seeds both methods have (none when either was not computed)."""
    methods = table.index.get_level_values("method")
    if better not in methods or base not in methods:
        return pd.DataFrame(columns=["targeted", "other"], dtype=float)
    gain = table.xs(better, level="method")[list(VOC_CLASSES)] - table.xs(base, level="method")[list(VOC_CLASSES)]
    gain = gain.dropna(how="all")
    other = [c for c in VOC_CLASSES if c not in classes]
    return pd.DataFrame({"targeted": gain[list(classes)].mean(axis=1), "other": gain[other].mean(axis=1)})


def scratch_lead(table: pd.DataFrame) -> pd.Series | None:
    """Per class: NO PRETRAIN's mean AP minus the mean of the pretrained rows' means, sorted from most negative
    (``mAP`` excluded). ``None`` without NO PRETRAIN or without a pretrained row."""
    means = table.groupby(level="method").mean()
    if "NO PRETRAIN" not in means.index or len(means) < 2:
        return None
    lead = means.loc["NO PRETRAIN"] - means.drop("NO PRETRAIN").mean()
    return lead.drop("mAP").dropna().sort_values()  # NaN: a class without a positive test image


def scratch_sentence(table: pd.DataFrame, paper: pd.DataFrame, count: int = 4) -> str:
    """Where NO PRETRAIN stands against the pretrained rows: its mAP gap (beside the paper's) and the classes on which
    each side leads most, from the numbers of this build."""
    lead = scratch_lead(table)
    if lead is None:
        return "NO PRETRAIN or every pretrained row is missing: no comparison."
    means = table.groupby(level="method")["mAP"].mean()
    gap = means["NO PRETRAIN"] - means.drop("NO PRETRAIN").mean()
    paper_gap = paper.loc["NO PRETRAIN", "mAP"] - paper.loc[paper.index.str.startswith("PRE-"), "mAP"].mean()
    best = lead[::-1][:count]
    # "leads" only on classes where NO PRETRAIN is ahead; when it is behind on every class, where it comes closest
    leading = best[best > 0] if (best > 0).any() else best
    words = "leads on" if (best > 0).any() else "comes closest on (it is behind on every class)"
    ahead = ", ".join(f"{c} ({v:+.1f})" for c, v in leading.items())
    behind = ", ".join(f"{c} ({v:+.1f})" for c, v in lead[:count].items())
    return (f"NO PRETRAIN's mAP is {gap:+.1f} points from the mean of the pretrained rows (paper: {paper_gap:+.1f}). "
            f"Per class, NO PRETRAIN {words}: {ahead}; the pretrained rows lead most on: {behind}.")
