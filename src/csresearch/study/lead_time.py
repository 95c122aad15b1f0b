"""The lead-time step of notebook 06 and the KPI targets built on it.

The churn-factor model is fitted at several leads (``lead_time_days``,
default 30, 90, 180, 270, 365 days before the renewal decision); the primary
lead (``lead_days``) reuses the full churn-factor fit of the same context.
KPIs are chosen only among the DEAR features a CS team can influence
(:data:`~csresearch.contract.DEAR_AXIS`: never tenure, renewal number, segment,
touch model or onboarding history) that the lead-time analysis labels leading
indicators; each gets a target (:func:`~csresearch.analysis.kpi.kpi_threshold`)
and the count and ARR of current customers on the wrong side of it at as_of.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..analysis.churn_model import churn_factors
from ..analysis.kpi import KpiThreshold, kpi_thresholds
from ..analysis.lead_time import DEFAULT_LEADS, LEADING, lead_time_analysis
from .. import plots
from ..contract import DEAR_AXIS
from ..display import display_name
from ..narrative import lead_time_story
from ..tables import decision_table, snapshot_table
from .protocol import Step, StepResult, StudyContext
from .suppression import suppress_factor_levels
from .view import INDEX, Table, show_table

__all__ = ["LeadTimeStep", "compute_lead_time", "current_below", "current_snapshot", "decision_rows", "factor_result",
           "kpi_targets", "lead_time_result", "snapshot_now"]


def _decisions(ctx: StudyContext, lead: int) -> pd.DataFrame:
    def build() -> pd.DataFrame:
        return decision_table(ctx.ds, int(lead), scorecard=ctx.param("scorecard")).reset_index()

    return ctx.cached(f"decision_table_{int(lead)}", build)


def decision_rows(ctx: StudyContext, lead: int) -> pd.DataFrame:
    """The context's decision table at ``lead`` days (one row per renewal decision, ``account_id`` a column); built once."""
    return _decisions(ctx, lead)


def factor_result(ctx: StudyContext) -> Any:
    """The churn-factor analysis of the context's decision table at ``lead_days`` (computed once per context)."""
    # KPIs are computed by kpi_targets (leading DEAR features only), so the model sets none itself.
    # Levels of fewer than min_group_size accounts are suppressed in every view of it (not with include_ids).
    return ctx.cached("churn_factor_result", lambda: suppress_factor_levels(churn_factors(
        _decisions(ctx, ctx.param("lead_days", 90)), random_state=ctx.param("seed", 0), n_kpis=0),
        1 if ctx.include_ids else ctx.min_group_size))


def lead_time_result(ctx: StudyContext) -> Any:
    """The churn-factor model at each of ``lead_time_days`` (the primary lead reused); computed once per context."""
    def build() -> Any:
        lead = int(ctx.param("lead_days", 90))
        given = ctx.param("lead_time_days", DEFAULT_LEADS)
        given = given.replace(",", " ").split() if isinstance(given, str) else given
        leads = sorted({int(v) for v in given} | {lead})
        tables = {v: _decisions(ctx, v) for v in leads}
        return lead_time_analysis(tables, fitted={lead: factor_result(ctx)}, seed=ctx.param("seed", 0))

    return ctx.cached("lead_time_result", build)


def snapshot_now(ds, scorecard: Any = None) -> pd.DataFrame:
    """Features and health of every account at the dataset's as_of (``account_id`` a column)."""
    points = pd.DataFrame({"account_id": ds.accounts["account_id"].astype("str").unique(), "as_of": ds.extracted_at})
    return snapshot_table(ds, points, scorecard=scorecard).reset_index()


def current_snapshot(ctx: StudyContext) -> pd.DataFrame:
    """:func:`snapshot_now` of the context's dataset, computed once per context."""
    return ctx.cached("snapshot_now", lambda: snapshot_now(ctx.ds, ctx.param("scorecard")))


def current_below(ds, kpis: Sequence[KpiThreshold], scorecard: Any = None,
                  now: pd.DataFrame | None = None) -> list[KpiThreshold]:
    """Each KPI with the count and ARR of current customers (at the dataset's as_of) on its wrong side.

    A current customer has a term in force at as_of; its ARR is that of the
    terms in force. Customers whose metric is missing are not counted.
    ``now`` is :func:`snapshot_now` when already computed.
    """
    as_of = ds.extracted_at
    if as_of is None or not kpis:
        return list(kpis)
    now = snapshot_now(ds, scorecard) if now is None else now
    c = ds.contracts
    in_force = c[(c["term_start"] <= as_of) & (as_of < c["term_end"])]
    arr = in_force.groupby(in_force["account_id"].astype("str"))["arr"].sum()
    out = []
    for k in kpis:
        if not k.threshold.available or k.feature not in now:
            out.append(k)
            continue
        x = pd.to_numeric(now[k.feature], errors="coerce")
        wrong = (x < k.threshold.estimate) if k.direction == "above" else (x >= k.threshold.estimate)
        wrong = wrong & x.notna()
        ids = now.loc[wrong.to_numpy(), "account_id"].astype("str")
        out.append(k.with_current(int(wrong.sum()), float(arr.reindex(ids).fillna(0).sum())))
    return out


def kpi_targets(ctx: StudyContext, n_kpis: int = 3) -> list[KpiThreshold]:
    """KPI targets for the top leading DEAR features (by importance at ``lead_days``); computed once per context."""
    def build() -> list[KpiThreshold]:
        primary, lt = factor_result(ctx), lead_time_result(ctx)
        table = _decisions(ctx, ctx.param("lead_days", 90))
        chosen = [f for f in primary.ranking if f in DEAR_AXIS and lt.labels.get(f) == LEADING][:n_kpis]
        if not chosen:
            return []
        kpis = kpi_thresholds(table, "churned", chosen, groups=table["account_id"].to_numpy(),
                              seed=ctx.param("seed", 0), multiple=float(ctx.param("kpi_risk_multiple", 1.0)))
        kpis = [k.with_current(None, None, leading=True) for k in kpis]
        return current_below(ctx.ds, kpis, ctx.param("scorecard"), current_snapshot(ctx))

    return ctx.cached("kpi_targets", build)


@dataclass
class LeadTimeStep(StepResult):
    """The churn-factor model at several leads: AUC falling with lead, leading indicators vs late symptoms.

    Attributes
    ----------
    result : LeadTimeResult
    """

    result: Any

    def to_findings(self) -> dict[str, Any]:
        """leads_days, cv_auc and ranking keyed by lead (days as strings), labels and the labelling rule."""
        return self.result.to_findings()

    def story(self) -> str:
        """How the AUC falls with lead and which factors are leading indicators."""
        return lead_time_story(self.result)

    def table(self) -> Table:
        """One row per lead: cross-validated AUC with interval and the top factors."""
        s = self.result.summary
        top = s["top"].map(lambda t: ", ".join(display_name(f.strip()) for f in str(t).split(",") if f.strip())
                           if isinstance(t, str) else t)
        return show_table(s.assign(top=top), [("Days before the decision", INDEX, "count"),
                                              ("Cross-validated AUC (95% CI)", ("cv_auc", "ci_low", "ci_high"), "number"),
                                              ("Decisions", "n_decisions", "count"),
                                              ("Most important factors", "top", "text")],
                          title=self.result.title, method=self.result.method, notes=self.result.notes)

    def labels(self) -> Table:
        """Each top factor labelled leading indicator or late symptom, with the rule."""
        frame = pd.DataFrame({"label": pd.Series(self.result.labels, dtype="object")})
        return show_table(frame, [("Factor", INDEX, "feature"), ("Label", "label", "text")])

    def plot(self, ax=None):
        """Cross-validated AUC against lead time; returns the Axes."""
        if ax is None:
            ax = plots.figure(height=3.4)[1][0, 0]
        return self.result.plot(ax=ax)


def compute_lead_time(step: Step, ctx: StudyContext) -> LeadTimeStep:
    """The churn-factor model at each lead of ``lead_time_days``."""
    return LeadTimeStep(step, ctx, lead_time_result(ctx))
