"""Per-table column rules of the data contract as pandera schemas.

Each contract table gets a :class:`pandera.pandas.DataFrameSchema` built from
:mod:`csresearch.contract` plus the column rules below: nullability, unique
keys, value ranges, allowed values and first-of-month dates. Types are not
checked here: the loader already gave every column its contract dtype and
recorded values that did not parse as ``type`` problems. Rules that span rows
or tables (contract terms, references to accounts, the extraction cutoff) live
in :mod:`csresearch.validation`.

Every check carries a :class:`CheckSpec` naming its stable rule and the hint
shown to the user, so a pandera failure case maps back to a
:class:`~csresearch.violations.Violation` without parsing pandera's messages.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from . import contract


def _import_pandera():
    """``pandera.pandas``, imported without the side effects of pyspark when pyspark is installed.

    pandera then imports ``pyspark.pandas``, which warns about pandas 3 (a
    warning that would show in every report, with a site-packages path) and
    sets ``SPARK_LOCAL_IP=127.0.0.1`` and ``PYARROW_IGNORE_TIMEZONE`` in the
    environment (which would bind a later Spark driver to localhost). Both are
    undone here; csresearch never validates through pyspark.
    """
    before = {k: os.environ.get(k) for k in ("SPARK_LOCAL_IP", "PYARROW_IGNORE_TIMEZONE")}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"PySpark does not yet fully support pandas", category=FutureWarning)
        import pandera.pandas as pandera_pandas
        import pandera.backends.pandas.builtin_checks  # noqa: F401 - pandera imports it (and pyspark) at first use
    for key, value in before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    return pandera_pandas


pa = _import_pandera()

__all__ = [
    "CheckSpec",
    "ALLOWED_VALUES",
    "FIRST_OF_MONTH",
    "RANGES",
    "UNIQUE_KEYS",
    "column_checks",
    "table_schema",
]

#: (table, column) -> (lower, upper) inclusive bounds; None means unbounded.
RANGES: dict[tuple[str, str], tuple[float | None, float | None]] = {
    ("accounts", "employees"): (0, None),
    ("contracts", "seats"): (1, None),
    ("contracts", "quota"): (0, None),
    ("contracts", "arr"): (0, None),
    ("usage_monthly", "active_users"): (0, None),
    ("usage_monthly", "events"): (0, None),
    ("usage_monthly", "features_used"): (0, None),
    ("usage_monthly", "quota_used"): (0, None),
    ("events", "quantity"): (0, None),
    ("health_monthly", "health_score"): (0, 100),
}

#: (table, column) -> the only values allowed (nulls are governed by nullability).
ALLOWED_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("contracts", "outcome"): contract.OUTCOMES,
    ("onboarding", "status"): contract.ONBOARDING_STATUSES,
    ("engagement", "kind"): contract.ENGAGEMENT_KINDS,
}

#: (table, column) pairs whose dates must be the first day of a month.
FIRST_OF_MONTH: frozenset[tuple[str, str]] = frozenset({("usage_monthly", "month"), ("health_monthly", "month")})

#: table -> columns that together identify a row.
UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    "accounts": ("account_id",),
    "onboarding": ("account_id",),
    "usage_monthly": ("account_id", "month"),
    "health_monthly": ("account_id", "month"),
}


@dataclass(frozen=True)
class CheckSpec:
    """One column check: its stable rule name, what it demands and the fix hint.

    Parameters
    ----------
    rule : str
        Stable rule name (``range``, ``allowed_values``, ``first_of_month``).
    requirement : str
        What a valid value looks like, e.g. ``">= 1"``.
    hint : str
        One line telling the user how to fix offending rows.
    func : callable
        Vectorised element-wise check on a Series (nulls are skipped by pandera).
    """

    rule: str
    requirement: str
    hint: str
    func: Callable[[pd.Series], pd.Series]


def _range_spec(table: str, column: str, low: float | None, high: float | None) -> CheckSpec:
    if high is None:
        requirement = f">= {low:g}"

        def func(s: pd.Series) -> pd.Series:
            return s >= low
    else:
        requirement = f"between {low:g} and {high:g}"

        def func(s: pd.Series) -> pd.Series:
            return (s >= low) & (s <= high)

    return CheckSpec("range", requirement, f"{table}.{column} must be {requirement}; correct the rows shown", func)


def _allowed_spec(table: str, column: str, allowed: tuple[str, ...]) -> CheckSpec:
    listed = ", ".join(allowed)
    allowed_set = list(allowed)

    def func(s: pd.Series) -> pd.Series:
        return s.astype("str").isin(allowed_set)

    return CheckSpec(
        "allowed_values",
        f"one of {listed}",
        f"{table}.{column} must be one of {listed} (lower case, exact spelling); map other values onto these",
        func,
    )


def _first_of_month_spec(table: str, column: str) -> CheckSpec:
    def func(s: pd.Series) -> pd.Series:
        return (s.dt.day == 1) & (s.dt.normalize() == s)

    return CheckSpec(
        "first_of_month",
        "the first day of a month",
        f"{table}.{column} must be the first day of its calendar month (e.g. 2024-03-01 for March 2024)",
        func,
    )


def column_checks(table: str, column: str) -> list[CheckSpec]:
    """Return the value checks of one contract column (nullability and uniqueness excluded).

    Parameters
    ----------
    table, column : str
        Contract table and column names.

    Returns
    -------
    list of CheckSpec
        In a fixed order; a pandera ``check_number`` indexes into this list.
    """
    specs: list[CheckSpec] = []
    if (table, column) in RANGES:
        specs.append(_range_spec(table, column, *RANGES[(table, column)]))
    if (table, column) in ALLOWED_VALUES:
        specs.append(_allowed_spec(table, column, ALLOWED_VALUES[(table, column)]))
    if (table, column) in FIRST_OF_MONTH:
        specs.append(_first_of_month_spec(table, column))
    return specs


def table_schema(table: str) -> pa.DataFrameSchema:
    """Return the pandera schema of the column rules of contract table ``table``.

    Columns are not required (the loader reports missing ones as
    ``column_missing``) and dtypes are not checked (the loader reports values
    that do not parse as ``type``). Validate with ``lazy=True`` to collect
    every failure.

    Parameters
    ----------
    table : str
        Contract table name.

    Returns
    -------
    pandera.pandas.DataFrameSchema
    """
    spec = contract.TABLES[table]
    columns = {
        col.name: pa.Column(
            nullable=col.nullable,
            required=False,
            checks=[pa.Check(s.func, name=s.rule, element_wise=False, ignore_na=True) for s in column_checks(table, col.name)],
        )
        for col in spec.columns
    }
    key = list(UNIQUE_KEYS.get(table, ()))
    return pa.DataFrameSchema(columns, name=table, unique=key or None, report_duplicates="all", strict=False, coerce=False)
