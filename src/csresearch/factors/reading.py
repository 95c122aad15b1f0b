"""Reading a flat churn table: CSV separator detection, identifiers kept as text.

A CSV export may use ``,``, ``;`` (spreadsheets in many European locales) or a
tab between fields. The separator is detected from the first lines by counting
which candidate splits every line into the same number of fields (most fields
wins; ``,`` on a tie), unless ``sep`` names it. Identifier and grouping columns
are read as text, so numeric ids keep every digit and any leading zeros. The
text encoding is detected as for the contract tables
(:func:`csresearch.reading.detect_encoding`: UTF-8 with or without a BOM, or
Shift_JIS/CP932 as Excel in Japan writes it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from ..errors import InputError
from ..reading import detect_encoding, encoding_label

__all__ = ["SEPARATORS", "detect_separator", "read_table"]

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
SNIFF_LINES = 50


def _sep_name(sep: str) -> str:
    return f"{SEPARATORS.get(sep, 'custom')} {sep!r}"


def detect_separator(path: Path, encoding: str = "utf-8-sig") -> str:
    """The separator of a CSV file: the candidate giving the same field count > 1 on every sampled line.

    Quoted fields are respected (``csv`` module). Falls back to ``","``.
    """
    import csv

    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        lines = [line for _, line in zip(range(SNIFF_LINES), fh) if line.strip()]
    best, best_fields = ",", 1
    for sep in SEPARATORS:
        counts = {len(row) for row in csv.reader(lines, delimiter=sep)}
        if len(counts) == 1 and (fields := counts.pop()) > best_fields:
            best, best_fields = sep, fields
    return best


def read_table(path: Path, sep: str | None = None, text_columns: Sequence[str] = (),
               notes: list[str] | None = None) -> pd.DataFrame:
    """Read a .csv or .parquet table (never modified); InputError when it cannot be read.

    Parameters
    ----------
    path : Path
    sep : str, optional
        CSV field separator; detected (``,`` ``;`` tab) when None. ``"tab"`` or ``"\\t"`` mean a tab.
    text_columns : sequence of str
        Columns read as text exactly as written (ids, groups).
    notes : list of str, optional
        Receives how the table was read (the separator used).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"table {path} does not exist or is not a file")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            frame = pd.read_parquet(path)
        except (ValueError, OSError) as exc:
            raise InputError(f"cannot read table {path}: {exc}") from None
        return frame.astype({c: "str" for c in text_columns if c in frame.columns})
    if suffix != ".csv":
        raise InputError(f"table {path}: unsupported file type {suffix!r}; use .csv or .parquet")
    if path.stat().st_size == 0:
        raise InputError(f"table {path} is empty: it has no header and no rows")
    codec = detect_encoding(path, fix="save it again as CSV UTF-8")
    given = sep is not None
    sep = {"tab": "\t", "\\t": "\t"}.get(sep, sep) if given else detect_separator(path, codec)
    how = f"{'given' if given else 'detected'} separator {_sep_name(sep)}"
    try:
        frame = pd.read_csv(path, sep=sep, dtype={c: "str" for c in text_columns}, skipinitialspace=False,
                            encoding="utf-8-sig" if codec == "utf-8" else codec)
    except pd.errors.EmptyDataError:
        raise InputError(f"table {path} is empty: it has no header and no rows") from None
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read table {path} with the {how} (pass --sep to set it): "
                         f"{str(exc).splitlines()[0]}") from None
    if frame.shape[1] == 1:
        raise InputError(f"table {path}: with the {how} it has a single column {frame.columns[0]!r}; "
                         f"pass --sep with the separator the file uses (',', ';' or 'tab')")
    if notes is not None:
        notes.append(f"table read with the {how}, text encoding {encoding_label(codec)}, detected")
    return frame
