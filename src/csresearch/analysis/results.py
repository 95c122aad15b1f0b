"""Result building blocks: an estimate with its interval, and the result base class.

Every number an analysis reports is an :class:`Interval`: a point estimate, a
confidence interval, its level and the method that produced it. A value that
cannot be computed on the data (too few rows, one class only) is an
*unavailable* interval that carries the reason instead of numbers, so that a
run never fails because one cell of a table is empty. ``to_dict`` renders the
interval object of docs/findings.md.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["AnalysisResult", "Interval", "intervals_frame"]


def _clean(value: Any) -> float | None:
    """Return ``value`` as a float, or None for None/NaN/inf."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Interval:
    """A point estimate with a confidence interval.

    Parameters
    ----------
    estimate : float or None
        Point estimate; None when not computable.
    ci_low, ci_high : float or None
        Interval bounds; None when not computable.
    level : float, default 0.95
        Confidence level of the interval.
    method : str
        How estimate and interval were computed (e.g. ``"Wilson score"``).
    n : int, optional
        Number of units (accounts, rows) behind the estimate.
    reason : str, optional
        Why the value is not available; set only when estimate is None.
    """

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    level: float = 0.95
    method: str = ""
    n: int | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        for name in ("estimate", "ci_low", "ci_high"):
            object.__setattr__(self, name, _clean(getattr(self, name)))
        if self.n is not None:
            object.__setattr__(self, "n", int(self.n))
        if self.estimate is None and self.reason is None:
            object.__setattr__(self, "reason", "not computable")

    @classmethod
    def unavailable(cls, reason: str, method: str = "", n: int | None = None, level: float = 0.95) -> "Interval":
        """An interval that could not be computed, with the reason why."""
        return cls(None, None, None, level=level, method=method, n=n, reason=reason)

    @classmethod
    def from_dict(cls, data: Any) -> "Interval":
        """The interval a findings.json interval object describes (inverse of :meth:`to_dict`).

        Anything that is not a mapping with an ``estimate`` gives an
        unavailable interval whose reason says so.
        """
        if not isinstance(data, Mapping) or "estimate" not in data:
            return cls.unavailable("not reported")
        return cls(data.get("estimate"), data.get("ci_low"), data.get("ci_high"), level=data.get("ci_level", 0.95),
                   method=data.get("method", ""), n=data.get("n"), reason=data.get("reason"))

    @property
    def available(self) -> bool:
        """Whether a point estimate exists."""
        return self.estimate is not None

    def excludes(self, value: float = 0.0) -> bool:
        """True when both bounds exist and the interval lies strictly on one side of ``value``."""
        if self.ci_low is None or self.ci_high is None:
            return False
        return self.ci_low > value or self.ci_high < value

    def to_dict(self) -> dict[str, Any]:
        """The findings.md interval object.

        ``{"estimate", "ci_low", "ci_high"}`` plus ``n`` when known, ``method``
        and ``ci_level`` when the level is not 0.95; when not computable the
        three values are None and ``reason`` says why.
        """
        out: dict[str, Any] = {"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high}
        if self.n is not None:
            out["n"] = self.n
        if self.method:
            out["method"] = self.method
        if not math.isclose(self.level, 0.95):
            out["ci_level"] = self.level
        if self.reason is not None:
            out["reason"] = self.reason
        return out

    def __str__(self) -> str:
        if self.estimate is None:
            return f"n/a ({self.reason})"
        pct = f"{self.level * 100:g}%"
        if self.ci_low is None or self.ci_high is None:
            return f"{self.estimate:.3g} ({pct} CI n/a)"
        return f"{self.estimate:.3g} ({pct} CI {self.ci_low:.3g} to {self.ci_high:.3g})"


def intervals_frame(intervals: dict[Any, Interval], index_name: str = "name") -> pd.DataFrame:
    """Tabulate intervals, one row per key, with estimate/ci_low/ci_high/n/method/reason."""
    rows = {
        key: {
            "estimate": iv.estimate,
            "ci_low": iv.ci_low,
            "ci_high": iv.ci_high,
            "n": iv.n,
            "method": iv.method,
            "reason": iv.reason,
        }
        for key, iv in intervals.items()
    }
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "ci_low", "ci_high", "n", "method", "reason"])
    frame.index.name = index_name
    for col in ("estimate", "ci_low", "ci_high"):
        frame[col] = frame[col].astype("float64")
    frame["n"] = frame["n"].astype("Int64")
    return frame


@dataclass
class AnalysisResult:
    """Base class of analysis results.

    Parameters
    ----------
    summary : pandas.DataFrame
        The headline table of the analysis.
    method : str
        Plain-language statement of the method and interval used.
    notes : list of str
        Caveats and things a reader must know (e.g. values not computable).
    """

    summary: pd.DataFrame
    method: str = ""
    notes: list[str] = field(default_factory=list)

    #: Title shown in notebooks; subclasses override.
    title = "Analysis result"

    def to_findings(self) -> dict[str, Any]:
        """The findings.json section of this result (subclasses add their keys)."""
        return {"method": self.method}

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        parts = [
            f"<h4>{html.escape(self.title)}</h4>",
            f"<p><b>Method:</b> {html.escape(self.method)}</p>",
            self.summary.to_html(float_format=lambda v: f"{v:.4g}", na_rep="n/a"),
        ]
        if notes:
            parts.append(f"<p><b>Notes</b></p><ul>{notes}</ul>")
        return "\n".join(parts)
