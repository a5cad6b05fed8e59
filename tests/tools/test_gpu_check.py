"""``make gpu-check`` runs the same code on the CPU at smoke size: the record it writes and the page's summary."""

from __future__ import annotations

import torch

from oquab_lib.tools import gpu_check


def test_gpu_check_records_amp_steps_and_throughputs_on_the_cpu(tmp_path):
    out = tmp_path / "gpu_check.json"
    assert gpu_check.main(["--device", "cpu", "--variant", "smoke", "--out", str(out)]) == 0
    record = gpu_check.load(out)
    assert record["device"].startswith("CPU") and record["amp_training"]["finite"]
    assert len(record["amp_training"]["losses"]) == 6 and record["weak_training_images_per_second"] > 0
    frame = gpu_check.summary(record)
    assert len(frame) == 4 and (frame["images_per_second"] > 0).all() and frame.attrs["device"] == record["device"]
    assert gpu_check.load(tmp_path / "none.json") is None


def test_gpu_check_without_a_gpu_exits_cleanly(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_check.main(["--out", str(tmp_path / "x.json")]) == 0
    assert "no CUDA GPU here" in capsys.readouterr().out and not (tmp_path / "x.json").exists()
