"""KPI targets: the level of a metric below (or above) which accounts churn more than average.

Estimand. For one numeric metric ``x`` the churn risk at the renewal decision
as a function of ``x``, r(x) = P(churn | x), is estimated by isotonic
regression (monotone in the direction of the Spearman sign of x and churn:
scikit-learn ``IsotonicRegression``, linear between its knots). The target is
the level at which r(x) crosses ``multiple`` times the overall churn rate
("below this level, accounts churn more than average" for ``multiple`` = 1):
the first crossing along the direction of rising risk. The direction says on
which side churn is lower (``"above"`` = keep the metric at or above the
target). No minimum share is imposed on either side, so the target is never
pinned at a share limit; a risk curve that never crosses gives an unavailable
target with its reason.

Uncertainty. The whole procedure (direction fixed, overall rate, curve,
crossing and the rates either side) is repeated on account-cluster bootstrap
resamples: percentile intervals for the target and the rates, and a pointwise
interval for the curve on a grid of the metric's 1st-99th percentiles. The
churn rate on each side is counted per account: each account weighs 1, its
decisions on that side averaged (an account with several decisions is one unit).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..display import display_name, unit_of
from ..errors import ParameterError
from ..i18n import label as tl
from .intervals import cluster_resampler
from .results import Interval

__all__ = ["KpiThreshold", "crossing", "dose_response", "kpi_threshold", "kpi_thresholds", "kpi_tree_plot",
           "point_target", "side_rates"]

METHOD = (
    "target = level where the isotonic churn-risk curve crosses {multiple:g} x the overall churn rate; rates either "
    "side counted per account (each account weighs 1); percentile {kind}bootstrap of the whole procedure "
    "({n_boot} resamples) for the target, the rates and the pointwise curve"
)


@dataclass(frozen=True)
class KpiThreshold:
    """The managed target of one metric.

    Attributes
    ----------
    feature : str
        Metric (column) name.
    direction : str
        ``"above"`` when churn is lower at or above the target (keep the
        metric above it), ``"below"`` when churn is lower below it.
    threshold : Interval
        The target, with its cluster-bootstrap interval.
    churn_rate_below, churn_rate_above : Interval
        Churn rate (per account) among decisions with the metric below / at-or-above the target.
    share_below : float
        Share of (non-missing) decisions below the target.
    n_missing : int
        Decisions left out because the metric is missing.
    overall_rate : float
        Overall churn rate (per decision) that the curve is compared with.
    multiple : float
        The target is where risk crosses ``multiple * overall_rate``.
    curve : DataFrame
        Dose-response curve: x, risk, ci_low, ci_high.
    accounts_below_now, arr_below_now : int and float or None
        Current customers (and their ARR) on the wrong side of the target at as_of.
    leading : bool or None
        Whether the metric is a leading indicator (matters at long leads).
    """

    feature: str
    direction: str
    threshold: Interval
    churn_rate_below: Interval
    churn_rate_above: Interval
    share_below: float
    n_missing: int = 0
    overall_rate: float = float("nan")
    multiple: float = 1.0
    curve: pd.DataFrame = field(default_factory=pd.DataFrame)
    accounts_below_now: int | None = None
    arr_below_now: float | None = None
    leading: bool | None = None

    def with_current(self, accounts: int | None, arr: float | None, leading: bool | None = None) -> "KpiThreshold":
        """A copy with the count (and ARR) of current customers on the wrong side and the leading flag."""
        return replace(self, accounts_below_now=accounts, arr_below_now=arr,
                       leading=self.leading if leading is None else leading)

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
            "overall_churn_rate": self.overall_rate,
            "risk_multiple": self.multiple,
            "accounts_below_now": self.accounts_below_now,
            "arr_below_now": self.arr_below_now,
            "leading": self.leading,
            "method": self.threshold.method,
        }

    def curve_plot(self, ax=None):
        """The dose-response curve with its pointwise band, the reference risk and the target marked."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        c = self.curve
        if len(c):
            ax.fill_between(c["x"], c["ci_low"], c["ci_high"], color="#4a6fa5", alpha=0.25, lw=0)
            ax.plot(c["x"], c["risk"], color="#4a6fa5")
        if np.isfinite(self.overall_rate):
            ax.axhline(self.multiple * self.overall_rate, color="#999", ls="--", lw=0.8)
        if self.threshold.available:
            ax.axvline(self.threshold.estimate, color="#c0392b", lw=1.2)
            if self.threshold.ci_low is not None:
                ax.axvspan(self.threshold.ci_low, self.threshold.ci_high, color="#c0392b", alpha=0.12, lw=0)
        ax.set_xlabel(self.feature)
        ax.set_ylabel(tl("churn risk"))
        return ax


def dose_response(x: np.ndarray, y: np.ndarray, increasing: bool):
    """Isotonic churn-risk curve of ``y`` (0/1) on ``x``; a fitted ``IsotonicRegression``."""
    from sklearn.isotonic import IsotonicRegression

    return IsotonicRegression(increasing=increasing, out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(x, y)


def crossing(iso, level: float, increasing: bool) -> float:
    """First level of x at which the fitted curve reaches ``level`` along rising risk (NaN if never crossed).

    For a decreasing curve this is the lowest x where risk has fallen to
    ``level`` (risk is above it to the left); for an increasing one the lowest
    x where risk has risen to it (risk is below it to the left). Linear
    interpolation between the knots.
    """
    xk, yk = np.asarray(iso.X_thresholds_), np.asarray(iso.y_thresholds_)
    hit = (yk <= level) if not increasing else (yk >= level)
    if not hit.any():
        return float("nan")
    i = int(np.argmax(hit))
    if i == 0:
        return float("nan")
    if yk[i] == yk[i - 1]:
        return float(xk[i])
    return float(xk[i - 1] + (level - yk[i - 1]) * (xk[i] - xk[i - 1]) / (yk[i] - yk[i - 1]))


def side_rates(x: np.ndarray, y: np.ndarray, g: np.ndarray, cut: float) -> tuple[float, float, float]:
    """Per-account churn rates below / at-or-above ``cut`` and the share of decisions below it."""
    below = x < cut
    out = []
    for side in (below, ~below):
        if not side.any():
            out.append(float("nan"))
            continue
        per_account = pd.Series(y[side]).groupby(g[side]).mean()
        out.append(float(per_account.mean()))
    return out[0], out[1], float(below.mean())


def _procedure(x, y, g, increasing: bool, multiple: float, grid: np.ndarray) -> tuple[float, float, float, float, np.ndarray]:
    iso = dose_response(x, y, increasing)
    cut = crossing(iso, multiple * float(y.mean()), increasing)
    below, above, share = side_rates(x, y, g, cut) if np.isfinite(cut) else (np.nan, np.nan, np.nan)
    return cut, below, above, share, iso.predict(grid)


def _bootstrap(xv, yv, codes, increasing: bool, multiple: float, grid: np.ndarray, n_boot: int,
               seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(target, rate below, rate above) and the curve on ``grid`` for each account-cluster resample."""
    _, draw = cluster_resampler(codes, np.random.default_rng(seed))
    boots = np.full((n_boot, 3), np.nan)
    curves = np.full((n_boot, len(grid)), np.nan)
    for b in range(n_boot):
        rows, copy = draw()
        c, below, above, _, curves[b] = _procedure(xv[rows], yv[rows], copy, increasing, multiple, grid)
        boots[b] = (c, below, above)
    return boots, curves


def _percentile(values: np.ndarray, level: float) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    if len(v) == 0:
        return float("nan"), float("nan")
    return float(np.quantile(v, 0.5 - level / 2)), float(np.quantile(v, 0.5 + level / 2))


def _risk_increases(xv: np.ndarray, yv: np.ndarray) -> bool:
    """Whether churn risk rises with the metric (positive Spearman correlation): the curve's monotone direction."""
    rho = stats.spearmanr(xv, yv).statistic
    return bool(np.isfinite(rho) and rho > 0)


def point_target(x: pd.Series, y: pd.Series, multiple: float = 1.0) -> tuple[str, float]:
    """The direction and target of :func:`kpi_threshold` without its bootstrap: same data, same rule, same number.

    The point estimate of :func:`kpi_threshold` involves no random draw, so
    this gives the same ``direction`` and ``threshold.estimate`` at a fraction
    of the cost (no interval, no side rates).

    Returns
    -------
    tuple of (str, float)
        ``("above" | "below", target)``; ``("n/a", nan)`` on fewer than 10
        rows, a constant metric or a single outcome, and a NaN target when the
        risk curve never crosses ``multiple`` times the overall rate.
    """
    xv = pd.to_numeric(x, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    yv = np.asarray(y, dtype="float64")
    keep = np.isfinite(xv)
    xv, yv = xv[keep], yv[keep]
    if len(xv) < 10 or np.ptp(xv) == 0 or np.ptp(yv) == 0:
        return "n/a", float("nan")
    increasing = _risk_increases(xv, yv)
    cut = crossing(dose_response(xv, yv, increasing), multiple * float(yv.mean()), increasing)
    return ("below" if increasing else "above"), cut


def kpi_threshold(
    x: pd.Series,
    y: pd.Series,
    *,
    n_boot: int = 200,
    groups: Sequence[Any] | None = None,
    seed: int = 0,
    level: float = 0.95,
    multiple: float = 1.0,
    min_share: float | None = None,
) -> KpiThreshold:
    """Find the KPI target of metric ``x`` for the binary churn outcome ``y``.

    Parameters
    ----------
    x : Series
        Numeric metric; missing values are left out (counted in ``n_missing``).
    y : Series
        0/1 churn outcome aligned with ``x``.
    n_boot : int, default 200
        Account-cluster bootstrap resamples of the whole procedure.
    groups : sequence, optional
        Account of each row (each row its own account when None).
    seed : int, default 0
    level : float, default 0.95
    multiple : float, default 1.0
        The target is where the risk crosses ``multiple`` times the overall churn rate.
    min_share : None
        Accepted for backward compatibility and ignored: no share limit is imposed.

    Returns
    -------
    KpiThreshold
    """
    if not multiple > 0:
        raise ParameterError(f"multiple must be > 0, got {multiple!r}")
    name = str(x.name)
    xv = pd.to_numeric(x, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    yv = np.asarray(y, dtype="float64")
    keep = np.isfinite(xv)
    n_missing = int((~keep).sum())
    codes = pd.factorize(pd.Series(np.arange(len(xv)) if groups is None else np.asarray(groups)))[0]
    xv, yv, codes = xv[keep], yv[keep], pd.factorize(codes[keep])[0]
    method = METHOD.format(multiple=multiple, kind="cluster " if groups is not None else "", n_boot=n_boot)
    na = Interval.unavailable
    if len(xv) < 10 or np.ptp(xv) == 0 or np.ptp(yv) == 0:
        iv = na(f"{name}: fewer than 10 rows, a constant metric or a single outcome", method=method, n=len(xv), level=level)
        return KpiThreshold(name, "n/a", iv, iv, iv, float("nan"), n_missing, multiple=multiple)
    increasing = _risk_increases(xv, yv)
    direction = "below" if increasing else "above"
    grid = np.unique(np.quantile(xv, np.linspace(0.01, 0.99, 60)))
    cut, rb, ra, share, risk = _procedure(xv, yv, codes, increasing, multiple, grid)
    boots, curves = _bootstrap(xv, yv, codes, increasing, multiple, grid, n_boot, seed)
    lo, hi = np.nanquantile(curves, [0.5 - level / 2, 0.5 + level / 2], axis=0)
    curve = pd.DataFrame({"x": grid, "risk": risk, "ci_low": lo, "ci_high": hi})
    overall = float(yv.mean())
    n_acc = int(codes.max()) + 1
    if not np.isfinite(cut):
        reason = (f"the estimated churn risk of {name} never crosses {multiple:g} x the overall rate "
                  f"({multiple * overall:.1%})")
        iv = na(reason, method=method, n=n_acc, level=level)
        return KpiThreshold(name, direction, iv, iv, iv, float("nan"), n_missing, overall, multiple, curve)
    failed = float(np.mean(~np.isfinite(boots[:, 0])))
    ivs = []
    for j, est in enumerate((cut, rb, ra)):
        low, high = _percentile(boots[:, j], level)
        ivs.append(Interval(est, min(low, est), max(high, est), level=level, method=method, n=n_acc)
                   if np.isfinite(low) else na("no bootstrap resample gave a value", method=method, n=n_acc, level=level))
    if failed > 0.05:
        ivs[0] = replace(ivs[0], method=method + f"; {failed:.0%} of resamples had no crossing")
    return KpiThreshold(name, direction, ivs[0], ivs[1], ivs[2], share, n_missing, overall, multiple, curve)


def kpi_thresholds(
    frame: pd.DataFrame,
    label: str,
    features: Sequence[str],
    *,
    groups: Sequence[Any] | None = None,
    min_share: float | None = None,
    n_boot: int = 200,
    seed: int = 0,
    multiple: float = 1.0,
) -> list[KpiThreshold]:
    """Apply :func:`kpi_threshold` to each of ``features`` of ``frame`` against the 0/1 column ``label``."""
    return [
        kpi_threshold(frame[f], frame[label], n_boot=n_boot, groups=groups, seed=seed, multiple=multiple)
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
    root = tl("Churn rate") + "\n" + (f"{overall.estimate:.1%}" if overall.available else "n/a")
    n = max(len(kpis), 1)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.5, n - 0.5)
    ax.text(0.08, (n - 1) / 2, root, ha="center", va="center", bbox=box)
    for i, k in enumerate(kpis):
        yy = n - 1 - i
        name = "\n".join(textwrap.wrap(display_name(k.feature), 28))
        ax.annotate("", xy=(0.2, yy), xytext=(0.15, (n - 1) / 2), arrowprops={"arrowstyle": "->", "color": "#777"})
        if not k.threshold.available:
            ax.text(0.21, yy, f"{name}: {tl('no threshold')}", va="center")
            continue
        keep = tl("keep >=" if k.direction == "above" else "keep <")
        share = unit_of(k.feature) in ("share", "flag")
        target = f"{k.threshold.estimate:.0%}" if share else f"{k.threshold.estimate:.3g}"
        ax.text(0.21, yy, f"{name}\n{keep} {target}", va="center", bbox=box)
        ax.text(0.62, yy, tl(f"below: {k.churn_rate_below.estimate:.1%} churn") + "\n"
                + tl(f"at/above: {k.churn_rate_above.estimate:.1%} churn"), va="center")
    return ax
