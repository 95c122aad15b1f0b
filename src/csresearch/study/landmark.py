"""Inputs of the adjusted onboarding analyses: characteristics known at signup, and the landmark frame.

Time zero of the adjusted churn analysis is the *landmark*: the day the
onboarding outcome became known, by the rule of
:mod:`csresearch.features.onboarding` (succeeded: completed_date, or the day
after target_date + grace_days without one; failed / extended: the day after
target_date + grace_days). An account that churned on or before its landmark
has no outcome to compare when it left, so it is excluded and counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..lifetimes import account_lifetimes, years_between

__all__ = ["CATEGORICAL_CONFOUNDERS", "NUMERIC_CONFOUNDERS", "landmark_frame", "onboarding_landmarks", "signup_confounders"]

CATEGORICAL_CONFOUNDERS = ("segment", "touch_model", "industry")
NUMERIC_CONFOUNDERS = ("log_seats", "log_employees")


def signup_confounders(ds) -> pd.DataFrame:
    """Per account: segment, touch_model, industry, log seats of the first term and log(1 + employees).

    Returns
    -------
    DataFrame
        Indexed by account_id; values the data lacks are missing (handled by
        :func:`csresearch.analysis.weighting.confounder_design`).
    """
    acc = ds.accounts.set_index("account_id")
    out = pd.DataFrame(index=acc.index)
    for col in CATEGORICAL_CONFOUNDERS:
        out[col] = acc[col].astype("object") if col in acc.columns else None
    first = ds.contracts.sort_values(["account_id", "term_start"]).groupby("account_id", observed=True).head(1)
    seats = pd.to_numeric(first.set_index("account_id")["seats"], errors="coerce").astype("float64")
    out["log_seats"] = np.log(seats.where(seats > 0)).reindex(out.index)
    emp = pd.to_numeric(acc["employees"], errors="coerce").astype("float64") if "employees" in acc.columns else np.nan
    out["log_employees"] = np.log1p(emp.where(emp >= 0)) if isinstance(emp, pd.Series) else np.nan
    return out


def onboarding_landmarks(ds, grace_days: int = 30, life: pd.DataFrame | None = None) -> pd.Series:
    """The day each account's onboarding outcome became known (missing while unresolved or without a row).

    ``life`` is :func:`~csresearch.lifetimes.account_lifetimes` of ``ds`` when the caller already has it.
    """
    life = account_lifetimes(ds, grace_days=grace_days) if life is None else life
    ob = ds.onboarding.drop_duplicates("account_id").set_index("account_id").reindex(life.index)
    deadline_next = ob["target_date"] + pd.Timedelta(days=grace_days + 1)
    succeeded = life["onboarding_group"] == "succeeded"
    known = ob["completed_date"].where(succeeded & ob["completed_date"].notna(), deadline_next)
    return known.where(life["onboarding_group"].notna()).rename("landmark_date")


def landmark_frame(ds, grace_days: int = 30) -> pd.DataFrame:
    """Accounts with a known outcome, timed from their landmark, with their signup characteristics.

    Returns
    -------
    DataFrame
        Indexed by account_id: ``duration_years`` (landmark to churn or
        censoring), ``churned`` (0/1), ``failed`` (bool) and the confounders
        of :func:`signup_confounders`. ``attrs`` holds the counts
        ``n_with_outcome``, ``excluded_churned_before_outcome`` and
        ``excluded_censored_before_outcome``.
    """
    life = account_lifetimes(ds, grace_days=grace_days)
    landmark = onboarding_landmarks(ds, grace_days, life)
    known = life.loc[landmark.notna()].copy()
    known["landmark_date"] = landmark.loc[known.index]
    churned_before = known["churned"] & (known["end_date"] <= known["landmark_date"])
    censored_before = ~known["churned"] & (known["end_date"] < known["landmark_date"])
    kept = known.loc[~churned_before & ~censored_before]
    out = signup_confounders(ds).reindex(kept.index)
    out.insert(0, "duration_years", years_between(kept["landmark_date"], kept["end_date"]).clip(lower=0).to_numpy())
    out.insert(1, "churned", kept["churned"].astype("int64").to_numpy())
    out.insert(2, "failed", (kept["onboarding_group"] == "failed").to_numpy())
    out.attrs.update(n_with_outcome=int(len(known)), excluded_churned_before_outcome=int(churned_before.sum()),
                     excluded_censored_before_outcome=int(censored_before.sum()))
    return out
