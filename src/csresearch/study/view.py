"""How a study step shows a table to a CS leader: human names, percentages, one cell per interval.

Result frames of :mod:`csresearch.analysis` are built for computing: canonical
feature names as the index, rates as fractions, an interval as three columns,
``None`` where a value is missing and a ``reason`` column saying why. A
:class:`Table` is what a report shows instead: :func:`show_table` picks the
columns a reader needs, under readable headers, and formats every cell by its
kind (:data:`KINDS`): shares as percentages, differences of shares in
percentage points, p- and q-values as ``< 0.001``, counts with thousands
separators, an estimate and its interval in one cell, a missing value as an
empty cell or ``not computable: <reason>``. The table has no index column, no
raw dict and no scientific notation, and explanatory text wraps instead of
being cut off. Headers, titles and category words are shown in the current
language (:func:`csresearch.i18n.label`: the English text is the key).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..display import DISPLAY_NAMES, display_name
from ..i18n import fmt, label, label_text, t
from ..narrative import feature_unit, fmt_number, fmt_p, fmt_pct

__all__ = ["INDEX", "KINDS", "Table", "format_cell", "humanise", "interval_table", "show_table", "term_name"]

#: Source name meaning "the frame's index".
INDEX = "<index>"

#: Cell kinds :func:`show_table` knows.
KINDS = ("share", "points", "p", "count", "number", "ratio", "month", "text", "feature", "value", "change", "yesno")

_TERM = re.compile(r"^(?P<name>[^\[]+)\[(?P<level>[^\]]*)\]$")
_IDENTIFIERS = sorted((k for k in DISPLAY_NAMES if "_" in k), key=len, reverse=True)
_IDENTIFIER = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, _IDENTIFIERS)) + r")(\[[^\]]*\])?(?![\w])")


def humanise(text: str) -> str:
    """``text`` with every known snake_case feature or column name replaced by its human name.

    Method statements and notes of analysis results name features by their
    canonical names (``quota_consumption: 20.4% missing``); a report shows
    ``Quota consumption (this term): 20.4% missing``. Plain words (``segment``,
    ``churned``) are left alone.
    """
    return _IDENTIFIER.sub(lambda m: term_name(m[1] + (m[2] or "")), str(text))


def _missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return isinstance(x, float) and not math.isfinite(x)
    except TypeError:
        return False


def term_name(term: str) -> str:
    """The human name of a model term: ``touch_model[high]`` -> ``Touch model: high``."""
    match = _TERM.match(str(term))
    if match is None:
        return display_name(str(term))
    return f"{display_name(match['name'])}: {label(match['level'].replace('_', ' '))}"


def _bound(x: Any, kind: str) -> str:
    """An interval bound: like the estimate, without the unit word of points."""
    if kind == "points":
        return f"{100 * float(x):+.1f}"
    return format_cell(x, kind)


def _words(text: str) -> str:
    """Explanatory text in the current language (:func:`csresearch.i18n.label_text`), feature names made human."""
    return humanise(label_text(str(text)))


def format_cell(x: Any, kind: str, feature: str | None = None) -> str:
    """One value as a report shows it (``""`` when missing; a string such as ``"<5"`` passes through).

    Parameters
    ----------
    x : object
    kind : str
        One of :data:`KINDS`; ``value`` and ``change`` take the unit of ``feature``
        (a share reads as a percentage, its change in points).
    feature : str, optional
        The row's feature, for ``value`` and ``change``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if _missing(x):
        return ""
    if kind == "feature":
        return term_name(str(x))
    if kind == "text":
        return _words(x)
    if isinstance(x, str):
        return x
    if kind in ("value", "change"):
        unit = feature_unit(str(feature), change=kind == "change")
        kind = {"percent": "share", "points": "points"}.get(unit, "number")
    x = float(x)
    formats: Mapping[str, Callable[[float], str]] = {
        "share": fmt_pct, "p": fmt_p, "number": fmt_number, "ratio": fmt_number,
        "points": lambda v: fmt("points", value=f"{100 * v:+.1f}"),
        "count": lambda v: f"{v:,.0f}", "month": lambda v: f"{v:.0f}",
        "yesno": lambda v: t("narrative.yes") if v else t("narrative.no"),
    }
    return formats[kind](x)


def _interval_cell(est: Any, low: Any, high: Any, kind: str, feature: str | None, reason: Any) -> str:
    if _missing(est):
        if not (isinstance(reason, str) and reason):
            return ""
        return label(reason) if reason.startswith(("not ", "could not")) else t("view.not_computable", reason=label(reason))
    if kind in ("value", "change"):
        unit = feature_unit(str(feature), change=kind == "change")
        kind = {"percent": "share", "points": "points"}.get(unit, "number")
    text = format_cell(est, kind)
    if _missing(low) or _missing(high) or isinstance(low, str) or isinstance(high, str):
        return text
    return text + fmt("bracket", text=fmt("range", low=_bound(low, kind), high=_bound(high, kind)))


@dataclass
class Table:
    """A table ready to show: every cell a string, no index.

    Attributes
    ----------
    frame : DataFrame
        The cells (strings) under their readable headers.
    title : str
        Heading above the table (optional).
    method : str
        How the numbers were computed (optional).
    notes : list of str
        Caveats below the table.
    text_columns : list of str
        Headers of explanatory columns: left-aligned and wrapped.
    short_columns : list of str
        Headers of short values (counts, p-values) that never wrap.
    """

    frame: pd.DataFrame
    title: str = ""
    method: str = ""
    notes: list[str] = field(default_factory=list)
    text_columns: list[str] = field(default_factory=list)
    short_columns: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        head = "".join(f'<th{self._cls(c)}>{html.escape(label(str(c)))}</th>' for c in self.frame.columns)
        rows = "".join("<tr>" + "".join(f'<td{self._cls(c)}>{html.escape(str(v))}</td>'
                                        for c, v in zip(self.frame.columns, row)) + "</tr>"
                       for row in self.frame.itertuples(index=False))
        parts = [f"<h4>{html.escape(label(self.title))}</h4>" if self.title else "",
                 f'<p class="method"><b>{html.escape(t("view.method"))}</b> {html.escape(_words(self.method))}</p>'
                 if self.method else "",
                 f'<table class="report-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>']
        if self.notes:
            parts.append(f"<p><b>{html.escape(t('view.notes'))}</b></p><ul>"
                         + "".join(f"<li>{html.escape(_words(n))}</li>" for n in self.notes)
                         + "</ul>")
        return "\n".join(p for p in parts if p)

    def _cls(self, column: Any) -> str:
        if column in self.text_columns:
            return ' class="text"'
        return ' class="short"' if column in self.short_columns else ""


def _column(frame: pd.DataFrame, source: str) -> pd.Series:
    if source == INDEX:
        return pd.Series(frame.index, index=frame.index)
    return frame[source]


def show_table(frame: pd.DataFrame, columns: Sequence[tuple[str, Any, str]], *, feature: str | None = None,
               reason: str | None = None, title: str = "", method: str = "", notes: Sequence[str] = ()) -> Table:
    """Format ``frame`` for a report.

    Parameters
    ----------
    frame : DataFrame
        One row per shown row (not modified).
    columns : sequence of (header, source, kind)
        ``source`` is a column, :data:`INDEX`, or a tuple ``(estimate, low,
        high)`` of columns shown as one cell ``"est (low to high)"``; ``kind``
        is one of :data:`KINDS`.
    feature : str, optional
        Column (or :data:`INDEX`) holding each row's feature, for the
        ``value`` and ``change`` kinds.
    reason : str, optional
        Column holding why a value is missing: a missing interval estimate
        then reads ``not computable: <reason>``.
    title, method : str
        Heading and method line above the table.
    notes : sequence of str
        Caveats below it.

    Returns
    -------
    Table
    """
    feats = [None] * len(frame) if feature is None else [str(f) for f in _column(frame, feature)]
    reasons = [None] * len(frame) if reason is None or reason not in frame else list(frame[reason])
    out, text_cols, short_cols = {}, [], []
    for header, source, kind in columns:
        if isinstance(source, tuple):
            est, low, high = (list(_column(frame, s)) for s in source)
            out[header] = [_interval_cell(*vals, kind, f, r) for *vals, f, r in zip(est, low, high, feats, reasons)]
        else:
            out[header] = [format_cell(v, kind, f) for v, f in zip(_column(frame, source), feats)]
        if kind in ("text", "feature"):
            text_cols.append(header)
        elif kind in ("p", "count", "month", "yesno") and not isinstance(source, tuple):
            short_cols.append(header)
    return Table(pd.DataFrame(out, columns=[c[0] for c in columns]), title, method, list(notes), text_cols, short_cols)


def interval_table(rows: Sequence[tuple[str, Any, str]], *, title: str = "", method: str = "",
                   notes: Sequence[str] = (), features: bool = False, label: str = "Quantity") -> Table:
    """A table of named intervals, one row each: the label, ``estimate (low to high)`` and the accounts behind it.

    Parameters
    ----------
    rows : sequence of (label, Interval, kind)
        ``kind`` formats the row (:data:`KINDS`); with ``features`` a label that
        is a feature gets its human name and ``value``/``change`` read in its unit.
    title, method, notes
        As in :func:`show_table`.
    features : bool, default False
        Labels are feature names.
    label : str, default "Quantity"
        Header of the label column.

    Returns
    -------
    Table
    """
    frame = pd.DataFrame({
        "label": [r[0] for r in rows],
        "estimate": [r[1].estimate for r in rows], "ci_low": [r[1].ci_low for r in rows],
        "ci_high": [r[1].ci_high for r in rows], "reason": [r[1].reason for r in rows],
        "n": [r[1].n for r in rows], "kind": [r[2] for r in rows],
    }, dtype=object)
    cells = [_interval_cell(r.estimate, r.ci_low, r.ci_high, r.kind, r.label, r.reason)
             for r in frame.itertuples(index=False)]
    shown = pd.DataFrame({
        label: [term_name(v) if features and label_text(v) == v else _words(v) for v in frame["label"]],
        "Estimate (95% CI)": cells,
        "Accounts": [format_cell(v, "count") for v in frame["n"]],
    })
    if not any(shown["Accounts"]):
        shown = shown.drop(columns="Accounts")
    return Table(shown, title, method, list(notes), [label])
