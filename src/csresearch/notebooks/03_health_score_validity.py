# %% [markdown]
# # 03 Does the health score mean anything?
#
# Long tenure as "good customers": does the score rise with tenure, also within tenure cohorts
# (so that survivorship cannot fake it)? Does it predict the next renewal decision? Which health
# definition deserves trust: the DEAR score, its weakest component, Box's 50/80 healthy customer or
# your own rules, tested side by side against renewals? And how do the expert weights compare with
# weights learned from renewal outcomes?

# %% tags=["parameters"]
data_dir: "Path" = "data/sample"  # dataset folder (holds dataset.yml)
as_of: "date | None" = None  # analyse the data as known on this day (YYYY-MM-DD); None = extracted_at
lead_days = 90  # days before a renewal decision at which features are observed (> 0)
scorecard: "Path | None" = None  # scorecard YAML; None = the built-in DEAR scorecard
definitions: "str | None" = None  # further health definitions (scorecard or rule YAML files), comma-separated
unhealthy_threshold: float = 40  # a health score below this is unhealthy (0-100); a rule: not healthy
seed = 0  # random seed for bootstraps and cross-validation (>= 0)
output_dir: "Path | None" = None  # set by csresearch run; None = interactive, write no findings
min_group_size = 5  # groups smaller than this are suppressed in shared output (>= 5; smaller needs include_ids)
include_ids = False  # internal report: allow account ids and small groups
lang = "en"  # language of the text, tables and figures (en, ja; csresearch run --lang)

# %%
import matplotlib.pyplot as plt

from csresearch import study

ctx = study.open(data_dir, as_of, lead_days=lead_days, scorecard=scorecard, definitions=definitions,
                 unhealthy_threshold=unhealthy_threshold, seed=seed, output_dir=output_dir,
                 min_group_size=min_group_size, include_ids=include_ids, lang=lang)
validity = study.run("health_validity", ctx)

# %% [markdown]
# ## The answer

# %%
validity

# %% [markdown]
# ## Health definitions side by side against renewals
#
# Every definition scores the same decisions and anniversaries; differences come from the same account
# resamples (paired), so an interval excluding 0 means one definition really predicts renewals better.

# %%
validity.definitions_plot()
plt.show()
validity.definitions_table()

# %% [markdown]
# ## Health score vs tenure within tenure cohorts
#
# A cohort holds the accounts that reached the same number of anniversaries as customers, so every
# tenure year of a cohort shows the same accounts.

# %%
validity.cohorts_plot()
plt.show()
validity.within_cohorts()

# %% [markdown]
# ## Churn rate by health-score decile at the renewal decision (calibration, Wilson intervals)

# %%
validity.calibration_plot()
plt.show()
validity.calibration_table()

# %% [markdown]
# ## Expert vs learned component weights (fitted on renewal decisions, CV grouped by account)

# %%
validity.weights()
