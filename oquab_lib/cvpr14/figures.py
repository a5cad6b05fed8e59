"""Figures of the CVPR'14 chapters: the multi-scale tiling, heat maps, top-scoring test images, ablation plots.

Every figure function returns a matplotlib ``Figure`` (the notebook calls ``plt.show()``) and reads cached results
of :mod:`oquab_lib.cvpr14.tables` (computing them on a cache miss); :func:`ablation` trains the ablated heads it plots. Heat maps, rankings and false positives are on the *test*
split, as in the paper's qualitative figures; every choice plotted in the ablations is made on *validation*.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib import cache
from oquab_lib.config import Run
from oquab_lib.cvpr14 import tables as cvpr14
from oquab_lib.data.classes import VOC_CLASSES
from oquab_lib.data.images import load_rgb
from oquab_lib.data.voc import VOCBoxes
from oquab_lib.errors import ConfigError
from oquab_lib.heatmaps import overlay, patch_heatmap

__all__ = ["tiling_figure", "heatmap_figure", "top_scoring_figure", "ablation", "ablation_figure", "method_outputs"]

BACKGROUND_COLOUR, EXCLUDED_COLOUR = "0.75", "black"


def _class_colour(label: int):
    return plt.get_cmap("tab20")(label % 20)


def _ground_truth(run: Run, patch_set, image: int) -> dict:
    """The annotation target (boxes, labels) of image ``image`` of a patch set."""
    boxes = VOCBoxes(run.data_root, patch_set.key["year"], patch_set.key["split"])
    return boxes.target(boxes.ids.index(patch_set.image_ids[image]))


def _busiest_image(patch_set) -> int:
    """The image with the most distinct positive patch labels (ties: the first): a tiling worth looking at."""
    labels, index = patch_set.labels, patch_set.image_index
    counts = [len(set(labels[(index == n) & (labels >= 0) & (labels < 20)].tolist()))
              for n in range(patch_set.num_images)]
    return int(np.argmax(counts))


def tiling_figure(run: Run, image: int | None = None, table: str = "table2", max_scales: int = 4) -> Figure:
    """One training image tiled at each scale (one panel per scale, at most ``max_scales``), patches coloured by label.

    Coloured = positive for that class, grey = background, black dotted = excluded (several objects, or a partial
    overlap under ``partial="exclude"``); ground-truth boxes in white. ``image=None`` picks the busiest image.
    """
    data = cvpr14.table_data(run, table, cvpr14.config(run), progress=False)
    train = data.sets["train"]
    image = _busiest_image(train) if image is None else image
    rows = train.rows_of(image)
    boxes, labels = train.boxes[rows], train.labels[rows]
    sides = (boxes[:, 2] - boxes[:, 0]).round(decimals=2)
    scales = sides.unique(sorted=True).flip(0)[:max_scales]
    picture, truth = load_rgb(train.image_paths[image]), _ground_truth(run, train, image)
    fig, axes = plt.subplots(1, len(scales), figsize=(3.2 * len(scales), 3.0), squeeze=False)
    for ax, side in zip(axes[0], scales):
        ax.imshow(picture)
        for box, label in zip(boxes[sides == side].tolist(), labels[sides == side].tolist()):
            colour = BACKGROUND_COLOUR if label == 20 else EXCLUDED_COLOUR if label < 0 else _class_colour(label)
            ax.add_patch(Rectangle(box[:2], box[2] - box[0], box[3] - box[1], fill=False, edgecolor=colour,
                                   lw=2.0 if 0 <= label < 20 else 0.8, ls=":" if label < 0 else "-"))
        for box in truth["boxes"].tolist():
            ax.add_patch(Rectangle(box[:2], box[2] - box[0], box[3] - box[1], fill=False, edgecolor="white", lw=1.2))
        counts = {name: int((labels[sides == side] == c).sum()) for c, name in enumerate(VOC_CLASSES)}
        positives = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        ax.set_title(f"side {side:.0f} px: {int((sides == side).sum())} patches\n{positives or 'no positive'}",
                     fontsize=8)
        ax.axis("off")
    names = sorted({VOC_CLASSES[c] for c in truth["labels"].tolist()})
    fig.suptitle(f"{train.image_ids[image]} ({', '.join(names)}): coloured = positive, grey = background, "
                 "dotted = excluded", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.9))  # room for the suptitle
    return fig


def method_outputs(run: Run, method: str = "PRE-1000C", seed: int | None = None, table: str = "table2") -> dict:
    """Test outputs of one trained (method, seed): ``data``, ``k`` (chosen on validation), ``scores [N, 20]`` at that
    k, ``probs [P, 21]`` patch posteriors, ``aps [20]`` test AP fractions."""
    cfg = cvpr14.config(run)
    data = cvpr14.table_data(run, table, cfg, progress=False)
    seed = run.seed if seed is None else seed
    entry = cvpr14.method_entry(run, data, method, seed, cfg, progress=False)
    k, _, aps = cvpr14.evaluate_entry(entry, data)
    scores = cache.load_state_dict(entry / "scores.pt")["test"][k]
    probs = cache.load_state_dict(entry / "probs.pt")["test"].float()
    return dict(data=data, seed=seed, k=k, scores=scores, probs=probs, aps=aps)


def _default_classes(outputs: dict, count: int) -> list[str]:
    """The ``count`` classes with the best test AP (those without positives excluded)."""
    order = np.argsort(-np.nan_to_num(outputs["aps"], nan=-1.0), kind="stable")
    return [VOC_CLASSES[c] for c in order[:count] if not np.isnan(outputs["aps"][c])]


def heatmap_figure(run: Run, method: str = "PRE-1000C", seed: int | None = None, classes: list[str] | None = None,
                   table: str = "table2") -> Figure:
    """For each class, its top-scoring test image and the class's heat map (mean posterior of the covering patches)."""
    outputs = method_outputs(run, method, seed, table)
    classes = classes or _default_classes(outputs, 4)
    test = outputs["data"].sets["test"]
    fig, axes = plt.subplots(2, len(classes), figsize=(2.6 * len(classes), 4.8), squeeze=False)
    for col, name in enumerate(classes):
        c = _class_index(name)
        image = int(torch.argmax(outputs["scores"][:, c]))
        rows = test.rows_of(image)
        width, height = test.sizes[image].tolist()
        heat = patch_heatmap(test.boxes[rows], outputs["probs"][rows, :20], height, width)[c]
        picture = load_rgb(test.image_paths[image])
        axes[0, col].imshow(picture)
        axes[0, col].set_title(f"{name}\n{test.image_ids[image]}", fontsize=8)
        top = max(float(heat.max()), 1e-6)  # one scale per map, from 0 to its maximum (printed)
        axes[1, col].imshow(overlay(picture, heat, alpha=0.5, vmin=0.0, vmax=top))
        axes[1, col].set_title(f"{name} posterior, max {top:.2f}", fontsize=8)
        for ax in axes[:, col]:
            ax.axis("off")
    fig.suptitle(f"{method} (seed {outputs['seed']}): per-class heat maps on test images, from 0 (blue) to the "
                 "map's maximum (red)", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    return fig


def _class_index(name: str) -> int:
    if name not in VOC_CLASSES:
        raise ConfigError(f"unknown VOC class {name!r}; accepted: {', '.join(VOC_CLASSES)}")
    return VOC_CLASSES.index(name)


def top_scoring_figure(run: Run, method: str = "PRE-1000C", seed: int | None = None,
                       classes: list[str] | None = None, top: int = 4, table: str = "table2") -> Figure:
    """Per class (row): its ``top`` highest-scoring test images (green frame: positive, red: not, orange: difficult
    only) and, last, the first false positive in the ranking with its rank."""
    outputs = method_outputs(run, method, seed, table)
    classes = classes or _default_classes(outputs, 6)
    test = outputs["data"].sets["test"]
    fig, axes = plt.subplots(len(classes), top + 1, figsize=(1.9 * (top + 1), 1.7 * len(classes)), squeeze=False,
                             gridspec_kw=dict(wspace=0.05, hspace=0.3, left=0.01, right=0.99, bottom=0.01,
                                              top=1 - 0.45 / len(classes)))
    for row, name in enumerate(classes):
        c = _class_index(name)
        ranking = torch.argsort(outputs["scores"][:, c], descending=True, stable=True)
        labels = test.image_labels[ranking, c]
        negatives = torch.nonzero(labels == -1).flatten()
        shown = [(int(i), r + 1) for r, i in enumerate(ranking[:top].tolist())]
        if len(negatives):
            shown.append((int(ranking[negatives[0]]), int(negatives[0]) + 1))
        for col, ax in enumerate(axes[row]):
            ax.axis("off")
            if col >= len(shown):
                continue
            image, rank = shown[col]
            label = int(test.image_labels[image, c])
            ax.imshow(load_rgb(test.image_paths[image]))
            colour = {1: "green", -1: "red", 0: "orange"}[label]
            ax.add_patch(Rectangle((0, 0), 1, 1, transform=ax.transAxes, fill=False, edgecolor=colour, lw=4))
            first_fp = col == len(shown) - 1 and len(negatives) > 0
            ax.set_title(f"{name} #{rank}" + (" first FP" if first_fp else ""), fontsize=7)
    fig.suptitle(f"{method} (seed {outputs['seed']}): top-scoring test images per class (k={outputs['k']}); the "
                 "last column is the first false positive", fontsize=9)
    return fig


ABLATIONS = ("k", "head", "background")


def head_name(hidden: tuple[int, ...]) -> str:
    """``()`` -> "FCb", ``(2048,)`` -> "FCa+FCb", ``(2048, 2048)`` -> "FCa+FCa'+FCb"."""
    return "+".join(["FCa" + "'" * i for i in range(len(hidden))] + ["FCb"])


def ablation(run: Run, kind: str, method: str = "PRE-1000C", progress: bool = True) -> pd.DataFrame:
    """Validation mAP (%) on Table 2's validation split as one choice varies, per source seed.

    ``kind``: ``"k"`` (the aggregation exponent, on the main heads), ``"head"`` (FCb only / FCa+FCb / FCa+FCa'+FCb,
    ``cvpr14.ablation_hidden``) or ``"background"`` (fraction of background patches kept, ``ablation_background``).
    For ``head`` and ``background`` each variant's k is chosen on the same validation split. Columns: ``setting``,
    ``seed``, ``val mAP``, ``k``. Nothing here looks at the test split.
    """
    if kind not in ABLATIONS:
        raise ConfigError(f"ablation kind {kind!r}; accepted: {', '.join(ABLATIONS)}")
    cfg = cvpr14.config(run)
    data = cvpr14.table_data(run, "table2", cfg, progress=progress)
    variants = {"k": [None], "head": [dict(hidden=h) for h in cfg.ablation_hidden],
                "background": [dict(fraction=f) for f in cfg.ablation_background]}[kind]
    rows = []
    for seed in tqdm(cvpr14.seeds(run), desc=f"ablation {kind}", disable=not progress):
        for variant in variants:
            entry = cvpr14.method_entry(run, data, method, seed, cfg, progress=progress, **(variant or {}))
            k, maps, _ = cvpr14.evaluate_entry(entry, data, test=False)
            if kind == "k":
                rows += [dict(setting=str(key), seed=seed, **{"val mAP": value, "k": key}) for key, value in maps.items()]
            else:
                setting = head_name(variant["hidden"]) if kind == "head" else variant["fraction"]
                rows.append(dict(setting=setting, seed=seed, **{"val mAP": maps[k], "k": k}))
    return pd.DataFrame(rows, columns=["setting", "seed", "val mAP", "k"])


def ablations(run: Run, method: str = "PRE-1000C", progress: bool = True) -> dict[str, pd.DataFrame]:
    """:func:`ablation` of every kind in :data:`ABLATIONS`, by kind."""
    return {kind: ablation(run, kind, method, progress) for kind in ABLATIONS}


def ablation_figure(tables: dict[str, pd.DataFrame]) -> Figure:
    """Validation mAP against each ablated choice (``tables[kind]`` from :func:`ablation`).

    One panel per kind: a thin line per source seed and the mean over seeds in bold.
    """
    titles = {"k": "aggregation exponent k", "head": "adaptation layers", "background": "background fraction kept"}
    fig, axes = plt.subplots(1, len(tables), figsize=(4.2 * len(tables), 3.2), squeeze=False)
    for ax, (kind, frame) in zip(axes[0], tables.items()):
        settings = list(dict.fromkeys(frame["setting"]))
        positions = {s: i for i, s in enumerate(settings)}
        for seed, group in frame.groupby("seed"):
            ax.plot([positions[s] for s in group["setting"]], group["val mAP"], lw=0.8, alpha=0.6, marker=".",
                    label=f"seed {seed}")
        mean = frame.groupby("setting", sort=False)["val mAP"].mean()
        ax.plot([positions[s] for s in mean.index], mean.to_numpy(), lw=2.2, color="black", marker="o", label="mean")
        ax.set_xticks(range(len(settings)), [str(s) for s in settings], fontsize=8)
        ax.set_title(titles.get(kind, kind), fontsize=9)
        ax.set_ylabel("validation mAP (%)")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig
