"""The study: one registered step per question, run the same way from every notebook.

A notebook opens a :class:`StudyContext` with :func:`open` (the dataset cut at
``as_of`` and the notebook's parameters) and runs steps by name with
:func:`run`; each returns a result that shows its answer in words, its tables
and its plots, or an :class:`Unavailable` that says why the data cannot answer.
The steps are declared once in :mod:`csresearch.study.registry`:

======================  ====================================================
notebook                steps (findings sections)
======================  ====================================================
00_data_audit           data_audit
01_onboarding_vs_churn  onboarding_vs_churn
02_onboarding_vs_health onboarding_vs_health
03_health_score_validity health_validity
04_continuing_accounts  continuing_trends
05_churned_accounts     churned_accounts
06_churn_factors_kpis   churn_factors, kpis, kpi_tree, lead_time
07_retention            retention
08_peers_and_purpose    peer_benchmarks, adoption_purpose
======================  ====================================================

The building blocks each step uses (decision tables, panels, comparisons) stay
importable for analyses of your own.
"""

from __future__ import annotations

from . import registry  # noqa: F401 - declares the suite's steps
from .churn import DecisionTrajectories, churn_factor_analysis, decision_trajectories, trajectories_findings
from .common import attempt, dataset_as_of, load_study_dataset, resolve_path, write_section
from .onboarding import (
    churn_by_renewal_number,
    dear_features,
    onboarding_churn,
    onboarding_health_snapshot,
    onboarding_vs_health,
    renewal_decisions,
)
from .protocol import Step, StepResult, StudyContext, Unavailable, get_step, register, run, steps
from .protocol import open_study as open  # noqa: A004 - `study.open(...)` reads as intended in a notebook
from .suppression import mask_small_counts, suppress_groups
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
    "Step",
    "StepResult",
    "StudyContext",
    "Unavailable",
    "attempt",
    "churn_by_renewal_number",
    "churn_factor_analysis",
    "continuing_panel",
    "continuing_trends",
    "dataset_as_of",
    "dear_features",
    "decision_trajectories",
    "get_step",
    "health_vs_tenure",
    "load_study_dataset",
    "mask_small_counts",
    "next_renewal_auc",
    "onboarding_churn",
    "onboarding_health_snapshot",
    "onboarding_vs_health",
    "open",
    "register",
    "renewal_decisions",
    "resolve_path",
    "run",
    "steps",
    "suppress_groups",
    "tenure_health_panel",
    "trajectories_findings",
    "write_section",
]
