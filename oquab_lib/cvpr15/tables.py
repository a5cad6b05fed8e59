"""CVPR'15 experiments as tidy tables: the VOC 2012 classification table (rows D, E, F), location prediction on VOC
and COCO with its baselines, COCO classification, and the ablations. Each function trains what it needs through the
cache (:func:`oquab_lib.cvpr15.train.train_weak`) and returns one row per (method, seed).

Seeds: ``run.seed + s`` for ``s`` in ``cvpr15.seeds``; one seed picks the source network (its pretraining seed) and the
adaptation layers' initialisation and batch order, so the spread covers both.

Location prediction (the paper's point-based protocol, :func:`oquab_lib.localize.location_ap`): one point per (image,
class), ranked by the class score over the whole split; a hit when it falls in a box of that class enlarged by
``tolerance`` pixels. ``tolerance`` (18) is in pixels of VOC-resolution images (largest side about 500); with
``location_frame = N`` points and boxes are first rescaled so that each image's largest side is N, which is the same as
a per-image tolerance of ``18 * largest side / N`` original pixels (quick scenes: 160 px, so 5.8 px). The baselines put
the point at the image centre, at a random pixel, or at the arg-max of a CVPR'14-style patch heat map; all rows rank
their points by the *same* class scores (the weak net's), so that they differ only in where the points are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from oquab_lib import cache, parallel
from oquab_lib.config import Run
from oquab_lib.cvpr15.config import Cvpr15Config, config, location_run, seeds
from oquab_lib.cvpr15.inputs import shared_inputs, source_network
from oquab_lib.cvpr15.predict import class_aps
from oquab_lib.cvpr15.results import SplitPrediction, cached_predictions
from oquab_lib.cvpr15.strong import heatmap_predictions, patch_head
from oquab_lib.cvpr15.train import WeakResult, train_weak
from oquab_lib.localize import centre_points, location_ap, random_points

METHODS = {"full_images": "D. Full images", "strong_weak": "E. Strong+weak", "weak": "F. Weak supervision"}
LOCATION_METHODS = ("weak net (ours)", "image centre", "random point", "CVPR'14 heat-map arg-max")


def weak_model(run: Run, cfg: Cvpr15Config, seed: int, kind: str = "weak", dataset: str = "voc", *,
               progress: bool = True) -> WeakResult:
    """The trained model of a table cell. The first seed's default VOC weak run also keeps the training snapshots
    (the figure of maps during training), so Table 1, the location table and the figures share one cache entry."""
    snapshots = kind == "weak" and dataset == "voc" and seed == seeds(run)[0]
    strong_start = patch_head(run, cfg, seed, progress=progress) if kind == "strong_weak" else None
    return train_weak(run, cfg, kind, dataset, seed, snapshots=snapshots, progress=progress,
                      strong_start=strong_start)


# ---------------------------------------------------------------------------------------------- seeds in parallel
SeedJob = Callable[[Run, Cvpr15Config, int, bool], list[dict]]
"""``job(run, cfg, seed, progress)``: the rows of one seed; a top-level function (or a ``functools.partial`` of one),
so that a worker process can unpickle it."""


def per_seed(run: Run, cfg: Cvpr15Config, job: SeedJob, *, progress: bool, strong: bool = False) -> list[dict]:
    """The rows of ``job(run, cfg, seed, progress)`` for every seed, seed after seed.

    With ``cfg.workers > 1`` on CPU the seeds run in that many processes (``spawn``), one torch thread each: the
    seeds share no cache entry below the source networks and box-trained heads, which are made here first, so the
    processes never compute the same entry. Results are identical to the serial run (each seed is deterministic).
    """
    run_seeds = seeds(run)

    def serially(run: Run) -> list[dict]:
        return [row for seed in run_seeds for row in job(run, cfg, seed, progress)]

    if cfg.workers <= 1 or len(run_seeds) < 2 or torch.device(run.device).type != "cpu":
        return serially(run)
    try:  # everything cached (a warm build): read it here, with a hits-only runs dir, rather than start processes
        return serially(dataclasses.replace(run, runs_dir=cache.hits_only(run.runs_dir)))
    except cache.CacheMiss:
        pass
    for seed in run_seeds:  # shared prerequisites, serially (e.g. the CVPR'14 patch sets behind row E)
        source_network(run, cfg, seed, progress)
        if strong:
            patch_head(run, cfg, seed, progress)
    workers = min(cfg.workers, len(run_seeds))
    name = getattr(job, "func", job).__name__.strip("_")
    if progress:
        print(f"computing seeds {run_seeds} in {workers} processes ({name})", flush=True)
    rows = parallel.in_processes(_seed_worker, [(job, run, cfg, seed) for seed in run_seeds], workers=workers,
                                 threads=cfg.threads, desc=f"{name}: seeds", progress=progress)
    return [row for seed_rows in rows for row in seed_rows]


def _seed_worker(job: SeedJob, run: Run, cfg: Cvpr15Config, seed: int) -> list[dict]:
    with shared_inputs():
        return job(run, cfg, seed, False)


def _ap_row(aps: np.ndarray, class_names: tuple[str, ...], **keys: Any) -> dict[str, Any]:
    values = 100 * aps
    return {**keys, **dict(zip(class_names, values.tolist())), "mAP": float(np.nanmean(values))}


def _table1_rows(run: Run, cfg: Cvpr15Config, seed: int, progress: bool, *, kinds: tuple[str, ...]) -> list[dict]:
    rows = []
    for kind in kinds:
        pred = cached_predictions(run, cfg, weak_model(run, cfg, seed, kind, progress=progress), cfg.test_split,
                                  progress=progress)
        rows.append(_ap_row(class_aps(pred.scores, pred.labels), _class_names(pred), method=METHODS[kind], seed=seed))
    return rows


def voc_classification_table(run: Run, *, kinds: tuple[str, ...] = tuple(METHODS),
                             progress: bool = True) -> pd.DataFrame:
    """Rows D, E, F of the paper's Table 1 for every seed: ``method, seed, <20 classes>, mAP`` (AP in %), on
    ``cfg.test_split`` of VOC ``cfg.voc_year``, multi-scale test."""
    job = partial(_table1_rows, kinds=tuple(kinds))
    with shared_inputs():
        return pd.DataFrame(per_seed(run, config(run), job, progress=progress, strong="strong_weak" in kinds))


def strong_provenance(run: Run) -> pd.DataFrame:
    """Which box-trained head each seed's row E started from (``seed``, ``row E starts from``)."""
    cfg = config(run)
    with shared_inputs():
        return pd.DataFrame([{"seed": seed, "row E starts from": weak_model(run, cfg, seed, "strong_weak",
                                                                              progress=False).meta["init"]}
                             for seed in seeds(run)])


def _class_names(pred: SplitPrediction) -> tuple[str, ...]:
    from oquab_lib.data.classes import COCO_CLASSES, VOC_CLASSES

    return VOC_CLASSES if pred.labels.shape[1] == len(VOC_CLASSES) else COCO_CLASSES


def per_method(table: pd.DataFrame, column: str = "method") -> dict[str, pd.DataFrame]:
    """``{method: its per-seed rows (numeric columns only)}`` in table order, for ``report.paper_vs_ours``."""
    numeric = [c for c in table.select_dtypes("number").columns if c != "seed"]
    return {name: group[numeric].reset_index(drop=True) for name, group in table.groupby(column, sort=False)}


def seed_values(table: pd.DataFrame, value: str = "mAP", **where: str) -> pd.Series:
    """``value`` per seed (index ``seed``) of the rows whose columns equal ``where`` (e.g. ``method=...``); empty when
    none match. Seeds index the values, so two methods' values of seed s can be paired."""
    rows = table
    for column, wanted in where.items():
        rows = rows[rows[column] == wanted]
    return rows.set_index("seed")[value]


def location_comparisons(location: pd.DataFrame) -> list[tuple[str, pd.Series, pd.Series, str]]:
    """Per dataset of a :func:`location_table`: ``(claim, weak net's location mAP per seed, image centre's, the
    paper's figure)``. The two rows of seed s rank the same weak net's scores, only the points differ (paired)."""
    from oquab_lib.paper import paper_table

    paper = paper_table("cvpr15_headline")["value"]
    comparisons = []
    for dataset in location["dataset"].unique():
        paper_name = "VOC 2012 val" if dataset.startswith("VOC") else "MS COCO val"
        comparisons.append((f"the weak net predicts object locations ({dataset}): beats the image centre",
                            seed_values(location, dataset=dataset, method=LOCATION_METHODS[0]),
                            seed_values(location, dataset=dataset, method="image centre"),
                            f"{paper[HEADLINE['location'].format(dataset=paper_name)]} location mAP (no baseline "
                            f"given)"))
    return comparisons


def summary(table: pd.DataFrame, by: list[str], value: str = "mAP") -> pd.DataFrame:
    """Mean, sample std (ddof=1) and number of seeds of ``value`` per group, groups in table order."""
    grouped = table.groupby(by, sort=False)[value]
    return pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=1), "seeds": grouped.count()})


# ---------------------------------------------------------------------------------------------- location prediction
def frame_factors(sizes: Tensor, frame: int | None) -> Tensor:
    """``[N]`` factors that bring every image to the location frame (largest side ``frame``; 1 when None)."""
    if frame is None:
        return torch.ones(len(sizes), dtype=torch.float64)
    return frame / sizes.max(dim=1).values


def location_aps(points: Tensor, pred: SplitPrediction, cfg: Cvpr15Config) -> np.ndarray:
    """Per-class location AP fractions ``[K]`` of ``points [N, K, 2]`` ranked by ``pred.scores`` (NaN: no positive)."""
    factors = frame_factors(pred.sizes, cfg.location_frame)
    framed = points.double() * factors[:, None, None]
    boxes = [torch.cat([b[:, :4].double() * f, b[:, 4:].double()], 1) for b, f in zip(pred.boxes, factors)]
    ap, _ = location_ap(framed, pred.scores, boxes, pred.labels, cfg.tolerance)
    return ap.numpy()


def baseline_points(method: str, pred: SplitPrediction, seed: int) -> Tensor:
    widths, heights = pred.sizes[:, 0], pred.sizes[:, 1]
    if method == "image centre":
        return centre_points(widths, heights, pred.scores.shape[1])
    generator = torch.Generator().manual_seed(seed)
    return random_points(widths, heights, pred.scores.shape[1], generator)


def _location_rows(run: Run, cfg: Cvpr15Config, dataset: str, seed: int, progress: bool) -> list[dict[str, Any]]:
    split = cfg.location_split if dataset == "voc" else cfg.coco_test_split
    pred = cached_predictions(run, cfg, weak_model(run, cfg, seed, "weak", dataset, progress=progress), split,
                              progress=progress)
    names = _class_names(pred)
    label = "VOC 2012 " + split if dataset == "voc" else "COCO " + split
    points = {"weak net (ours)": pred.points, "image centre": baseline_points("image centre", pred, seed),
              "random point": baseline_points("random point", pred, seed)}
    if dataset == "voc":
        points["CVPR'14 heat-map arg-max"] = heatmap_predictions(run, cfg, seed, split, progress)["points"]
    return [_ap_row(location_aps(p, pred, cfg), names, dataset=label, method=m, seed=seed) for m, p in points.items()]


def coco_unavailable(run: Run, cfg: Cvpr15Config) -> str | None:
    """Why the COCO rows cannot be computed (no COCO tree under ``data_root/coco``), or None."""
    from oquab_lib.data.coco import check_coco_root
    from oquab_lib.errors import ConfigError

    try:
        for split in (cfg.coco_train_split, cfg.coco_test_split):
            check_coco_root(Path(run.data_root) / "coco", split)
    except ConfigError as err:
        return str(err)
    return None


def _available(run: Run, cfg: Cvpr15Config, datasets: tuple[str, ...]) -> list[str]:
    """``datasets`` minus COCO when it is missing (the reason is printed: the ``full`` profile skips, not fails)."""
    reason = coco_unavailable(run, cfg) if "coco" in datasets else None
    if reason:
        print(f"COCO rows skipped: {reason}")
    return [d for d in datasets if d != "coco" or not reason]


def _location_seed_rows(run: Run, cfg: Cvpr15Config, seed: int, progress: bool, *,
                        datasets: tuple[str, ...]) -> list[dict]:
    return [row for dataset in datasets for row in _location_rows(run, cfg, dataset, seed, progress)]


def location_table(run: Run, *, datasets: tuple[str, ...] = ("voc", "coco"), progress: bool = True) -> pd.DataFrame:
    """Location prediction AP per class and mean (%): ``dataset, method, seed, <classes>, mAP`` (classes of both
    datasets as columns; NaN where a class does not belong to the row's dataset). Seeds: ``cvpr15.location_seeds``."""
    run = location_run(run)
    cfg = config(run)
    datasets = tuple(_available(run, cfg, datasets))
    with shared_inputs():
        table = pd.DataFrame(per_seed(run, cfg, partial(_location_seed_rows, datasets=datasets), progress=progress,
                                      strong="voc" in datasets))
    order = {name: i for i, name in enumerate(dict.fromkeys(table["dataset"]))}  # dataset-major, then seed
    table = table.sort_values("dataset", key=lambda c: c.map(order), kind="stable").reset_index(drop=True)
    return table[["dataset", "method", "seed", *[c for c in table.columns if c not in
                                                 ("dataset", "method", "seed", "mAP")], "mAP"]]


def _coco_rows(run: Run, cfg: Cvpr15Config, seed: int, progress: bool) -> list[dict]:
    pred = cached_predictions(run, cfg, weak_model(run, cfg, seed, "weak", "coco", progress=progress),
                              cfg.coco_test_split, progress=progress)
    return [_ap_row(class_aps(pred.scores, pred.labels), _class_names(pred), method="weak net (ours)", seed=seed)]


def coco_classification_table(run: Run, *, progress: bool = True) -> pd.DataFrame:
    """COCO classification AP (%) of the weak net trained on the COCO analog: ``method, seed, <80 classes>, mAP``.
    Seeds: ``cvpr15.location_seeds``, as the location table's."""
    run = location_run(run)
    cfg = config(run)
    with shared_inputs():
        rows = per_seed(run, cfg, _coco_rows, progress=progress) if _available(run, cfg, ("coco",)) else []
    return pd.DataFrame(rows, columns=None if rows else ["method", "seed", "mAP"])


HEADLINE = {  # the quantities of the paper's headline CSV that these tables measure
    "location": "Location prediction mAP, {dataset}",
    "coco": "MS COCO val classification mAP",
}


def headline_table(location: pd.DataFrame, coco: pd.DataFrame) -> pd.DataFrame:
    """Our weak net's numbers under the paper's headline quantities: ``quantity -> mean, std, seeds``."""
    rows = {}
    weak = location[location["method"] == LOCATION_METHODS[0]]
    for dataset, group in weak.groupby("dataset", sort=False):
        paper_name = "VOC 2012 val" if dataset.startswith("VOC") else "MS COCO val"
        rows[HEADLINE["location"].format(dataset=paper_name)] = group["mAP"]
    if len(coco):
        rows[HEADLINE["coco"]] = coco["mAP"]
    return pd.DataFrame({q: {"mean": v.mean(), "std": v.std(ddof=1), "seeds": len(v)} for q, v in rows.items()}).T


# ---------------------------------------------------------------------------------------------- ablations
def ablation_variants(cfg: Cvpr15Config) -> list[tuple[str, str, Cvpr15Config, tuple[float, ...]]]:
    """``(ablation, setting, training config, test scales)``; the first setting of each ablation is the paper's."""
    multi, single = cfg.test_scales, (1.0,)
    return [
        ("test scales", f"multi-scale {len(multi)}", cfg, multi),
        ("test scales", "single scale 1", cfg, single),
        ("training rescale", f"random [{cfg.train_scales[0]:g}, {cfg.train_scales[1]:g}]", cfg, multi),
        ("training rescale", "fixed 1", dataclasses.replace(cfg, train_scales=(1.0, 1.0)), multi),
        ("pooling", "max", cfg, multi),
        ("pooling", "average", dataclasses.replace(cfg, pooling="avg"), multi),
        ("pooling", f"LSE r={cfg.lse_r:g}", dataclasses.replace(cfg, pooling="lse"), multi),
    ]


def _ablation_rows(run: Run, cfg: Cvpr15Config, seed: int, progress: bool) -> list[dict]:
    rows = []
    for ablation, setting, variant, scales in ablation_variants(cfg):
        model = weak_model(run, variant, seed, progress=progress)
        test = cached_predictions(run, variant, model, variant.test_split, scales=scales, progress=progress)
        where = cached_predictions(run, variant, model, variant.location_split, scales=scales, progress=progress)
        rows.append({"ablation": ablation, "setting": setting, "seed": seed,
                     "classification mAP": float(100 * np.nanmean(class_aps(test.scores, test.labels))),
                     "location mAP": float(100 * np.nanmean(location_aps(where.points, where, variant)))})
    return rows


def ablation_table(run: Run, *, progress: bool = True) -> pd.DataFrame:
    """``ablation, setting, seed, classification mAP`` (VOC ``test_split``) ``, location mAP`` (``location_split``)."""
    with shared_inputs():
        table = pd.DataFrame(per_seed(run, config(run), _ablation_rows, progress=progress))
    order = {key: i for i, key in enumerate(dict.fromkeys(zip(table["ablation"], table["setting"])))}
    position = pd.Series([order[k] for k in zip(table["ablation"], table["setting"])], index=table.index)
    return table.loc[position.sort_values(kind="stable").index].reset_index(drop=True)


def ablation_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds of both metrics per (ablation, setting): ``<metric>`` and ``<metric> std`` columns."""
    grouped = table.groupby(["ablation", "setting"], sort=False)
    out = {}
    for metric in ("classification mAP", "location mAP"):
        out[metric], out[f"{metric} std"] = grouped[metric].mean(), grouped[metric].std(ddof=1)
    out["seeds"] = grouped["seed"].count()
    return pd.DataFrame(out)


def ablation_claims(table: pd.DataFrame, value: str = "classification mAP"):
    """``(ablation, alternative setting, paper-setting values [seeds], alternative values [seeds])`` per alternative;
    the first setting of each ablation is the paper's (:func:`ablation_variants`)."""
    for ablation, group in table.groupby("ablation", sort=False):
        settings = list(dict.fromkeys(group["setting"]))
        paper = group[group["setting"] == settings[0]][value].reset_index(drop=True)
        for setting in settings[1:]:
            yield ablation, setting, paper, group[group["setting"] == setting][value].reset_index(drop=True)


def ablation_comparisons(table: pd.DataFrame, value: str = "classification mAP") -> list[tuple[str, pd.Series,
                                                                                                   pd.Series]]:
    """``(claim, the paper's setting per seed, the alternative's per seed)`` per alternative of each ablation; values
    are indexed by seed (every setting of seed s starts from source network s: paired)."""
    comparisons = []
    for ablation, group in table.groupby("ablation", sort=False):
        settings = list(dict.fromkeys(group["setting"]))
        paper = seed_values(group, value, setting=settings[0])
        comparisons += [(f"{ablation}: the paper's choice beats {setting}", paper,
                         seed_values(group, value, setting=setting)) for setting in settings[1:]]
    return comparisons
