"""The CVPR'14 Table 3 (actions) configuration: the ``actions`` section of a profile as a dataclass, and the chapter
entry points :func:`config` and :func:`seeds`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from oquab_lib.config import Run
from oquab_lib.errors import ConfigError
from oquab_lib.schema import FRACTION, POSITIVE, Accepts, at_least, from_section, one_of

METHODS = ("NO PRETRAIN", "PRE-1512", "PRE-1512U")
SETUP = {"NO PRETRAIN": ("none", False), "PRE-1512": ("source", False), "PRE-1512U": ("source", True)}
TORCHVISION_SOURCE = "torchvision-alexnet-owt-7be5be79"  # PRE-1000C stand-in for PRE-1512 (full profile)


@dataclass
class ActionsConfig:
    """The ``actions`` section of a profile."""

    methods: tuple[str, ...] = METHODS
    source_variant: str = "1512"  # source network of PRE-1512 / PRE-1512U (pretrain.VARIANTS)
    source_weights: str = "pretrain"  # "pretrain": our cached source nets; "torchvision": ImageNet AlexNet (PRE-1000C)
    seeds: tuple[int, ...] = (0, 1)  # source-network seeds (also the seeds of the head init and the batch order)
    train_split: str = "trainval"
    test_split: str = "test"
    hidden: tuple[int, ...] = (2048,)  # FCa widths
    scratch_init: str = "he"  # NO PRETRAIN init: "he" (pretrain.init_weights, as our source nets) or "default"
    other_class: bool = False  # 11th output trained on persons with no action (default: such persons not trained on)
    epochs: int = 30  # cap; PlateauRule usually stops earlier
    batch_size: int = 64
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 5e-4
    jitter_grid: int = 3  # window positions per axis (R - crop + 1 = every position, as Krizhevsky)
    cache_features: bool = True  # compute a frozen trunk once per (sample, view)
    heatmap_method: str = "PRE-1512U"
    heatmap_images: int = 3
    threads: int = 0  # torch threads while training on CPU (0: leave as is; tiny nets: 1, a 2nd thread mostly spins)

    # ranges and accepted sets beyond the annotations (schema.check_value; other numbers: >= 0)
    ACCEPTS: ClassVar[dict[str, Accepts]] = {
        "methods": one_of(*METHODS), "source_weights": one_of("pretrain", "torchvision"),
        "scratch_init": one_of("he", "default"), "heatmap_method": one_of(*METHODS), "hidden": at_least(1),
        "epochs": at_least(1), "batch_size": at_least(1), "lr": POSITIVE, "momentum": FRACTION,
        "jitter_grid": at_least(1),
    }

    def __post_init__(self) -> None:
        self.methods, self.seeds, self.hidden = tuple(self.methods), tuple(self.seeds), tuple(self.hidden)
        unknown = [m for m in self.methods if m not in SETUP]
        if unknown or not self.methods:
            raise ConfigError(f"actions.methods: {unknown or 'empty'}; accepted: {', '.join(METHODS)}")
        if self.scratch_init not in ("he", "default"):
            raise ConfigError(f"actions.scratch_init={self.scratch_init!r}; accepted: he, default")
        if self.source_weights not in ("pretrain", "torchvision"):
            raise ConfigError(f"actions.source_weights={self.source_weights!r}; accepted: pretrain, torchvision")
        if not self.seeds or self.epochs < 1 or self.batch_size < 1 or self.jitter_grid < 1 or self.lr <= 0:
            raise ConfigError("actions.*: seeds must be non-empty and epochs, batch_size, jitter_grid, lr > 0")

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> ActionsConfig:
        return from_section("actions", cls, section)


    def training_key(self) -> dict[str, Any]:
        """The fields that change a trained model (not the figure or thread settings)."""
        skip = ("methods", "seeds", "heatmap_method", "heatmap_images", "threads")
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in skip}


def config(run: Run) -> ActionsConfig:
    """The resolved ``actions`` section of ``run``."""
    return ActionsConfig.from_section(run.section("actions"))


def seeds(run: Run) -> list[int]:
    """The source-network seeds of Table 3 (also the seeds of the head init and the batch order)."""
    return list(config(run).seeds)
