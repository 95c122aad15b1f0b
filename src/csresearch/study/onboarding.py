"""Steps of notebooks 00-02: data audit, onboarding vs churn, onboarding vs health."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..contract import DEAR_AXIS, HEALTH_COLUMNS

__all__ = [
    "churn_by_renewal_number",
    "dear_features",
    "onboarding_churn",
    "onboarding_health_snapshot",
    "onboarding_vs_health",
    "renewal_decisions",
]


def dear_features(frame: pd.DataFrame, with_health: bool = False) -> list[str]:
    """Canonical DEAR features that ``frame`` has with at least one value (plus health columns when asked)."""
    names = [f for f in DEAR_AXIS if f in frame.columns and frame[f].notna().any()]
    if with_health:
        names = [c for c in HEALTH_COLUMNS if c in frame.columns and frame[c].notna().any()] + names
    return names


def onboarding_churn(ds, horizon_years: float = 3.0, grace_days: int = 30):
    """Kaplan-Meier churn within ``horizon_years`` of signup by onboarding outcome (notebook 01).

    Accounts still in onboarding have no outcome and are left out (noted on
    the result); ``extended`` counts as failed, as in
    :func:`csresearch.lifetimes.account_lifetimes`.

    Returns
    -------
    OnboardingChurnResult
    """
    from ..analysis.survival import onboarding_vs_churn
    from ..lifetimes import account_lifetimes

    life = account_lifetimes(ds, grace_days=grace_days)
    if "onboarding_group" not in life:
        from ..errors import InputError

        raise InputError("the dataset has no onboarding table; onboarding analyses need onboarding.csv")
    return onboarding_vs_churn(life, horizon_years=horizon_years, group_col="onboarding_group")


def renewal_decisions(ds, grace_days: int = 30) -> pd.DataFrame:
    """One row per decided renewal: ``renewal_number`` (1 = first decision), ``churned``, onboarding group, segment.

    Returns
    -------
    DataFrame
        Columns ``renewal_number``, ``churned`` (0/1), ``onboarding_group``,
        ``segment``; no account ids (aggregate-only use).
    """
    from ..lifetimes import account_lifetimes, decided_terms

    c = decided_terms(ds)
    life = account_lifetimes(ds, grace_days=grace_days)
    group = life["onboarding_group"] if "onboarding_group" in life else pd.Series(pd.NA, index=life.index)
    return pd.DataFrame({
        "renewal_number": c["renewal_number"].to_numpy(),
        "churned": c["churned"].to_numpy(),
        "onboarding_group": group.reindex(c["account_id"]).to_numpy(),
        "segment": life["segment"].reindex(c["account_id"]).astype("str").to_numpy(),
    })


def churn_by_renewal_number(ds, grace_days: int = 30) -> pd.DataFrame:
    """Churn per renewal decision by onboarding group and renewal number (Wilson / Newcombe intervals)."""
    from ..analysis.survival import churn_by_renewal

    return churn_by_renewal(renewal_decisions(ds, grace_days), group_col="onboarding_group")


def onboarding_health_snapshot(ds, months_after: int = 12, scorecard: Any = None, grace_days: int = 30) -> pd.DataFrame:
    """Features and health ``months_after`` months after each onboarding target date, customers then only.

    Returns
    -------
    DataFrame
        :func:`csresearch.tables.snapshot_table` of
        :func:`csresearch.tables.points_after_onboarding`.
    """
    from ..tables import points_after_onboarding, snapshot_table

    return snapshot_table(ds, points_after_onboarding(ds, months_after), scorecard=scorecard, grace_days=grace_days)


def onboarding_vs_health(snapshot: pd.DataFrame, months_after: int = 12, unhealthy_threshold: float = 40.0,
                         features: Sequence[str] | None = None):
    """Failed vs succeeded onboarding on a snapshot: unhealthy share, raw and mix-adjusted differences (notebook 02).

    The group is the as-of-safe ``onboarding_succeeded`` feature (1 =
    succeeded); adjustment is for segment and touch_model.

    Returns
    -------
    GroupComparison
    """
    from ..analysis.comparison import compare_groups

    feats = list(features) if features is not None else dear_features(snapshot, with_health=True)
    return compare_groups(snapshot, "onboarding_succeeded", feats, adjust_for=("segment", "touch_model"),
                          unhealthy=("health_score", float(unhealthy_threshold)), succeeded_value=1,
                          months_after=int(months_after))
