"""Indoor body plans: seats (chair, sofa, bench), box furniture (table, bed, cabinet, toilet, sink), containers
(bottle, vase, cup, wine glass, bowl, jar) and devices (screens, laptops, phones, cameras, appliances).

Furniture is drawn in a three-quarter view (a depth offset ``depth`` gives the far edge), standing on y = 0.
"""

from __future__ import annotations

import numpy as np

from oquab_lib.data.synth.geometry import (
    ACCENT,
    DARK,
    PRIMARY,
    SECONDARY,
    SHADE,
    Shape,
    ellipse_points,
)
from oquab_lib.data.synth.plan_registry import Params, kind_of, register

NEG = -9.0

SEAT = dict(
    kind=(0, 0), seat_w=(0.9, 0.12), depth=(0.3, 0.07), seat_t=(0.1, 0.03), seat_y=(0.85, 0.12), back_h=(0.9, 0.15),
    back_tilt=(0.1, 0.07, NEG), leg_w=(0.07, 0.02), arm_h=(0.0, 0.08), cushions=(1, 0.5), slats=(0, 0.0),
    back_gap=(0.0, 0.3),
)


def _legs(s: Shape, corners, height: float, width: float, role: int) -> None:
    for x, y in corners:
        s.rect(x - width / 2, y, x + width / 2, y + height, role)


@register("seat", SEAT)
def seat(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """kind 0 chair, 1 sofa / armchair (solid base, armrests, cushions), 2 bench (long, slats)."""
    s, kind = Shape(), kind_of(p)
    w, d = max(p.seat_w, 0.3), np.array([max(p.depth, 0.05), -max(p.depth, 0.05) * 0.8])
    sy, st = -max(p.seat_y, 0.2), max(p.seat_t, 0.03)
    fl, fr = np.array([-w / 2, sy]), np.array([w / 2, sy])
    bl, br = fl + d, fr + d
    lw = max(p.leg_w, 0.02)
    if kind != 1:
        _legs(s, [bl, br], -bl[1], lw, SHADE)
    bh, tilt = max(p.back_h, 0.05), p.back_tilt
    back = [bl, br, br + (tilt, -bh), bl + (tilt, -bh)]
    if kind != 2 or p.back_gap < 0.5:
        s.poly(back, PRIMARY if kind == 1 else SHADE, tex=kind == 1)
        if kind == 0 and p.slats > 0.5:
            for f in (0.3, 0.5, 0.7):
                a = bl + (br - bl) * f
                s.line([a + (0, -0.05), a + (tilt * 0.9, -bh * 0.9)], DARK, 0.03)
    if kind == 1:
        s.poly([fl, fr, fr + (0, -sy), fl + (0, -sy)], SHADE, tex=True)
        arm = max(p.arm_h, 0.12)
        for x in (-w / 2, w / 2 - 0.16):
            s.poly([(x, sy - arm), (x + 0.16, sy - arm), (x + 0.16 + d[0], sy - arm + d[1]),
                    (x + 0.16, -0.05), (x, -0.05)], PRIMARY, tex=True)
    s.poly([fl, fr, br, bl], PRIMARY, tex=True)
    s.poly([fl, fr, fr + (0, st), fl + (0, st)], SHADE)
    if kind == 1:
        n = int(np.clip(round(p.cushions), 1, 4))
        for x in np.linspace(-w / 2, w / 2, n + 1)[1:-1]:
            s.line([(x, sy + 0.02), (x + d[0], sy + d[1])], DARK, 0.02)
    if kind == 2:
        for f in (0.33, 0.66):
            s.line([fl + (bl - fl) * f, fr + (br - fr) * f], DARK, 0.02)
    if kind != 1:
        _legs(s, [fl + (lw, st), fr - (lw, -st)], -sy - st, lw, DARK if kind == 0 else SHADE)
    return s.anchor("seat", (fl[0] + br[0]) / 2, sy).anchor("top", 0.0, sy)


BOXFURN = dict(
    kind=(0, 0), width=(1.6, 0.2), depth=(0.4, 0.08), height=(0.75, 0.1), top_t=(0.07, 0.02), leg_w=(0.07, 0.02),
    cloth=(0.0, 0.4), drawers=(2, 0.8), head_h=(0.5, 0.12), pillow=(0.5, 0.2),
)


@register("boxfurn", BOXFURN)
def boxfurn(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """kind 0 table, 1 bed, 2 cabinet, 3 toilet, 4 sink."""
    s, kind = Shape(), kind_of(p)
    w, h = max(p.width, 0.3), max(p.height, 0.15)
    d = np.array([max(p.depth, 0.05), -max(p.depth, 0.05) * 0.7])
    fl, fr = np.array([-w / 2, -h]), np.array([w / 2, -h])
    if kind == 3:
        return _toilet(s, p, w, h)
    if kind == 4:
        s.rect(-w * 0.12, -h, w * 0.12, 0, SECONDARY)
        s.poly([(-w / 2, -h), (w / 2, -h), (w * 0.35, -h + 0.25), (-w * 0.35, -h + 0.25)], PRIMARY)
        s.poly([fl, fr, fr + d, fl + d], ACCENT)
        return s.line([(0, -h + d[1]), (0, -h + d[1] - 0.25), (0.15, -h + d[1] - 0.25)], DARK, 0.04)
    if kind == 1 and p.head_h > 0.05:
        s.rect(-w / 2 + d[0], -h - p.head_h + d[1], -w / 2 + d[0] + 0.1, d[1], SHADE)
    if kind in (0, 1):
        lw = max(p.leg_w, 0.02)
        for x in (fl[0] + d[0] + lw, fr[0] + d[0] - lw):
            s.rect(x - lw / 2, -h + d[1], x + lw / 2, d[1] * 0.3, SHADE)
    top_t = max(p.top_t, 0.02) if kind == 0 else h * 0.45
    s.poly([fl, fr, fr + d, fl + d], SECONDARY if kind == 1 else PRIMARY, tex=kind == 0)
    if kind == 2:
        s.poly([fr, fr + d, (fr + d)[0:1].tolist() + [d[1]], (w / 2, 0)], SHADE)
        s.rect(fl[0], fl[1], fr[0], 0.0, PRIMARY, tex=True)
        n = int(np.clip(round(p.drawers), 1, 5))
        for y in np.linspace(-h, 0, n + 1)[1:-1]:
            s.line([(-w / 2, y), (w / 2, y)], DARK, 0.02)
        for y in np.linspace(-h, 0, n + 1)[:-1]:
            s.rect(-0.06, y + 0.05, 0.06, y + 0.08, ACCENT)
        return s.anchor("top", 0.0, -h + d[1])
    drop = top_t + (p.cloth * 0.25 if kind == 0 and p.cloth > 0.5 else 0.0)
    s.poly([fl, fr, fr + (0, drop), fl + (0, drop)], SECONDARY if kind == 0 and p.cloth > 0.5 else SHADE, tex=kind == 1)
    if kind == 1 and p.pillow > 0.3:
        s.ellipse(-w / 2 + 0.3 + d[0] * 0.6, -h + d[1] * 0.6, 0.22, 0.07, ACCENT)
    lw = max(p.leg_w, 0.02)
    for x in (fl[0] + lw, fr[0] - lw):
        s.rect(x - lw / 2, -h + drop, x + lw / 2, 0.0, DARK if kind == 0 else SHADE)
    return s.anchor("top", 0.0, -h + d[1] * 0.5).anchor("seat", 0.0, -h)


def _toilet(s: Shape, p: Params, w: float, h: float) -> Shape:
    s.rect(-w * 0.45, -h * 1.6, -w * 0.05, -h * 0.8, PRIMARY)
    s.poly([(-w * 0.3, -h * 0.8), (w * 0.5, -h * 0.8), (w * 0.3, -h * 0.4), (w * 0.1, 0), (-w * 0.2, 0)], PRIMARY)
    s.ellipse(w * 0.12, -h * 0.8, w * 0.4, 0.05, SHADE)
    return s.rect(-w * 0.42, -h * 1.35, -w * 0.3, -h * 1.3, DARK)


CONTAINER = dict(
    kind=(0, 0), height=(1.0, 0.12), body_w=(0.32, 0.06), shoulder=(0.55, 0.1), neck_w=(0.12, 0.03),
    neck_h=(0.3, 0.08), cap=(0.08, 0.03), label=(0.5, 0.4), handle=(0.0, 0.0), base_w=(1.0, 0.15), stem=(0.4, 0.1),
)


@register("container", CONTAINER)
def container(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """kind 0 bottle, 1 vase, 2 cup / mug, 3 wine glass, 4 bowl, 5 jar: a profile of revolution, front view."""
    s, kind = Shape(), kind_of(p)
    H, W = max(p.height, 0.2), max(p.body_w, 0.05)
    if kind == 3:
        stem = max(p.stem, 0.1) * H
        s.ellipse(0, -0.02, W * 0.8, 0.04, SHADE, n=12).line([(0, -0.02), (0, -stem)], PRIMARY, 0.04)
        s.poly(np.vstack([[(-W, -H)], ellipse_points(0, -H, W, H - stem, n=16)[0:9], [(W, -H)]]), ACCENT, tex=True)
        return s.ellipse(0, -H, W, 0.05, PRIMARY, n=12)
    if kind == 4:
        s.poly(np.vstack([ellipse_points(0, -H * 0.6, W * 2, H * 0.6, n=16)[0:9]]), PRIMARY, tex=True)
        return s.ellipse(0, -H * 0.6, W * 2, H * 0.12, SHADE, n=16)
    sh, nh, nw = H * np.clip(p.shoulder, 0.2, 0.9), max(p.neck_h, 0.0) * H, max(p.neck_w, 0.03)
    if kind in (2, 5):
        sh, nh, nw = H, 0.0, W
    bw = W * max(p.base_w, 0.4)
    right = [(bw, 0.0), (W, -sh * 0.2), (W, -sh * 0.85), (nw, -sh - (H - sh - nh) * 0.3), (nw, -H + nh * 0.0)]
    if kind == 1:  # vase: bulging body, flared lip
        right = [(bw * 0.7, 0.0), (W * 1.15, -sh * 0.45), (nw, -sh), (nw * 0.8, -H * 0.9), (nw * 1.4, -H)]
    left = [(-x, y) for x, y in reversed(right)]
    s.poly(right + left, PRIMARY, tex=kind != 0)
    if kind == 0 and p.label > 0.3:
        s.rect(-W, -sh * 0.75, W, -sh * 0.3, SECONDARY, tex=True)
    if kind == 0:
        s.rect(-nw * 1.1, -H - max(p.cap, 0.02), nw * 1.1, -H + 0.01, DARK)
    if kind == 2 and p.handle > 0.5 or kind == 2 and H < W * 2.2:
        s.line(ellipse_points(W + 0.05, -H * 0.5, 0.12, H * 0.25, n=12)[[9, 10, 11, 0, 1, 2, 3]], PRIMARY, 0.05)
    if kind == 5:
        s.rect(-W * 0.9, -H - 0.08, W * 0.9, -H, SECONDARY)
    if kind in (1, 2, 5):
        s.ellipse(0, -H, nw if kind == 1 else W, 0.04, SHADE, n=12)
    return s


DEVICE = dict(
    kind=(0, 0), width=(1.2, 0.15), height=(0.75, 0.1), bezel=(0.05, 0.02), stand=(0.25, 0.08), depth=(0.12, 0.04),
    buttons=(3, 1.0), lens=(0.22, 0.05), window=(0.6, 0.12), handle=(0.5, 0.3),
)


@register("device", DEVICE)
def device(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """kind 0 monitor / tv, 1 laptop, 2 phone / remote (upright slab), 3 camera, 4 keyboard, 5 mouse,
    6 appliance with a door (microwave / oven / toaster / refrigerator), 7 hair drier."""
    s, kind = Shape(), kind_of(p)
    W, H, b = max(p.width, 0.15), max(p.height, 0.1), max(p.bezel, 0.01)
    if kind == 0:
        st = max(p.stand, 0.02)
        s.poly([(-0.25, 0.0), (0.25, 0.0), (0.05, -st), (-0.05, -st)], DARK)
        s.rect(-W / 2, -st - H, W / 2, -st, PRIMARY).rect(-W / 2 + b, -st - H + b, W / 2 - b, -st - b, ACCENT, tex=True)
        return s.rect(W / 2 - 0.08, -st - b * 0.7, W / 2 - 0.04, -st - b * 0.3, SECONDARY)
    if kind == 1:
        d = max(p.depth, 0.05)
        s.poly([(-W / 2, -H), (W / 2 - 0.1, -H - 0.05), (W / 2 - 0.05, -d), (-W / 2, -d)], PRIMARY)
        s.poly([(-W / 2 + b, -H + b), (W / 2 - 0.1 - b, -H - 0.05 + b), (W / 2 - 0.05 - b, -d - b),
                (-W / 2 + b, -d - b)],
               ACCENT, tex=True)
        s.poly([(-W / 2, -d), (W / 2 - 0.05, -d), (W / 2 + 0.25, 0.0), (-W / 2 + 0.2, 0.0)], SHADE)
        return s.line([(-W / 2 + 0.15, -d * 0.5), (W / 2 - 0.05, -d * 0.5)], DARK, 0.02)
    if kind == 2:
        s.poly(ellipse_points(0, -H / 2, W / 2, H / 2, n=16), PRIMARY)
        s.rect(-W / 2 + b, -H + b * 2, W / 2 - b, -H * (1 - p.window), ACCENT, tex=True)
        for y in np.linspace(-H * 0.3, -b * 2, int(np.clip(round(p.buttons), 0, 6))):
            s.ellipse(0, y, W * 0.12, W * 0.08, SECONDARY, n=8)
        return s
    if kind == 3:
        s.rect(-W / 2, -H, W / 2, 0, PRIMARY, tex=True).rect(-W / 2 + 0.1, -H - 0.08, -W / 2 + 0.35, -H, DARK)
        lens = max(p.lens, 0.05)
        s.ellipse(0.05, -H / 2, lens, lens, DARK).ellipse(0.05, -H / 2, lens * 0.6, lens * 0.6, ACCENT)
        return s.rect(W / 2 - 0.2, -H + 0.06, W / 2 - 0.08, -H + 0.14, SECONDARY)
    if kind in (4, 5, 7):
        return _small_device(s, kind, W, H)
    return _appliance(s, p, W, H, b)


def _small_device(s: Shape, kind: int, W: float, H: float) -> Shape:
    """Keyboard (4), mouse (5), hair drier (7)."""
    if kind == 4:
        s.poly([(-W / 2, 0), (W / 2, 0), (W / 2 - 0.1, -H * 0.4), (-W / 2 + 0.1, -H * 0.4)], PRIMARY)
        for f in (0.25, 0.5, 0.75):
            s.line([(-W / 2 + 0.05 * (1 + f), -H * 0.4 * f), (W / 2 - 0.05 * (1 + f), -H * 0.4 * f)], DARK, 0.015)
        return s
    if kind == 5:
        s.ellipse(0, -H / 2, W / 2, H / 2, PRIMARY, tex=True)
        return s.line([(W * 0.2, -H / 2), (W / 2, -H / 2)], DARK, 0.015)
    s.limb(-W * 0.1, -H * 0.4, -W * 0.25, 0.0, 0.16, 0.12, SHADE)
    s.poly(ellipse_points(0, -H * 0.7, W / 2, H * 0.3, n=16), PRIMARY, tex=True)
    return s.rect(W / 2 - 0.02, -H * 0.9, W / 2 + 0.08, -H * 0.5, DARK)


def _appliance(s: Shape, p: Params, W: float, H: float, b: float) -> Shape:
    d = np.array([max(p.depth, 0.05), -max(p.depth, 0.05) * 0.7])
    s.poly([(-W / 2, -H), (W / 2, -H), (W / 2 + d[0], -H + d[1]), (-W / 2 + d[0], -H + d[1])], SHADE)
    s.poly([(W / 2, -H), (W / 2 + d[0], -H + d[1]), (W / 2 + d[0], d[1]), (W / 2, 0)], SHADE)
    s.rect(-W / 2, -H, W / 2, 0, PRIMARY, tex=True)
    wf = np.clip(p.window, 0.1, 0.9)
    s.rect(-W / 2 + b * 2, -H + b * 2, -W / 2 + (W - b * 4) * wf, -b * 2, ACCENT)
    hx = -W / 2 + (W - b * 4) * wf + b * 2
    if p.handle > 0.5:
        s.rect(hx, -H * 0.7, hx + 0.03, -H * 0.3, DARK)
    for y in np.linspace(-H + b * 3, -b * 3, int(np.clip(round(p.buttons), 1, 5))):
        s.ellipse((hx + W / 2) / 2 + 0.02, y, 0.03, 0.03, DARK, n=8)
    return s.anchor("top", 0.0, -H)
