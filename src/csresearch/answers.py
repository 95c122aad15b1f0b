"""The executive summary in words: one verdict and answer per study question, and recommended actions.

Each function reads findings sections (the JSON the steps write) and returns
plain-language text for a CS leader: human feature names
(:func:`csresearch.display.display_name`), rates as percentages, the key
number with its 95% interval said in words ("between 3 and 12 points"). The
step registry (:mod:`csresearch.study.registry`) says which answer and which
actions belong to which section; :mod:`csresearch.report.summary` puts them into
findings.json (``summary``, ``actions``) and the index shows exactly that text.

Every sentence comes from the catalogue (:func:`csresearch.i18n.t`, keys
``answers.*``) in the language of the run. A verdict is one of :data:`VERDICTS` (language-neutral keys; the
index shows ``verdicts.<verdict>`` of the catalogue): ``clear effect`` when the 95% interval
excludes "no effect", ``no detectable effect`` when it includes it, ``not
enough data`` when the number could not be computed (the reason is said).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .analysis.results import Interval
from .display import definition_name, display_name, unit_of
from .i18n import fmt, t
from .narrative import fmt_money, join

__all__ = [
    "CLEAR",
    "NONE",
    "NOT_ENOUGH",
    "VERDICTS",
    "between",
    "churn_factors_answer",
    "churn_measures_sentence",
    "churned_accounts_actions",
    "churned_accounts_answer",
    "continuing_trends_answer",
    "health_validity_actions",
    "health_validity_answer",
    "kpi_actions",
    "onboarding_churn_answer",
    "onboarding_churn_segments",
    "onboarding_health_actions",
    "onboarding_health_answer",
    "onboarding_health_segments",
    "retention_actions",
    "retention_answer",
    "retention_segments",
    "verdict_of",
]

CLEAR, NONE, NOT_ENOUGH = "clear effect", "no detectable effect", "not enough data"
#: The verdicts a summary line can carry.
VERDICTS = (CLEAR, NONE, NOT_ENOUGH)
_NOTHING = Interval.unavailable("not in the findings")


def _ok(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _iv(value: Any) -> Interval:
    return Interval.from_dict(value if isinstance(value, Mapping) else None)


def _num(x: float, unit: str, signed: bool = False) -> str:
    """One value in a leader's units: ``percent`` (a share), ``points`` (a share difference), ``times`` or a plain number."""
    sign = "+" if signed else ""
    if unit == "percent":
        return fmt("percent", value=f"{100 * x:.1f}")
    if unit == "points":
        return f"{100 * x:{sign}.1f}"
    if unit == "times":
        return f"{x:.2f}"
    if unit == "fixed":
        return f"{x:{sign}.1f}"
    return f"{x:{sign}.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:{sign}.1e}"


def between(iv: Interval, unit: str = "number", suffix: str = "", signed: bool = False) -> str:
    """The interval in words: ``"between 3.1 and 12.0 points"`` (empty when there is none)."""
    if not _ok(iv.ci_low) or not _ok(iv.ci_high):
        return ""
    return t("answers.between", low=_num(iv.ci_low, unit, signed), high=_num(iv.ci_high, unit, signed), suffix=suffix)


def verdict_of(iv: Interval, null: float) -> str:
    """``clear effect`` when the interval excludes ``null``, ``no detectable effect`` when it holds it."""
    if not iv.available or not _ok(iv.ci_low) or not _ok(iv.ci_high):
        return NOT_ENOUGH
    return CLEAR if iv.ci_low > null or iv.ci_high < null else NONE


def _not_enough(why: str) -> dict[str, str]:
    return {"verdict": NOT_ENOUGH, "answer": t("answers.not_enough", why=why)}


def _reason(section: Any) -> str | None:
    """Why a section holds no answer (missing, or computed as not computable), else None."""
    if section is None:
        return t("answers.no_results")
    if isinstance(section, Mapping) and set(section) == {"reason"}:
        return str(section["reason"])
    return None


# --------------------------------------------------------------------------- onboarding


def onboarding_churn_answer(section: Any, audit: Any = None) -> dict[str, str]:
    """Does failing onboarding raise churn? The adjusted difference when there is one, else the raw one.

    The ``note`` reconciles this churn (within N years of signup) with the churn
    per renewal decision of the data audit (``audit``).
    """
    if (why := _reason(section)) is not None:
        return _not_enough(why)
    years = section.get("horizon_years")
    adjusted = _iv(section.get("risk_difference_adjusted"))
    rd = adjusted if adjusted.available else _iv(section.get("risk_difference"))
    if not rd.available:
        return _not_enough(rd.reason or t("answers.onboarding_churn.no_difference"))
    verdict = verdict_of(rd, 0.0)
    alike = t("answers.list_sep").join(display_name(c).replace(t("answers.log_suffix"), "").lower()
                                        for c in section.get("confounders") or [])
    how = (t("answers.onboarding_churn.weighted", alike=alike) if adjusted.available and alike
           else t("answers.onboarding_churn.unadjusted"))
    failed, succeeded = _iv(section.get("churn_failed")), _iv(section.get("churn_succeeded"))
    raw = (t("answers.onboarding_churn.raw", failed=_num(failed.estimate, "percent"), years=years,
             succeeded=_num(succeeded.estimate, "percent")) if failed.available and succeeded.available else "")
    if verdict == CLEAR and rd.estimate > 0:
        lead = t("answers.onboarding_churn.yes", years=years, points=_num(rd.estimate, "points"))
    elif verdict == CLEAR:
        lead = t("answers.onboarding_churn.no", points=_num(-rd.estimate, "points"))
    else:
        lead = t("answers.onboarding_churn.not_detectably", years=years, points=_num(rd.estimate, "points", signed=True))
    text = t("answers.onboarding_churn.text", lead=lead, between=between(rd, "points", t("answers.points_suffix"), signed=True),
             how=how) + raw
    return {"verdict": verdict, "answer": text, "note": churn_measures_sentence(audit, section)}


def onboarding_health_answer(section: Any, churn_section: Any = None) -> dict[str, str]:
    """Are accounts that failed onboarding less healthy a year later? The unhealthy risk ratio.

    ``churn_section`` (the onboarding-churn findings the step's actions use) is not needed here.
    """
    if (why := _reason(section)) is not None:
        return _not_enough(why)
    rr = _iv(section.get("unhealthy_risk_ratio"))
    if not rr.available:
        return _not_enough(rr.reason or t("answers.onboarding_health.no_ratio"))
    verdict = verdict_of(rr, 1.0)
    months, threshold = section.get("months_after"), section.get("unhealthy_threshold")
    failed, succeeded = _iv(section.get("unhealthy_share_failed")), _iv(section.get("unhealthy_share_succeeded"))
    shares = (t("answers.onboarding_health.shares", failed=_num(failed.estimate, "percent"), threshold=f"{threshold:g}",
                succeeded=_num(succeeded.estimate, "percent")) if failed.available and succeeded.available else "")
    lead = t("answers.onboarding_health." + {CLEAR: "yes" if rr.estimate > 1 else "healthier", NONE: "not_detectably"}[verdict])
    text = t("answers.onboarding_health.text", lead=lead, months=months, times=_num(rr.estimate, "times"),
             between=between(rr, "times", t("answers.times_suffix")), shares=shares)
    return {"verdict": verdict, "answer": text}


def onboarding_health_actions(section: Any, churn_section: Any = None) -> list[dict[str, Any]]:
    """Where to invest after onboarding: re-onboarding when it drives churn, the first-year health programme when it drives health."""
    if _reason(section) is not None:
        return []
    rr = _iv(section.get("unhealthy_risk_ratio"))
    churn = churn_section if _reason(churn_section) is None else {}
    rd = _iv(churn.get("risk_difference_adjusted")) if churn else _NOTHING
    rd = rd if rd.available else (_iv(churn.get("risk_difference")) if churn else _NOTHING)
    because = {"unhealthy_risk_ratio": rr.to_dict(), "also": {"risk_difference": rd.to_dict()}}
    if verdict_of(rd, 0.0) == CLEAR and rd.estimate > 0:
        action = t("answers.onboarding_health.action_fix", points=_num(rd.estimate, "points"),
                   between=between(rd, "points", t("answers.points_suffix")))
    elif verdict_of(rr, 1.0) == CLEAR and rr.estimate > 1:
        size = (t("answers.onboarding_health.doubles") if 1.8 <= rr.estimate <= 2.2
                else t("answers.onboarding_health.multiplies", times=_num(rr.estimate, "times")))
        action = t("answers.onboarding_health.action_programme", size=size)
    else:
        return []
    return [{"action": action, "because": because}]


def churn_measures_sentence(audit: Any, onboarding_churn: Any) -> str:
    """Reconcile churn per renewal decision with churn within N years of signup, in one sentence."""
    per_decision = (_iv(audit.get("churn_rate_per_decision")) if _reason(audit) is None and isinstance(audit, Mapping)
                    else _NOTHING)
    if _reason(onboarding_churn) is None:
        years = onboarding_churn.get("horizon_years")
        failed, ok = _iv(onboarding_churn.get("churn_failed")), _iv(onboarding_churn.get("churn_succeeded"))
    else:
        years, failed, ok = None, _NOTHING, _NOTHING
    parts = []
    if per_decision.available:
        parts.append(t("answers.measures.per_decision", share=_num(per_decision.estimate, "percent")))
    if years is not None and failed.available and ok.available:
        parts.append(t("answers.measures.per_account", succeeded=_num(ok.estimate, "percent"),
                       failed=_num(failed.estimate, "percent"), years=years))
    if not parts:
        return ""
    return t("answers.measures.text", parts=t("answers.measures.sep").join(parts))


# --------------------------------------------------------------------------- the health score


def health_validity_answer(section: Any) -> dict[str, str]:
    """Does the health score mean anything? Its AUC for the next renewal and its rise with tenure."""
    if (why := _reason(section)) is not None:
        return _not_enough(why)
    auc = _iv(section.get("auc_next_renewal"))
    if not auc.available:
        return _not_enough(auc.reason or t("answers.health_validity.no_auc"))
    verdict = verdict_of(auc, 0.5)
    rho = _iv(section.get("tenure_spearman"))
    lead = t("answers.health_validity." + {CLEAR: "yes" if auc.estimate > 0.5 else "wrong_way", NONE: "not_detectably"}[verdict])
    tenure = ""
    if rho.available and verdict_of(rho, 0.0) == CLEAR:
        tenure = t("answers.health_validity.rises" if rho.estimate > 0 else "answers.health_validity.falls",
                   rho=f"{rho.estimate:.2f}")
    text = t("answers.health_validity.text", lead=lead, share=_num(auc.estimate, "percent"), auc=f"{auc.estimate:.2f}",
             between=between(auc, "times"), tenure=tenure)
    return {"verdict": verdict, "answer": text + _definitions_answer(section)}


def _def_name(entry: Mapping) -> str:
    """A definition's name in the language of the run (a built-in's from the catalogue, else its label)."""
    return definition_name(str(entry.get("name")), entry.get("label"))


def _definitions_answer(section: Any) -> str:
    """One sentence on the health definitions side by side: the one that predicts renewals clearly better, if any."""
    entries = [e for e in section.get("definitions") or [] if isinstance(e, Mapping)]
    if len(entries) < 2:
        return ""
    best = entries[0]
    if best.get("name") != "dear":
        diff = _iv(best.get("auc_vs_dear"))
        if verdict_of(diff, 0.0) != CLEAR:
            return t("answers.definitions.first_not_clear", n=len(entries), best=_def_name(best))
        return t("answers.definitions.better", n=len(entries), best=_def_name(best),
                 diff=_num(diff.estimate, "number", True), between=between(diff, "number", "", True))
    beaten = [_def_name(e) for e in entries[1:] if verdict_of(_iv(e.get("auc_vs_best")), 0.0) == CLEAR]
    if not beaten:
        return t("answers.definitions.no_difference", n=len(entries) - 1)
    listed = t("answers.definitions.comma").join(beaten[:-1])
    listed += (t("answers.definitions.and") if len(beaten) > 1 else "") + beaten[-1]
    return t("answers.definitions.beats", listed=listed)


def health_validity_actions(section: Any) -> list[dict[str, Any]]:
    """Steer by the score when it predicts renewals well; revise it when it does not."""
    if _reason(section) is not None:
        return []
    auc = _iv(section.get("auc_next_renewal"))
    if not auc.available or not _ok(auc.ci_low):
        return []
    because = {"auc_next_renewal": auc.to_dict()}
    if auc.ci_low >= 0.6:
        action = t("answers.health_validity.action_use", share=_num(auc.estimate, "percent"))
    elif auc.ci_high <= 0.6:
        action = t("answers.health_validity.action_revise", auc=f"{auc.estimate:.2f}")
    else:
        return []
    return [{"action": action, "because": because}]


def _slope_words(name: str, iv: Interval) -> str:
    unit = unit_of(name)
    if unit in ("share", "share_change"):
        return t("answers.trends.slope_points", name=display_name(name), value=_num(iv.estimate, "points", signed=True))
    return t("answers.trends.slope", name=display_name(name), value=_num(iv.estimate, "number", signed=True))


def continuing_trends_answer(section: Any, score: str = "health_score") -> dict[str, str]:
    """How accounts that stay change with tenure: the score's slope and the features moving against it."""
    if (why := _reason(section)) is not None:
        return _not_enough(why)
    slopes = {k: _iv(v.get("slope_per_year")) for k, v in section.items()
              if isinstance(v, Mapping) and isinstance(v.get("slope_per_year"), Mapping)}
    slope = slopes.get(score, _NOTHING)
    if not slope.available:
        return _not_enough(slope.reason or t("answers.trends.no_slope"))
    verdict = verdict_of(slope, 0.0)
    up = slope.estimate > 0
    lead = t("answers.trends." + {CLEAR: "healthier" if up else "less_healthy", NONE: "neither"}[verdict])
    text = t("answers.trends.rises" if up else "answers.trends.falls", lead=lead, points=f"{abs(slope.estimate):.1f}",
             between=between(slope, "fixed", t("answers.points_suffix"), signed=True))
    against = [k for k, iv in slopes.items() if k != score and verdict_of(iv, 0.0) == CLEAR
               and (iv.estimate > 0) != (slope.estimate > 0) and not k.startswith("health_") and "_delta_" not in k]
    if verdict == CLEAR and against:
        text += t("answers.trends.against", features=join(_slope_words(k, slopes[k]) for k in against[:3]))
    return {"verdict": verdict, "answer": text + t("answers.stop")}


# --------------------------------------------------------------------------- churn


def _months_before(month: Any) -> str:
    n = abs(int(month))
    return t("answers.churned.month_before" if n == 1 else "answers.churned.months_before", n=n)


def churned_accounts_answer(section: Any) -> dict[str, str]:
    """Which component moves first before churn: the earliest trigger(s), and the baseline differences apart."""
    if (why := _reason(section)) is not None:
        return _not_enough(why)
    separation = section.get("separation") or {}
    first = [f for f in section.get("first_components") or [] if isinstance(separation.get(f), Mapping)]
    baseline = [f for f, s in separation.items() if isinstance(s, Mapping) and s.get("kind") == "baseline difference"]
    if not first:
        text = t("answers.churned.none") + (t("answers.churned.none_beyond", n=len(baseline)) if baseline
                                            else t("answers.stop"))
        return {"verdict": NONE, "answer": text}
    lead_name = first[0]
    month = _iv(separation[lead_name].get("first_month_interval"))
    text = t("answers.churned.first", name=display_name(lead_name),
             when=_months_before(separation[lead_name].get("first_month")))
    if month.available and _ok(month.ci_low) and _ok(month.ci_high):
        text += t("answers.churned.between", low=abs(int(month.ci_low)), high=abs(int(month.ci_high)))
    if len(first) > 1:
        text += t("answers.churned.follow", names=t("answers.list_sep").join(display_name(f) for f in first[1:4]))
    if baseline:
        text += t("answers.churned.baseline", n=len(baseline), name=display_name(baseline[0]))
    return {"verdict": CLEAR, "answer": text + t("answers.stop")}


def churned_accounts_actions(section: Any) -> list[dict[str, Any]]:
    """An early-warning alert on the first component to move before churn."""
    if _reason(section) is not None:
        return []
    separation = section.get("separation") or {}
    first = [f for f in section.get("first_components") or [] if isinstance(separation.get(f), Mapping)]
    if not first or not _ok(separation[first[0]].get("first_month")) or separation[first[0]]["first_month"] > -2:
        return []
    name = first[0]
    return [{"action": t("answers.churned.action", name=display_name(name),
                         when=_months_before(separation[name]["first_month"])),
             "because": {"feature": name, "first_month": separation[name]["first_month"],
                         "first_month_interval": separation[name].get("first_month_interval")}}]


def _odds_words(name: str, entry: Mapping) -> str:
    iv = _iv(entry)
    if not iv.available:
        return t("answers.factors.strongest", name=display_name(name))
    return t("answers.factors.raises" if iv.estimate > 1 else "answers.factors.cuts", name=display_name(name),
             times=f"{iv.estimate:.2f}", between=between(iv, "times", t("answers.times_suffix")))


def churn_factors_answer(section: Any) -> dict[str, str]:
    """What predicts churn: the top-ranked factor with its odds ratio, and how well the model ranks churners."""
    if (why := _reason(section)) is not None:
        return _not_enough(why)
    ranking = list(section.get("ranking") or [])
    auc = _iv(section.get("cv_auc"))
    if not ranking or not auc.available:
        return _not_enough(auc.reason or t("answers.factors.none"))
    odds = section.get("odds_ratios") or {}
    top = ranking[0]
    entry = odds.get(top) if isinstance(odds.get(top), Mapping) else {}
    q = entry.get("q_value")
    verdict = CLEAR if (_ok(q) and q < 0.05) or verdict_of(auc, 0.5) == CLEAR else NONE
    text = (_odds_words(top, entry) if not entry.get("unstable") else t("answers.factors.first", name=display_name(top)))
    if len(ranking) > 1:
        text += t("answers.factors.next", names=t("answers.and").join(display_name(f) for f in ranking[1:3]))
    text += t("answers.factors.together", share=_num(auc.estimate, "percent"), auc=f"{auc.estimate:.2f}",
              between=between(auc, "times"))
    return {"verdict": verdict, "answer": text}


def _kpi_level(feature: str, value: float) -> str:
    return _num(value, "percent") if unit_of(feature) == "share" else _num(value, "number")


def kpi_actions(section: Any, top: int = 3) -> list[dict[str, Any]]:
    """One action per KPI target: manage the feature to its target; who is on the wrong side now, and their ARR."""
    if not isinstance(section, Sequence) or isinstance(section, (str, Mapping)):
        return []
    out = []
    for kpi in list(section)[:top]:
        if not isinstance(kpi, Mapping) or not _ok(kpi.get("threshold")):
            continue
        feature, sign = kpi.get("feature", ""), ">=" if kpi.get("direction") == "above" else "<="
        text = t("answers.kpi.make", name=display_name(feature), sign=sign, level=_kpi_level(feature, kpi["threshold"]))
        n, arr = kpi.get("accounts_below_now"), kpi.get("arr_below_now")
        if _ok(n):
            text += t("answers.kpi.wrong_side", n=f"{int(n):,}",
                      arr=t("answers.kpi.arr", arr=fmt_money(arr)) if _ok(arr) else "")
        if _ok(kpi.get("churn_rate_below")) and _ok(kpi.get("churn_rate_above")):
            text += t("answers.kpi.churned", below=_num(kpi["churn_rate_below"], "percent"),
                      above=_num(kpi["churn_rate_above"], "percent"))
        out.append({"action": text + t("answers.stop"), "because": {
            "feature": feature, "direction": kpi.get("direction"), "threshold": kpi.get("threshold"),
            "threshold_interval": kpi.get("threshold_interval"), "accounts_below_now": n, "arr_below_now": arr,
            "churn_rate_below": kpi.get("churn_rate_below"), "churn_rate_above": kpi.get("churn_rate_above")}})
    return out


# --------------------------------------------------------------------------- by segment


def _pair(first: Any, second: Any) -> str:
    """Two shares side by side: ``"9.2% / 8.5%"``; a missing one reads ``n/a``."""
    a, b = _iv(first), _iv(second)
    return " / ".join(_num(iv.estimate, "percent") if iv.available else fmt("na") for iv in (a, b))


def _by_segment(section: Any) -> dict[str, Any]:
    by = section.get("by_segment") if isinstance(section, Mapping) else None
    return by if isinstance(by, Mapping) else {}


def _withheld(entry: Any) -> str | None:
    if not isinstance(entry, Mapping):
        return fmt("na")
    return t("answers.segments.withheld") if "suppressed" in entry else None


def onboarding_churn_segments(section: Any) -> dict[str, dict[str, str]]:
    """Accounts and churn within the horizon (failed / succeeded onboarding) per segment."""
    by = _by_segment(section)
    if not by:
        return {}
    years = section.get("horizon_years")
    accounts, churn = {}, {}
    for segment, entry in by.items():
        withheld = _withheld(entry)
        accounts[segment] = withheld or f"{int(entry.get('n_failed', 0)) + int(entry.get('n_succeeded', 0)):,}"
        churn[segment] = withheld or _pair(entry.get("churn_failed"), entry.get("churn_succeeded"))
    return {t("answers.segments.accounts"): accounts, t("answers.segments.churned", years=years): churn}


def onboarding_health_segments(section: Any) -> dict[str, dict[str, str]]:
    """Unhealthy share some months after onboarding (failed / succeeded) per segment."""
    by = _by_segment(section)
    if not by:
        return {}
    column = {s: _withheld(e) or _pair(e.get("unhealthy_failed"), e.get("unhealthy_succeeded")) for s, e in by.items()}
    return {t("answers.segments.unhealthy", months=section.get("months_after")): column}


# --------------------------------------------------------------------------- retention


def retention_answer(section: Any) -> dict[str, str]:
    """How much revenue and how many customers we keep: GRR, NRR and logo retention over the window."""
    if (why := _reason(section)) is not None:
        return _not_enough(why)
    grr, nrr, logo = (_iv(section.get(k)) for k in ("grr", "nrr", "logo_retention"))
    if not nrr.available:
        return _not_enough(nrr.reason or t("answers.retention.no_term"))
    verdict = verdict_of(nrr, 1.0)
    months = section.get("window_months", 12)
    lead = t("answers.retention." + {CLEAR: "growing" if nrr.estimate > 1 else "shrinking", NONE: "flat"}[verdict])
    text = t("answers.retention.nrr", lead=lead, months=months, nrr=_num(nrr.estimate, "percent"),
             between=between(nrr, "percent"))
    if grr.available:
        text += t("answers.retention.grr", grr=_num(grr.estimate, "percent"), between=between(grr, "percent"))
    if logo.available:
        text += t("answers.retention.logo", logo=_num(logo.estimate, "percent"), between=between(logo, "percent"))
    return {"verdict": verdict, "answer": text + t("answers.stop")}


def retention_actions(section: Any) -> list[dict[str, Any]]:
    """Where the lost ARR went: churn or contraction, and which to work on first."""
    if _reason(section) is not None:
        return []
    churn, contraction = section.get("arr_lost_churn"), section.get("arr_lost_contraction")
    if not _ok(churn) or not _ok(contraction) or churn + contraction <= 0:
        return []
    because = {"arr_lost_churn": churn, "arr_lost_contraction": contraction, "grr": section.get("grr")}
    if churn >= 2 * contraction:
        down = (t("answers.retention.down", money=fmt_money(contraction)) if contraction
                else t("answers.retention.no_down"))
        action = t("answers.retention.action_renewals", months=section.get("window_months", 12),
                   churn=fmt_money(churn), down=down)
    elif contraction >= 2 * churn:
        action = t("answers.retention.action_downsells", contraction=fmt_money(contraction),
                   months=section.get("window_months", 12), churn=fmt_money(churn))
    else:
        return []
    return [{"action": action, "because": because}]


def retention_segments(section: Any) -> dict[str, dict[str, str]]:
    """Gross and net revenue retention per segment."""
    by = _by_segment(section)
    if not by:
        return {}
    column = {s: _withheld(e) or _pair(e.get("grr"), e.get("nrr")) for s, e in by.items()}
    return {t("answers.segments.revenue", months=section.get("window_months", 12)): column}
