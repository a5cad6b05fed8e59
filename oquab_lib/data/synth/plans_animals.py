"""Animal body plans: quadruped (dogs to elephants), bird, fish, snake, bug (butterfly / beetle).

All face +x with the ground at y = 0 (up is -y). A genus picks defaults (a giraffe is a quadruped with a long neck
and long legs and a spotted texture); leaves perturb them, so a sheep and a goat share legs, ears and body statistics.
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
    rotation,
)
from oquab_lib.data.synth.plan_registry import Params, kind_of, register

NEG = -9.0  # lower bound of signed parameters (angles)

QUADRUPED = dict(
    body_len=(1.0, 0.12), body_h=(0.42, 0.06), leg_len=(0.42, 0.08), leg_w=(0.1, 0.02), stride=(0.25, 0.1),
    neck_len=(0.28, 0.07), neck_ang=(0.8, 0.2, NEG), neck_w=(0.16, 0.03), head_len=(0.3, 0.05), head_h=(0.18, 0.03),
    snout=(0.1, 0.04), ear=(0.1, 0.03), ear_kind=(0, 0), horn=(0.0, 0.05), horn_kind=(0, 0),
    tail_len=(0.32, 0.08), tail_ang=(0.5, 0.25, NEG), tail_w=(0.05, 0.02), hump=(0.0, 0.03), trunk=(0.0, 0.05),
    mane=(0.0, 0.0), belly=(0.0, 0.3), head_down=(0.0, 0.12, NEG), hoof=(0.0, 0.0),
)


def _quad_legs(s: Shape, p: Params, joints, body_y: float, role: int) -> None:
    leg = max(p.leg_len, 0.05)
    for x, swing in joints:
        top = body_y + 0.15 * p.body_h
        foot_x = x + swing * (leg + 0.3 * p.body_h)
        s.limb(x, top, foot_x, -p.leg_w * 0.4, p.leg_w * 1.5, p.leg_w * 0.8, role, tex=role == PRIMARY)
        s.ellipse(foot_x + 0.02, -p.leg_w * 0.3, p.leg_w * 0.6, p.leg_w * 0.35,
                  DARK if p.hoof > 0.5 else role, n=8)


def _quad_head(s: Shape, p: Params, nx: float, ny: float) -> None:
    down = p.head_down
    rot = rotation(down)
    hl, hh = max(p.head_len, 0.08), max(p.head_h, 0.06)
    hc = np.array([nx, ny]) + rot @ (hl * 0.3, 0.0)
    at = lambda dx, dy: hc + rot @ (dx, dy)  # noqa: E731 - a point in head coordinates
    ear = max(p.ear, 0.02)
    kind = int(round(p.ear_kind))
    if kind == 1:  # floppy: hangs behind the eye, drawn before the head so the head overlaps it
        e = at(-hl * 0.15, hh * 0.05)
        s.ellipse(e[0], e[1] + ear * 0.4, ear * 0.45, ear * 1.1, SHADE, angle=down + 0.2, n=12)
    s.ellipse(hc[0], hc[1], hl / 2, hh / 2, PRIMARY, angle=down, tex=True)
    tip = at(hl * 0.45 + p.snout * 0.5, hh * 0.12)
    s.ellipse(tip[0], tip[1], max(p.snout, 0.02) * 0.8 + 0.03, hh * 0.33, PRIMARY, angle=down, n=12)
    nose = at(hl * 0.45 + p.snout * 1.1, hh * 0.02)
    s.ellipse(nose[0], nose[1], 0.025, 0.022, DARK, n=8)
    eye = at(hl * 0.12, -hh * 0.18)
    s.ellipse(eye[0], eye[1], 0.022, 0.022, DARK, n=8)
    if kind == 0:
        b0, b1, t = at(-hl * 0.3, -hh * 0.35), at(-hl * 0.05, -hh * 0.45), at(-hl * 0.2, -hh * 0.5 - ear * 1.4)
        s.poly([b0, t, b1], PRIMARY)
    elif kind == 2:
        e = at(-hl * 0.2, -hh * 0.5)
        s.ellipse(e[0], e[1], ear * 0.6, ear * 0.6, SHADE, n=8)
    _quad_horns(s, p, at, hh)
    if p.trunk > 0.05:
        root = at(hl * 0.5 + p.snout, hh * 0.1)
        s.limb(root[0], root[1], root[0] + 0.08, root[1] + p.trunk, 0.12, 0.06, PRIMARY)


def _quad_horns(s: Shape, p: Params, at, hh: float) -> None:
    horn, kind = p.horn, int(round(p.horn_kind))
    if horn < 0.03 or kind == 0:
        return
    root = at(-0.02, -hh * 0.45)
    if kind == 1:  # curved (cattle, ram)
        pts = [root, root + (-horn * 0.4, -horn * 0.6), root + (-horn * 1.0, -horn * 0.5), root + (-horn * 1.1, 0.0)]
        s.line(pts, SECONDARY, 0.05)
    elif kind == 2:  # straight (goat, antelope)
        s.line([root, root + (-horn * 0.5, -horn * 1.4)], SECONDARY, 0.04)
    else:  # antlers (deer)
        top = root + (-horn * 0.3, -horn * 1.3)
        s.line([root, top], DARK, 0.035)
        for f in (0.35, 0.65, 0.95):
            base = root + (top - root) * f
            s.line([base, base + (horn * 0.35, -horn * 0.3)], DARK, 0.03)


@register("quadruped", QUADRUPED)
def quadruped(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    s = Shape()
    L, H = max(p.body_len, 0.3), max(p.body_h, 0.12)
    body_y = -(max(p.leg_len, 0.05) + H / 2)
    swing = rng.uniform(-1, 1) * p.stride
    hip, shoulder = -0.34 * L, 0.34 * L
    _quad_legs(s, p, [(hip - 0.04, swing), (shoulder - 0.04, -swing)], body_y, SHADE)
    t0 = np.array([-0.47 * L, body_y - 0.25 * H])
    a, tl = p.tail_ang, max(p.tail_len, 0.02)
    s.limb(t0[0], t0[1], t0[0] - tl * math.cos(a), t0[1] - tl * math.sin(a), p.tail_w * 1.6, p.tail_w, PRIMARY, True)
    if p.hump > 0.03:
        s.ellipse(-0.05 * L, body_y - H * 0.4, 0.22 * L, p.hump + H * 0.2, PRIMARY, tex=True)
    s.ellipse(0.0, body_y, L / 2, H / 2, PRIMARY, tex=True, n=24)
    if p.belly > 0.3:
        s.ellipse(0.02 * L, body_y + H * 0.22, L * 0.33, H * 0.2, SECONDARY)
    n0 = np.array([0.36 * L, body_y - 0.2 * H])
    nl, na = max(p.neck_len, 0.03), p.neck_ang
    n1 = n0 + nl * np.array([math.cos(na), -math.sin(na)])
    s.limb(n0[0], n0[1], n1[0], n1[1], p.neck_w * 1.5, p.neck_w, PRIMARY, tex=True)
    if p.mane > 0.5:
        s.line([n0 + (-0.02, -p.neck_w * 0.7), n1 + (-0.04, -p.neck_w * 0.5)], DARK, p.neck_w * 0.45)
    _quad_head(s, p, n1[0], n1[1])
    _quad_legs(s, p, [(hip + 0.04, -swing * 0.6), (shoulder + 0.04, swing * 0.6)], body_y, PRIMARY)
    s.anchor("seat", 0.0, body_y - H / 2).anchor("neck", n1[0], n1[1]).anchor("top", 0.0, body_y - H / 2)
    return s


BIRD = dict(
    body_len=(0.6, 0.1), body_h=(0.34, 0.06), tilt=(0.3, 0.15, NEG), head_r=(0.14, 0.025), neck_len=(0.05, 0.05),
    neck_ang=(1.1, 0.2, NEG), beak_len=(0.14, 0.05), beak_w=(0.06, 0.015), beak_down=(0.15, 0.12, NEG),
    leg_len=(0.25, 0.06), tail_len=(0.28, 0.08), tail_w=(0.1, 0.03), tail_ang=(0.3, 0.2, NEG), wing_len=(0.42, 0.08),
    crest=(0.0, 0.04), flight=(0.15, 0.0),
)


@register("bird", BIRD)
def bird(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    s = Shape()
    flying = ctx.get("flying", rng.random() < p.flight)
    L, H = max(p.body_len, 0.2), max(p.body_h, 0.1)
    tilt = 0.05 if flying else p.tilt
    rot = rotation(-tilt)
    c = np.array([0.0, -(0.0 if flying else max(p.leg_len, 0.03)) - H / 2])
    at = lambda dx, dy: c + rot @ (dx, dy)  # noqa: E731 - a point in body coordinates
    if not flying:
        for dx in (-0.06, 0.06):
            hip = at(dx, H * 0.3)
            s.line([hip, (hip[0] + 0.02, 0.0), (hip[0] + 0.09, 0.0)], DARK, 0.025)
    t0, ta, tl = at(-L * 0.42, 0.0), tilt + p.tail_ang, max(p.tail_len, 0.05)
    tip = t0 + tl * np.array([-math.cos(ta), math.sin(ta)])
    side = np.array([math.sin(ta), math.cos(ta)]) * p.tail_w
    s.poly([t0 + side * 0.3, tip + side, tip - side, t0 - side * 0.3], SHADE)
    if flying:
        w0 = at(-L * 0.1, -H * 0.2)
        s.poly([w0, w0 + (-p.wing_len * 0.5, -p.wing_len * 1.4), w0 + (L * 0.25, -H * 0.1)], SHADE, tex=True)
    s.ellipse(c[0], c[1], L / 2, H / 2, PRIMARY, angle=-tilt, tex=True, n=24)
    if not flying:
        s.ellipse(*at(-L * 0.05, -H * 0.05), p.wing_len / 2, H * 0.32, SECONDARY, angle=-tilt - 0.1, tex=True)
    n0 = at(L * 0.38, -H * 0.15)
    hc = n0 + max(p.neck_len, 0.0) * np.array([math.cos(p.neck_ang), -math.sin(p.neck_ang)]) + (0.0, -p.head_r * 0.5)
    if p.neck_len > 0.08:
        s.limb(n0[0], n0[1], hc[0], hc[1], H * 0.45, p.head_r * 1.2, PRIMARY, tex=True)
    r = max(p.head_r, 0.05)
    if p.crest > 0.03:
        s.poly([hc + (-r * 0.6, -r * 0.5), hc + (-r * 0.6 - p.crest, -r - p.crest * 1.5), hc + (r * 0.1, -r * 0.9)],
               ACCENT)
    s.ellipse(hc[0], hc[1], r, r, PRIMARY, n=16)
    bd, bl = p.beak_down, max(p.beak_len, 0.03)
    b0 = hc + (r * 0.85, 0.0)
    s.poly([b0 + (0, -p.beak_w / 2), b0 + bl * np.array([math.cos(bd), math.sin(bd)]), b0 + (0, p.beak_w / 2)], ACCENT)
    s.ellipse(hc[0] + r * 0.35, hc[1] - r * 0.2, r * 0.18, r * 0.18, DARK, n=8)
    if flying:
        w0 = at(L * 0.05, -H * 0.1)
        s.poly([w0, w0 + (-p.wing_len * 0.3, -p.wing_len * 1.5), w0 + (-L * 0.35, 0.0)], SECONDARY, tex=True)
    return s.anchor("top", c[0], c[1] - H / 2)


FISH = dict(
    body_len=(1.0, 0.15), body_h=(0.4, 0.08), tail=(0.3, 0.08), fork=(0.5, 0.2), dorsal=(0.18, 0.06),
    dorsal_len=(0.35, 0.1), pectoral=(0.12, 0.04), eye=(0.04, 0.01), snout=(0.0, 0.08, NEG),
)


@register("fish", FISH)
def fish(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    s = Shape()
    L, H = max(p.body_len, 0.3), max(p.body_h, 0.1)
    cy = -H / 2 - 0.05
    tx = -L / 2 + 0.04
    t = max(p.tail, 0.05)
    s.poly([(tx + 0.05, cy), (tx - t, cy - t * 1.1), (tx - t * (1 - p.fork * 0.6), cy), (tx - t, cy + t * 1.1)], SHADE)
    d0 = -p.dorsal_len / 2
    s.poly([(d0, cy - H * 0.4), (d0 + p.dorsal_len * 0.3, cy - H / 2 - p.dorsal), (d0 + p.dorsal_len, cy - H * 0.4)],
           SECONDARY)
    s.poly([(-L / 2, cy), (-L * 0.1, cy - H / 2), (L * 0.3, cy - H * 0.42), (L / 2, cy + p.snout * 0.2),
            (L * 0.3, cy + H * 0.42), (-L * 0.1, cy + H / 2)], PRIMARY, tex=True)
    s.line([(L * 0.22, cy - H * 0.3), (L * 0.18, cy + H * 0.3)], SHADE, 0.02)
    s.poly([(L * 0.12, cy + H * 0.1), (L * 0.02 - p.pectoral, cy + H * 0.15 + p.pectoral), (L * 0.05, cy + H * 0.2)],
           SECONDARY)
    e = max(p.eye, 0.015)
    s.ellipse(L * 0.36, cy - H * 0.1, e, e, DARK, n=8)
    return s


SNAKE = dict(length=(2.0, 0.3), width=(0.12, 0.03), waves=(1.5, 0.4), amp=(0.25, 0.08), head=(0.1, 0.02))


@register("snake", SNAKE)
def snake(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    s = Shape()
    L, w = max(p.length, 0.5), max(p.width, 0.03)
    x = np.linspace(-L / 2, L / 2, 14)
    phase = rng.uniform(0, 6.3)
    y = -p.amp * np.sin(2 * np.pi * max(p.waves, 0.3) * (x / L) + phase) - p.amp - w
    s.line(np.stack([x, y], 1), PRIMARY, w, tex=True)
    hx, hy = x[-1] + p.head * 0.6, y[-1]
    s.line([(hx + p.head * 0.7, hy), (hx + p.head * 1.5, hy + 0.02)], ACCENT, 0.015)
    s.ellipse(hx, hy, p.head * 1.1, max(p.head, 0.03) * 0.75, PRIMARY, tex=True, n=12)
    s.ellipse(hx + p.head * 0.3, hy - p.head * 0.3, 0.02, 0.02, DARK, n=8)
    return s


BUG = dict(
    kind=(0, 0), wing=(0.5, 0.1), wing_ratio=(0.7, 0.12), body=(0.6, 0.1), body_w=(0.12, 0.03),
    antenna=(0.3, 0.08), leg=(0.25, 0.06), pronotum=(0.4, 0.1),
)


@register("bug", BUG)
def bug(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """Seen from above. kind 0: butterfly (four wings); kind 1: beetle (elytra, six legs)."""
    s = Shape()
    B, bw = max(p.body, 0.2), max(p.body_w, 0.04)
    if kind_of(p) == 0:
        w = max(p.wing, 0.1)
        for side in (-1, 1):
            s.ellipse(-w * 0.25, side * w * 0.55 * p.wing_ratio, w * 0.45 * p.wing_ratio, w * 0.5 * p.wing_ratio,
                      SECONDARY, angle=side * 0.5, tex=True)
            s.ellipse(w * 0.15, side * w * 0.6, w * 0.55, w * 0.6, PRIMARY, angle=-side * 0.4, tex=True)
        s.ellipse(0, 0, B / 2, bw / 2, DARK, n=12)
    else:
        for side in (-1, 1):
            for k, dx in enumerate((-0.15, 0.0, 0.15)):
                x0 = dx * B
                s.line([(x0, 0), (x0 + (k - 1) * 0.08, side * (bw + p.leg * 0.6)),
                        (x0 + (k - 1) * 0.16, side * (bw + p.leg))], DARK, 0.03)
        s.ellipse(-B * 0.1, 0, B * 0.4, bw * 1.6, PRIMARY, tex=True)
        s.line([(-B * 0.48, 0), (B * 0.28, 0)], DARK, 0.02)
        s.ellipse(B * 0.32, 0, B * 0.12 * (0.5 + p.pronotum), bw * 1.2, SHADE, n=12)
    hx = B * 0.5
    s.ellipse(hx, 0, bw * 0.6, bw * 0.6, DARK, n=8)
    for side in (-1, 1):
        s.line([(hx, 0), (hx + p.antenna * 0.7, side * p.antenna * 0.5)], DARK, 0.02)
    return s
