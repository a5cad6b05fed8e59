import os

import pandas as pd
import pytest
import torch

from oquab_lib import cache
from oquab_lib.cache import CacheMiss, hits_only, load_or_compute, save_json


def test_hash_ignores_key_order_and_sees_values():
    assert cache.config_hash({"a": 1, "b": 2}) == cache.config_hash({"b": 2, "a": 1})
    assert cache.config_hash({"a": 1}) != cache.config_hash({"a": 2})


def test_load_or_compute_writes_a_complete_entry_then_hits(tmp_path, capsys):
    calls = []

    def compute(work):
        calls.append(work)
        cache.save_csv(work / "metrics.csv", pd.DataFrame({"ap": [0.5]}))
        cache.save_state_dict(work / "weights.pt", {"w": torch.ones(2)})

    entry = cache.load_or_compute(tmp_path, "exp", {"lr": 0.01}, compute)
    assert entry.name == f"exp-{cache.config_hash({'lr': 0.01})}"
    assert cache.is_complete(entry) and cache.load_json(entry / "config.json") == {"lr": 0.01}
    assert torch.equal(cache.load_state_dict(entry / "weights.pt")["w"], torch.ones(2))
    assert "cache miss" in capsys.readouterr().out
    again = cache.load_or_compute(tmp_path, "exp", {"lr": 0.01}, compute)
    assert again == entry and len(calls) == 1
    assert "cache hit" in capsys.readouterr().out


def test_a_killed_compute_leaves_no_trusted_entry_and_resumes(tmp_path):
    def crash(work):
        (work / "checkpoint.txt").write_text("epoch 1")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.load_or_compute(tmp_path, "exp", {"x": 1}, crash)
    assert not cache.entry_dir(tmp_path, "exp", {"x": 1}).exists()
    seen = []
    entry = cache.load_or_compute(tmp_path, "exp", {"x": 1}, lambda work: seen.append((work / "checkpoint.txt").read_text()))
    assert seen == ["epoch 1"] and cache.is_complete(entry)
    assert not cache.partial_dir(tmp_path, "exp", {"x": 1}).exists()


def test_atomic_write_keeps_the_old_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "a.json"
    cache.save_json(target, {"v": 1})

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        cache.save_json(target, {"v": 2})
    assert cache.load_json(target) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_hits_only_reads_hits_and_raises_on_a_miss_without_computing(tmp_path):
    calls = []

    def compute(work):
        calls.append(work)
        save_json(work / "x.json", {"x": 1})

    entry = load_or_compute(tmp_path, "exp", {"a": 1}, compute, verbose=False)
    cached = hits_only(tmp_path)
    assert load_or_compute(cached, "exp", {"a": 1}, compute, verbose=False) == entry
    with pytest.raises(CacheMiss, match="exp-"):
        load_or_compute(cached / "sub", "exp", {"a": 2}, compute, verbose=False)  # joined paths keep the marker
    with pytest.raises(CacheMiss, match="exp-"):
        load_or_compute(tmp_path, "exp", {"a": 2}, compute, verbose=False, hits_only=True)
    assert len(calls) == 1 and not list(tmp_path.glob("*.partial*"))
    load_or_compute(tmp_path, "exp", {"a": 2}, compute, verbose=False)  # a plain runs dir: computes

    assert len(calls) == 2
