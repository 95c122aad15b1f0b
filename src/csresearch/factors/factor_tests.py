"""Which factors matter, linear or not: likelihood-ratio tests on a spline-expanded model.

Every numeric factor with at least ``MIN_SPLINE_VALUES`` distinct values enters
as a natural cubic regression spline (patsy ``cr``, ``SPLINE_DF`` degrees of
freedom, centred; median-imputed, plus the missing indicator of the linear
design), so a U-shaped or threshold effect is not averaged away as it is by
one odds ratio per SD. Other numeric factors are standardised, categoricals
dummy-coded against their largest level (the design of
:mod:`csresearch.analysis.odds_ratios`). The model is a logistic regression
(statsmodels ``Logit``) for a 0/1 outcome, or a Cox model (statsmodels
``PHReg``, Efron ties) for time to churn with censoring.

For each factor: the likelihood-ratio chi-square of dropping all its columns
(``chi2``, ``df``, ``p_value`` from the chi-square survival function, so tiny
p-values do not underflow to 0 as ``1 - cdf`` does), Benjamini-Hochberg
``q_value`` over the factors, and for splined factors the test of
non-linearity (spline against one linear term: ``nonlinear_p_value``).
"""

from __future__ import annotations

import warnings
from typing import Callable

import numpy as np
import pandas as pd
import patsy
from scipy import stats
from statsmodels.discrete.discrete_model import Logit
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.tools.tools import add_constant

from ..analysis.churn_model import model_frame
from ..analysis.intervals import bh_qvalues
from ..analysis.odds_ratios import Design, build_design, drop_collinear, drop_separating

__all__ = ["SPLINE_DF", "factor_tests", "spline_design"]

SPLINE_DF = 4
MIN_SPLINE_VALUES = 8
COLUMNS = ["chi2", "df", "p_value", "q_value", "nonlinear_chi2", "nonlinear_df", "nonlinear_p_value", "reason"]


def spline_design(X: pd.DataFrame, y: np.ndarray | None = None) -> tuple[Design, dict[str, list[str]]]:
    """The linear design with each many-valued numeric factor replaced by its spline basis.

    Returns
    -------
    (Design, dict)
        The design (``origin`` maps each column to its factor) and, per splined
        factor, its spline columns.
    """
    frame = model_frame(X)
    design = build_design(frame)
    if y is not None:
        drop_separating(design, y)
    cols, origin, splined = {}, {}, {}
    for term in design.matrix.columns:
        factor = design.origin[term]
        s = frame[factor]
        if term == factor and not isinstance(s.dtype, pd.CategoricalDtype) and s.nunique() >= MIN_SPLINE_VALUES:
            basis = np.asarray(patsy.dmatrix(f"cr(x, df={SPLINE_DF}, constraints='center') - 1",
                                             {"x": s.fillna(s.median()).to_numpy()}))
            basis = (basis - basis.mean(axis=0)) / basis.std(axis=0)
            names = [f"{factor}~s{j + 1}" for j in range(basis.shape[1])]
            for j, name in enumerate(names):
                cols[name], origin[name] = basis[:, j], factor
            splined[factor] = names
        else:
            cols[term], origin[term] = design.matrix[term].to_numpy(), factor
    out = Design(pd.DataFrame(cols, index=X.index), origin, design.notes, design.unavailable)
    drop_collinear(out)
    splined = {f: [c for c in names if c in out.matrix.columns] for f, names in splined.items()}
    return out, splined


def _loglik(fit_fn: Callable[[np.ndarray], float], M: pd.DataFrame) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            llf = float(fit_fn(M.to_numpy()))
        except (np.linalg.LinAlgError, ValueError, OverflowError):
            return float("nan")
    return llf if np.isfinite(llf) else float("nan")


def _fitter(y: np.ndarray, duration: np.ndarray | None) -> Callable[[np.ndarray], float]:
    if duration is None:
        def fit(A: np.ndarray) -> float:
            res = Logit(y, add_constant(A, has_constant="add")).fit(disp=0, method="newton", maxiter=100)
            return res.llf if res.mle_retvals.get("converged", True) else float("nan")
        return fit

    def fit_cox(A: np.ndarray) -> float:
        if A.shape[1] == 0:  # the partial likelihood at beta = 0 does not depend on the covariates
            return PHReg(duration, np.zeros((len(y), 1)), status=y, ties="efron").loglike(np.zeros(1))
        return PHReg(duration, A, status=y, ties="efron").fit(disp=0).llf
    return fit_cox


def _lr(full: float, reduced: float, df: int) -> tuple[float, float]:
    if not (np.isfinite(full) and np.isfinite(reduced)) or df <= 0:
        return float("nan"), float("nan")
    chi2 = max(2.0 * (full - reduced), 0.0)
    return chi2, float(stats.chi2.sf(chi2, df))


def factor_tests(X: pd.DataFrame, y: np.ndarray, duration: np.ndarray | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Likelihood-ratio test of each factor (all its columns) in the spline-expanded model.

    Parameters
    ----------
    X : DataFrame
        Cleaned factor columns.
    y : ndarray of 0/1
        Churned (with ``duration``: the event; 0 = censored).
    duration : ndarray, optional
        Time observed; a Cox model when given, else a logistic model.

    Returns
    -------
    (DataFrame, notes)
        Indexed by factor, most significant first (p-value, then chi-square):
        chi2, df, p_value, q_value, nonlinear_chi2, nonlinear_df, nonlinear_p_value, reason.
    """
    yv = np.asarray(y, dtype="float64")
    design, splined = spline_design(X, yv if duration is None else None)
    M, fit = design.matrix, _fitter(yv, duration)
    full = _loglik(fit, M)
    lin = build_design(model_frame(X)).matrix
    rows = {}
    for factor in X.columns:
        own = [c for c in M.columns if design.origin[c] == factor]
        chi2, p = _lr(full, _loglik(fit, M.drop(columns=own)), len(own))
        row = {"chi2": chi2, "df": len(own), "p_value": p, "nonlinear_chi2": np.nan, "nonlinear_df": np.nan,
               "nonlinear_p_value": np.nan, "reason": None}
        if len(splined.get(factor, [])) > 1 and factor in lin:
            linear = M.drop(columns=splined[factor]).assign(**{factor: lin[factor].to_numpy()})
            k = len(splined[factor]) - 1
            row["nonlinear_chi2"], row["nonlinear_p_value"] = _lr(full, _loglik(fit, linear), k)
            row["nonlinear_df"] = k
        if not own:
            row["reason"] = "no column of this factor is left in the model (constant, separating or collinear)"
        elif not np.isfinite(p):
            row["reason"] = "model did not converge (separation or too few events)"
        rows[factor] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out["q_value"] = bh_qvalues(out["p_value"])
    out = out.assign(_neg=-out["chi2"]).sort_values(["p_value", "_neg"], na_position="last").drop(columns="_neg")
    out.index.name = "factor"
    model = "Cox (PHReg, Efron ties)" if duration is not None else "logistic (Logit)"
    notes = [f"{f}: significant non-linear effect (spline vs linear likelihood-ratio p = {r.nonlinear_p_value:.2g}); "
             f"one odds/hazard ratio per SD does not describe it, see the churn rate by decile"
             for f, r in out.iterrows() if r.nonlinear_p_value < 0.05 and r.q_value < 0.05]
    if not np.isfinite(full):
        notes.append(f"spline-expanded {model} model did not converge; factor tests unavailable")
    return out[COLUMNS], notes
