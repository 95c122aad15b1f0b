# %% [markdown]
# # 05 What happens to accounts before they churn?
#
# Accounts aligned on their renewal decision (months -12 to -1), each month using only data known
# then; churned decisions matched to renewed ones of the same segment and tenure year. Which
# component separates the groups first, and by how much?

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

result, reason = study.attempt(study.decision_trajectories, ds, lead_days, scorecard_path, seed)
section = study.trajectories_findings(result, lead_days) if result else {"reason": reason}
saved = study.write_section("churned_accounts", section, output_dir)

# %% [markdown]
# ## The answer

# %%
display(Markdown(narrative.churned_accounts_story(result.separation, lead_days) if result else f"Not computable: {reason}."))

# %% [markdown]
# ## Matching (churned decisions and renewed controls per segment and tenure year)

# %%
if result is not None:
    display(Markdown(f"{result.n_churned} churned decisions; {section['n_matched_pairs']} matched to a renewed one."))
    display(study.suppress_groups(result.matched.summary.reset_index(), ["n_treated", "n_control"],
                                  min_group_size, include_ids, rate_cols=["matched_treated"]))

# %% [markdown]
# ## When each component separates (first month from which the gap stays significant, BH-adjusted)

# %%
if result is not None:
    display(result.separation.summary.sort_values("first_month"))

# %% [markdown]
# ## Trajectories, churned (1) vs renewed (0), mean with 95% band

# %%
if result is not None:
    shown = [f for f in ("health_score", "health_deployment", "health_adoption", "health_engagement",
                         result.separation.first_feature) if f in result.features]
    fig, axes = plt.subplots(1, len(shown), figsize=(4 * len(shown), 3.5), squeeze=False)
    for feature, ax in zip(dict.fromkeys(shown), axes[0]):
        plots.trajectory_plot(result.trajectories, feature, ax=ax).set_title(feature)
    plt.tight_layout()
    plt.show()
