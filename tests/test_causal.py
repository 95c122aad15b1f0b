"""Adjusted effect of failing onboarding (analysis.causal, analysis.weighting, study.landmark).

Recovery on the confounded scenario of ``csresearch.synth.confounded``: segment and size drive both
onboarding failure and churn, so the raw difference is biased; the causal truth is simulated on a
large population of the same design with failure forced on and off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from csresearch import Dataset
from csresearch.analysis.causal import adjusted_churn, e_value_pair
from csresearch.analysis.causal_health import weighted_comparison
from csresearch.analysis.results import Interval
from csresearch.analysis.survival import risk_difference_at
from csresearch.analysis.weighting import (
    e_value,
    restricted_mean,
    stabilised_weights,
    standardised_differences,
    survival_at,
    weighted_km,
)
from csresearch.study.landmark import landmark_frame
from csresearch.synth.confounded import confounded_dataset, confounded_truth

N_BOOT = 60


@pytest.fixture(scope="module")
def planted():
    frame = landmark_frame(confounded_dataset(3000, failure_effect=0.8, seed=0))
    return frame, adjusted_churn(frame, n_boot=N_BOOT, seed=1), confounded_truth(0.8)


@pytest.fixture(scope="module")
def null():
    frame = landmark_frame(confounded_dataset(3000, failure_effect=0.0, seed=0))
    return frame, adjusted_churn(frame, n_boot=N_BOOT, seed=1)


def _covers(iv: Interval, value: float) -> bool:
    return iv.ci_low <= value <= iv.ci_high


def test_adjusted_interval_covers_the_causal_truth_while_the_raw_difference_is_biased(planted):
    frame, res, truth = planted
    assert truth[3] > 0.1  # a real planted effect
    raw = risk_difference_at(frame["duration_years"], frame["churned"], frame["failed"], 3)
    assert raw.ci_low > truth[3] + 0.1, (raw, truth)  # confounding inflates the raw difference
    for h in (2, 3):
        assert _covers(res.by_horizon[float(h)], truth[h]), (h, res.by_horizon[float(h)], truth[h])
    assert res.risk_difference == res.by_horizon[3.0]
    assert res.risk_ratio.estimate == pytest.approx(res.risk_failed.estimate / res.risk_succeeded.estimate)
    assert res.risk_ratio.excludes(1.0) and res.e_value["ci_limit"] > 1


def test_no_effect_adjusted_interval_covers_zero(null):
    frame, res = null
    raw = risk_difference_at(frame["duration_years"], frame["churned"], frame["failed"], 3)
    assert raw.ci_low > 0.1  # the raw comparison invents an effect
    assert _covers(res.risk_difference, 0.0), res.risk_difference
    assert res.e_value["ci_limit"] == 1.0


def test_weighting_balances_the_confounders(planted):
    frame, res, _ = planted
    assert res.balance["before"].abs().max() > 0.5  # the groups really differ
    assert res.balance["after"].abs().max() < 0.1, res.balance
    assert set(res.confounders) == {"segment", "touch_model", "industry", "log_seats", "log_employees"}
    assert any("log_employees" in n and "missing" in n for n in res.notes)  # ~10% missing employees, noted
    n_failed = int(frame["failed"].sum())
    assert 0 < res.effective_n["failed"] < n_failed
    found = res.to_findings()
    assert set(found["adjusted_by_horizon"]) == {"1", "2", "3"}
    assert found["balance"]["max_abs_smd_after"] < 0.1 and found["overlap"]["n_truncated"] == 0


def test_rmst_is_the_area_under_the_weighted_curves(planted):
    _, res, _ = planted
    rm = res.rmst
    assert 0 < rm["failed"].estimate < rm["succeeded"].estimate < 3  # failing costs churn-free time
    assert rm["difference"].estimate == pytest.approx(rm["failed"].estimate - rm["succeeded"].estimate)
    # a hand case: S = 1 until 1, 0.5 until 2, then 0.25; area to 3 = 1 + 0.5 + 0.25
    assert restricted_mean(np.array([1.0, 2.0]), np.array([0.5, 0.25]), 3.0) == pytest.approx(1.75)


def test_extreme_propensities_are_truncated_and_reported():
    w, n = stabilised_weights(np.array([0.001, 0.5, 0.9995, 0.3]), np.array([True, True, False, False]))
    assert n == 2
    assert w[0] == pytest.approx(0.5 / 0.01) and w[2] == pytest.approx(0.5 / 0.01)
    rng = np.random.default_rng(3)
    n_acc = 600
    seg = np.where(rng.random(n_acc) < 0.1, "tiny", "big")
    failed = np.where(seg == "tiny", True, rng.random(n_acc) < 0.4)  # every tiny account failed: no overlap
    frame = pd.DataFrame({"duration_years": rng.uniform(0.5, 4, n_acc), "churned": rng.random(n_acc) < 0.3,
                          "failed": failed, "segment": seg})
    res = adjusted_churn(frame, categorical=("segment",), numeric=(), n_boot=20, horizons=(1,))
    assert res.n_truncated == int((seg == "tiny").sum())
    assert res.to_findings()["overlap"]["n_truncated"] == res.n_truncated
    assert any("truncated" in n for n in res.notes)


def test_e_value_matches_hand_computation():
    assert e_value(2.0) == pytest.approx(2 + np.sqrt(2))
    assert e_value(0.5) == pytest.approx(2 + np.sqrt(2))  # a protective ratio is inverted
    assert e_value(1.0) == 1.0
    pair = e_value_pair(Interval(2.0, 1.5, 2.7))
    assert pair == {"estimate": pytest.approx(3.41421356), "ci_limit": pytest.approx(1.5 + np.sqrt(0.75))}
    assert e_value_pair(Interval(0.6, 0.4, 0.8))["ci_limit"] == pytest.approx(1.25 + np.sqrt(1.25 * 0.25))
    assert e_value_pair(Interval(1.3, 0.9, 1.8))["ci_limit"] == 1.0
    assert e_value_pair(Interval.unavailable("no churn"))["estimate"] is None


def test_weighted_km_matches_statsmodels_and_duplication():
    rng = np.random.default_rng(0)
    t = np.round(rng.exponential(2, 200), 1)
    e = rng.random(200) < 0.7
    times, surv = weighted_km(t, e, np.ones(200))
    sf = SurvfuncRight(t, e.astype(int))
    assert np.allclose(times, sf.surv_times) and np.allclose(surv, sf.surv_prob)
    w = rng.integers(1, 4, 200)
    times_w, surv_w = weighted_km(t, e, w.astype(float))
    times_d, surv_d = weighted_km(np.repeat(t, w), np.repeat(e, w), np.ones(w.sum()))
    assert np.allclose(times_w, times_d) and np.allclose(surv_w, surv_d)
    assert survival_at(times, surv, -1) == 1.0


def test_standardised_difference_hand_case():
    x = pd.DataFrame({"a": [0.0, 1.0, 1.0, 0.0, 0.0, 0.0]})
    t = np.array([True, True, True, False, False, False])
    sd = np.sqrt((np.var([0, 1, 1]) + 0.0) / 2)
    assert standardised_differences(x, t)["a"] == pytest.approx((2 / 3) / sd)
    w = np.array([2.0, 1.0, 1.0, 1.0, 1.0, 1.0])  # weighted treated mean 0.5
    assert standardised_differences(x, t, w)["a"] == pytest.approx(0.5 / sd)


def _landmark_dataset() -> Dataset:
    """A succeeds (known 2022-03-15); B fails (known 2022-07-02) and churns after; D churns 2022-03-01, before its failure is known."""
    accounts = pd.DataFrame({"account_id": ["A", "B", "D"], "segment": ["smb", "mid", "smb"],
                             "signup_date": ["2022-01-01", "2022-01-01", "2022-01-01"], "touch_model": ["low", "high", "low"],
                             "industry": [None] * 3, "employees": [10, 100, None]})
    contracts = pd.DataFrame([
        ("A", "2022-01-01", "2023-01-01", 10, None, 1000.0, "renewed"),
        ("A", "2023-01-01", "2024-01-01", 10, None, 1000.0, "open"),
        ("B", "2022-01-01", "2023-01-01", 50, None, 9000.0, "churned"),
        ("D", "2022-01-01", "2022-03-01", 5, None, 500.0, "churned"),
    ], columns=["account_id", "term_start", "term_end", "seats", "quota", "arr", "outcome"])
    onboarding = pd.DataFrame({"account_id": ["A", "B", "D"], "start_date": ["2022-01-01"] * 3,
                               "target_date": ["2022-06-01"] * 3, "completed_date": ["2022-03-15", None, None],
                               "status": ["succeeded", "failed", "failed"], "setup_done_date": [None] * 3,
                               "admin_trained_date": [None] * 3, "first_value_date": [None] * 3})
    usage = pd.DataFrame(columns=["account_id", "month", "active_users", "events", "features_used", "quota_used"])
    return Dataset.from_tables({"accounts": accounts, "contracts": contracts, "onboarding": onboarding,
                                "usage_monthly": usage}, extracted_at="2023-06-30", name="landmark")


def test_landmark_excludes_an_account_that_churns_before_its_onboarding_resolves():
    frame = landmark_frame(_landmark_dataset())
    assert list(frame.index) == ["A", "B"]
    assert frame.attrs == {"n_with_outcome": 3, "excluded_churned_before_outcome": 1,
                           "excluded_censored_before_outcome": 0}
    # A: from completion 2022-03-15 to extracted_at 2023-06-30, censored; B: from 2022-07-02 to churn 2023-01-01
    assert frame.loc["A", "duration_years"] == pytest.approx(1 + 107 / 365.25)
    assert frame.loc["B", "duration_years"] == pytest.approx(183 / 365.25)
    assert frame["churned"].tolist() == [0, 1] and frame["failed"].tolist() == [False, True]
    assert frame.loc["A", "log_seats"] == pytest.approx(np.log(10))


def test_weighted_comparison_removes_confounding_of_a_feature():
    rng = np.random.default_rng(5)
    n = 2000
    seg = rng.choice(["smb", "ent"], n)
    failed = rng.random(n) < np.where(seg == "smb", 0.6, 0.15)
    score = 50 + np.where(seg == "ent", 20, 0) - 5 * failed + rng.normal(0, 5, n)  # true effect -5
    frame = pd.DataFrame({"failed": failed, "segment": seg, "health_score": score})
    res = weighted_comparison(frame, ["health_score"], unhealthy=("health_score", 50), categorical=("segment",),
                              numeric=(), n_boot=60)
    raw = score[failed].mean() - score[~failed].mean()
    assert raw < -10  # confounded
    assert _covers(res.difference["health_score"], -5.0), res.difference["health_score"]
    assert res.unhealthy_risk_ratio.estimate > 1
    assert set(res.to_findings()) >= {"unhealthy_risk_ratio_weighted", "feature_difference_weighted"}


def test_diagnostic_plots_draw_each_group(planted):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from csresearch import plots

    _, res, _ = planted
    ax = plots.propensity_plot(res.propensity)
    assert len(ax.get_legend().get_texts()) == 2
    ax = plots.love_plot(res.balance)
    assert len(ax.get_yticklabels()) == len(res.balance)
    ax = plots.adjusted_curves_plot(res.curves, horizon=3)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["failed", "succeeded"]
    plt.close("all")
