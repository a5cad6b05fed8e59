"""The frozen trunk's cached C5 maps (oquab_lib.cvpr15.trunk): the discrete factors, the same logits as the image
path, the cache key, and training on them."""

from __future__ import annotations

import pytest
import torch

from oquab_lib.cvpr15 import train as cvpr15_train
from oquab_lib.cvpr15.config import Cvpr15Config
from oquab_lib.cvpr15.config import config as cvpr15_config
from oquab_lib.cvpr15.data import WeakBatches, load_image_set
from oquab_lib.cvpr15.train import build_weak_net, train_weak
from oquab_lib.cvpr15.trunk import cached_train_maps, compute_trunk_maps, train_factors
from oquab_lib.errors import ConfigError
from oquab_lib.models import build_alexnet, normalization
from oquab_lib.weak_net import FromC5
from tests.fixtures import cvpr15_run

pytestmark = pytest.mark.usefixtures("one_thread")


def test_train_factors_are_equally_spaced_over_the_range_ends_and_one_included():
    assert train_factors((0.7, 1.4), 8) == pytest.approx((0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4))
    assert train_factors((1.0, 1.0), 8) == (1.0,)
    assert train_factors((0.5, 2.0), 1) == (1.25,)
    with pytest.raises(ConfigError, match="count=0"):
        train_factors((0.7, 1.4), 0)


def _batches(images, source, whole: bool, maps=None, factors=(0.7, 1.05, 1.4)):
    mean, std = normalization(source.spec)
    return WeakBatches(images, range(len(images)), 4, (0.7, 1.4), source.spec.input_size, mean, std,
                       whole_image=whole, seed=3, factors=(1.0,) if whole else factors, maps=maps)


@pytest.mark.parametrize("whole", [False, True])
def test_cached_maps_give_the_logits_of_the_image_path_at_the_same_factor_and_flip(cvpr15_world, whole):
    images = load_image_set(str(cvpr15_world), "voc", "train", 40, progress=False)
    source = build_alexnet("smoke", 7, 1.5, seed=0)
    net = build_weak_net(source, Cvpr15Config(hidden=8), len(images.class_names), seed=1).eval()
    factors = (1.0,) if whole else (0.7, 1.05, 1.4)
    maps = compute_trunk_maps(source, images, factors, whole_image=whole, batch_size=3, progress=False)
    pairs = list(zip(_batches(images, source, whole), _batches(images, source, whole, maps, factors)))
    assert len(pairs) == len(_batches(images, source, whole)) > 1
    with torch.no_grad():
        for (pictures, labels), (c5, cached_labels) in pairs:
            assert torch.equal(labels, cached_labels)
            torch.testing.assert_close(FromC5(net)(c5), net(pictures), rtol=1e-4, atol=1e-4)


def test_the_cache_key_names_the_source_network(cvpr15_world, tmp_path):
    images = load_image_set(str(cvpr15_world), "voc", "train", 40, progress=False).subset(range(6))
    source = build_alexnet("smoke", 7, 1.5, seed=0)

    def entry_count(source_id: str) -> int:
        cached_train_maps(tmp_path, "cvpr15-trunk", {"source": source_id}, source, images, (1.0,),
                          whole_image=False, batch_size=4, device="cpu", progress=False)
        return len(list(tmp_path.glob("cvpr15-trunk-*")))

    assert [entry_count("source-a"), entry_count("source-a"), entry_count("source-b")] == [1, 1, 2]


def test_training_reads_the_maps_of_its_own_source_and_images(cvpr15_world, tmp_path, monkeypatch):
    run = cvpr15_run(cvpr15_world, tmp_path)
    keys = []
    real = cvpr15_train.cached_train_maps
    monkeypatch.setattr(cvpr15_train, "cached_train_maps", lambda *a, **k: keys.append(a[2]) or real(*a, **k))
    result = train_weak(run, cvpr15_config(run), "weak", "voc", 0, progress=False)
    assert len(keys) == 1 and keys[0]["source"] == result.meta["source"]
    assert keys[0]["images"] == len(result.meta["train_ids"]) and len(list(run.runs_dir.glob("cvpr15-trunk-*"))) == 1


def test_fine_tuning_and_the_switch_off_train_on_images_with_the_old_cache_keys(cvpr15_world, tmp_path):
    on = cvpr15_config(cvpr15_run(cvpr15_world, tmp_path))
    assert on.uses_trunk_cache and "train_factors" in on.train_key("voc")
    for off in (Cvpr15Config(cache_trunk=False), Cvpr15Config(cache_trunk=True, finetune=True)):
        assert not off.uses_trunk_cache
        assert not {"cache_trunk", "train_factors", "patience"} & set(off.train_key("voc"))
    with pytest.raises(ConfigError, match="fine-tuned"):
        FromC5(build_weak_net(build_alexnet("smoke", 7, 1.5, seed=0), Cvpr15Config(hidden=8, finetune=True), 3, 0))
