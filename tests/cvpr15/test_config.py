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
