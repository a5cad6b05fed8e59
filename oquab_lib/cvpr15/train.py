"""CVPR'15 "Is object localization for free?": weakly-supervised training and multi-scale testing of the weak net.

The network is :class:`oquab_lib.weak_net.WeakNet`: the source AlexNet as convolutions (C1..FC7), two 3x3 adaptation
convolutions giving K score maps, global max pooling, K logistic losses (:func:`~oquab_lib.weak_net.weak_loss`).

Training (:func:`train_weak`), the recipe of the authors' code: every image is first resized so that its largest side is
``image_size`` (the paper: about 500 px), then rescaled by a factor drawn uniformly in ``train_scales`` ([0.7, 1.4]) and
flipped at random; AdaGrad, lr 1e-3, weight decay 5e-4; only the adaptation layers train unless ``finetune``. With a
frozen trunk and ``cache_trunk`` (quick, smoke) the factor is drawn among ``train_factors`` equally spaced ones and
training reads the trunk's C5 maps, computed once per source network (:mod:`oquab_lib.cvpr15.trunk`). The validation
set is the tail of the *training* split (``val_fraction``); after every epoch the val mAP is measured and the best
epoch's weights are the result (model selection never sees a test image). With ``patience`` the run stops when the
val mAP has not improved for that many epochs (:class:`oquab_lib.stopping.EarlyStopping`, ``epochs`` the cap): the
pre-registered training-budget rule of the Mini world chapter's Calibration section, "every network, every row
alike, trains until its validation metric has not improved for a fixed patience". A checkpoint after every epoch
(:func:`oquab_lib.train.fit`) makes an interrupted run resume to the same final weights. Three kinds of model:

- ``weak`` (row F of the table): the adaptation layers start at random;
- ``strong_weak`` (row E): the adaptation layers start from a box-supervised CVPR'14 patch head (see
  :mod:`oquab_lib.cvpr15.strong`), then the same weak training;
- ``full_images`` (row D): the same network on whole images squashed to the input size (the conv net then yields a
  1x1 map: it is the FC network on the whole image, no search over positions or scales).

Testing: :func:`oquab_lib.cvpr15.predict.predict` (multi-scale scores and arg-max points), cached per trained model
and split by :func:`oquab_lib.cvpr15.results.cached_predictions`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn

from oquab_lib import cache, distributed
from oquab_lib.config import Run
from oquab_lib.cvpr15.config import (
    KINDS,
    PAPER_SNAPSHOT_ITERATIONS,
    PAPER_TOTAL_ITERATIONS,
    Cvpr15Config,
)
from oquab_lib.cvpr15.data import ImageSet, WeakBatches, train_val_split
from oquab_lib.cvpr15.inputs import compute_threads, image_set, source_network
from oquab_lib.cvpr15.predict import C5Batch, c5_batches, mean_ap, predict
from oquab_lib.cvpr15.trunk import TrunkMaps, cached_train_maps, train_factors
from oquab_lib.errors import ConfigError
from oquab_lib.models import AlexNet, normalization, use_band_lrn
from oquab_lib.stopping import EarlyStopping
from oquab_lib.train import CHECKPOINT_NAME, fit
from oquab_lib.transfer import TransferHead
from oquab_lib.weak_net import FromC5, WeakNet, weak_loss


def build_weak_net(source: AlexNet, cfg: Cvpr15Config, num_classes: int, seed: int, hidden: int | None = None) -> WeakNet:
    """The weak net on ``source``; its LRN layers computed as banded convolutions (same function, several times
    faster on CPU than PyTorch's 3-D average pool: :class:`oquab_lib.models.BandLRN`)."""

    net = WeakNet(source, num_classes, hidden or cfg.hidden, cfg.pooling, cfg.dropout,
                  freeze_backbone=not cfg.finetune, lse_r=cfg.lse_r, seed=seed)
    use_band_lrn(net.backbone)
    return net


@dataclass
class PatchHead:
    """A box-trained patch head ``[P, fc_width] -> [P, K + 1]`` logits (last = background) and where it comes from:
    row E's start (made by :func:`oquab_lib.cvpr15.strong.patch_head`)."""

    head: TransferHead
    provenance: str  # names the model in cache keys and in the notebooks
    source_id: str


@dataclass
class WeakResult:
    """A finished weak net: its cache entry, per-epoch history (train loss, val_mAP) and how to rebuild it."""

    entry: Path
    kind: str
    dataset: str
    seed: int
    history: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def best_epoch(self) -> int:
        return int(self.meta["best_epoch"])

    def snapshot_paths(self) -> dict[int, Path]:
        """Training step -> saved trainable weights (``weak`` VOC runs with snapshots)."""
        folder = self.entry / "snapshots"
        paths = sorted(folder.glob("step-*.pt")) if folder.is_dir() else []
        return {int(p.stem.split("-")[1]): p for p in paths}


def trainable_state(net: WeakNet) -> dict[str, Tensor]:
    """The weights that training changes (all of them when fine-tuning), on CPU."""
    names = {name for name, p in net.named_parameters() if p.requires_grad}
    return {k: v.detach().cpu().clone() for k, v in net.state_dict().items() if k in names}


def load_trained(net: WeakNet, path: Path) -> WeakNet:
    net.load_state_dict(cache.load_state_dict(path), strict=False)
    return net


def snapshot_steps(total_steps: int) -> list[int]:
    """The paper's iterations 210, 510, 4200 as the same fractions of our run (at least one step each, distinct)."""
    steps = [max(1, round(total_steps * it / PAPER_TOTAL_ITERATIONS)) for it in PAPER_SNAPSHOT_ITERATIONS]
    return sorted(set(min(s, max(total_steps - 1, 1)) for s in steps))


class _Snapshots:
    """``WeakBatches.on_batch`` hook: save the trainable weights when the run has made one of ``steps`` updates."""

    def __init__(self, net: WeakNet, steps: list[int], folder: Path, steps_per_epoch: int, start_epoch: int) -> None:
        self.net, self.steps, self.folder = net, set(steps), folder
        self.steps_per_epoch, self.epoch = steps_per_epoch, start_epoch - 1

    def __call__(self, batch_number: int) -> None:
        if batch_number == 0:
            self.epoch += 1
        step = self.epoch * self.steps_per_epoch + batch_number
        if step in self.steps:
            cache.save_state_dict(self.folder / f"step-{step:06d}.pt", trainable_state(self.net))


def _resume_epoch(work: Path) -> int:
    path = work / CHECKPOINT_NAME
    return int(cache.load_state_dict(path)["epoch"]) + 1 if path.is_file() else 0


def _fit_weak(net: WeakNet, cfg: Cvpr15Config, kind: str, train: ImageSet, val: ImageSet, *, seed: int,
              device: torch.device, work: Path, epochs: int, snapshots: bool, progress: bool,
              maps: TrunkMaps | None = None) -> tuple[list[dict[str, Any]], int]:
    """Train ``net`` in ``work`` (resuming from its checkpoint); the best epoch's weights go to ``work/best.pt``.

    ``maps``: the frozen trunk's C5 maps of ``train`` (:mod:`oquab_lib.cvpr15.trunk`): the loader then gives C5
    batches at those factors and only FC6 onwards runs. Stops early by :class:`~oquab_lib.stopping.EarlyStopping` when
    ``cfg.patience`` is set (the same rule for every row); ``epochs`` is then the cap.
    """
    whole = kind == "full_images"
    loader = _loader(net, cfg, train, whole, seed, device, maps)
    if snapshots:
        steps = snapshot_steps(epochs * len(loader))
        loader.on_batch = _Snapshots(net, steps, work / "snapshots", len(loader), _resume_epoch(work))
    optimizer = torch.optim.Adagrad(net.trainable_parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    stopping = EarlyStopping("val_mAP", cfg.patience) if cfg.patience else None
    val_fn = _Validation(net, cfg, val, whole, device, work)
    net.to(device)
    model = FromC5(net) if maps is not None else net
    history = fit(model, optimizer, loader, val_fn=val_fn, epochs=epochs, work_dir=work, device=device, seed=seed,
                  scheduler=stopping, loss_fn=weak_loss, amp=cfg.amp, channels_last=cfg.channels_last,
                  progress=progress)
    return history, len(loader)


def _loader(net: WeakNet, cfg: Cvpr15Config, train: ImageSet, whole: bool, seed: int, device: torch.device,
            maps: TrunkMaps | None) -> WeakBatches:
    """The training batches: images rescaled by a continuous factor, or (``maps``) C5 maps at discrete factors."""
    mean, std = normalization(net.spec)
    scale_range = (1.0, 1.0) if whole else cfg.train_scales
    return WeakBatches(train, range(len(train)), cfg.batch_size, scale_range, net.spec.input_size, mean, std,
                       device, whole_image=whole, seed=seed, num_workers=cfg.num_workers,
                       factors=maps.factors if maps is not None else None, maps=maps)


class _Validation:
    """``fit``'s ``val_fn``: val mAP of ``net`` after an epoch; a new best saves ``best.pt`` / ``best.json``. With a
    frozen backbone the val images' C5 maps are computed once (the same numbers as recomputing them every epoch)."""

    def __init__(self, net: WeakNet, cfg: Cvpr15Config, val: ImageSet, whole: bool, device: torch.device,
                 work: Path) -> None:
        self.net, self.cfg, self.val, self.whole, self.device = net, cfg, val, whole, device
        self.best_path, self.best_json = work / "best.pt", work / "best.json"
        self.c5: list[C5Batch] | None = None

    def __call__(self, model: nn.Module, epoch: int) -> dict[str, float]:
        cfg, net = self.cfg, self.net  # ``model`` may be FromC5(net): the weights are net's
        if self.c5 is None and not cfg.finetune:
            self.c5 = list(c5_batches(net.backbone.features, net.spec, self.val, cfg.val_scales, device=self.device,
                                      batch_size=cfg.eval_batch_size, amp=cfg.amp, whole_image=self.whole,
                                      progress=False))
        pred = predict(net, self.val, cfg.val_scales, self.device, whole_image=self.whole,
                       batch_size=cfg.eval_batch_size, amp=cfg.amp, progress=False, c5=self.c5)
        val_map = mean_ap(pred.scores, self.val.labels)
        best = cache.load_json(self.best_json) if self.best_json.is_file() else {"val_mAP": -math.inf}
        if val_map > best["val_mAP"]:  # strict: a resumed epoch that re-measures the same value keeps the file
            cache.save_state_dict(self.best_path, trainable_state(net))
            cache.save_json(self.best_json, {"epoch": epoch, "val_mAP": val_map})
        model.train()
        return {"val_mAP": val_map}


def _finished(work: Path) -> bool:
    """Whether ``work`` holds a finished run: ``weights.pt`` is renamed from ``best.pt`` only after the history and
    meta are saved. The checkpoint (optimizer state, not needed once finished) may be left by a kill: removed here."""
    if not (work / "weights.pt").is_file():
        return False
    (work / CHECKPOINT_NAME).unlink(missing_ok=True)
    return True


def _finalise(work: Path) -> None:
    """The best epoch's weights become the result, then the checkpoint goes; a kill between the two steps leaves
    a folder that :func:`_finished` recognises, so the rerun completes it instead of training again."""
    (work / "best.pt").replace(work / "weights.pt")
    cache.fault_point("weights-renamed")
    (work / CHECKPOINT_NAME).unlink(missing_ok=True)
    cache.fault_point("checkpoint-removed")


def train_weak(run: Run, cfg: Cvpr15Config, kind: str = "weak", dataset: str = "voc", seed: int = 0, *,
               snapshots: bool = False, progress: bool = True, strong_start: PatchHead | None = None) -> WeakResult:
    """Train (or load from the cache) one weak net; ``seed`` is the absolute seed (source network and adaptation).

    ``kind``: ``weak`` (F), ``strong_weak`` (E, VOC only), ``full_images`` (D). ``dataset``: ``voc`` or ``coco``.
    ``snapshots``: also save the trainable weights at the paper's training-figure iterations (scaled).
    ``strong_start``: row E's box-trained head (:func:`oquab_lib.cvpr15.strong.patch_head`), required for
    ``strong_weak`` and passed in by the caller, so that training knows nothing of how the head was made.
    """
    from oquab_lib.data.fingerprint import world_fingerprint

    if kind not in KINDS or dataset not in ("voc", "coco") or (kind == "strong_weak" and dataset != "voc"):
        raise ConfigError(f"train_weak: kind={kind!r}, dataset={dataset!r}; kinds {', '.join(KINDS)} "
                          "(strong_weak on voc only), datasets voc, coco")
    if (kind == "strong_weak") != (strong_start is not None):
        raise ConfigError("train_weak: kind='strong_weak' needs strong_start (cvpr15.strong.patch_head), "
                          "and only it takes one")
    source_id, source = source_network(run, cfg, seed, progress)
    split = cfg.train_split if dataset == "voc" else cfg.coco_train_split
    key = {**cfg.train_key(dataset), "kind": kind, "dataset": dataset, "seed": seed, "source": source_id,
           "snapshots": snapshots, "split": split, **world_fingerprint(run.data_root)}
    if strong_start is not None:
        key["init"] = strong_start.provenance
    job = _WeakJob(run, cfg, kind, dataset, seed, source_id, source, split, snapshots, progress, strong_start)
    # under torchrun every rank trains (DDP), rank 0 writes the entry; the key does not depend on the world size
    entry = distributed.load_or_compute(run.runs_dir, f"cvpr15-{kind}-{dataset}-s{seed}", key, job.compute,
                                        verbose=progress)
    meta = cache.load_json(entry / "meta.json")
    return WeakResult(entry, kind, dataset, seed, cache.load_csv(entry / "history.csv"), meta)


@dataclass
class _WeakJob:
    """What :func:`train_weak` computes on a cache miss: train in the work folder, then save the entry's files."""

    run: Run
    cfg: Cvpr15Config
    kind: str
    dataset: str
    seed: int
    source_id: str
    source: AlexNet
    split: str
    snapshots: bool
    progress: bool
    strong_start: PatchHead | None

    def compute(self, work: Path) -> None:
        if _finished(work):  # killed while finalising: the results are all there
            return
        cfg, device = self.cfg, distributed.local_device(self.run.device)  # cuda:LOCAL_RANK under torchrun
        everything = image_set(self.run, cfg, self.dataset, self.split, self.progress)
        train_idx, val_idx = train_val_split(len(everything), cfg.val_fraction)
        train, val = everything.subset(train_idx), everything.subset(val_idx)
        net = self.initial_net(len(everything.class_names), train.labels)
        epochs = cfg.epochs if self.dataset == "voc" else cfg.coco_epochs
        with compute_threads(cfg, device):
            maps = self.trunk_maps(train, device) if cfg.uses_trunk_cache else None
            history, steps_per_epoch = _fit_weak(net, cfg, self.kind, train, val, seed=self.seed, device=device,
                                                 work=work, epochs=epochs, snapshots=self.snapshots,
                                                 progress=self.progress, maps=maps)
        best = cache.load_json(work / "best.json")
        cache.save_csv(work / "history.csv", pd.DataFrame(history).set_index("epoch"))
        cache.save_json(work / "meta.json", dict(
            kind=self.kind, dataset=self.dataset, seed=self.seed, source=self.source_id,
            init=self.strong_start.provenance if self.strong_start is not None else None, best_epoch=best["epoch"],
            best_val_mAP=best["val_mAP"], hidden=net.hidden_conv.out_channels, classes=list(everything.class_names),
            train_ids=train.ids, val_ids=val.ids, num_classes=len(everything.class_names),
            total_steps=epochs * steps_per_epoch, epochs_trained=len(history),
            converged=bool(cfg.patience) and len(history) - 1 - best["epoch"] >= cfg.patience))
        _finalise(work)

    def trunk_maps(self, train: ImageSet, device: torch.device) -> TrunkMaps:
        """The C5 maps of ``train`` at the discrete training factors, shared (runs cache) by every weak net on this
        source network and these images: rows E and F, the pooling ablations (row D and "fixed 1": their own)."""
        from oquab_lib.data.fingerprint import world_fingerprint

        cfg, whole = self.cfg, self.kind == "full_images"
        factors = (1.0,) if whole else train_factors(cfg.train_scales, cfg.train_factors)
        key = {"source": self.source_id, "dataset": self.dataset, "split": self.split, "image_size": cfg.image_size,
               "max_images": cfg.max_images, "val_fraction": cfg.val_fraction, "images": len(train),
               "year": cfg.voc_year if self.dataset == "voc" else None, **world_fingerprint(self.run.data_root)}
        return cached_train_maps(self.run.runs_dir, f"cvpr15-trunk-{self.dataset}-{self.split}-s{self.seed}", key,
                                 self.source, train, factors, whole_image=whole, batch_size=cfg.eval_batch_size,
                                 device=device, progress=self.progress)

    def initial_net(self, num_classes: int, train_labels: Tensor) -> WeakNet:
        """The weak net before training: row E's adaptation convs from the box-trained head, else random (with the
        class priors as score biases when ``cfg.prior_bias``)."""
        head = self.strong_start.head if self.strong_start is not None else None
        net = build_weak_net(self.source, self.cfg, num_classes, self.seed,
                             hidden=_head_width(head) if head is not None else None)
        if head is not None:
            init_from_patch_head(net, head)
        elif self.cfg.prior_bias:
            init_prior_bias(net, train_labels)
        return net


def load_weak_net(run: Run, cfg: Cvpr15Config, result: WeakResult, *, weights: Path | None = None,
                  progress: bool = False) -> WeakNet:
    """Rebuild the trained net of ``result`` (best weights, or ``weights``, e.g. a training snapshot), eval mode."""
    _, source = source_network(run, cfg, result.seed, progress)
    net = build_weak_net(source, cfg, result.meta["num_classes"], result.seed, hidden=result.meta["hidden"])
    return load_trained(net, weights or result.entry / "weights.pt").eval()


@torch.no_grad()
def init_prior_bias(net: WeakNet, labels: Tensor) -> None:
    """Start each class score at the log-odds of its frequency in the training labels ``[N, K]`` (0s ignored).

    The paper makes about 114k one-image AdaGrad steps; a quick run makes a few hundred, and AdaGrad moves a
    parameter by about ``lr`` per step, too little to carry a bias from 0 to a rare class's log-odds (-2.4 at 8 %).
    """
    present, known = (labels == 1).sum(0).double(), (labels != 0).sum(0).clamp(min=1).double()
    frequency = (present / known).clamp(1e-3, 1 - 1e-3)
    net.score_conv.bias.copy_(torch.log(frequency / (1 - frequency)).to(net.score_conv.bias.dtype))


def _head_width(head: nn.Module) -> int:
    return head.fca1.out_features


@torch.no_grad()
def init_from_patch_head(net: WeakNet, head: nn.Module) -> None:
    """Row E: start the adaptation convs from a CVPR'14 patch head (FCa -> ReLU -> FCb over K + background).

    Each FC layer becomes the centre tap of its 3x3 conv (the other taps 0), so at the start every score-map cell is
    the patch head applied to that cell's window. The K class maps get the log-odds of class k against background
    (``FCb_k - FCb_bg``), the natural logistic score of a softmax head.
    """
    conv1, conv2 = net.hidden_conv, net.score_conv
    fca, fcb = head.fca1, head.fcb
    k = conv2.out_channels
    if fca.weight.shape != conv1.weight.shape[:2] or fcb.weight.shape != (k + 1, conv2.in_channels):
        raise ConfigError(f"init_from_patch_head: head FCa {tuple(fca.weight.shape)} / FCb {tuple(fcb.weight.shape)} "
                          f"do not fit adaptation convs {tuple(conv1.weight.shape)} / {tuple(conv2.weight.shape)}")
    for conv, weight, bias in ((conv1, fca.weight, fca.bias),
                               (conv2, fcb.weight[:k] - fcb.weight[k:], fcb.bias[:k] - fcb.bias[k:])):
        conv.weight.zero_()
        conv.weight[:, :, 1, 1] = weight
        conv.bias.copy_(bias)
