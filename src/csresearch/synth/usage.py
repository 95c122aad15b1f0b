"""Synthetic monthly usage driven by latent health.

One row per account x calendar month from the signup month to the month of
extracted_at (or of the churned term_end), vectorised over the whole panel:

* seat utilisation = sigmoid(alpha_segment + k_u x H + noise - decline) x ramp,
  active_users ~ Binomial(seats, utilisation);
* events = active_users + Poisson(active_users x (events per user - 1)),
  events per user = 12 exp(0.25 H - decline_events x decline);
* features_used = 1 + Binomial(11, sigmoid(-0.3 + 0.5 H + 0.1 years - decline_features x decline));
* quota_used ~ Poisson(quota / 12 x consumption x ramp), log consumption =
  log(c1) + k_q H + account + term shocks - decline per year x years - decline_quota x decline.

"decline" (the late symptom) is zero except in the terms that end with a
decline (causes.py: a share of the driver-caused churners, and false-alarm
dips of other terms): it grows linearly from 0 to 1 over the last
``decline_months`` months before the term_end. "ramp" is the
onboarding ramp-up, slower after a failed onboarding. Months without any active
user have no row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .contracts import latent_health
from .scenario import Scenario

__all__ = ["draw_usage", "MAX_FEATURES", "EVENTS_PER_USER"]

MAX_FEATURES = 12
EVENTS_PER_USER = 12.0
_RAMP_OK = ([0.0, 1.0, 2.0, 3.0], [0.45, 0.75, 0.9, 1.0])
_RAMP_FAILED = ([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], [0.3, 0.45, 0.6, 0.75, 0.9, 1.0])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def month_panel(latent: pd.DataFrame, terms: dict, sc: Scenario) -> pd.DataFrame:
    """Every account x month a customer could be active, with its latent state.

    Returns
    -------
    DataFrame
        ``acc`` (row of accounts), ``t`` (months since the signup month),
        ``month`` (datetime64[D], first day), ``tenure_months`` (months since
        signup at mid-month), ``term`` (index of the term in force),
        ``health`` (latent H), ``decline`` (0..1 share of the late usage decline),
        ``last_day`` (last day the account can be active in that month).
    """
    cut = np.datetime64(sc.extracted_at, "D")
    signup = latent["signup"].to_numpy().astype("datetime64[D]")
    first_m = signup.astype("datetime64[M]")
    end = terms["end"]
    churned = terms["churned"]
    end_m = end.astype("datetime64[M]")
    churn_last = np.where(end > end_m.astype("datetime64[D]"), end_m, end_m - 1)
    last_m = np.where(churned, churn_last, cut.astype("datetime64[M]"))
    n_months = (last_m - first_m).astype(int) + 1
    acc = np.repeat(np.arange(len(latent)), n_months)
    t = np.arange(acc.size) - np.repeat(np.cumsum(n_months) - n_months, n_months)
    month = (first_m[acc] + t).astype("datetime64[D]")
    day_of_signup = (signup - first_m.astype("datetime64[D]")).astype(int)
    tenure = t + 0.5 - day_of_signup[acc] / 30.44
    term = np.clip(t // 12, 0, terms["last_term"][acc])
    health = latent_health(
        latent["health"].to_numpy()[acc],
        latent["failed"].to_numpy()[acc],
        np.maximum(tenure, 0.0),
        terms["term_shock"][acc, term],
        sc,
    )
    d = terms["decline_months"][acc, term]
    end_months = 12.0 * (term + 1)
    decline = np.where(terms["decline"][acc, term], np.clip((tenure - (end_months - d)) / d, 0.0, 1.0), 0.0)
    next_month = (month.astype("datetime64[M]") + 1).astype("datetime64[D]")
    last_day = np.minimum(next_month - 1, np.where(churned[acc], end[acc] - 1, cut))
    return pd.DataFrame(
        {
            "acc": acc,
            "t": t,
            "month": month,
            "tenure_months": tenure,
            "term": term,
            "health": health,
            "decline": decline,
            "first_day": np.maximum(month, signup[acc]),
            "last_day": last_day,
        }
    )


def draw_usage(
    accounts: pd.DataFrame, latent: pd.DataFrame, terms: dict, sc: Scenario, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw the usage_monthly table.

    Parameters
    ----------
    accounts, latent : DataFrame
        From :func:`~csresearch.synth.accounts.draw_accounts`.
    terms : dict
        From :func:`~csresearch.synth.contracts.draw_contracts`.
    sc : Scenario
        Planted parameters.
    rng : numpy Generator
        Random stream of this step.

    Returns
    -------
    usage : DataFrame
        Contract columns of usage_monthly (months with activity only).
    panel : DataFrame
        :func:`month_panel` plus ``seats``, ``utilisation`` (expected),
        ``active_users``, ``features_used`` and ``quota_used``, for every month
        including inactive ones.
    """
    panel = month_panel(latent, terms, sc)
    acc, term = panel["acc"].to_numpy(), panel["term"].to_numpy()
    tenure = panel["tenure_months"].to_numpy()
    health, decline = panel["health"].to_numpy(), panel["decline"].to_numpy()
    failed = latent["failed"].to_numpy()[acc]
    ramp = np.where(failed, np.interp(tenure, *_RAMP_FAILED), np.interp(tenure, *_RAMP_OK))
    seats_cap = terms["seats"][acc, np.clip(np.maximum(panel["t"].to_numpy() - 1, 0) // 12, 0, term)]
    alpha = latent["segment"].map(sc.utilisation_logit_intercept).to_numpy(dtype=float)[acc]
    noise = rng.normal(0.0, sc.monthly_noise_sd, acc.size)
    utilisation = _sigmoid(alpha + sc.utilisation_per_health * health + noise - sc.decline_health * decline) * ramp
    active = rng.binomial(seats_cap, utilisation)

    per_user = EVENTS_PER_USER * np.exp(0.25 * health - sc.decline_events * decline)
    events = active + rng.poisson(active * (per_user - 1.0))
    p_feat = _sigmoid(-0.3 + 0.5 * health + 0.1 * tenure / 12.0 - sc.decline_features * decline)
    features = np.where(active > 0, np.minimum(1 + rng.binomial(MAX_FEATURES - 1, p_feat), events), 0)

    log_c = (
        np.log(sc.quota_consumption_year1)
        + sc.quota_per_health * health
        + sc.quota_account_sd * latent["quota_propensity"].to_numpy()[acc]
        + terms["quota_shock"][acc, term]
        - sc.quota_decline_per_year * tenure / 12.0
        + rng.normal(0.0, 0.1, acc.size)
        - sc.decline_quota * decline
    )
    quota = terms["quota"][acc, term]
    lam = np.where(np.isnan(quota) | (active == 0), 0.0, np.nan_to_num(quota) / 12.0 * np.exp(log_c) * ramp)
    quota_used = rng.poisson(lam).astype(float)

    panel = panel.assign(
        seats=seats_cap, utilisation=utilisation, active_users=active, features_used=features, quota_used=quota_used
    )
    keep = active > 0
    usage = pd.DataFrame(
        {
            "account_id": pd.Categorical.from_codes(acc[keep], categories=accounts["account_id"]),
            "month": panel["month"].to_numpy()[keep].astype("datetime64[ns]"),
            "active_users": active[keep].astype(np.int64),
            "events": events[keep].astype(np.int64),
            "features_used": features[keep].astype(np.int64),
            "quota_used": quota_used[keep],
        }
    )
    return usage, panel
