"""Plain JSON data from numpy, pandas and datetime values.

:func:`json_safe` is the one conversion every JSON output of csresearch uses
(findings.json, factors.json). It sits in the lowest layer so that the
statistics (:mod:`csresearch.analysis`) and the reports can both use it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .atomic import write_text_atomic

__all__ = ["dump_json", "json_safe", "write_json_atomic"]


def json_safe(value: Any) -> Any:
    """Return ``value`` as plain JSON data.

    NaN and infinities become None, numpy scalars and arrays Python numbers and
    lists, pandas Series dicts, DataFrames lists of records, timestamps and
    dates ISO strings, paths strings, tuples and sets lists; mapping keys
    become strings.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        ts = pd.Timestamp(value)
        return ts.date().isoformat() if ts == ts.normalize() and ts.tz is None else ts.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (pd.Timedelta, dt.timedelta)):
        return pd.Timedelta(value).total_seconds()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [json_safe(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item"):  # other numpy-like scalars
        return json_safe(value.item())
    raise TypeError(f"cannot write {type(value).__name__} to findings.json: {value!r}")


def dump_json(data: Any) -> str:
    """``data`` made JSON-safe, as indented UTF-8 JSON text with a final newline."""
    return json.dumps(json_safe(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json_atomic(data: Any, path: str | Path) -> Path:
    """Write ``data`` (made JSON-safe) to ``path`` via a temporary file and rename."""
    return write_text_atomic(path, dump_json(data))
