"""Action images (the VOC2012 Action analog): people whose pose and held or nearby object determine the action.

jumping: limbs spread and raised, feet off the ground; phoning: hand at the head with a small phone; playinginstrument:
a guitar across the body, a horn at the mouth or a drum in front; reading: a book in both hands, head down;
ridingbike / ridinghorse: seated on a bicycle / horse; running: long stride, bent arms, forward lean; takingphoto:
both hands at the face with a camera; usingcomputer: seated at a table with a laptop under the hands; walking: a
moderate stride. Some people do two things at once (walking while phoning, riding a horse while taking a photo,
...); a few do none of the ten ("other": standing or sitting still). Legs come from one action, arms from another.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from oquab_lib.data.classes import VOC_ACTIONS
from oquab_lib.data.synth.backgrounds import context_background
from oquab_lib.data.synth.scenes import ObjectRecord, Placed, SceneBuilder, scene_size
from oquab_lib.data.synth.source import place_in_box
from oquab_lib.data.synth.taxonomy import Taxonomy

LEGS = {"jumping": "jump", "running": "run", "walking": "walk", "ridingbike": "ride_bike", "ridinghorse": "ride_horse",
        "usingcomputer": "sit"}
ARMS = {"jumping": "jump", "running": "run", "walking": "walk", "phoning": "phone", "takingphoto": "photo",
        "reading": "read", "usingcomputer": "computer"}
COMBOS = (("walking", "phoning"), ("walking", "takingphoto"), ("walking", "reading"), ("ridingbike", "phoning"),
          ("ridinghorse", "takingphoto"), ("usingcomputer", "phoning"))
CONTEXT = {"ridinghorse": "grass", "ridingbike": "road", "usingcomputer": "indoor", "jumping": "grass",
           "running": "road", "walking": "road"}
PROPS = {"phoning": ("cell phone", "ear", 0.0), "takingphoto": ("camera", "face", 0.0),
         "reading": ("book", "chest", 0.5)}
MULTI_ACTION_PROB, OTHER_PROB = 0.1, 0.05


def persons_in_image(rng: np.random.Generator) -> int:
    """The first draw of an action image's generator: how many annotated people it holds (1-3)."""
    return int(rng.choice([1, 2, 3], p=[0.65, 0.27, 0.08]))


def choose_actions(rng: np.random.Generator) -> tuple[str, ...]:
    u = rng.random()
    if u < OTHER_PROB:
        return ()
    if u < OTHER_PROB + MULTI_ACTION_PROB:
        return COMBOS[int(rng.integers(len(COMBOS)))]
    return (VOC_ACTIONS[int(rng.integers(len(VOC_ACTIONS)))],)


def _pose_names(actions: tuple[str, ...], rng: np.random.Generator) -> tuple[str, str]:
    legs = next((LEGS[a] for a in actions if a in LEGS), None)
    legs = legs or str(rng.choice(["stand", "stand", "sit"] if actions else ["stand", "sit"]))
    arm_actions = [a for a in actions if a in ARMS and a not in LEGS] or [a for a in actions if a in ARMS]
    arms = ARMS[arm_actions[0]] if arm_actions else {"ride_bike": "handle", "ride_horse": "reins"}.get(legs, "relaxed")
    return legs, arms


def _add_prop(b: SceneBuilder, person: Placed, concept: str, anchor: str, lift: float, scale: float = 1.0) -> None:
    inst = b.instance(concept)
    ppm = person.attrs["ppm"]
    point = person.anchor(anchor) + (0.0, -lift * inst.leaf.size * ppm)
    pose = {"flip": person.flip, "angle": 0.0, "shear": 0.0, "squash": 1.0}
    linear, offset = place_in_box(inst, pose, inst.leaf.size * ppm * scale, point, by="extent")
    b.placed.append(Placed(inst, concept, linear, offset, person.depth - 2e-3, person.flip, {"ppm": ppm}))


def _instrument(b: SceneBuilder, person: Placed) -> None:
    concept = str(b.rng.choice([c for c in ("guitar", "horn", "drum") if b.tax.concept_leaves.get(c)]))
    if concept == "drum":
        x0, _, x1, _ = person.bounds()
        b.add(b.instance("drum"), "drum", person.depth - 2e-3, x=float(x1 if not person.flip else x0))
    else:
        _add_prop(b, person, concept, "face" if concept == "horn" else "chest", 0.0, 0.8)


def add_person(b: SceneBuilder, actions: tuple[str, ...], z: float, x: float) -> Placed:
    """Place one person doing ``actions`` (with mount, seat, table and props as the actions need)."""
    legs, arms = _pose_names(actions, b.rng)
    if legs in ("ride_bike", "ride_horse"):
        mount_concept = "bicycle" if legs == "ride_bike" else "horse"
        mount = b.add(b.instance(mount_concept), mount_concept, z, x=x)
        person = b.add_rider(mount, arms)
    elif legs == "sit":
        chair = b.add(b.instance("chair"), "chair", z, x=x)
        inst = b.instance("person", {"legs": "sit", "arms": arms})
        person = b.attach(inst, "person", chair, "hip", chair.anchor("seat"), inst.leaf.size * chair.attrs["ppm"])
    else:
        person = b.add(b.instance("person", {"legs": legs, "arms": arms}), "person", z, x=x)
    if "usingcomputer" in actions:
        hand = person.anchor("hand_near")
        table = b.add(b.instance("table"), "table", person.depth - 1e-3, x=float(hand[0]))
        laptop = b.instance("laptop")
        b.attach(laptop, "laptop", table, None, np.array([hand[0], table.anchor("top")[1]]),
                 laptop.leaf.size * table.attrs["ppm"])
    for action in actions:
        if action in PROPS:
            concept, anchor, lift = PROPS[action]
            _add_prop(b, person, concept, anchor, lift)
        elif action == "playinginstrument":
            _instrument(b, person)
    person.attrs["actions"] = tuple(actions)
    return person


def compose_action_image(tax: Taxonomy, rng: np.random.Generator, cfg, knobs: dict
                         ) -> tuple[Image.Image, list[ObjectRecord]]:
    """One action image; the records of its annotated people carry ``attrs['actions']`` (a tuple of names)."""
    count = persons_in_image(rng)
    people = [choose_actions(rng) for _ in range(count)]
    first = people[0][0] if people[0] else "walking"
    context = CONTEXT.get(first) or str(rng.choice(["indoor", "road", "grass"]))
    size = scene_size(cfg.scene_long_side, rng)
    b = SceneBuilder(tax, rng, knobs, size, context)
    reference = b.instance("person")
    z0 = b.set_scale_from(reference, size[1] * rng.uniform(0.45, 0.95))
    slots = (np.arange(count) + rng.uniform(0.2, 0.8, size=count)) / count * size[0]
    for k, actions in enumerate(people):
        add_person(b, actions, z0 if k == 0 else float(rng.uniform(z0, z0 + 0.5)), float(slots[k]))
    image, records = b.render(context_background(context, size, b.horizon, rng), cfg)
    return image, [r for r in records if "actions" in r.attrs]
