"""Tests of the loader: CSV and Parquet load the same typed frames; odd files are reported, never crash."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corruptions import EXTRACTED_AT, folder_hashes, valid_tables, write_dataset
from csresearch import Dataset, contract, load_dataset
from csresearch.errors import DatasetNotFoundError


@pytest.fixture(scope="module")
def csv_dir(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("csv"), valid_tables())


@pytest.fixture(scope="module")
def csv_ds(csv_dir) -> Dataset:
    return load_dataset(csv_dir)


def rules(ds: Dataset) -> set[tuple[str, str | None, str]]:
    return {(v.table, v.column, v.rule) for v in ds.validate().violations}


def test_csv_gives_contract_dtypes(csv_ds):
    assert csv_ds.validate().is_valid
    for name, frame in csv_ds.tables.items():
        for col in contract.TABLES[name].columns:
            if col.optional and col.name not in frame:  # an optional column a dataset may leave out
                continue
            assert str(frame[col.name].dtype) == col.dtype or (col.kind == "integer" and str(frame[col.name].dtype) == "Int64"), (
                name, col.name, frame[col.name].dtype)
    assert csv_ds.extracted_at == pd.Timestamp(EXTRACTED_AT)
    assert csv_ds.events.to_frame()["timestamp"].iloc[2] == pd.Timestamp("2025-06-02T01:15:00Z")  # +09:00 converted to UTC
    assert csv_ds.contracts["quota"].isna().sum() == 1 and csv_ds.contracts["quota"].iloc[3] == 5000.5


def test_loading_never_modifies_files(csv_dir):
    before = folder_hashes(csv_dir)
    load_dataset(csv_dir).validate()
    assert folder_hashes(csv_dir) == before


def test_parquet_of_typed_tables_loads_like_csv(csv_ds, tmp_path):
    folder = tmp_path / "pq"
    write_dataset(folder, csv_ds.tables, fmt="parquet")
    pq_ds = load_dataset(folder)
    assert set(pq_ds.tables) == set(csv_ds.tables)
    for name in csv_ds.tables:
        pd.testing.assert_frame_equal(pq_ds.tables[name], csv_ds.tables[name], obj=name)
    assert pq_ds.validate().is_valid


def test_parquet_with_native_arrow_types_loads_like_csv(csv_ds, tmp_path):
    """Dates as date32, timestamps in every unit (naive = UTC, or tz-aware), ids as integers where numeric."""
    folder = write_dataset(tmp_path / "pq", {}, fmt="parquet")
    units = {"accounts": "s", "contracts": "ms", "onboarding": "us", "usage_monthly": "ns", "events": "ms"}
    for name, frame in csv_ds.tables.items():
        arrays = {}
        for col in frame.columns:
            s = frame[col]
            kind = contract.TABLES[name].column(col).kind if col in contract.TABLES[name].column_names else "float"
            if kind == "date" and name in units:
                arrays[col] = pa.array(s.to_numpy(), pa.timestamp(units[name]), from_pandas=True)
            elif kind == "date":
                arrays[col] = pa.array([None if pd.isna(v) else v.date() for v in s], pa.date32())
            elif kind == "timestamp":
                arrays[col] = pa.array(s.dt.tz_convert("Asia/Tokyo"), pa.timestamp("us", tz="Asia/Tokyo"))
            elif kind in ("string", "category"):
                arrays[col] = pa.array(s.astype(object).where(s.notna(), None).tolist(), pa.string())
            else:
                arrays[col] = pa.array(s.astype("float64").to_numpy(), from_pandas=True)
        pq.write_table(pa.table(arrays), folder / f"{name}.parquet")
    pq_ds = load_dataset(folder)
    for name in csv_ds.tables:
        pd.testing.assert_frame_equal(pq_ds.tables[name], csv_ds.tables[name], obj=name)


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("tz", [None, "UTC", "America/New_York"])
def test_parquet_timestamp_units(tmp_path, unit, tz):
    stamps = pd.Series(pd.to_datetime(["2025-06-01T08:00:00", "2025-06-30T12:00:00"]))
    stamps = stamps.dt.tz_localize(tz) if tz else stamps
    events = pd.DataFrame({"account_id": ["A1", "A3"], "user_id": ["u1", "u2"], "event_type": ["scan", "scan"], "quantity": [1.0, 0.0]})
    table = pa.table({**{c: pa.array(events[c]) for c in events}, "timestamp": pa.array(stamps, pa.timestamp(unit, tz=tz))})
    folder = write_dataset(tmp_path / "ds", {k: v for k, v in valid_tables().items() if k != "events"})
    pq.write_table(table, folder / "events.parquet")
    ds = load_dataset(folder)
    got = ds.events.to_frame()["timestamp"]
    assert str(got.dtype) == "datetime64[ns, UTC]"
    expected = stamps.dt.tz_convert("UTC") if tz else stamps.dt.tz_localize("UTC")
    assert got.tolist() == expected.tolist()
    assert ds.validate().is_valid


def test_integer_ids_in_parquet_become_text(tmp_path):
    tables = valid_tables()
    ids = {"A1": 1, "A2": 2, "A3": 3}
    folder = write_dataset(tmp_path / "ds", {}, fmt="parquet")
    for name, frame in tables.items():
        frame = frame.copy()
        frame["account_id"] = frame["account_id"].map(ids).astype("int64" if name != "roi" else "float64")
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    ds = load_dataset(folder)
    assert ds.accounts["account_id"].tolist() == ["1", "2", "3"]
    assert ds.roi["account_id"].tolist() == ["1"]  # 1.0 stored as float is still account "1"
    assert str(ds.contracts["account_id"].dtype) == "str"
    assert ds.validate().is_valid


def test_bom_and_windows_line_endings(csv_ds, tmp_path):
    folder = write_dataset(tmp_path / "ds", valid_tables())
    for name in ("accounts", "contracts"):
        text = (folder / f"{name}.csv").read_text(encoding="utf-8")
        (folder / f"{name}.csv").write_bytes("\ufeff".encode() + text.replace("\n", "\r\n").encode())
    ds = load_dataset(folder)
    for name in csv_ds.tables:
        pd.testing.assert_frame_equal(ds.tables[name], csv_ds.tables[name], obj=name)
    assert list(ds.accounts.columns)[0] == "account_id"


def test_unknown_columns_kept_unknown_files_ignored(tmp_path):
    tables = valid_tables()
    tables["accounts"]["crm_owner"] = ["ann", "bob", None]
    folder = write_dataset(tmp_path / "ds", tables)
    (folder / "README.txt").write_text("notes", encoding="utf-8")
    (folder / "leads.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    ds = load_dataset(folder)
    assert ds.accounts["crm_owner"].tolist()[:2] == ["ann", "bob"]
    assert set(ds.tables) | {"events"} == set(contract.TABLES) and ds.has("events")  # events stay lazy, out of ds.tables
    assert ds.validate().is_valid


def test_missing_optional_tables_are_fine(tmp_path):
    tables = {k: v for k, v in valid_tables().items() if k in ("accounts", "contracts", "onboarding", "usage_monthly")}
    ds = load_dataset(write_dataset(tmp_path / "ds", tables))
    assert ds.engagement is None and ds.roi is None and ds.events is None
    report = ds.validate()
    assert report.is_valid and report.tables["roi"] is None


def test_missing_required_table_and_dataset_yml_are_named(tmp_path):
    folder = write_dataset(tmp_path / "ds", {k: v for k, v in valid_tables().items() if k != "contracts"})
    (folder / "dataset.yml").unlink()
    ds = load_dataset(folder)
    assert ds.extracted_at is None and ds.name == "ds"
    assert rules(ds) == {("dataset.yml", None, "file_missing"), ("contracts", None, "table_missing")}
    text = ds.validate().format_text()
    assert "dataset.yml" in text and "[contracts]" in text and "table_missing" in text


def test_missing_folder_raises_input_error(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        load_dataset(tmp_path / "absent")


def test_unparsable_values_reported_as_type_with_rows(tmp_path):
    tables = valid_tables()
    tables["contracts"].loc[[1, 3], "arr"] = ["7.200,00", "n/a"]
    tables["usage_monthly"].loc[2, "events"] = "many"
    tables["onboarding"].loc[0, "completed_date"] = "2023-02-30"
    folder = write_dataset(tmp_path / "ds", tables)
    ds = load_dataset(folder)
    problems = {(v.table, v.column): v for v in ds.load_problems}
    assert set(problems) == {("contracts", "arr"), ("usage_monthly", "events"), ("onboarding", "completed_date")}
    arr = problems[("contracts", "arr")]
    assert arr.rule == "type" and arr.n_rows == 2
    assert arr.examples == ({"row": 2, "arr": "7.200,00"}, {"row": 4, "arr": "n/a"})
    assert problems[("onboarding", "completed_date")].examples == ({"row": 1, "completed_date": "2023-02-30"},)
    assert ds.contracts["arr"].isna().sum() == 2  # never guessed
    assert rules(ds) == {("contracts", "arr", "type"), ("usage_monthly", "events", "type"),
                         ("onboarding", "completed_date", "type")}


def test_out_of_range_dates_are_type_problems_not_crashes(tmp_path):
    folder = write_dataset(tmp_path / "ds", {k: v for k, v in valid_tables().items() if k != "roi"})
    roi = pa.table({"account_id": ["A1", "A2"], "date": pa.array([dt.date(3000, 1, 1), dt.date(2024, 1, 1)], pa.date32()),
                    "metric": ["m", "m"], "value": [1.0, 2.0]})
    pq.write_table(roi, folder / "roi.parquet")
    ds = load_dataset(folder)
    assert ds.roi["date"].isna().tolist() == [True, False]
    assert rules(ds) == {("roi", "date", "range")}  # issue 15: said to be out of range, not "not a date"


def test_whitespace_around_csv_values_is_ignored(tmp_path):
    tables = valid_tables()
    tables["accounts"].loc[0, "signup_date"] = " 2023-01-01 "
    tables["contracts"].loc[0, "seats"] = " 5"
    tables["accounts"].loc[2, "industry"] = "   "
    ds = load_dataset(write_dataset(tmp_path / "ds", tables))
    assert ds.validate().is_valid
    assert ds.accounts["signup_date"].iloc[0] == pd.Timestamp("2023-01-01") and ds.contracts["seats"].iloc[0] == 5
    assert pd.isna(ds.accounts["industry"].iloc[2])


def test_both_csv_and_parquet_reports_and_reads_parquet(tmp_path):
    tables = valid_tables()
    folder = write_dataset(tmp_path / "ds", tables)
    roi = tables["roi"].copy()
    roi["value"] = "99"
    roi.to_parquet(folder / "roi.parquet", index=False)
    ds = load_dataset(folder)
    assert ds.roi["value"].tolist() == [99.0]
    assert rules(ds) == {("roi", None, "one_file_per_table")}


def test_malformed_dataset_yml_and_bad_extracted_at(tmp_path):
    folder = write_dataset(tmp_path / "ds", valid_tables(), meta={"name": "x", "extracted_at": ""})
    assert rules(load_dataset(folder)) == {("dataset.yml", "extracted_at", "not_null")}
    for bad in (20250630, "2025-06-31", ["2025-06-30"]):
        write_dataset(folder, {}, meta={"name": "x", "extracted_at": bad})
        assert rules(load_dataset(folder)) == {("dataset.yml", "extracted_at", "type")}, bad
    write_dataset(folder, {}, meta={"name": "x", "extracted_at": "2025-06-30T18:00:00+09:00"})
    assert load_dataset(folder).extracted_at == pd.Timestamp("2025-06-30T18:00:00")
    (folder / "dataset.yml").write_text("name: x\nextracted_at: 2025-06-30\n\tbad: [\n", encoding="utf-8")
    assert rules(load_dataset(folder)) == {("dataset.yml", None, "parse")}


def test_from_tables_does_not_modify_its_input():
    tables = valid_tables()
    before = {k: v.copy() for k, v in tables.items()}
    Dataset.from_tables(tables, extracted_at=EXTRACTED_AT)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, before[name])


def test_from_tables_types_like_load_dataset(csv_ds):
    mem = Dataset.from_tables(valid_tables(), extracted_at=EXTRACTED_AT)
    for name in csv_ds.tables:
        pd.testing.assert_frame_equal(mem.tables[name], csv_ds.tables[name], obj=name)
    assert np.array_equal(mem.parse_failures.get("accounts", {}).get("signup_date", np.array([], int)), [])


def test_events_without_usage_monthly_is_valid_and_usage_is_derived(tmp_path):
    folder = write_dataset(tmp_path / "ds", {k: v for k, v in valid_tables().items() if k != "usage_monthly"})
    ds = load_dataset(folder)
    assert ds.derived_tables == {"usage_monthly"} and ds.usage_monthly is not None
    assert ds.validate().is_valid
    (folder / "events.csv").unlink()
    assert rules(load_dataset(folder)) == {("usage_monthly", None, "table_missing")}
