"""Violations of the data contract and the report that collects them.

A :class:`Violation` names the table, column and rule that failed, how many rows
break it, up to five example rows and a one-line hint how to fix it. A
:class:`ValidationReport` holds every violation of one dataset, so that a user
sees all problems in one run instead of fixing them one at a time.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .errors import DataContractError

#: How many example rows a violation keeps.
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Violation:
    """One broken rule of the data contract.

    Parameters
    ----------
    table : str
        Table name as the contract names it (``accounts``, ``contracts``, ...),
        or ``dataset.yml`` for the metadata file.
    column : str or None
        Column name, or None for a rule about the whole table or file.
    rule : str
        Short machine-readable rule name, e.g. ``not_null``, ``unique``,
        ``references_accounts``, ``no_overlap``.
    n_rows : int
        Number of rows that break the rule (0 for file-level problems).
    examples : list of dict
        Up to five offending rows, as ``{column: value}`` dicts, with the
        1-based data row number under ``"row"`` where it is known.
    hint : str
        One line telling the user how to fix it.
    """

    table: str
    column: str | None
    rule: str
    n_rows: int
    hint: str
    examples: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Return the violation as plain JSON-friendly data."""
        return {
            "table": self.table,
            "column": self.column,
            "rule": self.rule,
            "n_rows": self.n_rows,
            "examples": [dict(e) for e in self.examples],
            "hint": self.hint,
        }

    def format_text(self) -> str:
        """Return a short human-readable description (several lines)."""
        where = f"{self.table}.{self.column}" if self.column else self.table
        rows = f" ({self.n_rows} row{'s' if self.n_rows != 1 else ''})" if self.n_rows else ""
        lines = [f"  - {where}: rule '{self.rule}' broken{rows}"]
        for ex in self.examples[:MAX_EXAMPLES]:
            lines.append("      e.g. " + ", ".join(f"{k}={_fmt(v)}" for k, v in ex.items()))
        lines.append(f"      fix: {self.hint}")
        return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return value.isoformat() if value.time() != pd.Timestamp(0).time() else value.date().isoformat()
    if value is None or (isinstance(value, float) and value != value):
        return "<null>"
    return repr(value) if isinstance(value, str) else str(value)


def examples_from(frame: pd.DataFrame, mask: pd.Series | Any, columns: list[str] | None = None) -> tuple[dict[str, Any], ...]:
    """Return up to five example rows of ``frame`` where ``mask`` is true.

    Parameters
    ----------
    frame : DataFrame
        The table as loaded (its default RangeIndex gives the row number).
    mask : boolean Series or array
        Rows that break the rule.
    columns : list of str, optional
        Columns to show; defaults to the key columns present plus all others
        up to six columns.

    Returns
    -------
    tuple of dict
        Each dict has ``row`` (1-based data row, header not counted) and the
        values of ``columns``.
    """
    sub = frame.loc[pd.Series(mask, index=frame.index).fillna(False).astype(bool)]
    if columns is None:
        columns = list(frame.columns[:6])
    columns = [c for c in columns if c in frame.columns]
    out = []
    for idx, row in sub.head(MAX_EXAMPLES).iterrows():
        item: dict[str, Any] = {"row": int(idx) + 1 if isinstance(idx, (int,)) or hasattr(idx, "__index__") else idx}
        for c in columns:
            v = row[c]
            item[c] = None if (v is None or (not isinstance(v, str) and pd.isna(v))) else (v.item() if hasattr(v, "item") else v)
        out.append(item)
    return tuple(out)


@dataclass
class ValidationReport:
    """Every contract violation found in one dataset.

    Parameters
    ----------
    dataset : str
        Dataset name or path, for messages.
    violations : list of Violation
        All problems found, in the order they were found.
    tables : dict
        Table name -> number of rows loaded (None for an absent optional table).
    encodings : dict
        CSV table name -> the text encoding it was read in and how it was
        chosen (``"UTF-8, detected"``, ``"Shift_JIS (CP932), from dataset.yml"``).
    """

    dataset: str
    violations: list[Violation] = field(default_factory=list)
    tables: dict[str, int | None] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        """True when no rule is broken."""
        return not self.violations

    def by_table(self) -> dict[str, list[Violation]]:
        """Violations grouped by table, tables in first-seen order."""
        grouped: dict[str, list[Violation]] = {}
        for v in self.violations:
            grouped.setdefault(v.table, []).append(v)
        return grouped

    @property
    def summary(self) -> pd.DataFrame:
        """One row per violation: table, column, rule, n_rows, hint."""
        cols = ["table", "column", "rule", "n_rows", "hint"]
        return pd.DataFrame([{c: getattr(v, c) for c in cols} for v in self.violations], columns=cols)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-friendly data."""
        return {
            "dataset": self.dataset,
            "valid": self.is_valid,
            "tables": dict(self.tables),
            "encodings": dict(self.encodings),
            "violations": [v.to_dict() for v in self.violations],
        }

    def encodings_line(self) -> str | None:
        """``Text encodings: UTF-8, detected (accounts, contracts); ...``, or None when no CSV table was read."""
        grouped: dict[str, list[str]] = {}
        for table, label in self.encodings.items():
            grouped.setdefault(label, []).append(table)
        if not grouped:
            return None
        return "Text encodings: " + "; ".join(f"{label} ({', '.join(tables)})" for label, tables in grouped.items()) + "."

    def format_text(self) -> str:
        """Return the whole report as text, grouped by table."""
        encodings = [line for line in (self.encodings_line(),) if line]
        if self.is_valid:
            sizes = ", ".join(f"{t}: {n:,} rows" for t, n in self.tables.items() if n is not None)
            return "\n".join([f"Dataset {self.dataset} is valid ({sizes}).", *encodings])
        n = len(self.violations)
        lines = [f"Dataset {self.dataset} breaks the data contract: {n} problem{'s' if n != 1 else ''}.", *encodings]
        for table, items in self.by_table().items():
            lines.append(f"\n[{table}]")
            lines.extend(v.format_text() for v in items)
        lines.append("\nSee the data contract (docs/data-contract.md) for every rule.")
        return "\n".join(lines)

    def raise_if_invalid(self) -> "ValidationReport":
        """Raise :class:`~csresearch.errors.DataContractError` when a rule is broken."""
        if not self.is_valid:
            raise DataContractError(self)
        return self

    def _repr_html_(self) -> str:
        name = html.escape(str(self.dataset))
        if self.is_valid:
            return f"<p>Dataset <b>{name}</b> is valid.</p>"
        return f"<p>Dataset <b>{name}</b>: {len(self.violations)} problems</p>" + self.summary.to_html(index=False)
