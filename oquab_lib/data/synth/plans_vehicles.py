"""Vehicle body plans: wheeled (car, truck, bus, train, tram), two-wheeler (bicycle, motorcycle), aircraft, boat.

Side views facing +x, ground at y = 0. Cars, vans and buses share one plan (a lower body, a cabin with a row of windows,
wheels), so a bus is "a long car with many windows" -- the kind of sharing that makes features transfer.
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
    ellipse_points,
)
from oquab_lib.data.synth.plan_registry import Params, kind_of, register

NEG = -9.0

WHEELED = dict(
    kind=(0, 0), length=(2.2, 0.25), body_h=(0.42, 0.07), cab_h=(0.36, 0.06), cab_x0=(-0.5, 0.12, NEG),
    cab_x1=(0.35, 0.12, NEG), slope_f=(0.35, 0.12), slope_b=(0.25, 0.1), windows=(2, 0.5), wheel_r=(0.2, 0.035),
    axle=(0.68, 0.06), clearance=(0.1, 0.03), nose=(0.12, 0.05), stripe=(0.0, 0.4), cargo_h=(0.5, 0.1),
)


def _wheels(s: Shape, xs, r: float) -> None:
    for x in xs:
        s.ellipse(x, -r, r, r, DARK, n=16)
        s.ellipse(x, -r, r * 0.45, r * 0.45, SECONDARY, n=12)


def _window_row(s: Shape, x0: float, x1: float, y0: float, y1: float, count: int, slope_b: float = 0.0,
                slope_f: float = 0.0) -> None:
    count = max(1, count)
    gap = 0.05 * (x1 - x0) / count + 0.02
    edges = np.linspace(x0, x1, count + 1)
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        a, b = a + gap / 2, b - gap / 2
        h = y0 - y1
        tl = a + (slope_b * h if i == 0 else 0.0)
        tr = b - (slope_f * h if i == count - 1 else 0.0)
        s.poly([(a, y0), (b, y0), (tr, y1), (tl, y1)], ACCENT)


@register("wheeled", WHEELED)
def wheeled(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """kind 0 car, 1 van, 2 truck, 3 bus, 4 train / tram car."""
    s, kind = Shape(), kind_of(p)
    L, r = max(p.length, 0.8), max(p.wheel_r, 0.06)
    half, low = L / 2, -max(p.clearance, 0.02) - r * 0.6
    top = low - max(p.body_h, 0.15)
    nose = max(p.nose, 0.0)
    if kind == 2:  # truck: a cargo box behind the cab
        cargo_top = top - max(p.cargo_h, 0.2) - max(p.cab_h, 0.1)
        s.rect(-half, cargo_top, p.cab_x0 - 0.04, low, SECONDARY, tex=True)
    s.poly([(-half, low), (half, low), (half, top + nose), (half - nose * 1.5, top), (-half, top)], PRIMARY, tex=True)
    x0, x1 = (-half + 0.05, half - 0.05) if kind in (3, 4) else (p.cab_x0, p.cab_x1)
    x1 = max(x1, x0 + 0.2)
    ch = max(p.cab_h, 0.1)
    sb, sf = (0.05, 0.12) if kind in (3, 4) else (p.slope_b, p.slope_f)
    s.poly([(x0, top), (x1, top), (x1 - sf * ch, top - ch), (x0 + sb * ch, top - ch)], PRIMARY, tex=True)
    n = max(1, int(round(p.windows)))
    _window_row(s, x0 + 0.04, x1 - 0.04, top - 0.03, top - ch + 0.05, n, sb, sf)
    if p.stripe > 0.5:
        s.rect(-half, low - 0.35 * (low - top) - 0.03, half, low - 0.35 * (low - top) + 0.03, SECONDARY)
    s.rect(half - 0.06, top + 0.05 + nose, half, top + 0.13 + nose, ACCENT)
    s.rect(-half, top + 0.06, -half + 0.05, top + 0.13, DARK)
    if kind in (3, 4):
        s.rect(x1 - 0.35, top + 0.02, x1 - 0.2, low - 0.02, SHADE)  # a door
    if kind == 4:
        xs = [-half + 0.3, -half + 0.3 + 2.2 * r, half - 0.3 - 2.2 * r, half - 0.3]
        s.line([(-0.2, top - ch), (0.0, top - ch - 0.25), (0.2, top - ch)], DARK, 0.03)
    else:
        ax = max(p.axle, 0.3) * half
        xs = [-ax, ax] if kind in (0, 1) else [-ax, -ax + 2.3 * r, ax]
    _wheels(s, xs, r)
    return s.anchor("top", 0.0, top - ch)


TWOWHEELER = dict(
    motor=(0, 0), wheel_r=(0.32, 0.04), base=(1.05, 0.1), frame_h=(0.45, 0.06), tube=(0.045, 0.012),
    tyre=(0.05, 0.015), saddle=(0.15, 0.06), bar=(0.22, 0.06), engine=(0.3, 0.07), tank=(0.22, 0.05),
    fairing=(0.0, 0.15), step=(0.0, 0.0),
)


@register("twowheeler", TWOWHEELER)
def twowheeler(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """motor 0: bicycle (thin tubes, spokes); motor 1: motorcycle (engine block, tank, fairing, thick tyres)."""
    s = Shape()
    r, b = max(p.wheel_r, 0.12), max(p.base, 0.5)
    motor = p.motor > 0.5
    rear, front = np.array([-b / 2, -r]), np.array([b / 2, -r])
    bb = np.array([-0.05, -r * 0.85])
    seat = np.array([-b * 0.2, -r - max(p.frame_h, 0.2) - p.saddle])
    head = np.array([b * 0.33, -r - max(p.frame_h, 0.2) - p.bar * 0.3])
    tyre = max(p.tyre, 0.02) * (2.2 if motor else 1.0)
    for c in (rear, front):
        ring = ellipse_points(c[0], c[1], r - tyre / 2, r - tyre / 2, n=24)
        s.line(np.vstack([ring, ring[:1]]), DARK, tyre)
        if not motor:
            for a in (0.0, 1.05, 2.1):
                d = (r - tyre) * np.array([math.cos(a), math.sin(a)])
                s.line([c - d, c + d], SECONDARY, 0.012)
        s.ellipse(c[0], c[1], r * (0.3 if motor else 0.08), r * (0.3 if motor else 0.08), SECONDARY, n=12)
    t = max(p.tube, 0.015) * (1.6 if motor else 1.0)
    s.line([rear, seat + (0.02, 0.12), bb, rear], PRIMARY, t)
    top_from = seat + (0.02, 0.12) if p.step < 0.5 else bb + (0.05, -0.1)
    s.line([top_from, head + (0, 0.08), bb], PRIMARY, t)
    s.line([head, front], SHADE, t)
    if motor:
        s.poly([bb + (-0.2 - p.engine * 0.3, -0.05), bb + (0.15 + p.engine * 0.3, -0.05),
                bb + (0.1 + p.engine * 0.2, 0.12), bb + (-0.15, 0.14)], DARK)
        s.line([bb + (-0.1, 0.1), rear + (-0.05, 0.05)], SECONDARY, 0.05)
        tank = (seat + head) / 2 + (0.0, 0.02)
        s.ellipse(tank[0], tank[1], p.tank + 0.05, p.tank * 0.45 + 0.03, PRIMARY, tex=True)
        if p.fairing > 0.05:
            s.poly([head + (-0.05, -0.05), head + (0.12 + p.fairing * 0.3, 0.08), head + (0.0, 0.22 + p.fairing)],
                   PRIMARY, tex=True)
    s.poly([seat + (-0.1 - 0.1 * motor, 0.0), seat + (0.08 + 0.12 * motor, 0.0), seat + (0.05, 0.05),
            seat + (-0.1, 0.05)], DARK)
    bar = head + (-0.1, -p.bar * 0.7)
    s.line([head, bar, bar + (-0.1, 0.0)], DARK, 0.03)
    return s.anchor("seat", *(seat + (0.0, -0.02))).anchor("handle", *(bar + (-0.08, 0.0))).anchor(
        "pedal", *(bb + (0.0, 0.05))).anchor("top", *head)


AIRCRAFT = dict(
    length=(2.4, 0.25), thick=(0.26, 0.04), nose=(0.3, 0.08), fin_h=(0.45, 0.08), fin_len=(0.4, 0.08),
    fin_sweep=(0.25, 0.08), wing_span=(0.9, 0.15), wing_chord=(0.32, 0.06), wing_sweep=(0.35, 0.1),
    wing_x=(0.05, 0.12, NEG), engines=(1, 0.4), windows=(10, 2.5), stab=(0.28, 0.06),
)


@register("aircraft", AIRCRAFT)
def aircraft(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    s = Shape()
    L, T = max(p.length, 0.8), max(p.thick, 0.08)
    half = L / 2
    cy = -T
    wx, span, chord, sweep = p.wing_x, max(p.wing_span, 0.2), max(p.wing_chord, 0.08), p.wing_sweep
    s.poly([(wx, cy - T * 0.2), (wx + chord, cy - T * 0.2), (wx - sweep * span * 0.5 + chord * 0.6, cy - span * 0.35),
            (wx - sweep * span * 0.5, cy - span * 0.35)], SHADE)
    fin_x = -half + 0.05
    s.poly([(fin_x + p.fin_len, cy - T * 0.4), (fin_x + p.fin_sweep, cy - T * 0.4 - p.fin_h),
            (fin_x + p.fin_sweep - 0.12, cy - T * 0.4 - p.fin_h), (fin_x, cy - T * 0.3)], SECONDARY)
    nose = max(p.nose, 0.05)
    body = np.vstack([ellipse_points(half - nose, cy, nose, T / 2, n=16)[[12, 13, 14, 15, 0, 1, 2, 3, 4]],
                      [(-half + 0.15, cy + T * 0.3), (-half, cy - T * 0.35), (-half + 0.2, cy - T / 2)]])
    s.poly(body, PRIMARY, tex=True)
    n = int(np.clip(round(p.windows), 3, 24))
    for x in np.linspace(-half + 0.4, half - nose - 0.15, n):
        s.ellipse(x, cy - T * 0.12, 0.025, 0.03, ACCENT, n=8)
    s.poly([(half - nose * 0.8, cy - T * 0.3), (half - nose * 0.25, cy - T * 0.3), (half - nose * 0.6, cy - T * 0.05)],
           DARK)
    s.poly([(-half + 0.05, cy - T * 0.1), (-half + 0.1 + p.stab, cy), (-half + 0.05 + p.stab * 0.3, cy + p.stab * 0.5)],
           SHADE)
    s.poly([(wx, cy + T * 0.15), (wx + chord, cy + T * 0.15), (wx - sweep * span + chord * 0.5, cy + span),
            (wx - sweep * span, cy + span)], PRIMARY)
    for k in range(int(np.clip(round(p.engines), 0, 2))):
        ex = wx + chord * 0.3 - sweep * span * (0.35 + 0.35 * k)
        ey = cy + span * (0.35 + 0.35 * k) + 0.02
        s.ellipse(ex, ey + 0.05, 0.14, 0.055, SECONDARY, n=12)
    return s


BOAT = dict(
    kind=(0, 0), length=(2.0, 0.25), hull_h=(0.32, 0.06), bow=(0.35, 0.1), stern=(0.08, 0.04),
    cabin_x=(-0.3, 0.15, NEG),
    cabin_len=(0.6, 0.15), cabin_h=(0.24, 0.06), mast_h=(1.4, 0.25), sail_w=(0.8, 0.15), funnel=(0.3, 0.08),
    portholes=(4, 1.2), stripe=(0.5, 0.4),
)


@register("boat", BOAT)
def boat(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """kind 0 motorboat, 1 sailboat, 2 ship (decks and a funnel)."""
    s, kind = Shape(), kind_of(p)
    L, H = max(p.length, 0.6), max(p.hull_h, 0.08)
    half = L / 2
    deck = -H
    cx, cl, chh = p.cabin_x, max(p.cabin_len, 0.15), max(p.cabin_h, 0.06)
    if kind == 1:
        m = max(p.mast_h, 0.4)
        s.line([(cx + cl * 0.4, deck), (cx + cl * 0.4, deck - m)], DARK, 0.03)
        s.poly([(cx + cl * 0.4 - 0.03, deck - m), (cx + cl * 0.4 - 0.03, deck - 0.1),
                (cx + cl * 0.4 - 0.03 - p.sail_w, deck - 0.1)], SECONDARY, tex=True)
        s.poly([(cx + cl * 0.4 + 0.03, deck - m * 0.9), (cx + cl * 0.4 + 0.03, deck - 0.1),
                (cx + cl * 0.4 + 0.03 + p.sail_w * 0.6, deck - 0.1)], SECONDARY)
    levels = 2 if kind == 2 else 1
    for lvl in range(levels):
        x0, x1 = cx + 0.12 * lvl, cx + cl - 0.15 * lvl
        y0 = deck - chh * lvl
        s.rect(x0, y0 - chh, x1, y0, SECONDARY if lvl == 0 else PRIMARY)
        _portholes(s, x0, x1, y0 - chh * 0.55, int(round(p.portholes)))
    if kind == 2:
        fx = cx + cl * 0.5
        s.rect(fx - 0.08, deck - chh * 2 - max(p.funnel, 0.1), fx + 0.08, deck - chh * 2, DARK)
    s.poly([(-half, deck), (half + p.bow, deck - 0.05), (half - p.bow * 0.2, 0.0),
            (-half + p.stern, 0.0)], PRIMARY, tex=True)
    if p.stripe > 0.5:
        s.line([(-half + p.stern * 0.5, -H * 0.35), (half - p.bow * 0.05, -H * 0.35)], SHADE, 0.05)
    return s.anchor("top", cx + cl / 2, deck - chh).anchor("seat", cx + cl / 2, deck)


def _portholes(s: Shape, x0: float, x1: float, y: float, count: int) -> None:
    for x in np.linspace(x0 + 0.08, x1 - 0.08, int(np.clip(count, 1, 10))):
        s.ellipse(x, y, 0.035, 0.035, ACCENT, n=8)
