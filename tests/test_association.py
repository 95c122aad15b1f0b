"""Tests of Spearman/AUC intervals, calibration and within-cohort correlation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from csresearch.analysis.association import (
    auc_with_interval,
    calibration_by_decile,
    delong_auc,
    spearman_with_bootstrap,
    within_cohort_spearman,
)


@pytest.fixture(scope="module")
def scored():
    rng = np.random.default_rng(0)
    n = 400
    y = rng.random(n) < 0.3
    score = rng.normal(0, 1, n) + 1.0 * y  # true AUC = Phi(1/sqrt 2) ~ 0.760
    score[:20] = np.round(score[:20])  # ties
    return y.astype(int), score


def test_delong_point_estimate_matches_sklearn(scored):
    y, score = scored
    auc, se = delong_auc(y, score)
    assert auc == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert 0.01 < se < 0.05


def test_delong_se_matches_hanley_mcneil_order_of_magnitude(scored):
    y, score = scored
    auc, se = delong_auc(y, score)
    m, n = y.sum(), len(y) - y.sum()
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    se_hm = np.sqrt((auc * (1 - auc) + (m - 1) * (q1 - auc**2) + (n - 1) * (q2 - auc**2)) / (m * n))
    assert se == pytest.approx(se_hm, rel=0.25)


def test_auc_interval_covers_truth_and_grouped_variant(scored):
    y, score = scored
    truth = stats.norm.cdf(1 / np.sqrt(2))
    iv = auc_with_interval(y, score)
    assert iv.ci_low < truth < iv.ci_high and "DeLong" in iv.method
    g = np.arange(len(y)) // 4
    ivg = auc_with_interval(y, score, groups=g, n_boot=200)
    assert ivg.estimate == pytest.approx(iv.estimate) and "bootstrap" in ivg.method and ivg.n == 100  # clusters


def test_auc_one_class_unavailable():
    iv = auc_with_interval([0, 0, 0, 0], [0.1, 0.2, 0.3, 0.4])
    assert not iv.available and "class" in iv.reason


def test_spearman_bootstrap_covers_population_value():
    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    y = 0.5 * x + rng.normal(size=300) * np.sqrt(0.75)  # Pearson 0.5
    rho_s = 6 / np.pi * np.arcsin(0.5 / 2)  # population Spearman of a bivariate normal
    iv = spearman_with_bootstrap(x, y, n_boot=300)
    assert iv.estimate == pytest.approx(stats.spearmanr(x, y).statistic)
    assert iv.ci_low < rho_s < iv.ci_high
    assert not spearman_with_bootstrap([1, 1, 1, 1], [1, 2, 3, 4], n_boot=50).available


def test_calibration_by_decile_rates(scored):
    y, score = scored
    res = calibration_by_decile(score, y)
    s = res.summary
    assert len(s) == 10 and s["n"].sum() == len(y)
    assert s["rate"].iloc[-1] > s["rate"].iloc[0]  # higher score, more positives
    assert ((s["ci_low"] <= s["rate"]) & (s["rate"] <= s["ci_high"])).all()
    top = score >= np.quantile(score, 0.9)
    assert s["rate"].iloc[-1] == pytest.approx(y[top].mean(), abs=0.03)


def test_within_cohort_removes_survivorship_artefact():
    # within each cohort health and y are unrelated, but cohort means both rise: pooled raw correlation is spurious
    rng = np.random.default_rng(2)
    cohort = np.repeat(np.arange(5), 100)
    frame = pd.DataFrame({"cohort": cohort, "health": cohort * 10 + rng.normal(0, 3, 500),
                          "tenure": cohort + rng.normal(0, 0.3, 500)})
    raw = stats.spearmanr(frame.health, frame.tenure).statistic
    res = within_cohort_spearman(frame, "cohort", "health", "tenure")
    assert raw > 0.8
    assert res.pooled.ci_low < 0 < res.pooled.ci_high
    assert len(res.by_cohort) == 5 and res.pooled.n == 500
    # a cohort with too few rows is unavailable, not a crash
    small = pd.concat([frame, pd.DataFrame({"cohort": [9, 9], "health": [1.0, 2.0], "tenure": [1.0, 2.0]})])
    assert not within_cohort_spearman(small, "cohort", "health", "tenure").by_cohort[9].available


def test_calibration_and_forest_plots(scored):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from csresearch.analysis import Interval
    from csresearch.plots import calibration_plot, forest_plot

    y, score = scored
    fig, (a1, a2) = plt.subplots(1, 2)
    assert calibration_plot(calibration_by_decile(score, y), ax=a1) is a1
    assert len(a1.lines[0].get_xdata()) == 10
    ors = {"quota_consumption": Interval(0.55, 0.5, 0.6), "nps_last": Interval(0.9, 0.7, 1.2)}
    assert forest_plot(ors, ax=a2) is a2
    assert a2.get_xscale() == "log"
    assert [t.get_text() for t in a2.get_yticklabels()] == ["nps_last", "quota_consumption"]
    plt.close(fig)


def test_calibration_plot_accepts_bounds_a_hair_past_the_rate():
    import matplotlib

    matplotlib.use("Agg")
    from csresearch.plots import calibration_plot

    frame = pd.DataFrame({"mean_score": [10.0, 50.0], "rate": [0.0, 0.2],
                          "ci_low": [1e-17, 0.1], "ci_high": [0.05, 0.2 - 1e-17]})
    ax = calibration_plot(frame)
    assert len(ax.lines) >= 1


def test_rank_auc_equals_sklearn_with_ties_and_is_nan_for_one_class():
    from csresearch.analysis.association import rank_auc

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    score = rng.integers(0, 8, 300).astype(float)  # many ties
    assert rank_auc(y, score) == pytest.approx(roc_auc_score(y, score))
    assert np.isnan(rank_auc(np.ones(5), np.arange(5.0)))
