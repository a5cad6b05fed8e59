"""The three profiles, in one place, and the validation of notebook parameters.

A profile is a flat, readable dict of sections (nanoGPT style): ``world`` (the synthetic mini world), ``source``
(source-network pretraining), ``cvpr14`` and ``cvpr15`` (the two papers' pipelines). Each library module turns its
section into its own dataclass, so a typo in a key fails at construction with the key's name.

- ``smoke``: seconds; what the tests and ``make test`` run.
- ``quick``: the default; the synthetic mini world on 2 CPU cores, the whole book in minutes.
- ``full``: real VOC 2007/2012 and COCO under a user-given ``data_root``, torchvision AlexNet weights, a GPU.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oquab_lib.errors import ConfigError
from oquab_lib.schema import SECTION_SCHEMAS, check_value, from_section

PROFILE_NAMES = ("smoke", "quick", "full")
NOTEBOOK_PARAMETERS = ("profile", "data_root", "device", "seed", "runs_dir", "overrides")

PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    "smoke": {
        # the synthetic mini world (every key is documented in oquab_lib/data/synth/world_config.py): seconds
        "world": dict(
            scale="smoke", difficulty=0.8, base_leaves=20, extra_ratio=0.512, pool_ratio=0.9, heldout_per_genus=1,
            r_fewer_images=0.25, source_size=36, source_train_per_leaf=6, source_val_per_leaf=2, scene_long_side=96,
            voc07_trainval=24, voc07_test=24, voc12_train=24, voc12_val=24, voc12_test=24,
            action_trainval_persons=20, action_test_persons=20, coco_train=24, coco_val=16,
            difficult_min_size=0.08, difficult_max_hidden=0.7, sibling_spread=None, instance_jitter=None, clutter=None,
            jpeg_quality=90, supersample=1,
        ),
        # source-network pretraining (oquab_lib/source/pretrain.py, SourceConfig): plumbing only
        "source": dict(
            arch="smoke", epochs=2, batch_size=32, lr=0.02, momentum=0.9, weight_decay=5e-4, schedule="step",
            lr_milestones=(), lr_gamma=0.1, dropout=0.0, init="he", wide_fc_mult=1.5, per_class_cap={}, resize=36,
            fast_lrn=True, decoded_cache=True, amp=True, channels_last=True, num_workers=0, threads=0,
        ),
        "cvpr14": dict(
            # Tables 1-2 and figures (oquab_lib/cvpr14/tables.py, features.py): 2 scales, a coarse grid, a 32-wide head
            scales=(1, 2), overlap_measure="side", max_images=(40, 20, 40), head_hidden=(32,), batch_size=64,
            max_epochs=3, scratch_max_epochs=2, scratch_batch_size=32, num_seeds=2, threads=0,
            ablation_hidden=((), (32,), (32, 32)), ablation_background=(0.05, 0.2),
        ),
        "actions": dict(
            # Table 3, actions (oquab_lib/cvpr14/actions/tables.py; every key is documented in ActionsConfig there)
            methods=("NO PRETRAIN", "PRE-1512", "PRE-1512U"), source_variant="1512",
            source_weights="pretrain", seeds=(0, 1), train_split="trainval",
            test_split="test", hidden=(32,), scratch_init="he", other_class=False,
            epochs=3, batch_size=32, lr=0.01, momentum=0.9, weight_decay=5e-4,
            jitter_grid=2, cache_features=True, heatmap_method="PRE-1512U",
            heatmap_images=2, threads=1,
        ),
        # CVPR'15 (oquab_lib/cvpr15*.py): plumbing only; base size 500 x 32/224 for the 32-px smoke net
        "cvpr15": dict(
            hidden=32, image_size=72, epochs=2, coco_epochs=2, batch_size=8, lr=0.006, prior_bias=True,
            cache_trunk=True, train_scales=(0.7, 1.4),
            test_scales=(0.7, 1.0, 1.4), pooling="max", finetune=False, seeds=(0, 1), test_split="test",
            coco_train_split="train", coco_test_split="val", location_frame=500, strong_head="cvpr14",
            strong_scales=(1.0,), strong_epochs=2, source_entry=None, max_images=48, threads=1, workers=1,
        ),
    },
    "quick": {
        # the synthetic mini world (every key is documented in oquab_lib/data/synth/world_config.py): ~300 leaves,
        # 56-px source images (the quick net crops 48), 160-px scenes; under a minute on 2 cores
        "world": dict(
            scale="quick", difficulty=0.8, base_leaves=100, extra_ratio=0.512, pool_ratio=0.9, heldout_per_genus=1,
            r_fewer_images=0.25, source_size=56, source_train_per_leaf=150, source_val_per_leaf=20,
            scene_long_side=160, voc07_trainval=800, voc07_test=800, voc12_train=800, voc12_val=800, voc12_test=800,
            action_trainval_persons=500, action_test_persons=500, coco_train=800, coco_val=500,
            difficult_min_size=0.08, difficult_max_hidden=0.7, sibling_spread=None, instance_jitter=None, clutter=None,
            jpeg_quality=90, supersample=1,
        ),
        # source-network pretraining (oquab_lib/source/pretrain.py, SourceConfig), sized to the 2-core budget: the 12 source
        # nets (4 variants x 3 seeds) in about 4 minutes together. 3 epochs, /10 for the last; no dropout (it held
        # the loss at log(K) through a whole epoch; 3 epochs are far from overfitting); resize 56 = the world's
        # source_size (no resampling at decode; crops 48 of 56, Krizhevsky's 224 of 256 is about the same ratio).
        # Two 1-thread processes side by side train 1.37x faster than one 2-thread process (oquab_lib/parallel.py)
        "source": dict(
            arch="quick", epochs=3, batch_size=64, lr=0.02, momentum=0.9, weight_decay=5e-4, schedule="step",
            lr_milestones=(2,), lr_gamma=0.1, dropout=0.0, init="he", wide_fc_mult=1.5, per_class_cap={}, resize=56,
            fast_lrn=True, decoded_cache=True, amp=True, channels_last=True, num_workers=0, threads=1, workers=2,
        ),
        "cvpr14": dict(
            # Tables 1-2 and figures (oquab_lib/cvpr14/tables.py, features.py), sized to the 2-core budget: 3 scales on a
            # 50 %-of-side grid (~55 patches per 160-px scene instead of ~500), capped image counts; FCa 128 = half
            # the FC7 width of the quick AlexNet, as 2048 = half of 4096 in the paper
            # Calibration (Mini world chapter, change log C1-C2): 150 training images = 15,000 source images / 100
            # (target T1, source : target >= 100 : 1); NO PRETRAIN's cap 40 epochs, which its plateau rule reaches first.
            # Serial, 2 threads: measured, two 1-thread processes gain nothing on NO PRETRAIN (its 2-thread training
            # already scales) and lose on the features (spawn and set-up per job): Table 1 63 s against 43 s.
            # 5 source seeds (Tables 1-2, figures): the Calibration section's seeds rule, change log C7
            scales=(1, 2, 3), overlap_measure="side", max_images=(150, 150, 300), head_hidden=(128,), batch_size=64,
            max_epochs=30, scratch_max_epochs=40, scratch_batch_size=64, num_seeds=5, threads=2,
            ablation_hidden=((), (128,), (128, 128)), ablation_background=(0.02, 0.05, 0.1, 0.2, 0.5),
        ),
        "actions": dict(
            # Table 3, actions (oquab_lib/cvpr14/actions/tables.py): FCa 128 = FC7 384 / 3, as 2048 = 6144 / 3 in the paper
            methods=("NO PRETRAIN", "PRE-1512", "PRE-1512U"), source_variant="1512",
            source_weights="pretrain", seeds=(0, 1, 2), train_split="trainval",
            test_split="test", hidden=(128,), scratch_init="he", other_class=False,
            epochs=30, batch_size=64, lr=0.01, momentum=0.9, weight_decay=5e-4,
            jitter_grid=3, cache_features=True, heatmap_method="PRE-1512U",
            heatmap_images=3, threads=1,
        ),
        # CVPR'15 (oquab_lib/cvpr15*.py): base size 107 = 500 x 48/224 keeps the paper's ratio of image to network
        # input (scenes are 160 px); hidden 128 = the CVPR'14 head's FCa (FC7 384 / 3, as 6144 -> 2048 in the paper);
        # ~500 AdaGrad steps instead of the paper's ~114k: lr 6e-3 (chosen on the validation tail among 1e-3, 4e-3,
        # 6e-3, 8e-3; 1e-3 reaches 19 val mAP in 10 epochs, 6e-3 48) and class biases started at the prior log-odds.
        # Training budget (the Mini world chapter's Calibration rule C4, every weak net alike): stopped when val mAP
        # has not improved for 6 epochs, a cap of 100 as a safety net only (measured: cap 40 cut rows still improving;
        # row F seed 2 stopped by the rule at 65); affordable because training reads the frozen trunk's cached C5 maps
        # at 8 discrete rescaling factors (cache_trunk, oquab_lib/cvpr15/trunk.py) instead of recomputing C1..C5
        "cvpr15": dict(
            hidden=128, image_size=107, epochs=100, coco_epochs=100, patience=6, cache_trunk=True, train_factors=8,
            batch_size=16, lr=0.006, prior_bias=True,
            val_fraction=0.2, train_scales=(0.7, 1.4), test_scales=(0.5, 0.7, 1.0, 1.4, 2.0, 2.8), pooling="max",
            finetune=False,
            seeds=(0, 1, 2), test_split="test", coco_train_split="train", coco_test_split="val", location_frame=500,
            strong_head="cvpr14", strong_epochs=10, source_entry=None, max_images=None, threads=1, workers=3,
            # the location chapter's two headline claims, whose intervals over 3 seeds straddled 0: 5 seeds (the
            # Calibration section's rule; change log C6)
            location_seeds=(0, 1, 2, 3, 4),
        ),
    },
    "full": {
        "world": dict(scale="none"),  # real data: nothing is generated
        # source pretraining on a user's ImageNet-style tree (PRE-1000C itself: torchvision's weights, see
        # pretrain.torchvision_alexnet_1000C). Krizhevsky's recipe as in torchvision's references: SGD 0.01,
        # momentum 0.9, wd 5e-4, dropout 0.5, /10 every 30 of 90 epochs; 256 -> 224 crops, PIL + 8 workers
        "source": dict(
            arch="full", epochs=90, batch_size=128, lr=0.01, momentum=0.9, weight_decay=5e-4, schedule="step",
            lr_milestones=(30, 60), lr_gamma=0.1, dropout=0.5, init="he", wide_fc_mult=1.5, per_class_cap={},
            resize=256, fast_lrn=True, decoded_cache=False, amp=True, channels_last=True, num_workers=8,
            threads=0,
        ),
        "cvpr14": dict(
            # Tables 1-2 and figures: the paper's 9 scales and ~500 patches per image, FCa 2048; VOC 2012 val is
            # Table 2's test set (test labels are not public) and 20 % of VOC 2012 train its validation set;
            # PRE-1000R / 1512 / 1512D need user-provided source nets (source_entries={"1512": "<entry folder>"})
            table2_splits=("2012", "train", "holdout:0.2", "val"), head_hidden=(2048,), batch_size=128,
            max_epochs=60, scratch_max_epochs=90, scratch_batch_size=128, feature_dtype="float16",
            weights_path=None, source_entries={}, num_seeds=2, cache_crops=False, threads=0,
        ),
        "actions": dict(
            # Table 3, actions: PRE-1000C (torchvision ImageNet AlexNet) stands in for PRE-1512; VOC2012 Action val
            # is the test set (test labels are not public); every crop position as jitter, trunk run on the fly
            methods=("NO PRETRAIN", "PRE-1512", "PRE-1512U"), source_variant="1000C",
            source_weights="torchvision", seeds=(0, 1), train_split="train",
            test_split="val", hidden=(2048,), scratch_init="he", other_class=False,
            epochs=60, batch_size=128, lr=0.01, momentum=0.9,
            weight_decay=5e-4, jitter_grid=33, cache_features=False,
            heatmap_method="PRE-1512U", heatmap_images=3, threads=0,
        ),
        # CVPR'15: torchvision's ImageNet AlexNet stands in for PRE-1512 (or source_entry=<a PRE-1512 entry folder>);
        # VOC 2012 val is the test set (test labels are not public); COCO 2014 under <data_root>/coco
        "cvpr15": dict(
            hidden=2048, image_size=500, epochs=20, coco_epochs=20, batch_size=1, lr=1e-3, prior_bias=False,
            train_scales=(0.7, 1.4),
            test_scales=(0.5, 0.7, 1.0, 1.4, 2.0, 2.8), pooling="max", finetune=False, seeds=(0, 1),
            test_split="val", location_split="val", coco_train_split="train2014", coco_test_split="val2014",
            location_frame=None, strong_head="cvpr14", source_entry=None, weights_path=None, max_images=None,
            cache_c5=False, num_workers=8, threads=0, workers=1,
        ),
    },
}


@dataclass(frozen=True)
class Run:
    """The resolved parameters of one notebook run: a profile plus the user's choices."""

    profile: str
    data_root: Path
    device: str
    seed: int
    runs_dir: Path
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        """A copy of one section (``world``, ``source``, ``cvpr14``, ``cvpr15``) of the resolved profile."""
        if name not in self.sections:
            raise ConfigError(f"unknown config section {name!r}; accepted: {', '.join(self.sections)}")
        return copy.deepcopy(self.sections[name])

    @property
    def is_synthetic(self) -> bool:
        return self.profile != "full"


def profile_sections(profile: str) -> dict[str, dict[str, Any]]:
    """The sections of a named profile (a deep copy). Raises ConfigError listing the accepted names."""
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; accepted: {', '.join(PROFILE_NAMES)}")
    return copy.deepcopy(PROFILES[profile])


def apply_overrides(sections: dict[str, dict[str, Any]], overrides: dict[str, Any]) -> None:
    """Apply ``{"section.key": value}`` overrides in place. A key is accepted when it is a field of the section's
    registered dataclass (:data:`SECTION_SCHEMAS`), or else listed in the profile's dict; the value must fit the
    field's type and range. Anything else is a one-line ConfigError naming the key and what is accepted."""
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        if section not in sections or not key:
            raise ConfigError(
                f"override {dotted!r}: expected 'section.key' with section in {', '.join(sections)}"
            )
        schema = SECTION_SCHEMAS.get(section)
        known = [f.name for f in dataclasses.fields(schema)] if schema else list(sections[section])
        if key not in known:
            accepted = ", ".join(f"{section}.{k}" for k in known) or "(none)"
            raise ConfigError(f"override {dotted!r}: unknown parameter; accepted: {accepted}")
        if schema:
            check_value(section, key, value, schema)
        sections[section][key] = value


def check_sections(sections: dict[str, dict[str, Any]]) -> None:
    """Build every registered section's dataclass from the resolved dicts: types, ranges and the dataclasses' own
    cross-field checks (``__post_init__``) fail here, before any compute."""
    for name, schema in SECTION_SCHEMAS.items():
        if name in sections:
            from_section(name, schema, sections[name])


def default_data_root(profile: str) -> Path:
    """Where the mini world of a synthetic profile lives (generated on first use)."""
    return Path("data") / f"miniworld-{profile}"


def resolve(
    profile: str = "quick",
    data_root: str | os.PathLike | None = None,
    device: str = "auto",
    seed: int = 0,
    runs_dir: str | os.PathLike = "runs",
    overrides: dict[str, Any] | None = None,
) -> Run:
    """Validate a notebook's ``parameters`` cell and return the resolved :class:`Run`.

    ``device="auto"`` picks CUDA when present. ``data_root`` is required for ``full`` (a VOCdevkit parent folder) and
    defaults to ``data/miniworld-<profile>`` otherwise.
    """
    sections = profile_sections(profile)
    apply_overrides(sections, dict(overrides or {}))
    check_sections(sections)
    if profile == "full" and not data_root:
        raise ConfigError("profile 'full' needs data_root: the folder holding VOCdevkit/ (and coco/), e.g. -p data_root /data")
    root = Path(data_root) if data_root else default_data_root(profile)
    if profile == "full":
        from oquab_lib.data.voc import (
            check_vocdevkit,  # deferred: config sits below data in the import order
        )

        check_vocdevkit(root, years=("2012",))  # one-line ConfigError naming data_root when it is not a VOCdevkit
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"seed={seed!r}: expected an integer")
    return Run(profile, root, _resolve_device(device), seed, Path(runs_dir), sections)


def _resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device={device!r}: CUDA is not available here; use device='cpu' or 'auto'")
    if not (device == "cpu" or device.startswith("cuda") or device == "mps"):
        raise ConfigError(f"device={device!r}: accepted: auto, cpu, cuda, cuda:N, mps")
    return device
