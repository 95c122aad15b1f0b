"""Inverse-probability weighting: confounder design, propensity, stabilised weights, balance, E-value.

The building blocks of :mod:`csresearch.analysis.causal` and of the weighted
health comparison: a numeric design matrix of the characteristics known at
signup (categoricals as indicator columns with missing as its own level,
numbers with a missing indicator and the median filled in), a logistic
propensity model, stabilised weights from truncated propensities, standardised
mean differences, the effective sample size, a weighted Kaplan-Meier curve and
the E-value (VanderWeele & Ding 2017).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.linalg import cho_factor, cho_solve
from scipy.special import expit

from ..errors import ParameterError

__all__ = [
    "Design",
    "confounder_design",
    "e_value",
    "effective_sample_size",
    "propensity_model",
    "propensity_scores",
    "stabilised_weights",
    "standardised_differences",
    "weighted_km",
]

#: Propensities are truncated to this range before weighting (accounts affected are counted).
PROPENSITY_BOUNDS = (0.01, 0.99)


@dataclass
class Design:
    """Numeric confounder matrix.

    Attributes
    ----------
    matrix : DataFrame
        One column per indicator / numeric confounder, no intercept.
    confounders : list of str
        The source columns used.
    notes : list of str
        Missing values handled, columns absent or constant.
    """

    matrix: pd.DataFrame
    confounders: list[str]
    notes: list[str]


def _numeric_block(name: str, values: pd.Series, notes: list[str]) -> pd.DataFrame:
    x = pd.to_numeric(values, errors="coerce").astype("float64")
    miss = x.isna()
    out = pd.DataFrame({name: x.fillna(x.median() if (~miss).any() else 0.0)}, index=values.index)
    if miss.any():
        out[f"{name}_missing"] = miss.astype("float64")
        notes.append(f"{name}: {int(miss.sum())} missing value(s) set to the median, with a missing indicator")
    return out


def _categorical_block(name: str, values: pd.Series, notes: list[str]) -> pd.DataFrame:
    miss = values.isna()
    labels = values.astype("object").where(~miss, "missing").astype(str)
    if miss.any():
        notes.append(f"{name}: {int(miss.sum())} missing value(s) form their own level")
    dummies = pd.get_dummies(labels, prefix=name, dtype="float64")
    return dummies.iloc[:, 1:] if dummies.shape[1] > 1 else dummies.iloc[:, :0]


def confounder_design(frame: pd.DataFrame, categorical: Sequence[str], numeric: Sequence[str]) -> Design:
    """Indicator and numeric columns of the confounders ``frame`` has (absent or constant ones noted and skipped).

    Parameters
    ----------
    frame : DataFrame
        One row per unit.
    categorical : sequence of str
        Columns coded as indicators of all levels but the first (missing = own level).
    numeric : sequence of str
        Numeric columns (already transformed, e.g. logged); missing values get
        the median and a ``<name>_missing`` indicator.

    Returns
    -------
    Design
    """
    notes: list[str] = []
    blocks, used = [], []
    for name in [*categorical, *numeric]:
        if name not in frame.columns or frame[name].isna().all():
            notes.append(f"{name}: not in the data; not adjusted for it")
            continue
        block = (_categorical_block if name in categorical else _numeric_block)(name, frame[name], notes)
        block = block.loc[:, block.nunique() > 1]
        if block.shape[1] == 0:
            notes.append(f"{name}: the same for every account; nothing to adjust")
            continue
        blocks.append(block)
        used.append(name)
    matrix = pd.concat(blocks, axis=1) if blocks else pd.DataFrame(index=frame.index)
    return Design(matrix=matrix, confounders=used, notes=notes)


def _logistic_l2(x: np.ndarray, t: np.ndarray, sw: np.ndarray, c: float, start: np.ndarray | None,
                 tol: float = 1e-10, max_iter: int = 100) -> np.ndarray:
    """Intercept and coefficients minimising ``sum sw * logloss + |coef|^2 / (2 c)`` (intercept unpenalised).

    Newton's method with step halving, to a step below ``tol``: the exact
    optimum of scikit-learn's ``LogisticRegression(C=c)`` objective with
    sample weights ``sw`` (its solvers stop earlier, at their ``tol``).
    """
    design = np.column_stack([np.ones(len(t)), x])
    pen = np.full(design.shape[1], 1.0 / c)
    pen[0] = 0.0
    beta = np.zeros(design.shape[1]) if start is None else np.array(start, dtype="float64")

    def loss(b: np.ndarray) -> float:
        z = design @ b
        return float(np.sum(sw * (np.logaddexp(0.0, z) - t * z)) + 0.5 * np.sum(pen * b * b))

    current = loss(beta)
    for _ in range(max_iter):
        mu = expit(design @ beta)
        grad = design.T @ (sw * (mu - t)) + pen * beta
        hess = (design.T * (sw * mu * (1.0 - mu))) @ design + np.diag(pen)
        step = cho_solve(cho_factor(hess), grad)
        size = 1.0
        while True:
            trial = beta - size * step
            value = loss(trial)
            if value <= current + 1e-12 * abs(current) or size < 1e-8:
                break
            size /= 2
        beta, current = trial, value
        if np.max(np.abs(size * step)) < tol:
            break
    return beta


def propensity_model(matrix: np.ndarray, treated: np.ndarray, sample_weight: np.ndarray | None = None,
                     start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Propensities and the fitted coefficients of :func:`propensity_scores` (``start``: a warm start).

    ``sample_weight`` (e.g. how many times each row is in a bootstrap
    resample) gives exactly the fit of the data with every row repeated that
    often: the columns are standardised with weighted means and standard
    deviations and the log-likelihood is weighted.
    """
    t = np.asarray(treated, dtype="float64")
    if t.min() == t.max():
        raise ParameterError("propensity_scores: every unit is in one group")
    sw = np.ones(len(t)) if sample_weight is None else np.asarray(sample_weight, dtype="float64")
    x = np.asarray(matrix, dtype="float64")
    if x.shape[1] == 0:
        return np.full(len(t), np.average(t, weights=sw)), np.zeros(1)
    mean = np.average(x, axis=0, weights=sw)
    sd = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=sw))
    x = (x - mean) / np.where(sd > 0, sd, 1.0)
    beta = _logistic_l2(x, t, sw, 100.0, start)
    return expit(beta[0] + x @ beta[1:]), beta


def propensity_scores(matrix: np.ndarray, treated: np.ndarray, sample_weight: np.ndarray | None = None) -> np.ndarray:
    """P(treated | confounders) from a logistic regression on standardised columns (L2, C = 100).

    The light penalty keeps the fit finite under separation (a level where
    every account failed); with no columns the propensity is the overall share.
    The fit is scikit-learn's ``LogisticRegression(C=100)`` objective solved to
    convergence (:func:`_logistic_l2`); ``sample_weight`` as in :func:`propensity_model`.
    """
    return propensity_model(matrix, treated, sample_weight)[0]


def stabilised_weights(propensity: np.ndarray, treated: np.ndarray,
                       bounds: tuple[float, float] = PROPENSITY_BOUNDS,
                       sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Stabilised inverse-probability weights ``P(A=a) / P(A=a | X)`` from truncated propensities.

    ``P(A=a)`` is the (``sample_weight``-weighted) share of each group.

    Returns
    -------
    (weights, n_truncated) : (ndarray, int)
        ``n_truncated`` = units whose propensity lay outside ``bounds`` and was set to the bound.
    """
    e = np.asarray(propensity, dtype="float64")
    t = np.asarray(treated, dtype=bool)
    clipped = np.clip(e, *bounds)
    n_truncated = int((clipped != e).sum())
    share = t.mean() if sample_weight is None else np.average(t, weights=sample_weight)
    w = np.where(t, share / clipped, (1 - share) / (1 - clipped))
    return w, n_truncated


def _weighted_mean_var(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = np.average(x, axis=0, weights=w)
    v = np.average((x - m) ** 2, axis=0, weights=w)
    return m, v


def standardised_differences(matrix: pd.DataFrame, treated: np.ndarray, weights: np.ndarray | None = None) -> pd.Series:
    """Standardised mean difference (treated - control) of every column, optionally weighted.

    The denominator is the unweighted pooled standard deviation
    ``sqrt((var1 + var0) / 2)`` in both cases, so that before and after are on
    one scale (Austin 2009); a constant column gives 0.
    """
    x = matrix.to_numpy(dtype="float64")
    t = np.asarray(treated, dtype=bool)
    w = np.ones(len(t)) if weights is None else np.asarray(weights, dtype="float64")
    m1, _ = _weighted_mean_var(x[t], w[t])
    m0, _ = _weighted_mean_var(x[~t], w[~t])
    sd = np.sqrt((x[t].var(axis=0) + x[~t].var(axis=0)) / 2)
    smd = np.where(sd > 0, (m1 - m0) / np.where(sd > 0, sd, 1.0), 0.0)
    return pd.Series(smd, index=matrix.columns, name="smd")


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2``."""
    w = np.asarray(weights, dtype="float64")
    return float(w.sum() ** 2 / (w**2).sum()) if len(w) and (w**2).sum() > 0 else 0.0


def weighted_km(durations: np.ndarray, events: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted Kaplan-Meier survival: event times and ``S(t)`` just after each.

    At each distinct event time ``S`` drops by the factor ``1 - d_w / n_w``
    (weighted events over weighted number at risk).

    Returns
    -------
    (times, survival) : (ndarray, ndarray)
        Distinct event times ascending and the survival after each.
    """
    t = np.asarray(durations, dtype="float64")
    e = np.asarray(events, dtype=bool)
    w = np.asarray(weights, dtype="float64")
    order = np.argsort(t, kind="stable")
    t, e, w = t[order], e[order], w[order]
    at_risk = np.cumsum(w[::-1])[::-1]  # weight with time >= t[i], for the first row of each tied time
    times, first = np.unique(t, return_index=True)
    died = np.bincount(np.searchsorted(times, t[e]), weights=w[e], minlength=len(times))
    keep = died > 0
    factor = 1 - died[keep] / at_risk[first][keep]
    return times[keep], np.cumprod(factor)


def survival_at(times: np.ndarray, survival: np.ndarray, at: float) -> float:
    """Step-function value of a KM curve at ``at`` (1 before the first event)."""
    i = np.searchsorted(times, at, side="right") - 1
    return 1.0 if i < 0 else float(survival[i])


def restricted_mean(times: np.ndarray, survival: np.ndarray, horizon: float) -> float:
    """Area under the KM step curve from 0 to ``horizon`` (restricted mean event-free time)."""
    keep = times < horizon
    knots = np.r_[0.0, times[keep], horizon]
    heights = np.r_[1.0, survival[keep]]
    return float(np.sum(np.diff(knots) * heights))


def e_value(rr: float | None) -> float | None:
    """E-value of a risk ratio: ``RR + sqrt(RR (RR - 1))`` after inverting a ratio below 1; None when missing."""
    if rr is None or not np.isfinite(rr) or rr <= 0:
        return None
    r = rr if rr >= 1 else 1 / rr
    return float(r + np.sqrt(r * (r - 1)))
