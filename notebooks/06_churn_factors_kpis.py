# %% [markdown]
# # 06 What drives churn, and which KPIs should a CS team manage to?
#
# One row per renewal decision observed `lead_days` before it: multivariable logistic regression
# (odds ratios per SD, BH q-values), a predictive model with account-grouped cross-validated AUC,
# a ranking by out-of-fold permutation importance, and KPI thresholds for the top factors.

# %% tags=["parameters"]
data_dir = "data/sample"
as_of = None
lead_days = 90
horizon_years = 3
months_after = 12
unhealthy_threshold = 40
scorecard = None
seed = 0
output_dir = None
min_group_size = 5
include_ids = False

# %%
import warnings

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from csresearch import narrative, plots, study

warnings.filterwarnings("ignore", category=UserWarning)
ds = study.load_study_dataset(data_dir, as_of)
scorecard_path = study.resolve_path(scorecard)
from csresearch.tables import decision_table

decisions, reason = study.attempt(decision_table, ds, lead_days, scorecard=scorecard_path)
result, reason = study.attempt(study.churn_factor_analysis, decisions, seed) if decisions is not None else (None, reason)
sections = result.to_findings() if result else {"churn_factors": {"reason": reason}, "kpis": {"reason": reason}}
saved = study.write_section("churn_factors", sections["churn_factors"], output_dir)
saved = study.write_section("kpis", sections["kpis"], output_dir)

# %% [markdown]
# ## The answer

# %%
display(Markdown(narrative.churn_factors_story(result) if result else f"Not computable: {reason}."))
display(Markdown(narrative.kpi_story(result.kpis) if result else ""))

# %% [markdown]
# ## Ranking, odds ratios and q-values

# %%
if result is not None:
    display(result)

# %% [markdown]
# ## Permutation importance and odds ratios (95% intervals)

# %%
if result is not None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 0.9 + 0.32 * len(result.ranking)))
    result.importance_plot(ax=left)
    result.odds_ratio_plot(ax=right)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## KPI tree: from the overall churn rate to the KPI thresholds

# %%
if result is not None:
    result.kpi_tree_plot()
    plt.show()
