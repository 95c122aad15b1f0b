"""Step of notebook 07: how much revenue and how many customers do we keep, and how much ARR sits below the targets now.

Retention (:func:`csresearch.analysis.retention.retention`) is measured over
the ``window_months`` ending at the context's as_of, overall, by segment and by
signup-year cohort; groups smaller than ``min_group_size`` are suppressed in the
tables shown and in the findings section.

ARR at risk. For each canonical DEAR feature the churn-risk target of the
``kpis`` step's rule (:func:`csresearch.analysis.kpi.point_target`: the level
where the isotonic churn-risk curve at ``lead_days`` crosses
``kpi_risk_multiple`` times the overall churn rate) and the count and ARR of
current customers on its wrong side (:func:`csresearch.study.lead_time.current_below`,
the function the ``kpis`` step uses). The target's point estimate involves no
random draw, so the KPIs the ``kpis`` step selects appear here with the same
target, count and ARR; the selection itself (the leading features, which needs
the churn-factor model at five leads, about 15 s on the sample) is left to that
step so that this notebook stays fast.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.kpi import KpiThreshold, point_target, side_rates
from ..analysis.results import Interval
from ..analysis.retention import (
    METRICS,
    RetentionResult,
    retention,
    retention_group_plot,
)
from ..contract import DEAR_AXIS
from ..display import display_name
from ..i18n import fmt, t
from ..i18n import label as tl
from ..jsonsafe import json_safe
from ..narrative import describe_target, fmt_money, fmt_pct, retention_story
from .common import attempt
from .lead_time import current_below, current_snapshot, decision_rows
from .protocol import Step, StepResult, StudyContext
from .suppression import suppress_groups

__all__ = ["RetentionStep", "arr_at_risk", "compute_retention", "current_arr", "retention_result"]

AT_RISK_METHOD = ("target = level where the isotonic churn-risk curve at the renewal decision ({lead} days ahead) "
                  "crosses {multiple:g} x the overall churn rate (the kpis step's rule, point estimate); churn rates "
                  "either side per account; current customers = a term in force at as_of, ARR = that term's arr")


def retention_result(ctx: StudyContext) -> RetentionResult:
    """GRR, NRR and logo retention of the context over ``window_months`` (default 12), computed once per context."""
    ds = ctx.ds
    return ctx.cached("retention_result", lambda: retention(
        ds.contracts, ds.extracted_at, accounts=ds.accounts, window_months=int(ctx.param("window_months", 12)),
        n_boot=int(ctx.param("n_bootstrap", 1000)), seed=int(ctx.param("seed", 0))))


def current_arr(ds) -> float:
    """ARR of every term in force at the dataset's as_of (the base the ARR at risk is a share of)."""
    c, now = ds.contracts, ds.extracted_at
    return float(c.loc[(c["term_start"] <= now) & (now < c["term_end"]), "arr"].sum())


def arr_at_risk(ctx: StudyContext) -> list[dict[str, Any]]:
    """Per DEAR feature with a target: direction, target, churn rate either side, current customers and ARR below it.

    Returns
    -------
    list of dict
        Sorted by the ratio of the churn rates on the wrong and the right side
        (the targets that separate risk most first); keys ``feature``,
        ``direction``, ``threshold``, ``churn_rate_wrong_side``,
        ``churn_rate_right_side``, ``accounts_below_now``, ``arr_below_now``,
        ``share_of_current_arr``.
    """
    table = decision_rows(ctx, int(ctx.param("lead_days", 90)))
    multiple = float(ctx.param("kpi_risk_multiple", 1.0))
    y, groups = table["churned"].to_numpy(dtype="float64"), table["account_id"].to_numpy()
    targets, rates = [], {}
    for feature in [f for f in DEAR_AXIS if f in table and table[f].notna().any()]:
        direction, cut = point_target(table[feature], table["churned"], multiple)
        if not np.isfinite(cut):
            continue
        x = pd.to_numeric(table[feature], errors="coerce").to_numpy(dtype="float64")
        keep = np.isfinite(x)
        below, above, _ = side_rates(x[keep], y[keep], groups[keep], cut)
        rates[feature] = (below, above) if direction == "above" else (above, below)
        iv = Interval(cut, None, None, method=AT_RISK_METHOD)
        targets.append(KpiThreshold(feature, direction, iv, iv, iv, float("nan"), multiple=multiple))
    base = current_arr(ctx.ds)
    rows = [{"feature": k.feature, "direction": k.direction, "threshold": k.threshold.estimate,
             "churn_rate_wrong_side": rates[k.feature][0], "churn_rate_right_side": rates[k.feature][1],
             "accounts_below_now": k.accounts_below_now, "arr_below_now": k.arr_below_now,
             "share_of_current_arr": (k.arr_below_now / base) if base > 0 and k.arr_below_now is not None else None}
            for k in current_below(ctx.ds, targets, ctx.param("scorecard"), current_snapshot(ctx))]
    return json_safe(sorted(rows, key=lambda r: -_ratio(r["churn_rate_wrong_side"], r["churn_rate_right_side"])))


def _ratio(wrong: float | None, right: float | None) -> float:
    if wrong is None or right is None or not np.isfinite(wrong) or not np.isfinite(right):
        return -np.inf
    return wrong / right if right > 0 else np.inf


def _group_findings(table: pd.DataFrame, min_group_size: int, include_ids: bool) -> dict[str, Any]:
    """A group table as findings: intervals per measure; groups below ``min_group_size`` only say they are suppressed."""
    out: dict[str, Any] = {}
    for key, row in table.iterrows():
        if not include_ids and row["n_accounts"] < min_group_size:
            out[str(key)] = {"suppressed": True, "reason": f"fewer than {min_group_size} accounts"}
            continue
        entry: dict[str, Any] = {"n_accounts": int(row["n_accounts"]), "arr_then": row["arr_then"], "arr_now": row["arr_now"]}
        for name in METRICS:
            iv = Interval(row[name], row[f"{name}_ci_low"], row[f"{name}_ci_high"])
            entry[name] = (iv.to_dict() if iv.available else
                           Interval.unavailable("the group held no ARR on the window's first day").to_dict())
        out[str(key)] = entry
    return json_safe(out)


class _Plain:
    """A table shown without its index, cells escaped."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def _repr_html_(self) -> str:
        return self.frame.rename(columns=lambda c: tl(str(c))).to_html(index=False, escape=True, border=0, na_rep="")


def _in_words(row: pd.Series, name: str) -> str:
    value = row[name]
    if not isinstance(value, (int, float, np.floating)) or not np.isfinite(value):
        return str(value) if isinstance(value, str) else fmt("na")
    return fmt_pct(value) + fmt("bracket", text=fmt("range", low=fmt_pct(row[f"{name}_ci_low"]),
                                                     high=fmt_pct(row[f"{name}_ci_high"])))


def _money(x: Any) -> str:
    return str(x) if isinstance(x, str) else fmt_money(x)


@dataclass
class RetentionStep(StepResult):
    """Revenue and logo retention over the window, by segment and cohort, and the ARR below each target now.

    Attributes
    ----------
    result : RetentionResult
    at_risk : list of dict or None
        :func:`arr_at_risk`; None with ``at_risk_reason`` when not computable.
    """

    result: RetentionResult
    at_risk: list | None = None
    at_risk_reason: str = ""

    def to_findings(self) -> dict[str, Any]:
        """The retention section of docs/findings.md: measures, ARR moves, groups (suppressed), ARR at risk."""
        out = self.result.to_findings()
        out["by_segment"] = _group_findings(self.result.by_segment, self.ctx.min_group_size, self.ctx.include_ids)
        out["by_cohort"] = _group_findings(self.result.by_cohort, self.ctx.min_group_size, self.ctx.include_ids)
        out["arr_current_customers"] = current_arr(self.ctx.ds)
        out["arr_at_risk_by_kpi"] = self.at_risk if self.at_risk is not None else {"reason": self.at_risk_reason}
        out["arr_at_risk_method"] = AT_RISK_METHOD.format(lead=int(self.ctx.param("lead_days", 90)),
                                                          multiple=float(self.ctx.param("kpi_risk_multiple", 1.0)))
        return out

    def story(self) -> str:
        """The three measures in words, where the ARR went, the segments, and the ARR below the sharpest target."""
        return retention_story(self.result, self.at_risk or [])

    def table(self) -> RetentionResult:
        """The three measures with their intervals."""
        return self.result

    def plot(self, ax=None):
        """GRR, NRR and logo retention with 95% intervals; returns the Axes."""
        return self.result.plot(ax=ax)

    def _groups(self, by: str) -> pd.DataFrame:
        table = self.result.by_segment if by == "segment" else self.result.by_cohort
        rates = [c for c in table.columns if c != "n_accounts"]
        return suppress_groups(table, ["n_accounts"], self.ctx.min_group_size, self.ctx.include_ids, rate_cols=rates)

    def groups_table(self, by: str = "segment") -> _Plain:
        """The measures per segment (``by="segment"``) or signup-year cohort (``"cohort"``), small groups suppressed."""
        table = self._groups(by)
        shown = pd.DataFrame({display_name(by) if by == "segment" else "Signup year": table.index.astype(str),
                              "Accounts": [v if isinstance(v, str) else f"{int(v):,}" for v in table["n_accounts"]],
                              "ARR then": [_money(v) for v in table["arr_then"]],
                              "ARR now": [_money(v) for v in table["arr_now"]],
                              **{METRICS[m]: [_in_words(r, m) for _, r in table.iterrows()] for m in METRICS}})
        return _Plain(shown)

    def groups_plot(self, by: str = "segment", ax=None):
        """The measures per segment or signup-year cohort with 95% intervals (suppressed groups left out); returns the Axes."""
        title = tl("By segment") if by == "segment" else tl("By signup year")
        return retention_group_plot(self._groups(by), ax=ax, title=title)

    def at_risk_table(self) -> Any:
        """Per DEAR feature's target: churn on each side, current customers and their ARR on the wrong side."""
        if self.at_risk is None:
            return _Plain(pd.DataFrame({"ARR at risk": [t("view.not_computable", reason=tl(str(self.at_risk_reason)))]}))
        return _Plain(pd.DataFrame([{
            "Feature": display_name(r["feature"]),
            "Target": describe_target(r["feature"], r["direction"], r["threshold"]),
            "Churn on the wrong side": fmt_pct(r["churn_rate_wrong_side"]),
            "Churn on the right side": fmt_pct(r["churn_rate_right_side"]),
            "Customers on the wrong side now": fmt("na") if r["accounts_below_now"] is None else f"{r['accounts_below_now']:,}",
            "Their ARR": _money(r["arr_below_now"]),
            "Share of current ARR": fmt_pct(r["share_of_current_arr"]),
        } for r in self.at_risk], columns=["Feature", "Target", "Churn on the wrong side", "Churn on the right side",
                                            "Customers on the wrong side now", "Their ARR", "Share of current ARR"]))

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.story())}</p>{self.result._repr_html_()}"


def compute_retention(step: Step, ctx: StudyContext) -> RetentionStep:
    """Retention over ``window_months`` and the ARR on the wrong side of each DEAR target now."""
    result = retention_result(ctx)
    at_risk, reason = attempt(arr_at_risk, ctx)
    return RetentionStep(step, ctx, result, at_risk, reason or "")
