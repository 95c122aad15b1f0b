"""Change per tenure year among continuing accounts, with account-clustered intervals.

Each account contributes many rows (one per month or snapshot), so the slope's
standard error is clustered by account. The pooled slope mixes two things:
accounts changing as they age, and which accounts survive to old tenure. The
within-account slope (account fixed effects, by demeaning) keeps only the
first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

from ..errors import ParameterError
from .results import AnalysisResult, Interval

__all__ = ["TrendResult", "median_trajectories", "slopes_per_year"]

POOLED = "OLS slope of the feature on tenure years, account-clustered (CR1) standard errors"
WITHIN = "within-account OLS slope (account fixed effects by demeaning), account-clustered standard errors"


@dataclass
class TrendResult(AnalysisResult):
    """Slope per tenure year per feature (findings ``continuing_trends``).

    Attributes
    ----------
    slopes : dict of str -> Interval
        Pooled slope per feature.
    within : dict of str -> Interval
        Within-account slope per feature (empty when not requested).
    """

    slopes: dict[str, Interval] = field(default_factory=dict)
    within: dict[str, Interval] = field(default_factory=dict)
    title = "Change per tenure year"

    def to_findings(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for feat, iv in self.slopes.items():
            out[feat] = {"slope_per_year": iv.to_dict()}
            if feat in self.within:
                out[feat]["slope_per_year_within_account"] = self.within[feat].to_dict()
        return out


def _cluster_slope(t: np.ndarray, y: np.ndarray, clusters: np.ndarray, level: float, method: str,
                   demean: bool) -> tuple[Interval, int]:
    n_clusters = len(np.unique(clusters))
    if len(y) < 3 or n_clusters < 2:
        return Interval.unavailable("fewer than 3 observations or 2 accounts", method, len(y), level), n_clusters
    if demean:
        frame = pd.DataFrame({"t": t, "y": y, "g": clusters})
        means = frame.groupby("g")[["t", "y"]].transform("mean")
        t, y = t - means["t"].to_numpy(), y - means["y"].to_numpy()
        X = t[:, None]
    else:
        X = add_constant(t, has_constant="add")
    if np.ptp(t) == 0:
        return Interval.unavailable("tenure does not vary" + (" within accounts" if demean else ""), method, len(y), level), n_clusters
    if np.ptp(y) == 0:
        return Interval.unavailable("feature is constant", method, len(y), level), n_clusters
    fit = OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": clusters})
    k = X.shape[1] - 1
    low, high = fit.conf_int(alpha=1 - level)[k]
    return Interval(fit.params[k], low, high, level=level, method=method, n=len(y)), n_clusters


def slopes_per_year(
    frame: pd.DataFrame,
    time_col: str,
    features: Sequence[str],
    cluster_col: str = "account_id",
    within: bool = True,
    level: float = 0.95,
) -> TrendResult:
    """Slope of each feature per tenure year with an account-clustered interval.

    Parameters
    ----------
    frame : DataFrame
        Long panel, one row per account and time point (e.g. continuing
        accounts' monthly snapshots).
    time_col : str
        Tenure in years.
    features : sequence of str
        Numeric columns; rows with a missing value are dropped per feature.
    cluster_col : str, default "account_id"
        Cluster for the standard errors (and the unit of the within variant).
    within : bool, default True
        Also estimate the within-account slope.

    Returns
    -------
    TrendResult
        ``summary`` has, per feature, the pooled and within slope, interval,
        n observations and n accounts.
    """
    absent = [c for c in (time_col, cluster_col, *features) if c not in frame.columns]
    if absent:
        raise ParameterError(f"slopes_per_year: column(s) {absent} not in the frame; have {list(frame.columns)}")
    slopes, within_slopes, rows, notes = {}, {}, [], []
    t_all = pd.to_numeric(frame[time_col], errors="coerce").to_numpy(dtype="float64")
    g_all = pd.factorize(frame[cluster_col])[0]
    for feat in features:
        y = pd.to_numeric(frame[feat], errors="coerce").to_numpy(dtype="float64")
        ok = np.isfinite(y) & np.isfinite(t_all) & (g_all >= 0)
        pooled, n_cl = _cluster_slope(t_all[ok], y[ok], g_all[ok], level, POOLED, demean=False)
        slopes[feat] = pooled
        row = {"feature": feat, "slope_per_year": pooled.estimate, "ci_low": pooled.ci_low, "ci_high": pooled.ci_high,
               "n_obs": int(ok.sum()), "n_accounts": n_cl}
        if pooled.reason:
            notes.append(f"{feat}: {pooled.reason}")
        if within:
            w, _ = _cluster_slope(t_all[ok], y[ok], g_all[ok], level, WITHIN, demean=True)
            within_slopes[feat] = w
            row.update({"within_slope": w.estimate, "within_low": w.ci_low, "within_high": w.ci_high})
            if w.reason:
                notes.append(f"{feat} (within): {w.reason}")
        rows.append(row)
    method = POOLED + (f"; {WITHIN}" if within else "")
    return TrendResult(summary=pd.DataFrame(rows).set_index("feature"), method=method, notes=notes,
                       slopes=slopes, within=within_slopes)


def median_trajectories(frame: pd.DataFrame, time_col: str, features: Sequence[str], bin_width: float = 1.0) -> pd.DataFrame:
    """Median and interquartile range of each feature by tenure bin.

    Returns a long frame ``feature, tenure_year, n, q25, median, q75`` where
    ``tenure_year`` is the lower edge of the bin ``floor(t / bin_width) * bin_width``.
    """
    absent = [c for c in (time_col, *features) if c not in frame.columns]
    if absent:
        raise ParameterError(f"median_trajectories: column(s) {absent} not in the frame")
    year = np.floor(pd.to_numeric(frame[time_col], errors="coerce") / bin_width) * bin_width
    long = frame[list(features)].apply(pd.to_numeric, errors="coerce").assign(tenure_year=year).melt(
        id_vars="tenure_year", var_name="feature").dropna()
    grouped = long.groupby(["feature", "tenure_year"])["value"]
    out = pd.DataFrame({
        "n": grouped.size(),
        "q25": grouped.quantile(0.25),
        "median": grouped.median(),
        "q75": grouped.quantile(0.75),
    }).reset_index()
    return out
