"""Spark parity: ``build-usage --engine spark`` gives exactly what the DuckDB engine gives.

Spark runs in ``local[2]`` mode, one session for the module. The Spark tests
are skipped, with the reason, when pyspark or Java 17 is missing; CI installs
both and sets ``CSRESEARCH_REQUIRE_SPARK=1``, which turns that skip into a
failure so that CI cannot pass without running them. The tests of the error
messages (no pyspark, no Java, CSV input) need neither.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from usage_reference import usage_reference

from csresearch import contract
from csresearch.cli import main
from csresearch.errors import EngineUnavailableError, InputError
from csresearch.events import MAX_MASK_TYPES, TYPES_SQL, build_usage, usage_sql
from csresearch.events_spark import INSTALL_HINT, build_usage_spark, java_problem, spark_session
from csresearch.reading import read_table_file, typed_table
from csresearch.synth.events import events_from_usage

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return f"pyspark is not installed ({INSTALL_HINT})"
    problem = java_problem()
    return f"Java 17 is not available: {problem} ({INSTALL_HINT})" if problem else None


@pytest.fixture(scope="module")
def spark():
    """One local[2] session for the module; skip (or fail under CSRESEARCH_REQUIRE_SPARK=1) without pyspark/Java."""
    reason = _spark_missing()
    if reason:
        if os.environ.get("CSRESEARCH_REQUIRE_SPARK") == "1":
            pytest.fail(f"CSRESEARCH_REQUIRE_SPARK=1 but {reason}")
        pytest.skip(reason)
    conf = {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4", "spark.driver.memory": "1g"}
    session, _ = spark_session("local[2]", conf=conf)
    yield session
    session.stop()


# ---------------------------------------------------------------------------
# event logs


def _ts(texts) -> pd.Series:
    return pd.Series(pd.to_datetime(texts, utc=True, format="ISO8601"))


def edge_events() -> pd.DataFrame:
    """Hand-made log: month boundaries, midnight UTC, offsets, sub-microsecond and pre-1970 times, nulls, 62 types."""
    rows = [
        ("a1", "u1", "2024-01-31T23:59:59.999999999Z", "scan_card", 2.0),  # last ns of January: January
        ("a1", "u2", "2024-02-01T08:30:00+09:00", "search", None),  # 2024-01-31T23:30Z: January; null quantity = 0
        ("a1", "u1", "2024-02-01T00:00:00Z", "scan_card", 1.0),  # midnight UTC: February
        ("a1", "u1", "2024-04-15T12:00:00-05:00", "share", 0.25),  # gap in March: no March row
        ("a2", "u9", "2023-12-31T20:00:00-05:00", "search", 3.5),  # 2024-01-01T01:00Z: January
        ("a2", None, "2024-01-02T00:00:00Z", "search", 1.0),  # null user: not an active user, still an event
        ("a3", "u1", "1969-12-31T23:59:59.9999995Z", "export", 1.0),  # before 1970, sub-microsecond: floored, December
        ("a3", "u1", "1970-01-01T00:00:00Z", "export", 1.0),
        ("ä-4", "ü", "2024-06-30T23:59:59.999999Z", "share", 1.0),  # non-ASCII ids
        ("a5", "u1", "2024-05-10T00:00:00Z", None, 1.0),  # the month's only event type is null: 0 features
        ("a5", "u2", "2024-05-11T00:00:00Z", None, None),
        (None, "u1", "2024-05-11T00:00:00Z", "search", 9.0),  # null account: skipped
        ("a6", "u1", None, "search", 9.0),  # null timestamp: skipped
    ]
    frame = pd.DataFrame(rows, columns=["account_id", "user_id", "timestamp", "event_type", "quantity"])
    # a7: one month with all 62 types of the log (bits 0..61 of the mask, the highest one included), 3 users
    many = pd.DataFrame(
        {
            "account_id": "a7",
            "user_id": [f"u{i % 3}" for i in range(62)],
            "timestamp": [f"2024-03-{1 + i % 28:02d}T{i % 24:02d}:00:00Z" for i in range(62)],
            "event_type": ["export", "scan_card", "search", "share"] + [f"type_{i:02d}" for i in range(58)],
            "quantity": 1.0,
        }
    )
    out = pd.concat([frame, many], ignore_index=True)
    out["timestamp"] = _ts(out["timestamp"])  # tz-aware UTC, nanoseconds
    assert out["event_type"].nunique() == MAX_MASK_TYPES  # the mask form, every bit in use
    return out


def many_types_events() -> pd.DataFrame:
    """More event types than the mask holds: the COUNT(DISTINCT) form on both engines."""
    n = MAX_MASK_TYPES + 8
    return pd.DataFrame(
        {
            "account_id": [f"b{i % 2}" for i in range(n)],
            "user_id": [f"u{i % 5}" for i in range(n)],
            "timestamp": _ts([f"2024-0{1 + i % 3}-01T00:00:00Z" for i in range(n)]),
            "event_type": [f"t{i}" for i in range(n)],
            "quantity": np.arange(n, dtype="float64"),
        }
    )


def synth_events() -> pd.DataFrame:
    """A generated log (csresearch.synth) with up to 62 features in a month and gaps between months."""
    rng = np.random.default_rng(3)
    ids = [f"acc-{i:02d}" for i in range(12)]
    months = pd.date_range("2023-10-01", periods=6, freq="MS").as_unit("ns")
    usage = pd.DataFrame({"account_id": np.repeat(ids, 6), "month": np.tile(months, 12)})
    n = len(usage)
    usage["active_users"] = rng.integers(1, 6, n)
    usage["features_used"] = rng.integers(1, 63, n)
    usage["events"] = usage["features_used"] + rng.integers(0, 20, n)
    usage["quota_used"] = rng.integers(0, 30, n).astype(float)
    usage = usage[rng.random(n) < 0.75].reset_index(drop=True)  # users (accounts) without events in some months
    accounts = pd.DataFrame({"account_id": ids})
    contracts = pd.DataFrame({"account_id": ids, "seats": 6})
    return events_from_usage(usage.astype({"account_id": "str"}), accounts, contracts, seed=5)


def _write(frame: pd.DataFrame, path, encoding: str) -> str:
    """Write the log with one timestamp encoding; return the path."""
    ts = frame["timestamp"]
    encoded = {
        "ns_utc": ts,  # what pandas writes by default: TIMESTAMP(NANOS, UTC)
        "us_naive": ts.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]"),  # naive = UTC
        "ms_new_york": ts.dt.floor("ms").dt.tz_convert("America/New_York").astype("datetime64[ms, America/New_York]"),
        "iso_offset": ts.dt.tz_convert("Asia/Kolkata").map(lambda t: None if pd.isna(t) else t.isoformat()),
    }[encoding]
    frame.assign(timestamp=encoded).to_parquet(path, index=False)
    return str(path)


def _assert_same_build(spark_build, duck_build):
    pd.testing.assert_frame_equal(spark_build.usage, duck_build.usage, check_exact=True)
    assert (spark_build.n_events, spark_build.n_skipped) == (duck_build.n_events, duck_build.n_skipped)


# ---------------------------------------------------------------------------
# parity


@pytest.mark.parametrize("encoding", ["ns_utc", "us_naive", "ms_new_york", "iso_offset"])
def test_edge_log_equals_duckdb_for_every_timestamp_encoding(spark, tmp_path, encoding):
    events = edge_events()
    if encoding == "ms_new_york":  # milliseconds cannot hold the sub-ms edge times; the month logic is the point here
        ts = events["timestamp"]
        events = events[ts.isna() | (ts == ts.dt.floor("ms"))].reset_index(drop=True)
    path = _write(events, tmp_path / f"events_{encoding}.parquet", encoding)
    got, want = build_usage_spark(path, spark=spark), build_usage(path)
    _assert_same_build(got, want)
    assert want.n_skipped == 2 and len(got.usage) >= 7
    by_key = got.usage.set_index(["account_id", "month"])
    assert by_key.loc[("a7", pd.Timestamp("2024-03-01")), "features_used"] == 62  # every bit of the mask, 0..61
    assert by_key.loc[("a5", pd.Timestamp("2024-05-01")), "features_used"] == 0  # only null types
    assert ("a1", pd.Timestamp("2024-03-01")) not in by_key.index  # a month without events has no row
    if encoding in ("ns_utc", "iso_offset"):  # the sub-microsecond times reach the engines as written
        assert by_key.loc[("a1", pd.Timestamp("2024-01-01")), "events"] == 2  # 23:59:59.999999999 stays in January
        assert ("a3", pd.Timestamp("1969-12-01")) in by_key.index  # floored, not rounded into 1970


def test_edge_log_matches_independent_pandas_reference(spark, tmp_path):
    events = edge_events()
    path = _write(events, tmp_path / "events.parquet", "ns_utc")
    got = build_usage_spark(path, spark=spark).usage
    known = events[events["event_type"].notna() & events["user_id"].notna()]  # the reference needs non-null ids
    ref = usage_reference(known)
    got_known = got[~got["account_id"].isin(["a2", "a5"])].reset_index(drop=True)  # accounts with null ids differ by design
    pd.testing.assert_frame_equal(got_known, ref[~ref["account_id"].isin(["a2", "a5"])].reset_index(drop=True))


def test_more_types_than_the_mask_holds_equals_duckdb(spark, tmp_path):
    events = many_types_events()
    path = _write(events, tmp_path / "many.parquet", "ns_utc")
    got, want = build_usage_spark(path, spark=spark), build_usage(path)
    _assert_same_build(got, want)
    pd.testing.assert_frame_equal(got.usage, usage_reference(events))


def test_generated_log_in_several_files_equals_duckdb_and_its_usage(spark, tmp_path):
    events = synth_events()
    folder = tmp_path / "events"
    folder.mkdir()
    half = len(events) // 2
    _write(events.iloc[:half], folder / "part-0.parquet", "ns_utc")
    _write(events.iloc[half:], folder / "part-1.parquet", "us_naive")  # mixed encodings across files
    got, want = build_usage_spark(str(folder), spark=spark), build_usage(str(folder))
    _assert_same_build(got, want)
    pd.testing.assert_frame_equal(got.usage, usage_reference(events))
    assert got.usage["features_used"].max() > 50


def test_spark_runs_the_shared_sql_text(spark, tmp_path, monkeypatch):
    """The queries Spark executes are the DuckDB engine's TYPES_SQL and usage_sql, not a copy."""
    import csresearch.events_spark as es

    seen = []
    original = type(spark).sql

    def spy(self, query, *args, **kwargs):
        seen.append(query)
        return original(self, query, *args, **kwargs)

    monkeypatch.setattr(type(spark), "sql", spy)
    build_usage_spark(_write(edge_events(), tmp_path / "e.parquet", "ns_utc"), spark=spark)
    events = f"{es._EVENTS_VIEW} AS events"
    assert TYPES_SQL.format(events=events) in seen
    assert usage_sql(events, es._TYPES_VIEW) in seen


# ---------------------------------------------------------------------------
# files written, read back


def _read_back(path) -> pd.DataFrame:
    frame, problems, _ = typed_table(read_table_file(path), contract.USAGE_MONTHLY)
    assert not problems
    return frame


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_cli_spark_file_equals_duckdb_file(spark, tmp_path, suffix):
    source = _write(synth_events(), tmp_path / "events.parquet", "ns_utc")
    duck, spk = tmp_path / f"duck{suffix}", tmp_path / f"spark{suffix}"
    runner = CliRunner()
    r1 = runner.invoke(main, ["build-usage", source, "-o", str(duck)])
    r2 = runner.invoke(main, ["build-usage", source, "-o", str(spk), "--engine", "spark"])  # joins the module's session
    assert r1.exit_code == 0 and r2.exit_code == 0, (r1.output, r2.output)
    assert r2.output.split(" in ")[0] == r1.output.split(" in ")[0]  # same summary line up to the time
    if suffix == ".parquet":
        assert pq.read_schema(spk).remove_metadata() == pq.read_schema(duck).remove_metadata()
        pd.testing.assert_frame_equal(pd.read_parquet(spk), pd.read_parquet(duck), check_exact=True)
    else:
        assert spk.read_bytes() == duck.read_bytes()
    pd.testing.assert_frame_equal(_read_back(spk), _read_back(duck), check_exact=True)


def test_uri_output_is_a_parquet_folder_spark_writes(spark, tmp_path):
    from csresearch.events_spark import write_usage_file_spark

    source = _write(edge_events(), tmp_path / "events.parquet", "ns_utc")
    out = tmp_path / "usage_monthly.parquet"
    build = write_usage_file_spark([f"file://{source}"], f"file://{out}", spark=spark)
    assert out.is_dir() and list(out.glob("part-*.parquet"))
    month = pq.read_schema(next(out.glob("part-*.parquet"))).field("month").type
    assert pa.types.is_timestamp(month) and month.tz is None  # naive UTC midnight: no shift on reading back
    got, want = _read_back(out), _read_back_build(build_usage(source), tmp_path)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert build.n_skipped == 2


def _read_back_build(build, tmp_path) -> pd.DataFrame:
    path = tmp_path / "duck.parquet"
    build.usage.to_parquet(path, index=False)
    return _read_back(path)


def test_missing_column_is_an_input_error(spark, tmp_path):
    path = tmp_path / "bad.parquet"
    edge_events().drop(columns=["user_id"]).to_parquet(path)
    with pytest.raises(InputError, match="lacks required column.*user_id"):
        build_usage_spark(str(path), spark=spark)


def test_missing_uri_input_is_an_input_error(spark, tmp_path):
    with pytest.raises(InputError, match="could not read the events on Spark"):
        build_usage_spark(f"file://{tmp_path}/nothing-here/", spark=spark)


# ---------------------------------------------------------------------------
# without Spark: clear messages, exit code 2


def test_without_pyspark_the_cli_says_what_to_install(tmp_path, monkeypatch):
    source = _write(edge_events(), tmp_path / "events.parquet", "ns_utc")
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark raises ImportError
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    result = CliRunner().invoke(main, ["build-usage", source, "-o", str(tmp_path / "u.parquet"), "--engine", "spark"])
    assert result.exit_code == 2
    assert "pip install 'csresearch[spark]'" in result.output and "Java 17" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "u.parquet").exists()


def test_without_java_the_error_names_java(monkeypatch, tmp_path):
    pytest.importorskip("pyspark", reason="pyspark is not installed; the no-pyspark message is tested above")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    assert "no java at JAVA_HOME" in java_problem()
    with pytest.raises(EngineUnavailableError, match=r"no java at JAVA_HOME.*csresearch\[spark\].*Java 17"):
        spark_session("local[1]")


def test_csv_input_and_duckdb_options_are_refused_before_spark_starts(tmp_path):
    csv = tmp_path / "events.csv"
    edge_events().to_csv(csv, index=False)
    runner = CliRunner()
    result = runner.invoke(main, ["build-usage", str(csv), "-o", str(tmp_path / "u.parquet"), "--engine", "spark"])
    assert result.exit_code == 2 and "reads Parquet" in result.output
    result = runner.invoke(main, ["build-usage", str(csv), "-o", str(tmp_path / "u.parquet"), "--engine", "spark",
                                  "--threads", "2"])
    assert result.exit_code == 2 and "DuckDB options" in result.output
    result = runner.invoke(main, ["build-usage", str(csv), "-o", str(tmp_path / "u.parquet"), "--master", "local[2]"])
    assert result.exit_code == 2 and "--engine spark" in result.output
    result = runner.invoke(main, ["build-usage", str(csv), "-o", str(tmp_path / "u.parquet"), "--engine", "spark",
                                  "--conf", "no-equals-sign"])
    assert result.exit_code == 2 and "KEY=VALUE" in result.output
