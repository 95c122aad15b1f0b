"""Tests of aligned trajectories, first separation and matching on simulated decisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csresearch.analysis.trajectories import aligned_trajectories, first_separation, matched_sample
from csresearch.errors import ParameterError


@pytest.fixture(scope="module")
def decisions():
    # 150 churned and 150 renewed decisions; quota consumption of churners falls from month -8,
    # seat utilisation from month -3; nps never differs.
    rng = np.random.default_rng(0)
    rows = []
    for i in range(300):
        churned = int(i < 150)
        m = np.arange(-12, 1)
        quota = 0.8 - churned * 0.05 * np.clip(m + 9, 0, None) + rng.normal(0, 0.1, 13)
        seats = 0.7 - churned * 0.08 * np.clip(m + 4, 0, None) + rng.normal(0, 0.1, 13)
        rows.append(pd.DataFrame({"account_id": f"a{i}", "churned": churned, "rel_month": m,
                                  "quota_consumption": quota, "seat_utilisation_3m": seats,
                                  "nps_last": rng.normal(7, 2, 13)}))
    return pd.concat(rows, ignore_index=True)


FEATURES = ["quota_consumption", "seat_utilisation_3m", "nps_last"]


def test_aligned_means_and_intervals(decisions):
    traj = aligned_trajectories(decisions, "rel_month", "churned", FEATURES)
    s = traj.summary.set_index(["feature", "group", "rel_month"])
    assert traj.groups == (1, 0)
    row = s.loc[("quota_consumption", 1, 0)]
    expected = decisions.query("churned == 1 and rel_month == 0").quota_consumption
    assert row["mean"] == pytest.approx(expected.mean()) and row["n"] == 150
    assert row["ci_low"] < 0.8 - 0.45 < row["ci_high"]
    assert len(traj.summary) == 3 * 2 * 13


def test_first_separation_finds_the_earliest_feature(decisions):
    sep = first_separation(aligned_trajectories(decisions, "rel_month", "churned", FEATURES))
    assert sep.first_feature == "quota_consumption"
    assert -8 <= sep.summary.loc["quota_consumption", "first_month"] <= -6
    assert -3 <= sep.summary.loc["seat_utilisation_3m", "first_month"] <= -2
    assert np.isnan(sep.summary.loc["nps_last", "first_month"])
    assert not sep.gap["nps_last"].available
    assert sep.gap["quota_consumption"].estimate < 0
    assert sep.differences["q_value"].notna().all() and len(sep.differences) == 39


def test_first_separation_needs_two_groups(decisions):
    traj = aligned_trajectories(decisions.assign(churned=1), "rel_month", "churned", FEATURES)
    with pytest.raises(ParameterError):
        first_separation(traj)


def test_matched_sample_balances_strata():
    rng = np.random.default_rng(1)
    n = 400
    frame = pd.DataFrame({"account_id": [f"a{i}" for i in range(n)],
                          "segment": rng.choice(["smb", "mid", "ent"], n, p=[0.6, 0.3, 0.1]),
                          "tenure_years": rng.uniform(0, 6, n)})
    frame["churned"] = (rng.random(n) < np.where(frame.segment == "smb", 0.4, 0.1)).astype(int)
    frame.loc[frame.index[:3], ["segment", "churned"]] = ["solo", 1]  # a stratum with no controls
    res = matched_sample(frame, "churned", match_on=("segment", "tenure_years"), bins={"tenure_years": [0, 2, 4, 6]}, seed=3)
    counts = res.sample.groupby(["match_stratum", "churned"]).size().unstack()
    assert (counts[0] == counts[1]).all()
    assert not res.sample["match_stratum"].str.startswith("solo").any()
    assert any("not matched" in n for n in res.notes)
    again = matched_sample(frame, "churned", match_on=("segment", "tenure_years"), bins={"tenure_years": [0, 2, 4, 6]}, seed=3)
    assert again.sample.index.equals(res.sample.index)


def test_trajectory_plot(decisions):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from csresearch.plots import trajectory_plot

    traj = aligned_trajectories(decisions, "rel_month", "churned", FEATURES)
    fig, ax = plt.subplots()
    assert trajectory_plot(traj, "quota_consumption", ax=ax) is ax
    assert len(ax.lines) == 3 and len(ax.lines[0].get_xdata()) == 13  # two groups + decision line
    with pytest.raises(ValueError):
        trajectory_plot(traj, "nope", ax=ax)
    plt.close(fig)
