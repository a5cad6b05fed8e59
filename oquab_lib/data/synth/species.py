"""Species (leaves) and their instances: parameters, palettes, textures, and the drawing of one instance.

A leaf is its genus's body plan with perturbed parameters: ``leaf = genus + sibling_spread * spread * N(0, 1)`` for
every continuous parameter and every palette channel, plus a texture kind drawn from the genus's list with its own
frequency / size / contrast. An instance is ``leaf + instance_jitter * spread * N(0, 1)`` plus colour jitter, a pose
(mirror, rotation, shear, squash, the plan's own random choices such as stride or flight) and a scale. Siblings share
everything but these perturbations, so they are confusable by construction, and features learned on some leaves
transfer to their siblings and cousins.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from oquab_lib.data.synth import person as _person  # noqa: F401 - registers the person plan
from oquab_lib.data.synth import plans_animals as _animals  # noqa: F401 - registers plans
from oquab_lib.data.synth import plans_small as _small  # noqa: F401
from oquab_lib.data.synth import plans_things as _things  # noqa: F401
from oquab_lib.data.synth import plans_vehicles as _vehicles  # noqa: F401
from oquab_lib.data.synth.genera import Genus
from oquab_lib.data.synth.geometry import (
    Shape,
    apply_texture,
    draw_shape,
    pose_matrix,
    shape_bounds,
)
from oquab_lib.data.synth.plan_registry import PLAN_PARAMS, PLANS, Params

# plans whose genus ``size`` is a length (they lie or fly); the others' is a standing height
SIZE_BY_LENGTH = frozenset({"stick", "fish", "snake", "bug", "aircraft", "boat"})
TEXTURE_RANGES = {  # leaf-level texture parameters are drawn uniformly in these ranges
    "stripes": {"freq": (6.0, 16.0), "angle": (-0.5, 0.5), "duty": (-0.3, 0.4), "contrast": (0.6, 0.95)},
    "spots": {"density": (0.4, 1.6), "size": (0.05, 0.14), "contrast": (0.6, 0.95)},
    "patches": {"freq": (2.0, 5.0), "duty": (-0.2, 0.6), "contrast": (0.7, 1.0)},
    "speckle": {"density": (0.2, 0.9), "contrast": (0.3, 0.6)},
    "band": {"centre": (0.3, 0.7), "size": (0.06, 0.14), "contrast": (0.7, 1.0)},
    "plain": {"contrast": (0.0, 0.0)},
}


@dataclass
class Leaf:
    """One species: a leaf of the taxonomy with its drawn parameters (picklable, sent to worker processes)."""

    index: int
    node_id: str
    name: str
    genus: str
    plan: str
    status: str  # "base" (in 1000C) | "pool" (source-eligible, not in 1000C) | "heldout" (target only)
    targeted: bool  # under one of the five superclasses that 1512 adds
    params: dict
    spreads: dict
    palette: np.ndarray  # [4, 3] HSV of the primary / secondary / dark / accent roles
    texture: dict
    size: float


def _genus_params(genus: Genus) -> tuple[dict, dict, dict]:
    values, spreads, lows = {}, {}, {}
    for name, (default, spread, low) in PLAN_PARAMS[genus.plan].items():
        override = genus.params.get(name, default)
        if isinstance(override, tuple):
            values[name], spreads[name] = float(override[0]), float(override[1])
        else:
            values[name], spreads[name] = float(override), float(spread)
        lows[name] = low
    return values, spreads, lows


def _perturb(values: dict, spreads: dict, lows: dict, amount: float, rng: np.random.Generator) -> dict:
    noise = rng.standard_normal(len(values))
    return {k: max(lows[k], v + amount * spreads[k] * z) for (k, v), z in zip(values.items(), noise)}


def _texture(genus: Genus, rng: np.random.Generator) -> dict:
    kinds, weights = zip(*[(part.split(":")[0], float(part.split(":")[1])) for part in genus.textures.split()])
    kind = kinds[rng.choice(len(kinds), p=np.asarray(weights) / sum(weights))]
    tex = {"kind": kind}
    for name, (lo, hi) in TEXTURE_RANGES[kind].items():
        tex[name] = float(rng.uniform(lo, hi))
    if kind == "stripes" and rng.random() < 0.5:
        tex["angle"] += math.pi / 2
    return tex


def make_leaf(genus: Genus, index: int, node_id: str, name: str, status: str, targeted: bool,
              rng: np.random.Generator, sibling_spread: float) -> Leaf:
    values, spreads, lows = _genus_params(genus)
    params = _perturb(values, spreads, lows, sibling_spread, rng)
    palette = np.asarray(genus.colors, dtype=float)
    channel_spread = np.asarray(genus.spread, dtype=float) * sibling_spread
    role_weight = np.array([1.0, 1.0, 0.3, 0.5])[:, None]
    palette = palette + rng.standard_normal((4, 3)) * channel_spread * role_weight
    palette[:, 0] %= 1.0
    palette[:, 1:] = palette[:, 1:].clip(0.0, 1.0)
    return Leaf(index, node_id, name, genus.key, genus.plan, status, targeted, params, spreads, palette,
                _texture(genus, rng), genus.size)


def instance_colors(leaf: Leaf, rng: np.random.Generator, color_jitter: float) -> list[tuple[int, int, int]]:
    """RGB of the five roles (primary, secondary, dark, accent, primary shade) of one instance."""
    hsv = leaf.palette + rng.standard_normal((4, 3)) * np.array([0.015, 0.06, 0.08]) * color_jitter
    colors = []
    for h, s, v in hsv:
        r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0.0), 1.0), min(max(v, 0.03), 1.0))
        colors.append((int(r * 255), int(g * 255), int(b * 255)))
    colors.append(tuple(int(c * 0.68) for c in colors[0]))
    return colors


def instance_texture(leaf: Leaf, rng: np.random.Generator, jitter: float) -> dict:
    tex = dict(leaf.texture)
    for key in ("freq", "size", "density"):
        if key in tex:
            tex[key] *= float(np.exp(rng.normal(0.0, 0.15 * jitter)))
    return tex


@dataclass
class Instance:
    """One drawable instance: its shape (object frame), colours, texture and the leaf it comes from."""

    leaf: Leaf
    shape: Shape
    colors: list
    texture: dict
    standing_height: float | None = None  # persons: seated figures keep the scale of their standing height

    @property
    def extent(self) -> float:
        """The object-frame extent that the genus ``size`` refers to: a length for lying / flying plans, a
        height for standing ones."""
        if self.standing_height is not None:
            return self.standing_height
        x0, y0, x1, y1 = shape_bounds(self.shape, np.eye(2))
        return max(x1 - x0, y1 - y0, 1e-3) if self.leaf.plan in SIZE_BY_LENGTH else max(y1 - y0, 1e-3)


def sample_instance(leaf: Leaf, rng: np.random.Generator, knobs: dict, ctx: dict | None = None) -> Instance:
    ctx = dict(ctx or {})
    ctx.setdefault("pose_jitter", knobs["pose_jitter"])
    lows = {k: v[2] for k, v in PLAN_PARAMS[leaf.plan].items()}
    params = Params(_perturb(leaf.params, leaf.spreads, lows, knobs["instance_jitter"], rng))
    shape = PLANS[leaf.plan](params, rng, ctx)
    standing = params.torso + params.thigh + params.shin + 2.3 * params.head_r if leaf.plan == "person" else None
    return Instance(leaf, shape, instance_colors(leaf, rng, knobs["color_jitter"]),
                    instance_texture(leaf, rng, knobs["instance_jitter"]), standing)


def random_pose(rng: np.random.Generator, knobs: dict, upright: bool = True) -> dict:
    """Mirror, rotation, shear and squash of one instance (upright things rotate little)."""
    rot = math.radians(knobs["rotation_deg"]) * (0.5 if upright else 2.0)
    return {"flip": bool(rng.random() < 0.5), "angle": float(rng.normal(0.0, rot / 2)),
            "shear": float(rng.normal(0.0, 0.08)), "squash": float(np.exp(rng.normal(0.0, 0.08)))}


def fit_linear(inst: Instance, pose: dict, pixels: float, by: str = "extent") -> np.ndarray:
    """The 2x2 map drawing ``inst`` so that its reference extent (``by="extent"``) or its larger box side
    (``by="box"``) spans ``pixels``."""
    base = pose_matrix(1.0, pose["angle"], pose["flip"], pose["shear"], pose["squash"])
    if by == "box":
        x0, y0, x1, y1 = shape_bounds(inst.shape, base)
        ref = max(x1 - x0, y1 - y0)
    else:
        ref = inst.extent
    return base * (pixels / max(ref, 1e-6))


def draw_instance(image: Image.Image, inst: Instance, linear: np.ndarray, offset, rng: np.random.Generator,
                  id_draw: ImageDraw.ImageDraw | None = None, id_value: int = 255) -> None:
    """Draw one instance (with its texture) onto ``image``; optionally paint its silhouette into an id map."""
    textured = inst.texture["kind"] != "plain" and any(part[2] for part in inst.shape.parts)
    mask = Image.new("L", image.size, 0) if textured else None
    draw_shape(inst.shape, linear, offset, inst.colors, ImageDraw.Draw(image),
               ImageDraw.Draw(mask) if mask is not None else None, id_draw, id_value)
    if mask is not None:
        apply_texture(image, mask, linear, offset, inst.texture, inst.colors[1], rng)


# A fixed bank of standard normals: pixel noise is a random slice of it (drawing fresh normals per pixel was the
# slowest step of the whole generator). The bank is the same in every process, so results stay seed-determined.
_NOISE_BANK = np.random.default_rng(20140623).standard_normal(1 << 20, dtype=np.float32)


def photometric(image: Image.Image, rng: np.random.Generator, noise: float) -> Image.Image:
    """Global brightness / contrast / colour-balance jitter and Gaussian pixel noise (the camera, not the class)."""
    arr = np.asarray(image, dtype=np.float32).copy()
    contrast, brightness = np.exp(rng.normal(0.0, 0.15)), np.exp(rng.normal(0.0, 0.12))
    gain = np.exp(rng.normal(0.0, 0.06, size=3))
    arr *= (gain * contrast).astype(np.float32)  # contrast about mid-grey, then brightness
    arr += (gain * 128.0 * (brightness - contrast)).astype(np.float32)
    n = arr.size
    if n < _NOISE_BANK.size:
        start = int(rng.integers(0, _NOISE_BANK.size - n))
        arr += _NOISE_BANK[start:start + n].reshape(arr.shape) * np.float32(noise)
    else:
        arr += rng.standard_normal(arr.shape, dtype=np.float32) * np.float32(noise)
    np.clip(arr, 0, 255, out=arr)
    return Image.fromarray(arr.astype(np.uint8))
