"""CVPR'14 Table 3's heat maps: where a trained action model fires on whole test images, with no person box.

The whole image is tiled with :func:`oquab_lib.patches.tile_patches` (the paper's scales); each tile is seen as a test
person is (its central window, resized to the network input), and each pixel gets the mean posterior of the tiles
covering it (:func:`oquab_lib.heatmaps.patch_heatmap`). The models are the cached ones of
:func:`oquab_lib.cvpr14.actions.tables.table3`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import Tensor

from oquab_lib import cache
from oquab_lib.config import Run
from oquab_lib.cvpr14.actions.config import config
from oquab_lib.cvpr14.actions.tables import (
    PersonPatches,
    action_model_entry,
    autocast,
    build_action_net,
    patch_side,
    prepare,
)
from oquab_lib.cvpr14.scores import aggregate_scores
from oquab_lib.data.classes import VOC_ACTIONS
from oquab_lib.data.images import load_rgb_tensor
from oquab_lib.data.voc import voc_year_dir
from oquab_lib.heatmaps import overlay, patch_heatmap
from oquab_lib.models import AlexNet, normalization
from oquab_lib.patches import crop_patches, tile_patches
from oquab_lib.transfer import TransferNet

__all__ = ["image_heatmaps", "action_heatmaps", "heatmap_figure"]


def _pick_images(persons: PersonPatches, count: int) -> list[str]:
    """Test images showing actions not yet shown, in test order (deterministic), ``count`` at most."""
    chosen, shown = [], set()
    for image_id, labels in zip(persons.image_ids, persons.labels):
        actions = set(torch.nonzero(labels == 1).flatten().tolist())
        if len(chosen) < count and actions - shown and image_id not in chosen:
            chosen.append(image_id)
            shown |= actions
    return chosen


@torch.no_grad()
def image_heatmaps(net: TransferNet, image: Tensor, device: str | torch.device, batch: int = 256):
    """Whole-image heat maps, no person box: ``image`` float [3, H, W] -> (heat [10, H, W], image scores [10]).

    Tiles of :func:`tile_patches` (the paper's scales); each tile is seen as a test person is (its central
    input/R window, resized to the input size); image score = :func:`oquab_lib.cvpr14.scores.aggregate_scores` (k = 5).
    """
    device, net = torch.device(device), net.eval()
    height, width = image.shape[-2:]
    tiles = tile_patches(width, height)
    crop, probs = net.spec.input_size, []
    centre, half = (tiles[:, :2] + tiles[:, 2:]) / 2, (tiles[:, 2:] - tiles[:, :2]) * (crop / patch_side(net)) / 2
    windows = torch.cat([centre - half, centre + half], 1)
    for start in range(0, len(windows), batch):
        crops = crop_patches(image, windows[start:start + batch], None, crop, *normalization(net.spec), device=device)
        with autocast(device):
            probs.append(net(crops).float().softmax(dim=1).cpu())
    probs = torch.cat(probs)
    with_background = probs if probs.shape[1] > len(VOC_ACTIONS) else F.pad(probs, (0, 1))  # "other" plays background
    return patch_heatmap(tiles, probs[:, :len(VOC_ACTIONS)], height, width), aggregate_scores(with_background, k=5)


def action_heatmaps(run: Run, method: str | None = None, seed: int | None = None, num_images: int | None = None,
                    sources: Mapping[int, AlexNet] | None = None, progress: bool = False) -> list[dict[str, Any]]:
    """Heat maps of a few test images from the (cached) model of ``method`` / ``seed`` (default: config's), cached.

    Returns one dict per image: ``image_id``, ``image`` float [3, H, W], ``boxes`` [P, 4] and ``actions`` (ground
    truth of its test persons, shown for reference only), ``heat`` [10, H, W], ``scores`` [10].
    """
    cfg = config(run)
    method, seed = method or cfg.heatmap_method, cfg.seeds[0] if seed is None else seed
    cfg = dataclasses.replace(cfg, seeds=(seed,))
    nets, train, test = prepare(run, cfg, sources, progress)
    source, source_id = nets[seed]
    if source_id is None and method != "NO PRETRAIN":
        return []
    entry = action_model_entry(run, cfg, method, seed, source, source_id, train, test, progress)
    image_ids = _pick_images(test, cfg.heatmap_images if num_images is None else num_images)

    def compute(work: Path) -> None:
        net = build_action_net(method, source, len(VOC_ACTIONS) + cfg.other_class, cfg.hidden, seed,
                               cfg.scratch_init)
        net.load_state_dict(cache.load_state_dict(entry / "weights.pt"))
        net, year_dir, maps = net.to(run.device), voc_year_dir(run.data_root, "2012"), []
        for image_id in image_ids:
            image = load_rgb_tensor(year_dir / "JPEGImages" / f"{image_id}.jpg").float() / 255
            heat, scores = image_heatmaps(net, image, run.device)
            rows = [i for i, other in enumerate(test.image_ids) if other == image_id]
            present = {a for i in rows for a in torch.nonzero(test.labels[i] == 1).flatten().tolist()}
            actions = sorted(VOC_ACTIONS[a] for a in present)
            maps.append(dict(image_id=image_id, image=image, boxes=test.boxes[rows], actions=actions, heat=heat,
                             scores=scores, method=method, seed=seed))
        cache.save_state_dict(work / "heatmaps.pt", {"maps": maps})

    # cached: a warm build then neither crops patches nor runs the net (nor imports torchvision for roi_align)
    key = {"model": entry.name, "images": image_ids}  # the model's entry name already names the world
    maps_entry = cache.load_or_compute(run.runs_dir, f"actions-heatmaps-{method.lower().replace(' ', '')}-s{seed}",
                                       key, compute, verbose=progress)
    return cache.load_state_dict(maps_entry / "heatmaps.pt")["maps"]


def heatmap_figure(maps: list[dict[str, Any]], top: int = 3):
    """Rows = images; columns = the image (ground-truth persons outlined) + heat maps of its ``top`` actions."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(max(len(maps), 1), top + 1, figsize=(2.4 * (top + 1), 2.3 * max(len(maps), 1)),
                             squeeze=False)
    for row, item in zip(axes, maps):
        row[0].imshow(item["image"].permute(1, 2, 0).numpy())
        for x1, y1, x2, y2 in item["boxes"].tolist():
            row[0].add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, color="white", lw=1.2))
        row[0].set_title(f"{item['image_id']}\ntruth: {', '.join(item['actions']) or 'none'}", fontsize=8)
        order = item["scores"].argsort(descending=True)[:top].tolist()
        vmax = float(item["heat"][order].max())  # one colour scale per image: maps of a row are comparable
        for ax, action in zip(row[1:], order):
            ax.imshow(overlay(item["image"], item["heat"][action], vmin=0.0, vmax=vmax))
            ax.set_title(f"{VOC_ACTIONS[action]} (score {float(item['scores'][action]):.2g})", fontsize=8)
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout()
    return fig
