# %% [markdown]
# # 02 Are accounts that failed onboarding less healthy later?
#
# Health score and every DEAR feature `months_after` months after the onboarding target date,
# for accounts still customers then: succeeded vs failed, raw and adjusted for segment and touch model.

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

snapshot, reason = study.attempt(study.onboarding_health_snapshot, ds, months_after, scorecard_path)
comparison, reason = (study.attempt(study.onboarding_vs_health, snapshot, months_after, unhealthy_threshold)
                      if snapshot is not None else (None, reason))
saved = study.write_section("onboarding_vs_health", comparison.to_findings() if comparison else {"reason": reason}, output_dir)

# %% [markdown]
# ## The answer

# %%
display(Markdown(narrative.onboarding_health_story(comparison) if comparison else f"Not computable: {reason}."))
if snapshot is not None:
    display(Markdown(f"{len(snapshot)} accounts were customers {months_after} months after their target date; "
                     f"left out: {snapshot.attrs.get('dropped')}."))

# %% [markdown]
# ## Unhealthy share (health score below the threshold), Wilson intervals

# %%
if comparison is not None:
    plots.bar_with_intervals({"succeeded": comparison.unhealthy_succeeded, "failed": comparison.unhealthy_failed},
                             xlabel=f"share with health score < {unhealthy_threshold}")
    plt.show()

# %% [markdown]
# ## Every feature: raw difference (Welch) and adjusted difference (regression on segment and touch model)

# %%
if comparison is not None:
    display(comparison)

# %% [markdown]
# ## Health components: adjusted difference (failed - succeeded), 95% intervals

# %%
if comparison is not None:
    health = {k: v for k, v in comparison.adjusted.items() if k.startswith("health_")}
    plots.forest_plot(health, ref=0.0, log=False, xlabel="adjusted difference, failed - succeeded (score points)")
    plt.show()
