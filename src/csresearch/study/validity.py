"""Steps of notebooks 03-04: is the health score valid, and how do continuing accounts change with tenure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.results import Interval
from .onboarding import dear_features

__all__ = [
    "HealthTenure",
    "continuing_panel",
    "continuing_trends",
    "health_vs_tenure",
    "next_renewal_auc",
    "tenure_health_panel",
]


def tenure_health_panel(ds, scorecard: Any = None, grace_days: int = 30) -> pd.DataFrame:
    """Health at every signup anniversary while a customer, with the account's tenure cohort.

    Returns
    -------
    DataFrame
        One row per (account, anniversary): ``account_id``, ``tenure_year``,
        ``tenure_years``, features, health columns and ``tenure_cohort`` (the
        number of anniversaries the account reached as a customer: within one
        cohort the same accounts are seen at every tenure year).
    """
    from ..tables import points_anniversaries, snapshot_table

    panel = snapshot_table(ds, points_anniversaries(ds), scorecard=scorecard, grace_days=grace_days).reset_index()
    panel["tenure_cohort"] = panel.groupby("account_id")["tenure_year"].transform("max").astype("int64")
    return panel


@dataclass(frozen=True)
class HealthTenure:
    """Health score vs tenure: pooled Spearman (cluster bootstrap) and within tenure cohorts."""

    pooled: Interval
    within: Any  # CohortCorrelation

    @property
    def within_pooled(self) -> Interval:
        """The inverse-variance pooled within-cohort correlation."""
        return self.within.pooled


def health_vs_tenure(panel: pd.DataFrame, n_boot: int = 500, seed: int = 0) -> HealthTenure:
    """Spearman of health score with tenure, pooled (accounts resampled) and within tenure cohorts."""
    from ..analysis.association import spearman_with_bootstrap, within_cohort_spearman

    pooled = spearman_with_bootstrap(panel["tenure_years"], panel["health_score"], groups=panel["account_id"],
                                     n_boot=n_boot, seed=seed)
    within = within_cohort_spearman(panel.loc[panel["tenure_cohort"] >= 2], "tenure_cohort", "tenure_years", "health_score")
    return HealthTenure(pooled, within)


def next_renewal_auc(decisions: pd.DataFrame, score: str = "health_score", n_boot: int = 500, seed: int = 0) -> Interval:
    """AUC of ``score`` (higher = safer) for renewing at the next decision, accounts resampled."""
    from ..analysis.association import auc_with_interval

    frame = decisions.reset_index() if "account_id" not in decisions.columns else decisions
    renewed = 1 - frame["churned"].astype("int64")
    return auc_with_interval(renewed, frame[score], groups=frame["account_id"], n_boot=n_boot, seed=seed)


def continuing_panel(ds, scorecard: Any = None, step_months: int = 3, min_tenure_years: float = 0.5,
                     grace_days: int = 30) -> pd.DataFrame:
    """Features and health of never-churned accounts every ``step_months`` months of tenure.

    Points are the first day of every ``step_months``-th calendar month from
    ``min_tenure_years`` after signup to extracted_at, while the account is a
    customer. Accounts that churned at any time are left out.

    Returns
    -------
    DataFrame
        One row per point with ``account_id``, ``as_of``, ``tenure_years``,
        features and health columns.
    """
    from ..lifetimes import account_lifetimes
    from ..tables import snapshot_table

    life = account_lifetimes(ds, grace_days=grace_days)
    keep = life.loc[~life["churned"]]
    end = ds.extracted_at
    months = pd.date_range(keep["signup_date"].min().to_period("M").to_timestamp(), end, freq=f"{int(step_months)}MS")
    start = keep["signup_date"] + pd.to_timedelta(min_tenure_years * 365.25, unit="D")
    ids = np.repeat(keep.index.to_numpy(), len(months))
    as_of = np.tile(months.to_numpy(), len(keep))
    first = np.repeat(start.to_numpy(), len(months))
    pts = pd.DataFrame({"account_id": ids, "as_of": as_of}).loc[as_of >= first]
    return snapshot_table(ds, pts, scorecard=scorecard, grace_days=grace_days).reset_index()


def continuing_trends(panel: pd.DataFrame, features: Sequence[str] | None = None):
    """Slope per tenure year of the health columns and every DEAR feature, accounts as clusters (notebook 04)."""
    from ..analysis.trends import slopes_per_year

    feats = list(features) if features is not None else dear_features(panel, with_health=True)
    return slopes_per_year(panel, "tenure_years", feats, cluster_col="account_id")
