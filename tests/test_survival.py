"""Known-answer tests of Kaplan-Meier, log-rank, detectable difference and onboarding_vs_churn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csresearch.analysis.survival import (
    churn_by_renewal,
    kaplan_meier,
    logrank_test,
    min_detectable_difference,
    onboarding_vs_churn,
    risk_difference_at,
)
from csresearch.errors import ParameterError

# 10 subjects; events at 1, 2, 2, 4, 6; censored at 3, 5, 7, 8, 9
T = np.array([1, 2, 2, 3, 4, 5, 6, 7, 8, 9], dtype=float)
E = np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 0])


def test_kaplan_meier_hand_computed():
    # at risk / deaths: t=1: 10/1, t=2: 9/2, t=4: 6/1, t=6: 4/1
    s4 = (1 - 1 / 10) * (1 - 2 / 9) * (1 - 1 / 6)
    s6 = s4 * (1 - 1 / 4)
    for horizon, s in [(4.5, s4), (6, s6), (8, s6)]:
        iv = kaplan_meier(T, E, horizon=horizon).incidence["all"]
        assert iv.estimate == pytest.approx(1 - s)
        assert iv.ci_low < iv.estimate < iv.ci_high
    # Greenwood variance and log-log interval by hand at t = 4.5
    var = s4**2 * (1 / (10 * 9) + 2 / (9 * 7) + 1 / (6 * 5))
    se_ll = np.sqrt(var) / (s4 * abs(np.log(s4)))
    z = stats.norm.ppf(0.975)
    iv = kaplan_meier(T, E, horizon=4.5).incidence["all"]
    assert iv.ci_low == pytest.approx(1 - s4 ** np.exp(-z * se_ll))
    assert iv.ci_high == pytest.approx(1 - s4 ** np.exp(z * se_ll))


def test_kaplan_meier_unavailable_beyond_follow_up_and_groups():
    res = kaplan_meier(T, E, groups=["a"] * 5 + ["b"] * 5, horizon=8.5)
    assert not res.incidence["a"].available and "followed" in res.incidence["a"].reason
    assert res.incidence["b"].available
    assert set(res.curves["group"]) == {"a", "b"}
    assert "a" in res._repr_html_()


def test_kaplan_meier_rejects_bad_events():
    with pytest.raises(ParameterError):
        kaplan_meier([1, 2], [0, 2])


def _logrank_by_hand(t, e, g):
    o_minus_e, var = 0.0, 0.0
    for time in np.unique(t[e == 1]):
        at_risk = t >= time
        n, n1 = at_risk.sum(), (at_risk & (g == 1)).sum()
        d = ((t == time) & (e == 1)).sum()
        d1 = ((t == time) & (e == 1) & (g == 1)).sum()
        o_minus_e += d1 - d * n1 / n
        if n > 1:
            var += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    chi2 = o_minus_e**2 / var
    return chi2, stats.chi2.sf(chi2, 1)


def test_logrank_matches_hand_computation():
    rng = np.random.default_rng(3)
    g = np.repeat([0, 1], 40)
    t = np.round(rng.exponential(np.where(g == 1, 3.0, 6.0)), 1) + 0.1
    c = rng.uniform(0, 8, 80)
    e = (t <= c).astype(int)
    t = np.minimum(t, c)
    chi2, p = logrank_test(t, e, g)
    chi2_h, p_h = _logrank_by_hand(t, e, g)
    assert chi2 == pytest.approx(chi2_h, rel=1e-8)
    assert p == pytest.approx(p_h, rel=1e-8)
    assert np.isnan(logrank_test(t, e, np.zeros(80))[1])
    # stratified test runs and differs from the pooled one
    _, p_s = logrank_test(t, e, g, strata=np.arange(80) % 2)
    assert 0 < p_s < 1 and p_s != p


def test_min_detectable_difference_has_80_percent_power():
    p0, n0, n1 = 0.08, 2400, 600
    mdd = min_detectable_difference(p0, n0, n1)
    assert 0.02 < mdd < 0.06
    rng = np.random.default_rng(0)
    sims = 4000
    x0 = rng.binomial(n0, p0, sims) / n0
    x1 = rng.binomial(n1, p0 + mdd, sims) / n1
    h = 2 * np.arcsin(np.sqrt(x1)) - 2 * np.arcsin(np.sqrt(x0))
    power = (np.abs(h / np.sqrt(1 / n0 + 1 / n1)) > stats.norm.ppf(0.975)).mean()
    assert power == pytest.approx(0.8, abs=0.03)
    # unequal allocation costs power: equal groups of the same total detect less
    assert min_detectable_difference(p0, 1500, 1500) < mdd
    assert np.isnan(min_detectable_difference(p0, 0, 10))


def _simulated_accounts(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    failed = rng.random(n) < 0.25
    hazard = np.where(failed, -np.log(1 - 0.15) / 3, -np.log(1 - 0.08) / 3)  # 3-year churn 15% vs 8%
    t_event = rng.exponential(1 / hazard)
    t_cens = rng.uniform(0.5, 7, n)
    return pd.DataFrame({
        "account_id": [f"a{i}" for i in range(n)],
        "onboarding_succeeded": (~failed).astype(int),
        "duration_years": np.minimum(t_event, t_cens),
        "churned": (t_event <= t_cens).astype(int),
        "segment": rng.choice(["smb", "mid", "enterprise"], n),
    })


def test_onboarding_vs_churn_recovers_known_incidence():
    frame = _simulated_accounts()
    res = onboarding_vs_churn(frame, horizon_years=3)
    assert res.churn_succeeded.ci_low < 0.08 < res.churn_succeeded.ci_high
    assert res.churn_failed.ci_low < 0.15 < res.churn_failed.ci_high
    assert res.risk_difference.ci_low < 0.07 < res.risk_difference.ci_high
    assert res.p_value < 0.01 and res.p_value_stratified < 0.01
    assert res.churn_failed.n + res.churn_succeeded.n == len(frame)
    # naive share (censored accounts as "not churned") underestimates
    naive = frame.loc[frame.onboarding_succeeded == 0].eval("churned * (duration_years <= 3)").mean()
    assert naive < res.churn_failed.estimate
    f = res.to_findings()
    for key in ("horizon_years", "churn_succeeded", "churn_failed", "risk_difference", "p_value", "min_detectable_difference"):
        assert key in f
    assert set(f["churn_failed"]) >= {"estimate", "ci_low", "ci_high", "n"}
    assert set(res.by_segment["segment"]) == {"smb", "mid", "enterprise"}


def test_onboarding_vs_churn_one_group_only_is_not_a_crash():
    frame = _simulated_accounts(200).assign(onboarding_succeeded=1)
    res = onboarding_vs_churn(frame)
    assert not res.churn_failed.available and res.to_findings()["churn_failed"]["reason"]
    assert not res.risk_difference.available and res.to_findings()["p_value"] is None


def test_string_groups_and_risk_difference():
    frame = _simulated_accounts(500, seed=1)
    frame["status"] = np.where(frame.onboarding_succeeded == 1, "succeeded", "failed")
    a = onboarding_vs_churn(frame, group_col="status")
    b = onboarding_vs_churn(frame)
    assert a.risk_difference == b.risk_difference
    rd = risk_difference_at(frame.duration_years, frame.churned, frame.onboarding_succeeded == 0, 3)
    assert rd.estimate == pytest.approx(b.churn_failed.estimate - b.churn_succeeded.estimate)


def test_churn_by_renewal_rates():
    d = pd.DataFrame({"onboarding_succeeded": [1, 1, 1, 1, 0, 0, 1, 0],
                      "renewal_number": [0, 0, 0, 0, 0, 0, 1, 1],
                      "churned": [0, 0, 0, 1, 1, 0, 0, 1]})
    out = churn_by_renewal(d).set_index("renewal_number")
    assert out.loc[0, "churn_succeeded"] == 0.25 and out.loc[0, "churn_failed"] == 0.5
    assert out.loc[0, "difference"] == pytest.approx(0.25)
    assert out.loc[1, "n_failed"] == 1


def test_km_plot_draws_one_step_per_group():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from csresearch.plots import km_plot

    res = onboarding_vs_churn(_simulated_accounts(300, seed=2))
    fig, ax = plt.subplots()
    assert km_plot(res, ax=ax) is ax
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["failed", "succeeded"]
    assert len(ax.collections) == 2  # one band per group
    plt.close(fig)
