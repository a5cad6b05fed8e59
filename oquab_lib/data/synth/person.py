"""The person plan: a jointed figure whose leg pose and arm pose are named, so actions can be composed.

Colour roles: primary = shirt, shade = the far sleeve, secondary = trousers, dark = hair and shoes, accent = skin.
Angles are measured from "straight down", positive towards the way the figure faces (+x). The figure exposes anchors
(``hand_near``, ``hand_far``, ``face``, ``ear``, ``chest``, ``hip``, ``lap``, ``foot``) where actions attach props (a
phone at the ear, a camera at the face, a book in both hands) and where riders sit (``hip`` goes on a saddle).
"""

from __future__ import annotations

import math

import numpy as np

from oquab_lib.data.synth.geometry import ACCENT, DARK, PRIMARY, SECONDARY, SHADE, Shape
from oquab_lib.data.synth.plan_registry import Params, register

PERSON = dict(
    torso=(0.62, 0.05), head_r=(0.13, 0.012), upper_arm=(0.32, 0.025), forearm=(0.3, 0.025), thigh=(0.48, 0.035),
    shin=(0.47, 0.035), arm_w=(0.085, 0.012), leg_w=(0.11, 0.015), chest_w=(0.2, 0.03), hair=(0.5, 0.35),
    skirt=(0.0, 0.3), hat=(0.0, 0.3),
)

# leg poses: (lean, near hip, near knee, far hip, far knee, lift as a fraction of the figure's height)
LEG_POSES = {
    "stand": (0.0, 0.05, 0.0, -0.05, 0.0, 0.0),
    "walk": (0.05, 0.35, -0.1, -0.3, -0.3, 0.0),
    "run": (0.3, 0.95, -0.9, -0.55, -1.35, 0.04),
    "jump": (-0.05, 0.55, -0.9, -0.45, -0.7, 0.22),
    "sit": (-0.05, 1.5, -1.5, 1.4, -1.45, 0.0),
    "ride_bike": (0.35, 1.15, -1.45, 0.7, -0.9, 0.0),
    "ride_horse": (0.05, 0.55, -0.35, 0.45, -0.3, 0.0),
}
# arm poses: (near shoulder, near elbow, far shoulder, far elbow, head tilt)
ARM_POSES = {
    "relaxed": (0.1, 0.1, -0.1, 0.15, 0.0),
    "walk": (-0.35, 0.3, 0.35, 0.3, 0.0),
    "run": (-0.8, 1.6, 0.9, 1.4, 0.0),
    "jump": (2.6, 0.2, -2.4, -0.2, -0.15),
    "phone": (0.3, 2.65, -0.1, 0.2, 0.1),
    "photo": (0.95, 1.9, 0.85, 2.0, 0.05),
    "read": (0.55, 1.25, 0.45, 1.3, 0.4),
    "guitar": (0.35, 1.0, 1.15, 0.35, 0.2),
    "horn": (0.9, 1.75, 0.8, 1.6, 0.0),
    "drum": (0.8, 0.6, 0.7, 0.7, 0.2),
    "computer": (1.0, 0.55, 0.9, 0.6, 0.25),
    "handle": (1.15, 0.25, 1.05, 0.3, 0.0),
    "reins": (0.85, 0.75, 0.8, 0.8, 0.0),
}


def _direction(angle: float) -> np.ndarray:
    return np.array([math.sin(angle), math.cos(angle)])


def _skeleton(p: Params, legs, arms, jitter) -> dict[str, np.ndarray]:
    lean, lh, lk, fh, fk, _ = legs
    na, ne, fa, fe, tilt = arms
    lean, lh, lk, fh, fk, na, ne, fa, fe, tilt = np.array([lean, lh, lk, fh, fk, na, ne, fa, fe, tilt]) + jitter
    j = {"hip": np.zeros(2)}
    up = np.array([math.sin(lean), -math.cos(lean)])
    j["neck"] = j["hip"] + up * max(p.torso, 0.3)
    j["shoulder"] = j["neck"] - up * 0.06
    j["head"] = j["neck"] + np.array([math.sin(lean + tilt * 0.5), -math.cos(lean + tilt * 0.5)]) * p.head_r * 1.25
    for side, a1, a2 in (("near", na, ne), ("far", fa, fe)):
        j[f"elbow_{side}"] = j["shoulder"] + _direction(a1 + lean * 0.5) * p.upper_arm
        j[f"hand_{side}"] = j[f"elbow_{side}"] + _direction(a1 + a2 + lean * 0.5) * p.forearm
    for side, h1, k1 in (("near", lh, lk), ("far", fh, fk)):
        j[f"knee_{side}"] = j["hip"] + _direction(h1) * p.thigh
        j[f"foot_{side}"] = j[f"knee_{side}"] + _direction(h1 + k1) * p.shin
    j["tilt"] = np.array([tilt, lean])
    return j


def _leg(s: Shape, p: Params, j, side: str, role: int) -> None:
    hip, knee, foot = j["hip"], j[f"knee_{side}"], j[f"foot_{side}"]
    s.limb(hip[0], hip[1], knee[0], knee[1], p.leg_w * 1.2, p.leg_w, role)
    s.limb(knee[0], knee[1], foot[0], foot[1], p.leg_w, p.leg_w * 0.8, role)
    s.ellipse(foot[0] + 0.05, foot[1], 0.08, 0.04, DARK, n=8)


def _arm(s: Shape, p: Params, j, side: str, role: int) -> None:
    sh, el, ha = j["shoulder"], j[f"elbow_{side}"], j[f"hand_{side}"]
    s.limb(sh[0], sh[1], el[0], el[1], p.arm_w * 1.2, p.arm_w, role)
    s.limb(el[0], el[1], ha[0], ha[1], p.arm_w, p.arm_w * 0.8, role)
    s.ellipse(ha[0], ha[1], p.arm_w * 0.6, p.arm_w * 0.6, ACCENT, n=8)


def _torso_and_head(s: Shape, p: Params, j) -> None:
    hip, neck, head = j["hip"], j["neck"], j["head"]
    s.limb(hip[0], hip[1], neck[0], neck[1], p.chest_w * 0.9, p.chest_w, PRIMARY, tex=True)
    if p.skirt > 0.5:
        s.poly([hip + (-0.08, -0.1), hip + (0.08, -0.1), hip + (0.2, 0.3), hip + (-0.2, 0.3)], SECONDARY)
    r = max(p.head_r, 0.06)
    tilt, lean = j["tilt"]
    s.ellipse(head[0], head[1], r * 0.85, r, ACCENT, angle=lean)
    if p.hair > 0.4:
        hair_dx = -r * 0.25 * math.cos(lean)
        s.poly([head + (hair_dx - r * 0.85, 0.0), head + (hair_dx - r * 0.6, -r * 0.9), head + (r * 0.5, -r * 1.05),
                head + (r * 0.8, -r * 0.4), head + (hair_dx - r * 0.7, r * (0.9 if p.hair > 0.8 else 0.3))], DARK)
    if p.hat > 0.6:
        s.rect(head[0] - r, head[1] - r * 0.75, head[0] + r * 1.2, head[1] - r * 0.6, SHADE)
        s.rect(head[0] - r * 0.7, head[1] - r * 1.4, head[0] + r * 0.7, head[1] - r * 0.7, SHADE)
    s.ellipse(head[0] + r * 0.45, head[1] - r * 0.1 + tilt * r * 0.3, r * 0.1, r * 0.1, DARK, n=8)


@register("person", PERSON)
def person(p: Params, rng: np.random.Generator, ctx: dict) -> Shape:
    """ctx: ``legs`` (a LEG_POSES name), ``arms`` (an ARM_POSES name), ``pose_jitter`` (radians, default 0.12).

    With no ctx, a random everyday pose (stand / walk / sit / run) is drawn.
    """
    legs_name = ctx.get("legs") or rng.choice(["stand", "stand", "walk", "walk", "sit", "run"])
    arms_name = ctx.get("arms") or {"walk": "walk", "run": "run"}.get(legs_name, "relaxed")
    legs, arms = LEG_POSES[legs_name], ARM_POSES[arms_name]
    jitter = rng.normal(0.0, ctx.get("pose_jitter", 0.12), size=10)
    j = _skeleton(p, legs, arms, jitter)
    s = Shape()
    _leg(s, p, j, "far", SECONDARY)
    _arm(s, p, j, "far", SHADE)
    _torso_and_head(s, p, j)
    _leg(s, p, j, "near", SECONDARY)
    _arm(s, p, j, "near", PRIMARY)
    ground = max(j["foot_near"][1], j["foot_far"][1]) + 0.04
    lift = legs[5] * 2.0
    shift = np.array([0.0, -ground - lift])
    if legs_name in ("sit", "ride_bike", "ride_horse"):
        shift = np.zeros(2)  # seated figures are placed by their hip anchor, not by their feet
    s.translate(shift)
    up = j["neck"] - j["hip"]
    anchors = {"hand_near": j["hand_near"], "hand_far": j["hand_far"], "hip": j["hip"],
               "face": j["head"] + (p.head_r * 1.1, 0.0), "ear": j["head"] + (0.0, 0.02),
               "chest": j["hip"] + up * 0.65 + (p.chest_w * 0.8, 0.0), "lap": j["knee_near"] + (0.0, -0.05),
               "foot": j["foot_near"], "top": j["head"] - (0.0, p.head_r)}
    for name, point in anchors.items():
        s.anchor(name, *(point + shift))  # anchors are added after the shift, so they take it explicitly
    return s
