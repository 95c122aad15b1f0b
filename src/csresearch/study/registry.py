"""The study's steps, declared once: findings section, question, notebook, computation, headline.

This registry is the one place the suite's findings sections are named. The
runner learns from it which sections a notebook writes, findings.json is
ordered by it, its required steps must be present (or said missing), and the
index shows each step's heading with the headline built from its section.

To add a step, copy a neighbour: a compute function returning a
:class:`~csresearch.study.protocol.StepResult` (in the study module of its
topic), a headline function in :mod:`csresearch.narrative`, and a
:func:`~csresearch.study.protocol.register` call here; then call
``study.run("<name>", ctx)`` from its notebook and add the section to
``findings_schema.json`` if it has required keys.
"""

from __future__ import annotations

from .. import answers, narrative, summary_figures
from .audit import compute_audit
from .churn import compute_churn_factors, compute_churned_accounts, compute_kpis
from .kpi_tree import compute_kpi_tree
from .lead_time import compute_lead_time
from .onboarding import compute_onboarding_churn, compute_onboarding_health
from .peers import compute_adoption_purpose, compute_peer_benchmarks
from .protocol import Step, register
from .retention import compute_retention
from .validity import compute_continuing_trends, compute_health_validity

__all__ = ["SUITE_STEPS"]

SUITE_STEPS = (
    Step("data_audit", "", "What does this dataset hold, and can it be trusted?",
         "00_data_audit", compute_audit, required=False),
    Step("onboarding_vs_churn", "Onboarding and churn", "Does failing onboarding make accounts churn?",
         "01_onboarding_vs_churn", compute_onboarding_churn, narrative.onboarding_churn_headline,
         answer=answers.onboarding_churn_answer, uses=("data_audit",), figure=summary_figures.onboarding_churn_figure,
         segments=answers.onboarding_churn_segments),
    Step("onboarding_vs_health", "Onboarding and later health",
         "Are accounts that failed onboarding less healthy a year later?",
         "02_onboarding_vs_health", compute_onboarding_health, narrative.onboarding_health_headline,
         answer=answers.onboarding_health_answer, actions=answers.onboarding_health_actions,
         uses=("onboarding_vs_churn",), figure=summary_figures.onboarding_health_figure,
         segments=answers.onboarding_health_segments),
    Step("health_validity", "Does the health score mean anything?",
         "Does the health score rise with tenure and predict the next renewal?",
         "03_health_score_validity", compute_health_validity, narrative.health_validity_headline,
         answer=answers.health_validity_answer, actions=answers.health_validity_actions),
    Step("continuing_trends", "Continuing accounts over tenure",
         "How do accounts that stay change with tenure?",
         "04_continuing_accounts", compute_continuing_trends, narrative.continuing_trends_headline,
         answer=answers.continuing_trends_answer),
    Step("churned_accounts", "What moves first before churn", "Which component moves first before an account churns?",
         "05_churned_accounts", compute_churned_accounts, narrative.churned_accounts_headline, required=False,
         answer=answers.churned_accounts_answer, actions=answers.churned_accounts_actions,
         figure=summary_figures.churned_accounts_figure),
    Step("churn_factors", "What predicts churn", "Which factors predict churn at the renewal decision?",
         "06_churn_factors_kpis", compute_churn_factors, narrative.churn_factors_headline,
         answer=answers.churn_factors_answer, figure=summary_figures.churn_factors_figure),
    Step("kpis", "KPIs to manage to", "Which levels should the CS team manage to?",
         "06_churn_factors_kpis", compute_kpis, narrative.kpis_headline, actions=answers.kpi_actions),
    Step("kpi_tree", "KPI tree", "How much churn would fall if every team met its KPI targets?",
         "06_churn_factors_kpis", compute_kpi_tree, narrative.kpi_tree_headline, required=False),
    Step("lead_time", "How far ahead churn shows", "How far ahead of the renewal decision can churn be seen?",
         "06_churn_factors_kpis", compute_lead_time, narrative.lead_time_headline, required=False),
    Step("retention", "Retention", "How much revenue and how many customers do we keep?",
         "07_retention", compute_retention, narrative.retention_headline, required=False,
         answer=answers.retention_answer, actions=answers.retention_actions, figure=summary_figures.retention_figure,
         segments=answers.retention_segments),
    Step("peer_benchmarks", "Peer benchmarks", "Do accounts that trail their peers churn more?",
         "08_peers_and_purpose", compute_peer_benchmarks, narrative.peer_headline, required=False),
    Step("adoption_purpose", "Purpose of purchase", "Do churn and health differ by why the customer bought?",
         "08_peers_and_purpose", compute_adoption_purpose, narrative.purpose_headline, required=False),
)

for _step in SUITE_STEPS:
    register(_step)
