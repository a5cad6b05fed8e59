"""Diagnostics of the CVPR'14 transfer claims: how the benefit of pretraining depends on the target's size.

The paper pretrains on 1.2 M ImageNet images and transfers to 5,717 VOC 2012 train images, a ratio of 210 : 1. The
mini world's ratio is far smaller, and NO PRETRAIN, which learns everything from the target, gains most from a large
target. :func:`size_sweep` re-runs Table 2's pipeline with the target's training split set to multiples of Table 2's
own (a seeded subset, the same for every method, never more than the world's split; validation and test splits
unchanged) and reports the test mAP of each
method and seed, with the source : target ratio of each point, so a reader sees where along that axis our operating
point sits and where the paper's does.

:func:`variant_val_map` scores the validation images of Table 2 as re-rendered in another tree (the context-only and
object-only renders of :mod:`oquab_lib.data.synth.variants`) with Table 2's trained model of a (method, seed) and the
``k`` it chose on the world's validation split: the CVPR'14 side of the context-vs-object diagnostic
(:mod:`oquab_lib.cvpr15.context`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from torch import Tensor
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib import cache
from oquab_lib.config import Run
from oquab_lib.cvpr14.config import Cvpr14Config, config, seeds
from oquab_lib.cvpr14.features import (
    PatchSet,
    build_patch_set,
    patch_features,
    patch_inputs,
    random_network,
    source_network,
    torch_threads,
)
from oquab_lib.cvpr14.scores import ap_fractions, image_scores
from oquab_lib.cvpr14.tables import (
    NO_PRETRAIN,
    NUM_CLASSES,
    TableData,
    evaluate_entry,
    method_entry,
    patch_probabilities,
    table_data,
)
from oquab_lib.data.splits import resolve_splits
from oquab_lib.models import normalization, use_band_lrn
from oquab_lib.transfer import TransferHead, TransferNet

PAPER_RATIO = 1_200_000 / 5_717  # ILSVRC-2012 train images per VOC 2012 train image (about 210)
FRACTIONS = (0.25, 0.5, 1.0, 2.0)  # multiples of Table 2's training split (1 = Table 2 itself)
METHODS = ("NO PRETRAIN", "PRE-1000C", "PRE-1512")
COLUMNS = ["fraction", "train images", "source : target", "method", "seed", "mAP"]


def source_images(run: Run) -> int:
    """Training images of the PRE-1000C source network (the mini world's ImageNet analog)."""
    from oquab_lib.source.data import variant_samples

    return len(variant_samples(run.data_root, "1000C", "train"))


def size_sweep(run: Run, *, fractions: tuple[float, ...] = FRACTIONS, methods: tuple[str, ...] = METHODS,
               progress: bool = False) -> pd.DataFrame:
    """Test mAP (%) of Table 2's pipeline as its training split shrinks or grows.

    Columns: ``fraction, train images, source : target, method, seed, mAP``. ``fraction`` is a multiple of Table 2's
    training split (``cvpr14.max_images[0]``, or the whole split), capped at the world's split; fraction 1 is Table 2
    itself (its cache entries are reused), the others cap the training split with ``cvpr14.max_images`` (a seeded
    subset). Real data (``full``): an empty table, since the sweep would retrain NO PRETRAIN for each point.
    """
    if not run.is_synthetic:  # NO PRETRAIN from scratch 3 x per fraction: days on a GPU, and PRE-1512 is not public
        return pd.DataFrame(columns=COLUMNS).astype({"train images": int, "mAP": float})
    cfg = config(run)
    full_train = len(resolve_splits(run.data_root, cfg.table2_splits, cfg.holdout_seed, (0, 0, 0))["train"][2])
    table2_train = min(cfg.max_images[0] or full_train, full_train)
    caps = {fraction: min(full_train, max(1, round(fraction * table2_train))) for fraction in fractions}
    points = [f for f in fractions if f == 1.0 or caps[f] != table2_train]  # above the world's split: Table 2 again
    n_source = source_images(run)
    rows = []
    for fraction in tqdm(points, desc="target-size sweep", disable=not progress):
        cap = caps[fraction]
        # fraction 1 is Table 2's own configuration (its cache entries); the others cap the training split
        swept = cfg if fraction == 1.0 else dataclasses.replace(cfg, max_images=(cap, *cfg.max_images[1:]))
        data = table_data(run, "table2", swept, progress=progress)
        for method in methods:
            for seed in seeds(run):
                _, _, aps = evaluate_entry(method_entry(run, data, method, seed, swept, progress=progress), data)
                rows.append({"fraction": fraction, "train images": cap, "source : target": n_source / cap,
                             "method": method, "seed": seed, "mAP": float(100 * np.nanmean(aps))})
    return pd.DataFrame(rows, columns=COLUMNS)


def sweep_figure(sweep: pd.DataFrame) -> plt.Figure:
    """Test mAP against the number of target training images (log axis), mean ± std over seeds per
    method; the top axis gives the source : target ratio, and the paper's 210 : 1 is marked when in range."""
    import seaborn as sns  # lazy: it imports scipy.stats (~1 s); see source.networks.curves_figure

    figure, axis = plt.subplots(figsize=(7, 4))
    if sweep.empty:
        axis.set_axis_off()
        axis.text(0.5, 0.5, "skipped on real data: the sweep retrains NO PRETRAIN from scratch for every fraction",
                  ha="center", va="center")
        return figure
    sns.lineplot(sweep, x="train images", y="mAP", hue="method", marker="o", errorbar="sd", ax=axis)
    axis.set_xscale("log")
    ticks = sorted(sweep["train images"].unique())
    axis.set_xticks(ticks, [str(t) for t in ticks])
    axis.minorticks_off()
    n_source = float((sweep["source : target"] * sweep["train images"]).iloc[0])
    paper_point = n_source / PAPER_RATIO
    if ticks[0] <= paper_point <= ticks[-1]:
        axis.axvline(paper_point, color="grey", linestyle="--")
        axis.annotate("paper's 210 : 1", (paper_point, axis.get_ylim()[1]), ha="left", va="top", color="grey")
    top = axis.secondary_xaxis("top")
    top.set_xticks(ticks, [f"{n_source / t:.0f}:1" for t in ticks])
    top.minorticks_off()
    top.set_xlabel("source : target training images")
    axis.set_xlabel("target training images (VOC 2012 analog train split)")
    axis.set_ylabel("test mAP (%)")
    figure.tight_layout()
    return figure


# ------------------------------------------------------------------------------------------ context vs object
def _posteriors(run: Run, method: str, seed: int, entry: Path, patch_set: PatchSet, cfg: Cvpr14Config,
                progress: bool) -> Tensor:
    """Patch posteriors ``[P, 21]`` of ``patch_set`` through the trained model of ``entry`` (weights ``model.pt``)."""
    if method == NO_PRETRAIN:  # the whole network was trained: rebuild it as _scratch_entry did, then load it
        _, source = random_network(run, seed)
        net = use_band_lrn(TransferNet(source, NUM_CLASSES + 1, cfg.head_hidden, freeze="none", dropout=cfg.dropout,
                                       seed=seed))
        fetch = patch_inputs(patch_set, cfg, run.runs_dir, net.spec.input_size, *normalization(net.spec), run.device,
                             progress=progress)
    else:  # a head on frozen FC7 features of the method's source network
        source_key, source = source_network(run, cfg, method, seed, progress)
        features = patch_features(source, source_key, patch_set, cfg, run.runs_dir, run.device, progress=progress)
        net = TransferHead(features.shape[1], NUM_CLASSES + 1, cfg.head_hidden, cfg.dropout)
        fetch = lambda rows: features[rows].float()  # noqa: E731
    net.load_state_dict(cache.load_state_dict(entry / "model.pt"))
    with torch_threads(cfg.threads):
        return patch_probabilities(net, fetch, len(patch_set.boxes), cfg.feature_batch_size, run.device, cfg.amp,
                                   f"score {patch_set.name}", progress)


def variant_val_map(run: Run, data: TableData, method: str, seed: int, data_root: Path | str,
                    cfg: Cvpr14Config | None = None, progress: bool = False) -> float:
    """Validation mAP (%) of Table 2's trained ``(method, seed)`` on its validation images read from ``data_root``
    (a variant tree holding the same image ids and annotations), at the ``k`` it chose on the world's validation
    split. ``data_root`` = the run's own gives that validation mAP itself. Cached per (model, tree)."""
    cfg = cfg or config(run)
    entry = method_entry(run, data, method, seed, cfg, progress=progress)
    k, val_maps, _ = evaluate_entry(entry, data, test=False)
    if Path(data_root).resolve() == Path(run.data_root).resolve():
        return val_maps[k]
    val = data.sets["val"]
    patch_set = build_patch_set(Path(data_root), val.key["year"], val.key["split"], val.image_ids, cfg, run.runs_dir,
                                progress)
    k_number = next(v for v in cfg.k_values if str(v) == k)

    def compute(work: Path) -> None:
        probs = _posteriors(run, method, seed, entry, patch_set, cfg, progress)
        cache.save_state_dict(work / "scores.pt", {"scores": image_scores(probs, patch_set, (k_number,))[k]})

    key = {"model": entry.name, "patches": patch_set.key, "k": k}
    name = f"cvpr14-variant-{method.lower().replace(' ', '')}-s{seed}"
    scores = cache.load_state_dict(cache.load_or_compute(run.runs_dir, name, key, compute, verbose=progress)
                                   / "scores.pt")["scores"]
    return float(100 * np.nanmean(ap_fractions(scores, patch_set.image_labels, data.protocol)))
