"""CVPR'15 test results, cached: the multi-scale predictions of a trained weak net on a split, and the C5 maps its
frozen source net gives that split (shared by every model built on that source).

Entries: ``runs/cvpr15-test-<kind>-<dataset>-<split>-<hash>/prediction.pt`` (scores, points and the split's ground
truth) and ``runs/cvpr15-c5-<dataset>-<split>-s<seed>-<hash>/c5.pt``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from oquab_lib import cache
from oquab_lib.config import Run
from oquab_lib.cvpr15.config import Cvpr15Config
from oquab_lib.cvpr15.data import ImageSet
from oquab_lib.cvpr15.inputs import compute_threads, image_set, source_network
from oquab_lib.cvpr15.predict import C5Batch, c5_batches, predict
from oquab_lib.cvpr15.train import WeakResult, load_weak_net
from oquab_lib.data.fingerprint import world_fingerprint
from oquab_lib.models import use_band_lrn

__all__ = ["SplitPrediction", "cached_predictions", "c5_store", "ground_truth"]


@dataclass
class SplitPrediction:
    """A :class:`Prediction` on a split with that split's ground truth, so warm runs never decode an image.

    ``labels [N, K]``, ``boxes`` N x ``[n_i, 5]`` and ``sizes [N, 2]`` (width, height) as in :class:`ImageSet`.
    """

    scores: Tensor
    points: Tensor
    scale_index: Tensor
    labels: Tensor
    boxes: list[Tensor]
    sizes: Tensor
    ids: list[str]


def ground_truth(images: ImageSet) -> dict[str, Any]:
    """The split's labels, sizes, ids and boxes, the boxes packed into one tensor: a file of one tensor per image
    takes seconds to unpickle, and a warm chapter reads dozens of these files."""
    counts = torch.tensor([len(b) for b in images.boxes], dtype=torch.long)
    packed = torch.cat(list(images.boxes)) if len(images.boxes) else torch.zeros(0, 5)
    return {"labels": images.labels, "boxes_packed": packed, "box_counts": counts, "sizes": images.sizes,
            "ids": list(images.ids)}


def _unpack(saved: dict[str, Any]) -> SplitPrediction:
    packed, counts = saved.pop("boxes_packed"), saved.pop("box_counts")
    return SplitPrediction(**saved, boxes=list(packed.split(counts.tolist())))


def cached_predictions(run: Run, cfg: Cvpr15Config, result: WeakResult, split: str, *,
                       scales: tuple[float, ...] | None = None, progress: bool = True) -> SplitPrediction:
    """:func:`predict` of a trained net on a split of its dataset (``scales``: default ``cfg.test_scales``), cached."""
    whole = result.kind == "full_images"
    scales = (1.0,) if whole else tuple(float(s) for s in (scales or cfg.test_scales))
    key = {"model": result.entry.name, "split": split, "scales": scales, "image_size": cfg.image_size,
           "max_images": cfg.max_images, "format": 2}  # format 2: boxes packed (ground_truth)

    def compute(work: Path) -> None:
        images = image_set(run, cfg, result.dataset, split, progress)
        net = load_weak_net(run, cfg, result)
        c5 = None if whole else c5_store(run, cfg, result.seed, result.dataset, split, scales, progress=progress)
        with compute_threads(cfg, torch.device(run.device)):
            pred = predict(net, images, scales, run.device, whole_image=whole, batch_size=cfg.eval_batch_size,
                           amp=cfg.amp, progress=progress, c5=c5)
        cache.save_state_dict(work / "prediction.pt", {**pred._asdict(), **ground_truth(images)})

    entry = cache.load_or_compute(run.runs_dir, f"cvpr15-test-{result.kind}-{result.dataset}-{split}", key, compute,
                                  verbose=progress)
    return _unpack(cache.load_state_dict(entry / "prediction.pt"))


def c5_store(run: Run, cfg: Cvpr15Config, seed: int, dataset: str, split: str, scales: tuple[float, ...], *,
             progress: bool = True) -> list[C5Batch] | None:
    """The C5 maps of a split at ``scales`` (a subset of ``cfg.test_scales``) through the frozen source net of
    ``seed``, cached: every model on that source (rows E, F, the ablations, the heat-map baseline) then runs only its
    FC6..adaptation layers at test time. None when not applicable (``cache_c5`` off, fine-tuned backbones, or
    scales outside ``test_scales``): the caller then runs the whole net."""
    if not cfg.cache_c5 or cfg.finetune or not set(scales) <= set(cfg.test_scales):
        return None
    source_id, source = source_network(run, cfg, seed, progress)
    key = {"source": source_id, "dataset": dataset, "split": split, "scales": cfg.test_scales,
           "image_size": cfg.image_size, "max_images": cfg.max_images, "batch_size": cfg.eval_batch_size,
           "year": cfg.voc_year, **world_fingerprint(run.data_root)}
    device = torch.device(run.device)

    def compute(work: Path) -> None:
        images = image_set(run, cfg, dataset, split, progress)
        features = use_band_lrn(copy.deepcopy(source.features)).eval().to(device)  # = WeakNet.backbone.features
        with compute_threads(cfg, device):
            batches = [b._replace(c5=b.c5.float().cpu())._asdict() for b in c5_batches(
                features, source.spec, images, cfg.test_scales, device=device, batch_size=cfg.eval_batch_size,
                amp=cfg.amp, progress=progress)]
        cache.save_state_dict(work / "c5.pt", {"batches": batches})

    entry = cache.load_or_compute(run.runs_dir, f"cvpr15-c5-{dataset}-{split}-s{seed}", key, compute, verbose=progress)
    wanted = {cfg.test_scales.index(s): i for i, s in enumerate(scales)}  # stored scale index -> requested index
    return [C5Batch(b["indices"], wanted[b["scale_index"]], tuple(b["size"]), b["c5"])
            for b in cache.load_state_dict(entry / "c5.pt")["batches"] if b["scale_index"] in wanted]
