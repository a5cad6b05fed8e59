"""Evaluation metrics: Pascal VOC average precision (VOC2007 11-point and VOC2010+ area under the curve),
per-class AP tables in the papers' layout, mean/std over seeds, and top-k accuracy.

Ranking convention (both protocols): images are ranked by descending score with a *stable* sort, so images
with equal scores keep their input order. This is what MATLAB's ``sort(-out)`` does in the devkit
(``VOCevalcls.m``), hence what the official evaluation server computes for tied scores.

AP values returned by :func:`voc_ap` and :func:`ranked_ap` are fractions in [0, 1]; the tables built here are in
percent to match the papers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from oquab_lib.errors import ConfigError, DataError

PROTOCOLS: tuple[str, ...] = ("voc07", "voc12")
VALID_LABELS: tuple[int, ...] = (1, -1, 0)


def _to_numpy(values, name: str, ndim: int) -> np.ndarray:
    """Tensor (any device) / ndarray / list -> float64 ndarray with ``ndim`` dimensions."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != ndim:
        raise DataError(f"{name}: expected {ndim} dimension(s), got shape {tuple(array.shape)}; reshape the input")
    if np.isnan(array).any():
        raise DataError(f"{name}: contains NaN at index {np.argwhere(np.isnan(array))[0].tolist()}; fix the model output")
    return array


def _check_protocol(protocol: str) -> None:
    if protocol not in PROTOCOLS:
        raise ConfigError(f"protocol={protocol!r} is unknown; accepted values: {', '.join(PROTOCOLS)}")


def _check_labels(labels: np.ndarray, name: str) -> None:
    bad = ~np.isin(labels, VALID_LABELS)
    if bad.any():
        index = np.argwhere(bad)[0].tolist()
        raise DataError(f"{name}: label {labels[tuple(index)]!r} at index {index} is not in {{1, -1, 0}}; "
                        "use 1 = present, -1 = absent, 0 = difficult only")


def _ap_voc07(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC2007 devkit: mean over t in {0, 0.1, ..., 1} of max precision at recall >= t (0 when none).

    Thresholds are the exact decimals k/10 (nearest doubles), not a float accumulation like ``np.arange(0, 1.1, 0.1)``
    whose 0.3 is 0.30000000000000004: with k/10 a recall of exactly 3/10 does reach t = 0.3, as the protocol intends.
    """
    ap = 0.0
    for k in range(11):
        reached = precision[recall >= k / 10]
        ap += (reached.max() if reached.size else 0.0) / 11
    return ap


def _ap_voc12(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC2010+ devkit ``VOCap``: area under the monotone (from the right) precision envelope."""
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([0.0], precision, [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]  # p(r) = max_{r' >= r} p(r')
    changed = np.flatnonzero(mrec[1:] != mrec[:-1]) + 1
    return float(np.sum((mrec[changed] - mrec[changed - 1]) * mpre[changed]))


def ranked_ap(scores, is_hit, n_positives: int, protocol: str = "voc12") -> float:
    """AP of a list of predictions ranked by descending score (stable: ties keep input order).

    scores: [M] prediction scores; is_hit: [M] bool, True for a true positive, False for a false positive;
    n_positives: number of ground-truth positives (>= hits; positives never hit keep recall below 1).
    Shared by :func:`voc_ap` (classification) and ``localize.location_ap`` (point-based localisation).
    Returns a python float in [0, 1]; 0.0 for an empty list.
    """
    _check_protocol(protocol)
    scores = _to_numpy(scores, "scores", 1)
    hits = _to_numpy(is_hit, "is_hit", 1).astype(bool)
    if scores.shape != hits.shape:
        raise DataError(f"scores {scores.shape} and is_hit {hits.shape} differ in length; pass one flag per score")
    if n_positives < hits.sum() or n_positives <= 0:
        raise DataError(f"n_positives={n_positives} must be positive and >= the number of hits ({int(hits.sum())})")
    order = np.argsort(-scores, kind="stable")  # stable = MATLAB sort: equal scores keep input order
    true_pos = np.cumsum(hits[order])
    false_pos = np.cumsum(~hits[order])
    recall = true_pos / n_positives
    precision = true_pos / np.maximum(true_pos + false_pos, 1)
    ap = _ap_voc07(recall, precision) if protocol == "voc07" else _ap_voc12(recall, precision)
    return float(min(max(ap, 0.0), 1.0))  # clip float round-off (e.g. 11 * (1/11) = 1.0000000000000002)


def voc_ap(scores, labels, protocol: str = "voc12", class_name: str | None = None) -> float:
    """Pascal VOC classification AP of one class.

    scores: [N] classifier scores (Tensor, ndarray or list); labels: [N] in {1 present, -1 absent, 0 difficult only}.
    Images labelled 0 are ignored. Images are ranked by descending score with a stable sort: equal scores keep their
    input order, as MATLAB's ``sort`` does in the devkit. ``protocol="voc07"``: 11-point interpolated AP (VOC2007
    devkit); ``"voc12"``: area under the monotone precision envelope (VOC2010+ devkit ``VOCap``).
    Returns a python float in [0, 1]. Raises DataError when no image is labelled 1 (naming ``class_name``).
    """
    _check_protocol(protocol)
    scores = _to_numpy(scores, "scores", 1)
    labels = _to_numpy(labels, "labels", 1)
    if scores.shape != labels.shape:
        raise DataError(f"scores {scores.shape} and labels {labels.shape} differ in length; pass one label per image")
    _check_labels(labels, "labels")
    n_positives = int((labels == 1).sum())
    if n_positives == 0:
        name = class_name if class_name is not None else "?"
        raise DataError(f"class {name}: no positive image (label 1), AP is undefined under protocol {protocol!r}; "
                        "evaluate on a split that contains the class or drop it")
    kept = labels != 0
    return ranked_ap(scores[kept], labels[kept] == 1, n_positives, protocol)


def per_class_ap(scores, labels, class_names: Sequence[str], protocol: str = "voc12",
                 row_name: str = "AP") -> pd.DataFrame:
    """Per-class AP table of one method: scores [N, C], labels [N, C] in {1, -1, 0}.

    Returns a one-row DataFrame (index ``[row_name]``), columns = ``class_names`` in the given order + ``"mAP"``
    (mean over the classes), values in percent.
    """
    scores = _to_numpy(scores, "scores", 2)
    labels = _to_numpy(labels, "labels", 2)
    if scores.shape != labels.shape or scores.shape[1] != len(class_names):
        raise DataError(f"scores {scores.shape}, labels {labels.shape} and {len(class_names)} class_names disagree; "
                        "expected [N, C] twice and C names")
    aps = [voc_ap(scores[:, c], labels[:, c], protocol, name) for c, name in enumerate(class_names)]
    return _ap_row(np.asarray(aps), class_names, row_name)


def _ap_row(ap_fractions: np.ndarray, class_names: Sequence[str], row_name: str) -> pd.DataFrame:
    """One table row in percent; mAP is the mean over the classes that have an AP (NaN classes skipped)."""
    values = 100.0 * ap_fractions
    row = dict(zip(class_names, values.tolist()))
    row["mAP"] = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
    return pd.DataFrame([row], index=[row_name], columns=[*class_names, "mAP"])


def ap_table(rows: Mapping[str, object], class_names: Sequence[str], protocol: str = "voc12",
             index_name: str = "method") -> pd.DataFrame:
    """Table whose rows are methods (or seeds) and columns the paper's class order + ``"mAP"``, in percent.

    Each value of ``rows`` is either a tuple ``(scores [N, C], labels [N, C])`` -- AP computed here with ``protocol``
    -- or a sequence of C per-class AP *fractions* in [0, 1] (e.g. from :func:`voc_ap` or ``location_ap``; NaN allowed
    for classes without positives, skipped by the mAP).
    """
    frames = []
    for name, value in rows.items():
        if isinstance(value, tuple) and len(value) == 2 and np.ndim(value[0]) == 2:
            frames.append(per_class_ap(value[0], value[1], class_names, protocol, row_name=name))
            continue
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        aps = np.asarray(value, dtype=np.float64)
        if aps.shape != (len(class_names),):
            raise DataError(f"ap_table row {name!r}: expected {len(class_names)} per-class APs, got shape {aps.shape}")
        if (aps[np.isfinite(aps)] > 1.0).any() or (aps[np.isfinite(aps)] < 0.0).any():
            raise DataError(f"ap_table row {name!r}: AP values must be fractions in [0, 1] (max {np.nanmax(aps):g}); "
                            "divide percentages by 100")
        frames.append(_ap_row(aps, class_names, name))
    table = pd.concat(frames)
    table.index.name = index_name
    return table


def mean_std_table(per_seed: pd.DataFrame, group_col: str = "method",
                   value_cols: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean and sample standard deviation (ddof=1) over the seeds of each group.

    per_seed: one row per (group, seed), with ``group_col`` as a column or as the index name; ``value_cols`` defaults
    to every numeric column except ``group_col`` and ``"seed"``. Returns one row per group (first-seen order) and
    MultiIndex columns ``(value_col, "mean" | "std")``. The std of a group with a single seed is NaN (undefined with
    ddof=1), not 0. The mAP columns are the mean/std of the per-seed mAPs (not the mean of the per-class stds).
    """
    if group_col not in per_seed.columns:
        if per_seed.index.name != group_col:
            raise ConfigError(f"mean_std_table: group_col={group_col!r} is neither a column nor the index name; "
                              f"columns are {list(per_seed.columns)}")
        per_seed = per_seed.reset_index()
    if value_cols is None:
        value_cols = [c for c in per_seed.select_dtypes("number").columns if c not in (group_col, "seed")]
    missing = [c for c in value_cols if c not in per_seed.columns]
    if missing:
        raise ConfigError(f"mean_std_table: value_cols {missing} are not columns of the table")
    return per_seed.groupby(group_col, sort=False)[list(value_cols)].agg(["mean", "std"])


def format_mean_std(table: pd.DataFrame, decimals: int = 1) -> pd.DataFrame:
    """Strings ``"mean ± std"`` from :func:`mean_std_table` output (just ``"mean"`` where std is NaN)."""
    columns = table.columns.get_level_values(0).unique()

    def cell(mean: float, std: float) -> str:
        return f"{mean:.{decimals}f}" if np.isnan(std) else f"{mean:.{decimals}f} ± {std:.{decimals}f}"

    return pd.DataFrame({c: [cell(m, s) for m, s in zip(table[(c, "mean")], table[(c, "std")])] for c in columns},
                        index=table.index)


def topk_accuracy(logits: torch.Tensor, targets: torch.Tensor, ks: Sequence[int] = (1, 5)) -> dict[str, float]:
    """Top-k accuracy (fraction in [0, 1]) for each k: ``{"top1": ..., "top5": ...}``.

    logits: [N, K]; targets: [N] class indices. Ties follow the same stable convention as AP ranking: among equal
    logits the lower class index ranks first, so the rank of the target is (#classes with a larger logit) +
    (#classes with an equal logit and a lower index). A constant output therefore scores only targets of class 0.
    Computed on the tensors' device.
    """
    if logits.ndim != 2 or targets.ndim != 1 or logits.shape[0] != targets.shape[0]:
        raise DataError(f"topk_accuracy: logits {tuple(logits.shape)} and targets {tuple(targets.shape)} must be "
                        "[N, K] and [N]")
    n_classes = logits.shape[1]
    if any(k < 1 or k > n_classes for k in ks):
        raise ConfigError(f"topk_accuracy: ks={tuple(ks)} must lie in [1, {n_classes}] (the number of classes)")
    if logits.shape[0] == 0:
        raise DataError("topk_accuracy: empty batch (N = 0); accuracy is undefined")
    if targets.min() < 0 or targets.max() >= n_classes:
        raise DataError(f"topk_accuracy: targets must be class indices in [0, {n_classes - 1}]")
    if torch.isnan(logits).any():
        raise DataError("topk_accuracy: logits contain NaN; fix the model output")
    targets = targets.long()
    target_logit = logits.gather(1, targets[:, None])
    class_index = torch.arange(n_classes, device=logits.device)[None, :]
    ahead = (logits > target_logit) | ((logits == target_logit) & (class_index < targets[:, None]))
    rank = ahead.sum(dim=1)
    return {f"top{k}": float((rank < k).double().mean()) for k in ks}
