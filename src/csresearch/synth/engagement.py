"""Synthetic customer touchpoints (engagement) and reported outcomes (roi).

Touchpoints are Poisson counts per account x month with rates that depend on
touch model and on the accounts' latent propensities (which enter the churn
model weakly, see contracts.py); each touchpoint gets a day within the part of
the month the account was a customer, never after extracted_at.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract import ENGAGEMENT_KINDS
from .scenario import Scenario

__all__ = ["draw_engagement", "draw_roi", "ROI_METRICS"]

#: Metric -> (median value, log-sd) of customer-reported outcomes.
ROI_METRICS = {"hours_saved_per_month": (20.0, 0.6), "contacts_digitised": (1500.0, 0.8)}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _rows(kind: str, counts: np.ndarray, panel: pd.DataFrame, rng: np.random.Generator, value=None) -> pd.DataFrame:
    """One row per counted touchpoint, dated uniformly within the active days of its month."""
    idx = np.repeat(np.arange(len(panel)), counts)
    first = panel["first_day"].to_numpy().astype("datetime64[D]")[idx]
    span = (panel["last_day"].to_numpy().astype("datetime64[D]")[idx] - first).astype(int) + 1
    date = first + np.floor(rng.random(idx.size) * span).astype(int).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "acc": panel["acc"].to_numpy()[idx],
            "date": date,
            "kind": np.int8(ENGAGEMENT_KINDS.index(kind)),
            "value": np.nan if value is None else value[idx],
        }
    )


def draw_engagement(
    accounts: pd.DataFrame, latent: pd.DataFrame, panel: pd.DataFrame, sc: Scenario, rng: np.random.Generator
) -> pd.DataFrame:
    """Draw the engagement table.

    Rates per account-month: email_sent ~ Poisson(email_rate); email_opened ~
    Binomial(sent, sigmoid(-0.4 + 0.4 satisfaction + 0.2 H)); webinar and
    user_group ~ Poisson(rate x exp(0.4 H)); exec_meeting and qbr ~
    Poisson(rate[touch model] x exp(0.5 / 0.3 x exec propensity));
    support_ticket ~ Poisson(support_rate x (seats / 20)^0.3 x exp(0.5 support
    propensity - 0.2 H)); nps with probability nps_rate, value
    round(7 + 1.5 satisfaction + 0.3 H + N(0, 1.2)) clipped to 0..10.

    Parameters
    ----------
    accounts, latent : DataFrame
        From :func:`~csresearch.synth.accounts.draw_accounts`.
    panel : DataFrame
        From :func:`~csresearch.synth.usage.draw_usage`.
    sc : Scenario
        Planted parameters.
    rng : numpy Generator
        Random stream of this step.

    Returns
    -------
    DataFrame
        Contract columns of the engagement table.
    """
    acc = panel["acc"].to_numpy()
    m = acc.size
    health = panel["health"].to_numpy()
    sat = latent["satisfaction"].to_numpy()[acc]
    exec_p = latent["exec_propensity"].to_numpy()[acc]
    support_p = latent["support_propensity"].to_numpy()[acc]
    touch = latent["touch_model"].to_numpy()[acc]
    sent = rng.poisson(sc.email_rate, m)
    opened = rng.binomial(sent, _sigmoid(-0.4 + 0.4 * sat + 0.2 * health))
    exec_rate = pd.Series(touch).map(sc.exec_rate).fillna(0.0).to_numpy(dtype=float)
    qbr_rate = pd.Series(touch).map(sc.qbr_rate).fillna(0.0).to_numpy(dtype=float)
    support_lam = sc.support_rate * (panel["seats"].to_numpy() / 20.0) ** 0.3 * np.exp(0.5 * support_p - 0.2 * health)
    nps_value = np.clip(np.round(7.0 + 1.5 * sat + 0.3 * health + rng.normal(0.0, 1.2, m)), 0, 10)
    parts = [
        _rows("email_sent", sent, panel, rng),
        _rows("email_opened", opened, panel, rng),
        _rows("webinar", rng.poisson(sc.webinar_rate * np.exp(0.4 * health)), panel, rng),
        _rows("user_group", rng.poisson(sc.user_group_rate * np.exp(0.4 * health)), panel, rng),
        _rows("exec_meeting", rng.poisson(exec_rate * np.exp(0.5 * exec_p)), panel, rng),
        _rows("qbr", rng.poisson(qbr_rate * np.exp(0.3 * exec_p)), panel, rng),
        _rows("support_ticket", rng.poisson(support_lam), panel, rng),
        _rows("nps", (rng.random(m) < sc.nps_rate).astype(int), panel, rng, value=nps_value),
    ]
    out = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(
        {
            "account_id": pd.Categorical.from_codes(out["acc"].to_numpy(), categories=accounts["account_id"]),
            "date": out["date"].to_numpy().astype("datetime64[ns]"),
            "kind": pd.Categorical.from_codes(out["kind"].to_numpy(), categories=ENGAGEMENT_KINDS),
            "value": out["value"].to_numpy(dtype=float),
        }
    )


def draw_roi(
    accounts: pd.DataFrame,
    latent: pd.DataFrame,
    onboarding: pd.DataFrame,
    terms: dict,
    sc: Scenario,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Draw the roi table: a minority of accounts (more of the healthy) report 1-2 outcomes.

    An account with a first_value_date reports with probability
    roi_share x 2 x sigmoid(a_i); each report is dated 30-400 days after first
    value, kept only when on or before extracted_at and the account's last day.

    Returns
    -------
    DataFrame
        Contract columns of the roi table.
    """
    n = len(accounts)
    first_value = onboarding["first_value_date"].to_numpy().astype("datetime64[D]")
    has_value = ~np.isnat(first_value)
    reports = has_value & (rng.random(n) < np.clip(sc.roi_share * 2 * _sigmoid(latent["health"].to_numpy()), 0, 1))
    n_rows = np.where(reports, rng.integers(1, 3, n), 0)
    idx = np.repeat(np.arange(n), n_rows)
    metric_names = np.array(list(ROI_METRICS), dtype=object)
    metric = metric_names[rng.integers(0, len(metric_names), idx.size)]
    median = np.array([ROI_METRICS[x][0] for x in metric])
    sd = np.array([ROI_METRICS[x][1] for x in metric])
    seats = latent["seats0"].to_numpy()[idx]
    value = np.round(median * np.sqrt(seats / 10.0) * np.exp(rng.normal(0.0, 1.0, idx.size) * sd), 1)
    date = first_value[idx] + rng.integers(30, 401, idx.size).astype("timedelta64[D]")
    last_day = np.where(terms["churned"], terms["end"] - 1, np.datetime64(sc.extracted_at, "D"))
    keep = date <= last_day[idx]
    return pd.DataFrame(
        {
            "account_id": pd.Categorical.from_codes(idx[keep], categories=accounts["account_id"]),
            "date": date[keep].astype("datetime64[ns]"),
            "metric": metric[keep],
            "value": value[keep],
        }
    ).drop_duplicates(["account_id", "date", "metric"], ignore_index=True)
