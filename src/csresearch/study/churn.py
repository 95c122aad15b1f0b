"""Steps of notebooks 05-06: churned accounts before their decision, churn factors and KPIs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import plots
from ..analysis.churn_model import churn_factors
from ..analysis.event_study import paired_event_study
from ..analysis.kpi import kpi_tree_plot
from ..analysis.trajectories import aligned_trajectories, matched_sample
from ..contract import HEALTH_COLUMNS
from ..display import display_name, unit_of
from ..features import onboarding_status
from ..i18n import label as tl
from ..i18n import t
from ..jsonsafe import json_safe
from ..lifetimes import decided_terms
from ..narrative import (
    churn_factors_story,
    churned_accounts_story,
    describe_interval,
    kpi_story,
)
from ..tables import points_before_decisions, snapshot_table
from .lead_time import factor_result, kpi_targets
from .onboarding import dear_features
from .protocol import Shown, Step, StepResult, StudyContext
from .suppression import suppress_groups
from .view import INDEX, Table, show_table, term_name

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


RAMP_UP_DAYS = 90
"""Margin after onboarding resolved before a month enters the event study (ramp-up still under way)."""


@dataclass(frozen=True)
class DecisionTrajectories:
    """Churned vs renewed accounts aligned on their renewal decision.

    Attributes
    ----------
    matched : MatchedSample
        The matching (per-stratum counts in ``summary``; rows hold ids: do not display ``sample``).
    trajectories : TrajectoryResult
        Mean per feature, group (1 = churned, 0 = renewed) and month.
    events : EventStudy
        Per feature, the month from which the paired gap stays significant, its kind and the ties.
    features : list of str
    n_churned : int
        Churned decisions before matching.
    ramp_up_days : int
        Margin after onboarding resolved; earlier months are left out.
    n_points_ramp_up : int
        Decision-months left out because onboarding had not resolved ``ramp_up_days`` before.
    """

    matched: Any
    trajectories: Any
    events: Any
    features: list[str]
    n_churned: int
    ramp_up_days: int = RAMP_UP_DAYS
    n_points_ramp_up: int = 0


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
        "decision_year": pd.DatetimeIndex(c["term_end"]).year.to_numpy(),
    })


def _after_ramp_up(ds, points: pd.DataFrame, grace_days: int, ramp_up_days: int) -> np.ndarray:
    """True for points at which onboarding had resolved at least ``ramp_up_days`` earlier.

    The onboarding status is taken as known at ``as_of - ramp_up_days`` (as-of
    safe). Accounts without an onboarding row are kept (nothing says they ramp up).
    """
    if ds.onboarding is None or "account_id" not in ds.onboarding.columns:
        return np.ones(len(points), dtype=bool)
    earlier = pd.DataFrame({"account_id": points["account_id"].to_numpy(),
                            "as_of": points["as_of"].to_numpy() - np.timedelta64(ramp_up_days, "D")})
    status = onboarding_status(ds, grace_days=grace_days, as_of=earlier).to_numpy()
    resolved = pd.Series(status).isin(["succeeded", "failed", "extended"]).to_numpy()
    no_row = ~points["account_id"].isin(ds.onboarding["account_id"]).to_numpy()
    return resolved | no_row


def decision_trajectories(ds, lead_days: int = 90, scorecard: Any = None, seed: int = 0,
                          months: Sequence[int] = tuple(range(-12, 0)), grace_days: int = 30,
                          ramp_up_days: int = RAMP_UP_DAYS, n_boot: int = 400) -> DecisionTrajectories:
    """Event study of the health components and DEAR features before each renewal decision (notebook 05).

    Churned decisions are matched 1:1 to renewed ones of the same segment,
    whole tenure year and calendar year of the decision; each point ``m``
    months before the decision uses only data known then (as-of-safe
    features), and only once onboarding had resolved ``ramp_up_days`` earlier.
    ``lead_days`` is not a filter: the narrative reports what is already
    visible then.

    Returns
    -------
    DecisionTrajectories
    """
    decisions = _decisions(ds)
    matched = matched_sample(decisions, "churned", match_on=("segment", "tenure_band", "decision_year"), seed=seed)
    keys = matched.sample[["account_id", "term_end", "match_id"]]
    points = points_before_decisions(ds, months).merge(keys, on=["account_id", "term_end"], how="inner")
    ramped = _after_ramp_up(ds, points, grace_days, ramp_up_days)
    panel = snapshot_table(ds, points.loc[ramped], scorecard=scorecard, grace_days=grace_days).reset_index()
    feats = [c for c in HEALTH_COLUMNS if c in panel and panel[c].notna().any()] + dear_features(panel)
    traj = aligned_trajectories(panel, "relative_month", "churned", feats, months=tuple(months), groups=(1, 0))
    events = paired_event_study(panel, feats, months=months, n_boot=n_boot, seed=seed)
    return DecisionTrajectories(matched, traj, events, feats, int(decisions["churned"].sum()), int(ramp_up_days),
                                int((~ramped).sum()))


def _feature_findings(events, feat: str) -> dict[str, Any]:
    """One feature of the event study as findings."""
    return {
        "kind": events.kind(feat),
        "first_month": None if pd.isna(events.summary.loc[feat, "first_month"])
        else int(events.summary.loc[feat, "first_month"]),
        "first_month_interval": events.first_month[feat].to_dict(),
        "share_separating": float(events.summary.loc[feat, "share_separating"]),
        "gap_at_start": events.gap_at_start[feat].to_dict(),
        "gap_at_first": events.gap_at_first[feat].to_dict(),
        "gap_at_last_month": events.gap_at_last[feat].to_dict(),
    }


def trajectories_findings(result: DecisionTrajectories, lead_days: int = 90) -> dict[str, Any]:
    """The ``churned_accounts`` findings section: matching counts and, per feature, when and how the groups part."""
    events = result.events
    matched = int(result.matched.summary["matched_treated"].sum()) if len(result.matched.summary) else 0
    return {
        "lead_days": int(lead_days),
        "window_months": [int(events.months[0]), int(events.months[-1])],
        "ramp_up_days": result.ramp_up_days,
        "n_churned_decisions": result.n_churned,
        "n_matched_pairs": matched,
        "n_pairs_analysed": events.n_pairs,
        "n_points_ramp_up": result.n_points_ramp_up,
        "first_components": list(events.first_components),
        "separation": {str(feat): _feature_findings(events, feat) for feat in events.summary.index},
        "method": (f"{result.matched.method}; months before onboarding resolved + {result.ramp_up_days} days left "
                   f"out; {events.method}"),
        "notes": [*result.matched.notes, *events.notes],
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
    """Which component moves first before an account churns (notebook 05).

    Attributes
    ----------
    result : DecisionTrajectories
    """

    result: DecisionTrajectories

    def to_findings(self) -> dict[str, Any]:
        """Matching counts and, per feature, when and how the groups part."""
        return self.ctx.cached("churned_accounts_findings",
                               lambda: trajectories_findings(self.result, self.ctx.param("lead_days", 90)))

    def story(self) -> str:
        """The first components to separate (ties together), baseline differences and the lead-time view."""
        return churned_accounts_story(self.result.events, self.ctx.param("lead_days", 90))

    def matching(self) -> Shown:
        """Churned decisions and renewed controls per segment, tenure year and decision year, small groups suppressed."""
        pairs = self.to_findings()["n_matched_pairs"]
        summary = self.result.matched.summary.reset_index()
        parts = summary["match_stratum"].astype(str).str.split("|", expand=True).reindex(columns=range(3))
        summary = summary.assign(segment=parts[0], tenure=parts[1], year=parts[2])
        table = suppress_groups(summary, ["n_treated", "n_control"], self.ctx.min_group_size, self.ctx.include_ids,
                                rate_cols=["matched_treated"])
        return Shown(f"{self.result.n_churned:,} churned decisions; {pairs:,} matched to a renewed one; "
                     f"{self.result.n_points_ramp_up:,} decision-months within {self.result.ramp_up_days} days of "
                     f"onboarding resolving left out.",
                     show_table(table, [("Segment", "segment", "text"), ("Tenure year", "tenure", "text"),
                                        ("Decision year", "year", "text"), ("Churned decisions", "n_treated", "count"),
                                        ("Renewed candidates", "n_control", "count"),
                                        ("Churned decisions matched", "matched_treated", "count")]))

    def separation(self) -> Table:
        """Per component: kind, first month (from which the gap stays significant) with its interval, gaps."""
        events = self.result.events
        table = events.summary.sort_values(["first_month", "kind"], na_position="last")
        return show_table(table, [("Component", INDEX, "feature"), ("Kind", "kind", "text"),
                                  ("First month (95% CI)", ("first_month", "first_month_low", "first_month_high"), "month"),
                                  ("Bootstrap draws separating", "share_separating", "share"),
                                  ("Gap at window start", "gap_at_start", "change"),
                                  ("Gap at first month", "gap_at_first", "change"),
                                  ("Gap in the last month", "gap_at_last", "change")],
                          feature=INDEX, title=events.title, method=events.method, notes=events.notes)

    def differences_plot(self):
        """Paired difference (churned - renewed) by month for the first components and the health score."""
        events = self.result.events
        shown = [f for f in dict.fromkeys([*events.first_components[:5], "health_score"]) if f in events.summary.index]
        axes = plots.small_multiples(shown, lambda feature, ax: events.plot(feature, ax=ax), ncols=3,
                                     xlabel=tl("months before the decision: churned minus renewed (95% band)"),
                                     change=True)
        for feature, ax in zip(shown, axes):
            ax.set_title(ax.get_title() + f"\n({tl(events.kind(feature))})")
        return axes

    def trajectories_plot(self):
        """Mean trajectories of every component and feature, churned vs renewed, with 95% bands (small multiples)."""
        return plots.trajectory_grid(self.result.trajectories, self.result.features, {1: "churned", 0: "renewed"})


def compute_churned_accounts(step: Step, ctx: StudyContext) -> ChurnedAccountsStep:
    """Matched event study of churned and renewed accounts before their decision."""
    result = decision_trajectories(ctx.ds, ctx.param("lead_days", 90), ctx.param("scorecard"), ctx.param("seed", 0))
    return ChurnedAccountsStep(step, ctx, result)


@dataclass
class ChurnFactorsStep(StepResult):
    """What predicts churn: ranking, odds ratios and the cross-validated AUC (notebook 06).

    Attributes
    ----------
    result : FactorResult
    """

    result: Any

    def to_findings(self) -> dict[str, Any]:
        """Ranking, odds ratios, CV AUC and the model comparison."""
        return self.result.to_findings()

    def story(self) -> str:
        """The strongest factors with their odds ratios and the model's AUC."""
        return churn_factors_story(self.result)

    def table(self) -> Shown:
        """Shown under the answer: the ranking with rank intervals, importance, odds ratios and q-values."""
        r = self.result
        head = t("view.factors_head", churn=describe_interval(r.churn_rate, "percent"), model=r.chosen_model,
                 auc=describe_interval(r.cv_auc))
        rank_cols = ("rank", "rank_ci_low", "rank_ci_high") if "rank_ci_low" in r.summary else "rank"
        terms = [_compared(str(f), t) for f, t in zip(r.summary.index, r.summary["term"])]
        table = show_table(r.summary.assign(term=terms),
                           [("Rank (95% CI)", rank_cols, "count"), ("Factor", INDEX, "feature"),
                            ("Importance: drop in AUC when shuffled (95% CI)",
                             ("importance", "importance_ci_low", "importance_ci_high"), "number"),
                            ("Odds ratio compares", "term", "text"),
                            ("Odds ratio (95% CI)", ("odds_ratio", "or_ci_low", "or_ci_high"),
                             "ratio"),
                            ("q-value", "q_value", "p")], title=r.title, method=r.method, notes=r.notes)
        return Shown(head, table)

    def calibration_plot(self, ax=None):
        """Reliability plot of the out-of-fold churn predictions (Brier score and calibration slope in the title)."""
        if ax is None:
            ax = plots.figure(height=4.0, width=5.5)[1][0, 0]
        ax = self.result.calibration_plot(ax=ax)
        plots.unit_axis(plots.unit_axis(ax, "share", "x"), "share", "y")
        return ax

    def plot(self):
        """Permutation importance (top) and the stable odds ratios with 95% intervals (below); returns the Axes."""
        r = self.result
        imp = r.importance.rename(columns={"importance": "estimate"}).rename(index=display_name)
        odds = r.stable_odds_ratios().rename(index=term_name)
        n1, n2 = max(len(imp), 1), max(len(odds), 1)
        _, axes = plots.figure(1, 2, height=(1.6 + 0.3 * (n1 + n2)) / 2, width=plots.MAX_WIDTH_IN,
                               gridspec_kw={"height_ratios": [n1 + 2, n2 + 2]})
        top, bottom = axes[0, 0], axes[1, 0]
        plots.bar_with_intervals(imp.iloc[::-1], ax=top, xlabel=tl("drop in cross-validated AUC when shuffled"))
        plots.forest_plot(odds, ax=bottom, xlabel=tl("odds ratio per 1 SD or against the reference level (log scale)"))
        return top, bottom


def _compared(factor: str, term: Any) -> str:
    """What a factor's odds ratio compares: ``per 1 SD`` (numeric) or ``<level> vs reference`` (a level or indicator)."""
    if not isinstance(term, str) or not term:
        return ""
    if term == factor:
        return tl("per 1 SD")
    name = term_name(term)
    prefix = display_name(factor) + ": "
    return t("view.vs_reference", level=name.removeprefix(prefix)) if name.startswith(prefix) else name


def compute_churn_factors(step: Step, ctx: StudyContext) -> ChurnFactorsStep:
    """The churn-factor model on the decision table at ``lead_days``."""
    return ChurnFactorsStep(step, ctx, factor_result(ctx))


@dataclass
class KpiStep(StepResult):
    """KPI targets: leading DEAR features, the risk level they guard and who is on the wrong side now (notebook 06).

    Attributes
    ----------
    result : FactorResult
        The churn-factor analysis at ``lead_days`` (overall churn rate).
    kpis : list of KpiThreshold
    """

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
        by_feature = {k.feature: k for k in self.kpis}

        def draw(feature: str, ax) -> None:
            by_feature[feature].curve_plot(ax=ax)
            plots.unit_axis(ax, unit_of(feature), "x")
            plots.unit_axis(ax, "share")

        return plots.small_multiples(list(by_feature), draw, ncols=2, height=3.0, sharex=False, y_unit="share",
                                     xlabel=tl("value of the KPI (line: churn risk; red: the target with its interval)"))

    def tree_plot(self, ax=None):
        """The KPI tree from the overall churn rate to the KPI targets; returns the Axes."""
        if ax is None:
            ax = plots.figure(height=1.4 + 1.2 * max(len(self.kpis), 1), width=plots.MAX_WIDTH_IN)[1][0, 0]
        return kpi_tree_plot(self.result.churn_rate, self.kpis, ax=ax)


def compute_kpis(step: Step, ctx: StudyContext) -> KpiStep:
    """KPI targets for the leading DEAR features (shares the churn-factor and lead-time fits of the context)."""
    return KpiStep(step, ctx, factor_result(ctx), kpi_targets(ctx))
