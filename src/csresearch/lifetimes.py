"""Per-account lifetimes for survival analysis of churn.

One row per account: when it signed up, whether and when it churned, and when
observation stopped for the accounts that did not (censoring). Durations are in
years since signup measured on the calendar, so that a decision on the k-th
anniversary of signup lands exactly on k years, whatever the leap days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .features.onboarding import onboarding_status

__all__ = ["DECIDED_OUTCOMES", "account_lifetimes", "decided_terms", "years_between"]

#: Term outcomes that are a renewal decision (``open`` is not decided yet).
DECIDED_OUTCOMES = ("renewed", "churned")


def years_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """Calendar years from ``start`` to ``end``: whole anniversaries plus the rest in days / 365.25.

    Parameters
    ----------
    start, end : Series of datetime64
        Aligned dates; ``end >= start``.

    Returns
    -------
    Series of float
        Exactly ``k`` when ``end`` is the k-th anniversary of ``start``.
    """
    start = pd.to_datetime(start)
    end = pd.to_datetime(end)
    whole = (end.dt.year - start.dt.year).astype("float64")
    # 29 February anniversaries fall on 28 February, as DateOffset does
    anniv = _add_years(start, whole)
    late = anniv > end
    whole = whole.where(~late, whole - 1)
    anniv = _add_years(start, whole)
    rest = (end - anniv).dt.days / 365.25
    return whole + rest


def _add_years(dates: pd.Series, years: pd.Series) -> pd.Series:
    y = (dates.dt.year + years).astype("int64")
    m = dates.dt.month.astype("int64")
    d = dates.dt.day.astype("int64")
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    d = d.where(~((m == 2) & (d == 29) & ~leap), 28)
    return pd.to_datetime(pd.DataFrame({"year": y, "month": m, "day": d}), errors="coerce")


def account_lifetimes(dataset, *, grace_days: int = 30) -> pd.DataFrame:
    """One row per account with its churn time or censoring time.

    Parameters
    ----------
    dataset : Dataset
        Needs accounts and contracts; onboarding for the onboarding outcome.
    grace_days : int, default 30
        Passed to the onboarding-status rule for rows without a given status.

    Returns
    -------
    DataFrame
        Indexed by account_id with columns ``segment``, ``touch_model``,
        ``signup_date``, ``end_date`` (churn decision day, or the day
        observation stops: ``extracted_at`` while a term is open, else the
        last term_end), ``churned`` (bool), ``duration_years`` (calendar years
        from signup to end_date), ``onboarding_status`` (final outcome) and
        ``onboarding_group``: ``succeeded``, ``failed`` (failed or extended)
        or missing while onboarding is still in progress.

    Notes
    -----
    An account churns on the ``term_end`` of its churned term: the renewal
    decision day. Accounts whose last term is open are censored at
    ``extracted_at``; an account whose last term was renewed but has no
    following term in the data is censored at that term_end.
    """
    accounts = dataset.accounts.set_index("account_id")
    contracts = dataset.contracts.sort_values(["account_id", "term_end"])
    last = contracts.groupby("account_id", observed=True).tail(1).set_index("account_id")
    last = last.reindex(accounts.index)
    churned = (last["outcome"].astype("str") == "churned").to_numpy()
    extracted = dataset.extracted_at
    open_term = (last["outcome"].astype("str") == "open").to_numpy()
    end = np.where(open_term, np.datetime64(extracted, "ns"), last["term_end"].to_numpy())
    out = pd.DataFrame(
        {
            "segment": accounts["segment"],
            "touch_model": accounts["touch_model"] if "touch_model" in accounts else pd.NA,
            "signup_date": accounts["signup_date"],
            "end_date": pd.to_datetime(end),
        },
        index=accounts.index,
    )
    out["end_date"] = out["end_date"].where(out["end_date"] <= extracted, extracted)
    out["churned"] = churned
    out["duration_years"] = years_between(out["signup_date"], out["end_date"]).clip(lower=0)
    if dataset.onboarding is not None:
        status = onboarding_status(dataset, grace_days=grace_days).reindex(accounts.index)
        out["onboarding_status"] = status
        group = status.astype("object").map({"succeeded": "succeeded", "failed": "failed", "extended": "failed"})
        out["onboarding_group"] = pd.Categorical(group, categories=["succeeded", "failed"])
    return out


def decided_terms(dataset) -> pd.DataFrame:
    """The contract terms whose renewal was decided (outcome renewed or churned), in account and term order.

    Returns
    -------
    DataFrame
        The contracts rows plus ``renewal_number`` (1 = the account's first
        renewal decision) and ``churned`` (0/1); open terms are left out.
        The index is the contracts table's, so ``sort_index()`` gives back
        the table's own row order.
    """
    c = dataset.contracts.sort_values(["account_id", "term_start"]).copy()
    c["renewal_number"] = c.groupby("account_id", observed=True).cumcount() + 1
    outcome = c["outcome"].astype("str")
    c = c.loc[outcome.isin(DECIDED_OUTCOMES)]
    c["churned"] = (outcome.loc[c.index] == "churned").astype("int64")
    return c

