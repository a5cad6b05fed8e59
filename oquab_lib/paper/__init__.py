"""The papers' published numbers, copied from the papers into CSV files beside this module.

Each CSV starts with a ``#`` comment line saying where the numbers come from and how they were checked.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from oquab_lib.errors import ConfigError

TABLES = {
    "cvpr14_table1": "cvpr14_table1_voc07_test.csv",
    "cvpr14_table2": "cvpr14_table2_voc12_test.csv",
    "cvpr14_table3": "cvpr14_table3_voc12_action_test.csv",
    "cvpr15_table1": "cvpr15_table_voc12_test.csv",
    "cvpr15_headline": "cvpr15_headline_results.csv",
    "cvpr14_source": "cvpr14_source_networks.csv",
}


def paper_table(name: str) -> pd.DataFrame:
    """A paper table as a DataFrame indexed by its first column (method or quantity), values in percent."""
    if name not in TABLES:
        raise ConfigError(f"unknown paper table {name!r}; accepted: {', '.join(TABLES)}")
    with resources.files(__package__).joinpath(TABLES[name]).open() as handle:
        frame = pd.read_csv(handle, comment="#")
    return frame.set_index(frame.columns[0])


def paper_source_note(name: str) -> str:
    """The provenance comment at the top of a paper table's CSV."""
    with resources.files(__package__).joinpath(TABLES[name]).open() as handle:
        return handle.readline().lstrip("# ").strip()
