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
# # The mini world
#
# Both papers rest on data this project cannot download: ImageNet (1.2 million photographs of 1000 classes, plus
# 512 more classes from ImageNet-22k for PRE-1512), Pascal VOC 2007 and 2012 (objects, actions) and MS COCO. The
# `quick` and `smoke` profiles therefore run in a **mini world**, generated on first use
# (`oquab_lib.data.synth.ensure_world`), whose parts play the roles of those datasets and are written in their real
# on-disk formats (an ImageFolder tree, VOC devkit trees, COCO JSON), so the real readers and the real evaluation code
# run on it unchanged. The `full` profile reads the real datasets instead.
#
# The world is built around what the papers' claims depend on:
#
# - **A source domain like ImageNet.** Object-centric images of the *leaves* of an is-a taxonomy (animal → mammal →
#   hoofed mammal → cattle → "cattle 03"). Objects are procedural shapes assembled from parts (bodies, heads, legs,
#   wheels, windows, seats, leaves...) by about twenty body plans; a *genus* (dog, cattle, bus, chair...) fixes a plan,
#   a palette, textures and a real-world size, and its leaves perturb them. Siblings share parts, so they are
#   confusable, and what a network learns on some leaves transfers along the taxonomy: a sheep is a quadruped like a
#   dog. This is the property that makes "pretraining on the right classes" (PRE-1512) a testable claim.
# - **Pretraining subsets chosen like the paper's.** 1000C (ILSVRC-like: many dogs and birds, few hoofed mammals,
#   furniture or vehicles), 1000R (as many classes at random, 25 % fewer images), 1512 (1000C plus every leaf under the
#   five superclasses the paper added, in the paper's proportions) and our control 1512D (1512's class and image
#   counts, extra classes drawn *away* from the targeted superclasses).
# - **Target scenes like Pascal VOC.** The 20 VOC classes are bound to taxonomy nodes; scenes hold one to several
#   objects on context backgrounds, with VOC-like co-occurrence (riders on horses and bikes, chairs around tables),
#   wide scale and position variation, occlusion, truncation and `difficult` flags. Target objects are drawn from
#   every leaf under a class's node, including *held-out* leaves that no source subset contains, so transfer is never
#   identity.
# - **Actions** (the VOC 2012 Action analog): people whose pose and held object determine one of the ten actions, and
#   a **COCO analog** with the 80 COCO classes, more and smaller objects per image.
# - **Difficulty as a documented parameter.** One knob (`world.difficulty`) sets how close siblings are, how much
#   instances vary and how cluttered images are, so that the source task stays far from saturation.
#
# This chapter shows samples of each part and sets the world's statistics beside the real datasets' published ones
# (`oquab_lib.data.synth.reference`, each number with its source).

# %%
import json

import matplotlib.pyplot as plt
import pandas as pd

import oquab_lib.session
from oquab_lib.data.classes import COCO_CLASSES, TARGETED_BY_1512, VOC_ACTIONS
from oquab_lib.data.synth import (
    class_coverage,
    figures,
    object_tables,
    reference,
    sample_grid,
    size_quartiles,
    source_statistics,
    world_statistics,
)

# %% tags=["parameters"]
profile = "quick"
data_root = None
device = "auto"
seed = 0
runs_dir = "runs"
overrides = {}

# %%
run = oquab_lib.session.start(profile, data_root, device, seed, runs_dir, overrides)
synthetic = run.is_synthetic
world = json.loads((run.data_root / "world.json").read_text()) if synthetic else None
if synthetic:
    taxonomy = pd.DataFrame(json.loads((run.data_root / "taxonomy.json").read_text()))
    kinds = taxonomy["kind"].value_counts()
    counts, config = world["counts"], world["config"]
    print(f"profile {run.profile}: the mini world at {run.data_root} (hash {world['hash']}, difficulty "
          f"{config['difficulty']}): {kinds['leaf']} leaves under {kinds['genus']} genera and {kinds['internal']} "
          f"higher nodes; {counts['source_images']['train']:,} + {counts['source_images']['val']:,} source images "
          f"(train + val, {config['source_size']} px) for the {counts['source_leaves']} leaves some variant uses; "
          f"{config['scene_long_side']}-px scenes.")
else:
    print(f"profile {run.profile}: real data under {run.data_root}; this chapter describes the synthetic mini world "
          "and only its table of published statistics applies.")

# %% [markdown]
# ## The published statistics we compare with
#
# Only numbers checked against their source are listed. The VOC devkits count only *non-difficult* objects (the ones
# the evaluation uses); the VOC 2012 test labels were never released (results went to an evaluation server), so no
# object count exists for that split. The action counts are those the CVPR 2014 paper gives.

# %%
# NBVAL_CHECK_OUTPUT
reference.reference_table()

# %% [markdown]
# ## The source domain: an ImageNet analog
#
# One row per superclass, random leaves among those that have images (a leaf's name is its genus and a number).
# Within a row the leaves of a genus share their body plan and most parameters; instances vary in pose, colour,
# scale and position, on cluttered backdrops that never encode the class, sometimes with a partial object of another
# genus.

# %%
if synthetic:
    sample_grid(run.data_root, "source", per_row=8, seed=run.seed)
    plt.show()

# %% [markdown]
# ## The pretraining subsets, beside the paper's
#
# The paper pretrains on ILSVRC-2012 (PRE-1000C), on 1000 random ImageNet classes with about 25 % fewer images
# (PRE-1000R), and on ILSVRC plus 512 classes under five superclasses that hold 11 of the 20 VOC classes (PRE-1512).
# The world is about ten times smaller in classes, so the comparable part is the *ratios* to 1000C.

# %%
if synthetic:
    source_stats = source_statistics(run.data_root)
    variants = reference.variant_comparison(source_stats)
    targeted = reference.targeted_comparison(run.data_root)
else:
    variants = targeted = "skipped: the full profile pretrains on real data (see the Real data chapter)"

# %%
# NBVAL_CHECK_OUTPUT
variants.round(2) if synthetic else variants

# %%
# NBVAL_CHECK_OUTPUT
targeted.round(1) if synthetic else targeted

# %%
if synthetic:
    v = variants
    print(f"1512 has {v.loc['1512', 'ours: classes / 1000C']:.2f}x the classes of 1000C (paper "
          f"{v.loc['1512', 'paper: classes / 1000C']:.2f}x) and {v.loc['1512', 'ours: images / 1000C']:.2f}x its "
          f"training images (paper {v.loc['1512', 'paper: images / 1000C']:.2f}x): the paper's added classes hold "
          f"fewer images each ({v.loc['1512', 'paper: images / class']:.0f} per class on average against "
          f"{v.loc['1000C', 'paper: images / class']:.0f}), ours as many as 1000C's "
          f"({v.loc['1512', 'ours: images / class']:.0f}). 1000R keeps "
          f"{v.loc['1000R', 'ours: images / 1000C']:.2f}x the images "
          f"(paper {v.loc['1000R', 'paper: images / 1000C']:.2f}x). "
          f"Of the {targeted.loc['total', 'ours: added classes']} classes 1512 adds, "
          f"{targeted.loc['hoofed mammal', 'ours: % of added']:.0f} % are hoofed mammals (paper "
          f"{targeted.loc['hoofed mammal', 'paper: % of added']:.0f} %). Under the five targeted superclasses, "
          f"1000C, 1000R, 1512 and 1512D hold "
          f"{source_stats.loc[v.index, 'targeted_classes'].astype(str).str.cat(sep=', ')} classes respectively.")

# %% [markdown]
# ## What each variant holds of each VOC class
#
# A VOC class is a taxonomy node (`cow` is the cattle genus; `bird` and `boat` are internal nodes over several
# genera), and target instances are drawn uniformly over the node's leaves. The table counts the node's leaves, its
# held-out leaves (target only, in no variant) and how many leaves each variant holds: this is what transfer can lean
# on. The 11 classes under the targeted superclasses are where 1512 should help.

# %%
coverage = class_coverage(run.data_root) if synthetic else "skipped: no taxonomy for real data"

# %%
# NBVAL_CHECK_OUTPUT
coverage

# %%
if synthetic:
    under = coverage.loc[list(TARGETED_BY_1512)]
    print(f"The {len(under)} targeted VOC classes have {under['leaves'].sum()} leaves ({under['heldout'].sum()} "
          f"held out); 1000C holds {under['1000C'].sum()} of them, 1000R {under['1000R'].sum()}, 1512 "
          f"{under['1512'].sum()} and 1512D {under['1512D'].sum()}. "
          f"Classes with no leaf in 1000C: {', '.join(coverage.index[coverage['1000C'] == 0]) or 'none'}.")

# %% [markdown]
# ## Target scenes: the Pascal VOC analog
#
# Scenes of the VOC 2007 analog's test split with their boxes (red) and `difficult` objects (yellow, dashed): an
# object is difficult when its visible box is tiny or when most of it is hidden by nearer objects (including
# distractors of non-target leaves, drawn but never annotated). Boxes are the extent of the visible pixels; the image
# sizes follow VOC's aspect ratios.

# %%
if synthetic:
    sample_grid(run.data_root, "voc", year="2007", split="test", n=12, with_difficult=4, seed=run.seed)
    plt.show()

# %%
if synthetic:
    objects = object_tables(run.data_root, ("voc07", "voc12", "action", "coco"))
    datasets = reference.dataset_comparison(run.data_root, objects)
    classes = reference.voc07_class_comparison(objects["voc07"])
else:
    datasets = classes = "skipped: the full profile's data are the real datasets themselves"

# %% [markdown]
# Every split beside the real one it stands for. Objects are the non-difficult ones (persons for actions, all
# annotations for COCO); *real / ours images* says how many times larger the real split is.

# %%
# NBVAL_CHECK_OUTPUT
datasets.round(2) if synthetic else datasets

# %% [markdown]
# Per VOC class, our VOC 2007 trainval beside the real one (devkit Table 1): images holding a non-difficult object of
# the class, non-difficult objects, each also as a percentage; ours also the fraction of the class's objects that
# are difficult and their median relative size $\sqrt{\text{box area} / \text{image area}}$.

# %%
# NBVAL_CHECK_OUTPUT
classes.round(1).assign(**{"ours: median size": classes["ours: median size"].round(2)}) if synthetic else classes

# %%
if synthetic:
    figures.class_share_figure(classes)
    plt.show()
    voc07 = datasets.loc[("VOC 2007", "trainval")]
    gap = (classes["ours: % images"] - classes["real: % images"]).abs()
    ours_share, real_share = classes["ours: % images"], classes["real: % images"]
    print(f"Our VOC 2007 trainval has {voc07['ours: objects / image']:.2f} non-difficult objects per image (real "
          f"{voc07['real: objects / image']:.2f}) in {voc07['ours: images']} images, "
          f"{voc07['real / ours images']:.1f}x fewer than the real {voc07['real: images']:,}. The most frequent "
          f"class is {ours_share.idxmax()} in ours ({ours_share.max():.0f} % of the images) and "
          f"{real_share.idxmax()} in the real one ({real_share.max():.0f} %); the share of images holding a class "
          f"differs from the real one by {gap.median():.1f} points in the median class, at most {gap.max():.1f} "
          f"({gap.idxmax()}).")

# %% [markdown]
# The size of objects. The devkits publish no size statistics, so this figure shows ours alone: on the left the VOC
# 2007 analog's objects, difficult ones stacked apart; on the right the cumulative distribution of each scene
# dataset's object sizes. Real COCO has smaller objects than VOC, and so should the COCO analog.

# %%
if synthetic:
    tables = {"VOC 2007 analog": objects["voc07"], "VOC 2012 analog": objects["voc12"],
              "COCO analog": objects["coco"]}
    figures.object_size_figure(tables)
    plt.show()
    print(f"Relative size, quartiles (25 / 50 / 75 %): {size_quartiles(tables)}. Difficult objects: "
          f"{100 * objects['voc07']['difficult'].mean():.1f} % of the VOC 2007 analog's, "
          f"{100 * objects['voc12']['difficult'].mean():.1f} % of the VOC 2012 analog's; truncated: "
          f"{100 * objects['voc07']['truncated'].mean():.1f} % and {100 * objects['voc12']['truncated'].mean():.1f} %.")

# %% [markdown]
# ## Actions: the VOC 2012 Action analog
#
# Each annotated person does one of the ten VOC actions, set by their pose and by what they hold or stand by (a phone,
# a book, a camera, an instrument, a computer, a bicycle or a horse); some do two plausible things at once, a few
# none of them (`other`, a distractor the evaluation ignores). As in the real release, action images are listed in
# `ImageSets/Action` and persons are indexed within their image.

# %%
if synthetic:
    sample_grid(run.data_root, "action", n=8, seed=run.seed)
    plt.show()
    actions = world_statistics(run.data_root, datasets=("action",)).loc["action", "objects"].unstack("split")
    actions = actions.reindex(index=[*VOC_ACTIONS, "other"], columns=["train", "val", "test"]).fillna(0).astype(int)
else:
    actions = "skipped: real VOC 2012 Action data"

# %%
# NBVAL_CHECK_OUTPUT
actions

# %%
if synthetic:
    persons = objects["action"][objects["action"]["cls"] == "person"]
    multi = persons["actions"].str.contains(r"\+").mean()
    print(f"{len(persons)} annotated persons in {persons['image_id'].nunique()} images; {100 * multi:.0f} % do two "
          f"actions at once and {100 * (persons['actions'] == 'other').mean():.0f} % none of the ten. The CVPR 2014 "
          "paper excludes training persons with several actions (so does our Table 3 chapter); all are tested.")

# %% [markdown]
# ## The COCO analog
#
# The 80 COCO classes on the same taxonomy, with more and smaller objects per image, written as COCO's
# `instances_{train,val}.json` (real category ids, with COCO's ten gaps) and readable by `pycocotools`.

# %%
if synthetic:
    sample_grid(run.data_root, "coco", n=8, seed=run.seed)
    plt.show()
    coco = datasets.loc[("COCO 2014", "train")]
    missing = sorted(set(COCO_CLASSES) - set(objects["coco"]["cls"]))
    print(f"The COCO analog's train split: {coco['ours: images']} images, {coco['ours: objects / image']:.1f} objects "
          f"per image (VOC 2007 analog: {voc07['ours: objects / image']:.1f}), {coco['ours: classes']} of the 80 "
          f"classes present{' (absent: ' + ', '.join(missing) + ')' if missing else ''}.")

# %% [markdown]
# ## Difficulty
#
# A throwaway prototype of the world (about 200 leaves, well-separated siblings, little clutter) reached 94 % source
# top-1 accuracy and made the 1512-vs-1000C gap twice the paper's: a saturated source task tells nothing about
# transfer. `world.difficulty` (0 to 1) therefore sets every nuisance parameter below; any of the first three can
# also be set explicitly. In units of each shape parameter's natural spread, `sibling_spread` is how far a leaf moves
# from its genus (smaller: closer, more confusable siblings) and `instance_jitter` how far an instance moves from its
# leaf; `clutter` is the mean number of background shapes, `distractor_prob` the chance of a partial object of
# another genus, `fill_min` the smallest fraction of the frame the object fills, `noise` the pixel noise (of 255).

# %%
knobs = (pd.Series(world["knobs"], name="value").rename_axis("knob").to_frame() if synthetic
         else "skipped: real data have no knobs")

# %%
# NBVAL_CHECK_OUTPUT
knobs.round(3) if synthetic else knobs

# %% [markdown]
# ## Calibration (pre-registered)
#
# The mini world is a small model of the papers' setting, and its knobs could be turned until the claims come out
# "right". This section fixes, **before** any table is re-run at a new setting, what the knobs may be tuned against and
# how; it was committed ahead of the commit that re-runs the tables (the closing notes of the project give both
# hashes). Rule: **calibrate one baseline, test the rest.**
#
# **Targets.** Each is a real-data statistic with its published source, and none is a claim under test:
#
# | # | target | measured on | real value (source) |
# |---|---|---|---|
# | T1 | source : target training images ≥ 100 : 1 | split sizes | 1.2 M ILSVRC-2012 images for 5,717 VOC 2012 train images, 210 : 1 (VOC 2007 trainval 240 : 1) — Oquab et al. 2014, §3 |
# | T2 | Table 1 pipeline, PRE-1000C, mAP 65–85 | VOC 2007 analog **validation** images | 77.7 mAP on VOC 2007 test — Oquab et al. 2014, Table 1 |
# | T3 | no class below 3 × its chance AP (chance AP = the class's share of positive images); amended (A1, below): below min(3 × chance, 47.5) AP | same | the weakest class, bottle, 47.5 AP on VOC 2007 test — Oquab et al. 2014, Table 1 (first misquoted as "every class ≥ 62 AP on VOC 2012"; see A1) |
# | T4 | objects carry more signal than context: PRE-1000C mAP on *object-only* renders > on *context-only* renders > chance | VOC 2012 analog **validation** split rendered twice from the same scene plans | objects alone beat context alone, context alone is far above chance — Zhu, Xie & Yuille, "Object recognition with and without objects", IJCAI 2017 |
# | T5 | weakly supervised score maps win the pointing game over the image centre | VOC 2012 analog **validation** split | centre 69.5 % vs CNN maps 80–90 % on VOC 2007 test; centre 27.8 % vs 50–58 % on COCO val — Zhang et al., "Top-down neural attention by excitation backprop", ECCV 2016 |
# | T6 | seed spread of a test-split mAP ≤ 1.5 points | PRE-1000C, 3 seeds | test splits sized for it (the claims' intervals need it) |
#
# **Knobs that may be turned**, the same value for every row of a table: the world's difficulty knobs (`difficulty`,
# `sibling_spread`, `instance_jitter`, `clutter`), scene and source resolution (`scene_long_side`, `source_size`),
# object sizes, images per leaf (`source_train_per_leaf`), split sizes, and training budgets. A training budget is a
# rule, not a number per row: **every network, every row alike, trains until its validation metric has not improved
# for a fixed patience** (the CVPR'14 plateau rule for heads and NO PRETRAIN, the best validation epoch for the weak
# nets), with a cap that no row reaches before converging; no row is cut short by the CPU budget while another
# converges.
#
# **Rule.** Knobs are chosen on validation splits against T1–T6 only: never by looking at a claim's rows (no
# PRE-1000C-vs-NO-PRETRAIN, PRE-1512-vs-PRE-1000C, F-vs-E or weak-net-vs-centre comparison is read while tuning)
# and never on a test split. Measurements taken while the issue was written (`world.difficulty` 0.8 / 0.3 / 0.0,
# 10-epoch source nets, 7 scales) moved the T2 baseline only from about 30–40 to 33–42 mAP, so T2 is not in any one of
# those knobs; the next candidates are the head and its optimiser, scene resolution, object size relative to patches,
# truncation and occluders.
#
# **Then test, once.** At the calibrated setting every claim runs with at least 3 source seeds (5 where an interval
# straddles 0 and the budget allows) and is reported as it comes out. If a knob must change afterwards, the change and
# its reason are added to the log below, and every claim is re-run.
#
# **Change log.** Each entry: the knob, its old and new value, the target it serves and what was read to choose it.
# Every claim was re-run after the last entry.
#
# - **C1 (target T1, split sizes).** `cvpr14.max_images` training cap: the whole split (VOC 2007 analog train 400
#   images, VOC 2012 analog train 800) → **150 images** for Tables 1 and 2 and the ablations on Table 2's splits:
#   15,000 PRE-1000C source images : 150 = **100 : 1** (before: 37.5 : 1 and 19 : 1). Set from T1's ratio alone,
#   with no measurement. Not applied, a deviation: Table 3 (500 persons for PRE-1512's 22,650 images, 45 : 1) and the
#   CVPR'15 weak nets (800 images, 28 : 1 for PRE-1512), whose rows all start from the same source network except
#   Table 3's NO PRETRAIN.
# - **C2 (training-budget rule).** `cvpr14.scratch_max_epochs` 15 → **40**. Read: the training histories of the
#   previous build (training loss and learning rate, no metric of any row): NO PRETRAIN on 800 images stopped at the
#   cap of 15 epochs with its learning rate not yet divided three times, before its plateau rule ends; on 100–400
#   images it ended by the rule in 8–14 epochs. The heads (cap 30) ended by the rule in 14–21 epochs.
# - **C3 (target size sweep).** Not a knob: the sweep's points become multiples of Table 2's training split (1/4,
#   1/2, 1, 2 → 38, 75, 150, 300 images; 400 : 1 to 50 : 1), so that Table 2 sits in the sweep.
# - **C4 (training-budget rule, CVPR'15 weak nets).** `cvpr15.epochs` a fixed 12 → a cap of **100**, with
#   `cvpr15.patience` **6**: a weak net stops when its validation mAP has not improved for 6 epochs, and keeps its
#   best validation epoch, every row and both datasets alike (`cvpr15.coco_epochs` 12 → 100). Read: row F's
#   validation curves (seed 0 still rising at epoch 12; with a cap of 100, seed 2 stops by the rule at epoch 65) and
#   the number of epochs every row trained under a cap of 40 (five of nine Table 1 nets reached it, still improving),
#   no metric of any other row and no test split; each net's `meta.json` says whether the rule ended it
#   (`converged`). Paid for by a recipe change: training reads the frozen trunk's cached C5 maps at 8
#   equally spaced rescaling factors 0.7, 0.8, …, 1.4 instead of a continuous draw in [0.7, 1.4]
#   (`cvpr15.cache_trunk`), 5–6× cheaper per epoch.
# - **A1 (target T3 amended, before any knob was tuned against it).** As first written, T3 cannot be met by a
#   frequent class: person's chance AP on the VOC 2007 analog's validation images is about 0.31, so 3 × chance is 93
#   AP (on real VOC 2007 person passes only because PRE-1000C nearly saturates it, 95.6). Its real value was also
#   misquoted: PRE-1000C's weakest class is bottle, **47.5 AP** on VOC 2007 test (Table 1), not 62. T3 now reads: no
#   class below **min(3 × chance, 47.5) AP**.
# - **C5 (a method reading, patch labels; targets T2, T3).** `cvpr14.objects`, new, in every profile: which boxes a
#   patch "overlaps" in the paper's rule "P overlaps no more than one object" (the paper does not say). Before: every
#   box that touches the patch (`touch`); now: the boxes that pass both of the paper's thresholds, ≥ 0.2 of the patch
#   and ≥ 0.6 of the box (`sufficient`); a box that only grazes a patch no longer excludes it. Read: the labels of the
#   VOC 2007 analog's validation split, no network. Only **47 %** of its positive (image, class) pairs had a single
#   positive patch (bicycle and diningtable 0 %); 97 of the 113 uncovered pairs were objects whose every box touches
#   another box; the paper's 9 scales on an IoU grid would cover 55 %. With `sufficient`, **82 %**. A probe of T2 on
#   the same validation images (PRE-1000C, seeds 0 / 1 / 2): 24.2 / 26.4 / 28.4 → 28.9 / 29.6 / 34.1 mAP. No setting
#   of the head moved T2 by more than 3–5 points (learning rate, dropout, FCa width, batch size, background share,
#   weight decay, epoch cap, AdamW, standardised FC7); none was changed.
# - **C6 (the seeds rule, not a knob; the location chapter).** `cvpr15.location_seeds` = 5 seeds for the location
#   chapter (location, COCO classification, pointing game), because the intervals of both of its headline claims
#   straddled 0 over 3 seeds (the weak net's points vs the image centre: VOC 2012 analog +1.9 [-4.5, +8.3], COCO
#   analog +0.6 [-0.4, +1.6]) and the rule above says 5 seeds where the budget allows. In the open: an off-book
#   5-seed run of this chapter was made while the previous step was measured, and its result was reported with it;
#   the rule applies to every headline claim whose interval straddles 0, whatever that run gave. The other undecided
#   claims keep 3 seeds: 5 would cost CVPR'14 Table 2 or CVPR'15 Table 1 and figures several minutes each, beyond
#   the budget. Paid for by a runtime change that computes the same function: the source networks train in two
#   one-thread processes (`source.workers` 2; `source.threads` 2 → 1 on every path, so that a network does not
#   depend on which path trained it), 1.2–1.4× faster (25.8 s per network in the re-run against 31 s). One thread
#   sums in another order than two, so every number downstream moves in its last digits, and through training a
#   little more. **The re-run after C6** (3 seeds, except 5 for the location claims): both location claims stay
#   undecided (VOC 2012 analog +2.9 [-1.2, +7.1], COCO analog +0.4 [-0.1, +0.9]), and two verdicts whose intervals
#   ended within 1.5 points of 0 crossed the line with that last-digit change alone: averaging y^5 beats the plain
#   mean (validation) went from reproduced [+0.8, +7.2] to undecided [-1.5, +7.2], and F > D from undecided [-1.7,
#   +22.7] to reproduced [+0.7, +17.1]. Read a verdict with an interval that close to 0 as fragile: three seeds
#   decide it only barely.
# - **C7 (the seeds rule, not a knob; the CVPR'14 chapters).** `cvpr14.num_seeds` 3 → **5** (Tables 1 and 2 and the
#   CVPR'14 figures; the source chapter trains PRE-1000C, PRE-1000R and PRE-1512D with seeds 3 and 4 too). Read: the
#   claims of a build of d7b8051, which changed no recipe, only the memory layout of the networks' inputs
#   (channels-last, `models.nhwc`: the same function up to the order of float sums, 1.2-2.5× faster on the CPU). That
#   last-digit change alone moved six of the 19 verdicts over 3 seeds (max pooling vs average and vs LSE, and two
#   adaptation layers vs FCb alone: undecided → not reproduced; training rescale and the weak net's points vs the
#   centre on COCO: undecided → reproduced), with intervals as narrow as [-1.3, -1.0] where the build before gave
#   [-2.3, +9.0] for the same claim: with two degrees of freedom the width of an interval is itself a noisy
#   estimate. At d7b8051 six intervals straddle 0 in the CVPR'14 chapters (Table 2: four; figures: two), and the
#   speed-up pays for their 5 seeds (estimated +4 min on a two-core machine; measured +6.1 min, 26.6 → 32.7 min, the
#   whole speed-up and more), as the rule asks "where the budget allows".
#   Not applied, a deviation: CVPR'15 Table 1 (F ≈ E undecided) and the CVPR'15 figures, which would cost about
#   +5 min more; Table 3 (both claims reproduced) keeps 3. Every claim was re-run after this entry; a verdict whose
#   interval ends within a point or two of 0 is still to be read as fragile. **The re-run after C7** (a fresh clone
#   of ad112ca): 11 claims reproduced, 5 undecided, 3 not reproduced (after C6: 6, 13 and 0). With 5 seeds the
#   CVPR'14 chapters decided four claims their 3 seeds had left open (PRE-1512 beats PRE-1000C, [+0.3, +5.4]; y^5
#   beats the plain mean, [+0.4, +4.9]; two adaptation layers beat three, [+0.0, +6.8], fragile; two adaptation
#   layers beat FCb alone is not reproduced, [-4.7, -2.9]); three stay undecided (PRE-1000C vs PRE-1000R, PRE-1512
#   vs PRE-1512D, the targeted classes' gain), with 15 to more than 50 seeds needed at their spreads. The CVPR'15
#   numbers are those of d7b8051 to the last digit (same seeds, same code). The Claims page sets every verdict beside
#   those of the earlier builds.
#
# **Known departure from the training-budget rule: the source networks.** They train a fixed 3 epochs (validation
# top-1 of PRE-1000C 17 → 32 → 50 %, still rising), while the rule says every network trains until its validation
# metric stops improving. At about 10 s per epoch and network, convergence (an earlier probe: 10 epochs, 68 %
# top-1, T2 +2–3 points) for the 20 networks would alone exceed the book's budget. A later probe (below: 9 epochs,
# 66 % top-1) left T2 where it was, so the departure is not what keeps T2 from its target; it stays a departure.
#
# **Probed on validation and not adopted.** Scene resolution (`world.scene_long_side` 160 → 320, the world
# regenerated, PRE-1000C on the VOC 2007 analog's validation split): T2 28.2 → 31.7 mAP (3 seeds), T3 3 → 4
# classes below their floor. Too small a move towards 65–85 for four times the pixels; nothing changed.
#
# Three more probes, each read on T2 and T3 only (PRE-1000C, the VOC 2007 analog's validation split, the build of
# ad112ca otherwise), none adopted:
#
# | knob | value | source top-1 (val) | T2 mAP | T3: classes below floor |
# |---|---|---|---|---|
# | as built | 3 epochs, difficulty 0.8, 150 training images | about 50 % | 28.7 (5 seeds); 30.3 (seeds 0–2) | 5 |
# | training images (T1's ratio) | 75 / 300 / 400 (the whole train split) | same | 25.7 / 31.6 / 35.8 (5 seeds) | 6 / 5 / 2 |
# | source training budget | 9 epochs, /10 after 6 | 66 % | 30.1 (3 seeds) | 3 |
# | `world.difficulty` | 0.0 (world regenerated) | 82 % | 26.4 (3 seeds) | 4 |
#
# What they say: the source networks are not what holds T2 down. Nets trained three times as long, or a world so
# easy that they reach 82 % top-1, do not raise it (30.1 and 26.4 mAP against 30.3 over the same seeds). The number of target examples moves it most, and
# steadily: 150 training images give a median of **8 positive images per class** (3 at the least; 400 images give
# 19), where real VOC 2007 trainval gives each class hundreds. So **T1 and T2 pull against each other** at this size:
# T1 caps the target split at 1 / 100 of the 15,000 source images, and T2 would need, at the slope measured (about +3
# to +4 mAP per doubling), tens of thousands of target images, hence millions of source images for T1. That is outside
# a two-core budget; it is what the `full` profile (real data, a GPU) is for. Until someone amends the targets, the
# quick profile keeps T1, and T2 stays unmet, stated as such.
#
# **Where T2 stands.** Not met: about 30 mAP against 65–85. A head trained on the validation patches themselves
# reaches 46–50 with the old labels and 61–71 with the new ones, so what is left is generalisation from 150 training
# scenes on features that recognise the mini world's objects poorly (30–32 % top-1 over the 20 classes on validation
# object patches). The source networks' quality was the first candidate (an earlier probe: 10 epochs, 68 % source
# top-1, +2–3 points; a prototype with BatchNorm source nets at 94–98 % reached 69–77, though BatchNorm is not among
# the knobs above, and in a world with far more target images); the probes above rule it out as the main cause, and
# point at the few target examples per class that T1 leaves. Scene resolution moved T2 by 3.5 points only.
# After the C6 re-run: 27.7 mAP; after
# C7 (5 seeds): 28.7 mAP, five classes below their T3 floor and a T6 seed spread of 2.0–2.1 points (the Claims page
# gives this build's figures).

# %% [markdown]
# ## What the analog does and does not capture
#
# ```{admonition} What the analog does and does not capture
# :class: warning
# **It captures** the structure the papers' claims rest on: an is-a taxonomy whose siblings share parts, so features
# transfer along it; pretraining subsets chosen by the paper's rules (an ILSVRC-like skew, a random draw with fewer
# images, the five targeted superclasses in the paper's proportions), plus a control the paper lacks (1512D); target
# classes bound to taxonomy nodes with held-out leaves; VOC-like class frequencies (the class table), co-occurrence,
# scale and position variation, occlusion, truncation and difficult flags; actions decided by pose and held objects;
# and the real file formats, so the real readers and the real evaluation code run.
#
# **It does not capture** real photographs: objects are procedural shapes with flat colours and simple textures, with
# no real lighting, materials or natural-image statistics, so what a network learns here is not what it learns on
# ImageNet. Images are tiny (56-px source images and 160-px scenes in `quick`, against ImageNet's and VOC's roughly
# 500-px photographs and a 224-px network input), the networks are small, and every split is many times smaller
# than the real one (the range is printed below the box).
#
# **Consequences.** Absolute numbers (top-1, AP, mAP) are not comparable with the papers'. Orderings are what the
# book tests, and even they can be exaggerated or shrunk by the world's choices: how confusable siblings are
# (`difficulty`), how many leaves of each VOC class each variant holds (the coverage table), and how many images the
# added classes hold (ours as many as 1000C's, the paper's fewer). The prototype at low difficulty doubled the
# paper's PRE-1512 gain; the profiles' difficulty was set so the source task stays far from saturation, not to
# reproduce any result.
#
# **VOC 2012 test labels are on disk.** Real VOC 2012 test labels were never released (an evaluation server scored
# submissions). There is no server here, so the analog's test labels sit beside the others; chapters use them only
# for final numbers, never to choose a setting.
# ```

# %%
if synthetic:
    scale = datasets["real / ours images"]
    print(f"At profile {run.profile}, the real splits are {scale.min():.0f}x to {scale.max():.0f}x larger than ours "
          f"(ILSVRC-2012 train: {scale.loc[('ILSVRC-2012', 'train')]:.0f}x, VOC 2007 test: "
          f"{scale.loc[('VOC 2007', 'test')]:.1f}x); ours have {variants.loc['1000C', 'ours: classes']} classes "
          f"in 1000C against the paper's {variants.loc['1000C', 'paper: classes']}, "
          f"{config['source_size']}-px source images and {config['scene_long_side']}-px scenes, and "
          f"{voc07['ours: objects / image']:.2f} non-difficult objects per VOC 2007 trainval image against "
          f"{voc07['real: objects / image']:.2f}.")
