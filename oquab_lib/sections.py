"""The sections of a profile and the dataclass of each: importing this module registers them in
:data:`oquab_lib.schema.SECTION_SCHEMAS`, so that ``config.resolve`` checks every field of every section (overrides of
keys a profile's dict does not list included) against its type and range before any compute.

Why a module of its own: the dataclasses live with the packages that own them (``source``, ``cvpr14``, ``cvpr15``),
and ``config`` / ``session`` are foundations that may not import those packages (tests/test_architecture.py). This is
the one place that lists them; ``session.start`` imports it when it runs (a function-level import: by then every
module is loaded, so no partial-import cycle), and a test that calls ``config.resolve`` directly imports it first.
"""

from __future__ import annotations

from oquab_lib.cvpr14.actions.config import ActionsConfig
from oquab_lib.cvpr14.config import Cvpr14Config
from oquab_lib.cvpr15.config import Cvpr15Config
from oquab_lib.data.synth.world_config import WorldConfig
from oquab_lib.schema import SECTION_SCHEMAS
from oquab_lib.source.config import SourceConfig

SCHEMAS: dict[str, type] = {"world": WorldConfig, "source": SourceConfig, "cvpr14": Cvpr14Config,
                            "actions": ActionsConfig, "cvpr15": Cvpr15Config}
SECTION_SCHEMAS.update(SCHEMAS)
