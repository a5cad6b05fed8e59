"""A rehearsal of the ``full`` profile: every chapter on a tiny tree in the real formats, with the real architecture.

A user with Pascal VOC, COCO and a GPU runs code paths that the book's ``quick`` profile never takes: the readers of
real VOCdevkit / COCO 2014 trees, torchvision's AlexNet with ImageNet weights, the full-profile branches of every
chapter. ``python -m oquab_lib.tools.rehearse OUT`` (``make rehearse``) takes them all, on CPU, at toy size:

1. the mini world's smoke tree is generated (real VOCdevkit layout: VOC2007, VOC2012 with Action) and laid out as a
   real ``data_root``: ``VOCdevkit/`` and ``coco/`` with COCO 2014's names (``train2014/``, ``val2014/``,
   ``annotations/instances_{train,val}2014.json``); no ImageNet-style source tree, as on most users' machines;
2. a torchvision-layout AlexNet state dict with random weights (seeded) is written to a local file and named as the
   "ImageNet weights" (``cvpr14.weights_path``, ``cvpr15.weights_path``);
3. every chapter of ``_toc.yml`` runs at ``profile full`` with :data:`SHRINK`, overrides that shrink sizes only
   (images, scales, epochs, seeds), never the architecture or the code path; then ``pytest --nbval-lax`` re-runs the
   executed notebooks.

The numbers mean nothing (random weights, a few images); what is tested is that every full-profile path runs.
``--quick`` runs only the chapters whose full-profile paths differ most from the book's (torchvision's AlexNet for the
CVPR'14 patch pipeline, the CVPR'15 weak net on a real-format tree), without the nbval re-run: a step of ``make test``
(executing a chapter already fails on any error).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import torch

from oquab_lib.tools.runner import execute, toc_notebooks

# Overrides that shrink the full profile to toy size; every key is a documented config field (see oquab_lib/config.py).
# Lists, not tuples: papermill passes parameters as JSON-like literals (a tuple would arrive as its repr string).
SHRINK = {
    "cvpr14.scales": [1, 2], "cvpr14.max_images": [8, 6, 8], "cvpr14.max_epochs": 1, "cvpr14.scratch_max_epochs": 1,
    "cvpr14.batch_size": 32, "cvpr14.scratch_batch_size": 16, "cvpr14.feature_batch_size": 32,
    "cvpr14.ablation_hidden": [[], [64]], "cvpr14.ablation_background": [0.1, 0.5], "cvpr14.head_hidden": [64],
    "actions.epochs": 1, "actions.jitter_grid": 2, "actions.seeds": [0, 1], "actions.hidden": [64],
    "actions.batch_size": 16, "actions.heatmap_images": 1,
    "cvpr15.image_size": 160, "cvpr15.epochs": 1, "cvpr15.coco_epochs": 1, "cvpr15.max_images": 12,
    "cvpr15.hidden": 64, "cvpr15.test_scales": [0.7, 1.0], "cvpr15.num_workers": 0, "cvpr15.strong_epochs": 1,
}
QUICK_CHAPTERS = ("cvpr14_table1", "cvpr15_table1")
WEIGHTS_NAME = "alexnet-random-weights.pth"


def write_random_alexnet(path: Path, seed: int = 0) -> Path:
    """torchvision's AlexNet with random (seeded) weights, saved as a state dict where ImageNet weights would be."""
    from torchvision.models import alexnet

    torch.manual_seed(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(alexnet(weights=None).state_dict(), path)
    return path


def make_tree(world: Path, root: Path) -> Path:
    """``root`` as a real ``data_root``: ``VOCdevkit`` from ``world``, and ``coco`` with COCO 2014's file names."""
    if root.exists():
        shutil.rmtree(root)
    (root / "coco" / "annotations").mkdir(parents=True)
    (root / "VOCdevkit").symlink_to((world / "VOCdevkit").resolve())
    for split in ("train", "val"):
        (root / "coco" / f"{split}2014").symlink_to((world / "coco" / split).resolve())
        shutil.copy(world / "coco" / "annotations" / f"instances_{split}.json",
                    root / "coco" / "annotations" / f"instances_{split}2014.json")
    return root


def prepare(out: Path) -> tuple[Path, dict[str, object]]:
    """The rehearsal tree and the overrides that name its weights file."""
    from oquab_lib.data.synth import ensure_world

    world = ensure_world(out / "world", "smoke", seed=0, verbose=False)
    root = make_tree(world, out / "data")
    weights = write_random_alexnet(out / WEIGHTS_NAME)
    return root, {**SHRINK, "cvpr14.weights_path": str(weights), "cvpr15.weights_path": str(weights)}


def rehearse(out: Path, chapters: tuple[str, ...] | None = None, nbval: bool = True) -> list[Path]:
    """Execute the chapters (default: every chapter of ``_toc.yml``) at profile full on the rehearsal tree."""
    root, overrides = prepare(out)
    scripts = [s for s in toc_notebooks(Path("_toc.yml")) if chapters is None or s.stem in chapters]
    outputs = []
    for script in scripts:
        output = out / "executed" / f"{script.stem}.ipynb"
        seconds = execute(script, output, {"profile": "full", "data_root": str(root), "device": "cpu",
                                           "runs_dir": str(out / "runs"), "overrides": overrides})
        print(f"rehearsed {script.stem} at profile full in {seconds:.1f} s", flush=True)
        outputs.append(output)
    if nbval:
        shutil.rmtree(out / "runs", ignore_errors=True)
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                        *map(str, outputs)], check=True)
    return outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="work folder (tree, weights, runs, executed notebooks)")
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK_CHAPTERS)}")
    args = parser.parse_args(argv)
    rehearse(args.out.resolve(), QUICK_CHAPTERS if args.quick else None, nbval=not args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
