"""Multivariable logistic regression of churn: odds ratios per SD with intervals and q-values.

Numeric factors are standardised (odds ratio per 1 SD), categoricals
dummy-coded against their largest level. Missing numeric values are imputed
with the median, plus a ``column[missing]`` indicator when more than
``missing_indicator_share`` is missing. Columns that alone separate churn
perfectly are left out (their odds ratio is infinite), exactly collinear
columns are dropped by a pivoted QR rank check, and near-collinear columns
(variance inflation factor above ``max_vif``) are reduced to one per group
before fitting: the earliest column of the group is kept, the others are
noted. With account ``groups`` the standard errors are cluster-robust by
account (statsmodels ``cov_type="cluster"``), since an account's repeated
decisions are not independent. An odds ratio whose interval spans more than a
factor ``unstable_span`` (1,000) is flagged unstable with a reason. If the fit
still fails a ridge-penalised fit gives point estimates without intervals.
Each of these events is a note. Used by :mod:`csresearch.analysis.churn_model`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
from statsmodels.discrete.discrete_model import Logit
from statsmodels.genmod.families import Binomial
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.tools import add_constant

from .intervals import bh_qvalues

__all__ = ["Design", "build_design", "drop_collinear", "drop_near_collinear", "drop_separating", "logit_odds_ratios",
           "variance_inflation"]

MAX_VIF = 100.0
UNSTABLE_SPAN = 1000.0


@dataclass
class Design:
    """A logistic-regression design: standardised numeric columns and dummies, and what it dropped."""

    matrix: pd.DataFrame
    origin: dict[str, str]
    notes: list[str] = field(default_factory=list)
    unavailable: dict[str, tuple[str, str]] = field(default_factory=dict)  # term -> (factor, reason)


def build_design(frame: pd.DataFrame, missing_indicator_share: float = 0.05) -> Design:
    """Standardise numeric factors (median-imputed), dummy-code categoricals against their largest level."""
    cols, origin, notes = {}, {}, []
    for c in frame.columns:
        s = frame[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            counts = s.value_counts()
            counts = counts[counts > 0]
            ref = sorted(counts.index, key=lambda v: (-counts[v], str(v)))[0]
            for level in sorted(counts.index, key=str):
                if level != ref:
                    term = f"{c}[{level}]"
                    cols[term], origin[term] = (s == level).astype("float64").to_numpy(), c
            if len(counts) > 1:
                notes.append(f"{c}: dummy-coded against its largest level {ref!r}")
            continue
        share = float(s.isna().mean())
        filled = s.fillna(s.median())
        sd = float(filled.std(ddof=1)) if len(filled) > 1 else 0.0
        if not np.isfinite(sd) or sd == 0:
            notes.append(f"{c}: constant after imputation; left out of the logistic model")
            continue
        cols[c], origin[c] = ((filled - filled.mean()) / sd).to_numpy(), c
        if share > missing_indicator_share:
            term = f"{c}[missing]"
            cols[term], origin[term] = s.isna().astype("float64").to_numpy(), c
            notes.append(f"{c}: {share:.1%} missing; median-imputed with a missing indicator {term}")
        elif share > 0:
            notes.append(f"{c}: {share:.1%} missing; median-imputed")
    return Design(pd.DataFrame(cols, index=frame.index), origin, notes)


def drop_separating(design: Design, y: np.ndarray) -> None:
    """Remove design columns that on their own separate churn (infinite odds ratio)."""
    for term in list(design.matrix.columns):
        x = design.matrix[term].to_numpy()
        x1, x0 = x[y == 1], x[y == 0]
        if x1.max() <= x0.min() or x1.min() >= x0.max():
            reason = "separates churn perfectly on its own (odds ratio infinite); left out of the logistic model"
            design.unavailable[term] = (design.origin[term], reason)
            design.notes.append(f"{term}: {reason}")
            design.matrix = design.matrix.drop(columns=term)


def drop_collinear(design: Design, tol: float = 1e-8) -> None:
    """Drop columns that are exact linear combinations of earlier ones (pivoted QR rank)."""
    if design.matrix.shape[1] == 0:
        return
    A = np.column_stack([np.ones(len(design.matrix)), design.matrix.to_numpy()])
    _, r, piv = scipy.linalg.qr(A, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int((diag > tol * diag[0]).sum())
    dropped = [design.matrix.columns[i - 1] for i in sorted(piv[rank:]) if i > 0]
    for term in dropped:
        reason = "exactly collinear with other columns; dropped from the logistic model"
        design.unavailable[term] = (design.origin[term], reason)
        design.notes.append(f"{term}: {reason}")
    design.matrix = design.matrix.drop(columns=dropped)


def variance_inflation(matrix: pd.DataFrame) -> pd.Series:
    """Variance inflation factor of each column: 1 / (1 - R^2) of its regression on the others (with intercept).

    A column explained exactly by the others gets ``inf``.
    """
    A = matrix.to_numpy(dtype="float64")
    out = {}
    for j, term in enumerate(matrix.columns):
        others = np.column_stack([np.ones(len(A)), np.delete(A, j, axis=1)])
        coef, *_ = np.linalg.lstsq(others, A[:, j], rcond=None)
        resid = A[:, j] - others @ coef
        tss = float(((A[:, j] - A[:, j].mean()) ** 2).sum())
        r2 = 1 - float(resid @ resid) / tss if tss > 0 else 1.0
        out[term] = np.inf if r2 >= 1 - 1e-15 else 1 / (1 - r2)
    return pd.Series(out, dtype="float64")


def drop_near_collinear(design: Design, max_vif: float = MAX_VIF) -> None:
    """Keep one column of each near-collinear group (VIF above ``max_vif``); note which was dropped for which.

    Repeatedly, among the columns whose VIF exceeds ``max_vif``, the last one
    in column order is dropped (so the earlier, e.g. ``tenure_years`` before
    ``renewal_number``, is kept); the note names the kept column it correlates
    with most.
    """
    while design.matrix.shape[1] > 1:
        vif = variance_inflation(design.matrix)
        high = [t for t in design.matrix.columns if vif[t] > max_vif]
        if not high:
            return
        term = high[-1]
        corr = design.matrix.drop(columns=term).corrwith(design.matrix[term]).abs()
        partner = str(corr.idxmax()) if corr.notna().any() else "the other factors"
        r = float(corr.max()) if corr.notna().any() else float("nan")
        if r >= 0.99:
            reason = (f"near-collinear with {partner} (VIF {vif[term]:,.0f} > {max_vif:g}, |r| = {r:.6f}); "
                      f"{partner} kept, {term} left out of the logistic model")
        else:
            reason = (f"near-collinear with a combination of other factors (VIF {vif[term]:,.0f} > {max_vif:g}; most "
                      f"correlated with {partner}, |r| = {r:.3f}); left out of the logistic model, the others kept")
        design.unavailable[term] = (design.origin[term], reason)
        design.notes.append(f"{term}: {reason}")
        design.matrix = design.matrix.drop(columns=term)


def _fit_logit(yv: np.ndarray, X: pd.DataFrame, groups: Any) -> tuple[Any, str | None]:
    """Maximum-likelihood logit, cluster-robust by ``groups`` when given; (fit, failure reason or None)."""
    kwargs = {} if groups is None else {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            fit = Logit(yv, X).fit(disp=0, maxiter=200, method="newton", **kwargs)
            if not fit.mle_retvals.get("converged", True) or not np.all(np.isfinite(fit.bse)):
                return fit, "did not converge"
        except Exception as exc:  # PerfectSeparation, singular Hessian, convergence warnings
            return None, f"{type(exc).__name__}: {exc}".split("\n")[0][:160]
    return fit, None


def logit_odds_ratios(frame: pd.DataFrame, y: pd.Series, missing_indicator_share: float = 0.05,
                      level: float = 0.95, *, groups: Any = None, max_vif: float = MAX_VIF,
                      unstable_span: float = UNSTABLE_SPAN) -> tuple[pd.DataFrame, list[str]]:
    """Fit the multivariable logistic model; return odds ratios per design term and notes.

    Parameters
    ----------
    frame : DataFrame
        Model frame (numeric float columns, categoricals as category).
    y : Series
        0/1 outcome.
    missing_indicator_share : float, default 0.05
    level : float, default 0.95
    groups : array-like, optional
        Account of each row: standard errors cluster-robust by account (when
        some account has more than one row).
    max_vif : float, default 100
        Near-collinearity limit (variance inflation factor).
    unstable_span : float, default 1000
        An interval with ci_high / ci_low above this is flagged ``unstable``.

    Returns
    -------
    odds_ratios : DataFrame
        Indexed by term (``column`` or ``column[level]``) with factor, estimate,
        ci_low, ci_high, p_value, q_value, reason, unstable.
    notes : list of str
    """
    yv = np.asarray(y, dtype="float64")
    design = build_design(frame, missing_indicator_share)
    drop_separating(design, yv)
    drop_collinear(design)
    drop_near_collinear(design, max_vif)
    X = add_constant(design.matrix, has_constant="add")
    rows: dict[str, dict[str, Any]] = {}
    g = None if groups is None else pd.factorize(pd.Series(np.asarray(groups)))[0]
    if g is not None and len(np.unique(g)) == len(g):
        g = None  # one row per account: nothing to cluster, the model-based intervals apply
    fit, failure = _fit_logit(yv, X, g)
    if failure is None:
        ci = fit.conf_int(alpha=1 - level)
        for term in design.matrix.columns:
            rows[term] = {"factor": design.origin[term], "estimate": np.exp(fit.params[term]),
                          "ci_low": np.exp(ci.loc[term, 0]), "ci_high": np.exp(ci.loc[term, 1]),
                          "p_value": fit.pvalues[term], "reason": None}
        wide = [t for t in design.matrix.columns if ci.loc[t, 1] - ci.loc[t, 0] > np.log(unstable_span)]
        for t in wide:
            rows[t]["reason"] = (f"unstable: the interval spans more than a factor {unstable_span:,.0f} (nearly "
                                 f"collinear with other factors or nearly separating); read the ranking instead")
            rows[t]["unstable"] = True
        if wide:
            design.notes.append(f"{', '.join(wide)}: odds-ratio interval spans more than a factor "
                                f"{unstable_span:,.0f}; flagged unstable and left out of the odds-ratio plot")
        if g is not None:
            design.notes.append(f"odds-ratio intervals cluster-robust by account ({len(np.unique(g))} accounts, "
                                f"{len(g)} decisions)")
    else:
        pen = GLM(yv, X, family=Binomial()).fit_regularized(alpha=1e-3, L1_wt=0.0)
        params = pd.Series(np.asarray(pen.params), index=X.columns)
        reason = "logistic fit failed (" + failure + "); ridge-penalised estimate without interval"
        design.notes.append("multivariable logistic model: " + reason)
        for term in design.matrix.columns:
            rows[term] = {"factor": design.origin[term], "estimate": np.exp(params[term]), "ci_low": np.nan,
                          "ci_high": np.nan, "p_value": np.nan, "reason": reason}
    for term, (factor, reason) in design.unavailable.items():
        rows[term] = {"factor": factor, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                      "p_value": np.nan, "reason": reason}
    out = pd.DataFrame.from_dict(rows, orient="index",
                                 columns=["factor", "estimate", "ci_low", "ci_high", "p_value", "reason", "unstable"])
    out["unstable"] = out["unstable"].fillna(False).astype(bool)
    out.index.name = "term"
    for c in ("estimate", "ci_low", "ci_high", "p_value"):
        out[c] = out[c].astype("float64")
    out["q_value"] = bh_qvalues(out["p_value"])
    return out[["factor", "estimate", "ci_low", "ci_high", "p_value", "q_value", "reason", "unstable"]], design.notes
