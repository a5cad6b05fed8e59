"""The CVPR'15 configuration: the ``cvpr15`` section of a profile as a dataclass, and the chapter entry points
:func:`config` and :func:`seeds`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from oquab_lib.config import Run
from oquab_lib.errors import ConfigError
from oquab_lib.schema import POSITIVE, Accepts, at_least, from_section, one_of
from oquab_lib.weak_net import POOLINGS

KINDS = ("weak", "strong_weak", "full_images")
PAPER_TEST_SCALES = (0.5, 0.7, 1.0, 1.4, 2.0, 2.8)
# The training-map figure of the paper shows iterations 210, 510 and 4200; we read its total as 20 epochs of the
# 5717 VOC 2012 train images, one image per iteration (an assumption), and snapshot at the same fractions.
PAPER_SNAPSHOT_ITERATIONS = (210, 510, 4200)
PAPER_TOTAL_ITERATIONS = 20 * 5717
# Fields that change how fast a run goes, not what it computes: left out of cache keys.
RUNTIME_ONLY_FIELDS = ("threads", "workers", "num_workers", "eval_batch_size", "preload_limit", "seeds", "cache_c5",
                       "location_seeds")


@dataclass
class Cvpr15Config:
    """The ``cvpr15`` section of a profile (see ``oquab_lib/config.py``)."""

    source_variant: str = "1512"  # synthetic profiles: the PRE-1512 analog; full: torchvision's ImageNet AlexNet
    weights_path: str | None = None  # full profile: torchvision AlexNet weights file (None: torch hub cache)
    source_entry: str | None = None  # a finished source-network folder (meta.json + weights.pt) to use instead
    hidden: int = 2048  # width of the first adaptation layer (paper: 2048)
    dropout: float = 0.5
    pooling: str = "max"  # global pooling of the score maps: max (paper), avg, lse
    lse_r: float = 5.0
    finetune: bool = False  # also train C1..FC7 (the paper's code trains the adaptation layers)
    image_size: int = 500  # largest side of every image before the training jitter / test scales
    train_scales: tuple[float, float] = (0.7, 1.4)
    test_scales: tuple[float, ...] = PAPER_TEST_SCALES
    val_scales: tuple[float, ...] = (1.0,)  # model selection on the held-out tail
    epochs: int = 20  # the cap on training epochs (VOC); with ``patience`` the run may stop earlier
    patience: int = 0  # stop when val mAP has not improved for this many epochs (0: train all epochs, the paper's)
    cache_trunk: bool = False  # frozen trunk: train on its cached C5 maps at train_factors discrete factors (trunk.py)
    train_factors: int = 8  # with cache_trunk: factors equally spaced over train_scales (0.7, 0.8, ..., 1.4)
    batch_size: int = 1  # > 1: images of one base size share a batch and its rescaling factor
    lr: float = 1e-3
    weight_decay: float = 5e-4
    prior_bias: bool = False  # rows D, F: class biases start at the training log-odds (short runs; not in the paper)
    val_fraction: float = 0.1
    seeds: tuple[int, ...] = (0, 1)  # offsets added to run.seed: source-network seed = adaptation seed
    location_seeds: tuple[int, ...] = ()  # the location chapter's offsets (location, COCO, pointing); (): seeds
    voc_year: str = "2012"
    train_split: str = "train"
    test_split: str = "val"  # classification table (real VOC 2012: test labels are not public)
    location_split: str = "val"
    coco_train_split: str = "train2014"
    coco_test_split: str = "val2014"
    coco_epochs: int = 20
    tolerance: float = 18.0  # location prediction, pixels at VOC resolution
    location_frame: int | None = None  # None: tolerance in original pixels; N: images rescaled to largest side N
    strong_head: str = "cvpr14"  # row E's box-trained head: "cvpr14" (Table 2's, when available) or "dense" (ours)
    strong_scales: tuple[float, ...] = (0.7, 1.0, 1.4)  # our dense-window head (cvpr15.strong): the windows' scales
    strong_epochs: int = 10
    max_images: int | None = None  # cap on every split (smoke tests)
    amp: bool = True
    channels_last: bool = True
    threads: int = 1  # torch threads for CPU compute (0: leave as is); one per process is best on a busy machine
    workers: int = 1  # CPU: processes that compute the seeds of a table in parallel (cvpr15.tables.per_seed)
    num_workers: int = 0  # decoding threads when images are not preloaded
    eval_batch_size: int = 32
    preload_limit: int = 20000  # splits up to this many images are decoded into memory; larger: decoded on access
    cache_c5: bool = True  # keep the test splits' C5 maps on disk, shared by the models of one source (c5_store)

    # ranges and accepted sets beyond the annotations (schema.check_value; other numbers: >= 0)
    ACCEPTS: ClassVar[dict[str, Accepts]] = {
        "pooling": one_of(*POOLINGS), "strong_head": one_of("cvpr14", "dense"), "hidden": at_least(1),
        "dropout": Accepts(0, 1, high_open=True), "lse_r": POSITIVE, "image_size": at_least(1),
        "train_scales": POSITIVE, "test_scales": POSITIVE, "val_scales": POSITIVE, "strong_scales": POSITIVE,
        "epochs": at_least(1), "coco_epochs": at_least(1), "batch_size": at_least(1), "lr": POSITIVE,
        "val_fraction": Accepts(0, 1, high_open=True), "strong_epochs": at_least(1), "max_images": at_least(1),
        "location_frame": at_least(1), "workers": at_least(1), "eval_batch_size": at_least(1),
        "train_factors": at_least(1),
    }

    def __post_init__(self) -> None:
        for name in ("train_scales", "test_scales", "val_scales", "seeds", "location_seeds", "strong_scales"):
            setattr(self, name, tuple(float(v) if "scales" in name else int(v) for v in getattr(self, name)))
        if self.strong_head not in ("cvpr14", "dense"):
            raise ConfigError(f"cvpr15.strong_head={self.strong_head!r}; accepted: cvpr14, dense")
        if self.pooling not in POOLINGS:
            raise ConfigError(f"cvpr15.pooling={self.pooling!r}; accepted: {', '.join(POOLINGS)}")
        if len(self.train_scales) != 2 or not 0 < self.train_scales[0] <= self.train_scales[1]:
            raise ConfigError(f"cvpr15.train_scales={self.train_scales}: expected (low, high) with 0 < low <= high")
        if not self.test_scales or min(self.test_scales) <= 0 or not self.val_scales or not self.seeds:
            raise ConfigError("cvpr15: test_scales / val_scales must be non-empty positive factors, seeds non-empty")
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0 or self.hidden < 1:
            raise ConfigError(f"cvpr15: epochs={self.epochs}, batch_size={self.batch_size}, lr={self.lr}, "
                              f"hidden={self.hidden} must all be positive")

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> Cvpr15Config:
        return from_section("cvpr15", cls, section)


    def train_key(self, dataset: str) -> dict[str, Any]:
        """What a trained model of ``dataset`` depends on: evaluation-only fields, the other dataset's fields and the
        box-trained head's settings (row E's key names its head instead) are left out."""
        skip = (*RUNTIME_ONLY_FIELDS, "test_scales", "test_split", "location_split", "coco_test_split", "tolerance",
                "location_frame", "strong_head", "strong_scales", "strong_epochs",
                *(("coco_train_split", "coco_epochs") if dataset == "voc" else ("train_split", "epochs", "voc_year")))
        if not self.uses_trunk_cache:  # the continuous rescaling draw: keys as before these fields existed
            skip += ("cache_trunk", "train_factors")
        if not self.patience:
            skip += ("patience",)
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in skip}

    @property
    def uses_trunk_cache(self) -> bool:
        """Whether weak nets train on the frozen trunk's cached C5 maps (:mod:`oquab_lib.cvpr15.trunk`)."""
        return self.cache_trunk and not self.finetune


def config(run: Run) -> Cvpr15Config:
    """The resolved ``cvpr15`` section of ``run``."""
    return Cvpr15Config.from_section(run.section("cvpr15"))


def seeds(run: Run) -> list[int]:
    """The seeds of the CVPR'15 tables: ``run.seed`` plus each offset of ``cvpr15.seeds``."""
    return [run.seed + offset for offset in config(run).seeds]


def location_run(run: Run) -> Run:
    """``run`` with ``cvpr15.seeds`` set to ``cvpr15.location_seeds`` when given: the location chapter's headline
    claims take more seeds than the other CVPR'15 tables (the rule of the Mini world chapter's Calibration section:
    5 seeds where an interval straddles 0 and the budget allows). No cache key holds the seed list, so every seed
    the two lists share is the same entry."""
    offsets = config(run).location_seeds
    if not offsets:
        return run
    sections = {**run.sections, "cvpr15": {**run.sections["cvpr15"], "seeds": tuple(offsets)}}
    return dataclasses.replace(run, sections=sections)
