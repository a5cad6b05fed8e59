"""Small-object body plans (most COCO-only classes): round things, long things, poles and signs, bags and books,
musical instruments, plants. Each plan has a genus-level ``kind``; continuous parameters vary by leaf and instance.
"""

from __future__ import annotations

import math

import numpy as np

from oquab_lib.data.synth.geometry import (
    ACCENT,
    DARK,
    PRIMARY,
    SECONDARY,
    SHADE,
    Shape,
    arc_points,
    ellipse_points,
)
from oquab_lib.data.synth.plan_registry import Params, kind_of, register

NEG = -9.0

ROUND = dict(kind=(0, 0), radius=(0.5, 0.06), aspect=(1.0, 0.08), detail=(0.5, 0.2), count=(6, 2.0), stem=(0.1, 0.04))


@register("round", ROUND)
def round_thing(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """kind 0 ball, 1 fruit, 2 clock, 3 donut, 4 pizza, 5 cake, 6 teddy bear, 7 frisbee, 8 sandwich, 9 glove."""
    s, kind = Shape(), kind_of(p)
    r, a = max(p.radius, 0.1), np.clip(p.aspect, 0.5, 1.6)
    cy = -r * a
    if kind == 6:
        return _teddy(s, r)
    if kind == 5:
        s.rect(-r, -r * 1.1, r, 0, PRIMARY, tex=True).ellipse(0, -r * 1.1, r, r * 0.25, SECONDARY)
        return s.line([(-r, -r * 0.55), (r, -r * 0.55)], ACCENT, 0.06)
    if kind == 8:
        s.poly([(-r, 0), (r, 0), (-r * 0.6, -r * 1.2)], SHADE)
        return s.poly([(-r, -0.06), (r, -0.06), (-r * 0.6, -r * 1.26)], PRIMARY, tex=True).line(
            [(-r * 0.8, -0.1), (r * 0.8, -0.1)], SECONDARY, 0.06)
    ry = r * a * (0.3 if kind in (4, 7) else 1.0)
    s.ellipse(0, -ry, r, ry, PRIMARY, tex=kind in (0, 1, 3, 9), n=24)
    if kind == 0:
        s.line(arc_points(-r * 0.9, -ry, r * 0.9, -0.9, 0.9), DARK, 0.025)
    elif kind == 1:
        s.line([(0, -2 * ry + 0.02), (0.03, -2 * ry - p.stem)], DARK, 0.03)
        s.ellipse(0.12, -2 * ry - p.stem * 0.6, 0.1, 0.04, SECONDARY, angle=-0.4, n=8)
    elif kind == 2:
        s.ellipse(0, -ry, r * 0.85, ry * 0.85, SECONDARY, n=24)
        s.line([(0, -ry), (0, -ry - r * 0.6)], DARK, 0.04).line([(0, -ry), (r * 0.45, -ry + r * 0.1)], DARK, 0.04)
    elif kind == 3:
        s.ellipse(0, -ry - 0.03, r * 0.85, ry * 0.8, SECONDARY, tex=True, n=24)
        s.ellipse(0, -ry, r * 0.3, ry * 0.3, DARK, n=12)
    elif kind == 4:
        s.ellipse(0, -ry, r * 0.85, ry * 0.8, SECONDARY, n=24)
        for x, y in rng.uniform(-0.6, 0.6, size=(int(np.clip(p.count, 2, 12)), 2)):
            s.ellipse(x * r, -ry + y * ry, 0.06, 0.03, ACCENT, n=8)
    elif kind == 9:
        for k in range(4):
            s.ellipse(-r * 0.5 + k * r * 0.32, -2 * ry + 0.05, 0.08, 0.2, PRIMARY, n=8)
        s.ellipse(r * 0.7, -ry * 1.1, 0.12, 0.25, SHADE, angle=0.6, n=8)
        s.line([(-r * 0.6, -ry), (r * 0.5, -ry)], DARK, 0.03)
    return s.anchor("top", 0.0, -2 * ry)


def _teddy(s: Shape, r: float) -> Shape:
    s.ellipse(0, -r * 0.7, r * 0.75, r * 0.7, PRIMARY, tex=True)
    for x in (-r * 0.6, r * 0.6):
        s.ellipse(x, -r * 0.2, r * 0.25, r * 0.2, SHADE).ellipse(x * 1.2, -r * 0.9, r * 0.18, r * 0.3, SHADE)
    for x in (-r * 0.4, r * 0.4):
        s.ellipse(x, -r * 2.05, r * 0.2, r * 0.2, SHADE)
    s.ellipse(0, -r * 1.7, r * 0.5, r * 0.45, PRIMARY, tex=True).ellipse(0, -r * 1.55, r * 0.2, r * 0.15, SECONDARY)
    return s.ellipse(-r * 0.18, -r * 1.8, 0.03, 0.03, DARK, n=8).ellipse(r * 0.18, -r * 1.8, 0.03, 0.03, DARK, n=8)


STICK = dict(kind=(0, 0), length=(1.8, 0.2), width=(0.08, 0.02), head=(0.3, 0.07), curve=(0.0, 0.06, NEG),
             tip=(0.2, 0.06))


@register("stick", STICK)
def stick(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """kind 0 bat, 1 racket, 2 knife, 3 fork, 4 spoon, 5 toothbrush, 6 skis, 7 snowboard, 8 surfboard,
    9 skateboard, 10 banana, 11 carrot, 12 hot dog, 13 tie, 14 scissors. Lying along x."""
    s, kind = Shape(), kind_of(p)
    L, w, hd = max(p.length, 0.3), max(p.width, 0.02), max(p.head, 0.05)
    h, y = L / 2, -hd
    if kind in (7, 8, 9):
        return _board(s, kind, h, hd, w, y)
    if kind in (10, 11, 13):
        return _tapered(s, p, kind, h, hd, y)
    if kind == 12:
        s.poly(ellipse_points(0, y, h, hd * 0.55, n=16), SECONDARY)
        return s.line([(-h * 1.05, y - hd * 0.1), (h * 1.05, y - hd * 0.1)], PRIMARY, hd * 0.45, tex=True)
    if kind == 6:
        for dy in (-0.06, 0.06):
            s.line([(-h, y + dy), (h - 0.1, y + dy), (h, y + dy - p.tip)], PRIMARY, w, tex=True)
        return s
    if kind == 14:
        for sign in (-1, 1):
            s.line([(0, y), (h, y + sign * hd * 0.3)], SECONDARY, w)
            s.line(ellipse_points(-hd, y + sign * hd * 0.4, hd * 0.6, hd * 0.35, n=12), PRIMARY, w * 0.7)
        return s
    return _handled(s, kind, L, h, hd, w, y)


def _board(s: Shape, kind: int, h: float, hd: float, w: float, y: float) -> Shape:
    s.poly(ellipse_points(0, y, h, hd * (0.5 if kind == 8 else 0.35), n=24), PRIMARY, tex=True)
    if kind == 8:
        s.line([(-h * 0.9, y), (h * 0.9, y)], SECONDARY, w * 0.6)
    if kind == 9:
        for x in (-h * 0.6, h * 0.6):
            s.ellipse(x, y + hd * 0.5, 0.07, 0.07, DARK, n=8)
    return s


def _tapered(s: Shape, p: Params, kind: int, h: float, hd: float, y: float) -> Shape:
    """Banana (a crescent), carrot and tie (wedges)."""
    bend = p.curve + (0.25 if kind == 10 else 0.0)
    xs = np.linspace(-h, h, 9)
    mid = y - bend * (1 - (xs / h) ** 2)
    half = hd * 0.5 * np.sqrt(1 - (xs / h) ** 2 * 0.96)
    if kind in (11, 13):
        mid, half = np.full_like(xs, y), hd * 0.5 * (xs + h) / (2 * h) + 0.01
    s.poly(np.vstack([np.stack([xs, mid - half], 1), np.stack([xs, mid + half], 1)[::-1]]), PRIMARY, tex=True)
    if kind == 11:
        s.line([(h, y), (h + p.tip, y - 0.08)], SECONDARY, 0.05).line([(h, y), (h + p.tip, y + 0.08)], SECONDARY, 0.05)
    if kind == 13:
        s.poly([(h, y - hd * 0.3), (h + 0.12, y - hd * 0.4), (h + 0.12, y + hd * 0.4), (h, y + hd * 0.3)], SHADE)
    return s


def _handled(s: Shape, kind: int, L: float, h: float, hd: float, w: float, y: float) -> Shape:
    """Bat, racket, knife, fork, spoon, toothbrush: a handle, then a head."""
    handle = {0: 0.45, 1: 0.45, 2: 0.4, 3: 0.55, 4: 0.55, 5: 0.7}[kind]
    s.line([(-h, y), (-h + L * handle, y)], SHADE if kind in (1, 3, 4) else PRIMARY, w, tex=kind in (0, 2))
    if kind == 0:
        return s.poly([(-h + L * 0.4, y - w / 2), (h, y - hd * 0.4), (h, y + hd * 0.4), (-h + L * 0.4, y + w / 2)],
                      PRIMARY)
    hx = -h + L * handle
    if kind == 1:
        ring = ellipse_points(hx + hd, y, hd, hd * 0.75, n=16)
        s.line(np.vstack([ring, ring[:1]]), PRIMARY, w * 0.8)
        for f in (-0.4, 0.0, 0.4):
            s.line([(hx + 0.02, y + f * hd * 0.7), (hx + 2 * hd - 0.02, y + f * hd * 0.7)], SECONDARY, 0.01)
    elif kind == 2:
        s.poly([(hx, y - hd * 0.3), (h, y - hd * 0.25), (hx, y + hd * 0.25)], SECONDARY)
    elif kind == 3:
        for f in (-0.3, -0.1, 0.1, 0.3):
            s.line([(hx, y + f * hd), (h, y + f * hd)], SECONDARY, w * 0.4)
        s.line([(hx, y - 0.3 * hd), (hx, y + 0.3 * hd)], SECONDARY, w * 0.6)
    elif kind == 4:
        s.ellipse(hx + hd * 0.6, y, hd * 0.6, hd * 0.35, SECONDARY)
    elif kind == 5:
        s.rect(hx, y - hd * 0.5, h, y, ACCENT)
    return s


POLE = dict(kind=(0, 0), height=(1.8, 0.2), head=(0.35, 0.06), pole_w=(0.05, 0.015), lights=(3, 0.0), span=(0.8, 0.15))


@register("pole", POLE)
def pole(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """kind 0 traffic light, 1 stop sign, 2 parking meter, 3 fire hydrant, 4 umbrella, 5 kite."""
    s, kind = Shape(), kind_of(p)
    H, hd, pw = max(p.height, 0.3), max(p.head, 0.08), max(p.pole_w, 0.02)
    if kind == 3:
        s.rect(-hd * 0.5, -H * 0.35, hd * 0.5, 0, PRIMARY, tex=True).ellipse(0, -H * 0.35, hd * 0.5, hd * 0.4, PRIMARY)
        s.rect(-hd * 0.8, -H * 0.25, hd * 0.8, -H * 0.18, SHADE).rect(-hd * 0.65, -0.05, hd * 0.65, 0, SHADE)
        return s
    if kind == 5:
        sp = max(p.span, 0.2)
        s.line([(0, hd * 1.3), (0.15, hd * 2.2), (-0.1, hd * 3.0), (0.1, hd * 3.8)], DARK, 0.02)
        return s.poly([(0, -hd * 1.4), (sp * 0.5, 0), (0, hd * 1.3), (-sp * 0.5, 0)], PRIMARY, tex=True).line(
            [(0, -hd * 1.4), (0, hd * 1.3)], SECONDARY, 0.02)
    if kind == 4:
        sp = max(p.span, 0.3)
        s.line([(0, -H * 0.6), (0, 0), (0.08, 0.04)], DARK, pw)
        dome = np.vstack([arc_points(0, -H * 0.6, sp, math.pi, 2 * math.pi, n=12), [(sp, -H * 0.6)]])
        s.poly(dome, PRIMARY, tex=True)
        return s.line([(0, -H * 0.6 - sp), (0, -H * 0.6 - sp - 0.08)], DARK, pw)
    s.rect(-pw / 2, -H, pw / 2, 0, DARK)
    if kind == 0:
        n = int(np.clip(round(p.lights), 2, 4))
        s.rect(-hd * 0.5, -H - hd * 0.1, hd * 0.5, -H + hd * n, PRIMARY)
        for k in range(n):
            s.ellipse(0, -H + hd * (k + 0.45), hd * 0.32, hd * 0.32, (ACCENT, SECONDARY, SHADE, DARK)[k])
    elif kind == 1:
        s.poly(ellipse_points(0, -H, hd, hd, math.pi / 8, n=8), PRIMARY).line([(-hd * 0.5, -H), (hd * 0.5, -H)],
                                                                              SECONDARY, hd * 0.25)
    else:
        s.poly(ellipse_points(0, -H, hd * 0.5, hd * 0.7, n=12), PRIMARY).rect(-hd * 0.3, -H - hd * 0.3, hd * 0.3,
                                                                             -H, ACCENT)
    return s


BAG = dict(kind=(0, 0), width=(0.8, 0.1), height=(0.9, 0.1), handle=(0.25, 0.08), pocket=(0.5, 0.3), depth=(0.12, 0.04))


@register("bag", BAG)
def bag(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """kind 0 backpack, 1 handbag, 2 suitcase, 3 book."""
    s, kind = Shape(), kind_of(p)
    W, H, hdl = max(p.width, 0.2), max(p.height, 0.2), max(p.handle, 0.05)
    if kind == 3:
        d = max(p.depth, 0.04)
        s.poly([(-W / 2, -H), (W / 2, -H), (W / 2 + d, -H + d), (-W / 2 + d, -H + d)], SECONDARY)
        s.rect(-W / 2, -H, W / 2, 0, PRIMARY, tex=True).rect(-W / 2, -H, -W / 2 + 0.06, 0, SHADE)
        return s.rect(-W * 0.2, -H * 0.75, W * 0.35, -H * 0.6, ACCENT)
    if kind == 1:
        s.line(arc_points(0, -H * 0.8, W * 0.3, math.pi, 2 * math.pi, n=8), DARK, 0.04)
        s.poly([(-W / 2, 0), (W / 2, 0), (W * 0.38, -H * 0.8), (-W * 0.38, -H * 0.8)], PRIMARY, tex=True)
        return s.line([(-W * 0.4, -H * 0.6), (W * 0.4, -H * 0.6)], SECONDARY, 0.03)
    if kind == 2:
        s.rect(-0.12, -H - hdl, 0.12, -H, DARK).rect(-W / 2, -H, W / 2, -0.06, PRIMARY, tex=True)
        for x in (-W * 0.25, W * 0.25):
            s.line([(x, -H + 0.03), (x, -0.1)], SHADE, 0.03)
        return s.ellipse(-W * 0.35, -0.04, 0.05, 0.05, DARK, n=8).ellipse(W * 0.35, -0.04, 0.05, 0.05, DARK, n=8)
    s.line([(-W * 0.3, -H * 0.95), (-W * 0.45, -H * 0.3)], DARK, 0.05)
    s.poly(ellipse_points(0, -H / 2, W / 2, H / 2, n=16), PRIMARY, tex=True)
    if p.pocket > 0.3:
        s.rect(-W * 0.3, -H * 0.4, W * 0.3, -H * 0.1, SHADE)
    return s.line([(-W * 0.3, -H * 0.7), (W * 0.3, -H * 0.7)], SECONDARY, 0.03)


INSTRUMENT = dict(kind=(0, 0), size=(1.0, 0.1), neck=(0.8, 0.12), waist=(0.7, 0.08), bell=(0.3, 0.08), ratio=(0.8, 0.1))


@register("instrument", INSTRUMENT)
def instrument(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """kind 0 guitar / violin (lying along x, neck to +x), 1 drum, 2 horn (trumpet-like)."""
    s, kind = Shape(), kind_of(p)
    z = max(p.size, 0.3)
    if kind == 1:
        r = 0.45 * z
        s.rect(-r, -r * 1.4 * p.ratio, r, -0.05, PRIMARY, tex=True)
        s.ellipse(0, -r * 1.4 * p.ratio, r, r * 0.3, SECONDARY)
        return s.line([(-r * 0.8, -0.05), (-r, 0.0)], DARK, 0.03).line([(r * 0.8, -0.05), (r, 0.0)], DARK, 0.03)
    if kind == 2:
        b = max(p.bell, 0.1) * z
        s.line([(-0.5 * z, -0.2), (0.4 * z, -0.2)], PRIMARY, 0.05).line(
            ellipse_points(-0.05 * z, -0.2, 0.3 * z, 0.12, n=12), PRIMARY, 0.04)
        return s.poly([(0.35 * z, -0.19), (0.5 * z + b, -0.2 - b), (0.5 * z + b, -0.2 + b)], PRIMARY)
    r1, r2 = 0.32 * z, 0.32 * z * np.clip(p.ratio, 0.5, 1.0)
    s.line([(r1 * 0.5, -r1), (r1 + max(p.neck, 0.2) * z, -r1)], DARK, 0.07 * z)
    s.rect(r1 + max(p.neck, 0.2) * z, -r1 - 0.06 * z, r1 + max(p.neck, 0.2) * z + 0.15 * z, -r1 + 0.06 * z, SHADE)
    s.ellipse(-r1 * 0.8, -r1, r1, r1, PRIMARY, tex=True)
    s.ellipse(r2 * 0.6, -r1, r2, r2 * p.waist + 0.05, PRIMARY, tex=True)
    s.ellipse(r2 * 0.3, -r1, r2 * 0.3, r2 * 0.3, DARK, n=12)
    return s.line([(-r1 * 1.2, -r1), (r1 + max(p.neck, 0.2) * z, -r1)], SECONDARY, 0.01)


PLANT = dict(kind=(0, 0), height=(1.2, 0.15), span=(0.6, 0.12), leaves=(7, 2.0), leaf=(0.25, 0.06), pot=(0.35, 0.06))


@register("plant", PLANT)
def plant(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """kind 0 potted plant, 1 tree, 2 flower, 3 broccoli, 4 mushroom."""
    s, kind = Shape(), kind_of(p)
    H, sp, lf = max(p.height, 0.3), max(p.span, 0.15), max(p.leaf, 0.06)
    if kind == 4:
        s.rect(-sp * 0.15, -H * 0.6, sp * 0.15, 0, SECONDARY)
        return s.poly(np.vstack([arc_points(0, -H * 0.55, sp * 0.6, math.pi, 2 * math.pi, n=12)]), PRIMARY, tex=True)
    base = -p.pot * 1.1 if kind == 0 else 0.0
    stem_top = base - H * (0.4 if kind in (1, 3) else 0.7)
    s.line([(0, base), (0, stem_top)], SHADE if kind != 1 else DARK, 0.05 if kind != 1 else 0.12)
    n = int(np.clip(round(p.leaves), 3, 14))
    if kind == 2:
        for a in np.linspace(0, 2 * np.pi, n, endpoint=False):
            s.ellipse(lf * math.cos(a), stem_top + lf * math.sin(a), lf * 0.7, lf * 0.4, PRIMARY, angle=a, tex=True,
                      n=8)
        s.ellipse(0, stem_top, lf * 0.5, lf * 0.5, ACCENT, n=12)
        s.ellipse(0.1, base - H * 0.3, lf, lf * 0.3, SECONDARY, angle=-0.5, n=8)
    else:
        crown = stem_top - (sp * 0.4 if kind in (1, 3) else 0.0)
        for k in range(n):
            a = -math.pi * (0.1 + 0.8 * k / max(n - 1, 1)) + rng.uniform(-0.15, 0.15)
            r = sp * (0.55 if kind in (1, 3) else 0.8)
            x, y = r * math.cos(a), crown + r * math.sin(a) * (0.6 if kind in (1, 3) else 1.0)
            if kind == 0:
                s.line([(0, stem_top * 0.4 + base * 0.6), (x * 0.6, (y + stem_top) / 2)], SHADE, 0.03)
            s.ellipse(x, y, lf * (1.6 if kind in (1, 3) else 1.0), lf * (1.2 if kind in (1, 3) else 0.45),
                      PRIMARY, angle=a, tex=True, n=12)
    if kind == 0:
        pw = max(p.pot, 0.1)
        s.poly([(-pw, base), (pw, base), (pw * 0.75, 0), (-pw * 0.75, 0)], SECONDARY, tex=False)
        s.rect(-pw * 1.05, base - 0.05, pw * 1.05, base + 0.03, SECONDARY)
    return s
