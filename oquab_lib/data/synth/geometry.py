"""Vector primitives in an object frame, their rasterisation with PIL, and species textures.

A species renderer (a *plan*, see ``plans_*.py``) returns a :class:`Shape`: an ordered list of parts -- filled polygons
or thick polylines -- in an *object frame* (x points the way the object faces, y points down, the ground is y = 0 for
things that stand), each with a colour *role* (an index into the instance's palette) and a flag saying whether the
species texture covers it, plus named anchor points (a saddle, a table top, a hand) that other objects attach to.
Because a shape is vectors, one affine map draws it at any pose, scale and position: on a 56-px source image or in a
160-px scene, with the same code.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

# Palette roles. The shaded role is derived from the primary colour (far legs, side faces) so depth reads at a glance.
PRIMARY, SECONDARY, DARK, ACCENT, SHADE = 0, 1, 2, 3, 4

_UNIT_CIRCLES = {n: np.stack([np.cos(t), np.sin(t)], 1) for n in (8, 12, 16, 24)
                 for t in [np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)]}


def rotation(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


def ellipse_points(cx: float, cy: float, rx: float, ry: float, angle: float = 0.0, n: int = 16) -> np.ndarray:
    """Polygon ``[n, 2]`` approximating an ellipse (rotated by ``angle`` radians)."""
    pts = _UNIT_CIRCLES[n] * (abs(rx), abs(ry))
    if angle:
        pts = pts @ rotation(angle).T
    return pts + (cx, cy)


def arc_points(cx: float, cy: float, r: float, a0: float, a1: float, n: int = 8) -> np.ndarray:
    t = np.linspace(a0, a1, n)
    return np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], 1)


class Shape:
    """An ordered list of parts ``(points [n, 2], role, textured, width)`` plus named anchors; width 0 = polygon."""

    __slots__ = ("parts", "anchors", "_packed")

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, int, bool, float]] = []
        self.anchors: dict[str, tuple[float, float]] = {}
        self._packed: tuple[np.ndarray, np.ndarray] | None = None

    def poly(self, pts, role: int, tex: bool = False) -> "Shape":
        self.parts.append((np.asarray(pts, dtype=float).reshape(-1, 2), role, tex, 0.0))
        self._packed = None
        return self

    def line(self, pts, role: int, width: float, tex: bool = False) -> "Shape":
        self.parts.append((np.asarray(pts, dtype=float).reshape(-1, 2), role, tex, max(float(width), 1e-3)))
        self._packed = None
        return self

    def packed(self) -> tuple[np.ndarray, np.ndarray]:
        """All points ``[N, 2]`` and each point's line width ``[N]`` (0 for polygons), cached."""
        if self._packed is None:
            pts = np.concatenate([part[0] for part in self.parts]) if self.parts else np.zeros((1, 2))
            widths = (np.concatenate([np.full(len(part[0]), part[3]) for part in self.parts]) if self.parts
                      else np.zeros(1))
            self._packed = (pts, widths)
        return self._packed

    def translate(self, offset) -> "Shape":
        """Move every part and anchor by ``offset`` (in place)."""
        offset = np.asarray(offset, dtype=float)
        self.parts = [(pts + offset, role, tex, width) for pts, role, tex, width in self.parts]
        self.anchors = {k: (x + offset[0], y + offset[1]) for k, (x, y) in self.anchors.items()}
        self._packed = None
        return self

    def ellipse(self, cx, cy, rx, ry, role: int, angle: float = 0.0, tex: bool = False, n: int = 16) -> "Shape":
        return self.poly(ellipse_points(cx, cy, rx, ry, angle, n), role, tex)

    def rect(self, x0, y0, x1, y1, role: int, tex: bool = False) -> "Shape":
        return self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], role, tex)

    def limb(self, x0, y0, x1, y1, w0, w1, role: int, tex: bool = False) -> "Shape":
        """A tapered segment from (x0, y0) (width w0) to (x1, y1) (width w1), with a round cap at the far end."""
        dx, dy = x1 - x0, y1 - y0
        norm = math.hypot(dx, dy) or 1e-6
        nx, ny = -dy / norm, dx / norm
        pts = [(x0 + nx * w0 / 2, y0 + ny * w0 / 2), (x1 + nx * w1 / 2, y1 + ny * w1 / 2),
               (x1 - nx * w1 / 2, y1 - ny * w1 / 2), (x0 - nx * w0 / 2, y0 - ny * w0 / 2)]
        self.poly(pts, role, tex)
        return self.ellipse(x1, y1, w1 / 2, w1 / 2, role, tex=tex, n=8)

    def anchor(self, name: str, x: float, y: float) -> "Shape":
        self.anchors[name] = (float(x), float(y))
        return self

    def extend(self, other: "Shape", offset=(0.0, 0.0)) -> "Shape":
        for pts, role, tex, width in other.parts:
            self.parts.append((pts + offset, role, tex, width))
        for name, (x, y) in other.anchors.items():
            self.anchors[name] = (x + offset[0], y + offset[1])
        return self


def pose_matrix(scale: float, angle: float = 0.0, flip: bool = False, shear: float = 0.0,
                squash: float = 1.0) -> np.ndarray:
    """The 2x2 linear part of an object's pose: scale x rotation x shear x (mirror, squash)."""
    base = np.array([[-1.0 if flip else 1.0, shear], [0.0, squash]])
    return scale * rotation(angle) @ base


def shape_bounds(shape: Shape, linear: np.ndarray) -> tuple[float, float, float, float]:
    """Bounding box ``(x0, y0, x1, y1)`` of the shape under ``linear`` (before translation), line widths included."""
    pts, widths = shape.packed()
    p = pts @ linear.T
    pad = (widths * (linear_scale(linear) / 2))[:, None]
    lo, hi = (p - pad).min(0), (p + pad).max(0)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def linear_scale(linear: np.ndarray) -> float:
    """The isotropic scale of a 2x2 map (square root of its absolute determinant)."""
    return math.sqrt(abs(linear[0, 0] * linear[1, 1] - linear[0, 1] * linear[1, 0]))


def anchor_points(shape: Shape, linear: np.ndarray, offset) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) @ linear.T + offset for k, v in shape.anchors.items()}


def draw_shape(shape: Shape, linear: np.ndarray, offset, colors, canvas: ImageDraw.ImageDraw,
               texture_mask: ImageDraw.ImageDraw | None = None, id_map: ImageDraw.ImageDraw | None = None,
               id_value: int = 255) -> None:
    """Draw every part in order. ``texture_mask`` receives 255 where a textured part is the top-most, 0 elsewhere."""
    scale = linear_scale(linear)
    pts, _ = shape.packed()
    flat = (pts @ linear.T + np.asarray(offset, dtype=float)).ravel().tolist()  # one transform for all parts
    start = 0
    for part_pts, role, tex, width in shape.parts:
        stop = start + 2 * len(part_pts)
        xy, start = flat[start:stop], stop
        color = colors[role]
        if width:
            w = max(1, int(round(width * scale)))
            joint = "curve" if w > 2 else None
            canvas.line(xy, fill=color, width=w, joint=joint)
            if texture_mask is not None:
                texture_mask.line(xy, fill=255 if tex else 0, width=w, joint=joint)
            if id_map is not None:
                id_map.line(xy, fill=id_value, width=w, joint=joint)
        elif len(xy) >= 6:
            canvas.polygon(xy, fill=color)
            if texture_mask is not None:
                texture_mask.polygon(xy, fill=255 if tex else 0)
            if id_map is not None:
                id_map.polygon(xy, fill=id_value)


def texture_pattern(texture: dict, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Boolean pattern in object-frame coordinates (so the pattern moves and scales with the object).

    Kinds: ``stripes`` (frequency, angle, duty), ``patches`` (three random low-frequency waves, thresholded),
    ``speckle`` (fine random grain), ``band`` (a horizontal band; ``y`` is then the height fraction in the region).
    ``spots`` are drawn by :func:`_spots` instead (discs are cheaper to rasterise than to test).
    """
    kind = texture["kind"]
    if kind == "stripes":
        a = texture["angle"]
        return np.sin(texture["freq"] * (x * math.cos(a) + y * math.sin(a)) + rng.uniform(0, 6.3)) > texture["duty"]
    if kind == "patches":
        wave = np.zeros_like(x)
        for a, phase in zip(rng.uniform(0, 6.3, 3), rng.uniform(0, 6.3, 3)):
            wave += np.cos(texture["freq"] * (x * math.cos(a) + y * math.sin(a)) + phase)
        return wave > texture["duty"] * 1.5
    if kind == "speckle":
        return rng.random(x.shape) < texture["density"] * 0.5
    if kind == "band":
        return np.abs(y - texture["centre"]) < texture["size"]
    return np.zeros(x.shape, dtype=bool)


def _spots(box, linear: np.ndarray, offset, texture: dict, rng: np.random.Generator) -> np.ndarray:
    """Discs of radius ``size`` (object units) at random centres over the region, rasterised with PIL."""
    w, h = box[2] - box[0], box[3] - box[1]
    scale = linear_scale(linear)
    radius = texture["size"] * scale
    count = int(np.clip(texture["density"] * 30 * (w * h) / max((2.2 * scale) ** 2, 1.0), 3, 80))
    centres = rng.uniform((0.0, 0.0), (w, h), size=(count, 2))
    image = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(image)
    for cx, cy in centres.tolist():
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=255)
    return np.asarray(image) > 127


def apply_texture(image: Image.Image, mask: Image.Image, linear: np.ndarray, offset, texture: dict,
                  color, rng: np.random.Generator) -> None:
    """Paint ``color`` (blended by ``texture['contrast']``) where ``mask`` is set and the pattern is on.

    Smooth patterns are evaluated on a grid of step 2 when the region is large (then repeated), which halves the
    cost on supersampled images without visible change.
    """
    box = mask.getbbox()
    if box is None or texture["kind"] == "plain":
        return
    on = np.asarray(mask.crop(box)) > 127
    if texture["kind"] == "spots":
        on &= _spots(box, linear, offset, texture, rng)
    else:
        step = 2 if on.size > 2500 and texture["kind"] != "speckle" else 1
        ys, xs = np.mgrid[box[1]:box[3]:step, box[0]:box[2]:step].astype(float)
        if texture["kind"] == "band":  # a band sits at a fraction of the textured region's height
            x, y = xs, (ys - box[1]) / max(box[3] - box[1], 1)
        else:
            inv = np.linalg.inv(linear)
            u, v = xs + 0.5 - offset[0], ys + 0.5 - offset[1]
            x, y = inv[0, 0] * u + inv[0, 1] * v, inv[1, 0] * u + inv[1, 1] * v
        pattern = texture_pattern(texture, x, y, rng)
        if step > 1:
            pattern = pattern.repeat(step, 0).repeat(step, 1)[: on.shape[0], : on.shape[1]]
        on &= pattern
    if not on.any():
        return
    region = np.array(image.crop(box), dtype=np.float32)
    alpha = float(np.clip(texture["contrast"], 0.0, 1.0))
    region[on] = (1 - alpha) * region[on] + alpha * np.asarray(color, dtype=np.float32)
    image.paste(Image.fromarray(region.clip(0, 255).astype(np.uint8)), box[:2])
