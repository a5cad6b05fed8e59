"""CVPR 2015, *Is object localization for free? Weakly-supervised learning with CNNs*.

``config`` the ``cvpr15`` section and seeds · ``data`` image sets and size-bucketed batches · ``train`` weak-net
training (rows D, E, F) with resume · ``predict`` multi-scale testing · ``results`` its cached predictions and C5 maps
· ``strong`` the box-trained start of row E and the CVPR'14 heat-map baseline · ``tables`` classification, location,
COCO and ablation tables · ``figures`` the figures. A chapter calls ``cvpr15.config(run)``, ``cvpr15.seeds(run)``,
then a table function.
"""

from oquab_lib.cvpr15.config import Cvpr15Config, config, location_run, seeds
from oquab_lib.cvpr15.tables import (
    LOCATION_METHODS,
    METHODS,
    ablation_claims,
    ablation_comparisons,
    ablation_summary,
    ablation_table,
    coco_classification_table,
    headline_table,
    location_comparisons,
    location_table,
    per_method,
    seed_values,
    strong_provenance,
    summary,
    voc_classification_table,
    weak_model,
)

__all__ = [
    "Cvpr15Config", "config", "seeds", "location_run", "METHODS", "LOCATION_METHODS", "voc_classification_table",
    "strong_provenance",
    "per_method", "summary", "location_table", "coco_classification_table", "headline_table", "ablation_table",
    "ablation_summary", "ablation_claims", "ablation_comparisons", "weak_model", "seed_values", "location_comparisons",
]
