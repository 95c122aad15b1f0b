# %% [markdown]
# # 03 Does the health score mean anything?
#
# Long tenure as "good customers": does the score rise with tenure, also within tenure cohorts
# (so that survivorship cannot fake it)? Does it predict the next renewal decision? And how do the
# expert weights compare with weights learned from renewal outcomes?

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

panel, reason = study.attempt(study.tenure_health_panel, ds, scorecard_path)
tenure, reason = study.attempt(study.health_vs_tenure, panel, seed=seed) if panel is not None else (None, reason)
decisions, reason2 = study.attempt(decision_table, ds, lead_days, scorecard=scorecard_path)
auc, reason2 = study.attempt(study.next_renewal_auc, decisions, seed=seed) if decisions is not None else (None, reason2)

# %%
if tenure is not None and auc is not None:
    section = {"tenure_spearman": tenure.pooled.to_dict(), "tenure_spearman_within_cohorts": tenure.within_pooled.to_dict(),
               "auc_next_renewal": auc.to_dict(), "lead_days": lead_days}
else:
    section = {"reason": "; ".join(r for r in (reason, reason2) if r)}
saved = study.write_section("health_validity", section, output_dir)

# %% [markdown]
# ## The answer

# %%
if tenure is not None and auc is not None:
    display(Markdown(narrative.health_validity_story(tenure.pooled, tenure.within_pooled, auc)))
else:
    display(Markdown(f"Not computable: {section['reason']}."))

# %% [markdown]
# ## Health score vs tenure within tenure cohorts
#
# A cohort holds the accounts that reached the same number of anniversaries as customers, so every
# tenure year of a cohort shows the same accounts.

# %%
if tenure is not None:
    display(tenure.within)
    medians = panel.groupby(["tenure_cohort", "tenure_year"])["health_score"].median().unstack(0)
    ax = medians.plot(marker="o", figsize=(7, 4), title="median health score by tenure year, per tenure cohort")
    ax.set_ylabel("health_score")
    plt.show()

# %% [markdown]
# ## Churn rate by health-score decile at the renewal decision (calibration, Wilson intervals)

# %%
if decisions is not None:
    from csresearch.analysis.association import calibration_by_decile

    calibration = calibration_by_decile(decisions["health_score"], decisions["churned"])
    plots.calibration_plot(calibration).set_ylabel("churn rate at the next decision")
    plt.show()
    display(study.suppress_groups(calibration.summary, ["n"], min_group_size, include_ids))

# %% [markdown]
# ## Expert vs learned component weights (fitted on renewal decisions, CV grouped by account)

# %%
from csresearch.health import HealthScore

fitted, reason3 = (study.attempt(HealthScore(scorecard_path, random_state=seed).fit, decisions, decisions["churned"])
                   if decisions is not None else (None, reason2))
display(fitted.compare_weights() if fitted is not None else Markdown(f"Weights could not be learned: {reason3}."))
