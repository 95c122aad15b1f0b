# %% [markdown]
# # 06 What drives churn, and which KPIs should a CS team manage to?
#
# One row per renewal decision observed `lead_days` before it: multivariable logistic regression
# (odds ratios per SD, cluster-robust by account, BH q-values), a predictive model with account-grouped
# cross-validated AUC, a ranking by out-of-fold permutation importance, the same model at several leads
# (leading indicators vs late symptoms), KPI targets for the leading DEAR features, and a KPI tree from the
# churn rate to each team's KPIs with the churn attributable to missing each target (standardisation, bootstrap).

# %% tags=["parameters"]
data_dir: "Path" = "data/sample"  # dataset folder (holds dataset.yml)
as_of: "date | None" = None  # analyse the data as known on this day (YYYY-MM-DD); None = extracted_at
lead_days = 90  # days before a renewal decision at which features are observed (> 0)
lead_time_days = [30, 90, 180, 270, 365]  # leads (days) at which the model is refitted for the lead-time plot
kpi_risk_multiple = 1.0  # a KPI target is where churn risk crosses this multiple of the overall churn rate (> 0)
scorecard: "Path | None" = None  # scorecard YAML; None = the built-in DEAR scorecard
seed = 0  # random seed for bootstraps and cross-validation (>= 0)
output_dir: "Path | None" = None  # set by csresearch run; None = interactive, write no findings
min_group_size = 5  # groups smaller than this are suppressed in shared output (>= 5; smaller needs include_ids)
include_ids = False  # internal report: allow account ids and small groups
lang = "en"  # language of the text, tables and figures (en, ja; csresearch run --lang)

# %%
from csresearch import study

ctx = study.open(data_dir, as_of, lead_days=lead_days, lead_time_days=lead_time_days, kpi_risk_multiple=kpi_risk_multiple,
                 scorecard=scorecard, seed=seed, output_dir=output_dir, min_group_size=min_group_size, include_ids=include_ids, lang=lang)
factors = study.run("churn_factors", ctx)
lead_time = study.run("lead_time", ctx)
kpis = study.run("kpis", ctx)
kpi_tree = study.run("kpi_tree", ctx)

# %% [markdown]
# ## The answer: ranking (with rank intervals), odds ratios and q-values

# %%
factors

# %% [markdown]
# ## How far ahead churn shows: AUC by lead time, leading indicators and late symptoms

# %%
lead_time

# %%
lead_time.plot();

# %% [markdown]
# ## Permutation importance and odds ratios (95% intervals; unstable odds ratios left out, see notes)

# %%
factors.plot();

# %% [markdown]
# ## Calibration of the churn model (out-of-fold predictions)

# %%
factors.calibration_plot();

# %% [markdown]
# ## KPIs: dose-response curves of churn risk with the targets marked

# %%
kpis

# %%
kpis.curves_plot();

# %% [markdown]
# ## KPI tree: from the churn rate to each team's KPIs, with the churn attributable to missing each target

# %%
kpi_tree

# %%
kpi_tree.plot();
