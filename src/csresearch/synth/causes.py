"""Why synthetic accounts churn, and which decisions show a late usage decline.

A renewal decision ends in churn when at least one cause fires:

* **drivers**: a logistic model of the account's leading drivers (quota
  consumption, latent health, satisfaction, ...; contracts.py), the part of
  churn a model can learn from the data a year ahead;
* **unobserved causes**, each with a fixed probability per decision and
  independent of everything in the data: the champion leaves, the budget is
  cut, the customer is acquired. No feature can see them.

The **late symptom** is a decline of usage over the last months of a term. It
is shown by a share of the driver-caused churners (``decline_share``) and, as
a false alarm, by a share of all other terms (``dip_rate``: a seasonal
slowdown or reorganisation after which the account renews, or churns for an
unobserved cause). It is a consequence of the decision to leave, not a cause,
and it is visible only close to the decision.
"""

from __future__ import annotations

import numpy as np

from .scenario import Scenario

__all__ = ["DRIVERS", "cause_names", "draw_causes", "draw_symptoms"]

#: Name of the cause "the leading drivers" (code 1; 0 = no churn at that decision).
DRIVERS = "drivers"


def cause_names(sc: Scenario) -> list[str]:
    """Cause names by code minus one: ``drivers`` then the unobserved causes in scenario order."""
    return [DRIVERS, *sc.unobserved_churn]


def draw_causes(driver_prob: np.ndarray, sc: Scenario, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw which causes fire at every potential decision.

    Parameters
    ----------
    driver_prob : ndarray, shape (n, K)
        Churn probability from the leading drivers at each potential decision.
    sc : Scenario
        Planted parameters (``unobserved_churn``).
    rng : numpy Generator
        Random stream of the contracts step.

    Returns
    -------
    dict
        ``churn_draw`` (bool, churn if the decision is made), ``cause`` (int:
        0 none, else 1 + index in :func:`cause_names`; when several fire the
        drivers win, then the scenario order) and ``churn_prob`` (total
        probability 1 - (1 - p_drivers) x prod(1 - p_cause)), all (n, K).
    """
    fired = [rng.random(driver_prob.shape) < driver_prob]
    total_keep = 1.0 - driver_prob
    for p in sc.unobserved_churn.values():
        fired.append(rng.random(driver_prob.shape) < p)
        total_keep = total_keep * (1.0 - p)
    stack = np.stack(fired)
    any_fired = stack.any(axis=0)
    cause = np.where(any_fired, stack.argmax(axis=0) + 1, 0)
    return {"churn_draw": any_fired, "cause": cause, "churn_prob": 1.0 - total_keep}


def draw_symptoms(cause: np.ndarray, last_term: np.ndarray, churned: np.ndarray, sc: Scenario,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Which terms end with a usage decline, and over how many months.

    Parameters
    ----------
    cause : ndarray, shape (n, K)
        From :func:`draw_causes`.
    last_term, churned : ndarray, shape (n,)
        Each account's last term and whether it ended in churn.
    sc : Scenario
        ``decline_share``, ``dip_rate``, ``decline_months``.
    rng : numpy Generator

    Returns
    -------
    decline : ndarray of bool, shape (n, K)
        The term's usage declines over its last months.
    months : ndarray of int, shape (n, K)
        Length of the decline (drawn from ``decline_months``).
    """
    n, K = cause.shape
    lo, hi = sc.decline_months
    months = rng.integers(lo, hi + 1, (n, K))
    u = rng.random((n, K))
    churn_term = np.zeros((n, K), dtype=bool)
    churn_term[np.arange(n), last_term] = churned
    by_drivers = churn_term & (cause == 1)
    decline = np.where(by_drivers, u < sc.decline_share, u < sc.dip_rate)
    return decline, months
