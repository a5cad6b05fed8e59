"""Train one source network or one CVPR'15 weak net from the command line, e.g. under ``torchrun`` on several GPUs.

    torchrun --nproc_per_node 4 -m oquab_lib.tools.train source 1512 --profile full --data_root /data
    torchrun --nproc_per_node 4 -m oquab_lib.tools.train cvpr15 weak voc --profile full --data_root /data

The result lands in the results cache (``runs/``) exactly where a chapter looks for it, under the same key as a
one-process run (the number of processes is not part of it), so the chapter then reads it back instead of training.
``--overrides`` takes the chapters' ``overrides`` dict literal (``"{'source.epochs': 45}"``). The batch size in the
config is the *global* batch: each of N processes trains on 1/N of every batch (:mod:`oquab_lib.distributed`).
"""

from __future__ import annotations

import argparse
import ast

from oquab_lib import distributed, session


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m oquab_lib.tools.train", description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["source", "cvpr15"])
    parser.add_argument("name", help="source: the variant (1000C, 1000R, 1512, 1512D); cvpr15: weak or full_images")
    parser.add_argument("dataset", nargs="?", default="voc", choices=["voc", "coco"], help="cvpr15 only")
    parser.add_argument("--profile", default="full")
    parser.add_argument("--data_root", default=None)
    parser.add_argument("--runs_dir", default="runs")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overrides", default="{}", help="a Python dict literal, as the chapters' parameter")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    distributed.init()
    for main_turn in (True, False):  # rank 0 first: it generates a missing mini world, the others then find it
        if distributed.is_main() == main_turn:
            run = session.start(args.profile, args.data_root, args.device, args.seed, args.runs_dir,
                                ast.literal_eval(args.overrides))
        distributed.barrier()
    progress = distributed.is_main()
    if args.what == "source":
        from oquab_lib.source.pretrain import pretrain_source

        result = pretrain_source(run, args.name, progress=progress)
    else:
        from oquab_lib.cvpr15.config import config
        from oquab_lib.cvpr15.train import train_weak

        cfg = config(run)
        if cfg.batch_size < distributed.world_size() and progress:
            print(f"cvpr15.batch_size={cfg.batch_size} < {distributed.world_size()} processes: some processes get no "
                  "image in a step (no speed-up); raise it with --overrides \"{'cvpr15.batch_size': 8}\"")
        result = train_weak(run, cfg, args.name, args.dataset, run.seed, progress=progress)
    if distributed.is_main():
        print(f"{args.what} {args.name}: {result.entry} (on {distributed.world_size()} process(es))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
