"""What one worker process does: render items and write their JPEG files. Every item has its own seed
(``numpy.random.default_rng([seed, stream, index...])``), so the output does not depend on scheduling or on the
number of workers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from oquab_lib.data.synth.actions import compose_action_image
from oquab_lib.data.synth.scenes import compose_scene
from oquab_lib.data.synth.source import render_source_image
from oquab_lib.data.synth.taxonomy import COCO_BINDING, VOC_BINDING, Taxonomy
from oquab_lib.data.synth.world_config import WorldConfig

STREAMS = {"source": 10, "voc07": 20, "voc12": 21, "action": 30, "coco": 40, "splits": 50}
SPLIT_CODE = {"train": 0, "val": 1}
MAX_ATTEMPTS = 8  # a scene whose annotated objects all vanished (hidden, < 6 px) is re-drawn with the next sub-seed

_STATE: dict[str, Any] = {}


def item_rng(seed: int, stream: str, *index: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), STREAMS[stream], *map(int, index)])


def init_worker(tax: Taxonomy, cfg: WorldConfig, seed: int, out: str, mode: str = "full") -> None:
    """``mode``: how scenes are rendered (:data:`~oquab_lib.data.synth.scenes.RENDER_MODES`; the world: "full")."""
    _STATE.update(tax=tax, cfg=cfg, seed=seed, out=Path(out), knobs=cfg.knobs(), mode=mode,
                  vocab={"voc": set(VOC_BINDING.values()), "coco": set(COCO_BINDING.values())})


def run_batch(batch: tuple[str, list]) -> list:
    kind, items = batch
    render = {"source": _source_item, "voc07": _scene_item, "voc12": _scene_item, "coco": _scene_item,
              "action": _action_item}[kind]
    return [render(kind, item) for item in items]


def _save(image, path: Path) -> None:
    image.save(path, format="JPEG", quality=_STATE["cfg"].jpeg_quality)


def _source_item(kind: str, item: tuple[int, str, int]) -> None:
    leaf_index, split, k = item
    tax, cfg = _STATE["tax"], _STATE["cfg"]
    leaf = tax.leaves[leaf_index]
    rng = item_rng(_STATE["seed"], "source", leaf_index, SPLIT_CODE[split], k)
    image = render_source_image(leaf, tax.leaves, rng, cfg.source_size, cfg.supersample, _STATE["knobs"])
    _save(image, _STATE["out"] / "source" / split / leaf.node_id / f"{leaf.node_id}_{k:05d}.JPEG")


def _scene_item(kind: str, item: tuple[int, str]) -> tuple[tuple[int, int], list]:
    """Render scene ``index`` of a stream into ``relative path``; return its size and object records (the full
    scene's in every render mode, so a variant re-draws exactly the attempt its world kept)."""
    index, rel_path = item
    many = kind == "coco"
    vocab = _STATE["vocab"]["coco" if many else "voc"]
    for attempt in range(MAX_ATTEMPTS):
        rng = item_rng(_STATE["seed"], kind, index, attempt)
        image, records = compose_scene(_STATE["tax"], vocab, rng, _STATE["cfg"], _STATE["knobs"], many=many,
                                       mode=_STATE["mode"])
        if any(r.concept in vocab for r in records):
            break
    _save(image, _STATE["out"] / rel_path)
    return image.size, records


def _action_item(kind: str, item: tuple[int, str]) -> tuple[tuple[int, int], list]:
    index, rel_path = item
    rng = item_rng(_STATE["seed"], "action", index)
    image, records = compose_action_image(_STATE["tax"], rng, _STATE["cfg"], _STATE["knobs"])
    _save(image, _STATE["out"] / rel_path)
    return image.size, records
