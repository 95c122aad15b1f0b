"""Known-answer tests of the interval helpers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csresearch.analysis import Interval
from csresearch.analysis.intervals import (
    bh_qvalues,
    bootstrap_interval,
    newcombe_difference,
    risk_ratio_katz,
    wilson_interval,
)
from csresearch.errors import ParameterError

Z = stats.norm.ppf(0.975)


def wilson_closed_form(k: int, n: int, z: float = Z) -> tuple[float, float]:
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


def test_wilson_textbook_15_of_148():
    # Newcombe (1998), Table I: 15/148 -> 0.0624 to 0.1605
    iv = wilson_interval(15, 148)
    assert iv.estimate == pytest.approx(15 / 148)
    assert iv.ci_low == pytest.approx(0.0624, abs=5e-5)
    assert iv.ci_high == pytest.approx(0.1605, abs=5e-5)
    assert iv.n == 148 and "Wilson" in iv.method


@pytest.mark.parametrize("k,n", [(0, 10), (3, 7), (81, 263), (50, 50)])
def test_wilson_matches_closed_form(k, n):
    iv = wilson_interval(k, n)
    low, high = wilson_closed_form(k, n)
    assert iv.ci_low == pytest.approx(low, abs=1e-12)
    assert iv.ci_high == pytest.approx(high, abs=1e-12)


def test_wilson_zero_n_is_unavailable_with_reason():
    iv = wilson_interval(0, 0)
    d = iv.to_dict()
    assert d["estimate"] is None and d["ci_low"] is None and d["ci_high"] is None
    assert "n = 0" in d["reason"]


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ParameterError):
        wilson_interval(5, 3)


def test_newcombe_matches_closed_form_and_textbook():
    # Newcombe (1998) Table II example: 56/70 vs 48/80 -> 0.0524 to 0.3339
    iv = newcombe_difference(56, 70, 48, 80)
    assert iv.estimate == pytest.approx(56 / 70 - 48 / 80)
    assert iv.ci_low == pytest.approx(0.0524, abs=5e-5)
    assert iv.ci_high == pytest.approx(0.3339, abs=5e-5)
    p1, p2 = 9 / 40, 30 / 90
    l1, u1 = wilson_closed_form(9, 40)
    l2, u2 = wilson_closed_form(30, 90)
    iv = newcombe_difference(9, 40, 30, 90)
    assert iv.ci_low == pytest.approx(p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), abs=1e-10)
    assert iv.ci_high == pytest.approx(p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2), abs=1e-10)


def test_katz_risk_ratio_closed_form():
    a, n1, c, n2 = 30, 120, 18, 200
    rr = (a / n1) / (c / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    iv = risk_ratio_katz(a, n1, c, n2)
    assert iv.estimate == pytest.approx(rr)
    assert iv.ci_low == pytest.approx(rr * math.exp(-Z * se), rel=1e-9)
    assert iv.ci_high == pytest.approx(rr * math.exp(Z * se), rel=1e-9)
    assert not risk_ratio_katz(0, 10, 3, 10).available


def test_interval_to_dict_and_str():
    iv = Interval(0.082, 0.071, 0.094, method="m", n=10)
    assert iv.to_dict() == {"estimate": 0.082, "ci_low": 0.071, "ci_high": 0.094, "n": 10, "method": "m"}
    assert str(iv) == "0.082 (95% CI 0.071 to 0.094)"
    assert Interval(1, 0, 2, level=0.9).to_dict()["ci_level"] == 0.9
    assert Interval(float("nan"), 0, 1).to_dict()["estimate"] is None
    assert iv.excludes(0) and not iv.excludes(0.08)


def test_bootstrap_interval_covers_known_mean():
    rng = np.random.default_rng(1)
    covered = 0
    for seed in range(20):
        x = rng.normal(5.0, 2.0, 60)
        iv = bootstrap_interval(np.mean, x, n_boot=300, seed=seed)
        covered += iv.ci_low <= 5.0 <= iv.ci_high
    assert covered >= 16  # nominal 19 of 20


def test_cluster_bootstrap_is_wider_for_clustered_data():
    rng = np.random.default_rng(2)
    groups = np.repeat(np.arange(30), 10)
    x = rng.normal(0, 1, 30)[groups] + rng.normal(0, 0.1, 300)  # strong within-cluster correlation
    naive = bootstrap_interval(np.mean, x, n_boot=400, seed=0)
    clustered = bootstrap_interval(np.mean, x, n_boot=400, seed=0, groups=groups)
    assert clustered.n == 30 and naive.n == 300
    assert (clustered.ci_high - clustered.ci_low) > 2 * (naive.ci_high - naive.ci_low)
    # reproducible with the same seed
    again = bootstrap_interval(np.mean, x, n_boot=400, seed=0, groups=groups)
    assert again == clustered


def test_bootstrap_unavailable_when_statistic_undefined():
    iv = bootstrap_interval(lambda d: np.nan, np.arange(10), n_boot=20)
    assert not iv.available and iv.reason


def test_bh_controls_fdr_on_noise_and_finds_signal():
    false_discoveries = []
    for seed in range(10):
        p = np.random.default_rng(seed).uniform(size=200)
        false_discoveries.append((bh_qvalues(p) < 0.05).sum())
    # under the global null FWER = FDR <= 0.05: at most one of ten runs with any discovery is expected
    assert sum(fd > 0 for fd in false_discoveries) <= 3
    p = np.r_[np.full(10, 1e-6), np.random.default_rng(0).uniform(size=190)]
    q = bh_qvalues(p)
    assert (q[:10] < 0.05).all()


def test_bh_keeps_nan_and_index():
    s = pd.Series([0.01, np.nan, 0.04], index=["a", "b", "c"])
    q = bh_qvalues(s)
    assert list(q.index) == ["a", "b", "c"] and np.isnan(q["b"])
    assert q["a"] == pytest.approx(0.02) and q["c"] == pytest.approx(0.04)


def test_cluster_resample_keeps_whole_clusters():
    groups = np.array(["a", "b", "a", "c", "b", "a"])
    seen = []
    bootstrap_interval(lambda d: seen.append(np.sort(d)) or 0.0, np.arange(6), n_boot=30, seed=1, groups=groups)
    members = {"a": {0, 2, 5}, "b": {1, 4}, "c": {3}}
    for rows in seen[1:]:  # the first call is the point estimate on the full data
        counts = {k: sum(np.isin(rows, list(v))) for k, v in members.items()}
        assert all(counts[k] % len(members[k]) == 0 for k in counts)
        assert sum(counts[k] // len(members[k]) for k in counts) == 3
