import math

import pandas as pd

from oquab_lib import report
from oquab_lib.paper import paper_table


def test_paper_vs_ours_shows_mean_and_std_in_paper_order():
    paper = paper_table("cvpr14_table2").loc[["PRE-1000C"]]
    cols = list(paper.columns)
    seeds = pd.DataFrame([[50.0] * len(cols), [54.0] * len(cols)], columns=cols)
    table = report.paper_vs_ours(paper, {"PRE-1000C": seeds})
    assert list(table.index) == ["paper: PRE-1000C", "ours: PRE-1000C"]
    assert list(table.columns) == cols
    assert table.loc["paper: PRE-1000C", "mAP"] == "78.7"
    assert table.loc["ours: PRE-1000C", "mAP"] == "52.0 ± 2.8"  # std of (50, 54), ddof=1


def test_single_seed_has_no_spread_and_missing_cells_show_a_dash():
    assert report.format_mean_std(70.0, math.nan) == "70.0"
    assert report.format_mean_std(math.nan, 1.0) == "–"


def test_verdict_calls_small_differences_a_tie():
    assert report.verdict(80.0, 78.0, spread=0.5) == report.REPRODUCED
    assert report.verdict(80.0, 79.5, spread=0.5) == report.TIE  # 0.5 <= 2 * 0.5
    assert report.verdict(78.0, 80.0, spread=0.5) == report.NOT_REPRODUCED
    assert report.pooled_spread(3.0, 4.0) == 5.0


def test_claims_roundtrip(tmp_path):
    claim = report.Claim("CVPR 2014", "pretraining beats none", "78.7 vs 70.9", "60.1 ± 1.0 vs 50.2 ± 0.8",
                         report.REPRODUCED, "cvpr14_table2")
    report.record_claim(tmp_path, claim)
    report.record_claim(tmp_path, claim)  # recording twice keeps one row
    table = report.claims_table(tmp_path)
    assert len(table) == 1 and table.loc[0, "verdict"] == report.REPRODUCED
    assert report.claims_table(tmp_path / "nothing").empty
    assert math.isnan(table.loc[0, "margin"])  # recorded without its difference and threshold


def test_claims_carry_their_margin_from_the_tie_line(tmp_path):
    for name, difference in (("a win", 6.0), ("a tie", -1.0)):
        report.record_claim(tmp_path, report.Claim("CVPR 2015", name, "-", "-", report.verdict(difference, 0.0, 1.0),
                                                   "cvpr15_table1", difference=difference, threshold=2.0))
    table = report.claims_table(tmp_path).set_index("claim")
    assert table.loc["a win", "margin"] == 3.0 and table.loc["a win", "verdict"] == report.REPRODUCED
    assert table.loc["a tie", "margin"] == 0.5 and table.loc["a tie", "verdict"] == report.TIE
    assert report.margin(1.0, 0.0) != report.margin(1.0, 0.0)  # no threshold (one seed): unknown, NaN
    html = report.claims_display(table.reset_index()).to_html()
    assert "+6.0" in html and "3.0" in html


def test_every_paper_table_loads_with_a_mean_column():
    for name in ["cvpr14_table1", "cvpr14_table2", "cvpr14_table3", "cvpr15_table1"]:
        table = paper_table(name)
        assert table.columns[-1] == "mAP" and len(table) >= 3
