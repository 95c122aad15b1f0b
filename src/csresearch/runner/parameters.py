"""Check notebook parameters by type and range before any notebook starts.

A parameter's *kind* comes from its notebook's parameters cell: the
annotation when there is one (``as_of: "date | None" = None``), else the type
of the default (``lead_days = 90`` is an int). Kinds are ``int``, ``float``,
``bool``, ``date``, ``path`` and ``str``; ``| None`` (or a ``None`` default)
allows null. Ranges are the suite's rules for its own parameter names
(:data:`RANGES`). Every problem is reported at once, naming the parameter,
the expected type or range and the value given, so ``-p lead_days=abc`` ends
with exit 2 before a kernel starts instead of a raw ``ValueError`` inside a
notebook.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ParameterError

__all__ = ["KINDS", "RANGES", "ParameterKind", "check_parameters", "kind_of"]

KINDS = ("int", "float", "bool", "date", "path", "str", "ints")
_DESCRIBE = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "date": "a date written YYYY-MM-DD",
    "path": "a file or folder path",
    "str": "text",
    "ints": "a list of whole numbers, e.g. [30, 90, 180]",
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Range:
    """An allowed interval; ``None`` bounds are open."""

    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the range."""
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        return not (self.high is not None and (value > self.high or (value == self.high and not self.high_inclusive)))

    def describe(self) -> str:
        """The range in words, e.g. ``> 0`` or ``between 0 and 100``."""
        if self.low is not None and self.high is not None:
            return f"between {self.low:g} and {self.high:g}"
        if self.low is not None:
            return f"{'>=' if self.low_inclusive else '>'} {self.low:g}"
        return f"{'<=' if self.high_inclusive else '<'} {self.high:g}"


#: Ranges of the suite's parameters, by name (``min_group_size`` is handled with include_ids).
RANGES: dict[str, Range] = {
    "lead_days": Range(0, low_inclusive=False),
    "horizon_years": Range(0, low_inclusive=False),
    "months_after": Range(0, low_inclusive=False),
    "unhealthy_threshold": Range(0, 100),
    "seed": Range(0),
    "min_group_size": Range(5),
    "kpi_risk_multiple": Range(0, low_inclusive=False),
    "lead_time_days": Range(0, low_inclusive=False),  # each lead
    "window_months": Range(1),
}


@dataclass(frozen=True)
class ParameterKind:
    """The declared type of one parameter.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    nullable : bool
        Whether ``None`` (YAML ``null``) is accepted.
    """

    kind: str
    nullable: bool = False

    def describe(self) -> str:
        """The expected value in words."""
        return _DESCRIBE[self.kind] + (" or null" if self.nullable else "")


def kind_of(default: Any, annotation: str | None = None) -> ParameterKind | None:
    """The kind of a parameter from its annotation text, else from its default value.

    Parameters
    ----------
    default : object
        The default in the parameters cell (a literal, or its source text).
    annotation : str, optional
        The annotation, e.g. ``"date | None"``, ``"float"``, ``"Path"``.

    Returns
    -------
    ParameterKind or None
        None when neither says (a ``None`` default without annotation): any
        value is accepted then.
    """
    if annotation:
        parts = [p.strip().strip("'\"").lower() for p in annotation.strip("'\"").split("|")]
        nullable = "none" in parts or "optional" in parts or default is None
        named = [p for p in parts if p in KINDS or p in ("pathlib.path",)]
        if named:
            kind = "path" if named[0].endswith("path") else named[0]
            return ParameterKind(kind, nullable)
    if default is None:
        return None
    if isinstance(default, list) and default and all(isinstance(v, int) and not isinstance(v, bool) for v in default):
        return ParameterKind("ints")
    for python_type, kind in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if isinstance(default, python_type):
            return ParameterKind(kind)
    return None


def _type_problem(value: Any, kind: ParameterKind) -> str | None:
    if value is None:
        return None if kind.nullable else "must not be null"
    k = kind.kind
    if k == "bool":
        ok = isinstance(value, bool)
    elif k == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif k == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    elif k == "date":
        ok = _is_date(value)
    elif k == "ints":
        ok = isinstance(value, list) and bool(value) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    else:  # path, str
        ok = isinstance(value, str) and bool(value.strip())
    return None if ok else f"expects {kind.describe()}"


def _is_date(value: Any) -> bool:
    if isinstance(value, dt.date):
        return True
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        return False
    try:
        dt.date.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


def check_parameters(
    values: Mapping[str, Any],
    kinds: Mapping[str, ParameterKind | None],
    *,
    include_ids: bool = False,
) -> None:
    """Check every given parameter's type and range; raise once listing every problem.

    Parameters
    ----------
    values : mapping
        Name -> value as the user gave it (``-p`` and ``--params``).
    kinds : mapping
        Name -> declared kind (from the notebooks' parameters cells); a name
        missing here or mapped to None is not type-checked.
    include_ids : bool, default False
        An internal run: ``min_group_size`` may then be below 5, or 0 (no
        suppression); otherwise it must be at least 5.

    Raises
    ------
    ParameterError
        Naming each bad parameter, what it expects and the value given.
    """
    problems = []
    for name in sorted(values):
        value = values[name]
        kind = kinds.get(name)
        why = _type_problem(value, kind) if kind is not None else None
        numbers = value if isinstance(value, list) else [value]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers)
        if why is None and name in RANGES and numeric:
            allowed = RANGES[name]
            if name == "min_group_size" and include_ids:
                allowed = Range(0)
            if not all(allowed.contains(v) for v in numbers):
                why = f"must be {allowed.describe()}"
                if name == "min_group_size" and not include_ids:
                    why += (" (groups of fewer than 5 accounts can identify them: a smaller minimum, or 0 to turn "
                            "small-group suppression off, needs --include-ids)")
        if why is not None:
            problems.append(f"-p {name}: {why}; got {value!r}")
    if problems:
        raise ParameterError(
            "bad parameter value" + ("s" if len(problems) > 1 else "") + " (no notebook was run):\n  "
            + "\n  ".join(problems)
        )
