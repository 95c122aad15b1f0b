"""Step of notebook 00: what does this dataset hold (validation, coverage, cohorts, decisions, flags)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..analysis.audit import DataAudit, audit_dataset
from ..narrative import audit_story
from .protocol import Shown, Step, StepResult, StudyContext
from .suppression import mask_small_counts, suppress_groups

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
        return Shown(lines[0] if lines else None, self.audit.summary)

    def coverage_plot(self, ax=None):
        """Rows per table and accounts under contract per month (log scale); returns the Axes."""
        ax = self.audit.coverage.plot(figsize=(9, 3.5), logy=True, ax=ax)
        ax.set_ylabel("rows or accounts (log scale)")
        return ax

    def coverage(self):
        """The last 13 months of coverage."""
        return self.audit.coverage.tail(13)

    def cohorts(self):
        """Accounts by segment and signup cohort, small cells masked."""
        return mask_small_counts(self.audit.cohorts, self.ctx.min_group_size, self.ctx.include_ids)

    def churn_rates(self) -> Shown:
        """Renewal decisions and churn rate by year and by renewal number, small groups suppressed."""
        size, ids = self.ctx.min_group_size, self.ctx.include_ids
        return Shown(suppress_groups(self.audit.churn_by_year, ["decisions"], size, ids),
                     suppress_groups(self.audit.churn_by_renewal, ["decisions"], size, ids))

    def flags(self):
        """The data-quality flags with their meaning."""
        return self.audit.flags


def compute_audit(step: Step, ctx: StudyContext) -> AuditStep:
    """Audit the context's dataset (:func:`csresearch.analysis.audit.audit_dataset`)."""
    return AuditStep(step, ctx, audit_dataset(ctx.ds))
