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
# Each chapter records, for each claim of the paper it reproduces, the paper's figure, ours with its spread over
# source-network seeds, and a verdict: **reproduced**, **tie** (the difference is smaller than twice the seed spread)
# or **not reproduced**. This page gathers them from the results cache of the chapters executed before it, so it
# always shows the numbers of the same build.

# %% tags=["parameters"]
profile = "quick"
data_root = None
device = "auto"
seed = 0
runs_dir = "runs"
overrides = {}

# %%
from oquab_lib import report, session

run = session.start(profile, data_root, device, seed, runs_dir, overrides)
claims = report.claims_table(run.runs_dir)
print(f"{len(claims)} claims recorded by the chapters of this build (profile {run.profile}).")

# %%
report.claims_display(claims)

# %%
counts = claims["verdict"].value_counts()
print(", ".join(f"{verdict}: {count}" for verdict, count in counts.items()) or "No chapter has recorded a claim yet.")

# %% [markdown]
# The chapter links lead to the tables and figures behind each verdict. Absolute numbers of the mini world are not
# comparable with the paper's (see the introduction); the verdicts compare the *direction* of each effect, measured
# with the same code that runs on real data under the `full` profile.
