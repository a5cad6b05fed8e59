"""Source-network pretraining (the CVPR'14 PRE-1000C / PRE-1000R / PRE-1512 networks, plus our PRE-1512D control).

A source network is an AlexNet (:mod:`oquab_lib.models`) trained with softmax cross-entropy on the leaves of one
*variant* of the ImageFolder tree ``<data_root>/source/{train,val}/<leaf>/*.JPEG``. The leaf lists come from
``<data_root>/source_subsets.json``; a variant may cap its training images per class (the file's
``counts[variant]["train_cap_per_class"]``: 1000R has ~25% fewer images; ``SourceConfig.per_class_cap`` wins), keeping
the first files in name order so every seed sees the same data. ``1512`` widens FC6/FC7 by ``wide_fc_mult`` (1.5, as
4096 -> 6144 in the paper, which widened it for the extra classes); ``1512D`` (as many extra classes, *unrelated* to the
targets) gets the same width, so 1512 vs 1512D isolates "related vs more data" at equal capacity. On a user's
ImageNet-style tree without ``source_subsets.json`` (the ``full`` profile), ``1000C`` is every class folder of
``source/train``; :func:`torchvision_alexnet_1000C` is the shortcut for real ImageNet.

Preprocessing as Krizhevsky et al.: rescale the shorter side to ``resize`` (default crop x 256/224) and centre-crop a
square; training takes a random ``crop`` window and a random horizontal flip (no colour alteration, as in CVPR'14);
validation takes the central crop. Metrics per epoch: training loss, validation loss and top-1 / top-5 accuracy (%).

Speed on a few CPU cores (``decoded_cache=True``): decoding thousands of tiny JPEGs through PIL every epoch would cost
about as much as the small network, so each split of the source tree is decoded *once* into ``uint8 [N, 3, S, S]``
(its own cache entry ``runs/source-decoded-<split>-<hash>/images.npy``, shared by every variant and seed) and crops and
flips are done on tensors. The ``full`` profile turns this off: ImageFolder-style loading with DataLoader workers.

Results are cached (:func:`oquab_lib.cache.load_or_compute`) under ``runs/source-<variant>-s<seed>-<hash>/``, the hash
covering the training config, variant, seed and world (``world.json``'s hash: a regenerated world invalidates it). An
interrupted run resumes from the per-epoch checkpoint kept in the ``.partial`` folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from oquab_lib import cache, distributed
from oquab_lib.config import Run
from oquab_lib.data.fingerprint import world_fingerprint
from oquab_lib.errors import DataError
from oquab_lib.models import (
    build_alexnet,
    load_imagenet_weights,
    seeded,
    use_band_lrn,
)
from oquab_lib.source.config import SourceConfig
from oquab_lib.source.data import (
    VARIANTS,
    decoded_loaders,
    folder_loaders,
    variant_leaves,
)
from oquab_lib.stopping import PlateauRule
from oquab_lib.train import evaluate, fit

__all__ = [
    "VARIANTS", "SourceConfig", "SourceResult", "pretrain_source", "train_source", "load_source_network",
    "torchvision_alexnet_1000C",
    "init_weights",
]

WIDE_VARIANTS = ("1512", "1512D")
@dataclass
class SourceResult:
    """A finished source network: its cache entry, weights and per-epoch history."""

    variant: str
    seed: int
    entry: Path
    history: pd.DataFrame  # one row per epoch: loss (train), lr, seconds, val_loss, val_top1, val_top5 (accuracy, %)
    num_classes: int
    num_train_images: int
    num_val_images: int
    fc_width: int

    @property
    def weights_path(self) -> Path:
        return self.entry / "weights.pt"

    def network(self) -> nn.Module:
        return load_source_network(self.entry)


# --- training -------------------------------------------------------------------------------------------------------


def fc_width_mult(cfg: SourceConfig, variant: str) -> float:
    return cfg.wide_fc_mult if variant in WIDE_VARIANTS else 1.0


def init_weights(net: nn.Module, seed: int) -> None:
    """He (Kaiming-normal, fan-in, ReLU gain) weights and zero biases; FC8 ~ N(0, 0.01), so the first logits are ~0.

    Why not PyTorch's default (what ``build_alexnet`` gives): its uniform init shrinks the signal through eight
    layers without batch norm, and on a 48-px AlexNet trained for a few epochs the loss sat at log(K) for two whole
    epochs. Krizhevsky's own N(0, 0.01) init has the same start-up delay; He init removes it.
    """
    with seeded(seed):
        for module in net.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)
        nn.init.normal_(net.fc8.weight, std=0.01)


def build_source_training(cfg: SourceConfig, variant: str, num_classes: int, seed: int, device: torch.device):
    """``(net, optimizer, scheduler)`` of one source network: AlexNet (FC6/FC7 widened for 1512/1512D), SGD."""
    net = build_alexnet(cfg.arch, num_classes, fc_width_mult(cfg, variant), cfg.dropout, seed=seed)
    if cfg.init == "he":
        init_weights(net, seed)
    if cfg.fast_lrn:  # no parameters or buffers: the saved state_dict is that of the plain network

        use_band_lrn(net)
    net = net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    if cfg.schedule == "plateau":
        scheduler = PlateauRule(optimizer, max_epochs=cfg.epochs)
    else:
        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, list(cfg.lr_milestones), cfg.lr_gamma)
    return net, optimizer, scheduler


def _train_network(cfg: SourceConfig, variant: str, *, seed: int, data_root: Path, runs_dir: Path,
                   device: torch.device, work: Path, progress: bool) -> None:
    """The ``compute`` of a source entry: train (resuming from ``work/checkpoint.pt``) and write the results."""
    if cfg.decoded_cache:
        train_loader, val_loader = decoded_loaders(cfg, data_root, variant, runs_dir, progress)
        num_train, num_val = len(train_loader.labels), len(val_loader.labels)
    else:
        train_loader, val_loader = folder_loaders(cfg, data_root, variant, device)
        num_train, num_val = len(train_loader.dataset), len(val_loader.dataset)
    classes = variant_leaves(data_root, variant)[0]
    net, optimizer, scheduler = build_source_training(cfg, variant, len(classes), seed, device)

    def val_fn(model: nn.Module, epoch: int) -> dict[str, float]:
        return evaluate(model, val_loader, device, amp=cfg.amp, channels_last=cfg.channels_last, progress=progress)

    history = fit(net, optimizer, train_loader, val_fn=val_fn, epochs=cfg.epochs, work_dir=work, scheduler=scheduler,
                  device=device, seed=seed, amp=cfg.amp, channels_last=cfg.channels_last, progress=progress)
    cache.save_state_dict(work / "weights.pt", {k: v.cpu() for k, v in net.state_dict().items()})
    cache.save_csv(work / "history.csv", pd.DataFrame(history).set_index("epoch"))
    cache.save_json(work / "meta.json", dict(
        arch=cfg.arch, variant=variant, seed=seed, num_classes=len(classes), fc_width=net.fc7.out_features,
        fc_width_mult=fc_width_mult(cfg, variant), dropout=cfg.dropout, num_train_images=num_train,
        num_val_images=num_val, classes=classes, stop_reason=getattr(scheduler, "stop_reason", ""),
    ))
    (work / "checkpoint.pt").unlink(missing_ok=True)  # weights.pt holds the result; drop optimizer state (disk)


def pretrain_source(run: Run, variant: str = "1000C", *, seed: int | None = None,
                    progress: bool = True) -> SourceResult:
    """Train (or load from the cache) the source network of ``variant`` for ``run``: its ``source`` section, data
    root, runs dir and device; ``seed`` defaults to ``run.seed``."""
    return train_source(SourceConfig.from_section(run.section("source")), variant,
                        seed=run.seed if seed is None else seed, data_root=run.data_root, runs_dir=run.runs_dir,
                        device=run.device, progress=progress)


def train_source(cfg: SourceConfig, variant: str, *, seed: int, data_root: str | Path, runs_dir: str | Path,
                 device: str = "cpu", progress: bool = True) -> SourceResult:
    """Train (or load from the cache) the source network of ``variant`` with ``seed`` on the source tree under
    ``data_root`` (:func:`pretrain_source` for a chapter's run)."""
    data_root, device = Path(data_root), distributed.local_device(device)  # cuda:LOCAL_RANK under torchrun
    runs_dir = cache.runs_path(runs_dir)  # keeps a hits-only runs dir (cache.hits_only) hits-only
    key = {**cfg.cache_key(), "variant": variant, "seed": seed, **world_fingerprint(data_root)}

    def compute(work: Path) -> None:
        threads = torch.get_num_threads()
        if cfg.threads and device.type == "cpu":
            torch.set_num_threads(cfg.threads)
        try:
            _train_network(cfg, variant, seed=seed, data_root=data_root, runs_dir=runs_dir, device=device, work=work,
                           progress=progress)
        finally:
            torch.set_num_threads(threads)

    variant_leaves(data_root, variant)  # fail fast, before any cache folder is made
    # under torchrun every rank trains (DDP), rank 0 writes the entry; the key does not depend on the world size
    entry = distributed.load_or_compute(runs_dir, f"source-{variant}-s{seed}", key, compute, verbose=progress)
    meta = cache.load_json(entry / "meta.json")
    return SourceResult(variant, seed, entry, cache.load_csv(entry / "history.csv"), meta["num_classes"],
                        meta["num_train_images"], meta["num_val_images"], meta["fc_width"])


def load_source_network(entry_path: str | Path, device: str = "cpu") -> nn.Module:
    """The finished source network of a cache entry (``weights.pt`` + ``meta.json``), in eval mode."""
    entry = Path(entry_path)
    if not (entry / "meta.json").is_file() or not (entry / "weights.pt").is_file():
        raise DataError(f"{entry}: not a finished source-network entry (needs meta.json and weights.pt); "
                        "rerun pretrain_source")
    meta = cache.load_json(entry / "meta.json")
    net = build_alexnet(meta["arch"], meta["num_classes"], meta["fc_width_mult"], meta.get("dropout", 0.5))
    try:  # a user-named entry (source_entries / source_entry): a corrupt or foreign file is one line, not a traceback
        net.load_state_dict(cache.load_state_dict(entry / "weights.pt"))
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [""])[0]
        raise DataError(f"{entry / 'weights.pt'}: not the weights of the {meta['arch']} AlexNet its meta.json "
                        f"describes ({type(exc).__name__}: {reason})") from exc
    return net.to(device).eval()


def torchvision_alexnet_1000C(weights_path: str | Path | None = None) -> nn.Module:
    """PRE-1000C for the ``full`` profile: torchvision's AlexNet with its ImageNet weights (never downloaded)."""
    return load_imagenet_weights(build_alexnet("full", 1000), weights_path).eval()
