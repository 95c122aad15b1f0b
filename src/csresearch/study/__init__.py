"""Thin orchestration for the analysis notebooks: one function per notebook step.

Each function assembles a step's inputs from a :class:`~csresearch.Dataset`
(analysis tables at the right as_of points) and calls the statistics library
(:mod:`csresearch.analysis`); the notebooks stay short cells of calls, plots
and generated prose (:mod:`csresearch.narrative`).

======================  ===============================================
notebook                steps
======================  ===============================================
00_data_audit           :func:`csresearch.analysis.audit.audit_dataset`
01_onboarding_vs_churn  :func:`onboarding_churn`, :func:`churn_by_renewal_number`
02_onboarding_vs_health :func:`onboarding_health_snapshot`, :func:`onboarding_vs_health`
03_health_score_validity :func:`tenure_health_panel`, :func:`health_vs_tenure`, :func:`next_renewal_auc`
04_continuing_accounts  :func:`continuing_panel`, :func:`continuing_trends`
05_churned_accounts     :func:`decision_trajectories`, :func:`trajectories_findings`
06_churn_factors_kpis   :func:`churn_factor_analysis`
======================  ===============================================
"""

from __future__ import annotations

from .churn import DecisionTrajectories, churn_factor_analysis, decision_trajectories, trajectories_findings
from .common import (
    attempt,
    dataset_as_of,
    load_study_dataset,
    mask_small_counts,
    resolve_path,
    write_section,
    suppress_groups,
)
from .onboarding import (
    churn_by_renewal_number,
    dear_features,
    onboarding_churn,
    onboarding_health_snapshot,
    onboarding_vs_health,
    renewal_decisions,
)
from .validity import (
    HealthTenure,
    continuing_panel,
    continuing_trends,
    health_vs_tenure,
    next_renewal_auc,
    tenure_health_panel,
)

__all__ = [
    "DecisionTrajectories",
    "HealthTenure",
    "attempt",
    "churn_by_renewal_number",
    "churn_factor_analysis",
    "continuing_panel",
    "continuing_trends",
    "dataset_as_of",
    "dear_features",
    "decision_trajectories",
    "health_vs_tenure",
    "load_study_dataset",
    "mask_small_counts",
    "next_renewal_auc",
    "onboarding_churn",
    "onboarding_health_snapshot",
    "onboarding_vs_health",
    "renewal_decisions",
    "resolve_path",
    "write_section",
    "suppress_groups",
    "tenure_health_panel",
    "trajectories_findings",
]
