"""``WorldConfig``: every knob of the mini world, and the difficulty-derived nuisance parameters.

The profiles' ``world`` sections (``oquab_lib/config.py``) list these keys; :meth:`WorldConfig.from_any` accepts a
profile name, a section dict or a config.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from oquab_lib.errors import ConfigError
from oquab_lib.schema import FRACTION, Accepts, at_least, check_value

FORMAT_VERSION = 1  # bump when the generator's output changes for the same config, so cached worlds are rebuilt


@dataclass(frozen=True)
class WorldConfig:
    """All parameters of a generated mini world (defaults = the ``quick`` profile).

    Taxonomy and pretraining subsets:
        base_leaves: leaves of "1000C" (stands for ILSVRC-1000's 1000 classes).
        extra_ratio: 1512 adds ``round(extra_ratio * base_leaves)`` leaves (the paper: 512 / 1000).
        pool_ratio: leaves outside 1000C and outside the targeted superclasses, as a fraction of ``base_leaves``
            (where 1512D and 1000R draw from; must be >= extra_ratio).
        heldout_per_genus: target-only leaves per genus that VOC or COCO uses (in no source subset, so transfer
            is never identity).
        r_fewer_images: 1000R keeps ``round((1 - r_fewer_images) * source_train_per_leaf)`` images per class.
    Source images (object-centric, ImageNet-like):
        source_size: side in pixels; source_train_per_leaf / source_val_per_leaf: images per leaf.
    Target scenes (VOC / COCO / actions):
        scene_long_side: long side in pixels (aspect ratios like VOC: 4:3, 3:2, portrait 3:4).
        voc07_trainval, voc07_test, voc12_train, voc12_val, voc12_test, coco_train, coco_val: image counts.
        action_trainval_persons, action_test_persons: annotated persons of the VOC2012 Action analog.
        difficult_min_size: an object whose visible box has its long side under this fraction of the image's long
            side is ``difficult``; difficult_max_hidden: so is one with more than this fraction of its in-image
            area hidden by other objects.
    Difficulty (0 = a throwaway prototype that saturated at 94 % source top-1; 1 = hardest):
        difficulty: sets the nuisance knobs below unless they are given explicitly (see :meth:`knobs`).
        sibling_spread: how far a leaf's shape / colour parameters move from its genus (in units of each
            parameter's natural spread; smaller = closer siblings).
        instance_jitter: how far an instance moves from its leaf (same units; larger = more intra-class variation).
        clutter: mean number of background clutter shapes in a source image.
    Output: jpeg_quality, supersample (source images are drawn at this factor and box-downsampled).
    """

    scale: str = "quick"  # a label; "none" means real data under data_root: nothing is generated
    difficulty: float = 0.8
    base_leaves: int = 100
    extra_ratio: float = 0.512
    pool_ratio: float = 0.9
    heldout_per_genus: int = 1
    r_fewer_images: float = 0.25
    source_size: int = 56
    source_train_per_leaf: int = 150
    source_val_per_leaf: int = 20
    scene_long_side: int = 160
    voc07_trainval: int = 800
    voc07_test: int = 800
    voc12_train: int = 800
    voc12_val: int = 800
    voc12_test: int = 800
    action_trainval_persons: int = 500
    action_test_persons: int = 500
    coco_train: int = 800
    coco_val: int = 500
    difficult_min_size: float = 0.08
    difficult_max_hidden: float = 0.7
    sibling_spread: float | None = None
    instance_jitter: float | None = None
    clutter: float | None = None
    jpeg_quality: int = 90
    supersample: int = 1

    # ranges beyond the annotations (schema.check_value; other numbers: >= 0)
    ACCEPTS: ClassVar[dict[str, Accepts]] = {
        "difficulty": FRACTION, "r_fewer_images": Accepts(0, 1, high_open=True), "difficult_min_size": FRACTION,
        "difficult_max_hidden": FRACTION, "jpeg_quality": Accepts(1, 100), "supersample": at_least(1),
    }

    def __post_init__(self) -> None:
        if not 0.0 <= self.difficulty <= 1.0:
            raise ConfigError(f"world.difficulty={self.difficulty!r}: expected a number in [0, 1]")
        if self.pool_ratio < self.extra_ratio:
            raise ConfigError(f"world.pool_ratio={self.pool_ratio} must be >= world.extra_ratio={self.extra_ratio} "
                              "(1512D draws as many extra leaves as 1512 adds from that pool)")
        for name in ("base_leaves", "source_size", "source_train_per_leaf", "scene_long_side"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"world.{name}={getattr(self, name)!r}: expected a positive integer")
        if int(self.heldout_per_genus) < 1:
            raise ConfigError(f"world.heldout_per_genus={self.heldout_per_genus!r}: must be >= 1 (every VOC / COCO "
                              "class needs a target-only leaf, and some classes have no other leaf in small worlds)")
        if self.source_size < 16 or self.scene_long_side < 48:
            raise ConfigError("world.source_size must be >= 16 and world.scene_long_side >= 48 pixels")

    @classmethod
    def from_any(cls, world: "str | dict[str, Any] | WorldConfig") -> "WorldConfig":
        """A profile name (``smoke``/``quick``/``full``), a ``world`` section dict, or a config."""
        if isinstance(world, WorldConfig):
            return world
        if isinstance(world, str):
            from oquab_lib.config import profile_sections

            world = profile_sections(world)["world"]
        if not isinstance(world, dict):
            raise ConfigError(f"world={world!r}: expected a profile name, a dict or a WorldConfig")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(world) - known)
        if unknown:
            raise ConfigError(f"world section: unknown key(s) {', '.join(unknown)}; "
                              f"accepted: {', '.join(sorted(known))}")
        for key, value in world.items():
            check_value("world", key, value, cls)
        return cls(**world)

    @property
    def generates(self) -> bool:
        return self.scale != "none"

    def knobs(self) -> dict[str, float]:
        """The nuisance parameters the difficulty sets (explicit fields win). Documented in the package docstring."""
        d = float(self.difficulty)
        return {
            "sibling_spread": self.sibling_spread if self.sibling_spread is not None else 1.2 - 0.6 * d,
            "instance_jitter": self.instance_jitter if self.instance_jitter is not None else 0.2 + 0.4 * d,
            "clutter": self.clutter if self.clutter is not None else 1.0 + 6.0 * d,
            "color_jitter": 0.5 + 1.0 * d,
            "distractor_prob": 0.05 + 0.3 * d,
            "rotation_deg": 5.0 + 20.0 * d,
            "fill_min": 0.85 - 0.35 * d,
            "noise": 2.0 + 8.0 * d,
            "pose_jitter": 0.08 + 0.12 * d,
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def hash(self, seed: int) -> str:
        """Identifies the generated files: config + seed + generator format version."""
        text = json.dumps({"config": self.to_dict(), "seed": int(seed), "format": FORMAT_VERSION}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]
