"""Step of notebook 00: what does this dataset hold (validation, coverage, cohorts, decisions, flags)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import plots
from ..analysis.audit import DataAudit, audit_dataset
from ..i18n import label as tl
from ..narrative import audit_story
from .protocol import Shown, Step, StepResult, StudyContext
from .suppression import mask_small_counts, suppress_groups
from .view import INDEX, Table, show_table

_COVERAGE = {"usage_monthly_rows": "Usage rows", "engagement_rows": "Engagement rows", "roi_rows": "ROI rows",
             "accounts_in_contract": "Accounts under contract"}

__all__ = ["AuditStep", "compute_audit"]


@dataclass
class AuditStep(StepResult):
    """The data audit of the dataset a run analyses.

    Attributes
    ----------
    audit : DataAudit
    """

    audit: DataAudit

    def to_findings(self) -> dict[str, Any]:
        """Decisions, churn per decision, validity and data-quality flags."""
        return self.audit.to_findings()

    def story(self) -> str:
        """Decisions, churn rate per decision and the data-quality warnings in one paragraph."""
        return audit_story(self.audit)

    def validation(self) -> Shown:
        """Whether the data satisfies the contract, and the rows per table."""
        lines = self.audit.validation.format_text().splitlines() if self.audit.validation is not None else []
        table = show_table(self.audit.summary, [("Table", INDEX, "text"), ("Rows", "rows", "count"),
                                                ("Derived from another table", "derived", "yesno"),
                                                ("Text encoding", "encoding", "text")])
        return Shown(lines[0] if lines else None, table)

    def coverage_plot(self, ax=None):
        """Rows per table and accounts under contract per month (log scale); returns the Axes."""
        if ax is None:
            ax = plots.figure(height=3.6, width=plots.MAX_WIDTH_IN)[1][0, 0]
        ax = self.audit.coverage.rename(columns={k: tl(v) for k, v in _COVERAGE.items()}).plot(logy=True, ax=ax)
        ax.set_ylabel(tl("rows or accounts (log scale)"))
        ax.set_xlabel(tl("month"))
        return ax

    def coverage(self) -> Table:
        """The last 13 months of coverage."""
        tail = self.audit.coverage.tail(13)
        tail = tail.set_axis(pd.DatetimeIndex(tail.index).strftime("%Y-%m"), axis=0)
        return show_table(tail, [("Month", INDEX, "text"), *[(v, k, "count") for k, v in _COVERAGE.items() if k in tail]])

    def cohorts(self) -> Table:
        """Accounts by segment and signup cohort, small cells masked."""
        table = mask_small_counts(self.audit.cohorts, self.ctx.min_group_size, self.ctx.include_ids)
        return show_table(table, [("Segment", INDEX, "text"),
                                  *[(str(c).capitalize(), c, "count") for c in table.columns]])

    def churn_rates(self) -> Shown:
        """Renewal decisions and churn rate by year and by renewal number, small groups suppressed."""
        size, ids = self.ctx.min_group_size, self.ctx.include_ids
        cols = [("Decisions", "decisions", "count"), ("Churned", "churned", "count"),
                ("Churn rate (95% CI)", ("churn_rate", "ci_low", "ci_high"), "share")]
        return Shown(show_table(suppress_groups(self.audit.churn_by_year, ["decisions"], size, ids),
                                [("Year of the decision", INDEX, "text"), *cols]),
                     show_table(suppress_groups(self.audit.churn_by_renewal, ["decisions"], size, ids),
                                [("Renewal number", INDEX, "text"), *cols]))

    def flags(self) -> Table:
        """The data-quality flags with their meaning."""
        flags = self.audit.flags.assign(flag=self.audit.flags["flag"].astype(str).str.replace("_", " "))
        return show_table(flags, [("Flag", "flag", "text"), ("Count", "count", "count"), ("Share", "share", "share"),
                                  ("Severity", "severity", "text"), ("Meaning", "meaning", "text")])


def compute_audit(step: Step, ctx: StudyContext) -> AuditStep:
    """Audit the context's dataset (:func:`csresearch.analysis.audit.audit_dataset`)."""
    return AuditStep(step, ctx, audit_dataset(ctx.ds))
