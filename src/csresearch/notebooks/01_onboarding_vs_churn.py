# %% [markdown]
# # 01 Does failed onboarding cause churn?
#
# Share of accounts churned within `horizon_years` of signup, by onboarding outcome, estimated
# with Kaplan-Meier so that accounts not yet observed that long count correctly; then the adjusted,
# causal answer: what churn would have been had every account failed versus succeeded, adjusted for
# what was known at signup (inverse-probability-weighted Kaplan-Meier from the day the outcome was known).

# %% tags=["parameters"]
data_dir: "Path" = "data/sample"  # dataset folder (holds dataset.yml)
as_of: "date | None" = None  # analyse the data as known on this day (YYYY-MM-DD); None = extracted_at
horizon_years: float = 3  # churn within this many years of signup (> 0)
seed = 0  # random seed for the bootstrap of the adjusted estimates (>= 0)
output_dir: "Path | None" = None  # set by csresearch run; None = interactive, write no findings
min_group_size = 5  # groups smaller than this are suppressed in shared output (>= 5; smaller needs include_ids)
include_ids = False  # internal report: allow account ids and small groups
lang = "en"  # language of the text, tables and figures (en, ja; csresearch run --lang)

# %%
import matplotlib.pyplot as plt

from csresearch import study

ctx = study.open(data_dir, as_of, horizon_years=horizon_years, seed=seed, output_dir=output_dir,
                 min_group_size=min_group_size, include_ids=include_ids, lang=lang)
churn = study.run("onboarding_vs_churn", ctx)

# %% [markdown]
# ## The answer

# %%
churn

# %% [markdown]
# ## Cumulative churn since signup (Kaplan-Meier, 95% band) and churn within the horizon

# %%
churn.plot()
plt.show()

# %% [markdown]
# ## Adjusted effect: counterfactual churn, difference and ratio, 1-3 years, restricted mean churn-free time
#
# Assumes no unmeasured confounding given the characteristics at signup and overlap; see the E-value in the answer.

# %%
churn.adjusted_table()

# %% [markdown]
# ## Weighted cumulative churn from the landmark, and the adjusted difference by horizon

# %%
churn.adjusted_plot()
plt.show()

# %% [markdown]
# ## Diagnostics: propensity overlap by group, covariate balance before and after weighting (love plot)

# %%
churn.diagnostics_plot()
plt.show()

# %% [markdown]
# ## Stratified by segment
#
# The log-rank p-value stratified by segment compares like with like (failure rates differ by segment).

# %%
churn.by_segment()

# %% [markdown]
# ## By renewal number: churn at each renewal decision (Wilson intervals; difference failed - succeeded, Newcombe)

# %%
churn.by_renewal()
