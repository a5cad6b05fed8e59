"""CVPR'14 Table 3: transfer to action classification (Pascal VOC 2012 Action, or its mini-world analog).

Pipeline (Sec. 4.3 of the paper), with the choices the paper leaves open marked *ours*:

- **Samples.** One square patch per annotated person, centred on the person box, side ``max(w, h)``; where the square
  leaves the image the image is mirror-padded (:func:`oquab_lib.patches.mirror_pad_square`). The patch is stored at
  ``R = input * 256/224`` pixels (the source network's ``resize``), as uint8.
- **Labels.** A person with exactly one positive action is a training sample of that action. Persons with several
  actions are excluded from training (the paper). *Ours*: FCb has the 10 actions and **no background output** —
  every training sample is a person doing one of the 10 actions, so a background class would never be seen; persons
  with no positive action (VOC's "other") are excluded from training too. ``other_class=True`` adds an 11th output
  trained on them instead. Every person, multi-action and "other" ones included, is kept for testing.
- **Models.** NO PRETRAIN: the same AlexNet from random initialisation (by default He init, as our source nets get
  from :func:`oquab_lib.source.pretrain.init_weights`: PyTorch's default init leaves the loss flat at log 10 for many epochs,
  and the plateau rule then stops training before it starts), every layer trained. PRE-1512: C1..FC7 of the source
  net frozen, FCa + FCb trained. PRE-1512U: FC6, FC7, FCa, FCb trained (:class:`oquab_lib.transfer.TransferNet`). LRN
  layers run as :class:`oquab_lib.models.BandLRN` (same function, about twice faster on CPU).
- **Training** (*ours* where the paper is silent): SGD, lr 0.01, momentum 0.9, weight decay 5e-4, cross-entropy,
  :class:`oquab_lib.stopping.PlateauRule` (divide by 10 on a plateau, stop after three drops; ``epochs`` is a cap).
  Jitter as in source training: a ``crop x crop`` window of the ``R x R`` patch and a horizontal flip, drawn per sample
  and epoch from a grid of ``jitter_grid²`` window positions x 2 flips (a finite set, so the output of a frozen trunk
  can be computed once per view and cached: ``cache_features``).
- **Test.** Each test person is scored from its centred square patch (the devkit gives the box), central
  ``crop x crop`` window, softmax over the 10 actions; AP per action (VOC2010+ protocol), mean over actions.
- **Heat maps** use no person box: the whole image is tiled with :func:`oquab_lib.patches.tile_patches` and each pixel
  gets the mean posterior of the patches covering it (:func:`oquab_lib.heatmaps.patch_heatmap`).
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from oquab_lib import cache
from oquab_lib.config import Run
from oquab_lib.cvpr14.actions.config import (
    METHODS,
    SETUP,
    TORCHVISION_SOURCE,
    ActionsConfig,
    config,
)
from oquab_lib.cvpr14.actions.samples import (
    PersonPatches,
    ViewBatches,
    cached_person_patches,
    centre_view,
    crop_views,
    patch_side,
    training_labels,
    view_table,
)
from oquab_lib.data.classes import VOC_ACTIONS
from oquab_lib.data.fingerprint import world_fingerprint
from oquab_lib.errors import ConfigError, DataError
from oquab_lib.metrics import voc_ap
from oquab_lib.models import (
    AlexNet,
    build_alexnet,
    default_weights_path,
    normalization,
    use_band_lrn,
)
from oquab_lib.source.pretrain import (
    init_weights,
    pretrain_source,
    torchvision_alexnet_1000C,
)
from oquab_lib.stopping import PlateauRule
from oquab_lib.train import fit
from oquab_lib.transfer import TransferNet

__all__ = ["METHODS", "ActionsConfig", "build_action_net", "train_action_net", "table3"]

# -------------------------------------------------------------------------------------------------------- models
def _fc_mult(net: AlexNet) -> float:
    return net.fc7.out_features / net.spec.fc_width


def build_action_net(method: str, source: AlexNet, num_outputs: int, hidden: tuple[int, ...], seed: int,
                     scratch_init: str = "he") -> TransferNet:
    """The model of ``method`` on ``source`` (NO PRETRAIN: a randomly initialised AlexNet of the same shape)."""
    if method not in SETUP:
        raise ConfigError(f"unknown action method {method!r}; accepted: {', '.join(METHODS)}")
    freeze, unfreeze = SETUP[method]
    if method == "NO PRETRAIN":
        dropout = source.dropout6.p  # the same network: widths and FC6/FC7 dropout of the source recipe
        source = build_alexnet(source.spec, 1, _fc_mult(source), dropout, seed=seed)
        if scratch_init == "he":
            init_weights(source, seed)
    net = TransferNet(source, num_outputs, hidden, unfreeze_fc67=unfreeze, freeze=freeze, seed=seed + 7919)
    return use_band_lrn(net)


def split_trunk(net: TransferNet) -> tuple[Callable[[Tensor], Tensor] | None, nn.Module]:
    """(frozen trunk or None, trainable rest) with ``rest(trunk(x)) == net(x)``."""
    if "fc67" in net.frozen_names:
        return net.forward_features, net.head
    if "features" in net.frozen_names:
        return (lambda x: torch.flatten(net.avgpool(net.features(x)), 1)), nn.Sequential(net.fc67, net.head)
    return None, net


def autocast(device: torch.device):
    return torch.autocast(device_type="cuda", enabled=device.type == "cuda")


@torch.no_grad()
def _trunk_features(trunk, patches: Tensor, views: Tensor, crop: int, norm, device, batch: int) -> Tensor:
    """Trunk outputs ``[N, V, D]`` (float32, CPU) of every sample under every view."""
    per_view = []
    for view in views:
        outputs = []
        for start in range(0, len(patches), batch):
            chunk = patches[start:start + batch]
            with autocast(device):
                outputs.append(trunk(crop_views(chunk, view.repeat(len(chunk), 1), crop, *norm).to(device)).float())
        per_view.append(torch.cat(outputs).cpu())
    return torch.stack(per_view, dim=1)


def train_action_net(cfg: ActionsConfig, method: str, source: AlexNet, seed: int, train: PersonPatches,
                     device: str | torch.device, work_dir: Path,
                     progress: bool = True) -> tuple[TransferNet, list[dict], str]:
    """Train one model on the training persons (resuming from ``work_dir/checkpoint.pt``).

    Returns ``(net in eval mode, history: one dict per epoch, why training stopped)``.
    """
    device = torch.device(device)
    targets = training_labels(train.labels, cfg.other_class)
    keep = targets >= 0
    if not keep.any():
        raise DataError(f"split {cfg.train_split!r}: no person with exactly one action to train on")
    patches, targets = train.images[keep], targets[keep]
    net = build_action_net(method, source, len(VOC_ACTIONS) + cfg.other_class, cfg.hidden, seed, cfg.scratch_init)
    net = net.to(device).eval()
    crop, size = net.spec.input_size, patches.shape[-1]
    norm, views = normalization(net.spec), view_table(size, crop, cfg.jitter_grid)
    trunk, rest = split_trunk(net)
    if trunk is not None and cfg.cache_features:
        features = _trunk_features(trunk, patches, views, crop, norm, device, 4 * cfg.batch_size)
        inputs_of = lambda rows, v: features[rows, v]  # noqa: E731
    else:
        def inputs_of(rows: Tensor, v: Tensor) -> Tensor:
            windows = crop_views(patches[rows], views[v], crop, *norm)
            if trunk is None:
                return windows
            with torch.no_grad(), autocast(device):
                return trunk(windows.to(device)).float()
    loader = ViewBatches(inputs_of, targets, len(views), cfg.batch_size, seed)
    optimizer = torch.optim.SGD(net.trainable_parameters(), lr=cfg.lr, momentum=cfg.momentum,
                                weight_decay=cfg.weight_decay)
    rule = PlateauRule(optimizer, max_epochs=cfg.epochs)
    history = fit(rest, optimizer, loader, epochs=cfg.epochs, work_dir=work_dir, scheduler=rule, device=device,
                  seed=seed, amp=device.type == "cuda", progress=progress)
    return net.eval(), history, rule.stop_reason


@torch.no_grad()
def score_persons(net: TransferNet, persons: PersonPatches, device: str | torch.device, batch: int = 256) -> Tensor:
    """Posteriors ``[N, 10]`` of the 10 actions for each person, from the central window of its square patch."""
    device, net = torch.device(device), net.eval()
    crop, size = net.spec.input_size, persons.images.shape[-1]
    views, norm, scores = centre_view(size, crop, len(persons.images)), normalization(net.spec), []
    for start in range(0, len(views), batch):
        windows = crop_views(persons.images[start:start + batch], views[start:start + batch], crop, *norm)
        with autocast(device):
            scores.append(net(windows.to(device)).float().softmax(dim=1)[:, :len(VOC_ACTIONS)].cpu())
    return torch.cat(scores)


# --------------------------------------------------------------------------------------------------- entry point
def _weights_fingerprint(net: nn.Module) -> str:
    digest = hashlib.sha256()
    for name, tensor in net.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return f"weights-{digest.hexdigest()[:16]}"


def source_network(run: Run, cfg: ActionsConfig, seed: int, progress: bool = True) -> tuple[AlexNet, str | None]:
    """(source net, its identity) for PRE-1512 / PRE-1512U; identity None when the weights are unavailable.

    ``source_weights="torchvision"`` (full profile): torchvision's ImageNet AlexNet, i.e. PRE-1000C in place of
    PRE-1512, read from ``cvpr14.weights_path`` (the file Tables 1-2 use; default: torch's hub cache). When the file
    is missing from torch's default place the reason is printed and a randomly initialised net of that shape is
    returned (only NO PRETRAIN runs); a file the user named, or a corrupt / wrong-shaped one, stops the run (ConfigError).
    """
    if cfg.source_weights == "torchvision":
        weights_path = run.section("cvpr14").get("weights_path")
        if weights_path is None and not default_weights_path().is_file():
            print(f"PRE-1512 / PRE-1512U rows skipped: no AlexNet ImageNet weights at {default_weights_path()}; copy "
                  "torchvision's file there or pass overrides={'cvpr14.weights_path': '<file>'}")
            return build_alexnet("full", 1000, seed=0), None
        return torchvision_alexnet_1000C(weights_path), TORCHVISION_SOURCE
    result = pretrain_source(run, variant=cfg.source_variant, seed=seed, progress=progress)
    return result.network(), result.entry.name


def _slug(method: str) -> str:
    return method.lower().replace(" ", "").replace("-", "")


def action_model_entry(run: Run, cfg: ActionsConfig, method: str, seed: int, source: AlexNet, source_id: str,
                       train: PersonPatches, test: PersonPatches, progress: bool = True) -> Path:
    """Cache entry ``runs/actions-<method>-s<seed>-<hash>/`` (weights.pt, scores.npy [N_test, 10], history, meta)."""
    identity = source_id if method != "NO PRETRAIN" else (
        f"random-{source.spec.name}-x{_fc_mult(source):g}-dropout{source.dropout6.p:g}")
    key = {**cfg.training_key(), "method": method, "seed": seed, "source": identity, **world_fingerprint(run.data_root)}

    def compute(work: Path) -> None:
        threads = torch.get_num_threads()
        if cfg.threads and torch.device(run.device).type == "cpu":
            torch.set_num_threads(cfg.threads)
        try:
            net, history, stop_reason = train_action_net(cfg, method, source, seed, train, run.device, work, progress)
        finally:
            torch.set_num_threads(threads)
        cache.save_state_dict(work / "weights.pt", {k: v.cpu() for k, v in net.state_dict().items()})
        cache.save_array(work / "scores.npy", score_persons(net, test, run.device).numpy())
        cache.save_csv(work / "history.csv", pd.DataFrame(history).set_index("epoch"))
        trained = int((training_labels(train.labels, cfg.other_class) >= 0).sum())
        cache.save_json(work / "meta.json", dict(method=method, seed=seed, source=identity, epochs=len(history),
                                                 stop_reason=stop_reason, trained_persons=trained,
                                                 test_persons=len(test.labels)))
        (work / "checkpoint.pt").unlink(missing_ok=True)

    return cache.load_or_compute(run.runs_dir, f"actions-{_slug(method)}-s{seed}", key, compute, verbose=progress)


def action_ap_row(scores: np.ndarray | Tensor, labels: Tensor) -> list[float]:
    """AP (percent, VOC2010+ protocol) of each action, NaN where the test split has no positive, then the mAP."""
    scores = torch.as_tensor(np.asarray(scores))
    aps = [100 * voc_ap(scores[:, a], labels[:, a], "voc12", name) if (labels[:, a] == 1).any() else math.nan
           for a, name in enumerate(VOC_ACTIONS)]
    return [*aps, float(np.nanmean(aps)) if np.isfinite(aps).any() else math.nan]


def prepare(run: Run, cfg: ActionsConfig, sources: Mapping[int, AlexNet] | None, progress: bool):
    """Source nets per seed and the (train, test) person patches at the size they need."""
    nets = {seed: (sources[seed], _weights_fingerprint(sources[seed])) if sources is not None
            else source_network(run, cfg, seed, progress) for seed in cfg.seeds}
    size = patch_side(next(iter(nets.values()))[0])
    splits = [cached_person_patches(Path(run.data_root), Path(run.runs_dir), split, size, progress)
              for split in (cfg.train_split, cfg.test_split)]
    return nets, splits[0], splits[1]


def table3(run: Run, sources: Mapping[int, AlexNet] | None = None, progress: bool = True) -> pd.DataFrame:
    """Table 3: AP (%) of each action + mAP, one row per (method, seed) (MultiIndex ``method``, ``seed``).

    ``sources`` (seed -> AlexNet) replaces the cached source networks (tests, or a user's own PRE-1512).
    Models are trained once and cached; rows whose source weights are unavailable are skipped with a printed reason.
    """
    cfg = config(run)
    nets, train, test = prepare(run, cfg, sources, progress)
    rows = {}
    for method in cfg.methods:
        for seed in cfg.seeds:
            source, source_id = nets[seed]
            if source_id is None and method != "NO PRETRAIN":
                continue
            entry = action_model_entry(run, cfg, method, seed, source, source_id, train, test, progress)
            rows[(method, seed)] = action_ap_row(np.load(entry / "scores.npy"), test.labels)
    frame = pd.DataFrame(list(rows.values()), columns=[*VOC_ACTIONS, "mAP"],
                         index=pd.MultiIndex.from_tuples(list(rows), names=["method", "seed"]))
    return frame
