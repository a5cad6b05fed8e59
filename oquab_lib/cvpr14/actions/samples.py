"""The samples of CVPR'14 Table 3 (actions): one square patch per person, its training label, and jitter views.

A person's patch is centred on its box, side ``max(w, h)``, mirror-padded where the square leaves the image
(:func:`oquab_lib.patches.mirror_pad_square`), stored as uint8 at ``R = input x 256/224`` (the source net's resize).
Training jitter picks, per sample and epoch, one of a finite set of views (window position x flip), so the output of
a frozen trunk can be cached per view. See :mod:`oquab_lib.cvpr14.actions.tables` for the pipeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import Tensor
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib import cache
from oquab_lib.data.fingerprint import world_fingerprint
from oquab_lib.data.images import load_rgb_tensor
from oquab_lib.data.voc_actions import VOCActions
from oquab_lib.errors import DataError
from oquab_lib.models import AlexNet
from oquab_lib.patches import crop_patches, mirror_pad_square


def patch_side(net: AlexNet) -> int:
    """Side ``R`` at which person patches are stored: the source net's input x 256/224 (its training ``resize``)."""
    return round(net.spec.input_size * 256 / 224)


@dataclass
class PersonPatches:
    """The square person patches of one split, in the order of the action files."""

    images: Tensor  # uint8 [N, 3, R, R]
    labels: Tensor  # int8 [N, 10] in {1, -1, 0}, VOC_ACTIONS order
    boxes: Tensor  # float32 [N, 4] person boxes, 0-based XYXY (image pixels)
    image_ids: list[str]
    padded: Tensor  # bool [N]: the square left the image and mirror padding filled it


def person_patch(image: Tensor, box: Tensor, size: int) -> tuple[Tensor, bool]:
    """``image`` float [3, H, W] in [0, 1] -> (uint8 [3, size, size] square patch centred on ``box``, padded?)."""
    padded, square = mirror_pad_square(image, box)
    crop = crop_patches(padded, square[None], out_size=size, mean=(0, 0, 0), std=(1, 1, 1))[0]
    return crop.mul(255).round().clamp(0, 255).to(torch.uint8), padded.shape != image.shape


def person_patches(root: str | Path, split: str, size: int, progress: bool = True) -> PersonPatches:
    """Every person of ``ImageSets/Action/<split>`` as a square patch ``[3, size, size]`` (each image decoded once)."""
    dataset = VOCActions(root, "2012", split)
    if len(dataset) == 0:
        raise DataError(f"{dataset.year_dir}/ImageSets/Action: split {split!r} lists no person")
    patches, boxes, padded, image_ids = [], [], [], []
    last_id, image = None, None
    for index in tqdm(range(len(dataset)), desc=f"person patches ({split})", disable=not progress):
        target = dataset.target(index)
        if target["image_id"] != last_id:
            last_id = target["image_id"]
            image = load_rgb_tensor(dataset.image_path(index)).float() / 255
        patch, was_padded = person_patch(image, target["box"], size)
        patches.append(patch), boxes.append(target["box"]), padded.append(was_padded), image_ids.append(last_id)
    return PersonPatches(torch.stack(patches), dataset.labels.clone(), torch.stack(boxes), image_ids,
                         torch.tensor(padded))


def cached_person_patches(data_root: Path, runs_dir: Path, split: str, size: int, progress: bool) -> PersonPatches:
    """:func:`person_patches` through the results cache (``runs/actions-patches-<split>-<hash>/``)."""
    key = {**world_fingerprint(data_root), "split": split, "size": size}

    def compute(work: Path) -> None:
        store = person_patches(data_root, split, size, progress)
        for name in ("images", "labels", "boxes", "padded"):
            cache.save_array(work / f"{name}.npy", getattr(store, name).numpy())
        cache.save_json(work / "image_ids.json", store.image_ids)

    entry = cache.load_or_compute(runs_dir, f"actions-patches-{split}", key, compute, verbose=progress)
    arrays = {n: torch.from_numpy(np.load(entry / f"{n}.npy")) for n in ("images", "labels", "boxes", "padded")}
    return PersonPatches(**arrays, image_ids=cache.load_json(entry / "image_ids.json"))


def training_labels(labels: Tensor, other_class: bool = False) -> Tensor:
    """Training target ``[N]`` int64 from action labels ``[N, 10]``: the action index, or -1 (not trained on).

    Exactly one positive action -> its index; several -> -1 (the paper); none -> 10 if ``other_class`` else -1.
    """
    positives = labels == 1
    count = positives.sum(dim=1)
    target = torch.full((labels.shape[0],), -1, dtype=torch.int64)
    target[count == 1] = positives[count == 1].to(torch.uint8).argmax(dim=1)
    if other_class:
        target[count == 0] = labels.shape[1]
    return target


def view_table(size: int, crop: int, grid: int) -> Tensor:
    """Jitter views ``[V, 3]`` (top, left, flip): ``grid²`` window positions spread over ``[0, size - crop]`` x 2."""
    offsets = [(size - crop) // 2] if grid == 1 else sorted(
        set(torch.linspace(0, size - crop, grid).round().long().tolist()))
    return torch.tensor([(top, left, flip) for flip in (0, 1) for top in offsets for left in offsets])


def crop_views(patches: Tensor, views: Tensor, crop: int, mean, std) -> Tensor:
    """uint8 ``[B, 3, R, R]`` patches and one view ``[B, 3]`` each -> normalised float ``[B, 3, crop, crop]``."""
    windows = torch.stack([patches[i, :, t:t + crop, l:l + crop] for i, (t, l, _) in enumerate(views.tolist())])
    windows = torch.where(views[:, 2].bool()[:, None, None, None], windows.flip(-1), windows)
    mean, std = torch.tensor(mean).view(1, 3, 1, 1), torch.tensor(std).view(1, 3, 1, 1)
    return (windows.float() / 255 - mean) / std


def centre_view(size: int, crop: int, count: int) -> Tensor:
    """The test view ``[count, 3]``: central window, no flip."""
    return torch.tensor([(size - crop) // 2, (size - crop) // 2, 0]).repeat(count, 1)


class ViewBatches:
    """Training batches ``(inputs, targets)``: per epoch a permutation and one random view per sample.

    ``inputs_of(rows [B], views [B])`` returns the inputs of the trainable part. ``generator`` drives every random
    choice; :func:`oquab_lib.train.fit` saves and restores it, so a resumed run sees the same batches.
    """

    def __init__(self, inputs_of: Callable[[Tensor, Tensor], Tensor], targets: Tensor, num_views: int,
                 batch_size: int, seed: int = 0) -> None:
        self.inputs_of, self.targets, self.num_views, self.batch_size = inputs_of, targets, num_views, batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return math.ceil(len(self.targets) / self.batch_size)

    def __iter__(self):
        order = torch.randperm(len(self.targets), generator=self.generator)
        views = torch.randint(0, self.num_views, (len(self.targets),), generator=self.generator)
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            yield self.inputs_of(rows, views[rows]), self.targets[rows]
