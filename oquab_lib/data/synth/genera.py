"""The genus table: every body plan variant of the mini world, where it sits in the is-a tree, and how many leaves
(species) it gets.

Each genus names its path of internal nodes (``animal/mammal/hoofed mammal/even-toed``), its plan and plan-parameter
defaults, a palette (HSV of the primary / secondary / dark / accent roles) with how far sibling leaves move from it,
its textures, its real-world height in metres (for scenes), and two weights: ``base`` (its share of the "1000C"
leaves, i.e. how well ILSVRC-1000 covers it -- dogs, birds and cats well) and ``pool`` (its share of the remaining
leaves). Genera under the five superclasses that PRE-1512 targets use ``pool`` for the extra leaves that 1512 adds,
in the paper's proportions: hoofed mammal 276, furniture 165, motor vehicle 48, public transport 18, bicycle 5.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HSV = tuple[float, float, float]


@dataclass(frozen=True)
class Genus:
    key: str
    path: str  # internal nodes from the root's child down to (and including) the genus node
    plan: str
    base: float
    pool: float
    size: float
    colors: tuple[HSV, HSV, HSV, HSV]
    spread: tuple[float, float, float] = (0.03, 0.15, 0.15)
    textures: str = "plain:1"
    params: dict = field(default_factory=dict)


TARGETED_SUPERCLASSES = {  # the paper's superclass -> the node path that stands for it here
    "hoofed mammal": "animal/mammal/hoofed mammal",
    "furniture": "artifact/furniture",
    "motor vehicle": "artifact/vehicle/motor vehicle",
    "public transport": "artifact/vehicle/public transport",
    "bicycle": "artifact/vehicle/bicycle",
}

FUR = ((0.07, 0.55, 0.55), (0.1, 0.2, 0.92), (0.05, 0.5, 0.18), (0.0, 0.0, 0.08))
GREY = ((0.0, 0.0, 0.55), (0.0, 0.0, 0.85), (0.0, 0.0, 0.15), (0.0, 0.0, 0.05))
CAR = ((0.0, 0.75, 0.7), (0.0, 0.0, 0.78), (0.0, 0.0, 0.12), (0.58, 0.35, 0.45))
WOOD = ((0.08, 0.6, 0.5), (0.1, 0.3, 0.85), (0.07, 0.6, 0.25), (0.55, 0.2, 0.6))
CLOTH = ((0.6, 0.5, 0.55), (0.6, 0.2, 0.8), (0.0, 0.0, 0.15), (0.1, 0.2, 0.8))
METAL = ((0.0, 0.0, 0.25), (0.0, 0.0, 0.75), (0.0, 0.0, 0.08), (0.55, 0.5, 0.7))
GREEN = ((0.3, 0.65, 0.45), (0.05, 0.6, 0.55), (0.08, 0.5, 0.3), (0.15, 0.8, 0.9))
FOOD = ((0.1, 0.7, 0.8), (0.05, 0.5, 0.9), (0.05, 0.6, 0.3), (0.0, 0.7, 0.7))
WIDE = (0.5, 0.3, 0.3)  # leaves of man-made genera come in any colour


def _g(key, path, plan, base, pool, size, colors, spread=(0.03, 0.15, 0.15), tex="plain:1", **params) -> Genus:
    return Genus(key, path, plan, base, pool, size, colors, spread, tex, params)


Q, B, MAM, HOOF = "quadruped", "bird", "animal/mammal", "animal/mammal/hoofed mammal"
EVEN, ODD = HOOF + "/even-toed", HOOF + "/odd-toed"
VEH, FURN, DEV = "artifact/vehicle", "artifact/furniture", "artifact/device"

GENERA: tuple[Genus, ...] = (
    # --- animals well covered by ILSVRC: dogs, birds, cats ---
    _g("dog", MAM + "/carnivore/canine/dog", Q, 120, 150, 0.6, FUR, (0.05, 0.3, 0.35), "plain:3 patches:2 spots:1",
       ear_kind=(1, 0.7), leg_len=(0.4, 0.1), snout=(0.13, 0.05), tail_ang=(0.7, 0.3)),
    _g("wolf", MAM + "/carnivore/canine/wild dog", Q, 10, 20, 0.75, FUR, (0.03, 0.15, 0.2), "plain:2 patches:1",
       ear=0.13, tail_w=0.09, tail_ang=-0.2, snout=0.15),
    _g("cat", MAM + "/carnivore/feline/domestic cat", Q, 6, 12, 0.3, FUR, (0.05, 0.3, 0.35),
       "plain:2 stripes:2 patches:1", body_h=0.36, leg_len=0.34, neck_len=0.12, head_len=0.24, head_h=0.2,
       snout=0.03, ear=0.11, tail_len=0.55, tail_ang=1.0, tail_w=0.05),
    _g("big cat", MAM + "/carnivore/feline/big cat", Q, 8, 15, 1.0, ((0.09, 0.7, 0.75),) + FUR[1:], (0.03, 0.15, 0.2),
       "spots:2 stripes:2 plain:1", body_h=0.38, leg_len=0.4, neck_len=0.15, snout=0.06, ear=0.07, ear_kind=2,
       tail_len=0.6, tail_ang=0.1),
    _g("bear", MAM + "/carnivore/bear", Q, 4, 8, 1.2, FUR, (0.03, 0.2, 0.3), "plain:1", body_h=0.55, leg_len=0.32,
       leg_w=0.16, neck_len=0.12, neck_w=0.26, ear_kind=2, ear=0.07, tail_len=0.08, snout=0.1),
    _g("songbird", "animal/bird/songbird", B, 25, 80, 0.15, ((0.1, 0.6, 0.6), (0.15, 0.5, 0.9), (0.0, 0.0, 0.2),
                                                           (0.1, 0.8, 0.8)), (0.08, 0.35, 0.3), "plain:3 speckle:1"),
    _g("waterbird", "animal/bird/waterbird", B, 15, 40, 0.8, ((0.0, 0.0, 0.9), (0.0, 0.0, 0.6), (0.0, 0.0, 0.15),
                                                            (0.1, 0.9, 0.9)), (0.05, 0.2, 0.25), "plain:1",
       leg_len=0.55, neck_len=0.35, beak_len=0.3, tilt=0.05, flight=0.3),
    _g("raptor", "animal/bird/raptor", B, 8, 20, 0.6, ((0.07, 0.5, 0.4), (0.1, 0.1, 0.9), (0.0, 0.0, 0.1),
                                                      (0.13, 0.9, 0.9)), (0.02, 0.15, 0.2), "plain:2 speckle:1",
       beak_len=0.09, beak_down=0.7, tilt=0.6, flight=0.4),
    _g("parrot", "animal/bird/parrot", B, 8, 15, 0.35, ((0.3, 0.85, 0.7), (0.0, 0.85, 0.8), (0.6, 0.8, 0.5),
                                                       (0.0, 0.0, 0.2)), (0.15, 0.15, 0.2), "plain:1",
       beak_len=0.1, beak_w=0.1, beak_down=0.6, tail_len=0.5, tilt=0.7),
    _g("gamebird", "animal/bird/gamebird", B, 6, 15, 0.5, ((0.07, 0.6, 0.5), (0.0, 0.8, 0.7), (0.0, 0.0, 0.15),
                                                          (0.12, 0.6, 0.8)), (0.04, 0.2, 0.2), "speckle:2 plain:1",
       body_h=0.42, tail_len=0.4, tail_ang=-0.5, crest=0.06),
    # --- other animals ---
    _g("elephant", MAM + "/proboscidean", Q, 3, 6, 3.0, GREY, (0.02, 0.05, 0.1), "plain:1", body_h=0.6, leg_len=0.45,
       leg_w=0.2, neck_len=0.05, neck_w=0.35, head_len=0.35, head_h=0.35, ear=0.3, ear_kind=1, trunk=0.45,
       tail_len=0.25, tail_w=0.03, horn=0.12, horn_kind=2),
    _g("monkey", MAM + "/primate", Q, 20, 40, 0.6, FUR, (0.04, 0.25, 0.3), "plain:1", body_h=0.4, leg_len=0.45,
       neck_len=0.12, neck_ang=1.2, head_len=0.22, head_h=0.22, snout=0.03, ear_kind=2, tail_len=0.7, tail_ang=1.2,
       tail_w=0.04),
    _g("rodent", MAM + "/rodent", Q, 15, 30, 0.15, FUR, (0.03, 0.2, 0.3), "plain:2 patches:1", body_h=0.5,
       leg_len=0.15, neck_len=0.05, head_len=0.3, snout=0.08, ear_kind=2, ear=0.1, tail_len=0.6, tail_ang=-0.1,
       tail_w=0.025),
    _g("fish", "animal/fish", "fish", 15, 60, 0.3, ((0.55, 0.5, 0.6), (0.1, 0.8, 0.9), (0.0, 0.0, 0.1),
                                                   (0.0, 0.0, 0.9)), (0.15, 0.3, 0.25), "plain:2 stripes:2 spots:1"),
    _g("lizard", "animal/reptile/lizard", Q, 12, 30, 0.2, ((0.3, 0.6, 0.45),) + GREEN[1:], (0.08, 0.2, 0.2),
       "speckle:2 plain:1 stripes:1", body_h=0.22, leg_len=0.12, leg_w=0.06, neck_len=0.05, neck_ang=0.2,
       head_len=0.28, head_h=0.14, snout=0.05, ear=0.0, ear_kind=2, tail_len=0.9, tail_ang=-0.15, tail_w=0.08),
    _g("snake", "animal/reptile/snake", "snake", 17, 30, 0.2, ((0.25, 0.5, 0.4), (0.12, 0.6, 0.8), (0.0, 0.0, 0.1),
                                                              (0.0, 0.8, 0.8)), (0.08, 0.25, 0.25),
       "stripes:2 spots:1 plain:1"),
    _g("turtle", "animal/reptile/turtle", Q, 5, 10, 0.3, ((0.2, 0.5, 0.4),) + GREEN[1:], (0.04, 0.2, 0.2),
       "patches:2 plain:1", body_h=0.3, leg_len=0.1, leg_w=0.1, hump=0.25, neck_len=0.1, neck_ang=0.3,
       head_len=0.2, head_h=0.13, snout=0.02, ear=0.0, ear_kind=2, tail_len=0.08),
    _g("butterfly", "animal/invertebrate/butterfly", "bug", 10, 40, 0.1, ((0.08, 0.85, 0.9), (0.0, 0.0, 0.1),
                                                                      (0.0, 0.0, 0.1), (0.0, 0.0, 0.9)),
       (0.2, 0.2, 0.2), "spots:2 stripes:1 plain:1", kind=0),
    _g("beetle", "animal/invertebrate/beetle", "bug", 20, 60, 0.05, ((0.0, 0.7, 0.5), (0.0, 0.0, 0.1), (0.0, 0.0, 0.1),
                                                                    (0.0, 0.0, 0.5)), (0.2, 0.3, 0.3),
       "plain:2 spots:1 stripes:1", kind=1),
    # --- hoofed mammals (targeted by 1512: pool = the paper's 276) ---
    _g("cattle", EVEN + "/bovine", Q, 2, 50, 1.4, ((0.06, 0.55, 0.45), (0.0, 0.0, 0.95), (0.0, 0.0, 0.12),
                                                  (0.0, 0.3, 0.8)), (0.03, 0.3, 0.35), "patches:3 plain:2",
       body_h=0.5, leg_len=0.42, leg_w=0.12, neck_len=0.18, neck_ang=0.3, neck_w=0.24, head_len=0.3, head_h=0.2,
       snout=0.08, horn=0.12, horn_kind=1, ear_kind=0, ear=0.07, tail_len=0.4, tail_ang=-1.2, tail_w=0.03, hoof=1),
    _g("sheep", EVEN + "/sheep", Q, 1, 40, 0.9, ((0.12, 0.12, 0.9), (0.1, 0.2, 0.7), (0.0, 0.0, 0.12),
                                               (0.0, 0.0, 0.2)), (0.03, 0.1, 0.3), "speckle:3 plain:1",
       body_h=0.55, leg_len=0.3, leg_w=0.08, neck_len=0.12, neck_ang=0.5, head_len=0.24, head_h=0.16, snout=0.04,
       ear_kind=1, ear=0.08, horn=0.08, horn_kind=(1, 0.6), tail_len=0.1, tail_ang=-0.8, hoof=1),
    _g("goat", EVEN + "/goat", Q, 1, 35, 0.8, FUR, (0.04, 0.3, 0.35), "plain:2 patches:1", body_h=0.42, leg_len=0.4,
       leg_w=0.08, neck_len=0.2, head_len=0.26, snout=0.05, horn=0.15, horn_kind=2, ear_kind=0, tail_len=0.1,
       tail_ang=1.0, hoof=1),
    _g("antelope", EVEN + "/antelope", Q, 2, 50, 1.1, ((0.08, 0.6, 0.65), (0.1, 0.1, 0.95), (0.0, 0.0, 0.12),
                                                      (0.0, 0.0, 0.1)), (0.02, 0.15, 0.2), "plain:2 band:1",
       body_h=0.38, leg_len=0.55, leg_w=0.06, neck_len=0.3, neck_ang=1.0, horn=0.25, horn_kind=2, belly=0.8,
       tail_len=0.12, hoof=1),
    _g("deer", EVEN + "/deer", Q, 0, 35, 1.2, ((0.07, 0.6, 0.5), (0.1, 0.15, 0.9), (0.0, 0.0, 0.12), (0.0, 0.0, 0.1)),
       (0.02, 0.15, 0.2), "plain:2 spots:1", body_h=0.4, leg_len=0.58, leg_w=0.06, neck_len=0.32, neck_ang=1.1,
       horn=0.3, horn_kind=3, tail_len=0.1, tail_ang=0.8, hoof=1),
    _g("pig", EVEN + "/swine", Q, 2, 20, 0.8, ((0.97, 0.35, 0.9), (0.0, 0.0, 0.2), (0.0, 0.2, 0.3), (0.0, 0.5, 0.6)),
       (0.03, 0.2, 0.3), "plain:2 patches:1", body_h=0.5, leg_len=0.2, leg_w=0.1, neck_len=0.05, neck_ang=0.1,
       head_len=0.3, snout=0.1, ear_kind=(0, 0.5), tail_len=0.12, tail_ang=0.9, hoof=1),
    _g("camel", EVEN + "/camelid", Q, 1, 10, 2.0, ((0.1, 0.45, 0.7),) + FUR[1:], (0.02, 0.1, 0.15), "plain:1",
       body_h=0.42, leg_len=0.7, leg_w=0.08, hump=(0.2, 0.08), neck_len=0.45, neck_ang=0.6, head_len=0.3,
       ear=0.05, tail_len=0.25, tail_ang=-1.0, hoof=1),
    _g("giraffe", EVEN + "/giraffe", Q, 0, 6, 4.5, ((0.1, 0.35, 0.95), (0.07, 0.8, 0.55), (0.0, 0.0, 0.15),
                                                   (0.0, 0.0, 0.1)), (0.01, 0.1, 0.1), "spots:1",
       body_h=0.45, leg_len=0.85, leg_w=0.07, neck_len=1.1, neck_ang=1.25, neck_w=0.14, head_len=0.26, horn=0.07,
       horn_kind=2, tail_len=0.35, tail_ang=-1.0, hoof=1),
    _g("horse", ODD + "/equine", Q, 1, 20, 1.6, ((0.06, 0.65, 0.45), (0.0, 0.0, 0.9), (0.05, 0.3, 0.12),
                                                (0.0, 0.0, 0.1)), (0.03, 0.3, 0.35), "plain:4 patches:1",
       body_h=0.42, leg_len=0.58, leg_w=0.09, neck_len=0.4, neck_ang=0.95, neck_w=0.2, head_len=0.38, head_h=0.16,
       snout=0.05, ear=0.08, mane=1, tail_len=0.5, tail_ang=-1.0, tail_w=0.08, hoof=1),
    _g("zebra", ODD + "/zebra", Q, 1, 6, 1.4, ((0.0, 0.0, 0.95), (0.0, 0.0, 0.08), (0.0, 0.0, 0.1), (0.0, 0.0, 0.1)),
       (0.0, 0.0, 0.05), "stripes:1", body_h=0.44, leg_len=0.52, leg_w=0.09, neck_len=0.35, neck_ang=0.9,
       neck_w=0.2, head_len=0.36, head_h=0.16, ear=0.09, mane=1, tail_len=0.4, tail_ang=-1.0, hoof=1),
    _g("rhino", ODD + "/rhinoceros", Q, 0, 4, 1.7, GREY, (0.02, 0.05, 0.1), "plain:1", body_h=0.6, leg_len=0.3,
       leg_w=0.18, neck_len=0.05, neck_w=0.3, head_len=0.4, head_h=0.25, horn=0.18, horn_kind=2, tail_len=0.15,
       hoof=1),
    # --- people ---
    _g("person", "person", "person", 3, 10, 1.7, CLOTH, WIDE, "plain:3 stripes:1 band:1"),
    # --- vehicles (motor vehicle 48, public transport 18, bicycle 5) ---
    _g("car", VEH + "/motor vehicle/car", "wheeled", 5, 30, 1.5, CAR, WIDE, "plain:4 band:1", kind=(0, 0.35)),
    _g("truck", VEH + "/motor vehicle/truck", "wheeled", 3, 12, 3.0, CAR, WIDE, "plain:1", kind=2, length=2.6,
       body_h=0.5, cab_x0=0.4, cab_x1=1.2, cab_h=0.45, slope_f=0.1, windows=1, wheel_r=0.24),
    _g("motorcycle", VEH + "/motor vehicle/motorcycle", "twowheeler", 1, 6, 1.1, CAR, WIDE, "plain:1", motor=1,
       frame_h=0.35, wheel_r=0.3),
    _g("bus", VEH + "/public transport/bus", "wheeled", 2, 9, 3.0, ((0.12, 0.85, 0.9),) + CAR[1:], WIDE,
       "plain:2 band:1", kind=3, length=3.6, body_h=0.55, cab_h=0.55, windows=(6, 1.2), wheel_r=0.2),
    _g("train", VEH + "/public transport/train", "wheeled", 2, 6, 3.8, ((0.6, 0.6, 0.6),) + CAR[1:], WIDE,
       "band:2 plain:1", kind=4, length=5.0, body_h=0.55, cab_h=0.6, windows=(8, 1.5), wheel_r=0.12, nose=0.35),
    _g("tram", VEH + "/public transport/tram", "wheeled", 0, 3, 3.4, ((0.0, 0.8, 0.75),) + CAR[1:], WIDE, "plain:1",
       kind=4, length=4.0, body_h=0.5, cab_h=0.7, windows=(6, 1.0), wheel_r=0.1, nose=0.1),
    _g("bicycle", VEH + "/bicycle", "twowheeler", 2, 5, 1.0, ((0.0, 0.8, 0.6),) + METAL[1:], WIDE, "plain:1", motor=0),
    _g("airplane", VEH + "/aircraft/airplane", "aircraft", 6, 15, 6.0, ((0.0, 0.0, 0.92), (0.6, 0.7, 0.5),
                                                                    (0.0, 0.0, 0.3), (0.6, 0.3, 0.3)),
       (0.3, 0.2, 0.1), "plain:3 band:1"),
    _g("motorboat", VEH + "/watercraft/motorboat", "boat", 5, 10, 1.5, ((0.0, 0.0, 0.92), (0.6, 0.5, 0.6),
                                                                      (0.0, 0.0, 0.2), (0.55, 0.4, 0.4)), WIDE,
       "plain:1", kind=0),
    _g("sailboat", VEH + "/watercraft/sailboat", "boat", 4, 10, 5.0, ((0.6, 0.6, 0.4), (0.0, 0.0, 0.95),
                                                                    (0.0, 0.0, 0.2), (0.55, 0.4, 0.4)), WIDE,
       "plain:3 stripes:1", kind=1),
    _g("ship", VEH + "/watercraft/ship", "boat", 6, 10, 8.0, ((0.0, 0.7, 0.5), (0.0, 0.0, 0.92), (0.0, 0.0, 0.15),
                                                            (0.55, 0.4, 0.4)), WIDE, "plain:1", kind=2, length=3.5),
    # --- furniture (165) ---
    _g("chair", FURN + "/seat/chair", "seat", 3, 45, 0.9, WOOD, WIDE, "plain:3 stripes:1", kind=0, slats=(0, 0.7)),
    _g("sofa", FURN + "/seat/sofa", "seat", 1, 20, 0.85, CLOTH, WIDE, "plain:3 patches:1", kind=1, seat_w=1.9,
       seat_y=0.45, back_h=0.45, seat_t=0.12, cushions=(2, 0.8), arm_h=0.2),
    _g("bench", FURN + "/seat/bench", "seat", 1, 10, 0.8, WOOD, WIDE, "plain:2 stripes:1", kind=2, seat_w=2.0,
       back_h=0.5, back_gap=(0.3, 0.5)),
    _g("table", FURN + "/table", "boxfurn", 2, 35, 0.75, WOOD, WIDE, "plain:3 stripes:1", kind=0, cloth=(0.2, 0.6)),
    _g("bed", FURN + "/bed", "boxfurn", 1, 20, 0.9, CLOTH, WIDE, "plain:2 stripes:1 patches:1", kind=1, width=2.2,
       height=0.45),
    _g("cabinet", FURN + "/cabinet", "boxfurn", 3, 35, 1.6, WOOD, WIDE, "plain:3 stripes:1", kind=2, width=1.0,
       height=1.6),
    # --- containers and bags ---
    _g("bottle", "artifact/container/bottle", "container", 8, 15, 0.3, ((0.33, 0.6, 0.4), (0.0, 0.0, 0.9),
                                                                       (0.0, 0.0, 0.15), (0.0, 0.0, 0.9)), WIDE,
       kind=0),
    _g("vase", "artifact/container/vase", "container", 2, 8, 0.35, FOOD, WIDE, "plain:2 stripes:1 spots:1", kind=1),
    _g("cup", "artifact/container/cup", "container", 3, 8, 0.1, FOOD, WIDE, "plain:2 band:1", kind=2, height=0.7,
       body_w=0.3),
    _g("wine glass", "artifact/container/wine glass", "container", 1, 4, 0.2, ((0.0, 0.0, 0.8), (0.0, 0.0, 0.9),
                                                                               (0.0, 0.0, 0.6), (0.95, 0.6, 0.5)),
       (0.05, 0.1, 0.1), kind=3),
    _g("bowl", "artifact/container/bowl", "container", 2, 6, 0.1, FOOD, WIDE, "plain:2 band:1", kind=4, height=0.3),
    _g("jar", "artifact/container/jar", "container", 3, 6, 0.2, FOOD, WIDE, kind=5, height=0.8, body_w=0.35),
    _g("backpack", "artifact/container/bag/backpack", "bag", 1, 4, 0.5, CLOTH, WIDE, "plain:2 patches:1", kind=0),
    _g("handbag", "artifact/container/bag/handbag", "bag", 2, 5, 0.3, WOOD, WIDE, "plain:2 stripes:1", kind=1),
    _g("suitcase", "artifact/container/bag/suitcase", "bag", 1, 4, 0.7, CLOTH, WIDE, kind=2),
    # --- devices and fixtures ---
    _g("tv", DEV + "/electronic/display", "device", 4, 10, 0.6, METAL, (0.1, 0.1, 0.2), "plain:2 patches:1", kind=0),
    _g("laptop", DEV + "/electronic/laptop", "device", 2, 5, 0.25, METAL, (0.1, 0.1, 0.3), "plain:2 patches:1",
       kind=1),
    _g("cell phone", DEV + "/electronic/cell phone", "device", 1, 4, 0.14, METAL, (0.1, 0.1, 0.3), kind=2, width=0.5,
       height=1.0),
    _g("camera", DEV + "/electronic/camera", "device", 4, 8, 0.12, METAL, (0.1, 0.1, 0.3), kind=3, width=1.0,
       height=0.6),
    _g("keyboard", DEV + "/electronic/keyboard", "device", 2, 4, 0.05, METAL, (0.1, 0.1, 0.3), kind=4, width=1.8),
    _g("mouse", DEV + "/electronic/mouse", "device", 1, 3, 0.04, METAL, (0.1, 0.1, 0.3), kind=5, width=0.6,
       height=0.35),
    _g("remote", DEV + "/electronic/remote", "device", 1, 3, 0.18, METAL, (0.1, 0.1, 0.3), kind=2, width=0.3,
       height=1.2, window=0.2, buttons=5),
    _g("microwave", DEV + "/appliance/microwave", "device", 1, 3, 0.35, METAL, WIDE, kind=6, width=1.3, height=0.75),
    _g("oven", DEV + "/appliance/oven", "device", 1, 3, 0.9, METAL, WIDE, kind=6, width=1.0, height=1.0, window=0.8),
    _g("toaster", DEV + "/appliance/toaster", "device", 1, 3, 0.2, METAL, WIDE, kind=6, width=1.1, height=0.7,
       window=0.15),
    _g("refrigerator", DEV + "/appliance/refrigerator", "device", 1, 3, 1.8, ((0.0, 0.0, 0.9),) + METAL[1:], WIDE,
       kind=6, width=0.8, height=1.9, window=0.05, handle=1.0),
    _g("hair drier", DEV + "/appliance/hair drier", "device", 1, 2, 0.2, METAL, WIDE, kind=7, width=0.9, height=0.8),
    _g("clock", DEV + "/timepiece/clock", "round", 3, 6, 0.3, ((0.0, 0.0, 0.3), (0.0, 0.0, 0.95), (0.0, 0.0, 0.1),
                                                              (0.0, 0.7, 0.6)), WIDE, kind=2),
    _g("toilet", "artifact/fixture/toilet", "boxfurn", 1, 2, 0.75, ((0.0, 0.0, 0.95),) + METAL[1:], (0.1, 0.05, 0.1),
       kind=3, width=0.7, height=0.45),
    _g("sink", "artifact/fixture/sink", "boxfurn", 1, 2, 0.9, ((0.0, 0.0, 0.95),) + METAL[1:], (0.1, 0.05, 0.1),
       kind=4, width=0.9, height=0.85),
    # --- instruments, sports, implements ---
    _g("guitar", "artifact/instrument/guitar", "instrument", 6, 12, 1.0, WOOD, (0.05, 0.3, 0.3), "plain:3 band:1",
       kind=0),
    _g("drum", "artifact/instrument/drum", "instrument", 4, 8, 0.6, CAR, WIDE, "plain:2 band:1", kind=1),
    _g("horn", "artifact/instrument/horn", "instrument", 6, 12, 0.5, ((0.12, 0.7, 0.8),) + METAL[1:], (0.03, 0.2, 0.2),
       kind=2),
    _g("sports ball", "artifact/sports equipment/ball", "round", 8, 15, 0.22, ((0.0, 0.0, 0.95),) + FOOD[1:], WIDE,
       "plain:2 patches:1 stripes:1", kind=0),
    _g("tennis racket", "artifact/sports equipment/racket", "stick", 2, 4, 0.7, CAR, WIDE, kind=1, length=1.4),
    _g("baseball bat", "artifact/sports equipment/bat", "stick", 1, 3, 0.9, WOOD, (0.03, 0.2, 0.3), kind=0),
    _g("baseball glove", "artifact/sports equipment/glove", "round", 1, 3, 0.3, WOOD, (0.03, 0.2, 0.3), kind=9),
    _g("skis", "artifact/sports equipment/skis", "stick", 1, 3, 1.7, CAR, WIDE, "plain:2 band:1", kind=6),
    _g("snowboard", "artifact/sports equipment/snowboard", "stick", 1, 3, 1.5, CAR, WIDE, "plain:1 stripes:1",
       kind=7),
    _g("surfboard", "artifact/sports equipment/surfboard", "stick", 1, 3, 2.0, FOOD, WIDE, "plain:1 stripes:1",
       kind=8),
    _g("skateboard", "artifact/sports equipment/skateboard", "stick", 1, 3, 0.8, CAR, WIDE, kind=9),
    _g("frisbee", "artifact/sports equipment/frisbee", "round", 1, 2, 0.25, CAR, WIDE, kind=7),
    _g("kite", "artifact/sports equipment/kite", "pole", 1, 3, 1.0, CAR, WIDE, "plain:1 stripes:1", kind=5),
    _g("fork", "artifact/implement/cutlery/fork", "stick", 1, 2, 0.2, METAL, (0.05, 0.1, 0.3), kind=3),
    _g("knife", "artifact/implement/cutlery/knife", "stick", 2, 4, 0.25, METAL, (0.05, 0.1, 0.3), kind=2),
    _g("spoon", "artifact/implement/cutlery/spoon", "stick", 2, 4, 0.2, METAL, (0.05, 0.1, 0.3), kind=4),
    _g("scissors", "artifact/implement/scissors", "stick", 1, 3, 0.2, CAR, WIDE, kind=14),
    _g("toothbrush", "artifact/implement/toothbrush", "stick", 1, 2, 0.2, CAR, WIDE, kind=5),
    _g("umbrella", "artifact/covering/umbrella", "pole", 1, 4, 1.0, CAR, WIDE, "plain:2 stripes:1", kind=4),
    _g("tie", "artifact/covering/tie", "stick", 1, 3, 0.5, CAR, WIDE, "plain:1 stripes:1 spots:1", kind=13),
    _g("book", "artifact/publication/book", "bag", 3, 8, 0.25, CAR, WIDE, kind=3, width=0.7, height=1.0),
    _g("teddy bear", "artifact/toy/teddy bear", "round", 1, 3, 0.4, FUR, (0.05, 0.3, 0.3), kind=6),
    _g("traffic light", "artifact/street fixture/traffic light", "pole", 1, 3, 3.0, ((0.0, 0.0, 0.15),
                                                                                  (0.33, 0.9, 0.8), (0.0, 0.0, 0.1),
                                                                                  (0.0, 0.9, 0.9)),
       (0.02, 0.1, 0.1), kind=0),
    _g("stop sign", "artifact/street fixture/stop sign", "pole", 1, 2, 2.2, ((0.0, 0.85, 0.75), (0.0, 0.0, 0.95),
                                                                            (0.0, 0.0, 0.3), (0.0, 0.0, 0.9)),
       (0.01, 0.1, 0.1), kind=1),
    _g("parking meter", "artifact/street fixture/parking meter", "pole", 1, 2, 1.3, METAL, (0.05, 0.1, 0.2), kind=2,
       height=1.2),
    _g("fire hydrant", "artifact/street fixture/fire hydrant", "pole", 1, 2, 0.8, ((0.0, 0.85, 0.75),) + METAL[1:],
       (0.1, 0.2, 0.2), kind=3),
    # --- plants and food ---
    _g("potted plant", "plant/potted plant", "plant", 3, 10, 0.6, ((0.3, 0.7, 0.45), (0.05, 0.6, 0.6),
                                                                  (0.08, 0.5, 0.3), (0.15, 0.8, 0.9)),
       (0.05, 0.2, 0.2), "plain:3 speckle:1", kind=0),
    _g("tree", "plant/tree", "plant", 5, 20, 6.0, GREEN, (0.05, 0.2, 0.2), "plain:2 speckle:1", kind=1, height=2.0,
       span=1.2),
    _g("flower", "plant/flower", "plant", 5, 20, 0.4, ((0.9, 0.7, 0.85),) + GREEN[1:], (0.3, 0.2, 0.15), kind=2),
    _g("banana", "food/fruit/banana", "stick", 1, 3, 0.15, ((0.15, 0.8, 0.9),) + FOOD[1:], (0.02, 0.1, 0.1), kind=10,
       head=0.35),
    _g("apple", "food/fruit/apple", "round", 1, 4, 0.08, ((0.0, 0.8, 0.75),) + GREEN[1:], (0.1, 0.1, 0.15), kind=1),
    _g("orange", "food/fruit/orange", "round", 1, 4, 0.08, ((0.08, 0.9, 0.95),) + GREEN[1:], (0.02, 0.1, 0.1),
       "speckle:1", kind=1, stem=0.02),
    _g("broccoli", "food/vegetable/broccoli", "plant", 1, 3, 0.15, GREEN, (0.03, 0.1, 0.1), "speckle:1", kind=3,
       height=0.8, span=0.8),
    _g("carrot", "food/vegetable/carrot", "stick", 1, 3, 0.15, ((0.07, 0.9, 0.95), GREEN[0]) + FOOD[2:],
       (0.02, 0.1, 0.1), kind=11),
    _g("mushroom", "food/vegetable/mushroom", "plant", 5, 10, 0.1, FUR, (0.05, 0.3, 0.3), "plain:2 spots:1", kind=4),
    _g("sandwich", "food/dish/sandwich", "round", 1, 3, 0.1, FOOD, (0.03, 0.2, 0.2), kind=8),
    _g("hot dog", "food/dish/hot dog", "stick", 1, 2, 0.08, ((0.03, 0.7, 0.6),) + FOOD[1:], (0.02, 0.1, 0.1),
       kind=12),
    _g("pizza", "food/dish/pizza", "round", 1, 3, 0.05, ((0.1, 0.6, 0.85), (0.05, 0.8, 0.8)) + FOOD[2:],
       (0.02, 0.1, 0.1), kind=4),
    _g("donut", "food/dish/donut", "round", 1, 3, 0.06, ((0.08, 0.6, 0.7),) + FOOD[1:], (0.1, 0.2, 0.2), kind=3),
    _g("cake", "food/dish/cake", "round", 1, 4, 0.15, ((0.1, 0.3, 0.9),) + FOOD[1:], (0.1, 0.2, 0.2), kind=5),
)

GENUS_BY_KEY = {g.key: g for g in GENERA}
assert len(GENUS_BY_KEY) == len(GENERA), "duplicate genus key"
