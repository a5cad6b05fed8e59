"""Disk and time of the ``full`` profile, planned from a resolved configuration (the Running on real data page).

Disk: what the CVPR'14 chapters cache per source network, from the patch count of the tiling (``cvpr14.scales``,
``min_overlap``, ``overlap_measure`` on a 500 x 375 image, VOC's most common size), the image counts of the splits
(``table1_splits`` / ``table2_splits``, ``holdout:<f>``, ``max_images``), the FC7 width and ``feature_dtype``, plus
the decoded-image store (``cache_crops=False``) or the crop cache (``cache_crops=True``). The other chapters cache
model weights and predictions (well under a gigabyte per model) and are left out. Time: :mod:`benchmark`'s
``full_profile_estimate`` from the measured seconds per image.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from oquab_lib.cvpr14.config import Cvpr14Config
from oquab_lib.disk import array_bytes
from oquab_lib.patches import tile_patches

# Images per VOC split (the devkits' ImageSets/Main/<split>.txt); COCO is not used by CVPR'14.
VOC_SPLIT_IMAGES = {("2007", "train"): 2501, ("2007", "val"): 2510, ("2007", "trainval"): 5011,
                    ("2007", "test"): 4952, ("2012", "train"): 5717, ("2012", "val"): 5823,
                    ("2012", "trainval"): 11540}
TYPICAL_IMAGE = (500, 375)  # width, height: most VOC images
MAX_SIDE = 500  # VOC images fit in 500 x 500: the decoded store pads every image to the split's largest size
FULL_FC7 = 4096  # torchvision AlexNet
FULL_INPUT = 224


def patches_per_image(cfg: Cvpr14Config, size: tuple[int, int] = TYPICAL_IMAGE) -> int:
    """Patches of one ``size`` image under ``cfg``'s tiling (512 for the paper's 9 scales on 500 x 375)."""
    return len(tile_patches(size[0], size[1], cfg.scales, cfg.min_overlap, cfg.overlap_measure))


def split_images(splits: tuple[str, ...], max_images: tuple[int, int, int] = (0, 0, 0),
                 counts: dict[tuple[str, str], int] | None = None) -> dict[str, int]:
    """``{"train", "val", "test": images}`` of ``(year, train, val, test)``, as ``data.splits.resolve_splits``."""
    counts = VOC_SPLIT_IMAGES if counts is None else counts
    year, train, val, test = splits
    sizes = {"train": counts[(year, train)], "test": counts[(year, test)]}
    if val.startswith("holdout:"):
        held = max(1, round(float(val.split(":", 1)[1]) * sizes["train"]))
        sizes.update(val=held, train=sizes["train"] - held)
    else:
        sizes["val"] = counts[(year, val)]
    return {role: min(n, cap) if cap else n for (role, n), cap in
            zip(((r, sizes[r]) for r in ("train", "val", "test")), max_images)}


def feature_networks(cfg: Cvpr14Config, methods: tuple[str, ...], synthetic: bool) -> int:
    """Source networks whose patch features a table caches: NO PRETRAIN none (it trains on crops), RANDOM one per
    seed; in ``full``, torchvision's PRE-1000C one and the other variants one each when ``source_entries`` has them."""
    if synthetic:
        return sum(cfg.num_seeds for m in methods if m != "NO PRETRAIN")
    user = {"PRE-1000R": "1000R", "PRE-1512": "1512", "PRE-1512D": "1512D"}
    return sum(cfg.num_seeds if m == "RANDOM" else 1 for m in methods
               if m == "RANDOM" or m == "PRE-1000C" or user.get(m) in cfg.source_entries)


def cvpr14_disk(cfg: Cvpr14Config, synthetic: bool = False, fc_width: int = FULL_FC7, input_size: int = FULL_INPUT,
                counts: dict[tuple[str, str], int] | None = None) -> pd.DataFrame:
    """Bytes each CVPR'14 table caches: rows Table 1 / Table 2; columns images, patches, per_network (FC7 of every
    patch of train + val + test), networks, features, inputs (image store or crops), total."""
    rows = {}
    for table, splits, methods in (("Table 1", cfg.table1_splits, cfg.table1_methods),
                                   ("Table 2", cfg.table2_splits, cfg.table2_methods)):
        images = sum(split_images(splits, cfg.max_images, counts).values())
        patches = images * patches_per_image(cfg)
        per_network = array_bytes((patches, fc_width), cfg.feature_dtype)
        networks = feature_networks(cfg, methods, synthetic)
        inputs = (array_bytes((patches, 3, input_size, input_size), "uint8") if cfg.cache_crops
                  else array_bytes((images, 3, MAX_SIDE, MAX_SIDE), "uint8"))
        rows[table] = dict(images=images, patches=patches, per_network=per_network, networks=networks,
                           features=per_network * networks, inputs=inputs, total=per_network * networks + inputs)
    return pd.DataFrame.from_dict(rows, orient="index")


def full_profile_disk(sections: dict[str, dict[str, Any]] | None = None) -> pd.DataFrame:
    """:func:`cvpr14_disk` of the ``full`` profile's ``cvpr14`` section (``sections``: a resolved run's), in GB."""
    from oquab_lib.config import profile_sections

    section = (sections or profile_sections("full"))["cvpr14"]
    table = cvpr14_disk(Cvpr14Config.from_section(section))
    return table.assign(**{c: table[c] / 1e9 for c in ("per_network", "features", "inputs", "total")})
