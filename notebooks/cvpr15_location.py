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
# # Location prediction on VOC 2012 and COCO, and COCO classification
#
# The weak net of CVPR 2015 is trained from image labels only, yet the arg-max of each class's score map points at
# the object. The paper measures this with a **point-based** protocol (as later papers describe it): for every image
# and class, take the arg-max of the class score map and map it back to image pixels; the point is correct if it
# falls inside a ground-truth box of that class, with an **18-pixel tolerance**. The (point, class score) pairs are
# ranked over the whole set like detections and the average precision is computed per class; a wrong position for
# a present class counts as a false positive. The paper also trains the same net on MS COCO (80 classes).
# The paper's figures (quoted by later papers):

# %%
from oquab_lib import cvpr15, report, session
from oquab_lib.cvpr15 import diagnostics as cvpr15_diagnostics
from oquab_lib.paper import paper_table

paper = paper_table("cvpr15_headline")
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
settings = cvpr15.config(run)
frame = (f"points and boxes rescaled so that each image's largest side is {settings.location_frame} px"
         if settings.location_frame else "original pixels")
print(f"profile {run.profile}: location on VOC{settings.voc_year} {settings.location_split!r} and COCO "
      f"{settings.coco_test_split!r}; tolerance {settings.tolerance:g} px ({frame}); test scales "
      f"{settings.test_scales}; seeds {cvpr15.seeds(cvpr15.location_run(run))}; device {run.device}")

# %% [markdown]
# ## Our tables
#
# The VOC rows use the weak nets of the classification table (row F, the same cache entries for its 3 seeds; this
# chapter trains the 4th and 5th seed the same way); the COCO rows a weak net trained on the COCO analog's `train`
# split with the same recipe. The baselines put the point at the **image centre**, at a **random pixel**, or at the
# arg-max of a **CVPR'14 heat map** (per-pixel mean of a box-trained patch head's posteriors, no COCO box model
# here). Every row ranks its points by the weak net's class scores, so rows differ only in where the points are.

# %%
with session.cache_summary():
    location = cvpr15.location_table(run)
    coco = cvpr15.coco_classification_table(run)

# %%
# NBVAL_CHECK_OUTPUT
cvpr15.summary(location, ["dataset", "method"]).round(1)

# %%
# NBVAL_CHECK_OUTPUT
coco.set_index(["method", "seed"])[["mAP"]].round(1)

# %% [markdown]
# Per-class location AP on VOC (mean over seeds):

# %%
voc_rows = location[location["dataset"].str.startswith("VOC")].dropna(axis=1, how="all")
voc_rows.drop(columns=["dataset", "seed"]).groupby("method", sort=False).mean().round(1)

# %% [markdown]
# ## Diagnostic: the pointing game
#
# Location AP mixes two questions: do the class scores rank the images well, and does the point land on the object?
# The *pointing game* (Zhang et al., "Top-down neural attention by excitation backprop", ECCV 2016) asks only the
# second: over the (image, class) pairs with the class present, the share whose point falls within the tolerance of
# a box of the class (here the location AP's 18 px in the 500-px frame; Zhang et al. use 15 px). On real photographs
# weakly supervised CNN maps beat the image centre by a wide margin (the published figures are below our table); where
# our weak net does not, its location AP cannot beat the centre either, whatever its scores.

# %%
pointing = cvpr15_diagnostics.pointing_table(run)
cvpr15.summary(pointing, ["dataset", "method"], value="pointing %").round(1)

# %%
cvpr15_diagnostics.published_pointing()

# %% [markdown]
# ## Ours vs the paper

# %%
ours = cvpr15.headline_table(location, coco)
report.headline_vs_ours(paper, ours)

# %% [markdown]
# ## Verdicts
#
# The paper's claim (ii): the weak net predicts approximate locations of objects. We test it as "the weak net's
# location mAP beats the image-centre baseline", the strongest of the trivial baselines on datasets where objects
# sit near the centre, on each dataset. Both rows of seed *s* rank the same weak net's class scores and differ only
# in where the points are, so they are paired by seed: the claim is *reproduced* when the 95 % confidence interval of
# the paired difference lies above 0, *not reproduced* when it lies below 0, *undecided* otherwise. The box-trained
# heat map is our addition (the paper has no number for it); its row is in the tables above, not a claim. This chapter
# takes **5 source seeds** where the other CVPR'15 chapters take 3 (`cvpr15.location_seeds`): over 3 seeds both
# intervals straddled 0, and the Mini world chapter's Calibration rule asks for 5 where the budget allows (its
# change log, C6).

# %%
verdicts = report.orderings(run, "cvpr15_location", cvpr15.location_comparisons(location), paired=True,
                            paper="CVPR 2015", labels=("weak net", "image centre"), unit="location mAP")
print(f"COCO classification: {report.format_mean_std(coco['mAP'].mean(), coco['mAP'].std())} mAP over the classes "
      f"with a positive image (paper {paper.loc['MS COCO val classification mAP', 'value']} on real COCO).")

# %% [markdown]
# **Reading the verdicts.**

# %%
report.in_words(verdicts, caveat=(
    "Where the weak net does not clearly beat the image centre, the localisation examples of the figures chapter "
    "(cvpr15_figures) show where its points land, and two diagnostics say why: the objects-or-context table of the "
    "CVPR'15 Table 1 chapter gives how much of the weak net's mAP the context alone keeps, and the pointing game "
    "below compares its points with the centre's by a second measure. Global max pooling is free to pick whichever "
    "cell scores highest, so where context predicts a class, points can land on it next to the object. Such a "
    "verdict says more about our analog (predictive context, a small network trained on 800 scenes) than about the "
    "paper, whose points land inside the boxes most of the time."))

# %% [markdown]
# The localisation examples are in the [figures chapter](cvpr15_figures.ipynb).

# %% [markdown]
# ```{admonition} What differs from the paper
# - **The protocol's details are not in the paper we could read** (they come from later papers quoting it): the
#   tolerance is 18 px, but whether boxes or points are clipped, how difficult objects count and whether images
#   without the class are scored are our choices: every image not labelled 0 ("difficult only") gives one point
#   per class; points in an image without the class are false positives; difficult boxes count as hits.
# - **Tolerance at our image size.** The quick scenes are 160 px wide, about a third of VOC's 500 px. The 18 px are
#   applied after rescaling every image so that its largest side is 500 px, i.e. a tolerance of 18 × 160/500 =
#   5.8 scene pixels. The full profile uses 18 original pixels, as the paper.
# - **Which scale gives the point.** With six test scales, the point of a class comes from the scale whose max-pooled
#   score for that class is highest (where the evidence is strongest), mapped back through that scale's resize.
#   The paper does not say.
# - **Coarse grid.** The quick net's score-map stride is 16 px for a 48-px input (a third of it) where AlexNet's is
#   32 px for 224 (a seventh), so points sit on a relatively coarser grid than the paper's.
# - **Baselines** are ours; the heat-map baseline uses the CVPR'14 Table 2 head (or our own box-trained head when
#   that pipeline is unavailable) applied to dense windows at the test scales, not CVPR'14's cropped patches.
# - **COCO.** The quick profile's COCO analog has 800 train / 500 val scenes with the 80 COCO class names; the full
#   profile uses COCO 2014 train/val under `data_root/coco`. No box-trained COCO model is built.
# ```
