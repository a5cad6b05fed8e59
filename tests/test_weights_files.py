"""Weights files a user names fail loudly: a corrupt or wrong-shaped file stops the run with a one-line error instead
of turning into a skipped row (CVPR'14 Tables 1-2, Table 3, CVPR'15, user source entries)."""

from __future__ import annotations

import pytest
import torch

from oquab_lib import cache
from oquab_lib.config import Run, profile_sections
from oquab_lib.cvpr14.actions import tables as actions_tables
from oquab_lib.cvpr14.actions.config import ActionsConfig
from oquab_lib.cvpr14.config import Cvpr14Config
from oquab_lib.cvpr14.features import SourceUnavailable, source_network
from oquab_lib.cvpr15 import inputs as cvpr15_inputs
from oquab_lib.cvpr15.config import Cvpr15Config
from oquab_lib.errors import ConfigError, DataError
from oquab_lib.models import build_alexnet
from oquab_lib.source.pretrain import load_source_network


@pytest.fixture
def corrupt(tmp_path):
    path = tmp_path / "alexnet-corrupt.pth"
    path.write_bytes(b"PK\x03\x04 not a checkpoint")
    return path


@pytest.fixture
def wrong_shape(tmp_path):
    """torchvision's key names with tiny tensors: the shape check must name the first key."""
    path = tmp_path / "alexnet-wrong-shape.pth"
    keys = build_alexnet("smoke", 1000).state_dict()
    torch.save({k: torch.zeros(1) for k in keys}, path)
    return path


def _full_run(tmp_path, cvpr14: dict | None = None, cvpr15: dict | None = None) -> Run:
    sections = profile_sections("full")
    sections["cvpr14"].update(cvpr14 or {})
    sections["cvpr15"].update(cvpr15 or {})
    return Run("full", tmp_path, "cpu", 0, tmp_path / "runs", sections)


def _one_line(caught) -> str:
    text = str(caught.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize("kind", ["corrupt", "wrong_shape"])
def test_cvpr14_named_weights_file_that_is_bad_stops_the_run(tmp_path, kind, request):
    path = request.getfixturevalue(kind)
    run = _full_run(tmp_path, cvpr14={"weights_path": str(path)})
    with pytest.raises(ConfigError) as caught:  # not SourceUnavailable: the row is not silently skipped
        source_network(run, Cvpr14Config.from_section(run.section("cvpr14")), "PRE-1000C", 0, progress=False)
    assert str(path) in _one_line(caught)
    assert ("cannot read" if kind == "corrupt" else "shape mismatch at 'features.0.weight'") in str(caught.value)


def test_cvpr14_missing_default_weights_is_a_skipped_row(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    run = _full_run(tmp_path)
    with pytest.raises(SourceUnavailable, match="no AlexNet ImageNet weights at .*cvpr14.weights_path"):
        source_network(run, Cvpr14Config.from_section(run.section("cvpr14")), "PRE-1000C", 0, progress=False)


def test_actions_named_weights_file_that_is_bad_stops_the_run(tmp_path, corrupt, capsys):
    run = _full_run(tmp_path, cvpr14={"weights_path": str(corrupt)})
    cfg = ActionsConfig.from_section(run.section("actions"))
    with pytest.raises(ConfigError) as caught:
        actions_tables.source_network(run, cfg, 0, progress=False)
    assert str(corrupt) in _one_line(caught) and "skipped" not in capsys.readouterr().out


def test_actions_missing_default_weights_prints_the_skip(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    run = _full_run(tmp_path)
    _net, identity = actions_tables.source_network(run, ActionsConfig.from_section(run.section("actions")), 0)
    assert identity is None and "PRE-1512 / PRE-1512U rows skipped" in capsys.readouterr().out


def test_cvpr15_named_weights_file_that_is_bad_stops_the_run(tmp_path, wrong_shape):
    run = _full_run(tmp_path, cvpr15={"weights_path": str(wrong_shape)})
    with pytest.raises(ConfigError) as caught:
        cvpr15_inputs.source_network(run, Cvpr15Config.from_section(run.section("cvpr15")), 0, progress=False)
    assert "shape mismatch" in _one_line(caught)


def test_a_user_source_entry_with_foreign_weights_is_one_line(tmp_path):
    entry = tmp_path / "entry"
    cache.save_json(entry / "meta.json", {"arch": "smoke", "num_classes": 7, "fc_width_mult": 1.0})
    cache.save_state_dict(entry / "weights.pt", build_alexnet("smoke", 5).state_dict())
    with pytest.raises(DataError, match=r"weights\.pt: not the weights of the smoke AlexNet") as caught:
        load_source_network(entry)
    _one_line(caught)
    (entry / "weights.pt").write_bytes(b"truncated")
    with pytest.raises(DataError, match="not the weights") as caught:
        load_source_network(entry)
    _one_line(caught)
