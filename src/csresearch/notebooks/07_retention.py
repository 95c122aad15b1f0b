# %% [markdown]
# # 07 Retention: how much revenue and how many customers do we keep?
#
# Over the `window_months` ending at as_of, for the accounts that were customers on the window's first day:
# gross revenue retention (GRR: ARR kept, expansion not counted), net revenue retention (NRR: ARR now over ARR
# then) and logo retention (share still customers), with 95% account-bootstrap intervals; by segment and by
# signup year; where the ARR went; and the ARR of current customers on the wrong side of each churn-risk target.

# %% tags=["parameters"]
data_dir: "Path" = "data/sample"  # dataset folder (holds dataset.yml)
as_of: "date | None" = None  # analyse the data as known on this day (YYYY-MM-DD); None = extracted_at
window_months = 12  # months back from as_of over which retention is measured (>= 1)
lead_days = 90  # days before a renewal decision at which features are observed for the targets (> 0)
kpi_risk_multiple = 1.0  # a target is where churn risk crosses this multiple of the overall churn rate (> 0)
scorecard: "Path | None" = None  # scorecard YAML; None = the built-in DEAR scorecard
seed = 0  # random seed for the bootstrap (>= 0)
output_dir: "Path | None" = None  # set by csresearch run; None = interactive, write no findings
min_group_size = 5  # groups smaller than this are suppressed in shared output (>= 1)
include_ids = False  # internal report: allow account ids and small groups
lang = "en"  # language of the text, tables and figures (en, ja; csresearch run --lang)

# %%
from csresearch import study

ctx = study.open(data_dir, as_of, window_months=window_months, lead_days=lead_days, kpi_risk_multiple=kpi_risk_multiple,
                 scorecard=scorecard, seed=seed, output_dir=output_dir, min_group_size=min_group_size, include_ids=include_ids, lang=lang)
retention = study.run("retention", ctx)

# %% [markdown]
# ## The answer: GRR, NRR and logo retention with 95% intervals

# %%
retention

# %%
retention.plot();

# %% [markdown]
# ## By segment (groups below `min_group_size` accounts suppressed)

# %%
retention.groups_table("segment")

# %%
retention.groups_plot("segment");

# %% [markdown]
# ## By signup year

# %%
retention.groups_table("cohort")

# %%
retention.groups_plot("cohort");

# %% [markdown]
# ## ARR at risk: current customers on the wrong side of each churn-risk target
#
# Each DEAR feature's target is the level where the churn risk at the renewal decision crosses the overall churn
# rate (the rule of report 06); the KPIs report 06 selects (the leading indicators) appear here with the same
# numbers. Sorted by how strongly the target separates churn.

# %%
retention.at_risk_table()
