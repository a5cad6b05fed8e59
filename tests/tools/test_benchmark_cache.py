import pandas as pd
import pytest

from oquab_lib.config import Run
from oquab_lib.tools import benchmark_cache


def _run(tmp_path, device: str = "cpu") -> Run:
    return Run("smoke", tmp_path / "data", device, 0, tmp_path / "runs", {})


def _fake_measure(calls: list):
    def measure():
        calls.append(1)
        table = pd.DataFrame({"patches_per_image": [410, 410], "seconds_per_image": [0.1234567890123, 1 / 3]},
                             index=pd.Index(["a", "b"], name="pipeline"))
        table.attrs.update(variant="smoke", device="cpu", times={"forward": 0.25})
        return {"smoke": table}
    return measure


def test_a_second_call_reads_the_first_ones_figures_bit_for_bit(tmp_path):
    calls = []
    first = benchmark_cache.cached(_run(tmp_path), "fake", {"variants": {"smoke": (1, 1)}}, _fake_measure(calls))
    again = benchmark_cache.cached(_run(tmp_path), "fake", {"variants": {"smoke": (1, 1)}}, _fake_measure(calls))
    assert len(calls) == 1
    pd.testing.assert_frame_equal(first["smoke"], again["smoke"])
    assert again["smoke"]["seconds_per_image"].tolist() == [0.1234567890123, 1 / 3]
    assert again["smoke"].attrs["times"] == {"forward": 0.25} and again["smoke"].attrs["measured"]
    line = benchmark_cache.provenance(again)
    assert "delete that folder to measure again" in line and again["smoke"].attrs["measured"] in line


def test_other_sizes_or_another_machine_measure_again(tmp_path, monkeypatch):
    calls = []
    benchmark_cache.cached(_run(tmp_path), "fake", {"variants": {"smoke": (1, 1)}}, _fake_measure(calls))
    benchmark_cache.cached(_run(tmp_path), "fake", {"variants": {"smoke": (2, 1)}}, _fake_measure(calls))
    assert len(calls) == 2
    monkeypatch.setattr(benchmark_cache, "machine", lambda device: {"name": "another CPU"})
    benchmark_cache.cached(_run(tmp_path), "fake", {"variants": {"smoke": (1, 1)}}, _fake_measure(calls))
    assert len(calls) == 3


def test_the_machine_key_names_the_cpu_threads_and_torch_version():
    key = benchmark_cache.machine("cpu")
    assert set(key) == {"device", "name", "kernels", "threads", "torch"} and key["threads"] >= 1


@pytest.mark.slow
def test_the_real_benchmarks_round_trip_through_the_cache(tmp_path):
    measured = benchmark_cache.overheads(_run(tmp_path), {"smoke": 2})
    read = benchmark_cache.overheads(_run(tmp_path), {"smoke": 2})
    pd.testing.assert_frame_equal(measured["smoke"], read["smoke"])
    assert read["smoke"].attrs["profile_path"] == measured["smoke"].attrs["profile_path"]
