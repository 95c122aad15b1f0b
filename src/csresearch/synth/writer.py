"""Write a synthetic dataset to a folder, byte-for-byte reproducibly.

CSV files have sorted rows, ISO dates, ``\\n`` line ends and floats rounded
per column; Parquet files are written by pyarrow without any timestamp of
"now", so the same seed gives the same bytes in both formats. The writer never
touches a folder holding anything other than an earlier synth output, and it
replaces such an output completely (written to a temporary sibling first).

The events table is written from an iterator of frames, one frame at a time
(:func:`write_events`): the CSV header once and the rows appended, Parquet row
groups of exactly :data:`EVENTS_ROW_GROUP` rows (the last one shorter), so the
bytes depend on the rows only, not on how they were cut into frames.
"""

from __future__ import annotations

import functools
import json
import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from .. import contract
from ..csvsafe import neutralise_formulas
from ..errors import InputError, ParameterError
from .truth import GENERATOR

__all__ = ["ENCODINGS", "EVENTS_ROW_GROUP", "check_target", "is_synth_output", "write_events", "write_synthetic"]

#: Decimals kept per float column when writing.
DECIMALS = {("contracts", "quota"): 0, ("contracts", "arr"): 0, ("usage_monthly", "quota_used"): 0,
            ("engagement", "value"): 0, ("roi", "value"): 1, ("events", "quantity"): 3}
_FORMATS = ("csv", "parquet")
#: Text encodings the CSV tables may be written in (the events file is always UTF-8: DuckDB reads it).
ENCODINGS = ("utf-8", "utf-8-sig", "cp932")
#: Rows per Parquet row group of the events file (fixed: the bytes depend on the rows only).
EVENTS_ROW_GROUP = 1_000_000
_PARQUET_OPTIONS = {"compression": "zstd", "write_statistics": True}


def is_synth_output(folder: Path) -> bool:
    """Whether ``folder`` holds a dataset written by this generator (truth.json names it)."""
    truth = folder / "truth.json"
    if not truth.is_file() or not (folder / "dataset.yml").is_file():
        return False
    try:
        return json.loads(truth.read_text(encoding="utf-8")).get("generator") == GENERATOR
    except (OSError, ValueError, AttributeError):
        return False


def _synth_names() -> set[str]:
    names = {"dataset.yml", "truth.json", "events"}
    return names | {f"{t}.{ext}" for t in contract.TABLES for ext in _FORMATS}


def check_target(out: Path) -> None:
    """Refuse a target folder that is not new, empty or an earlier synth output (nothing else in it).

    Raises
    ------
    InputError
        When ``out`` is a file, a folder of someone else's files, or an earlier
        output holding other files too.
    """
    if out.exists() and not out.is_dir():
        raise InputError(f"{str(out)!r} exists and is not a folder; choose a new folder for the synthetic dataset")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not is_synth_output(out):
        raise InputError(
            f"{str(out)!r} is not empty and is not an earlier csresearch synth output; "
            "refusing to overwrite it: choose an empty or new folder"
        )
    foreign = sorted(p.name for p in out.iterdir() if p.name not in _synth_names())
    if foreign:
        raise InputError(
            f"{str(out)!r} is an earlier synth output but also holds other files ({', '.join(foreign[:5])}); "
            "move them away or choose another folder"
        )


def _rounded(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == "float64":
            out[col] = out[col].round(DECIMALS.get((name, col), 4))
    return out


def _write_table(name: str, frame: pd.DataFrame, path: Path, fmt: str, encoding: str = "utf-8") -> None:
    frame = _rounded(name, frame)
    if fmt == "parquet":
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, path, **_PARQUET_OPTIONS)
        return
    neutralise_formulas(frame).to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d",
                                         encoding=encoding)


_ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _iso_utc(timestamps: pd.Series) -> pa.Array | None:
    """``2024-01-31T23:59:59.999999Z`` text of UTC timestamps, exactly what ``strftime(_ISO_FORMAT)`` gives.

    Built digit by digit in one byte matrix (years 1000-9999, no NaT; ``None`` otherwise).
    """
    us = timestamps.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]")
    if len(us) == 0 or np.isnat(us).any():
        return None
    month_start, day_start = us.astype("datetime64[M]"), us.astype("datetime64[D]")
    year = month_start.astype("datetime64[Y]").astype(np.int64) + 1970
    if year.min() < 1000 or year.max() > 9999:
        return None
    tod = (us - day_start).astype(np.int64)  # microseconds into the day
    fields = [(year, 4), "-", (month_start.astype(np.int64) % 12 + 1, 2), "-",
              ((day_start - month_start).astype(np.int64) + 1, 2), "T", (tod // 3_600_000_000, 2), ":",
              (tod // 60_000_000 % 60, 2), ":", (tod // 1_000_000 % 60, 2), ".", (tod % 1_000_000, 6), "Z"]
    width = sum(1 if isinstance(f, str) else f[1] for f in fields)
    rows, col = np.empty((len(us), width), dtype=np.uint8), 0
    for field in fields:
        if isinstance(field, str):
            rows[:, col], col = ord(field), col + 1
            continue
        value, digits = field
        for k in range(digits):
            rows[:, col + k] = ord("0") + value // 10 ** (digits - 1 - k) % 10
        col += digits
    offsets = np.arange(0, width * (len(us) + 1), width, dtype=np.int64)
    return pa.Array.from_buffers(pa.large_string(), len(us), [None, pa.py_buffer(offsets), pa.py_buffer(rows)])


def _text_column(values: pd.Series) -> pa.Array | None:
    """One column as the text pandas' ``to_csv`` writes for it (before quoting), built in Arrow.

    ``None`` when that cannot be done exactly here (missing values, -0.0, odd
    years, dtypes other than tz-aware timestamps, categories, floats and str).
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return _iso_utc(values)
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        if (codes < 0).any():
            return None
        text = pa.array(values.cat.categories.astype("str")).take(pa.array(codes))
    elif values.dtype == "float64":  # pandas writes floats as numpy's str() does; few distinct values
        numbers = values.to_numpy()
        if np.isnan(numbers).any() or (np.signbit(numbers) & (numbers == 0)).any():
            return None
        distinct, where = np.unique(numbers, return_inverse=True)
        text = pa.array(distinct.astype(str)).take(pa.array(where))
    elif isinstance(values.dtype, pd.StringDtype):
        text = pa.array(values)
    else:  # other dtypes: pandas formats them
        return None
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return text.cast(pa.large_string())


def _events_csv_text(frame: pd.DataFrame) -> bytes:
    """The CSV rows (no header) of a rounded events frame, as ``neutralise_formulas`` then ``to_csv`` write them.

    Fast path in Arrow when no cell is missing or empty, needs quoting or
    starts like a formula (always so for generated events); pandas otherwise.
    """
    columns = [_text_column(frame[c]) for c in frame.columns]
    plain = len(frame) > 0 and all(
        col is not None and col.null_count == 0
        and not pc.any(pc.match_substring_regex(col, r'[,"\r\n]|^[=+\-@\t\r]|^$')).as_py()
        for col in columns
    )
    if not plain:
        return neutralise_formulas(frame).to_csv(header=False, index=False, lineterminator="\n",
                                                 date_format=_ISO_FORMAT).encode("utf-8")
    text = functools.partial(pa.scalar, type=pa.large_string())
    lines = pc.binary_join_element_wise(*columns, text(","))
    lines = pc.binary_join_element_wise(lines, text(""), text("\n"))  # line + "\n" + ""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    return lines.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]


def _write_events_csv(chunks: Iterable[pd.DataFrame], path: Path) -> int:
    rows = 0
    with open(path, "wb") as out:
        for i, chunk in enumerate(chunks):
            if i == 0:
                out.write((",".join(chunk.columns) + "\n").encode("utf-8"))
            out.write(_events_csv_text(_rounded("events", chunk)))
            rows += len(chunk)
    return rows


def _write_events_parquet(chunks: Iterable[pd.DataFrame], path: Path) -> int:
    writer, pending, rows = None, [], 0
    try:
        for chunk in chunks:
            table = pa.Table.from_pandas(_rounded("events", chunk), preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, **_PARQUET_OPTIONS)
            pending.append(table)
            rows += len(table)
            held = pa.concat_tables(pending)
            full = len(held) // EVENTS_ROW_GROUP * EVENTS_ROW_GROUP
            for lo in range(0, full, EVENTS_ROW_GROUP):  # one contiguous row group at a time
                writer.write_table(held.slice(lo, EVENTS_ROW_GROUP).combine_chunks(), row_group_size=EVENTS_ROW_GROUP)
            pending = [held.slice(full)] if full < len(held) else []
        if writer is not None and pending:
            writer.write_table(pa.concat_tables(pending).combine_chunks(), row_group_size=EVENTS_ROW_GROUP)
    finally:
        if writer is not None:
            writer.close()
    return rows


def write_events(chunks: Iterable[pd.DataFrame], path: str | Path, fmt: str = "csv") -> int:
    """Write the events table from frames, one frame at a time.

    CSV: the header once, then each frame's rows appended (timestamps as
    ``YYYY-MM-DDTHH:MM:SS.ffffffZ``). Parquet: a pyarrow ``ParquetWriter``
    with the schema of the first frame, row groups of exactly
    :data:`EVENTS_ROW_GROUP` rows (the last shorter), so the bytes depend on the
    rows only. Floats are rounded as :data:`DECIMALS` says.

    Parameters
    ----------
    chunks : iterable of DataFrame
        Contract events frames with the same dtypes, in file order; at least one
        (it may be empty). Only one is held at a time.
    path : str or Path
        File to write.
    fmt : {"csv", "parquet"}
        File format.

    Returns
    -------
    int
        Rows written.
    """
    if fmt not in _FORMATS:
        raise ParameterError(f"format must be one of {', '.join(_FORMATS)}, not {fmt!r}")
    return (_write_events_parquet if fmt == "parquet" else _write_events_csv)(chunks, Path(path))


def write_synthetic(data, out_dir: str | Path, fmt: str = "csv", encoding: str = "utf-8") -> Path:
    """Write ``data`` (a SyntheticData) into ``out_dir``.

    Parameters
    ----------
    data : SyntheticData
        The generated dataset; its events (``data.event_chunks()``) are written
        one frame at a time.
    out_dir : str or Path
        Target folder: new, empty, or an earlier synth output (replaced completely).
    fmt : {"csv", "parquet"}
        Table file format.
    encoding : {"utf-8", "utf-8-sig", "cp932"}
        Text encoding of the CSV tables (``utf-8-sig``: with a byte-order mark;
        ``cp932``: Shift_JIS as Excel in Japan writes it). The events file is
        UTF-8 whatever this says; dataset.yml does not name the encoding, so
        reading detects it.

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    InputError
        When ``out_dir`` holds anything but an earlier synth output.
    ParameterError
        For an unknown format or encoding.
    """
    if fmt not in _FORMATS:
        raise ParameterError(f"format must be one of {', '.join(_FORMATS)}, not {fmt!r}")
    if encoding not in ENCODINGS:
        raise ParameterError(f"encoding must be one of {', '.join(ENCODINGS)}, not {encoding!r}")
    out = Path(out_dir)
    check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.synth-tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        meta = {k: data.metadata[k] for k in ("name", "extracted_at", "description") if data.metadata.get(k) is not None}
        meta["extracted_at"] = pd.Timestamp(meta["extracted_at"]).date()  # unquoted YAML date
        (tmp / "dataset.yml").write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8")
        for name, frame in data.tables.items():
            if name != "events":
                _write_table(name, frame, tmp / f"{name}.{fmt}", fmt, encoding)
        chunks = data.event_chunks()
        if chunks is not None:
            write_events(chunks, tmp / f"events.{fmt}", fmt)
        (tmp / "truth.json").write_text(json.dumps(data.truth, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out
