"""report: paper-vs-ours tables, the verdict statistics (hand-computed cases of every branch) and the claim records."""

import math
from pathlib import Path

import pandas as pd
import pytest

from oquab_lib import report
from oquab_lib.config import Run
from oquab_lib.paper import paper_table

T975_2 = 4.302652729749464  # Student t, 97.5 % quantile, 2 df (tables)
T95_2 = 2.919985580353724  # 95 % quantile, 2 df (the one-sided 5 % tests of TOST)


def _run(tmp_path: Path, profile: str = "quick", sections: dict | None = None) -> Run:
    return Run(profile, tmp_path / "data", "cpu", 0, tmp_path / "runs", sections or {"cvpr14": {"num_seeds": 3}})


def test_paper_vs_ours_shows_mean_and_std_in_paper_order():
    paper = paper_table("cvpr14_table2").loc[["PRE-1000C"]]
    cols = list(paper.columns)
    seeds = pd.DataFrame([[50.0] * len(cols), [54.0] * len(cols)], columns=cols)
    table = report.paper_vs_ours(paper, {"PRE-1000C": seeds})
    assert list(table.index) == ["paper: PRE-1000C", "ours: PRE-1000C"]
    assert list(table.columns) == cols
    assert table.loc["paper: PRE-1000C", "mAP"] == "78.7"
    assert table.loc["ours: PRE-1000C", "mAP"] == "52.0 ± 2.8"  # std of (50, 54), ddof=1


def test_t_quantiles_match_the_tables():
    assert report.t_quantile(0.975, 1) == pytest.approx(12.706204736, abs=1e-6)
    assert report.t_quantile(0.975, 2) == pytest.approx(T975_2, abs=1e-6)
    assert report.t_quantile(0.95, 2) == pytest.approx(T95_2, abs=1e-6)
    assert report.t_quantile(0.975, 30) == pytest.approx(2.042272456, abs=1e-6)


def test_t_quantile_is_bit_identical_to_scipy_stats():
    # t_quantile avoids importing scipy.stats (slow) by calling the special function t.ppf evaluates: same bits,
    # so no verdict moves; Welch's fractional degrees of freedom included
    from scipy import stats

    for probability in (0.9, 0.95, 0.975, 0.995):
        for df in (1, 2, 3, 1.37, 4.81, 9, 29.5, 200):
            assert report.t_quantile(probability, df) == float(stats.t.ppf(probability, df))


def test_paired_interval_above_and_below_zero():
    # differences 2, 3, 4: mean 3, sd 1, se 1/sqrt(3); 2 df
    interval = report.difference_interval([3.0, 5.0, 7.0], [1.0, 2.0, 3.0], paired=True, level=0.95)
    half = T975_2 / math.sqrt(3)  # 2.484
    assert (interval.difference, interval.n_seeds, interval.test) == (3.0, 3, "paired t")
    assert interval.low == pytest.approx(3 - half) and interval.high == pytest.approx(3 + half)
    assert report.ordering_verdict(interval) == report.REPRODUCED  # [0.52, 5.48] lies above 0
    flipped = report.difference_interval([1.0, 2.0, 3.0], [3.0, 5.0, 7.0], paired=True, level=0.95)
    assert report.ordering_verdict(flipped) == report.NOT_REPRODUCED  # [-5.48, -0.52] lies below 0


def test_paired_aligns_on_the_seed_index():
    a = pd.Series([3.0, 5.0, 7.0], index=[0, 1, 2])
    b = pd.Series([3.0, 2.0, 1.0], index=[2, 1, 0])  # same values as above, listed in another seed order
    assert report.difference_interval(a, b, paired=True, level=0.95).low == pytest.approx(3 - T975_2 / math.sqrt(3))


def test_welch_interval_and_undecided():
    # a = 10, 12 and b = 0, 2: variances 2 and 2, se^2 = 2/2 + 2/2 = 2, Welch df = 2^2 / (1/1 + 1/1) = 2
    interval = report.difference_interval([10.0, 12.0], [0.0, 2.0], paired=False, level=0.95)
    assert interval.test == "Welch t" and interval.difference == 10.0
    assert interval.low == pytest.approx(10 - T975_2 * math.sqrt(2))  # 3.92
    assert report.ordering_verdict(interval) == report.REPRODUCED
    close = report.difference_interval([3.0, 5.0], [0.0, 2.0], paired=False, level=0.95)  # 3 ± 6.08
    assert close.low < 0 < close.high and report.ordering_verdict(close) == report.UNDECIDED


def test_welch_unequal_groups_uses_satterthwaite_df():
    # a: var 2, n 2 -> 1; b: var 1, n 3 -> 1/3; df = (4/3)^2 / (1/1 + (1/9)/2) = 32/19
    interval = report.difference_interval([10.0, 12.0], [1.0, 2.0, 3.0], paired=False, level=0.95)
    half = report.t_quantile(0.975, 32 / 19) * math.sqrt(4 / 3)
    assert interval.high - interval.difference == pytest.approx(half) and interval.n_seeds == 2


def test_equivalence_inside_outside_straddling():
    # paired differences -1, 0, 1: mean 0, se 1/sqrt(3); the 90 % interval is 0 ± 2.92/sqrt(3) = ± 1.686
    interval = report.difference_interval([1.0, 2.0, 3.0], [2.0, 2.0, 2.0], paired=True, level=0.90)
    assert interval.high == pytest.approx(T95_2 / math.sqrt(3))
    assert report.equivalence_verdict(interval, margin=2.0) == report.REPRODUCED  # inside ±2
    assert report.equivalence_verdict(interval, margin=1.0) == report.UNDECIDED  # straddles ±1
    far = report.difference_interval([6.0, 8.0, 10.0], [1.0, 2.0, 3.0], paired=True, level=0.90)  # 6 ± 1.686
    assert report.equivalence_verdict(far, margin=2.0) == report.NOT_REPRODUCED  # wholly above +2
    # more noise can no longer make equivalence more likely: 40.9 ± 0.6 vs 44.0 ± 3.2 (the old reversed rule's case)
    noisy = report.difference_interval([40.3, 40.9, 41.5], [40.8, 44.0, 47.2], paired=False, level=0.90)
    assert report.equivalence_verdict(noisy, margin=3.0) == report.UNDECIDED


def test_one_seed_is_never_decisive():
    for paired in (True, False):
        interval = report.difference_interval([80.0], [60.0], paired=paired, level=0.95)
        assert interval.n_seeds == 1 and math.isnan(interval.low)
        assert report.ordering_verdict(interval) == report.ONE_SEED
        assert report.equivalence_verdict(interval, margin=5.0) == report.ONE_SEED
    # two seeds of A but only one of B paired on the index: one pair
    assert report.difference_interval(pd.Series([1.0, 2.0]), pd.Series([0.0]), True, 0.95).n_seeds == 1


def test_zero_variance_gives_a_point_interval_not_nan():
    welch = report.difference_interval([5.0, 5.0, 5.0], [3.0, 3.0, 3.0], paired=False, level=0.95)
    assert (welch.low, welch.high) == (2.0, 2.0) and report.ordering_verdict(welch) == report.REPRODUCED
    paired = report.difference_interval([5.0, 6.0, 7.0], [3.0, 4.0, 5.0], paired=True, level=0.95)
    assert (paired.low, paired.high) == (2.0, 2.0)
    same = report.difference_interval([4.0, 4.0], [4.0, 4.0], paired=False, level=0.90)
    assert report.ordering_verdict(same) == report.UNDECIDED  # [0, 0]: neither above nor below 0
    assert report.equivalence_verdict(same, margin=1.0) == report.REPRODUCED
    # one group constant, the other not: Welch's df comes from the other group alone (n - 1 = 2)
    half = report.difference_interval([5.0, 6.0, 7.0], [3.0, 3.0, 3.0], False, 0.95)
    assert half.high - half.difference == pytest.approx(T975_2 / math.sqrt(3))


def test_a_claim_is_recorded_with_its_profile_config_and_numbers(tmp_path, capsys):
    run = _run(tmp_path)
    record = report.ordering(run, "cvpr14_table3", "A beats B", pd.Series([3.0, 5.0, 7.0]),
                             pd.Series([1.0, 2.0, 3.0]), paired=True, paper="CVPR 2014", paper_figure="70.2 vs 68.4",
                             labels=("A", "B"))
    assert record.verdict == report.REPRODUCED and record.kind == "ordering" and record.n_seeds == 3
    assert record.ours == "A 5.0 ± 2.0 vs B 2.0 ± 1.0 mAP" and math.isnan(record.margin)
    printed = capsys.readouterr().out
    assert "A beats B: reproduced" in printed and "95% interval [+0.5, +5.5]" in printed
    table = report.claims_table(run.runs_dir)
    assert len(table) == 1 and table.loc[0, "config_hash"] == report.run_config_hash(run)
    assert table.loc[0, "profile"] == "quick" and table.loc[0, "ci_low"] == pytest.approx(record.ci_low)
    report.ordering(run, "cvpr14_table3", "A beats B", [3.0, 5.0, 7.0], [1.0, 2.0, 3.0], paired=True,
                    paper="CVPR 2014", paper_figure="-")
    assert len(report.claims_table(run.runs_dir)) == 1  # recording again replaces the record
    assert report.claims_table(tmp_path / "nothing").empty


def test_equivalence_record_carries_margin_and_level(tmp_path):
    record = report.equivalence(_run(tmp_path), "cvpr15_table1", "F ≈ E", [1.0, 2.0, 3.0], [2.0, 2.0, 2.0],
                                margin=2.0, paired=True, paper="CVPR 2015", paper_figure="86.3 vs 86.0")
    assert (record.verdict, record.margin, record.level) == (report.REPRODUCED, 2.0, pytest.approx(0.90))


def test_missing_rows_and_head_only_seeds_are_labelled(tmp_path, capsys):
    missing = report.ordering(_run(tmp_path), "cvpr14_table2", "X beats Y", None, [1.0, 2.0], paired=False,
                              paper="CVPR 2014", paper_figure="-")
    assert missing.verdict == report.NOT_TESTED and "not tested" in capsys.readouterr().out
    full = report.ordering(_run(tmp_path, "full"), "cvpr15_table1", "F > D", [3.0, 4.0], [1.0, 1.5], paired=True,
                           paper="CVPR 2015", paper_figure="-")
    assert full.note == report.HEAD_SEEDS_ONLY and report.HEAD_SEEDS_ONLY in report.sentence(full)


def test_claims_page_lists_only_the_current_profile_and_config(tmp_path):
    quick, smoke = _run(tmp_path, "quick"), _run(tmp_path, "smoke")
    other_config = _run(tmp_path, "smoke", {"cvpr14": {"num_seeds": 5}})
    report.ordering(quick, "cvpr14_table1", "quick claim", [3.0, 4.0], [1.0, 2.0], paired=False, paper="CVPR 2014",
                    paper_figure="-")
    report.ordering(smoke, "cvpr14_table1", "smoke claim", [3.0, 4.0], [1.0, 2.0], paired=False, paper="CVPR 2014",
                    paper_figure="-")
    report.ordering(other_config, "cvpr14_table1", "smoke claim", [3.0, 4.0, 5.0], [1.0, 2.0, 3.0], paired=False,
                    paper="CVPR 2014", paper_figure="-")
    current, other = report.claims_page(smoke)
    assert list(current["claim"]) == ["smoke claim"] and set(current["profile"]) == {"smoke"}
    assert current.loc[0, "n_seeds"] == 2  # not the 3-seed record of the other smoke config
    assert sorted(other["claim"]) == ["quick claim", "smoke claim"]
    html = report.claims_display(current).to_html()
    assert "smoke claim" in html and "quick claim" not in html and "95% [" in html
    assert report.verdict_counts(current) == "1 undecided"  # 2 ± 3.04 (Welch, 2 df)


def test_in_words_counts_and_caveat(tmp_path, capsys):
    run = _run(tmp_path)
    records = [report.ordering(run, "c", "up", [3.0, 4.0, 5.0], [0.0, 0.5, 1.0], paired=False, paper="-",
                               paper_figure="-"),
               report.ordering(run, "c", "flat", [3.0, 4.0, 5.0], [3.0, 4.5, 4.0], paired=False, paper="-",
                               paper_figure="-")]
    capsys.readouterr()
    report.in_words(records, caveat="Why it may differ.")
    printed = capsys.readouterr().out
    assert "Of 2 claims tested here: 1 reproduced, 1 undecided." in printed
    assert "Reproduced: up." in printed and "Undecided: flat." in printed and "Why it may differ." in printed
    report.in_words(records[:1], caveat="Why it may differ.")
    assert "Why" not in capsys.readouterr().out


def test_every_paper_table_loads_with_a_mean_column():
    for name in ["cvpr14_table1", "cvpr14_table2", "cvpr14_table3", "cvpr15_table1"]:
        table = paper_table(name)
        assert table.columns[-1] == "mAP" and len(table) >= 3


def test_undecided_claims_say_how_many_seeds_would_decide_them(tmp_path, capsys):
    run = _run(tmp_path)
    # paired differences 1, 2, 0: mean 1, sd 1; half-width t(0.975, 2) / sqrt(3) = 2.48 > 1: undecided. The first
    # m with t(0.975, m - 1) / sqrt(m) < 1 is 7 (m = 6: 2.571 / 2.449 = 1.05; m = 7: 2.447 / 2.646 = 0.92)
    record = report.ordering(run, "c", "small", [2.0, 3.0, 1.0], [1.0, 1.0, 1.0], paired=True, paper="-",
                             paper_figure="-")
    assert record.verdict == report.UNDECIDED and report.seeds_to_decide(record) == 7
    flat = report.ordering(run, "c", "flat", [2.0, 0.0, 1.0], [1.0, 1.0, 1.0], paired=True, paper="-",
                           paper_figure="-")
    assert report.seeds_to_decide(flat) is None  # a zero mean difference: no seed count decides it
    capsys.readouterr()
    report.in_words([record, flat])
    printed = capsys.readouterr().out
    assert "- small: the difference +1.0 is smaller than the half-width 2.5 of its 95 % interval" in printed
    assert "about 7 seeds would decide it" in printed and "no number of seeds would decide it" in printed
