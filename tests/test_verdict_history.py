"""The Claims page's verdict history: earlier builds' verdicts beside this build's, and which ones moved."""

import pandas as pd
import pytest

from oquab_lib import verdict_history
from oquab_lib.errors import DataError


def _records(verdicts: dict[str, tuple[str, float, float]], chapter: str = "cvpr14_table2") -> pd.DataFrame:
    return pd.DataFrame([{"chapter": chapter, "claim": claim, "verdict": v, "ci_low": lo, "ci_high": hi, "n_seeds": 5}
                         for claim, (v, lo, hi) in verdicts.items()])


def _history(tmp_path) -> str:
    old = _records({"A beats B": ("undecided", -1.0, 3.0), "C beats D": ("reproduced", 0.5, 2.0)})
    path = tmp_path / "history.csv"
    old.assign(build="abc1234", change="3 seeds", n_seeds=3).to_csv(path, index=False)
    return path


def test_history_sets_earlier_verdicts_beside_this_builds_and_marks_the_moved_ones(tmp_path):
    current = _records({"C beats D": ("reproduced", 0.2, 1.9), "A beats B": ("reproduced", 0.1, 4.0),
                        "E beats F": ("undecided", -2.0, 2.0)})
    table = verdict_history.history_table(current, verdict_history.load(_history(tmp_path)))
    assert list(table.index) == ["C beats D", "A beats B", "E beats F"]  # this build's order
    assert list(table.columns) == ["chapter", "this build", "moved", "abc1234: 3 seeds"]
    assert table.loc["A beats B", "abc1234: 3 seeds"] == "undecided [-1.0, +3.0] 3s"
    assert table.loc["A beats B", "this build"] == "reproduced [+0.1, +4.0] 5s"
    assert list(table["moved"]) == ["", "yes", ""]  # a claim new in this build has nothing to move from
    assert verdict_history.moved_sentence(table) == "1 of 3 verdicts moved between these 2 builds."


def test_not_reproduced_is_coloured_as_itself_not_as_reproduced(tmp_path):
    current = _records({"A beats B": ("not reproduced", -3.0, -1.0), "C beats D": ("reproduced", 0.5, 2.0)})
    sentence, styler = verdict_history.for_run("quick", current, _history(tmp_path))
    html = styler.to_html()
    assert sentence.startswith("1 of 2 verdicts moved") and "#f8d7da" in html and "#d9f2d9" in html


def test_other_profiles_and_bad_files_get_one_line_reasons(tmp_path):
    sentence, styler = verdict_history.for_run("smoke", _records({}))
    assert styler is None and "profile quick" in sentence and "\n" not in sentence
    (tmp_path / "bad.csv").write_text("build,claim\nx,y\n")
    with pytest.raises(DataError, match="bad.csv: columns change, chapter"):
        verdict_history.load(tmp_path / "bad.csv")
    with pytest.raises(DataError, match="git checkout"):
        verdict_history.load(tmp_path / "missing.csv")


def test_the_committed_history_covers_every_claim_of_each_recorded_build():
    history = verdict_history.load()
    per_build = history.groupby("build")["claim"].nunique()
    assert len(per_build) >= 3 and (per_build == per_build.max()).all()
    assert set(history["verdict"]) <= set(verdict_history.COLOURS)
