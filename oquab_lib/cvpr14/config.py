"""The CVPR'14 Tables 1-2 configuration: the ``cvpr14`` section of a profile as a dataclass, and the chapter entry
points :func:`config` and :func:`seeds`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from oquab_lib.config import Run
from oquab_lib.errors import ConfigError
from oquab_lib.patches import PAPER_SCALES
from oquab_lib.schema import FRACTION, POSITIVE, Accepts, at_least, from_section, one_of


@dataclass
class Cvpr14Config:
    """The ``cvpr14`` section of a profile (Tables 1-2 and their figures; Table 3 has the ``actions`` section)."""

    # tiling and labelling (paper: 9 scales, >= 50 % overlap, ~500 patches on 500x375; partial/difficult: not stated)
    scales: tuple[float, ...] = PAPER_SCALES
    min_overlap: float = 0.5
    overlap_measure: str = "iou"
    partial: str = "exclude"
    objects: str = "sufficient"  # which boxes a patch "overlaps": passing both thresholds, or any touching one
    difficult_policy: str = "ignore"
    # (year, train split, validation split, test split); validation "holdout:<f>" = a seeded fraction f of train
    table1_splits: tuple[str, ...] = ("2007", "train", "val", "test")
    table2_splits: tuple[str, ...] = ("2012", "train", "val", "test")
    holdout_seed: int = 0
    max_images: tuple[int, int, int] = (0, 0, 0)  # (train, val, test) caps, a seeded subset in file order; 0 = all
    # transfer head (paper: FCa 2048 + ReLU + dropout, FCb 21-way softmax; lr 0.01, /10 on plateau, stop after 3 drops)
    head_hidden: tuple[int, ...] = (2048,)
    dropout: float = 0.5
    background_fraction: float = 0.1
    lr: float = 0.01
    momentum: float = 0.9  # not given in the paper; Krizhevsky's value
    weight_decay: float = 5e-4  # not given in the paper; Krizhevsky's value
    batch_size: int = 128  # not given in the paper
    max_epochs: int = 30  # safety cap of the plateau rule
    plateau_rel_tol: float = 0.01
    # NO PRETRAIN: the same net trained end to end on the target patches
    scratch_lr: float = 0.01
    scratch_batch_size: int = 64
    scratch_max_epochs: int = 20
    # evaluation: k of score = mean_i y_i^k, chosen on validation among these ("max" = max over patches)
    k_values: tuple[Any, ...] = (1, 2, 3, 5, 8, "max")
    num_seeds: int = 2  # source seeds run.seed, run.seed + 1, ...; head seed = source seed
    table1_methods: tuple[str, ...] = ("PRE-1000C", "RANDOM")
    table2_methods: tuple[str, ...] = ("NO PRETRAIN", "PRE-1000C", "PRE-1000R", "PRE-1512", "PRE-1512D")
    # ablations (validation split of Table 2, PRE-1000C features)
    ablation_hidden: tuple[tuple[int, ...], ...] = ((), (2048,), (2048, 2048))
    ablation_background: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2, 0.5)
    # runtime
    feature_batch_size: int = 256
    feature_dtype: str = "float32"  # "float16" halves the disk of the full profile's features
    cache_crops: bool = True  # crop every patch once per split (uint8) and share it across source nets; False: on the fly
    amp: bool = True  # autocast on CUDA only
    threads: int = 0  # torch CPU threads for feature extraction and NO PRETRAIN (0: leave as is); heads use 1
    # full profile: where the source networks come from
    weights_path: str | None = None  # torchvision AlexNet ImageNet weights (PRE-1000C); None = torch hub cache
    source_entries: dict[str, str] = field(default_factory=dict)  # variant -> folder with meta.json + weights.pt

    # ranges and accepted sets beyond the annotations (schema.check_value; other numbers: >= 0)
    ACCEPTS: ClassVar[dict[str, Accepts]] = {
        "scales": POSITIVE, "min_overlap": FRACTION, "overlap_measure": one_of("iou", "side"),
        "partial": one_of("exclude", "background"),
        "objects": one_of("sufficient", "touch"), "difficult_policy": one_of("ignore", "include", "drop"),
        "head_hidden": at_least(1), "dropout": Accepts(0, 1, high_open=True), "background_fraction": FRACTION,
        "lr": POSITIVE, "momentum": FRACTION, "batch_size": at_least(1), "max_epochs": at_least(1),
        "scratch_lr": POSITIVE, "scratch_batch_size": at_least(1), "scratch_max_epochs": at_least(1),
        "num_seeds": at_least(1), "table1_methods": one_of("PRE-1000C", "RANDOM"),
        "table2_methods": one_of("NO PRETRAIN", "PRE-1000C", "PRE-1000R", "PRE-1512", "PRE-1512D"),
        "ablation_hidden": at_least(1), "ablation_background": FRACTION, "feature_batch_size": at_least(1),
        "feature_dtype": one_of("float32", "float16"),
    }

    def __post_init__(self) -> None:
        for name in ("scales", "table1_splits", "table2_splits", "head_hidden", "k_values", "table1_methods",
                     "table2_methods", "ablation_background", "max_images"):
            setattr(self, name, tuple(getattr(self, name)))
        self.ablation_hidden = tuple(tuple(h) for h in self.ablation_hidden)
        for name in ("table1_splits", "table2_splits"):
            if len(getattr(self, name)) != 4:
                raise ConfigError(f"cvpr14.{name}={getattr(self, name)}: expected (year, train, val, test)")
        bad_k = [k for k in self.k_values if k != "max" and not (isinstance(k, (int, float)) and k > 0)]
        if bad_k or not self.k_values:
            raise ConfigError(f"cvpr14.k_values={self.k_values}: expected positive numbers or 'max'")
        if self.num_seeds < 1 or self.feature_dtype not in ("float32", "float16"):
            raise ConfigError(f"cvpr14: num_seeds={self.num_seeds} must be >= 1 and feature_dtype "
                              f"{self.feature_dtype!r} one of float32, float16")

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> Cvpr14Config:
        return from_section("cvpr14", cls, section)


    def tiling_key(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("scales", "min_overlap", "overlap_measure", "partial",
                                              "difficult_policy", "objects")}

    def head_key(self) -> dict[str, Any]:
        keys = ("head_hidden", "dropout", "background_fraction", "lr", "momentum", "weight_decay", "batch_size",
                "max_epochs", "plateau_rel_tol", "k_values")
        return {k: getattr(self, k) for k in keys}


def config(run: Run) -> Cvpr14Config:
    """The resolved ``cvpr14`` section of ``run``."""
    return Cvpr14Config.from_section(run.section("cvpr14"))


def seeds(run: Run) -> list[int]:
    """Source seeds ``run.seed, run.seed + 1, ...``; seed s trains source net s and head s."""
    return [run.seed + i for i in range(config(run).num_seeds)]
