# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Table 2: what pretraining brings, and which pretraining
#
# Table 2 of the CVPR 2014 paper keeps the transfer pipeline of Table 1 (frozen C1–FC7, new FCa and FCb trained on
# multi-scale patches, image scores averaging the patch posteriors to the power k) and changes only the *source*
# network, on Pascal VOC 2012 test:
#
# - **NO PRETRAIN**: the same network, every layer trained from random initialisation on the VOC 2012 train patches;
# - **PRE-1000C**: pretrained on the 1000 ILSVRC-2012 classes (1.2 M images);
# - **PRE-1000R**: pretrained on 1000 *random* ImageNet classes (about 25 % fewer images);
# - **PRE-1512**: ILSVRC plus 512 classes under hoofed mammal, furniture, motor vehicle, public transport and bicycle,
#   which cover 11 of the 20 VOC classes (FC6/FC7 widened to 6144).
#
# The claims: pretraining matters a lot (78.7 vs 70.9 mAP); more and *related* source data helps (1512 > 1000C >
# 1000R), and the classes targeted by the extra 512 gain the most (+6.0 AP on average against +1.8 for the others).
# The paper's Table 2 (VOC 2012 test, AP %):

# %%
from oquab_lib import cvpr14, report, session
from oquab_lib.cvpr14 import claims as cvpr14_claims
from oquab_lib.cvpr14 import diagnostics as cvpr14_diagnostics
from oquab_lib.data.classes import TARGETED_BY_1512
from oquab_lib.paper import paper_table
from oquab_lib.spread import by_level

paper = paper_table("cvpr14_table2")
paper

# %% tags=["parameters"]
profile = "quick"
data_root = None
device = "auto"
seed = 0
runs_dir = "runs"
overrides = {}

# %%
run = session.start(profile, data_root, device, seed, runs_dir, overrides)
settings = cvpr14.config(run)
print(f"profile {run.profile}: methods {list(settings.table2_methods)}, source seeds {cvpr14.seeds(run)}, "
      f"splits {settings.table2_splits} (year, train, val, test), device {run.device}")

# %% [markdown]
# We add a control row the paper could not run, **PRE-1512D**: the 1000C classes plus as many extra classes as
# PRE-1512 adds, drawn from parts of the taxonomy *unrelated* to the VOC classes, with the same widened FC6/FC7. If
# PRE-1512 beats PRE-1512D on the targeted classes, the gain comes from *related* data, not from more data or a wider
# network.
#
# ## Our table
#
# One row per method and source seed (source network *s* carries head *s*; NO PRETRAIN's seed *s* is its random
# initialisation). Frozen features are computed once per source network and cached, so every head reuses them.

# %%
with session.cache_summary():
    ours = cvpr14.table2(run)

# %%
# NBVAL_CHECK_OUTPUT
ours.round(1)

# %% [markdown]
# k is chosen for each row on the **validation** split (never on test). Validation mAP (%) of every k:

# %%
# NBVAL_CHECK_OUTPUT
cvpr14.selection_table(ours).round(1)

# %% [markdown]
# ## Ours vs the paper
#
# Mean ± standard deviation over source seeds. Absolute numbers of the mini world are not comparable with the
# paper's; what we test is the ordering of the rows.

# %%
ours_by_method = by_level(ours, "method")
report.paper_vs_ours(paper.drop(index="NUS-PSL"), ours_by_method)

# %% [markdown]
# ## Which classes gain from the 512 extra classes?
#
# Mean AP gain over PRE-1000C on the 11 classes under the added superclasses (bicycle, bus, car, chair, cow, dining
# table, horse, motorbike, sheep, sofa, train) and on the 9 others; for ours, the gain of seed *s* pairs the two
# networks of seed *s*, and the std is over seeds. The second table does the same for our PRE-1512D control.

# %%
gain_1512 = cvpr14.targeted_gain(ours, TARGETED_BY_1512, better="PRE-1512", base="PRE-1000C")
gain_1512d = cvpr14.targeted_gain(ours, TARGETED_BY_1512, better="PRE-1512D", base="PRE-1000C")
related = cvpr14.targeted_gain(ours, TARGETED_BY_1512, better="PRE-1512", base="PRE-1512D")

# %%
# NBVAL_CHECK_OUTPUT
gain_1512.round(1)

# %%
# NBVAL_CHECK_OUTPUT
gain_1512d.loc[["ours"]].round(1)

# %% [markdown]
# ## Verdicts
#
# "A beats B" is *reproduced* when the 95 % confidence interval of the mean difference A − B over seeds lies above 0,
# *not reproduced* when it lies below 0, and *undecided* otherwise. Rows of different source networks share nothing
# but a seed number, so their mAPs are compared with Welch's t. The targeted-classes claim compares the gains of the
# *same* pair of networks (PRE-1512 *s* over PRE-1000C *s*) on two class subsets, so seed *s*'s two gains are paired
# (paired t, n − 1 degrees of freedom).

# %%
by_gain = cvpr14_claims.group_gains(ours, better="PRE-1512", base="PRE-1000C")
verdicts = [
    report.ordering(run, "cvpr14_table2", "pretraining helps: PRE-1000C beats NO PRETRAIN",
                    report.values(ours_by_method, "PRE-1000C"), report.values(ours_by_method, "NO PRETRAIN"),
                    paired=False, paper="CVPR 2014", labels=("PRE-1000C", "NO PRETRAIN"),
                    paper_figure=f"{paper.loc['PRE-1000C', 'mAP']} vs {paper.loc['NO PRETRAIN', 'mAP']} mAP"),
    report.ordering(run, "cvpr14_table2", "more source classes help: PRE-1512 beats PRE-1000C",
                    report.values(ours_by_method, "PRE-1512"), report.values(ours_by_method, "PRE-1000C"),
                    paired=False, paper="CVPR 2014", labels=("PRE-1512", "PRE-1000C"),
                    paper_figure=f"{paper.loc['PRE-1512', 'mAP']} vs {paper.loc['PRE-1000C', 'mAP']} mAP"),
    report.ordering(run, "cvpr14_table2", "ILSVRC's classes beat random ones: PRE-1000C beats PRE-1000R",
                    report.values(ours_by_method, "PRE-1000C"), report.values(ours_by_method, "PRE-1000R"),
                    paired=False, paper="CVPR 2014", labels=("PRE-1000C", "PRE-1000R"),
                    paper_figure=f"{paper.loc['PRE-1000C', 'mAP']} vs {paper.loc['PRE-1000R', 'mAP']} mAP"),
    report.ordering(run, "cvpr14_table2",
                    "the classes targeted by the 512 extra classes gain most (1512 - 1000C, targeted vs other)",
                    by_gain["targeted"], by_gain["other"],
                    paired=True, paper="CVPR 2014", labels=("targeted gain", "other gain"), unit="AP",
                    paper_figure=f"{gain_1512.loc['paper', 'targeted']:+.1f} vs "
                                 f"{gain_1512.loc['paper', 'other']:+.1f} AP"),
    report.ordering(run, "cvpr14_table2",
                    "related data, not just more data: PRE-1512 beats PRE-1512D on the targeted classes (our control)",
                    cvpr14_claims.group_mean(ours, "PRE-1512"), cvpr14_claims.group_mean(ours, "PRE-1512D"),
                    paired=False, paper="CVPR 2014", labels=("PRE-1512", "PRE-1512D"), unit="AP (targeted classes)",
                    paper_figure="not in the paper"),
]

# %% [markdown]
# ## In words

# %%
report.in_words(verdicts)

# %% [markdown]
# **NO PRETRAIN against the pretrained rows**, per class (NO PRETRAIN minus the mean of the pretrained rows, AP
# points), in this build:

# %%
print(cvpr14_claims.scratch_sentence(ours, paper))

# %% [markdown]
# How to read these lists. A network trained from scratch on the target patches can learn a class from its scene's
# background (aeroplane and sky, boat and water) directly from those patches, while the frozen source networks,
# trained on object-centric images, carry features of the objects themselves (tvmonitor, pottedplant, bottle, cat).
# With thousands of small synthetic scenes, learning the target task from scratch is easier than with Pascal VOC's
# photographs, and the quick profile's source networks (three epochs, 48-pixel inputs) carry less than an ImageNet
# AlexNet; both would narrow the paper's gap. These are properties of the analog: they are reported, not tuned away.

# %% [markdown]
# ## Diagnostic: how large is the target?
#
# The paper pretrains on 1.2 M ImageNet images for 5,717 VOC 2012 train images, **210 : 1**; NO PRETRAIN learns
# everything from the target and gains most from a large one. This table's training split is sized by the Mini world
# chapter's calibration (target T1: at least 100 : 1). The sweep below re-runs this table's pipeline with the VOC 2012
# analog's training split set to 1/4, 1/2 and 2 times this table's (a seeded subset, the same for every method;
# validation and test splits unchanged) for NO PRETRAIN, PRE-1000C and PRE-1512, every source seed. The top axis gives
# the source : target ratio of each point; the paper's 210 : 1 is marked where it falls in range.

# %%
sweep = cvpr14_diagnostics.size_sweep(run)
cvpr14_diagnostics.sweep_figure(sweep);

# %%
sweep.groupby(["train images", "method"], sort=False)["mAP"].agg(["mean", "std", "count"]).round(1)

# %% [markdown]
# ```{admonition} What differs from the paper
# - **Data and networks.** The quick profile runs in the synthetic mini world: its VOC 2012 analog (160-pixel scenes,
#   train / val / test with labels) and small AlexNets (48-pixel input, FC6/FC7 of 256 units, 384 for 1512 and
#   1512D) pretrained on the world's 1000C, 1000R, 1512 and 1512D class sets. The full profile uses real VOC 2012,
#   with **val as the test set** (the test labels are not public; the paper used the evaluation server) and 20 % of
#   train held out for validation; PRE-1000C is torchvision's ImageNet AlexNet (one network: no seed spread), and the
#   other pretrained rows need source networks you provide (`cvpr14.source_entries`); without them they are skipped.
# - **PRE-1512D** is our control, not a row of the paper.
# - **Patches.** The quick profile uses 3 scales and about 55 patches per scene (the paper: 9 scales, ~500 patches)
#   and caps the images per split; partial overlaps are excluded from training, and a box that only grazes a patch
#   does not exclude it (the paper is silent on both).
# - **Training.** Heads train on *train*, k is chosen on *val*. No jitter, so the frozen layers' features are computed
#   once per source network and cached; NO PRETRAIN trains on the same (cached) crops. Momentum 0.9, weight decay
#   5e-4 and batch size are ours; lr 0.01 divided by 10 at each plateau, stop after the third drop, as in the paper
#   (with an epoch cap). The 10 % of background patches is re-drawn every epoch.
# - **Spread.** Our ± is over source-network seeds; the paper reports single runs.
# ```
