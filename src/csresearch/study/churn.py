"""Steps of notebooks 05-06: churned accounts before their decision, churn factors and KPIs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..contract import HEALTH_COLUMNS
from ..lifetimes import decided_terms
from .onboarding import dear_features

__all__ = ["DecisionTrajectories", "churn_factor_analysis", "decision_trajectories", "trajectories_findings"]


@dataclass(frozen=True)
class DecisionTrajectories:
    """Churned vs renewed accounts aligned on their renewal decision.

    Attributes
    ----------
    matched : MatchedSample
        The matching (per-stratum counts in ``summary``; rows hold ids: do not display ``sample``).
    trajectories : TrajectoryResult
        Mean per feature, group (1 = churned, 0 = renewed) and month.
    separation : Separation
        Which feature separates first and by how much.
    features : list of str
    n_churned : int
        Churned decisions before matching.
    """

    matched: Any
    trajectories: Any
    separation: Any
    features: list[str]
    n_churned: int


def _decisions(ds) -> pd.DataFrame:
    c = decided_terms(ds).sort_index()  # the contracts table's own order: the matching draws depend on it
    acc = ds.accounts.drop_duplicates("account_id").set_index("account_id")
    signup = acc["signup_date"].reindex(c["account_id"]).to_numpy()
    tenure = (c["term_end"].to_numpy() - signup) / np.timedelta64(1, "D") / 365.25
    return pd.DataFrame({
        "account_id": c["account_id"].to_numpy(), "term_end": c["term_end"].to_numpy(),
        "churned": c["churned"].to_numpy(),
        "segment": acc["segment"].reindex(c["account_id"]).astype("str").to_numpy(),
        "tenure_band": np.floor(tenure).astype("int64"),
    })


def decision_trajectories(ds, lead_days: int = 90, scorecard: Any = None, seed: int = 0,
                          months: Sequence[int] = tuple(range(-12, 0)), grace_days: int = 30) -> DecisionTrajectories:
    """Trajectories of the health components and DEAR features before each renewal decision (notebook 05).

    Churned decisions are matched 1:1 to renewed ones of the same segment and
    whole tenure year at the decision; each point ``m`` months before the
    decision uses only data known then (as-of-safe features). ``lead_days``
    is not a filter: the narrative reports what is already visible then.

    Returns
    -------
    DecisionTrajectories
    """
    from ..analysis.trajectories import aligned_trajectories, first_separation, matched_sample
    from ..tables import points_before_decisions, snapshot_table

    decisions = _decisions(ds)
    matched = matched_sample(decisions, "churned", match_on=("segment", "tenure_band"), seed=seed)
    keys = matched.sample[["account_id", "term_end"]].drop_duplicates()
    points = points_before_decisions(ds, months).merge(keys, on=["account_id", "term_end"], how="inner")
    panel = snapshot_table(ds, points, scorecard=scorecard, grace_days=grace_days).reset_index()
    feats = [c for c in HEALTH_COLUMNS if c in panel and panel[c].notna().any()] + dear_features(panel)
    traj = aligned_trajectories(panel, "relative_month", "churned", feats, months=tuple(months), groups=(1, 0))
    return DecisionTrajectories(matched, traj, first_separation(traj), feats, int(decisions["churned"].sum()))


def trajectories_findings(result: DecisionTrajectories, lead_days: int = 90) -> dict[str, Any]:
    """The ``churned_accounts`` findings section: matching counts and, per feature, when and how far the groups part."""
    sep = result.separation
    per_feature = {}
    for feat, row in sep.summary.iterrows():
        per_feature[str(feat)] = {
            "first_month": None if pd.isna(row["first_month"]) else int(row["first_month"]),
            "gap_at_first": sep.gap[feat].to_dict(),
            "gap_at_last_month": None if pd.isna(row["gap_at_decision"]) else float(row["gap_at_decision"]),
        }
    matched = int(result.matched.summary["matched_treated"].sum()) if len(result.matched.summary) else 0
    return {
        "lead_days": int(lead_days),
        "n_churned_decisions": result.n_churned,
        "n_matched_pairs": matched,
        "first_feature": sep.first_feature,
        "first_month": per_feature[sep.first_feature]["first_month"] if sep.first_feature else None,
        "separation": per_feature,
        "method": f"{result.matched.method}; {result.trajectories.method}; {sep.method}",
    }


def churn_factor_analysis(decisions: pd.DataFrame, seed: int = 0, n_boot: int = 200, n_repeats: int = 3,
                          factors: Sequence[str] | None = None):
    """Churn factors on a decision table: odds ratios, grouped CV AUC, permutation ranking, KPIs (notebook 06).

    Factors default to the raw canonical features plus segment and
    touch_model (not the health scores, which are built from them).

    Returns
    -------
    FactorResult
    """
    from threadpoolctl import threadpool_limits

    from ..analysis.churn_model import churn_factors

    frame = decisions.reset_index() if "account_id" not in decisions.columns else decisions
    # one OpenMP thread: gradient boosting's many small predictions are much slower with thread hand-offs,
    # and the runner already runs notebooks in parallel
    with threadpool_limits(limits=1):
        return churn_factors(frame, factors=factors, random_state=seed, n_boot=n_boot, n_repeats=n_repeats)
