"""Steps of notebooks 01-02: does failed onboarding cause churn, or only a worse health score later?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import plots
from ..analysis.causal import adjusted_churn
from ..analysis.causal_health import weighted_comparison
from ..analysis.comparison import compare_groups, unhealthy_by_segment
from ..analysis.results import Interval
from ..analysis.survival import churn_by_renewal, onboarding_vs_churn
from ..contract import DEAR_AXIS, HEALTH_COLUMNS
from ..display import display_name
from ..errors import InputError, ParameterError
from ..i18n import label as tl
from ..i18n import t
from ..lifetimes import account_lifetimes, decided_terms
from ..narrative import (
    adjusted_churn_story,
    fmt_p,
    onboarding_churn_story,
    onboarding_health_story,
)
from ..tables import points_after_onboarding, snapshot_table
from .landmark import (
    CATEGORICAL_CONFOUNDERS,
    NUMERIC_CONFOUNDERS,
    landmark_frame,
    signup_confounders,
)
from .protocol import Step, StepResult, StudyContext
from .suppression import segment_findings, suppress_groups
from .view import INDEX, Table, interval_table, show_table

__all__ = [
    "OnboardingChurnStep",
    "OnboardingHealthStep",
    "churn_by_renewal_number",
    "compute_onboarding_churn",
    "compute_onboarding_health",
    "onboarding_churn_adjusted",
    "onboarding_health_weighted",
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
    life = account_lifetimes(ds, grace_days=grace_days)
    if "onboarding_group" not in life:
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

    return churn_by_renewal(renewal_decisions(ds, grace_days), group_col="onboarding_group")


def onboarding_health_snapshot(ds, months_after: int = 12, scorecard: Any = None, grace_days: int = 30) -> pd.DataFrame:
    """Features and health ``months_after`` months after each onboarding target date, customers then only.

    Returns
    -------
    DataFrame
        :func:`csresearch.tables.snapshot_table` of
        :func:`csresearch.tables.points_after_onboarding`.
    """
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
    feats = list(features) if features is not None else dear_features(snapshot, with_health=True)
    return compare_groups(snapshot, "onboarding_succeeded", feats, adjust_for=("segment", "touch_model"),
                          unhealthy=("health_score", float(unhealthy_threshold)), succeeded_value=1,
                          months_after=int(months_after))


def onboarding_churn_adjusted(ds, horizon_years: float = 3.0, grace_days: int = 30, n_boot: int = 200, seed: int = 0):
    """Adjusted effect of failing onboarding on churn within ``horizon_years`` of the landmark (notebook 01).

    Time zero is the day the onboarding outcome became known
    (:func:`csresearch.study.landmark.landmark_frame`); accounts that churned
    before are excluded and counted (``landmark`` in the findings).

    Returns
    -------
    AdjustedChurnResult
        From :func:`csresearch.analysis.causal.adjusted_churn`.
    """
    frame = landmark_frame(ds, grace_days)
    horizons = (1, 2, 3)
    result = adjusted_churn(frame, categorical=CATEGORICAL_CONFOUNDERS, numeric=NUMERIC_CONFOUNDERS,
                            horizon_years=horizon_years, horizons=horizons, n_boot=n_boot, seed=seed)
    result.landmark = {"n": int(len(frame)), **frame.attrs}
    if frame.attrs["excluded_churned_before_outcome"]:
        result.notes.append(f"{frame.attrs['excluded_churned_before_outcome']} account(s) churned before their "
                            "onboarding outcome was known: excluded from the adjusted analysis")
    return result


def onboarding_health_weighted(snapshot: pd.DataFrame, ds, unhealthy_threshold: float = 40.0,
                               features: Sequence[str] | None = None, n_boot: int = 200, seed: int = 0):
    """Inverse-probability-weighted unhealthy risk ratio and feature differences on a snapshot (notebook 02).

    Returns
    -------
    WeightedComparison
        From :func:`csresearch.analysis.causal_health.weighted_comparison`.
    """
    feats = list(features) if features is not None else dear_features(snapshot, with_health=True)
    ids = snapshot.index.get_level_values("account_id") if "account_id" in snapshot.index.names else snapshot.index
    conf = signup_confounders(ds).reindex(ids).reset_index(drop=True)
    frame = snapshot.reset_index(drop=True)[[c for c in snapshot.columns if c not in conf.columns]]
    frame = pd.concat([frame, conf], axis=1)
    frame["failed"] = frame["onboarding_succeeded"].map({1.0: False, 0.0: True})
    return weighted_comparison(frame.loc[frame["failed"].notna()], feats, unhealthy=("health_score", float(unhealthy_threshold)),
                               categorical=CATEGORICAL_CONFOUNDERS, numeric=NUMERIC_CONFOUNDERS, n_boot=n_boot, seed=seed)


# --------------------------------------------------------------------------- step views

@dataclass
class OnboardingChurnStep(StepResult):
    """Churn within the horizon by onboarding outcome, raw and adjusted (notebook 01).

    Attributes
    ----------
    result : OnboardingChurnResult
        The raw Kaplan-Meier comparison from signup.
    adjusted : AdjustedChurnResult or None
        The IPW Kaplan-Meier effect from the landmark; None (with ``adjusted_reason``) when not computable.
    """
    result: Any
    adjusted: Any = None
    adjusted_reason: str = ""

    def to_findings(self) -> dict[str, Any]:
        """Raw churn per group, difference, p-values, MDD; then the adjusted effect and its diagnostics."""
        out = self.result.to_findings()
        if self.adjusted is not None:
            out.update(self.adjusted.to_findings())
        else:
            out["risk_difference_adjusted"] = {"estimate": None, "ci_low": None, "ci_high": None,
                                               "reason": self.adjusted_reason}
        out["by_segment"] = segment_findings(self.result.segments, ("n_succeeded", "n_failed"),
                                             self.ctx.min_group_size, self.ctx.include_ids)
        return out

    def story(self) -> str:
        """The raw difference in words, then the adjusted one, its assumptions and the E-value."""
        return onboarding_churn_story(self.result) + " " + adjusted_churn_story(self.adjusted, self.adjusted_reason)

    def table(self) -> Table:
        """The raw estimates with their intervals."""
        r, h = self.result, t("narrative.years", n=f"{self.result.horizon_years:g}")
        return interval_table([(f"Churned within {h}, succeeded onboarding", r.churn_succeeded, "share"),
                               (f"Churned within {h}, failed onboarding", r.churn_failed, "share"),
                               ("Difference, failed - succeeded", r.risk_difference, "points"),
                               ("Log-rank p-value", Interval(r.p_value, None, None), "p"),
                               ("Log-rank p-value stratified by segment", Interval(r.p_value_stratified, None, None), "p"),
                               ("Smallest difference detectable (80% power)",
                                Interval(r.min_detectable_difference, None, None), "points")],
                              title=r.title, method=r.method, notes=r.notes)

    def adjusted_table(self) -> Table | None:
        """The adjusted estimates (counterfactual churn, difference, ratio, 1-3 years, RMST) with intervals."""
        if self.adjusted is None:
            return None
        a = self.adjusted
        rows = [(*_adjusted_label(str(k))[:1],
                 Interval(r["estimate"], r["ci_low"], r["ci_high"], n=None if pd.isna(r["n"]) else r["n"],
                          reason=r["reason"] if isinstance(r["reason"], str) else None),
                 _adjusted_label(str(k))[1])
                for k, r in a.summary.iterrows()]
        return interval_table(rows, title=a.title, method=a.method, notes=a.notes)

    def plot(self):
        """Kaplan-Meier curves (left) and churn within the horizon with intervals (right); returns the Axes."""
        _, axes = plots.figure(2)
        left, right = axes[0]
        plots.km_plot(self.result, ax=left)
        plots.bar_with_intervals({"succeeded": self.result.churn_succeeded, "failed": self.result.churn_failed},
                                 ax=right, xlabel=t("figures.churned_within_lower", years=f"{self.result.horizon_years:g}"), unit="share")
        return left, right

    def adjusted_plot(self):
        """Weighted cumulative churn from the landmark (left) and the adjusted difference by horizon (right)."""
        _, axes = plots.figure(2)
        left, right = axes[0]
        if self.adjusted is None:
            return left, right
        plots.adjusted_curves_plot(self.adjusted.curves, ax=left, horizon=self.adjusted.horizon_years)
        plots.forest_plot({_years(h): iv for h, iv in self.adjusted.by_horizon.items()}, ax=right, ref=0.0,
                          log=False, xlabel=tl("adjusted churn difference,\nfailed - succeeded"), unit="points")
        return left, right

    def diagnostics_plot(self):
        """Propensity overlap by group (top) and covariate balance before/after weighting (below)."""
        _, axes = plots.figure(1, 2, height=3.2, width=plots.MAX_WIDTH_IN)
        top, bottom = axes[0, 0], axes[1, 0]
        if self.adjusted is None:
            return top, bottom
        plots.propensity_plot(self.adjusted.propensity, ax=top)
        plots.love_plot(self.adjusted.balance, ax=bottom)
        return top, bottom

    def by_segment(self) -> Table:
        """Churn within the horizon per segment and the log-rank p-values, small groups suppressed."""
        r = self.result
        table = suppress_groups(r.by_segment, ["n_succeeded", "n_failed"], self.ctx.min_group_size, self.ctx.include_ids,
                                rate_cols=[c for c in r.by_segment.columns if c not in ("segment", "n_succeeded", "n_failed")])
        h = t("narrative.years", n=f"{r.horizon_years:g}")
        return show_table(table, [("Segment", "segment", "text"), ("Accounts, succeeded", "n_succeeded", "count"),
                                  ("Accounts, failed", "n_failed", "count"),
                                  (f"Churned within {h}, succeeded", _iv("churn_succeeded"), "share"),
                                  (f"Churned within {h}, failed", _iv("churn_failed"), "share"),
                                  ("Difference, failed - succeeded", _iv("risk_difference"), "points"),
                                  ("Log-rank p", "p_value", "p")],
                          method=f"Log-rank p = {fmt_p(r.p_value)}; stratified by segment p = {fmt_p(r.p_value_stratified)}.")

    def by_renewal(self) -> Table:
        """Churn at each renewal decision by onboarding outcome (Wilson; difference by Newcombe)."""
        table = churn_by_renewal_number(self.ctx.ds)
        rates = [c for c in table.columns if c not in ("renewal_number", "n_succeeded", "n_failed")]
        table = suppress_groups(table, ["n_succeeded", "n_failed"], self.ctx.min_group_size, self.ctx.include_ids,
                                rate_cols=rates)
        return show_table(table, [("Renewal decision", "renewal_number", "count"),
                                  ("Decisions, succeeded", "n_succeeded", "count"),
                                  ("Churn, succeeded", ("churn_succeeded", "succeeded_low", "succeeded_high"), "share"),
                                  ("Decisions, failed", "n_failed", "count"),
                                  ("Churn, failed", ("churn_failed", "failed_low", "failed_high"), "share"),
                                  ("Difference, failed - succeeded", ("difference", "difference_low", "difference_high"),
                                   "points")])


_ADJUSTED_LABELS = {
    "churn had all failed": ("Churn had every account failed onboarding", "share"),
    "churn had all succeeded": ("Churn had every account succeeded", "share"),
    "risk difference": ("Difference, failed - succeeded", "points"),
    "risk ratio": ("Risk ratio, failed / succeeded", "ratio"),
    "RMST failed": ("Mean churn-free years over the horizon, had every account failed", "number"),
    "RMST succeeded": ("Mean churn-free years over the horizon, had every account succeeded", "number"),
    "RMST difference": ("Difference in mean churn-free years, failed - succeeded", "number"),
}


def _years(h: float) -> str:
    return f"{h:g} year" + ("" if h == 1 else "s")


def _adjusted_label(key: str) -> tuple[str, str]:
    """The row label and cell kind of a row of the adjusted-effect summary."""
    if key in _ADJUSTED_LABELS:
        return _ADJUSTED_LABELS[key]
    if key.startswith("difference at "):
        years = key.removeprefix("difference at ").removesuffix(" years")
        return f"Difference within {years} year(s), failed - succeeded", "points"
    return key, "number"


def _iv(name: str) -> tuple[str, str, str]:
    """The estimate, low and high columns of ``name`` in a per-group table."""
    return name, f"{name}_low", f"{name}_high"


def compute_onboarding_churn(step: Step, ctx: StudyContext) -> OnboardingChurnStep:
    """Kaplan-Meier churn within ``horizon_years`` by onboarding outcome, and the adjusted effect."""
    horizon = ctx.param("horizon_years", 3.0)
    raw = onboarding_churn(ctx.ds, horizon)
    try:
        adjusted = onboarding_churn_adjusted(ctx.ds, horizon, n_boot=ctx.param("n_bootstrap", 200), seed=ctx.param("seed", 0))
    except ParameterError as exc:
        return OnboardingChurnStep(step, ctx, raw, None, f"adjusted effect not computable: {exc}")
    return OnboardingChurnStep(step, ctx, raw, adjusted)


@dataclass
class OnboardingHealthStep(StepResult):
    """The unhealthy share and feature gaps some months after onboarding (notebook 02).

    Attributes
    ----------
    snapshot : DataFrame
        Features and health at the snapshot (one row per account, ids as index).
    comparison : GroupComparison
    weighted : WeightedComparison or None
        The inverse-probability-weighted estimates (None when not computable).
    """
    snapshot: pd.DataFrame
    comparison: Any
    weighted: Any = None

    def to_findings(self) -> dict[str, Any]:
        """Unhealthy shares, their ratio, raw, regression-adjusted and weighted feature differences."""
        out = self.comparison.to_findings()
        if self.weighted is not None:
            out.update(self.weighted.to_findings())
        out["by_segment"] = segment_findings(
            unhealthy_by_segment(self.snapshot, self.comparison.unhealthy_threshold), ("n_succeeded", "n_failed"),
            self.ctx.min_group_size, self.ctx.include_ids)
        return out

    def story(self) -> str:
        """The unhealthy share by outcome and the clearest adjusted gaps, then who the snapshot covers."""
        return onboarding_health_story(self.comparison, self.weighted, n_accounts=len(self.snapshot),
                                       dropped=self.snapshot.attrs.get("dropped"))

    def plot(self, ax=None):
        """Unhealthy share by onboarding outcome with Wilson intervals; returns the Axes."""
        if ax is None:
            ax = plots.figure(height=2.6)[1][0, 0]
        return plots.bar_with_intervals({"succeeded": self.comparison.unhealthy_succeeded,
                                         "failed": self.comparison.unhealthy_failed}, ax=ax, unit="share",
                                        xlabel=t("figures.share_below", threshold=f"{self.comparison.unhealthy_threshold:g}"))

    def features(self) -> Table:
        """Every feature: raw difference (Welch) and adjusted difference (regression on segment and touch model)."""
        c = self.comparison
        return show_table(c.summary, [("Feature", INDEX, "feature"), ("Accounts, succeeded", "n_succeeded", "count"),
                                      ("Accounts, failed", "n_failed", "count"),
                                      ("Mean, succeeded", "mean_succeeded", "value"),
                                      ("Mean, failed", "mean_failed", "value"),
                                      ("Difference, failed - succeeded (95% CI)", ("difference", "diff_low", "diff_high"),
                                       "change"),
                                      ("Adjusted difference (95% CI)", ("adjusted", "adj_low", "adj_high"), "change"),
                                      ("q-value", "q_value", "p")],
                          feature=INDEX, title=c.title, method=c.method, notes=c.notes)

    def weighted_features(self) -> Table | None:
        """The unhealthy risk ratio and every feature difference, inverse-probability weighted."""
        w = self.weighted
        if w is None:
            return None
        rows = [(("Unhealthy, risk ratio failed / succeeded" if str(k) == "unhealthy risk ratio" else str(k)),
                 Interval(r["estimate"], r["ci_low"], r["ci_high"], n=None if pd.isna(r["n"]) else r["n"],
                          reason=r["reason"] if isinstance(r["reason"], str) else None),
                 "ratio" if str(k) == "unhealthy risk ratio" else "change")
                for k, r in w.summary.iterrows()]
        return interval_table(rows, title=w.title, method=w.method, notes=w.notes, features=True)

    def components_plot(self, ax=None):
        """Adjusted difference of each health component, failed - succeeded, with 95% intervals; returns the Axes."""
        health = {display_name(k): v for k, v in self.comparison.adjusted.items() if k.startswith("health_")}
        if ax is None:
            ax = plots.figure(height=2.8)[1][0, 0]
        return plots.forest_plot(health, ax=ax, ref=0.0, log=False,
                                 xlabel=tl("adjusted difference, failed - succeeded\n(health score points)"))


def compute_onboarding_health(step: Step, ctx: StudyContext) -> OnboardingHealthStep:
    """The health snapshot ``months_after`` the onboarding target and the comparison of the two groups."""
    months = ctx.param("months_after", 12)
    snapshot = onboarding_health_snapshot(ctx.ds, months, ctx.param("scorecard"))
    threshold = ctx.param("unhealthy_threshold", 40.0)
    comparison = onboarding_vs_health(snapshot, months, threshold)
    try:
        weighted = onboarding_health_weighted(snapshot, ctx.ds, threshold, n_boot=ctx.param("n_bootstrap", 200),
                                              seed=ctx.param("seed", 0))
    except ParameterError as exc:
        comparison.notes.append(f"weighted comparison not computable: {exc}")
        weighted = None
    return OnboardingHealthStep(step, ctx, snapshot, comparison, weighted)
