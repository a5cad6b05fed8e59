"""Tests for oquab_lib.cvpr14.actions.tables (CVPR'14 Table 3) on the VOC2012 action fixture tree (smoke-size nets)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from oquab_lib import cache, config
from oquab_lib.cvpr14.actions import figures as H
from oquab_lib.cvpr14.actions import samples as S
from oquab_lib.cvpr14.actions import tables as A
from oquab_lib.cvpr14.actions.config import ActionsConfig
from oquab_lib.cvpr14.actions.config import config as actions_config
from oquab_lib.data.classes import VOC_ACTIONS
from oquab_lib.errors import ConfigError
from oquab_lib.models import build_alexnet
from tests.fixtures import write_voc_actions

pytestmark = pytest.mark.usefixtures("one_thread")


SMOKE_SIZE = 37  # round(32 * 256 / 224): the stored patch side of the smoke AlexNet


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    parent = tmp_path_factory.mktemp("voc")
    write_voc_actions(parent)
    return parent


@pytest.fixture(scope="module")
def sources():
    return {seed: build_alexnet("smoke", 5, 1.5, seed=100 + seed).eval() for seed in (0, 1)}


def _run(root, runs_dir, **overrides):
    # The fixture has no action test split: train on "train", test on "train" too (every person is then in the test
    # store, including the multi-action one that training skips).
    base = {"actions.train_split": "train", "actions.test_split": "train"}
    base.update({f"actions.{k}": v for k, v in overrides.items()})
    return config.resolve("smoke", data_root=root, device="cpu", runs_dir=runs_dir, overrides=base)


def _coordinate_image(height, width):
    """float [3, H, W] whose pixels are distinct multiples of 1/255 (exact through the uint8 patch store)."""
    values = torch.arange(3 * height * width).reshape(3, height, width) % 251
    return values.float() / 255


# ------------------------------------------------------------------------------------------------------- samples
def test_person_patch_is_the_square_centred_on_the_box():
    image = _coordinate_image(20, 40)
    # box 6 wide, 10 tall: the square (side 10) keeps the centre x = 13 -> columns 8..17, rows 5..14
    patch, padded = S.person_patch(image, torch.tensor([10.0, 5.0, 16.0, 15.0]), size=10)
    assert not padded and patch.dtype == torch.uint8
    assert torch.equal(patch, (image[:, 5:15, 8:18] * 255).round().to(torch.uint8))


def test_person_patch_mirror_pads_where_the_square_leaves_the_image():
    image = _coordinate_image(20, 40)
    # box 4 wide, 10 tall at the left border: the square spans x in [-3, 7), 3 columns are mirrored
    patch, padded = S.person_patch(image, torch.tensor([0.0, 0.0, 4.0, 10.0]), size=10)
    expected = F.pad(image[None], (3, 0, 0, 0), mode="reflect")[0][:, 0:10, 0:10]
    assert padded
    assert torch.equal(patch, (expected * 255).round().to(torch.uint8))
    assert torch.equal(patch[:, :, 2], patch[:, :, 4])  # reflection around the image's first column (index 3 here)


def test_person_patches_of_the_fixture_split(root):
    store = S.person_patches(root, "train", SMOKE_SIZE, progress=False)
    assert store.images.shape == (3, 3, SMOKE_SIZE, SMOKE_SIZE) and store.labels.shape == (3, 10)
    assert store.image_ids == ["2010_000002", "2010_000003", "2010_000003"]
    # person 1: square of side 43 around (24.5, 24.5) fits in 56x48; persons 2 and 3 (64x48 image): squares of side
    # 45 around x = 14.5 and 43 around x = 45.5 leave it on the left and on the right
    assert store.padded.tolist() == [False, True, True]
    assert torch.equal(store.boxes[1], torch.tensor([1.0, 1.0, 28.0, 46.0]))


def test_multi_action_persons_are_excluded_from_training_but_kept_for_test(root, tmp_path):
    store = S.cached_person_patches(root, tmp_path, "train", SMOKE_SIZE, progress=False)
    positives = (store.labels == 1).sum(dim=1)
    assert positives.tolist() == [1, 2, 1]  # phoning + walking on the second person
    targets = S.training_labels(store.labels)
    assert targets.tolist() == [VOC_ACTIONS.index("jumping"), -1, VOC_ACTIONS.index("running")]
    assert len(store.labels) == 3  # the test store keeps every person


def test_training_labels_other_persons():
    labels = torch.tensor([[-1] * 10, [1] + [-1] * 9, [1, 1] + [-1] * 8, [0] + [-1] * 8 + [1]], dtype=torch.int8)
    assert S.training_labels(labels).tolist() == [-1, 0, -1, 9]
    assert S.training_labels(labels, other_class=True).tolist() == [10, 0, -1, 9]


def test_views_cover_the_grid_and_flip():
    views = S.view_table(37, 32, 3)
    assert views.shape == (18, 3)
    assert sorted(set(views[:, 0].tolist())) == [0, 2, 5] and views[:, 2].sum() == 9
    patches = torch.arange(2 * 3 * 37 * 37).reshape(2, 3, 37, 37).remainder(256).to(torch.uint8)
    out = S.crop_views(patches, torch.tensor([[5, 0, 1], [0, 5, 0]]), 32, (0, 0, 0), (1, 1, 1))
    assert torch.equal(out[0], patches[0, :, 5:37, 0:32].flip(-1).float() / 255)
    assert torch.equal(out[1], patches[1, :, 0:32, 5:37].float() / 255)


# -------------------------------------------------------------------------------------------------------- models
def _train(root, tmp_path, method, source, **cfg_changes):
    run = _run(root, tmp_path)
    cfg = dataclasses.replace(actions_config(run), **cfg_changes)
    store = S.cached_person_patches(root, tmp_path, "train", SMOKE_SIZE, progress=False)
    net, history, _ = A.train_action_net(cfg, method, source, 0, store, "cpu", tmp_path / method, progress=False)
    return net, history


def _same(module_a, module_b):
    return all(torch.equal(a, b) for a, b in zip(module_a.state_dict().values(), module_b.state_dict().values()))


def test_only_pre1512u_changes_fc6_fc7(root, tmp_path, sources):
    source = sources[0]
    frozen, _ = _train(root, tmp_path, "PRE-1512", source)
    unfrozen, _ = _train(root, tmp_path, "PRE-1512U", source)
    assert _same(frozen.features, source.features) and _same(unfrozen.features, source.features)
    assert _same(frozen.fc67, source.fc67)
    assert not torch.equal(unfrozen.fc67[1].weight, source.fc6.weight)
    assert not torch.equal(unfrozen.fc67[4].weight, source.fc7.weight)
    initial_head = A.build_action_net("PRE-1512", source, 10, (32,), 0).head
    assert not _same(frozen.head, initial_head) and not _same(unfrozen.head, initial_head)
    assert {n for n, p in frozen.named_parameters() if p.requires_grad} == {
        "head.fca1.weight", "head.fca1.bias", "head.fcb.weight", "head.fcb.bias"}


def test_no_pretrain_trains_every_layer_from_random_init(root, tmp_path, sources):
    initial = A.build_action_net("NO PRETRAIN", sources[0], 10, (32,), 0)
    assert not torch.equal(initial.features[0].weight, sources[0].features[0].weight)  # not the source's weights
    assert initial.fc67[4].weight.shape == sources[0].fc7.weight.shape  # the same (widened) network
    # He init (as the source nets): zero biases; PyTorch's default init has uniform nonzero ones
    assert not initial.features[0].bias.any()
    assert A.build_action_net("NO PRETRAIN", sources[0], 10, (32,), 0, scratch_init="default").features[0].bias.any()
    no_dropout_source = build_alexnet("smoke", 5, 1.5, dropout=0.0, seed=3)
    assert A.build_action_net("NO PRETRAIN", no_dropout_source, 10, (32,), 0).fc67[0].p == 0.0  # the source's recipe
    trained, _ = _train(root, tmp_path, "NO PRETRAIN", sources[0])
    assert all(p.requires_grad for p in trained.parameters())
    assert not torch.equal(trained.features[0].weight, initial.features[0].weight)
    assert not torch.equal(trained.fc67[1].weight, initial.fc67[1].weight)


def test_cached_features_train_like_the_trunk_on_the_fly(root, tmp_path, sources):
    cached, history_cached = _train(root, tmp_path / "a", "PRE-1512U", sources[0], cache_features=True)
    direct, history_direct = _train(root, tmp_path / "b", "PRE-1512U", sources[0], cache_features=False)
    assert [r["loss"] for r in history_cached] == pytest.approx([r["loss"] for r in history_direct], rel=1e-5)
    for a, b in zip(cached.state_dict().values(), direct.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-5)


# --------------------------------------------------------------------------------------------------- entry point
def test_table3_columns_rows_and_determinism(root, tmp_path, sources, capsys):
    first = A.table3(_run(root, tmp_path / "one"), sources=sources, progress=False)
    assert list(first.columns) == [*VOC_ACTIONS, "mAP"]
    assert first.index.names == ["method", "seed"]
    assert list(first.index) == [(m, s) for m in A.METHODS for s in (0, 1)]
    present = ["jumping", "phoning", "running", "walking"]  # the actions with a positive in the test split
    assert first[present].notna().all().all() and first.drop(columns=present + ["mAP"]).isna().all().all()
    assert ((first[present] >= 0) & (first[present] <= 100)).all().all()
    assert first["mAP"].tolist() == pytest.approx(first[present].mean(axis=1).tolist())
    second = A.table3(_run(root, tmp_path / "two"), sources=sources, progress=False)
    pd.testing.assert_frame_equal(first, second)
    A.table3(_run(root, tmp_path / "one"), sources=sources, progress=True)
    assert "cache hit" in capsys.readouterr().out
    metas = [cache.load_json(p) for p in sorted((tmp_path / "one").glob("actions-*-s0-*/meta.json"))]
    assert [(m["trained_persons"], m["test_persons"]) for m in metas] == [(2, 3)] * 3


def test_heatmaps_tile_the_whole_image(root, tmp_path, sources):
    run = _run(root, tmp_path, heatmap_images=2)
    maps = H.action_heatmaps(run, method="PRE-1512", sources=sources)
    assert [m["image_id"] for m in maps] == ["2010_000002", "2010_000003"]
    heat = maps[1]["heat"]
    assert heat.shape == (10, 48, 64) and maps[1]["scores"].shape == (10,)
    assert torch.all((heat > 0) & (heat < 1))  # every pixel covered by tiles; softmax posteriors
    assert maps[1]["actions"] == ["phoning", "running", "walking"]
    figure = H.heatmap_figure(maps, top=2)
    assert len(figure.axes) == 2 * 3


def test_config_keys_of_every_profile_and_unknown_key(root):
    for profile in config.PROFILE_NAMES:
        data_root = root if profile == "full" else None  # full checks that data_root is a VOCdevkit
        run = config.resolve(profile, data_root=data_root, device="cpu")
        cfg = actions_config(run)
        assert cfg.methods == A.METHODS and len(cfg.seeds) >= 2
        # every parameter is listed, so that a notebook can override it ("actions.<name>")
        assert set(run.section("actions")) == {f.name for f in dataclasses.fields(ActionsConfig)}
    run = config.resolve("smoke", device="cpu")
    bad = dataclasses.replace(run, sections={**run.sections, "actions": {"epoch": 3}})
    with pytest.raises(ConfigError, match="actions.epoch: unknown parameter"):
        actions_config(bad)
    with pytest.raises(ConfigError, match="actions.methods"):
        ActionsConfig(methods=("PRE-1000C",))


@pytest.mark.slow
def test_unavailable_torchvision_weights_skip_the_pretrained_rows(root, tmp_path, monkeypatch, capsys):
    # no file at torch's default place and none named: the rows are skipped (a named bad file stops the run instead,
    # tests/test_weights_files.py)
    monkeypatch.setattr(A, "default_weights_path", lambda: tmp_path / "nowhere" / "alexnet-owt-7be5be79.pth")
    run = _run(root, tmp_path, source_weights="torchvision", methods=("PRE-1512", "PRE-1512U"))
    table = A.table3(run, progress=False)
    assert "PRE-1512 / PRE-1512U rows skipped: no AlexNet ImageNet weights at" in capsys.readouterr().out
    assert table.empty and list(table.columns) == [*VOC_ACTIONS, "mAP"]
    assert H.action_heatmaps(run, method="PRE-1512") == []
