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


def test_the_build_probe_spans_the_saved_start_reading_and_one_at_the_end(tmp_path, monkeypatch):
    probe.save({"speed": 0.8, "alexnet_img_s": 1000.0, "gemm_gflops": 100.0}, tmp_path)
    end = {"speed": 1.25, "alexnet_img_s": 1600.0, "gemm_gflops": 144.0, "threads": 2, "cpu": "x", "cores": 2,
           "kernels": "AVX512"}
    monkeypatch.setattr(probe, "measure", lambda: dict(end))
    monkeypatch.setenv(build_times.ENV_VAR, str(tmp_path / build_times.FILE_NAME))
    spanned = build_times.build_probe()
    assert spanned["speed"] == 1.0 and spanned["alexnet_img_s"] == 1264.9 and spanned["gemm_gflops"] == 120.0
    assert (spanned["speed_start"], spanned["speed_end"]) == (0.8, 1.25)
    assert "mean of 0.80 at the start of the build and 1.25 at its end" in probe.describe(spanned)
    monkeypatch.delenv(build_times.ENV_VAR)  # a chapter run on its own: the reading taken now
    assert build_times.build_probe() == end


def test_reference_seconds_scale_by_the_speed():
    times = pd.DataFrame({"chapter": ["a"], "seconds": [10.0], "entries_computed": [0]})
    assert build_times.with_reference_seconds(times, 1.5)["reference_s"].tolist() == [15.0]
