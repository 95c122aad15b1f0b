# %% [markdown]
# # 00 Data audit: what does this dataset hold?
#
# Before believing any analysis: does the data satisfy the contract, how much of it is there per
# table and month, who are the accounts, and how often did renewal decisions end in churn?

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
