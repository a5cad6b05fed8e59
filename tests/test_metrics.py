"""Tests of oquab_lib.metrics: VOC AP (both protocols), tables, mean/std over seeds, top-k accuracy."""

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import torch

from oquab_lib.errors import ConfigError, DataError
from oquab_lib.metrics import (
    ap_table,
    format_mean_std,
    mean_std_table,
    per_class_ap,
    ranked_ap,
    topk_accuracy,
    voc_ap,
)

# Hand-worked example used by several tests (already in descending score order).
# rank:      1    2    3    4    5
# label:    +1   -1   +1   -1   +1      n_pos = 3
# TP:        1    1    2    2    3
# FP:        0    1    1    2    2
# recall:   1/3  1/3  2/3  2/3   1
# precision: 1   1/2  2/3  1/2  3/5
SCORES = [0.9, 0.8, 0.7, 0.6, 0.5]
LABELS = [1, -1, 1, -1, 1]
# voc12: envelope (max precision to the right) = 1, 2/3, 2/3, 3/5, 3/5; recall steps of 1/3 at ranks 1, 3, 5
#        AP = 1/3 * (1 + 2/3 + 3/5) = 1/3 * 34/15 = 34/45
AP12 = 34 / 45
# voc07: t = 0.0..0.3 -> max precision over recall >= t = 1         (4 thresholds)
#        t = 0.4..0.6 -> ranks 3..5: max(2/3, 1/2, 3/5) = 2/3     (3 thresholds)
#        t = 0.7..1.0 -> rank 5 only: 3/5                          (4 thresholds)
#        AP = (4 * 1 + 3 * 2/3 + 4 * 3/5) / 11 = 8.4 / 11
AP07 = 8.4 / 11


def test_hand_worked_voc12_and_voc07():
    assert voc_ap(SCORES, LABELS, "voc12") == pytest.approx(AP12, abs=1e-12)
    assert voc_ap(SCORES, LABELS, "voc07") == pytest.approx(AP07, abs=1e-12)
    assert voc_ap(SCORES, LABELS) == pytest.approx(AP12, abs=1e-12)  # default protocol is voc12


def test_input_order_and_types_do_not_matter_for_distinct_scores():
    permutation = [3, 0, 4, 2, 1]
    scores = torch.tensor(SCORES)[permutation]
    labels = torch.tensor(LABELS)[permutation]
    value = voc_ap(scores, labels, "voc12")
    assert isinstance(value, float)
    assert value == pytest.approx(AP12, abs=1e-6)
    assert voc_ap(np.array(SCORES), np.array(LABELS), "voc07") == pytest.approx(AP07, abs=1e-12)


def test_perfect_and_worst_rankings():
    # All positives first: precision 1 at every recall -> AP 1 under both protocols.
    assert voc_ap([3, 2, 1, 0], [1, 1, -1, -1], "voc12") == 1.0
    assert voc_ap([3, 2, 1, 0], [1, 1, -1, -1], "voc07") == 1.0
    # One positive ranked last of 4: precision 1/4 at recall 1 -> voc12 = 1/4, voc07 = 11 * (1/4) / 11 = 1/4.
    assert voc_ap([3, 2, 1, 0], [-1, -1, -1, 1], "voc12") == pytest.approx(0.25)
    assert voc_ap([3, 2, 1, 0], [-1, -1, -1, 1], "voc07") == pytest.approx(0.25)


def test_label_zero_images_are_ignored():
    # Difficult-only images with the highest and a middle score would be false positives if counted.
    scores = [0.95, *SCORES[:2], 0.75, *SCORES[2:]]
    labels = [0, *LABELS[:2], 0, *LABELS[2:]]
    assert voc_ap(scores, labels, "voc12") == pytest.approx(AP12, abs=1e-12)
    assert voc_ap(scores, labels, "voc07") == pytest.approx(AP07, abs=1e-12)


def test_ties_keep_input_order():
    # Equal scores: the stable sort ranks the first-listed image first (MATLAB sort in the devkit).
    # [-1, +1]: FP then TP -> precision (0, 1/2), recall (0, 1) -> voc12 = 1 * 1/2; voc07: every t sees 1/2.
    assert voc_ap([0.5, 0.5], [-1, 1], "voc12") == pytest.approx(0.5)
    assert voc_ap([0.5, 0.5], [-1, 1], "voc07") == pytest.approx(0.5)
    # [+1, -1]: TP first -> precision 1 at recall 1 -> AP 1.
    assert voc_ap([0.5, 0.5], [1, -1], "voc12") == 1.0
    assert voc_ap([0.5, 0.5], [1, -1], "voc07") == 1.0
    # Many ties in a long list: same result as the brute force below, whose Python sort is stable (input order).
    for seed in range(5):
        rng = np.random.default_rng(seed)
        scores = rng.integers(0, 3, size=200).astype(float)
        labels = rng.choice([1, -1], size=200)
        assert voc_ap(scores, labels, "voc12") == pytest.approx(_brute_force_voc12(scores, labels), abs=1e-12)
        assert voc_ap(scores, labels, "voc07") == pytest.approx(_brute_force_voc07(scores, labels), abs=1e-12)


def _brute_force_voc12(scores, labels):
    """Independent formulation: each positive adds 1/n_pos x (best precision at its rank or any later rank)."""
    kept = [(s, lab) for s, lab in zip(scores, labels) if lab != 0]
    kept.sort(key=lambda pair: -pair[0])
    n_pos = sum(lab == 1 for _, lab in kept)
    precisions = []
    for rank in range(1, len(kept) + 1):
        precisions.append(sum(lab == 1 for _, lab in kept[:rank]) / rank)
    ap = 0.0
    for rank, (_, lab) in enumerate(kept):
        if lab == 1:
            ap += max(precisions[rank:]) / n_pos
    return ap


def _brute_force_voc07(scores, labels):
    """Independent formulation with exact rationals: recall/precision recounted at every cut-off."""
    kept = sorted([(s, lab) for s, lab in zip(scores, labels) if lab != 0], key=lambda pair: -pair[0])
    n_pos = sum(lab == 1 for _, lab in kept)
    ap = Fraction(0)
    for k in range(11):
        best = Fraction(0)
        for rank in range(1, len(kept) + 1):
            tp = sum(lab == 1 for _, lab in kept[:rank])
            if Fraction(tp, n_pos) >= Fraction(k, 10):
                best = max(best, Fraction(tp, rank))
        ap += best / 11
    return float(ap)


@pytest.mark.parametrize("seed", range(40))
def test_matches_brute_force_on_random_inputs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 40))
    scores = rng.permutation(n) + rng.random()  # distinct scores
    labels = rng.choice([1, -1, 0], size=n, p=[0.3, 0.6, 0.1])
    labels[rng.integers(n)] = 1  # at least one positive
    assert voc_ap(scores, labels, "voc12") == pytest.approx(_brute_force_voc12(scores, labels), abs=1e-12)
    assert voc_ap(scores, labels, "voc07") == pytest.approx(_brute_force_voc07(scores, labels), abs=1e-12)


def test_voc07_recall_exactly_on_a_threshold_counts():
    # 10 positives: recall 3/10 is reached exactly; t = 0.3 must see it (exact decimal thresholds).
    # Ranking: 3 TP, 1 FP, 7 TP. precision at recall 0.3 = 1, afterwards <= 10/11.
    labels = [1, 1, 1, -1] + [1] * 7
    scores = list(range(len(labels), 0, -1))
    # t = 0..0.3 -> 1 (4 thresholds); t = 0.4..1.0 -> max precision at ranks 5..11 = 10/11 (7 thresholds)
    expected = (4 * 1 + 7 * 10 / 11) / 11
    assert voc_ap(scores, labels, "voc07") == pytest.approx(expected, abs=1e-12)
    assert voc_ap(scores, labels, "voc07") == pytest.approx(_brute_force_voc07(scores, labels), abs=1e-12)


def test_no_positive_raises_naming_class_and_protocol():
    with pytest.raises(DataError, match=r"class cow.*'voc07'"):
        voc_ap([0.1, 0.2], [-1, 0], "voc07", class_name="cow")
    with pytest.raises(DataError, match=r"class \?"):
        voc_ap([0.1, 0.2], [-1, -1])


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(DataError, match="not in"):
        voc_ap([0.1, 0.2], [1, 2])
    with pytest.raises(ConfigError, match="voc07, voc12"):
        voc_ap([0.1, 0.2], [1, -1], protocol="voc2010")
    with pytest.raises(DataError, match="differ in length"):
        voc_ap([0.1, 0.2, 0.3], [1, -1])
    with pytest.raises(DataError, match="NaN"):
        voc_ap([0.1, float("nan")], [1, -1])


def test_ranked_ap_with_unreached_positives():
    # 2 hits out of 4 positives, ranked TP, FP, TP: recall 1/4, 1/4, 1/2; precision 1, 1/2, 2/3.
    # voc12: 1/4 * 1 + 1/4 * 2/3 + (recall 1/2 -> 1 at precision 0) = 1/4 + 1/6 = 5/12
    assert ranked_ap([3, 2, 1], [True, False, True], n_positives=4) == pytest.approx(5 / 12)
    assert ranked_ap([], [], n_positives=2) == 0.0
    with pytest.raises(DataError, match="n_positives"):
        ranked_ap([3, 2], [True, True], n_positives=1)


def test_per_class_ap_table_layout_and_values():
    scores = np.stack([SCORES, SCORES[::-1]], axis=1)
    labels = np.stack([LABELS, LABELS], axis=1)
    table = per_class_ap(scores, labels, ["cat", "dog"], "voc12")
    assert list(table.columns) == ["cat", "dog", "mAP"]
    assert table.shape == (1, 3)
    # dog: reversed scores rank +1 (0.9), -1, +1, -1, +1 identically because LABELS is a palindrome.
    assert table.loc["AP", "cat"] == pytest.approx(100 * AP12)
    assert table.loc["AP", "dog"] == pytest.approx(100 * AP12)
    assert table.loc["AP", "mAP"] == pytest.approx(table[["cat", "dog"]].to_numpy().mean())
    with pytest.raises(DataError, match="no positive"):
        per_class_ap(scores, np.stack([LABELS, [-1] * 5], axis=1), ["cat", "dog"])


def test_ap_table_rows_from_scores_and_from_fractions():
    scores = np.stack([SCORES, SCORES], axis=1)
    labels = np.stack([LABELS, [1, 1, -1, -1, -1]], axis=1)
    table = ap_table({"ours": (scores, labels), "paper": [0.5, float("nan")]}, ["a", "b"], "voc07")
    assert list(table.index) == ["ours", "paper"] and table.index.name == "method"
    assert table.loc["ours", "a"] == pytest.approx(100 * AP07)
    assert table.loc["ours", "b"] == pytest.approx(100.0)
    assert table.loc["ours", "mAP"] == pytest.approx((100 * AP07 + 100) / 2)
    assert table.loc["paper", "mAP"] == pytest.approx(50.0)  # NaN class skipped
    with pytest.raises(DataError, match="fractions"):
        ap_table({"paper": [86.3, 50.0]}, ["a", "b"])


def test_mean_std_table_over_seeds():
    per_seed = pd.DataFrame({"method": ["A", "A", "A", "B"], "seed": [0, 1, 2, 0],
                             "cat": [70.0, 72.0, 74.0, 60.0], "mAP": [50.0, 52.0, 57.0, 40.0]})
    table = mean_std_table(per_seed, "method")
    assert list(table.index) == ["A", "B"]
    assert set(table.columns.get_level_values(0)) == {"cat", "mAP"}  # seed column not aggregated
    assert table.loc["A", ("cat", "mean")] == pytest.approx(72.0)
    assert table.loc["A", ("cat", "std")] == pytest.approx(2.0)  # ddof=1: sqrt((4 + 0 + 4) / 2)
    assert table.loc["A", ("mAP", "std")] == pytest.approx(np.std([50, 52, 57], ddof=1))
    assert np.isnan(table.loc["B", ("cat", "std")])  # one seed: std undefined
    text = format_mean_std(table)
    assert text.loc["A", "cat"] == "72.0 ± 2.0" and text.loc["B", "cat"] == "60.0"
    # group as the index name works too
    assert mean_std_table(per_seed.set_index("method"), "method").equals(table)
    with pytest.raises(ConfigError, match="group_col"):
        mean_std_table(per_seed, "run")


def test_topk_accuracy_hand_worked_and_ties():
    logits = torch.tensor([[0.1, 0.5, 0.2, 0.9],   # target 3: rank 0 -> top1, top2
                           [0.8, 0.1, 0.3, 0.2],   # target 2: rank 1 -> top2 only
                           [0.1, 0.2, 0.3, 0.4]])  # target 0: rank 3 -> neither
    targets = torch.tensor([3, 2, 0])
    assert topk_accuracy(logits, targets, ks=(1, 2)) == {"top1": pytest.approx(1 / 3), "top2": pytest.approx(2 / 3)}
    # Constant logits: the lower class index wins ties, so only targets of class 0 are top-1.
    constant = torch.zeros(4, 5)
    assert topk_accuracy(constant, torch.tensor([0, 1, 2, 4]), ks=(1, 3)) == {"top1": 0.25, "top3": 0.75}
    with pytest.raises(ConfigError, match="ks"):
        topk_accuracy(constant, torch.tensor([0, 1, 2, 4]), ks=(1, 6))
    with pytest.raises(DataError, match="targets"):
        topk_accuracy(constant, torch.tensor([0, 1, 2, 5]))
