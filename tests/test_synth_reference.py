"""Published statistics and the tables that set a generated world beside them (oquab_lib/data/synth/reference.py),
and the data chapter's figure helpers."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from oquab_lib.data.classes import VOC_CLASSES
from oquab_lib.data.synth import (
    ensure_world,
    figures,
    object_table,
    reference,
    source_statistics,
)
from oquab_lib.errors import DataError


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return ensure_world(tmp_path_factory.mktemp("w") / "miniworld-smoke", "smoke", seed=0, workers=1, verbose=False)


def test_published_numbers_agree_with_their_published_totals():
    per_class = reference.VOC2007_TRAINVAL_PER_CLASS
    assert list(per_class) == list(VOC_CLASSES)
    # the devkit's per-class trainval objects sum to its trainval total; its test total is 24,640 minus trainval
    assert sum(objects for _, objects in per_class.values()) == 12_608
    table = reference.reference_table()
    assert table.loc[("VOC 2007", "trainval"), "objects"] == 12_608
    assert table.loc[("VOC 2007", "test"), "objects"] == 24_640 - 12_608
    assert table.loc[("VOC 2007", "trainval"), "images"] + table.loc[("VOC 2007", "test"), "images"] == 9_963
    assert table.index.is_unique and table["source"].str.len().gt(10).all()
    assert pd.isna(table.loc[("VOC 2012", "test"), "objects"])  # never released
    assert reference.PAPER_VARIANTS["1512"][0] == 1000 + sum(reference.PAPER_TARGETED.values())


def objects_frame(rows):
    return pd.DataFrame([{"split": s, "image_id": i, "cls": c, "difficult": d, "rel_size": r}
                         for s, i, c, d, r in rows])


def test_voc07_class_comparison_counts_non_difficult_trainval_objects():
    frame = objects_frame([
        ("train", "a", "dog", False, 0.5), ("train", "a", "dog", False, 0.3), ("train", "a", "person", True, 0.1),
        ("val", "b", "person", False, 0.4), ("val", "c", "cat", True, 0.2), ("test", "d", "dog", False, 0.9)])
    table = reference.voc07_class_comparison(frame)
    assert list(table.index) == list(VOC_CLASSES)
    assert table.loc["dog", "ours: images"] == 1 and table.loc["dog", "ours: objects"] == 2  # test split ignored
    assert table.loc["person", "ours: objects"] == 1 and table.loc["cat", "ours: objects"] == 0
    assert table.loc["dog", "ours: % images"] == pytest.approx(100 / 3)  # 3 trainval images in all
    assert table.loc["dog", "ours: % objects"] == pytest.approx(200 / 3)  # 3 non-difficult objects in all
    assert table.loc["person", "ours: difficult %"] == pytest.approx(50)
    assert table.loc["dog", "ours: median size"] == pytest.approx(0.4)
    assert table["real: objects"].sum() == 12_608
    assert table.loc["person", "real: % images"] == pytest.approx(100 * 2008 / 5011)
    assert table["ours: images"].loc[["aeroplane", "sofa"]].eq(0).all()  # absent classes are zeros, not NaN
    with pytest.raises(DataError, match="voc07"):
        reference.voc07_class_comparison(frame[frame["split"] == "test"])


def test_variant_comparison_ratios():
    stats = pd.DataFrame({"classes": [10, 10, 15, 15], "train_images": [1000, 750, 1500, 1500]},
                         index=pd.Index(["1000C", "1000R", "1512", "1512D"], name="variant"))
    table = reference.variant_comparison(stats)
    assert table.loc["1000R", "ours: images / 1000C"] == pytest.approx(0.75)
    assert table.loc["1512", "ours: classes / 1000C"] == pytest.approx(1.5)
    assert table.loc["1512", "paper: images / 1000C"] == pytest.approx(1.6 / 1.2)
    assert table.loc["1512", "paper: images / class"] == pytest.approx(1_600_000 / 1512)
    assert pd.isna(table.loc["1512D", "paper: classes"])  # our control: no paper row


def test_world_tables_match_the_files(world):
    devkit = world / "VOCdevkit" / "VOC2007"
    test_ids = (devkit / "ImageSets" / "Main" / "test.txt").read_text().split()
    kept = sum(obj.findtext("difficult") == "0" for i in test_ids
               for obj in ET.parse(devkit / "Annotations" / f"{i}.xml").getroot().iter("object"))
    table = reference.dataset_comparison(world)
    row = table.loc[("VOC 2007", "test")]
    assert row["ours: images"] == len(test_ids) and row["ours: objects"] == kept
    assert row["real / ours images"] == pytest.approx(4_952 / len(test_ids))
    subsets = json.loads((world / "source_subsets.json").read_text())
    assert table.loc[("ILSVRC-2012", "train"), "ours: images"] == subsets["counts"]["1000C"]["train_images"]
    assert table.loc[("VOC 2012 Action", "test"), "ours: classes"] <= 10  # "other" is not an action class
    targeted = reference.targeted_comparison(world)
    added = set(subsets["1512"]) - set(subsets["1000C"])
    assert targeted.loc["total", "ours: added classes"] == len(added) > 0  # every added leaf is under a target
    assert targeted.loc["total", "ours: % of added"] == pytest.approx(100)
    assert list(reference.variant_comparison(source_statistics(world)).index) == ["1000C", "1000R", "1512", "1512D"]


def test_figure_helpers_draw_the_statistics(world):
    voc07 = object_table(world, "voc07")
    for fig in (figures.class_share_figure(reference.voc07_class_comparison(voc07)),
                figures.object_size_figure({"VOC 2007 analog": voc07, "COCO analog": object_table(world, "coco")})):
        assert len(fig.axes) == 2
        plt.close(fig)
    hard_images = voc07.loc[(voc07["split"] == "test") & voc07["difficult"], "image_id"].nunique()
    fig = figures.scene_grid(world, "2007", "test", n=4, with_difficult=2)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == 4 and sum("difficult" in t for t in titles) >= min(2, hard_images)
    plt.close(fig)
    fig = figures.source_grid(world, per_row=3)
    assert len(fig.axes) == 1 and fig.axes[0].images  # one montage
    plt.close(fig)
