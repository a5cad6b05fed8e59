"""The box-supervised side of CVPR'15: the CVPR'14 patch head behind row E, and CVPR'14-style heat maps.

Row E of the paper's table ("strong + weak") starts from the CVPR'14 box-supervised model and then trains weakly; the
exact recipe is not published. Ours: take a CVPR'14 patch head (FCa -> ReLU -> dropout -> FCb over K classes +
background) trained with boxes on top of the same frozen source network, and copy it into the weak net's adaptation
convs (:func:`oquab_lib.cvpr15.train.init_from_patch_head`). :func:`patch_head` returns the head that the CVPR'14 pipeline
trained for its Table 2 (:mod:`oquab_lib.cvpr14.tables`, VOC 2012, same source network and seed) when it is available, and
otherwise trains its own (:func:`dense_window_head`).

Our own head and all heat maps here use the *windows of the fully-convolutional source net* instead of CVPR'14's
cropped multi-scale grid: at each rescaling factor every FC7 cell is the feature of a square window of the input-size
side at the grid stride (:func:`oquab_lib.weak_net.fc_to_conv`), a dense patch grid computed in one pass per image and
scale (neighbours share 1 - stride / side of their side: 2/3 for the quick net, 6/7 for AlexNet; the paper asks for at
least 1/2). Windows match the FC net on crops except near image borders, where the conv net sees neighbouring pixels
instead of zero padding. Labels follow CVPR'14 (:func:`oquab_lib.patches.label_patches`, 10 % of the background kept).
Heat maps: per-pixel mean of the window posteriors (:func:`oquab_lib.heatmaps.patch_heatmap`); image scores: mean of
posterior^5 over windows (:func:`oquab_lib.cvpr14.scores.aggregate_scores`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from oquab_lib import cache
from oquab_lib.config import Run
from oquab_lib.cvpr14.scores import aggregate_scores
from oquab_lib.cvpr15.config import Cvpr15Config
from oquab_lib.cvpr15.data import ImageSet, train_val_split
from oquab_lib.cvpr15.inputs import compute_threads, image_set, source_network
from oquab_lib.cvpr15.predict import C5Batch, c5_batches
from oquab_lib.cvpr15.train import PatchHead
from oquab_lib.heatmaps import patch_heatmap
from oquab_lib.localize import heatmap_argmax_points
from oquab_lib.models import use_band_lrn
from oquab_lib.patches import label_patches, resample_background
from oquab_lib.transfer import TransferHead
from oquab_lib.weak_net import ConvAlexNet, fc_to_conv

BACKGROUND_FRACTION = 0.1  # CVPR'14: keep a random 10 % of the background patches


def window_features(backbone: ConvAlexNet, images: ImageSet, indices: list[int], scales: tuple[float, ...], *,
                    device: torch.device, progress: bool = True, c5: list[C5Batch] | None = None):
    """Yield ``(image index, FC7 [P, C], windows [P, 4] original pixels)`` for every image and scale.

    Cell (i, j) of a scaled image covers the input window ``[j * stride, j * stride + side) x [i * stride, ...)`` of
    side ``side = input_size`` (the window the FC net would see), mapped back to original pixels by the resize factors.
    ``c5``: precomputed C5 maps of every image of ``images`` (:func:`oquab_lib.cvpr15.results.c5_store`; ``indices`` is then
    ignored), so that only FC6/FC7 run here.
    """
    side, stride = backbone.spec.input_size, _stride(backbone)
    if c5 is None:
        subset = images.subset(indices)
        c5 = ((b._replace(indices=[indices[i] for i in b.indices]))
              for b in c5_batches(backbone.features, backbone.spec, subset, scales, device=device,
                                     batch_size=16, progress=progress))
    for batch in c5:
        maps = backbone.classifier(batch.c5.to(device)).float().cpu()  # [B, C, h, w]
        h, w = maps.shape[-2:]
        ys, xs = torch.meshgrid(torch.arange(h) * stride, torch.arange(w) * stride, indexing="ij")
        scaled = torch.stack([xs, ys, xs + side, ys + side], -1).reshape(-1, 4).double()
        for b, i in enumerate(batch.indices):
            factor = torch.tensor([batch.size[1], batch.size[0]], dtype=torch.float64) / images.sizes[i]
            yield i, maps[b].flatten(1).T.contiguous(), (scaled / factor.repeat(2)).float()


def _stride(backbone: ConvAlexNet) -> int:
    from oquab_lib.weak_net import output_grid

    return int(output_grid(backbone.spec)[0])


@torch.inference_mode()
def labelled_windows(backbone: ConvAlexNet, images: ImageSet, indices: list[int], scales: tuple[float, ...], *,
                     device: torch.device, seed: int, progress: bool = True) -> tuple[Tensor, Tensor]:
    """CVPR'14 training set from dense windows: ``(FC7 [M, C] float16, labels [M])`` (K = background)."""
    generator = torch.Generator().manual_seed(seed)
    num_classes = len(images.class_names)
    features, labels = [], []
    for i, fc7, windows in window_features(backbone, images, indices, scales, device=device, progress=progress):
        boxes = images.boxes[i]
        label = label_patches(windows, boxes[:, :4], boxes[:, 4].long(), num_classes, images.difficult[i])
        kept = resample_background(label, num_classes, BACKGROUND_FRACTION, generator)
        features.append(fc7[kept].half())
        labels.append(label[kept])
    return torch.cat(features), torch.cat(labels)


def train_head(features: Tensor, labels: Tensor, *, fc_width: int, num_outputs: int, hidden: int, epochs: int,
               seed: int, device: torch.device, dropout: float = 0.5) -> tuple[TransferHead, list[float]]:
    """SGD (lr 0.01, momentum 0.9, weight decay 5e-4, batches of 128) on cached features; returns head, losses."""
    torch.manual_seed(seed)
    head = TransferHead(fc_width, num_outputs, (hidden,), dropout).to(device)
    optimizer = torch.optim.SGD(head.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        order, total = torch.randperm(len(labels), generator=generator), 0.0
        for rows in order.split(128):
            loss = F.cross_entropy(head(features[rows].float().to(device)), labels[rows].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
        losses.append(total / max(len(labels), 1))
    return head.cpu().eval(), losses


def patch_head(run: Run, cfg: Cvpr15Config, seed: int, progress: bool = True) -> PatchHead:
    """The box-supervised patch head of ``seed``: the CVPR'14 pipeline's Table 2 head on the same source network
    (``cfg.strong_head == "cvpr14"``, when it can be had), else our dense-window head (:func:`dense_window_head`)."""
    if cfg.strong_head == "cvpr14" and cfg.source_entry is None:
        found = cvpr14_head(run, cfg, seed, progress)
        if found is not None:
            return found
    return dense_window_head(run, cfg, seed, progress)


def cvpr14_head(run: Run, cfg: Cvpr15Config, seed: int, progress: bool = True) -> PatchHead | None:
    """The FCa/FCb head trained by :mod:`oquab_lib.cvpr14.tables` for Table 2 (VOC 2012) on the source network of ``seed``
    (PRE-1512 in synthetic profiles, PRE-1000C in ``full``); None when that pipeline cannot provide it."""
    try:
        from oquab_lib.cvpr14 import tables as cvpr14
        from oquab_lib.cvpr14.features import SourceUnavailable
    except ImportError:
        return None
    method = "PRE-1512" if run.is_synthetic and cfg.source_variant == "1512" else "PRE-1000C"
    settings = cvpr14.config(run)
    if len(settings.head_hidden) != 1:  # only FCa -> FCb maps onto the two adaptation convs
        return None
    if not run.is_synthetic:  # hours of CVPR'14 patch features on real data: say so where the reader sees it
        print(f"row E starts from CVPR'14 Table 2's {method} head: that pipeline runs now unless cached "
              "(cvpr15.strong_head='dense' uses our dense-window head instead)")
    try:
        data = cvpr14.table_data(run, "table2", settings, progress=progress)
        entry = cvpr14.method_entry(run, data, method, seed, settings, progress=progress)
    except SourceUnavailable:
        return None
    state = cache.load_state_dict(Path(entry) / "model.pt")
    head = TransferHead(state["fca1.weight"].shape[1], state["fcb.weight"].shape[0], settings.head_hidden)
    head.load_state_dict(state)
    return PatchHead(head.eval(), f"CVPR'14 {method} head {Path(entry).name}", source_network(run, cfg, seed)[0])


def dense_window_head(run: Run, cfg: Cvpr15Config, seed: int, progress: bool = True) -> PatchHead:
    """Our own patch head of ``seed`` on dense windows of the training part of the VOC train split (cached);
    FCa width ``cfg.hidden`` so that it fits the weak net's first adaptation layer."""
    from oquab_lib.data.fingerprint import world_fingerprint

    source_id, source = source_network(run, cfg, seed, progress)
    device = torch.device(run.device)
    key = {"source": source_id, "seed": seed, "hidden": cfg.hidden, "scales": cfg.strong_scales,
           "epochs": cfg.strong_epochs, "image_size": cfg.image_size, "split": cfg.train_split,
           "val_fraction": cfg.val_fraction, "max_images": cfg.max_images, "year": cfg.voc_year,
           **world_fingerprint(run.data_root)}

    def compute(work: Path) -> None:
        images = image_set(run, cfg, "voc", cfg.train_split, progress)
        train_idx, _ = train_val_split(len(images), cfg.val_fraction)  # the weak stage's validation tail stays unseen
        backbone = use_band_lrn(fc_to_conv(source, include_fc8=False)).eval().to(device)
        with compute_threads(cfg, device):
            features, labels = labelled_windows(backbone, images, train_idx, cfg.strong_scales, device=device,
                                                seed=seed, progress=progress)
            head, losses = train_head(features, labels, fc_width=source.fc7.out_features,
                                      num_outputs=len(images.class_names) + 1, hidden=cfg.hidden,
                                      epochs=cfg.strong_epochs, seed=seed, device=device)
        cache.save_state_dict(work / "head.pt", head.state_dict())
        counts = torch.bincount(labels, minlength=len(images.class_names) + 1)
        cache.save_json(work / "meta.json", {"losses": losses, "windows": len(labels),
                                             "background": int(counts[-1]), "fc_width": source.fc7.out_features,
                                             "num_outputs": len(images.class_names) + 1})

    entry = cache.load_or_compute(run.runs_dir, f"cvpr15-patchhead-s{seed}", key, compute, verbose=progress)
    meta = cache.load_json(entry / "meta.json")
    head = TransferHead(meta["fc_width"], meta["num_outputs"], (cfg.hidden,))
    head.load_state_dict(cache.load_state_dict(entry / "head.pt"))
    return PatchHead(head.eval(), f"dense-window patch head {entry.name}", source_id)


@torch.inference_mode()
def patch_heatmaps(backbone: ConvAlexNet, head: nn.Module, images: ImageSet, indices: list[int],
                   scales: tuple[float, ...], *, device: torch.device, k: float = 5.0, keep_maps: bool = False,
                   progress: bool = True, c5: list[C5Batch] | None = None) -> dict[str, Any]:
    """CVPR'14-style outputs of every image: ``scores [n, K]`` (mean posterior^k over windows), ``points [n, K, 2]``
    (arg-max pixel of each class heat map, original pixels) and, with ``keep_maps``, the heat maps ``[K, H, W]``."""
    head = head.to(device).eval()
    per_image: dict[int, list[tuple[Tensor, Tensor]]] = {i: [] for i in indices}
    for i, fc7, windows in window_features(backbone, images, indices, scales, device=device, progress=progress, c5=c5):
        per_image[i].append((windows, head(fc7.to(device)).float().softmax(1).cpu()))
    scores, points, maps = [], [], []
    for i in indices:
        windows = torch.cat([w for w, _ in per_image[i]])
        probs = torch.cat([p for _, p in per_image[i]])
        width, height = (int(v) for v in images.sizes[i])
        heat = patch_heatmap(windows, probs[:, :-1], height, width)  # [K, H, W]
        scores.append(aggregate_scores(probs, k))
        points.append(heatmap_argmax_points(heat))
        if keep_maps:
            maps.append(heat)
    out = {"scores": torch.stack(scores), "points": torch.stack(points)}
    if keep_maps:
        out["maps"] = maps
    return out


def heatmap_predictions(run: Run, cfg: Cvpr15Config, seed: int, split: str, progress: bool = True) -> dict[str, Tensor]:
    """Cached :func:`patch_heatmaps` scores and points of the patch head of ``seed`` on a VOC split."""
    from oquab_lib.cvpr15.results import c5_store

    head = patch_head(run, cfg, seed, progress)
    key = {"head": head.provenance, "split": split, "scales": cfg.test_scales, "image_size": cfg.image_size,
           "max_images": cfg.max_images}

    def compute(work: Path) -> None:
        images = image_set(run, cfg, "voc", split, progress)
        _, source = source_network(run, cfg, seed, progress)
        backbone = use_band_lrn(fc_to_conv(source, include_fc8=False)).eval().to(run.device)
        c5 = c5_store(run, cfg, seed, "voc", split, cfg.test_scales, progress=progress)
        with compute_threads(cfg, torch.device(run.device)):
            out = patch_heatmaps(backbone, head.head, images, list(range(len(images))), cfg.test_scales,
                                 device=torch.device(run.device), progress=progress, c5=c5)
        cache.save_state_dict(work / "heatmap_points.pt", out)

    entry = cache.load_or_compute(run.runs_dir, f"cvpr15-heatmap-points-{split}-s{seed}", key, compute,
                                  verbose=progress)
    return cache.load_state_dict(entry / "heatmap_points.pt")
