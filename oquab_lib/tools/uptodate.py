"""Whether a book chapter's executed notebook is up to date, so that ``make book`` may skip executing it.

A chapter is a pure function of its notebook, the library, the parameters, the mini world and the result-cache
entries it reads. After a successful execution the runner writes a stamp, ``<out>/<chapter>.stamp.json``: a digest of
those inputs and the names of the entries the chapter read or computed (logged by :mod:`oquab_lib.cache` to
``$OQUAB_ENTRY_LOG``, worker processes included). The next build skips the chapter when its executed notebook exists,
the digest is the same and every listed entry is still complete in ``runs/``; anything else executes it again.

The digest covers every file of the package (a change anywhere re-executes every chapter: coarse, never stale), the
notebook script, the parameters, the world's ``world.json`` and, for the Claims page, the claims the chapters before it
recorded. Never skipped: the ``full`` profile (real data can change under the same path) and chapters that time
the machine they run on (:data:`ALWAYS_RUN`). ``make book FORCE=1`` executes everything.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from oquab_lib.cache import ENTRY_LOG_ENV, atomic_write_bytes, is_complete
from oquab_lib.verdict_history import HISTORY

ALWAYS_RUN = frozenset({"performance"})  # it benchmarks this machine and shows this build's times
READS_CLAIMS = frozenset({"claims"})  # the chapters that read what the others record in runs/claims/
PACKAGE = Path(__file__).resolve().parents[1]
PACKAGE_FILES = ("*.py", "*.csv")


def stamp_path(output: Path) -> Path:
    return output.with_name(output.stem + ".stamp.json")


def entry_log_path(output: Path) -> Path:
    """Where the chapter's kernel (and its worker processes) log the cache entries they read while it executes."""
    return output.with_name(output.stem + ".entries.log")


def _digest_files(digest: Any, files: list[Path], root: Path) -> None:
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")


def inputs_digest(script: Path, parameters: dict[str, object]) -> str:
    """sha256 of what a chapter's output depends on, besides the cache entries it reads (see the module doc)."""
    digest = hashlib.sha256()
    _digest_files(digest, sorted(p for pattern in PACKAGE_FILES for p in PACKAGE.rglob(pattern)), PACKAGE)
    digest.update(script.read_bytes() + b"\0" + json.dumps(parameters, sort_keys=True, default=str).encode())
    data_root = parameters.get("data_root") or f"data/miniworld-{parameters.get('profile', 'quick')}"
    world = Path(str(data_root)) / "world.json"
    digest.update(world.read_bytes() if world.is_file() else b"no world")
    claims = Path(str(parameters.get("runs_dir", "runs"))) / "claims"
    if script.stem in READS_CLAIMS and claims.is_dir():
        _digest_files(digest, sorted(claims.glob("*.json")), claims)
    if script.stem in READS_CLAIMS and HISTORY.is_file():
        digest.update(HISTORY.read_bytes())  # the earlier builds' verdicts the page sets beside this build's
    return digest.hexdigest()


def is_up_to_date(script: Path, output: Path, parameters: dict[str, object]) -> bool:
    """Whether ``output`` is what executing ``script`` with ``parameters`` would write again (module doc)."""
    if script.stem in ALWAYS_RUN or parameters.get("profile", "quick") == "full" or not output.is_file():
        return False
    stamp = stamp_path(output)
    if not stamp.is_file():
        return False
    recorded = json.loads(stamp.read_text())
    runs_dir = Path(str(parameters.get("runs_dir", "runs")))
    return (recorded.get("inputs") == inputs_digest(script, parameters)
            and all(is_complete(runs_dir / name) for name in recorded.get("entries", [])))


def kernel_env(output: Path) -> dict[str, str]:
    """What the environment of the kernel that executes ``output``'s chapter adds: where to log its entries."""
    return {ENTRY_LOG_ENV: str(entry_log_path(output).resolve())}


def start(output: Path) -> None:
    """Before executing a chapter: forget its stamp and entry log (a failed run leaves no stamp)."""
    stamp_path(output).unlink(missing_ok=True)
    entry_log_path(output).unlink(missing_ok=True)


def finish(script: Path, output: Path, parameters: dict[str, object], seconds: float, entries_computed: int) -> None:
    """After a successful execution: write the stamp (digest, the entries read, when and how long) and drop the log."""
    log = entry_log_path(output)
    entries = sorted(set(log.read_text().split())) if log.is_file() else []
    stamp = {"inputs": inputs_digest(script, parameters), "entries": entries, "seconds": round(seconds, 1),
             "entries_computed": entries_computed, "executed": time.strftime("%Y-%m-%d %H:%M")}
    atomic_write_bytes(stamp_path(output), json.dumps(stamp, indent=1).encode())
    log.unlink(missing_ok=True)


def last_run(output: Path) -> str:
    """When the chapter of an up-to-date ``output`` was last executed, how long it took and whether it computed
    anything, from its stamp: e.g. ``2026-12-03 16:20, 348.5 s, 47 entries computed``."""
    stamp = json.loads(stamp_path(output).read_text())
    computed = stamp.get("entries_computed", 0)
    return f"{stamp['executed']}, {stamp['seconds']} s, " + (f"{computed} entries computed" if computed else "warm")
