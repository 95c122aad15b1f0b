"""Attributable fraction of churn: how much churn would fall if every account met its KPI targets.

Estimand. For renewal decisions ``i`` with features ``X_i`` observed ``lead``
days ahead, an intervention ``d`` moves each KPI of the node to its target
for the decisions that miss it (``x -> max(x, t)`` for a KPI to keep at or
above ``t``, ``x -> min(x, t)`` for one to keep below ``t``; missing values
and the other features stay as observed). The attributable fraction is

    AF(d) = 1 - sum_i P(churn | d(X_i)) / sum_i P(churn | X_i),

the share of the expected churn of these decisions that would not happen
under ``d`` (standardisation, also called g-computation, over the observed
decisions). ``P(churn | X)`` is a main-effects logistic regression of churn on
every factor (standardised numeric features, median-imputed with a missing
indicator above 5% missing, categoricals dummy-coded against their largest
level; :func:`csresearch.analysis.odds_ratios.build_design`) in which each
moved KPI with more than two values also enters as a restricted cubic spline
(knots at its 5th, 35th, 65th and 95th percentiles), so that the churn risk
may bend where the target sits; fitted by Newton-Raphson with a small ridge. It is a causal statement only if the KPI
itself drives churn and the model's factors hold every common cause; with a
KPI that is a symptom or a proxy of a driver it says how much churn goes with
missing the target, not how much meeting it would prevent.

Interval. Account-cluster percentile bootstrap with the suite's resample
weights (:func:`csresearch.analysis.intervals.bootstrap_weights`): in each
resample the logistic fit is updated by one weighted Newton step from the
full-data fit with the full-data information matrix (a linearised
bootstrap, asymptotically equivalent to refitting; checked against
simulated truth in tests/test_kpi_tree.py)
and the standardisation is repeated with the resample's weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg

from ..errors import AnalysisError
from .churn_model import model_frame
from .intervals import _bootstrap_method, _percentile_interval, bootstrap_weights
from .odds_ratios import build_design, drop_collinear
from .results import AnalysisResult, Interval

__all__ = ["AttributableResult", "Move", "attributable_fractions", "moved_values"]

RIDGE = 1e-4
METHOD = ("attributable fraction = 1 - sum P(churn | KPIs moved to their targets) / sum P(churn | as observed) over the "
          "renewal decisions (standardisation / g-computation); P from a logistic regression of churn on every factor "
          "(standardised, median-imputed with missing indicators, dummies; the KPIs as restricted cubic splines with 4 "
          "knots); {interval}")
INTERVAL = ("account-cluster percentile bootstrap ({n_boot} resamples; per resample one Newton step of the fit from the "
            "full-data estimate: a linearised bootstrap)")

#: A KPI move: (feature, direction, target); direction "above" = keep at or above the target, "below" = keep below it.
Move = tuple[str, str, float]


def moved_values(x: np.ndarray, direction: str, target: float) -> np.ndarray:
    """The values after the intervention: misses moved to the target, the rest (and missing values) unchanged."""
    x = np.asarray(x, dtype="float64")
    moved = np.maximum(x, target) if direction == "above" else np.minimum(x, target)
    return np.where(np.isfinite(x), moved, x)


@dataclass
class AttributableResult(AnalysisResult):
    """Attributable fractions of churn, one per intervention (KPI or group of KPIs).

    Attributes
    ----------
    summary : DataFrame
        Per intervention: estimate, ci_low, ci_high, n_moved (decisions that
        miss a target), observed_risk and counterfactual_risk (mean predicted churn).
    fractions : dict of str to Interval
    reasons : dict of str to str
        Interventions that could not be estimated, with why.
    """

    fractions: dict[str, Interval] | None = None
    reasons: dict[str, str] | None = None
    title = "Attributable fraction of churn"


def spline_terms(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """The nonlinear columns of a restricted (natural) cubic spline in ``x`` with ``knots`` (Harrell's form, scaled).

    ``len(knots) - 2`` columns, linear beyond the outer knots; the linear term is ``x`` itself.
    """
    t = np.asarray(knots, dtype="float64")
    k = len(t)
    scale = (t[-1] - t[0]) ** 2
    cube = lambda u: np.clip(u, 0, None) ** 3
    cols = [(cube(x - t[j]) - cube(x - t[k - 2]) * (t[-1] - t[j]) / (t[-1] - t[k - 2])
             + cube(x - t[-1]) * (t[k - 2] - t[j]) / (t[-1] - t[k - 2])) / scale for j in range(k - 2)]
    return np.column_stack(cols) if cols else np.empty((len(x), 0))


def spline_knots(x: np.ndarray) -> np.ndarray:
    """Knots at the 5th, 35th, 65th and 95th percentiles of the finite values (fewer when they tie; none below 3)."""
    v = x[np.isfinite(x)]
    knots = np.unique(np.quantile(v, [0.05, 0.35, 0.65, 0.95])) if len(v) else np.array([])
    return knots if len(knots) >= 3 else np.array([])


def _fit(X: np.ndarray, y: np.ndarray, max_iter: int = 50) -> np.ndarray:
    """Ridge-stabilised logistic regression by Newton-Raphson (the intercept unpenalised)."""
    pen = np.full(X.shape[1], RIDGE)
    pen[0] = 0.0
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(max(y.mean(), 1e-6) / max(1 - y.mean(), 1e-6))
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(X @ beta)))
        grad = X.T @ (y - p) - pen * beta
        hess = (X * (p * (1 - p))[:, None]).T @ X + np.diag(pen)
        step = scipy.linalg.solve(hess, grad, assume_a="pos")
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


@dataclass(frozen=True)
class _Basis:
    """How a KPI enters the design: its linear column and spline columns (indices into X), standardised."""

    cols: tuple[int, ...]
    center: np.ndarray
    scale: np.ndarray
    knots: np.ndarray

    def values(self, x: np.ndarray) -> np.ndarray:
        """The standardised basis columns at ``x`` (NaN rows stay NaN)."""
        raw = np.column_stack([x, spline_terms(x, self.knots)]) if len(self.knots) else x[:, None]
        return (raw - self.center) / self.scale


def _add_splines(X: np.ndarray, rows: pd.DataFrame, cols: list[str], features: set[str]) -> tuple[np.ndarray, dict]:
    """X with restricted cubic spline columns for each moved numeric KPI, and each KPI's :class:`_Basis`."""
    bases, extra = {}, []
    for f in sorted(features):
        if f not in cols:
            continue
        x = rows[f].to_numpy(dtype="float64", na_value=np.nan)
        filled = np.where(np.isfinite(x), x, np.nanmedian(x))
        knots = spline_knots(x) if len(np.unique(x[np.isfinite(x)])) > 2 else np.array([])
        raw = np.column_stack([filled, spline_terms(filled, knots)]) if len(knots) else filled[:, None]
        center, scale = raw.mean(axis=0), raw.std(axis=0, ddof=1)
        scale = np.where(scale > 0, scale, 1.0)
        idx = [1 + cols.index(f)] + [X.shape[1] + len(extra) + j for j in range(raw.shape[1] - 1)]
        extra.extend(((raw[:, 1:] - center[1:]) / scale[1:]).T)
        bases[f] = _Basis(tuple(idx), center, scale, knots)
    return (np.column_stack([X, *extra]) if extra else X), bases


@dataclass(frozen=True)
class _Shift:
    """An intervention on the design: the rows it changes, the columns, and the change (rows x columns)."""

    rows: np.ndarray
    cols: np.ndarray
    delta: np.ndarray


def _shifts(rows: pd.DataFrame, width: int, bases: Mapping[str, _Basis],
            interventions: Mapping[str, Sequence[Move]]) -> tuple[dict[str, _Shift], dict[str, int], dict[str, str]]:
    """Per intervention: the change of the design (:class:`_Shift`), the decisions moved, or why it cannot be done."""
    shifts, moved, reasons = {}, {}, {}
    for name, moves in interventions.items():
        changes: dict[int, np.ndarray] = {}
        hit = np.zeros(len(rows), dtype=bool)
        for feature, direction, target in moves:
            if feature not in bases:
                reasons[name] = f"{feature} is not in the churn model (constant, collinear or absent)"
                break
            if target is None or not np.isfinite(target):
                reasons[name] = f"{feature} has no target"
                break
            x = rows[feature].to_numpy(dtype="float64", na_value=np.nan)
            new = moved_values(x, direction, float(target))
            basis = bases[feature]
            for col, change in zip(basis.cols, np.nan_to_num(basis.values(new) - basis.values(x)).T):
                changes[col] = changes.get(col, 0.0) + change
            hit |= np.nan_to_num(new - x) != 0
        if name not in reasons:
            cols = np.array(sorted(changes), dtype=int)
            idx = np.flatnonzero(hit)
            delta = np.column_stack([changes[c][idx] for c in cols]) if len(cols) else np.zeros((len(idx), 0))
            shifts[name], moved[name] = _Shift(idx, cols, delta), int(hit.sum())
    return shifts, moved, reasons


def _statistics(X: np.ndarray, y: np.ndarray, beta: np.ndarray, info: np.ndarray, W: np.ndarray,
                shifts: Mapping[str, _Shift]) -> np.ndarray:
    """(b, m) attributable fractions, one row per resample weight vector in ``W`` (b, n), one column per intervention.

    Each resample's coefficients are one Newton step from the full-data fit
    ``beta`` with the resample's score and the full-data information ``info``
    (a linearised bootstrap); with weights 1 the step is zero. Only the rows an
    intervention moves are predicted again.
    """
    p = 1.0 / (1.0 + np.exp(-(X @ beta)))
    pen = np.full(X.shape[1], RIDGE)
    pen[0] = 0.0
    scores = X.T @ (W * (y - p)).T - (pen * beta)[:, None]
    B = beta[:, None] + scipy.linalg.solve(info, scores, assume_a="pos")
    eta = X @ B
    risk = 1.0 / (1.0 + np.exp(-eta))
    observed = np.einsum("bn,nb->b", W, risk)
    out = np.empty((W.shape[0], len(shifts)))
    for j, sh in enumerate(shifts.values()):
        w = W[:, sh.rows]
        new = 1.0 / (1.0 + np.exp(-(eta[sh.rows] + sh.delta @ B[sh.cols])))
        moved = observed - np.einsum("bn,nb->b", w, risk[sh.rows]) + np.einsum("bn,nb->b", w, new)
        out[:, j] = 1.0 - moved / observed
    return out


def attributable_fractions(*args: Any, **kwargs: Any) -> AttributableResult:
    """:func:`_attributable_fractions` on one thread (BLAS threads on a shared machine slow the small products)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _attributable_fractions(*args, **kwargs)


def _attributable_fractions(frame: pd.DataFrame, label: str, factors: Sequence[str],
                           interventions: Mapping[str, Sequence[Move]], *, groups: Sequence[Any] | None = None,
                           n_boot: int = 200, seed: int = 0, level: float = 0.95) -> AttributableResult:
    """Attributable fraction of churn of each intervention, with an account-cluster bootstrap interval.

    Parameters
    ----------
    frame : DataFrame
        One row per renewal decision: the factor columns and the 0/1 ``label``.
    label : str
    factors : sequence of str
        Columns of the churn model (numeric or categorical).
    interventions : mapping of str to sequence of Move
        Name -> the KPIs moved together: ``(feature, "above" | "below", target)``.
    groups : sequence, optional
        Account of each row (clusters of the bootstrap); None = rows.
    n_boot, seed, level
        Bootstrap settings.

    Returns
    -------
    AttributableResult
    """
    keep = frame[label].notna().to_numpy()
    rows = frame[keep]
    y = rows[label].to_numpy(dtype="float64")
    if len(y) < 20 or y.min() == y.max():
        raise AnalysisError("the attributable fraction needs at least 20 decisions with both outcomes")
    design = build_design(model_frame(rows[list(factors)]))
    drop_collinear(design)
    cols = list(design.matrix.columns)
    X = np.column_stack([np.ones(len(y)), design.matrix.to_numpy(dtype="float64")])
    X, bases = _add_splines(X, rows, cols, {m[0] for moves in interventions.values() for m in moves})
    shifts, moved, reasons = _shifts(rows, X.shape[1], bases, interventions)
    beta = _fit(X, y)
    p = 1.0 / (1.0 + np.exp(-(X @ beta)))
    info = (X * (p * (1 - p))[:, None]).T @ X + np.diag(np.r_[0.0, np.full(X.shape[1] - 1, RIDGE)])
    method = METHOD.format(interval=_bootstrap_method(n_boot, seed, groups, level, INTERVAL.format(n_boot=n_boot)))
    estimate = _statistics(X, y, beta, info, np.ones((1, len(y))), shifts)[0]
    g = None if groups is None else np.asarray(groups)[keep]
    n_units = len(y) if g is None else int(pd.Series(g).nunique())
    draws = np.concatenate([_statistics(X, y, beta, info, W, shifts)
                            for W in bootstrap_weights(len(y), n_boot, seed, g, max_cells=1 << 21)])
    p_obs = p
    fractions, table = {}, []
    for j, name in enumerate(shifts):
        iv = _percentile_interval(float(estimate[j]), draws[:, j], n_boot, n_units, level, method)
        fractions[name] = iv
        table.append({"intervention": name, "estimate": iv.estimate, "ci_low": iv.ci_low, "ci_high": iv.ci_high,
                      "n_moved": moved[name], "observed_risk": float(p_obs.mean()),
                      "counterfactual_risk": float(p_obs.mean() * (1 - estimate[j]))})
    summary = pd.DataFrame(table, columns=["intervention", "estimate", "ci_low", "ci_high", "n_moved", "observed_risk",
                                           "counterfactual_risk"]).set_index("intervention")
    return AttributableResult(summary=summary, method=method, notes=list(design.notes), fractions=fractions,
                              reasons=reasons)
