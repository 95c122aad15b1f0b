"""Survival section of the flat-table factor report (``--duration``).

Kaplan-Meier survival overall and by the top categorical (or 0/1) factors at a
few times with log-log 95% intervals (statsmodels ``SurvfuncRight`` through
:func:`csresearch.analysis.survival.kaplan_meier`), log-rank tests, and a Cox
proportional-hazards model (statsmodels ``PHReg``, Efron ties) on the same
standardised design as the logistic model: hazard ratios per 1 SD / per level
against the largest level, with Wald 95% intervals. Log-rank p-values come from
the chi-square survival function (``1 - cdf`` underflows to 0 below about 1e-16).

Also here: the churn rate with censoring (:func:`km_churn_rate`, the
Kaplan-Meier cumulative churn at the longest follow-up) and the fixed horizon
at which the binary models (logistic, gradient boosting, univariate rates,
KPIs) see each row's status (:func:`horizon_status`).
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg

from ..analysis.churn_model import is_categorical, model_frame
from ..analysis.intervals import bh_qvalues
from ..analysis.odds_ratios import build_design, drop_collinear
from ..analysis.results import Interval
from ..analysis.survival import kaplan_meier, logrank_test
from ..errors import InputError
from .cleaning import MIN_PER_CLASS

__all__ = ["survival_section", "km_times", "km_churn_rate", "horizon_status", "MAX_CENSORED_SHARE"]

MAX_GROUP_FACTORS = 3
MAX_CENSORED_SHARE = 0.2


def km_churn_rate(duration: np.ndarray, churned: np.ndarray) -> Interval:
    """Kaplan-Meier cumulative churn ``1 - S(t_max)`` at the longest follow-up, log-log 95% interval."""
    horizon = float(np.max(duration))
    return kaplan_meier(duration, churned, horizon=horizon).incidence["all"]


def horizon_status(duration: np.ndarray, churned: np.ndarray,
                   max_censored_share: float = MAX_CENSORED_SHARE) -> tuple[float, np.ndarray, np.ndarray, str]:
    """Churn within a fixed horizon tau, for the models that need a 0/1 outcome.

    A row churned by tau when it churned at a time <= tau; it is known not to
    have churned by tau when followed to tau or beyond without churning by then;
    a row censored before tau has an unknown status and is left out. tau is the
    longest observed time at which at most ``max_censored_share`` of the rows are
    censored before it and both classes keep 20 rows.

    Returns
    -------
    (tau, known, y_tau, note)
        The horizon, the mask of rows with known status, 0/1 churn by tau (for all
        rows; meaningful where ``known``), and a note saying what was done.
    """
    t, e = np.asarray(duration, dtype="float64"), np.asarray(churned, dtype="int64")
    for tau in np.unique(t)[::-1]:
        y_tau = ((e == 1) & (t <= tau)).astype("int64")
        known = (t >= tau) | (y_tau == 1)
        counts = np.bincount(y_tau[known], minlength=2)
        if (~known).mean() <= max_censored_share and counts.min() >= MIN_PER_CLASS:
            note = (f"binary models (logistic odds ratios, cross-validated AUC, univariate rates, KPIs) describe churn "
                    f"within {tau:g} of the duration: status known for {int(known.sum())} rows ({int(counts[1])} "
                    f"churned by then); {int((~known).sum())} rows censored earlier are left out of them (their "
                    f"status is unknown); the churn rate, survival curves and the Cox ranking use every row")
            return float(tau), known, y_tau, note
    raise InputError(f"no horizon leaves {MIN_PER_CLASS} churned and {MIN_PER_CLASS} retained rows with at most "
                     f"{max_censored_share:.0%} censored before it; too few events or too much early censoring")


def km_times(duration: np.ndarray, n: int = 4) -> list[float]:
    """``n`` evenly spaced report times up to the longest observed duration."""
    tmax = float(np.max(duration))
    return sorted({round(t, 6) for t in np.linspace(0, tmax, n + 1)[1:]})


def _km_values(t: np.ndarray, e: np.ndarray, groups: Any, times: Sequence[float]) -> dict[str, dict[str, Any]]:
    """Survival S(time) with interval per group and time, from the KM cumulative incidence."""
    out: dict[str, dict[str, Any]] = {}
    for time in times:
        km = kaplan_meier(t, e, groups=groups, horizon=time)
        for g, inc in km.incidence.items():
            d = {"time": time, "n": inc.n}
            if inc.estimate is None:
                d.update({"estimate": None, "ci_low": None, "ci_high": None, "reason": inc.reason})
            else:
                d.update({"estimate": 1 - inc.estimate,
                          "ci_low": None if inc.ci_high is None else 1 - inc.ci_high,
                          "ci_high": None if inc.ci_low is None else 1 - inc.ci_low})
            out.setdefault(str(g), {"values": []})["values"].append(d)
    return out


def _cox(X: pd.DataFrame, t: np.ndarray, e: np.ndarray) -> tuple[dict[str, dict[str, Any]], list[str]]:
    design = build_design(model_frame(X))
    drop_collinear(design)
    notes = [n for n in design.notes if "collinear" in n]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = PHReg(t, design.matrix.to_numpy(), status=e, ties="efron").fit(disp=0)
        ci = np.exp(fit.conf_int())
        hr = {term: {"estimate": float(np.exp(fit.params[i])), "ci_low": float(ci[i, 0]),
                     "ci_high": float(ci[i, 1]), "p_value": float(fit.pvalues[i])}
              for i, term in enumerate(design.matrix.columns)}
        for v, q in zip(hr.values(), bh_qvalues([v["p_value"] for v in hr.values()])):
            v["q_value"] = float(q)
        bad = [k for k, v in hr.items() if not np.isfinite([v["ci_low"], v["ci_high"]]).all()]
        if bad:
            notes.append(f"Cox model: intervals not finite for {bad} (separation or too few events)")
        return hr, notes
    except (np.linalg.LinAlgError, ValueError) as exc:
        return {}, [f"Cox model could not be fitted: {exc}"]


def survival_section(X: pd.DataFrame, y: np.ndarray, duration: np.ndarray, ranking: Sequence[str],
                     duration_name: str) -> dict[str, Any]:
    """Kaplan-Meier, log-rank and Cox results for the JSON ``survival`` section.

    Parameters
    ----------
    X : DataFrame
        Cleaned factor columns.
    y : ndarray
        1 = churned (the event), 0 = censored at ``duration``.
    duration : ndarray
        Time observed.
    ranking : sequence of str
        Factors, most important first (the top categorical ones get KM curves).
    duration_name : str
        Name of the duration column (for the text).
    """
    times = km_times(duration)
    section: dict[str, Any] = {"duration": duration_name, "times": times,
                               "method": "Kaplan-Meier (log-log 95% CI), log-rank test, Cox PH (Efron ties, Wald CI)"}
    section["overall"] = _km_values(duration, y, None, times)["all"]["values"]
    by_factor = [c for c in ranking if is_categorical(X[c]) or X[c].nunique() == 2][:MAX_GROUP_FACTORS]
    section["by_factor"] = {}
    for c in by_factor:
        g = X[c].astype("str").where(X[c].notna(), "(missing)").to_numpy()
        chi2, _ = logrank_test(duration, y, g)
        p = float(stats.chi2.sf(chi2, len(pd.unique(g)) - 1)) if np.isfinite(chi2) else float("nan")
        section["by_factor"][c] = {"groups": _km_values(duration, y, g, times),
                                   "logrank": {"chi2": chi2 if np.isfinite(chi2) else None,
                                               "p_value": p if np.isfinite(p) else None}}
    section["cox_hazard_ratios"], section["notes"] = _cox(X, duration, y)
    return section
