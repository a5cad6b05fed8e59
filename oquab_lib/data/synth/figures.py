"""Figure helpers for the book's data chapter (matplotlib): sample grids of a generated world, read from its files.

``sample_grid(root, kind)`` with kind ``source`` (a row of samples per superclass), ``voc`` (scenes with their boxes;
difficult objects dashed), ``action`` (person boxes with their actions) or ``coco``. ``class_share_figure`` and
``object_size_figure`` draw the class and size statistics of :mod:`oquab_lib.data.synth.reference` /
:func:`oquab_lib.data.synth.stats.object_table`.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
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


def _source_samples(root: Path, per_row: int, groups, split: str, seed: int) -> list[tuple[str, list]]:
    """(group, [(leaf name, RGB array), ...]) per superclass that has images."""
    by_id, by_name = _nodes(root)
    rng = np.random.default_rng(seed)
    rows = []
    for group in (g for g in groups if g in by_name):
        leaves = [l for l in _leaves_under(by_id, by_name[group]) if (root / "source" / split / l).is_dir()]
        samples = []
        for _ in range(per_row if leaves else 0):
            leaf = leaves[int(rng.integers(len(leaves)))]
            files = sorted((root / "source" / split / leaf).glob("*.JPEG"))
            samples.append((by_id[leaf]["name"], np.asarray(Image.open(files[int(rng.integers(len(files)))])
                                                             .convert("RGB"))))
        rows.append((group, samples))
    return rows


def source_grid(root, per_row: int = 8, groups=SOURCE_GROUPS, split: str = "train", seed: int = 0):
    """A row of source images per superclass (leaves drawn at random among those with images), drawn as one
    montage (one image, not one axes per sample: fast enough for a smoke run)."""
    rows = _source_samples(Path(root), per_row, groups, split, seed)
    side = max((img.shape[0] for _, samples in rows for _, img in samples), default=16)
    gap, top = max(2, side // 10), max(6, side // 4)  # between tiles; above each tile, for the leaf name
    cell_w, cell_h = side + gap, side + top
    canvas = np.full((len(rows) * cell_h, per_row * cell_w - gap, 3), 255, dtype=np.uint8)
    fig, ax = plt.subplots(figsize=(per_row * 1.1 + 1.2, len(rows) * 1.25))
    for r, (group, samples) in enumerate(rows):
        y = r * cell_h + top
        for k, (name, img) in enumerate(samples):
            x = k * cell_w
            canvas[y:y + img.shape[0], x:x + img.shape[1]] = img
            ax.text(x + side / 2, y - 1.5, name, ha="center", va="bottom", fontsize=6)
        ax.text(-gap, y + side / 2, group, ha="right", va="center", fontsize=8)
    ax.imshow(canvas, interpolation="nearest")
    ax.axis("off")
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


BOX_LEGEND = [Line2D([], [], color="red", linewidth=1.2, label="annotated object"),
              Line2D([], [], color="yellow", linestyle="--", linewidth=1.2, label="difficult (ignored by the devkit)")]


def _choose_scenes(devkit: Path, ids: list[str], n: int, with_difficult: int, rng) -> list[str]:
    """``n`` image ids at random, ``with_difficult`` of them among the images holding a difficult object."""
    n = min(n, len(ids))
    chosen: list[str] = []
    if with_difficult > 0:
        hard = [i for i in ids if any(d for *_, d, _ in _voc_objects(devkit / "Annotations" / f"{i}.xml"))]
        chosen = list(rng.choice(hard, size=min(with_difficult, len(hard), n), replace=False)) if hard else []
    taken = set(chosen)
    rest = [i for i in ids if i not in taken]
    chosen += list(rng.choice(rest, size=n - len(chosen), replace=False))
    return sorted(chosen)


def scene_grid(root, year: str = "2007", split: str = "test", n: int = 12, cols: int = 4, action: bool = False,
               seed: int = 0, with_difficult: int = 0):
    """Scenes of a VOC tree with their boxes (difficult: yellow dashed); ``action=True``: action images.
    ``with_difficult``: how many of the ``n`` scenes are drawn among those holding a difficult object."""
    devkit = Path(root) / "VOCdevkit" / f"VOC{year}"
    ids = (devkit / "ImageSets" / ("Action" if action else "Main") / f"{split}.txt").read_text().split()
    chosen = _choose_scenes(devkit, ids, n, with_difficult, np.random.default_rng(seed))
    fig, axes = plt.subplots(-(-len(chosen) // cols), cols, figsize=(cols * 2.4, -(-len(chosen) // cols) * 2.0),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image_id in zip(axes.ravel(), chosen):
        ax.imshow(Image.open(devkit / "JPEGImages" / f"{image_id}.jpg"))
        objects = _voc_objects(devkit / "Annotations" / f"{image_id}.xml")
        _draw_boxes(ax, [(label, box, diff) for label, box, diff, _ in objects])
        hard = sum(diff for *_, diff, _ in objects)
        noun = "person" if action else "object"
        ax.set_title(f"{image_id}: {len(objects)} {noun}{'s' * (len(objects) > 1)}"
                     + (f", {hard} difficult" if hard else ""), fontsize=6)
    fig.tight_layout()
    if not action:
        fig.legend(handles=BOX_LEGEND, loc="lower center", ncol=2, fontsize=7, frameon=False,
                   bbox_to_anchor=(0.5, -0.03))
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


def class_share_figure(class_table: pd.DataFrame, real_label: str = "VOC 2007 trainval (published)"):
    """Two bar panels per VOC class, ours beside the real dataset: % of images holding the class, % of objects
    (:func:`oquab_lib.data.synth.reference.voc07_class_comparison` rows in)."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 5.2), sharey=True)
    positions = np.arange(len(class_table))
    for ax, measure in zip(axes, ("% images", "% objects")):
        ax.barh(positions - 0.2, class_table[f"real: {measure}"], height=0.4, color="#9aa5b1", label=real_label)
        ax.barh(positions + 0.2, class_table[f"ours: {measure}"], height=0.4, color="#d1495b",
                label="mini world (ours)")
        ax.set_xlabel("images holding the class (%)" if measure == "% images"
                      else "share of the non-difficult objects (%)")
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
    axes[0].set_yticks(positions, class_table.index, fontsize=8)
    axes[0].invert_yaxis()
    axes[0].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def object_size_figure(tables: dict[str, pd.DataFrame], difficult_of: str = "VOC 2007 analog"):
    """Left: histogram of the relative size sqrt(box area / image area) of one dataset's objects, difficult ones
    stacked apart; right: the cumulative size distribution of every dataset (``name -> object_table`` rows)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    bins = np.linspace(0, 1, 26)
    objects = tables[difficult_of]
    left.hist([objects.loc[~objects["difficult"], "rel_size"], objects.loc[objects["difficult"], "rel_size"]],
              bins=bins, stacked=True, color=["#d1495b", "#edae49"], label=["annotated", "difficult"])
    left.set(xlabel="relative size sqrt(box area / image area)", ylabel="objects", title=difficult_of)
    left.legend(fontsize=8)
    for (name, table), color in zip(tables.items(), ("#d1495b", "#00798c", "#30638e", "#edae49")):
        sizes = np.sort(table["rel_size"].to_numpy())
        right.plot(sizes, np.arange(1, len(sizes) + 1) / len(sizes), color=color, label=f"{name} ({len(sizes)})")
    right.set(xlabel="relative size", ylabel="fraction of objects smaller", xlim=(0, 1), ylim=(0, 1),
              title="cumulative distribution")
    right.legend(fontsize=8, loc="lower right")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.set_axisbelow(True)
    fig.tight_layout()
    return fig
