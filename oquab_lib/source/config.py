"""Source-network pretraining configuration: the ``source`` section of a profile as a dataclass, and the entry points
:func:`config` and :func:`seeds` of the Source networks chapter."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from oquab_lib.config import Run
from oquab_lib.errors import ConfigError
from oquab_lib.models import ALEXNET_SPECS
from oquab_lib.schema import FRACTION, POSITIVE, Accepts, at_least, from_section, one_of

# Fields that change how fast a run goes, not what it computes: left out of the cache key.
RUNTIME_ONLY_FIELDS = ("num_workers", "threads", "fast_lrn", "workers")


@dataclass
class SourceConfig:
    """The ``source`` section of a profile (see ``oquab_lib/config.py``)."""

    arch: str = "quick"  # AlexNet variant of oquab_lib.models: full / quick / smoke (sets the crop size)
    epochs: int = 10  # the cap; a "plateau" schedule may stop earlier
    batch_size: int = 128
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "step"  # "step": MultiStepLR(lr_milestones, lr_gamma); "plateau": the CVPR'14 PlateauRule
    lr_milestones: tuple[int, ...] = ()
    lr_gamma: float = 0.1
    wide_fc_mult: float = 1.5  # FC6/FC7 width multiplier of 1512 and 1512D
    per_class_cap: dict[str, int] = field(default_factory=dict)  # variant -> max training images per class
    decoded_cache: bool = True  # decode each split once into a uint8 array (tiny images); False: PIL every epoch
    amp: bool = True  # autocast + GradScaler, on CUDA only
    channels_last: bool = True  # NHWC weights and batches (every device; the same function, faster)
    num_workers: int = 0  # DataLoader workers of the PIL path
    threads: int = 2  # torch.set_num_threads during CPU training (0: leave as is); the same on every path
    workers: int = 1  # CPU: processes that train the chapter's networks side by side (oquab_lib.parallel)
    dropout: float = 0.5  # before FC6 and FC7, as Krizhevsky
    init: str = "he"  # "he": Kaiming-normal conv/FC weights, zero biases, FC8 N(0, 0.01); "default": PyTorch's
    fast_lrn: bool = True  # train with LRN computed as a banded conv (same function, ~1.7x faster on CPU)
    resize: int = 0  # side images are rescaled + centre-cropped to before cropping; 0: round(crop * 256 / 224)

    # ranges and accepted sets beyond the annotations (schema.check_value; other numbers: >= 0)
    ACCEPTS: ClassVar[dict[str, Accepts]] = {
        "arch": one_of(*ALEXNET_SPECS), "schedule": one_of("step", "plateau"), "init": one_of("he", "default"),
        "epochs": at_least(1), "batch_size": at_least(1), "workers": at_least(1), "lr": POSITIVE,
        "dropout": Accepts(0, 1, high_open=True),
        "momentum": FRACTION, "lr_gamma": POSITIVE, "wide_fc_mult": POSITIVE,
    }

    def __post_init__(self) -> None:
        self.lr_milestones = tuple(self.lr_milestones)
        if self.arch not in ALEXNET_SPECS:
            raise ConfigError(f"source.arch={self.arch!r}; accepted: {', '.join(ALEXNET_SPECS)}")
        if self.init not in ("he", "default"):
            raise ConfigError(f"source.init={self.init!r}; accepted: he, default")
        if self.schedule not in ("step", "plateau"):
            raise ConfigError(f"source.schedule={self.schedule!r}; accepted: step, plateau")
        if self.resize and self.resize < self.crop:
            raise ConfigError(f"source.resize={self.resize} is smaller than the {self.arch} crop {self.crop}")
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ConfigError(f"source: epochs={self.epochs}, batch_size={self.batch_size}, lr={self.lr} must be > 0")

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> SourceConfig:
        return from_section("source", cls, section)


    @property
    def crop(self) -> int:
        return ALEXNET_SPECS[self.arch].input_size

    @property
    def resize_side(self) -> int:
        """Krizhevsky's 256 for 224 crops, scaled to the crop, unless ``resize`` says otherwise."""
        return self.resize or round(self.crop * 256 / 224)

    def cache_key(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in RUNTIME_ONLY_FIELDS}


def config(run: Run) -> SourceConfig:
    """The resolved ``source`` section of ``run``."""
    return SourceConfig.from_section(run.section("source"))
