"""Read contract table files and give every column its contract dtype.

CSV is read as text and parsed column by column; Parquet keeps its own types
and is converted to the same dtypes, so that CSV and Parquet of the same data
load identically. Values that do not parse become null and are reported as
``type`` violations, never guessed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import contract
from .violations import Violation, examples_from

__all__ = ["read_table_file", "coerce_table", "typed_table", "find_table_file"]




def find_table_file(folder: Path, table: str) -> tuple[Path | None, list[Path]]:
    """The file holding ``table`` in ``folder`` (Parquet before CSV) and any further ones that are ignored."""
    found = [folder / f"{table}{ext}" for ext in contract.FILE_FORMATS if (folder / f"{table}{ext}").is_file()]
    if not found and table == "events" and (folder / "events").is_dir():
        return folder / "events", []
    return (found[0] if found else None), found[1:]


def read_table_file(path: str | Path) -> pd.DataFrame:
    """Read one table file without typing it.

    CSV is read as text (UTF-8, a BOM and Windows line endings accepted; empty
    fields are null, nothing else is); Parquet keeps its own types.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.parquet`` file, or a folder of Parquet files.

    Returns
    -------
    DataFrame
    """
    path = Path(path)
    if path.is_dir() or path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        encoding="utf-8-sig",
    )


def _blank_to_na(s: pd.Series) -> pd.Series:
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        s = s.astype("str")
        s = s.where(s.str.strip() != "", np.nan)
    return s


def _present(raw: pd.Series) -> pd.Series:
    """Which raw values hold something (not null, not a blank string), without converting non-strings."""
    present = raw.notna()
    if raw.dtype == object:
        values = raw.to_numpy()
        blank = np.fromiter((isinstance(v, str) and not v.strip() for v in values), dtype=bool, count=len(values))
        present &= ~blank
    elif pd.api.types.is_string_dtype(raw):
        present &= raw.str.strip().ne("").fillna(False).astype(bool)
    return present


def _as_ns_utc(out: pd.Series) -> pd.Series:
    """Cast a UTC datetime Series of any unit to ns; values outside the ns range become NaT (reported as type)."""
    if out.dtype.unit != "ns":
        low, high = pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC")
        out = out.where((out >= low) & (out <= high))
    return out.astype("datetime64[ns, UTC]")


def _to_datetime(s: pd.Series, utc: bool) -> pd.Series:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_any_dtype(s):
        out = s.dt.tz_localize("UTC")  # naive timestamps are taken as UTC
    else:
        if s.dtype != object:  # text read from CSV (or numbers): parse the stripped text
            s = s.astype("str").str.strip()
        # object columns (Parquet date32, python dates, mixed) parse vectorised as they are
        out = pd.to_datetime(s, errors="coerce", format="ISO8601", utc=True)
    out = _as_ns_utc(out)
    return out if utc else out.dt.tz_localize(None)


def _to_number(s: pd.Series, integer: bool, nullable: bool) -> pd.Series:
    if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
        s = pd.to_numeric(_blank_to_na(s), errors="coerce")
    s = s.astype("float64")
    if not integer:
        return s
    whole = s.isna() | (s == np.round(s))
    s = s.where(whole)  # 2.5 seats is not an integer: make it a parse failure
    if nullable or s.isna().any():
        return s.astype("Int64")
    return s.astype("int64")


def _to_string(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s):
        # ids stored as numbers in Parquet: 17.0 -> "17"
        whole = s.notna() & (s == np.floor(s))
        as_int = s.where(whole).astype("Int64").astype("str")
        s = as_int.where(whole, s.astype("str"))
    elif pd.api.types.is_integer_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype("str")
    elif not pd.api.types.is_string_dtype(s) or s.dtype == object:
        s = s.map(lambda v: np.nan if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))
    return _blank_to_na(s.astype("str"))


def coerce_table(frame: pd.DataFrame, table: contract.Table) -> tuple[pd.DataFrame, list[Violation]]:
    """Give every contract column of ``frame`` its contract dtype.

    Values that cannot be parsed become null and are reported, never guessed.
    Unknown columns are kept unchanged.

    Parameters
    ----------
    frame : DataFrame
        The table as read from its file.
    table : contract.Table
        The contract table it should satisfy.

    Returns
    -------
    typed : DataFrame
        A new frame (the input is not modified), with a fresh RangeIndex.
    problems : list of Violation
        ``column_missing`` for absent contract columns, ``type`` for values
        that do not parse.
    """
    typed, problems, _ = typed_table(frame, table)
    return typed, problems


def typed_table(frame: pd.DataFrame, table: contract.Table) -> tuple[pd.DataFrame, list[Violation], dict[str, np.ndarray]]:
    """:func:`coerce_table`, also returning column -> row positions that failed to parse."""
    out = frame.copy().reset_index(drop=True)
    problems: list[Violation] = []
    failures: dict[str, np.ndarray] = {}
    columns = list(table.columns)
    if table.extra_columns_prefix:
        columns += [
            contract.Column(c, "float", nullable=True)
            for c in out.columns
            if isinstance(c, str) and c.startswith(table.extra_columns_prefix)
        ]
    for col in columns:
        if col.name not in out.columns:
            problems.append(
                Violation(
                    table.name,
                    col.name,
                    "column_missing",
                    0,
                    f"add a column named '{col.name}' ({col.kind}) to {table.name}; column names are case-sensitive",
                )
            )
            continue
        raw = out[col.name]
        if col.kind == "string":
            typed = _to_string(raw)
        elif col.kind == "category":
            typed = _to_string(raw).astype("category")
        elif col.kind in ("date", "timestamp"):
            typed = _to_datetime(raw, utc=col.kind == "timestamp")
        elif col.kind in ("integer", "float"):
            typed = _to_number(raw, integer=col.kind == "integer", nullable=col.nullable)
        else:  # pragma: no cover - contract is static
            raise ValueError(col.kind)
        present = _present(raw)
        bad = present & typed.isna()
        if bad.any():
            failures[col.name] = np.flatnonzero(bad.to_numpy())
            expected = {
                "date": "an ISO-8601 date such as 2024-03-01",
                "timestamp": "an ISO-8601 timestamp such as 2024-03-01T12:30:00Z",
                "integer": "a whole number",
                "float": "a number (use '.' as the decimal point, no thousands separator)",
            }.get(col.kind, "text")
            problems.append(
                Violation(
                    table.name,
                    col.name,
                    "type",
                    int(bad.sum()),
                    f"every value of {table.name}.{col.name} must be {expected}; fix or blank the rows shown",
                    examples_from(pd.DataFrame({col.name: raw}), bad),
                )
            )
        out[col.name] = typed
    return out, problems, failures
