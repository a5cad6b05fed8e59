"""Generation of a whole mini world, cached on disk: ``ensure_world(root, world, seed, workers)``.

The world is generated into a temporary sibling folder ``.<root name>.partial-<hash>-<pid>`` and renamed into place once
``world.json`` (config, seed, hash, counts) and the ``COMPLETE`` marker are written, so a killed generation leaves
nothing that a later call trusts; a later call with the same config and seed returns at once, and one with another
config regenerates.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from tqdm.std import tqdm  # not tqdm.auto: see CONTRIBUTING, "Progress bars"

from oquab_lib.data.synth import render_jobs
from oquab_lib.data.synth.actions import persons_in_image
from oquab_lib.data.synth.render_jobs import item_rng
from oquab_lib.data.synth.taxonomy import (
    Taxonomy,
    bindings_document,
    build_taxonomy,
    source_leaves,
    subsets_document,
)
from oquab_lib.data.synth.world_config import FORMAT_VERSION, WorldConfig
from oquab_lib.data.synth.writers import write_annotations
from oquab_lib.errors import ConfigError

COMPLETE_MARKER = "COMPLETE"
BATCH = {"source": 200, "voc07": 25, "voc12": 25, "action": 20, "coco": 20}


def world_is_complete(root: Path, expected_hash: str) -> bool:
    try:
        meta = json.loads((root / "world.json").read_text())
    except (OSError, ValueError):
        return False
    return (root / COMPLETE_MARKER).is_file() and meta.get("hash") == expected_hash


def ensure_world(root: str | os.PathLike, world: "str | dict | WorldConfig" = "quick", seed: int = 0,
                 workers: int = 2, verbose: bool = True) -> Path:
    """Return ``root`` holding the complete mini world of ``world`` (a profile name, a ``world`` section dict or a
    :class:`WorldConfig`) and ``seed``, generating it first when it is missing, incomplete or of another config.

    A world with ``scale="none"`` (the ``full`` profile) is real data: nothing is generated and ``root`` is returned.
    ``workers`` processes render in parallel (0 or 1: in this process); the files do not depend on it.
    """
    cfg = WorldConfig.from_any(world)
    root = Path(root)
    if not cfg.generates:
        return root
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"seed={seed!r}: expected an integer")
    expected = cfg.hash(seed)
    if world_is_complete(root, expected):
        if verbose:
            print(f"mini world cache hit: {root} ({cfg.scale}, seed {seed}, hash {expected})")
        return root
    if root.exists() and any(root.iterdir()) and not (root / "world.json").is_file():
        raise ConfigError(f"{root} exists, is not empty and holds no world.json: refusing to replace it; "
                          "pass another root (e.g. data/miniworld-quick)")
    _remove_stale_partials(root, expected)
    partial = root.parent / f".{root.name}.partial-{expected}-{os.getpid()}"
    partial.mkdir(parents=True)
    start = time.perf_counter()
    try:
        meta = generate_into(partial, cfg, seed, workers, verbose)
        _dump(partial / "world.json", meta)
        (partial / COMPLETE_MARKER).write_text("")
    except BaseException:  # interrupted or failed: leave nothing behind (a killed process leaves a stale partial)
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if world_is_complete(root, expected):  # another process finished the same world meanwhile
        shutil.rmtree(partial)
        return root
    if root.exists():
        shutil.rmtree(root)
    os.replace(partial, root)
    if verbose:
        print(f"mini world generated in {time.perf_counter() - start:.1f} s: {root} (hash {expected})")
    return root


def _remove_stale_partials(root: Path, expected: str) -> None:
    """Delete work folders of this world left by killed generations (their process is gone); never trusted."""
    for folder in root.parent.glob(f".{root.name}.partial-{expected}-*"):
        pid = folder.name.rsplit("-", 1)[-1]
        try:
            os.kill(int(pid), 0)
        except (ValueError, ProcessLookupError):
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:  # alive, owned by someone else
            pass


def _dump(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=1, sort_keys=True) + "\n")


def _split(ids: list[str], sizes: dict[str, int], rng: np.random.Generator) -> dict[str, list[str]]:
    """Random disjoint splits of ``ids`` with the given sizes (each list sorted, as in the devkits)."""
    order = rng.permutation(len(ids))
    out, start = {}, 0
    for name, n in sizes.items():
        out[name] = sorted(ids[i] for i in order[start:start + n])
        start += n
    return out


def plan_scenes(cfg: WorldConfig, seed: int) -> dict:
    """Image ids, splits and output paths of every scene tree (the parent decides; workers only render)."""
    rng = item_rng(seed, "splits")
    n07 = cfg.voc07_trainval + cfg.voc07_test
    ids07 = [f"{i + 1:06d}" for i in range(n07)]
    voc07 = _split(ids07, {"trainval": cfg.voc07_trainval, "test": cfg.voc07_test}, rng)
    voc07 |= _split(voc07["trainval"], {"train": cfg.voc07_trainval // 2,
                                         "val": cfg.voc07_trainval - cfg.voc07_trainval // 2}, rng)
    ids12 = [f"2012_{i + 1:06d}" for i in range(cfg.voc12_train + cfg.voc12_val + cfg.voc12_test)]
    voc12 = _split(ids12, {"train": cfg.voc12_train, "val": cfg.voc12_val, "test": cfg.voc12_test}, rng)
    voc12["trainval"] = sorted(voc12["train"] + voc12["val"])
    action_ids, action_sets, index = [], {"trainval": [], "test": []}, 0
    for split, target in (("trainval", cfg.action_trainval_persons), ("test", cfg.action_test_persons)):
        persons = 0
        while persons < target:
            persons += persons_in_image(item_rng(seed, "action", index))
            action_ids.append(f"2011_{index + 1:06d}")
            action_sets[split].append(action_ids[-1])
            index += 1
    half = len(action_sets["trainval"]) // 2
    action_sets |= _split(action_sets["trainval"], {"train": half, "val": len(action_sets["trainval"]) - half}, rng)
    coco = {"train": list(range(1, cfg.coco_train + 1)),
            "val": list(range(cfg.coco_train + 1, cfg.coco_train + cfg.coco_val + 1))}
    return {"voc07": (ids07, voc07), "voc12": (ids12, voc12), "action": (action_ids, action_sets), "coco": coco}


def _jobs(tax: Taxonomy, cfg: WorldConfig, plan: dict) -> dict[str, list]:
    source = [(leaf.index, split, k) for leaf in source_leaves(tax)
              for split, n in (("train", cfg.source_train_per_leaf), ("val", cfg.source_val_per_leaf))
              for k in range(n)]
    jpeg = "VOCdevkit/{}/JPEGImages/{}.jpg"
    coco_items = [(i, f"coco/{split}/{i:012d}.jpg") for split, ids in plan["coco"].items() for i in ids]
    return {"source": source,
            "voc07": [(i, jpeg.format("VOC2007", x)) for i, x in enumerate(plan["voc07"][0])],
            "voc12": [(i, jpeg.format("VOC2012", x)) for i, x in enumerate(plan["voc12"][0])],
            "action": [(int(x[5:]) - 1, jpeg.format("VOC2012", x)) for x in plan["action"][0]],
            "coco": coco_items}


def _make_folders(out: Path, tax: Taxonomy) -> None:
    for leaf in source_leaves(tax):
        for split in ("train", "val"):
            (out / "source" / split / leaf.node_id).mkdir(parents=True, exist_ok=True)
    for year in ("VOC2007", "VOC2012"):
        for sub in ("JPEGImages", "Annotations"):
            (out / "VOCdevkit" / year / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("train", "val", "annotations"):
        (out / "coco" / sub).mkdir(parents=True, exist_ok=True)


def _context():
    """``fork`` on Linux (fast, and safe here: workers use only numpy and PIL, never torch), else ``spawn``
    (which needs the usual ``if __name__ == "__main__":`` guard in a calling script)."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _run(jobs: dict[str, list], tax: Taxonomy, cfg: WorldConfig, seed: int, out: Path, workers: int,
         verbose: bool, mode: str = "full", desc: str = "mini world") -> dict[str, list]:
    batches = [(kind, items[i:i + BATCH[kind]]) for kind, items in jobs.items()
               for i in range(0, len(items), BATCH[kind])]
    results: dict[str, list] = {kind: [] for kind in jobs}
    total = sum(len(items) for items in jobs.values())
    args = (tax, cfg, seed, str(out), mode)
    with tqdm(total=total, desc=desc, unit="img", disable=not verbose or total < 100) as bar:
        if workers <= 1:
            render_jobs.init_worker(*args)
            stream = map(render_jobs.run_batch, batches)
            for (kind, _), result in zip(batches, stream):
                results[kind].extend(result)
                bar.update(len(result))
        else:
            with _context().Pool(workers, render_jobs.init_worker, args) as pool:
                for (kind, _), result in zip(batches, pool.imap(render_jobs.run_batch, batches)):
                    results[kind].extend(result)
                    bar.update(len(result))
    return results


def generate_into(out: Path, cfg: WorldConfig, seed: int, workers: int = 2, verbose: bool = True) -> dict:
    """Write a whole world into ``out`` (an empty folder); return the content of ``world.json``."""
    tax = build_taxonomy(cfg, seed)
    _dump(out / "taxonomy.json", tax.nodes)
    subsets = subsets_document(tax, cfg)
    _dump(out / "source_subsets.json", subsets)
    _dump(out / "bindings.json", bindings_document(tax))
    plan = plan_scenes(cfg, seed)
    jobs = _jobs(tax, cfg, plan)
    _make_folders(out, tax)
    results = _run(jobs, tax, cfg, seed, out, workers, verbose)
    counts = write_annotations(out, plan, jobs, results)
    counts["source_images"] = {"train": sum(1 for j in jobs["source"] if j[1] == "train"),
                               "val": sum(1 for j in jobs["source"] if j[1] == "val")}
    counts["leaves"] = len(tax.leaves)
    counts["source_leaves"] = len(source_leaves(tax))
    counts["nodes"] = len(tax.nodes)
    counts["variants"] = subsets["counts"]
    return {"format_version": FORMAT_VERSION, "hash": cfg.hash(seed), "seed": seed, "config": cfg.to_dict(),
            "knobs": cfg.knobs(), "counts": counts}
