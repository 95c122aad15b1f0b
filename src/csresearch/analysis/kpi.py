"""KPI thresholds: the value of a metric a CS team should keep accounts on the safe side of.

For one numeric factor the threshold is the cut that best separates churn: among
all cuts leaving at least ``min_share`` of the accounts on each side, the one
with the largest absolute difference between the churn rate below and above it
(for a binary outcome this maximises the risk difference, which for a single cut
is Youden's J up to the base rate weighting). The direction says on which side
churn is lower (``"above"`` = keep the metric at or above the threshold). The
threshold carries a percentile bootstrap interval that resamples accounts
(whole accounts when several rows share one), and the churn rate on each side
carries a Wilson interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .intervals import bootstrap_interval, wilson_interval
from .results import Interval

__all__ = ["KpiThreshold", "best_cut", "kpi_threshold", "kpi_thresholds", "kpi_tree_plot"]

METHOD = (
    "cut maximising |churn rate below - churn rate above| with at least {share:.0%} of rows on each side; "
    "churn = rate among rows below (x < threshold) and at or above it; Wilson intervals for the rates; "
    "percentile {kind}bootstrap of the whole search ({n_boot} resamples) for the threshold"
)


@dataclass(frozen=True)
class KpiThreshold:
    """The managed threshold of one metric.

    Attributes
    ----------
    feature : str
        Metric (column) name.
    direction : str
        ``"above"`` when churn is lower at or above the threshold (keep the
        metric above it), ``"below"`` when churn is lower below it.
    threshold : Interval
        The cut, with its bootstrap interval.
    churn_rate_below, churn_rate_above : Interval
        Churn rate among rows with the metric below / at-or-above the cut.
    share_below : float
        Share of (non-missing) rows below the cut.
    n_missing : int
        Rows left out because the metric is missing.
    """

    feature: str
    direction: str
    threshold: Interval
    churn_rate_below: Interval
    churn_rate_above: Interval
    share_below: float
    n_missing: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The findings.md ``kpis`` entry: plain numbers plus their intervals."""
        return {
            "feature": self.feature,
            "direction": self.direction,
            "threshold": self.threshold.estimate,
            "churn_rate_below": self.churn_rate_below.estimate,
            "churn_rate_above": self.churn_rate_above.estimate,
            "threshold_interval": self.threshold.to_dict(),
            "churn_rate_below_interval": self.churn_rate_below.to_dict(),
            "churn_rate_above_interval": self.churn_rate_above.to_dict(),
            "share_below": self.share_below,
            "n_missing": self.n_missing,
        }


def best_cut(x: np.ndarray, y: np.ndarray, min_share: float = 0.1) -> float:
    """Return the cut with the largest |rate below - rate above| and ``min_share`` on each side (NaN if none)."""
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    n = len(x)
    if n == 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    # Candidate cuts are the distinct values; "below" = strictly less than the cut.
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    n_below = starts
    events_below = np.r_[0.0, np.cumsum(ys)][starts]
    ok = (n_below >= min_share * n) & (n - n_below >= min_share * n) & (n_below > 0) & (n_below < n)
    if not ok.any():
        return float("nan")
    nb, eb = n_below[ok], events_below[ok]
    diff = np.abs(eb / nb - (ys.sum() - eb) / (n - nb))
    best = np.argmax(diff)  # first maximum: the lowest of tied cuts
    return float(xs[starts[ok][best]])


def kpi_threshold(
    x: pd.Series,
    y: pd.Series,
    *,
    min_share: float = 0.1,
    n_boot: int = 200,
    groups: Sequence[Any] | None = None,
    seed: int = 0,
    level: float = 0.95,
) -> KpiThreshold:
    """Find the KPI threshold of metric ``x`` for the binary churn outcome ``y``.

    Parameters
    ----------
    x : Series
        Numeric metric; missing values are left out (counted in ``n_missing``).
    y : Series
        0/1 churn outcome aligned with ``x``.
    min_share : float, default 0.1
        Minimum share of rows on each side of the cut.
    n_boot : int, default 200
        Bootstrap resamples for the threshold interval.
    groups : sequence, optional
        Account of each row; resampled as whole clusters when given.
    seed : int, default 0
        Seed of the bootstrap.
    level : float, default 0.95
        Confidence level of every interval.

    Returns
    -------
    KpiThreshold
    """
    if not 0 < min_share < 0.5:
        raise ParameterError(f"min_share must lie in (0, 0.5), got {min_share!r}")
    name = str(x.name)
    data = pd.DataFrame({"x": pd.to_numeric(x, errors="coerce").to_numpy(dtype="float64", na_value=np.nan),
                         "y": np.asarray(y, dtype="float64")})
    if groups is not None:
        data["g"] = np.asarray(groups)
    keep = data["x"].notna().to_numpy()
    n_missing = int((~keep).sum())
    data = data.loc[keep].reset_index(drop=True)
    method = METHOD.format(share=min_share, kind="cluster " if groups is not None else "", n_boot=n_boot)

    def stat(d: pd.DataFrame) -> float:
        return best_cut(d["x"].to_numpy(), d["y"].to_numpy(), min_share)

    cut = stat(data)
    if not np.isfinite(cut):
        reason = f"no cut of {name} leaves {min_share:.0%} of the {len(data)} rows on each side"
        na = Interval.unavailable(reason, method=method, n=len(data), level=level)
        return KpiThreshold(name, "n/a", na, na, na, float("nan"), n_missing)
    threshold = bootstrap_interval(stat, data, n_boot=n_boot, seed=seed, level=level, method=method,
                                   groups=data["g"].to_numpy() if groups is not None else None)
    below = data["x"] < cut
    yb, ya = data.loc[below, "y"], data.loc[~below, "y"]
    rate_below = wilson_interval(int(yb.sum()), len(yb), level=level)
    rate_above = wilson_interval(int(ya.sum()), len(ya), level=level)
    direction = "above" if rate_above.estimate <= rate_below.estimate else "below"
    return KpiThreshold(name, direction, threshold, rate_below, rate_above, float(below.mean()), n_missing)


def kpi_thresholds(
    frame: pd.DataFrame,
    label: str,
    features: Sequence[str],
    *,
    groups: Sequence[Any] | None = None,
    min_share: float = 0.1,
    n_boot: int = 200,
    seed: int = 0,
) -> list[KpiThreshold]:
    """Apply :func:`kpi_threshold` to each of ``features`` of ``frame`` against the 0/1 column ``label``."""
    return [
        kpi_threshold(frame[f], frame[label], min_share=min_share, n_boot=n_boot, groups=groups, seed=seed)
        for f in features
    ]


def kpi_tree_plot(overall: Interval, kpis: Sequence[KpiThreshold], ax=None):
    """Draw the KPI tree: overall churn rate at the root, one branch per KPI with the rate on each side.

    Parameters
    ----------
    overall : Interval
        Overall churn rate.
    kpis : sequence of KpiThreshold
        The managed metrics, most important first.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 1.6 + 1.2 * max(len(kpis), 1)))
    ax.set_axis_off()
    box = {"boxstyle": "round,pad=0.4", "fc": "#eef3f8", "ec": "#4a6fa5"}
    root = f"Churn rate\n{overall.estimate:.1%}" if overall.available else "Churn rate\nn/a"
    n = max(len(kpis), 1)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.5, n - 0.5)
    ax.text(0.1, (n - 1) / 2, root, ha="center", va="center", bbox=box, fontsize=10)
    for i, k in enumerate(kpis):
        yy = n - 1 - i
        ax.annotate("", xy=(0.33, yy), xytext=(0.19, (n - 1) / 2), arrowprops={"arrowstyle": "->", "color": "#777"})
        if not k.threshold.available:
            ax.text(0.35, yy, f"{k.feature}: no threshold", va="center", fontsize=9)
            continue
        keep = "keep >=" if k.direction == "above" else "keep <"
        ax.text(0.35, yy, f"{k.feature}\n{keep} {k.threshold.estimate:.3g}", va="center", bbox=box, fontsize=9)
        ax.text(0.72, yy, f"below: {k.churn_rate_below.estimate:.1%} churn\n"
                          f"at/above: {k.churn_rate_above.estimate:.1%} churn", va="center", fontsize=9)
    return ax
