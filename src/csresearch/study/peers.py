"""Steps of notebook 08: peer benchmarks of the DEAR components, and churn and health by the purpose of purchase.

Peer benchmarks. At a date ``d`` the peers of a customer (a term in force at
``d``) are the customers of the same segment and size band at ``d``
(:mod:`csresearch.analysis.peers`); its DEAR components and health score are
computed as of ``d`` (:func:`csresearch.tables.snapshot_table`, as-of safe),
so :func:`peer_percentiles_at` uses nothing dated after ``d``. For the churn
analysis each renewal decision takes its account's percentiles at the last
quarter start on or before ``term_end - lead_days`` (one peer snapshot per
quarter; a decision whose account was not yet a customer then has none).

Adoption purpose. ``accounts.purpose`` (optional in the data contract): the
churn rate per renewal decision by purpose (Wilson intervals) and the mean
health score of current customers by purpose (t intervals); purposes with
fewer than ``min_group_size`` accounts are suppressed; a dataset without the
column skips the step with the reason.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import plots
from ..analysis.intervals import wilson_interval
from ..analysis.peers import SIZE_BANDS, peer_percentiles, percentile_churn, size_band
from ..analysis.results import Interval
from ..contract import HEALTH_COLUMNS
from ..errors import AnalysisError
from ..i18n import label
from ..jsonsafe import json_safe
from ..narrative import peer_story, purpose_story
from ..tables import snapshot_table
from .kpi_tree import current_customers
from .lead_time import decision_rows
from .protocol import Step, StepResult, StudyContext

__all__ = ["AdoptionPurposeStep", "PeerBenchmarksStep", "compute_adoption_purpose", "compute_peer_benchmarks",
           "peer_percentiles_at", "peer_snapshots"]

MIN_PEERS = 20
UNKNOWN = "(unknown)"


def _customers_at(ds, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """(account_id, as_of, seats) of every customer with a term in force at each date."""
    c = ds.contracts[["account_id", "term_start", "term_end", "seats"]]
    parts = []
    for d in dates:
        live = c[(c["term_start"] <= d) & (d < c["term_end"])]
        parts.append(pd.DataFrame({"account_id": live["account_id"].astype("str").to_numpy(), "as_of": d,
                                   "seats": live["seats"].to_numpy(dtype="float64")}))
    points = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["account_id", "as_of", "seats"])
    return points.drop_duplicates(["account_id", "as_of"], keep="last")


def peer_snapshots(ds, dates, scorecard: Any = None) -> pd.DataFrame:
    """DEAR components and their peer percentiles of every customer at each of ``dates`` (as-of safe).

    Returns
    -------
    DataFrame
        One row per customer and date: ``account_id``, ``as_of``, ``segment``,
        ``size_band``, the health columns, ``pct_<column>`` and ``peer_group``.
    """
    dates = pd.DatetimeIndex(pd.to_datetime(list(dates))).unique()
    points = _customers_at(ds, dates)
    if points.empty:
        raise AnalysisError("no customer had a term in force at the peer dates")
    snap = snapshot_table(ds, points[["account_id", "as_of"]], scorecard=scorecard).reset_index()
    snap = snap.merge(points, on=["account_id", "as_of"], how="left")
    snap["size_band"] = size_band(snap["seats"]).to_numpy()
    values = [c for c in HEALTH_COLUMNS if c in snap and snap[c].notna().any()]
    if not values:
        raise AnalysisError("no DEAR component is available to benchmark")
    return pd.concat([snap[["account_id", "as_of", "segment", "size_band", *values]],
                      peer_percentiles(snap, values, min_peers=MIN_PEERS)], axis=1)


def peer_percentiles_at(ds, as_of, scorecard: Any = None) -> pd.DataFrame:
    """:func:`peer_snapshots` at one date: each customer's components as percentiles among its peers then."""
    return peer_snapshots(ds, [pd.Timestamp(as_of)], scorecard)


def _decision_percentiles(ctx: StudyContext) -> tuple[pd.DataFrame, list[str]]:
    """The decision table at ``lead_days`` with each account's percentiles at the quarter start before it."""
    table = decision_rows(ctx, int(ctx.param("lead_days", 90)))
    ref = pd.to_datetime(table["as_of"]).dt.to_period("Q").dt.start_time
    peers = peer_snapshots(ctx.ds, ref.unique(), ctx.param("scorecard"))
    cols = [c for c in peers.columns if c.startswith("pct_")]
    keyed = peers.set_index(["account_id", "as_of"])[cols]
    joined = keyed.reindex(pd.MultiIndex.from_arrays([table["account_id"].astype("str"), ref]))
    return pd.concat([table[["account_id", "churned"]].reset_index(drop=True), joined.reset_index(drop=True)],
                     axis=1), cols


@dataclass
class PeerBenchmarksStep(StepResult):
    """Churn at the renewal decision by the peer percentile of each DEAR component.

    Attributes
    ----------
    results : dict of str to PercentileChurn
        Per health column.
    n_decisions : int
        Decisions of the table; ``n_with_percentile`` of them had a percentile.
    """

    results: dict
    n_decisions: int
    n_with_percentile: int

    def to_findings(self) -> dict[str, Any]:
        """Peer rule, size bands and per component the odds ratio per 10 points and the bands."""
        return json_safe({
            "peer_group": "segment x size band (seats of the term in force); whole segment below "
                          f"{MIN_PEERS} peers", "min_peers": MIN_PEERS,
            "size_bands": [label for _, label in SIZE_BANDS], "lead_days": int(self.ctx.param("lead_days", 90)),
            "reference": "each decision's percentiles at the last quarter start on or before term_end - lead_days",
            "percentile": "100 x (peers below + 0.5 x peers equal) / peers, the account itself included",
            "n_decisions": self.n_decisions, "n_with_percentile": self.n_with_percentile,
            "components": {c.removeprefix("pct_"): self._suppressed(r.to_findings()) for c, r in self.results.items()}})

    def _suppressed(self, component: dict[str, Any]) -> dict[str, Any]:
        """A component's findings with the percentile bands of fewer than ``min_group_size`` accounts suppressed."""
        if self.ctx.include_ids:
            return component
        limit = self.ctx.min_group_size
        component["bands"] = {b: v if v["n_accounts"] >= limit else
                              {"suppressed": True, "reason": f"fewer than {limit} accounts"}
                              for b, v in component["bands"].items()}
        return component

    def story(self) -> str:
        """The component whose peer percentile separates churn most, and the health score's odds ratio."""
        return peer_story(self.to_findings())

    def plot(self):
        """Churn rate by peer-percentile band for each component (95% Wilson intervals); returns the Axes."""
        names = [c.removeprefix("pct_") for c in self.results]

        def draw(col: str, ax) -> None:
            s = self.results[f"pct_{col}"].summary
            if not self.ctx.include_ids:  # suppressed bands are not drawn either
                s = s.assign(churn_rate=s["churn_rate"].where(s["n_accounts"] >= self.ctx.min_group_size))
            x = np.arange(len(s))
            err = np.vstack([s["churn_rate"] - s["ci_low"], s["ci_high"] - s["churn_rate"]]).clip(min=0)
            ax.bar(x, s["churn_rate"], yerr=err, color="#4a6fa5", ecolor="#333", capsize=3)
            ax.set_xticks(x, list(s.index))
            plots.unit_axis(ax, "share")

        return plots.small_multiples(names, draw, ncols=3, height=2.8, y_unit="share",
                                     xlabel=label("peer percentile band (segment and size band)"))


def compute_peer_benchmarks(step: Step, ctx: StudyContext) -> PeerBenchmarksStep:
    """Peer percentiles of the DEAR components at each decision and churn by percentile."""
    table, cols = _decision_percentiles(ctx)
    results = {}
    for c in cols:
        results[c] = percentile_churn(table[c], table["churned"], table["account_id"])
    return PeerBenchmarksStep(step, ctx, results, len(table), int(table[cols].notna().any(axis=1).sum()))


def _purpose_rows(ctx: StudyContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decisions and current customers, each with its account's purpose (unknown: ``(unknown)``)."""
    acc = ctx.ds.accounts
    if "purpose" not in acc.columns or acc["purpose"].isna().all():
        raise AnalysisError("the accounts table has no purpose column (optional in the data contract), so churn and "
                            "health by purpose are skipped")
    first = acc.drop_duplicates("account_id")
    purpose = pd.Series(first["purpose"].astype("object").to_numpy(), index=first["account_id"].astype("str").to_numpy())
    purpose = purpose.where(purpose.notna(), UNKNOWN)
    table = decision_rows(ctx, int(ctx.param("lead_days", 90)))
    decisions = pd.DataFrame({"account_id": table["account_id"].astype("str").to_numpy(),
                              "churned": table["churned"].to_numpy()})
    now = current_customers(ctx)[["account_id", "health_score"]].copy()
    decisions["purpose"] = purpose.reindex(decisions["account_id"]).to_numpy()
    now["purpose"] = purpose.reindex(now["account_id"].astype("str")).to_numpy()
    return decisions, now


def _mean_interval(x: pd.Series) -> Interval:
    x = x.dropna()
    method = "mean with a t 95% interval"
    if len(x) < 2:
        return Interval.unavailable("fewer than 2 current customers with a health score", method=method, n=len(x))
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return Interval(x.mean(), x.mean() - half, x.mean() + half, method=method, n=len(x))


def purpose_groups(ctx: StudyContext) -> dict[str, dict[str, Any]]:
    """Per purpose: accounts, decisions, churn rate (Wilson) and current customers' health; small groups suppressed."""
    decisions, now = _purpose_rows(ctx)
    out = {}
    for purpose in sorted(set(decisions["purpose"]) | set(now["purpose"]), key=str):
        d, n = decisions[decisions["purpose"] == purpose], now[now["purpose"] == purpose]
        n_accounts = int(pd.concat([d["account_id"], n["account_id"].astype("str")]).nunique())
        if not ctx.include_ids and n_accounts < ctx.min_group_size:
            out[str(purpose)] = {"suppressed": True, "reason": f"fewer than {ctx.min_group_size} accounts"}
            continue
        churn = wilson_interval(int(d["churned"].sum()), len(d)) if len(d) else Interval.unavailable("no decisions")
        out[str(purpose)] = {"n_accounts": n_accounts, "n_decisions": len(d), "churn_rate": churn.to_dict(),
                             "n_current": len(n), "health_score": _mean_interval(n["health_score"]).to_dict()}
    return json_safe(out)


@dataclass
class AdoptionPurposeStep(StepResult):
    """Churn and health by the customer's stated purpose of purchase.

    Attributes
    ----------
    groups : dict
        :func:`purpose_groups`.
    """

    groups: dict

    def to_findings(self) -> dict[str, Any]:
        """``by_purpose`` and the method."""
        return {"by_purpose": self.groups, "unknown_label": UNKNOWN,
                "method": ("churn rate per renewal decision at lead_days by accounts.purpose (Wilson 95% intervals, "
                           "decisions counted independently); mean health score of current customers (a term in "
                           "force at as_of) with a t 95% interval; purposes with fewer than min_group_size accounts "
                           "suppressed")}

    def story(self) -> str:
        """Churn and health of each purpose in words."""
        return purpose_story(self.to_findings())

    def table(self) -> Any:
        """One row per purpose: accounts, churn rate and health score with intervals (suppressed rows say so)."""
        from ..narrative import purpose_rows

        return _Plain(pd.DataFrame(purpose_rows(self.groups)))


class _Plain:
    """A table shown without its index, cells escaped."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def _repr_html_(self) -> str:
        return self.frame.to_html(index=False, escape=True, border=0, na_rep="")

    def __repr__(self) -> str:
        return html.unescape(self.frame.to_string(index=False))


def compute_adoption_purpose(step: Step, ctx: StudyContext) -> AdoptionPurposeStep:
    """Churn and health by ``accounts.purpose``; raises (the step is skipped with the reason) without the column."""
    return AdoptionPurposeStep(step, ctx, purpose_groups(ctx))
