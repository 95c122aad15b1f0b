"""Synthetic accounts, their latent traits and their onboarding.

:func:`draw_accounts` draws the accounts table together with the hidden traits
that drive everything else (persistent health, onboarding failure, quota and
engagement propensities). :func:`draw_onboarding` turns the planted onboarding
outcome into the onboarding table with realistic milestone dates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .scenario import SEGMENTS, Scenario

__all__ = ["draw_accounts", "draw_onboarding", "draw_purpose", "INDUSTRIES"]

#: Industry -> share of accounts.
INDUSTRIES = {
    "manufacturing": 0.22,
    "it_services": 0.18,
    "professional_services": 0.16,
    "finance": 0.10,
    "retail": 0.10,
    "construction": 0.09,
    "logistics": 0.08,
    "healthcare": 0.07,
}
_EMPLOYEE_PENETRATION = {"smb": (0.3, 0.9), "mid": (0.1, 0.5), "enterprise": (0.05, 0.3)}
_NULL_EMPLOYEES, _NULL_INDUSTRY = 0.08, 0.03


def _signup_dates(n: int, sc: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Signup days with a linearly growing rate (inverse-CDF sampling), sorted."""
    first = np.datetime64(sc.first_signup, "D")
    span = (np.datetime64(sc.last_signup, "D") - first).astype(int)
    u, g = rng.random(n), float(sc.signup_growth)
    x = u if abs(g - 1) < 1e-9 else (np.sqrt(1 + (g * g - 1) * u) - 1) / (g - 1)
    return np.sort(first + np.floor(x * (span + 1)).astype(int))


def _choice(rng: np.random.Generator, shares: dict, n: int) -> np.ndarray:
    keys = list(shares)
    p = np.array([shares[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def draw_accounts(n: int, sc: Scenario, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw the accounts table and the accounts' latent traits.

    Parameters
    ----------
    n : int
        Number of accounts.
    sc : Scenario
        Planted parameters.
    rng : numpy Generator
        Random stream of this step.

    Returns
    -------
    accounts : DataFrame
        Contract columns of the accounts table, ids ``A000001``... in signup order.
    latent : DataFrame
        Same row order: ``segment``, ``signup`` (datetime64[D]), ``seats0``,
        ``failed`` (planted onboarding failure), ``health`` (persistent latent
        health a_i ~ N(0, 1)), ``quota_propensity``, ``satisfaction``,
        ``exec_propensity``, ``support_propensity`` (all N(0, 1)),
        ``has_quota``, ``touch_model``.
    """
    signup = _signup_dates(n, sc, rng)
    segment = _choice(rng, {s: sc.segment_shares[s] for s in SEGMENTS}, n)
    seats0 = np.empty(n, dtype=np.int64)
    employees = np.empty(n, dtype=float)
    touch = np.empty(n, dtype=object)
    failed = np.zeros(n, dtype=bool)
    for seg in SEGMENTS:
        idx = np.flatnonzero(segment == seg)
        low, high = sc.seat_range[seg]
        seats0[idx] = np.round(np.exp(rng.uniform(np.log(low), np.log(high), idx.size))).astype(np.int64)
        pen_lo, pen_hi = _EMPLOYEE_PENETRATION[seg]
        employees[idx] = np.ceil(seats0[idx] / rng.uniform(pen_lo, pen_hi, idx.size))
        touch[idx] = _choice(rng, sc.touch_model_shares[seg], idx.size)
        failed[idx] = rng.random(idx.size) < sc.onboarding_failure_rate[seg]
    industry = _choice(rng, INDUSTRIES, n)
    industry[rng.random(n) < _NULL_INDUSTRY] = None
    employees[rng.random(n) < _NULL_EMPLOYEES] = np.nan
    health = rng.standard_normal(n)
    satisfaction = 0.5 * health + np.sqrt(0.75) * rng.standard_normal(n)
    accounts = pd.DataFrame(
        {
            "account_id": [f"A{i:06d}" for i in range(1, n + 1)],
            "segment": segment,
            "signup_date": signup.astype("datetime64[ns]"),
            "touch_model": touch,
            "industry": industry,
            "employees": pd.array(employees, dtype="Float64").astype("Int64"),
        }
    )
    latent = pd.DataFrame(
        {
            "segment": segment,
            "signup": signup,
            "seats0": seats0,
            "failed": failed,
            "health": health,
            "quota_propensity": rng.standard_normal(n),
            "satisfaction": satisfaction,
            "exec_propensity": rng.standard_normal(n),
            "support_propensity": rng.standard_normal(n),
            "has_quota": rng.random(n) >= sc.no_quota_share,
            "touch_model": touch,
        }
    )
    return accounts, latent


def draw_purpose(latent: pd.DataFrame, sc: Scenario, rng: np.random.Generator) -> np.ndarray:
    """The stated purpose of each account: a multinomial logit in its persistent health, some unknown (None).

    Drawn from its own random stream after everything else, so adding it left
    every other table of a seed unchanged.
    """
    keys = list(sc.purpose_shares)
    base = np.log(np.array([sc.purpose_shares[k] for k in keys], dtype=float))
    slope = np.array([sc.purpose_health.get(k, 0.0) for k in keys], dtype=float)
    logits = base[None, :] + latent["health"].to_numpy()[:, None] * slope[None, :]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    u = rng.random(len(latent))
    choice = (u[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(max=len(keys) - 1)
    purpose = np.array(keys, dtype=object)[choice]
    purpose[rng.random(len(latent)) < sc.purpose_null_share] = None
    return purpose


def _days(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    return rng.integers(low, high + 1, n).astype("timedelta64[D]")


def draw_onboarding(
    accounts: pd.DataFrame, latent: pd.DataFrame, sc: Scenario, rng: np.random.Generator
) -> pd.DataFrame:
    """Draw the onboarding table from the planted onboarding outcome.

    Succeeded onboardings complete between 45 days after start and the target;
    failed ones complete later than target + grace days or never (40 %); a
    share of failed ones is labelled ``extended``. Recent accounts not yet
    completed at extraction with the target still ahead are ``in_progress``.
    Dates after extracted_at are not yet known and therefore null; a share of
    statuses is left null for csresearch to derive.

    Parameters
    ----------
    accounts, latent : DataFrame
        From :func:`draw_accounts`.
    sc : Scenario
        Planted parameters.
    rng : numpy Generator
        Random stream of this step.

    Returns
    -------
    DataFrame
        Contract columns of the onboarding table.
    """
    n = len(accounts)
    cut = np.datetime64(sc.extracted_at, "D")
    start = latent["signup"].to_numpy().astype("datetime64[D]")
    target = start + np.timedelta64(sc.onboarding_target_days, "D")
    failed = latent["failed"].to_numpy()
    tgt = sc.onboarding_target_days
    late = target + _days(rng, sc.onboarding_grace_days + 1, sc.onboarding_grace_days + 240, n)
    on_time = start + _days(rng, min(45, tgt), tgt, n)
    never = failed & (rng.random(n) < 0.4)
    completed = np.where(failed, late, on_time)
    setup = start + np.where(failed, _days(rng, 20, 120, n), _days(rng, 7, 35, n))
    setup_missing = failed & (rng.random(n) < 0.1)
    trained = setup + _days(rng, 3, 30, n)
    trained_missing = setup_missing | (failed & (rng.random(n) < 0.4))
    first_value = np.where(failed, completed + _days(rng, 0, 90, n), np.maximum(setup, completed - _days(rng, 0, 20, n)))
    value_missing = failed & (never | (rng.random(n) < 0.3))

    def known(dates: np.ndarray, missing: np.ndarray) -> pd.Series:
        out = pd.Series(dates.astype("datetime64[ns]"))
        return out.where(~missing & (dates <= cut))

    completed_s = known(completed, never)
    status = np.where(failed, "failed", "succeeded").astype(object)
    status[failed & (rng.random(n) < sc.onboarding_extended_share)] = "extended"
    status[completed_s.isna().to_numpy() & (target > cut)] = "in_progress"
    null_status = (status != "extended") & (rng.random(n) < sc.onboarding_status_null_share)
    status[null_status] = None
    return pd.DataFrame(
        {
            "account_id": accounts["account_id"],
            "start_date": start.astype("datetime64[ns]"),
            "target_date": target.astype("datetime64[ns]"),
            "completed_date": completed_s,
            "status": status,
            "setup_done_date": known(setup, setup_missing),
            "admin_trained_date": known(trained, trained_missing),
            "first_value_date": known(first_value, value_missing),
        }
    )
