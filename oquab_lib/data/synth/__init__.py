"""The synthetic mini world: the default data of the project (no ImageNet, VOC or COCO can be downloaded).

``ensure_world(root, "quick", seed=0)`` generates (once, then caches) a small world whose parts play the roles of
the papers' datasets, in their real on-disk formats, so the real readers and the real evaluation code run on it.

Source domain (the ImageNet analog)
    Object-centric images, one object filling most of the frame (``source/{train,val}/<leaf id>/*.JPEG``, an
    ImageFolder tree), of the *leaves* of an is-a taxonomy (``taxonomy.json``: nodes ``{id, name, parent, kind}``,
    leaves also ``genus``, ``plan``, ``status``). Objects are procedural *species*: parametric shapes built from parts
    (bodies, heads, legs, wheels, panels, windows, seats, handles, leaves...) by about twenty body plans
    (``plans_*.py``, ``person.py``). A *genus* (``genera.py``: ~110 of them, from dogs to toothbrushes) fixes a plan,
    parameter defaults, a palette, textures and a real-world size; a *leaf* is its genus's body plan with perturbed
    parameters, colours and texture statistics; an *instance* adds intra-class variation (parameter jitter, colour
    jitter, pose, mirror, rotation, shear, scale, position) on a class-independent cluttered backdrop, sometimes with
    a partial object of another genus. Siblings share parts and statistics, so they are genuinely confusable, and
    features learned on some leaves transfer along the taxonomy (a sheep is a quadruped like a dog).

Pretraining subsets (``source_subsets.json``), chosen like the paper's
    ``1000C`` (stands for ILSVRC-1000): ``base_leaves`` leaves apportioned by ILSVRC-like weights, so dogs, birds
    and cats are covered well and hoofed mammals, furniture, motor vehicles, public transport and bicycles poorly.
    ``1512``: 1000C plus every (source) leaf under the analogs of those five superclasses, ``extra_ratio`` = 51.2 %
    more classes, split among them like the paper's 276 / 165 / 48 / 18 / 5. ``1000R``: as many leaves as 1000C drawn
    at random from every source leaf of the taxonomy, with 25 % fewer images per class (``train_cap_per_class``).
    ``1512D`` (our control, not the paper's): 1000C plus as many extra leaves as 1512 adds, drawn at random under no
    targeted superclass -- same class and image counts as 1512, so "more classes" and "the right classes" separate.
    ``none``: no pretraining. A variant is a list of leaf folders; train images of a leaf are shared by every variant
    (a variant with a cap uses the first ``cap`` files in name order).

Target domain (the Pascal VOC analog)
    ``bindings.json`` binds each of the 20 VOC class names (and the 80 COCO names) to a taxonomy node (``cow`` to the
    cattle genus, ``bird`` and ``boat`` to internal nodes over several genera). Target instances are drawn from every
    leaf under the node, including ``heldout`` leaves that are in no source subset, so transfer is never identity.
    Scenes (``scenes.py``, ``scene_templates.py``) hold 1 to ~7 objects in VOC aspect ratios (4:3, 3:2, 3:4 portrait),
    on context backgrounds (sky, road, grass, indoor, water, rail, snow), with VOC-like co-occurrence (riders on
    bicycles, motorbikes and horses; chairs and bottles around dining tables; sofas with televisions), wide scale and
    position variation from a ground-plane camera, occlusion, truncation by the border, and distractor objects of
    non-target leaves (trucks, trams, goats, cabinets... drawn but not annotated). Boxes are the extent of each
    object's visible pixels; tiny or mostly hidden objects are ``difficult`` (see ``WorldConfig``).
    ``VOCdevkit/VOC2007`` (trainval / test, ImageSets/Main also train / val) and ``VOCdevkit/VOC2012`` (train / val /
    test) are real devkit trees: ``JPEGImages``, ``Annotations/*.xml`` with every field real files have, and
    ``ImageSets/Main/<class>_<split>.txt`` labelled 1 / -1 / 0 by the devkit rule. There is no evaluation server, so
    VOC2012 *test* labels are on disk like the others: use them only for final numbers.

Actions (the VOC2012 Action analog, ``actions.py``)
    People whose pose and held or nearby object determine one of the 10 VOC actions (some do two plausible things at
    once, a few none: ``other``), in ``VOCdevkit/VOC2012``: XML objects with ``<actions>`` flags and
    ``ImageSets/Action/{train,val,trainval,test}.txt`` plus ``<action>_<split>.txt`` lines
    ``<image id> <object index, 1-based> <1 / -1>``.

COCO analog (``coco.py``)
    The 80 COCO classes on the same taxonomy, more and smaller objects per scene,
    ``coco/annotations/instances_{train,val}.json`` (COCO's real category ids 1..90 with its ten gaps; segmentation is
    the box polygon) and images in ``coco/{train,val}/``; readable by pycocotools.

Context-only and object-only renders (``variants.py``, on demand)
    ``ensure_variant(root, "context" | "object")`` re-renders a VOC2012 split (default ``val``) from the same scene
    plans and random streams, without the 20 classes' objects or with only them on flat grey, into
    ``<root>/variants/<mode>/VOCdevkit/VOC2012`` (annotations and split files copied: the labels are the original
    ones). The world itself never changes; the context-vs-object diagnostic (``oquab_lib.cvpr15.context``) reads them.

Difficulty (``WorldConfig.difficulty``, 0..1)
    A throwaway prototype (about 200 leaves, 48-px images, well-separated siblings, little clutter) reached 94 %
    source top-1, which made the 1512-vs-1000C gap twice the paper's. The source task must stay well below
    saturation (target: a small AlexNet trained a few epochs reaches roughly 40-70 % top-1), so difficulty sets how
    close siblings are (``sibling_spread``), how much instances vary (``instance_jitter``, colour jitter, rotation,
    scale, pose), how cluttered backdrops are (``clutter``, distractor probability) and the pixel noise. Every
    derived value is written to ``world.json`` under ``knobs``; each of the first three can be set explicitly.
    One calibration point (a single run, not a guarantee): a 4-conv-layer CNN trained 5 epochs (one-cycle SGD,
    48-px random crops) on the quick world's 1000C reached 54 % val top-1 at difficulty 0.7 and 49.5 % at 0.8,
    the profiles' value; a quick AlexNet trained longer should land higher, still well below saturation.

Honesty
    Train and test of every tree are drawn by the same process with independent per-item seeds; backdrops and
    contexts never encode a source class; nothing in the generator knows which result a table should show.

Sizes, caching, determinism
    Profiles' ``world`` sections (``oquab_lib/config.py``) set the sizes: ``smoke`` (a few dozen images per tree,
    seconds), ``quick`` (331 leaves, 36,720 56-px source images for the 216 leaves some variant uses, 6,000 160-px
    scenes; about 85 CPU-seconds, i.e. about 45 s on two otherwise idle cores with ``workers=2``). The world is written into a temporary sibling folder and renamed into place with ``world.json`` and a
    ``COMPLETE`` marker; it is regenerated only when its config or seed changes. Every item has its own seed, so two
    generations with the same seed are byte-identical whatever the number of worker processes. JPEG quality 90, so
    the real decode path runs.

Public API: :func:`ensure_world`, :class:`WorldConfig`, :func:`world_statistics`, :func:`source_statistics`,
:func:`object_table`, :func:`class_coverage` (how many of each VOC class's leaves each variant holds), and
(matplotlib) :func:`sample_grid` in ``figures.py``. CLI:
``python -m oquab_lib.data.synth --profile quick --root data/miniworld-quick --seed 0``.
"""

from oquab_lib.data.synth.generate import ensure_world
from oquab_lib.data.synth.stats import (
    class_coverage,
    object_table,
    object_tables,
    size_quartiles,
    source_statistics,
    world_statistics,
)
from oquab_lib.data.synth.world_config import WorldConfig

__all__ = ["ensure_world", "WorldConfig", "world_statistics", "source_statistics", "object_table", "object_tables",
           "size_quartiles", "class_coverage", "sample_grid"]


def sample_grid(*args, **kwargs):
    """Figure helper (imports matplotlib lazily); see :func:`oquab_lib.data.synth.figures.sample_grid`."""
    from oquab_lib.data.synth.figures import sample_grid as _sample_grid

    return _sample_grid(*args, **kwargs)
