"""Synthetic contract terms and the churn decision at each renewal.

Every account holds contiguous annual terms from its signup. At each term_end
on or before extracted_at the renewal is decided first: a logistic model of
the leading drivers measured at as_of = term_end - 3 months gives the
driver-caused churn, and unobserved causes (causes.py) add churn the data
cannot see. Usage is then generated to match: a share of the terms end with a
usage decline (the late symptom, see causes.py and usage.py). The last term
is ``open`` when its term_end lies after extracted_at.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .causes import draw_causes, draw_symptoms
from .scenario import Scenario

__all__ = ["add_years", "latent_health", "quota_driver_sd", "draw_contracts", "MAX_TERMS"]

#: Potential terms drawn per account (enough for the default five-year window).
MAX_TERMS = 8


def add_years(dates: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Add whole years to datetime64[D] dates (29 February -> 28 February)."""
    idx = pd.DatetimeIndex(dates)
    year = idx.year.to_numpy() + np.asarray(years)
    month, day = idx.month.to_numpy(), idx.day.to_numpy()
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    day = np.where((month == 2) & (day == 29) & ~leap, 28, day)
    out = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}))
    return out.to_numpy().astype("datetime64[D]")


def latent_health(
    health: np.ndarray, failed: np.ndarray, months: np.ndarray, term_shock: np.ndarray, sc: Scenario
) -> np.ndarray:
    """Latent health H at ``months`` after signup (without monthly noise or the late usage decline).

    H = a_i + slope x years - failed x deficit x exp(-months / decay) + term shock.
    """
    deficit = sc.onboarding_deficit * np.exp(-np.asarray(months) / sc.onboarding_deficit_decay_months)
    return health + sc.health_slope_per_year * np.asarray(months) / 12.0 - failed * deficit + term_shock


def quota_driver_sd(sc: Scenario) -> float:
    """Standard deviation of the log quota-consumption driver at fixed tenure."""
    return float(np.sqrt(sc.quota_per_health**2 * (1 + sc.term_shock_sd**2) + sc.quota_account_sd**2 + sc.quota_term_sd**2))


def draw_contracts(
    accounts: pd.DataFrame, latent: pd.DataFrame, sc: Scenario, rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Draw every account's terms and renewal outcomes.

    Parameters
    ----------
    accounts, latent : DataFrame
        From :func:`~csresearch.synth.accounts.draw_accounts`.
    sc : Scenario
        Planted parameters.
    rng : numpy Generator
        Random stream of this step.

    Returns
    -------
    contracts : DataFrame
        Contract columns of the contracts table.
    terms : dict of str to ndarray
        Per-account x potential-term arrays of shape (n, MAX_TERMS):
        ``term_shock``, ``quota_shock``, ``seats``, ``quota``, ``driver_prob``
        (churn probability from the leading drivers), ``churn_prob`` (with the
        unobserved causes), ``cause`` (see :func:`~csresearch.synth.causes.draw_causes`),
        ``decline`` (the term ends with a usage decline), ``decline_months``;
        per account: ``last_term`` (index), ``churned`` (bool),
        ``end`` (term_end of the last term, datetime64[D]).
    """
    n, K = len(accounts), MAX_TERMS
    cut = np.datetime64(sc.extracted_at, "D")
    signup = latent["signup"].to_numpy().astype("datetime64[D]")
    starts = np.stack([add_years(signup, np.full(n, k)) for k in range(K + 1)], axis=1)
    term_shock = rng.normal(0.0, sc.term_shock_sd, (n, K))
    quota_shock = rng.normal(0.0, sc.quota_term_sd, (n, K))
    growth = np.maximum(0.0, rng.normal(sc.seat_growth_mean, sc.seat_growth_sd, (n, K)))
    driver_prob, seats = _churn_model(latent, sc, term_shock, quota_shock, growth)
    causes = draw_causes(driver_prob, sc, rng)
    last_term, churned = _last_terms(causes["churn_draw"], starts[:, 1:] <= cut)  # decided: term_end on or before extracted_at
    quota_mat = np.where(latent["has_quota"].to_numpy()[:, None], seats * sc.quota_per_seat, np.nan)
    discount = rng.uniform(0.85, 1.0, n)
    price = latent["segment"].map(sc.price_per_seat).to_numpy(dtype=float) * discount
    contracts = _contract_rows(accounts["account_id"], starts, seats, quota_mat, price, last_term, churned)
    decline, decline_months = draw_symptoms(causes["cause"], last_term, churned, sc, rng)
    terms = {
        "term_shock": term_shock,
        "quota_shock": quota_shock,
        "seats": seats,
        "quota": quota_mat,
        "driver_prob": driver_prob,
        "churn_prob": causes["churn_prob"],
        "cause": causes["cause"],
        "decline": decline,
        "decline_months": decline_months,
        "last_term": last_term,
        "churned": churned,
        "end": starts[np.arange(n), last_term + 1],
    }
    return contracts, terms


def _churn_model(latent: pd.DataFrame, sc: Scenario, term_shock: np.ndarray, quota_shock: np.ndarray,
                 growth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Driver-caused churn probability at each potential decision and the seats of each term, shape (n, MAX_TERMS)."""
    n, K = term_shock.shape
    h_sd = np.sqrt(1 + sc.term_shock_sd**2)
    q_sd = quota_driver_sd(sc)
    coef = sc.churn_coef
    has_quota = latent["has_quota"].to_numpy()
    base = (
        sc.churn_intercept
        + coef["satisfaction"] * latent["satisfaction"].to_numpy()
        + coef["exec_engagement"] * latent["exec_propensity"].to_numpy()
        + coef["support_load"] * latent["support_propensity"].to_numpy()
        + coef["smb"] * (latent["segment"].to_numpy() == "smb")
    )
    churn_prob = np.empty((n, K))
    seats = np.empty((n, K), dtype=np.int64)
    seats[:, 0] = latent["seats0"].to_numpy()
    for k in range(K):
        months = np.full(n, 12.0 * (k + 1) - 3)  # as_of = term_end - 3 months
        h = latent_health(latent["health"].to_numpy(), latent["failed"].to_numpy(), months, term_shock[:, k], sc)
        q = (
            sc.quota_per_health * h
            + sc.quota_account_sd * latent["quota_propensity"].to_numpy()
            + quota_shock[:, k]
            - sc.quota_decline_per_year * months / 12.0
        )
        logit = base + coef["health"] * h / h_sd + coef["quota_consumption"] * np.where(has_quota, q / q_sd, 0.0)
        churn_prob[:, k] = 1.0 / (1.0 + np.exp(-logit))
        if k + 1 < K:
            step = growth[:, k] + 0.03 * h / h_sd
            seats[:, k + 1] = np.maximum(seats[:, k], np.round(seats[:, k] * np.exp(np.maximum(step, 0.0))))
    return churn_prob, seats


def _last_terms(churn_draw: np.ndarray, decided: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each account's last term and whether it churned (first drawn churn before the first open term)."""
    K = churn_draw.shape[1]
    churn_event = churn_draw & decided
    first_churn = np.where(churn_event.any(axis=1), churn_event.argmax(axis=1), K)
    first_open = np.where(~decided.any(axis=1), 0, np.where(decided.all(axis=1), K, (~decided).argmax(axis=1)))
    last_term = np.minimum(first_churn, first_open)
    if (last_term >= K).any():  # pragma: no cover - only with a window longer than MAX_TERMS years
        raise ValueError("signup window too long for MAX_TERMS annual terms")
    return last_term, first_churn < first_open


def _contract_rows(account_ids: pd.Series, starts: np.ndarray, seats: np.ndarray, quota: np.ndarray,
                   price: np.ndarray, last_term: np.ndarray, churned: np.ndarray) -> pd.DataFrame:
    """The contracts table: one row per term up to each account's last term."""
    rows = np.repeat(np.arange(len(last_term)), last_term + 1)
    k_of_row = np.arange(rows.size) - np.repeat(np.cumsum(last_term + 1) - (last_term + 1), last_term + 1)
    outcome = np.where(k_of_row < last_term[rows], "renewed", np.where(churned[rows], "churned", "open"))
    return pd.DataFrame(
        {
            "account_id": pd.Categorical.from_codes(rows, categories=account_ids),
            "term_start": starts[rows, k_of_row].astype("datetime64[ns]"),
            "term_end": starts[rows, k_of_row + 1].astype("datetime64[ns]"),
            "seats": seats[rows, k_of_row],
            "quota": quota[rows, k_of_row],
            "arr": np.round(seats[rows, k_of_row] * price[rows], 0),
            "outcome": outcome.astype(object),
        }
    )
