"""Figure helpers for the book's data chapter (matplotlib): sample grids of a generated world, read from its files.

``sample_grid(root, kind)`` with kind ``source`` (a row of samples per superclass), ``voc`` (scenes with their boxes;
difficult objects dashed), ``action`` (person boxes with their actions) or ``coco``.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle
from PIL import Image

from oquab_lib.errors import DataError

SOURCE_GROUPS = ("dog", "bird", "domestic cat", "hoofed mammal", "motor vehicle", "public transport", "bicycle",
                 "furniture", "person", "container", "device")


def _nodes(root: Path) -> tuple[dict, dict]:
    nodes = json.loads((root / "taxonomy.json").read_text())
    return {n["id"]: n for n in nodes}, {n["name"]: n["id"] for n in nodes if n["kind"] != "leaf"}


def _leaves_under(by_id: dict, node_id: str) -> list[str]:
    def ancestors(n):
        while n is not None:
            yield n
            n = by_id[n]["parent"]
    return [i for i, n in by_id.items() if n["kind"] == "leaf" and node_id in ancestors(i)]


def source_grid(root, per_row: int = 8, groups=SOURCE_GROUPS, split: str = "train", seed: int = 0):
    """A row of source images per superclass (leaves drawn at random among those with images)."""
    root = Path(root)
    by_id, by_name = _nodes(root)
    rng = np.random.default_rng(seed)
    groups = [g for g in groups if g in by_name]
    fig, axes = plt.subplots(len(groups), per_row, figsize=(per_row * 1.1, len(groups) * 1.2), squeeze=False)
    for row, group in zip(axes, groups):
        leaves = [l for l in _leaves_under(by_id, by_name[group]) if (root / "source" / split / l).is_dir()]
        for k, ax in enumerate(row):
            ax.axis("off")
            if not leaves:
                continue
            leaf = leaves[int(rng.integers(len(leaves)))]
            files = sorted((root / "source" / split / leaf).glob("*.JPEG"))
            ax.imshow(Image.open(files[int(rng.integers(len(files)))]))
            ax.set_title(by_id[leaf]["name"], fontsize=6)
        row[0].text(-0.1, 0.5, group, transform=row[0].transAxes, ha="right", va="center", fontsize=8)
    fig.tight_layout()
    return fig


def _voc_objects(xml_path: Path) -> list[tuple[str, list[int], bool, str]]:
    root = ET.parse(xml_path).getroot()
    out = []
    for obj in root.iter("object"):
        box = [int(obj.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")]
        acts = obj.find("actions")
        label = obj.findtext("name") if acts is None else \
            "+".join(a.tag for a in acts if a.text == "1") or "other"
        out.append((label, box, obj.findtext("difficult") == "1", obj.findtext("name")))
    return out


def _draw_boxes(ax, boxes: list[tuple[str, list[int], bool]], one_based: bool = True) -> None:
    for label, (x0, y0, x1, y1), difficult in boxes:
        shift = 1 if one_based else 0
        ax.add_patch(Rectangle((x0 - shift - 0.5, y0 - shift - 0.5), x1 - x0 + 1, y1 - y0 + 1, fill=False,
                               edgecolor="yellow" if difficult else "red", linestyle="--" if difficult else "-",
                               linewidth=0.8))
        ax.text(x0 - shift, y0 - shift, label, fontsize=5, color="white", va="bottom",
                bbox={"facecolor": "black", "alpha": 0.5, "pad": 0.5, "linewidth": 0})


def scene_grid(root, year: str = "2007", split: str = "test", n: int = 12, cols: int = 4, action: bool = False,
               seed: int = 0):
    """Scenes of a VOC tree with their boxes (difficult: yellow dashed); ``action=True``: action images."""
    devkit = Path(root) / "VOCdevkit" / f"VOC{year}"
    ids = (devkit / "ImageSets" / ("Action" if action else "Main") / f"{split}.txt").read_text().split()
    chosen = np.random.default_rng(seed).choice(ids, size=min(n, len(ids)), replace=False)
    fig, axes = plt.subplots(-(-len(chosen) // cols), cols, figsize=(cols * 2.4, -(-len(chosen) // cols) * 2.0),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image_id in zip(axes.ravel(), chosen):
        ax.imshow(Image.open(devkit / "JPEGImages" / f"{image_id}.jpg"))
        objects = _voc_objects(devkit / "Annotations" / f"{image_id}.xml")
        _draw_boxes(ax, [(label, box, diff) for label, box, diff, _ in objects])
        ax.set_title(image_id, fontsize=6)
    fig.tight_layout()
    return fig


def coco_grid(root, split: str = "val", n: int = 8, cols: int = 4, seed: int = 0):
    """COCO-analog images with their boxes."""
    root = Path(root)
    doc = json.loads((root / "coco" / "annotations" / f"instances_{split}.json").read_text())
    names = {c["id"]: c["name"] for c in doc["categories"]}
    images = [doc["images"][i] for i in np.random.default_rng(seed).choice(len(doc["images"]),
                                                                          size=min(n, len(doc["images"])),
                                                                          replace=False)]
    fig, axes = plt.subplots(-(-len(images) // cols), cols, figsize=(cols * 2.4, -(-len(images) // cols) * 2.0),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image in zip(axes.ravel(), images):
        ax.imshow(Image.open(root / "coco" / split / image["file_name"]))
        anns = [a for a in doc["annotations"] if a["image_id"] == image["id"]]
        _draw_boxes(ax, [(names[a["category_id"]], [a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2] - 1,
                                                    a["bbox"][1] + a["bbox"][3] - 1], False) for a in anns],
                    one_based=False)
    fig.tight_layout()
    return fig


def sample_grid(root: str | os.PathLike, kind: str = "source", **kwargs):
    """A matplotlib figure of samples: ``kind`` in ``source``, ``voc`` (kwargs ``year``, ``split``), ``action``,
    ``coco``. Returns the figure."""
    if not (Path(root) / "world.json").is_file():
        raise DataError(f"{root}: no world.json; generate the world first with ensure_world(root, profile)")
    if kind == "source":
        return source_grid(root, **kwargs)
    if kind == "voc":
        return scene_grid(root, **kwargs)
    if kind == "action":
        return scene_grid(root, **{"year": "2012", "split": "train", **kwargs, "action": True})
    if kind == "coco":
        return coco_grid(root, **kwargs)
    raise DataError(f"sample_grid kind={kind!r}: accepted: source, voc, action, coco")
