"""The "Source networks" chapter: every pretraining variant and seed, their source accuracy and training curves.

The CVPR'14 paper reports 18 % top-5 error on ILSVRC-2012 validation for PRE-1000C and 21.8 % for PRE-1512 (on its
1512 classes). Here each variant (1000C, 1000R, 1512, 1512D) is pretrained with every source seed the CVPR'14
chapters use (:func:`seeds`), through :func:`oquab_lib.source.pretrain.pretrain_source` and its cache, so this chapter
pays for the pretraining once and the later chapters get cache hits.

On real data (the ``full`` profile) there is usually no ImageNet tree under ``data_root``: the chapter then shows the
published accuracy of torchvision's AlexNet weights (:func:`torchvision_reference`), which stand in for PRE-1000C.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import torch

from oquab_lib import cache, parallel
from oquab_lib.config import Run
from oquab_lib.cvpr14.config import seeds as cvpr14_seeds
from oquab_lib.cvpr15.config import config as cvpr15_config
from oquab_lib.cvpr15.config import location_run as cvpr15_location_run
from oquab_lib.cvpr15.config import seeds as cvpr15_seeds
from oquab_lib.paper import paper_table
from oquab_lib.source.config import SourceConfig
from oquab_lib.source.data import decoded_splits, variant_samples
from oquab_lib.source.pretrain import VARIANTS, SourceResult, pretrain_source
from oquab_lib.spread import format_mean_std

METHOD_NAMES = {variant: f"PRE-{variant}" for variant in VARIANTS}
CURVE_METRICS = {"loss": "training loss", "val_top1": "validation top-1 (%)",
                 "val_top5_error": "validation top-5 error (%)"}


def seeds(run: Run) -> list[int]:
    """The source seeds of the CVPR'14 chapters (:func:`oquab_lib.cvpr14.config.seeds`), so that they find these nets."""
    return cvpr14_seeds(run)


def location_networks(run: Run) -> list[tuple[str, int]]:
    """``(variant, seed)`` of the source networks the CVPR'15 location chapter starts from (it takes more seeds)."""
    cfg = cvpr15_config(run)
    return [(cfg.source_variant, seed) for seed in cvpr15_seeds(cvpr15_location_run(run))]


def has_source_tree(run: Run) -> bool:
    """Whether ``data_root`` holds an ImageFolder source tree (``source/train``) to pretrain on."""
    return (Path(run.data_root) / "source" / "train").is_dir()


def train_all(run: Run, variants: tuple[str, ...] = VARIANTS, progress: bool = True) -> list[SourceResult]:
    """Pretrain (or load from the cache) every variant with every source seed; [] when there is no source tree.

    On a user's ImageNet-style tree without the mini world's ``source_subsets.json`` only 1000C exists.
    """
    if not has_source_tree(run):
        return []
    if not (Path(run.data_root) / "source_subsets.json").is_file():
        variants = tuple(v for v in variants if v == "1000C")
    jobs = [(variant, seed) for variant in variants for seed in seeds(run)]
    jobs += [job for job in location_networks(run) if job[0] in variants and job not in jobs]
    cfg = SourceConfig.from_section(run.section("source"))
    if cfg.workers > 1 and len(jobs) > 1 and torch.device(run.device).type == "cpu":
        _train_in_processes(run, cfg, jobs, progress)
    return [pretrain_source(run, variant, seed=seed, progress=progress) for variant, seed in jobs]


def _train_in_processes(run: Run, cfg: SourceConfig, jobs: list[tuple[str, int]], progress: bool) -> None:
    """Train the networks of ``jobs`` that are not cached yet in ``cfg.workers`` processes, the largest first."""
    hits_only = dataclasses.replace(run, runs_dir=cache.hits_only(run.runs_dir))
    missing = []
    for variant, seed in jobs:
        try:
            pretrain_source(hits_only, variant, seed=seed, progress=False)
        except cache.CacheMiss:
            missing.append((variant, seed))
    if len(missing) < 2:
        return  # nothing to share out: the caller trains it in this process
    if cfg.decoded_cache:  # shared by every job: decoded here once, not by two workers at a time
        decoded_splits(cfg, Path(run.data_root), cache.runs_path(run.runs_dir), progress)
    missing.sort(key=lambda job: -len(variant_samples(run.data_root, job[0], "train")))
    parallel.in_processes(_pretrain_quietly, [(run, v, s) for v, s in missing],
                          workers=cfg.workers, threads=cfg.threads, desc="source networks", progress=progress)


def _pretrain_quietly(run: Run, variant: str, seed: int) -> None:
    pretrain_source(run, variant, seed=seed, progress=False)


def runs_table(results: list[SourceResult]) -> pd.DataFrame:
    """One row per network (variant, seed): its data, width, last-epoch validation accuracy (%) and training time."""
    rows = []
    for result in results:
        last = result.history.iloc[-1]
        rows.append({
            "network": METHOD_NAMES[result.variant], "seed": result.seed, "classes": result.num_classes,
            "train images": result.num_train_images, "val images": result.num_val_images,
            "FC6/FC7 width": result.fc_width, "epochs": len(result.history),
            "val top-1 (%)": float(last["val_top1"]), "val top-5 error (%)": 100.0 - float(last["val_top5"]),
            "training (min)": float(result.history["seconds"].sum()) / 60.0,
        })
    return pd.DataFrame(rows)


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per network: sizes, then mean ± std over seeds of the validation metrics (strings, ready to display)."""
    rows = {}
    for network, group in runs.groupby("network", sort=False):
        first = group.iloc[0]
        rows[network] = {
            "classes": int(first["classes"]), "train images": int(first["train images"]),
            "FC6/FC7 width": int(first["FC6/FC7 width"]), "seeds": len(group),
            **{metric: format_mean_std(group[metric].mean(), group[metric].std(ddof=1))
               for metric in ("val top-1 (%)", "val top-5 error (%)")},
            "training (min, total)": round(float(group["training (min)"].sum()), 1),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def paper_vs_ours(runs: pd.DataFrame) -> pd.DataFrame:
    """The paper's top-5 errors (PRE-1000C, PRE-1512) beside ours (mean ± std over seeds), with class counts."""
    paper = paper_table("cvpr14_source")
    rows = {}
    for network, row in paper.iterrows():
        ours = runs[runs["network"] == network]
        rows[network] = {
            "paper: classes": int(row["classes"]), "paper: top-5 error (%)": float(row["top5_error"]),
            "ours: classes": int(ours["classes"].iloc[0]) if len(ours) else None,
            "ours: top-5 error (%)": format_mean_std(ours["val top-5 error (%)"].mean(),
                                                     ours["val top-5 error (%)"].std(ddof=1)) if len(ours) else "–",
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def curves(results: list[SourceResult]) -> pd.DataFrame:
    """Long-form training curves: network, seed, epoch, metric (see ``CURVE_METRICS``), value."""
    frames = []
    for result in results:
        history = result.history.reset_index()
        history["val_top5_error"] = 100.0 - history["val_top5"]
        history["epoch"] = history["epoch"] + 1  # after epoch 1, 2, ...
        long = history.melt(id_vars="epoch", value_vars=list(CURVE_METRICS), var_name="metric")
        frames.append(long.assign(network=METHOD_NAMES[result.variant], seed=result.seed))
    frame = pd.concat(frames, ignore_index=True)
    frame["metric"] = frame["metric"].map(CURVE_METRICS)
    return frame


def curves_figure(results: list[SourceResult]) -> plt.Figure:
    """Training loss and validation accuracy per epoch, one line per network (band: min–max over seeds)."""
    import seaborn as sns  # lazy: it imports scipy.stats (~1 s), which a warm chapter without this figure never needs
    grid = sns.relplot(data=curves(results), x="epoch", y="value", hue="network", col="metric", kind="line",
                       marker="o", errorbar=("pi", 100), facet_kws=dict(sharey=False), height=3.0, aspect=1.2)
    grid.set_titles("{col_name}")
    grid.set_axis_labels("epoch", "")
    for ax in grid.axes.flat:
        ax.xaxis.get_major_locator().set_params(integer=True)
    return grid.figure


def torchvision_reference() -> pd.DataFrame:
    """Published ImageNet-1k validation accuracy of torchvision's AlexNet weights (read from the weights' metadata)."""
    from torchvision.models import AlexNet_Weights

    metrics = AlexNet_Weights.IMAGENET1K_V1.meta["_metrics"]["ImageNet-1K"]
    return pd.DataFrame({"val top-1 (%)": [metrics["acc@1"]], "val top-5 error (%)": [100.0 - metrics["acc@5"]]},
                        index=["torchvision AlexNet (PRE-1000C stand-in)"])
