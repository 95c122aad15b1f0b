# %% [markdown]
# # 08 Do accounts that trail their peers churn more, and does it matter why the customer bought?
#
# Peer benchmarks: each customer's DEAR components as percentiles among customers of the same segment and size
# band (seats: 1-9, 10-49, 50-249, 250+) at the same date, computed only from data known then; churn at the
# next renewal by percentile band (Wilson intervals) and the odds ratio per 10 percentile points (cluster-robust).
# Adoption purpose: churn and health by `accounts.purpose` (optional column; skipped with the reason without it).

# %% tags=["parameters"]
data_dir: "Path" = "data/sample"  # dataset folder (holds dataset.yml)
as_of: "date | None" = None  # analyse the data as known on this day (YYYY-MM-DD); None = extracted_at
lead_days = 90  # days before a renewal decision at which the percentiles are observed (> 0)
scorecard: "Path | None" = None  # scorecard YAML; None = the built-in DEAR scorecard
output_dir: "Path | None" = None  # set by csresearch run; None = interactive, write no findings
min_group_size = 5  # groups smaller than this are suppressed in shared output (>= 5; smaller needs include_ids)
include_ids = False  # internal report: allow account ids and small groups
lang = "en"  # language of the text, tables and figures (en, ja; csresearch run --lang)

# %%
from csresearch import study

ctx = study.open(data_dir, as_of, lead_days=lead_days, scorecard=scorecard, output_dir=output_dir,
                 min_group_size=min_group_size, include_ids=include_ids, lang=lang)
peers = study.run("peer_benchmarks", ctx)
purpose = study.run("adoption_purpose", ctx)

# %% [markdown]
# ## The answer: churn by peer percentile of each DEAR component

# %%
peers

# %%
peers.plot();

# %% [markdown]
# ## Churn and health by purpose of purchase (groups below `min_group_size` accounts suppressed)

# %%
purpose
