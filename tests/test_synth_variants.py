"""Context-only / object-only renders (data.synth.variants, scenes.compose_scene modes) and the context-vs-object
table (cvpr15.context) at smoke size."""

import hashlib
import math

import numpy as np
import pytest
from PIL import Image

from oquab_lib.config import resolve
from oquab_lib.cvpr15 import context
from oquab_lib.data.synth import ensure_world
from oquab_lib.data.synth.render_jobs import item_rng
from oquab_lib.data.synth.scenes import compose_scene
from oquab_lib.data.synth.taxonomy import VOC_BINDING, build_taxonomy
from oquab_lib.data.synth.variants import ensure_variant, variant_root
from oquab_lib.data.synth.world_config import WorldConfig
from oquab_lib.data.voc import parse_annotation
from oquab_lib.errors import ConfigError, DataError
from tests.fixtures import write_vocdevkit


def file_hashes(root, skip=()):
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.relative_to(root).parts[0] not in skip}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return ensure_world(tmp_path_factory.mktemp("w") / "miniworld-smoke", "smoke", seed=0, workers=1, verbose=False)


def _renders(tax, cfg, index):
    """The three renders of one VOC 2012 scene plan, before JPEG: {mode: (uint8 [H, W, 3], records)}."""
    vocab, knobs = set(VOC_BINDING.values()), cfg.knobs()
    return {mode: (lambda out: (np.asarray(out[0]), out[1]))(
        compose_scene(tax, vocab, item_rng(0, "voc12", index, 0), cfg, knobs, mode=mode))
        for mode in ("full", "context", "object")}


def test_modes_remove_exactly_the_vocabulary_objects():
    cfg = WorldConfig.from_any("smoke")
    tax, vocab = build_taxonomy(cfg, 0), set(VOC_BINDING.values())
    for index in range(6):
        renders = _renders(tax, cfg, index)
        (full, records), (ctx, ctx_records), (obj, obj_records) = (renders[m] for m in ("full", "context", "object"))
        assert ctx_records == records == obj_records  # same plan, same random numbers
        inside = np.zeros(full.shape[:2], bool)
        for r in records:
            if r.concept in vocab:
                inside[r.box[1]:r.box[3] + 1, r.box[0]:r.box[2] + 1] = True
        changed = (full != ctx).any(-1)  # the pixels the vocabulary's objects covered
        if any(r.concept in vocab for r in records):
            assert changed.any()
        assert not (changed & ~inside).any()  # context-only: the rest of the scene is the full render, pixel for pixel
        assert (obj[changed] == full[changed]).all()  # object-only: the objects' pixels are the full render's
        outside = ~inside
        if outside.any():
            assert (obj[outside] != full[outside]).any(-1).mean() > 0.5  # background replaced


def test_a_bad_mode_is_a_config_error():
    cfg = WorldConfig.from_any("smoke")
    with pytest.raises(ConfigError, match="mode='nothing'"):
        compose_scene(build_taxonomy(cfg, 0), set(), item_rng(0, "voc12", 0, 0), cfg, cfg.knobs(), mode="nothing")


def test_variant_trees_are_deterministic_cached_and_leave_the_world_alone(world, tmp_path):
    before = file_hashes(world, skip=("variants",))
    trees = {mode: ensure_variant(world, mode, workers=1, verbose=False) for mode in ("context", "object")}
    assert file_hashes(world, skip=("variants",)) == before  # the world is untouched
    year = trees["context"] / "VOCdevkit" / "VOC2012"
    ids = (world / "VOCdevkit" / "VOC2012" / "ImageSets" / "Main" / "val.txt").read_text().split()
    assert sorted(p.stem for p in (year / "JPEGImages").iterdir()) == sorted(ids)
    for name in ("val.txt", "dog_val.txt"):  # the labels are the original ones
        assert (year / "ImageSets" / "Main" / name).read_text() == \
            (world / "VOCdevkit" / "VOC2012" / "ImageSets" / "Main" / name).read_text()
    assert parse_annotation(year / "Annotations" / f"{ids[0]}.xml") == \
        parse_annotation(world / "VOCdevkit" / "VOC2012" / "Annotations" / f"{ids[0]}.xml")
    first = {mode: file_hashes(tree) for mode, tree in trees.items()}
    assert ensure_variant(world, "context", workers=1, verbose=False) == trees["context"]  # a cache hit
    assert file_hashes(trees["context"]) == first["context"]
    (trees["object"] / "COMPLETE").unlink()  # incomplete: rendered again, with 2 workers, to the same bytes
    assert file_hashes(ensure_variant(world, "object", workers=2, verbose=False)) == first["object"]
    assert first["context"]["world.json"] != first["object"]["world.json"]  # cache keys tell the trees apart
    assert variant_root(world, "context") == trees["context"]
    # outside the objects' boxes, context-only is the world's image (up to JPEG rounding)
    full = np.asarray(Image.open(world / "VOCdevkit" / "VOC2012" / "JPEGImages" / f"{ids[0]}.jpg"), float)
    ctx = np.asarray(Image.open(year / "JPEGImages" / f"{ids[0]}.jpg"), float)
    outside = np.ones(full.shape[:2], bool)
    for obj in parse_annotation(world / "VOCdevkit" / "VOC2012" / "Annotations" / f"{ids[0]}.xml")["objects"]:
        x1, y1, x2, y2 = (int(obj["bndbox"][k]) for k in ("xmin", "ymin", "xmax", "ymax"))
        outside[max(y1 - 9, 0):y2 + 8, max(x1 - 9, 0):x2 + 8] = False  # 8-px JPEG blocks around each box
    assert np.abs(full[outside] - ctx[outside]).mean() < 3.0


def test_variant_needs_a_world_and_a_known_mode(world, tmp_path):
    with pytest.raises(DataError, match="no complete generated mini world"):
        ensure_variant(tmp_path, "context")
    with pytest.raises(ConfigError, match="accepted: context, object"):
        ensure_variant(world, "full")
    with pytest.raises(ConfigError, match="split='nope'"):
        ensure_variant(world, "context", split="nope")


def test_chance_map_is_the_mean_share_of_positives():
    labels = np.array([[1, -1, 0], [-1, -1, -1], [1, 1, -1], [-1, -1, -1]])  # class 2: no positive, left out
    assert math.isclose(context.chance_map(labels), 100 * (2 / 4 + 1 / 4) / 2)


def test_context_table_rows_and_columns(world, tmp_path):
    run = resolve("smoke", world, "cpu", 0, tmp_path / "runs", {
        "cvpr14.num_seeds": 1, "cvpr14.max_epochs": 1, "cvpr14.scratch_max_epochs": 1,
        "cvpr15.seeds": (0,), "cvpr15.epochs": 1})
    table = context.context_table(run)
    assert list(table.columns) == ["model", "seed", "render", "mAP"]
    assert set(table["render"]) == {"full", "context-only", "object-only"}
    assert table.groupby("render").size().to_dict() == {"full": 4, "context-only": 4, "object-only": 4}
    assert table["mAP"].between(0, 100).all() and table.attrs["images"] == 20  # smoke caps val at 20 images
    chance = table[table["model"] == context.CHANCE]["mAP"]
    assert chance.nunique() == 1  # the labels are the same in every render
    summary = context.context_summary(table)
    assert list(summary.columns) == ["full", "context-only", "object-only"]
    assert list(summary.index) == ["PRE-1000C", "NO PRETRAIN", context.WEAK, context.CHANCE]
    assert context.t4_sentence(table).startswith("T4 (objects carry more signal than context), on 20 validation")
    kept = context.retained_share(table)
    assert list(kept.columns) == ["context-only keeps (%)", "object-only keeps (%)"] and context.CHANCE not in kept.index
    assert context.context_table(run).equals(table)  # warm: read from the cache, same numbers


def test_real_data_runs_skip_with_a_reason(tmp_path):
    write_vocdevkit(tmp_path, "2007")
    write_vocdevkit(tmp_path, "2012")
    run = resolve("full", tmp_path, "cpu", 0, tmp_path / "runs", None)
    table = context.context_table(run)
    assert table.empty and "real data" in table.attrs["skipped"]
    assert context.context_summary(table).empty and context.retained_share(table).empty
    assert context.t4_sentence(table).startswith("T4 not measured: real data")
