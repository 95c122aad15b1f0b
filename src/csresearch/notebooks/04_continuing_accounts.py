# %% [markdown]
# # 04 How do continuing accounts change with tenure?
#
# Among accounts that never churned: the change per tenure year of the health score and of each
# DEAR feature (slopes with account-clustered intervals), and features that move against the score.

# %% tags=["parameters"]
data_dir: "Path" = "data/sample"  # dataset folder (holds dataset.yml)
as_of: "date | None" = None  # analyse the data as known on this day (YYYY-MM-DD); None = extracted_at
scorecard: "Path | None" = None  # scorecard YAML; None = the built-in DEAR scorecard
output_dir: "Path | None" = None  # set by csresearch run; None = interactive, write no findings
min_group_size = 5  # groups smaller than this are suppressed in shared output (>= 5; smaller needs include_ids)
include_ids = False  # internal report: allow account ids and small groups
lang = "en"  # language of the text, tables and figures (en, ja; csresearch run --lang)

# %%
import matplotlib.pyplot as plt

from csresearch import study

ctx = study.open(data_dir, as_of, scorecard=scorecard, output_dir=output_dir,
                 min_group_size=min_group_size, include_ids=include_ids, lang=lang)
trends = study.run("continuing_trends", ctx)

# %% [markdown]
# ## The answer

# %%
trends

# %% [markdown]
# ## Slopes per tenure year (pooled and within-account), 95% intervals clustered by account

# %%
trends.slopes()

# %% [markdown]
# ## Median trajectories by tenure year (line: median; band: interquartile range)

# %%
trends.trajectories_plot()
plt.show()
