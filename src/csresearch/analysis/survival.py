"""Time to churn: Kaplan-Meier cumulative incidence, log-rank tests, detectable differences.

Durations are in years from ``signup_date`` to the churn decision (``term_end``
of the churned term), or to censoring at ``extracted_at`` for accounts that
are still customers (their last term renewed or open). Accounts that signed up
recently are therefore followed only briefly; Kaplan-Meier uses them for as
long as they were observed instead of treating them as "not churned".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff
from statsmodels.stats.power import NormalIndPower

from ..errors import ParameterError
from .intervals import newcombe_difference, wilson_interval
from .results import AnalysisResult, Interval, intervals_frame

__all__ = [
    "KaplanMeierResult",
    "OnboardingChurnResult",
    "churn_by_renewal",
    "kaplan_meier",
    "logrank_test",
    "min_detectable_difference",
    "onboarding_vs_churn",
    "risk_difference_at",
]

KM_METHOD = "Kaplan-Meier cumulative incidence 1 - S(t), Greenwood variance, log-log (complementary) transformed pointwise interval"
RD_METHOD = "difference of two independent Kaplan-Meier estimates, normal approximation with Greenwood standard errors"
YEAR_DAYS = 365.25


def _validate(durations: Any, events: Any) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(durations, dtype="float64")
    e = np.asarray(events, dtype="float64")
    if t.shape != e.shape:
        raise ParameterError(f"durations ({t.shape[0]}) and events ({e.shape[0]}) differ in length")
    if np.isnan(t).any() or (t < 0).any():
        raise ParameterError("durations must be non-negative and not missing")
    if not np.isin(e, (0, 1)).all():
        raise ParameterError("events must be 0/1 (1 = churned, 0 = censored)")
    return t, e.astype("int64")


def _incidence_at(t: np.ndarray, e: np.ndarray, horizon: float, level: float) -> tuple[Interval, float]:
    """Cumulative incidence at ``horizon`` and its Greenwood standard error."""
    n = len(t)
    if n == 0:
        return Interval.unavailable("no accounts in the group", method=KM_METHOD, n=0, level=level), np.nan
    if t.max() < horizon:
        return (
            Interval.unavailable(f"no account in the group was followed for {horizon:g} years", method=KM_METHOD, n=n, level=level),
            np.nan,
        )
    if e.sum() == 0 or t[e == 1].min() > horizon:
        return Interval(0.0, 0.0, None, level=level, method=KM_METHOD, n=n, reason="no churn before the horizon: upper bound not computable"), 0.0
    sf = SurvfuncRight(t, e)
    i = np.searchsorted(sf.surv_times, horizon, side="right") - 1
    s, se = float(sf.surv_prob[i]), float(sf.surv_prob_se[i])
    if s <= 0 or not np.isfinite(se):
        return Interval(1.0, None, 1.0, level=level, method=KM_METHOD, n=n, reason="every account churned: lower bound not computable"), np.nan
    z = stats.norm.ppf(0.5 + level / 2)
    se_loglog = se / (s * abs(np.log(s)))
    s_low, s_high = s ** np.exp(z * se_loglog), s ** np.exp(-z * se_loglog)
    return Interval(1 - s, 1 - s_high, 1 - s_low, level=level, method=KM_METHOD, n=n), se


def _curve(t: np.ndarray, e: np.ndarray) -> pd.DataFrame:
    if len(t) == 0 or e.sum() == 0:
        return pd.DataFrame({"time": [0.0], "survival": [1.0], "se": [0.0]})
    sf = SurvfuncRight(t, e)
    return pd.DataFrame(
        {"time": np.r_[0.0, sf.surv_times], "survival": np.r_[1.0, sf.surv_prob], "se": np.r_[0.0, sf.surv_prob_se]}
    )


@dataclass
class KaplanMeierResult(AnalysisResult):
    """Kaplan-Meier estimates by group.

    Attributes
    ----------
    horizon : float
        Time at which the cumulative incidence is reported.
    incidence : dict
        Group -> :class:`Interval` of the cumulative incidence at the horizon.
    curves : DataFrame
        ``group, time, survival, se`` step points for plotting.
    """

    horizon: float = 0.0
    incidence: dict[Any, Interval] = field(default_factory=dict)
    curves: pd.DataFrame = field(default_factory=pd.DataFrame)
    title = "Kaplan-Meier cumulative incidence"

    def to_findings(self) -> dict[str, Any]:
        return {"horizon": self.horizon, "incidence": {str(g): iv.to_dict() for g, iv in self.incidence.items()}}


def kaplan_meier(durations: Any, events: Any, groups: Any = None, horizon: float = 3.0, level: float = 0.95) -> KaplanMeierResult:
    """Kaplan-Meier survival by group and cumulative incidence ``1 - S(horizon)``.

    Parameters
    ----------
    durations : array-like
        Time observed (years), to the event or to censoring.
    events : array-like of 0/1
        1 = the event (churn) happened at that time, 0 = censored.
    groups : array-like, optional
        Group label per row; one group ``"all"`` when omitted.
    horizon : float, default 3.0
        Time at which to report cumulative incidence.
    level : float, default 0.95
        Confidence level.
    """
    t, e = _validate(durations, events)
    g = pd.Series(np.asarray(groups, dtype=object) if groups is not None else np.full(len(t), "all", dtype=object))
    incidence, curves = {}, []
    for label in sorted(g.dropna().unique(), key=str):
        mask = (g == label).to_numpy()
        incidence[label], _ = _incidence_at(t[mask], e[mask], horizon, level)
        curves.append(_curve(t[mask], e[mask]).assign(group=label))
    summary = intervals_frame(incidence, index_name="group")
    summary.insert(3, "events", [int(e[(g == k).to_numpy()].sum()) for k in incidence])
    notes = [f"{k}: {iv.reason}" for k, iv in incidence.items() if iv.reason]
    return KaplanMeierResult(
        summary=summary, method=KM_METHOD, notes=notes, horizon=horizon, incidence=incidence,
        curves=pd.concat(curves, ignore_index=True)[["group", "time", "survival", "se"]] if curves else pd.DataFrame(),
    )


def risk_difference_at(durations: Any, events: Any, failed: Any, horizon: float = 3.0, level: float = 0.95) -> Interval:
    """Cumulative incidence at ``horizon`` of the failed group minus the succeeded group.

    ``failed`` is a boolean per row. The interval is ``d +- z * sqrt(se1^2 + se0^2)``
    from the Greenwood standard errors of the two independent KM estimates.
    """
    t, e = _validate(durations, events)
    f = np.asarray(failed, dtype=bool)
    inc1, se1 = _incidence_at(t[f], e[f], horizon, level)
    inc0, se0 = _incidence_at(t[~f], e[~f], horizon, level)
    if not (inc1.available and inc0.available):
        return Interval.unavailable(f"incidence not available: {inc1.reason or inc0.reason}", method=RD_METHOD, n=len(t), level=level)
    d = inc1.estimate - inc0.estimate
    se = float(np.hypot(se1, se0))
    if not np.isfinite(se):
        return Interval(d, None, None, level=level, method=RD_METHOD, n=len(t), reason="standard error not computable")
    z = stats.norm.ppf(0.5 + level / 2)
    return Interval(d, d - z * se, d + z * se, level=level, method=RD_METHOD, n=len(t))


def logrank_test(durations: Any, events: Any, groups: Any, strata: Any = None) -> tuple[float, float]:
    """Log-rank test (statsmodels ``survdiff``); stratified when ``strata`` is given.

    Returns
    -------
    (chi2, p_value) : tuple of float
        NaN, NaN when fewer than two groups or no events.
    """
    t, e = _validate(durations, events)
    g = np.asarray(groups)
    if len(pd.unique(g)) < 2 or e.sum() == 0:
        return float("nan"), float("nan")
    kwargs = {} if strata is None else {"strata": np.asarray(strata)}
    chi2, p = survdiff(t, e, g, **kwargs)
    return float(chi2), float(p)


def min_detectable_difference(p0: float, n0: float, n1: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest ``p1 - p0 > 0`` a two-sided test detects with ``power`` at ``alpha``.

    Solves Cohen's effect size h = 2 asin(sqrt p1) - 2 asin(sqrt p0) with
    statsmodels ``NormalIndPower`` for unequal groups (ratio = n1 / n0), then
    back-transforms to the proportion scale. NaN when a group is empty.
    """
    if not 0 <= p0 <= 1:
        raise ParameterError(f"p0 must be a proportion, got {p0!r}")
    if n0 <= 0 or n1 <= 0 or not (np.isfinite(n0) and np.isfinite(n1)):
        return float("nan")
    h = NormalIndPower().solve_power(effect_size=None, nobs1=n0, alpha=alpha, power=power, ratio=n1 / n0)
    angle = np.arcsin(np.sqrt(p0)) + h / 2
    if angle >= np.pi / 2:
        return float("nan")
    return float(np.sin(angle) ** 2 - p0)


@dataclass
class OnboardingChurnResult(AnalysisResult):
    """Churn within ``horizon_years`` by onboarding outcome (findings ``onboarding_vs_churn``)."""

    horizon_years: float = 3.0
    churn_succeeded: Interval | None = None
    churn_failed: Interval | None = None
    risk_difference: Interval | None = None
    p_value: float = float("nan")
    p_value_stratified: float = float("nan")
    min_detectable_difference: float = float("nan")
    by_segment: pd.DataFrame = field(default_factory=pd.DataFrame)
    km: KaplanMeierResult | None = None
    #: Per segment: group sizes and the churn intervals (``n_succeeded``, ``n_failed``, ``churn_succeeded``,
    #: ``churn_failed``, ``risk_difference``); unsuppressed, the study step masks small groups.
    segments: dict[str, dict[str, Any]] = field(default_factory=dict)
    title = "Onboarding outcome vs churn"

    def to_findings(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return float(x) if np.isfinite(x) else None

        return {
            "horizon_years": self.horizon_years,
            "churn_succeeded": self.churn_succeeded.to_dict(),
            "churn_failed": self.churn_failed.to_dict(),
            "risk_difference": self.risk_difference.to_dict(),
            "p_value": num(self.p_value),
            "p_value_stratified_by_segment": num(self.p_value_stratified),
            "min_detectable_difference": num(self.min_detectable_difference),
            "method": self.method,
        }


def _succeeded_mask(values: pd.Series, succeeded_value: Any) -> pd.Series:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.astype("float64") == 1
    return values.astype(str) == str(succeeded_value)


def _effective_n(inc: Interval, se: float) -> float:
    p = inc.estimate
    if p is None or not np.isfinite(se) or se <= 0 or p in (0.0, 1.0):
        return float(inc.n or 0)
    return p * (1 - p) / se**2


def _columns(name: str, iv: Interval) -> dict[str, float]:
    """``name``, ``name_low``, ``name_high`` of one interval (NaN where missing), for a per-group table."""
    return {name: np.nan if iv.estimate is None else iv.estimate, f"{name}_low": np.nan if iv.ci_low is None else iv.ci_low,
            f"{name}_high": np.nan if iv.ci_high is None else iv.ci_high}


def onboarding_vs_churn(
    frame: pd.DataFrame,
    horizon_years: float = 3.0,
    group_col: str = "onboarding_succeeded",
    duration_col: str = "duration_years",
    event_col: str = "churned",
    segment_col: str | None = "segment",
    succeeded_value: Any = "succeeded",
    level: float = 0.95,
) -> OnboardingChurnResult:
    """Share churned within ``horizon_years`` of signup, succeeded vs not-succeeded onboarding.

    Parameters
    ----------
    frame : DataFrame
        One row per account with the group, duration (years from signup to
        churn or censoring, see :func:`csresearch.lifetimes.account_lifetimes`), event flag and segment.
    horizon_years : float, default 3
        Horizon of the cumulative incidence.
    group_col : str
        1/0 (or True/False) onboarding succeeded, or a status string compared
        with ``succeeded_value``; every other non-missing value counts as failed.
    segment_col : str, optional
        Stratifies the log-rank test and the ``by_segment`` table.

    Returns
    -------
    OnboardingChurnResult
    """
    missing = [c for c in (group_col, duration_col, event_col) if c not in frame.columns]
    if missing:
        raise ParameterError(f"onboarding_vs_churn: column(s) {missing} not in the frame; have {list(frame.columns)}")
    notes = []
    data = frame.loc[frame[group_col].notna()]
    if len(data) < len(frame):
        notes.append(f"{len(frame) - len(data)} account(s) without an onboarding outcome excluded")
    t, e = _validate(data[duration_col], data[event_col])
    failed = ~_succeeded_mask(data[group_col], succeeded_value).to_numpy()
    labels = np.where(failed, "failed", "succeeded")
    km = kaplan_meier(t, e, labels, horizon=horizon_years, level=level)
    inc_f, se_f = _incidence_at(t[failed], e[failed], horizon_years, level)
    inc_s, se_s = _incidence_at(t[~failed], e[~failed], horizon_years, level)
    rd = risk_difference_at(t, e, failed, horizon_years, level)
    _, p = logrank_test(t, e, labels)
    p_strat = float("nan")
    rows, segments = [], {}
    if segment_col is not None and segment_col in data.columns:
        seg = data[segment_col].astype(str).to_numpy()
        _, p_strat = logrank_test(t, e, labels, strata=seg)
        for s in sorted(set(seg)):
            m = seg == s
            segments[s] = {
                "n_succeeded": int((m & ~failed).sum()),
                "n_failed": int((m & failed).sum()),
                "churn_succeeded": _incidence_at(t[m & ~failed], e[m & ~failed], horizon_years, level)[0],
                "churn_failed": _incidence_at(t[m & failed], e[m & failed], horizon_years, level)[0],
                "risk_difference": risk_difference_at(t[m], e[m], failed[m], horizon_years, level),
            }
            rows.append({"segment": s, "n_succeeded": segments[s]["n_succeeded"], "n_failed": segments[s]["n_failed"],
                         **_columns("churn_succeeded", segments[s]["churn_succeeded"]),
                         **_columns("churn_failed", segments[s]["churn_failed"]),
                         **_columns("risk_difference", segments[s]["risk_difference"]),
                         "p_value": logrank_test(t[m], e[m], labels[m])[1]})
    mdd = float("nan")
    if inc_s.available:
        mdd = min_detectable_difference(inc_s.estimate, _effective_n(inc_s, se_s), _effective_n(inc_f, se_f))
    summary = intervals_frame(
        {"churn_succeeded": inc_s, "churn_failed": inc_f, "risk_difference (failed - succeeded)": rd}, index_name="quantity"
    )
    method = (
        f"{KM_METHOD}; risk difference: {RD_METHOD}; p-value: log-rank test (stratified by segment in the "
        "second p-value); minimum detectable difference: two-sided arcsine power analysis (alpha 0.05, power 0.8) "
        "with censoring-adjusted effective group sizes p(1-p)/se^2"
    )
    notes += [f"{k}: {iv.reason}" for k, iv in {"succeeded": inc_s, "failed": inc_f, "difference": rd}.items() if iv.reason]
    return OnboardingChurnResult(
        summary=summary, method=method, notes=notes, horizon_years=horizon_years, churn_succeeded=inc_s,
        churn_failed=inc_f, risk_difference=rd, p_value=p, p_value_stratified=p_strat,
        min_detectable_difference=mdd, by_segment=pd.DataFrame(rows), km=km, segments=segments,
    )


def churn_by_renewal(
    decisions: pd.DataFrame,
    group_col: str = "onboarding_succeeded",
    renewal_col: str = "renewal_number",
    label_col: str = "churned",
    succeeded_value: Any = "succeeded",
    level: float = 0.95,
) -> pd.DataFrame:
    """Churn rate per renewal decision by onboarding group, Wilson intervals and Newcombe difference.

    ``decisions`` has one row per labelled renewal decision (open terms excluded).
    Returns one row per renewal number with n, rate and interval for each group
    and the failed - succeeded difference.
    """
    data = decisions.loc[decisions[group_col].notna() & decisions[label_col].notna()]
    failed = ~_succeeded_mask(data[group_col], succeeded_value)
    y = data[label_col].astype("int64")
    rows = []
    for r, idx in data.groupby(renewal_col, sort=True).groups.items():
        f, yy = failed.loc[idx], y.loc[idx]
        ks, ns = int(yy[~f].sum()), int((~f).sum())
        kf, nf = int(yy[f].sum()), int(f.sum())
        ws, wf, d = wilson_interval(ks, ns, level), wilson_interval(kf, nf, level), newcombe_difference(kf, nf, ks, ns, level)
        rows.append({
            renewal_col: r, "n_succeeded": ns, "churn_succeeded": ws.estimate, "succeeded_low": ws.ci_low,
            "succeeded_high": ws.ci_high, "n_failed": nf, "churn_failed": wf.estimate, "failed_low": wf.ci_low,
            "failed_high": wf.ci_high, "difference": d.estimate, "difference_low": d.ci_low, "difference_high": d.ci_high,
        })
    return pd.DataFrame(rows)
