"""The DEAR health score: a scorecard of canonical features and an estimator that applies it.

:class:`HealthScore` turns canonical features (Deployment, Engagement, Adoption,
ROI) into 0-100 component scores and a composite ``health_score``; its
:meth:`~HealthScore.fit` learns component weights from renewal outcomes to
compare with the expert weights. :func:`load_scorecard` reads and validates a
scorecard; the default one ships as ``default_scorecard.yml``
(docs/health-score.md). Besides weighted scorecards, a health definition may
be a worst-of scorecard or a boolean rule (:mod:`.rules`, :mod:`.definitions`);
Box's 50/80 healthy customer ships as ``box_50_80.yml``.
"""

from __future__ import annotations

from .scorecard import COMPONENTS, FeatureRule, Scorecard, default_scorecard_path, load_scorecard
from .score import HealthScore, MissingFeatureWarning, WeightComparison
from .rules import Condition, HealthRule, build_rule
from .definitions import HealthDefinition, box_50_80_path, health_definitions, load_definition

__all__ = [
    "COMPONENTS",
    "Condition",
    "HealthDefinition",
    "HealthRule",
    "box_50_80_path",
    "build_rule",
    "health_definitions",
    "load_definition",
    "FeatureRule",
    "HealthScore",
    "MissingFeatureWarning",
    "Scorecard",
    "WeightComparison",
    "default_scorecard_path",
    "load_scorecard",
]
