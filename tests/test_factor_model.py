"""Known-answer tests of the churn-factor model (csresearch.analysis.churn_model and .kpi)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csresearch.analysis.churn_model import (ChurnFactorModel, churn_factors, grouped_folds, logit_odds_ratios,
                                         univariate_churn)
from csresearch.analysis.kpi import crossing, dose_response, kpi_threshold, kpi_tree_plot

FAST = {"n_boot": 60, "n_repeats": 2, "n_splits": 4}


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.fixture(scope="session")
def linear_data():
    """Linear-logistic truth: driver (per-unit beta 0.5, SD 2), a weaker numeric, a 3-level category, noise."""
    rng = np.random.default_rng(11)
    n = 3000
    X = pd.DataFrame({
        "driver": rng.normal(10, 2, n),
        "weak": rng.normal(0, 1, n),
        "noise": rng.normal(0, 1, n),
        "plan": pd.Categorical(rng.choice(["basic", "pro", "team"], n, p=[0.5, 0.3, 0.2])),
    })
    lp = -1 + 0.5 * (X["driver"] - 10) - 0.3 * X["weak"] + np.where(X["plan"] == "pro", 0.6, 0.0)
    y = (rng.random(n) < _sigmoid(lp)).astype(int)
    groups = np.repeat(np.arange(n // 3), 3)  # three decisions per account
    return X, y, groups


@pytest.fixture(scope="session")
def linear_fit(linear_data):
    X, y, groups = linear_data
    return ChurnFactorModel(random_state=0, **FAST).fit(X, y, groups)


def test_odds_ratios_recover_true_per_sd_effects(linear_data):
    X, y, _ = linear_data
    odds, _ = logit_odds_ratios(X, pd.Series(y))
    sd = X["driver"].std(ddof=1)
    truths = {"driver": np.exp(0.5 * sd), "weak": np.exp(-0.3 * X["weak"].std(ddof=1)), "plan[pro]": np.exp(0.6),
              "plan[team]": 1.0}
    for term, true in truths.items():
        row = odds.loc[term]
        assert row.ci_low < true < row.ci_high, (term, true, row.to_dict())
    # The per-SD odds ratio is not the per-unit one: standardisation is applied.
    assert not (odds.loc["driver", "ci_low"] < np.exp(0.5) < odds.loc["driver", "ci_high"])
    assert odds.loc["plan[pro]", "q_value"] < 0.001
    assert "plan[basic]" not in odds.index  # the largest level is the reference


def test_no_false_discoveries_on_noise_beyond_bh_rate():
    rng = np.random.default_rng(5)
    any_discovery = 0
    reps = 30
    for _ in range(reps):
        X = pd.DataFrame(rng.normal(size=(400, 10)), columns=[f"x{i}" for i in range(10)])
        y = pd.Series((rng.random(400) < 0.3).astype(int))
        odds, _ = logit_odds_ratios(X, y)
        any_discovery += bool((odds["q_value"] < 0.05).any())
    # Under the global null BH at 5% gives P(any discovery) <= 0.05; 30 reps -> expect ~1.5, allow up to 5.
    assert any_discovery <= 5


def test_grouped_folds_never_split_an_account():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 150, 900)
    y = (rng.random(900) < 0.25).astype(int)
    folds = grouped_folds(y, groups, n_splits=5, seed=1)
    assert len(folds) == 5
    seen = np.zeros(900, dtype=int)
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        seen[test] += 1
    assert (seen == 1).all()


def test_model_folds_are_grouped(linear_fit, linear_data):
    _, _, groups = linear_data
    for train, test in linear_fit.folds_:
        assert not set(groups[train]) & set(groups[test])


def test_linear_truth_chooses_logistic_and_ranks_driver_first(linear_fit):
    res = linear_fit.result_
    assert res.chosen_model == "logistic_l2"
    assert res.ranking[0] == "driver"
    assert res.ranking[-1] == "noise" or res.importance.loc["noise", "ci_low"] <= 0 <= res.importance.loc["noise", "ci_high"]
    imp = res.importance.loc["driver"]
    assert imp.ci_low > 0
    assert 0.5 < res.cv_auc.ci_low < res.cv_auc.estimate < res.cv_auc.ci_high < 1
    assert set(res.model_comparison.index) == {"logistic_l2", "gradient_boosting"}


def test_u_shaped_truth_chooses_gradient_boosting():
    rng = np.random.default_rng(3)
    n = 1500
    X = pd.DataFrame({"x": rng.uniform(-3, 3, n), "z": rng.normal(size=n)})
    y = (rng.random(n) < _sigmoid(-3 + 1.2 * X["x"] ** 2)).astype(int)
    res = ChurnFactorModel(random_state=0, **FAST).fit(X, y).result_
    comp = res.model_comparison["cv_auc"]
    assert res.chosen_model == "gradient_boosting"
    assert comp["gradient_boosting"] > comp["logistic_l2"] + 0.1
    assert res.ranking[0] == "x"


def test_findings_section_has_the_spec_keys(linear_fit):
    f = {"churn_factors": linear_fit.result_.to_findings(), "kpis": linear_fit.result_.kpi_findings()}
    cf = f["churn_factors"]
    assert cf["ranking"] == linear_fit.result_.ranking
    assert set(cf["odds_ratios"]["driver"]) >= {"estimate", "ci_low", "ci_high", "p_value", "q_value"}
    assert set(cf["cv_auc"]) >= {"estimate", "ci_low", "ci_high"}
    assert f["kpis"] and {"feature", "direction", "threshold", "churn_rate_below", "churn_rate_above"} <= set(f["kpis"][0])
    assert f["kpis"][0]["feature"] == "driver" and f["kpis"][0]["direction"] == "below"
    assert "<table" in linear_fit.result_._repr_html_()


def test_predict_proba_uses_the_refitted_model(linear_fit, linear_data):
    X, _, _ = linear_data
    p = linear_fit.predict_proba(X.head(5))
    assert p.shape == (5, 2) and np.allclose(p.sum(axis=1), 1)


def test_univariate_rates_known_answer():
    X = pd.DataFrame({"plan": ["a"] * 4 + ["b"] * 6 + [None] * 2})
    y = pd.Series([1, 0, 0, 0] + [1] * 3 + [0] * 3 + [1, 1])
    uni = univariate_churn(X, y).set_index("level")
    assert uni.loc["a", "churn_rate"] == pytest.approx(0.25)
    assert uni.loc["b", "churn_rate"] == pytest.approx(0.5)
    assert uni.loc["(missing)", "n"] == 2
    assert uni.loc["a", "ci_low"] < 0.25 < uni.loc["a", "ci_high"]


def test_crossing_known_answer():
    # Risk 1 for x in 0..3, 0 for x in 4..9: the isotonic curve falls linearly between its knots 3 and 4,
    # so it crosses the overall rate 0.4 at 3 + (1 - 0.4) = 3.6.
    x = np.arange(10, dtype=float)
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=float)
    assert crossing(dose_response(x, y, increasing=False), 0.4, increasing=False) == pytest.approx(3.6)
    # A curve that is below the level everywhere never crosses it.
    assert np.isnan(crossing(dose_response(x, y, increasing=False), 1.5, increasing=False))


def test_kpi_threshold_recovers_planted_step():
    rng = np.random.default_rng(2)
    n = 3000
    x = pd.Series(rng.uniform(0, 1, n), name="quota_consumption")
    y = pd.Series((rng.random(n) < np.where(x < 0.6, 0.35, 0.08)).astype(int))
    k = kpi_threshold(x, y, n_boot=150, seed=0)
    assert k.threshold.ci_low <= 0.6 <= k.threshold.ci_high
    assert abs(k.threshold.estimate - 0.6) < 0.05
    assert k.direction == "above"
    assert k.churn_rate_below.ci_low < 0.35 < k.churn_rate_below.ci_high
    assert k.churn_rate_above.ci_low < 0.08 < k.churn_rate_above.ci_high
    ax = kpi_tree_plot(k.churn_rate_below, [k])
    assert ax.texts
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def test_collinear_and_separating_columns_do_not_crash():
    rng = np.random.default_rng(4)
    n = 400
    a = rng.normal(size=n)
    y = (rng.random(n) < _sigmoid(a)).astype(int)
    X = pd.DataFrame({"a": a, "a_copy": 2 * a + 1, "leak": y + rng.uniform(0, 0.5, n), "b": rng.normal(size=n)})
    odds, notes = logit_odds_ratios(X, pd.Series(y))
    assert any("collinear" in n for n in notes)
    assert any("leak" in n and "separates" in n for n in notes)
    assert np.isnan(odds.loc["leak", "estimate"]) and odds.loc["leak", "reason"]
    assert np.isfinite(odds.loc["b", "ci_high"])


def test_churn_factors_on_a_decision_table(linear_data):
    X, y, groups = linear_data
    table = X.rename(columns={"driver": "quota_consumption", "weak": "exec_meetings_12m", "plan": "segment"})
    table = table.drop(columns="noise").assign(churned=y, account_id=groups.astype(str)).head(1200)
    res = churn_factors(table, **FAST)
    assert set(res.ranking) == {"quota_consumption", "exec_meetings_12m", "segment"}
    assert res.ranking[0] == "quota_consumption"


def test_findings_are_strict_json(linear_fit):
    import json

    json.dumps([linear_fit.result_.to_findings(), linear_fit.result_.kpi_findings()], allow_nan=False)
