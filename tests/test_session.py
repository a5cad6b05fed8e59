"""Tests for oquab_lib.session: what a chapter does first (resolve parameters, make the mini world, fix threads), and
the one-line cache summaries."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from oquab_lib import cache, session
from oquab_lib.config import Run
from oquab_lib.errors import ConfigError


@pytest.fixture
def worlds(monkeypatch):
    """Record the worlds that session asks for instead of generating them (generation has its own tests)."""
    calls = []
    monkeypatch.setattr(session, "ensure_world", lambda root, world, seed, verbose: calls.append((root, world, seed)))
    return calls


@pytest.fixture
def restore_torch_and_pandas():
    threads = torch.get_num_threads()
    with pd.option_context("display.max_columns", 20, "display.width", 80):
        yield
    torch.set_num_threads(threads)


@pytest.mark.usefixtures("restore_torch_and_pandas")
def test_start_resolves_the_run_makes_the_world_and_fixes_threads(tmp_path, worlds, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    run = session.start("smoke", data_root=tmp_path / "world", seed=3, runs_dir=tmp_path / "runs",
                        overrides={"cvpr15.epochs": 1})
    assert isinstance(run, Run) and (run.profile, run.seed, run.device) == ("smoke", 3, "cpu")
    assert run.section("cvpr15")["epochs"] == 1 and run.runs_dir == tmp_path / "runs"
    # one fixed world per profile: the experiments' seed does not change it
    assert worlds == [(tmp_path / "world", run.section("world"), session.WORLD_SEED)]
    assert torch.get_num_threads() == 1
    assert pd.get_option("display.max_columns") == 40 and pd.get_option("display.width") == 250  # whole tables


def test_bad_parameters_fail_before_any_world_is_made(tmp_path, worlds):
    with pytest.raises(ConfigError, match="unknown profile 'smok'"):
        session.start("smok", data_root=tmp_path / "world")
    with pytest.raises(ConfigError, match="cvpr15.epoch"):
        session.start("smoke", data_root=tmp_path / "world", overrides={"cvpr15.epoch": 1})
    assert worlds == [] and not (tmp_path / "world").exists()


def test_real_data_is_never_generated(tmp_path, worlds):
    run = Run("full", tmp_path, "cpu", 0, tmp_path / "runs", {"world": {"scale": "none"}})
    session.ensure_data(run)
    assert worlds == []


@pytest.mark.slow
def test_the_smoke_world_is_generated_once_then_reused(tmp_path, capsys):
    run = session.start("smoke", data_root=tmp_path / "world", runs_dir=tmp_path / "runs")
    assert (run.data_root / "world.json").is_file() and (run.data_root / "VOCdevkit").is_dir()
    before = (run.data_root / "world.json").stat().st_mtime_ns
    capsys.readouterr()
    session.ensure_data(run)
    assert "mini world cache hit" in capsys.readouterr().out
    assert (run.data_root / "world.json").stat().st_mtime_ns == before


def test_cache_summary_counts_hits_and_computed_entries(tmp_path, capsys):
    def write(work):
        (work / "x.txt").write_text("x")

    cache.load_or_compute(tmp_path, "a", {"n": 1}, write, verbose=False)
    capsys.readouterr()
    with session.cache_summary() as tally:
        cache.load_or_compute(tmp_path, "a", {"n": 1}, write)  # a hit: counted, not printed
        cache.load_or_compute(tmp_path, "a", {"n": 2}, write)  # a miss: computed
    printed = capsys.readouterr().out
    assert "cache hit" not in printed and printed.endswith("1 result from the cache, 1 computed\n")
    assert [kind for kind, _ in tally] == ["hit", "computed"]
    with session.cache_summary(verbose=True):
        cache.load_or_compute(tmp_path, "a", {"n": 1}, write)
    assert "1 result from the cache, 0 computed\n  hit: " in capsys.readouterr().out
    cache.load_or_compute(tmp_path, "a", {"n": 1}, write)  # outside a summary: the per-entry line as before
    assert capsys.readouterr().out.startswith("cache hit: ")
