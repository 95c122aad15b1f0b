"""Tests of events -> usage_monthly (csresearch.events) and the event generator (csresearch.synth.events)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from usage_reference import USAGE_COLUMNS, usage_reference

from csresearch import Dataset
from csresearch.cli import main
from csresearch.errors import InputError
from csresearch.events import build_usage, usage_from_events
from csresearch.synth.events import FEATURES, QUOTA_FEATURE, events_from_usage, iter_events_from_usage


# ---------------------------------------------------------------------------
# fixtures


def _usage_table(n_accounts: int, n_months: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A random but valid usage table with gaps, plus matching accounts and contracts."""
    rng = np.random.default_rng(seed)
    ids = [f"acc-{i:03d}" for i in range(n_accounts)]
    months = pd.date_range("2023-11-01", periods=n_months, freq="MS").as_unit("ns")
    usage = pd.DataFrame({"account_id": np.repeat(ids, n_months), "month": np.tile(months, n_accounts)})
    n = len(usage)
    usage["active_users"] = rng.integers(1, 12, n)
    usage["features_used"] = rng.integers(1, len(FEATURES) + 1, n)
    usage["events"] = np.maximum(usage["active_users"], usage["features_used"]) + rng.integers(0, 40, n)
    usage["quota_used"] = np.where(rng.random(n) < 0.3, 0, rng.integers(1, 60, n)).astype(float)
    usage = usage[rng.random(n) < 0.8].reset_index(drop=True)  # gaps: months without activity
    accounts = pd.DataFrame({"account_id": ids})
    contracts = pd.DataFrame({"account_id": ids, "seats": rng.integers(3, 15, n_accounts)})
    return usage.astype({"account_id": "str"})[USAGE_COLUMNS], accounts, contracts


@pytest.fixture(scope="session")
def generated():
    """(usage, accounts, contracts, events) from the generator; small."""
    usage, accounts, contracts = _usage_table(n_accounts=25, n_months=8, seed=7)
    events = events_from_usage(usage, accounts, contracts, seed=11)
    return usage, accounts, contracts, events


def _events(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["account_id", "user_id", "timestamp", "event_type", "quantity"])


#: Hand-made events around month boundaries with the known usage they give.
EDGE_EVENTS = _events(
    [
        ("a1", "u1", "2024-01-31T23:59:59.999Z", "scan_card", 2.0),  # last ms of January: January
        ("a1", "u2", "2024-02-01T08:30:00+09:00", "search", None),  # 2024-01-31T23:30Z: January; null quantity = 0
        ("a1", "u1", "2024-02-01T00:00:00Z", "scan_card", 1.0),  # first instant of February
        ("a1", "u1", "2024-04-15T12:00:00-05:00", "share", 0.0),  # gap in March: no March row
        ("a2", "u9", "2023-12-31T20:00:00-05:00", "search", 3.5),  # 2024-01-01T01:00Z: January
    ]
)
EDGE_USAGE = pd.DataFrame(
    {
        "account_id": ["a1", "a1", "a1", "a2"],
        "month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01", "2024-01-01"]).as_unit("ns"),
        "active_users": [2, 1, 1, 1],
        "events": [2, 1, 1, 1],
        "features_used": [2, 1, 1, 1],
        "quota_used": [2.0, 1.0, 0.0, 3.5],
    }
).astype({"account_id": "str"})


def _typed_edge_events() -> pd.DataFrame:
    return EDGE_EVENTS.assign(timestamp=pd.to_datetime(EDGE_EVENTS["timestamp"], utc=True, format="ISO8601"))


# ---------------------------------------------------------------------------
# known answers and the reference


def test_edge_events_known_answer_from_frame():
    result = usage_from_events(_typed_edge_events())
    pd.testing.assert_frame_equal(result, EDGE_USAGE)
    pd.testing.assert_frame_equal(usage_reference(_typed_edge_events()), EDGE_USAGE)


def test_edge_events_known_answer_from_csv(tmp_path):
    path = tmp_path / "events.csv"
    EDGE_EVENTS.to_csv(path, index=False)
    pd.testing.assert_frame_equal(usage_from_events(path), EDGE_USAGE)


def test_generated_events_match_reference(generated):
    *_, events = generated
    pd.testing.assert_frame_equal(usage_from_events(events), usage_reference(events))


def test_round_trip_usage_events_usage_is_exact(generated):
    usage, _, _, events = generated
    pd.testing.assert_frame_equal(usage_from_events(events), usage, check_exact=True)


def test_users_active_in_several_months_counted_per_month():
    ev = _typed_edge_events().iloc[[0, 2]]  # u1 in January and February
    ev = pd.concat([ev, ev.assign(event_type="share")], ignore_index=True)
    result = usage_from_events(ev)
    assert result["active_users"].tolist() == [1, 1]
    assert result["events"].tolist() == [2, 2]
    assert result["features_used"].tolist() == [2, 2]


@pytest.mark.parametrize("unit", ["ms", "us", "ns"])
@pytest.mark.parametrize("tz", [None, "UTC", "Asia/Tokyo"])
def test_parquet_timestamp_units_and_zones(tmp_path, unit, tz):
    ev = _typed_edge_events()
    ts = ev["timestamp"].dt.tz_localize(None).dt.as_unit(unit)  # naive = UTC wall time
    if tz is not None:
        ts = ts.dt.tz_localize("UTC").dt.tz_convert(tz)
    path = tmp_path / "events.parquet"
    ev.assign(timestamp=ts).to_parquet(path, index=False)
    assert str(pq.read_schema(path).field("timestamp").type).startswith(f"timestamp[{unit}")
    pd.testing.assert_frame_equal(usage_from_events(path), EDGE_USAGE)


def test_nanoseconds_at_month_end_are_not_rounded_into_next_month(tmp_path):
    ts = pd.Series(pd.to_datetime(["2024-01-31 23:59:59.999999999", "1969-12-31 23:59:59.999999999"]))
    ev = pd.DataFrame({"account_id": ["a", "b"], "user_id": "u", "timestamp": ts, "event_type": "search", "quantity": 1.0})
    expected_months = pd.to_datetime(["2024-01-01", "1969-12-01"]).as_unit("ns")
    path = tmp_path / "ns.parquet"
    pq.write_table(pa.Table.from_pandas(ev, preserve_index=False), path)
    for source in (path, ev, ev.assign(timestamp=ts.dt.tz_localize("UTC"))):
        result = usage_from_events(source)
        assert result["month"].tolist() == list(expected_months), source if isinstance(source, Path) else "frame"
    pd.testing.assert_frame_equal(usage_from_events(path), usage_reference(ev))


def test_month_assignment_is_utc_whatever_the_local_zone(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        path = tmp_path / "events.csv"
        EDGE_EVENTS.assign(timestamp=EDGE_EVENTS["timestamp"].str.replace("Z", "", regex=False)).to_csv(path, index=False)
        pd.testing.assert_frame_equal(usage_from_events(path), EDGE_USAGE)  # naive text = UTC
    finally:
        monkeypatch.undo()
        time.tzset()


def test_folder_glob_and_mixed_list_inputs(tmp_path, generated):
    *_, events = generated
    folder = tmp_path / "events"
    (folder / "part=b").mkdir(parents=True)
    thirds = np.array_split(np.arange(len(events)), 3)
    events.iloc[thirds[0]].to_parquet(folder / "p0.parquet", index=False)
    events.iloc[thirds[1]].to_parquet(folder / "part=b" / "p1.parquet", index=False)
    csv = tmp_path / "rest.csv"
    events.iloc[thirds[2]].to_csv(csv, index=False)
    events.iloc[thirds[2]].to_parquet(folder / "p2.parquet", index=False)
    expected = usage_reference(events)
    pd.testing.assert_frame_equal(usage_from_events(folder), expected)
    pd.testing.assert_frame_equal(usage_from_events(str(folder / "**" / "*.parquet")), expected)
    mixed = [str(folder / "p0.parquet"), folder / "part=b" / "p1.parquet", csv]
    pd.testing.assert_frame_equal(usage_from_events(mixed), expected)
    split_frames = [events.iloc[idx] for idx in thirds]
    pd.testing.assert_frame_equal(usage_from_events(split_frames), expected)


def test_null_quantity_counts_zero_and_missing_quantity_column_is_allowed():
    ev = _typed_edge_events()
    nulls = usage_from_events(ev.assign(quantity=np.nan))
    assert (nulls["quota_used"] == 0.0).all()
    pd.testing.assert_frame_equal(usage_from_events(ev.drop(columns="quantity")), nulls)


def test_rows_without_account_or_timestamp_are_skipped_and_counted():
    ev = _typed_edge_events()
    bad = ev.iloc[:2].assign(account_id=[None, "a1"], timestamp=[ev["timestamp"][0], pd.NaT])
    built = build_usage(pd.concat([ev, bad], ignore_index=True))
    pd.testing.assert_frame_equal(built.usage, EDGE_USAGE)
    assert (built.n_events, built.n_skipped) == (len(ev) + 2, 2)


def test_empty_events_give_empty_typed_usage(tmp_path):
    empty = _typed_edge_events().iloc[:0]
    path = tmp_path / "empty.parquet"
    empty.to_parquet(path, index=False)
    for source in (empty, path):
        result = usage_from_events(source)
        assert list(result.columns) == USAGE_COLUMNS and len(result) == 0
        pd.testing.assert_series_equal(result.dtypes, EDGE_USAGE.dtypes)


def test_loader_builds_usage_from_events(generated):
    usage, accounts, contracts, events = generated
    ds = Dataset.from_tables({"accounts": accounts, "events": events}, extracted_at="2025-01-01")
    assert "usage_monthly" in ds.derived_tables
    pd.testing.assert_frame_equal(ds.usage_monthly, usage)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from(["u1", "u2", "u3", "u4"]),
            st.integers(-86_400_000_000_000 * 400, 86_400_000_000_000 * 20_000),  # ns since 1970
            st.sampled_from(["scan_card", "search", "share"]),
            st.one_of(st.none(), st.integers(0, 5).map(float)),
        ),
        max_size=40,
    )
)
def test_duckdb_matches_reference_on_random_logs(rows):
    ev = pd.DataFrame(rows, columns=["account_id", "user_id", "timestamp", "event_type", "quantity"])
    ev["timestamp"] = pd.to_datetime(ev["timestamp"].astype("int64"), unit="ns", utc=True)
    ev["quantity"] = ev["quantity"].astype("float64")
    pd.testing.assert_frame_equal(usage_from_events(ev), usage_reference(ev))


def test_missing_inputs_raise_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        usage_from_events(tmp_path / "nope.parquet")
    with pytest.raises(InputError, match="no .parquet or .csv files match"):
        usage_from_events(str(tmp_path / "*.parquet"))
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(InputError, match="holds no .parquet or .csv"):
        usage_from_events(tmp_path / "empty_dir")
    with pytest.raises(InputError, match="user_id"):
        usage_from_events(_typed_edge_events().drop(columns="user_id"))


# ---------------------------------------------------------------------------
# the command


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_build_usage_command_writes_output_and_leaves_inputs(tmp_path, suffix):
    src = tmp_path / "events.csv"
    EDGE_EVENTS.to_csv(src, index=False)
    before = _digest(src)
    out = tmp_path / "out" / f"usage_monthly{suffix}"
    res = CliRunner().invoke(main, ["build-usage", str(src), "-o", str(out), "--threads", "1", "--memory-limit", "500MB"])
    assert res.exit_code == 0, res.output
    assert "4 rows, 2 accounts, 3 months" in res.output and "from 5 events" in res.output
    assert _digest(src) == before
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temp file left
    ds = Dataset.from_tables({"usage_monthly": pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out, dtype=str)},
                             extracted_at="2025-01-01")
    assert not ds.load_problems
    pd.testing.assert_frame_equal(ds.usage_monthly, EDGE_USAGE)


def test_build_usage_command_errors(tmp_path):
    src = tmp_path / "events.csv"
    EDGE_EVENTS.drop(columns=["event_type"]).to_csv(src, index=False)
    runner = CliRunner()
    res = runner.invoke(main, ["build-usage", str(src), "-o", str(tmp_path / "u.parquet")])
    assert res.exit_code == 2
    assert "event_type" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["build-usage", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "u.parquet")])
    assert res.exit_code == 2 and "does not exist" in res.output
    res = runner.invoke(main, ["build-usage", str(tmp_path / "*.parquet"), "-o", str(tmp_path / "u.parquet")])
    assert res.exit_code == 2 and "no .parquet or .csv files match" in res.output
    res = runner.invoke(main, ["build-usage", str(src), "-o", str(src)])
    assert res.exit_code == 2 and "also an input" in res.output
    assert not (tmp_path / "u.parquet").exists()


# ---------------------------------------------------------------------------
# the generator


def test_generator_events_have_contract_shape(generated):
    usage, _, _, events = generated
    assert list(events.columns) == ["account_id", "user_id", "timestamp", "event_type", "quantity"]
    assert str(events["timestamp"].dtype) == "datetime64[ns, UTC]" and events["event_type"].dtype == "category"
    assert not events.isna().any().any()
    assert (events["user_id"].str.split("-u").str[0] == events["account_id"]).all()
    assert (events.loc[events["quantity"] > 0, "event_type"] == QUOTA_FEATURE).all()
    assert (events["quantity"] == np.round(events["quantity"])).all()  # integer quota -> integer quantities
    month = events["timestamp"].dt.tz_localize(None).dt.to_period("M").dt.start_time
    assert month.isin(usage["month"]).all()
    assert events.groupby("account_id")["timestamp"].is_monotonic_increasing.all()
    last_second = events["timestamp"].dt.tz_localize(None) >= (month + pd.offsets.MonthBegin(1) - pd.Timedelta(seconds=1))
    assert last_second.any()  # month ends are exercised


def test_generator_is_deterministic_and_users_recur(generated):
    usage, accounts, contracts, events = generated
    pd.testing.assert_frame_equal(events_from_usage(usage, accounts, contracts, seed=11), events)
    assert not events_from_usage(usage, accounts, contracts, seed=12).equals(events)
    months_per_user = events.assign(m=events["timestamp"].dt.month).groupby("user_id")["m"].nunique()
    assert (months_per_user > 1).any()


def test_generator_chunks_concatenate_to_a_valid_log(generated):
    usage, accounts, contracts, _ = generated
    chunks = list(iter_events_from_usage(usage, accounts, contracts, seed=1, chunk_accounts=4))
    assert len(chunks) == 7  # 25 accounts in chunks of 4
    assert all(c["account_id"].nunique() <= 4 for c in chunks)
    pd.testing.assert_frame_equal(usage_from_events(chunks), usage, check_exact=True)


def test_generator_decimal_quota_round_trips():
    usage, accounts, contracts = _usage_table(n_accounts=3, n_months=4, seed=2)
    usage["quota_used"] = usage["quota_used"] * 0.25
    events = events_from_usage(usage, accounts, contracts, seed=0)
    pd.testing.assert_frame_equal(usage_from_events(events), usage)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"events": 1, "active_users": 3, "features_used": 1}, "max"),
        ({"events": 0, "active_users": 0, "features_used": 0, "quota_used": 0.0}, None),  # valid: a zero row
        ({"events": 2, "active_users": 0, "features_used": 1}, "active_users > 0"),
        ({"events": 2, "active_users": 1, "features_used": 0}, "features_used > 0"),
        ({"quota_used": -1.0}, ">= 0"),
    ],
)
def test_generator_rejects_impossible_usage(change, message):
    usage, accounts, contracts = _usage_table(n_accounts=2, n_months=3, seed=0)
    for col, value in change.items():
        usage.loc[0, col] = value
    if message is None:
        events = events_from_usage(usage, accounts, contracts, seed=0)
        pd.testing.assert_frame_equal(usage_from_events(events), usage.iloc[1:].reset_index(drop=True))
    else:
        with pytest.raises(ValueError, match=message):
            events_from_usage(usage, accounts, contracts, seed=0)


def test_generator_empty_usage_gives_empty_typed_events():
    usage, accounts, contracts = _usage_table(n_accounts=2, n_months=3, seed=0)
    events = events_from_usage(usage.iloc[:0], accounts, contracts, seed=0)
    assert len(events) == 0 and str(events["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert len(usage_from_events(events)) == 0


@pytest.mark.parametrize("n_types", [3, 62, 63, 90])
def test_features_used_exact_with_few_and_many_event_types(n_types):
    # up to 62 types features_used comes from a bit mask per type, beyond that from COUNT(DISTINCT)
    rng = np.random.default_rng(n_types)
    n = 4000
    events = pd.DataFrame({
        "account_id": rng.choice(["a", "b", "c"], n),
        "user_id": rng.choice([f"u{i}" for i in range(20)], n),
        "timestamp": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 120 * 86400, n), unit="s"),
        "event_type": rng.choice([f"feature_{i:03d}" for i in range(n_types)], n),
        "quantity": rng.integers(0, 3, n).astype(float),
    })
    events.loc[::97, "event_type"] = None  # a null type is no feature, but still an event
    got = usage_from_events(events)
    pd.testing.assert_frame_equal(got, usage_reference(events))
    assert got["features_used"].max() > min(n_types, 60) * 0.5
