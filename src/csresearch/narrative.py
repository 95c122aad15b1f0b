"""Plain-language sentences generated from the numbers: the one place prose is written.

Two kinds of text, both built with the same formatters (:func:`fmt_number`,
:func:`fmt_pct`, :func:`describe_interval`) and the same rules (such as
:func:`features_against_score`):

* *stories* (``*_story``) from result objects: the detailed answer a notebook
  shows;
* *headlines* (``*_headline``) from a findings section (the JSON a step
  writes): the sentences the index shows, and the notebook shows above its
  story, so the two never drift apart. The step registry
  (:mod:`csresearch.study.registry`) says which headline belongs to which section.

The words stay right on any dataset: a difference whose interval includes zero
is called indistinguishable from zero, a value that could not be computed is
said to be missing and why. Numbers are proportions (0-1) unless a function
says otherwise; ``"points"`` are percentage points of a proportion difference.
Features are called by their human names (:func:`csresearch.display.display_name`)
and their values read in their unit (:func:`fmt_value`): shares as percentages,
changes of shares in percentage points. No number is written in scientific
notation; p- and q-values below 0.001 read ``"< 0.001"`` (:func:`fmt_p`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .analysis.results import Interval
from .display import display_name, unit_of

__all__ = [
    "adjusted_churn_story",
    "audit_story",
    "churn_factors_headline",
    "continuing_trends_headline",
    "health_validity_headline",
    "definitions_story",
    "kpis_headline",
    "onboarding_churn_headline",
    "onboarding_health_headline",
    "churn_factors_story",
    "churned_accounts_headline",
    "churned_accounts_story",
    "continuing_trends_story",
    "describe_interval",
    "features_against_score",
    "feature_name",
    "feature_unit",
    "fmt_number",
    "fmt_p",
    "fmt_pct",
    "fmt_points",
    "fmt_value",
    "HOW_TO_READ",
    "health_validity_story",
    "kpi_story",
    "kpi_tree_headline",
    "kpi_tree_lines",
    "kpi_tree_story",
    "peer_headline",
    "peer_story",
    "purpose_headline",
    "purpose_name",
    "purpose_rows",
    "purpose_story",
    "lead_time_headline",
    "lead_time_story",
    "onboarding_churn_story",
    "onboarding_health_story",
    "describe_target",
    "fmt_money",
    "retention_headline",
    "retention_story",
]

_UNITS = ("number", "percent", "points", "ratio", "fixed")


def _ok(x: Any) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


#: One line each on how to read the report's numbers (shown in a box on every report page).
HOW_TO_READ: tuple[tuple[str, str], ...] = (
    ("95% interval (CI)", "the range the true value lies in with 95% confidence; when it includes 0 (or 1 for a "
                          "ratio) the data cannot tell the effect from no effect."),
    ("Odds ratio", "how the odds of churning change per step of a factor (per 1 standard deviation, or against the "
                   "reference level): 1 = no change, 2 = doubled, 0.5 = halved."),
    ("q-value", "a p-value corrected for testing many factors at once; below 0.05 the factor is unlikely to matter "
                "by chance alone."),
    ("Percentage points", "the difference between two percentages: 9% against 6% is 3 points (a rise of half)."),
)

_MAX_DECIMALS = 6


def fmt_number(x: float | None, digits: int = 3, signed: bool = False) -> str:
    """``x`` with ``digits`` significant digits, never in scientific notation.

    Parameters
    ----------
    x : float or None
    digits : int, default 3
        Significant digits; whole numbers of ``digits`` or more figures are
        rounded to units and grouped by thousands (``12,345``).
    signed : bool, default False
        Show ``+`` on positive numbers.

    Returns
    -------
    str
        ``"n/a"`` for None/NaN/inf; trailing zeros are dropped (``1.50 -> "1.5"``);
        values below ``10**-6`` read ``"0"``.
    """
    if not _ok(x):
        return "n/a"
    x = float(x)
    sign = "+" if signed else ""
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = min(max(digits - 1 - magnitude, 0), _MAX_DECIMALS)
    text = f"{x:{sign},.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text.lstrip("+-") == "0" else text


def fmt_pct(x: float | None, digits: int = 1) -> str:
    """Proportion ``x`` as a percentage, e.g. ``0.1034 -> "10.3%"``."""
    return "n/a" if not _ok(x) else f"{100 * x:.{digits}f}%"


def fmt_points(x: float | None, digits: int = 1, signed: bool = True) -> str:
    """A difference of two proportions in percentage points, e.g. ``0.0213 -> "+2.1 points"``."""
    if not _ok(x):
        return "n/a"
    return f"{100 * x:+.{digits}f} points" if signed else f"{100 * x:.{digits}f} points"


def fmt_p(p: float | None) -> str:
    """A p- or q-value: ``"< 0.001"`` below 0.001, three decimals below 0.01, else two (``0.27``)."""
    if not _ok(p):
        return "n/a"
    if p < 0.001:
        return "< 0.001"
    return f"{p:.3f}" if p < 0.01 else f"{p:.2f}"


def feature_name(name: str, lower: bool = True) -> str:
    """The human name of a feature for the middle of a sentence ("seat utilisation (last 3 months)").

    ``lower`` lowercases the first letter unless the name starts with an
    acronym (``ROI reported`` stays as it is) or names a health component
    (``Health: Adoption``).
    """
    text = display_name(str(name))
    if lower and len(text) > 1 and text[1].islower() and ":" not in text:
        return text[0].lower() + text[1:]
    return text


def _names(names: Sequence[str]) -> str:
    return ", ".join(feature_name(n) for n in names)


def feature_unit(feature: str, change: bool = False) -> str:
    """The :func:`describe_interval` unit of a feature's values (``change``: of a difference of them).

    ``"percent"`` for shares and 0/1 flags, ``"points"`` for their changes and
    for ``share_change`` features, ``"number"`` otherwise.
    """
    unit = unit_of(str(feature))
    if unit in ("share", "flag"):
        return "points" if change else "percent"
    return "points" if unit == "share_change" else "number"


def fmt_value(x: float | None, feature: str, change: bool = False, signed: bool = False) -> str:
    """A value of ``feature`` in its unit: shares and 0/1 flags as percentages, changes of them in points."""
    unit = feature_unit(feature, change)
    if unit == "percent":
        return fmt_pct(x)
    if unit == "points":
        return fmt_points(x, signed=signed)
    return fmt_number(x, signed=signed)


def _feature_iv(iv: Interval, feature: str, change: bool = True, signed: bool = True, missing: str = "not available") -> str:
    """An interval of ``feature`` (a difference or slope when ``change``) in its unit."""
    unit = feature_unit(feature, change)
    if unit == "number":
        return describe_interval(iv, "number", signed=signed, missing=missing)
    return describe_interval(iv, unit, signed=signed and unit == "points", missing=missing)


def _value(x: float | None, unit: str, digits: int, signed: bool = False) -> str:
    if unit == "percent":
        return fmt_pct(x, digits)
    if unit == "points":
        return "n/a" if not _ok(x) else (f"{100 * x:+.{digits}f}" if signed else f"{100 * x:.{digits}f}")
    if unit == "fixed":
        return "n/a" if not _ok(x) else (f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}")
    return fmt_number(x, digits + 2, signed=signed)


def describe_interval(iv: Interval, unit: str = "number", digits: int = 1, label: str = "", *,
                      signed: bool = False, missing: str = "not available") -> str:
    """One interval in words: ``"2.1 points (95% CI -0.4 to 4.6 points)"``.

    Parameters
    ----------
    iv : Interval
    unit : {"number", "percent", "points", "ratio", "fixed"}
        ``percent`` and ``points`` read the values as proportions; ``fixed``
        shows ``digits`` decimals.
    digits : int, default 1
        Decimals for percent/points/fixed; significant digits - 2 for numbers and ratios.
    label : str
        Optional prefix, e.g. ``"difference"``.
    signed : bool, default False
        Show ``+`` on positive numbers (number and fixed units).
    missing : str, default "not available"
        What a missing estimate is called, followed by the reason in brackets.

    Returns
    -------
    str
        ``"<missing> (<reason>)"`` when the estimate is missing.
    """
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {_UNITS}, got {unit!r}")
    prefix = f"{label} " if label else ""
    if not iv.available:
        return f"{prefix}{missing} ({iv.reason})"
    suffix = " points" if unit == "points" else ""
    est = _value(iv.estimate, unit, digits, signed) + suffix
    if iv.ci_low is None or iv.ci_high is None:
        return f"{prefix}{est} (no interval)"
    lvl = f"{iv.level * 100:g}%"
    low, high = _value(iv.ci_low, unit, digits, signed), _value(iv.ci_high, unit, digits, signed)
    return f"{prefix}{est} ({lvl} CI {low} to {high}{suffix})"


def _ci(iv: Interval, unit: str, digits: int = 1) -> str:
    """Only the bracketed interval part: ``"95% CI a to b"``."""
    suffix = " points" if unit == "points" else ""
    return f"{iv.level * 100:g}% CI {_value(iv.ci_low, unit, digits)} to {_value(iv.ci_high, unit, digits)}{suffix}"


def _years(h: float) -> str:
    return f"{h:g} year" + ("" if h == 1 else "s")


def onboarding_churn_story(result: Any) -> str:
    """Failed vs succeeded onboarding: churn within the horizon, with the power caveat when not significant.

    ``result`` is an :class:`~csresearch.analysis.survival.OnboardingChurnResult`.
    """
    rd, f, s = result.risk_difference, result.churn_failed, result.churn_succeeded
    h = _years(result.horizon_years)
    if not (rd.available and f.available and s.available):
        why = next(iv.reason for iv in (rd, f, s) if not iv.available)
        return f"Churn within {h} by onboarding outcome could not be estimated on this data: {why}."
    more = "more" if rd.estimate >= 0 else "less"
    text = (f"Accounts that failed onboarding churned {abs(100 * rd.estimate):.1f} points {more} within {h} "
            f"({fmt_pct(f.estimate)} vs {fmt_pct(s.estimate)}; difference {_ci(rd, 'points')})")
    mdd = result.min_detectable_difference
    if rd.excludes(0):
        p = f" (log-rank p {_q(result.p_value)})" if _ok(result.p_value) else ""
        return text + f"; the interval excludes zero{p}."
    text += "; this sample cannot distinguish that from zero"
    if _ok(mdd):
        text += f": the smallest difference it could detect with 80% power is {100 * mdd:.1f} points"
    return text + "."


def _e_value_sentence(ev: Mapping) -> str:
    """The E-value of an adjusted risk ratio and of its confidence limit in one sentence."""
    est, lim = ev.get("estimate"), ev.get("ci_limit")
    if not _ok(est):
        return f"The E-value could not be computed ({ev.get('reason', 'no risk ratio')})."
    text = (f"E-value {fmt_number(est)}: an unmeasured confounder would need to be associated with both onboarding "
            f"failure and churn by a risk ratio of {fmt_number(est)} each to explain this away")
    if _ok(lim) and lim > 1:
        return text + f" ({fmt_number(lim)} each to move the confidence interval to include no effect)."
    return text + " (the confidence interval already includes no effect)."


def _assumptions(confounders: Sequence[str], n_truncated: int) -> str:
    trunc = f"; {n_truncated} account(s) with extreme propensities were truncated" if n_truncated else ""
    return (f"This assumes that {_names(confounders) or 'nothing measured'} capture(s) everything that drives both "
            f"onboarding failure and churn (no unmeasured confounding) and that accounts of every kind could both fail "
            f"and succeed (overlap{trunc}).")


def adjusted_churn_story(adjusted: Any, reason: str = "") -> str:
    """The adjusted (IPW Kaplan-Meier) effect of failing onboarding, its assumptions and E-value.

    ``adjusted`` is an :class:`~csresearch.analysis.causal.AdjustedChurnResult` or None (then ``reason`` is said).
    """
    if adjusted is None:
        return f"No adjusted estimate: {reason}."
    rd, h = adjusted.risk_difference, _years(adjusted.horizon_years)
    if not rd.available:
        return f"The adjusted effect within {h} could not be estimated: {rd.reason}."
    verdict = "the interval excludes zero" if rd.excludes(0) else "indistinguishable from zero"
    text = (f"Adjusted for {_names(adjusted.confounders) or 'nothing'} (inverse-probability-weighted Kaplan-Meier, "
            f"counted from the day the onboarding outcome was known), failing rather than succeeding changes churn "
            f"within {h} by {describe_interval(rd, 'points', signed=True)}, {verdict}: "
            f"{fmt_pct(adjusted.risk_failed.estimate)} had every account failed against "
            f"{fmt_pct(adjusted.risk_succeeded.estimate)} had every account succeeded "
            f"(risk ratio {describe_interval(adjusted.risk_ratio, 'ratio')}). ")
    return text + _assumptions(adjusted.confounders, adjusted.n_truncated) + " " + _e_value_sentence(adjusted.e_value)


def _gap(feature: str, iv: Interval) -> str:
    """``"<feature> lower by <size> (95% CI a to b)"``, the interval of the size when lower."""
    if iv.estimate < 0:
        iv = Interval(-iv.estimate, -iv.ci_high, -iv.ci_low, level=iv.level)
        word = "lower"
    else:
        word = "higher"
    return f"{feature_name(feature, lower=False)} {word} by {_feature_iv(iv, feature, signed=False)}"


def _left_out(dropped: Mapping[str, Any] | None) -> str:
    """Who a snapshot left out, in words (``{"not_customer_at_as_of": 85}`` -> "85 no longer customers")."""
    words = {"not_customer_at_as_of": "no longer customers then", "as_of_after_extracted_at": "not yet at that date"}
    parts = [f"{int(n)} {words.get(str(k), str(k).replace('_', ' '))}" for k, n in (dropped or {}).items()
             if _ok(n) and n > 0]
    return "; ".join(parts) or "none"


def onboarding_health_story(cmp: Any, weighted: Any = None, top: int = 3, n_accounts: int | None = None,
                            dropped: Mapping[str, Any] | None = None) -> str:
    """Unhealthy share and the largest adjusted feature gaps after onboarding (a :class:`GroupComparison`).

    ``n_accounts`` and ``dropped`` (reason -> count), when given, add who the snapshot covers.
    """
    months = cmp.months_after
    when = f"{months} months after the onboarding target date" if months is not None else "after onboarding"
    rr, f, s = cmp.unhealthy_risk_ratio, cmp.unhealthy_failed, cmp.unhealthy_succeeded
    if rr is None or not (rr.available and f.available and s.available):
        why = rr.reason if rr is not None and not rr.available else "no health score"
        text = f"The unhealthy share {when} could not be compared: {why}."
    else:
        verdict = ("a real difference" if rr.excludes(1.0)
                   else "not distinguishable from no difference")
        text = (f"{when.capitalize()}, {fmt_pct(f.estimate)} of the accounts that failed onboarding were unhealthy "
                f"(health score below {fmt_number(cmp.unhealthy_threshold)}) against {fmt_pct(s.estimate)} of those "
                f"that succeeded: {fmt_number(rr.estimate)} times as often ({_ci(rr, 'ratio')}), {verdict}.")
    clear = [(k, iv) for k, iv in cmp.adjusted.items() if iv.available and iv.excludes(0) and not k.startswith("health_")]
    if clear:
        clear.sort(key=lambda kv: -abs(kv[1].estimate) / max(kv[1].ci_high - kv[1].ci_low, 1e-300))  # clearest first
        parts = [_gap(k, iv) for k, iv in clear[:top]]
        text += (" After adjusting for segment and touch model, the clearest differences remain: the failed group has "
                 + "; ".join(parts) + ".")
    else:
        text += " After adjusting for segment and touch model, no feature differs clearly between the groups."
    wrr = getattr(weighted, "unhealthy_risk_ratio", None)
    if wrr is not None:
        text += (f" Weighted by the inverse probability of the onboarding outcome given "
                 f"{_names(weighted.confounders) or 'nothing'}, the unhealthy risk ratio is "
                 f"{describe_interval(wrr, 'ratio')}.")
    if n_accounts is not None:
        text += (f" {n_accounts:,} accounts were customers {months} months after their target date; "
                 f"left out: {_left_out(dropped)}.")
    return text


def health_validity_story(tenure: Interval, within: Interval | None, auc: Interval) -> str:
    """Does the health score mean anything: tenure correlation (pooled and within cohorts) and renewal AUC."""
    parts = []
    if tenure.available:
        sign = "rises" if tenure.excludes(0) and tenure.estimate > 0 else ("falls" if tenure.excludes(0) else "does not clearly change")
        parts.append(f"The health score {sign} with tenure: Spearman {describe_interval(tenure)}.")
    else:
        parts.append(f"Health vs tenure could not be measured: {tenure.reason}.")
    if within is not None:
        if within.available:
            same_sign = tenure.available and (within.estimate > 0) == (tenure.estimate > 0)
            holds = "holds" if within.excludes(0) and same_sign else "does not clearly hold"
            parts.append(f"Within tenure cohorts (the same accounts followed year by year, so survivorship cannot fake "
                         f"the trend) it {holds}: {describe_interval(within)}.")
        else:
            parts.append(f"The within-cohort check could not be computed: {within.reason}.")
    if auc.available:
        verdict = ("better than chance" if auc.ci_low is not None and auc.ci_low > 0.5
                   else "not distinguishable from a coin flip")
        parts.append(f"For the next renewal decision the score's AUC is {describe_interval(auc)}: {verdict}.")
    else:
        parts.append(f"The AUC for the next renewal could not be computed: {auc.reason}.")
    return " ".join(parts)


def features_against_score(slopes: dict[str, Interval], score: str = "health_score") -> list[str]:
    """Features whose slope is clearly opposite to the score's (both intervals exclude 0)."""
    ref = slopes.get(score)
    if ref is None or not ref.excludes(0):
        return []
    return [k for k, iv in slopes.items()
            if k != score and not k.startswith("health_") and iv.excludes(0) and (iv.estimate > 0) != (ref.estimate > 0)]


def continuing_trends_story(slopes: dict[str, Interval], score: str = "health_score") -> str:
    """Change per tenure year among continuing accounts, calling out features that move against the score."""
    ref = slopes.get(score)
    if ref is None or not ref.available:
        return f"The trend of the {feature_name(score)} could not be estimated: {getattr(ref, 'reason', 'no data')}."
    text = (f"Among accounts that never churned, the {feature_name(score)} changes by "
            f"{_feature_iv(ref, score)} per tenure year")
    text += "." if ref.excludes(0) else ", not distinguishable from no change."
    against = features_against_score(slopes, score)
    if against:
        parts = [f"{feature_name(k)} ({_feature_iv(slopes[k], k)} per year)" for k in against]
        text += " Moving against the score: " + "; ".join(parts) + ". A health score that rises while these fall hides a risk."
    elif ref.excludes(0):
        text += " No feature moves clearly against the score."
    return text


def _month_interval(iv: Interval) -> str:
    """A first-month interval in words; an upper bound of 0 means "not before the decision"."""
    if iv.ci_low is None or iv.ci_high is None:
        return f"month {int(iv.estimate)}"
    high = "no separation before the decision" if iv.ci_high >= 0 else f"{int(iv.ci_high)}"
    return f"month {int(iv.estimate)} ({iv.level * 100:g}% CI {int(iv.ci_low)} to {high})"


def _separation_sentences(rows: Mapping[str, Mapping[str, Any]], first: Sequence[str], start: int | None,
                          lead_days: int | None) -> list[str]:
    """Sentences of the event study: the first components (ties together), baseline differences, the lead view.

    ``rows`` maps each feature to ``kind``, ``first_month`` (Interval) and ``gap_at_first`` (Interval).
    """
    if first:
        parts = [f"{feature_name(f, lower=False)} from {_month_interval(rows[f]['first_month'])}, gap there "
                 f"{_feature_iv(rows[f]['gap_at_first'], f)}" for f in first]
        out = ["First to separate churned from renewed accounts (matched pairs, months after onboarding had "
               "resolved): " + "; ".join(parts) + "."]
        if len(first) > 1:
            out.append(f"These {len(first)} start to separate at about the same time (equal first month or "
                       "overlapping intervals): the data cannot say which moves first.")
    else:
        out = ["No component starts to separate churned from renewed accounts within the window before the decision."]
    baseline = [f for f, r in rows.items() if r["kind"] == "baseline difference"]
    if baseline:
        out.append(f"Already different when the window first sees them (month {start}, or the first month with "
                   f"enough pairs), so a baseline difference rather than a trigger: {_names(baseline)}.")
    if lead_days is not None:
        lead_month = -round(lead_days / 30.4375)
        ahead = [f for f, r in rows.items() if r["first_month"].available and r["first_month"].estimate <= lead_month]
        out.append(f"At {lead_days} days before the decision, when the churn model looks, {len(ahead)} component"
                   f"{'' if len(ahead) == 1 else 's'} already separate{'s' if len(ahead) == 1 else ''} the groups"
                   + (f" ({_names(ahead)})." if ahead else "."))
    return out


def churned_accounts_story(events: Any, lead_days: int | None = None) -> str:
    """Which components separate churned from renewed accounts first (an :class:`EventStudy`)."""
    rows = {str(f): {"kind": events.kind(f), "first_month": events.first_month[f], "gap_at_first": events.gap_at_first[f]}
            for f in events.summary.index}
    start = int(events.months[0]) if events.months else None
    return " ".join(_separation_sentences(rows, list(events.first_components), start, lead_days))


def churned_accounts_headline(section: Mapping) -> list[str]:
    """The first components to separate before churn (ties together) and the baseline differences."""
    separation = section.get("separation") or {}
    if not isinstance(separation, Mapping) or not separation:
        return []
    rows = {str(f): {"kind": r.get("kind"), "first_month": Interval.from_dict(r.get("first_month_interval")),
                     "gap_at_first": Interval.from_dict(r.get("gap_at_first"))}
            for f, r in separation.items() if isinstance(r, Mapping)}
    window = section.get("window_months") or [None]
    return _separation_sentences(rows, [f for f in section.get("first_components") or [] if f in rows], window[0], None)


def _q(q: float) -> str:
    """``"= 0.27"`` or ``"< 0.001"``: a p- or q-value after its letter."""
    text = fmt_p(q)
    return text if text.startswith("<") else f"= {text}"


def churn_factors_story(result: Any, top: int = 3) -> str:
    """The ranking, the leading odds ratios and the cross-validated AUC (a :class:`FactorResult`)."""
    ranking = result.ranking
    if not ranking:
        return "No churn factor could be ranked."
    odds = result.odds_ratios
    unstable = set(odds.loc[odds["unstable"].astype(bool), "factor"]) if "unstable" in odds.columns else set()
    parts = []
    for factor in ranking[:top]:
        r = result.summary.loc[factor]
        name = feature_name(factor, lower=False)
        if factor in unstable:
            parts.append(f"{name} (odds ratio unstable, see notes)")
        elif _ok(r["odds_ratio"]):
            q = f", q {_q(r['q_value'])}" if _ok(r["q_value"]) else ""
            parts.append(f"{name} (odds ratio {fmt_number(r['odds_ratio'])} per 1 SD, 95% CI "
                         f"{fmt_number(r['or_ci_low'])} to {fmt_number(r['or_ci_high'])}{q})")
        else:
            parts.append(name)
    text = "The most important churn factors, in order: " + "; ".join(parts) + "."
    auc = result.cv_auc
    if auc.available:
        text += (f" The predictive model ({result.chosen_model}) reaches an account-grouped cross-validated AUC of "
                 f"{describe_interval(auc)}.")
    return text


def _kpi_now(accounts: Any, arr: Any) -> str:
    if not _ok(accounts):
        return ""
    money = f" (ARR {fmt_money(arr)})" if _ok(arr) else ""
    return f" {int(accounts):,} current customers{money} are on the wrong side of it now."


def kpi_story(kpis: Sequence[Any]) -> str:
    """One sentence per KPI target: the side to keep the metric on, the churn rate either side, who is below now."""
    if not kpis:
        return ("No KPI target: no DEAR feature a CS team can influence is a leading indicator of churn on this "
                "data (see the lead-time analysis).")
    lines = []
    for k in kpis:
        thr = k.threshold
        if not thr.available:
            lines.append(f"{feature_name(k.feature, lower=False)}: no target ({thr.reason}).")
            continue
        keep = "at or above" if k.direction == "above" else "below"
        lead = " (a leading indicator)" if getattr(k, "leading", None) else ""
        lines.append(f"Keep {feature_name(k.feature)}{lead} {keep} {_feature_iv(thr, k.feature, change=False, signed=False)}, where the "
                     f"estimated churn risk crosses {fmt_number(getattr(k, 'multiple', 1.0), 2)} x the overall rate: churn is "
                     f"{describe_interval(k.churn_rate_below, 'percent')} below it and "
                     f"{describe_interval(k.churn_rate_above, 'percent')} at or above it (per account)."
                     + _kpi_now(getattr(k, "accounts_below_now", None), getattr(k, "arr_below_now", None)))
    return " ".join(lines)


def lead_time_story(result: Any) -> str:
    """The cross-validated AUC at each lead and which top factors are leading indicators or late symptoms."""
    s = result.summary
    if not len(s):
        return "The churn-factor model could not be fitted at any lead."
    aucs = "; ".join(f"{lead} days {fmt_number(r['cv_auc'], 2)} ({fmt_number(r['ci_low'], 2)} to "
                     f"{fmt_number(r['ci_high'], 2)})" for lead, r in s.iterrows())
    text = f"Cross-validated AUC of the churn model by days before the renewal decision: {aucs}."
    leading = [f for f, lab in result.labels.items() if lab == "leading indicator"]
    late = [f for f, lab in result.labels.items() if lab == "late symptom"]
    text += (" Leading indicators (matter far enough ahead to act): " + (_names(leading) or "none") + ".")
    if late:
        text += " Late symptoms (matter only close to the decision, too late to manage to): " + _names(late) + "."
    return text


def audit_story(audit: Any) -> str:
    """Decisions, churn rate per decision and the data-quality warnings of a :class:`DataAudit`."""
    n_dec = int(audit.churn_by_year["decisions"].sum()) if len(audit.churn_by_year) else 0
    text = f"The dataset holds {n_dec:,} renewal decisions"
    if audit.overall_churn is not None and audit.overall_churn.available:
        text += f"; {describe_interval(audit.overall_churn, 'percent')} of them were churn"
    text += "."
    if audit.validation is not None:
        text += " It satisfies the data contract." if audit.validation.is_valid else " It breaks the data contract (see the validation table)."
    warn = audit.flags.loc[audit.flags["severity"] == "warning", "flag"].tolist()
    text += (" Data-quality warnings: " + ", ".join(warn) + ".") if warn else " No data-quality warning."
    return text


# --------------------------------------------------------------------------- headlines from findings sections

def _iv(section: Mapping, key: str) -> Interval:
    return Interval.from_dict(section.get(key))


def _said(iv: Interval, unit: str = "number", digits: int = 1, signed: bool = False) -> str:
    """An interval as a headline shows it (a missing value is "not computed (reason)")."""
    return describe_interval(iv, unit, digits, signed=signed, missing="not computed")


def onboarding_churn_headline(section: Mapping) -> list[str]:
    """Churn within the horizon after failed vs succeeded onboarding, the difference and what the data could detect."""
    rd = _iv(section, "risk_difference")
    points = Interval(*(None if v is None else 100 * v for v in (rd.estimate, rd.ci_low, rd.ci_high)),
                      level=rd.level, reason=rd.reason)
    p, mdd = section.get("p_value"), section.get("min_detectable_difference")
    return _adjusted_headline(section) + [
        f"Within {section.get('horizon_years')} years of signup (Kaplan-Meier), "
        f"{_said(_iv(section, 'churn_failed'), 'percent')} of accounts that did not succeed at onboarding churned, "
        f"against {_said(_iv(section, 'churn_succeeded'), 'percent')} of those that succeeded: a difference of "
        f"{_said(points, 'fixed')} percentage points"
        + (f", p {_q(p)}" if _ok(p) else "")
        + (f"; the smallest difference this data could detect is {100 * mdd:.1f} points." if _ok(mdd) else ".")
    ]


def _adjusted_headline(section: Mapping) -> list[str]:
    """The adjusted churn difference (points) with its assumptions' E-value; empty when the section has none."""
    if "risk_difference_adjusted" not in section:
        return []
    rd = _iv(section, "risk_difference_adjusted")
    if not rd.available:
        return [f"Adjusted effect of failing onboarding on churn: not computed ({rd.reason})."]
    points = Interval(*(None if v is None else 100 * v for v in (rd.estimate, rd.ci_low, rd.ci_high)), level=rd.level)
    conf = _names(section.get("confounders") or []) or "nothing"
    ev = section.get("e_value") or {}
    return [
        f"Adjusted for {conf} (inverse-probability weighting, from the day the onboarding outcome was known), failing "
        f"onboarding changes churn within {section.get('horizon_years')} years by {_said(points, 'fixed', signed=True)} "
        f"percentage points, assuming no unmeasured confounding. " + _e_value_sentence(ev)
    ]


def onboarding_health_headline(section: Mapping) -> list[str]:
    """How much more often failed accounts are unhealthy later, and the adjusted feature differences."""
    out = [
        f"{section.get('months_after')} months after the onboarding target date, accounts that failed onboarding were "
        f"{_said(_iv(section, 'unhealthy_risk_ratio'))} times as often unhealthy (health score below "
        f"{fmt_number(section.get('unhealthy_threshold'))}): {_said(_iv(section, 'unhealthy_share_failed'), 'percent')} against "
        f"{_said(_iv(section, 'unhealthy_share_succeeded'), 'percent')}."
    ]
    adjusted = section.get("feature_difference_adjusted") or {}
    if isinstance(adjusted, Mapping) and adjusted:
        parts = [f"{feature_name(k, lower=False)} {_feature_iv(Interval.from_dict(v), k, missing='not computed')}"
                 for k, v in list(adjusted.items())[:4]]
        out.append("Differences failed minus succeeded, adjusted for segment and touch model: " + "; ".join(parts) + ".")
    if "unhealthy_risk_ratio_weighted" in section:
        conf = _names(section.get("weighted_confounders") or []) or "nothing"
        out.append(f"Weighted by the inverse probability of the onboarding outcome given {conf}, the unhealthy risk "
                   f"ratio is {_said(_iv(section, 'unhealthy_risk_ratio_weighted'))}.")
    return out


def _versus(entry: Mapping, other: str, key: str) -> str:
    """How one definition's renewal AUC compares with another's, with the paired interval, in words."""
    diff = Interval.from_dict(entry.get(key))
    if not diff.available:
        return f"its difference from the {other} could not be computed ({diff.reason})"
    if diff.excludes(0):
        word = "higher" if diff.estimate > 0 else "lower"
        return f"clearly {word} than the {other}: {describe_interval(diff, 'fixed', 2, 'AUC difference', signed=True)}"
    return (f"not distinguishable from the {other}: {describe_interval(diff, 'fixed', 2, 'AUC difference', signed=True)}"
            ", an interval that includes no difference")


def definitions_story(section: Mapping) -> str:
    """Which health definition deserves trust, and by how much: the renewal AUC ranking with paired differences.

    ``section`` holds ``definitions`` (entries in rank order) and ``definition_comparison``
    (the findings of :class:`csresearch.study.definitions.DefinitionValidity`).
    """
    entries = [e for e in section.get("definitions") or [] if isinstance(e, Mapping)]
    if not entries:
        why = (section.get("definition_comparison") or {}).get("reason")
        return f"The health definitions could not be compared: {why}." if why else ""
    best, dear = entries[0], next((e for e in entries if e.get("name") == "dear"), None)
    auc = Interval.from_dict(best.get("auc_next_renewal"))
    if not auc.available:
        return f"The health definitions could not be compared on renewals: {auc.reason}."
    parts = [f"Of the {len(entries)} health definitions tested against renewals, the {best['label']} deserves the "
             f"most trust: AUC {describe_interval(auc, 'fixed', 2)} for the next renewal decision"]
    if dear is not None and dear is not best:
        parts[0] += f", {_versus(best, dear['label'], 'auc_vs_dear')}"
    parts[0] += "."
    others = [f"the {e['label']} is {_versus(e, best['label'], 'auc_vs_best')}" for e in entries[1:]]
    if others:
        parts.append("Against it, " + "; ".join(others) + ".")
    hi, lo = (Interval.from_dict(best.get(k)) for k in ("churn_rate_unhealthy", "churn_rate_healthy"))
    if hi.available and lo.available:
        parts.append(f"Accounts it calls unhealthy churned at {describe_interval(hi, 'percent')} of their next "
                     f"renewals, the healthy ones at {describe_interval(lo, 'percent')}.")
    return " ".join(parts)


def health_validity_headline(section: Mapping) -> list[str]:
    """The score's correlation with tenure and its AUC for the next renewal."""
    return [
        f"The health score correlates with tenure with Spearman rho {_said(_iv(section, 'tenure_spearman'))} and "
        f"predicts the next renewal with AUC {_said(_iv(section, 'auc_next_renewal'))}."
    ] + [text for text in [definitions_story(section)] if text]


def continuing_trends_headline(section: Mapping, score: str = "health_score") -> list[str]:
    """The score's change per tenure year among continuing accounts, and the features moving against it."""
    slopes = {k: Interval.from_dict(v.get("slope_per_year")) for k, v in section.items()
              if isinstance(v, Mapping) and isinstance(v.get("slope_per_year"), Mapping)}
    if not slopes:
        return []
    out = []
    if score in slopes:
        out.append(f"Among accounts that never churned, the {feature_name(score)} changes by "
                   f"{_feature_iv(slopes[score], score, missing='not computed')} points per year of tenure.")
    against = features_against_score(slopes, score)
    if against:
        out.append("Moving against the score: " + "; ".join(
            f"{feature_name(k, lower=False)} {_feature_iv(slopes[k], k, missing='not computed')} per year" for k in against) + ".")
    others = [k for k in slopes if k != score and k not in against][:5]
    if others:
        out.append("Other changes per year: " + "; ".join(
            f"{feature_name(k, lower=False)} {_feature_iv(slopes[k], k, missing='not computed')}" for k in others) + ".")
    return out


def churn_factors_headline(section: Mapping, top: int = 3) -> list[str]:
    """The strongest churn factors with their odds ratios, and the model's cross-validated AUC."""
    odds = section.get("odds_ratios") or {}
    parts = []
    for factor in list(section.get("ranking") or [])[:top]:
        entry = odds.get(factor, {}) if isinstance(odds, Mapping) else {}
        q = entry.get("q_value") if isinstance(entry, Mapping) else None
        name = feature_name(factor, lower=False)
        if isinstance(entry, Mapping) and entry.get("unstable"):
            parts.append(f"{name} (odds ratio unstable)")
            continue
        parts.append(f"{name} (odds ratio per SD {_said(Interval.from_dict(entry))}"
                     + (f", q {_q(q)})" if _ok(q) else ")"))
    out = ["Strongest churn factors: " + "; ".join(parts) + "."] if parts else []
    out.append(f"Account-grouped cross-validated AUC of the churn model: {_said(_iv(section, 'cv_auc'))}.")
    return out


def kpis_headline(section: Any, top: int = 5) -> list[str]:
    """One sentence per KPI: the side to keep the metric on, the churn rate either side, who is below it now."""
    if not isinstance(section, list):
        return []
    if not section:
        return ["No KPI target: no DEAR feature a CS team can influence is a leading indicator of churn."]
    return [
        f"KPI: keep {feature_name(str(k.get('feature')))} {k.get('direction')} "
        + (_feature_iv(Interval.from_dict(k["threshold_interval"]), str(k.get("feature")), change=False, signed=False,
                       missing="not computed")
           if isinstance(k.get("threshold_interval"), Mapping) else fmt_value(k.get("threshold"), str(k.get("feature"))))
        + f"; churn rate {fmt_pct(k.get('churn_rate_above'))} above it against {fmt_pct(k.get('churn_rate_below'))} below it."
        + _kpi_now(k.get("accounts_below_now"), k.get("arr_below_now"))
        for k in section[:top]
    ]


def lead_time_headline(section: Mapping) -> list[str]:
    """The AUC at the shortest and longest lead, and the leading indicators."""
    leads = list(section.get("leads_days") or [])
    auc = section.get("cv_auc") or {}
    if not leads:
        return []
    first, last = str(leads[0]), str(leads[-1])
    out = [f"Cross-validated AUC {_said(Interval.from_dict(auc.get(first, {})))} at {first} days before the decision, "
           f"{_said(Interval.from_dict(auc.get(last, {})))} at {last} days."]
    labels = section.get("labels") or {}
    leading = [f for f, lab in labels.items() if lab == "leading indicator"]
    out.append("Leading indicators: " + (_names(leading) if leading else "none") + ".")
    return out


# --------------------------------------------------------------------------- retention (notebook 07)

def fmt_money(x: float | None) -> str:
    """An ARR amount in words a leader scans: ``41.2M``, ``812k``, ``950`` (no currency: the data's own)."""
    if not _ok(x):
        return "n/a"
    a = float(x)
    if abs(a) >= 1e6:
        return f"{a / 1e6:.1f}M"
    return f"{a / 1e3:.0f}k" if abs(a) >= 1e3 else f"{a:.0f}"


def describe_target(feature: str, direction: str, threshold: float | None) -> str:
    """A KPI target in words with the feature's unit: ``"at or above 50.4%"``, ``"below 0.94"``, ``"yes"`` for a flag."""
    from .display import unit_of

    unit = unit_of(feature)
    if unit == "flag":
        return "yes" if direction == "above" else "no"
    if unit == "share_change":
        value = "n/a" if not _ok(threshold) else f"{100 * threshold:+.1f} points"
    else:
        value = fmt_pct(threshold) if unit == "share" else fmt_number(threshold)
    return ("at or above " if direction == "above" else "below ") + value


def _between(iv: Interval) -> str:
    """``"97.0% (between 95.5% and 98.2%)"``; a missing value says why."""
    if not iv.available:
        return f"not computable ({iv.reason})"
    if iv.ci_low is None or iv.ci_high is None:
        return f"{fmt_pct(iv.estimate)} (no interval)"
    return f"{fmt_pct(iv.estimate)} (between {fmt_pct(iv.ci_low)} and {fmt_pct(iv.ci_high)})"


def _count(x: Any) -> str:
    return f"{int(x):,}" if _ok(x) else "n/a"


def _moves(totals: Mapping) -> str:
    """Where the ARR went: lost to churn and to contraction, added by expansion (a part that is 0 is said so)."""
    parts = []
    for key, n_key, words in (("arr_lost_churn", "n_churned", "was lost to churn"),
                              ("arr_lost_contraction", "n_contracted", "to contraction")):
        amount = totals.get(key)
        parts.append(f"{fmt_money(amount)} {words} ({_count(totals.get(n_key))} accounts)" if _ok(amount) and amount > 0
                     else f"nothing {words}" if key == "arr_lost_churn" else "nothing to contraction")
    return (f"Of ARR {fmt_money(totals.get('arr_then'))} then, {parts[0]} and {parts[1]}; expansion added "
            f"{fmt_money(totals.get('arr_expansion'))} ({_count(totals.get('n_expanded'))} accounts).")


def _retention_sentences(grr: Interval, nrr: Interval, logo: Interval, totals: Mapping, start: Any) -> list[str]:
    """The three measures and where the ARR went, from plain numbers (shared by the story and the headline)."""
    since = f" on {start}" if start else " at the start of the window"
    kept = (f"We kept {_between(grr)} of the ARR our customers{since} were paying (gross revenue retention); "
            f"counting expansion, we have {_between(nrr)} of it (net revenue retention).")
    logos = (f"Of the {_count(totals.get('n_accounts'))} accounts that were customers then, {_between(logo)} still are "
             "(logo retention).")
    out = [kept, logos, _moves(totals)]
    pending = totals.get("n_pending") or 0
    if pending:
        out[-1] += (f" {_count(pending)} of the lost accounts (ARR {fmt_money(totals.get('arr_pending'))}) have no "
                    "term in force but no churn decision either (renewal pending): they count as lost.")
    return out


def _segment_sentence(groups: Mapping, label: str) -> str:
    """GRR per group (suppressed groups left out), e.g. ``"GRR by segment: enterprise 97.0%, mid 96.8%."``"""
    parts = [f"{key} {fmt_pct(Interval.from_dict(g.get('grr')).estimate)}" for key, g in groups.items()
             if isinstance(g, Mapping) and not g.get("suppressed") and Interval.from_dict(g.get("grr")).available]
    return f"Gross revenue retention by {label}: {', '.join(parts)}." if parts else ""


def retention_headline(section: Mapping) -> list[str]:
    """GRR, NRR and logo retention over the window in a leader's words, where the ARR went, and GRR by segment."""
    months = section.get("window_months", 12)
    out = _retention_sentences(_iv(section, "grr"), _iv(section, "nrr"), _iv(section, "logo_retention"), section,
                               section.get("window_start"))
    out[0] = f"Over the last {months} months: " + out[0][0].lower() + out[0][1:]
    seg = _segment_sentence(section.get("by_segment") or {}, "segment")
    return out + ([seg] if seg else [])


def _at_risk_sentence(at_risk: Sequence[Mapping]) -> str:
    """The target separating churn most and the customers and ARR on its wrong side now."""
    if not at_risk:
        return ""
    r = at_risk[0]
    from .display import display_name

    return (f"The sharpest churn-risk target is {display_name(r['feature'])} "
            f"{describe_target(r['feature'], r['direction'], r.get('threshold'))}: churn at the renewal decision is "
            f"{fmt_pct(r.get('churn_rate_wrong_side'))} on the wrong side against {fmt_pct(r.get('churn_rate_right_side'))} on the right side, "
            f"and {_count(r.get('accounts_below_now'))} current customers with ARR {fmt_money(r.get('arr_below_now'))} "
            f"({fmt_pct(r.get('share_of_current_arr'))} of current ARR) are on the wrong side now.")


def retention_story(result: Any, at_risk: Sequence[Mapping] = ()) -> str:
    """GRR, NRR and logo retention with intervals, the ARR moves, and the ARR below the sharpest target (notebook 07)."""
    start = None if result.start is None else str(result.start.date())
    text = " ".join(_retention_sentences(result.grr, result.nrr, result.logo_retention, result.totals, start))
    text += (f" New customers since then are not counted; the intervals are 95% account-bootstrap intervals. "
             f"{_at_risk_sentence(at_risk)}")
    return text.strip()


# --------------------------------------------------------------------------- KPI tree, peers and purpose

def _fraction_text(af: Any) -> str:
    """An attributable fraction in words: ``"12.3% of churn (95% CI 4.0% to 20.1%)"`` or why not."""
    iv = Interval.from_dict(af) if isinstance(af, Mapping) else Interval.unavailable("not computed")
    if not iv.available:
        return f"attributable churn not computable ({iv.reason})"
    return describe_interval(iv, "percent") + " of churn"


def kpi_tree_lines(node: Mapping[str, Any]) -> list[str]:
    """The text of one KPI-tree box: name, value, target, misses now, attributable churn."""
    label = display_name(str(node.get("label")))
    af = node.get("attributable_fraction") or {}
    iv = Interval.from_dict(af) if isinstance(af, Mapping) else Interval.unavailable("not computed")
    share = (f"churn avoided if met: {fmt_pct(iv.estimate)} ({fmt_pct(iv.ci_low)} to {fmt_pct(iv.ci_high)})"
             if iv.available and iv.ci_low is not None else f"churn avoided if met: {fmt_pct(iv.estimate)}")
    if node.get("parent") is None:
        value = Interval.from_dict(node.get("value"))
        return [label, f"{fmt_pct(value.estimate)} (95% CI {fmt_pct(value.ci_low)} to {fmt_pct(value.ci_high)})",
                share if iv.available else "no KPI with a target"]
    if node.get("feature") is None:
        return [label, share if iv.available else "no KPI with a target"]
    feature = str(node["feature"])
    if node.get("target") is None:
        return [label, f"now {fmt_value(node.get('value'), feature)}; no target"]
    misses = node.get("misses")
    return [label, f"now {fmt_value(node.get('value'), feature)}; target "
                   f"{describe_target(feature, str(node.get('direction')), node.get('target'))}",
            f"missing now: {'n/a' if misses is None else f'{misses:,}'} customers; {share}" if iv.available
            else f"missing now: {'n/a' if misses is None else f'{misses:,}'} customers; not estimable"]


def kpi_tree_story(nodes: Sequence[Mapping[str, Any]]) -> str:
    """The churn rate, the churn attributable to all KPIs, and the KPI with the largest attributable churn."""
    root = next((n for n in nodes if n.get("parent") is None), None)
    if root is None:
        return "No KPI tree."
    rate = Interval.from_dict(root.get("value"))
    text = f"Churn per renewal decision: {describe_interval(rate, 'percent')}. "
    text += f"Had every decision met all the tree's KPI targets: {_fraction_text(root.get('attributable_fraction'))} "
    text += "would not have happened (estimated with the churn model; causal only if the KPIs drive churn)."
    leaves = [n for n in nodes if n.get("feature") and Interval.from_dict(n.get("attributable_fraction")).available]
    if leaves:
        top = max(leaves, key=lambda n: Interval.from_dict(n["attributable_fraction"]).estimate)
        text += (f" Largest single KPI: {feature_name(str(top['feature']))} "
                 f"({_fraction_text(top['attributable_fraction'])}).")
    return text


def kpi_tree_headline(section: Any) -> list[str]:
    """The KPI tree's story from its findings section."""
    if not isinstance(section, Mapping) or not isinstance(section.get("nodes"), list):
        return []
    return [kpi_tree_story(section["nodes"])]


def peer_story(section: Mapping[str, Any]) -> str:
    """How churn falls per 10 peer-percentile points for the health score and the component that matters most."""
    comps = section.get("components") or {}
    ors = {c: Interval.from_dict(v.get("odds_ratio_per_10_points")) for c, v in comps.items() if isinstance(v, Mapping)}
    ors = {c: iv for c, iv in ors.items() if iv.available}
    if not ors:
        return "No peer benchmark could be related to churn on this data."
    strongest = min(ors, key=lambda c: ors[c].estimate)
    text = (f"Peers are customers of the same segment and size band at the same date. "
            f"Per 10 peer-percentile points of {feature_name(strongest)} the odds of churn at the next renewal "
            f"change by a factor of {describe_interval(ors[strongest], 'ratio')}")
    if "health_score" in ors and strongest != "health_score":
        text += f"; of the health score, {describe_interval(ors['health_score'], 'ratio')}"
    bands = (comps.get(strongest) or {}).get("bands") or {}
    low, high = bands.get("0-25", {}).get("churn_rate"), bands.get("75-100", {}).get("churn_rate")
    if isinstance(low, Mapping) and isinstance(high, Mapping):
        text += (f". Churn in the bottom quarter of peers: {describe_interval(Interval.from_dict(low), 'percent')}; "
                 f"in the top quarter: {describe_interval(Interval.from_dict(high), 'percent')}")
    return text + "."


def peer_headline(section: Any) -> list[str]:
    """The peer-benchmark story from its findings section."""
    return [peer_story(section)] if isinstance(section, Mapping) and "components" in section else []


def purpose_name(purpose: str) -> str:
    """A purpose of purchase in words (``sales_enablement`` -> ``Sales enablement``; unknown stays as written)."""
    return purpose if purpose.startswith("(") else display_name(purpose)


def purpose_rows(groups: Mapping[str, Any]) -> list[dict[str, str]]:
    """The purpose table's rows: purpose, accounts, churn rate and health score in words."""
    rows = []
    for purpose, g in groups.items():
        if g.get("suppressed"):
            rows.append({"Purpose of purchase": purpose_name(purpose), "Accounts": "suppressed",
                         "Churn per renewal decision (95% CI)": g.get("reason", ""), "Health score now (95% CI)": ""})
            continue
        rows.append({"Purpose of purchase": purpose_name(purpose), "Accounts": f"{g['n_accounts']:,}",
                     "Churn per renewal decision (95% CI)": describe_interval(Interval.from_dict(g["churn_rate"]),
                                                                               "percent"),
                     "Health score now (95% CI)": describe_interval(Interval.from_dict(g["health_score"]), "fixed")})
    return rows


def purpose_story(section: Mapping[str, Any]) -> str:
    """The purposes with the highest and lowest churn, with their intervals."""
    groups = {p: g for p, g in (section.get("by_purpose") or {}).items()
              if isinstance(g, Mapping) and not g.get("suppressed") and not str(p).startswith("(")}
    rates = {p: Interval.from_dict(g.get("churn_rate")) for p, g in groups.items()}
    rates = {p: iv for p, iv in rates.items() if iv.available}
    if len(rates) < 2:
        return "Too few accounts per purpose of purchase to compare churn."
    hi, lo = max(rates, key=lambda p: rates[p].estimate), min(rates, key=lambda p: rates[p].estimate)
    return (f"Churn per renewal decision is highest for customers who bought for {purpose_name(hi).lower()} "
            f"({describe_interval(rates[hi], 'percent')}) and lowest for {purpose_name(lo).lower()} "
            f"({describe_interval(rates[lo], 'percent')}); purpose is what the customer said, not a cause.")


def purpose_headline(section: Any) -> list[str]:
    """The purpose story from its findings section."""
    return [purpose_story(section)] if isinstance(section, Mapping) and "by_purpose" in section else []
