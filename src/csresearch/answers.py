"""The executive summary in words: one verdict and answer per study question, and recommended actions.

Each function reads findings sections (the JSON the steps write) and returns
plain-language text for a CS leader: human feature names
(:func:`csresearch.display.display_name`), rates as percentages, the key
number with its 95% interval said in words ("between 3 and 12 points"). The
step registry (:mod:`csresearch.study.registry`) says which answer and which
actions belong to which section; :mod:`csresearch.report.summary` puts them into
findings.json (``summary``, ``actions``) and the index shows exactly that text.

A verdict is one of :data:`VERDICTS`: ``clear effect`` when the 95% interval
excludes "no effect", ``no detectable effect`` when it includes it, ``not
enough data`` when the number could not be computed (the reason is said).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .analysis.results import Interval
from .display import display_name, unit_of
from .narrative import fmt_money

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
    "onboarding_health_segments",
    "retention_actions",
    "retention_answer",
    "retention_segments",
    "onboarding_health_actions",
    "onboarding_health_answer",
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
        return f"{100 * x:.1f}%"
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
    return f"between {_num(iv.ci_low, unit, signed)} and {_num(iv.ci_high, unit, signed)}{suffix}"


def verdict_of(iv: Interval, null: float) -> str:
    """``clear effect`` when the interval excludes ``null``, ``no detectable effect`` when it holds it."""
    if not iv.available or not _ok(iv.ci_low) or not _ok(iv.ci_high):
        return NOT_ENOUGH
    return CLEAR if iv.ci_low > null or iv.ci_high < null else NONE


def _not_enough(why: str) -> dict[str, str]:
    return {"verdict": NOT_ENOUGH, "answer": f"This data cannot answer it yet: {why}."}


def _reason(section: Any) -> str | None:
    """Why a section holds no answer (missing, or computed as not computable), else None."""
    if section is None:
        return "the step did not produce results in this run"
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
        return _not_enough(rd.reason or "the churn difference could not be computed")
    verdict = verdict_of(rd, 0.0)
    alike = ", ".join(display_name(c).replace(" (log)", "").lower() for c in section.get("confounders") or [])
    how = (f"weighted to compare accounts alike in {alike}" if adjusted.available and alike
           else "not adjusted for differences between the accounts")
    raw = (f" {_num(_iv(section.get('churn_failed')).estimate, 'percent')} of accounts that failed onboarding churned within "
           f"{years} years of signup, against {_num(_iv(section.get('churn_succeeded')).estimate, 'percent')} of those that "
           "succeeded." if _iv(section.get("churn_failed")).available and _iv(section.get("churn_succeeded")).available else "")
    if verdict == CLEAR and rd.estimate > 0:
        lead = f"Yes: failing onboarding raises churn within {years} years by {_num(rd.estimate, 'points')} percentage points"
    elif verdict == CLEAR:
        lead = f"No: accounts that failed onboarding churn less, by {_num(-rd.estimate, 'points')} percentage points"
    else:
        lead = (f"Not detectably: failing onboarding changes churn within {years} years by "
                f"{_num(rd.estimate, 'points', signed=True)} percentage points")
    text = f"{lead} ({between(rd, 'points', ' points', signed=True)}; {how})." + raw
    return {"verdict": verdict, "answer": text, "note": churn_measures_sentence(audit, section)}


def onboarding_health_answer(section: Any, churn_section: Any = None) -> dict[str, str]:
    """Are accounts that failed onboarding less healthy a year later? The unhealthy risk ratio.

    ``churn_section`` (the onboarding-churn findings the step's actions use) is not needed here.
    """
    if (why := _reason(section)) is not None:
        return _not_enough(why)
    rr = _iv(section.get("unhealthy_risk_ratio"))
    if not rr.available:
        return _not_enough(rr.reason or "the unhealthy share could not be compared")
    verdict = verdict_of(rr, 1.0)
    months, threshold = section.get("months_after"), section.get("unhealthy_threshold")
    failed, succeeded = _iv(section.get("unhealthy_share_failed")), _iv(section.get("unhealthy_share_succeeded"))
    shares = (f": {_num(failed.estimate, 'percent')} of them have a health score below {threshold:g}, against "
              f"{_num(succeeded.estimate, 'percent')} of accounts that succeeded" if failed.available and succeeded.available else "")
    lead = {CLEAR: "Yes" if rr.estimate > 1 else "No, healthier", NONE: "Not detectably"}[verdict]
    text = (f"{lead}: {months} months after onboarding, accounts that failed it are {_num(rr.estimate, 'times')} times as "
            f"often unhealthy ({between(rr, 'times', ' times')}){shares}.")
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
        action = (f"Fix onboarding first: failing it raises churn by {_num(rd.estimate, 'points')} percentage points "
                  f"({between(rd, 'points', ' points')}).")
    elif verdict_of(rr, 1.0) == CLEAR and rr.estimate > 1:
        size = "doubles" if 1.8 <= rr.estimate <= 2.2 else f"multiplies by {_num(rr.estimate, 'times')}"
        action = (f"Failed onboarding barely moves churn but {size} the unhealthy share a year later: invest in a "
                  "first-year health programme for accounts that fail onboarding, not in re-onboarding.")
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
        parts.append(f"{_num(per_decision.estimate, 'percent')} of renewal decisions end in churn")
    if years is not None and failed.available and ok.available:
        parts.append(f"counted per account, {_num(ok.estimate, 'percent')} (succeeded onboarding) to "
                     f"{_num(failed.estimate, 'percent')} (failed) churn within {years} years of signup, because an "
                     f"account meets a renewal decision every term")
    if not parts:
        return ""
    return "How churn is counted: " + "; ".join(parts) + "."


# --------------------------------------------------------------------------- the health score


def health_validity_answer(section: Any) -> dict[str, str]:
    """Does the health score mean anything? Its AUC for the next renewal and its rise with tenure."""
    if (why := _reason(section)) is not None:
        return _not_enough(why)
    auc = _iv(section.get("auc_next_renewal"))
    if not auc.available:
        return _not_enough(auc.reason or "the score's accuracy could not be measured")
    verdict = verdict_of(auc, 0.5)
    rho = _iv(section.get("tenure_spearman"))
    lead = {CLEAR: "Yes" if auc.estimate > 0.5 else "It points the wrong way", NONE: "Not detectably"}[verdict]
    text = (f"{lead}: the health score ranks an account that churns at its next renewal below one that renews "
            f"{_num(auc.estimate, 'percent')} of the time (AUC {auc.estimate:.2f}, {between(auc, 'times')}; "
            "50% is a coin toss, 100% perfect)")
    if rho.available and verdict_of(rho, 0.0) == CLEAR:
        text += f", and it {'rises' if rho.estimate > 0 else 'falls'} with tenure (rank correlation {rho.estimate:.2f})"
    return {"verdict": verdict, "answer": text + "." + _definitions_answer(section)}


def _definitions_answer(section: Any) -> str:
    """One sentence on the health definitions side by side: the one that predicts renewals clearly better, if any."""
    entries = [e for e in section.get("definitions") or [] if isinstance(e, Mapping)]
    if len(entries) < 2:
        return ""
    best = entries[0]
    if best.get("name") != "dear":
        diff = _iv(best.get("auc_vs_dear"))
        if verdict_of(diff, 0.0) != CLEAR:
            return (f" Of the {len(entries)} health definitions tested, the {best.get('label')} ranks first, but no "
                    "definition predicts renewals clearly better than the DEAR score.")
        return (f" Of the {len(entries)} health definitions tested, the {best.get('label')} predicts renewals better "
                f"than the DEAR score (AUC {_num(diff.estimate, 'number', True)}, {between(diff, 'number', '', True)}).")
    beaten = [e.get("label") for e in entries[1:] if verdict_of(_iv(e.get("auc_vs_best")), 0.0) == CLEAR]
    if not beaten:
        return f" The other {len(entries) - 1} health definitions tested predict renewals about as well (no clear difference)."
    listed = ", the ".join(beaten[:-1]) + (" and the " if len(beaten) > 1 else "") + beaten[-1]
    return f" It predicts renewals clearly better than the {listed}."


def health_validity_actions(section: Any) -> list[dict[str, Any]]:
    """Steer by the score when it predicts renewals well; revise it when it does not."""
    if _reason(section) is not None:
        return []
    auc = _iv(section.get("auc_next_renewal"))
    if not auc.available or not _ok(auc.ci_low):
        return []
    because = {"auc_next_renewal": auc.to_dict()}
    if auc.ci_low >= 0.6:
        action = (f"Use the health score to decide where CSMs spend time before renewals: it ranks churners below "
                  f"renewers {_num(auc.estimate, 'percent')} of the time.")
    elif auc.ci_high <= 0.6:
        action = ("Do not steer renewals by the health score as it stands: it barely separates churners from renewers "
                  f"(AUC {auc.estimate:.2f}); revise its components and weights with the churn factors below.")
    else:
        return []
    return [{"action": action, "because": because}]


def _slope_words(name: str, iv: Interval) -> str:
    unit = unit_of(name)
    if unit in ("share", "share_change"):
        return f"{display_name(name)} {_num(iv.estimate, 'points', signed=True)} percentage points per year"
    return f"{display_name(name)} {_num(iv.estimate, 'number', signed=True)} per year"


def continuing_trends_answer(section: Any, score: str = "health_score") -> dict[str, str]:
    """How accounts that stay change with tenure: the score's slope and the features moving against it."""
    if (why := _reason(section)) is not None:
        return _not_enough(why)
    slopes = {k: _iv(v.get("slope_per_year")) for k, v in section.items()
              if isinstance(v, Mapping) and isinstance(v.get("slope_per_year"), Mapping)}
    slope = slopes.get(score, _NOTHING)
    if not slope.available:
        return _not_enough(slope.reason or "the health score's trend could not be estimated")
    verdict = verdict_of(slope, 0.0)
    direction = "rises" if slope.estimate > 0 else "falls"
    lead = ({CLEAR: f"Accounts that stay {'get healthier' if slope.estimate > 0 else 'get less healthy'}",
             NONE: "Accounts that stay neither clearly gain nor lose health"}[verdict])
    text = (f"{lead}: their health score {direction} {abs(slope.estimate):.1f} points per year of tenure "
            f"({between(slope, 'fixed', ' points', signed=True)})")
    against = [k for k, iv in slopes.items() if k != score and verdict_of(iv, 0.0) == CLEAR
               and (iv.estimate > 0) != (slope.estimate > 0) and not k.startswith("health_") and "_delta_" not in k]
    if verdict == CLEAR and against:
        text += "; moving the other way: " + "; ".join(_slope_words(k, slopes[k]) for k in against[:3])
    return {"verdict": verdict, "answer": text + "."}


# --------------------------------------------------------------------------- churn


def _months_before(month: Any) -> str:
    return f"about {abs(int(month))} month{'s' if abs(int(month)) != 1 else ''} before the renewal decision"


def churned_accounts_answer(section: Any) -> dict[str, str]:
    """Which component moves first before churn: the earliest trigger(s), and the baseline differences apart."""
    if (why := _reason(section)) is not None:
        return _not_enough(why)
    separation = section.get("separation") or {}
    first = [f for f in section.get("first_components") or [] if isinstance(separation.get(f), Mapping)]
    baseline = [f for f, s in separation.items() if isinstance(s, Mapping) and s.get("kind") == "baseline difference"]
    if not first:
        text = "No component separates churned from renewed accounts in the year before the decision"
        text += (f" (beyond {len(baseline)} that already differ a year before, a baseline difference rather than a trigger)."
                 if baseline else ".")
        return {"verdict": NONE, "answer": text}
    lead_name = first[0]
    month = _iv(separation[lead_name].get("first_month_interval"))
    text = (f"The first signal is {display_name(lead_name)}: churned accounts fall behind renewed ones from "
            f"{_months_before(separation[lead_name].get('first_month'))}")
    if month.available and _ok(month.ci_low) and _ok(month.ci_high):
        text += f" (between {abs(int(month.ci_low))} and {abs(int(month.ci_high))} months)"
    if len(first) > 1:
        text += ("; " + ", ".join(display_name(f) for f in first[1:4]) + " follow closer to the decision, and the data "
                 "cannot say for certain which moves first")
    if baseline:
        text += (f". {len(baseline)} others (such as {display_name(baseline[0])}) already differ a year before: "
                 "a baseline difference, not a trigger")
    return {"verdict": CLEAR, "answer": text + "."}


def churned_accounts_actions(section: Any) -> list[dict[str, Any]]:
    """An early-warning alert on the first component to move before churn."""
    if _reason(section) is not None:
        return []
    separation = section.get("separation") or {}
    first = [f for f in section.get("first_components") or [] if isinstance(separation.get(f), Mapping)]
    if not first or not _ok(separation[first[0]].get("first_month")) or separation[first[0]]["first_month"] > -2:
        return []
    name = first[0]
    return [{"action": (f"Set an early-warning alert on {display_name(name)}: it is the first to drop, "
                        f"{_months_before(separation[name]['first_month'])}, early enough for a CSM to act."),
             "because": {"feature": name, "first_month": separation[name]["first_month"],
                         "first_month_interval": separation[name].get("first_month_interval")}}]


def _odds_words(name: str, entry: Mapping) -> str:
    iv = _iv(entry)
    if not iv.available:
        return f"{display_name(name)} predicts churn most strongly"
    direction = "raises" if iv.estimate > 1 else "cuts"
    return (f"{display_name(name)} predicts churn most strongly: one standard deviation more {direction} the odds of "
            f"churn to {iv.estimate:.2f} times ({between(iv, 'times', ' times')})")


def churn_factors_answer(section: Any) -> dict[str, str]:
    """What predicts churn: the top-ranked factor with its odds ratio, and how well the model ranks churners."""
    if (why := _reason(section)) is not None:
        return _not_enough(why)
    ranking = list(section.get("ranking") or [])
    auc = _iv(section.get("cv_auc"))
    if not ranking or not auc.available:
        return _not_enough(auc.reason or "no factor could be ranked")
    odds = section.get("odds_ratios") or {}
    top = ranking[0]
    entry = odds.get(top) if isinstance(odds.get(top), Mapping) else {}
    q = entry.get("q_value")
    verdict = CLEAR if (_ok(q) and q < 0.05) or verdict_of(auc, 0.5) == CLEAR else NONE
    text = (_odds_words(top, entry) if not entry.get("unstable") else f"{display_name(top)} ranks first")
    if len(ranking) > 1:
        text += "; next come " + " and ".join(display_name(f) for f in ranking[1:3])
    text += (f". Together they rank a churner above a renewer {_num(auc.estimate, 'percent')} of the time "
             f"(cross-validated AUC {auc.estimate:.2f}, {between(auc, 'times')}).")
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
        text = f"Make {display_name(feature)} {sign} {_kpi_level(feature, kpi['threshold'])} a KPI"
        n, arr = kpi.get("accounts_below_now"), kpi.get("arr_below_now")
        if _ok(n):
            text += f": {int(n):,} accounts" + (f" (ARR {fmt_money(arr)})" if _ok(arr) else "") + " are on the wrong side of it now"
        if _ok(kpi.get("churn_rate_below")) and _ok(kpi.get("churn_rate_above")):
            text += (f"; {_num(kpi['churn_rate_below'], 'percent')} of accounts on the wrong side churned, against "
                     f"{_num(kpi['churn_rate_above'], 'percent')} of the others")
        out.append({"action": text + ".", "because": {
            "feature": feature, "direction": kpi.get("direction"), "threshold": kpi.get("threshold"),
            "threshold_interval": kpi.get("threshold_interval"), "accounts_below_now": n, "arr_below_now": arr,
            "churn_rate_below": kpi.get("churn_rate_below"), "churn_rate_above": kpi.get("churn_rate_above")}})
    return out


# --------------------------------------------------------------------------- by segment


def _pair(first: Any, second: Any) -> str:
    """Two shares side by side: ``"9.2% / 8.5%"``; a missing one reads ``n/a``."""
    a, b = _iv(first), _iv(second)
    return " / ".join(_num(iv.estimate, "percent") if iv.available else "n/a" for iv in (a, b))


def _by_segment(section: Any) -> dict[str, Any]:
    by = section.get("by_segment") if isinstance(section, Mapping) else None
    return by if isinstance(by, Mapping) else {}


def _withheld(entry: Any) -> str | None:
    if not isinstance(entry, Mapping):
        return "n/a"
    return "withheld (small group)" if "suppressed" in entry else None


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
    return {"Accounts": accounts, f"Churned within {years} years: failed / succeeded onboarding": churn}


def onboarding_health_segments(section: Any) -> dict[str, dict[str, str]]:
    """Unhealthy share some months after onboarding (failed / succeeded) per segment."""
    by = _by_segment(section)
    if not by:
        return {}
    column = {s: _withheld(e) or _pair(e.get("unhealthy_failed"), e.get("unhealthy_succeeded")) for s, e in by.items()}
    return {f"Unhealthy {section.get('months_after')} months later: failed / succeeded onboarding": column}


# --------------------------------------------------------------------------- retention


def retention_answer(section: Any) -> dict[str, str]:
    """How much revenue and how many customers we keep: GRR, NRR and logo retention over the window."""
    if (why := _reason(section)) is not None:
        return _not_enough(why)
    grr, nrr, logo = (_iv(section.get(k)) for k in ("grr", "nrr", "logo_retention"))
    if not nrr.available:
        return _not_enough(nrr.reason or "no account had a term in force at the start of the window")
    verdict = verdict_of(nrr, 1.0)
    months = section.get("window_months", 12)
    lead = ({CLEAR: "Revenue from existing customers is " + ("growing" if nrr.estimate > 1 else "shrinking"),
             NONE: "Revenue from existing customers is flat within the uncertainty"}[verdict])
    text = (f"{lead}: of the ARR customers paid {months} months ago, they pay {_num(nrr.estimate, 'percent')} now "
            f"including upgrades (net revenue retention, {between(nrr, 'percent')})")
    if grr.available:
        text += f" and {_num(grr.estimate, 'percent')} not counting upgrades (gross, {between(grr, 'percent')})"
    if logo.available:
        text += f"; {_num(logo.estimate, 'percent')} of those customers are still customers ({between(logo, 'percent')})"
    return {"verdict": verdict, "answer": text + "."}


def retention_actions(section: Any) -> list[dict[str, Any]]:
    """Where the lost ARR went: churn or contraction, and which to work on first."""
    if _reason(section) is not None:
        return []
    churn, contraction = section.get("arr_lost_churn"), section.get("arr_lost_contraction")
    if not _ok(churn) or not _ok(contraction) or churn + contraction <= 0:
        return []
    because = {"arr_lost_churn": churn, "arr_lost_contraction": contraction, "grr": section.get("grr")}
    if churn >= 2 * contraction:
        down = f"{fmt_money(contraction)} with customers who reduced their contract" if contraction else "none to down-sells"
        action = (f"Work on saving renewals before down-sells: of the ARR lost in the last {section.get('window_months', 12)} "
                  f"months, {fmt_money(churn)} left with customers who churned and {down}.")
    elif contraction >= 2 * churn:
        action = (f"Work on down-sells before churn: customers who reduced their contract took {fmt_money(contraction)} "
                  f"of ARR in the last {section.get('window_months', 12)} months, churned customers {fmt_money(churn)}.")
    else:
        return []
    return [{"action": action, "because": because}]


def retention_segments(section: Any) -> dict[str, dict[str, str]]:
    """Gross and net revenue retention per segment."""
    by = _by_segment(section)
    if not by:
        return {}
    column = {s: _withheld(e) or _pair(e.get("grr"), e.get("nrr")) for s, e in by.items()}
    return {f"Revenue kept (last {section.get('window_months', 12)} months): gross / net": column}
