import math

import pandas as pd

from oquab_lib.tools import build_times


def test_record_replaces_a_chapter_row_and_keeps_the_order(tmp_path):
    path = tmp_path / "build_times.csv"
    build_times.record(path, "cvpr14_table1", 12.34, 3)
    build_times.record(path, "cvpr14_table2", 5.0, 0)
    build_times.record(path, "cvpr14_table1", 2.0, 0)  # re-run: the row is replaced, not duplicated
    times = build_times.load(path)
    assert sorted(times["chapter"]) == ["cvpr14_table1", "cvpr14_table2"]
    assert times.set_index("chapter").loc["cvpr14_table1", "seconds"] == 2.0
    assert build_times.load(tmp_path / "missing.csv") is None


def test_parts_are_warm_only_when_no_chapter_computed_anything():
    times = pd.DataFrame({"chapter": ["source_networks", "cvpr14_table1", "cvpr14_table2", "cvpr15_table1", "claims"],
                          "seconds": [200.0, 4.0, 17.0, 330.0, 2.0], "entries_computed": [12, 0, 0, 5, 0]})
    table = build_times.budget_table(times)
    assert table.loc["CVPR 2014", "run"] == "warm" and table.loc["CVPR 2014", "seconds"] == 21.0
    assert table.loc["CVPR 2014", "met"] == "no"  # 21 s > 20 s warm budget
    assert table.loc["CVPR 2015", "run"] == "cold" and table.loc["CVPR 2015", "met"] == "no"  # 330 s > 300 s
    assert table.loc["source networks", "met"] == "yes"
    assert math.isnan(table.loc["claims", "budget_s"]) and table.loc["claims", "met"] == ""


def test_count_entries_ignores_files_and_partial_folders(tmp_path):
    (tmp_path / "a-1").mkdir()
    (tmp_path / ".b-2.partial").mkdir()
    (tmp_path / "note.txt").write_text("x")
    assert build_times.count_entries(tmp_path) == 1
    assert build_times.count_entries(tmp_path / "missing") == 0
