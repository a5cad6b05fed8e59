"""Object-centric source images (the ImageNet analog): one instance filling most of the frame, on clutter."""

from __future__ import annotations

import numpy as np
from PIL import Image

from oquab_lib.data.synth.backgrounds import source_backdrop
from oquab_lib.data.synth.geometry import pose_matrix, shape_bounds
from oquab_lib.data.synth.species import (
    Leaf,
    draw_instance,
    photometric,
    random_pose,
    sample_instance,
)

UPRIGHT_PLANS = frozenset({"quadruped", "person", "wheeled", "twowheeler", "seat", "boxfurn", "container", "device",
                           "plant", "pole", "bag", "boat"})


def place_in_box(inst, pose: dict, target: float, centre, by: str = "box"):
    """Linear map and offset that put the instance's box centre at ``centre``, its larger box side (``by="box"``)
    or its reference extent (``by="extent"``) spanning ``target`` pixels."""
    base = pose_matrix(1.0, pose["angle"], pose["flip"], pose["shear"], pose["squash"])
    x0, y0, x1, y1 = shape_bounds(inst.shape, base)  # bounds scale with the map, so one computation serves
    scale = target / max(x1 - x0, y1 - y0, 1e-6) if by == "box" else target / inst.extent
    offset = np.asarray(centre, dtype=float) - (scale * (x0 + x1) / 2, scale * (y0 + y1) / 2)
    return base * scale, offset


def render_source_image(leaf: Leaf, distractors: list[Leaf], rng: np.random.Generator, size: int,
                        supersample: int, knobs: dict) -> Image.Image:
    """One ``size`` x ``size`` RGB image of ``leaf``; with probability ``distractor_prob`` a partial object of
    another genus sits in the background (ImageNet photos are rarely clean)."""
    side = size * supersample
    image = source_backdrop(side, rng, knobs["clutter"])
    if distractors and rng.random() < knobs["distractor_prob"]:
        other = distractors[int(rng.integers(len(distractors)))]
        if other.genus != leaf.genus:
            inst = sample_instance(other, rng, knobs)
            pose = random_pose(rng, knobs, other.plan in UPRIGHT_PLANS)
            edge = rng.choice([-0.05, 1.05], size=2) * side * rng.uniform(0.4, 1.0, size=2) + side * 0.2
            linear, offset = place_in_box(inst, pose, side * rng.uniform(0.35, 0.7), edge)
            draw_instance(image, inst, linear, offset, rng)
    inst = sample_instance(leaf, rng, knobs)
    pose = random_pose(rng, knobs, leaf.plan in UPRIGHT_PLANS)
    fill = rng.uniform(knobs["fill_min"], 1.0)
    centre = side / 2 + rng.normal(0.0, 0.06 * side, size=2)
    linear, offset = place_in_box(inst, pose, side * fill, centre)
    draw_instance(image, inst, linear, offset, rng)
    if supersample > 1:
        image = image.reduce(supersample)
    return photometric(image, rng, knobs["noise"])
