"""Shared pytest set-up: deterministic, quiet, CPU-sized; the fixtures several test modules use."""

import os

import pytest
import torch

from tests.fixtures import write_cvpr14_world, write_cvpr15_world

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _deterministic_torch():
    torch.manual_seed(0)
    yield


@pytest.fixture
def one_thread():
    """Tiny tensors: one torch thread is faster, and immune to other processes competing for the cores (modules use
    it with ``pytestmark = pytest.mark.usefixtures("one_thread")``)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def cvpr14_world(tmp_path_factory):
    """VOC 2007 / 2012 trees and a 6-leaf source tree (:func:`tests.fixtures.write_cvpr14_world`)."""
    return write_cvpr14_world(tmp_path_factory.mktemp("cvpr14-world"))


@pytest.fixture(scope="session")
def cvpr15_world(tmp_path_factory):
    """VOC 2012, COCO and a finished source network (:func:`tests.fixtures.write_cvpr15_world`)."""
    return write_cvpr15_world(tmp_path_factory.mktemp("cvpr15-world"))
