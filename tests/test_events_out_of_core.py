"""Events stay out of core: never read into pandas, validated in DuckDB like every other table, usage built once per run."""

from __future__ import annotations

import pandas as pd
import pytest

import csresearch
from csresearch import reading, usage_cache
from csresearch.events_source import EventsSource
from csresearch.synth import generate_dataset

from corruptions import valid_tables, write_dataset
from usage_reference import usage_reference


def _events_only(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {k: v for k, v in tables.items() if k != "usage_monthly"}


@pytest.fixture()
def no_pandas_events(monkeypatch):
    """Fail the test if anything reads an events file through pandas."""
    real = reading.read_table_file

    def guarded(path, *args, **kwargs):
        if "events" in str(path):
            raise AssertionError(f"events read into pandas: {path}")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(reading, "read_table_file", guarded)
    monkeypatch.setattr(csresearch.dataset, "read_table_file", guarded)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_load_and_validate_never_read_events_into_pandas(tmp_path, fmt, no_pandas_events):
    ds = csresearch.load_dataset(write_dataset(tmp_path / "ds", _events_only(valid_tables()), fmt=fmt))
    assert "events" not in ds.tables and isinstance(ds.events, EventsSource)
    report = ds.validate()
    assert report.is_valid, report.format_text()
    assert report.tables["events"] == 3 and ds.row_counts()["events"] == 3
    assert ds.derived_tables == {"usage_monthly"} and len(ds.usage_monthly) == 2


BAD = {  # row (0-based) -> (column, value as written, rule)
    0: ("timestamp", "yesterday", "type"),
    1: ("quantity", "inf", "type"),
    2: ("user_id", None, "not_null"),
    3: ("account_id", "B1", "references_accounts"),
    4: ("quantity", "-1", "range"),
    5: ("timestamp", "2025-07-01T00:00:00Z", "after_extracted_at"),
    6: ("quantity", "NaN", "type"),
}


def _corrupted_events() -> pd.DataFrame:
    good = valid_tables()["events"].iloc[0]
    rows = pd.DataFrame([good] * 10).reset_index(drop=True)
    for i, (column, value, _) in BAD.items():
        rows.loc[i, column] = value
    return rows


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_events_violations_name_table_column_rule_and_the_rows(tmp_path, fmt):
    tables = valid_tables()
    tables["events"] = _corrupted_events()
    report = csresearch.load_dataset(write_dataset(tmp_path / "ds", tables, fmt=fmt)).validate()
    found = {(v.column, v.rule): v for v in report.violations if v.table == "events"}
    expected: dict[tuple[str, str], list[int]] = {}
    for i, (column, _, rule) in BAD.items():
        expected.setdefault((column, rule), []).append(i + 1)  # 1-based data rows, header not counted
    assert set(found) == set(expected), report.format_text()
    for key, rows in expected.items():
        assert found[key].n_rows == len(rows)
        assert [e["row"] for e in found[key].examples] == rows, (key, found[key].examples)
        assert found[key].hint
    assert found[("quantity", "type")].examples[0]["quantity"] == "inf"  # shown as written


def test_the_same_rules_hold_for_events_given_in_memory():
    tables = valid_tables()
    tables["events"] = _corrupted_events()
    report = csresearch.Dataset.from_tables(tables, extracted_at="2025-06-30").validate()
    rules = {(v.column, v.rule) for v in report.violations if v.table == "events"}
    assert rules == {(c, r) for c, _, r in BAD.values()}


def test_missing_event_columns_are_reported_and_usage_is_not_built(tmp_path):
    tables = _events_only(valid_tables())
    tables["events"] = tables["events"].drop(columns=["user_id"])
    ds = csresearch.load_dataset(write_dataset(tmp_path / "ds", tables))
    assert "usage_monthly" not in ds.tables
    assert ("events", "user_id", "column_missing") in {(v.table, v.column, v.rule) for v in ds.validate().violations}


def test_as_of_cut_drops_later_events_and_they_cannot_leak(tmp_path):
    data = generate_dataset(60, seed=3, with_events=True)
    folder = data.write(tmp_path / "ds", fmt="parquet")
    (folder / "usage_monthly.parquet").unlink()
    cut = "2024-09-15"
    ds = csresearch.load_dataset(folder).as_of(cut)
    events = data.tables["events"].copy()
    ts = pd.to_datetime(events["timestamp"], utc=True, format="ISO8601")
    kept = events[(ts < pd.Timestamp(cut, tz="UTC") + pd.Timedelta(days=1))
                  & events["account_id"].isin(set(ds.accounts["account_id"]))]
    expected = usage_reference(kept)
    got = ds.usage_monthly.sort_values(["account_id", "month"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False)
    # changing what happened after the cut changes nothing at the cut
    later = ts >= pd.Timestamp(cut, tz="UTC") + pd.Timedelta(days=1)
    data.tables["events"].loc[later, "quantity"] = 999.0
    changed = data.write(tmp_path / "changed", fmt="parquet")
    (changed / "usage_monthly.parquet").unlink()
    pd.testing.assert_frame_equal(csresearch.load_dataset(changed).as_of(cut).usage_monthly, ds.usage_monthly)


def test_usage_is_built_once_per_run_and_shared(tmp_path, monkeypatch):
    folder = write_dataset(tmp_path / "ds", _events_only(valid_tables()), fmt="parquet")
    calls = []
    real = EventsSource.usage_monthly

    def counted(self):
        calls.append(self.until)
        return real(self)

    monkeypatch.setattr(EventsSource, "usage_monthly", counted)
    with usage_cache.shared_cache() as cache:
        first = csresearch.load_dataset(folder).usage_monthly
        second = csresearch.load_dataset(folder).usage_monthly
        assert len(list(cache.glob("usage_monthly-*.parquet"))) == 1
    assert len(calls) == 1
    pd.testing.assert_frame_equal(first, second)
    assert not cache.exists()  # removed when the run ends
    csresearch.load_dataset(folder)
    assert len(calls) == 2  # outside a run: built each time


def test_events_are_checked_once_per_run(tmp_path, monkeypatch):
    """The runner and notebook 00 both validate: inside a run the events check runs once and is shared."""
    from csresearch import events_rules

    folder = write_dataset(tmp_path / "ds", _events_only(valid_tables()), fmt="parquet")
    calls = []
    real = events_rules.check_events

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(events_rules, "check_events", counted)
    with usage_cache.shared_cache():
        first = csresearch.load_dataset(folder).validate()
        second = csresearch.load_dataset(folder).validate()
    assert len(calls) == 1 and first.violations == second.violations and first.is_valid
    csresearch.load_dataset(folder).validate()
    assert len(calls) == 2  # outside a run: checked each time
