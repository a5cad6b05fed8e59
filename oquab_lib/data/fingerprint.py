"""What identifies a data set in a cache key."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def world_fingerprint(data_root: str | Path) -> dict[str, str]:
    """What identifies the data: the hash of ``world.json`` (a generated world) or else the resolved root path."""
    world = Path(data_root) / "world.json"
    if world.is_file():  # the generator's own hash (config + seed + format version), else the file's
        text = world.read_bytes()
        try:
            return {"world": str(json.loads(text)["hash"])}
        except (ValueError, KeyError, TypeError):
            return {"world": hashlib.sha256(text).hexdigest()[:16]}
    return {"data_root": str(Path(data_root).resolve())}
