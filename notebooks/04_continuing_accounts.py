# %% [markdown]
# # 04 How do continuing accounts change with tenure?
#
# Among accounts that never churned: the change per tenure year of the health score and of each
# DEAR feature (slopes with account-clustered intervals), and features that move against the score.

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
