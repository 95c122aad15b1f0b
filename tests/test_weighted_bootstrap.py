"""The weighted (many-resamples-at-once) bootstrap equals the row-copying bootstrap it replaces."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from csresearch.analysis.association import (
    auc_with_interval,
    spearman_with_bootstrap,
    within_cohort_spearman,
)
from csresearch.analysis.intervals import (
    bootstrap_interval,
    bootstrap_weights,
    cluster_resampler,
    weighted_bootstrap_interval,
)
from csresearch.analysis.weighted_ranks import (
    WeightedRanks,
    weighted_auc,
    weighted_spearman,
)


def _data(n=600, seed=4):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n // 3, n).astype(str)
    x = rng.integers(0, 12, n).astype(float)  # many ties
    y = np.round(x + rng.normal(0, 4, n))
    positive = rng.random(n) < 1 / (1 + np.exp(-(y - 6) / 3))
    return groups, x, y, positive


def _same(a, b):
    assert a.available == b.available
    for k in ("estimate", "ci_low", "ci_high"):
        assert getattr(a, k) == pytest.approx(getattr(b, k), abs=1e-12)
    assert a.n == b.n and a.method == b.method


@pytest.mark.parametrize("clustered", [True, False])
def test_weights_are_the_resamples_of_bootstrap_interval(clustered):
    groups, *_ = _data(200)
    rng = np.random.default_rng(9)
    if clustered:
        _, draw = cluster_resampler(groups, rng)
        rows = [draw()[0] for _ in range(7)]
    else:
        rows = [rng.integers(0, 200, 200) for _ in range(7)]
    w = np.vstack(list(bootstrap_weights(200, 7, seed=9, groups=groups if clustered else None, max_cells=600)))
    expected = np.vstack([np.bincount(r, minlength=200) for r in rows])
    np.testing.assert_array_equal(w, expected)


def test_weighted_ranks_spearman_and_auc_equal_the_copied_resample():
    _, x, y, positive = _data(300)
    w = np.random.default_rng(2).integers(0, 3, (5, 300)).astype(float)
    rx, ry = WeightedRanks(x), WeightedRanks(y)
    r = weighted_spearman(w, rx, ry)
    auc = weighted_auc(w, positive, ry)
    for b in range(5):
        rows = np.repeat(np.arange(300), w[b].astype(int))
        ranks = stats.rankdata(x[rows])
        np.testing.assert_allclose(rx.ranks(w)[0][b][rows], ranks)
        assert r[b] == pytest.approx(stats.spearmanr(x[rows], y[rows]).statistic, abs=1e-12)
        assert auc[b] == pytest.approx(roc_auc_score(positive[rows], y[rows]), abs=1e-12)


def test_weighted_spearman_nan_for_constant_or_tiny_resamples():
    x = WeightedRanks(np.array([1.0, 1.0, 2.0, 3.0]))
    y = WeightedRanks(np.array([4.0, 5.0, 6.0, 7.0]))
    w = np.array([[2.0, 1.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 1.0, 1.0]])
    r = weighted_spearman(w, x, y)
    assert np.isnan(r[0]) and np.isnan(r[1]) and r[2] == pytest.approx(1.0)


@pytest.mark.parametrize("clustered", [True, False])
def test_spearman_and_auc_intervals_equal_the_row_copying_bootstrap(clustered):
    groups, x, y, positive = _data()
    g = groups if clustered else None
    slow = bootstrap_interval(lambda d: stats.spearmanr(d[:, 0], d[:, 1]).statistic, np.column_stack([x, y]),
                              n_boot=150, seed=5, groups=g,
                              method=spearman_with_bootstrap(x, y, groups=g, n_boot=150, seed=5).method)
    _same(spearman_with_bootstrap(x, y, groups=g, n_boot=150, seed=5), slow)
    if clustered:
        fast = auc_with_interval(positive.astype(int), y, groups=g, n_boot=150, seed=5)
        slow = bootstrap_interval(lambda d: roc_auc_score(d[:, 0], d[:, 1]), np.column_stack([positive, y]),
                                  n_boot=150, seed=5, groups=g, method=fast.method)
        _same(fast, slow)


def _slow_pooled(frame):
    zs, ws = [], []
    for _, part in frame.groupby("cohort"):
        part = part.dropna()
        if len(part) >= 5 and part["x"].nunique() > 1 and part["y"].nunique() > 1:
            r = stats.spearmanr(part["x"], part["y"]).statistic
            if abs(r) < 1:
                zs.append(np.arctanh(r))
                ws.append((len(part) - 3) / 1.06)
    return np.tanh(np.average(zs, weights=ws)) if zs else np.nan


def test_pooled_within_cohort_interval_equals_the_row_copying_bootstrap():
    groups, x, y, _ = _data()
    cohort = pd.Series(groups).map(lambda s: int(s) % 4).to_numpy()  # accounts stay in one cohort
    y[::37] = np.nan
    frame = pd.DataFrame({"cohort": cohort, "x": x, "y": y, "account": groups})
    fast = within_cohort_spearman(frame, "cohort", "x", "y", groups="account", n_boot=120, seed=3)
    slow = bootstrap_interval(lambda d: _slow_pooled(d), frame[["cohort", "x", "y"]], n_boot=120, seed=3,
                              groups=groups, method=fast.method)
    _same(fast.pooled, slow)


def _confounded(n=1500, seed=8):
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n), rng.normal(size=n) * 3 + 1])
    failed = rng.random(n) < 1 / (1 + np.exp(-(x[:, 0] + x[:, 1] - 0.5)))
    duration = rng.exponential(3 - failed, n)
    churned = rng.random(n) < 0.7
    return x, failed, duration, churned


def test_propensity_is_the_converged_sklearn_fit_and_weights_equal_copies():
    from sklearn.linear_model import LogisticRegression

    from csresearch.analysis.weighting import propensity_scores

    x, failed, *_ = _confounded()
    xs = (x - x.mean(0)) / x.std(0)
    ref = LogisticRegression(C=100.0, solver="newton-cholesky", tol=1e-12, max_iter=200).fit(xs, failed)
    np.testing.assert_allclose(propensity_scores(x, failed), ref.predict_proba(xs)[:, 1], atol=1e-9)
    counts = np.random.default_rng(1).integers(0, 3, len(failed))
    rows = np.repeat(np.arange(len(failed)), counts)
    np.testing.assert_allclose(propensity_scores(x, failed, counts.astype(float))[counts > 0],
                               propensity_scores(x[rows], failed[rows])[np.r_[0, np.cumsum(counts[counts > 0])[:-1]]],
                               atol=1e-10)


def test_ipw_replicates_from_counts_equal_the_copied_resample():
    from csresearch.analysis.causal import _point
    from csresearch.analysis.causal_health import _stats
    from csresearch.analysis.weighting import propensity_model

    x, failed, duration, churned = _confounded()
    idx = np.random.default_rng(3).integers(0, len(failed), len(failed))
    counts = np.bincount(idx, minlength=len(failed)).astype(float)
    start = propensity_model(x, failed)[1]
    np.testing.assert_allclose(_point(duration, churned, failed, x, [1, 2, 3], 3.0, counts, start),
                               _point(duration[idx], churned[idx], failed[idx], x[idx], [1, 2, 3], 3.0), atol=1e-10)
    values = np.column_stack([duration, np.where(churned, np.nan, x[:, 2])])
    bad = (duration < 1).astype(float)
    np.testing.assert_allclose(_stats(values, failed, x, bad, counts, start),
                               _stats(values[idx], failed[idx], x[idx], bad[idx]), atol=1e-10)


def test_mean_fold_auc_interval_equals_the_row_copying_bootstrap():
    from csresearch.analysis.association import rank_auc
    from csresearch.analysis.churn_model import _mean_fold_auc

    groups, _, y, positive = _data()
    fold = pd.Series(groups).map(lambda s: int(s) % 5).to_numpy()

    def slow(d):
        return float(np.mean([rank_auc(d["y"][d["fold"] == k], d["p"][d["fold"] == k]) for k in np.unique(d["fold"])]))

    data = pd.DataFrame({"y": positive.astype(int), "p": y, "fold": fold})
    fast = weighted_bootstrap_interval(_mean_fold_auc(positive.astype(int), y, fold), len(y), n_boot=100, seed=2,
                                       groups=groups, method="m")
    _same(fast, bootstrap_interval(slow, data, n_boot=100, seed=2, groups=groups, method="m"))


@pytest.mark.parametrize(("n", "n_groups", "share", "seed"), [(400, 90, 0.2, 0), (3000, 900, 0.1, 3), (2000, 1990, 0.3, 7)])
def test_stratified_group_folds_equal_sklearn(n, n_groups, share, seed):
    from sklearn.model_selection import StratifiedGroupKFold

    from csresearch.analysis.folds import stratified_group_folds

    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, n)
    y = (rng.random(n) < share).astype(int)
    expected = list(StratifiedGroupKFold(5, shuffle=True, random_state=seed).split(np.zeros(n), y, groups))
    got = stratified_group_folds(y, groups, 5, seed)
    for (tr_e, te_e), (tr, te) in zip(expected, got, strict=True):
        np.testing.assert_array_equal(tr, tr_e)
        np.testing.assert_array_equal(te, te_e)


@pytest.mark.parametrize("model", ["logistic_l2", "gradient_boosting"])
def test_batched_permutation_importance_equals_sklearn(model):
    from sklearn.inspection import permutation_importance

    from csresearch.analysis.churn_model import candidate_models, model_frame
    from csresearch.analysis.permutation import permutation_drops

    rng = np.random.default_rng(5)
    n = 700
    X = pd.DataFrame({"a": rng.normal(size=n), "b": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
                      "seg": pd.Categorical(rng.choice(["x", "y", "z"], n)), "c": rng.integers(0, 4, n).astype(float)})
    y = (rng.random(n) < 1 / (1 + np.exp(-(X["a"] + (X["seg"] == "y") - 1)))).astype(int).to_numpy()
    frame = model_frame(X)
    est = candidate_models(frame)[model].fit(frame.iloc[:500], y[:500])
    test = frame.iloc[500:]
    expected = permutation_importance(est, test, y[500:], scoring="roc_auc", n_repeats=3, random_state=4).importances_mean
    np.testing.assert_allclose(permutation_drops(est, test, y[500:], 3, 4, max_rows=450), expected, atol=1e-12)


def test_permutation_in_transformed_space_is_taken_and_exact_on_awkward_columns():
    """The logistic pipeline is permuted in its once-transformed matrix (no transform per copy), exactly.

    Awkward test rows: a level unseen in training, a column missing only in training, one missing in every
    test row, a constant column.
    """
    from sklearn.inspection import permutation_importance

    from csresearch.analysis.churn_model import candidate_models, model_frame
    from csresearch.analysis.permutation import _transformed_once, permutation_drops

    rng = np.random.default_rng(8)
    n = 900
    a = rng.normal(size=n)
    X = pd.DataFrame({
        "a": a,
        "train_gaps": np.where((np.arange(n) < 600) & (rng.random(n) < 0.2), np.nan, rng.normal(size=n)),
        "test_all_missing": np.where(np.arange(n) >= 600, np.nan, rng.normal(size=n)),
        "constant": np.ones(n),
        "seg": pd.Categorical(np.where(np.arange(n) >= 800, "new", rng.choice(["x", "y"], n))),
    })
    y = (rng.random(n) < 1 / (1 + np.exp(-(2 * a - 1)))).astype(int)
    frame = model_frame(X)
    est = candidate_models(frame)["logistic_l2"].fit(frame.iloc[:600], y[:600])
    test = frame.iloc[600:]
    assert _transformed_once(est, test) is not None
    expected = permutation_importance(est, test, y[600:], scoring="roc_auc", n_repeats=4, random_state=1).importances_mean
    got = permutation_drops(est, test, y[600:], 4, 1, max_rows=1000)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    assert got[0] > 0.1 and got[3] == 0.0  # the driver matters; a constant column cannot
