"""Test-time cost of the two papers' pipelines on the same images, measured in one run.

CVPR'14 scores an image by cropping ~500 square patches, resizing each to the network input and running the whole
network on every patch. CVPR'15 runs C1–C5 once over the whole image and FC6–FC8 as convolutions, so the patches'
shared computation is done once. :func:`fcn_vs_patches` times both on the same random images and sets the measured
speed-up beside the ratio of their FLOPs. Timings on a shared machine are noisy, which is why both are measured in the
same run and only their ratio is reported as the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd
import torch
from torch import Tensor, nn
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib.models import build_alexnet, count_flops, get_spec, normalization
from oquab_lib.patches import crop_patches, tile_patches
from oquab_lib.weak_net import fc_to_conv

TEST_SCALES = (0.5, 0.7, 1.0, 1.4, 2.0, 2.8)  # CVPR'15 multi-scale test


def _timed(fn, repeats: int, device: str) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeats`` runs, after one warm-up run."""
    fn()
    times = []
    for _ in range(repeats):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def fcn_vs_patches(
    variant: str = "quick",
    *,
    image_size: tuple[int, int] | None = None,
    num_images: int = 4,
    repeats: int = 3,
    batch_size: int = 256,
    device: str = "cpu",
    seed: int = 0,
) -> pd.DataFrame:
    """Seconds per image of the patch pipeline and of the fully-convolutional net, with their FLOP ratio.

    Args:
        variant: AlexNet variant (``full``: 224-px patches of ~500×375 images; ``quick``: 48-px, ~160×120 images).
        image_size: ``(width, height)`` of the test images; defaults to VOC's 500×375 scaled to the variant's input.
    Returns:
        One row per pipeline: ``patches_per_image``, ``seconds_per_image``, ``gflops_per_image``, plus the speed-up
        and FLOP ratio of the fully-convolutional net over the patch pipeline.
    """
    spec = get_spec(variant)
    width, height = image_size or (round(500 * spec.input_size / 224), round(375 * spec.input_size / 224))
    net = build_alexnet(variant, num_classes=21, seed=seed).eval().to(device)
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(num_images, 3, height, width, generator=generator).to(device)
    boxes = tile_patches(width, height)
    pipelines = [_patch_pipeline(net, images, boxes, batch_size, device), *_fully_convolutional(net, images, device)]
    rows = []
    for name, fn, flops in tqdm(pipelines, desc="timing", leave=False):
        seconds = _timed(fn, repeats, device) / num_images
        rows.append(dict(pipeline=name, patches_per_image=len(boxes), seconds_per_image=seconds,
                         gflops_per_image=flops / 1e9))
    table = pd.DataFrame(rows).set_index("pipeline")
    table.attrs.update(variant=variant, device=device, image_size=f"{width}x{height}")
    return table


Pipeline = tuple[str, Callable[[], None], float]  # (name, one run over every image, FLOPs of that run per image)


def _patch_pipeline(net: nn.Module, images: Tensor, boxes: Tensor, batch_size: int, device: str) -> Pipeline:
    """CVPR'14: every tiled patch of every image ``[N, 3, H, W]`` cropped, resized and run through the whole net."""
    spec = net.spec
    mean, std = normalization(spec)

    @torch.inference_mode()
    def run() -> None:
        for image in images:
            crops = crop_patches(image, boxes, out_size=spec.input_size, mean=mean, std=std, device=device)
            for start in range(0, len(crops), batch_size):
                net(crops[start:start + batch_size])

    return "CVPR'14 patches", run, len(boxes) * count_flops(net, spec.input_size)


def _fully_convolutional(net: nn.Module, images: Tensor, device: str) -> list[Pipeline]:
    """CVPR'15: the net as convolutions over whole images ``[N, 3, H, W]``, at scale 1 and at the test scales."""
    conv = fc_to_conv(net).eval().to(device)
    mean, std = (torch.tensor(v, device=device).view(1, 3, 1, 1) for v in normalization(net.spec))
    normalized = (images - mean) / std
    height, width = images.shape[-2:]
    # Scales that shrink the image below the network's input size are skipped (they have no valid output cell).
    scaled = [torch.nn.functional.interpolate(normalized, scale_factor=f, mode="bilinear") for f in TEST_SCALES
              if min(height, width) * f >= net.spec.input_size]

    @torch.inference_mode()
    def one_scale() -> None:
        conv(normalized)

    @torch.inference_mode()
    def multiscale() -> None:
        for batch in scaled:
            conv(batch)

    return [("CVPR'15 fully convolutional, 1 scale", one_scale, count_flops(conv, (height, width))),
            (f"CVPR'15 fully convolutional, {len(scaled)} scales", multiscale,
             sum(count_flops(conv, tuple(batch.shape[-2:])) for batch in scaled))]


def speedup_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per fully-convolutional row: the measured speed-up over the patch pipeline beside the ratio of their FLOPs."""
    patches = table.iloc[0]
    others = table.iloc[1:]
    return pd.DataFrame({
        "measured speed-up": patches.seconds_per_image / others.seconds_per_image,
        "FLOP ratio": patches.gflops_per_image / others.gflops_per_image,
    })


# Published sizes of the real datasets (images), the workloads of the full profile.
FULL_WORKLOADS = {
    "VOC 2007 trainval + test": 5011 + 4952,
    "VOC 2012 train + val": 5717 + 5823,
    "VOC 2012 train": 5717,
    "VOC 2012 val": 5823,
    "COCO 2014 train": 82783,
    "COCO 2014 val": 40504,
}
TRAIN_STEP_FACTOR = 1.3  # a weak-net training step ~ one forward at scale 1 + the small adaptation layers' backward
# NO PRETRAIN trains every layer: forward + backward ~ 3 forwards (an assumption), over every training patch per epoch
# (an upper bound: an epoch draws the object patches and a background_fraction of the rest)
FULL_TRAIN_FACTOR = 3.0


def full_profile_estimate(table: pd.DataFrame, epochs: int = 20, source_nets: int = 1, scratch_epochs: int = 90,
                          scratch_seeds: int = 2) -> pd.DataFrame:
    """Hours the ``full`` profile needs on the device that measured ``table`` (:func:`fcn_vs_patches` of ``full``).

    Each row: a step, its image count (:data:`FULL_WORKLOADS`), passes over them, the measured seconds per image
    and the estimate. CVPR'14: every image's ~500 patches through C1-FC7 once per source network (cached, then heads
    train on features in minutes); ``source_nets`` = 1 for torchvision's PRE-1000C, each network you add (PRE-1000R,
    PRE-1512) costs as much again. NO PRETRAIN (Table 2): ``scratch_epochs`` x ``scratch_seeds`` passes over the
    training images' patches at ``FULL_TRAIN_FACTOR`` x the patch forward (an upper bound). CVPR'15: ``epochs`` of one-image steps (``TRAIN_STEP_FACTOR`` x a one-scale
    pass; an assumption, not a measurement) and a multi-scale test, per model (rows D, E, F and the ablations each
    train one). Data loading and JPEG decoding are not included.
    """
    if table.attrs.get("variant") != "full":
        raise ValueError(f"full_profile_estimate needs the 'full' variant's timings, got {table.attrs.get('variant')!r}")
    patches, one_scale, multi = table["seconds_per_image"].iloc[:3]
    steps = [
        ("CVPR'14 Table 1: patch features", "VOC 2007 trainval + test", source_nets, patches),
        ("CVPR'14 Table 2: patch features", "VOC 2012 train + val", source_nets, patches),
        ("CVPR'14 Table 2: NO PRETRAIN, every seed", "VOC 2012 train", scratch_epochs * scratch_seeds,
         patches * FULL_TRAIN_FACTOR),
        ("CVPR'15 VOC: training, one model", "VOC 2012 train", epochs, one_scale * TRAIN_STEP_FACTOR),
        ("CVPR'15 VOC: multi-scale test, one model", "VOC 2012 val", 1, multi),
        ("CVPR'15 COCO: training", "COCO 2014 train", epochs, one_scale * TRAIN_STEP_FACTOR),
        ("CVPR'15 COCO: multi-scale test", "COCO 2014 val", 1, multi),
    ]
    rows = [dict(step=step, images=FULL_WORKLOADS[data], data=data, passes=passes, seconds_per_image=seconds,
                 hours=FULL_WORKLOADS[data] * passes * seconds / 3600) for step, data, passes, seconds in steps]
    estimate = pd.DataFrame(rows).set_index("step")
    estimate.attrs.update(device=table.attrs.get("device"))
    return estimate


# ---------------------------------------------------------------------------------------------- the Performance page
# profile -> (variant -> (images, repeats), variant -> patch-pipeline images). Full-size on a CPU is one image: the
# quick book stays fast, and `make rehearse` (profile full on a CPU) does not spend minutes on a full AlexNet.
_SIZES = {
    "smoke": ({"smoke": (1, 1)}, {"smoke": 4}),
    "quick": ({"quick": (2, 3), "full": (1, 1)}, {"quick": 200, "full": 1}),
    "full": ({"full": (4, 3)}, {"full": 40}),
}
_CPU_FULL = ({"full": (1, 1)}, {"full": 1})


def plan_sizes(profile: str, device: str) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """The Performance chapter's benchmark sizes: ``(variant -> (images, repeats), variant -> overhead images)``.

    Profile ``full`` measures 4 images x 3 repeats and 40 overhead images on a GPU; on a CPU it measures one image of
    each, as the quick profile does for its full-size row (a full AlexNet on 500 patches takes seconds per image)."""
    if profile == "full" and not device.startswith("cuda"):
        return _CPU_FULL
    return _SIZES[profile]


def measure_variants(variants: dict[str, tuple[int, int]], device: str, seed: int = 0) -> dict[str, pd.DataFrame]:
    """:func:`fcn_vs_patches` of each ``variant -> (images, repeats)``."""
    return {variant: fcn_vs_patches(variant, num_images=n, repeats=r, device=device, seed=seed)
            for variant, (n, r) in variants.items()}


def variants_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every variant's timings beside its speed-ups (rows ``(variant, pipeline)``; no speed-up on the patch row)."""
    rows = {variant: table.join(speedup_table(table)) for variant, table in tables.items()}
    return pd.concat(rows, names=["variant"])


def speedup_sentences(tables: dict[str, pd.DataFrame]) -> str:
    """One sentence per variant: image size, device, and the speed-ups of single- and multi-scale testing."""
    lines = []
    for variant, table in tables.items():
        single, multi = speedup_table(table).iloc[0], speedup_table(table).iloc[1]
        lines.append(
            f"{variant} ({table.attrs['image_size']} images, device {table.attrs['device']}): one fully-convolutional "
            f"pass is {single['measured speed-up']:.0f}x faster than {table.patches_per_image.iloc[0]} patches (FLOP "
            f"ratio {single['FLOP ratio']:.0f}x); the multi-scale test is {multi['measured speed-up']:.1f}x faster "
            f"(FLOP ratio {multi['FLOP ratio']:.1f}x).")
    return "\n".join(lines)
