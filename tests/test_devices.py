"""The accelerator paths (CUDA, AMP autocast and GradScaler, channels_last, crops and features on the device) against
the CPU. Every test runs on the CPU everywhere, which is the reference and shows the test itself works, and again on
CUDA when a GPU is present (``pytest tests/test_devices.py`` on a GPU machine); AMP tolerances are stated per test."""

from __future__ import annotations

import math

import pytest
import torch

from oquab_lib.config import Run, profile_sections
from oquab_lib.cvpr15 import train as cvpr15
from oquab_lib.cvpr15.config import config as cvpr15_config
from oquab_lib.cvpr15.data import load_image_set
from oquab_lib.cvpr15.predict import predict
from oquab_lib.models import build_alexnet, normalization
from oquab_lib.patches import crop_patches, tile_patches
from oquab_lib.tools import benchmark_patches
from oquab_lib.train import CHECKPOINT_NAME, fit

pytestmark = pytest.mark.usefixtures("one_thread")


DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(),
                                                                   reason="no CUDA device here"))]
# fp16 autocast on CUDA vs fp32 on the CPU: scores of the smoke nets agree to about 1e-2
AMP_TOLERANCE = dict(rtol=5e-2, atol=5e-2)


def _weak_run(cvpr15_world, tmp_path, device: str) -> Run:
    sections = profile_sections("smoke")
    sections["cvpr15"].update(dict(source_entry=str(cvpr15_world / "source-entry"), image_size=40, test_split="val",
                                   val_fraction=0.3, seeds=(0,), epochs=2, batch_size=4, threads=1, amp=True,
                                   channels_last=True))
    return Run("smoke", cvpr15_world, device, 0, tmp_path / "runs", sections)


@pytest.mark.parametrize("device", DEVICES)
def test_weak_net_trains_with_amp_and_predicts_like_the_cpu(cvpr15_world, tmp_path, device):
    run = _weak_run(cvpr15_world, tmp_path, device)
    cfg = cvpr15_config(run)
    result = cvpr15.train_weak(run, cfg, "weak", "voc", 0, progress=False)
    assert result.history["loss"].map(math.isfinite).all() and result.history["val_mAP"].between(0, 100).all()
    net = cvpr15.load_weak_net(run, cfg, result)
    images = load_image_set(str(cvpr15_world), "voc", "val", 40, progress=False)
    on_device = predict(net, images, (1.0, 1.4), device, amp=True, progress=False)
    on_cpu = predict(net.to("cpu"), images, (1.0, 1.4), "cpu", amp=True, progress=False)  # AMP is off on the CPU
    torch.testing.assert_close(on_device.scores, on_cpu.scores, **AMP_TOLERANCE)


@pytest.mark.parametrize("device", DEVICES)
def test_fit_keeps_the_amp_scaler_in_its_checkpoint_on_cuda(tmp_path, device):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                                torch.nn.Linear(4, 2)).to(device)
    batches = [(torch.randn(4, 3, 8, 8), torch.randint(0, 2, (4,))) for _ in range(3)]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, optimizer, batches, epochs=2, work_dir=tmp_path, device=device, amp=True, channels_last=True,
                  progress=False)
    assert len(history) == 2 and all(math.isfinite(row["loss"]) for row in history)
    state = torch.load(tmp_path / CHECKPOINT_NAME, weights_only=True)
    assert (state["scaler"] is not None) == (device == "cuda")  # the GradScaler is used (and saved) on CUDA only


@pytest.mark.parametrize("device", DEVICES)
def test_patch_crops_and_features_on_the_device_match_the_cpu(device):
    generator = torch.Generator().manual_seed(0)
    image = torch.rand(3, 72, 96, generator=generator)
    patches = tile_patches(96, 72, scales=(1, 2))
    mean, std = normalization("smoke")
    cpu_crops = crop_patches(image, patches, None, 32, mean, std)
    device_crops = crop_patches(image, patches, None, 32, mean, std, device=device)
    assert device_crops.device.type == torch.device(device).type
    torch.testing.assert_close(device_crops.cpu(), cpu_crops, rtol=1e-5, atol=1e-5)
    net = build_alexnet("smoke", 10, seed=0).eval()
    with torch.inference_mode():
        reference = net.forward_fc7(cpu_crops)
        with torch.autocast("cuda", enabled=device == "cuda"):
            features = net.to(device).forward_fc7(device_crops).float().cpu()
    torch.testing.assert_close(features, reference, **AMP_TOLERANCE)


@pytest.mark.parametrize("device", DEVICES)
def test_patch_pipeline_benchmark_runs_on_the_device(device):
    table = benchmark_patches.patch_pipeline_overhead("smoke", num_images=2, device=device, progress=False)
    assert table.attrs["device"] == device and (table["overhead_ratio"] > 0).all()
    assert table["overhead_ratio"].map(math.isfinite).all()
