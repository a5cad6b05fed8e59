"""Context-only and object-only renders of a split of a world's VOC 2012 analog (the context-vs-object diagnostic).

``ensure_variant(root, "context")`` re-renders, from the same scene plans and the same random streams as the world
under ``root``, every image of a VOC 2012 split with the 20 classes' objects removed (background and distractors
kept); ``"object"`` keeps only those objects, on flat grey (:func:`~oquab_lib.data.synth.scenes.compose_scene`). The
labels stay the original ones: the question is whether a network still predicts the class. Each variant is a small
VOCdevkit tree of its own,

    <root>/variants/<mode>/VOCdevkit/VOC2012/JPEGImages/<id>.jpg    the re-rendered images of the split
                                            Annotations/<id>.xml    copied from the world
                                            ImageSets/Main/<split>.txt, <class>_<split>.txt   copied
    <root>/variants/<mode>/world.json                                hash "<world hash>-<mode>-<split>-v<format>"

generated on demand into a ``.partial`` sibling and renamed into place once complete (the world's own protocol), so
that the data loaders read it like any VOC tree and cache keys (:func:`~oquab_lib.data.fingerprint.world_fingerprint`)
tell it from the world. A regenerated world deletes its variants with it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from oquab_lib.data.synth.generate import (
    COMPLETE_MARKER,
    _dump,
    _remove_stale_partials,
    _run,
    plan_scenes,
    world_is_complete,
)
from oquab_lib.data.synth.taxonomy import build_taxonomy
from oquab_lib.data.synth.world_config import FORMAT_VERSION, WorldConfig
from oquab_lib.errors import ConfigError, DataError

VARIANT_MODES = ("context", "object")
VARIANT_FORMAT = 1  # bump when what a variant holds changes: older trees are then regenerated


def variant_root(root: str | os.PathLike, mode: str) -> Path:
    """Where the ``mode`` variant of the world under ``root`` lives (whether or not it exists yet)."""
    return Path(root) / "variants" / mode


def _world_meta(root: Path) -> dict:
    try:
        meta = json.loads((root / "world.json").read_text())
    except (OSError, ValueError):
        meta = None
    if not meta or not world_is_complete(root, meta.get("hash")):
        raise DataError(f"{root}: no complete generated mini world (world.json + {COMPLETE_MARKER}); generate it "
                        "first (session.start or `python -m oquab_lib.data.synth`)")
    return meta


def ensure_variant(root: str | os.PathLike, mode: str, split: str = "val", workers: int = 2,
                   verbose: bool = True) -> Path:
    """Return the root of the ``mode`` variant (``"context"`` or ``"object"``) of the VOC 2012 analog's ``split``
    of the world under ``root``, rendering it first when missing, incomplete or of another world."""
    root = Path(root)
    if mode not in VARIANT_MODES:
        raise ConfigError(f"variant mode={mode!r}; accepted: {', '.join(VARIANT_MODES)}")
    meta = _world_meta(root)
    expected = f"{meta['hash']}-{mode}-{split}-v{VARIANT_FORMAT}"
    target = variant_root(root, mode)
    if world_is_complete(target, expected):
        return target
    cfg, seed = WorldConfig.from_any(meta["config"]), int(meta["seed"])
    ids12, splits12 = plan_scenes(cfg, seed)["voc12"]
    if split not in splits12:
        raise ConfigError(f"variant split={split!r}: the VOC 2012 analog has {', '.join(sorted(splits12))}")
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(target, expected)
    partial = target.parent / f".{target.name}.partial-{expected}-{os.getpid()}"
    start = time.perf_counter()
    try:
        _render_into(partial, root, cfg, seed, ids12, splits12[split], mode, split, workers, verbose)
        _dump(partial / "world.json", {"hash": expected, "variant_of": meta["hash"], "mode": mode, "split": split,
                                       "images": len(splits12[split]), "format_version": FORMAT_VERSION})
        (partial / COMPLETE_MARKER).write_text("")
    except BaseException:  # interrupted or failed: leave nothing a later call could trust
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if target.exists():
        shutil.rmtree(target)
    os.replace(partial, target)
    if verbose:
        print(f"{mode}-only renders of VOC2012/{split} in {time.perf_counter() - start:.1f} s: {target}")
    return target


def _render_into(out: Path, root: Path, cfg: WorldConfig, seed: int, all_ids: list[str], ids: list[str], mode: str,
                 split: str, workers: int, verbose: bool) -> None:
    """Render the images ``ids`` of the VOC 2012 analog in ``mode`` into ``out``; copy their annotations and the
    split's ImageSets files from the world under ``root``."""
    source, year = root / "VOCdevkit" / "VOC2012", out / "VOCdevkit" / "VOC2012"
    for sub in ("JPEGImages", "Annotations", "ImageSets/Main"):
        (year / sub).mkdir(parents=True)
    index = {image_id: n for n, image_id in enumerate(all_ids)}  # the scene's stream index in the world's plan
    jobs = {"voc12": [(index[i], f"VOCdevkit/VOC2012/JPEGImages/{i}.jpg") for i in ids]}
    _run(jobs, build_taxonomy(cfg, seed), cfg, seed, out, workers, verbose, mode=mode, desc=f"{mode}-only renders")
    for image_id in ids:
        shutil.copyfile(source / "Annotations" / f"{image_id}.xml", year / "Annotations" / f"{image_id}.xml")
    for path in (source / "ImageSets" / "Main").glob(f"*{split}.txt"):
        if path.name == f"{split}.txt" or path.name.endswith(f"_{split}.txt"):
            shutil.copyfile(path, year / "ImageSets" / "Main" / path.name)
