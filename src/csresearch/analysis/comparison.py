"""Failed vs succeeded onboarding: raw and mix-adjusted feature differences, unhealthy share.

Accounts that fail onboarding differ in mix (segment, touch model), so every
feature difference is reported twice: raw (Welch) and adjusted by regression
(``feature ~ failed + C(segment) + C(touch_model)``, HC3 robust errors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from ..errors import ParameterError
from .intervals import bh_qvalues, risk_ratio_katz, wilson_interval
from .results import AnalysisResult, Interval
from .survival import _succeeded_mask

__all__ = ["GroupComparison", "compare_groups", "unhealthy_by_segment"]

WELCH = "difference in means (failed - succeeded), Welch t interval"
ADJUSTED = "OLS regression adjustment: coefficient of failed in feature ~ failed + {terms}, HC3 robust standard errors"


@dataclass
class GroupComparison(AnalysisResult):
    """Result of :func:`compare_groups` (findings ``onboarding_vs_health``).

    Attributes
    ----------
    difference, adjusted : dict of str -> Interval
        Raw and mix-adjusted difference per feature, failed - succeeded.
    unhealthy_succeeded, unhealthy_failed, unhealthy_risk_ratio : Interval or None
        Share below the unhealthy threshold per group and their ratio.
    """

    difference: dict[str, Interval] = field(default_factory=dict)
    adjusted: dict[str, Interval] = field(default_factory=dict)
    unhealthy_column: str | None = None
    unhealthy_threshold: float | None = None
    unhealthy_succeeded: Interval | None = None
    unhealthy_failed: Interval | None = None
    unhealthy_risk_ratio: Interval | None = None
    months_after: int | None = None
    title = "Failed vs succeeded onboarding"

    def to_findings(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.months_after is not None:
            out["months_after"] = self.months_after
        if self.unhealthy_threshold is not None:
            out["unhealthy_threshold"] = self.unhealthy_threshold
            out["unhealthy_share_succeeded"] = self.unhealthy_succeeded.to_dict()
            out["unhealthy_share_failed"] = self.unhealthy_failed.to_dict()
            out["unhealthy_risk_ratio"] = self.unhealthy_risk_ratio.to_dict()
        out["feature_difference"] = {k: v.to_dict() for k, v in self.difference.items()}
        out["feature_difference_adjusted"] = {k: v.to_dict() for k, v in self.adjusted.items()}
        out["method"] = self.method
        return out


def _welch(x_failed: np.ndarray, x_succ: np.ndarray, level: float) -> tuple[Interval, float]:
    n = len(x_failed) + len(x_succ)
    if len(x_failed) < 2 or len(x_succ) < 2:
        return Interval.unavailable("fewer than 2 non-missing values in a group", WELCH, n, level), np.nan
    if np.ptp(np.r_[x_failed, x_succ]) == 0:
        return Interval.unavailable("feature is constant", WELCH, n, level), np.nan
    cm = CompareMeans(DescrStatsW(x_failed), DescrStatsW(x_succ))
    low, high = cm.tconfint_diff(alpha=1 - level, usevar="unequal")
    p = cm.ttest_ind(usevar="unequal")[1]
    return Interval(x_failed.mean() - x_succ.mean(), low, high, level=level, method=WELCH, n=n), float(p)


def _adjusted(data: pd.DataFrame, terms: list[str], level: float) -> Interval:
    method = ADJUSTED.format(terms=" + ".join(f"C({t})" for t in terms) or "1")
    n = len(data)
    counts = data["failed"].value_counts()
    if len(counts) < 2 or counts.min() < 2:
        return Interval.unavailable("fewer than 2 non-missing values in a group", method, n, level)
    if data["y"].nunique() < 2:
        return Interval.unavailable("feature is constant", method, n, level)
    usable = [t for t in terms if data[t].nunique() > 1]
    formula = "y ~ failed" + "".join(f" + C({t})" for t in usable)
    import statsmodels.formula.api as smf  # formulaic: imported when a formula is fitted, not with the package

    fit = smf.ols(formula, data=data).fit(cov_type="HC3")
    if n - fit.df_model - 1 < 1:
        return Interval.unavailable("too few rows for the adjustment model", method, n, level)
    low, high = fit.conf_int(alpha=1 - level).loc["failed"]
    return Interval(fit.params["failed"], low, high, level=level, method=method, n=n)


def _add_unhealthy_shares(result: GroupComparison, data: pd.DataFrame, failed: np.ndarray, col: str,
                          threshold: float, level: float) -> None:
    """Set the unhealthy shares (``col < threshold``) of both groups and their risk ratio on ``result``."""
    if col not in data.columns:
        raise ParameterError(f"compare_groups: unhealthy column {col!r} not in the frame")
    h = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype="float64")
    ok = np.isfinite(h)
    bad = ok & (h < threshold)
    ks, ns = int((bad & ~failed).sum()), int((ok & ~failed).sum())
    kf, nf = int((bad & failed).sum()), int((ok & failed).sum())
    result.unhealthy_column, result.unhealthy_threshold = col, threshold
    result.unhealthy_succeeded = wilson_interval(ks, ns, level)
    result.unhealthy_failed = wilson_interval(kf, nf, level)
    result.unhealthy_risk_ratio = risk_ratio_katz(kf, nf, ks, ns, level)


def unhealthy_by_segment(data: pd.DataFrame, threshold: float, *, col: str = "health_score",
                         group_col: str = "onboarding_succeeded", segment_col: str = "segment",
                         level: float = 0.95) -> dict[str, dict[str, Any]]:
    """Unhealthy share (``col < threshold``) by segment and onboarding outcome, Wilson intervals.

    Parameters
    ----------
    data : DataFrame
        One row per account with ``col``, ``group_col`` (1 = succeeded) and ``segment_col``.
    threshold : float
    level : float, default 0.95

    Returns
    -------
    dict
        Segment -> ``n_succeeded``, ``n_failed`` (accounts with a score),
        ``unhealthy_succeeded``, ``unhealthy_failed`` (:class:`Interval`);
        empty when a column is missing.
    """
    if not {col, group_col, segment_col} <= set(data.columns):
        return {}
    h = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype="float64")
    ok = np.isfinite(h)
    bad = ok & (h < threshold)
    succeeded = pd.to_numeric(data[group_col], errors="coerce").to_numpy(dtype="float64") == 1
    seg = data[segment_col].astype(str).to_numpy()
    out = {}
    for s in sorted(set(seg[ok])):
        m = ok & (seg == s)
        ns, nf = int((m & succeeded).sum()), int((m & ~succeeded).sum())
        out[s] = {"n_succeeded": ns, "n_failed": nf,
                  "unhealthy_succeeded": wilson_interval(int((bad & m & succeeded).sum()), ns, level) if ns else
                  Interval.unavailable("no account in this group"),
                  "unhealthy_failed": wilson_interval(int((bad & m & ~succeeded).sum()), nf, level) if nf else
                  Interval.unavailable("no account in this group")}
    return out


def compare_groups(
    frame: pd.DataFrame,
    group_col: str,
    features: Sequence[str],
    adjust_for: Sequence[str] = ("segment", "touch_model"),
    unhealthy: tuple[str, float] | None = ("health_score", 40.0),
    succeeded_value: Any = "succeeded",
    months_after: int | None = None,
    level: float = 0.95,
) -> GroupComparison:
    """Compare features between failed and succeeded onboarding.

    Parameters
    ----------
    frame : DataFrame
        One row per account (e.g. features ``months_after`` months after the
        onboarding target date, for accounts still customers then).
    group_col : str
        1/0 onboarding succeeded, or a status compared with ``succeeded_value``;
        every other non-missing value is "failed". Missing rows are dropped.
    features : sequence of str
        Numeric feature columns to compare.
    adjust_for : sequence of str
        Categorical mix columns for the regression adjustment; columns absent
        from ``frame`` are skipped (noted); missing values form their own level.
    unhealthy : (column, threshold), optional
        "Unhealthy" means ``column < threshold``.
    months_after : int, optional
        Stored for the findings section.

    Returns
    -------
    GroupComparison
    """
    absent = [c for c in (group_col, *features) if c not in frame.columns]
    if absent:
        raise ParameterError(f"compare_groups: column(s) {absent} not in the frame; have {list(frame.columns)}")
    data = frame.loc[frame[group_col].notna()]
    failed = ~_succeeded_mask(data[group_col], succeeded_value).to_numpy()
    terms = [c for c in adjust_for if c in data.columns]
    notes = [f"adjustment column {c!r} not in the data; not adjusted for it" for c in adjust_for if c not in terms]
    mix = pd.DataFrame({t: data[t].astype("object").where(data[t].notna(), "missing").astype(str).to_numpy() for t in terms})
    difference, adjusted, rows = {}, {}, []
    for feat in features:
        y = pd.to_numeric(data[feat], errors="coerce").astype("float64").to_numpy()
        ok = np.isfinite(y)
        raw, p = _welch(y[ok & failed], y[ok & ~failed], level)
        reg = mix.loc[ok].assign(y=y[ok], failed=failed[ok].astype("int64"))
        adj = _adjusted(reg.reset_index(drop=True), terms, level)
        difference[feat], adjusted[feat] = raw, adj
        rows.append({
            "feature": feat, "n_succeeded": int((ok & ~failed).sum()), "n_failed": int((ok & failed).sum()),
            "mean_succeeded": np.nanmean(y[~failed]) if (ok & ~failed).any() else np.nan,
            "mean_failed": np.nanmean(y[failed]) if (ok & failed).any() else np.nan,
            "difference": raw.estimate, "diff_low": raw.ci_low, "diff_high": raw.ci_high, "p_value": p,
            "adjusted": adj.estimate, "adj_low": adj.ci_low, "adj_high": adj.ci_high,
        })
        notes += [f"{feat}: {iv.reason}" for iv in {raw, adj} if iv.reason]
    summary = pd.DataFrame(rows, columns=[
        "feature", "n_succeeded", "n_failed", "mean_succeeded", "mean_failed", "difference", "diff_low",
        "diff_high", "p_value", "adjusted", "adj_low", "adj_high"]).set_index("feature")
    summary["q_value"] = bh_qvalues(summary["p_value"].astype("float64"))
    result = GroupComparison(summary=summary, method="", notes=notes, difference=difference, adjusted=adjusted,
                             months_after=months_after)
    if unhealthy is not None:
        _add_unhealthy_shares(result, data, failed, *unhealthy, level)
    result.method = (
        f"{WELCH}; adjusted: {ADJUSTED.format(terms=' + '.join(f'C({t})' for t in terms) or '1')}; "
        "q-values: Benjamini-Hochberg over features; unhealthy share: Wilson score interval; "
        "risk ratio (failed / succeeded): Katz log interval"
    )
    return result
