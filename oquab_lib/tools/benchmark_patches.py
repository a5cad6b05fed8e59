"""Overhead of the CVPR'14 patch pipeline over pure network time, measured on the same patches in one run.

The pipeline that feeds the frozen source network (:mod:`oquab_lib.cvpr14.features`) does, per image, ``tile_patches`` +
``label_patches``, then, per batch, ``crop_rows`` (the images' uint8 pixels -> float, one ``roi_align`` call that
crops and resizes every patch of the batch, normalisation) and hands the batch to ``forward_fc7``.
:func:`patch_pipeline_overhead` times the pipeline's own steps and the forward pass alone on the same batches and
returns their ratio (goal: <= 10 %). Images are decoded once per split and cached by the pipeline, so decoding is not
part of the ratio. Scenes are random images of the variant's size with random boxes to label (the cost of tiling,
labelling and cropping does not depend on the pixels).
"""

from __future__ import annotations

import copy
import time

import numpy as np
import pandas as pd
import torch
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib.config import PROFILES
from oquab_lib.cvpr14.config import Cvpr14Config
from oquab_lib.cvpr14.features import PatchSet, crop_rows, uint8_normaliser
from oquab_lib.models import build_alexnet, normalization, use_band_lrn
from oquab_lib.patches import label_patches, tile_patches

IMAGE_SIZE = {"smoke": (96, 72), "quick": (160, 120), "full": (500, 375)}  # (width, height) of each profile's scenes
Scene = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # uint8 [3, H, W] image, boxes [n, 4], labels [n]


def synthetic_scenes(variant: str, count: int, seed: int = 0) -> list[Scene]:
    """Random scenes of the variant's image size, each with 1-3 random boxes of random classes."""
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


def tiling_config(profile: str) -> Cvpr14Config:
    """The tiling settings (scales, overlap, labelling rule) of a profile's CVPR'14 section."""
    keep = ("scales", "min_overlap", "overlap_measure", "partial", "objects")
    return Cvpr14Config.from_section({k: v for k, v in PROFILES[profile]["cvpr14"].items() if k in keep})


def _tile_and_label(scenes: list[Scene], cfg: Cvpr14Config) -> PatchSet:
    patches, labels, index = [], [], []
    for n, (image, boxes, box_labels) in enumerate(scenes):
        tiles = tile_patches(image.shape[2], image.shape[1], cfg.scales, cfg.min_overlap, cfg.overlap_measure)
        labels.append(label_patches(tiles, boxes, box_labels, 20, None, cfg.partial, cfg.difficult_policy,
                                    cfg.objects))
        patches.append(tiles)
        index.append(torch.full((len(tiles),), n))
    return PatchSet("bench", {}, [str(n) for n in range(len(scenes))], [], torch.zeros(len(scenes), 2),
                    torch.zeros(len(scenes), 20), torch.cat(patches), torch.cat(index), torch.cat(labels))


def _store(scenes: list[Scene]) -> np.ndarray:
    """The pipeline's decoded-image store: uint8 ``[N, 3, Hmax, Wmax]``."""
    height, width = max(s[0].shape[1] for s in scenes), max(s[0].shape[2] for s in scenes)
    store = np.zeros((len(scenes), 3, height, width), dtype=np.uint8)
    for n, (image, _, _) in enumerate(scenes):
        store[n, :, : image.shape[1], : image.shape[2]] = image.numpy()
    return store


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(scenes: list[Scene], cfg: Cvpr14Config, variant: str, device: torch.device, batch_size: int = 256,
            progress: bool = False) -> dict[str, float]:
    """Seconds of each step over every patch of ``scenes``, all in this one run on the same patches.

    ``crop_batch``: ``crop_rows`` per batch (the on-the-fly path); ``convert``: reading a batch of cached uint8 crops
    and normalising it (the crop-cache path); ``forward``: ``forward_fc7`` alone.
    """
    start = time.perf_counter()
    patch_set = _tile_and_label(scenes, cfg)
    tile_seconds = time.perf_counter() - start
    store = _store(scenes)
    net = use_band_lrn(copy.deepcopy(build_alexnet(variant, 1000, seed=0))).to(device).eval()
    mean, std = normalization(variant)
    shift, scale = (torch.tensor(v, device=device).view(1, 3, 1, 1) * 255 for v in (mean, std))
    normalise = uint8_normaliser(mean, std, device)  # what the crop-cache path of the pipeline does per batch
    seconds = dict(crop_batch=0.0, convert=0.0, forward=0.0)
    with torch.inference_mode():
        for first in tqdm(range(0, len(patch_set.boxes), batch_size), desc="patch batches", disable=not progress):
            rows = torch.arange(first, min(first + batch_size, len(patch_set.boxes)))
            marks = [time.perf_counter()]
            crops = crop_rows(store, patch_set, rows, net.spec.input_size, mean, std, device)
            _sync(device)
            marks.append(time.perf_counter())
            cached = crops.mul(scale).add(shift).round().clamp(0, 255).to(torch.uint8).cpu()  # not timed: cache fill
            _sync(device)
            marks.append(time.perf_counter())
            inputs = normalise(cached)
            _sync(device)
            marks.append(time.perf_counter())
            with torch.autocast("cuda", enabled=device.type == "cuda"):
                net.forward_fc7(inputs).float().cpu()
            _sync(device)
            marks.append(time.perf_counter())
            for name, (a, b) in zip(seconds, ((0, 1), (2, 3), (3, 4))):
                seconds[name] += marks[b] - marks[a]
    return dict(patches=len(patch_set.boxes), tile_label=tile_seconds, **seconds)


def uses_crop_cache(profile: str) -> bool:
    """Whether the profile's CVPR'14 pipeline crops once into a shared cache (quick) or on the fly (full: too big)."""
    return Cvpr14Config.from_section({k: v for k, v in PROFILES[profile]["cvpr14"].items()
                                      if k == "cache_crops"}).cache_crops


def patch_pipeline_overhead(variant: str = "quick", num_images: int = 200, device: str = "cpu", *,
                            batch_size: int = 256, nets: int | None = None, seed: int = 0,
                            progress: bool = True) -> pd.DataFrame:
    """The pipeline's overhead over network time, on the crop-on-the-fly path and the shared-crop-cache path.

    Returns one row per path with ``overhead_seconds``, ``network_seconds`` and ``overhead_ratio``; ``attrs`` hold
    the step times, the patch count and the settings. ``nets`` source networks share one crop cache (default: Table
    2's, the 4 variants x the profile's ``num_seeds``), so the one-off tiling and cropping are divided among them on
    that path.
    """
    nets = nets or 4 * PROFILES[variant]["cvpr14"]["num_seeds"]
    torch_device = torch.device(device)
    scenes = synthetic_scenes(variant, num_images, seed)
    cfg = tiling_config(variant)
    measure(scenes[:2], cfg, variant, torch_device, batch_size)  # warm-up: allocator, kernels, autotuning
    times = measure(scenes, cfg, variant, torch_device, batch_size, progress)
    once = times["tile_label"] + times["crop_batch"]
    on_the_fly, shared = "crop on the fly (cache_crops=False)", f"crop cache shared by {nets} nets (cache_crops=True)"
    rows = {on_the_fly: once, shared: once / nets + times["convert"]}
    table = pd.DataFrame({"overhead_seconds": rows, "network_seconds": times["forward"]})
    table["overhead_ratio"] = table["overhead_seconds"] / table["network_seconds"]
    table.attrs.update(times=times, variant=variant, device=device, images=num_images, batch_size=batch_size,
                       patches_per_image=times["patches"] / num_images,
                       profile_path=shared if uses_crop_cache(variant) else on_the_fly)
    return table


def measure_overheads(images: dict[str, int], device: str = "cpu", seed: int = 0) -> dict[str, pd.DataFrame]:
    """:func:`patch_pipeline_overhead` of each ``variant -> number of images``."""
    return {variant: patch_pipeline_overhead(variant, n, device, seed=seed) for variant, n in images.items()}


def overheads_table(overheads: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every variant's two paths in one table (rows ``(variant, path)``)."""
    return pd.concat(overheads, names=["variant"])


def overhead_sentences(overheads: dict[str, pd.DataFrame], goal: float = 0.10) -> str:
    """Per variant: images, patches per image, and whether the profile's own path meets the overhead ``goal``."""
    lines = []
    for variant, table in overheads.items():
        path = table.attrs["profile_path"]
        ratio = table.loc[path, "overhead_ratio"]
        lines.append(f"{variant}: {table.attrs['images']} images, {table.attrs['patches_per_image']:.0f} patches per "
                     f"image; the profile's path, {path}, costs {ratio:.1%} of network time; goal <= {goal:.0%}: "
                     f"{'met' if ratio <= goal else 'not met'} (device {table.attrs['device']}).")
    return "\n".join(lines)
