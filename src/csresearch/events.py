"""Aggregate a raw events log into usage_monthly, out of core, with DuckDB.

The contract's ``events`` table (one row per action) may be far larger than
memory; ``usage_monthly`` (account x calendar month) is what every feature
reads. :func:`usage_from_events` does the heavy step in DuckDB, reading Parquet
and CSV files directly (never through pandas) and spilling to disk when the
data exceed ``memory_limit``. :func:`write_usage_file` is what the
``csresearch build-usage`` command runs.

The aggregation is defined once, in :data:`USAGE_SQL`, in standard SQL that
DuckDB and Spark SQL both run. It reads a relation with the columns

==========  ==========================================================
account_id  string
user_id     string
ts          timestamp without time zone holding the UTC wall-clock time,
            truncated to microseconds (Spark's timestamp precision)
event_type  string
quantity    double, nullable
==========  ==========================================================

and writes one row per (account_id, month) that has at least one event:
``month`` is the first day of the UTC calendar month of ``ts``,
``active_users`` = COUNT(DISTINCT user_id), ``events`` = COUNT(*),
``features_used`` = COUNT(DISTINCT event_type) and ``quota_used`` =
SUM(COALESCE(quantity, 0)). Months without events get no row: the contract
reads a missing month as zero activity.

Null quantity. The contract says a null quantity means "1 where a quota
applies, else 0"; whether a quota applies depends on the contract in force,
which the events log does not carry. csresearch therefore counts a null
quantity as 0 and its generator (:mod:`csresearch.synth.events`) always writes
quantity explicitly. Logs that rely on the default should fill quantity
before aggregating.

Exactness and speed. Distinct counts are exact (no HyperLogLog, no hashing of
ids). Event types are dictionary-encoded first (:data:`TYPES_SQL`: one bit per
type), so ``features_used`` is the popcount of the OR of a month's bits, which
is exact and about 1 s faster per 20M events than COUNT(DISTINCT event_type);
logs with more than :data:`MAX_MASK_TYPES` types fall back to COUNT(DISTINCT).
Users stay a plain COUNT(DISTINCT): a two-stage version (dedup per account,
month, user first), a user dictionary joined in, and a GROUPING SETS version
all used as much or more time (see benchmarks/README.md), and ids of up to 12
bytes are stored inline by DuckDB.
Column pruning is automatic (only the five columns are read from Parquet).

Running the same aggregation on Spark: :mod:`csresearch.events_spark`
(``csresearch build-usage --engine spark``) runs :data:`TYPES_SQL` and
:func:`usage_sql` verbatim on Spark SQL with the session time zone pinned to
UTC; the few places where the engines differ (reading and typing the raw log,
one cast of the result) are listed in ``events_spark.SPARK_DIALECT``.

Rows whose account_id or timestamp is null (or unparsable in CSV) cannot be
placed in a month; they are left out and counted in :class:`UsageBuild`.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from .atomic import atomic_path
from .csvsafe import neutralise_formulas
from .errors import InputError
from .reading import undecodable_hint

__all__ = ["USAGE_SQL", "TYPES_SQL", "usage_sql", "REQUIRED_COLUMNS", "UsageBuild", "usage_from_events", "build_usage", "write_usage_file"]

#: The aggregation, in standard SQL (DuckDB and Spark SQL); ``{events}`` is the normalised log.
USAGE_SQL = """
SELECT events.account_id,
       date_trunc('month', events.ts)     AS month,
       COUNT(DISTINCT events.user_id)     AS active_users,
       COUNT(*)                           AS events,
       {features_used}                    AS features_used,
       SUM(COALESCE(events.quantity, 0))  AS quota_used
FROM {events}{join_types}
GROUP BY events.account_id, date_trunc('month', events.ts)
ORDER BY events.account_id, month
"""

#: ``features_used`` as a plain exact distinct count (any number of event types).
FEATURES_DISTINCT = "COUNT(DISTINCT events.event_type)"

#: ``features_used`` from a dictionary of event types: each type is one bit of a
#: BIGINT mask, a month's mask is the bitwise OR of its events' bits and its
#: popcount is the exact number of distinct types. Used when the log has at most
#: :data:`MAX_MASK_TYPES` types; about 1 s faster per 20M events than
#: :data:`FEATURES_DISTINCT` (see benchmarks/README.md).
#: COALESCE: a group whose event types are all null has a null mask, and counts 0 like COUNT(DISTINCT).
FEATURES_MASK = "COALESCE(bit_count(bit_or(types.type_mask)), 0)"
JOIN_TYPES = "\nLEFT JOIN {types} AS types ON types.event_type = events.event_type"
TYPES_SQL = """
SELECT event_type,
       CASE WHEN type_index < 62 THEN CAST(POWER(2, type_index) AS BIGINT) END AS type_mask
FROM (SELECT event_type, ROW_NUMBER() OVER (ORDER BY event_type) - 1 AS type_index
      FROM (SELECT DISTINCT event_type FROM {events} WHERE event_type IS NOT NULL) AS distinct_types) AS indexed
"""
MAX_MASK_TYPES = 62


def usage_sql(events: str, types: str | None = None) -> str:
    """The aggregation over relation ``events``; with ``types`` (a relation made by :data:`TYPES_SQL`) the mask form."""
    if types is None:
        return USAGE_SQL.format(events=events, features_used=FEATURES_DISTINCT, join_types="")
    return USAGE_SQL.format(events=events, features_used=FEATURES_MASK, join_types=JOIN_TYPES.format(types=types))


#: Columns every events input must have; quantity is optional (null when absent).
REQUIRED_COLUMNS = ("account_id", "user_id", "timestamp", "event_type")

_USAGE_DTYPES = {
    "account_id": "str",
    "month": "datetime64[ns]",
    "active_users": "int64",
    "events": "int64",
    "features_used": "int64",
    "quota_used": "float64",
}
_PARQUET_SUFFIXES = (".parquet", ".pq")
_CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv")


@dataclass(frozen=True)
class UsageBuild:
    """The result of aggregating an events log.

    Attributes
    ----------
    usage : DataFrame
        usage_monthly, typed like the loader types it, sorted by account_id, month.
    n_events : int
        Input events read (including skipped ones).
    n_skipped : int
        Events left out because account_id or timestamp was null or unparsable.
    seconds : float
        Wall time of the aggregation.
    """

    usage: pd.DataFrame
    n_events: int
    n_skipped: int
    seconds: float

    @property
    def summary(self) -> pd.DataFrame:
        """One-row overview: rows, accounts, months, events, skipped, seconds."""
        u = self.usage
        return pd.DataFrame(
            {
                "rows": [len(u)],
                "accounts": [u["account_id"].nunique()],
                "months": [u["month"].nunique()],
                "first_month": [u["month"].min()],
                "last_month": [u["month"].max()],
                "input_events": [self.n_events],
                "skipped_events": [self.n_skipped],
                "seconds": [round(self.seconds, 3)],
            }
        )

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.summary.to_html(index=False)


# ---------------------------------------------------------------------------
# inputs


def _is_glob(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def _kind_of(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(_PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(_CSV_SUFFIXES):
        return "csv"
    return None


def _resolve_files(source: str | os.PathLike) -> list[Path]:
    """Files named by one path, folder or glob; InputError when there are none."""
    text = os.fspath(source)
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and _kind_of(p))
        if not files:
            raise InputError(f"events folder {text!r} holds no .parquet or .csv files")
        return files
    if path.is_file():
        if _kind_of(path) is None:
            raise InputError(f"events file {text!r} is neither Parquet (.parquet) nor CSV (.csv, .csv.gz)")
        return [path]
    if _is_glob(text):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file() and _kind_of(Path(p)))
        if not files:
            raise InputError(f"no .parquet or .csv files match the pattern {text!r}")
        return files
    raise InputError(f"events input {text!r} does not exist; give Parquet/CSV files, folders or glob patterns")


def _frame_to_arrow(frame: pd.DataFrame) -> pa.Table:
    """The events frame as Arrow, timestamp as exact UTC epoch nanoseconds (nullable int64)."""
    ts = frame["timestamp"]
    if not pd.api.types.is_datetime64_any_dtype(ts):
        ts = pd.to_datetime(ts, utc=True, format="ISO8601", errors="coerce")
    elif getattr(ts.dt, "tz", None) is None:
        ts = ts.dt.tz_localize("UTC")  # naive means UTC
    ts_ns = pa.array(ts.dt.tz_convert("UTC")).cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64())
    columns = {c: pa.array(frame[c].astype("str"), type=pa.string()) for c in ("account_id", "user_id", "event_type")}
    quantity = frame["quantity"] if "quantity" in frame else pd.Series(np.nan, index=frame.index)
    columns["quantity"] = pa.array(pd.to_numeric(quantity, errors="coerce").astype("float64"), from_pandas=True)
    columns["ts_ns"] = ts_ns
    return pa.table(columns)


def _floor_us(ns: str) -> str:
    """SQL: epoch nanoseconds -> TIMESTAMP, floored (not rounded) to microseconds."""
    return f"make_timestamp(CASE WHEN {ns} >= 0 THEN {ns} // 1000 ELSE -((999 - {ns}) // 1000) END)"


def _timestamp_expression(column_type: str) -> str:
    """SQL turning the raw ``timestamp`` column of a file into UTC ``ts`` (see USAGE_SQL)."""
    t = column_type.upper()
    if t in ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE"):
        return 'CAST("timestamp" AS TIMESTAMP)'  # session TimeZone is UTC, so aware values give UTC wall time
    if t in ("TIMESTAMP_NS", "TIMESTAMPTZ_NS"):
        return _floor_us('epoch_ns("timestamp")')
    if t == "VARCHAR":  # ISO-8601 strings, with Z, an offset, or none (= UTC)
        return _floor_us('epoch_ns(TRY_CAST("timestamp" AS TIMESTAMPTZ_NS))')
    raise InputError(
        f"events.timestamp has type {column_type}; it must be a timestamp (Parquet) or ISO-8601 text such as "
        "2024-03-01T12:30:00Z"
    )


def _normalised_select(relation: str, columns: dict[str, str], label: str, *, ts_ns: bool = False) -> str:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InputError(
            f"events input {label} lacks required column(s) {', '.join(missing)} "
            f"(it has {', '.join(columns) or 'none'}); events need {', '.join(REQUIRED_COLUMNS)} and optionally quantity"
        )
    quantity = 'TRY_CAST("quantity" AS DOUBLE)' if "quantity" in columns else "CAST(NULL AS DOUBLE)"
    ts = _floor_us("ts_ns") if ts_ns else _timestamp_expression(columns["timestamp"])
    return (
        'SELECT CAST("account_id" AS VARCHAR) AS account_id, CAST("user_id" AS VARCHAR) AS user_id, '
        f'{ts} AS ts, CAST("event_type" AS VARCHAR) AS event_type, {quantity} AS quantity FROM {relation}'
    )


def _sql_list(files: list[Path]) -> str:
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"


def _label(files: list[Path]) -> str:
    return f"{files[0]}" if len(files) == 1 else f"{files[0]} (and {len(files) - 1} more files)"


def _source_selects(con: duckdb.DuckDBPyConnection, source) -> list[str]:
    """One normalised SELECT per input group (each in-memory frame, all Parquet, all CSV)."""
    sources = list(source) if isinstance(source, (list, tuple)) else [source]
    if not sources:
        raise InputError("no events input given")
    frames: list[pd.DataFrame] = []
    files: dict[str, list[Path]] = {"parquet": [], "csv": []}
    for item in sources:
        if isinstance(item, pd.DataFrame):
            frames.append(item)
        else:
            for f in _resolve_files(item):
                files[_kind_of(f)].append(f)
    selects = []
    for i, frame in enumerate(frames):
        name = f"_events_frame_{i}"
        selects.append(_normalised_select(name, {str(c): "" for c in frame.columns}, "events frame", ts_ns=True))
        con.register(name, _frame_to_arrow(frame))
    readers = {
        "parquet": "read_parquet({files}, union_by_name = true)",
        "csv": "read_csv({files}, header = true, all_varchar = true, union_by_name = true)",
    }
    for kind, paths in files.items():
        if not paths:
            continue
        relation = readers[kind].format(files=_sql_list(paths))
        try:
            described = con.sql(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        except duckdb.Error as exc:
            raise InputError(f"could not read events from {_label(paths)}: {undecodable_hint(str(exc))}") from None
        selects.append(_normalised_select(relation, {row[0]: row[1] for row in described}, _label(paths)))
    return selects


# ---------------------------------------------------------------------------
# aggregation


def _connect(memory_limit: str | None, threads: int | None, temp_directory: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")  # months are UTC months whatever the machine's zone
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET temp_directory = ?", [os.fspath(temp_directory)])
    if memory_limit is not None:
        con.execute("SET memory_limit = ?", [str(memory_limit)])
    if threads is not None:
        con.execute("SET threads = ?", [int(threads)])
    return con


def _typed_usage(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas()
    return pd.DataFrame({c: frame[c].astype(dtype) for c, dtype in _USAGE_DTYPES.items()})


def _restricted(events: str, con: duckdb.DuckDBPyConnection, until: pd.Timestamp | None, accounts) -> str:
    """``events`` limited to events on or before the UTC day ``until`` and to ``accounts`` (a dataset's as_of cut)."""
    where = []
    if until is not None:
        where.append(f"events.ts < TIMESTAMP '{(pd.Timestamp(until).normalize() + pd.Timedelta(days=1)):%Y-%m-%d %H:%M:%S}'")
    if accounts is not None:
        con.register("_kept_accounts", pa.table({"account_id": pa.array([str(a) for a in accounts], type=pa.string())}))
        where.append("events.account_id IN (SELECT account_id FROM _kept_accounts)")
    if not where:
        return events
    return f"(SELECT * FROM {events} WHERE {' AND '.join(where)}) AS events"


def build_usage(
    source,
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | os.PathLike | None = None,
    until: pd.Timestamp | None = None,
    accounts=None,
) -> UsageBuild:
    """Aggregate events to usage_monthly and report what was read; see :func:`usage_from_events`.

    ``until`` and ``accounts`` restrict the events to those on or before that
    UTC day and of those accounts (a dataset's as_of cut), before aggregating.

    Returns
    -------
    UsageBuild
        The usage table with input and skipped event counts and the wall time.
    """
    started = time.perf_counter()
    own_temp = temp_directory is None
    temp = Path(tempfile.mkdtemp(prefix="csresearch-duckdb-")) if own_temp else Path(temp_directory)
    try:
        con = _connect(memory_limit, threads, temp)
        try:
            events = "(\n" + "\nUNION ALL\n".join(_source_selects(con, source)) + "\n) AS events"
            events = _restricted(events, con, until, accounts)
            try:
                con.execute(f"CREATE TEMP TABLE event_types AS {TYPES_SQL.format(events=events)}").fetchall()
                n_types = con.execute("SELECT COUNT(*) FROM event_types").fetchall()[0][0]
                sql = usage_sql(events, "event_types" if n_types <= MAX_MASK_TYPES else None)
                table = con.sql(sql).to_arrow_table()
            except duckdb.Error as exc:
                raise InputError(f"could not aggregate the events: {undecodable_hint(str(exc))}") from None
        finally:
            con.close()
    finally:
        if own_temp:
            shutil.rmtree(temp, ignore_errors=True)
    usage = _typed_usage(table)
    placed = usage["account_id"].notna() & usage["month"].notna()
    n_events = int(usage["events"].sum())
    n_skipped = int(usage.loc[~placed, "events"].sum())
    usage = usage[placed].reset_index(drop=True)
    return UsageBuild(usage=usage, n_events=n_events, n_skipped=n_skipped, seconds=time.perf_counter() - started)


def usage_from_events(
    source,
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | os.PathLike | None = None,
    until: pd.Timestamp | None = None,
    accounts=None,
) -> pd.DataFrame:
    """Aggregate a raw events log into usage_monthly (account x UTC calendar month) with DuckDB.

    Parameters
    ----------
    source : DataFrame, str, Path or list of those
        An events frame, a Parquet or CSV file, a folder of such files (searched
        recursively), a glob pattern, or a list mixing them. Files are read
        by DuckDB directly, never through pandas, and never modified.
        Timestamps may be tz-aware (any zone) or naive (read as UTC), in any
        unit; CSV timestamps are ISO-8601 text with ``Z``, an offset, or none (UTC).
    memory_limit : str, optional
        DuckDB memory limit such as ``"4GB"``; beyond it DuckDB spills to
        ``temp_directory``. Default: DuckDB's (80% of RAM).
    threads : int, optional
        DuckDB threads; default all cores.
    temp_directory : str or Path, optional
        Where DuckDB spills; default a fresh temporary folder, removed afterwards.
    until : Timestamp, optional
        Only events on or before this UTC day (a dataset's as_of cut).
    accounts : sequence of str, optional
        Only events of these accounts.

    Returns
    -------
    DataFrame
        usage_monthly: account_id ``str``, month ``datetime64[ns]`` (first day
        of the UTC month), active_users, events, features_used ``int64``,
        quota_used ``float64``; sorted by account_id, month; one row per
        account-month with events. Null quantity counts as 0 (see module notes).
        Rows with null account_id or timestamp are left out.

    Raises
    ------
    InputError
        For a missing input, a pattern or folder without files, a required
        column missing (named), or a file DuckDB cannot read.
    """
    return build_usage(source, memory_limit=memory_limit, threads=threads, temp_directory=temp_directory,
                       until=until, accounts=accounts).usage


# ---------------------------------------------------------------------------
# writing a usage file


def _write_atomically(usage: pd.DataFrame, output: Path) -> None:
    """Write usage as Parquet or CSV (by suffix) to a temporary file, then rename it into place."""
    with atomic_path(output) as tmp:
        if output.suffix.lower() == ".parquet":
            usage.to_parquet(tmp, index=False)
        else:
            out = neutralise_formulas(usage.assign(month=usage["month"].dt.strftime("%Y-%m-%d")))
            out.to_csv(tmp, index=False, lineterminator="\n")


def write_usage_file(
    events: Sequence[str], output: str | Path, memory_limit: str | None = None, threads: int | None = None
) -> UsageBuild:
    """Aggregate EVENTS into a usage_monthly file (what ``csresearch build-usage`` does).

    Parameters
    ----------
    events : sequence of str
        Parquet/CSV files, folders or glob patterns.
    output : str or Path
        usage_monthly file to write, ``.parquet`` or ``.csv`` (chosen by suffix),
        written atomically (temporary file, then rename).
    memory_limit : str, optional
        DuckDB memory limit, e.g. ``"4GB"``.
    threads : int, optional
        DuckDB threads.

    Returns
    -------
    UsageBuild
        The build written, with its summary and wall time.

    Raises
    ------
    InputError
        For a bad output suffix, an output that is also an input, a missing
        input, no matching files, or missing required columns.
    """
    output = Path(output)
    if output.suffix.lower() not in (".parquet", ".csv"):
        raise InputError(f"output {str(output)!r} must end in .parquet or .csv")
    inputs = {f.resolve() for item in events for f in _resolve_files(item)}
    if output.resolve() in inputs:
        raise InputError(f"output {str(output)!r} is also an input; choose another output file (inputs are never modified)")
    result = build_usage(list(events), memory_limit=memory_limit, threads=threads)
    _write_atomically(result.usage, output)
    return result
