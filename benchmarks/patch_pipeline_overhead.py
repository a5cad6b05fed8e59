"""Overhead of the CVPR'14 patch pipeline over pure network time, measured on the same patches in one run.

A command-line front to :func:`oquab_lib.tools.benchmark_patches.patch_pipeline_overhead` (the Performance chapter shows the
same measurement):

    python benchmarks/patch_pipeline_overhead.py                       # quick size, CPU, < 1 min
    python benchmarks/patch_pipeline_overhead.py --variant full --device cuda
"""

from __future__ import annotations

import argparse

import torch

from oquab_lib.tools.benchmark_patches import IMAGE_SIZE, patch_pipeline_overhead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=tuple(IMAGE_SIZE), default="quick")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--images", type=int, default=None, help="default: 200 (quick), 40 (full), 20 (smoke)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (0: leave as is)")
    parser.add_argument("--nets", type=int, default=None,
                        help="source nets sharing a crop cache (default: Table 2's, 4 variants x the profile's seeds)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    count = args.images or {"quick": 200, "full": 40, "smoke": 20}[args.variant]
    table = patch_pipeline_overhead(args.variant, count, args.device, batch_size=args.batch_size,
                                    nets=args.nets)
    times = table.attrs["times"]
    print(f"variant {args.variant}, device {args.device}, {count} images, {times['patches']} patches "
          f"({table.attrs['patches_per_image']:.0f} per image), batch {args.batch_size}")
    print(f"  tile + label               {times['tile_label']:8.3f} s   (once per split)")
    print(f"  crop + resize + batch      {times['crop_batch']:8.3f} s   (roi_align; once per split with the crop cache)")
    print(f"  cached crops -> batch      {times['convert']:8.3f} s   (uint8 -> normalised float)")
    print(f"  forward (FC7)              {times['forward']:8.3f} s   ({times['patches'] / times['forward']:.0f} patches/s)")
    for path, row in table.iterrows():
        print(f"overhead / network time, {path}: {row['overhead_ratio']:.1%}")
    best = table["overhead_ratio"].min()
    print(f"best: {best:.1%} (goal <= 10%: {'met' if best <= 0.10 else 'NOT met'})")


if __name__ == "__main__":
    main()
