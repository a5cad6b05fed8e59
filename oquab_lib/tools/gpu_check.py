"""``make gpu-check``: what a user with one NVIDIA GPU runs first, after ``pytest tests/test_devices.py`` (the CUDA
variants of the device tests).

On the GPU it runs a few AMP training steps of the CVPR'15 weak net at full resolution (torchvision-size AlexNet,
500 x 375 images, autocast + GradScaler, channels_last) and checks the loss stays finite, then times the patch
pipeline and the fully-convolutional passes (:func:`oquab_lib.tools.benchmark.fcn_vs_patches`, ``full``), and writes
everything, with the device's name, to ``book/gpu_check.json``; the Performance page shows that file. Without a GPU
it says so and exits 0 (``--device cpu --variant smoke`` runs the same code on the CPU in seconds: the unit test).

    python -m oquab_lib.tools.gpu_check [--device cuda] [--variant full] [--out book/gpu_check.json]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from oquab_lib.models import build_alexnet, get_spec, normalization
from oquab_lib.tools import benchmark
from oquab_lib.weak_net import WeakNet, weak_loss

FILE = Path("book") / "gpu_check.json"
IMAGE_SIZE = {"full": (500, 375), "quick": (160, 120), "smoke": (96, 72)}  # (width, height), as the profiles' images


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(device)
    return f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def amp_training_steps(device: str, variant: str = "full", steps: int = 5, seed: int = 0) -> dict[str, Any]:
    """``steps`` AMP steps (one image each, as the full profile's ``batch_size=1``) of a weak net on random images of
    the variant's size and random labels: ``{"seconds_per_step", "losses", "finite"}`` (first step not timed)."""
    torch.manual_seed(seed)
    net = WeakNet(build_alexnet(variant, 1000, seed=seed), 20, 2048 if variant == "full" else 32, seed=seed)
    net = net.to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(net.trainable_parameters(), lr=1e-3, momentum=0.9)
    cuda = device.startswith("cuda")
    scaler = torch.amp.GradScaler("cuda", enabled=cuda)
    width, height = IMAGE_SIZE[variant]
    mean, std = (torch.tensor(v, device=device).view(1, 3, 1, 1) for v in normalization(get_spec(variant)))
    losses, times = [], []
    for _ in range(steps + 1):
        image = ((torch.rand(1, 3, height, width, device=device) - mean) / std).contiguous(
            memory_format=torch.channels_last)
        labels = torch.randint(0, 2, (1, 20), device=device).float() * 2 - 1
        start = time.perf_counter()
        with torch.autocast("cuda", enabled=cuda):
            loss = weak_loss(net(image).float(), labels)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
        losses.append(loss.item())
    return {"seconds_per_step": sorted(times[1:])[len(times[1:]) // 2], "losses": losses,
            "finite": all(math.isfinite(v) for v in losses)}


def measure(device: str, variant: str = "full", num_images: int = 4, repeats: int = 3) -> dict[str, Any]:
    """Every figure of the check, JSON-ready: device, versions, AMP steps, pipeline throughputs, the full-profile
    time estimate (when ``variant="full"``)."""
    training = amp_training_steps(device, variant)
    table = benchmark.fcn_vs_patches(variant, image_size=IMAGE_SIZE[variant], num_images=num_images, repeats=repeats,
                                     device=device)
    record = {"device": device_name(device), "torch": torch.__version__, "cuda": torch.version.cuda,
              "variant": variant, "image_size": table.attrs["image_size"], "amp_training": training,
              "seconds_per_image": table["seconds_per_image"].to_dict(),
              "images_per_second": (1 / table["seconds_per_image"]).to_dict(),
              "weak_training_images_per_second": 1 / training["seconds_per_step"]}
    if variant == "full":
        record["full_profile_hours"] = benchmark.full_profile_estimate(table)["hours"].to_dict()
    return record


def load(path: str | Path = FILE) -> dict[str, Any] | None:
    """The last ``make gpu-check`` record, or None when it was never run here."""
    path = Path(path)
    return json.loads(path.read_text()) if path.is_file() else None


def summary(record: dict[str, Any]) -> pd.DataFrame:
    """One row per measured step: images per second on the checked device."""
    rows = {**record["images_per_second"], "CVPR'15 weak training (AMP, one image per step)":
            record["weak_training_images_per_second"]}
    frame = pd.DataFrame({"images_per_second": rows})
    frame.attrs.update(device=record["device"], image_size=record["image_size"])
    return frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oquab_lib.tools.gpu_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--variant", default="full", choices=sorted(IMAGE_SIZE))
    parser.add_argument("--out", type=Path, default=FILE)
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("gpu-check: no CUDA GPU here; the CPU side of tests/test_devices.py ran, the GPU checks are skipped.")
        return 0
    record = measure(args.device, args.variant)
    if not record["amp_training"]["finite"]:
        print(f"gpu-check: AMP training gave a non-finite loss on {record['device']}: {record['amp_training']}")
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"gpu-check: {record['device']}: {summary(record).round(2).to_string()}\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
