"""Source-network pretraining: the CVPR'14 PRE-1000C / PRE-1000R / PRE-1512 networks (and our PRE-1512D control).

``config`` the ``source`` section · ``data`` the source images · ``pretrain`` training and loading, cached ·
``networks`` the Source networks chapter (every variant x seed, tables, curves). A chapter calls
``source.config(run)``, ``source.seeds(run)``, then ``source.train_all(run)``.
"""

from oquab_lib.source.config import SourceConfig, config
from oquab_lib.source.networks import (
    curves_figure,
    paper_vs_ours,
    runs_table,
    seeds,
    summary_table,
    torchvision_reference,
    train_all,
)

__all__ = ["SourceConfig", "config", "seeds", "train_all", "runs_table", "summary_table", "paper_vs_ours",
           "curves_figure", "torchvision_reference"]
