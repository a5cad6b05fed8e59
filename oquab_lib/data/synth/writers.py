"""Turn the workers' object records into the annotation files of every target tree (VOC2007, VOC2012 with
Action, COCO), mapping concepts to each benchmark's class names; objects of concepts a benchmark does not name are
distractors and stay unannotated."""

from __future__ import annotations

import json
from pathlib import Path

from oquab_lib.data.synth.coco import instances_document
from oquab_lib.data.synth.taxonomy import COCO_BINDING, VOC_BINDING
from oquab_lib.data.synth.voc_writer import (
    annotation_xml,
    write_action_image_sets,
    write_main_image_sets,
)

VOC_NAME = {concept: name for name, concept in VOC_BINDING.items()}
COCO_NAME = {concept: name for name, concept in COCO_BINDING.items()}


def _write_voc(year_dir: Path, folder: str, ids: list[str], results: list, with_occluded: bool) -> dict:
    objects_by_id = {}
    for image_id, (size, records) in zip(ids, results):
        objects = [(VOC_NAME[r.concept], r) for r in records if r.concept in VOC_NAME]
        objects_by_id[image_id] = objects
        xml = annotation_xml(folder, image_id, size, objects, with_occluded)
        (year_dir / "Annotations" / f"{image_id}.xml").write_text(xml)
    return objects_by_id


def _summary(objects_by_id: dict, splits: dict[str, list]) -> dict:
    records = [rec for objects in objects_by_id.values() for _, rec in objects]
    n = max(len(records), 1)
    return {"images": {split: len(ids) for split, ids in splits.items()}, "objects": len(records),
            "difficult_fraction": round(sum(r.difficult for r in records) / n, 4),
            "truncated_fraction": round(sum(r.truncated for r in records) / n, 4)}


def write_annotations(out: Path, plan: dict, jobs: dict, results: dict) -> dict:
    """Write every XML / ImageSets / JSON file; return per-tree counts for ``world.json``."""
    counts = {}
    voc07 = out / "VOCdevkit" / "VOC2007"
    ids07, splits07 = plan["voc07"]
    objects07 = _write_voc(voc07, "VOC2007", ids07, results["voc07"], with_occluded=False)
    write_main_image_sets(voc07, splits07, objects07)
    counts["voc07"] = _summary(objects07, splits07)
    voc12 = out / "VOCdevkit" / "VOC2012"
    ids12, splits12 = plan["voc12"]
    objects12 = _write_voc(voc12, "VOC2012", ids12, results["voc12"], with_occluded=True)
    write_main_image_sets(voc12, splits12, objects12)
    counts["voc12"] = _summary(objects12, splits12)
    ids_a, sets_a = plan["action"]
    objects_a = {}
    for image_id, (size, records) in zip(ids_a, results["action"]):
        objects_a[image_id] = [("person", r) for r in records]
        xml = annotation_xml("VOC2012", image_id, size, objects_a[image_id], True, with_actions=True)
        (voc12 / "Annotations" / f"{image_id}.xml").write_text(xml)
    write_action_image_sets(voc12, sets_a, objects_a)
    counts["action"] = _summary(objects_a, sets_a) | {
        "persons": {s: sum(len(objects_a[i]) for i in ids) for s, ids in sets_a.items()},
        "multi_action_persons": sum(len(r.attrs["actions"]) > 1 for v in objects_a.values() for _, r in v)}
    coco_results = iter(results["coco"])
    counts["coco"] = {}
    for split, ids in plan["coco"].items():
        images = []
        for image_id in ids:
            size, records = next(coco_results)
            objects = [(COCO_NAME[r.concept], r) for r in records if r.concept in COCO_NAME]
            images.append((image_id, f"{image_id:012d}.jpg", size, objects))
        doc = instances_document(split, images)
        (out / "coco" / "annotations" / f"instances_{split}.json").write_text(json.dumps(doc))
        counts["coco"][split] = {"images": len(images), "objects": len(doc["annotations"])}
    return counts
