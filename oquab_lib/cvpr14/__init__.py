"""CVPR 2014, *Learning and Transferring Mid-Level Image Representations using CNNs*.

``config`` the ``cvpr14`` section and seeds · ``features`` patch sets, crops and frozen-network features ·
``tables`` score aggregation, transfer heads, Tables 1-2 · ``figures`` the figures · ``actions/`` Table 3.
A chapter calls ``cvpr14.config(run)``, ``cvpr14.seeds(run)``, then ``cvpr14.table1(run)`` / ``cvpr14.table2(run)``.
"""

from oquab_lib.cvpr14.config import Cvpr14Config, config, seeds
from oquab_lib.cvpr14.tables import selection_table, table1, table2, targeted_gain

__all__ = ["Cvpr14Config", "config", "seeds", "table1", "table2", "selection_table", "targeted_gain"]
