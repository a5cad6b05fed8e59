"""The results cache: ``runs/<experiment>-<hash of the resolved config>/``.

An entry is trusted only when it is complete: results are computed into a sibling work folder
``runs/.<experiment>-<hash>.partial/`` and the folder is renamed into place (atomic on one file system) once everything,
including a ``config.json`` and a ``COMPLETE`` marker, is written. A killed run leaves at most a ``.partial`` folder,
which no reader trusts; training code may keep its per-epoch checkpoints there so that a later run resumes from them.

Concurrency: computing an entry holds its lock, ``runs/.locks/<experiment>-<hash>.lock`` (``fcntl.flock``, released by
the kernel when the process dies). Only the lock holder writes the ``.partial`` folder, so it is one process's work
folder at a time, and a killed holder's checkpoints are found by the next one. A second process asking for the same
entry waits, then reads the winner's result. Every step of the finalisation can be redone, so a kill between any two
steps leaves something the next run completes (:func:`fault_point` marks the step boundaries for tests).

Files are written with regular, checked writes (never through ``mmap``: a full disk would be a SIGBUS), after a
free-space check, and created with the process umask. Reading a complete entry needs no write access.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import io
import json
import math
import os
import secrets
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from oquab_lib.disk import check_free_space
from oquab_lib.errors import DiskFullError

COMPLETE_MARKER = "COMPLETE"
LOCKS = ".locks"
FAULT_ENV = "OQUAB_FAULT_AT"


def config_hash(config: dict[str, Any]) -> str:
    """A short stable hash of a JSON-serialisable config (key order does not matter)."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class HitsOnly(type(Path())):  # type: ignore[misc]
    """A runs dir that only serves hits: :func:`load_or_compute` under it raises :class:`CacheMiss` instead of
    computing. Paths joined from it keep the type, so it travels down with the ``run`` (or ``runs_dir``) passed."""


def hits_only(runs_dir: str | os.PathLike) -> HitsOnly:
    """``runs_dir`` marked hits-only: a caller tries the cheap, fully cached path first (e.g. serially) with a run
    carrying it (``dataclasses.replace(run, runs_dir=cache.hits_only(run.runs_dir))``) and sets up the expensive one
    (e.g. worker processes) only on :class:`CacheMiss`. The policy is in the object passed, not in module state."""
    return HitsOnly(runs_dir)


def runs_path(runs_dir: str | os.PathLike) -> Path:
    """``runs_dir`` as a Path, keeping a :class:`HitsOnly` marker (``Path(x)`` would drop it)."""
    return runs_dir if isinstance(runs_dir, Path) else Path(runs_dir)


def entry_dir(runs_dir: str | os.PathLike, experiment: str, config: dict[str, Any]) -> Path:
    """Where the entry of ``experiment`` under ``config`` lives (whether or not it exists yet)."""
    return runs_path(runs_dir) / f"{experiment}-{config_hash(config)}"


def partial_dir(runs_dir: str | os.PathLike, experiment: str, config: dict[str, Any]) -> Path:
    """The work folder of an entry being computed (checkpoints live here until the entry is complete)."""
    return runs_path(runs_dir) / f".{experiment}-{config_hash(config)}.partial"


def is_complete(entry: Path) -> bool:
    return (entry / COMPLETE_MARKER).is_file()


class CacheMiss(Exception):
    """Raised by :func:`load_or_compute` on a miss under a :func:`hits_only` runs dir (the message is the entry)."""


# Open tallies (oquab_lib.session.cache_summary): each load_or_compute appends ("hit" | "computed", entry) to every
# one, and a hit is then not printed, so a chapter prints one summary line per call instead of a line per entry.
_tallies: list[list[tuple[str, Path]]] = []


ENTRY_LOG_ENV = "OQUAB_ENTRY_LOG"


def _log_entry(entry: Path) -> None:
    """Append the entry's name to ``$OQUAB_ENTRY_LOG`` when set: the book runner's record of what a chapter read
    (oquab_lib/tools/uptodate.py). One short ``O_APPEND`` write per entry, so worker processes may share the file."""
    log = os.environ.get(ENTRY_LOG_ENV)
    if log:
        with open(log, "a") as handle:
            handle.write(entry.name + "\n")


def _hit(entry: Path, verbose: bool, how: str = "cache hit") -> Path:
    _log_entry(entry)
    for tally in _tallies:
        tally.append(("hit", entry))
    if verbose and not _tallies:
        print(f"{how}: {entry}")
    return entry


def fault_point(step: str) -> None:
    """A step boundary of a cache write. Tests replace this function (or set ``OQUAB_FAULT_AT=<step>`` in a child
    process, which then kills itself here with SIGKILL: no cleanup runs) to check that any kill is recoverable."""
    if os.environ.get(FAULT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


@contextlib.contextmanager
def entry_lock(runs_dir: str | os.PathLike, name: str, verbose: bool = True) -> Iterator[None]:
    """Hold the lock of entry ``name`` (waiting while another process holds it). The kernel drops it on any exit."""
    folder = Path(runs_dir) / LOCKS
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / f"{name}.lock", "a")  # noqa: SIM115 (closed below); 'a': created with the umask
    except OSError as error:
        raise _one_line(error, folder, "computing a missing cache entry") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if verbose:
                print(f"waiting for another process computing {Path(runs_dir) / name}", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_or_compute(
    runs_dir: str | os.PathLike,
    experiment: str,
    config: dict[str, Any],
    compute: Callable[[Path], None],
    verbose: bool = True,
    hits_only: bool = False,
) -> Path:
    """Return the complete entry folder of ``experiment``/``config``, calling ``compute(work_dir)`` on a miss.

    ``compute`` writes its results (use :func:`save_json`, :func:`save_csv`, :func:`save_state_dict`,
    :class:`NpyWriter`) into the work folder it is given; the folder is kept between interrupted attempts, so
    ``compute`` may resume from what it finds there. ``hits_only`` (or a :class:`HitsOnly` runs dir): raise
    :class:`CacheMiss` instead of computing.
    """
    entry = entry_dir(runs_dir, experiment, config)
    if is_complete(entry):
        return _hit(entry, verbose)
    if hits_only or isinstance(runs_dir, HitsOnly):
        raise CacheMiss(str(entry))
    with entry_lock(runs_dir, entry.name, verbose):
        if is_complete(entry):  # another process computed it while this one waited
            return _hit(entry, verbose, "cache hit (computed by another process)")
        work = partial_dir(runs_dir, experiment, config)
        if not is_complete(work):  # a complete work folder: killed while publishing, only the rename is left
            try:
                work.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise _one_line(error, work.parent, "computing a missing cache entry") from None
            if verbose:
                print(f"cache miss: computing {entry}")
            compute(work)
            fault_point("computed")
            save_json(work / "config.json", config)
            fault_point("config-saved")
            atomic_write_bytes(work / COMPLETE_MARKER, b"")
            fault_point("marked-complete")
        _publish(work, entry)
    _log_entry(entry)
    for tally in _tallies:
        tally.append(("computed", entry))
    return entry


def _publish(work: Path, entry: Path) -> None:
    """Rename the complete ``work`` folder into place; an incomplete ``entry`` (an older layout, a killed removal) is
    never trusted and is removed first. Each step can be redone after a kill."""
    if entry.exists():
        shutil.rmtree(entry)
        fault_point("stale-removed")
    os.replace(work, entry)
    fault_point("published")


# ------------------------------------------------------------------------------------------------ checked writes
def _human(nbytes: float) -> str:
    return f"{nbytes / 2**20:.1f} MiB" if nbytes < 2**30 else f"{nbytes / 2**30:.2f} GiB"


def _one_line(error: OSError, folder: Path, what: str, needed: int | None = None) -> OSError:
    """A one-line error for a failed write: disk full (naming the folder and the space needed) or not writable."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        need = f"{_human(needed)} " if needed else "space "
        return DiskFullError(f"{folder}: disk full while {what} (needs {need}more than the "
                             f"{_human(_free(folder))} free); free some space or pass another runs_dir")
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return PermissionError(f"{folder} is not writable ({what}); pass a writable runs_dir")
    return error


def _free(folder: Path) -> int:
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("/"))
    return shutil.disk_usage(existing).free


def ensure_space(folder: str | os.PathLike, nbytes: int, what: str = "writing a cache file") -> None:
    """Raise :class:`DiskFullError` naming ``folder`` when it has too little free for ``nbytes`` (before a write)."""
    check_free_space(folder, nbytes, what)


def _open_temp(path: Path) -> tuple[int, Path]:
    """A new temporary file beside ``path``, unique to this process, mode 0666 less the umask (not mkstemp's 0600)."""
    tmp = path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp


def _write_all(fd: int, data: memoryview | bytes, offset: int) -> None:
    view = memoryview(data).cast("B")
    while view.nbytes:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ensure_space(path.parent, len(data), f"writing {path.name}")
        fd, tmp = _open_temp(path)
    except OSError as error:
        raise _one_line(error, path.parent, f"writing {path.name}", len(data)) from None
    try:
        try:
            _write_all(fd, data, 0)
            os.fsync(fd)
        finally:
            os.close(fd)
        fault_point("tmp-written")
        os.replace(tmp, path)
    except BaseException as error:
        tmp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _one_line(error, path.parent, f"writing {path.name}", len(data)) from None
        raise


class NpyWriter:
    """A ``.npy`` file written row by row with regular, checked writes, published by a rename on :meth:`close`.

    ``writer[rows] = values`` writes rows (an int, or sorted indices ``[B]`` with ``values [B, *shape[1:]]``); rows
    never written read as zeros. Reading the result through ``np.load(..., mmap_mode="r")`` is fine; writing through
    a map is not (a full disk would kill the process with SIGBUS instead of raising).
    """

    def __init__(self, path: str | os.PathLike, shape: tuple[int, ...], dtype: Any) -> None:
        self.path, self.shape, self.dtype = Path(path), tuple(int(s) for s in shape), np.dtype(dtype)
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": np.lib.format.dtype_to_descr(self.dtype),
                                                      "fortran_order": False, "shape": self.shape})
        self.offset = len(header.getvalue())
        self.row_bytes = self.dtype.itemsize * math.prod(self.shape[1:])
        self.nbytes = self.offset + self.row_bytes * self.shape[0]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            ensure_space(self.path.parent, self.nbytes, f"writing {self.path.name}")
            self.fd, self.tmp = _open_temp(self.path)
            _write_all(self.fd, header.getvalue(), 0)
            os.ftruncate(self.fd, self.nbytes)  # unwritten rows are zeros
        except OSError as error:
            raise self._error(error) from None

    def _error(self, error: OSError) -> OSError:
        return _one_line(error, self.path.parent, f"writing {self.path.name}", self.nbytes)

    def __setitem__(self, rows: int | np.ndarray | torch.Tensor, values: np.ndarray) -> None:
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        values = np.ascontiguousarray(values, dtype=self.dtype).reshape(len(rows), -1)
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1  # runs of consecutive rows: one write each
        try:
            for start, stop in zip([0, *breaks], [*breaks, len(rows)]):
                _write_all(self.fd, values[start:stop], self.offset + int(rows[start]) * self.row_bytes)
        except OSError as error:
            raise self._error(error) from None

    def close(self) -> None:
        try:
            try:
                os.fsync(self.fd)
            finally:
                os.close(self.fd)
            fault_point("tmp-written")
            os.replace(self.tmp, self.path)
        except BaseException as error:  # noqa: BLE001 (re-raised: a kill leaves no temporary file)
            self.tmp.unlink(missing_ok=True)
            raise self._error(error) if isinstance(error, OSError) else error from None

    def __enter__(self) -> NpyWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
            return
        with contextlib.suppress(OSError):
            os.close(self.fd)
        self.tmp.unlink(missing_ok=True)


def save_array(path: str | os.PathLike, array: np.ndarray) -> None:
    """``np.save`` with checked writes (:class:`NpyWriter`); ``array`` has at least one dimension."""
    array = np.asarray(array)
    with NpyWriter(path, array.shape, array.dtype) as writer:
        if len(array):
            writer[np.arange(len(array))] = array


def save_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_bytes(path, _json_bytes(obj))


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, indent=2, sort_keys=True, default=str).encode()


def writable(folder: str | os.PathLike) -> bool:
    """Whether files can be created in ``folder`` (or in its nearest existing parent, where it does not exist)."""
    existing = next((p for p in (Path(folder), *Path(folder).parents) if p.exists()), Path("/"))
    return os.access(existing, os.W_OK) and not os.statvfs(existing).f_flag & os.ST_RDONLY


def save_json_if_writable(path: str | os.PathLike, obj: Any) -> bool:
    """Save ``obj`` unless ``path`` already holds it; where the folder is read-only, say so on stderr and go on (a
    fully cached build on a read-only runs dir). Returns whether the file was written."""
    path, data = Path(path), _json_bytes(obj)
    if path.is_file() and path.read_bytes() == data:
        return False
    try:
        atomic_write_bytes(path, data)
    except PermissionError:
        print(f"note: {path.parent} is read-only; {path.name} not updated", file=sys.stderr)
        return False
    return True


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
