# %% [markdown]
# # 00 Data audit: what does this dataset hold?
#
# Before believing any analysis: does the data satisfy the contract, how much of it is there per
# table and month, who are the accounts, and how often did renewal decisions end in churn?

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
from csresearch.analysis.audit import audit_dataset

audit, reason = study.attempt(audit_dataset, ds)

# %% [markdown]
# ## Summary

# %%
display(Markdown(narrative.audit_story(audit) if audit else f"The audit could not run: {reason}."))
saved = study.write_section("data_audit", audit.to_findings() if audit else {"reason": reason}, output_dir)

# %% [markdown]
# ## Validation against the data contract

# %%
if audit is not None:
    validation = audit.validation
    display(Markdown(f"**{validation.format_text().splitlines()[0]}**" if validation.format_text() else ""))
    display(audit.summary)

# %% [markdown]
# ## Coverage per table and month (rows per month; accounts under contract)

# %%
if audit is not None:
    ax = audit.coverage.plot(figsize=(9, 3.5), logy=True)
    ax.set_ylabel("rows or accounts (log scale)")
    plt.show()
    display(audit.coverage.tail(13))

# %% [markdown]
# ## Accounts by segment and signup cohort (cells below min_group_size masked)

# %%
if audit is not None:
    display(study.mask_small_counts(audit.cohorts, min_group_size, include_ids))

# %% [markdown]
# ## Renewal decisions and churn rate by year and by renewal number (Wilson 95% intervals)

# %%
if audit is not None:
    by_year = study.suppress_groups(audit.churn_by_year, ["decisions"], min_group_size, include_ids)
    by_renewal = study.suppress_groups(audit.churn_by_renewal, ["decisions"], min_group_size, include_ids)
    display(by_year, by_renewal)

# %% [markdown]
# ## Data-quality flags

# %%
if audit is not None:
    display(audit.flags)
