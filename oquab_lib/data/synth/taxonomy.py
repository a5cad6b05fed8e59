"""The is-a tree of the mini world, its leaves, the VOC / COCO bindings and the pretraining subsets.

Leaf counts per genus follow the genus table's weights, apportioned exactly (largest remainder) to the config's
totals: ``base_leaves`` for 1000C, ``round(extra_ratio * base_leaves)`` extra leaves under the five targeted
superclasses (what 1512 adds), ``round(pool_ratio * base_leaves)`` more leaves elsewhere (what 1512D and 1000R can
draw), and ``heldout_per_genus`` target-only leaves in each genus that a VOC or COCO class uses (or that action images
need as props).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oquab_lib.data.classes import COCO_CLASSES, VOC_CLASSES
from oquab_lib.data.synth.genera import (
    GENERA,
    GENUS_BY_KEY,
    TARGETED_SUPERCLASSES,
    Genus,
)
from oquab_lib.data.synth.species import Leaf, make_leaf
from oquab_lib.data.synth.world_config import WorldConfig

# concept -> node path: every genus, plus the two VOC classes bound to an internal node (several genera each)
GROUP_CONCEPTS = {"bird": "animal/bird", "boat": "artifact/vehicle/watercraft"}
VOC_BINDING = {
    "aeroplane": "airplane", "bicycle": "bicycle", "bird": "bird", "boat": "boat", "bottle": "bottle", "bus": "bus",
    "car": "car", "cat": "cat", "chair": "chair", "cow": "cattle", "diningtable": "table", "dog": "dog",
    "horse": "horse", "motorbike": "motorcycle", "person": "person", "pottedplant": "potted plant", "sheep": "sheep",
    "sofa": "sofa", "train": "train", "tvmonitor": "tv",
}
COCO_RENAMED = {"airplane": "airplane", "cow": "cattle", "couch": "sofa", "dining table": "table"}
COCO_BINDING = {name: COCO_RENAMED.get(name, name) for name in COCO_CLASSES}
assert set(VOC_BINDING) == set(VOC_CLASSES)
ACTION_PROPS = ("camera", "guitar", "horn", "drum")  # genera the action images need whatever the world's size
VARIANTS = ("none", "1000C", "1000R", "1512", "1512D")


def concept_path(concept: str) -> str:
    return GROUP_CONCEPTS.get(concept) or GENUS_BY_KEY[concept].path


def _under(path: str, ancestor: str) -> bool:
    return path == ancestor or path.startswith(ancestor + "/")


def is_targeted(genus: Genus) -> bool:
    return any(_under(genus.path, p) for p in TARGETED_SUPERCLASSES.values())


def apportion(weights: list[float], total: int) -> list[int]:
    """Integers proportional to ``weights`` summing exactly to ``total`` (largest remainder, ties by position)."""
    w = np.asarray(weights, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return [0] * len(weights)
    quota = w / w.sum() * total
    counts = np.floor(quota).astype(int)
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts.tolist()


def leaf_counts(cfg: WorldConfig) -> dict[str, tuple[int, int, int]]:
    """genus key -> (base leaves, pool leaves, held-out leaves)."""
    targeted = [g for g in GENERA if is_targeted(g)]
    others = [g for g in GENERA if not is_targeted(g)]
    base = apportion([g.base for g in GENERA], cfg.base_leaves)
    extra = apportion([g.pool for g in targeted], round(cfg.extra_ratio * cfg.base_leaves))
    pool = apportion([g.pool for g in others], round(cfg.pool_ratio * cfg.base_leaves))
    pools = {g.key: n for g, n in zip(targeted, extra)} | {g.key: n for g, n in zip(others, pool)}
    bound = {concept_path(c) for c in set(VOC_BINDING.values()) | set(COCO_BINDING.values()) | set(ACTION_PROPS)}
    counts = {}
    for g, b in zip(GENERA, base):
        held = cfg.heldout_per_genus if any(_under(g.path, p) for p in bound) else 0
        counts[g.key] = (b, pools[g.key], held)
    return counts


@dataclass
class Taxonomy:
    nodes: list[dict]  # taxonomy.json rows, in id order
    leaves: list[Leaf]
    node_by_path: dict[str, str]  # internal node path -> id
    concept_leaves: dict[str, list[int]]  # concept -> indices into ``leaves``
    subsets: dict[str, list[str]]  # variant -> sorted leaf ids


def _tree(counts: dict) -> dict[str, list[str]]:
    """path -> child paths (in genus-table order) over every genus that has leaves; the root is ``""``."""
    children: dict[str, list[str]] = {"": []}
    for g in GENERA:
        if sum(counts[g.key]) == 0:
            continue
        parts = g.path.split("/")
        for depth in range(len(parts)):
            path, parent = "/".join(parts[: depth + 1]), "/".join(parts[:depth])
            if path not in children:
                children[path] = []
                children[parent].append(path)
    return children


def build_taxonomy(cfg: WorldConfig, seed: int) -> Taxonomy:
    """The tree, its leaves (parameters drawn from per-leaf seeds) and the subsets; ids in depth-first order."""
    counts = leaf_counts(cfg)
    children = _tree(counts)
    genus_at = {g.path: g for g in GENERA}
    nodes, leaves, node_by_path = [], [], {}
    knobs = cfg.knobs()

    def visit(path: str, parent_id: str | None) -> None:
        node_id = f"n{len(nodes):04d}"
        node_by_path[path] = node_id
        genus = genus_at.get(path)
        nodes.append({"id": node_id, "name": path.rsplit("/", 1)[-1] or "entity", "parent": parent_id,
                      "kind": "genus" if genus else "internal"})
        for child in children[path]:
            visit(child, node_id)
        if genus is not None:
            b, p, h = counts[genus.key]
            for k, status in enumerate(["base"] * b + ["pool"] * p + ["heldout"] * h):
                leaf_id = f"n{len(nodes):04d}"
                rng = np.random.default_rng([seed, 1, len(leaves)])
                leaf = make_leaf(genus, len(leaves), leaf_id, f"{genus.key} {k + 1:02d}", status, is_targeted(genus),
                                 rng, knobs["sibling_spread"])
                leaves.append(leaf)
                nodes.append({"id": leaf_id, "name": leaf.name, "parent": node_id, "kind": "leaf",
                              "genus": genus.key, "plan": genus.plan, "status": status})

    visit("", None)
    concepts = {c for c in VOC_BINDING.values()} | set(COCO_BINDING.values()) | set(GENUS_BY_KEY)
    concept_leaves = {}
    for concept in sorted(concepts):
        path = concept_path(concept)
        concept_leaves[concept] = [l.index for l in leaves if _under(GENUS_BY_KEY[l.genus].path, path)]
    return Taxonomy(nodes, leaves, node_by_path, concept_leaves, choose_subsets(leaves, seed))


def choose_subsets(leaves: list[Leaf], seed: int) -> dict[str, list[str]]:
    """1000C = base leaves; 1512 = base + every pool leaf under a targeted superclass; 1000R = as many leaves as
    1000C drawn at random from every source-eligible leaf; 1512D = base + as many pool leaves as 1512 adds, drawn
    at random under no targeted superclass."""
    base = [l.node_id for l in leaves if l.status == "base"]
    extra = [l.node_id for l in leaves if l.status == "pool" and l.targeted]
    others = [l.node_id for l in leaves if l.status == "pool" and not l.targeted]
    eligible = base + extra + others
    rng = np.random.default_rng([seed, 2])
    random_1000 = rng.choice(eligible, size=len(base), replace=False).tolist()
    control = rng.choice(others, size=len(extra), replace=False).tolist()
    return {"none": [], "1000C": sorted(base), "1000R": sorted(random_1000), "1512": sorted(base + extra),
            "1512D": sorted(base + control)}


def subsets_document(tax: Taxonomy, cfg: WorldConfig) -> dict:
    """The content of ``source_subsets.json``."""
    caps = {v: cfg.source_train_per_leaf for v in VARIANTS}
    caps["1000R"] = int(round((1.0 - cfg.r_fewer_images) * cfg.source_train_per_leaf))
    doc: dict = {v: tax.subsets[v] for v in VARIANTS}
    doc["counts"] = {v: {"classes": len(tax.subsets[v]), "train_cap_per_class": caps[v],
                         "train_images": len(tax.subsets[v]) * caps[v],
                         "val_images": len(tax.subsets[v]) * cfg.source_val_per_leaf} for v in VARIANTS}
    doc["targeted_superclasses"] = {name: tax.node_by_path[path] for name, path in TARGETED_SUPERCLASSES.items()
                                    if path in tax.node_by_path}
    doc["note"] = ("Each variant is a list of leaf folders of source/{train,val}. A variant uses the first "
                   "train_cap_per_class files (sorted by name) of each train folder; val folders are used whole.")
    return doc


def bindings_document(tax: Taxonomy) -> dict:
    """The content of ``bindings.json``: each VOC / COCO class name -> the taxonomy node it stands for."""
    def node(concept: str) -> str:
        return tax.node_by_path[concept_path(concept)]
    return {"voc": {name: node(c) for name, c in VOC_BINDING.items()},
            "coco": {name: node(c) for name, c in COCO_BINDING.items()}}


def source_leaves(tax: Taxonomy) -> list[Leaf]:
    """Leaves that appear in at least one variant (the only ones given source images)."""
    used = set().union(*map(set, tax.subsets.values()))
    return [l for l in tax.leaves if l.node_id in used]
