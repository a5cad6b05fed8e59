"""Remove the work folders of failed or abandoned cache entries: ``python -m oquab_lib.tools.clean_runs``.

A failed configuration leaves ``runs/.<experiment>-<hash>.partial/`` (kept so that a rerun resumes from its
checkpoints). This command deletes those untouched for ``--days`` days (default 7) whose entry no process is computing::

    python -m oquab_lib.tools.clean_runs runs --days 3 --dry-run
"""

from __future__ import annotations

import argparse
import sys

from oquab_lib.cache import remove_stale_partials


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
