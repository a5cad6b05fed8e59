"""Target scenes (the Pascal VOC / COCO analog): cluttered multi-object images with exact annotations.

A scene has a context background with a horizon, and a pinhole-like ground plane: an object at depth z is drawn at
``ppm(z)`` pixels per metre (its genus's real size sets its pixel size) and stands with its base at
``horizon + (H - horizon) * ppm(z) / ppm(0)``, so near objects are large and low, far ones small and high.
Objects are drawn far to near into the image and into an instance-id map; the annotation of an object is computed
from what is visible at the end: its box is the extent of its visible pixels, ``truncated`` when its full extent
leaves the image, ``occluded`` when more than a quarter of its in-image pixels are covered, ``difficult`` when it is
tiny (visible box long side under ``difficult_min_size`` of the image's long side) or mostly hidden (more than
``difficult_max_hidden``). Objects with fewer than 6 visible pixels are not annotated at all.

Render modes (the context-vs-object diagnostic) draw the same scene plan with a part of it removed: ``"context"``
leaves out every instance of the annotated vocabulary (riders and table items included), ``"object"`` keeps only
those, on a flat mid-grey instead of the context background. A removed instance is drawn onto a throwaway canvas,
so every random number is drawn exactly as in the ``"full"`` render: the records, the camera's jitter and noise and
every kept pixel are those of the full scene.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from oquab_lib.data.synth.backgrounds import context_background
from oquab_lib.data.synth.geometry import anchor_points, shape_bounds
from oquab_lib.data.synth.scene_templates import RIDEABLE, TABLE_ITEMS, TEMPLATES
from oquab_lib.data.synth.source import UPRIGHT_PLANS
from oquab_lib.data.synth.species import (
    Instance,
    draw_instance,
    fit_linear,
    photometric,
    random_pose,
    sample_instance,
)
from oquab_lib.data.synth.taxonomy import Taxonomy
from oquab_lib.errors import ConfigError

ASPECTS = ((4, 3, 0.6), (3, 2, 0.2), (3, 4, 0.2))  # (w, h, probability): VOC's 500x375, 500x333, 375x500
ORIENTED_PLANS = frozenset({"quadruped", "bird", "fish", "person", "wheeled", "twowheeler", "aircraft", "boat"})
MIN_VISIBLE_PIXELS = 6
RENDER_MODES = ("full", "context", "object")
NEUTRAL_GREY = (128, 128, 128)  # object-only renders: the objects on flat mid-grey (then the same camera jitter)


@dataclass
class Placed:
    inst: Instance
    concept: str
    linear: np.ndarray
    offset: np.ndarray
    depth: float  # larger is farther; drawing goes far to near
    flip: bool
    attrs: dict = field(default_factory=dict)

    def anchor(self, name: str) -> np.ndarray:
        return anchor_points(self.inst.shape, self.linear, self.offset)[name]

    def bounds(self) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = shape_bounds(self.inst.shape, self.linear)
        return x0 + self.offset[0], y0 + self.offset[1], x1 + self.offset[0], y1 + self.offset[1]


@dataclass
class ObjectRecord:
    """One drawn object as the annotation writers see it (box: 0-based inclusive pixel columns / rows)."""

    concept: str
    leaf_id: str
    box: tuple[int, int, int, int]
    truncated: bool
    occluded: bool
    difficult: bool
    pose: str
    hidden: float
    attrs: dict


def scene_size(long_side: int, rng: np.random.Generator) -> tuple[int, int]:
    w, h, _ = ASPECTS[rng.choice(len(ASPECTS), p=[a[2] for a in ASPECTS])]
    return (long_side, round(long_side * h / w)) if w >= h else (round(long_side * w / h), long_side)


def weighted_choice(weights: dict[str, float], rng: np.random.Generator) -> str:
    keys = list(weights)
    p = np.asarray([weights[k] for k in keys], dtype=float)
    return keys[rng.choice(len(keys), p=p / p.sum())]


class SceneBuilder:
    """Places instances on a scene's ground plane (or in its sky) and renders image + object records."""

    def __init__(self, tax: Taxonomy, rng: np.random.Generator, knobs: dict, size: tuple[int, int], context: str):
        self.tax, self.rng, self.knobs, self.size, self.context = tax, rng, knobs, size, context
        w, h = size
        lo, hi = {"sky": (0.65, 0.9), "indoor": (0.4, 0.65)}.get(context, (0.3, 0.55))
        self.horizon = int(h * rng.uniform(lo, hi))
        self.far_ratio = float(rng.uniform(4.0, 12.0))
        self.ppm_near = h / 2.0
        self.placed: list[Placed] = []

    def ppm(self, z: float) -> float:
        return self.ppm_near * self.far_ratio ** (-z)

    def instance(self, concept: str, ctx: dict | None = None) -> Instance:
        leaves = self.tax.concept_leaves[concept]
        leaf = self.tax.leaves[leaves[int(self.rng.integers(len(leaves)))]]
        return sample_instance(leaf, self.rng, self.knobs, ctx)

    def set_scale_from(self, inst: Instance, pixels: float) -> float:
        """Choose the scene's zoom so that ``inst`` spans ``pixels`` at a random depth; returns that depth."""
        z = float(self.rng.uniform(0.0, 0.5))
        # a person standing at the front may not exceed 1.3 image heights, whatever the anchor
        self.ppm_near = min(pixels / inst.leaf.size * self.far_ratio ** z, 1.3 * self.size[1] / 1.7)
        return max(0.0, float(np.log(self.ppm_near * inst.leaf.size / pixels) / np.log(self.far_ratio)))

    def depth_for(self, inst: Instance, z: float, max_pixels: float) -> float:
        """``z`` pushed back just enough that the instance spans at most ``max_pixels``."""
        z_min = np.log(max(inst.leaf.size * self.ppm_near / max_pixels, 1.0)) / np.log(self.far_ratio)
        return float(max(z, z_min))

    def _pose(self, inst: Instance) -> dict:
        pose = random_pose(self.rng, self.knobs, inst.leaf.plan in UPRIGHT_PLANS or inst.leaf.plan == "bird")
        if inst.leaf.plan in UPRIGHT_PLANS:
            pose["angle"] *= 0.3  # standing things stand
        return pose

    def add(self, inst: Instance, concept: str, z: float, flying: bool = False, x: float | None = None,
            pose: dict | None = None) -> Placed:
        w, h = self.size
        pose = pose or self._pose(inst)
        pixels = min(inst.leaf.size * self.ppm(z), 2.2 * h)
        linear = fit_linear(inst, pose, pixels)
        x0, y0, x1, y1 = shape_bounds(inst.shape, linear)
        cx = float(self.rng.uniform(0.02, 0.98) * w) if x is None else x
        if flying:
            offset = np.array([cx - (x0 + x1) / 2, self.rng.uniform(0.05, 0.95) * self.horizon - (y0 + y1) / 2])
        else:
            bottom = self.horizon + (h - self.horizon) * self.ppm(z) / self.ppm_near
            offset = np.array([cx - (x0 + x1) / 2, bottom - y1])
        placed = Placed(inst, concept, linear, offset, z, pose["flip"], {"ppm": self.ppm(z)})
        self.placed.append(placed)
        return placed

    def attach(self, inst: Instance, concept: str, support: Placed, own_anchor: str | None, at: np.ndarray,
               pixels: float, depth_offset: float = -1e-3, pose: dict | None = None) -> Placed:
        """Place ``inst`` so that its anchor (or its box's bottom centre) lands on the point ``at``."""
        pose = pose or {"flip": support.flip, "angle": 0.0, "shear": 0.0, "squash": 1.0}
        linear = fit_linear(inst, pose, pixels)
        if own_anchor is not None:
            offset = np.asarray(at, dtype=float) - anchor_points(inst.shape, linear, np.zeros(2))[own_anchor]
        else:
            x0, y0, x1, y1 = shape_bounds(inst.shape, linear)
            offset = np.asarray(at, dtype=float) - ((x0 + x1) / 2, y1)
        placed = Placed(inst, concept, linear, offset, support.depth + depth_offset, pose["flip"],
                        {"ppm": support.attrs["ppm"]})
        self.placed.append(placed)
        return placed

    def add_rider(self, mount: Placed, arms: str | None = None) -> Placed:
        legs, default_arms = RIDEABLE[mount.concept]
        inst = self.instance("person", {"legs": legs, "arms": arms or default_arms})
        seat = mount.anchor("seat") + (0.0, 0.02 * mount.attrs["ppm"])
        return self.attach(inst, "person", mount, "hip", seat, inst.leaf.size * mount.attrs["ppm"])

    def add_table_group(self, table: Placed, vocab_items: dict[str, float]) -> None:
        x0, y0, x1, y1 = table.bounds()
        for _ in range(int(self.rng.integers(1, 4))):
            side = self.rng.choice([x0 - 0.1 * (x1 - x0), x1 + 0.1 * (x1 - x0), (x0 + x1) / 2])
            depth = table.depth + self.rng.choice([-0.04, 0.04])
            self.add(self.instance("chair"), "chair", depth, x=float(side))
        top = table.anchor("top")
        for _ in range(int(self.rng.integers(0, 4))):
            concept = weighted_choice(vocab_items, self.rng)
            inst = self.instance(concept)
            spot = np.array([self.rng.uniform(x0 + 0.1 * (x1 - x0), x1 - 0.1 * (x1 - x0)), top[1]])
            self.attach(inst, concept, table, None, spot, inst.leaf.size * table.attrs["ppm"],
                        pose={"flip": bool(self.rng.random() < 0.5), "angle": 0.0, "shear": 0.0, "squash": 1.0})

    def render(self, image: Image.Image, cfg, keep: set[str] | None = None,
               drop: set[str] | None = None) -> tuple[Image.Image, list[ObjectRecord]]:
        """Draw every placed object far to near; return the image and one record per visible object.

        ``keep`` / ``drop``: concepts whose instances alone are drawn / are left out (the others, or those, go to a
        throwaway canvas, which consumes the same random numbers, so the rest of the image and the records do not
        change; records always describe the full scene).
        """
        idmap = Image.new("L", self.size, 0)
        id_draw = ImageDraw.Draw(idmap)
        scratch = Image.new(image.mode, self.size) if keep is not None or drop is not None else None
        own = {}
        order = sorted(range(len(self.placed)), key=lambda i: -self.placed[i].depth)
        for i in order:
            p = self.placed[i]
            shown = (keep is None or p.concept in keep) and (drop is None or p.concept not in drop)
            draw_instance(image if shown else scratch, p.inst, p.linear, p.offset, self.rng, id_draw, i + 1)
            own[i] = int(np.count_nonzero(np.asarray(idmap) == i + 1))
        ids = np.asarray(idmap)
        records = [self._record(i, ids, own[i], cfg) for i in range(len(self.placed))]
        image = photometric(image, self.rng, self.knobs["noise"] * 0.5)
        return image, [r for r in records if r is not None]

    def _record(self, i: int, ids: np.ndarray, own: int, cfg) -> ObjectRecord | None:
        p = self.placed[i]
        visible = ids == i + 1
        count = int(np.count_nonzero(visible))
        if count < MIN_VISIBLE_PIXELS:
            return None
        rows, cols = np.flatnonzero(visible.any(1)), np.flatnonzero(visible.any(0))
        box = (int(cols[0]), int(rows[0]), int(cols[-1]), int(rows[-1]))
        w, h = self.size
        bx0, by0, bx1, by1 = p.bounds()
        tol = 0.02 * max(bx1 - bx0, by1 - by0)
        truncated = bx0 < -tol or by0 < -tol or bx1 > w + tol or by1 > h + tol
        hidden = 1.0 - count / max(own, 1)
        small = max(box[2] - box[0] + 1, box[3] - box[1] + 1) < cfg.difficult_min_size * max(w, h)
        pose = ("Left" if p.flip else "Right") if p.inst.leaf.plan in ORIENTED_PLANS else "Unspecified"
        return ObjectRecord(p.concept, p.inst.leaf.node_id, box, bool(truncated), hidden > 0.25,
                            bool(small or hidden > cfg.difficult_max_hidden), pose, round(hidden, 3), dict(p.attrs))


def compose_scene(tax: Taxonomy, vocab: set[str], rng: np.random.Generator, cfg, knobs: dict,
                  many: bool = False, mode: str = "full") -> tuple[Image.Image, list[ObjectRecord]]:
    """One scene for a vocabulary (the concepts that get annotated). ``many``: COCO-like (more, smaller objects).

    ``mode`` (:data:`RENDER_MODES`): ``"full"``; ``"context"``: the vocabulary's instances removed; ``"object"``:
    only them, on flat grey. The records are the full scene's in every mode.
    """
    if mode not in RENDER_MODES:
        raise ConfigError(f"compose_scene: mode={mode!r}; accepted: {', '.join(RENDER_MODES)}")
    weights = {k: (t.coco if many else t.voc) for k, t in TEMPLATES.items() if (t.coco if many else t.voc) > 0}
    template = TEMPLATES[weighted_choice(weights, rng)]
    size = scene_size(cfg.scene_long_side, rng)
    b = SceneBuilder(tax, rng, knobs, size, template.context)
    has = lambda weights: {k: v for k, v in weights.items() if tax.concept_leaves.get(k)}  # noqa: E731
    extras = has(template.extras)
    anchors = has({k: v for k, v in template.anchors.items() if k in vocab}) or has(template.anchors)
    anchor = weighted_choice(anchors, rng)
    inst = b.instance(anchor, {"flying": True} if anchor in template.flying else None)
    small = inst.leaf.size < 0.5
    lo, hi = ((0.08, 0.4) if small else (0.15, 0.8)) if many else ((0.12, 0.5) if small else (0.3, 1.0))
    z = b.set_scale_from(inst, size[1] * math.exp(rng.uniform(math.log(lo), math.log(hi))))
    planned = [(anchor, inst, z)]
    n_extra = 2 + int(rng.poisson(4.0)) if many else int(rng.poisson(1.5))
    for _ in range(min(n_extra, 12 if many else 6)):
        concept = weighted_choice(extras, rng)
        extra = b.instance(concept, {"flying": True} if concept in template.flying else None)
        planned.append((concept, extra, b.depth_for(extra, float(rng.uniform(0.0, 1.0)), 1.1 * size[1])))
    for concept, inst, z in planned:
        placed = b.add(inst, concept, z, flying=concept in template.flying)
        if concept in RIDEABLE and rng.random() < 0.55:
            b.add_rider(placed)
        if concept == "table":
            b.add_table_group(placed, has(TABLE_ITEMS))
    background = context_background(template.context, size, b.horizon, rng)  # drawn in every mode: same rng use
    if mode == "object":
        background = Image.new(background.mode, size, NEUTRAL_GREY)
    return b.render(background, cfg, keep=vocab if mode == "object" else None,
                    drop=vocab if mode == "context" else None)
