import pandas as pd

from oquab_lib.tools import build_times, probe


def test_probe_measures_both_rates_and_its_speed_is_their_geometric_mean_over_the_reference(monkeypatch):
    monkeypatch.setattr(probe, "alexnet_rate", lambda threads: 2 * probe.REFERENCE["alexnet_img_s"])
    monkeypatch.setattr(probe, "gemm_rate", lambda: 0.5 * probe.REFERENCE["gemm_gflops"])
    measured = probe.measure()
    assert measured["speed"] == 1.0 and measured["threads"] == 2
    assert "machine speed 1.00 x reference" in probe.describe(measured)


def test_rates_are_positive_on_a_tiny_budget():
    assert probe.gemm_rate(size=64, seconds=0.01) > 0
    assert probe.alexnet_rate(threads=1, batch=2, seconds=0.01) > 0


def test_saved_probe_is_read_back_beside_the_build_times(tmp_path, monkeypatch):
    probe.save({"speed": 1.5, "alexnet_img_s": 1.0, "gemm_gflops": 1.0}, tmp_path)
    monkeypatch.setenv(build_times.ENV_VAR, str(tmp_path / build_times.FILE_NAME))
    assert build_times.build_probe()["speed"] == 1.5
    times = pd.DataFrame({"chapter": ["a"], "seconds": [10.0], "entries_computed": [0]})
    assert build_times.with_reference_seconds(times, 1.5)["reference_s"].tolist() == [15.0]
