"""The DEAR health score: a scorecard of canonical features and an estimator that applies it.

:class:`HealthScore` turns canonical features (Deployment, Engagement, Adoption,
ROI) into 0-100 component scores and a composite ``health_score``; its
:meth:`~HealthScore.fit` learns component weights from renewal outcomes to
compare with the expert weights. :func:`load_scorecard` reads and validates a
scorecard; the default one ships as ``default_scorecard.yml``
(docs/health-score.md).
"""

from __future__ import annotations

from .scorecard import COMPONENTS, FeatureRule, Scorecard, default_scorecard_path, load_scorecard
from .score import HealthScore, MissingFeatureWarning, WeightComparison

__all__ = [
    "COMPONENTS",
    "FeatureRule",
    "HealthScore",
    "MissingFeatureWarning",
    "Scorecard",
    "WeightComparison",
    "default_scorecard_path",
    "load_scorecard",
]
