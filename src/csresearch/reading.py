"""Read contract table files and give every column its contract dtype.

CSV is read as text and parsed column by column; Parquet keeps its own types
and is converted to the same dtypes, so that CSV and Parquet of the same data
load identically. Values that do not parse become null and are reported as
``type`` violations, never guessed.

A CSV file's text encoding is the one dataset.yml names for it
(:func:`normalise_encoding`), else detected (:func:`detect_encoding`): a
UTF-8 byte-order mark, then valid UTF-8, then Shift_JIS as Excel in Japan
writes it (CP932); a file that is none of them raises :class:`EncodingError`
naming the byte and line that failed and how to fix it.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np
import pandas as pd

from . import contract
from .errors import InputError
from .violations import Violation, examples_from

__all__ = ["DETECTED_ENCODINGS", "EVENTS_SNIFF_BYTES", "EncodingError", "coerce_table", "decode_failure",
           "detect_encoding", "duplicate_csv_columns", "encoding_label", "find_table_file", "normalise_encoding",
           "read_table_file", "typed_table", "undecodable_hint"]

#: Encodings tried, in order, when dataset.yml names none: BOM, UTF-8, then Shift_JIS as Excel writes it.
DETECTED_ENCODINGS = ("utf-8-sig", "utf-8", "cp932")
_ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp932": "Shift_JIS (CP932)"}
#: Bytes decoded at a time when checking an encoding (a file is never decoded whole in memory).
_DECODE_CHUNK = 1 << 20
#: Bytes of a CSV events file whose encoding is checked before DuckDB reads it.
EVENTS_SNIFF_BYTES = 8 << 20


class EncodingError(InputError):
    """A CSV file could not be decoded: in the encoding dataset.yml names, or in any encoding tried."""

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


def normalise_encoding(name: str) -> str:
    """The Python codec of an encoding name as dataset.yml may spell it; Shift_JIS means CP932.

    Excel's "Shift_JIS" is Microsoft's superset CP932 (with ①, ㈱, NEC and
    IBM extensions), so ``shift_jis``, ``sjis`` and ``ms932`` all read as ``cp932``.

    Raises
    ------
    LookupError
        For a name Python does not know.
    """
    spelled = str(name).strip().lower().replace("_", "-")
    if spelled in ("windows-31j", "x-sjis", "x-ms932"):
        return "cp932"
    codec = codecs.lookup(spelled).name
    return "cp932" if codec == "shift_jis" else codec


def encoding_label(codec: str) -> str:
    """How reports name an encoding: ``UTF-8``, ``UTF-8 with BOM``, ``Shift_JIS (CP932)``, else the codec name."""
    return _ENCODING_LABELS.get(codec, codec)


def decode_failure(path: str | Path, codec: str, limit: int | None = None) -> tuple[int, int, int] | None:
    """Where ``path`` stops being valid ``codec``: ``(byte offset, line, byte)``, or None when it all decodes.

    The file is decoded in chunks of 1 MiB (only its first ``limit`` bytes
    when given: a character cut at the limit is not a failure); the offset is
    0-based, the line 1-based.
    """
    decoder = codecs.getincrementaldecoder(codec)()
    offset, lines = 0, 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(_DECODE_CHUNK if limit is None else max(0, min(_DECODE_CHUNK, limit - offset)))
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk, final=not chunk and limit is None)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                return offset - len(pending) + exc.start, lines + data[: exc.start].count(b"\n") + 1, data[exc.start]
            if not chunk:
                return None
            offset, lines = offset + len(chunk), lines + chunk.count(b"\n")


def detect_encoding(path: str | Path, limit: int | None = None, *,
                    fix: str = "name its encoding in dataset.yml (encoding: {{{table}: latin-1}}, say) or save it "
                               "again as CSV UTF-8") -> str:
    """The encoding of a CSV file: ``utf-8-sig`` (a BOM), ``utf-8`` (valid UTF-8), else ``cp932`` if it decodes.

    Parameters
    ----------
    path : str or Path
    limit : int, optional
        Look at the first ``limit`` bytes only (the events file, which may be
        far larger than memory and is read by DuckDB, which reports a bad byte
        further on itself: :func:`undecodable_hint`).
    fix : str
        How to fix an undecodable file, in the error (``{table}``: the file's stem).

    Raises
    ------
    EncodingError
        When the file is none of them: the message names the first byte that
        is not UTF-8, its offset and line, and how to fix it.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        if fh.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
            return "utf-8-sig"
    failure = decode_failure(path, "utf-8", limit)
    if failure is None:
        return "utf-8"
    if decode_failure(path, "cp932", limit) is None:
        return "cp932"
    offset, line, byte = failure
    raise EncodingError(
        f"{path.name} is neither UTF-8 (byte 0x{byte:02X} at byte offset {offset:,}, line {line:,} is not valid "
        f"UTF-8) nor Shift_JIS (CP932); {fix.format(table=path.stem)}"
    )


def undecodable_hint(message: str) -> str:
    """``message`` of a DuckDB read error, plus how to fix a file that is not UTF-8 when that is what it says."""
    first = message.splitlines()[0] if message else ""
    if "unicode" not in message.lower() and "utf-8" not in message.lower():
        return first
    return (f"{first} The file is not UTF-8 (Shift_JIS/CP932 from Excel, say), and DuckDB reads CSV events as "
            "UTF-8 only: save them again as CSV UTF-8 (iconv -f CP932 -t UTF-8, say) or as Parquet.")


def _undecodable(path: Path, codec: str) -> EncodingError:
    """The error of a file that does not decode in the encoding dataset.yml names for it."""
    failure = decode_failure(path, codec)
    where = (f" (byte 0x{failure[2]:02X} at byte offset {failure[0]:,}, line {failure[1]:,})"
             if failure is not None else "")
    return EncodingError(
        f"{path.name} is not {encoding_label(codec)} as dataset.yml says{where}; correct 'encoding:' in dataset.yml "
        "(or remove it to detect UTF-8 and Shift_JIS) or save the file again as CSV UTF-8"
    )


def read_table_file(path: str | Path, encoding: str | None = None) -> pd.DataFrame:
    """Read one table file without typing it.

    CSV is read as text in ``encoding`` (detected when None:
    :func:`detect_encoding`; Windows line endings accepted; empty fields are
    null, nothing else is); Parquet keeps its own types.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.parquet`` file, or a folder of Parquet files.
    encoding : str, optional
        Python codec of a CSV file (:func:`normalise_encoding`); ignored for Parquet.

    Returns
    -------
    DataFrame

    Raises
    ------
    EncodingError
        When a CSV file does not decode (in ``encoding``, or in any detected one).
    """
    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise FileNotFoundError(f"{path.name} is a symbolic link to {path.readlink()}, which does not exist")
    if path.is_dir() and path.name != "events" and path.suffix != ".parquet":  # a folder may only hold Parquet parts
        raise IsADirectoryError(f"{path.name} is a folder, not a file")
    if path.is_dir() or path.suffix == ".parquet":
        return pd.read_parquet(path)
    codec = encoding or detect_encoding(path)
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                           encoding="utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError:
        raise _undecodable(path, codec) from None


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


def duplicate_csv_columns(path: str | Path, encoding: str | None = None) -> list[str]:
    """Column names that appear more than once in a CSV header (pandas would rename the copies ``name.1``)."""
    import csv

    path = Path(path)
    if path.suffix != ".csv" or not path.is_file():
        return []
    codec = "utf-8-sig" if encoding in (None, "utf-8") else encoding
    with open(path, newline="", encoding=codec, errors="replace") as fh:
        header = next(csv.reader(fh), [])
    seen, repeated = set(), []
    for name in (h.strip() for h in header):
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    return repeated
