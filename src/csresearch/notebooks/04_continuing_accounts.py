# %% [markdown]
# # 04 How do continuing accounts change with tenure?
#
# Among accounts that never churned: the change per tenure year of the health score and of each
# DEAR feature (slopes with account-clustered intervals), and features that move against the score.

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

panel, reason = study.attempt(study.continuing_panel, ds, scorecard_path)
trends, reason = study.attempt(study.continuing_trends, panel) if panel is not None else (None, reason)
saved = study.write_section("continuing_trends", trends.to_findings() if trends else {"reason": reason}, output_dir)

# %% [markdown]
# ## The answer

# %%
display(Markdown(narrative.continuing_trends_story(trends.slopes) if trends else f"Not computable: {reason}."))

# %% [markdown]
# ## Slopes per tenure year (pooled and within-account), 95% intervals clustered by account

# %%
if trends is not None:
    display(Markdown(f"{panel['account_id'].nunique()} continuing accounts, {len(panel)} quarterly snapshots."))
    display(trends)

# %% [markdown]
# ## Median trajectories by tenure year (line: median; band: interquartile range)

# %%
if trends is not None:
    from csresearch.analysis.trends import median_trajectories

    shown = ["health_score", *narrative.features_against_score(trends.slopes)[:2], "seat_utilisation_3m"]
    shown = [f for f in dict.fromkeys(shown) if f in trends.slopes]
    medians = median_trajectories(panel, "tenure_years", shown)
    fig, axes = plt.subplots(1, len(shown), figsize=(4 * len(shown), 3.5), squeeze=False)
    for feature, ax in zip(shown, axes[0]):
        plots.trend_plot(medians, feature, ax=ax).set_title(feature)
    plt.tight_layout()
    plt.show()
