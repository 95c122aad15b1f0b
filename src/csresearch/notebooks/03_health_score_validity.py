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
scorecard: "Path | None" = None  # scorecard YAML; None = the built-in DEAR scorecard
seed = 0  # random seed for bootstraps and cross-validation (>= 0)
output_dir: "Path | None" = None  # set by csresearch run; None = interactive, write no findings
min_group_size = 5  # groups smaller than this are suppressed in shared output (>= 5; smaller needs include_ids)
include_ids = False  # internal report: allow account ids and small groups
lang = "en"  # language of the text, tables and figures (en, ja; csresearch run --lang)

# %%
import warnings

import matplotlib.pyplot as plt

from csresearch import study

warnings.filterwarnings("ignore", category=UserWarning)
ctx = study.open(data_dir, as_of, lead_days=lead_days, scorecard=scorecard, seed=seed, output_dir=output_dir,
                 min_group_size=min_group_size, include_ids=include_ids, lang=lang)
validity = study.run("health_validity", ctx)

# %% [markdown]
# ## The answer

# %%
validity

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
