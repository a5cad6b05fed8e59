"""The CVPR'15 configuration: unknown keys and bad values are one-line errors."""

from __future__ import annotations

import pytest

from oquab_lib.cvpr15.config import Cvpr15Config
from oquab_lib.errors import ConfigError

pytestmark = pytest.mark.usefixtures("one_thread")


def test_config_rejects_unknown_keys_and_bad_values():
    with pytest.raises(ConfigError, match="cvpr15.hiden"):
        Cvpr15Config.from_section({"hiden": 3})
    with pytest.raises(ConfigError, match="pooling"):
        Cvpr15Config(pooling="median")
    with pytest.raises(ConfigError, match="train_scales"):
        Cvpr15Config(train_scales=(1.4, 0.7))


def test_the_location_chapter_takes_its_own_seeds_and_nothing_else_changes():
    from oquab_lib.config import resolve
    from oquab_lib.cvpr15.config import location_run, seeds

    run = resolve("quick", seed=2, overrides={"cvpr15.location_seeds": (0, 1, 2, 3, 4)})
    assert seeds(run) == [2, 3, 4] and seeds(location_run(run)) == [2, 3, 4, 5, 6]
    assert {k: v for k, v in location_run(run).sections["cvpr15"].items() if k != "seeds"} == {
        k: v for k, v in run.sections["cvpr15"].items() if k != "seeds"}
    same = resolve("quick", overrides={"cvpr15.location_seeds": ()})
    assert location_run(same) is same
