"""Overhead of the CVPR'14 patch pipeline over pure network time, measured on the same patches in one run.

The pipeline that feeds the frozen source network (:mod:`oquab_lib.features`) does, per image, ``tile_patches`` +
``label_patches``, then, per batch, ``crop_rows`` (the images' uint8 pixels -> float, one ``roi_align`` call that crops
and resizes every patch of the batch, ImageNet normalisation) and hands the batch to ``forward_fc7``. This script times
the pipeline's own steps and the forward pass alone on the same batches and prints their ratio (goal: <= 10 %).
Images are decoded once per split and cached by the pipeline, so decoding is reported apart, not in the ratio.

    python benchmarks/patch_pipeline_overhead.py                       # quick size, CPU, < 1 min
    python benchmarks/patch_pipeline_overhead.py --variant full --device cuda

Images: the JPEGs of ``--data-root`` (a VOCdevkit parent, e.g. data/miniworld-quick) when given, else random scenes
made in memory at the variant's image size (160x120 for quick, 500x375 for full) with random boxes to label.
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import numpy as np
import torch

from oquab_lib.config import PROFILES
from oquab_lib.data.images import load_rgb_tensor
from oquab_lib.data.voc import VOCBoxes
from oquab_lib.features import Cvpr14Config, PatchSet, crop_rows
from oquab_lib.models import build_alexnet, normalization, use_band_lrn
from oquab_lib.patches import label_patches, tile_patches

IMAGE_SIZE = {"smoke": (96, 72), "quick": (160, 120), "full": (500, 375)}


def synthetic_images(variant: str, count: int, seed: int) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """``(uint8 [3, H, W] image, boxes [n, 4], labels [n])`` of random scenes with 1-3 random boxes each."""
    generator = torch.Generator().manual_seed(seed)
    width, height = IMAGE_SIZE[variant]
    scenes = []
    for _ in range(count):
        image = torch.randint(0, 256, (3, height, width), dtype=torch.uint8, generator=generator)
        n = int(torch.randint(1, 4, (1,), generator=generator))
        corner = torch.rand(n, 2, generator=generator) * torch.tensor([width * 0.6, height * 0.6])
        size = (0.2 + 0.4 * torch.rand(n, 2, generator=generator)) * torch.tensor([width, height])
        scenes.append((image, torch.cat([corner, corner + size], 1), torch.randint(0, 20, (n,), generator=generator)))
    return scenes


def voc_images(root: Path, count: int) -> tuple[list, float]:
    """The first ``count`` images of VOC2012 train under ``root`` with their boxes, and the decoding time."""
    boxes = VOCBoxes(root, "2012", "train")
    start, scenes = time.perf_counter(), []
    for i in range(min(count, len(boxes))):
        target = boxes.target(i)
        scenes.append((load_rgb_tensor(boxes.image_path(i)), target["boxes"], target["labels"]))
    return scenes, time.perf_counter() - start


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _tile_and_label(scenes: list, cfg: Cvpr14Config) -> PatchSet:
    patches, labels, index = [], [], []
    for n, (image, boxes, box_labels) in enumerate(scenes):
        tiles = tile_patches(image.shape[2], image.shape[1], cfg.scales, cfg.min_overlap, cfg.overlap_measure)
        labels.append(label_patches(tiles, boxes, box_labels, 20, None, cfg.partial, cfg.difficult_policy))
        patches.append(tiles)
        index.append(torch.full((len(tiles),), n))
    return PatchSet("bench", {}, [str(n) for n in range(len(scenes))], [], torch.zeros(len(scenes), 2),
                    torch.zeros(len(scenes), 20), torch.cat(patches), torch.cat(index), torch.cat(labels))


def _store(scenes: list) -> np.ndarray:
    """The pipeline's decoded-image store: uint8 ``[N, 3, Hmax, Wmax]``."""
    height, width = max(s[0].shape[1] for s in scenes), max(s[0].shape[2] for s in scenes)
    store = np.zeros((len(scenes), 3, height, width), dtype=np.uint8)
    for n, (image, _, _) in enumerate(scenes):
        store[n, :, : image.shape[1], : image.shape[2]] = image.numpy()
    return store


def measure(scenes: list, cfg: Cvpr14Config, variant: str, device: torch.device, batch_size: int) -> dict[str, float]:
    """Seconds of each step over every patch of ``scenes``, all in this one run on the same patches.

    ``crop_batch``: ``crop_rows`` per batch (the on-the-fly path); ``convert``: reading a batch of cached uint8 crops
    and normalising it (the crop-cache path, whose crops are the on-the-fly ones rounded to uint8); ``forward``:
    ``forward_fc7`` alone.
    """
    start = time.perf_counter()
    patch_set = _tile_and_label(scenes, cfg)
    tile_seconds = time.perf_counter() - start
    store = _store(scenes)
    net = use_band_lrn(copy.deepcopy(build_alexnet(variant, 1000, seed=0))).to(device).eval()
    mean, std = normalization(variant)
    shift, scale = (torch.tensor(v, device=device).view(1, 3, 1, 1) * 255 for v in (mean, std))
    seconds = dict(crop_batch=0.0, convert=0.0, forward=0.0)
    with torch.inference_mode():
        for first in range(0, len(patch_set.boxes), batch_size):
            rows = torch.arange(first, min(first + batch_size, len(patch_set.boxes)))
            marks = [time.perf_counter()]
            crops = crop_rows(store, patch_set, rows, net.spec.input_size, mean, std, device)
            _sync(device)
            marks.append(time.perf_counter())
            cached = crops.mul(scale).add(shift).round().clamp(0, 255).to(torch.uint8).cpu()  # not timed: cache fill
            _sync(device)
            marks.append(time.perf_counter())
            inputs = (cached.to(device).float() - shift) / scale
            _sync(device)
            marks.append(time.perf_counter())
            with torch.autocast("cuda", enabled=device.type == "cuda"):
                net.forward_fc7(inputs).float().cpu()
            _sync(device)
            marks.append(time.perf_counter())
            for name, (a, b) in zip(seconds, ((0, 1), (2, 3), (3, 4))):
                seconds[name] += marks[b] - marks[a]
    return dict(patches=len(patch_set.boxes), tile_label=tile_seconds, **seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=tuple(IMAGE_SIZE), default="quick")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--images", type=int, default=None, help="default: 200 (quick), 40 (full), 20 (smoke)")
    parser.add_argument("--data-root", type=Path, default=None, help="a VOCdevkit parent; default: random scenes")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (0: leave as is)")
    parser.add_argument("--nets", type=int, default=8, help="source nets sharing a crop cache (Table 2: 4 x 2 seeds)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    count = args.images or {"quick": 200, "full": 40, "smoke": 20}[args.variant]
    cfg = Cvpr14Config.from_section({k: v for k, v in PROFILES[args.variant]["cvpr14"].items()
                                     if k in ("scales", "min_overlap", "overlap_measure", "partial")})
    decode = None
    if args.data_root is not None:
        scenes, decode = voc_images(args.data_root, count)
    else:
        scenes = synthetic_images(args.variant, count, seed=0)
    measure(scenes[:2], cfg, args.variant, device, args.batch_size)  # warm-up: allocator, kernels, autotuning
    times = measure(scenes, cfg, args.variant, device, args.batch_size)
    print(f"variant {args.variant}, device {device}, {len(scenes)} images, {times['patches']} patches "
          f"({times['patches'] / len(scenes):.0f} per image), batch {args.batch_size}")
    print(f"  tile + label               {times['tile_label']:8.3f} s   (once per split)")
    print(f"  crop + resize + batch      {times['crop_batch']:8.3f} s   (roi_align; once per split with the crop cache)")
    print(f"  cached crops -> batch      {times['convert']:8.3f} s   (uint8 -> normalised float)")
    print(f"  forward (FC7)              {times['forward']:8.3f} s   ({times['patches'] / times['forward']:.0f} patches/s)")
    if decode is not None:
        print(f"  JPEG decoding              {decode:8.3f} s   (once per split, cached; not in the ratios)")
    on_the_fly = (times["tile_label"] + times["crop_batch"]) / times["forward"]
    once = times["tile_label"] + times["crop_batch"]
    shared = (once / args.nets + times["convert"]) / times["forward"]
    print(f"overhead / network time, cropping on the fly (cache_crops=False): {on_the_fly:.1%}")
    print(f"overhead / network time, crop cache shared by {args.nets} source nets (cache_crops=True): {shared:.1%}")
    best = min(on_the_fly, shared)
    print(f"best: {best:.1%} (goal <= 10%: {'met' if best <= 0.10 else 'NOT met'})")


if __name__ == "__main__":
    main()
