"""The KPI tree of notebook 06: from the churn rate (the KGI) to the KPIs each team owns, with attributable churn.

Nodes. The root is the churn rate per renewal decision (the key goal
indicator; GRR, its revenue form, is step ``retention``). Under it one node
per team and under each team its KPIs:

* onboarding: onboarding succeeded (target: yes) and days to complete onboarding;
* customer success: the leading DEAR KPIs of the ``kpis`` step (their targets);
* support: support tickets (last 6 months) and the latest NPS score.

A KPI without a target from the ``kpis`` step gets one by the same rule
(:func:`csresearch.analysis.kpi.point_target`: where the isotonic churn-risk
curve crosses ``kpi_risk_multiple`` x the overall churn rate; point estimate);
``target_source`` says which. Each KPI node holds its current value among
current customers (a term in force at as_of; the median, or the share for a
yes/no KPI), its target, how many current customers miss it, and its
attributable fraction of churn (:mod:`csresearch.analysis.attributable`): how
much of the churn of the renewal decisions would not happen had every
decision missing the target met it, with an account-cluster bootstrap
interval. A team node's fraction moves all its KPIs together, the root's every
KPI of the tree (all other factors as observed). The onboarding KPIs come
before usage and act largely through it, so each onboarding node uses a churn
model of the KPIs it moves and the account's context only: a total effect,
not the direct effect left once later usage is held fixed. A node whose feature the
data lacks says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import plots
from ..analysis.attributable import attributable_fractions
from ..analysis.churn_model import SUITE_EXTRA_FACTORS
from ..analysis.intervals import wilson_interval
from ..analysis.kpi import point_target
from ..analysis.results import Interval
from ..contract import CANONICAL_FEATURES, DEAR_AXIS
from ..display import unit_of
from ..jsonsafe import json_safe
from ..narrative import kpi_tree_lines, kpi_tree_story
from .lead_time import current_snapshot, decision_rows, kpi_targets
from .protocol import Step, StepResult, StudyContext

__all__ = ["TEAMS", "KpiTreeStep", "compute_kpi_tree", "current_customers", "kpi_tree_nodes"]

#: KPIs each team owns (customer success: the leading DEAR KPIs of the kpis step, added at run time).
TEAMS: dict[str, tuple[str, ...]] = {
    "onboarding": ("onboarding_succeeded", "onboarding_days"),
    "customer_success": (),
    "support": ("support_tickets_6m", "nps_last"),
}
ROOT = "churn_rate"
#: The team whose KPIs come before the others (their effect runs through later usage), its KPIs, and the context.
UPSTREAM_TEAM = "onboarding"
UPSTREAM = TEAMS[UPSTREAM_TEAM]
CONTEXT = ("tenure_years", "renewal_number", "segment", "touch_model")
N_BOOT = 200


def _kpi_list(ctx: StudyContext) -> list[dict[str, Any]]:
    """Team, feature, direction, target and where the target comes from, for every KPI of the tree."""
    table = decision_rows(ctx, int(ctx.param("lead_days", 90)))
    multiple = float(ctx.param("kpi_risk_multiple", 1.0))
    managed = {k.feature: k for k in kpi_targets(ctx)}
    support = set(TEAMS["support"])
    teams = {**TEAMS, "customer_success": tuple(f for f in managed if f not in support and f in DEAR_AXIS)}
    out = []
    for team, features in teams.items():
        for f in features:
            entry = {"team": team, "feature": f, "direction": None, "target": None, "target_source": None,
                     "reason": None}
            if f not in table or not table[f].notna().any():
                entry["reason"] = "the data has no values of this KPI"
            elif f in managed and managed[f].threshold.available:
                k = managed[f]
                entry.update(direction=k.direction, target=k.threshold.estimate, target_source="kpi_target")
            elif unit_of(f) == "flag":
                entry.update(direction="above", target=1.0, target_source="yes")
            else:
                direction, cut = point_target(table[f], table["churned"], multiple)
                entry.update(direction=None if direction == "n/a" else direction,
                             target=cut if np.isfinite(cut) else None, target_source="rule")
                if not np.isfinite(cut):
                    entry["reason"] = "the churn risk never crosses the reference rate, so there is no target"
            out.append(entry)
    return out


def current_customers(ctx: StudyContext) -> pd.DataFrame:
    """:func:`~csresearch.study.lead_time.current_snapshot` rows of the accounts with a term in force at as_of."""
    def build() -> pd.DataFrame:
        now, ds = current_snapshot(ctx), ctx.ds
        c = ds.contracts
        in_force = c.loc[(c["term_start"] <= ds.extracted_at) & (ds.extracted_at < c["term_end"]), "account_id"]
        return now[now["account_id"].isin(set(in_force.astype("str")))]

    return ctx.cached("current_customers", build)


def _now(ctx: StudyContext, feature: str, direction: str | None, target: float | None) -> dict[str, Any]:
    """Current customers' value of ``feature`` (median, share for a flag) and how many miss the target."""
    current = current_customers(ctx)
    x = pd.to_numeric(current[feature], errors="coerce").dropna() if feature in current else pd.Series(dtype=float)
    value = (float(x.mean()) if unit_of(feature) == "flag" else float(x.median())) if len(x) else None
    misses = None
    if target is not None and direction is not None and len(x):
        misses = int(((x < target) if direction == "above" else (x >= target)).sum())
    return {"value": value, "n_current": len(x), "misses": misses,
            "misses_share": misses / len(x) if misses is not None and len(x) else None}


def _fractions(ctx: StudyContext, table: pd.DataFrame, moves: dict[str, list]) -> tuple[dict, dict, dict, str]:
    """Attributable fractions of every node: upstream (onboarding) nodes from a model without the later usage.

    The onboarding KPIs come before usage and engagement, which carry much of
    their effect: holding those as observed would estimate only a direct
    effect. Each onboarding node's fraction comes from a churn model on the
    KPIs it moves and the account's context only (a total effect; the two
    onboarding KPIs are tied, success means finishing in time, so neither is
    held fixed while the other moves); every other node holds all other
    factors as observed.
    """
    factors = [c for c in (*CANONICAL_FEATURES, *SUITE_EXTRA_FACTORS) if c in table and table[c].notna().any()]
    upstream = {k: v for k, v in moves.items() if k in UPSTREAM or k == f"team_{UPSTREAM_TEAM}"}
    fits = [(factors, {k: v for k, v in moves.items() if k not in upstream})]
    for key, chosen in upstream.items():  # each with the context and the KPIs it moves (they are tied to each other)
        fits.append(([c for c in factors if c in CONTEXT or c in {m[0] for m in chosen}], {key: chosen}))
    fractions, reasons, n_moved, methods = {}, {}, {}, []
    for cols, chosen in fits:
        if not chosen:
            continue
        r = attributable_fractions(table, "churned", cols, chosen, groups=table["account_id"].to_numpy(),
                                   n_boot=N_BOOT, seed=int(ctx.param("seed", 0)))
        fractions.update(r.fractions or {})
        reasons.update(r.reasons or {})
        n_moved.update({str(k): int(v) for k, v in r.summary["n_moved"].items()})
        methods.append(r.method)
    method = methods[0] if methods else ""
    if upstream:
        method += ("; onboarding nodes (before usage) from the same model on the KPIs they move and the context only "
                   f"({', '.join(CONTEXT)}), so their fraction includes the churn that runs through later usage")
    return fractions, reasons, n_moved, method


def kpi_tree_nodes(ctx: StudyContext) -> tuple[list[dict[str, Any]], str]:
    """The tree's nodes (root, teams, KPIs) with values, targets, misses and attributable fractions; and the method."""
    table = decision_rows(ctx, int(ctx.param("lead_days", 90)))
    kpis = _kpi_list(ctx)
    usable = [k for k in kpis if k["reason"] is None]
    moves = {k["feature"]: [(k["feature"], k["direction"], k["target"])] for k in usable}
    for team in TEAMS:
        members = [m for k in usable if k["team"] == team for m in moves[k["feature"]]]
        if members:
            moves[f"team_{team}"] = members
    if usable:
        moves[ROOT] = [m for k in usable for m in moves[k["feature"]]]
    fractions, reasons, n_moved, method = _fractions(ctx, table, moves)
    y = table["churned"].to_numpy(dtype="int64")

    def fraction(key: str, reason: str) -> dict[str, Any]:
        if key in fractions:
            return {k: v for k, v in fractions[key].to_dict().items() if k != "method"}  # the section's method
        return Interval.unavailable(reasons.get(key, reason)).to_dict()

    root = {"id": ROOT, "parent": None, "team": None, "label": ROOT, "feature": None,
            "value": wilson_interval(int(y.sum()), len(y)).to_dict(), "target": None, "direction": None,
            "misses": None, "attributable_fraction": fraction(ROOT, "no KPI of the tree has a target"),
            "status": "ok" if ROOT in moves else "not computable"}
    nodes = [root]
    for team in TEAMS:
        key = f"team_{team}"
        af = fraction(key, "no KPI of this team has a target on this data")
        nodes.append({"id": key, "parent": ROOT, "team": team, "label": key, "feature": None, "value": None,
                      "target": None, "direction": None, "misses": None, "attributable_fraction": af,
                      "status": "ok" if af.get("estimate") is not None else "not computable"})
        for k in (k for k in kpis if k["team"] == team):
            af = fraction(k["feature"], k["reason"] or "not computable")
            nodes.append({"id": k["feature"], "parent": key, "team": team, "label": k["feature"],
                          "feature": k["feature"], "target": k["target"], "direction": k["direction"],
                          "target_source": k["target_source"], **_now(ctx, k["feature"], k["direction"], k["target"]),
                          "decisions_missing": n_moved.get(k["feature"]),
                          "attributable_fraction": af, "status": "ok" if af.get("estimate") is not None
                          else "not computable", "reason": k["reason"] or af.get("reason")})
    return json_safe(nodes), method


@dataclass
class KpiTreeStep(StepResult):
    """The KPI tree: churn rate -> teams -> KPIs, each with value, target, misses and attributable churn.

    Attributes
    ----------
    nodes : list of dict
        :func:`kpi_tree_nodes` (the findings ``nodes``).
    method : str
    """

    nodes: list
    method: str

    def to_findings(self) -> dict[str, Any]:
        """The ``kpi_tree`` section of docs/findings.md."""
        return {"kgi": "churn rate per renewal decision", "lead_days": int(self.ctx.param("lead_days", 90)),
                "nodes": self.nodes, "method": self.method,
                "estimand": ("share of the expected churn of the renewal decisions that would not happen had every "
                             "decision missing the node's targets met them (its other features as observed)")}

    def story(self) -> str:
        """The root, the team with the largest attributable churn and its strongest KPI."""
        return kpi_tree_story(self.nodes)

    def plot(self, ax=None):
        """The tree drawn left to right: churn rate, teams, KPIs; returns the Axes."""
        boxes = {n["id"]: kpi_tree_lines(n) for n in self.nodes}
        parents = {n["id"]: n["parent"] for n in self.nodes}
        return plots.tree_diagram(boxes, parents, ax=ax)


def compute_kpi_tree(step: Step, ctx: StudyContext) -> KpiTreeStep:
    """The KPI tree on the decision table at ``lead_days`` (shares the kpis step's fits of the context)."""
    nodes, method = kpi_tree_nodes(ctx)
    return KpiTreeStep(step, ctx, nodes, method)
