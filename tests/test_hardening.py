"""Issue 15, data layer: values that parse but are not data, dates as written, dataset.yml kept small."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from corruptions import HARDENING, valid_tables, write_dataset
from csresearch import load_dataset
from csresearch.cli import main


def _violations(folder):
    return {(v.table, v.column, v.rule): v for v in load_dataset(folder).validate().violations}


def test_a_date_keeps_the_calendar_day_written_whatever_offset_follows(tmp_path):
    tables = valid_tables()
    tables["accounts"].loc[0, "signup_date"] = "2023-01-01T00:00:00+09:00"   # Japanese exports
    tables["contracts"].loc[0, "term_start"] = "2023-01-01 08:30"
    folder = write_dataset(tmp_path / "ds", tables)
    ds = load_dataset(folder)
    assert ds.accounts.loc[0, "signup_date"] == pd.Timestamp("2023-01-01")
    assert ds.contracts.loc[0, "term_start"] == pd.Timestamp("2023-01-01")
    assert ds.validate().is_valid, ds.validate().format_text()


def test_a_parquet_date_with_a_time_zone_keeps_its_local_calendar_day(tmp_path):
    folder = write_dataset(tmp_path / "ds", {k: v for k, v in valid_tables().items() if k != "roi"})
    tokyo = pd.Timestamp("2024-06-01 00:30", tz="Asia/Tokyo")
    frame = pd.DataFrame({"account_id": ["A1"], "date": [tokyo], "metric": ["m"], "value": [1.0]})
    pq.write_table(pa.Table.from_pandas(frame), folder / "roi.parquet")
    assert load_dataset(folder).roi.loc[0, "date"] == pd.Timestamp("2024-06-01")


def test_a_timestamp_still_goes_to_utc():
    from csresearch import contract
    from csresearch.reading import typed_table

    events = valid_tables()["events"]
    typed, problems, _ = typed_table(events, contract.TABLES["events"])
    assert not problems
    assert typed.loc[2, "timestamp"] == pd.Timestamp("2025-06-02T01:15:00Z")


def test_values_are_reported_as_written(tmp_path):
    tables = valid_tables()
    tables["contracts"].loc[0, "seats"] = "1e19"
    folder = write_dataset(tmp_path / "ds", tables)
    v = _violations(folder)[("contracts", "seats", "type")]
    assert v.examples[0]["seats"] == "1e19"
    assert "-9223372036854775808" not in load_dataset(folder).validate().format_text()


def test_inf_in_usage_makes_validate_and_run_exit_2(tmp_path):
    tables = valid_tables()
    tables["usage_monthly"].loc[1, "quota_used"] = "inf"
    folder = write_dataset(tmp_path / "ds", tables)
    for args in (["validate", str(folder)], ["run", str(folder), "-o", str(tmp_path / "out")]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        assert "usage_monthly.quota_used: rule 'type' broken (1 row)" in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_alias_bomb_is_refused_before_it_expands(tmp_path):
    bomb = next(c for c in HARDENING if c.name == "yml_alias_bomb")
    folder = bomb.build(tmp_path / "ds")
    v = _violations(folder)[("dataset.yml", None, "parse")]
    assert "aliases" in v.hint


def test_an_oversized_dataset_yml_is_refused(tmp_path):
    folder = write_dataset(tmp_path / "ds", valid_tables())
    (folder / "dataset.yml").write_text("name: tiny\nextracted_at: 2025-06-30\ndescription: '" + "x" * 70_000 + "'\n")
    assert ("dataset.yml", None, "parse") in _violations(folder)


def test_a_folder_or_broken_link_is_named_for_what_it_is(tmp_path):
    for case in ("table_is_a_folder", "table_is_broken_link"):
        corruption = next(c for c in HARDENING if c.name == case)
        folder = corruption.build(tmp_path / case)
        v = _violations(folder)[(corruption.table, None, "readable")]
        assert ("is a folder" in v.hint) if case == "table_is_a_folder" else ("symbolic link" in v.hint)


def test_out_of_range_date_says_so(tmp_path):
    tables = valid_tables()
    tables["contracts"].loc[2, "term_end"] = "9999-12-31"
    v = _violations(write_dataset(tmp_path / "ds", tables))[("contracts", "term_end", "range")]
    assert "9999-12-31" in v.hint and v.examples[0]["term_end"] == "9999-12-31"




def test_formula_looking_cells_are_written_as_text():
    from csresearch.csvsafe import neutralise_formulas

    frame = pd.DataFrame({"account_id": ["=HYPERLINK(\"http://x\")", "A1", "+1", "-cmd", "@SUM(1)", None],
                          "events": [1, -2, 3, 4, 5, 6]})
    out = neutralise_formulas(frame)
    assert out["account_id"].tolist()[:5] == ["'=HYPERLINK(\"http://x\")", "A1", "'+1", "'-cmd", "'@SUM(1)"]
    assert pd.isna(out["account_id"].iloc[5]) and out["events"].tolist() == [1, -2, 3, 4, 5, 6]
    assert frame["account_id"].iloc[0].startswith("=")  # the input is not modified


def test_build_usage_csv_neutralises_formula_ids(tmp_path):
    from csresearch.events import write_usage_file

    events = pd.DataFrame({"account_id": ["=HYPERLINK(1)", "A2"], "user_id": ["u1", "u2"],
                           "timestamp": pd.to_datetime(["2025-01-03T10:00:00Z", "2025-01-04T10:00:00Z"]),
                           "event_type": ["scan", "scan"], "quantity": [1, 2]})
    events.to_parquet(tmp_path / "events.parquet", index=False)
    write_usage_file([str(tmp_path / "events.parquet")], tmp_path / "usage.csv")
    text = (tmp_path / "usage.csv").read_text()
    assert "'=HYPERLINK(1)" in text and "\n=HYPERLINK" not in text
