"""CVPR'15 figures: score maps during training, localisation examples, top-ranking false positives, and "are bounding
boxes harmful?" (box-trained CVPR'14 heat maps beside the weak net's maps).

Every function returns a matplotlib ``Figure``; score maps are shown at test scale 1 (the base size), bilinearly
up-sampled to the image (:func:`oquab_lib.heatmaps.upsample_score_map`) and blended over it, each panel on its own
colour scale (the shape of the map is the point, not its level).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor

from oquab_lib.config import Run
from oquab_lib.cvpr15.config import config, seeds
from oquab_lib.cvpr15.data import ImageSet, scaled_shape, to_network_input
from oquab_lib.cvpr15.inputs import (
    compute_threads,
    image_set,
    shared_inputs,
    source_network,
)
from oquab_lib.cvpr15.results import SplitPrediction, cached_predictions
from oquab_lib.cvpr15.strong import patch_head, patch_heatmaps
from oquab_lib.cvpr15.tables import frame_factors, weak_model
from oquab_lib.cvpr15.train import load_weak_net
from oquab_lib.data.images import load_rgb_tensor
from oquab_lib.heatmaps import overlay, upsample_score_map
from oquab_lib.models import normalization
from oquab_lib.weak_net import WeakNet, score_geometry


def _threaded(figure_fn: Callable[..., Figure]) -> Callable[..., Figure]:
    """Run a figure function under the profile's CPU thread count (tiny convolutions are slower on two busy threads),
    sharing source networks and image sets (:func:`oquab_lib.cvpr15.inputs.shared_inputs`) for its length."""
    @functools.wraps(figure_fn)
    def wrapper(run: Run, *args: Any, **kwargs: Any) -> Figure:
        with shared_inputs(), compute_threads(config(run), torch.device(run.device)):
            return figure_fn(run, *args, **kwargs)

    return wrapper


@torch.inference_mode()
def image_maps(net: WeakNet, image: Tensor, device: str | torch.device = "cpu", scale: float = 1.0) -> tuple[Tensor, Tensor]:
    """``(scaled image uint8 [3, H, W], score maps up-sampled to it [K, H, W])`` of a base-size ``image``."""
    net.eval().to(device)
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in normalization(net.spec))
    size = scaled_shape(*image.shape[-2:], scale, net.spec.input_size)
    x = to_network_input(image[None].to(device), size, mean, std)
    maps = net.score_maps(x)[0].float().cpu()
    stride, offset = score_geometry(net)
    shown = (x[0].cpu() * std[0] * 255 + mean[0] * 255).round().clamp(0, 255).to(torch.uint8)
    # score_geometry counts pixel p as centred at p; upsample_score_map at p + 0.5
    return shown, upsample_score_map(maps, stride, offset + 0.5, *size)


def _panel(ax, picture: np.ndarray | Tensor, title: str = "") -> None:
    ax.imshow(picture.permute(1, 2, 0).numpy() if isinstance(picture, Tensor) else picture)
    ax.set_title(title, fontsize=8)
    ax.set_axis_off()


def _positive_image(pred: SplitPrediction, cls: int) -> int:
    """The positive image of class ``cls`` with the highest score (a clear example), or -1 when there is none."""
    positives = torch.nonzero(pred.labels[:, cls] == 1).squeeze(1)
    return int(positives[pred.scores[positives, cls].argmax()]) if len(positives) else -1


@_threaded
def training_maps_figure(run: Run, classes: tuple[str, ...] = ("motorbike", "horse", "person")) -> Figure:
    """The paper's Fig. 1: one row per class, the map of that class on a held-out image after the snapshot steps
    (the paper's iterations 210, 510, 4200 as fractions of its run) and at the selected epoch."""
    cfg = config(run)
    result = weak_model(run, cfg, seeds(run)[0], progress=False)
    pred = cached_predictions(run, cfg, result, cfg.location_split, progress=False)
    images = image_set(run, cfg, "voc", cfg.location_split, progress=False)
    names = list(images.class_names)
    steps = result.snapshot_paths()
    nets = {f"step {s}": load_weak_net(run, cfg, result, weights=p) for s, p in steps.items()}
    nets[f"final (epoch {result.best_epoch + 1})"] = load_weak_net(run, cfg, result)
    rows = [c for c in classes if c in names and _positive_image(pred, names.index(c)) >= 0]
    fig, axes = plt.subplots(len(rows), len(nets) + 1, figsize=(2.0 * (len(nets) + 1), 1.8 * len(rows)),
                             squeeze=False)
    for r, name in enumerate(rows):
        index = _positive_image(pred, names.index(name))
        _panel(axes[r, 0], _with_boxes(images, index), f"{name}: image")
        for c, (label, net) in enumerate(nets.items(), start=1):
            shown, maps = image_maps(net, images.images[index], run.device)
            _panel(axes[r, c], overlay(shown, maps[names.index(name)]), label)
    fig.suptitle("Score maps during training", fontsize=10)
    fig.tight_layout()
    return fig


def _with_boxes(images: ImageSet, index: int, cls: int | None = None) -> np.ndarray:
    """The base-size image with the ground-truth boxes (of class ``cls``, or all) burnt in (yellow, 1 px)."""
    picture = images.images[index].permute(1, 2, 0).numpy().copy()
    factor = images.base_factors([index])[0]
    for box in images.boxes[index]:
        if cls is not None and int(box[4]) != cls:
            continue
        x1, y1, x2, y2 = (box[:4].double() * factor.repeat(2)).round().long().tolist()
        h, w = picture.shape[:2]
        x1, x2, y1, y2 = max(x1, 0), min(x2, w - 1), max(y1, 0), min(y2, h - 1)
        picture[y1:y2 + 1, [x1, x2]] = picture[[y1, y2], x1:x2 + 1] = (255, 220, 0)
    return picture


@_threaded
def localisation_examples_figure(run: Run, count: int = 8) -> Figure:
    """Held-out images with the boxes of one present class (yellow) and the predicted point of that class (green:
    within the tolerance, red: not); classes spread over the class list, the top-scoring positive image of each."""
    from oquab_lib.localize import point_hits

    cfg = config(run)
    pred = cached_predictions(run, cfg, weak_model(run, cfg, seeds(run)[0], progress=False), cfg.location_split,
                              progress=False)
    images = image_set(run, cfg, "voc", cfg.location_split, progress=False)
    factors = frame_factors(pred.sizes, cfg.location_frame)
    framed = [torch.cat([b[:, :4].double() * f, b[:, 4:].double()], 1) for b, f in zip(pred.boxes, factors)]
    hits = point_hits(pred.points.double() * factors[:, None, None], framed, cfg.tolerance)
    classes = [c for c in np.linspace(0, len(images.class_names) - 1, count).round().astype(int)
               if _positive_image(pred, c) >= 0]
    columns = min(4, len(classes))
    fig, axes = plt.subplots(-(-len(classes) // columns), columns, figsize=(2.4 * columns, 2.1 * -(-len(classes) // columns)),
                             squeeze=False)
    for ax, cls in zip(axes.flat, classes):
        index = _positive_image(pred, cls)
        ax.imshow(_with_boxes(images, index, cls))
        x, y = (pred.points[index, cls].double() * images.base_factors([index])[0]).tolist()
        ax.plot(x, y, marker="o", markersize=7, color="lime" if hits[index, cls] else "red", markeredgecolor="black")
        ax.set_title(f"{images.class_names[cls]} ({pred.scores[index, cls]:.1f})", fontsize=8)
        ax.set_axis_off()
    for ax in list(axes.flat)[len(classes):]:
        ax.set_axis_off()
    fig.suptitle("Boxes (yellow); point: green = hit, red = miss", fontsize=9)
    fig.tight_layout()
    return fig


@_threaded
def false_positives_figure(run: Run, classes: tuple[str, ...] = ("cat", "dog", "sofa", "bicycle"),
                           per_class: int = 4) -> Figure:
    """For each class, the top-ranked images that do *not* contain it (the classifier's false positives), with that
    class's map; titles list the classes the image does contain."""
    cfg = config(run)
    result = weak_model(run, cfg, seeds(run)[0], progress=False)
    pred = cached_predictions(run, cfg, result, cfg.location_split, progress=False)
    images = image_set(run, cfg, "voc", cfg.location_split, progress=False)
    net = load_weak_net(run, cfg, result)
    names = list(images.class_names)
    rows = [c for c in classes if c in names]
    fig, axes = plt.subplots(len(rows), per_class, figsize=(2.1 * per_class, 1.9 * len(rows)), squeeze=False)
    for r, name in enumerate(rows):
        cls = names.index(name)
        negatives = torch.nonzero(pred.labels[:, cls] == -1).squeeze(1)
        top = negatives[pred.scores[negatives, cls].argsort(descending=True)[:per_class]]
        for c, index in enumerate(top.tolist()):
            shown, maps = image_maps(net, images.images[index], run.device)
            present = ", ".join(names[k] for k in torch.nonzero(pred.labels[index] == 1).flatten().tolist())
            _panel(axes[r, c], overlay(shown, maps[cls]), f"'{name}' {pred.scores[index, cls]:.1f}\nhas: {present}")
    fig.suptitle("Top-ranking false positives", fontsize=10)
    fig.tight_layout()
    return fig


@_threaded
def boxes_harmful_figure(run: Run, count: int = 4) -> Figure:
    """Per held-out image and one present class: the boxes, the box-trained patch head's heat map (CVPR'14 style)
    and the weak net's map of that class."""
    from oquab_lib.weak_net import fc_to_conv

    cfg = config(run)
    seed = seeds(run)[0]
    result = weak_model(run, cfg, seed, progress=False)
    pred = cached_predictions(run, cfg, result, cfg.location_split, progress=False)
    images = image_set(run, cfg, "voc", cfg.location_split, progress=False)
    head = patch_head(run, cfg, seed, progress=False)
    net = load_weak_net(run, cfg, result)
    backbone = fc_to_conv(source_network(run, cfg, seed, progress=False)[1], include_fc8=False).eval()
    classes = [c for c in np.linspace(0, len(images.class_names) - 1, count + 2).round().astype(int)[1:-1]
               if _positive_image(pred, c) >= 0]
    fig, axes = plt.subplots(len(classes), 3, figsize=(6.6, 2.0 * len(classes)), squeeze=False)
    for r, cls in enumerate(classes):
        index = _positive_image(pred, cls)
        strong = patch_heatmaps(backbone, head.head, images, [index], cfg.test_scales, device=torch.device(run.device),
                                keep_maps=True, progress=False)["maps"][0][cls]
        original = load_rgb_tensor(images.paths[index])
        shown, maps = image_maps(net, images.images[index], run.device)
        name = images.class_names[cls]
        _panel(axes[r, 0], _with_boxes(images, index, cls), f"{name}: boxes")
        _panel(axes[r, 1], overlay(original, strong), "box-trained patches")
        _panel(axes[r, 2], overlay(shown, maps[cls]), "weak net (image labels)")
    fig.suptitle("Box-trained vs weakly-trained maps", fontsize=10)
    fig.tight_layout()
    return fig

