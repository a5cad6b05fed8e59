"""cvpr14.claims: the per-seed quantities the Table 2 verdicts compare."""

import pandas as pd
import pytest

from oquab_lib.cvpr14 import claims
from oquab_lib.data.classes import TARGETED_BY_1512, VOC_CLASSES
from oquab_lib.paper import paper_table


def _table(rows: dict[tuple[str, int], tuple[float, float]]) -> pd.DataFrame:
    """(method, seed) -> (AP on the targeted classes, AP on the others); mAP their class mean."""
    data = {key: {c: (t if c in TARGETED_BY_1512 else o) for c in VOC_CLASSES} for key, (t, o) in rows.items()}
    frame = pd.DataFrame.from_dict(data, orient="index")
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["method", "seed"])
    frame["mAP"] = frame[list(VOC_CLASSES)].mean(axis=1)
    return frame


TABLE = _table({("PRE-1000C", 0): (50, 60), ("PRE-1000C", 1): (52, 60), ("PRE-1512", 0): (56, 61),
                ("PRE-1512", 1): (60, 63), ("NO PRETRAIN", 0): (40, 70), ("NO PRETRAIN", 1): (40, 70)})


def test_group_gains_pair_the_seeds_of_two_methods():
    gains = claims.group_gains(TABLE, better="PRE-1512", base="PRE-1000C")
    assert gains["targeted"].tolist() == [6.0, 8.0] and gains["other"].tolist() == [1.0, 3.0]
    assert claims.group_gains(TABLE, better="PRE-1512D").empty


def test_group_mean_per_seed():
    assert claims.group_mean(TABLE, "PRE-1512").tolist() == [56.0, 60.0]
    assert claims.group_mean(TABLE, "PRE-1512D") is None


def test_scratch_sentence_comes_from_the_numbers():
    lead = claims.scratch_lead(TABLE)
    assert lead[TARGETED_BY_1512[0]] == pytest.approx(40 - (51 + 58) / 2)  # NO PRETRAIN minus the pretrained rows
    text = claims.scratch_sentence(TABLE, paper_table("cvpr14_table2"), count=1)
    assert text.startswith("NO PRETRAIN's mAP is ") and "(paper: -8.4)" in text  # 70.9 - mean(78.7, 76.3, 82.8)
    assert claims.scratch_lead(TABLE.drop(index="NO PRETRAIN", level="method")) is None
    # a class where NO PRETRAIN is behind is never listed as one it "leads on"
    words = "leads on" if (lead > 0).any() else "comes closest on (it is behind on every class)"
    assert f"NO PRETRAIN {words}: " in text
    behind_everywhere = TABLE.copy()
    behind_everywhere.loc["NO PRETRAIN"] = 0.0
    assert "comes closest on" in claims.scratch_sentence(behind_everywhere, paper_table("cvpr14_table2"))


def test_scratch_lead_leaves_out_classes_without_ap():
    table = TABLE.copy()
    table[VOC_CLASSES[0]] = float("nan")  # no positive test image of that class
    assert VOC_CLASSES[0] not in claims.scratch_lead(table).index and "nan" not in claims.scratch_sentence(
        table, paper_table("cvpr14_table2"))
