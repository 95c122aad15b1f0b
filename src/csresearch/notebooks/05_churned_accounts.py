# %% [markdown]
# # 05 What happens to accounts before they churn?
#
# An event study: each churned renewal decision is matched to a renewed one of the same segment, tenure
# year and decision year, and both are aligned on the months before their own decision (-12 to -1), each
# month using only data known then. Months before onboarding had resolved (plus a 90-day ramp-up) are
# left out. For each component: from which month does the churned - renewed gap become and stay
# significant, with an interval? A gap already there when the window starts is a baseline difference,
# not a trigger; components that start together are reported as ties.

# %% tags=["parameters"]
data_dir: "Path" = "data/sample"  # dataset folder (holds dataset.yml)
as_of: "date | None" = None  # analyse the data as known on this day (YYYY-MM-DD); None = extracted_at
lead_days = 90  # days before a renewal decision at which features are observed (> 0)
scorecard: "Path | None" = None  # scorecard YAML; None = the built-in DEAR scorecard
seed = 0  # random seed for bootstraps and cross-validation (>= 0)
output_dir: "Path | None" = None  # set by csresearch run; None = interactive, write no findings
min_group_size = 5  # groups smaller than this are suppressed in shared output (>= 5; smaller needs include_ids)
include_ids = False  # internal report: allow account ids and small groups
lang = "en"  # language of the text, tables and figures (en, ja; csresearch run --lang)

# %%
import matplotlib.pyplot as plt

from csresearch import study

ctx = study.open(data_dir, as_of, lead_days=lead_days, scorecard=scorecard, seed=seed, output_dir=output_dir,
                 min_group_size=min_group_size, include_ids=include_ids, lang=lang)
churned = study.run("churned_accounts", ctx)

# %% [markdown]
# ## The answer

# %%
churned

# %% [markdown]
# ## Matching (churned decisions and renewed controls per segment, tenure year and decision year)

# %%
churned.matching()

# %% [markdown]
# ## When each component separates (kind, first month with its bootstrap interval, gaps churned - renewed)

# %%
churned.separation()

# %% [markdown]
# ## Paired gap by month for the first components and the health score (first month and its interval shaded)

# %%
churned.differences_plot()
plt.show()

# %% [markdown]
# ## Trajectories of every component and feature, churned vs renewed accounts (mean with 95% band)

# %%
churned.trajectories_plot()
plt.show()
