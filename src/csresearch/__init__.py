"""csresearch: what actually predicts churn?

A research suite for customer-success data science on B2B SaaS data: load and
validate a dataset against the data contract, build as-of-safe features and the
DEAR health score, and run the reference-study analyses.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module
from typing import Any

from .dataset import Dataset, load_dataset
from .errors import CsResearchError, DataContractError, InputError
from .violations import ValidationReport, Violation

__version__ = "0.1.0"

# Heavier parts are imported on first use so that `import csresearch` stays fast.
_LAZY = {
    "usage_from_events": "csresearch.events",
    "build_features": "csresearch.features",
    "HealthScore": "csresearch.health",
    "decision_table": "csresearch.tables",
    "snapshot_table": "csresearch.tables",
    "generate_dataset": "csresearch.synth",
    "analyze_factors": "csresearch.factors",
}

__all__ = [
    "CsResearchError",
    "DataContractError",
    "Dataset",
    "InputError",
    "ValidationReport",
    "Violation",
    "load_dataset",
    *_LAZY,
]


def _submodules() -> set[str]:
    return {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")} - {"notebooks"}


def __dir__() -> list[str]:
    """Public names, lazily loaded ones and submodules included, for ``dir()`` and tab completion."""
    return sorted(set(__all__) | _submodules() | {"__version__"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if not name.startswith("_") and name in _submodules():
        return import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'csresearch' has no attribute {name!r}")
