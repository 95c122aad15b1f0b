"""Aggregate a raw events log into usage_monthly on Apache Spark, from the same SQL as DuckDB.

``csresearch build-usage EVENTS --engine spark [--master URL]`` runs this
module. The aggregation itself is not restated here: Spark runs
:data:`csresearch.events.TYPES_SQL` and :func:`csresearch.events.usage_sql`
verbatim, the very text DuckDB runs (``date_trunc('month', ...)``,
``COUNT(DISTINCT ...)``, the ``bit_count(bit_or(...))`` mask of event types,
``SUM(COALESCE(quantity, 0))``). What differs between the engines is only how
the raw log is read and typed, and one cast of the result; those differences
are listed in :data:`SPARK_DIALECT` and nowhere else.

Why the mask is exact on Spark too: each event type gets one bit of a BIGINT
(``CAST(POWER(2, i) AS BIGINT)`` for i < 62; powers of two are exact in a
double, and 2**61 < 2**63 - 1, so no overflow and the sign bit is never set);
Spark's ``bit_or`` over BIGINT is a BIGINT and ``bit_count`` counts its set
bits (an INT, cast to BIGINT like DuckDB's TINYINT is). Logs with more than
:data:`csresearch.events.MAX_MASK_TYPES` types use ``COUNT(DISTINCT)`` on both
engines.

Time: the session time zone is pinned to UTC (``spark.sql.session.timeZone``),
timestamps are normalised to ``TIMESTAMP_NTZ`` holding the UTC wall clock
(aware Parquet timestamps are converted at UTC, naive ones are UTC by the
contract, ISO-8601 strings are parsed with their offset), and the month is
written as ``TIMESTAMP_NTZ`` midnight of the first day, so no date shifts on
reading back. Parquet nanosecond timestamps (what pandas writes) are not a
Spark type: they are read as epoch nanoseconds
(``spark.sql.legacy.parquet.nanosAsLong``) and floored to microseconds, as
DuckDB floors them.

pyspark is imported only inside functions, so csresearch works without it;
without pyspark or Java 17 the functions raise
:class:`~csresearch.errors.EngineUnavailableError` saying what to install.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .errors import CsResearchError, EngineUnavailableError, InputError
from .events import (
    MAX_MASK_TYPES,
    REQUIRED_COLUMNS,
    TYPES_SQL,
    UsageBuild,
    _kind_of,
    _resolve_files,
    _typed_usage,
    _write_atomically,
    usage_sql,
)

__all__ = ["INSTALL_HINT", "SPARK_DIALECT", "build_usage_spark", "java_problem", "spark_session", "write_usage_file_spark"]

INSTALL_HINT = "install the spark extra: pip install 'csresearch[spark]'; needs Java 17, JAVA_HOME"

#: Everything Spark does differently from DuckDB around the shared aggregation SQL.
SPARK_DIALECT = {
    # session settings: months are UTC months; pandas' nanosecond Parquet timestamps become epoch-ns longs
    "conf": {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.legacy.parquet.nanosAsLong": "true",
        "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    },
    # raw `timestamp` (by Spark type name) -> ts, TIMESTAMP_NTZ holding the UTC wall clock, microseconds
    "timestamp": {
        "timestamp": "CAST({c} AS TIMESTAMP_NTZ)",  # aware: converted at the session zone, UTC
        "timestamp_ntz": "{c}",  # naive: UTC by the contract
        "date": "CAST({c} AS TIMESTAMP_NTZ)",
        "long": "CAST(timestamp_micros(({c} - pmod({c}, 1000)) div 1000) AS TIMESTAMP_NTZ)",  # epoch ns, floored
        "string": "CAST(TRY_CAST({c} AS TIMESTAMP) AS TIMESTAMP_NTZ)",  # ISO-8601 with Z, an offset, or none (UTC)
    },
    "string": "CAST({c} AS STRING)",  # DuckDB: VARCHAR
    "quantity": "TRY_CAST({c} AS DOUBLE)",
    # result: date_trunc gives a (session-zone) TIMESTAMP on Spark, a plain TIMESTAMP on DuckDB
    "month": "CAST(month AS TIMESTAMP_NTZ)",
}

_RAW_VIEW, _EVENTS_VIEW, _TYPES_VIEW = "csresearch_events_raw", "csresearch_events", "csresearch_event_types"
_INTEGER_TYPES = {"byte", "short", "integer", "long"}


# ---------------------------------------------------------------------------
# the session


def _import_spark_session():
    try:
        with warnings.catch_warnings():  # pyspark warns about pandas 3; csresearch moves data through Arrow only
            warnings.simplefilter("ignore", FutureWarning)
            from pyspark.sql import SparkSession
    except ImportError:
        raise EngineUnavailableError(f"the spark engine needs pyspark, which is not installed; {INSTALL_HINT}") from None
    return SparkSession


def java_problem() -> str | None:
    """Why Spark cannot start a JVM here (no Java, or Java older than 17), or None when Java is fine.

    Returns
    -------
    str or None
    """
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home, "bin", "java")) if home else shutil.which("java")
    if not java or not Path(java).is_file():
        return f"no java at JAVA_HOME={home}" if home else "no Java found (JAVA_HOME is unset and java is not on PATH)"
    try:
        out = subprocess.run([java, "-version"], check=False, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{java} -version failed ({exc})"
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return f"cannot tell the Java version of {java}"
    major = int(match.group(2) or 0) if match.group(1) == "1" else int(match.group(1))
    return None if major >= 17 else f"{java} is Java {major}; Spark 4 needs Java 17 or later"


def spark_session(master: str | None = None, conf: dict[str, str] | None = None):
    """Start (or join) a Spark session with the settings the aggregation needs.

    Parameters
    ----------
    master : str, optional
        ``local[2]``, ``spark://host:7077``, ``yarn``, ``k8s://...``; ``sc://host:15002`` connects
        with Spark Connect (needs ``pyspark[connect]``). None: whatever spark-submit or the
        active session gives (``local[*]`` when run plainly).
    conf : dict, optional
        Further Spark settings for a new session, e.g. ``spark.hadoop.fs.s3a.*``.

    Returns
    -------
    (SparkSession, bool)
        The session and whether this call created it (then the caller stops it).

    Raises
    ------
    EngineUnavailableError
        pyspark is not installed, Java 17 is missing, or the session does not start.
    """
    SparkSession = _import_spark_session()
    remote = bool(master) and master.startswith("sc://")
    if not remote and (problem := java_problem()):
        raise EngineUnavailableError(f"the spark engine cannot start: {problem}; {INSTALL_HINT}")
    existing = None if remote else SparkSession.getActiveSession()
    builder = SparkSession.builder.appName("csresearch build-usage")
    builder = builder.remote(master) if remote else (builder.master(master) if master else builder)
    for key, value in {**(conf or {}), **SPARK_DIALECT["conf"]}.items():
        builder = builder.config(key, value)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pandas 3 (see _import_spark_session)
            session = builder.getOrCreate()
        for key, value in SPARK_DIALECT["conf"].items():  # also pins a session that already existed
            session.conf.set(key, value)
        if existing is None and not remote:
            session.sparkContext.setLogLevel("ERROR")  # a new session of ours: no per-query WARN noise on the console
    except ImportError as exc:
        raise EngineUnavailableError(f"Spark Connect needs pip install 'pyspark[connect]>=4.3' ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - any failure to start a JVM or connect is "Spark unavailable"
        raise EngineUnavailableError(f"Spark did not start: {_first_line(exc)}; {INSTALL_HINT}") from None
    return session, existing is None


# ---------------------------------------------------------------------------
# inputs and errors


def _first_line(exc: BaseException) -> str:
    java = getattr(exc, "java_exception", None)  # py4j: the Java exception holds the message
    text = (str(java.toString()) if java is not None else str(exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def _spark_errors(doing: str) -> Iterator[None]:
    """Turn Spark's errors into csresearch errors: analysis problems are bad input, the rest a failed run."""
    from pyspark.errors import AnalysisException, PySparkException

    try:
        yield
    except AnalysisException as exc:
        raise InputError(f"could not {doing} on Spark: {_first_line(exc)}") from None
    except PySparkException as exc:
        raise CsResearchError(f"Spark failed to {doing}: {_first_line(exc)}") from None
    except Exception as exc:
        if type(exc).__module__.startswith("py4j"):
            raise CsResearchError(f"Spark failed to {doing}: {_first_line(exc)}") from None
        raise


def _is_uri(text: str) -> bool:
    """s3a://, gs://, hdfs://, abfss://, file:// ... (a Windows drive letter is not a scheme)."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.\-]+://", text) is not None


def _input_paths(source) -> list[str]:
    """Paths for Spark: local inputs resolved like DuckDB's (files, folders, globs; Parquet only), URIs as given."""
    sources = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    if not sources:
        raise InputError("no events input given")
    paths: list[str] = []
    for item in sources:
        text = os.fspath(item)
        if _is_uri(text):
            paths.append(text)
            continue
        files = _resolve_files(text)
        csv = [f for f in files if _kind_of(f) == "csv"]
        if csv:
            raise InputError(f"the spark engine reads Parquet; {csv[0]} is CSV (convert it, or use --engine duckdb)")
        paths.extend(str(f.absolute()) for f in files)  # absolute: a cluster or Connect server has another cwd
    return paths


def _input_groups(paths: list[str]) -> list[list[str]]:
    """Inputs grouped by the Parquet type of their ``timestamp`` (local files), URIs in one group.

    Spark reads one schema per read, so local files whose timestamps differ (nanoseconds in
    some, microseconds in others) are read as separate groups and unioned after normalising,
    as DuckDB's ``union_by_name`` does. An integer ``timestamp`` is refused as DuckDB refuses it
    (under ``nanosAsLong`` Spark could not tell it from nanoseconds).
    """
    groups: dict[str, list[str]] = {}
    for path in paths:
        if _is_uri(path):
            groups.setdefault("uri", []).append(path)
            continue
        field = next((f for f in pq.read_schema(path) if f.name.lower() == "timestamp"), None)
        if field is not None and pa.types.is_integer(field.type):
            raise InputError(
                f"events.timestamp has type {field.type} in {path}; it must be a timestamp (Parquet) or ISO-8601 text "
                "such as 2024-03-01T12:30:00Z"
            )
        groups.setdefault(str(None if field is None else field.type), []).append(path)
    return list(groups.values())


def _normalised_sql(schema, relation: str) -> str:
    """SELECT turning raw ``relation`` into the five columns USAGE_SQL reads (see SPARK_DIALECT)."""
    names = {f.name.lower(): f for f in schema.fields}
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise InputError(
            f"events input lacks required column(s) {', '.join(missing)} (it has {', '.join(f.name for f in schema.fields)}); "
            f"events need {', '.join(REQUIRED_COLUMNS)} and optionally quantity"
        )

    def col(name: str) -> str:
        return "`" + names[name].name.replace("`", "``") + "`"

    ts_type = names["timestamp"].dataType.typeName()
    if ts_type not in SPARK_DIALECT["timestamp"]:
        raise InputError(
            f"events.timestamp has type {ts_type}; it must be a timestamp (Parquet) or ISO-8601 text such as 2024-03-01T12:30:00Z"
        )
    text = {c: SPARK_DIALECT["string"].format(c=col(c)) for c in ("account_id", "user_id", "event_type")}
    quantity = SPARK_DIALECT["quantity"].format(c=col("quantity")) if "quantity" in names else "CAST(NULL AS DOUBLE)"
    ts = SPARK_DIALECT["timestamp"][ts_type].format(c=col("timestamp"))
    return (
        f"SELECT {text['account_id']} AS account_id, {text['user_id']} AS user_id, {ts} AS ts, "
        f"{text['event_type']} AS event_type, {quantity} AS quantity FROM {relation}"
    )


# ---------------------------------------------------------------------------
# aggregation


def _aggregate(spark, groups: list[list[str]]):
    """(usage, types): the usage DataFrame, with the rows of unplaceable events (null account_id or month),
    and the cached event-type dictionary it reads (unpersist it when done)."""
    selects = []
    with _spark_errors("read the events"):
        for i, paths in enumerate(groups):
            raw = spark.read.option("mergeSchema", "true").parquet(*paths)
            raw.createOrReplaceTempView(f"{_RAW_VIEW}_{i}")
            selects.append(_normalised_sql(raw.schema, f"{_RAW_VIEW}_{i}"))
        spark.sql("\nUNION ALL\n".join(selects)).createOrReplaceTempView(_EVENTS_VIEW)
    events = f"{_EVENTS_VIEW} AS events"
    with _spark_errors("aggregate the events"):
        types = spark.sql(TYPES_SQL.format(events=events)).cache()
        types.createOrReplaceTempView(_TYPES_VIEW)
        n_types = types.count()
        usage = spark.sql(usage_sql(events, _TYPES_VIEW if n_types <= MAX_MASK_TYPES else None))
        casts = {c: f"CAST({c} AS BIGINT) AS {c}" for c in ("active_users", "events", "features_used")}
        usage = usage.selectExpr(
            "account_id", SPARK_DIALECT["month"] + " AS month", casts["active_users"], casts["events"],
            casts["features_used"], "CAST(quota_used AS DOUBLE) AS quota_used",
        ).orderBy("account_id", "month")
    return usage, types


def _build(table: pa.Table, started: float) -> UsageBuild:
    """UsageBuild from the collected result, counting unplaceable events as skipped (as the DuckDB build does)."""
    usage = _typed_usage(table)
    placed = usage["account_id"].notna() & usage["month"].notna()
    n_events = int(usage["events"].sum())
    n_skipped = int(usage.loc[~placed, "events"].sum())
    usage = usage[placed].sort_values(["account_id", "month"]).reset_index(drop=True)
    return UsageBuild(usage=usage, n_events=n_events, n_skipped=n_skipped, seconds=time.perf_counter() - started)


def _run(source, spark, master: str | None, output: str | None = None, conf: dict[str, str] | None = None) -> UsageBuild:
    """Aggregate on Spark; with a URI ``output`` Spark also writes the placed rows there as Parquet."""
    started = time.perf_counter()
    groups = _input_groups(_input_paths(source))
    session, created = (spark, False) if spark is not None else spark_session(master, conf)
    types = None
    try:
        result, types = _aggregate(session, groups)
        with _spark_errors("aggregate the events"):
            if output is not None:
                result = result.cache()
            table = result.toArrow()
        if output is not None:
            with _spark_errors(f"write {output}"):
                placed = result.where("account_id IS NOT NULL AND month IS NOT NULL").coalesce(1)
                placed.write.mode("overwrite").parquet(output)
                result.unpersist()
    finally:
        if types is not None and not created:
            types.unpersist()
        if created:
            session.stop()
    return _build(table, started)


def build_usage_spark(source, *, spark=None, master: str | None = None, conf: dict[str, str] | None = None) -> UsageBuild:
    """Aggregate events to usage_monthly on Spark; the same result as :func:`csresearch.events.build_usage`.

    Parameters
    ----------
    source : str, Path or list of those
        Parquet events: local files, folders (searched recursively) or glob patterns,
        resolved as the DuckDB engine resolves them, or URIs Spark reads as they are
        (``s3a://bucket/events/``, ``gs://...``, ``hdfs://...``, ``abfss://...``).
    spark : SparkSession, optional
        A session to use (left running); default: one from :func:`spark_session`, stopped afterwards.
    master : str, optional
        Spark master for a new session (see :func:`spark_session`).
    conf : dict, optional
        Spark settings for a new session, e.g. object-store credentials or ``spark.jars.packages``.

    Returns
    -------
    UsageBuild
        usage_monthly typed exactly like the DuckDB build's, with input and skipped counts.

    Raises
    ------
    EngineUnavailableError
        pyspark or Java 17 missing, or Spark does not start.
    InputError
        Missing input, CSV input, a missing required column, an unusable timestamp type.
    """
    return _run(source, spark, master, conf=conf)


def write_usage_file_spark(
    events: Sequence[str], output: str | Path, *, spark=None, master: str | None = None, conf: dict[str, str] | None = None
) -> UsageBuild:
    """Aggregate EVENTS on Spark into a usage_monthly file (``csresearch build-usage --engine spark``).

    Parameters
    ----------
    events : sequence of str
        Parquet inputs, local or URIs (see :func:`build_usage_spark`).
    output : str or Path
        A local ``.parquet`` or ``.csv`` file, written atomically from the collected result
        exactly as the DuckDB engine writes it; or a URI (``s3a://bucket/usage_monthly.parquet``),
        which Spark writes as a Parquet folder (one part file, replaced if it exists).
    spark : SparkSession, optional
        A session to use (left running).
    master : str, optional
        Spark master for a new session.
    conf : dict, optional
        Spark settings for a new session (see :func:`spark_session`).

    Returns
    -------
    UsageBuild

    Raises
    ------
    InputError
        Bad output suffix, an output that is also an input, or bad events (see :func:`build_usage_spark`).
    EngineUnavailableError
        pyspark or Java 17 missing.
    """
    text = os.fspath(output)
    if _is_uri(text):
        if text.lower().rstrip("/").endswith(".csv"):
            raise InputError(f"output {text!r}: the spark engine writes Parquet to URIs; give a .parquet name")
        if any(text.rstrip("/") == os.fspath(e).rstrip("/") for e in events):
            raise InputError(f"output {text!r} is also an input; choose another output (inputs are never modified)")
        return _run(list(events), spark, master, output=text, conf=conf)
    path = Path(text)
    if path.suffix.lower() not in (".parquet", ".csv"):
        raise InputError(f"output {text!r} must end in .parquet or .csv")
    local = {f.resolve() for e in events if not _is_uri(os.fspath(e)) for f in _resolve_files(e)}
    if path.resolve() in local:
        raise InputError(f"output {text!r} is also an input; choose another output file (inputs are never modified)")
    result = _run(list(events), spark, master, conf=conf)
    _write_atomically(result.usage, path)
    return result
