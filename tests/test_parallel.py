"""Tests for oquab_lib.parallel: jobs in spawned worker processes, results in job order, the thread count set."""

from __future__ import annotations

import operator

import pytest
import torch

from oquab_lib import parallel


def product_and_threads(a: int, b: int) -> tuple[int, int]:
    return a * b, torch.get_num_threads()


def test_results_come_back_in_job_order_with_the_thread_count_set():
    jobs = [(i, 10) for i in range(5)]
    assert parallel.in_processes(product_and_threads, jobs, workers=2, threads=1, desc="mul", progress=False) == [
        (0, 1), (10, 1), (20, 1), (30, 1), (40, 1)]


def test_a_failing_job_raises_here():
    with pytest.raises(ZeroDivisionError):
        parallel.in_processes(operator.truediv, [(1, 1), (1, 0)], workers=2, threads=1, desc="div", progress=False)
