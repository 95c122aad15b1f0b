"""Steps of notebooks 03-04: is the health score valid, and how do continuing accounts change with tenure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import plots
from ..analysis.association import (
    auc_with_interval,
    calibration_by_decile,
    spearman_with_bootstrap,
    within_cohort_spearman,
)
from ..analysis.results import Interval
from ..analysis.trends import median_trajectories, slopes_per_year
from ..display import definition_name, display_name
from ..health import HealthScore, health_definitions
from ..i18n import label as tl
from ..i18n import label_text, t
from ..narrative import continuing_trends_story, definitions_story, features_against_score, health_validity_story
from ..tables import decision_table, points_anniversaries, points_continuing, snapshot_table
from .common import attempt
from .definitions import DefinitionValidity, definition_files, validate_definitions
from .onboarding import dear_features
from .protocol import Shown, Step, StepResult, StudyContext
from .suppression import suppress_groups
from .view import INDEX, Table, show_table

__all__ = [
    "ContinuingTrendsStep",
    "HealthTenure",
    "HealthValidityStep",
    "compute_continuing_trends",
    "compute_health_validity",
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

    pooled = spearman_with_bootstrap(panel["tenure_years"], panel["health_score"], groups=panel["account_id"],
                                     n_boot=n_boot, seed=seed)
    within = within_cohort_spearman(panel.loc[panel["tenure_cohort"] >= 2], "tenure_cohort", "tenure_years", "health_score",
                                    groups="account_id", n_boot=n_boot, seed=seed)
    return HealthTenure(pooled, within)


def next_renewal_auc(decisions: pd.DataFrame, score: str = "health_score", n_boot: int = 500, seed: int = 0) -> Interval:
    """AUC of ``score`` (higher = safer) for renewing at the next decision, accounts resampled."""

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
    points = points_continuing(ds, step_months, min_tenure_years, grace_days)
    return snapshot_table(ds, points, scorecard=scorecard, grace_days=grace_days).reset_index()


def continuing_trends(panel: pd.DataFrame, features: Sequence[str] | None = None):
    """Slope per tenure year of the health columns and every DEAR feature, accounts as clusters (notebook 04)."""

    feats = list(features) if features is not None else dear_features(panel, with_health=True)
    return slopes_per_year(panel, "tenure_years", feats, cluster_col="account_id")


# --------------------------------------------------------------------------- step views

@dataclass
class HealthValidityStep(StepResult):
    """Does the health score mean anything (notebook 03)?

    Attributes
    ----------
    panel : DataFrame
        Health at every signup anniversary, with the tenure cohort.
    tenure : HealthTenure
    decisions : DataFrame
        The decision table at ``lead_days``.
    auc : Interval
        AUC of the score for renewing at the next decision.
    definitions : DefinitionValidity or None
        Every configured health definition validated the same way and ranked.
    definitions_reason : str or None
        Why the definitions could not be compared.
    """
    panel: pd.DataFrame
    tenure: HealthTenure
    decisions: pd.DataFrame
    auc: Interval
    definitions: DefinitionValidity | None = None
    definitions_reason: str | None = None

    def to_findings(self) -> dict[str, Any]:
        """Tenure correlations (pooled, within cohorts), the renewal AUC and the definitions side by side."""
        out = {"tenure_spearman": self.tenure.pooled.to_dict(),
               "tenure_spearman_within_cohorts": self.tenure.within_pooled.to_dict(),
               "auc_next_renewal": self.auc.to_dict(), "lead_days": self.ctx.param("lead_days", 90)}
        if self.definitions is not None:
            return {**out, **self.definitions.to_findings()}
        return {**out, "definition_comparison": {"reason": self.definitions_reason or "not computed"}}

    def story(self) -> str:
        """Which health definition deserves trust first, then the DEAR score's tenure correlation and AUC."""
        first = definitions_story(self.to_findings())
        rest = health_validity_story(self.tenure.pooled, self.tenure.within_pooled, self.auc)
        return f"{first}\n\n{rest}" if first else rest

    def definitions_table(self) -> Shown:
        """Every health definition in rank order: renewal AUC and its differences, then churn and onboarding by health."""
        if self.definitions is None:
            return Shown(t("narrative.definitions.not_compared", why=label_text(str(self.definitions_reason))))
        d, iv, table = self.definitions, _interval_columns, self.definitions.table()
        table = table.rename(index={x.label: definition_name(x.name, x.label) for x in d.definitions})
        ranking = show_table(table, [("Health definition", INDEX, "text"), ("Rank", "rank", "count"),
                                     ("Best in % of resamples", "p_best", "share"),
                                     ("AUC for the next renewal (95% CI)", iv("auc_next_renewal"), "number"),
                                     ("Difference from the best (95% CI)", iv("auc_vs_best"), "number"),
                                     ("Difference from the DEAR score (95% CI)", iv("auc_vs_dear"), "number"),
                                     ("Spearman with tenure (95% CI)", iv("tenure_spearman"), "number")],
                             title="Health definitions side by side, ranked by AUC for the next renewal",
                             method=t("study.definitions_method", auc=label_text(d.auc.method),
                                      tenure=label_text(d.tenure.method)), notes=d.auc.notes)
        checks = show_table(table, [("Health definition", INDEX, "text"),
                                    ("Unhealthy at the decision (95% CI)", iv("unhealthy_share"), "share"),
                                    ("Churn rate if unhealthy (95% CI)", iv("churn_rate_unhealthy"), "share"),
                                    ("Churn rate if healthy (95% CI)", iv("churn_rate_healthy"), "share"),
                                    ("Unhealthy a year after signup: failed onboarding (95% CI)",
                                     iv("unhealthy_share_failed"), "share"),
                                    ("... succeeded onboarding (95% CI)", iv("unhealthy_share_succeeded"), "share")],
                            title="Churn at the next renewal and onboarding outcome, by each definition's verdict",
                            method=f"Wilson score intervals; unhealthy = score below {d.threshold:g} (a rule: does not "
                                   "hold)")
        return Shown(ranking, checks)

    def definitions_plot(self, ax=None):
        """AUC for the next renewal of every definition with its interval; returns the Axes."""
        if self.definitions is None:
            return None
        d = self.definitions
        labels = {x.name: definition_name(x.name, x.label) for x in d.definitions}
        ax = plots.bar_with_intervals({labels[n]: d.auc.estimates[n] for n in d.auc.ranking()[::-1]}, ax=ax,
                                      xlabel="AUC for the next renewal (0.5 = coin toss)")
        ax.axvline(0.5, color="grey", lw=0.8, ls="--")
        return ax

    def within_cohorts(self) -> Table:
        """Health vs tenure within each tenure cohort."""
        w = self.tenure.within
        s = w.summary.rename(index=lambda c: "All cohorts (pooled)" if str(c) == "pooled" else f"{c} anniversaries")
        return show_table(s, [("Tenure cohort", INDEX, "text"),
                              ("Spearman correlation with tenure (95% CI)", ("estimate", "ci_low", "ci_high"), "number"),
                              ("Observations", "n", "count")], reason="reason", title=w.title, method=w.method, notes=w.notes)

    def cohorts_plot(self, ax=None):
        """Median health score by tenure year, one line per tenure cohort; returns the Axes."""
        medians = self.panel.groupby(["tenure_cohort", "tenure_year"])["health_score"].median().unstack(0)
        medians.columns = [tl(f"{c} anniversaries") for c in medians.columns]
        if ax is None:
            ax = plots.figure(height=3.8)[1][0, 0]
        ax = medians.plot(marker="o", ax=ax)
        ax.set_title(tl("median health score by tenure year"))
        ax.set_ylabel(tl("health score"))
        ax.set_xlabel(tl("tenure year"))
        ax.legend(title=tl("tenure cohort"), loc="center left", bbox_to_anchor=(1.0, 0.5))
        return ax

    def calibration(self) -> Any:
        """Churn rate by health-score decile at the renewal decision (Wilson intervals)."""
        return self.ctx.cached("calibration", lambda: calibration_by_decile(self.decisions["health_score"],
                                                                             self.decisions["churned"]))

    def calibration_plot(self, ax=None):
        """The calibration as a plot; returns the Axes."""
        ax = plots.calibration_plot(self.calibration(), ax=ax)
        ax.set_xlabel(tl("mean health score in the decile"))
        ax.set_ylabel(tl("churn rate at the next decision"))
        return ax

    def calibration_table(self) -> Table:
        """The calibration bins, small bins suppressed."""
        c = self.calibration()
        table = suppress_groups(c.summary, ["n"], self.ctx.min_group_size, self.ctx.include_ids)
        return show_table(table, [("Decile", "bin", "count"), ("Decisions", "n", "count"),
                                  ("Lowest score", "score_min", "number"), ("Highest score", "score_max", "number"),
                                  ("Mean score", "mean_score", "number"),
                                  ("Churn rate (95% CI)", ("rate", "ci_low", "ci_high"), "share")],
                          method=c.method, notes=c.notes)

    def weights(self) -> Any:
        """Expert vs learned component weights (fitted on renewal decisions, CV grouped by account)."""
        model = HealthScore(self.ctx.param("scorecard"), random_state=self.ctx.param("seed", 0))
        fitted, reason = attempt(model.fit, self.decisions, self.decisions["churned"])
        if fitted is None:
            return Shown(f"Weights could not be learned: {reason}.")
        w = fitted.compare_weights()
        weights = w.summary.drop(index=[i for i in w.summary.index if str(i).startswith("cv_auc")])
        weights = weights.rename(index=lambda c: display_name(f"health_{c}").removeprefix("Health: "))
        auc = pd.DataFrame({k: [iv.estimate, iv.ci_low, iv.ci_high, iv.reason] for k, iv in w.auc.items()},
                           index=["estimate", "ci_low", "ci_high", "reason"]).T
        return Shown(show_table(weights, [("Component", INDEX, "text"), ("Expert weight", "expert", "share"),
                                          ("Learned weight", "learned", "share")], title=w.title, notes=w.notes),
                     show_table(auc, [("Weights", INDEX, "text"),
                                      ("Cross-validated AUC for renewal (95% CI)", ("estimate", "ci_low", "ci_high"),
                                       "number")], reason="reason", method=w.method))


def compute_health_validity(step: Step, ctx: StudyContext) -> HealthValidityStep:
    """The tenure panel and correlation, the decision table and the renewal AUC."""
    seed, scorecard = ctx.param("seed", 0), ctx.param("scorecard")
    panel = tenure_health_panel(ctx.ds, scorecard)
    tenure = health_vs_tenure(panel, seed=seed)
    decisions = decision_table(ctx.ds, ctx.param("lead_days", 90), scorecard=scorecard)
    definitions, reason = _definitions(ctx, panel, decisions)
    return HealthValidityStep(step, ctx, panel, tenure, decisions, next_renewal_auc(decisions, seed=seed),
                              definitions, reason)


def _interval_columns(key: str) -> tuple[str, str, str]:
    return key, f"{key}_low", f"{key}_high"


def _definitions(ctx: StudyContext, panel: pd.DataFrame, decisions: pd.DataFrame
                 ) -> tuple[DefinitionValidity | None, str | None]:
    """The built-in and the run's own health definitions validated side by side (an invalid file raises)."""
    definitions = health_definitions(ctx.param("scorecard"), definition_files(ctx.param("definitions")))
    return attempt(validate_definitions, definitions, decisions, panel,
                   threshold=ctx.param("unhealthy_threshold", 40.0), seed=ctx.param("seed", 0),
                   min_group=1 if ctx.include_ids else ctx.min_group_size)


@dataclass
class ContinuingTrendsStep(StepResult):
    """How continuing accounts change with tenure (notebook 04).

    Attributes
    ----------
    panel : DataFrame
        Quarterly snapshots of never-churned accounts.
    trends : TrendResult
    """
    panel: pd.DataFrame
    trends: Any

    def to_findings(self) -> dict[str, Any]:
        """Slope per tenure year of every feature, pooled and within account."""
        return self.trends.to_findings()

    def story(self) -> str:
        """The score's trend and the features moving against it."""
        return continuing_trends_story(self.trends.slopes)

    def slopes(self) -> Shown:
        """How many accounts and snapshots, and the slopes."""
        t = self.trends
        table = show_table(t.summary, [("Feature", INDEX, "feature"),
                                       ("Change per tenure year (95% CI)", ("slope_per_year", "ci_low", "ci_high"), "change"),
                                       ("Within-account change per year (95% CI)",
                                        ("within_slope", "within_low", "within_high"), "change"),
                                       ("Accounts", "n_accounts", "count"), ("Snapshots", "n_obs", "count")],
                           feature=INDEX, title=t.title, method=t.method, notes=t.notes)
        return Shown(f"{self.panel['account_id'].nunique():,} continuing accounts, {len(self.panel):,} quarterly snapshots.",
                     table)

    def trajectories_plot(self):
        """Median trajectories by tenure year of the score, the features against it and seat utilisation."""
        shown = ["health_score", *features_against_score(self.trends.slopes)[:2], "seat_utilisation_3m"]
        shown = [f for f in dict.fromkeys(shown) if f in self.trends.slopes]
        medians = median_trajectories(self.panel, "tenure_years", shown)
        return plots.small_multiples(shown, lambda feature, ax: plots.trend_plot(medians, feature, ax=ax), ncols=2,
                                     height=2.8, xlabel=tl("tenure year (line: median; band: interquartile range)"))


def compute_continuing_trends(step: Step, ctx: StudyContext) -> ContinuingTrendsStep:
    """The panel of never-churned accounts and their slopes per tenure year."""
    panel = continuing_panel(ctx.ds, ctx.param("scorecard"))
    return ContinuingTrendsStep(step, ctx, panel, continuing_trends(panel))
