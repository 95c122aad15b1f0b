"""The contract rules of the events table as SQL, checked in DuckDB over the files.

:func:`check_events` is what :meth:`csresearch.events_source.EventsSource.check`
runs: one pass counts every rule's violations (``COUNT(*) FILTER``), then one
small query per broken rule fetches its first five rows. The rules and the
words of each violation are those the pandas validator uses for every other
table (:mod:`csresearch.reading`, :mod:`csresearch.schemas`,
:mod:`csresearch.validation`), so a problem reads the same in any table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import schemas
from .reading import _EXPECTED
from .violations import Violation

__all__ = ["check_events"]

_TABLE = "events"
_EXAMPLES = 5
_TEXT_COLUMNS = ("account_id", "user_id", "event_type")
_NUMERIC_TYPES = ("DOUBLE", "FLOAT", "DECIMAL", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER")
_TIME_TYPES = ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_MS", "TIMESTAMP_S", "TIMESTAMP_NS", "TIMESTAMPTZ_NS", "DATE")


@dataclass(frozen=True)
class _Rule:
    column: str
    rule: str
    condition: str
    hint: str


def _nested(duck_type: str) -> bool:
    return duck_type.endswith("]") or duck_type.startswith(("STRUCT", "MAP", "UNION"))


def _present(column: str, duck_type: str) -> str:
    """SQL: the value is given (not null, not blank text)."""
    if duck_type == "VARCHAR":
        return f"(\"{column}\" IS NOT NULL AND trim(\"{column}\") <> '')"
    return f"(\"{column}\" IS NOT NULL)"


def _as_text(column: str, duck_type: str) -> str:
    """SQL: an id as the loader types it (a whole float 17.0 reads "17")."""
    if duck_type in ("DOUBLE", "FLOAT"):
        return f"(CASE WHEN \"{column}\" = floor(\"{column}\") THEN CAST(CAST(\"{column}\" AS BIGINT) AS VARCHAR) " \
               f"ELSE CAST(\"{column}\" AS VARCHAR) END)"
    return f"CAST(\"{column}\" AS VARCHAR)"


def _timestamp(duck_type: str) -> str | None:
    """SQL: the timestamp as TIMESTAMPTZ (naive = UTC: the session zone), or None when the type cannot hold one."""
    if duck_type == "VARCHAR":
        return "TRY_CAST(\"timestamp\" AS TIMESTAMPTZ)"
    if duck_type in _TIME_TYPES:
        return "CAST(\"timestamp\" AS TIMESTAMPTZ)"
    return None


def _type_rule(column: str, kind: str, bad: str) -> _Rule:
    return _Rule(column, "type", bad,
                 f"every value of {_TABLE}.{column} must be {_EXPECTED.get(kind, 'text (not a list or a struct)')}; "
                 "fix or blank the rows shown")


def _not_null_rule(column: str, condition: str) -> _Rule:
    return _Rule(column, "not_null", condition,
                 f"{_TABLE}.{column} must not be empty; fill in the value or drop the rows shown")


def _timestamp_rules(duck_type: str, extracted_at: pd.Timestamp | None) -> list[_Rule]:
    present = _present("timestamp", duck_type)
    ts = _timestamp(duck_type)
    if _nested(duck_type) or ts is None:
        return [_type_rule("timestamp", "timestamp", present), _not_null_rule("timestamp", f"NOT {present}")]
    lo, hi = pd.Timestamp.min.year + 1, pd.Timestamp.max.year
    far = f"({ts} IS NOT NULL AND (year({ts}) > {hi} OR year({ts}) < {lo}))"
    rules = [
        _type_rule("timestamp", "timestamp", f"({present} AND {ts} IS NULL)"),
        _Rule("timestamp", "range", far,
              f"{_TABLE}.timestamp holds dates outside {lo}-{hi} (after extracted_at, or a placeholder such as "
              "9999-12-31); leave unknown dates empty"),
        _not_null_rule("timestamp", f"NOT {present}"),
    ]
    if extracted_at is not None and not pd.isna(extracted_at):
        cutoff = pd.Timestamp(extracted_at).normalize()
        rules.append(_Rule("timestamp", "after_extracted_at",
                           f"(NOT {far} AND {ts} >= TIMESTAMPTZ '{cutoff + pd.Timedelta(days=1):%Y-%m-%d} 00:00:00+00')",
                           f"{_TABLE}.timestamp is after extracted_at {cutoff.date()}; drop those rows or correct "
                           "extracted_at in dataset.yml"))
    return rules


def _quantity_rules(duck_type: str) -> list[_Rule]:
    present = _present("quantity", duck_type)
    if _nested(duck_type) or not (duck_type == "VARCHAR" or duck_type.startswith(_NUMERIC_TYPES)):
        return [_type_rule("quantity", "float", present)]
    value = "TRY_CAST(\"quantity\" AS DOUBLE)"
    if duck_type == "VARCHAR":
        bad = f"({present} AND ({value} IS NULL OR isinf({value}) OR isnan({value})))"
    else:
        bad = f"(\"quantity\" IS NOT NULL AND isinf({value}))"  # NaN in a float column is missing, not a value
    rules = [_type_rule("quantity", "float", bad)]
    for spec in schemas.column_checks(_TABLE, "quantity"):
        if spec.rule == "range":
            low, high = schemas.RANGES[(_TABLE, "quantity")]
            limits = " OR ".join(x for x in (f"{value} < {low}" if low is not None else "",
                                              f"{value} > {high}" if high is not None else "") if x)
            rules.append(_Rule("quantity", "range", f"(NOT {bad} AND isfinite({value}) AND ({limits}))", spec.hint))
    return rules


def _text_rules(column: str, duck_type: str, account_ids: bool) -> list[_Rule]:
    present = _present(column, duck_type)
    if _nested(duck_type):
        return [_type_rule(column, "string", present), _not_null_rule(column, f"NOT {present}")]
    rules = [_not_null_rule(column, f"NOT {present}")]
    if column == "account_id" and account_ids:
        rules.append(_Rule(column, "references_accounts",
                           f"({present} AND {_as_text(column, duck_type)} NOT IN (SELECT account_id FROM _accounts))",
                           f"{_TABLE}.account_id must exist in accounts.account_id; add the accounts or drop the rows shown "
                           "(ids compare as text: '007' differs from '7')"))
    return rules


def _rules(columns: dict[str, str], has_accounts: bool, extracted_at: pd.Timestamp | None) -> list[_Rule]:
    rules: list[_Rule] = []
    for column in _TEXT_COLUMNS:
        if column in columns:
            rules += _text_rules(column, columns[column], has_accounts)
    if "timestamp" in columns:
        rules += _timestamp_rules(columns["timestamp"], extracted_at)
    if "quantity" in columns:
        rules += _quantity_rules(columns["quantity"])
    return rules


def _missing_columns(columns: dict[str, str]) -> list[Violation]:
    from .contract import EVENTS

    return [Violation(_TABLE, col.name, "column_missing", 0,
                      f"add a column named '{col.name}' ({col.kind}) to {_TABLE}; column names are case-sensitive")
            for col in EVENTS.columns if col.name not in columns and not col.nullable]


def example_rows(con, relation: str, condition: str, columns: Sequence[str]) -> tuple[dict[str, Any], ...]:
    """Up to five rows of ``relation`` where ``condition`` holds, as violation examples (``row`` first)."""
    shown = ", ".join(f'"{c}"' for c in columns)
    frame = con.sql(f"SELECT __row, {shown} FROM {relation} WHERE {condition} ORDER BY __row LIMIT {_EXAMPLES}").df()
    out = []
    for record in frame.to_dict("records"):
        item = {"row": int(record.pop("__row"))}
        for key, value in record.items():
            item[key] = None if value is None or (not isinstance(value, str) and pd.isna(value)) else (
                value.item() if isinstance(value, np.generic) else value)
        out.append(item)
    return tuple(out)


def check_events(con, source, account_ids: Sequence[str] | None, extracted_at: pd.Timestamp | None) -> list[Violation]:
    """Check the events of ``source`` against every contract rule on connection ``con``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        From :meth:`EventsSource.connect` (UTC, bounded memory).
    source : EventsSource
    account_ids : sequence of str or None
        accounts.account_id; None skips the reference rule.
    extracted_at : Timestamp or None

    Returns
    -------
    list of Violation
        In rule order per column, each with up to five example rows.
    """
    columns = source.columns(con)
    out = _missing_columns(columns)
    if account_ids is not None:
        con.register("_accounts", pd.DataFrame({"account_id": pd.Series(list(account_ids), dtype="object").astype(str)}))
    rules = _rules(columns, account_ids is not None, extracted_at)
    if not rules:
        return out
    relation = source.raw_sql()
    counts = con.execute("SELECT " + ", ".join(f"COUNT(*) FILTER (WHERE {r.condition})" for r in rules)
                     + f" FROM {relation}").fetchall()[0]
    for rule, n in zip(rules, counts):
        if n:
            shown = list(dict.fromkeys(c for c in ("account_id", rule.column) if c in columns))
            out.append(Violation(_TABLE, rule.column, rule.rule, int(n), rule.hint,
                                 example_rows(con, relation, rule.condition, shown)))
    return out
