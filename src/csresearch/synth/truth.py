"""The planted truth of a synthetic dataset: expected effects and realised values.

:func:`build_truth` returns the JSON-able content of truth.json: every planted
number of the scenario, the effects they imply (computed from the generating
model, e.g. analytic unhealthy shares and model-based 3-year churn) and the
values realised in the generated tables, so that an analysis run on the data
can be compared with what was put in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from .causes import cause_names
from .contracts import add_years, quota_driver_sd
from .scenario import Scenario

__all__ = ["build_truth", "GENERATOR"]

#: Marker written into truth.json; the writer recognises earlier outputs by it.
GENERATOR = "csresearch.synth"


def _r(x: float, digits: int = 4) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), digits)


def _share(mask: np.ndarray, group: np.ndarray) -> dict[str, Any]:
    return {
        "succeeded": _r(mask[~group].mean()) if (~group).any() else None,
        "failed": _r(mask[group].mean()) if group.any() else None,
        "n_succeeded": int((~group).sum()),
        "n_failed": int(group.sum()),
    }


def _with_ratio(d: dict[str, Any]) -> dict[str, Any]:
    ok = d["succeeded"] and d["failed"] is not None
    d["ratio"] = _r(d["failed"] / d["succeeded"]) if ok else None
    return d


def _three_year_churn(latent: pd.DataFrame, terms: dict, sc: Scenario) -> dict[str, Any]:
    failed = latent["failed"].to_numpy()
    p3 = 1.0 - np.prod(1.0 - terms["churn_prob"][:, :3], axis=1)
    cut = np.datetime64(sc.extracted_at, "D")
    observed = add_years(latent["signup"].to_numpy().astype("datetime64[D]"), np.full(len(latent), 3)) <= cut
    churned3 = terms["churned"] & (terms["last_term"] <= 2)
    expected = _share(p3, failed)
    expected["difference"] = _r(expected["failed"] - expected["succeeded"])
    realised = _share(churned3[observed], failed[observed])
    realised["difference"] = _r(realised["failed"] - realised["succeeded"]) if realised["failed"] is not None else None
    return {
        "definition": "churned at one of the first three renewal decisions (term_end <= signup + 3 years)",
        "expected": expected,
        "realised_accounts_observed_3y": realised,
        "expected_accounts_observed_3y": _share(p3[observed], failed[observed]),
    }


def _unhealthy(latent: pd.DataFrame, panel: pd.DataFrame, sc: Scenario) -> dict[str, Any]:
    months_after = sc.onboarding_target_days / 30.44 + sc.unhealthy_months_after_target
    sd = np.sqrt(1 + sc.term_shock_sd**2)
    mean_ok = sc.health_slope_per_year * months_after / 12.0
    mean_failed = mean_ok - sc.onboarding_deficit * np.exp(-months_after / sc.onboarding_deficit_decay_months)
    expected = _with_ratio(
        {
            "succeeded": _r(norm.cdf((sc.unhealthy_cut - mean_ok) / sd)),
            "failed": _r(norm.cdf((sc.unhealthy_cut - mean_failed) / sd)),
        }
    )
    # the month holding target + 12 months, per account, and the 3 complete months before it
    target_t = (sc.onboarding_target_days + 30.44 * sc.unhealthy_months_after_target) / 30.44
    t = panel["t"].to_numpy()
    signup = latent["signup"].to_numpy().astype("datetime64[D]")
    day = signup - signup.astype("datetime64[M]").astype("datetime64[D]")
    at_t = np.floor(target_t + day.astype(int) / 30.44).astype(int)[panel["acc"].to_numpy()]
    at_row = panel[t == at_t]
    at_row = at_row[at_row["last_day"] >= at_row["month"]]
    window = panel[(t >= at_t - 3) & (t < at_t)]
    util = (window["active_users"] / window["seats"]).groupby(window["acc"]).agg(["mean", "size"])
    util = util[util["size"] == 3]["mean"].reindex(at_row["acc"]).dropna()
    failed = latent["failed"].to_numpy()
    latent_share = _with_ratio(_share((at_row["health"] < sc.unhealthy_cut).to_numpy(), failed[at_row["acc"].to_numpy()]))
    util_share = _with_ratio(_share((util < sc.unhealthy_utilisation_cut).to_numpy(), failed[util.index.to_numpy()]))
    return {
        "definition": (
            f"latent health H < {sc.unhealthy_cut} at {sc.unhealthy_months_after_target} months after the "
            "onboarding target, among accounts still customers then"
        ),
        "months_after_target": sc.unhealthy_months_after_target,
        "expected_latent": expected,
        "realised_latent": latent_share,
        "observable_definition": (
            f"mean active_users / seats over the 3 complete months before target + "
            f"{sc.unhealthy_months_after_target} months < {sc.unhealthy_utilisation_cut}"
        ),
        "realised_seat_utilisation": util_share,
    }


def _quota_pace(panel: pd.DataFrame, terms: dict) -> np.ndarray:
    """The contract's quota_consumption at the end of every panel month.

    Quota used since the term started / (quota x elapsed share of the term),
    the elapsed share counting a partial month (the signup month) by its
    share of days, as the feature builder does. Onboarding ramp-up months are
    part of the first term's pace, so the cumulative sums run over the whole
    panel before any tenure filter.
    """
    acc, term = panel["acc"].to_numpy(), panel["term"].to_numpy()
    quota = terms["quota"][acc, term]
    month = panel["month"].to_numpy().astype("datetime64[D]")
    days_in_month = ((month.astype("datetime64[M]") + 1).astype("datetime64[D]") - month).astype(int)
    active_days = (panel["last_day"].to_numpy() - panel["first_day"].to_numpy()).astype("timedelta64[D]").astype(int) + 1
    share = np.clip(active_days, 0, None) / days_in_month
    frame = pd.DataFrame({"acc": acc, "term": term, "used": panel["quota_used"].to_numpy(), "share": share})
    sums = frame.groupby(["acc", "term"], sort=False)[["used", "share"]].cumsum()
    with np.errstate(divide="ignore", invalid="ignore"):
        return sums["used"].to_numpy() / (quota * sums["share"].to_numpy() / 12.0)


def _slopes(latent: pd.DataFrame, terms: dict, panel: pd.DataFrame, sc: Scenario) -> dict[str, Any]:
    cont = ~terms["churned"][panel["acc"].to_numpy()] & (panel["tenure_months"].to_numpy() >= 6)
    p = panel[cont]
    years = p["tenure_months"].to_numpy() / 12.0
    util = (p["active_users"] / p["seats"]).to_numpy()
    quota = terms["quota"][p["acc"].to_numpy(), p["term"].to_numpy()]
    has_q = np.isfinite(quota)
    consumption = p["quota_used"].to_numpy()[has_q] / (quota[has_q] / 12.0)
    pace = _quota_pace(panel, terms)[cont][has_q]
    return {
        "population": "accounts that never churned, months with tenure >= 6",
        "latent_health_per_year": sc.health_slope_per_year,
        "expected_logit_utilisation_per_year": _r(sc.utilisation_per_health * sc.health_slope_per_year),
        "expected_log_quota_consumption_per_year": _r(
            sc.quota_per_health * sc.health_slope_per_year - sc.quota_decline_per_year
        ),
        "realised_seat_utilisation_per_year": _r(np.polyfit(years, util, 1)[0]) if years.size > 2 else None,
        "realised_quota_consumption_per_year": _r(np.polyfit(years[has_q], consumption, 1)[0]) if has_q.sum() > 2 else None,
        "quota_consumption_pace_definition": (
            "quota used since the term started / (quota x elapsed share of the term), at every month end "
            "(partial months by their share of days; onboarding ramp-up included): the data contract's quota_consumption"
        ),
        "realised_quota_consumption_pace_per_year": _r(np.polyfit(years[has_q], pace, 1)[0]) if has_q.sum() > 2 else None,
        "realised_features_used_per_year": _r(np.polyfit(years, p["features_used"].to_numpy(), 1)[0]) if years.size > 2 else None,
    }


def _pre_decision(terms: dict, panel: pd.DataFrame) -> dict[str, Any]:
    acc, t = panel["acc"].to_numpy(), panel["t"].to_numpy()
    kd = t // 12
    rel = t - 12 * (kd + 1)
    last = terms["last_term"][acc]
    outcome = np.where(kd < last, "renewed", np.where(terms["churned"][acc] & (kd == last), "churned", "open"))
    util = (panel["active_users"] / panel["seats"]).to_numpy()
    frame = pd.DataFrame({"acc": acc, "kd": kd, "outcome": outcome, "util": util})
    recent = frame[(rel >= -6) & (rel <= -4)].groupby(["acc", "kd", "outcome"])["util"].mean()
    before = frame[(rel >= -9) & (rel <= -7)].groupby(["acc", "kd", "outcome"])["util"].mean()
    delta = (recent - before).dropna().groupby(level="outcome").mean()
    return {
        "definition": "mean seat utilisation over months -6..-4 minus -9..-7 before the term_end month",
        "realised_churned": _r(delta.get("churned", np.nan)),
        "realised_renewed": _r(delta.get("renewed", np.nan)),
    }


#: Canonical feature -> role in the generating model (docs/synthetic-data.md).
FACTOR_ROLES = {
    "leading": {
        "quota_consumption": "quota_consumption",
        "seat_utilisation_3m": "health",
        "events_per_active_user_3m": "health",
        "features_used_3m": "health",
        "onboarding_succeeded": "health (onboarding deficit)",
        "onboarding_days": "health (onboarding deficit)",
        "setup_done": "health (onboarding deficit)",
        "email_open_rate_6m": "satisfaction",
        "nps_last": "satisfaction",
        "exec_meetings_12m": "exec_engagement",
        "support_tickets_6m": "support_load",
    },
    "symptoms": ["seat_utilisation_delta_3m", "quota_consumption_delta_3m"],
    "context": ["tenure_years", "renewal_number", "segment", "touch_model"],
    "notes": (
        "leading: the feature measures a driver of the churn model (stable account traits, visible a year "
        "ahead); symptoms: the feature sees only the usage decline of the last months before a decision "
        "(a consequence of the decision, with false alarms), so it matters at short leads only; the levels "
        "seat_utilisation_3m, events_per_active_user_3m, features_used_3m and quota_consumption carry the "
        "decline too at short leads. quota_consumption is null before the first complete month of a term, "
        "so at a lead of about 335 days or more it is not observed and its leading signal is carried by "
        "the health-driven usage features"
    ),
}


def _churn_model(sc: Scenario, terms: dict, decided: pd.DataFrame) -> dict[str, Any]:
    return {
        "form": (
            "logit P(churn by the drivers at a renewal decision) = intercept + sum(coef x driver); drivers "
            "measured at term_end - 3 months before any decline: quota_consumption = log quota-consumption "
            "deviation / its sd (0 without quota), health = H / sqrt(1 + term_shock_sd^2), satisfaction, "
            "exec_engagement, support_load ~ N(0, 1) account traits, smb = 1 for smb accounts; "
            "P(churn) = 1 - (1 - P(drivers)) x prod(1 - p_unobserved)"
        ),
        "intercept": sc.churn_intercept,
        "base_churn_rate": _r(1.0 / (1.0 + np.exp(-sc.churn_intercept))),
        "coef_per_sd": sc.churn_coef,
        "quota_driver_sd": _r(quota_driver_sd(sc)),
        "unobserved_per_decision": sc.unobserved_churn,
        "realised_decisions": int(len(decided)),
        "realised_churn_rate_per_decision": _r((decided["outcome"] == "churned").mean()) if len(decided) else None,
    }


def _churn_causes(sc: Scenario, terms: dict) -> dict[str, Any]:
    """Share of churned accounts by the cause that fired, and the expected share of driver-caused churn."""
    churned = terms["churned"]
    n = len(churned)
    cause = terms["cause"][np.arange(n), terms["last_term"]][churned]
    names = cause_names(sc)
    counts = {name: int((cause == i + 1).sum()) for i, name in enumerate(names)}
    total = max(int(churned.sum()), 1)
    decline = terms["decline"][np.arange(n), terms["last_term"]][churned]
    k = np.arange(terms["cause"].shape[1])[None, :]
    last = terms["last_term"][:, None]
    decided = (k < last) | ((k == last) & churned[:, None])
    mean_driver = float(terms["driver_prob"][decided].mean()) if decided.any() else 0.0
    mean_total = float(terms["churn_prob"][decided].mean()) if decided.any() else 0.0
    return {
        "definition": (
            "cause of each churned account's churn: 'drivers' when the leading-driver model fired, else the "
            "unobserved cause that fired (none of them is visible in the data)"
        ),
        "unobserved": sorted(sc.unobserved_churn),
        "expected_share_by_drivers": _r(mean_driver / mean_total) if mean_total > 0 else None,
        "expected_share_by_drivers_definition": (
            "mean driver churn probability / mean total churn probability over the realised decisions "
            "(an approximation: causes may fire together, the drivers then count)"
        ),
        "realised_churned_accounts": counts,
        "realised_share_by_drivers": _r(counts["drivers"] / total),
        "realised_share_with_decline": _r(decline.mean()) if decline.size else None,
    }


def _purpose(accounts: pd.DataFrame, sc: Scenario) -> dict[str, Any]:
    """The planted purpose model and the realised shares of accounts.purpose."""
    purpose = accounts["purpose"] if "purpose" in accounts else pd.Series(dtype="object")
    return {
        "definition": ("accounts.purpose: multinomial logit of the planted shares with log-odds purpose_health x the "
                       "persistent latent health; no effect on churn of its own (churn differs by purpose through "
                       "health only)"),
        "planted_shares": sc.purpose_shares,
        "planted_health_log_odds": sc.purpose_health,
        "planted_null_share": sc.purpose_null_share,
        "realised_shares": {str(k): _r(v) for k, v in purpose.value_counts(normalize=True, dropna=False).items()},
    }


def build_truth(
    tables: dict[str, pd.DataFrame],
    latent: pd.DataFrame,
    terms: dict,
    panel: pd.DataFrame,
    sc: Scenario,
    *,
    n_accounts: int,
    seed: int,
    table_rows: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Return the truth.json content (planted numbers, expected and realised effects).

    Parameters
    ----------
    tables : dict of str to DataFrame
        The generated contract tables.
    latent, terms, panel
        Hidden state from the generation steps.
    sc : Scenario
        Planted parameters.
    n_accounts, seed : int
        Generation arguments.
    table_rows : dict of str to int, optional
        Rows per table, for tables not in ``tables`` too (the streamed events);
        default: the rows of ``tables``.

    Returns
    -------
    dict
        JSON-able.
    """
    segment = latent["segment"].to_numpy()
    failed = latent["failed"].to_numpy()
    contracts = tables["contracts"]
    decided = contracts[contracts["outcome"] != "open"]
    return {
        "generator": GENERATOR,
        "generator_version": 2,
        "n_accounts": n_accounts,
        "seed": seed,
        "scenario": sc.to_dict(),
        "segments": {
            "planted_shares": sc.segment_shares,
            "realised_shares": {s: _r((segment == s).mean()) for s in sc.segment_shares},
            "seat_range": sc.seat_range,
        },
        "onboarding_failure_rate": {
            "planted": sc.onboarding_failure_rate,
            "realised": {s: _r(failed[segment == s].mean()) for s in sc.segment_shares if (segment == s).any()},
            "overall_realised": _r(failed.mean()),
        },
        "churn_within_3_years": _three_year_churn(latent, terms, sc),
        "unhealthy_after_onboarding": _unhealthy(latent, panel, sc),
        "tenure_slopes_continuing": _slopes(latent, terms, panel, sc),
        "churn_model": _churn_model(sc, terms, decided),
        "churn_causes": _churn_causes(sc, terms),
        "factor_roles": FACTOR_ROLES,
        "purpose": _purpose(tables["accounts"], sc),
        "pre_decision_decline": {
            "planted_months": sc.decline_months,
            "planted_share_of_driver_churners": sc.decline_share,
            "planted_false_alarm_rate": sc.dip_rate,
            "planted_logit_utilisation_drop": sc.decline_health,
            "planted_log_quota_drop": sc.decline_quota,
            "planted_log_events_per_user_drop": sc.decline_events,
            "planted_logit_features_drop": sc.decline_features,
            **_pre_decision(terms, panel),
        },
        "table_rows": {k: int(n) for k, n in (table_rows or {k: len(v) for k, v in tables.items()}).items()},
    }
