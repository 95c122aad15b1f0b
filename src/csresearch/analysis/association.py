"""Does a score mean anything? Rank correlation, AUC, calibration, within-cohort correlation.

DeLong's AUC variance is written here (scikit-learn gives only the point
estimate); everything else uses scipy/statsmodels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError
from .intervals import weighted_bootstrap_interval, wilson_interval
from .results import AnalysisResult, Interval, intervals_frame
from .weighted_ranks import WeightedRanks, weighted_auc, weighted_spearman

__all__ = [
    "rank_auc",
    "CalibrationResult",
    "CohortCorrelation",
    "auc_with_interval",
    "calibration_by_decile",
    "delong_auc",
    "spearman_with_bootstrap",
    "within_cohort_spearman",
]


def _pair(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    if x.shape != y.shape:
        raise ParameterError(f"x ({len(x)}) and y ({len(y)}) differ in length")
    ok = np.isfinite(x) & np.isfinite(y)
    return x, y, ok


def _spearman(d: np.ndarray) -> float:
    if len(d) < 3 or np.ptp(d[:, 0]) == 0 or np.ptp(d[:, 1]) == 0:
        return float("nan")
    return float(stats.spearmanr(d[:, 0], d[:, 1]).statistic)


def spearman_with_bootstrap(x: Any, y: Any, groups: Any = None, n_boot: int = 1000, seed: int | None = 0,
                            level: float = 0.95) -> Interval:
    """Spearman rank correlation with a percentile bootstrap interval.

    With ``groups`` (e.g. account_id) whole accounts are resampled, the right
    choice when an account contributes several rows. Rows with a missing value
    are dropped. Unavailable with fewer than 3 rows or a constant variable.
    """
    x, y, ok = _pair(x, y)
    method = f"Spearman rank correlation, percentile {'cluster ' if groups is not None else ''}bootstrap ({n_boot} resamples, seed {seed})"
    data = np.column_stack([x[ok], y[ok]])
    if np.isnan(_spearman(data)):
        return Interval.unavailable("fewer than 3 complete rows or a constant variable", method, int(ok.sum()), level)
    g = None if groups is None else np.asarray(groups, dtype=object)[ok]
    rx, ry = WeightedRanks(data[:, 0]), WeightedRanks(data[:, 1])
    return weighted_bootstrap_interval(lambda w: weighted_spearman(w, rx, ry), len(data), n_boot=n_boot, seed=seed,
                                       groups=g, level=level, method=method)


def rank_auc(y_true: Any, score: Any) -> float:
    """ROC AUC by the Mann-Whitney rank formula (ties count half); NaN with one class.

    The same value as ``sklearn.metrics.roc_auc_score`` without its input checks,
    for loops over folds, resamples and scorers.
    """
    y = np.asarray(y_true, dtype=bool)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = stats.rankdata(score)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def delong_auc(y_true: Any, score: Any) -> tuple[float, float]:
    """AUC and its DeLong (1988) standard error, via midranks (Sun & Xu 2014)."""
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(score, dtype="float64")
    pos, neg = s[y], s[~y]
    m, n = len(pos), len(neg)
    tx, ty, tz = stats.rankdata(pos), stats.rankdata(neg), stats.rankdata(np.r_[pos, neg])
    auc = (tz[:m].sum() - m * (m + 1) / 2) / (m * n)
    v10 = (tz[:m] - tx) / n  # structural components of the positives
    v01 = 1 - (tz[m:] - ty) / m  # and of the negatives
    var = np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n
    return float(auc), float(np.sqrt(var))


def auc_with_interval(y_true: Any, score: Any, groups: Any = None, n_boot: int = 1000, seed: int | None = 0,
                      level: float = 0.95) -> Interval:
    """AUC of ``score`` for ``y_true`` (1 = positive class) with an interval.

    Without ``groups``: DeLong standard error, normal interval clipped to
    [0, 1]. With ``groups`` (rows clustered in accounts): percentile cluster
    bootstrap. Unavailable with fewer than 2 of either class.
    """
    s, y, ok = _pair(score, y_true)
    s, y = s[ok], y[ok].astype(int)
    n = len(y)
    if groups is None:
        method = "ROC AUC, DeLong standard error, normal interval"
    else:
        method = f"ROC AUC, percentile cluster bootstrap ({n_boot} resamples, seed {seed})"
    if min(y.sum(), n - y.sum()) < 2:
        return Interval.unavailable("fewer than 2 rows of one class", method, n, level)
    if groups is None:
        auc, se = delong_auc(y, s)
        z = stats.norm.ppf(0.5 + level / 2)
        return Interval(auc, max(0.0, auc - z * se), min(1.0, auc + z * se), level=level, method=method, n=n)

    g = np.asarray(groups, dtype=object)[ok]
    ranks, positive = WeightedRanks(s), y.astype(bool)
    return weighted_bootstrap_interval(lambda w: weighted_auc(w, positive, ranks), n, n_boot=n_boot, seed=seed, groups=g,
                                       level=level, method=method)


@dataclass
class CalibrationResult(AnalysisResult):
    """Observed event rate by score bin; ``summary`` has bin, n, mean_score, rate, ci_low, ci_high."""

    title = "Calibration by score decile"


def calibration_by_decile(score: Any, y: Any, n_bins: int = 10, level: float = 0.95) -> CalibrationResult:
    """Event (churn) rate per score quantile bin with Wilson intervals.

    Bins are quantiles of ``score`` (ties may merge bins; fewer bins are then
    returned and noted). Rows with a missing value are dropped.
    """
    s, yy, ok = _pair(score, y)
    s, yy = s[ok], yy[ok]
    if len(s) == 0:
        return CalibrationResult(summary=pd.DataFrame(columns=["bin", "n", "mean_score", "rate", "ci_low", "ci_high"]),
                                 method="", notes=["no complete rows"])
    bins = pd.qcut(s, n_bins, labels=False, duplicates="drop")
    rows = []
    for b in np.unique(bins):
        m = bins == b
        iv = wilson_interval(int(yy[m].sum()), int(m.sum()), level)
        rows.append({"bin": int(b) + 1, "n": int(m.sum()), "score_min": s[m].min(), "score_max": s[m].max(),
                     "mean_score": s[m].mean(), "rate": iv.estimate, "ci_low": iv.ci_low, "ci_high": iv.ci_high})
    notes = [] if len(rows) == n_bins else [f"ties in the score merged bins: {len(rows)} instead of {n_bins}"]
    return CalibrationResult(summary=pd.DataFrame(rows), method="event rate per score quantile bin, Wilson score interval", notes=notes)


@dataclass
class CohortCorrelation(AnalysisResult):
    """Spearman correlation within cohorts and pooled (``pooled`` Interval)."""

    pooled: Interval | None = None
    by_cohort: dict[Any, Interval] = field(default_factory=dict)
    title = "Within-cohort Spearman correlation"

    def to_findings(self) -> dict[str, Any]:
        return {"pooled": self.pooled.to_dict(), "by_cohort": {str(k): v.to_dict() for k, v in self.by_cohort.items()},
                "method": self.method}


def _weighted_pooled_r(cohorts: np.ndarray, xv: np.ndarray, yv: np.ndarray):
    """``stat(W)``: the pooled within-cohort Spearman of each weighted resample (rows of ``W``).

    Per cohort, Spearman's r of its complete rows when they are at least 5 (in
    the resample) and r is computable and not perfect; pooled: the weighted
    mean of Fisher z with weights (n - 3) / 1.06, back-transformed; NaN when
    no cohort qualifies.
    """
    parts = []
    for cohort in pd.unique(cohorts):
        idx = np.flatnonzero((cohorts == cohort) & np.isfinite(xv) & np.isfinite(yv))
        if len(idx):
            parts.append((idx, WeightedRanks(xv[idx]), WeightedRanks(yv[idx])))

    def stat(w: np.ndarray) -> np.ndarray:
        num, den = np.zeros(len(w)), np.zeros(len(w))
        for idx, rx, ry in parts:
            wc = w[:, idx]
            n = wc.sum(axis=1)
            r = weighted_spearman(wc, rx, ry)
            ok = (n >= 5) & np.isfinite(r) & (np.abs(r) < 1)
            z_weight = np.where(ok, (n - 3) / 1.06, 0.0)
            num += z_weight * np.arctanh(np.where(ok, r, 0.0))
            den += z_weight
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, np.tanh(num / den), np.nan)

    return stat


def within_cohort_spearman(frame: pd.DataFrame, cohort_col: str, x: str, y: str, level: float = 0.95, *,
                           groups: str | None = None, n_boot: int = 500, seed: int | None = 0) -> CohortCorrelation:
    """Spearman correlation of ``x`` and ``y`` within each cohort, and pooled.

    Correlating within tenure (or signup) cohorts keeps survivorship from
    faking an association: across cohorts, older accounts are the survivors.
    Each cohort's interval is Fisher-z with the Fieller-Hartley-Pearson
    variance 1.06 / (n - 3); the pooled estimate is the inverse-variance
    weighted mean of the z values (fixed-effect), back-transformed.

    With ``groups`` (a column, e.g. account_id) an account contributes rows to
    several cohorts or several rows to one, so the rows are not independent:
    every interval is then a percentile bootstrap resampling whole accounts
    (``n_boot`` resamples), per cohort and for the pooled estimate.
    """
    missing = [c for c in (cohort_col, x, y, *([groups] if groups else [])) if c not in frame.columns]
    if missing:
        raise ParameterError(f"within_cohort_spearman: column(s) {missing} not in the frame")
    if groups is not None:
        return _within_cohort_clustered(frame, cohort_col, x, y, groups, level, n_boot, seed)
    method = "Spearman per cohort, Fisher z interval with variance 1.06/(n-3); pooled: inverse-variance weighted Fisher z (fixed effect)"
    z_crit = stats.norm.ppf(0.5 + level / 2)
    by_cohort, zs, ws = {}, [], []
    for cohort, part in frame.groupby(cohort_col, sort=True, observed=True):
        xv, yv, ok = _pair(part[x], part[y])
        n = int(ok.sum())
        r = _spearman(np.column_stack([xv[ok], yv[ok]])) if n >= 5 else float("nan")
        if not np.isfinite(r) or abs(r) >= 1:
            by_cohort[cohort] = Interval.unavailable("fewer than 5 complete rows, a constant variable or a perfect correlation", method, n, level)
            continue
        z, se = np.arctanh(r), np.sqrt(1.06 / (n - 3))
        by_cohort[cohort] = Interval(r, np.tanh(z - z_crit * se), np.tanh(z + z_crit * se), level=level, method=method, n=n)
        zs.append(z)
        ws.append(1 / se**2)
    if not zs:
        pooled = Interval.unavailable("no cohort has a computable correlation", method, 0, level)
    else:
        zbar, se = np.average(zs, weights=ws), 1 / np.sqrt(np.sum(ws))
        n_total = sum(iv.n for iv in by_cohort.values() if iv.available)
        pooled = Interval(np.tanh(zbar), np.tanh(zbar - z_crit * se), np.tanh(zbar + z_crit * se), level=level, method=method, n=n_total)
    summary = intervals_frame({**by_cohort, "pooled": pooled}, index_name=cohort_col)
    notes = [f"{k}: {iv.reason}" for k, iv in by_cohort.items() if iv.reason]
    return CohortCorrelation(summary=summary, method=method, notes=notes, pooled=pooled, by_cohort=by_cohort)


def _within_cohort_clustered(frame: pd.DataFrame, cohort_col: str, x: str, y: str, groups: str, level: float,
                             n_boot: int, seed: int | None) -> CohortCorrelation:
    """Within-cohort and pooled Spearman with account-cluster bootstrap intervals."""
    method = (f"Spearman per cohort; pooled: inverse-variance weighted Fisher z (fixed effect); percentile cluster "
              f"bootstrap of accounts ({n_boot} resamples, seed {seed})")
    data = frame[[cohort_col, x, y, groups]].reset_index(drop=True)
    by_cohort: dict[Any, Interval] = {}
    for cohort, part in data.groupby(cohort_col, sort=True, observed=True):
        xv, yv, ok = _pair(part[x], part[y])
        if int(ok.sum()) < 5:
            by_cohort[cohort] = Interval.unavailable("fewer than 5 complete rows", method, int(ok.sum()), level)
            continue
        by_cohort[cohort] = spearman_with_bootstrap(xv, yv, groups=part[groups].to_numpy(), n_boot=n_boot,
                                                    seed=seed, level=level)

    pooled_stat = _weighted_pooled_r(data[cohort_col].to_numpy(), data[x].to_numpy(dtype="float64", na_value=np.nan),
                                     data[y].to_numpy(dtype="float64", na_value=np.nan))
    if not np.isfinite(pooled_stat(np.ones((1, len(data))))[0]):
        pooled = Interval.unavailable("no cohort has a computable correlation", method, 0, level)
    else:
        pooled = weighted_bootstrap_interval(pooled_stat, len(data), n_boot=n_boot, seed=seed,
                                             groups=data[groups].to_numpy(), level=level, method=method)
    summary = intervals_frame({**by_cohort, "pooled": pooled}, index_name=cohort_col)
    notes = [f"{k}: {iv.reason}" for k, iv in by_cohort.items() if iv.reason]
    return CohortCorrelation(summary=summary, method=method, notes=notes, pooled=pooled, by_cohort=by_cohort)
