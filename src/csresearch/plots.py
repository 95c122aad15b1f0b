"""Plots of analysis results. Each takes ``ax=None`` and returns the Axes; nothing is shown or saved.

Inputs are the result objects and summary frames of :mod:`csresearch.analysis`.
Frames of intervals have columns ``estimate, ci_low, ci_high`` (rows = labels);
a dict of :class:`~csresearch.analysis.Interval` is accepted too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy import stats

from .analysis.results import Interval, intervals_frame

__all__ = ["adjusted_curves_plot", "bar_with_intervals", "calibration_plot", "forest_plot", "km_plot", "love_plot",
           "propensity_plot", "trajectory_plot", "trend_plot"]


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def _interval_frame(data: pd.DataFrame | Mapping[Any, Interval]) -> pd.DataFrame:
    if isinstance(data, Mapping):
        data = intervals_frame(dict(data))
    missing = {"estimate", "ci_low", "ci_high"} - set(data.columns)
    if missing:
        raise ValueError(f"need columns estimate, ci_low, ci_high; missing {sorted(missing)}")
    return data.astype({"estimate": "float64", "ci_low": "float64", "ci_high": "float64"})


def _errors(frame: pd.DataFrame, value_col: str = "estimate") -> np.ndarray:
    """Error-bar lengths below and above ``value_col``: never negative (float rounding can put a
    Wilson bound a hair past the rate), 0 where a bound is missing."""
    est = frame[value_col].to_numpy(dtype="float64")
    low = np.nan_to_num(est - frame["ci_low"].to_numpy(dtype="float64"), nan=0.0)
    high = np.nan_to_num(frame["ci_high"].to_numpy(dtype="float64") - est, nan=0.0)
    return np.clip(np.vstack([low, high]), 0.0, None)


def km_plot(result: Any, ax: Axes | None = None, level: float = 0.95) -> Axes:
    """Cumulative incidence (1 - Kaplan-Meier survival) by group with a pointwise log-log band.

    ``result`` is a :class:`~csresearch.analysis.survival.KaplanMeierResult` or an
    ``OnboardingChurnResult`` (its ``km``). A dotted line marks the horizon.
    """
    km = getattr(result, "km", None) or result
    ax = _axes(ax)
    z = stats.norm.ppf(0.5 + level / 2)
    for group, curve in km.curves.groupby("group", sort=True):
        s, se = curve["survival"].to_numpy(), curve["se"].to_numpy()
        line = ax.step(curve["time"], 1 - s, where="post", label=str(group))[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            w = z * se / (s * np.abs(np.log(s)))
            low, high = 1 - s ** np.exp(-w), 1 - s ** np.exp(w)
        ok = np.isfinite(low) & np.isfinite(high)
        ax.fill_between(curve["time"][ok], low[ok], high[ok], step="post", alpha=0.2, color=line.get_color())
    ax.axvline(km.horizon, ls=":", color="grey")
    ax.set_xlabel("years since signup")
    ax.set_ylabel("cumulative churn")
    ax.legend(title="group")
    return ax


def bar_with_intervals(frame: pd.DataFrame | Mapping[Any, Interval], ax: Axes | None = None, xlabel: str = "") -> Axes:
    """Horizontal bars of ``estimate`` with ``ci_low``/``ci_high`` error bars, one per row."""
    frame = _interval_frame(frame)
    ax = _axes(ax)
    y = np.arange(len(frame))
    ax.barh(y, frame["estimate"].fillna(0), xerr=_errors(frame), capsize=3, color="tab:blue", alpha=0.7)
    ax.set_yticks(y, [str(i) for i in frame.index])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(xlabel)
    return ax


def calibration_plot(result: Any, ax: Axes | None = None) -> Axes:
    """Observed rate (Wilson interval) against mean score per bin, from :func:`calibration_by_decile`."""
    s = getattr(result, "summary", result)
    ax = _axes(ax)
    ax.errorbar(s["mean_score"], s["rate"], yerr=_errors(s, "rate"), fmt="o-", capsize=3)
    ax.set_xlabel("mean score in bin")
    ax.set_ylabel("observed rate")
    ax.set_ylim(bottom=0)
    return ax


def trajectory_plot(traj: Any, feature: str, ax: Axes | None = None, band: bool = True) -> Axes:
    """Mean of ``feature`` by relative month per group, with its interval band (from :func:`aligned_trajectories`)."""
    s = getattr(traj, "summary", traj)
    s = s.loc[s["feature"] == feature]
    if s.empty:
        raise ValueError(f"feature {feature!r} not in the trajectories")
    ax = _axes(ax)
    for group, part in s.groupby("group", sort=True):
        line = ax.plot(part["rel_month"], part["mean"], marker=".", label=str(group))[0]
        if band:
            ax.fill_between(part["rel_month"], part["ci_low"], part["ci_high"], alpha=0.2, color=line.get_color())
    ax.axvline(0, ls=":", color="grey")
    ax.set_xlabel("months relative to the decision")
    ax.set_ylabel(feature)
    ax.legend(title="group")
    return ax


def trend_plot(medians: pd.DataFrame, feature: str, ax: Axes | None = None, slope: Interval | None = None) -> Axes:
    """Median and IQR of ``feature`` by tenure year (from :func:`median_trajectories`); slope in the title when given."""
    part = medians.loc[medians["feature"] == feature].sort_values("tenure_year")
    if part.empty:
        raise ValueError(f"feature {feature!r} not in the medians")
    ax = _axes(ax)
    ax.plot(part["tenure_year"], part["median"], marker="o")
    ax.fill_between(part["tenure_year"], part["q25"], part["q75"], alpha=0.2)
    ax.set_xlabel("tenure year")
    ax.set_ylabel(feature)
    if slope is not None:
        ax.set_title(f"{feature}: {slope} per year")
    return ax


def forest_plot(frame: pd.DataFrame | Mapping[Any, Interval], ax: Axes | None = None, ref: float = 1.0,
                log: bool = True, xlabel: str = "odds ratio per 1 SD") -> Axes:
    """Points with interval lines per row (e.g. odds ratios), a reference line at ``ref``, log scale by default."""
    frame = _interval_frame(frame).iloc[::-1]
    ax = _axes(ax)
    y = np.arange(len(frame))
    ax.errorbar(frame["estimate"], y, xerr=_errors(frame), fmt="s", capsize=3, color="black")
    ax.axvline(ref, ls="--", color="grey")
    if log:
        ax.set_xscale("log")
    ax.set_yticks(y, [str(i) for i in frame.index])
    ax.set_xlabel(xlabel)
    return ax


def adjusted_curves_plot(curves: pd.DataFrame, ax: Axes | None = None, horizon: float | None = None) -> Axes:
    """Weighted cumulative churn ``1 - S(t)`` by group from the landmark (``group, time, survival`` step points)."""
    ax = _axes(ax)
    for group, curve in curves.groupby("group", sort=True):
        ax.step(curve["time"], 1 - curve["survival"], where="post", label=str(group))
    if horizon is not None:
        ax.axvline(horizon, color="grey", linestyle=":", linewidth=1)
    return _labelled(ax, "years since the onboarding outcome was known", "cumulative churn (weighted)", "had every account")


def _labelled(ax: Axes, xlabel: str, ylabel: str, legend_title: str) -> Axes:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(title=legend_title)
    return ax


def propensity_plot(propensity: pd.DataFrame, ax: Axes | None = None, bins: int = 30) -> Axes:
    """Overlap: histograms (density) of the propensity score by group (``propensity, group`` columns)."""
    ax = _axes(ax)
    edges = np.linspace(0, 1, bins + 1)
    for group, part in propensity.groupby("group", sort=True):
        ax.hist(part["propensity"], bins=edges, density=True, alpha=0.5, label=str(group))
    return _labelled(ax, "propensity to fail onboarding", "density", "onboarding")


def love_plot(balance: pd.DataFrame, ax: Axes | None = None, threshold: float = 0.1) -> Axes:
    """Covariate balance: absolute standardised mean difference per covariate, ``before`` and ``after`` weighting."""
    ax = _axes(ax)
    frame = balance.abs().sort_values("before")
    y = np.arange(len(frame))
    ax.scatter(frame["before"], y, marker="o", facecolors="none", edgecolors="C0", label="before weighting")
    ax.scatter(frame["after"], y, marker="o", color="C1", label="after weighting")
    ax.axvline(threshold, color="grey", linestyle=":", linewidth=1)
    ax.set_yticks(y, [str(i) for i in frame.index])
    ax.set_xlabel("|standardised mean difference|")
    ax.legend()
    return ax
