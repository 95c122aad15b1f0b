"""Statistics for the reference study: intervals, survival, comparisons, trends.

Every analysis returns a small result dataclass with a ``summary`` DataFrame, a
stated ``method``, ``_repr_html_`` for notebooks and ``to_findings()`` producing
its findings.json section. Every estimate is an :class:`Interval`. Submodules
(``intervals``, ``survival``, ``comparison``, ``association``, ``trends``,
``trajectories``) are imported on first use so that importing this package
stays light; see docs/statistics.md for the methods.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .results import AnalysisResult, Interval, intervals_frame

_LAZY = {
    "compare_aucs": "score_comparison",
    "compare_rank_correlations": "score_comparison",
    "ScoreComparison": "score_comparison",
    "wilson_interval": "intervals",
    "newcombe_difference": "intervals",
    "risk_ratio_katz": "intervals",
    "bootstrap_interval": "intervals",
    "bh_qvalues": "intervals",
    "kaplan_meier": "survival",
    "risk_difference_at": "survival",
    "logrank_test": "survival",
    "min_detectable_difference": "survival",
    "onboarding_vs_churn": "survival",
    "churn_by_renewal": "survival",
    "compare_groups": "comparison",
    "adjusted_churn": "causal",
    "e_value_pair": "causal",
    "weighted_comparison": "causal_health",
    "e_value": "weighting",
    "weighted_km": "weighting",
    "spearman_with_bootstrap": "association",
    "auc_with_interval": "association",
    "calibration_by_decile": "association",
    "within_cohort_spearman": "association",
    "slopes_per_year": "trends",
    "median_trajectories": "trends",
    "aligned_trajectories": "trajectories",
    "matched_sample": "trajectories",
    "first_separation": "trajectories",
    "paired_event_study": "event_study",
    "retention_frame": "retention",
    "retention_rates": "retention",
    "point_target": "kpi",
}

__all__ = ["AnalysisResult", "Interval", "intervals_frame", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'csresearch.analysis' has no attribute {name!r}")
