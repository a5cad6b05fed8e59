"""Diagnostic: objects or context? The mAP of both papers' networks on full, context-only and object-only renders.

The mini world re-renders the VOC 2012 analog's validation split from the same scene plans twice
(:mod:`oquab_lib.data.synth.variants`): *context-only*, the 20 classes' objects removed (background and distractors
kept), and *object-only*, those objects on flat grey. The labels stay the original ones, so the mAP on each says how
much a trained network's scores rest on the objects and how much on their surroundings. On real photographs objects
alone beat context alone, and context alone stays far above chance (Zhu, Xie & Yuille, "Object recognition with and
without objects", IJCAI 2017): calibration target T4 of the Mini world chapter asks the same of PRE-1000C here.

Models (no training here: each is the one its table trained, read from the cache): PRE-1000C and NO PRETRAIN of
CVPR'14 Table 2 (the ``k`` each chose on the world's validation split; "full" is their validation mAP at that ``k``),
and the weak net of CVPR'15 row F (multi-scale scores, ``cvpr15.test_scales``), each for every source seed. All rows
score the same images: Table 2's validation ids (capped by ``cvpr14.max_images``). Chance: the mean over classes of
the share of positive images, the AP of a random ranking.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from PIL import Image

from oquab_lib import cache
from oquab_lib.config import Run
from oquab_lib.cvpr14.config import config as cvpr14_config
from oquab_lib.cvpr14.config import seeds as cvpr14_seeds
from oquab_lib.cvpr14.diagnostics import variant_val_map
from oquab_lib.cvpr14.tables import TableData, table_data
from oquab_lib.cvpr15.config import Cvpr15Config
from oquab_lib.cvpr15.config import config as cvpr15_config
from oquab_lib.cvpr15.config import seeds as cvpr15_seeds
from oquab_lib.cvpr15.data import load_image_set
from oquab_lib.cvpr15.inputs import compute_threads
from oquab_lib.cvpr15.predict import mean_ap, predict
from oquab_lib.cvpr15.tables import voc_classification_table, weak_model
from oquab_lib.cvpr15.train import load_weak_net
from oquab_lib.data.fingerprint import world_fingerprint
from oquab_lib.data.splits import ids_hash
from oquab_lib.data.synth.variants import ensure_variant
from oquab_lib.spread import format_mean_std

RENDERS = {"full": "full", "context": "context-only", "object": "object-only"}
CVPR14_MODELS = ("PRE-1000C", "NO PRETRAIN")
WEAK = "weak net (CVPR'15 F)"
CHANCE = "chance"


def render_roots(run: Run, data: TableData, workers: int = 2) -> dict[str, Path]:
    """``{render label: data root}``: the world, and its context-only / object-only trees of Table 2's validation
    split (rendered on first use, with a progress bar; silent when cached)."""
    split = data.sets["val"].key["split"]
    roots = {RENDERS["full"]: Path(run.data_root)}
    for mode in ("context", "object"):
        roots[RENDERS[mode]] = ensure_variant(run.data_root, mode, split, workers, verbose=False)
    return roots


def weak_val_map(run: Run, cfg: Cvpr15Config, seed: int, data_root: Path, split: str, ids: list[str],
                 progress: bool = False) -> float:
    """mAP (%) of the weak net (row F) of ``seed`` on the images ``ids`` of VOC 2012 ``split`` read from
    ``data_root`` (scores cached per model and tree)."""
    result = weak_model(run, cfg, seed, "weak", "voc", progress=progress)
    key = {"model": result.entry.name, **world_fingerprint(data_root), "split": split, "ids": ids_hash(ids),
           "scales": cfg.test_scales, "image_size": cfg.image_size}

    def compute(work: Path) -> None:
        images = load_image_set(str(data_root), "voc", split, cfg.image_size, cfg.voc_year, cfg.preload_limit,
                                progress=progress)
        position = {image_id: n for n, image_id in enumerate(images.ids)}
        images = images.subset([position[i] for i in ids])
        net = load_weak_net(run, cfg, result)
        with compute_threads(cfg, torch.device(run.device)):
            pred = predict(net, images, cfg.test_scales, run.device, batch_size=cfg.eval_batch_size, amp=cfg.amp,
                           progress=progress)
        cache.save_state_dict(work / "scores.pt", {"scores": pred.scores, "labels": images.labels})

    entry = cache.load_or_compute(run.runs_dir, f"cvpr15-context-weak-s{seed}", key, compute, verbose=progress)
    saved = cache.load_state_dict(entry / "scores.pt")
    return mean_ap(saved["scores"], saved["labels"])


def chance_aps(labels) -> np.ndarray:
    """AP (fraction) of a random ranking per class ``[C]``: positives / images with a known label (0 without any)."""
    labels = np.asarray(labels)
    return (labels == 1).sum(0) / np.maximum((labels != 0).sum(0), 1)


def chance_map(labels) -> float:
    """mAP (%) of a random ranking over the classes with a positive image (:func:`chance_aps`)."""
    chance = chance_aps(labels)
    return float(100 * np.mean(chance[chance > 0]))


def context_table(run: Run, progress: bool = False) -> pd.DataFrame:
    """mAP (%) per model, seed and render: columns ``model, seed, render, mAP``; model ``chance`` (seed NaN) is
    the reference. A real-data run (no generator) returns an empty frame whose ``attrs["skipped"]`` says why."""
    columns = ["model", "seed", "render", "mAP"]
    if not run.is_synthetic:
        frame = pd.DataFrame(columns=columns)
        frame.attrs["skipped"] = "real data: the renders need the mini world's generator"
        return frame
    cfg14, cfg15 = cvpr14_config(run), cvpr15_config(run)
    data = table_data(run, "table2", cfg14, progress=progress)
    # row F's nets, trained as the CVPR'15 chapter trains them (seeds in parallel processes; a cache hit there after)
    voc_classification_table(run, kinds=("weak",), progress=progress)
    val = data.sets["val"]
    rows = []
    for render, root in render_roots(run, data).items():
        rows += [{"model": m, "seed": s, "render": render,
                  "mAP": variant_val_map(run, data, m, s, root, cfg14, progress)}
                 for m in CVPR14_MODELS for s in cvpr14_seeds(run)]
        rows += [{"model": WEAK, "seed": s, "render": render,
                  "mAP": weak_val_map(run, cfg15, s, root, val.key["split"], val.image_ids, progress)}
                 for s in cvpr15_seeds(run)]
        rows.append({"model": CHANCE, "seed": np.nan, "render": render, "mAP": chance_map(val.image_labels)})
    frame = pd.DataFrame(rows, columns=columns)
    frame.attrs["images"] = val.num_images
    return frame


def context_summary(table: pd.DataFrame) -> pd.DataFrame:
    """``"mean ± std"`` over seeds: rows models (chance last), columns full / context-only / object-only."""
    if table.empty:
        return pd.DataFrame(columns=list(RENDERS.values()))
    stats = table.groupby(["model", "render"], sort=False)["mAP"].agg(["mean", "std"])
    text = stats.apply(lambda r: format_mean_std(r["mean"], r["std"]), axis=1).unstack("render")
    return text.reindex(columns=[r for r in RENDERS.values() if r in text.columns])


def retained_share(table: pd.DataFrame) -> pd.DataFrame:
    """How much of each model's full-scene mAP above chance a render keeps, in % (mean mAPs over seeds):
    ``100 * (render - chance) / (full - chance)``; rows models, columns context-only / object-only."""
    if table.empty:
        return pd.DataFrame(columns=[f"{RENDERS[m]} keeps (%)" for m in ("context", "object")])
    mean = table.groupby(["model", "render"], sort=False)["mAP"].mean().unstack("render")
    above = mean.drop(index=CHANCE).sub(mean.loc[CHANCE], axis=1)
    share = 100 * above[[RENDERS["context"], RENDERS["object"]]].div(above[RENDERS["full"]], axis=0)
    return share.rename(columns=lambda c: f"{c} keeps (%)")


def t4_sentence(table: pd.DataFrame, model: str = "PRE-1000C") -> str:
    """Calibration target T4 read from the table: ``model``'s object-only mAP above its context-only mAP, and that
    above chance (means over seeds)."""
    if table.empty:
        return f"T4 not measured: {table.attrs.get('skipped', 'no rows')}."
    obj, ctx, full, chance = t4_means(table, model)
    met = obj > ctx > chance
    return (f"T4 (objects carry more signal than context), on {table.attrs['images']} validation images: {model} "
            f"scores {obj:.1f} mAP on object-only renders, {ctx:.1f} on context-only ones and {full:.1f} on the full "
            f"scenes; chance is {chance:.1f}. The target (object-only > context-only > chance) is "
            f"{'met' if met else 'not met'}.")


def t4_means(table: pd.DataFrame, model: str = "PRE-1000C") -> tuple[float, float, float, float]:
    """``model``'s mean mAP over seeds on object-only, context-only and full renders, and chance (target T4)."""
    mean = table.groupby(["model", "render"])["mAP"].mean()
    return (float(mean[(model, RENDERS["object"])]), float(mean[(model, RENDERS["context"])]),
            float(mean[(model, RENDERS["full"])]), float(mean[(CHANCE, RENDERS["full"])]))


def example_figure(run: Run, count: int = 4, progress: bool = False) -> plt.Figure:
    """The first ``count`` validation scenes of Table 2, full / context-only / object-only side by side."""
    if not run.is_synthetic:
        figure, axis = plt.subplots(figsize=(6, 1))
        axis.set_axis_off()
        axis.text(0.5, 0.5, "no renders: real data (the renders need the mini world's generator)", ha="center")
        return figure
    data = table_data(run, "table2", cvpr14_config(run), progress=progress)
    roots = render_roots(run, data)
    ids = data.sets["val"].image_ids[:count]
    figure, axes = plt.subplots(len(ids), len(roots), figsize=(2.4 * len(roots), 2.0 * len(ids)), squeeze=False)
    for row, image_id in enumerate(ids):
        for col, (render, root) in enumerate(roots.items()):
            with Image.open(root / "VOCdevkit" / "VOC2012" / "JPEGImages" / f"{image_id}.jpg") as image:
                axes[row, col].imshow(image.convert("RGB"))
            axes[row, col].set_axis_off()
            if row == 0:
                axes[row, col].set_title(render)
    figure.tight_layout()
    return figure
