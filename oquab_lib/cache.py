"""The results cache: ``runs/<experiment>-<hash of the resolved config>/``.

An entry is trusted only when it is complete: results are computed into a sibling work folder
``runs/.<experiment>-<hash>.partial/`` and the folder is renamed into place (atomic on one file system) once everything,
including a ``config.json`` and a ``COMPLETE`` marker, is written. A killed run leaves at most a ``.partial`` folder,
which no reader trusts; training code may keep its per-epoch checkpoints there so that a later run resumes from them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import torch

COMPLETE_MARKER = "COMPLETE"


def config_hash(config: dict[str, Any]) -> str:
    """A short stable hash of a JSON-serialisable config (key order does not matter)."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def entry_dir(runs_dir: str | os.PathLike, experiment: str, config: dict[str, Any]) -> Path:
    """Where the entry of ``experiment`` under ``config`` lives (whether or not it exists yet)."""
    return Path(runs_dir) / f"{experiment}-{config_hash(config)}"


def partial_dir(runs_dir: str | os.PathLike, experiment: str, config: dict[str, Any]) -> Path:
    """The work folder of an entry being computed (checkpoints live here until the entry is complete)."""
    return Path(runs_dir) / f".{experiment}-{config_hash(config)}.partial"


def is_complete(entry: Path) -> bool:
    return (entry / COMPLETE_MARKER).is_file()


class CacheMiss(Exception):
    """Raised by :func:`load_or_compute` on a miss inside :func:`hits_only` (the message is the entry's path)."""


_hits_only = False
# Open tallies (oquab_lib.session.cache_summary): each load_or_compute appends ("hit" | "computed", entry) to every
# one, and a hit is then not printed, so a chapter prints one summary line per call instead of a line per entry.
_tallies: list[list[tuple[str, Path]]] = []


@contextlib.contextmanager
def hits_only() -> Iterator[None]:
    """Within this block a cache miss raises :class:`CacheMiss` instead of computing: a caller can try the cheap,
    fully cached path first (e.g. serially) and set up the expensive one (e.g. worker processes) only when needed."""
    global _hits_only
    previous, _hits_only = _hits_only, True
    try:
        yield
    finally:
        _hits_only = previous


def load_or_compute(
    runs_dir: str | os.PathLike,
    experiment: str,
    config: dict[str, Any],
    compute: Callable[[Path], None],
    verbose: bool = True,
) -> Path:
    """Return the complete entry folder of ``experiment``/``config``, calling ``compute(work_dir)`` on a miss.

    ``compute`` writes its results (use :func:`save_json`, :func:`save_csv`, :func:`save_state_dict`) into the work folder
    it is given; the folder is kept between interrupted attempts, so ``compute`` may resume from what it finds there.
    """
    entry = entry_dir(runs_dir, experiment, config)
    if is_complete(entry):
        for tally in _tallies:
            tally.append(("hit", entry))
        if verbose and not _tallies:
            print(f"cache hit: {entry}")
        return entry
    if _hits_only:
        raise CacheMiss(str(entry))
    work = partial_dir(runs_dir, experiment, config)
    work.mkdir(parents=True, exist_ok=True)
    if verbose:
        print(f"cache miss: computing {entry}")
    compute(work)
    save_json(work / "config.json", config)
    atomic_write_bytes(work / COMPLETE_MARKER, b"")
    if entry.exists():  # an incomplete leftover from an older layout: never trusted, replaced
        shutil.rmtree(entry)
    os.replace(work, entry)
    for tally in _tallies:
        tally.append(("computed", entry))
    return entry


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=2, sort_keys=True, default=str).encode())


def load_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text())


def save_csv(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    atomic_write_bytes(path, frame.to_csv().encode())


def load_csv(path: str | os.PathLike) -> pd.DataFrame:
    return pd.read_csv(path, index_col=0)


def save_state_dict(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """``torch.save`` through :func:`atomic_write_bytes`, so a killed save leaves the previous file intact."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load_state_dict(path: str | os.PathLike, map_location: str = "cpu") -> dict[str, Any]:
    return torch.load(path, map_location=map_location, weights_only=True)
