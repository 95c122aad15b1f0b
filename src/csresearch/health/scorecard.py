"""The health scorecard: how each canonical feature becomes a 0-100 score.

A scorecard is a YAML file (or the equivalent dict) with these keys::

    name: default
    combine: weighted_mean         # optional: or worst_of (the lowest component)
    component_weights: {deployment: 35, engagement: 20, adoption: 35, roi: 10}
    features:
      seat_utilisation_3m:
        component: deployment      # optional: defaults to the feature's DEAR axis
        weight: 3                  # weight within the component, >= 0
        direction: higher          # higher | lower: which way is better
        linear: {low: 0.2, high: 0.8}
      nps_last:
        weight: 2
        direction: higher
        bands: {cuts: [7, 9], scores: [0, 50, 100]}
    segments:                      # optional overrides by accounts.segment
      enterprise:
        features:
          seat_utilisation_3m: {linear: {low: 0.3, high: 0.9}}

Scoring rules (see docs/health-score.md):

* ``linear``: 0 at or beyond the bad bound, 100 at or beyond the good bound,
  straight line between (clipped). ``low < high`` always; ``direction`` says
  which bound is good (``higher``: high is good, ``lower``: low is good).
* ``bands``: strictly increasing ``cuts`` split the value axis into
  ``len(cuts) + 1`` bands ``(-inf, c1), [c1, c2), ..., [ck, inf)``; ``scores``
  gives the score of each band in that (ascending value) order and must never
  move against ``direction``. When ``scores`` is omitted the bands are spread
  evenly from 0 to 100 in the direction.

Weights need not sum to anything: they are normalised over what is available.
Every malformed entry raises :class:`~csresearch.errors.InputError` naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import yaml

from ..contract import CANONICAL_FEATURES, DEAR_AXIS
from ..errors import InputError

__all__ = ["COMBINES", "COMPONENTS", "FeatureRule", "Problems", "Scorecard", "default_scorecard_path", "load_scorecard",
           "read_yaml"]

#: The four DEAR components, in output order.
COMPONENTS = ("deployment", "engagement", "adoption", "roi")
DIRECTIONS = ("higher", "lower")
_TOP_KEYS = {"name", "description", "component_weights", "features", "segments", "combine"}
#: How the components make the composite: their weighted mean, or the weakest of them.
COMBINES = ("weighted_mean", "worst_of")
_FEATURE_KEYS = {"component", "weight", "direction", "linear", "bands", "why"}
_SEGMENT_KEYS = {"component_weights", "features"}


def shipped_path(name: str) -> Path:
    """Path of a definition file shipped with csresearch in ``csresearch/health`` (e.g. ``box_50_80.yml``)."""
    return Path(str(resources.files("csresearch.health").joinpath(name)))


def default_scorecard_path() -> Path:
    """Path of the scorecard shipped with csresearch (``default_scorecard.yml``)."""
    return shipped_path("default_scorecard.yml")


@dataclass(frozen=True)
class FeatureRule:
    """How one feature is scored.

    Parameters
    ----------
    feature : str
        Canonical feature name.
    component : str
        DEAR component it counts towards.
    weight : float
        Weight within the component (>= 0).
    direction : {"higher", "lower"}
        Whether higher or lower values are better.
    kind : {"linear", "bands"}
        Scoring rule.
    low, high : float, optional
        Bounds of a linear rule (``low < high``).
    cuts, scores : tuple of float, optional
        Band cut points (ascending) and band scores (ascending value order).
    """

    feature: str
    component: str
    weight: float
    direction: str
    kind: str
    low: float | None = None
    high: float | None = None
    cuts: tuple[float, ...] = ()
    scores: tuple[float, ...] = ()

    def score(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Score ``values`` 0-100 by this rule; missing values stay NaN (never 0)."""
        x = np.asarray(values, dtype="float64")
        if self.kind == "linear":
            s = np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0) * 100.0
            if self.direction == "lower":
                s = 100.0 - s
        else:
            idx = np.searchsorted(np.asarray(self.cuts), x, side="right")
            s = np.asarray(self.scores)[np.minimum(idx, len(self.scores) - 1)]
        return np.where(np.isnan(x), np.nan, s)

    def describe(self) -> str:
        """The rule in words, e.g. ``linear 0.2 -> 0, 0.8 -> 100``."""
        if self.kind == "linear":
            bad, good = (self.low, self.high) if self.direction == "higher" else (self.high, self.low)
            return f"linear: {bad:g} or worse -> 0, {good:g} or better -> 100"
        edges = ["-inf", *(f"{c:g}" for c in self.cuts), "inf"]
        bands = [f"[{edges[i]}, {edges[i + 1]}) -> {s:g}" for i, s in enumerate(self.scores)]
        return "bands: " + "; ".join(bands)


@dataclass(frozen=True)
class Scorecard:
    """A validated scorecard.

    Attributes
    ----------
    name : str
        Scorecard name.
    component_weights : dict of str to float
        Weight of each DEAR component in the composite (every component a key).
    rules : dict of str to FeatureRule
        Scoring rule per feature.
    segments : dict of str to Scorecard
        Fully resolved scorecard per segment that has overrides.
    source : str
        Where it was read from (file path or ``"dict"``), for messages.
    combine : {"weighted_mean", "worst_of"}
        The composite: the weighted mean of the components, or the lowest
        component with positive weight ("an account is only as healthy as its
        weakest component").
    """

    name: str
    component_weights: dict[str, float]
    rules: dict[str, FeatureRule]
    segments: dict[str, "Scorecard"] = field(default_factory=dict)
    source: str = "dict"
    combine: str = "weighted_mean"

    def features_of(self, component: str) -> list[FeatureRule]:
        """Rules of ``component`` with positive weight."""
        return [r for r in self.rules.values() if r.component == component and r.weight > 0]

    def to_frame(self) -> pd.DataFrame:
        """One row per feature: component, weight, share of the composite, direction, rule."""
        rows = []
        total = sum(self.component_weights.values())
        for comp in COMPONENTS:
            rules = self.features_of(comp)
            within = sum(r.weight for r in rules)
            for r in rules:
                share = self.component_weights[comp] / total * r.weight / within if total and within else 0.0
                rows.append(
                    {
                        "feature": r.feature,
                        "component": comp,
                        "weight": r.weight,
                        "share_of_score": share,
                        "direction": r.direction,
                        "rule": r.describe(),
                    }
                )
        return pd.DataFrame(rows).set_index("feature")


def _fail(source: str, key: str, message: str) -> InputError:
    return InputError(f"scorecard {source}: {key}: {message}")


class Problems:
    """Every problem of one definition file, raised together as one :class:`InputError`.

    Parameters
    ----------
    what : str
        What is validated, for the message (``"scorecard"``, ``"health rule"``).
    source : str
        File path or ``"dict"``.
    """

    def __init__(self, what: str, source: str) -> None:
        self.what, self.source, self.items = what, source, []

    def add(self, key: str, message: str) -> None:
        """Record the problem of ``key``."""
        self.items.append(f"{key}: {message}")

    def attempt(self, func, *args):
        """``func(*args)``, or None with its InputError recorded."""
        try:
            return func(*args)
        except InputError as exc:
            self.items.append(str(exc).removeprefix(f"{self.what} {self.source}: "))
            return None

    def check(self) -> None:
        """Raise one InputError listing every recorded problem (none: return)."""
        if len(self.items) == 1:
            raise InputError(f"{self.what} {self.source}: {self.items[0]}")
        if self.items:
            listed = "\n".join(f"  - {item}" for item in self.items)
            raise InputError(f"{self.what} {self.source} has {len(self.items)} problems:\n{listed}")


def _number(value: Any, source: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise _fail(source, key, f"must be a finite number, got {value!r}")
    return float(value)


def _component_weights(raw: Any, source: str, key: str, base: dict[str, float] | None) -> dict[str, float]:
    if not isinstance(raw, Mapping):
        raise _fail(source, key, "must be a mapping of component -> weight")
    weights = dict(base) if base is not None else dict.fromkeys(COMPONENTS, 0.0)
    for comp, w in raw.items():
        if comp not in COMPONENTS:
            raise _fail(source, f"{key}.{comp}", f"unknown component {comp!r}; components are {', '.join(COMPONENTS)}")
        w = _number(w, source, f"{key}.{comp}")
        if w < 0:
            raise _fail(source, f"{key}.{comp}", f"weight must be >= 0, got {w:g}")
        weights[comp] = w
    if sum(weights.values()) <= 0:
        raise _fail(source, key, "at least one component weight must be positive")
    return weights


def _rule(feature: str, spec: Any, source: str, key: str) -> FeatureRule:
    if feature not in CANONICAL_FEATURES:
        raise _fail(source, key, f"unknown feature {feature!r}; use a canonical feature: {', '.join(CANONICAL_FEATURES)}")
    if not isinstance(spec, Mapping):
        raise _fail(source, key, "must be a mapping with weight, direction and linear or bands")
    unknown = set(spec) - _FEATURE_KEYS
    if unknown:
        bad = sorted(unknown)[0]
        raise _fail(source, f"{key}.{bad}", f"unknown key; allowed: {', '.join(sorted(_FEATURE_KEYS))}")
    component = spec.get("component", DEAR_AXIS.get(feature))
    if component is None:
        raise _fail(source, f"{key}.component", f"{feature} has no DEAR axis; say which component it counts towards")
    if component not in COMPONENTS:
        raise _fail(source, f"{key}.component", f"unknown component {component!r}; components are {', '.join(COMPONENTS)}")
    weight = _number(spec.get("weight", 1.0), source, f"{key}.weight")
    if weight < 0:
        raise _fail(source, f"{key}.weight", f"weight must be >= 0, got {weight:g}")
    direction = spec.get("direction", "higher")
    if direction not in DIRECTIONS:
        raise _fail(source, f"{key}.direction", f"must be 'higher' or 'lower' (which values are better), got {direction!r}")
    if ("linear" in spec) == ("bands" in spec):
        raise _fail(source, key, "give exactly one scoring rule: 'linear: {low, high}' or 'bands: {cuts, scores}'")
    if "linear" in spec:
        lin = spec["linear"]
        if not isinstance(lin, Mapping) or set(lin) != {"low", "high"}:
            raise _fail(source, f"{key}.linear", "must be a mapping with exactly 'low' and 'high'")
        low = _number(lin["low"], source, f"{key}.linear.low")
        high = _number(lin["high"], source, f"{key}.linear.high")
        if not low < high:
            raise _fail(source, f"{key}.linear", f"bounds reversed or equal: low ({low:g}) must be below high ({high:g}); "
                        "use direction: lower for features where less is better")
        return FeatureRule(feature, component, weight, direction, "linear", low=low, high=high)
    bands = spec["bands"]
    if not isinstance(bands, Mapping) or "cuts" not in bands or set(bands) - {"cuts", "scores"}:
        raise _fail(source, f"{key}.bands", "must be a mapping with 'cuts' and optionally 'scores'")
    raw_cuts = bands["cuts"]
    if not isinstance(raw_cuts, list) or not raw_cuts:
        raise _fail(source, f"{key}.bands.cuts", "must be a non-empty list of numbers")
    cuts = tuple(_number(c, source, f"{key}.bands.cuts") for c in raw_cuts)
    if any(b <= a for a, b in zip(cuts, cuts[1:])):
        raise _fail(source, f"{key}.bands.cuts", f"must be strictly increasing, got {list(cuts)}")
    if "scores" in bands:
        raw_scores = bands["scores"]
        if not isinstance(raw_scores, list) or len(raw_scores) != len(cuts) + 1:
            raise _fail(source, f"{key}.bands.scores", f"must list {len(cuts) + 1} scores (one per band), got {raw_scores!r}")
        scores = tuple(_number(s, source, f"{key}.bands.scores") for s in raw_scores)
    else:
        scores = tuple(np.linspace(0.0, 100.0, len(cuts) + 1).tolist())
        scores = scores if direction == "higher" else scores[::-1]
    if any(not 0 <= s <= 100 for s in scores):
        raise _fail(source, f"{key}.bands.scores", f"scores must lie in 0..100, got {list(scores)}")
    steps = np.diff(scores)
    if (direction == "higher" and (steps < 0).any()) or (direction == "lower" and (steps > 0).any()):
        raise _fail(source, f"{key}.bands.scores", f"scores {list(scores)} (in ascending value order) move against "
                    f"direction: {direction}")
    return FeatureRule(feature, component, weight, direction, "bands", cuts=cuts, scores=scores)


def _check_components_have_features(weights: dict[str, float], rules: dict[str, FeatureRule], source: str,
                                    key: str) -> None:
    for comp, w in weights.items():
        if w > 0 and not any(r.component == comp and r.weight > 0 for r in rules.values()):
            raise _fail(source, f"{key}.{comp}", f"component has weight {w:g} but no feature with positive weight; "
                        "add a feature to it or set its weight to 0")


def _merge_feature(base: Mapping[str, Any] | None, override: Any) -> Any:
    if base is None or not isinstance(override, Mapping):
        return override
    merged = dict(base)
    if "linear" in override or "bands" in override:
        merged.pop("linear", None)
        merged.pop("bands", None)
    merged.update(override)
    return merged


def _segment(seg: Any, over: Any, features: Mapping[str, Any], weights: dict[str, float] | None,
             rules: dict[str, FeatureRule], source: str) -> tuple[dict[str, float], dict[str, FeatureRule]]:
    """The component weights and rules of one segment's overrides."""
    key = f"segments.{seg}"
    if not isinstance(over, Mapping):
        raise _fail(source, key, "must be a mapping with 'features' and/or 'component_weights'")
    if set(over) - _SEGMENT_KEYS:
        bad = sorted(set(over) - _SEGMENT_KEYS)[0]
        raise _fail(source, f"{key}.{bad}", f"unknown key; allowed: {', '.join(sorted(_SEGMENT_KEYS))}")
    seg_weights = weights
    if "component_weights" in over:
        seg_weights = _component_weights(over["component_weights"], source, f"{key}.component_weights", weights)
    over_features = over.get("features") or {}
    if not isinstance(over_features, Mapping):
        raise _fail(source, f"{key}.features", "must be a mapping of feature -> rule overrides")
    seg_rules = dict(rules)
    for f, spec in over_features.items():
        seg_rules[f] = _rule(f, _merge_feature(features.get(f), spec), source, f"{key}.features.{f}")
    _check_components_have_features(seg_weights, seg_rules, source, f"{key}.component_weights")
    return seg_weights, seg_rules


def _build(raw: Mapping[str, Any], source: str) -> Scorecard:
    problems = Problems("scorecard", source)
    for bad in sorted(set(raw) - _TOP_KEYS):
        problems.add(bad, f"unknown key; allowed: {', '.join(sorted(_TOP_KEYS))}")
    combine = raw.get("combine", "weighted_mean")
    if combine not in COMBINES:
        problems.add("combine", f"must be one of {', '.join(COMBINES)}, got {combine!r}")
    features = raw.get("features")
    if not isinstance(features, Mapping) or not features:
        problems.add("features", "missing or empty: map each scored feature to its rule")
        features = {}
    weights = None
    if "component_weights" not in raw:
        problems.add("component_weights", "missing: give the weight of each DEAR component")
    else:
        weights = problems.attempt(_component_weights, raw["component_weights"], source, "component_weights", None)
    rules = {f: problems.attempt(_rule, f, spec, source, f"features.{f}") for f, spec in features.items()}
    if weights is not None and all(r is not None for r in rules.values()):
        problems.attempt(_check_components_have_features, weights, rules, source, "component_weights")
    raw_segments = raw.get("segments") or {}
    if not isinstance(raw_segments, Mapping):
        problems.add("segments", "must be a mapping of segment -> overrides")
        raw_segments = {}
    done = weights is not None and all(r is not None for r in rules.values())
    resolved = {seg: problems.attempt(_segment, seg, over, features, weights, rules, source)
                for seg, over in raw_segments.items()} if done else {}
    problems.check()
    name = str(raw.get("name", "scorecard"))
    segments = {str(seg): Scorecard(f"{name}[{seg}]", w, r, {}, source, combine) for seg, (w, r) in resolved.items()}
    return Scorecard(name, weights, rules, segments, source, combine)


def load_scorecard(spec: "str | Path | Mapping[str, Any] | Scorecard | None" = None) -> Scorecard:
    """Read and validate a scorecard.

    Parameters
    ----------
    spec : str, Path, dict, Scorecard or None
        A YAML file, the equivalent dict, an already loaded scorecard, or None
        for the default scorecard shipped with csresearch.

    Returns
    -------
    Scorecard

    Raises
    ------
    InputError
        When the file is missing or not YAML, or any entry is malformed
        (unknown feature or component, negative weight, reversed bounds, ...);
        the message names the offending key.
    """
    if isinstance(spec, Scorecard):
        return spec
    if spec is None:
        spec = default_scorecard_path()
    if isinstance(spec, Mapping):
        return _build(spec, "dict")
    if not isinstance(spec, (str, Path)):
        raise InputError(f"scorecard must be a YAML path, a dict or None, got {type(spec).__name__}")
    return _build(read_yaml(spec), str(spec))


def read_yaml(spec: "str | Path") -> Mapping[str, Any]:
    """The mapping in a scorecard or health-rule YAML file.

    Raises
    ------
    InputError
        When the file is missing, not YAML or not a mapping.
    """
    path = Path(spec)
    if not path.is_file():
        raise InputError(f"scorecard file {str(path)!r} does not exist")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"scorecard {path}: not valid YAML ({exc})") from None
    if not isinstance(raw, Mapping):
        raise InputError(f"scorecard {path}: must be a YAML mapping (component_weights and features, or rule)")
    return raw
