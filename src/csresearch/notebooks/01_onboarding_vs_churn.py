# %% [markdown]
# # 01 Does failed onboarding cause churn?
#
# Share of accounts churned within `horizon_years` of signup, by onboarding outcome, estimated
# with Kaplan-Meier so that accounts not yet observed that long count correctly.

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

result, reason = study.attempt(study.onboarding_churn, ds, horizon_years)
section = result.to_findings() if result else {"reason": reason}
saved = study.write_section("onboarding_vs_churn", section, output_dir)

# %% [markdown]
# ## The answer

# %%
display(Markdown(narrative.onboarding_churn_story(result) if result else f"Not computable: {reason}."))
if result is not None:
    display(result)

# %% [markdown]
# ## Cumulative churn since signup (Kaplan-Meier, 95% band) and churn within the horizon

# %%
if result is not None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    plots.km_plot(result, ax=left)
    plots.bar_with_intervals({"succeeded": result.churn_succeeded, "failed": result.churn_failed}, ax=right,
                             xlabel=f"churned within {horizon_years} years")
    plt.show()

# %% [markdown]
# ## Stratified by segment
#
# The log-rank p-value stratified by segment compares like with like (failure rates differ by segment).

# %%
if result is not None:
    display(Markdown(f"Log-rank p = {narrative.fmt_number(result.p_value, 2)}; stratified by segment "
                     f"p = {narrative.fmt_number(result.p_value_stratified, 2)}."))
    display(study.suppress_groups(result.by_segment, ["n_succeeded", "n_failed"], min_group_size, include_ids,
                          rate_cols=["churn_succeeded", "churn_failed", "risk_difference", "p_value"]))

# %% [markdown]
# ## By renewal number: churn at each renewal decision (Wilson intervals; difference failed - succeeded, Newcombe)

# %%
if result is not None:
    by_renewal = study.churn_by_renewal_number(ds)
    rates = [c for c in by_renewal.columns if c not in ("renewal_number", "n_succeeded", "n_failed")]
    display(study.suppress_groups(by_renewal, ["n_succeeded", "n_failed"], min_group_size, include_ids, rate_cols=rates))
