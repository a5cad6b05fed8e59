# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Claims: every verdict of both papers
#
# Each chapter records, for each claim of the paper it reproduces, the paper's figure, ours (mean ± std over seeds)
# and a verdict computed by one rule, `oquab_lib.report`:
#
# - **"A beats B"** (an ordering): the 95 % confidence interval of the mean difference A − B over seeds. Paired t
#   (n − 1 degrees of freedom) when seed *s* of A and seed *s* of B share something real (the same trained model
#   under two test procedures, the same network on two class subsets, the same source network), Welch's t otherwise.
#   **Reproduced** when the interval lies above 0, **not reproduced** when it lies below 0, **undecided** otherwise.
# - **"A ≈ B"** (an equivalence): two one-sided tests at 5 % each against a margin that the chapter fixes, and
#   justifies, before its results; **reproduced** when the 90 % interval of A − B lies inside ±margin, **not
#   reproduced** when it lies wholly outside, **undecided** otherwise.
# - With fewer than two seeds no verdict is decisive: **undecided (one seed)**. Where the seeds vary only the new
#   layers (the `full` profile's source network is torchvision's, the same for every seed), the record says "head
#   seeds only, spread understated".
#
# A worked example. Three seeds give PRE-1512U − PRE-1512 differences of +2, +3 and +4 mAP (paired: seed *s* of both
# rows uses source network *s*). Their mean is 3.0, their standard deviation 1.0, its standard error 1/√3 = 0.58;
# with 2 degrees of freedom the 97.5 % quantile of Student's t is 4.30, so the interval is 3.0 ± 4.30 × 0.58 =
# [+0.5, +5.5]. It lies above 0: *reproduced*. Had the differences been +0, +3 and +6, the interval [−4.5, +10.5]
# would hold 0: *undecided*, however large the mean.
#
# The page shows the records of this build's profile and config only (a hash of the resolved config and data);
# records left by runs of another profile or config are listed apart, below, and count for nothing here.

# %% tags=["parameters"]
profile = "quick"
data_root = None
device = "auto"
seed = 0
runs_dir = "runs"
overrides = {}

# %%
from oquab_lib import calibration, report, session, verdict_history

run = session.start(profile, data_root, device, seed, runs_dir, overrides)
claims, others = report.claims_page(run)
print(f"{len(claims)} claims recorded by the chapters of this build (profile {run.profile}, config "
      f"{report.run_config_hash(run)}): {report.verdict_counts(claims)}.")

# %%
report.claims_display(claims)

# %% [markdown]
# ## The mini world's calibration targets, measured
#
# The Mini world chapter pre-registered six targets (T1–T6), real-data statistics the mini world's knobs may be tuned
# against, on validation splits only, and logged every knob it changed. Here is where this build stands on each, read
# from the chapters' cached results (T6, a seed spread of test mAP, is the only test-split figure and compares no
# rows). A target not met means the mini world is, in that respect, still outside the papers' regime: read the
# verdicts above with it in mind.

# %%
with session.cache_summary():
    targets = calibration.targets_table(run)
calibration.targets_display(targets)

# %% [markdown]
# **How firm are these verdicts?** The same seed on the same machine gives the same numbers, to the last digit. On
# another CPU they move a little: PyTorch picks its vector kernels by the instruction set the CPU offers, and they
# round differently (on one machine, forcing AVX2 instead of AVX-512 with `ATEN_CPU_CAPABILITY=avx2` moved the
# validation accuracy of the PRE-1000C source networks by 0.7 and 0.8 points), so every trained network ends slightly
# elsewhere. An interval that ends near 0 (or near the margin) can cross it on another machine; the interval column
# shows how near each one is. With few seeds the intervals are wide and many verdicts are *undecided*: that is the
# honest answer, not a failure. To firm one up, re-run its chapter with more seeds (each new seed pretrains its own
# source networks, so this takes a while), then this page **with the same overrides** (the page only shows records
# of its own config); both are written under `out/`:
#
# ```bash
# make chapter NB=cvpr15_table1 ARGS="-p overrides \"{'cvpr15.seeds': [0, 1, 2, 3, 4]}\""
# make chapter NB=claims ARGS="-p overrides \"{'cvpr15.seeds': [0, 1, 2, 3, 4]}\""
# ```
#
# The CVPR'14 chapters take `cvpr14.num_seeds` (Tables 1 and 2, figures) and `actions.seeds` (Table 3).
#
# The chapter links lead to the tables and figures behind each verdict. Absolute numbers of the mini world are not
# comparable with the paper's (see the introduction); the verdicts compare the *direction* of each effect, measured
# with the same code that runs on real data under the `full` profile.

# %% [markdown]
# ## The same claims in earlier builds
#
# Three seeds decide less than their intervals suggest. Earlier builds of this book at profile `quick` are recorded in
# `book/claims_history.csv`, with what each changed. One of them (d7b8051) changed no recipe at all, only the memory
# layout of the networks' inputs: the same function, with float sums in another order. Every trained network then
# ends a little elsewhere, and at 3 seeds that alone moved six of the 19 verdicts, some to intervals far narrower
# than the build before gave for the same claim (with two degrees of freedom the width of an interval is itself a
# noisy estimate). The Mini world chapter's change log (C7) took 5 seeds for the CVPR'14 chapters after it. A
# verdict marked *moved* below is fragile: read its chapter's diagnostics before quoting it. A cell reads: verdict,
# 95 % interval (90 % for "≈" claims), seeds.

# %%
sentence, history = verdict_history.for_run(run.profile, claims)
print(sentence)
history

# %% [markdown]
# ## Records of other profiles or configs
#
# Left by earlier runs sharing this `runs/` folder (another profile, other seeds or overrides, other data); shown for
# reference only.

# %%
print(f"{len(others)} records of other profiles or configs" + (": none." if others.empty else ":"))
others[["profile", "config_hash", "chapter", "claim", "verdict", "n_seeds"]] if len(others) else None
