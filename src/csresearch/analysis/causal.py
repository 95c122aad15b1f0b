"""Adjusted (causal) effect of failing onboarding on churn: IPW Kaplan-Meier with bootstrap intervals.

Estimand: the average effect over all accounts with a known onboarding outcome
of failing versus succeeding on the risk of churning within ``h`` years of the
landmark (the day the outcome became known): ``F1(h) - F0(h)`` and
``F1(h) / F0(h)``, where ``Fa`` is the cumulative churn had every account's
onboarding had outcome ``a``. Identified under no unmeasured confounding given
the confounders, positivity (overlap) and censoring independent of churn given
the group; estimated by Kaplan-Meier curves of each group weighted by
stabilised inverse-probability weights from a logistic propensity model
(:mod:`csresearch.analysis.weighting`). Intervals: percentile bootstrap over
accounts of the whole procedure, propensity fit included. See docs/statistics.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .results import AnalysisResult, Interval, intervals_frame
from .weighting import (
    PROPENSITY_BOUNDS,
    confounder_design,
    e_value,
    effective_sample_size,
    propensity_model,
    propensity_scores,
    restricted_mean,
    stabilised_weights,
    standardised_differences,
    survival_at,
    weighted_km,
)

__all__ = ["AdjustedChurnResult", "adjusted_churn", "bootstrap_percentile", "e_value_pair"]

IPW_KM = ("inverse-probability-weighted Kaplan-Meier (stabilised weights from a logistic propensity model of failing "
          "onboarding on {conf}; propensities truncated to [{lo:g}, {hi:g}]), time zero = the day the onboarding outcome "
          "became known; percentile bootstrap over accounts ({b} replicates) of the whole procedure, propensity fit included")


def e_value_pair(rr: Interval) -> dict[str, Any]:
    """E-value of a risk ratio and of its confidence limit closer to 1 (1 when the interval includes 1).

    Returns
    -------
    dict
        ``{"estimate", "ci_limit"}`` (None with ``"reason"`` when the ratio is missing).
    """
    if not rr.available:
        return {"estimate": None, "ci_limit": None, "reason": f"risk ratio not available: {rr.reason}"}
    out: dict[str, Any] = {"estimate": e_value(rr.estimate), "ci_limit": None}
    if rr.ci_low is None or rr.ci_high is None:
        out["reason"] = "no interval for the risk ratio: E-value of the confidence limit not computable"
    elif rr.ci_low <= 1 <= rr.ci_high:
        out["ci_limit"] = 1.0
    else:
        out["ci_limit"] = e_value(rr.ci_low if rr.estimate >= 1 else rr.ci_high)
    return out


def _point(t: np.ndarray, e: np.ndarray, failed: np.ndarray, x: np.ndarray, horizons: Sequence[float],
           rmst_horizon: float, counts: np.ndarray | None = None, start: np.ndarray | None = None) -> np.ndarray:
    """Counterfactual risks at each horizon for failed then succeeded, then the two RMSTs (one flat vector).

    ``counts``: how many times each account is in a bootstrap resample (the
    estimate of that resample, computed without copying rows); ``start``: a
    warm start of the propensity fit (the result does not depend on it).
    """
    if counts is not None:
        keep = counts > 0
        t, e, failed, x, counts = t[keep], e[keep], failed[keep], x[keep], counts[keep]
    ps, _ = propensity_model(x, failed, counts, start)
    w, _ = stabilised_weights(ps, failed, sample_weight=counts)
    w = w if counts is None else w * counts
    out = []
    for grp in (failed, ~failed):
        times, surv = weighted_km(t[grp], e[grp], w[grp])
        out.append([1 - survival_at(times, surv, h) for h in horizons] + [restricted_mean(times, surv, rmst_horizon)])
    return np.asarray(out[0] + out[1])


def bootstrap_both_groups(stat: Callable[[np.ndarray], np.ndarray], failed: np.ndarray, width: int,
                          n_boot: int, seed: int) -> np.ndarray:
    """Replicates of ``stat(counts)`` over account resamples (rows drawn with replacement).

    ``counts[i]`` is how many times row ``i`` was drawn into the resample; a
    statistic of the resample is its estimate with row ``i`` weighted by
    ``counts[i]`` (the same as copying the row that often). A resample without
    both a failed and a succeeded account is left NaN (the whole procedure,
    propensity fit included, needs both groups).
    """
    rng = np.random.default_rng(seed)
    n = len(failed)
    reps = np.full((n_boot, width), np.nan)
    for b in range(n_boot):
        idx = rng.integers(0, n, n)
        if failed[idx].all() or not failed[idx].any():
            continue
        reps[b] = stat(np.bincount(idx, minlength=n).astype("float64"))
    return reps


def _bootstrap(t, e, failed, x, horizons, rmst_horizon, n_boot: int, seed: int) -> np.ndarray:
    start = propensity_model(x, failed)[1]
    return bootstrap_both_groups(lambda counts: _point(t, e, failed, x, horizons, rmst_horizon, counts, start),
                                 failed, 2 * (len(horizons) + 1), n_boot, seed)


def bootstrap_percentile(est: float, reps: np.ndarray, level: float, method: str, n: int) -> Interval:
    """Percentile interval of bootstrap replicates ``reps`` around ``est``; no interval when under 90% computable."""
    ok = reps[np.isfinite(reps)]
    if len(ok) < max(20, 0.9 * len(reps)):
        return Interval(est, None, None, level=level, method=method, n=n,
                        reason=f"only {len(ok)} of {len(reps)} bootstrap replicates computable: no interval")
    low, high = np.percentile(ok, [50 * (1 - level), 50 * (1 + level)])
    return Interval(est, low, high, level=level, method=method, n=n)


@dataclass
class AdjustedChurnResult(AnalysisResult):
    """Result of :func:`adjusted_churn` (the adjusted keys of findings ``onboarding_vs_churn``).

    Attributes
    ----------
    risk_difference, risk_ratio : Interval
        ``F1(h) - F0(h)`` and ``F1(h) / F0(h)`` at ``horizon_years``.
    risk_failed, risk_succeeded : Interval
        Counterfactual churn within the horizon had every account failed / succeeded.
    by_horizon : dict of float -> Interval
        The adjusted difference at each reporting horizon.
    rmst : dict of str -> Interval
        Restricted mean churn-free years up to ``horizon_years``: failed, succeeded, difference.
    e_value : dict
        :func:`e_value_pair` of the risk ratio.
    balance : DataFrame
        Standardised mean difference per design column, ``before`` and ``after`` weighting.
    propensity : DataFrame
        ``propensity`` and ``group`` per account (for the overlap plot; no ids).
    """

    horizon_years: float = 3.0
    risk_difference: Interval = field(default_factory=lambda: Interval.unavailable("not computed"))
    risk_ratio: Interval = field(default_factory=lambda: Interval.unavailable("not computed"))
    risk_failed: Interval = field(default_factory=lambda: Interval.unavailable("not computed"))
    risk_succeeded: Interval = field(default_factory=lambda: Interval.unavailable("not computed"))
    by_horizon: dict[float, Interval] = field(default_factory=dict)
    rmst: dict[str, Interval] = field(default_factory=dict)
    e_value: dict[str, Any] = field(default_factory=dict)
    confounders: list[str] = field(default_factory=list)
    balance: pd.DataFrame = field(default_factory=pd.DataFrame)
    propensity: pd.DataFrame = field(default_factory=pd.DataFrame)
    n_truncated: int = 0
    effective_n: dict[str, float] = field(default_factory=dict)
    landmark: dict[str, int] = field(default_factory=dict)
    curves: pd.DataFrame = field(default_factory=pd.DataFrame)
    title = "Adjusted effect of failing onboarding on churn (IPW Kaplan-Meier)"

    def to_findings(self) -> dict[str, Any]:
        """The adjusted keys: effect intervals, horizons, RMST, E-value, overlap, balance, ESS, landmark."""
        prop = self.propensity
        return {
            "risk_difference_adjusted": self.risk_difference.to_dict(),
            "risk_ratio_adjusted": self.risk_ratio.to_dict(),
            "churn_failed_adjusted": self.risk_failed.to_dict(),
            "churn_succeeded_adjusted": self.risk_succeeded.to_dict(),
            "adjusted_by_horizon": {f"{h:g}": iv.to_dict() for h, iv in self.by_horizon.items()},
            "rmst_adjusted": {"horizon_years": self.horizon_years, **{k: v.to_dict() for k, v in self.rmst.items()}},
            "e_value": self.e_value,
            "confounders": list(self.confounders),
            "overlap": {
                "propensity_bounds": list(PROPENSITY_BOUNDS), "n_truncated": self.n_truncated,
                **{f"propensity_{g}": _quantiles(prop.loc[prop["group"] == g, "propensity"]) for g in ("succeeded", "failed")},
            },
            "balance": {
                "max_abs_smd_before": _num(self.balance["before"].abs().max()) if len(self.balance) else None,
                "max_abs_smd_after": _num(self.balance["after"].abs().max()) if len(self.balance) else None,
                "smd": {k: {"before": _num(r.before), "after": _num(r.after)} for k, r in self.balance.iterrows()},
            },
            "effective_sample_size": {k: _num(v) for k, v in self.effective_n.items()},
            "landmark": dict(self.landmark),
            "adjusted_method": self.method,
        }


def _num(x: Any) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def _quantiles(x: pd.Series) -> dict[str, float | None]:
    if len(x) == 0:
        return {"min": None, "median": None, "max": None}
    return {"min": _num(x.min()), "median": _num(x.median()), "max": _num(x.max())}


def _follow_up_reason(t: np.ndarray, failed: np.ndarray, h: float) -> str | None:
    for label, grp in (("failed", failed), ("succeeded", ~failed)):
        if not grp.any() or t[grp].max() < h:
            return f"no account that {label} onboarding was followed {h:g} years past its landmark"
    return None


def _intervals(point: np.ndarray, reps: np.ndarray, horizons: list[float], level: float, method: str,
               n: int, t: np.ndarray, failed: np.ndarray) -> dict[str, Any]:
    k = len(horizons) + 1
    out: dict[str, Any] = {"by_horizon": {}, "risk": {}}
    for j, h in enumerate(horizons):
        why = _follow_up_reason(t, failed, h)
        if why:
            out["by_horizon"][h] = Interval.unavailable(why, method, n, level)
            out["risk"][h] = (Interval.unavailable(why, method, n, level),) * 4
            continue
        f, s = point[j], point[k + j]
        rf, rs = reps[:, j], reps[:, k + j]
        diff = bootstrap_percentile(f - s, rf - rs, level, method, n)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (bootstrap_percentile(f / s, rf / rs, level, method, n) if s > 0
                     else Interval.unavailable("no churn in the succeeded counterfactual: ratio not defined", method, n, level))
        out["by_horizon"][h] = diff
        out["risk"][h] = (bootstrap_percentile(f, rf, level, method, n), bootstrap_percentile(s, rs, level, method, n), diff, ratio)
    out["rmst"] = {"failed": bootstrap_percentile(point[k - 1], reps[:, k - 1], level, method, n),
                   "succeeded": bootstrap_percentile(point[-1], reps[:, -1], level, method, n),
                   "difference": bootstrap_percentile(point[k - 1] - point[-1], reps[:, k - 1] - reps[:, -1], level, method, n)}
    return out


def adjusted_churn(frame: pd.DataFrame, *, duration_col: str = "duration_years", event_col: str = "churned",
                   failed_col: str = "failed", categorical: Sequence[str] = ("segment", "touch_model", "industry"),
                   numeric: Sequence[str] = ("log_seats", "log_employees"), horizon_years: float = 3.0,
                   horizons: Sequence[float] = (1, 2, 3), n_boot: int = 200, seed: int = 0,
                   level: float = 0.95) -> AdjustedChurnResult:
    """Average effect of failing vs succeeding at onboarding on churn within each horizon, by IPW Kaplan-Meier.

    Parameters
    ----------
    frame : DataFrame
        One row per account with a known outcome: years from the landmark to
        churn or censoring (``duration_col``), ``event_col`` (0/1), ``failed_col``
        (bool) and the confounder columns (missing ones are noted and skipped).
    categorical, numeric : sequence of str
        Confounders (see :func:`csresearch.analysis.weighting.confounder_design`).
    horizon_years : float
        Horizon of the headline difference, ratio and RMST.
    horizons : sequence of float
        Further horizons of ``by_horizon``.
    n_boot : int
        Bootstrap replicates (each refits the propensity model).

    Returns
    -------
    AdjustedChurnResult
    """
    missing = [c for c in (duration_col, event_col, failed_col) if c not in frame.columns]
    if missing:
        raise ParameterError(f"adjusted_churn: column(s) {missing} not in the frame")
    t = frame[duration_col].to_numpy(dtype="float64")
    e = frame[event_col].to_numpy(dtype="float64").astype(bool)
    failed = frame[failed_col].to_numpy(dtype=bool)
    if failed.all() or not failed.any():
        raise ParameterError("adjusted_churn: needs accounts that failed and accounts that succeeded onboarding")
    design = confounder_design(frame, categorical, numeric)
    x = design.matrix.to_numpy(dtype="float64")
    grid = sorted({float(h) for h in horizons} | {float(horizon_years)})
    point = _point(t, e, failed, x, grid, horizon_years)
    reps = _bootstrap(t, e, failed, x, grid, horizon_years, n_boot, seed)
    conf = ", ".join(design.confounders) or "nothing (no confounder in the data)"
    method = IPW_KM.format(conf=conf, lo=PROPENSITY_BOUNDS[0], hi=PROPENSITY_BOUNDS[1], b=n_boot)
    iv = _intervals(point, reps, grid, level, method, len(t), t, failed)
    return _assemble(iv, design, t, e, failed, x, horizon_years, horizons, method)


def _assemble(iv: dict[str, Any], design, t, e, failed, x, horizon_years, horizons, method) -> AdjustedChurnResult:
    ps = propensity_scores(x, failed)
    w, n_trunc = stabilised_weights(ps, failed)
    balance = pd.DataFrame({"before": standardised_differences(design.matrix, failed),
                            "after": standardised_differences(design.matrix, failed, w)})
    risk = iv["risk"][float(horizon_years)]
    f, s, rd, rr = risk
    curves = []
    for label, grp in (("failed", failed), ("succeeded", ~failed)):
        times, surv = weighted_km(t[grp], e[grp], w[grp])
        curves.append(pd.DataFrame({"group": label, "time": np.r_[0.0, times], "survival": np.r_[1.0, surv]}))
    notes = list(design.notes)
    if n_trunc:
        notes.append(f"{n_trunc} account(s) had a propensity outside {list(PROPENSITY_BOUNDS)}; truncated to the bound")
    summary = intervals_frame({"churn had all failed": f, "churn had all succeeded": s, "risk difference": rd,
                               "risk ratio": rr, **{f"difference at {h:g} years": iv["by_horizon"][float(h)] for h in horizons},
                               **{f"RMST {k}": v for k, v in iv["rmst"].items()}}, index_name="quantity")
    return AdjustedChurnResult(
        summary=summary, method=method, notes=notes, horizon_years=float(horizon_years), risk_difference=rd,
        risk_ratio=rr, risk_failed=f, risk_succeeded=s,
        by_horizon={float(h): iv["by_horizon"][float(h)] for h in horizons}, rmst=iv["rmst"],
        e_value=e_value_pair(rr), confounders=design.confounders, balance=balance,
        propensity=pd.DataFrame({"propensity": ps, "group": np.where(failed, "failed", "succeeded")}),
        n_truncated=n_trunc, effective_n={"failed": effective_sample_size(w[failed]),
                                          "succeeded": effective_sample_size(w[~failed])},
        curves=pd.concat(curves, ignore_index=True),
    )
