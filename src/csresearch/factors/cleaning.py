"""Reading and cleaning a messy flat churn table, with a note for every change.

The rules, applied in this order and each reported as a note:

* the label: Yes/No, True/False or 1/0 (case-insensitive, whitespace trimmed),
  or any two values with ``positive`` naming the churned one; other or missing
  values are an error that names them;
* text cells are trimmed and blank text counts as missing;
* text columns whose every non-blank value is a number become numeric;
* yes/no and true/false text columns become 0/1;
* columns with one value are dropped;
* identifier-like columns (text unique per row, or row numbers 0..n-1 / 1..n)
  and free-text or very high-cardinality text columns (more than 50 levels or
  more than half as many levels as rows) are excluded;
* rare categories (under 1% of rows or under 10 rows) are grouped into ``other``.

Missing values left after this are handled by the factor model (median
imputation with a missing indicator above 5% missing; a ``(missing)`` level for
categoricals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from .reading import read_table

__all__ = ["CleanTable", "clean_table", "read_table", "parse_label", "MIN_PER_CLASS"]  # read_table: see .reading

MIN_PER_CLASS = 20
BINARY_PAIRS = ({"yes": 1, "no": 0}, {"true": 1, "false": 0}, {"1": 1, "0": 0}, {"1.0": 1, "0.0": 0})
MAX_LEVELS = 50
RARE_SHARE, RARE_ROWS = 0.01, 10


@dataclass
class CleanTable:
    """A cleaned flat table ready for the factor model.

    Attributes
    ----------
    X : DataFrame
        Factor columns (numeric float64 or text), index 0..n-1.
    y : ndarray of int
        1 = churned.
    groups : ndarray or None
        Cross-validation groups (``--group``, else ``--id``), None = one row each.
    duration : ndarray or None
        Time observed (``--duration``).
    notes : list of str
        What was changed and why.
    """

    X: pd.DataFrame
    y: np.ndarray
    groups: np.ndarray | None
    duration: np.ndarray | None
    notes: list[str] = field(default_factory=list)


def _number_text(v: float) -> str:
    """A number as text with every digit kept: whole numbers without a decimal point, others as ``repr``."""
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 2 ** 53 else repr(v)


def _text(s: pd.Series) -> pd.Series:
    """Values as trimmed strings with blanks as missing (numbers exactly, whole numbers without ``.0``)."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        out = s.map(_number_text, na_action="ignore")
    else:
        out = s.astype("str").str.strip()
    return out.where(s.notna() & (out != ""), None)


def _rows(mask: pd.Series, limit: int = 5) -> str:
    idx = np.flatnonzero(mask.to_numpy()) + 2  # file line numbers (header is line 1)
    more = f" and {len(idx) - limit} more" if len(idx) > limit else ""
    return ", ".join(map(str, idx[:limit])) + more


def parse_label(s: pd.Series, positive: str | None) -> tuple[np.ndarray, str]:
    """Turn the label column into 0/1 and say how; InputError naming bad values."""
    name = s.name
    text = _text(s)
    missing = text.isna()
    if missing.any():
        raise InputError(f"label column {name!r} has {int(missing.sum())} missing values (file lines {_rows(missing)}); "
                         f"drop or fill those rows first")
    values = sorted(text.unique())
    if positive is not None:
        pos = positive.strip()
        lookup = {v.lower(): v for v in values}
        if pos.lower() not in lookup:
            raise InputError(f"--positive {positive!r} is not a value of label column {name!r}; its values are {values[:10]}")
        if len(lookup) != 2:
            raise InputError(f"label column {name!r} must have exactly two values (case-insensitive), "
                             f"found {len(lookup)}: {values[:10]}")
        y = (text.str.lower() == pos.lower()).to_numpy(dtype="int64")
        other = [v for k, v in lookup.items() if k != pos.lower()][0]
        return y, f"label {name!r}: {lookup[pos.lower()]!r} = churned, {other!r} = not churned"
    lowered = set(v.lower() for v in values)
    for pair in BINARY_PAIRS:
        if lowered <= set(pair) and lowered:
            y = text.str.lower().map(pair).to_numpy(dtype="int64")
            pos_name = next((v for v in values if pair[v.lower()] == 1), "(absent)")
            return y, f"label {name!r}: values {values} read as churned = {pos_name!r} (case-insensitive, trimmed)"
    raise InputError(f"label column {name!r} has values {values[:10]}{' ...' if len(values) > 10 else ''}, not "
                     f"Yes/No, True/False or 1/0; pass --positive VALUE for a two-valued label")


def _check_columns(frame: pd.DataFrame, named: dict[str, Sequence[str]]) -> None:
    known = list(frame.columns)
    for option, cols in named.items():
        unknown = [c for c in cols if c not in known]
        if unknown:
            raise InputError(f"{option}: unknown column(s) {unknown}; the table's columns are {known}")


def _clean_column(s: pd.Series, n: int, notes: list[str]) -> pd.Series | None:
    """Clean one factor column; None when it is dropped (the reason is in notes)."""
    name = s.name
    if not pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        text = _text(s)
        blanks = int((text.isna() & s.notna()).sum())
        non_missing = text.dropna()
        as_num = pd.to_numeric(non_missing, errors="coerce")
        if len(non_missing) and as_num.notna().all():
            s = pd.to_numeric(text, errors="coerce").astype("float64")
            notes.append(f"{name}: numbers stored as text converted to numeric"
                         + (f"; {blanks} blank value(s) treated as missing" if blanks else ""))
        else:
            lowered = set(non_missing.str.lower().unique())
            pair = next((p for p in BINARY_PAIRS[:2] if lowered and lowered <= set(p)), None)
            if pair is not None and len(lowered) == 2:
                s = text.str.lower().map(pair).astype("float64")
                notes.append(f"{name}: yes/no text converted to 0/1")
            else:
                s = text
    elif pd.api.types.is_bool_dtype(s):
        s = s.astype("float64")
    n_values = s.nunique(dropna=True)
    if n_values <= 1:
        notes.append(f"{name}: dropped, it has only one value")
        return None
    if pd.api.types.is_numeric_dtype(s):
        v = s.dropna()
        if len(v) == n and n_values == n and (v % 1 == 0).all():
            lo = v.min()
            if lo in (0, 1) and v.max() == lo + n - 1:
                notes.append(f"{name}: excluded, it looks like a row number ({lo:g}..{lo + n - 1:g})")
                return None
        return s.astype("float64")
    if n_values == s.notna().sum() and n_values == n:
        notes.append(f"{name}: excluded, it is unique per row (an identifier)")
        return None
    if n_values > MAX_LEVELS or n_values > n / 2:
        notes.append(f"{name}: excluded, free text or too many categories ({n_values} distinct values)")
        return None
    counts = s.value_counts()
    rare = counts[(counts < RARE_SHARE * n) | (counts < RARE_ROWS)].index
    if len(rare):
        s = s.where(~s.isin(rare), "other")
        notes.append(f"{name}: {len(rare)} rare categor{'y' if len(rare) == 1 else 'ies'} "
                     f"(<1% or <10 rows) grouped into 'other': {sorted(map(str, rare))[:8]}")
    return s.astype("str").where(s.notna(), None)


def _groups(frame: pd.DataFrame, group_col: str | None, notes: list[str]) -> np.ndarray | None:
    """Cross-validation groups: the group/id column as text, exactly as written; duplicate rows share a group.

    Rows identical in every column are counted and noted; they are kept (a
    double export cannot be told from two identical customers) but always fall
    in the same cross-validation fold, so a copy never scores its own twin.
    """
    dup = frame.duplicated(keep="first")
    if dup.any():
        notes.append(f"{int(dup.sum())} duplicate row(s): identical in every column to an earlier row (file lines "
                     f"{_rows(dup)}); kept, and each set of identical rows is kept together in one "
                     f"cross-validation fold")
    if group_col:
        groups = _text(frame[group_col]).fillna("(missing)")
        repeated = groups[groups.duplicated(keep=False)].nunique()
        if repeated:
            notes.append(f"{group_col}: {repeated} value(s) appear on more than one row; their rows are kept together "
                         f"in one cross-validation fold ({groups.nunique()} groups for {len(groups)} rows)")
        return groups.to_numpy()
    if not dup.any():
        return None
    return ("row" + frame.groupby(list(frame.columns), dropna=False, sort=False).ngroup().astype("str")).to_numpy()


def clean_table(frame: pd.DataFrame, label: str, positive: str | None = None, id_col: str | None = None,
                duration: str | None = None, exclude: Sequence[str] = (), group: str | None = None) -> CleanTable:
    """Validate the options against ``frame`` and clean it for the factor model (``frame`` is not modified).

    Raises
    ------
    InputError
        Empty table, unknown column names, a bad label, one class or fewer than
        20 rows per class, a bad duration, or no usable factor column.
    """
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InputError("the table is empty: it has no rows (or no columns)")
    _check_columns(frame, {"--label": [label], "--id": [id_col] if id_col else [],
                           "--duration": [duration] if duration else [], "--exclude": list(exclude),
                           "--group": [group] if group else []})
    notes: list[str] = []
    frame = frame.reset_index(drop=True)
    y, how = parse_label(frame[label], positive)
    notes.append(how)
    counts = np.bincount(y, minlength=2)
    if counts.min() == 0:
        raise InputError(f"label column {label!r} has one class only ({int(counts.max())} rows); "
                         f"churn factors need churned and retained rows")
    if counts.min() < MIN_PER_CLASS:
        raise InputError(f"label column {label!r} has {int(counts[1])} churned and {int(counts[0])} retained rows; "
                         f"at least {MIN_PER_CLASS} of each are needed")
    dur = None
    if duration:
        raw = frame[duration]
        d = raw.astype("float64") if pd.api.types.is_numeric_dtype(raw) else pd.to_numeric(_text(raw), errors="coerce")
        bad = d.isna() | (d < 0)
        if bad.any():
            raise InputError(f"--duration column {duration!r} must be a non-negative number on every row; "
                             f"{int(bad.sum())} rows are missing, negative or not numbers (file lines {_rows(bad)})")
        dur = d.to_numpy(dtype="float64")
    groups = _groups(frame, group or id_col, notes)
    reserved = {label, id_col, duration, group, *exclude} - {None}
    if exclude:
        notes.append(f"excluded on request: {list(exclude)}")
    cleaned = {}
    for c in frame.columns:
        if c in reserved:
            continue
        s = _clean_column(frame[c], len(frame), notes)
        if s is not None:
            cleaned[c] = s
    if not cleaned:
        raise InputError("no usable factor column is left after cleaning; see the notes: " + "; ".join(notes[1:]))
    X = pd.DataFrame(cleaned)
    n_missing = int(X.isna().sum().sum())
    if n_missing:
        notes.append(f"{n_missing} missing factor value(s): numeric ones median-imputed (with a missing indicator "
                     f"when over 5% of a column), categorical ones kept as a '(missing)' level")
    return CleanTable(X, y, groups, dur, notes)
