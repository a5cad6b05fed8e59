# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Performance: 500 patches or one fully-convolutional pass?
#
# CVPR'14 scores an image by running the whole network on about 500 square patches, each cropped and resized to the
# network's input. CVPR'15 runs the convolutional layers once over the image and applies FC6–FC8 as convolutions, so
# computation shared by overlapping patches is done once — then repeats this at six scales. This page times both
# pipelines **on the same images in one run** and sets the measured speed-up beside the ratio of their FLOPs (the
# speed-up one would get if time followed arithmetic). Timings are medians of a few repeats; the machines are shared and
# noisy, so only ratios measured within one run are reported.
#
# The measurements are cached like every other result (`runs/benchmark-*`, keyed by the machine: CPU model or GPU,
# vector kernels, threads, torch version, and by the benchmark's sizes), so a warm build reads them back: the line
# under each table says when and on which machine its figures were measured; delete the folder it names to measure
# again.

# %% tags=["parameters"]
profile = "quick"
data_root = None
device = "auto"
seed = 0
runs_dir = "runs"
overrides = {}

# %%
import platform

import torch

from oquab_lib import session
from oquab_lib.tools import benchmark, benchmark_cache, benchmark_patches, build_times, gpu_check, probe

run = session.start(profile, data_root, device, seed, runs_dir, overrides)
# variant -> (images, repeats) and variant -> patch-pipeline images; full size on a CPU: one image
variants, overhead_images = benchmark.plan_sizes(run.profile, run.device)
where = torch.cuda.get_device_name(run.device) if run.device.startswith("cuda") else f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
print(f"device: {where}; variants: {', '.join(variants)}")

# %%
tables = benchmark_cache.variants(run, variants)
print(benchmark_cache.provenance(tables))

# %%
benchmark.variants_table(tables).round({"seconds_per_image": 4, "gflops_per_image": 3, "measured speed-up": 1,
                                        "FLOP ratio": 1})

# %% [markdown]
# ## Reading the numbers
#
# - The single-scale fully-convolutional pass does a small fraction of the patch pipeline's arithmetic, because the
#   patches overlap heavily (at least 50% between neighbours, at nine scales) and the patch pipeline recomputes every
#   shared pixel. CVPR'15's multi-scale test gives much of that saving back: six passes, the largest on an image 2.8×
#   larger in each direction (scales that shrink the image below the network input are skipped).
# - Where the measured speed-up falls short of the FLOP ratio, fixed costs dominate: kernel launches and memory traffic
#   weigh more in small convolutions than in the patch pipeline's large batches.

# %%
print(benchmark.speedup_sentences(tables))

# %% [markdown]
# ## The patch pipeline's own cost
#
# Before a patch reaches the network, the CVPR'14 pipeline tiles and labels every image, then crops and resizes each
# patch of a batch to the network input (one `torchvision.ops.roi_align` call per batch, no Python loop per patch) and
# normalises it. The table below times those steps and the forward pass to FC7 **alone, on the same batches, in one
# run**, and gives their ratio. Two paths exist: cropping on the fly for every source network, or cropping once into a
# uint8 cache that the source networks of Table 2 share (`cvpr14.cache_crops`: the quick profile's path; the full
# profile crops on the fly, since real VOC's crops would not fit on a disk). The goal is an overhead of at most 10 %
# of network time on the path each profile takes. JPEG decoding happens once per split and is cached, so it is left
# out.

# %%
# random scenes of each profile's image size (pixels do not change the cost of tiling and cropping)
overheads = benchmark_cache.overheads(run, overhead_images)
print(benchmark_cache.provenance(overheads))
benchmark_patches.overheads_table(overheads).round(3)

# %%
print(benchmark_patches.overhead_sentences(overheads, goal=0.10))

# %% [markdown]
# ## How long the `full` profile takes on this device
#
# The full-size timings above (torchvision's AlexNet, 224-pixel patches of a 500 × 375 image) give the time of each
# step of the `full` profile on the device that measured them: seconds per image times the number of images of the
# real datasets times the passes over them. CVPR'14 computes each image's patch features once per source network
# (torchvision's PRE-1000C here; each network you add costs as much again); CVPR'15 trains each model for 20 epochs of
# one-image steps (a step is taken as 1.3 one-scale passes, an assumption) and tests it at six scales. Decoding and
# data loading are left out. Run this chapter with `-p device cuda` on your GPU to get your own estimate.

# %%
if "full" in tables:
    estimate = benchmark.full_profile_estimate(tables["full"])
    print(f"device: {estimate.attrs['device']}; total {estimate['hours'].sum():.1f} h for one model of each step")
    display(estimate.round({"seconds_per_image": 4, "hours": 2}))

# %% [markdown]
# ## How long this book took to build
#
# `make book` records how long each chapter took to execute and how many result-cache entries it computed. A part
# whose chapters computed none ran **warm** (every result read back from `runs/`), else **cold**. The runner starts
# each chapter's kernel while the two chapters before it run (importing torch and the library meanwhile, on the second
# core), so a chapter's time is what it adds to the build, mostly without kernel start-up. The budgets for the quick
# profile on 2 CPU cores: each paper's chapters at most 5 minutes cold (the source networks already made by their own
# chapter) and 20 s warm; the source networks at most 6 minutes. This page is
# executed last, so its own time is not in the table. A chapter that is **up to date** (the same library, notebook,
# parameters and world as when it was last executed, and every cache entry it read then still in `runs/`) is not
# executed again: its row reads `executed` False and 0 s, and `last_run` says when it was last executed, for how
# long and whether that run computed anything (`make book FORCE=1` executes every chapter).
#
# Two-core machines differ by 2× in speed, so a time alone says little. The build measures a **machine-speed probe**
# (the quick AlexNet's training throughput and a GEMM's, at 2 threads) at its start and again here, at its end, and
# takes the mean of the two: a shared machine's speed drifts while a half-hour build runs (the machine of the book's
# budgets read from 0.78 to 1.15 × within an hour). `reference_s` is each chapter's time scaled by that mean to the
# reference machine written in `oquab_lib/tools/probe.py` (speed 1.0).

# %%
speed = build_times.build_probe()
print(f"This build's {probe.describe(speed)}.")

# %%
build = build_times.load()
if build is None:
    print("This chapter was not run by `make book` (python -m oquab_lib.tools.runner --toc): no build times to show.")
else:
    display(build_times.with_reference_seconds(build, speed["speed"]).set_index("chapter"))
    display(build_times.budget_table(build))

# %% [markdown]
# ## GPU figures
#
# The published book is built on two CPU cores; no GPU has been available to build it so far, so its timings are CPU
# timings. Run this chapter with `-p profile full -p device cuda` to measure both pipelines, and the full profile's
# time estimate, on your GPU.

# %%
print(f"This page was measured on: {where}.")

# %% [markdown]
# `make gpu-check` (the first thing to run on a GPU machine: the CUDA device tests, a few AMP training steps of the
# weak net at full resolution, the throughput of both pipelines) writes its figures to `book/gpu_check.json`; the
# last ones recorded here are shown below, with the device that measured them.

# %%
gpu = gpu_check.load()
if gpu is None:
    print("No `make gpu-check` record here (book/gpu_check.json): run it on a machine with an NVIDIA GPU.")
else:
    print(f"make gpu-check on {gpu['device']} (torch {gpu['torch']}, CUDA {gpu['cuda']}), images {gpu['image_size']}")
    display(gpu_check.summary(gpu).round(1))
