"""Headline findings as sentences, generated from findings.json.

Each sentence carries its numbers with their 95% intervals. A section that is
missing (failed notebook, not run) or a value that could not be computed gives
a sentence saying so and why, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

__all__ = ["headline_sentences"]


def _num(x: Any, fmt: str) -> str:
    return "n/a" if x is None else format(x, fmt)


def _pct(x: Any) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _iv(iv: Any, fmt: str = ".2f", pct: bool = False) -> str:
    """'0.72 (95% CI 0.69 to 0.75)' or 'not computed (reason)'."""
    if not isinstance(iv, Mapping):
        return "not reported"
    show = _pct if pct else (lambda v: _num(v, fmt))
    if iv.get("estimate") is None:
        return f"not computed ({iv.get('reason', 'no reason given')})"
    level = iv.get("ci_level", 0.95)
    if iv.get("ci_low") is None or iv.get("ci_high") is None:
        return f"{show(iv['estimate'])} (no interval: {iv.get('reason', 'not computed')})"
    return f"{show(iv['estimate'])} ({100 * level:.0f}% CI {show(iv['ci_low'])} to {show(iv['ci_high'])})"


def _onboarding_vs_churn(s: Mapping) -> list[str]:
    rd = s.get("risk_difference", {})
    pts = dict(rd, **{k: (None if rd.get(k) is None else 100 * rd[k]) for k in ("estimate", "ci_low", "ci_high")}) if isinstance(rd, Mapping) else rd
    p = s.get("p_value")
    mdd = s.get("min_detectable_difference")
    return [
        f"Within {s.get('horizon_years')} years of signup (Kaplan-Meier), {_iv(s.get('churn_failed'), pct=True)} of accounts "
        f"that did not succeed at onboarding churned, against {_iv(s.get('churn_succeeded'), pct=True)} of those that succeeded: "
        f"a difference of {_iv(pts, '.1f')} percentage points"
        + (f", p = {p:.3g}" if p is not None else "")
        + (f"; the smallest difference this data could detect is {100 * mdd:.1f} points." if mdd is not None else ".")
    ]


def _onboarding_vs_health(s: Mapping) -> list[str]:
    out = [
        f"{s.get('months_after')} months after the onboarding target date, accounts that failed onboarding were "
        f"{_iv(s.get('unhealthy_risk_ratio'))} times as often unhealthy (health score below {s.get('unhealthy_threshold')}): "
        f"{_iv(s.get('unhealthy_share_failed'), pct=True)} against {_iv(s.get('unhealthy_share_succeeded'), pct=True)}."
    ]
    adj = s.get("feature_difference_adjusted") or {}
    if isinstance(adj, Mapping) and adj:
        parts = [f"{k} {_iv(v, '+.3g')}" for k, v in list(adj.items())[:4]]
        out.append("Differences failed minus succeeded, adjusted for segment and touch model: " + "; ".join(parts) + ".")
    return out


def _health_validity(s: Mapping) -> list[str]:
    return [
        f"The health score correlates with tenure with Spearman rho {_iv(s.get('tenure_spearman'))} and predicts the "
        f"next renewal with AUC {_iv(s.get('auc_next_renewal'))}."
    ]


def _continuing_trends(s: Mapping) -> list[str]:
    slopes = {k: v.get("slope_per_year") for k, v in s.items() if isinstance(v, Mapping) and isinstance(v.get("slope_per_year"), Mapping)}
    if not slopes:
        return []

    def sign(iv: Mapping) -> int:
        low, high = iv.get("ci_low"), iv.get("ci_high")
        return 0 if low is None or high is None else (1 if low > 0 else -1 if high < 0 else 0)

    out = []
    score = slopes.get("health_score")
    if score is not None:
        out.append(f"Among accounts that never churned, the health score changes by {_iv(score, '+.3g')} points per year of tenure.")
    against = [k for k, iv in slopes.items()
               if score is not None and not k.startswith("health_") and sign(iv) * sign(score) == -1]
    if against:
        out.append("Moving against the score: " + "; ".join(f"{k} {_iv(slopes[k], '+.3g')} per year" for k in against) + ".")
    others = [k for k in slopes if k != "health_score" and k not in against][:5]
    if others:
        out.append("Other changes per year: " + "; ".join(f"{k} {_iv(slopes[k], '+.3g')}" for k in others) + ".")
    return out


def _churn_factors(s: Mapping) -> list[str]:
    ors = s.get("odds_ratios") or {}
    top = [f for f in (s.get("ranking") or [])][:3]
    parts = []
    for f in top:
        iv = ors.get(f, {}) if isinstance(ors, Mapping) else {}
        q = iv.get("q_value") if isinstance(iv, Mapping) else None
        parts.append(f"{f} (odds ratio per SD {_iv(iv)}" + (f", q = {q:.2g})" if q is not None else ")"))
    out = []
    if parts:
        out.append("Strongest churn factors: " + "; ".join(parts) + ".")
    out.append(f"Account-grouped cross-validated AUC of the churn model: {_iv(s.get('cv_auc'))}.")
    return out


def _kpis(s: Any) -> list[str]:
    if not isinstance(s, list):
        return []
    return [
        f"KPI: keep {k.get('feature')} {k.get('direction')} {_num(k.get('threshold'), '.3g')}; churn rate "
        f"{_pct(k.get('churn_rate_above'))} above it against {_pct(k.get('churn_rate_below'))} below it."
        for k in s[:5]
    ]


_WRITERS: dict[str, tuple[str, Callable[[Any], list[str]]]] = {
    "onboarding_vs_churn": ("Onboarding and churn", _onboarding_vs_churn),
    "onboarding_vs_health": ("Onboarding and later health", _onboarding_vs_health),
    "health_validity": ("Does the health score mean anything?", _health_validity),
    "continuing_trends": ("Continuing accounts over tenure", _continuing_trends),
    "churn_factors": ("What predicts churn", _churn_factors),
    "kpis": ("KPIs to manage to", _kpis),
}


def headline_sentences(findings: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """Return (heading, sentences) for every headline section of a findings document.

    Parameters
    ----------
    findings : mapping
        A findings.json document; sections may be missing or malformed.

    Returns
    -------
    list of (str, list of str)
    """
    missing = findings.get("missing_sections") or {}
    out = []
    for key, (heading, writer) in _WRITERS.items():
        section = findings.get(key)
        if section is None:
            why = missing.get(key, "not produced by this run")
            out.append((heading, [f"Not available: {why}."]))
        elif isinstance(section, Mapping) and set(section) == {"reason"}:
            out.append((heading, [f"Not computed on this data: {section['reason']}."]))
        else:
            try:
                out.append((heading, writer(section)))
            except (AttributeError, TypeError, ValueError, KeyError) as exc:
                out.append((heading, [f"Section {key} is malformed and cannot be summarised ({type(exc).__name__}: {exc})."]))
    return out
