"""Writers of the VOCdevkit layout: ``Annotations/*.xml``, ``ImageSets/Main`` and ``ImageSets/Action`` files.

The XML has every field real VOC files have (folder, filename, source, owner, size, segmented, and per object name,
pose, truncated, difficult, occluded (VOC2012), bndbox with 1-based inclusive xmin / ymin / xmax / ymax; action
objects carry ``<actions>`` with one 0/1 flag per action, ``other`` included). Class files follow the devkit rule:
1 if a non-difficult object of the class is present, 0 if only difficult ones are, -1 if none.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from oquab_lib.data.classes import VOC_ACTIONS, VOC_CLASSES
from oquab_lib.data.synth.scenes import ObjectRecord


def _object_xml(name: str, rec: ObjectRecord, with_occluded: bool, actions: tuple[str, ...] | None) -> str:
    x0, y0, x1, y1 = rec.box
    lines = ["\t<object>", f"\t\t<name>{escape(name)}</name>", f"\t\t<pose>{rec.pose}</pose>",
             f"\t\t<truncated>{int(rec.truncated)}</truncated>"]
    if with_occluded:
        lines.append(f"\t\t<occluded>{int(rec.occluded)}</occluded>")
    lines.append(f"\t\t<difficult>{int(rec.difficult)}</difficult>")
    if actions is not None:
        flags = [f"\t\t\t<{a}>{int(a in actions)}</{a}>" for a in VOC_ACTIONS]
        flags.append(f"\t\t\t<other>{int(not actions)}</other>")
        lines += ["\t\t<actions>", *flags, "\t\t</actions>"]
    lines += ["\t\t<bndbox>", f"\t\t\t<xmin>{x0 + 1}</xmin>", f"\t\t\t<ymin>{y0 + 1}</ymin>",
              f"\t\t\t<xmax>{x1 + 1}</xmax>", f"\t\t\t<ymax>{y1 + 1}</ymax>", "\t\t</bndbox>", "\t</object>"]
    return "\n".join(lines)


def annotation_xml(folder: str, image_id: str, size: tuple[int, int], objects: list[tuple[str, ObjectRecord]],
                   with_occluded: bool, with_actions: bool = False) -> str:
    """The text of one ``Annotations/<image_id>.xml``; ``objects`` = [(VOC name, record)] in file order."""
    w, h = size
    head = [
        "<annotation>", f"\t<folder>{folder}</folder>", f"\t<filename>{image_id}.jpg</filename>",
        "\t<source>", f"\t\t<database>The {folder} Database (oquab mini world)</database>",
        f"\t\t<annotation>PASCAL {folder} analog</annotation>", "\t\t<image>procedural</image>", "\t</source>",
        "\t<owner>", "\t\t<name>oquab synthetic mini world</name>", "\t</owner>",
        "\t<size>", f"\t\t<width>{w}</width>", f"\t\t<height>{h}</height>", "\t\t<depth>3</depth>", "\t</size>",
        "\t<segmented>0</segmented>",
    ]
    body = [_object_xml(name, rec, with_occluded, rec.attrs.get("actions", ()) if with_actions else None)
            for name, rec in objects]
    return "\n".join(head + body + ["</annotation>", ""])


def class_label(objects: list[tuple[str, ObjectRecord]], cls: str) -> int:
    present = [rec for name, rec in objects if name == cls]
    if any(not rec.difficult for rec in present):
        return 1
    return 0 if present else -1


def write_main_image_sets(devkit_year: Path, splits: dict[str, list[str]],
                          objects_by_id: dict[str, list[tuple[str, ObjectRecord]]]) -> None:
    """``ImageSets/Main/<split>.txt`` and ``<class>_<split>.txt`` for every split given."""
    main = devkit_year / "ImageSets" / "Main"
    main.mkdir(parents=True, exist_ok=True)
    for split, ids in splits.items():
        (main / f"{split}.txt").write_text("".join(f"{i}\n" for i in ids))
        for cls in VOC_CLASSES:
            lines = [f"{i} {class_label(objects_by_id[i], cls):2d}\n" for i in ids]
            (main / f"{cls}_{split}.txt").write_text("".join(lines))


def write_action_image_sets(devkit_year: Path, splits: dict[str, list[str]],
                            objects_by_id: dict[str, list[tuple[str, ObjectRecord]]]) -> None:
    """``ImageSets/Action/<split>.txt`` (image ids) and ``<action>_<split>.txt`` lines
    ``<image_id> <object index, 1-based among the file's objects> <1 / -1>``."""
    folder = devkit_year / "ImageSets" / "Action"
    folder.mkdir(parents=True, exist_ok=True)
    for split, ids in splits.items():
        (folder / f"{split}.txt").write_text("".join(f"{i}\n" for i in ids))
        for action in VOC_ACTIONS:
            lines = [f"{i} {k + 1} {1 if action in rec.attrs['actions'] else -1:2d}\n"
                     for i in ids for k, (_, rec) in enumerate(objects_by_id[i])]
            (folder / f"{action}_{split}.txt").write_text("".join(lines))
