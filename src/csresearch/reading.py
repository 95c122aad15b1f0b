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

__all__ = ["read_table_file", "coerce_table", "typed_table", "find_table_file", "duplicate_csv_columns"]

#: Largest magnitude an integer column holds (int64).
_INT_LIMIT = 2**63 - 1
#: An ISO date, optionally followed by a time and an offset: the calendar date is the part before the time.
_DATE_PREFIX = r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"
_EXPECTED = {
    "date": "an ISO-8601 date such as 2024-03-01",
    "timestamp": "an ISO-8601 timestamp such as 2024-03-01T12:30:00Z",
    "integer": "a whole number (not inf or NaN)",
    "float": "a finite number (use '.' as the decimal point, no thousands separator; not inf or NaN)",
}


def find_table_file(folder: Path, table: str) -> tuple[Path | None, list[Path]]:
    """The file holding ``table`` in ``folder`` (Parquet before CSV) and any further ones that are ignored.

    A candidate that is a folder or a broken symbolic link is returned too, so
    that reading it fails with a message saying what it is (not "add the file").
    """
    candidates = [folder / f"{table}{ext}" for ext in contract.FILE_FORMATS]
    found = [p for p in candidates if p.is_file() or p.is_symlink() or (p.is_dir() and table != "events")]
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
    if path.is_symlink() and not path.exists():
        raise FileNotFoundError(f"{path.name} is a symbolic link to {path.readlink()}, which does not exist")
    if path.is_dir() and path.name != "events" and path.suffix != ".parquet":  # a folder may only hold Parquet parts
        raise IsADirectoryError(f"{path.name} is a folder, not a file")
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
    if isinstance(s.dtype, pd.DatetimeTZDtype):  # a date keeps its wall-clock calendar date; a timestamp goes to UTC
        out = s.dt.tz_convert("UTC") if utc else s.dt.tz_localize(None).dt.tz_localize("UTC")
    elif pd.api.types.is_datetime64_any_dtype(s):
        out = s.dt.tz_localize("UTC")  # naive timestamps are taken as UTC
    else:
        if s.dtype != object:  # text read from CSV (or numbers): parse the stripped text
            s = s.astype("str").str.strip()
            longer = s.str.len() > 10
            if not utc and longer.any():  # a date keeps the calendar date as written, whatever time or offset follows
                s = s.where(~longer, s.str.extract(_DATE_PREFIX, expand=False).fillna(s))
        # object columns (Parquet date32, python dates, mixed) parse vectorised as they are
        out = pd.to_datetime(s, errors="coerce", format="ISO8601", utc=True)
    out = _as_ns_utc(out)
    return out if utc else out.dt.tz_localize(None).dt.normalize()  # a date is a calendar day


def _to_number(s: pd.Series, integer: bool, nullable: bool) -> pd.Series:
    if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
        s = pd.to_numeric(_blank_to_na(s), errors="coerce")
    s = s.astype("float64")
    s = s.where(np.isfinite(s))  # inf, -inf and NaN are not data: parse failures, reported as written
    if not integer:
        return s
    whole = s.isna() | ((s == np.round(s)) & (s.abs() <= _INT_LIMIT))
    s = s.where(whole)  # 2.5 seats, or 1e30 employees, is not an int64: make it a parse failure
    if nullable or s.isna().any():
        return s.astype("Int64")
    return s.astype("int64")


def _nested(value: object) -> bool:
    """Whether a value is a list, array or mapping (a Parquet list or struct), which no contract column holds."""
    return isinstance(value, (list, tuple, dict, np.ndarray))


def _to_string(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s):
        # ids stored as numbers in Parquet: 17.0 -> "17"
        whole = s.notna() & (s == np.floor(s))
        as_int = s.where(whole).astype("Int64").astype("str")
        s = as_int.where(whole, s.astype("str"))
    elif pd.api.types.is_integer_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype("str")
    elif not pd.api.types.is_string_dtype(s) or s.dtype == object:
        s = s.map(lambda v: np.nan if v is None or _nested(v) or (not isinstance(v, str) and pd.isna(v)) else str(v))
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
        if col.name not in out.columns and col.optional:
            continue
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
        nested = raw.map(_nested).astype(bool) if raw.dtype == object else None
        if nested is not None and nested.any():  # Parquet lists or structs: shown as written, never taken as values
            raw = raw.map(lambda v: str(v) if _nested(v) else v)
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
        if nested is not None and nested.any():
            typed = typed.mask(nested)
        bad = _present(raw) & typed.isna()
        if bad.any():
            failures[col.name] = np.flatnonzero(bad.to_numpy())
            problems.extend(_parse_problems(table.name, col, raw, bad))
        out[col.name] = typed
    return out, problems, failures


def _parse_problems(table: str, col: contract.Column, raw: pd.Series, bad: pd.Series) -> list[Violation]:
    """The violations of values that did not parse: dates outside the supported range apart, the rest as ``type``."""
    out = []
    if col.kind in ("date", "timestamp"):
        year = pd.to_numeric(raw.astype("str").str.extract(r"^\s*(\d{4})-\d{2}-\d{2}", expand=False), errors="coerce")
        far = bad & ((year > pd.Timestamp.max.year) | (year < pd.Timestamp.min.year + 1)).fillna(False).astype(bool)
        if far.any():
            out.append(Violation(table, col.name, "range", int(far.sum()),
                                 f"{table}.{col.name} holds dates outside {pd.Timestamp.min.year + 1}-{pd.Timestamp.max.year} "
                                 "(after extracted_at, or a placeholder such as 9999-12-31); leave unknown dates empty",
                                 examples_from(pd.DataFrame({col.name: raw}), far)))
            bad = bad & ~far
    if bad.any():
        expected = _EXPECTED.get(col.kind, "text (not a list or a struct)")
        out.append(Violation(table, col.name, "type", int(bad.sum()),
                             f"every value of {table}.{col.name} must be {expected}; fix or blank the rows shown",
                             examples_from(pd.DataFrame({col.name: raw}), bad)))
    return out


def duplicate_csv_columns(path: str | Path) -> list[str]:
    """Column names that appear more than once in a CSV header (pandas would rename the copies ``name.1``)."""
    import csv

    path = Path(path)
    if path.suffix != ".csv" or not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        header = next(csv.reader(fh), [])
    seen, repeated = set(), []
    for name in (h.strip() for h in header):
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    return repeated
