"""Health definitions side by side: weighted scorecards, worst-of scorecards and rules, one interface.

A *health definition* turns canonical features into a 0-100 score per row,
higher = healthier: a weighted DEAR scorecard (:class:`Scorecard`), the same
scorecard combined by its weakest component (``combine: worst_of``), or a
boolean rule (:class:`~csresearch.health.rules.HealthRule`: 100 healthy, 0 not).
One YAML format holds all three: a file with ``rule`` is a rule, any other is
a scorecard (docs/health-score.md).

The built-in set (:func:`health_definitions`) is the DEAR score, its weakest
component and Box's 50/80 healthy customer; a run adds the user's own files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..display import DEFINITION_NAMES, display_name
from ..errors import InputError
from .rules import HealthRule, build_rule
from .score import HealthScore
from .scorecard import Scorecard, load_scorecard, read_yaml, shipped_path

__all__ = ["HealthDefinition", "box_50_80_path", "health_definitions", "load_definition"]

KINDS = ("scorecard", "worst_of", "rule")


def box_50_80_path() -> Path:
    """Path of the built-in Box 50/80 rule (``box_50_80.yml``)."""
    return shipped_path("box_50_80.yml")


@dataclass(frozen=True)
class HealthDefinition:
    """One way of saying how healthy an account is.

    Attributes
    ----------
    name : str
        Identifier (``dear``, ``dear_worst_of``, ``box_50_80`` or the file's ``name``).
    kind : {"scorecard", "worst_of", "rule"}
        Weighted scorecard, scorecard combined by its weakest component, or boolean rule.
    spec : Scorecard or HealthRule
        The validated definition.
    label : str
        Human name for reports.
    """

    name: str
    kind: str
    spec: Any
    label: str

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """0-100 per row of ``X`` (canonical feature columns, optionally ``segment``); NaN where unknown."""
        if isinstance(self.spec, HealthRule):
            return self.spec.score(X)
        return HealthScore(self.spec).transform(X)["health_score"].to_numpy(dtype="float64")

    def features(self) -> list[str]:
        """The canonical features the definition reads."""
        if isinstance(self.spec, HealthRule):
            return self.spec.condition.features()
        return [f for f, r in self.spec.rules.items() if r.weight > 0]

    def describe(self) -> str:
        """The definition in one line (the rule's condition, or the scorecard's features and composite)."""
        if isinstance(self.spec, HealthRule):
            return "healthy when " + self.spec.condition.describe()
        how = "lowest component" if self.kind == "worst_of" else "weighted mean of the components"
        return f"{how} of {len(self.features())} scored features"


def _wrap(spec: Scorecard | HealthRule, name: str | None = None) -> HealthDefinition:
    kind = "rule" if isinstance(spec, HealthRule) else ("worst_of" if spec.combine == "worst_of" else "scorecard")
    name = name or spec.name
    return HealthDefinition(name, kind, spec, DEFINITION_NAMES.get(name) or display_name(name))


def load_definition(spec: str | Path | Mapping[str, Any] | Scorecard | HealthRule) -> HealthDefinition:
    """Read and validate one health definition: a YAML path or dict with ``rule`` (a rule) or a scorecard.

    Raises
    ------
    InputError
        Missing file, bad YAML, or every problem of the definition at once.
    """
    if isinstance(spec, (Scorecard, HealthRule)):
        return _wrap(spec)
    if isinstance(spec, Mapping):
        raw, source = spec, "dict"
    elif isinstance(spec, (str, Path)):
        raw, source = read_yaml(spec), str(spec)
    else:
        raise InputError(f"a health definition must be a YAML path or a dict, got {type(spec).__name__}")
    if "rule" in raw:
        return _wrap(build_rule(raw, source))
    return _wrap(load_scorecard(raw if source == "dict" else Path(source)))


def health_definitions(scorecard: Any = None, extra: Iterable[Any] = ()) -> list[HealthDefinition]:
    """The built-in definitions (DEAR on ``scorecard``, its weakest component, Box 50/80) plus ``extra``.

    Parameters
    ----------
    scorecard : str, Path, dict, Scorecard or None
        The DEAR scorecard (None = the shipped default).
    extra : iterable
        Further definitions (YAML paths, dicts, scorecards or rules).

    Returns
    -------
    list of HealthDefinition
        ``dear`` first; names are unique (a repeated name raises).

    Raises
    ------
    InputError
        A definition is invalid or two share a name.
    """
    dear = load_scorecard(scorecard)
    out = [_wrap(replace(dear, combine="weighted_mean"), "dear"),
           _wrap(replace(dear, combine="worst_of", segments={s: replace(c, combine="worst_of")
                                                             for s, c in dear.segments.items()}), "dear_worst_of"),
           _wrap(build_rule(read_yaml(box_50_80_path()), "box_50_80.yml"))]
    out += [load_definition(e) for e in extra]
    names = [d.name for d in out]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"health definitions need distinct names; repeated: {', '.join(repeated)} "
                         "(set a different 'name' in the YAML file)")
    return out
