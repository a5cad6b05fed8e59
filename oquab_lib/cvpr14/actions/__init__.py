"""CVPR'14 Table 3: action recognition on Pascal VOC 2012 Action.

``config`` the ``actions`` section and seeds · ``samples`` person patches and jitter views · ``tables`` the models and
the table · ``figures`` the action heat maps. A chapter calls ``actions.config(run)``, ``actions.seeds(run)``, then
``actions.table3(run)``.
"""

from oquab_lib.cvpr14.actions.config import ActionsConfig, config, seeds
from oquab_lib.cvpr14.actions.tables import table3

__all__ = ["ActionsConfig", "config", "seeds", "table3"]
