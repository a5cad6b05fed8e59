"""Remove the work folders of failed or abandoned cache entries: ``python -m oquab_lib.tools.clean_runs``.

A failed configuration leaves ``runs/.<experiment>-<hash>.partial/`` (kept so that a rerun resumes from its
checkpoints). This command deletes those untouched for ``--days`` days (default 7) whose entry no process is computing::

    python -m oquab_lib.tools.clean_runs runs --days 3 --dry-run
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import sys
import time
from pathlib import Path

from oquab_lib.cache import LOCKS


def remove_stale_partials(runs_dir: str | os.PathLike, days: float = 7.0, dry_run: bool = False) -> list[Path]:
    """Delete the ``.partial`` work folders untouched for ``days`` (failed or abandoned configurations) whose entry no
    process is computing: each is removed while holding its entry's lock. Returns the folders (to be) removed."""
    folder, cutoff = Path(runs_dir), time.time() - days * 86400
    removed = []
    for work in sorted(folder.glob(".*.partial")) if folder.is_dir() else []:
        newest = max((p.stat().st_mtime for p in work.rglob("*")), default=work.stat().st_mtime)
        lock = folder / LOCKS / f"{work.name[1:].removesuffix('.partial')}.lock"
        if newest >= cutoff:
            continue
        lock.parent.mkdir(exist_ok=True)
        with open(lock, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # being computed (resumed) right now
                continue
            if not dry_run:
                shutil.rmtree(work)
            removed.append(work)
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oquab_lib.tools.clean_runs", description=__doc__.split("\n\n")[0])
    parser.add_argument("runs_dir", nargs="?", default="runs", help="the results cache (default: runs)")
    parser.add_argument("--days", type=float, default=7.0, help="remove work folders untouched this long")
    parser.add_argument("--dry-run", action="store_true", help="list them, remove nothing")
    args = parser.parse_args(argv)
    removed = remove_stale_partials(args.runs_dir, args.days, dry_run=args.dry_run)
    for work in removed:
        print(f"{'would remove' if args.dry_run else 'removed'} {work}")
    print(f"{len(removed)} stale work folder(s) older than {args.days:g} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
