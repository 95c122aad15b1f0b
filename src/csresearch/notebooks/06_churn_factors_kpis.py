# %% [markdown]
# # 06 What drives churn, and which KPIs should a CS team manage to?
#
# One row per renewal decision observed `lead_days` before it: multivariable logistic regression
# (odds ratios per SD, BH q-values), a predictive model with account-grouped cross-validated AUC,
# a ranking by out-of-fold permutation importance, and KPI thresholds for the top factors.

# %% tags=["parameters"]
data_dir: "Path" = "data/sample"  # dataset folder (holds dataset.yml)
as_of: "date | None" = None  # analyse the data as known on this day (YYYY-MM-DD); None = extracted_at
lead_days = 90  # days before a renewal decision at which features are observed (> 0)
scorecard: "Path | None" = None  # scorecard YAML; None = the built-in DEAR scorecard
seed = 0  # random seed for bootstraps and cross-validation (>= 0)
output_dir: "Path | None" = None  # set by csresearch run; None = interactive, write no findings
min_group_size = 5  # groups smaller than this are suppressed in shared output (>= 1)
include_ids = False  # internal report: allow account ids and small groups

# %%
import warnings

import matplotlib.pyplot as plt

from csresearch import study

warnings.filterwarnings("ignore", category=UserWarning)
ctx = study.open(data_dir, as_of, lead_days=lead_days, scorecard=scorecard, seed=seed, output_dir=output_dir,
                 min_group_size=min_group_size, include_ids=include_ids)
factors = study.run("churn_factors", ctx)
kpis = study.run("kpis", ctx)

# %% [markdown]
# ## The answer

# %%
factors

# %% [markdown]
# ## KPIs

# %%
kpis

# %% [markdown]
# ## Ranking, odds ratios and q-values

# %%
factors.ranking()

# %% [markdown]
# ## Permutation importance and odds ratios (95% intervals)

# %%
factors.plot()
plt.show()

# %% [markdown]
# ## KPI tree: from the overall churn rate to the KPI thresholds

# %%
kpis.tree_plot()
plt.show()
