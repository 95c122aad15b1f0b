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

from . import i18n
from .analysis.results import Interval
from .display import definition_name, display_name, unit_of
from .i18n import fmt, t

__all__ = [
    "adjusted_churn_story",
    "audit_story",
    "churn_factors_headline",
    "churn_factors_story",
    "churned_accounts_headline",
    "churned_accounts_story",
    "continuing_trends_headline",
    "continuing_trends_story",
    "definitions_story",
    "describe_interval",
    "describe_target",
    "feature_name",
    "feature_unit",
    "features_against_score",
    "fmt_money",
    "fmt_number",
    "fmt_p",
    "fmt_pct",
    "fmt_points",
    "fmt_value",
    "health_validity_headline",
    "health_validity_story",
    "how_to_read",
    "join",
    "kpi_story",
    "kpi_tree_headline",
    "kpi_tree_lines",
    "kpi_tree_story",
    "kpis_headline",
    "lead_time_headline",
    "lead_time_story",
    "onboarding_churn_headline",
    "onboarding_churn_story",
    "onboarding_health_headline",
    "onboarding_health_story",
    "peer_headline",
    "peer_story",
    "purpose_headline",
    "purpose_name",
    "purpose_rows",
    "purpose_story",
    "retention_headline",
    "retention_story",
]

_UNITS = ("number", "percent", "points", "ratio", "fixed")


def _ok(x: Any) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def how_to_read() -> tuple[tuple[str, str], ...]:
    """One line each on how to read the report's numbers (the box on every report page), in the current language."""
    return tuple((str(term), str(text)) for term, text in i18n.entries("how_to_read.report"))


def __getattr__(name: str) -> Any:
    if name == "HOW_TO_READ":  # the English lines, as before the catalogue
        with i18n.language(i18n.DEFAULT):
            return how_to_read()
    raise AttributeError(name)


def join(parts: Any, sep: str = "list_sep") -> str:
    """Parts of a sentence joined the language's way (``"; "`` in English, ``"、"`` in Japanese)."""
    return fmt(sep).join(str(p) for p in parts)

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
        return fmt("na")
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
    return fmt("na") if not _ok(x) else fmt("percent", value=f"{100 * x:.{digits}f}")


def fmt_points(x: float | None, digits: int = 1, signed: bool = True) -> str:
    """A difference of two proportions in percentage points, e.g. ``0.0213 -> "+2.1 points"``."""
    if not _ok(x):
        return fmt("na")
    return fmt("points", value=f"{100 * x:+.{digits}f}" if signed else f"{100 * x:.{digits}f}")


def fmt_p(p: float | None) -> str:
    """A p- or q-value: ``"< 0.001"`` below 0.001, three decimals below 0.01, else two (``0.27``)."""
    if not _ok(p):
        return fmt("na")
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
    return fmt("comma").join(feature_name(n) for n in names)


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


def _feature_iv(iv: Interval, feature: str, change: bool = True, signed: bool = True, missing: str | None = None) -> str:
    """An interval of ``feature`` (a difference or slope when ``change``) in its unit."""
    unit = feature_unit(feature, change)
    if unit == "number":
        return describe_interval(iv, "number", signed=signed, missing=missing)
    return describe_interval(iv, unit, signed=signed and unit == "points", missing=missing)


def _value(x: float | None, unit: str, digits: int, signed: bool = False) -> str:
    if unit == "percent":
        return fmt_pct(x, digits)
    if unit == "points":
        return fmt("na") if not _ok(x) else (f"{100 * x:+.{digits}f}" if signed else f"{100 * x:.{digits}f}")
    if unit == "fixed":
        return fmt("na") if not _ok(x) else (f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}")
    return fmt_number(x, digits + 2, signed=signed)


def describe_interval(iv: Interval, unit: str = "number", digits: int = 1, label: str = "", *,
                      signed: bool = False, missing: str | None = None) -> str:
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
    missing : str, optional
        What a missing estimate is called (default ``narrative.not_available`` of the
        catalogue: "not available"), followed by the reason in brackets.

    Returns
    -------
    str
        ``"<missing> (<reason>)"`` when the estimate is missing.
    """
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {_UNITS}, got {unit!r}")
    prefix = f"{label} " if label else ""
    if not iv.available:
        return t("narrative.missing", prefix=prefix, missing=missing or t("narrative.not_available"),
                 reason=i18n.label_text(str(iv.reason)) if iv.reason is not None else iv.reason)
    suffix = fmt("points_suffix") if unit == "points" else ""
    est = _value(iv.estimate, unit, digits, signed) + suffix
    if iv.ci_low is None or iv.ci_high is None:
        return t("narrative.no_interval", prefix=prefix, estimate=est)
    low, high = _value(iv.ci_low, unit, digits, signed), _value(iv.ci_high, unit, digits, signed)
    return prefix + est + fmt("bracket", text=_ci_words(iv.level, low, high, suffix))


def _ci_words(level: float, low: str, high: str, suffix: str = "") -> str:
    """``"95% CI a to b"`` in the language of the run."""
    return fmt("ci", level=fmt("level", level=f"{level * 100:g}"), low=low, high=high, suffix=suffix)


def _ci(iv: Interval, unit: str, digits: int = 1) -> str:
    """Only the bracketed interval part: ``"95% CI a to b"``."""
    suffix = fmt("points_suffix") if unit == "points" else ""
    return _ci_words(iv.level, _value(iv.ci_low, unit, digits), _value(iv.ci_high, unit, digits), suffix)


def _years(h: float) -> str:
    return t("narrative.year" if h == 1 else "narrative.years", n=f"{h:g}")


def onboarding_churn_story(result: Any) -> str:
    """Failed vs succeeded onboarding: churn within the horizon, with the power caveat when not significant.

    ``result`` is an :class:`~csresearch.analysis.survival.OnboardingChurnResult`.
    """
    rd, f, s = result.risk_difference, result.churn_failed, result.churn_succeeded
    h = _years(result.horizon_years)
    if not (rd.available and f.available and s.available):
        why = next(iv.reason for iv in (rd, f, s) if not iv.available)
        return t("narrative.onboarding_churn.unavailable", h=h, why=why)
    text = t("narrative.onboarding_churn.more" if rd.estimate >= 0 else "narrative.onboarding_churn.less",
             points=f"{abs(100 * rd.estimate):.1f}", h=h, failed=fmt_pct(f.estimate), succeeded=fmt_pct(s.estimate),
             ci=_ci(rd, "points"))
    mdd = result.min_detectable_difference
    if rd.excludes(0):
        p = t("narrative.onboarding_churn.logrank", p=_q(result.p_value)) if _ok(result.p_value) else ""
        return text + t("narrative.onboarding_churn.excludes", p=p)
    text += t("narrative.onboarding_churn.cannot")
    if _ok(mdd):
        text += t("narrative.onboarding_churn.mdd", points=f"{100 * mdd:.1f}")
    return text + t("answers.stop")


def _e_value_sentence(ev: Mapping) -> str:
    """The E-value of an adjusted risk ratio and of its confidence limit in one sentence."""
    est, lim = ev.get("estimate"), ev.get("ci_limit")
    if not _ok(est):
        return t("narrative.e_value.missing", reason=ev.get("reason", t("narrative.e_value.no_ratio")))
    text = t("narrative.e_value.text", e=fmt_number(est))
    if _ok(lim) and lim > 1:
        return text + t("narrative.e_value.limit", e=fmt_number(lim))
    return text + t("narrative.e_value.includes")


def _assumptions(confounders: Sequence[str], n_truncated: int) -> str:
    trunc = t("narrative.assumptions.truncated", n=n_truncated) if n_truncated else ""
    return t("narrative.assumptions.text", confounders=_names(confounders) or t("narrative.nothing_measured"),
             truncated=trunc)


def adjusted_churn_story(adjusted: Any, reason: str = "") -> str:
    """The adjusted (IPW Kaplan-Meier) effect of failing onboarding, its assumptions and E-value.

    ``adjusted`` is an :class:`~csresearch.analysis.causal.AdjustedChurnResult` or None (then ``reason`` is said).
    """
    if adjusted is None:
        return t("narrative.adjusted.none", reason=reason)
    rd, h = adjusted.risk_difference, _years(adjusted.horizon_years)
    if not rd.available:
        return t("narrative.adjusted.unavailable", h=h, reason=rd.reason)
    verdict = t("narrative.excludes_zero" if rd.excludes(0) else "narrative.indistinguishable")
    text = t("narrative.adjusted.text", confounders=_names(adjusted.confounders) or t("narrative.nothing"), h=h,
             effect=describe_interval(rd, "points", signed=True), verdict=verdict,
             failed=fmt_pct(adjusted.risk_failed.estimate), succeeded=fmt_pct(adjusted.risk_succeeded.estimate),
             ratio=describe_interval(adjusted.risk_ratio, "ratio"))
    return text + _assumptions(adjusted.confounders, adjusted.n_truncated) + fmt("sentence_sep") + _e_value_sentence(
        adjusted.e_value)


def _gap(feature: str, iv: Interval) -> str:
    """``"<feature> lower by <size> (95% CI a to b)"``, the interval of the size when lower."""
    if iv.estimate < 0:
        iv = Interval(-iv.estimate, -iv.ci_high, -iv.ci_low, level=iv.level)
        key = "narrative.gap.lower"
    else:
        key = "narrative.gap.higher"
    return t(key, name=feature_name(feature, lower=False), size=_feature_iv(iv, feature, signed=False))


def _left_out(dropped: Mapping[str, Any] | None) -> str:
    """Who a snapshot left out, in words (``{"not_customer_at_as_of": 85}`` -> "85 no longer customers")."""
    words = i18n.entries("narrative.left_out")
    parts = [t("narrative.left_out_part", n=int(n), why=words.get(str(k), str(k).replace("_", " ")))
             for k, n in (dropped or {}).items() if _ok(n) and n > 0]
    return join(parts) or t("narrative.none")


def onboarding_health_story(cmp: Any, weighted: Any = None, top: int = 3, n_accounts: int | None = None,
                            dropped: Mapping[str, Any] | None = None) -> str:
    """Unhealthy share and the largest adjusted feature gaps after onboarding (a :class:`GroupComparison`).

    ``n_accounts`` and ``dropped`` (reason -> count), when given, add who the snapshot covers.
    """
    months = cmp.months_after
    when = (t("narrative.health.when", months=months) if months is not None else t("narrative.health.after"))
    rr, f, s = cmp.unhealthy_risk_ratio, cmp.unhealthy_failed, cmp.unhealthy_succeeded
    if rr is None or not (rr.available and f.available and s.available):
        why = rr.reason if rr is not None and not rr.available else t("narrative.health.no_score")
        text = t("narrative.health.not_compared", when=when, why=why)
    else:
        verdict = t("narrative.health.real" if rr.excludes(1.0) else "narrative.health.no_difference")
        text = t("narrative.health.text", when=when[:1].upper() + when[1:], failed=fmt_pct(f.estimate),
                 threshold=fmt_number(cmp.unhealthy_threshold), succeeded=fmt_pct(s.estimate),
                 times=fmt_number(rr.estimate), ci=_ci(rr, "ratio"), verdict=verdict)
    clear = [(k, iv) for k, iv in cmp.adjusted.items() if iv.available and iv.excludes(0) and not k.startswith("health_")]
    if clear:
        clear.sort(key=lambda kv: -abs(kv[1].estimate) / max(kv[1].ci_high - kv[1].ci_low, 1e-300))  # clearest first
        text += t("narrative.health.clearest", gaps=join(_gap(k, iv) for k, iv in clear[:top]))
    else:
        text += t("narrative.health.no_gap")
    wrr = getattr(weighted, "unhealthy_risk_ratio", None)
    if wrr is not None:
        text += t("narrative.health.weighted", confounders=_names(weighted.confounders) or t("narrative.nothing"),
                  ratio=describe_interval(wrr, "ratio"))
    if n_accounts is not None:
        text += t("narrative.health.covers", n=f"{n_accounts:,}", months=months, left_out=_left_out(dropped))
    return text


def health_validity_story(tenure: Interval, within: Interval | None, auc: Interval) -> str:
    """Does the health score mean anything: tenure correlation (pooled and within cohorts) and renewal AUC."""
    parts = []
    if tenure.available:
        sign = ("rises" if tenure.excludes(0) and tenure.estimate > 0 else ("falls" if tenure.excludes(0) else "flat"))
        parts.append(t(f"narrative.validity.tenure_{sign}", rho=describe_interval(tenure)))
    else:
        parts.append(t("narrative.validity.tenure_missing", reason=tenure.reason))
    if within is not None:
        if within.available:
            same_sign = tenure.available and (within.estimate > 0) == (tenure.estimate > 0)
            holds = "holds" if within.excludes(0) and same_sign else "not_holds"
            parts.append(t(f"narrative.validity.within_{holds}", rho=describe_interval(within)))
        else:
            parts.append(t("narrative.validity.within_missing", reason=within.reason))
    if auc.available:
        verdict = t("narrative.validity.better" if auc.ci_low is not None and auc.ci_low > 0.5
                    else "narrative.validity.coin_flip")
        parts.append(t("narrative.validity.auc", auc=describe_interval(auc), verdict=verdict))
    else:
        parts.append(t("narrative.validity.auc_missing", reason=auc.reason))
    return fmt("sentence_sep").join(parts)


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
        return t("narrative.trends.unavailable", name=feature_name(score),
                 reason=getattr(ref, "reason", t("narrative.no_data")))
    text = t("narrative.trends.text", name=feature_name(score), slope=_feature_iv(ref, score))
    text += t("answers.stop") if ref.excludes(0) else t("narrative.trends.no_change")
    against = features_against_score(slopes, score)
    if against:
        parts = [t("narrative.trends.against_part", name=feature_name(k), slope=_feature_iv(slopes[k], k)) for k in against]
        text += t("narrative.trends.against", parts=join(parts))
    elif ref.excludes(0):
        text += t("narrative.trends.none_against")
    return text


def _month_interval(iv: Interval) -> str:
    """A first-month interval in words; an upper bound of 0 means "not before the decision"."""
    if iv.ci_low is None or iv.ci_high is None:
        return t("narrative.separation.month", month=int(iv.estimate))
    high = t("narrative.separation.no_separation") if iv.ci_high >= 0 else f"{int(iv.ci_high)}"
    return t("narrative.separation.month_ci", month=int(iv.estimate),
             ci=_ci_words(iv.level, f"{int(iv.ci_low)}", high))


def _separation_sentences(rows: Mapping[str, Mapping[str, Any]], first: Sequence[str], start: int | None,
                          lead_days: int | None) -> list[str]:
    """Sentences of the event study: the first components (ties together), baseline differences, the lead view.

    ``rows`` maps each feature to ``kind``, ``first_month`` (Interval) and ``gap_at_first`` (Interval).
    """
    if first:
        parts = [t("narrative.separation.part", name=feature_name(f, lower=False),
                   month=_month_interval(rows[f]["first_month"]), gap=_feature_iv(rows[f]["gap_at_first"], f))
                 for f in first]
        out = [t("narrative.separation.first", parts=join(parts))]
        if len(first) > 1:
            out.append(t("narrative.separation.ties", n=len(first)))
    else:
        out = [t("narrative.separation.none")]
    baseline = [f for f, r in rows.items() if r["kind"] == "baseline difference"]
    if baseline:
        out.append(t("narrative.separation.baseline", start=start, names=_names(baseline)))
    if lead_days is not None:
        lead_month = -round(lead_days / 30.4375)
        ahead = [f for f, r in rows.items() if r["first_month"].available and r["first_month"].estimate <= lead_month]
        out.append(t("narrative.separation.lead_one" if len(ahead) == 1 else "narrative.separation.lead_many",
                     days=lead_days, n=len(ahead))
                   + (t("narrative.separation.ahead", names=_names(ahead)) if ahead else t("answers.stop")))
    return out


def churned_accounts_story(events: Any, lead_days: int | None = None) -> str:
    """Which components separate churned from renewed accounts first (an :class:`EventStudy`)."""
    rows = {str(f): {"kind": events.kind(f), "first_month": events.first_month[f], "gap_at_first": events.gap_at_first[f]}
            for f in events.summary.index}
    start = int(events.months[0]) if events.months else None
    return fmt("sentence_sep").join(_separation_sentences(rows, list(events.first_components), start, lead_days))


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
        return t("narrative.factors.none")
    odds = result.odds_ratios
    unstable = set(odds.loc[odds["unstable"].astype(bool), "factor"]) if "unstable" in odds.columns else set()
    parts = []
    for factor in ranking[:top]:
        r = result.summary.loc[factor]
        name = feature_name(factor, lower=False)
        if factor in unstable:
            parts.append(t("narrative.factors.unstable_notes", name=name))
        elif _ok(r["odds_ratio"]):
            q = t("narrative.factors.q", q=_q(r["q_value"])) if _ok(r["q_value"]) else ""
            parts.append(t("narrative.factors.odds", name=name, ratio=fmt_number(r["odds_ratio"]),
                           ci=_ci_words(0.95, fmt_number(r["or_ci_low"]), fmt_number(r["or_ci_high"])), q=q))
        else:
            parts.append(name)
    text = t("narrative.factors.ranking", parts=join(parts))
    auc = result.cv_auc
    if auc.available:
        text += t("narrative.factors.auc", model=result.chosen_model, auc=describe_interval(auc))
    return text


def _kpi_now(accounts: Any, arr: Any) -> str:
    if not _ok(accounts):
        return ""
    money = t("answers.kpi.arr", arr=fmt_money(arr)) if _ok(arr) else ""
    return t("narrative.kpi.now", n=f"{int(accounts):,}", money=money)


def kpi_story(kpis: Sequence[Any]) -> str:
    """One sentence per KPI target: the side to keep the metric on, the churn rate either side, who is below now."""
    if not kpis:
        return t("narrative.kpi.none_story")
    lines = []
    for k in kpis:
        thr = k.threshold
        if not thr.available:
            lines.append(t("narrative.kpi.no_target", name=feature_name(k.feature, lower=False), reason=thr.reason))
            continue
        lines.append(t("narrative.kpi.keep_above" if k.direction == "above" else "narrative.kpi.keep_below",
                       name=feature_name(k.feature),
                       lead=t("narrative.kpi.leading") if getattr(k, "leading", None) else "",
                       threshold=_feature_iv(thr, k.feature, change=False, signed=False),
                       multiple=fmt_number(getattr(k, "multiple", 1.0), 2),
                       below=describe_interval(k.churn_rate_below, "percent"),
                       above=describe_interval(k.churn_rate_above, "percent"))
                     + _kpi_now(getattr(k, "accounts_below_now", None), getattr(k, "arr_below_now", None)))
    return fmt("sentence_sep").join(lines)


def lead_time_story(result: Any) -> str:
    """The cross-validated AUC at each lead and which top factors are leading indicators or late symptoms."""
    s = result.summary
    if not len(s):
        return t("narrative.lead_time.none")
    aucs = join(t("narrative.lead_time.lead", lead=lead, auc=fmt_number(r["cv_auc"], 2),
                  range=fmt("range", low=fmt_number(r["ci_low"], 2), high=fmt_number(r["ci_high"], 2)))
                for lead, r in s.iterrows())
    text = t("narrative.lead_time.aucs", aucs=aucs)
    leading = [f for f, lab in result.labels.items() if lab == "leading indicator"]
    late = [f for f, lab in result.labels.items() if lab == "late symptom"]
    text += t("narrative.lead_time.leading", names=_names(leading) or t("narrative.none"))
    if late:
        text += t("narrative.lead_time.late", names=_names(late))
    return text


def audit_story(audit: Any) -> str:
    """Decisions, churn rate per decision and the data-quality warnings of a :class:`DataAudit`."""
    n_dec = int(audit.churn_by_year["decisions"].sum()) if len(audit.churn_by_year) else 0
    text = t("narrative.audit.decisions", n=f"{n_dec:,}")
    if audit.overall_churn is not None and audit.overall_churn.available:
        text += t("narrative.audit.churn", churn=describe_interval(audit.overall_churn, "percent"))
    text += t("answers.stop")
    if audit.validation is not None:
        text += t("narrative.audit.valid" if audit.validation.is_valid else "narrative.audit.invalid")
    warn = audit.flags.loc[audit.flags["severity"] == "warning", "flag"].tolist()
    text += t("narrative.audit.warnings", flags=fmt("comma").join(warn)) if warn else t("narrative.audit.no_warning")
    return text


# --------------------------------------------------------------------------- headlines from findings sections

def _iv(section: Mapping, key: str) -> Interval:
    return Interval.from_dict(section.get(key))


def _said(iv: Interval, unit: str = "number", digits: int = 1, signed: bool = False) -> str:
    """An interval as a headline shows it (a missing value is "not computed (reason)")."""
    return describe_interval(iv, unit, digits, signed=signed, missing=t("narrative.not_computed"))


def onboarding_churn_headline(section: Mapping) -> list[str]:
    """Churn within the horizon after failed vs succeeded onboarding, the difference and what the data could detect."""
    rd = _iv(section, "risk_difference")
    points = Interval(*(None if v is None else 100 * v for v in (rd.estimate, rd.ci_low, rd.ci_high)),
                      level=rd.level, reason=rd.reason)
    p, mdd = section.get("p_value"), section.get("min_detectable_difference")
    return _adjusted_headline(section) + [
        t("narrative.headline.onboarding_churn", years=section.get("horizon_years"),
          failed=_said(_iv(section, "churn_failed"), "percent"), succeeded=_said(_iv(section, "churn_succeeded"), "percent"),
          points=_said(points, "fixed"), p=t("narrative.headline.p", p=_q(p)) if _ok(p) else "")
        + (t("narrative.headline.mdd", points=f"{100 * mdd:.1f}") if _ok(mdd) else t("answers.stop"))
    ]


def _adjusted_headline(section: Mapping) -> list[str]:
    """The adjusted churn difference (points) with its assumptions' E-value; empty when the section has none."""
    if "risk_difference_adjusted" not in section:
        return []
    rd = _iv(section, "risk_difference_adjusted")
    if not rd.available:
        return [t("narrative.headline.adjusted_missing", reason=rd.reason)]
    points = Interval(*(None if v is None else 100 * v for v in (rd.estimate, rd.ci_low, rd.ci_high)), level=rd.level)
    conf = _names(section.get("confounders") or []) or t("narrative.nothing")
    ev = section.get("e_value") or {}
    return [t("narrative.headline.adjusted", confounders=conf, years=section.get("horizon_years"),
              points=_said(points, "fixed", signed=True)) + _e_value_sentence(ev)]


def onboarding_health_headline(section: Mapping) -> list[str]:
    """How much more often failed accounts are unhealthy later, and the adjusted feature differences."""
    out = [t("narrative.headline.onboarding_health", months=section.get("months_after"),
             ratio=_said(_iv(section, "unhealthy_risk_ratio")), threshold=fmt_number(section.get("unhealthy_threshold")),
             failed=_said(_iv(section, "unhealthy_share_failed"), "percent"),
             succeeded=_said(_iv(section, "unhealthy_share_succeeded"), "percent"))]
    adjusted = section.get("feature_difference_adjusted") or {}
    if isinstance(adjusted, Mapping) and adjusted:
        parts = [f"{feature_name(k, lower=False)} "
                 f"{_feature_iv(Interval.from_dict(v), k, missing=t('narrative.not_computed'))}"
                 for k, v in list(adjusted.items())[:4]]
        out.append(t("narrative.headline.differences", parts=join(parts)))
    if "unhealthy_risk_ratio_weighted" in section:
        conf = _names(section.get("weighted_confounders") or []) or t("narrative.nothing")
        out.append(t("narrative.headline.weighted", confounders=conf,
                     ratio=_said(_iv(section, "unhealthy_risk_ratio_weighted"))))
    return out


def _def_name(entry: Mapping) -> str:
    """A definition's name in the language of the run (a built-in's from the catalogue, else its label)."""
    return definition_name(str(entry.get("name")), entry.get("label"))


def _versus(entry: Mapping, other: str, key: str) -> str:
    """How one definition's renewal AUC compares with another's, with the paired interval, in words."""
    diff = Interval.from_dict(entry.get(key))
    if not diff.available:
        return t("narrative.definitions.versus_missing", other=other, reason=i18n.label_text(str(diff.reason)))
    interval = describe_interval(diff, "fixed", 2, i18n.label("AUC difference"), signed=True)
    if diff.excludes(0):
        return t("narrative.definitions.higher" if diff.estimate > 0 else "narrative.definitions.lower",
                 other=other, interval=interval)
    return t("narrative.definitions.indistinguishable", other=other, interval=interval)


def definitions_story(section: Mapping) -> str:
    """Which health definition deserves trust, and by how much: the renewal AUC ranking with paired differences.

    ``section`` holds ``definitions`` (entries in rank order) and ``definition_comparison``
    (the findings of :class:`csresearch.study.definitions.DefinitionValidity`).
    """
    entries = [e for e in section.get("definitions") or [] if isinstance(e, Mapping)]
    if not entries:
        why = (section.get("definition_comparison") or {}).get("reason")
        return t("narrative.definitions.not_compared", why=i18n.label_text(str(why))) if why else ""
    best, dear = entries[0], next((e for e in entries if e.get("name") == "dear"), None)
    auc = Interval.from_dict(best.get("auc_next_renewal"))
    if not auc.available:
        return t("narrative.definitions.no_auc", reason=i18n.label_text(str(auc.reason)))
    versus = ""
    if dear is not None and dear is not best:
        versus = t("narrative.definitions.versus_dear", versus=_versus(best, _def_name(dear), "auc_vs_dear"))
    parts = [t("narrative.definitions.best", n=len(entries), best=_def_name(best),
               auc=describe_interval(auc, "fixed", 2), versus=versus)]
    others = [t("narrative.definitions.other", name=_def_name(e), versus=_versus(e, _def_name(best), "auc_vs_best"))
              for e in entries[1:]]
    if others:
        parts.append(t("narrative.definitions.against", others=join(others)))
    hi, lo = (Interval.from_dict(best.get(k)) for k in ("churn_rate_unhealthy", "churn_rate_healthy"))
    if hi.available and lo.available:
        parts.append(t("narrative.definitions.churn", unhealthy=describe_interval(hi, "percent"),
                       healthy=describe_interval(lo, "percent")))
    return fmt("sentence_sep").join(parts)


def health_validity_headline(section: Mapping) -> list[str]:
    """The score's correlation with tenure and its AUC for the next renewal."""
    return [t("narrative.headline.validity", rho=_said(_iv(section, "tenure_spearman")),
              auc=_said(_iv(section, "auc_next_renewal")))] + [text for text in [definitions_story(section)] if text]


def continuing_trends_headline(section: Mapping, score: str = "health_score") -> list[str]:
    """The score's change per tenure year among continuing accounts, and the features moving against it."""
    slopes = {k: Interval.from_dict(v.get("slope_per_year")) for k, v in section.items()
              if isinstance(v, Mapping) and isinstance(v.get("slope_per_year"), Mapping)}
    if not slopes:
        return []
    out, missing = [], t("narrative.not_computed")
    if score in slopes:
        out.append(t("narrative.headline.trend", name=feature_name(score),
                     slope=_feature_iv(slopes[score], score, missing=missing)))
    against = features_against_score(slopes, score)
    if against:
        out.append(t("narrative.headline.against", parts=join(
            t("narrative.headline.per_year", name=feature_name(k, lower=False),
              slope=_feature_iv(slopes[k], k, missing=missing)) for k in against)))
    others = [k for k in slopes if k != score and k not in against][:5]
    if others:
        out.append(t("narrative.headline.others", parts=join(
            f"{feature_name(k, lower=False)} {_feature_iv(slopes[k], k, missing=missing)}" for k in others)))
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
            parts.append(t("narrative.factors.unstable", name=name))
            continue
        parts.append(t("narrative.factors.per_sd", name=name, ratio=_said(Interval.from_dict(entry)),
                       q=t("narrative.factors.q", q=_q(q)) if _ok(q) else ""))
    out = [t("narrative.headline.factors", parts=join(parts))] if parts else []
    out.append(t("narrative.headline.cv_auc", auc=_said(_iv(section, "cv_auc"))))
    return out


def kpis_headline(section: Any, top: int = 5) -> list[str]:
    """One sentence per KPI: the side to keep the metric on, the churn rate either side, who is below it now."""
    if not isinstance(section, list):
        return []
    if not section:
        return [t("narrative.kpi.none_headline")]
    return [
        t("narrative.kpi.headline", name=feature_name(str(k.get("feature"))),
          direction=t(f"narrative.kpi.direction.{k.get('direction')}") if k.get("direction") in ("above", "below")
          else k.get("direction"),
          threshold=(_feature_iv(Interval.from_dict(k["threshold_interval"]), str(k.get("feature")), change=False,
                                 signed=False, missing=t("narrative.not_computed"))
                     if isinstance(k.get("threshold_interval"), Mapping)
                     else fmt_value(k.get("threshold"), str(k.get("feature")))),
          above=fmt_pct(k.get("churn_rate_above")), below=fmt_pct(k.get("churn_rate_below")))
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
    out = [t("narrative.headline.lead_time", first_auc=_said(Interval.from_dict(auc.get(first, {}))), first=first,
             last_auc=_said(Interval.from_dict(auc.get(last, {}))), last=last)]
    labels = section.get("labels") or {}
    leading = [f for f, lab in labels.items() if lab == "leading indicator"]
    out.append(t("narrative.headline.leading", names=_names(leading) if leading else t("narrative.none")))
    return out


# --------------------------------------------------------------------------- retention (notebook 07)

def fmt_money(x: float | None) -> str:
    """An ARR amount in words a leader scans: ``41.2M``, ``812k``, ``950`` (no currency: the data's own).

    The units are the language's (``format.money`` of the catalogue: 万 and 億 in Japanese).
    """
    if not _ok(x):
        return fmt("na")
    a = float(x)
    for size, pattern in i18n.money_units():
        if abs(a) >= size:
            return pattern.format(a / size)
    return f"{a:.0f}"


def describe_target(feature: str, direction: str, threshold: float | None) -> str:
    """A KPI target in words with the feature's unit: ``"at or above 50.4%"``, ``"below 0.94"``, ``"yes"`` for a flag."""
    unit = unit_of(feature)
    if unit == "flag":
        return t("narrative.yes" if direction == "above" else "narrative.no")
    if unit == "share_change":
        value = fmt("na") if not _ok(threshold) else fmt("points", value=f"{100 * threshold:+.1f}")
    else:
        value = fmt_pct(threshold) if unit == "share" else fmt_number(threshold)
    return t("narrative.target.above" if direction == "above" else "narrative.target.below", value=value)


def _between(iv: Interval) -> str:
    """``"97.0% (between 95.5% and 98.2%)"``; a missing value says why."""
    if not iv.available:
        return t("narrative.retention.not_computable", reason=iv.reason)
    if iv.ci_low is None or iv.ci_high is None:
        return t("narrative.no_interval", prefix="", estimate=fmt_pct(iv.estimate))
    return t("narrative.retention.between", value=fmt_pct(iv.estimate), low=fmt_pct(iv.ci_low), high=fmt_pct(iv.ci_high))


def _count(x: Any) -> str:
    return f"{int(x):,}" if _ok(x) else fmt("na")


def _moves(totals: Mapping) -> str:
    """Where the ARR went: lost to churn and to contraction, added by expansion (a part that is 0 is said so)."""
    parts = []
    for key, n_key in (("arr_lost_churn", "n_churned"), ("arr_lost_contraction", "n_contracted")):
        amount = totals.get(key)
        parts.append(t(f"narrative.retention.{key}", money=fmt_money(amount), n=_count(totals.get(n_key)))
                     if _ok(amount) and amount > 0 else t(f"narrative.retention.{key}_none"))
    return t("narrative.retention.moves", then=fmt_money(totals.get("arr_then")), churn=parts[0], contraction=parts[1],
             expansion=fmt_money(totals.get("arr_expansion")), n=_count(totals.get("n_expanded")))


def _retention_sentences(grr: Interval, nrr: Interval, logo: Interval, totals: Mapping, start: Any) -> list[str]:
    """The three measures and where the ARR went, from plain numbers (shared by the story and the headline)."""
    since = t("narrative.retention.on", start=start) if start else t("narrative.retention.at_start")
    kept = t("narrative.retention.kept", grr=_between(grr), since=since, nrr=_between(nrr))
    logos = t("narrative.retention.logos", n=_count(totals.get("n_accounts")), logo=_between(logo))
    out = [kept, logos, _moves(totals)]
    pending = totals.get("n_pending") or 0
    if pending:
        out[-1] += t("narrative.retention.pending", n=_count(pending), money=fmt_money(totals.get("arr_pending")))
    return out


def _segment_sentence(groups: Mapping, label: str) -> str:
    """GRR per group (suppressed groups left out), e.g. ``"GRR by segment: enterprise 97.0%, mid 96.8%."``"""
    parts = [f"{key} {fmt_pct(Interval.from_dict(g.get('grr')).estimate)}" for key, g in groups.items()
             if isinstance(g, Mapping) and not g.get("suppressed") and Interval.from_dict(g.get("grr")).available]
    return t("narrative.retention.by", label=label, parts=fmt("comma").join(parts)) if parts else ""


def retention_headline(section: Mapping) -> list[str]:
    """GRR, NRR and logo retention over the window in a leader's words, where the ARR went, and GRR by segment."""
    months = section.get("window_months", 12)
    out = _retention_sentences(_iv(section, "grr"), _iv(section, "nrr"), _iv(section, "logo_retention"), section,
                               section.get("window_start"))
    out[0] = t("narrative.retention.over", months=months) + out[0][0].lower() + out[0][1:]
    seg = _segment_sentence(section.get("by_segment") or {}, t("narrative.retention.segment"))
    return out + ([seg] if seg else [])


def _at_risk_sentence(at_risk: Sequence[Mapping]) -> str:
    """The target separating churn most and the customers and ARR on its wrong side now."""
    if not at_risk:
        return ""
    r = at_risk[0]
    return t("narrative.retention.at_risk", name=display_name(r["feature"]),
             target=describe_target(r["feature"], r["direction"], r.get("threshold")),
             wrong=fmt_pct(r.get("churn_rate_wrong_side")), right=fmt_pct(r.get("churn_rate_right_side")),
             n=_count(r.get("accounts_below_now")), money=fmt_money(r.get("arr_below_now")),
             share=fmt_pct(r.get("share_of_current_arr")))


def retention_story(result: Any, at_risk: Sequence[Mapping] = ()) -> str:
    """GRR, NRR and logo retention with intervals, the ARR moves, and the ARR below the sharpest target (notebook 07)."""
    start = None if result.start is None else str(result.start.date())
    text = fmt("sentence_sep").join(_retention_sentences(result.grr, result.nrr, result.logo_retention, result.totals, start))
    text += t("narrative.retention.story_end", at_risk=_at_risk_sentence(at_risk))
    return text.strip()


# --------------------------------------------------------------------------- KPI tree, peers and purpose

def _af_interval(af: Any) -> Interval:
    """A node's attributable fraction from its findings dict (unavailable when the node has none)."""
    return Interval.from_dict(af) if isinstance(af, Mapping) else Interval.unavailable("not computed")


def _fraction_text(af: Any) -> str:
    """An attributable fraction in words: ``"12.3% of churn (95% CI 4.0% to 20.1%)"`` or why not."""
    iv = _af_interval(af)
    if not iv.available:
        return t("narrative.kpi_tree.not_computable", reason=i18n.label_text(iv.reason))
    return t("narrative.kpi_tree.of_churn", fraction=describe_interval(iv, "percent"))


def _misses(misses: Any) -> str:
    return fmt("na") if misses is None else f"{misses:,}"


def kpi_tree_lines(node: Mapping[str, Any]) -> list[str]:
    """The text of one KPI-tree box: name, value, target, misses now, attributable churn."""
    label = display_name(str(node.get("label")))
    af = node.get("attributable_fraction") or {}
    iv = _af_interval(af)
    share = (t("narrative.kpi_tree.avoided_range", estimate=fmt_pct(iv.estimate), low=fmt_pct(iv.ci_low),
               high=fmt_pct(iv.ci_high))
             if iv.available and iv.ci_low is not None else t("narrative.kpi_tree.avoided", estimate=fmt_pct(iv.estimate)))
    no_kpi = t("narrative.kpi_tree.no_kpi")
    if node.get("parent") is None:
        value = Interval.from_dict(node.get("value"))
        return [label, fmt_pct(value.estimate) + fmt("bracket", text=_ci_words(value.level, fmt_pct(value.ci_low),
                                                                                fmt_pct(value.ci_high))),
                share if iv.available else no_kpi]
    if node.get("feature") is None:
        return [label, share if iv.available else no_kpi]
    feature = str(node["feature"])
    now = fmt_value(node.get("value"), feature)
    if node.get("target") is None:
        return [label, t("narrative.kpi_tree.now_no_target", now=now)]
    target = describe_target(feature, str(node.get("direction")), node.get("target"))
    missing = t("narrative.kpi_tree.missing", misses=_misses(node.get("misses")),
                share=share if iv.available else t("narrative.kpi_tree.not_estimable"))
    return [label, t("narrative.kpi_tree.now_target", now=now, target=target), missing]


def kpi_tree_story(nodes: Sequence[Mapping[str, Any]]) -> str:
    """The churn rate, the churn attributable to all KPIs, and the KPI with the largest attributable churn."""
    root = next((n for n in nodes if n.get("parent") is None), None)
    if root is None:
        return t("narrative.kpi_tree.none")
    rate = Interval.from_dict(root.get("value"))
    text = t("narrative.kpi_tree.story", rate=describe_interval(rate, "percent"),
             fraction=_fraction_text(root.get("attributable_fraction")))
    leaves = [n for n in nodes if n.get("feature") and Interval.from_dict(n.get("attributable_fraction")).available]
    if leaves:
        top = max(leaves, key=lambda n: Interval.from_dict(n["attributable_fraction"]).estimate)
        text += t("narrative.kpi_tree.largest", name=feature_name(str(top["feature"])),
                  fraction=_fraction_text(top["attributable_fraction"]))
    negative = [n for n in nodes if _below_zero(n.get("attributable_fraction"))]
    if negative:
        text += t("narrative.kpi_tree.negative",
                  names=t("answers.list_sep").join(display_name(str(n.get("label"))) for n in negative))
    return text


def _below_zero(af: Any) -> bool:
    """Whether an attributable fraction was estimated below zero (meeting the target predicts more churn)."""
    iv = _af_interval(af)
    return iv.available and iv.estimate is not None and iv.estimate < 0


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
        return t("narrative.peers.none")
    strongest = min(ors, key=lambda c: ors[c].estimate)
    health = ""
    if "health_score" in ors and strongest != "health_score":
        health = t("narrative.peers.health", ratio=describe_interval(ors["health_score"], "ratio"))
    text = t("narrative.peers.story", name=feature_name(strongest), ratio=describe_interval(ors[strongest], "ratio"),
             health=health)
    bands = (comps.get(strongest) or {}).get("bands") or {}
    low, high = bands.get("0-25", {}).get("churn_rate"), bands.get("75-100", {}).get("churn_rate")
    if isinstance(low, Mapping) and isinstance(high, Mapping):
        text += t("narrative.peers.quarters", low=describe_interval(Interval.from_dict(low), "percent"),
                  high=describe_interval(Interval.from_dict(high), "percent"))
    return text + t("answers.stop")


def peer_headline(section: Any) -> list[str]:
    """The peer-benchmark story from its findings section."""
    return [peer_story(section)] if isinstance(section, Mapping) and "components" in section else []


def purpose_name(purpose: str) -> str:
    """A purpose of purchase in words (``sales_enablement`` -> ``Sales enablement``; unknown stays as written)."""
    return i18n.label(purpose) if purpose.startswith("(") else display_name(purpose)


def purpose_rows(groups: Mapping[str, Any]) -> list[dict[str, str]]:
    """The purpose table's rows: purpose, accounts, churn rate and health score in words."""
    name, accounts, churn, health = (i18n.label(h) for h in (
        "Purpose of purchase", "Accounts", "Churn per renewal decision (95% CI)", "Health score now (95% CI)"))
    rows = []
    for purpose, g in groups.items():
        if g.get("suppressed"):
            rows.append({name: purpose_name(purpose), accounts: i18n.label("suppressed"),
                         churn: i18n.label(g.get("reason", "")), health: ""})
            continue
        rows.append({name: purpose_name(purpose), accounts: f"{g['n_accounts']:,}",
                     churn: describe_interval(Interval.from_dict(g["churn_rate"]), "percent"),
                     health: describe_interval(Interval.from_dict(g["health_score"]), "fixed")})
    return rows


def purpose_story(section: Mapping[str, Any]) -> str:
    """The purposes with the highest and lowest churn, with their intervals."""
    groups = {p: g for p, g in (section.get("by_purpose") or {}).items()
              if isinstance(g, Mapping) and not g.get("suppressed") and not str(p).startswith("(")}
    rates = {p: Interval.from_dict(g.get("churn_rate")) for p, g in groups.items()}
    rates = {p: iv for p, iv in rates.items() if iv.available}
    if len(rates) < 2:
        return t("narrative.purpose.too_few")
    hi, lo = max(rates, key=lambda p: rates[p].estimate), min(rates, key=lambda p: rates[p].estimate)
    return t("narrative.purpose.story", high=purpose_name(hi).lower(), high_rate=describe_interval(rates[hi], "percent"),
             low=purpose_name(lo).lower(), low_rate=describe_interval(rates[lo], "percent"))


def purpose_headline(section: Any) -> list[str]:
    """The purpose story from its findings section."""
    return [purpose_story(section)] if isinstance(section, Mapping) and "by_purpose" in section else []
