"""Inverse-probability-weighted comparison of failed and succeeded onboarding on a snapshot (health, features).

The weighted counterpart of :func:`csresearch.analysis.comparison.compare_groups`:
each group is weighted by stabilised inverse-probability weights of its
onboarding outcome given the characteristics known at signup
(:mod:`csresearch.analysis.weighting`), so that both groups stand for the
whole snapshot population; the unhealthy share per group is the weighted
share (Hajek), its ratio is failed / succeeded and feature differences are
weighted means failed - succeeded. Intervals: percentile bootstrap over
accounts of the whole procedure (propensity fit included).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .causal import bootstrap_both_groups, bootstrap_percentile
from .results import AnalysisResult, Interval, intervals_frame
from .weighting import PROPENSITY_BOUNDS, confounder_design, propensity_model, stabilised_weights

__all__ = ["WeightedComparison", "weighted_comparison"]

IPW_MEANS = ("inverse-probability-weighted means (stabilised weights from a logistic propensity model of failing onboarding "
             "on {conf}; propensities truncated to [{lo:g}, {hi:g}]); percentile bootstrap over accounts ({b} replicates) "
             "of the whole procedure")


@dataclass
class WeightedComparison(AnalysisResult):
    """Result of :func:`weighted_comparison` (the ``*_weighted`` keys of findings ``onboarding_vs_health``)."""

    unhealthy_succeeded: Interval | None = None
    unhealthy_failed: Interval | None = None
    unhealthy_risk_ratio: Interval | None = None
    difference: dict[str, Interval] = field(default_factory=dict)
    confounders: list[str] = field(default_factory=list)
    title = "Failed vs succeeded onboarding, inverse-probability weighted"

    def to_findings(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.unhealthy_risk_ratio is not None:
            out["unhealthy_share_succeeded_weighted"] = self.unhealthy_succeeded.to_dict()
            out["unhealthy_share_failed_weighted"] = self.unhealthy_failed.to_dict()
            out["unhealthy_risk_ratio_weighted"] = self.unhealthy_risk_ratio.to_dict()
        out["feature_difference_weighted"] = {k: v.to_dict() for k, v in self.difference.items()}
        out["weighted_confounders"] = list(self.confounders)
        out["weighted_method"] = self.method
        return out


def _wmean(y: np.ndarray, w: np.ndarray) -> float:
    ok = np.isfinite(y)
    return float(np.average(y[ok], weights=w[ok])) if ok.any() and w[ok].sum() > 0 else np.nan


def _stats(values: np.ndarray, failed: np.ndarray, x: np.ndarray, bad: np.ndarray | None,
           counts: np.ndarray | None = None, start: np.ndarray | None = None) -> np.ndarray:
    """Weighted unhealthy shares (failed, succeeded), then each feature's weighted difference.

    ``counts``: how many times each account is in a bootstrap resample (its
    statistics without copying rows); ``start``: a warm start of the propensity fit.
    """
    if counts is not None:
        keep = counts > 0
        values, failed, x, counts = values[keep], failed[keep], x[keep], counts[keep]
        bad = None if bad is None else bad[keep]
    w, _ = stabilised_weights(propensity_model(x, failed, counts, start)[0], failed, sample_weight=counts)
    w = w if counts is None else w * counts
    out = []
    if bad is not None:
        out += [_wmean(bad[failed], w[failed]), _wmean(bad[~failed], w[~failed])]
    out += [_wmean(values[failed, j], w[failed]) - _wmean(values[~failed, j], w[~failed]) for j in range(values.shape[1])]
    return np.asarray(out)


def weighted_comparison(frame: pd.DataFrame, features: Sequence[str], *, failed_col: str = "failed",
                        unhealthy: tuple[str, float] | None = ("health_score", 40.0),
                        categorical: Sequence[str] = ("segment", "touch_model", "industry"),
                        numeric: Sequence[str] = ("log_seats", "log_employees"), n_boot: int = 200,
                        seed: int = 0, level: float = 0.95) -> WeightedComparison:
    """Weighted unhealthy shares, their ratio and weighted feature differences, failed - succeeded.

    Parameters
    ----------
    frame : DataFrame
        One row per account: ``failed_col`` (bool), the features, the
        unhealthy column and the confounders.
    features : sequence of str
        Numeric columns to compare (missing values are left out per feature).
    unhealthy : (column, threshold), optional
        "Unhealthy" means ``column < threshold``.

    Returns
    -------
    WeightedComparison
    """
    if failed_col not in frame.columns:
        raise ParameterError(f"weighted_comparison: column {failed_col!r} not in the frame")
    data = frame.loc[frame[failed_col].notna()]
    failed = data[failed_col].to_numpy(dtype=bool)
    if failed.all() or not failed.any():
        raise ParameterError("weighted_comparison: needs accounts that failed and accounts that succeeded onboarding")
    design = confounder_design(data, categorical, numeric)
    x = design.matrix.to_numpy(dtype="float64")
    values = np.column_stack([pd.to_numeric(data[f], errors="coerce").to_numpy(dtype="float64") for f in features]) \
        if features else np.empty((len(data), 0))
    bad = None
    if unhealthy is not None and unhealthy[0] in data.columns:
        h = pd.to_numeric(data[unhealthy[0]], errors="coerce").to_numpy(dtype="float64")
        bad = np.where(np.isfinite(h), (h < unhealthy[1]).astype("float64"), np.nan)
    point = _stats(values, failed, x, bad)
    start = propensity_model(x, failed)[1]
    reps = bootstrap_both_groups(lambda counts: _stats(values, failed, x, bad, counts, start), failed, len(point),
                                 n_boot, seed)
    conf = ", ".join(design.confounders) or "nothing (no confounder in the data)"
    method = IPW_MEANS.format(conf=conf, lo=PROPENSITY_BOUNDS[0], hi=PROPENSITY_BOUNDS[1], b=n_boot)
    return _assemble(point, reps, bad is not None, list(features), design, method, level, len(data))


def _assemble(point, reps, has_unhealthy, features, design, method, level, n) -> WeightedComparison:
    result = WeightedComparison(summary=pd.DataFrame(), method=method, notes=list(design.notes),
                                confounders=design.confounders)
    k = 0
    if has_unhealthy:
        f, s = point[0], point[1]
        result.unhealthy_failed = bootstrap_percentile(f, reps[:, 0], level, method, n)
        result.unhealthy_succeeded = bootstrap_percentile(s, reps[:, 1], level, method, n)
        with np.errstate(divide="ignore", invalid="ignore"):
            result.unhealthy_risk_ratio = (bootstrap_percentile(f / s, reps[:, 0] / reps[:, 1], level, method, n) if s > 0 else
                                           Interval.unavailable("no unhealthy account among those that succeeded", method, n, level))
        k = 2
    for j, feat in enumerate(features):
        est = point[k + j]
        result.difference[feat] = (bootstrap_percentile(est, reps[:, k + j], level, method, n) if np.isfinite(est) else
                                   Interval.unavailable("no non-missing value in a group", method, n, level))
    rows = {"unhealthy risk ratio": result.unhealthy_risk_ratio} if has_unhealthy else {}
    result.summary = intervals_frame({**rows, **result.difference}, index_name="quantity")
    return result
