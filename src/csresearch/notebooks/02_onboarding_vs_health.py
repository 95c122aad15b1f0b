# %% [markdown]
# # 02 Are accounts that failed onboarding less healthy later?
#
# Health score and every DEAR feature `months_after` months after the onboarding target date,
# for accounts still customers then: succeeded vs failed, raw, adjusted for segment and touch model by
# regression, and inverse-probability weighted on the characteristics known at signup.

# %% tags=["parameters"]
data_dir: "Path" = "data/sample"  # dataset folder (holds dataset.yml)
as_of: "date | None" = None  # analyse the data as known on this day (YYYY-MM-DD); None = extracted_at
months_after = 12  # months after the onboarding target date for the health snapshot (> 0)
unhealthy_threshold: float = 40  # a health score below this is unhealthy (0-100)
scorecard: "Path | None" = None  # scorecard YAML; None = the built-in DEAR scorecard
seed = 0  # random seed for the bootstrap of the weighted estimates (>= 0)
output_dir: "Path | None" = None  # set by csresearch run; None = interactive, write no findings
min_group_size = 5  # groups smaller than this are suppressed in shared output (>= 5; smaller needs include_ids)
include_ids = False  # internal report: allow account ids and small groups
lang = "en"  # language of the text, tables and figures (en, ja; csresearch run --lang)

# %%
import matplotlib.pyplot as plt

from csresearch import study

ctx = study.open(data_dir, as_of, months_after=months_after, unhealthy_threshold=unhealthy_threshold, scorecard=scorecard, seed=seed, output_dir=output_dir,
                 min_group_size=min_group_size, include_ids=include_ids, lang=lang)
health = study.run("onboarding_vs_health", ctx)

# %% [markdown]
# ## The answer

# %%
health

# %% [markdown]
# ## Unhealthy share (health score below the threshold), Wilson intervals

# %%
health.plot()
plt.show()

# %% [markdown]
# ## Every feature: raw difference (Welch) and adjusted difference (regression on segment and touch model)

# %%
health.features()

# %% [markdown]
# ## Inverse-probability weighted: unhealthy risk ratio and every feature difference (compare with the regression above)

# %%
health.weighted_features()

# %% [markdown]
# ## Health components: adjusted difference (failed - succeeded), 95% intervals

# %%
health.components_plot()
plt.show()
