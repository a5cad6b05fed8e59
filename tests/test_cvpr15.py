"""CVPR'15 training and testing: multi-scale averaging, point mapping at the test scale, exact resume, the D/E/F
entry points, the patch-head initialisation, and that model selection never reads the test split."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from oquab_lib import cache
from oquab_lib.config import Run, profile_sections
from oquab_lib.cvpr15 import data as cvpr15_data
from oquab_lib.cvpr15 import results as cvpr15_results
from oquab_lib.cvpr15 import tables as cvpr15_eval
from oquab_lib.cvpr15 import train as cvpr15
from oquab_lib.cvpr15.config import PAPER_TEST_SCALES, Cvpr15Config
from oquab_lib.cvpr15.config import config as cvpr15_config
from oquab_lib.cvpr15.data import (
    WeakBatches,
    load_image_set,
    scaled_shape,
    train_val_split,
)
from oquab_lib.cvpr15.predict import predict
from oquab_lib.cvpr15.results import cached_predictions
from oquab_lib.cvpr15.tables import (
    LOCATION_METHODS,
    METHODS,
    ablation_claims,
    ablation_summary,
    ablation_variants,
    coco_classification_table,
    frame_factors,
    headline_table,
    location_aps,
    location_table,
    per_method,
    voc_classification_table,
)
from oquab_lib.cvpr15.train import (
    build_weak_net,
    init_from_patch_head,
    init_prior_bias,
    snapshot_steps,
    train_weak,
)
from oquab_lib.data.classes import VOC_CLASSES
from oquab_lib.errors import ConfigError
from oquab_lib.models import TransferHead, build_alexnet
from oquab_lib.weak_net import score_geometry
from tests.fixtures import write_coco, write_vocdevkit

CLASSES = ("car", "dog", "person", "horse")


def _records(count: int, split: str, seed: int) -> list[dict]:
    """Images with one or two boxes of a few classes, sizes in two aspect ratios (two size groups)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        width, height = ((64, 48), (48, 64))[i % 2]
        objects = []
        for k in range(1 + i % 2):
            x1, y1 = int(rng.integers(1, width // 2)), int(rng.integers(1, height // 2))
            box = (x1, y1, x1 + int(rng.integers(10, width // 2)), y1 + int(rng.integers(10, height // 2)))
            objects.append((CLASSES[(i + k) % len(CLASSES)], box, 0, 0))
        out.append({"id": f"2012_{split}{i:04d}", "split": split, "size": (width, height), "objects": objects})
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("voc")
    write_vocdevkit(root, "2012", _records(10, "train", 0) + _records(6, "val", 1))
    write_coco(root / "coco", "train")
    write_coco(root / "coco", "val")
    source_dir = root / "source-entry"
    net = build_alexnet("smoke", 7, fc_width_mult=1.5, seed=0)
    cache.save_state_dict(source_dir / "weights.pt", net.state_dict())
    cache.save_json(source_dir / "meta.json", {"arch": "smoke", "num_classes": 7, "fc_width_mult": 1.5})
    return root


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _run(world, tmp_path, **changes) -> Run:
    sections = profile_sections("smoke")
    sections["cvpr15"].update(dict(source_entry=str(world / "source-entry"), image_size=40, test_split="val",
                                   val_fraction=0.3, seeds=(0,), epochs=2, batch_size=4, threads=1), **changes)
    return Run("smoke", world, "cpu", 0, tmp_path / "runs", sections)


def _cfg(run: Run) -> Cvpr15Config:
    return cvpr15_config(run)


def test_config_rejects_unknown_keys_and_bad_values():
    with pytest.raises(ConfigError, match="cvpr15.hiden"):
        Cvpr15Config.from_section({"hiden": 3})
    with pytest.raises(ConfigError, match="pooling"):
        Cvpr15Config(pooling="median")
    with pytest.raises(ConfigError, match="train_scales"):
        Cvpr15Config(train_scales=(1.4, 0.7))


def test_weak_batches_share_a_size_respect_the_range_and_replay_from_the_generator(world):
    images = load_image_set(str(world), "voc", "train", 40, progress=False)
    loader = WeakBatches(images, range(len(images)), 3, (0.7, 1.4), 32, (0.5,) * 3, (0.25,) * 3, seed=5)
    state = loader.generator.get_state()
    first = list(loader)
    assert len(first) == len(loader) == 4  # two size groups of 5 images, batches of <= 3
    for images_batch, labels in first:
        assert min(images_batch.shape[-2:]) >= 32 and max(images_batch.shape[-2:]) <= round(40 * 1.4) + 1
        assert labels.shape == (images_batch.shape[0], 20)
    assert len({tuple(x.shape[-2:]) for x, _ in first}) > 1  # a factor per batch
    loader.generator.set_state(state)
    replay = list(loader)
    assert all(torch.equal(a, c) and torch.equal(b, d) for (a, b), (c, d) in zip(first, replay))
    whole = WeakBatches(images, range(len(images)), 4, (1, 1), 32, (0.5,) * 3, (0.25,) * 3, whole_image=True)
    assert {tuple(x.shape[-2:]) for x, _ in whole} == {(32, 32)}


def test_scaled_shape_never_goes_below_the_input_size():
    assert scaled_shape(40, 60, 1.0, 32) == (40, 60)
    assert scaled_shape(40, 60, 0.5, 32) == (32, 48)  # factor raised to 0.8 so the short side is 32
    assert train_val_split(10, 0.3) == (list(range(7)), [7, 8, 9])


def test_multiscale_scores_are_the_average_of_single_scale_scores(world):
    images = load_image_set(str(world), "voc", "val", 40, progress=False)
    net = build_weak_net(build_alexnet("smoke", 7, 1.5, seed=1), Cvpr15Config(hidden=8), 20, seed=2)
    both = predict(net, images, (0.8, 1.5), progress=False)
    one, two = (predict(net, images, (s,), progress=False) for s in (0.8, 1.5))
    torch.testing.assert_close(both.scores, (one.scores + two.scores) / 2)
    # the point of each class comes from the scale with the larger pooled score
    from_two = two.scores > one.scores
    expected = torch.where(from_two[..., None], two.points, one.points)
    torch.testing.assert_close(both.points, expected)
    assert torch.equal(both.scale_index, from_two.long())


def test_points_are_the_argmax_cell_mapped_through_the_test_scale(world):
    images = load_image_set(str(world), "voc", "val", 40, progress=False).subset([0])
    net = build_weak_net(build_alexnet("smoke", 7, 1.5, seed=1), Cvpr15Config(hidden=8), 20, seed=2)
    stride, offset = score_geometry(net)

    class Peak(torch.nn.Module):  # class 3 peaks at the last cell, higher on larger maps (= at the larger scale)
        def forward(self, x):
            maps = torch.zeros(x.shape[0], 20, *x.shape[-2:])
            maps[:, 3, -1, -1] = x.shape[-1]
            return maps

    net.adaptation = Peak()
    pred = predict(net, images, (1.0, 2.0), progress=False)
    height, width = scaled_shape(*images.images[0].shape[-2:], 2.0, 32)
    rows, cols = (height - 32) // 16 + 1, (width - 32) // 16 + 1  # the smoke net's map at that input size
    orig_w, orig_h = images.sizes[0].tolist()
    assert pred.scale_index[0, 3] == 1
    x, y = pred.points[0, 3].tolist()
    assert x == pytest.approx((offset + (cols - 1) * stride) * orig_w / width, rel=1e-5)
    assert y == pytest.approx((offset + (rows - 1) * stride) * orig_h / height, rel=1e-5)


def test_snapshot_steps_follow_the_paper_fractions():
    assert snapshot_steps(20 * 5717) == [210, 510, 4200]
    assert snapshot_steps(100) == [1, 4]  # 0.18 % and 0.45 % both round to >= 1 step; 3.7 % -> 4
    assert all(s < 10 for s in snapshot_steps(10))


def test_init_from_patch_head_makes_every_cell_the_head_log_odds():
    source = build_alexnet("smoke", 7, 1.5, seed=0)
    net = build_weak_net(source, Cvpr15Config(hidden=8), 20, seed=1).eval()
    head = TransferHead(source.fc7.out_features, 21, (8,)).eval()
    init_from_patch_head(net, head)
    fc7 = torch.rand(1, source.fc7.out_features, 1, 1)
    with torch.no_grad():
        maps = net.adaptation(fc7)[0, :, 0, 0]
        logits = head(fc7[:, :, 0, 0])[0]
    torch.testing.assert_close(maps, logits[:20] - logits[20])
    with pytest.raises(ConfigError, match="do not fit"):
        init_from_patch_head(net, TransferHead(source.fc7.out_features, 21, (9,)))


def test_prior_bias_starts_each_class_at_its_training_log_odds_ignoring_difficult_only_labels():
    net = build_weak_net(build_alexnet("smoke", 7, 1.5, seed=0), Cvpr15Config(hidden=8), 3, seed=1)
    labels = torch.tensor([[1, -1, 0], [1, -1, 0], [-1, -1, 1], [-1, -1, 0]], dtype=torch.int8)
    init_prior_bias(net, labels)
    bias = net.score_conv.bias
    # class 0: 2 of 4 positive -> 0; class 1: none -> clamped at 1e-3; class 2: 1 of 1 known -> clamped at 1 - 1e-3
    torch.testing.assert_close(bias, torch.tensor([0.0, math.log(1e-3 / 0.999), math.log(0.999 / 1e-3)]))
    with torch.no_grad():  # the score conv of a silent hidden layer outputs the priors
        torch.testing.assert_close(net.score_conv(torch.zeros(1, 8, 3, 3))[0, :, 1, 1], bias)


def test_model_selection_reads_only_the_training_split(world, tmp_path, monkeypatch):
    run = _run(world, tmp_path)
    loaded = []
    real = cvpr15_data._records

    def spy(data_root, dataset, split, year):
        loaded.append(split)
        return real(data_root, dataset, split, year)

    monkeypatch.setattr(cvpr15_data, "_records", spy)
    result = train_weak(run, _cfg(run), "weak", "voc", 0, progress=False)
    assert set(loaded) == {"train"}
    train_ids = set(load_image_set(str(world), "voc", "train", 40, progress=False).ids)
    assert set(result.meta["val_ids"]) <= train_ids and not set(result.meta["val_ids"]) & set(result.meta["train_ids"])
    assert {"loss", "lr", "val_mAP"} <= set(result.history.columns) and len(result.history) == 2
    assert result.meta["best_val_mAP"] == pytest.approx(result.history["val_mAP"].max())


class _Killed(Exception):
    pass


def test_interrupted_training_resumes_to_the_same_weights(world, tmp_path, monkeypatch):
    run_a = _run(world, tmp_path / "a", epochs=3)
    straight = train_weak(run_a, _cfg(run_a), "weak", "voc", 0, snapshots=True, progress=False)
    import oquab_lib.train as train_module

    real_epoch, calls = train_module.train_one_epoch, []

    def dies_in_epoch_three(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise _Killed
        return real_epoch(*args, **kwargs)

    run_b = _run(world, tmp_path / "b", epochs=3)
    monkeypatch.setattr(train_module, "train_one_epoch", dies_in_epoch_three)
    with pytest.raises(_Killed):
        train_weak(run_b, _cfg(run_b), "weak", "voc", 0, snapshots=True, progress=False)
    monkeypatch.setattr(train_module, "train_one_epoch", real_epoch)
    torch.manual_seed(1234)  # a new process: the checkpoint must restore every random state
    resumed = train_weak(run_b, _cfg(run_b), "weak", "voc", 0, snapshots=True, progress=False)
    a, b = (cache.load_state_dict(r.entry / "weights.pt") for r in (straight, resumed))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert straight.history["val_mAP"].tolist() == resumed.history["val_mAP"].tolist()
    assert straight.snapshot_paths().keys() == resumed.snapshot_paths().keys() and straight.snapshot_paths()


def test_classification_table_has_rows_d_e_f_and_caches(world, capsys):
    run = _run(world, world / "shared")
    table = voc_classification_table(run, progress=False)
    assert list(table.columns) == ["method", "seed", *VOC_CLASSES, "mAP"]
    assert table["method"].tolist() == list(METHODS.values())
    present = [c for c in VOC_CLASSES if c in CLASSES]
    assert table[present].notna().all().all() and table.drop(columns=[*present, "method", "seed", "mAP"]).isna().all().all()
    assert table["mAP"].between(0, 100).all()
    assert np.allclose(table["mAP"], table[present].mean(axis=1))
    assert set(per_method(table)) == set(METHODS.values())
    again = voc_classification_table(run, progress=True)
    assert "cache miss" not in capsys.readouterr().out
    assert again.equals(table)


def test_cached_c5_predictions_equal_the_whole_net(world):
    run = _run(world, world / "shared", test_scales=(0.8, 1.0, 1.5))
    cfg = _cfg(run)
    result = train_weak(run, cfg, "weak", "voc", 0, progress=False)
    net = cvpr15.load_weak_net(run, cfg, result)
    images = load_image_set(str(world), "voc", "val", 40, progress=False)
    for scales in ((0.8, 1.0, 1.5), (1.0,)):
        direct = predict(net, images, scales, progress=False)
        store = cvpr15_results.c5_store(run, cfg, 0, "voc", "val", scales, progress=False)
        assert store is not None and {b.scale_index for b in store} == set(range(len(scales)))
        cached = cached_predictions(run, cfg, result, "val", scales=scales, progress=False)
        torch.testing.assert_close(cached.scores, direct.scores, rtol=0, atol=1e-6)
        assert torch.equal(cached.points, direct.points)
        assert len(cached.boxes) == len(images) and all(torch.equal(a, b) for a, b in zip(cached.boxes, images.boxes))
    assert cvpr15_results.c5_store(run, cfg, 0, "voc", "val", (2.0,), progress=False) is None  # not a test scale


def test_full_image_predictions_are_single_scale(world):
    run = _run(world, world / "shared")
    result = train_weak(run, _cfg(run), "full_images", "voc", 0, progress=False)
    pred = cached_predictions(run, _cfg(run), result, "val", progress=False)
    assert pred.scores.shape == (6, 20) and torch.equal(pred.scale_index, torch.zeros(6, 20, dtype=torch.long))


def test_location_frame_rescales_to_the_largest_side():
    sizes = torch.tensor([[160.0, 120.0], [120.0, 160.0], [500.0, 375.0]], dtype=torch.float64)
    assert frame_factors(sizes, 500).tolist() == pytest.approx([500 / 160, 500 / 160, 1.0])
    assert frame_factors(sizes, None).tolist() == [1.0, 1.0, 1.0]
    assert math.isclose(18 / frame_factors(sizes, 500)[0].item(), 5.76)


def test_location_aps_apply_the_tolerance_in_the_location_frame():
    sizes = torch.tensor([[160.0, 120.0], [160.0, 120.0]], dtype=torch.float64)
    boxes = [torch.tensor([[10.0, 10.0, 30.0, 30.0, 0.0]]), torch.tensor([[100.0, 50.0, 140.0, 90.0, 0.0]])]
    labels = torch.tensor([[1], [1]], dtype=torch.int8)
    scores = torch.tensor([[2.0], [1.0]])
    pred = cvpr15_results.SplitPrediction(scores, None, None, labels, boxes, sizes, ["a", "b"])
    points = torch.tensor([[[35.0, 20.0]], [[145.0, 70.0]]])  # 5 px outside each box: inside 18 * 160/500 = 5.76
    assert location_aps(points, pred, Cvpr15Config(location_frame=500)).tolist() == [1.0]
    far = torch.tensor([[[37.0, 20.0]], [[145.0, 70.0]]])  # 7 px outside: a miss for the top-ranked point
    assert location_aps(far, pred, Cvpr15Config(location_frame=500))[0] == pytest.approx(0.25)  # hit ranked 2nd
    assert location_aps(far, pred, Cvpr15Config(location_frame=None)).tolist() == [1.0]  # 18 original px


def test_location_and_coco_tables(world):
    run = _run(world, world / "shared", seeds=(0, 1))
    location = location_table(run, progress=False)
    assert list(location.columns[:3]) == ["dataset", "method", "seed"] and location.columns[-1] == "mAP"
    assert location.groupby("dataset", sort=False)["method"].unique().map(list).tolist() == [
        list(LOCATION_METHODS), list(LOCATION_METHODS[:3])]
    assert location["mAP"].between(0, 100).all() and len(location) == 2 * (4 + 3)
    coco = coco_classification_table(run, progress=False)
    assert coco.shape == (2, 2 + 80 + 1) and coco["mAP"].notna().all()
    headline = headline_table(location, coco)
    assert cvpr15_eval.coco_unavailable(run, _cfg(run)) is None
    assert list(headline.index) == ["Location prediction mAP, VOC 2012 val", "Location prediction mAP, MS COCO val",
                                    "MS COCO val classification mAP"]
    assert headline["seeds"].tolist() == [2, 2, 2]


def test_ablations_put_the_paper_setting_first_and_pair_it_with_each_alternative():
    variants = ablation_variants(Cvpr15Config())
    assert [v[0] for v in variants].count("pooling") == 3
    assert variants[0][3] == PAPER_TEST_SCALES and variants[1][3] == (1.0,)
    assert variants[3][2].train_scales == (1.0, 1.0) and variants[5][2].pooling == "avg"
    table = pd.DataFrame([{"ablation": a, "setting": s, "seed": seed, "classification mAP": m + seed,
                           "location mAP": 2 * m} for a, s, m in (("pool", "max", 50), ("pool", "avg", 40),
                                                                    ("pool", "lse", 45)) for seed in (0, 1)])
    claims = list(ablation_claims(table))
    assert [(a, s) for a, s, _, _ in claims] == [("pool", "avg"), ("pool", "lse")]
    assert claims[0][2].tolist() == [50, 51] and claims[0][3].tolist() == [40, 41]
    summary = ablation_summary(table)
    assert summary.loc[("pool", "lse"), "classification mAP"] == 45.5 and summary["seeds"].tolist() == [2, 2, 2]


def test_missing_coco_is_skipped_with_a_reason(world, tmp_path, capsys):
    run = Run("smoke", tmp_path, "cpu", 0, tmp_path / "runs", profile_sections("smoke"))
    reason = cvpr15_eval.coco_unavailable(run, _cfg(run))
    assert reason and "instances_train.json" in reason
    table = coco_classification_table(run, progress=False)
    assert table.empty and list(table.columns) == ["method", "seed", "mAP"]
    assert "COCO rows skipped" in capsys.readouterr().out


def test_seeds_in_two_processes_give_the_serial_table(world, tmp_path):
    serial = voc_classification_table(_run(world, tmp_path / "a", seeds=(0, 1)), kinds=("weak",), progress=False)
    parallel = voc_classification_table(_run(world, tmp_path / "b", seeds=(0, 1), workers=2), kinds=("weak",),
                                        progress=False)
    pd.testing.assert_frame_equal(serial, parallel)


def test_ground_truth_packs_boxes_and_unpacks_them_per_image_even_when_empty(tmp_path):
    from types import SimpleNamespace

    boxes = [torch.tensor([[1.0, 2.0, 3.0, 4.0, 5.0]]), torch.zeros(0, 5), torch.rand(3, 5)]
    images = SimpleNamespace(labels=torch.ones(3, 2), boxes=boxes, sizes=torch.ones(3, 2), ids=["a", "b", "c"])
    prediction = dict(scores=torch.zeros(3, 2), points=torch.zeros(3, 2, 2), scale_index=torch.zeros(3, 2))
    cache.save_state_dict(tmp_path / "p.pt", {**prediction, **cvpr15_results.ground_truth(images)})
    loaded = cvpr15_results._unpack(cache.load_state_dict(tmp_path / "p.pt"))
    assert [b.shape[0] for b in loaded.boxes] == [1, 0, 3]
    assert all(torch.equal(a, b) for a, b in zip(loaded.boxes, boxes)) and loaded.ids == ["a", "b", "c"]


def test_comparisons_for_the_verdicts_are_indexed_by_seed():
    from oquab_lib.cvpr15.tables import ablation_comparisons, location_comparisons, seed_values

    table = pd.DataFrame([{"ablation": "pool", "setting": s, "seed": seed, "classification mAP": m + seed}
                          for s, m in (("max", 50), ("avg", 40)) for seed in (1, 0)])
    (claim, paper, other), = ablation_comparisons(table)
    assert claim == "pool: the paper's choice beats avg"
    assert paper.to_dict() == {1: 51, 0: 50} and other.to_dict() == {1: 41, 0: 40}
    assert seed_values(table, "classification mAP", setting="none").empty
    location = pd.DataFrame([{"dataset": d, "method": m, "seed": 0, "mAP": v} for d, m, v in (
        ("VOC 2012 val", "weak net (ours)", 30.0), ("VOC 2012 val", "image centre", 20.0),
        ("COCO val", "weak net (ours)", 10.0), ("COCO val", "image centre", 12.0))])
    voc, coco = location_comparisons(location)
    assert voc[0].endswith("(VOC 2012 val): beats the image centre") and voc[1].tolist() == [30.0]
    assert coco[2].tolist() == [12.0] and coco[3] == "41.2 location mAP (no baseline given)"
