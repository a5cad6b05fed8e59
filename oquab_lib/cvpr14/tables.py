"""CVPR'14 transfer pipeline: heads on frozen patch features, NO PRETRAIN, evaluation, Tables 1 and 2, ablations.

Image-level scores from patch posteriors (Sec. 3.3 of the paper): ``score(C) = (1/M) Σ_i y(C|P_i)^k`` over the ``M``
patches of an image, with ``k = 5`` chosen on validation; ``k = inf`` is the max-over-patches ablation.

Training (Sec. 3.2): the head (FCa + ReLU + dropout + FCb, softmax over 20 classes + background) is trained with SGD
(lr 0.01; momentum, weight decay and batch size are not given: ``Cvpr14Config`` documents ours) on mini-batches drawn
from every object patch plus a random 10 % of the background patches. The 10 % is *re-drawn every epoch* (seeded), our
reading of "SGD mini-batches come from this re-sampled set": over the epochs the head sees most background patches
while each epoch stays balanced. The rate is divided by 10 when the training loss plateaus, and training stops after
the third drop (:class:`oquab_lib.stopping.PlateauRule`, ``max_epochs`` as a safety cap). Heads train on cached FC7
features (:mod:`oquab_lib.cvpr14.features`); NO PRETRAIN trains the whole network on crops.

Evaluation: per image patch probabilities -> :func:`oquab_lib.cvpr14.scores.aggregate_scores_batched` -> ``[N, 20]`` -> Pascal VOC AP per
class. ``k`` is chosen per (method, seed) among ``cvpr14.k_values`` by validation mAP, never on the test split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib import cache
from oquab_lib.config import Run
from oquab_lib.cvpr14.config import Cvpr14Config, config, seeds
from oquab_lib.cvpr14.features import (
    SOURCE_METHODS,
    PatchSet,
    SourceUnavailable,
    build_patch_set,
    patch_features,
    patch_inputs,
    random_network,
    source_network,
    torch_threads,
)
from oquab_lib.cvpr14.scores import ap_fractions, image_scores, select_k
from oquab_lib.data.classes import TARGETED_BY_1512, VOC_CLASSES
from oquab_lib.data.splits import resolve_splits
from oquab_lib.errors import ConfigError
from oquab_lib.models import normalization, seeded, use_band_lrn
from oquab_lib.patches import resample_background
from oquab_lib.session import ensure_data
from oquab_lib.stopping import PlateauRule
from oquab_lib.train import fit
from oquab_lib.transfer import TransferHead, TransferNet

NUM_CLASSES = len(VOC_CLASSES)
NO_PRETRAIN = "NO PRETRAIN"
TABLES = {"table1": ("table1_splits", "table1_methods", "voc07"), "table2": ("table2_splits", "table2_methods", "voc12")}


# ---------------------------------------------------------------------------------------------------- training
class PatchBatches:
    """The mini-batches ``(inputs [B, ...], labels [B])`` of one epoch over the patches of a training set.

    Each epoch keeps every object patch and a fresh ``fraction`` of the background patches
    (:func:`~oquab_lib.patches.resample_background`; excluded patches never), shuffled; ``fetch(rows [B])`` turns
    patch rows into inputs (cached features or crops). All randomness comes from ``generator``, which
    :func:`oquab_lib.train.fit` seeds, saves and restores.
    """

    def __init__(self, labels: Tensor, fetch: Callable[[Tensor], Tensor], fraction: float, batch_size: int,
                 seed: int = 0) -> None:
        self.labels, self.fetch, self.fraction, self.batch_size = labels, fetch, fraction, batch_size
        self.generator = torch.Generator().manual_seed(seed)
        objects = int(((labels >= 0) & (labels < NUM_CLASSES)).sum())
        self.epoch_size = objects + math.floor(fraction * int((labels == NUM_CLASSES).sum()) + 0.5)

    def __len__(self) -> int:
        return -(-self.epoch_size // self.batch_size)

    def __iter__(self):
        kept = resample_background(self.labels, NUM_CLASSES, self.fraction, self.generator)
        order = kept[torch.randperm(len(kept), generator=self.generator)]
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            yield self.fetch(rows), self.labels[rows]


def train_transfer(model: nn.Module, batches: PatchBatches, lr: float, max_epochs: int, cfg: Cvpr14Config,
                   work: Path, seed: int, device: str | torch.device = "cpu", progress: bool = True) -> pd.DataFrame:
    """SGD on the parameters of ``model`` that require grad, with the plateau rule; history, one row per epoch.

    Resumable: :func:`oquab_lib.train.fit` checkpoints into ``work`` after every epoch.
    """
    model.to(device)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr, momentum=cfg.momentum,
                                weight_decay=cfg.weight_decay)
    rule = PlateauRule(optimizer, rel_tol=cfg.plateau_rel_tol, max_epochs=max_epochs)
    history = fit(model, optimizer, batches, epochs=max_epochs, work_dir=work, scheduler=rule, device=device, seed=seed,
                  amp=cfg.amp, progress=progress)
    return pd.DataFrame(history).set_index("epoch")


@torch.inference_mode()
def patch_probabilities(model: nn.Module, fetch: Callable[[Tensor], Tensor], num_rows: int, batch_size: int,
                        device: str | torch.device = "cpu", amp: bool = True, desc: str = "score",
                        progress: bool = True) -> Tensor:
    """Softmax posteriors ``[P, 21]`` (float32, CPU) of patch rows ``0..P-1``; ``fetch(rows)`` gives the inputs."""
    device = torch.device(device)
    model.eval()
    out = torch.empty(num_rows, NUM_CLASSES + 1)
    starts = range(0, num_rows, batch_size)
    for start in tqdm(starts, desc=desc, disable=not progress or len(starts) < 2, leave=False):
        rows = torch.arange(start, min(start + batch_size, num_rows))
        with torch.autocast("cuda", enabled=amp and device.type == "cuda"):
            logits = model(fetch(rows).to(device))
        out[start:start + len(rows)] = torch.softmax(logits.float(), dim=1).cpu()
    return out


# ------------------------------------------------------------------------------------------------- experiments
@dataclass
class TableData:
    """The patch sets of one table: ``sets["train" | "val" | "test"]``, its AP protocol and its methods."""

    name: str
    protocol: str
    sets: dict[str, PatchSet]
    methods: tuple[str, ...]


def table_data(run: Run, table: str, cfg: Cvpr14Config, *, progress: bool = True) -> TableData:
    """The patch sets of ``table`` (``table1`` / ``table2``) and the methods it compares, under ``cfg``."""
    if table not in TABLES:
        raise ConfigError(f"unknown CVPR'14 table {table!r}; accepted: {', '.join(TABLES)}")
    ensure_data(run, verbose=False)  # the mini world, as the notebooks' session.start makes it
    splits_field, methods_field, protocol = TABLES[table]
    resolved = resolve_splits(run.data_root, getattr(cfg, splits_field), cfg.holdout_seed, cfg.max_images)
    sets = {role: build_patch_set(run.data_root, year, split, ids, cfg, run.runs_dir, progress)
            for role, (year, split, ids) in resolved.items()}
    return TableData(table, protocol, sets, getattr(cfg, methods_field))


def _save_results(work: Path, model: nn.Module, fetchers: dict, data: TableData, cfg: Cvpr14Config,
                  device: str, history: pd.DataFrame, progress: bool) -> None:
    """Patch posteriors (float16, for figures), image scores for every k, weights and history of a trained model."""
    scores, probs = {}, {}
    for role in ("val", "test"):
        posteriors = patch_probabilities(model, fetchers[role], len(data.sets[role].boxes), cfg.feature_batch_size,
                                         device, cfg.amp, f"score {data.sets[role].name}", progress)
        scores[role], probs[role] = image_scores(posteriors, data.sets[role], cfg.k_values), posteriors.half()
    cache.save_state_dict(work / "scores.pt", scores)
    cache.save_state_dict(work / "probs.pt", probs)
    cache.save_state_dict(work / "model.pt", {k: v.cpu() for k, v in model.state_dict().items()})
    cache.save_csv(work / "history.csv", history)
    (work / "checkpoint.pt").unlink(missing_ok=True)  # the result is complete: drop the optimizer state


def _head_entry(run: Run, data: TableData, method: str, seed: int, cfg: Cvpr14Config, hidden: tuple[int, ...],
                fraction: float, base_key: dict, progress: bool) -> Path:
    source_key, net = source_network(run, cfg, method, seed, progress)
    key = {**base_key, **cfg.head_key(), "source": source_key, "head_hidden": hidden, "background_fraction": fraction}

    def compute(work: Path) -> None:
        feats = {role: patch_features(net, source_key, ps, cfg, run.runs_dir, run.device, role == "train", progress)
                 for role, ps in data.sets.items()}
        with seeded(seed):
            head = TransferHead(feats["train"].shape[1], NUM_CLASSES + 1, hidden, cfg.dropout)
        fetchers = {role: (lambda rows, f=f: f[rows].float()) for role, f in feats.items()}
        batches = PatchBatches(data.sets["train"].labels, fetchers["train"], fraction, cfg.batch_size)
        with torch_threads(1):
            history = train_transfer(head, batches, cfg.lr, cfg.max_epochs, cfg, work, seed, run.device, progress)
            _save_results(work, head, fetchers, data, cfg, run.device, history, progress)

    name = f"cvpr14-{data.name}-{method.lower().replace(' ', '')}-s{seed}"
    return cache.load_or_compute(run.runs_dir, name, key, compute, verbose=progress)


def _scratch_entry(run: Run, data: TableData, seed: int, cfg: Cvpr14Config, base_key: dict, progress: bool) -> Path:
    """NO PRETRAIN: the source architecture, randomly initialised, every layer trained on the target's crops."""
    init_key, source = random_network(run, seed)
    key = {**base_key, **cfg.head_key(), "method": NO_PRETRAIN, "init": init_key, "cache_crops": cfg.cache_crops,
           "scratch_lr": cfg.scratch_lr,
           "scratch_batch_size": cfg.scratch_batch_size, "scratch_max_epochs": cfg.scratch_max_epochs}

    def compute(work: Path) -> None:
        net = use_band_lrn(TransferNet(source, NUM_CLASSES + 1, cfg.head_hidden, freeze="none", dropout=cfg.dropout,
                                       seed=seed))
        mean, std = normalization(net.spec)
        fetchers = {role: patch_inputs(ps, cfg, run.runs_dir, net.spec.input_size, mean, std, run.device,
                                       role == "train", progress) for role, ps in data.sets.items()}
        batches = PatchBatches(data.sets["train"].labels, fetchers["train"], cfg.background_fraction,
                               cfg.scratch_batch_size)
        with torch_threads(cfg.threads):
            history = train_transfer(net, batches, cfg.scratch_lr, cfg.scratch_max_epochs, cfg, work, seed,
                                     run.device, progress)
            _save_results(work, net, fetchers, data, cfg, run.device, history, progress)

    return cache.load_or_compute(run.runs_dir, f"cvpr14-{data.name}-nopretrain-s{seed}", key, compute,
                                 verbose=progress)


def method_entry(run: Run, data: TableData, method: str, seed: int, cfg: Cvpr14Config, *,
                 hidden: tuple[int, ...] | None = None, fraction: float | None = None, progress: bool = True) -> Path:
    """The cache entry of one trained (method, seed): ``scores.pt`` (val/test image scores per k), ``probs.pt``
    (patch posteriors), ``model.pt``, ``history.csv``. ``hidden`` / ``fraction`` override the head for ablations."""
    base_key = {"sets": {role: ps.key for role, ps in data.sets.items()}, "seed": seed}
    if method == NO_PRETRAIN:
        return _scratch_entry(run, data, seed, cfg, base_key, progress)
    hidden = cfg.head_hidden if hidden is None else tuple(hidden)
    fraction = cfg.background_fraction if fraction is None else fraction
    return _head_entry(run, data, method, seed, cfg, hidden, fraction, base_key, progress)


def evaluate_entry(entry: Path, data: TableData, test: bool = True) -> tuple[str, dict[str, float], np.ndarray | None]:
    """``(k chosen on validation, validation mAP (%) per k, test AP fractions [20] at that k or None)``."""
    scores = cache.load_state_dict(entry / "scores.pt")
    k, val_maps = select_k(scores["val"], data.sets["val"].image_labels, data.protocol)
    if not test:
        return k, val_maps, None
    return k, val_maps, ap_fractions(scores["test"][k], data.sets["test"].image_labels, data.protocol)


# ------------------------------------------------------------------------------------------------------ tables
def _ap_frame(rows: list[tuple[str, int, np.ndarray]]) -> pd.DataFrame:
    """Rows (method, seed) x columns 20 classes + mAP, in percent."""
    values = [[*(100 * aps).tolist(), float(100 * np.nanmean(aps))] for _, _, aps in rows]
    index = pd.MultiIndex.from_tuples([(m, s) for m, s, _ in rows], names=["method", "seed"])
    return pd.DataFrame(values, index=index, columns=[*VOC_CLASSES, "mAP"], dtype=float)


def run_table(run: Run, table: str, methods: tuple[str, ...] | None = None, progress: bool = True) -> pd.DataFrame:
    """Test AP (%) of every method and source seed of a table: index (method, seed), columns 20 classes + mAP.

    A method whose source network is unavailable (``full`` profile without it) is skipped with a printed reason; a
    method with one fixed source network (torchvision's) runs one seed only, since head seeds are not the spread we
    report. ``attrs``: ``protocol``, ``test_set``, ``k`` ({method: {seed: k chosen on validation}}), ``val_map``
    ({method: {seed: {k: validation mAP}}}) and ``skipped`` ({method: reason}).
    """
    cfg = config(run)
    data = table_data(run, table, cfg, progress=progress)
    rows, chosen, val_maps, skipped = [], {}, {}, {}
    for method in methods if methods is not None else data.methods:
        for seed in seeds(run):
            if seed != run.seed and method in SOURCE_METHODS and SOURCE_METHODS[method] and not run.is_synthetic:
                print(f"{table}: {method} has one fixed source network here (torchvision's or yours): one seed, "
                      "no spread over source seeds")
                break
            try:
                entry = method_entry(run, data, method, seed, cfg, progress=progress)
            except SourceUnavailable as err:
                print(f"{table}: skipping {method}: {err}")
                skipped[method] = str(err)
                break
            k, maps, aps = evaluate_entry(entry, data)
            rows.append((method, seed, aps))
            chosen.setdefault(method, {})[seed] = k
            val_maps.setdefault(method, {})[seed] = maps
            if progress:
                print(f"{table}: {method} seed {seed}: k={k} (val mAP {maps[k]:.1f}), test mAP "
                      f"{100 * np.nanmean(aps):.1f}")
    frame = _ap_frame(rows)
    frame.attrs.update(protocol=data.protocol, test_set=data.sets["test"].name, k=chosen, val_map=val_maps,
                       skipped=skipped)
    return frame


def table1(run: Run, progress: bool = True) -> pd.DataFrame:
    """CVPR'14 Table 1 analog: VOC 2007 test, VOC07 11-point AP; PRE-1000C and our frozen-random control."""
    return run_table(run, "table1", progress=progress)


def table2(run: Run, progress: bool = True) -> pd.DataFrame:
    """CVPR'14 Table 2 analog: VOC 2012 test, VOC12 AP; NO PRETRAIN, PRE-1000C, PRE-1000R, PRE-1512, PRE-1512D."""
    return run_table(run, "table2", progress=progress)


def selection_table(table: pd.DataFrame) -> pd.DataFrame:
    """Validation mAP (%) of every k, per (method, seed) of a :func:`run_table` result, with the chosen k."""
    rows = {(m, s): {**maps, "chosen k": table.attrs["k"][m][s]}
            for m, per in table.attrs["val_map"].items() for s, maps in per.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.names = ["method", "seed"]
    return frame


def _group_gains(better: pd.DataFrame, base: pd.DataFrame, classes: list[str]) -> pd.DataFrame:
    """Per row: mean AP gain on ``classes``, on the others, and their difference (rows aligned by position)."""
    other = [c for c in VOC_CLASSES if c not in classes]
    gain = better[list(VOC_CLASSES)].to_numpy() - base[list(VOC_CLASSES)].to_numpy()
    frame = pd.DataFrame(gain, columns=list(VOC_CLASSES))
    out = pd.DataFrame({"targeted": frame[classes].mean(axis=1), "other": frame[other].mean(axis=1)})
    out["difference"] = out["targeted"] - out["other"]
    return out


def targeted_gain(table: pd.DataFrame, classes: tuple[str, ...] = TARGETED_BY_1512, better: str = "PRE-1512",
                  base: str = "PRE-1000C") -> pd.DataFrame:
    """Mean AP gain ``better - base`` on the ``classes`` targeted by the extra source classes vs on the others.

    Rows ``paper`` (CVPR'14 Table 2; NaN when the paper has no such row) and ``ours`` (mean over source seeds, the
    gain of seed s pairing ``better`` s with ``base`` s); columns ``targeted``, ``other``, ``difference`` and their
    ``std`` over seeds (ours only; NaN with one seed). Paper, 1512 vs 1000C: +6.0 targeted vs +1.8 other.
    """
    from oquab_lib.paper import paper_table

    unknown = [c for c in classes if c not in VOC_CLASSES]
    if unknown:
        raise ConfigError(f"targeted_gain: unknown class {unknown[0]!r}; classes must be VOC class names")
    classes, columns = list(classes), ["targeted", "other", "difference"]
    paper = paper_table("cvpr14_table2")
    result = pd.DataFrame(np.nan, index=["paper", "ours"], columns=columns + [f"{c} std" for c in columns])
    if better in paper.index and base in paper.index:
        result.loc["paper", columns] = _group_gains(paper.loc[[better]], paper.loc[[base]], classes).iloc[0]
    methods = table.index.get_level_values("method")
    if better in methods and base in methods:
        pairs = table.loc[better].index.intersection(table.loc[base].index)
        if len(pairs):
            per_seed = _group_gains(table.loc[better].loc[pairs], table.loc[base].loc[pairs], classes)
            result.loc["ours", columns] = per_seed.mean()
            result.loc["ours", [f"{c} std" for c in columns]] = per_seed.std(ddof=1).to_numpy()
    return result
