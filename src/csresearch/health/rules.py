"""Rule-based health definitions: an account is healthy when a condition on canonical features holds.

A rule is a YAML file (or dict) with ``name``, an optional ``description`` and
``rule``, one *condition*::

    name: box_50_80
    rule:
      all:
        - seat_utilisation_3m: {above: 0.5}
        - seat_deployment_term: {above: 0.8}

A condition is a mapping with exactly one key:

* ``all: [conditions]`` holds when every listed condition holds;
* ``any: [conditions]`` holds when at least one holds;
* ``not: condition`` holds when the condition does not;
* ``<canonical feature>: {above|at_least|below|at_most: number, ...}`` holds
  when the feature's value is ``>``, ``>=``, ``<``, ``<=`` the number (several
  bounds must all hold, e.g. ``{at_least: 7, at_most: 8}``).

Missing values follow three-valued (Kleene) logic: a bound on a missing value
is *unknown*; ``all`` is false as soon as one part is false, ``any`` true as
soon as one part is true, otherwise unknown; ``not`` keeps unknown. An account
whose rule is unknown gets no score (NaN), never "unhealthy", unless the file
says ``missing: unhealthy`` (then an unknown rule scores 0). Every problem of a
file is reported at once (:class:`~csresearch.health.scorecard.Problems`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..contract import CANONICAL_FEATURES
from .score import MissingFeatureWarning
from .scorecard import Problems

__all__ = ["BOUNDS", "Condition", "HealthRule", "build_rule"]

#: Bound keyword -> (comparison, symbol).
BOUNDS = {"above": (np.greater, ">"), "at_least": (np.greater_equal, ">="), "below": (np.less, "<"),
          "at_most": (np.less_equal, "<=")}
_COMBINERS = ("all", "any", "not")
_TOP_KEYS = {"name", "description", "rule", "missing"}
#: What an account whose rule is unknown (missing values) counts as.
MISSING = ("unknown", "unhealthy")


@dataclass(frozen=True)
class Condition:
    """One node of a rule: ``all``/``any``/``not`` of children, or bounds on one feature.

    Attributes
    ----------
    kind : {"all", "any", "not", "feature"}
    feature : str
        The feature of a ``feature`` node ("" otherwise).
    bounds : tuple of (str, float)
        (bound keyword, number) pairs of a ``feature`` node.
    children : tuple of Condition
        Parts of an ``all``/``any``/``not`` node.
    """

    kind: str
    feature: str = ""
    bounds: tuple[tuple[str, float], ...] = ()
    children: tuple[Condition, ...] = ()

    def evaluate(self, X: pd.DataFrame) -> np.ndarray:
        """1.0 where the condition holds, 0.0 where it does not, NaN where unknown (missing values)."""
        if self.kind == "feature":
            if self.feature not in X.columns:
                return np.full(len(X), np.nan)
            x = pd.to_numeric(X[self.feature], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            holds = np.ones(len(X), dtype=bool)
            for op, value in self.bounds:
                holds &= BOUNDS[op][0](x, value)
            return np.where(np.isnan(x), np.nan, holds.astype("float64"))
        parts = np.vstack([c.evaluate(X) for c in self.children])
        unknown = np.isnan(parts).any(axis=0)
        if self.kind == "not":
            return 1.0 - parts[0]
        decisive = 0.0 if self.kind == "all" else 1.0  # one false part decides all, one true part decides any
        return np.where((parts == decisive).any(axis=0), decisive, np.where(unknown, np.nan, 1.0 - decisive))

    def features(self) -> list[str]:
        """The features the condition reads, in order of appearance, each once."""
        if self.kind == "feature":
            return [self.feature]
        return list(dict.fromkeys(f for c in self.children for f in c.features()))

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        """The condition in words, e.g. ``(seat_utilisation_3m > 0.5) and (...)``; ``names`` renames features."""
        if self.kind == "feature":
            name = (names or {}).get(self.feature, self.feature)
            return " and ".join(f"{name} {BOUNDS[op][1]} {value:g}" for op, value in self.bounds)
        if self.kind == "not":
            return f"not ({self.children[0].describe(names)})"
        return f" {'and' if self.kind == 'all' else 'or'} ".join(f"({c.describe(names)})" for c in self.children)


@dataclass(frozen=True)
class HealthRule:
    """A validated rule-based health definition.

    Attributes
    ----------
    name : str
    description : str
    condition : Condition
    source : str
        File path or ``"dict"``, for messages.
    missing : {"unknown", "unhealthy"}
        What an account whose rule is unknown counts as: no score, or unhealthy (0).
    """

    name: str
    description: str
    condition: Condition
    source: str = "dict"
    missing: str = "unknown"

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """100 where the account is healthy, 0 where not, NaN where the rule is unknown."""
        missing = [f for f in self.condition.features() if f not in X.columns]
        if missing:
            warnings.warn(f"health rule {self.name}: features absent from the input, treated as unknown: "
                          f"{', '.join(missing)}", MissingFeatureWarning, stacklevel=2)
        healthy = self.condition.evaluate(X)
        if self.missing == "unhealthy":
            healthy = np.where(np.isnan(healthy), 0.0, healthy)
        return healthy * 100.0


def _feature_node(feature: str, spec: Any, key: str, problems: Problems) -> Condition | None:
    if feature not in CANONICAL_FEATURES:
        problems.add(key, f"unknown feature or combiner {feature!r}; use all, any, not or a canonical feature: "
                     f"{', '.join(CANONICAL_FEATURES)}")
        return None
    if not isinstance(spec, Mapping) or not spec:
        problems.add(key, f"must be a mapping of bounds, e.g. {{above: 0.5}}; bounds: {', '.join(BOUNDS)}")
        return None
    bounds = []
    for op, value in spec.items():
        if op not in BOUNDS:
            problems.add(f"{key}.{op}", f"unknown bound; use {', '.join(BOUNDS)}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            problems.add(f"{key}.{op}", f"must be a finite number, got {value!r}")
        else:
            bounds.append((str(op), float(value)))
    return Condition("feature", feature=feature, bounds=tuple(bounds)) if len(bounds) == len(spec) else None


def _condition(raw: Any, key: str, problems: Problems) -> Condition | None:
    """Parse one condition, recording every problem below it."""
    if not isinstance(raw, Mapping) or len(raw) != 1:
        problems.add(key, "a condition is a mapping with exactly one key: all, any, not or a canonical feature")
        return None
    (head, body), = raw.items()
    if head not in _COMBINERS:
        return _feature_node(str(head), body, f"{key}.{head}", problems)
    if head == "not":
        child = _condition(body, f"{key}.not", problems)
        return None if child is None else Condition("not", children=(child,))
    if not isinstance(body, list) or not body:
        problems.add(f"{key}.{head}", "must be a non-empty list of conditions")
        return None
    children = [_condition(c, f"{key}.{head}[{i}]", problems) for i, c in enumerate(body)]
    return None if any(c is None for c in children) else Condition(str(head), children=tuple(children))


def build_rule(raw: Mapping[str, Any], source: str) -> HealthRule:
    """Validate the mapping of a rule definition (every problem at once).

    Raises
    ------
    InputError
        Listing every unknown key, feature or bound, non-numeric threshold
        and malformed condition, each with its key path
        (e.g. ``rule.all[1].seat_deployment_term.above``).
    """
    problems = Problems("health rule", source)
    for bad in sorted(set(raw) - _TOP_KEYS):
        problems.add(bad, f"unknown key; allowed: {', '.join(sorted(_TOP_KEYS))}")
    condition = _condition(raw.get("rule"), "rule", problems)
    missing = raw.get("missing", "unknown")
    if missing not in MISSING:
        problems.add("missing", f"must be one of {', '.join(MISSING)}, got {missing!r}")
    problems.check()
    return HealthRule(str(raw.get("name", "rule")), str(raw.get("description", "")).strip(), condition, source,
                      missing)
