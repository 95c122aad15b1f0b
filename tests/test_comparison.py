"""Tests of compare_groups on simulated data with a known mix-confounded effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csresearch.analysis.comparison import compare_groups
from csresearch.errors import ParameterError


@pytest.fixture(scope="module")
def confounded():
    # enterprise accounts fail onboarding more often and have lower utilisation by 0.2;
    # the true effect of failing (given segment) is -0.05.
    rng = np.random.default_rng(0)
    n = 1500
    segment = rng.choice(["smb", "enterprise"], n)
    failed = rng.random(n) < np.where(segment == "enterprise", 0.5, 0.1)
    util = 0.6 - 0.2 * (segment == "enterprise") - 0.05 * failed + rng.normal(0, 0.1, n)
    health = 50 - 10 * failed + rng.normal(0, 10, n)
    return pd.DataFrame({
        "status": np.where(failed, "failed", "succeeded"), "segment": segment,
        "touch_model": rng.choice(["high", "low", None], n), "seat_utilisation_3m": util,
        "health_score": health, "all_nan": np.nan, "constant": 1.0,
    })


def test_raw_vs_adjusted_difference(confounded):
    res = compare_groups(confounded, "status", ["seat_utilisation_3m"], unhealthy=("health_score", 40))
    raw, adj = res.difference["seat_utilisation_3m"], res.adjusted["seat_utilisation_3m"]
    f = confounded
    manual = (f.loc[f.status == "failed", "seat_utilisation_3m"].mean()
              - f.loc[f.status == "succeeded", "seat_utilisation_3m"].mean())
    assert raw.estimate == pytest.approx(manual)
    assert raw.ci_high < -0.08  # confounded: much bigger than the true -0.05
    assert adj.ci_low < -0.05 < adj.ci_high
    assert "HC3" in adj.method and "Welch" in raw.method


def test_unhealthy_share_and_ratio(confounded):
    res = compare_groups(confounded, "status", ["seat_utilisation_3m"], unhealthy=("health_score", 40), months_after=12)
    f = confounded
    share_f = (f.loc[f.status == "failed", "health_score"] < 40).mean()
    share_s = (f.loc[f.status == "succeeded", "health_score"] < 40).mean()
    assert res.unhealthy_failed.estimate == pytest.approx(share_f)
    assert res.unhealthy_risk_ratio.estimate == pytest.approx(share_f / share_s)
    assert res.unhealthy_risk_ratio.ci_low > 1.5  # true ratio ~ 0.5/0.16 ~ 3
    out = res.to_findings()
    assert out["months_after"] == 12 and out["unhealthy_threshold"] == 40
    for key in ("unhealthy_share_succeeded", "unhealthy_share_failed", "unhealthy_risk_ratio",
                "feature_difference", "feature_difference_adjusted"):
        assert key in out


def test_all_nan_and_constant_features_are_unavailable(confounded):
    res = compare_groups(confounded, "status", ["all_nan", "constant"], unhealthy=None)
    for feat in ("all_nan", "constant"):
        assert not res.difference[feat].available and res.difference[feat].reason
        assert not res.adjusted[feat].available
    assert "constant" in res.difference["constant"].reason
    assert res.to_findings()["feature_difference"]["all_nan"]["estimate"] is None
    assert "<table" in res._repr_html_()


def test_missing_column_is_a_clear_error(confounded):
    with pytest.raises(ParameterError, match="nope"):
        compare_groups(confounded, "status", ["nope"])


def test_missing_adjustment_column_noted(confounded):
    res = compare_groups(confounded.drop(columns="touch_model"), "status", ["seat_utilisation_3m"], unhealthy=None)
    assert any("touch_model" in n for n in res.notes)
    assert res.adjusted["seat_utilisation_3m"].available


def test_bar_with_intervals_plot(confounded):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from csresearch.plots import bar_with_intervals

    res = compare_groups(confounded, "status", ["seat_utilisation_3m", "health_score"], unhealthy=None)
    fig, ax = plt.subplots()
    assert bar_with_intervals(res.difference, ax=ax) is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["seat_utilisation_3m", "health_score"]
    assert len(ax.patches) == 2
    plt.close(fig)
