"""A confounded onboarding scenario with a known causal effect of failing onboarding on churn.

Segment and size (seats) drive both onboarding failure and churn, so the raw
failed - succeeded churn difference is biased; failing onboarding adds
``failure_effect`` to the log-odds of churning at every annual renewal.
:func:`confounded_dataset` writes contract tables (accounts, contracts,
onboarding and an empty usage_monthly) of one population;
:func:`confounded_truth` simulates a large population of the same design with
failure forced on and then off (common random numbers) and returns the true
average effect on churn within each horizon. Used by the recovery tests of
:mod:`csresearch.analysis.causal`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..dataset import Dataset

__all__ = ["confounded_dataset", "confounded_truth"]

SEGMENTS = ("smb", "mid", "enterprise")
_SHARES = (0.5, 0.35, 0.15)
_LOG_SEATS = {"smb": (np.log(5), np.log(20)), "mid": (np.log(20), np.log(100)), "enterprise": (np.log(100), np.log(1000))}
_FAIL_LOGIT = {"smb": 0.2, "mid": -1.0, "enterprise": -2.0}  # + size term below
_CHURN_LOGIT = {"smb": -1.0, "mid": -2.0, "enterprise": -2.8}
_INDUSTRIES = ("retail", "software", "finance", "manufacturing", "health")
MAX_TERMS = 8
EXTRACTED_AT = pd.Timestamp("2025-06-30")


def _population(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Segment, log seats, employees, touch model and industry; the propensity of failing onboarding."""
    seg = rng.choice(np.array(SEGMENTS), size=n, p=_SHARES)
    lo = np.array([_LOG_SEATS[s][0] for s in seg])
    hi = np.array([_LOG_SEATS[s][1] for s in seg])
    log_seats = lo + (hi - lo) * rng.random(n)
    size = (log_seats - 3.5) / 1.5
    fail_logit = np.array([_FAIL_LOGIT[s] for s in seg]) - 0.8 * size
    touch = np.where(seg == "enterprise", "high", np.where(rng.random(n) < 0.3, "high", "low"))
    return pd.DataFrame({
        "segment": seg, "log_seats": log_seats, "size": size, "touch_model": touch,
        "industry": rng.choice(np.array(_INDUSTRIES), size=n),
        "employees": np.round(np.exp(log_seats) * rng.uniform(2, 6, n)).astype("int64"),
        "p_fail": 1 / (1 + np.exp(-fail_logit)),
    })


def _churn_probability(pop: pd.DataFrame, failed: np.ndarray, effect: float) -> np.ndarray:
    """Probability of churning at each renewal (same every year), given the onboarding outcome."""
    logit = np.array([_CHURN_LOGIT[s] for s in pop["segment"]]) - 0.6 * pop["size"].to_numpy() + effect * failed
    return 1 / (1 + np.exp(-logit))


def _first_churn(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Renewal number (1-based) of the first churn given uniforms ``u`` (n x MAX_TERMS); inf when none."""
    hit = u < p[:, None]
    return np.where(hit.any(axis=1), hit.argmax(axis=1) + 1.0, np.inf)


def confounded_truth(failure_effect: float, horizons: Sequence[int] = (1, 2, 3), n: int = 400_000,
                     seed: int = 12345) -> dict[int, float]:
    """True average effect on churn within ``h`` years of the landmark: all failed minus all succeeded.

    Every account of a large population is simulated twice with the same
    random numbers, once with failure forced on and once forced off. Churn
    happens at renewals (whole years after signup) and the landmark lies
    within the first year, so churn within ``h`` (whole) years of the landmark
    is churn at renewals ``1..h``.
    """
    rng = np.random.default_rng(seed)
    pop = _population(n, rng)
    u = rng.random((n, MAX_TERMS))
    first1 = _first_churn(_churn_probability(pop, np.ones(n), failure_effect), u)
    first0 = _first_churn(_churn_probability(pop, np.zeros(n), failure_effect), u)
    return {int(h): float(np.mean(first1 <= h) - np.mean(first0 <= h)) for h in horizons}


def _contracts(ids: np.ndarray, signup: pd.Series, first: np.ndarray, seats: np.ndarray) -> pd.DataFrame:
    rows = []
    for i, acc in enumerate(ids):
        for k in range(1, MAX_TERMS + 1):
            start, end = signup.iloc[i] + pd.DateOffset(years=k - 1), signup.iloc[i] + pd.DateOffset(years=k)
            outcome = "open" if end > EXTRACTED_AT else ("churned" if first[i] == k else "renewed")
            rows.append((acc, start, end, int(seats[i]), None, 100.0 * seats[i], outcome))
            if outcome != "renewed":
                break
    return pd.DataFrame(rows, columns=["account_id", "term_start", "term_end", "seats", "quota", "arr", "outcome"])


def confounded_dataset(n_accounts: int = 3000, failure_effect: float = 0.8, seed: int = 0) -> Dataset:
    """A dataset of the confounded scenario (signups over 5.5 years before 2025-06-30, annual terms).

    Onboarding has a 90-day target and a result: succeeded accounts complete
    20-85 days after signup, failed ones never complete (known the day after
    target + 30 grace days). About 10% of ``employees`` are missing.
    """
    rng = np.random.default_rng(seed)
    pop = _population(n_accounts, rng)
    failed = rng.random(n_accounts) < pop["p_fail"].to_numpy()
    first = _first_churn(_churn_probability(pop, failed, failure_effect), rng.random((n_accounts, MAX_TERMS)))
    ids = np.array([f"C{i:05d}" for i in range(n_accounts)])
    signup = pd.Series(EXTRACTED_AT - pd.to_timedelta(rng.integers(180, 2000, n_accounts), unit="D"))
    employees = pop["employees"].astype("Float64").where(rng.random(n_accounts) > 0.1)
    accounts = pd.DataFrame({"account_id": ids, "segment": pop["segment"], "signup_date": signup,
                             "touch_model": pop["touch_model"], "industry": pop["industry"], "employees": employees})
    completed = signup + pd.to_timedelta(rng.integers(20, 86, n_accounts), unit="D")
    onboarding = pd.DataFrame({
        "account_id": ids, "start_date": signup, "target_date": signup + pd.Timedelta(days=90),
        "completed_date": completed.where(~failed), "status": np.where(failed, "failed", "succeeded"),
        "setup_done_date": signup + pd.Timedelta(days=10), "admin_trained_date": pd.NaT, "first_value_date": pd.NaT})
    seats = np.round(np.exp(pop["log_seats"].to_numpy()))
    usage = pd.DataFrame(columns=["account_id", "month", "active_users", "events", "features_used", "quota_used"])
    return Dataset.from_tables({"accounts": accounts, "contracts": _contracts(ids, signup, first, seats),
                                "onboarding": onboarding, "usage_monthly": usage},
                               extracted_at=EXTRACTED_AT, name="confounded onboarding scenario")
