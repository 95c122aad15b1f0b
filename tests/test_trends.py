"""Tests of tenure slopes on simulated panels with known trends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csresearch.analysis.trends import median_trajectories, slopes_per_year


def panel(seed: int, slope: float = 2.0, n_accounts: int = 80, survivorship: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(n_accounts):
        level = rng.normal(50, 10)
        start = rng.uniform(0, 3)
        years = start + np.arange(12) / 4  # 3 years of quarterly snapshots
        rows.append(pd.DataFrame({
            "account_id": f"a{a}", "tenure_years": years,
            # survivorship: accounts first seen at high tenure have a higher level, but no within trend
            "health_score": level + survivorship * start + slope * years + rng.normal(0, 2, 12),
            "flat": 3.0,
        }))
    return pd.concat(rows, ignore_index=True)


def test_known_slope_within_interval_over_seeds():
    covered = 0
    for seed in range(8):
        res = slopes_per_year(panel(seed), "tenure_years", ["health_score"], within=False)
        iv = res.slopes["health_score"]
        covered += iv.ci_low < 2.0 < iv.ci_high
    assert covered >= 6


def test_within_slope_separates_survivorship_from_change():
    data = panel(1, slope=0.0, survivorship=8.0)
    res = slopes_per_year(data, "tenure_years", ["health_score"])
    pooled, within = res.slopes["health_score"], res.within["health_score"]
    assert pooled.ci_low > 1  # between-account composition fakes a trend
    assert within.ci_low < 0 < within.ci_high
    row = res.summary.loc["health_score"]
    assert row["n_obs"] == len(data) and row["n_accounts"] == 80


def test_clustered_interval_wider_than_naive():
    import statsmodels.api as sm
    data = panel(2)
    res = slopes_per_year(data, "tenure_years", ["health_score"], within=False)
    naive = sm.OLS(data.health_score, sm.add_constant(data.tenure_years)).fit().conf_int().iloc[1]
    iv = res.slopes["health_score"]
    assert iv.estimate == pytest.approx(sm.OLS(data.health_score, sm.add_constant(data.tenure_years)).fit().params.iloc[1])
    assert (iv.ci_high - iv.ci_low) > (naive.iloc[1] - naive.iloc[0])


def test_constant_feature_unavailable_and_findings_shape():
    res = slopes_per_year(panel(3), "tenure_years", ["flat", "health_score"])
    assert not res.slopes["flat"].available and "constant" in res.slopes["flat"].reason
    out = res.to_findings()
    assert set(out["health_score"]["slope_per_year"]) >= {"estimate", "ci_low", "ci_high"}
    assert out["flat"]["slope_per_year"]["estimate"] is None
    assert "<table" in res._repr_html_()


def test_median_trajectories_known_values():
    frame = pd.DataFrame({"tenure_years": [0.1, 0.5, 0.9, 1.2, 1.8], "x": [1.0, 2.0, 3.0, 10.0, 20.0]})
    out = median_trajectories(frame, "tenure_years", ["x"]).set_index("tenure_year")
    assert out.loc[0.0, "median"] == 2.0 and out.loc[0.0, "n"] == 3
    assert out.loc[1.0, "median"] == 15.0 and out.loc[0.0, "q25"] == 1.5


def test_trend_plot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from csresearch.plots import trend_plot

    data = panel(4)
    med = median_trajectories(data, "tenure_years", ["health_score"])
    slope = slopes_per_year(data, "tenure_years", ["health_score"], within=False).slopes["health_score"]
    fig, ax = plt.subplots()
    assert trend_plot(med, "health_score", ax=ax, slope=slope) is ax
    assert "per year" in ax.get_title()
    assert list(ax.lines[0].get_xdata()) == sorted(med["tenure_year"])
    plt.close(fig)
