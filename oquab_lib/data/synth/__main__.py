"""CLI: ``python -m oquab_lib.data.synth --profile quick --root data/miniworld-quick --seed 0 [--workers 2]``."""

from __future__ import annotations

import argparse
import json
import sys
import time

from oquab_lib.data.synth.generate import ensure_world
from oquab_lib.errors import OquabError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oquab_lib.data.synth", description=__doc__)
    parser.add_argument("--profile", default="quick", help="smoke | quick (the profile whose world section is used)")
    parser.add_argument("--root", default=None, help="output folder (default data/miniworld-<profile>)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="render processes (the files do not depend on it)")
    args = parser.parse_args(argv)
    root = args.root or f"data/miniworld-{args.profile}"
    start = time.perf_counter()
    try:
        path = ensure_world(root, args.profile, seed=args.seed, workers=args.workers)
    except OquabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    meta = json.loads((path / "world.json").read_text())
    print(f"{path}: {time.perf_counter() - start:.1f} s; counts: {json.dumps(meta['counts'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
