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
horizon_years: float = 3  # churn within this many years of signup (> 0)
months_after = 12  # months after the onboarding target date for the health snapshot (> 0)
unhealthy_threshold: float = 40  # a health score below this is unhealthy (0-100)
scorecard: "Path | None" = None  # scorecard YAML; None = the built-in DEAR scorecard
seed = 0  # random seed for bootstraps and cross-validation (>= 0)
output_dir: "Path | None" = None  # set by csresearch run; None = interactive, write no findings
min_group_size = 5  # groups smaller than this are suppressed in shared output (>= 1)
include_ids = False  # internal report: allow account ids and small groups

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
