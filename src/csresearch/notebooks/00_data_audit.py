# %% [markdown]
# # 00 Data audit: what does this dataset hold?
#
# Before believing any analysis: does the data satisfy the contract, how much of it is there per
# table and month, who are the accounts, and how often did renewal decisions end in churn?

# %% tags=["parameters"]
data_dir: "Path" = "data/sample"  # dataset folder (holds dataset.yml)
as_of: "date | None" = None  # analyse the data as known on this day (YYYY-MM-DD); None = extracted_at
output_dir: "Path | None" = None  # set by csresearch run; None = interactive, write no findings
min_group_size = 5  # groups smaller than this are suppressed in shared output (>= 5; smaller needs include_ids)
include_ids = False  # internal report: allow account ids and small groups
lang = "en"  # language of the text, tables and figures (en, ja; csresearch run --lang)

# %%
import matplotlib.pyplot as plt

from csresearch import study

ctx = study.open(data_dir, as_of, output_dir=output_dir,
                 min_group_size=min_group_size, include_ids=include_ids, lang=lang)
audit = study.run("data_audit", ctx)

# %% [markdown]
# ## Summary

# %%
audit

# %% [markdown]
# ## Validation against the data contract

# %%
audit.validation()

# %% [markdown]
# ## Coverage per table and month (rows per month; accounts under contract)

# %%
audit.coverage_plot()
plt.show()
audit.coverage()

# %% [markdown]
# ## Accounts by segment and signup cohort (cells below min_group_size masked)

# %%
audit.cohorts()

# %% [markdown]
# ## Renewal decisions and churn rate by year and by renewal number (Wilson 95% intervals)

# %%
audit.churn_rates()

# %% [markdown]
# ## Data-quality flags

# %%
audit.flags()
