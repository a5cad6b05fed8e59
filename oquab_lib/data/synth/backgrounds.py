"""Backgrounds: cluttered backdrops of source images and the context backgrounds of target scenes.

Source backdrops never depend on the class (a gradient, a horizon, random clutter shapes), so the only cue to a
leaf is the object. Scene contexts (sky, road, grass, indoor, water, rail, snow) go with the scene template, the way
VOC's cows stand on grass and its cars on roads.
"""

from __future__ import annotations

import colorsys

import numpy as np
from PIL import Image, ImageDraw

from oquab_lib.data.synth.geometry import ellipse_points


def random_color(rng: np.random.Generator, sat=(0.0, 0.5), val=(0.25, 0.95), hue=None) -> tuple[int, int, int]:
    h = rng.uniform(0, 1) if hue is None else (hue + rng.normal(0, 0.03)) % 1.0
    r, g, b = colorsys.hsv_to_rgb(h, rng.uniform(*sat), rng.uniform(*val))
    return int(r * 255), int(g * 255), int(b * 255)


def gradient_column(height: int, top, bottom, y0: int = 0, y1: int | None = None) -> np.ndarray:
    """``[height, 1, 3]`` uint8 blending ``top`` to ``bottom`` between rows y0 and y1."""
    y1 = height if y1 is None else y1
    t = np.clip((np.arange(height) - y0) / max(y1 - y0, 1), 0, 1)[:, None, None]
    return ((1 - t) * np.asarray(top, float) + t * np.asarray(bottom, float)).astype(np.uint8)


def vertical_gradient(size: tuple[int, int], top, bottom, y0: int = 0, y1: int | None = None) -> np.ndarray:
    """``[H, W, 3]`` uint8 blending ``top`` to ``bottom`` between rows y0 and y1."""
    w, h = size
    return np.broadcast_to(gradient_column(h, top, bottom, y0, y1), (h, w, 3))


def _widen(column: np.ndarray, width: int) -> Image.Image:
    """An image whose every column is ``column`` (PIL's resize does the copying, in C)."""
    return Image.fromarray(np.ascontiguousarray(column)).resize((width, column.shape[0]), Image.NEAREST)


def _hsv_rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def clutter(draw: ImageDraw.ImageDraw, size: tuple[int, int], count: int, rng: np.random.Generator) -> None:
    """``count`` random ellipses, boxes and strokes in muted colours (all random numbers drawn at once)."""
    w, h = size
    for u in rng.random((count, 9)).tolist():
        col = _hsv_rgb(u[0], 0.45 * u[1], 0.2 + 0.7 * u[2])
        cx, cy, rx, ry = u[3] * w, u[4] * h, (0.05 + 0.25 * u[5]) * w, (0.05 + 0.25 * u[6]) * h
        kind = int(u[7] * 3)
        if kind == 0:
            draw.polygon(ellipse_points(cx, cy, rx, ry, 3.0 * u[8], n=12).ravel().tolist(), fill=col)
        elif kind == 1:
            draw.rectangle([cx - rx, cy - ry, cx + rx, cy + ry], fill=col)
        else:
            draw.line([cx - rx, cy - ry, cx + rx, cy + ry], fill=col, width=max(1, int((0.01 + 0.04 * u[8]) * w)))


def source_backdrop(size: int, rng: np.random.Generator, clutter_mean: float) -> Image.Image:
    """A class-independent backdrop: a gradient or a horizon split, then Poisson(clutter_mean) clutter shapes."""
    u = rng.random(14).tolist()
    colors = [_hsv_rgb(u[k], 0.5 * u[k + 1], 0.25 + 0.7 * u[k + 2]) for k in (0, 3, 6, 9)]
    if u[12] < 0.5:
        column = gradient_column(size, colors[0], colors[1])
    else:
        split = int((0.3 + 0.5 * u[13]) * size)
        column = gradient_column(size, colors[0], colors[2], 0, split)
        column[split:] = gradient_column(size - split, colors[1], colors[3])
    img = _widen(column, size)
    clutter(ImageDraw.Draw(img), (size, size), int(rng.poisson(clutter_mean)), rng)
    return img


CONTEXTS = ("sky", "road", "grass", "indoor", "water", "rail", "snow")


def context_background(kind: str, size: tuple[int, int], horizon: int, rng: np.random.Generator) -> Image.Image:
    """A scene backdrop of the given context with the ground / floor starting at row ``horizon``."""
    w, h = size
    column = gradient_column(h, random_color(rng, (0.2, 0.6), (0.7, 1.0), hue=0.58),
                             random_color(rng, (0.0, 0.3), (0.8, 1.0), hue=0.58), 0, horizon)
    ground_hue = {"road": 0.1, "grass": 0.28, "water": 0.57, "rail": 0.08, "snow": 0.6, "indoor": 0.08, "sky": 0.3}
    g_sat = {"road": (0.0, 0.1), "snow": (0.0, 0.08), "water": (0.4, 0.7), "indoor": (0.2, 0.5)}.get(kind, (0.3, 0.7))
    g_val = {"snow": (0.85, 1.0), "road": (0.3, 0.55)}.get(kind, (0.3, 0.75))
    far, near = random_color(rng, g_sat, g_val, ground_hue[kind]), random_color(rng, g_sat, g_val, ground_hue[kind])
    column[horizon:] = gradient_column(h - horizon, far, near)
    if kind == "indoor":
        column[:horizon] = gradient_column(horizon, random_color(rng, (0.0, 0.3), (0.6, 0.95)),
                                           random_color(rng, (0.0, 0.3), (0.5, 0.9)))
    img = _widen(column, w)
    _context_details(kind, ImageDraw.Draw(img), w, h, horizon, rng)
    return img


def _context_details(kind: str, draw: ImageDraw.ImageDraw, w: int, h: int, horizon: int,
                     rng: np.random.Generator) -> None:
    if kind in ("sky", "grass", "snow", "water"):
        for _ in range(rng.integers(0, 4)):  # clouds
            cx, cy = rng.uniform(0, w), rng.uniform(0, horizon * 0.7)
            draw.polygon(ellipse_points(cx, cy, rng.uniform(8, 30) * w / 160, rng.uniform(3, 8) * h / 120, n=12)
                         .ravel().tolist(), fill=random_color(rng, (0.0, 0.1), (0.85, 1.0)))
    if kind in ("road", "rail"):  # buildings on the horizon
        x = -rng.uniform(0, 20)
        while x < w:
            bw, bh = rng.uniform(0.08, 0.25) * w, rng.uniform(0.1, 0.4) * h
            draw.rectangle([x, horizon - bh, x + bw, horizon], fill=random_color(rng, (0.0, 0.3), (0.3, 0.8)))
            x += bw + rng.uniform(0, 0.1) * w
    if kind == "road":
        y = (horizon + h) / 2
        for x in np.arange(rng.uniform(0, 20), w, 24 * w / 160):
            draw.rectangle([x, y, x + 10 * w / 160, y + max(1, h / 100)], fill=(235, 235, 225))
    if kind == "rail":
        for dy in (0.55, 0.75):
            y = horizon + (h - horizon) * dy
            draw.line([0, y, w, y], fill=(90, 80, 70), width=max(1, int(h / 80)))
    if kind == "indoor":
        for _ in range(rng.integers(1, 4)):  # windows, pictures, shelves
            x0, y0 = rng.uniform(0, w * 0.9), rng.uniform(0.05, 0.5) * horizon
            bw, bh = rng.uniform(0.08, 0.25) * w, rng.uniform(0.1, 0.35) * horizon
            draw.rectangle([x0, y0, x0 + bw, y0 + bh], fill=random_color(rng, (0.0, 0.5), (0.3, 0.95)),
                           outline=random_color(rng, (0.0, 0.3), (0.1, 0.4)), width=max(1, int(w / 160)))
    if kind in ("grass", "snow"):
        for _ in range(rng.integers(0, 3)):  # far trees and bushes
            cx = rng.uniform(0, w)
            r = rng.uniform(4, 14) * h / 120
            draw.polygon(ellipse_points(cx, horizon - r * 0.6, r, r, n=12).ravel().tolist(),
                         fill=random_color(rng, (0.4, 0.7), (0.2, 0.5), hue=0.3))
