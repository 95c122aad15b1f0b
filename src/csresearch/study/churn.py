"""Steps of notebooks 05-06: churned accounts before their decision, churn factors and KPIs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import plots
from ..analysis.churn_model import churn_factors
from ..analysis.kpi import kpi_tree_plot
from ..jsonsafe import json_safe
from ..analysis.trajectories import aligned_trajectories, first_separation, matched_sample
from ..contract import HEALTH_COLUMNS
from ..lifetimes import decided_terms
from ..narrative import churn_factors_story, churned_accounts_story, kpi_story
from ..tables import points_before_decisions, snapshot_table
from .onboarding import dear_features
from .protocol import Shown, Step, StepResult, StudyContext
from .lead_time import factor_result, kpi_targets
from .suppression import suppress_groups

__all__ = [
    "ChurnFactorsStep",
    "ChurnedAccountsStep",
    "DecisionTrajectories",
    "KpiStep",
    "churn_factor_analysis",
    "compute_churn_factors",
    "compute_churned_accounts",
    "compute_kpis",
    "decision_trajectories",
    "trajectories_findings",
]


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
    frame = decisions.reset_index() if "account_id" not in decisions.columns else decisions
    # ChurnFactorModel.fit runs single-threaded itself (threadpoolctl)
    return churn_factors(frame, factors=factors, random_state=seed, n_boot=n_boot, n_repeats=n_repeats)


# --------------------------------------------------------------------------- step views

@dataclass
class ChurnedAccountsStep(StepResult):
    """Which component separates churned from renewed accounts first (notebook 05).

    Attributes
    ----------
    step : Step
    ctx : StudyContext
    result : DecisionTrajectories
    """

    step: Step
    ctx: StudyContext
    result: DecisionTrajectories

    def to_findings(self) -> dict[str, Any]:
        """Matching counts and, per feature, when and how far the groups part."""
        return self.ctx.cached("churned_accounts_findings",
                               lambda: trajectories_findings(self.result, self.ctx.param("lead_days", 90)))

    def story(self) -> str:
        """The first component to separate and what is visible at the churn model's lead time."""
        return churned_accounts_story(self.result.separation, self.ctx.param("lead_days", 90))

    def matching(self) -> Shown:
        """Churned decisions and renewed controls per segment and tenure year, small groups suppressed."""
        pairs = self.to_findings()["n_matched_pairs"]
        table = suppress_groups(self.result.matched.summary.reset_index(), ["n_treated", "n_control"],
                                self.ctx.min_group_size, self.ctx.include_ids, rate_cols=["matched_treated"])
        return Shown(f"{self.result.n_churned} churned decisions; {pairs} matched to a renewed one.", table)

    def separation(self) -> pd.DataFrame:
        """When each component separates (first month from which the gap stays significant, BH-adjusted)."""
        return self.result.separation.summary.sort_values("first_month")

    def trajectories_plot(self):
        """Mean trajectories of the health components, churned (1) vs renewed (0), with 95% bands."""
        shown = [f for f in ("health_score", "health_deployment", "health_adoption", "health_engagement",
                             self.result.separation.first_feature) if f in self.result.features]
        shown = list(dict.fromkeys(shown))
        fig, axes = plt.subplots(1, len(shown), figsize=(4 * len(shown), 3.5), squeeze=False)
        for feature, ax in zip(shown, axes[0]):
            plots.trajectory_plot(self.result.trajectories, feature, ax=ax).set_title(feature)
        fig.tight_layout()
        return axes[0]


def compute_churned_accounts(step: Step, ctx: StudyContext) -> ChurnedAccountsStep:
    """Matched trajectories of churned and renewed accounts before their decision."""
    result = decision_trajectories(ctx.ds, ctx.param("lead_days", 90), ctx.param("scorecard"), ctx.param("seed", 0))
    return ChurnedAccountsStep(step, ctx, result)


@dataclass
class ChurnFactorsStep(StepResult):
    """What predicts churn: ranking, odds ratios and the cross-validated AUC (notebook 06).

    Attributes
    ----------
    step : Step
    ctx : StudyContext
    result : FactorResult
    """

    step: Step
    ctx: StudyContext
    result: Any

    def to_findings(self) -> dict[str, Any]:
        """Ranking, odds ratios, CV AUC and the model comparison."""
        return self.result.to_findings()

    def story(self) -> str:
        """The strongest factors with their odds ratios and the model's AUC."""
        return churn_factors_story(self.result)

    def ranking(self) -> Any:
        """Ranking (with rank intervals), odds ratios and q-values."""
        return self.result

    def table(self) -> Any:
        """Shown under the answer: the ranking with rank intervals, odds ratios and q-values."""
        return self.result

    def calibration_plot(self, ax=None):
        """Reliability plot of the out-of-fold churn predictions (Brier score and calibration slope in the title)."""
        return self.result.calibration_plot(ax=ax)

    def plot(self):
        """Permutation importance (left) and the stable odds ratios with 95% intervals (right); returns the Axes."""
        fig, (left, right) = plt.subplots(1, 2, figsize=(13, 0.9 + 0.32 * len(self.result.ranking)))
        self.result.importance_plot(ax=left)
        self.result.odds_ratio_plot(ax=right)
        fig.tight_layout()
        return left, right


def compute_churn_factors(step: Step, ctx: StudyContext) -> ChurnFactorsStep:
    """The churn-factor model on the decision table at ``lead_days``."""
    return ChurnFactorsStep(step, ctx, factor_result(ctx))


@dataclass
class KpiStep(StepResult):
    """KPI targets: leading DEAR features, the risk level they guard and who is on the wrong side now (notebook 06).

    Attributes
    ----------
    step : Step
    ctx : StudyContext
    result : FactorResult
        The churn-factor analysis at ``lead_days`` (overall churn rate).
    kpis : list of KpiThreshold
    """

    step: Step
    ctx: StudyContext
    result: Any
    kpis: list

    def to_findings(self) -> list[dict[str, Any]]:
        """One object per KPI: feature, direction, target with interval, rates either side, accounts below now."""
        return json_safe([k.to_dict() for k in self.kpis])

    def story(self) -> str:
        """One sentence per KPI."""
        return kpi_story(self.kpis)

    def curves_plot(self):
        """Dose-response curve of churn risk for each KPI, with its band and the target marked; returns the Axes."""
        n = max(len(self.kpis), 1)
        fig, axes = plt.subplots(1, n, figsize=(4.5 * n, 3.5), squeeze=False)
        for k, ax in zip(self.kpis, axes[0]):
            k.curve_plot(ax=ax)
        fig.tight_layout()
        return axes[0]

    def tree_plot(self, ax=None):
        """The KPI tree from the overall churn rate to the KPI targets; returns the Axes."""
        return kpi_tree_plot(self.result.churn_rate, self.kpis, ax=ax)


def compute_kpis(step: Step, ctx: StudyContext) -> KpiStep:
    """KPI targets for the leading DEAR features (shares the churn-factor and lead-time fits of the context)."""
    return KpiStep(step, ctx, factor_result(ctx), kpi_targets(ctx))
