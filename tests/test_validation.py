"""Tests of csresearch.validation: every contract rule, on tiny in-memory datasets."""

from __future__ import annotations

import copy
import re

import pandas as pd
import pytest

from corruptions import CORRUPTIONS, EXTRACTED_AT, Corruption, valid_tables
from csresearch import Dataset, contract
from csresearch.schemas import table_schema
from csresearch.validation import RULES, validate_dataset


def make(edit=None, **replace: pd.DataFrame | None) -> Dataset:
    """The valid tiny dataset, with ``edit(tables)`` applied and tables replaced (None drops one)."""
    tables = copy.deepcopy(valid_tables())
    if edit is not None:
        edit(tables)
    for name, frame in replace.items():
        if frame is None:
            tables.pop(name)
        else:
            tables[name] = frame
    return Dataset.from_tables(tables, extracted_at=EXTRACTED_AT, name="tiny")


def cell(table: str, row: int, column: str, value):
    """An edit setting one raw cell."""
    def edit(tables):
        tables[table].loc[row, column] = value

    return edit


def found(ds: Dataset) -> set[tuple[str, str | None, str]]:
    return {(v.table, v.column, v.rule) for v in validate_dataset(ds).violations}


def only(ds: Dataset, table: str, column: str | None, rule: str):
    """Return the one violation of ``ds`` and check it is (table, column, rule)."""
    report = validate_dataset(ds)
    assert [(v.table, v.column, v.rule) for v in report.violations] == [(table, column, rule)], report.format_text()
    return report.violations[0]


def test_clean_dataset_is_valid():
    report = make().validate()
    assert report.is_valid, report.format_text()
    assert report.tables["accounts"] == 3 and report.tables["contracts"] == 5 and report.tables["roi"] == 1
    assert "is valid" in report.format_text()


# one representative per rule (tests/test_corruptions.py runs every variant through the CLI)
IN_MEMORY = list({c.rule: c for c in reversed(CORRUPTIONS) if c.after_write is None and c.table != "dataset.yml"}.values())


@pytest.mark.parametrize("case", IN_MEMORY, ids=[c.name for c in IN_MEMORY])
def test_each_corruption_breaks_exactly_its_rule(case: Corruption):
    tables = copy.deepcopy(valid_tables())
    case.edit(tables, {})
    report = Dataset.from_tables(tables, extracted_at=EXTRACTED_AT).validate()
    got = {(v.table, v.column, v.rule): v.n_rows for v in report.violations}
    assert (case.table, case.column, case.rule) in got, report.format_text()
    if case.n_rows is not None:
        assert got[(case.table, case.column, case.rule)] == case.n_rows
    # the consequences that necessarily follow are the only other violations allowed
    allowed_extra = {
        "accounts_empty": "references_accounts",
        "unknown_account_contracts": "has_contract",
        "signup_after_cutoff": "after_extracted_at",
    }
    others = {k for k in got if k != (case.table, case.column, case.rule)}
    assert all(rule == allowed_extra.get(case.name) for _, _, rule in others), report.format_text()


def test_all_violations_reported_at_once():
    def edit(t):
        t["accounts"].loc[0, "segment"] = None
        t["contracts"].loc[2, "seats"] = "0"
        t["engagement"].loc[4, "kind"] = "lunch"

    assert found(make(edit)) == {
        ("accounts", "segment", "not_null"),
        ("contracts", "seats", "range"),
        ("engagement", "kind", "allowed_values"),
    }


def test_examples_give_one_based_rows_and_counts():
    def edit(t):
        t["usage_monthly"].loc[[1, 3], "active_users"] = "-1"

    v = only(make(edit), "usage_monthly", "active_users", "range")
    assert v.n_rows == 2
    assert [e["row"] for e in v.examples] == [2, 4]
    assert [e["account_id"] for e in v.examples] == ["A1", "A2"]
    assert [e["active_users"] for e in v.examples] == [-1, -1]


def test_examples_are_capped_at_five():
    frame = pd.DataFrame({"account_id": ["A1"] * 8, "month": [f"2024-{m:02d}-15" for m in range(1, 9)], "active_users": "1",
                          "events": "1", "features_used": "1", "quota_used": "0"})
    v = only(make(usage_monthly=frame), "usage_monthly", "month", "first_of_month")
    assert v.n_rows == 8 and len(v.examples) == 5


def test_unparsable_value_is_reported_once_as_type_not_also_not_null():
    def edit(t):
        t["contracts"].loc[1, "term_end"] = "soon"
        t["contracts"].loc[3, "term_end"] = None

    report = make(edit).validate()
    by_rule = {v.rule: v for v in report.violations if v.column == "term_end"}
    assert set(by_rule) == {"type", "not_null"}
    assert by_rule["type"].n_rows == 1 and by_rule["type"].examples[0]["row"] == 2
    assert by_rule["not_null"].n_rows == 1 and by_rule["not_null"].examples[0]["row"] == 4


def test_unique_key_reports_every_duplicate_row():
    def edit(t):
        t["usage_monthly"] = pd.concat([t["usage_monthly"], t["usage_monthly"].iloc[[0, 0]]], ignore_index=True)

    v = only(make(edit), "usage_monthly", "account_id, month", "unique")
    assert v.n_rows == 3
    assert [e["row"] for e in v.examples] == [1, 6, 7]


def test_overlap_shows_both_terms():
    v = only(make(cell("contracts", 0, "term_end", "2024-02-01")),
             "contracts", "term_start", "no_overlap")
    assert v.n_rows == 2 and [e["row"] for e in v.examples] == [1, 2]


def test_terms_may_touch_or_leave_gaps():
    contracts = pd.DataFrame({
        "account_id": ["A1", "A1", "A2", "A3"],
        "term_start": ["2023-01-01", "2024-03-01", "2023-06-01", "2024-09-01"],
        "term_end": ["2024-01-01", "2025-03-01", "2024-06-01", "2025-09-01"],
        "seats": "1", "quota": None, "arr": "0", "outcome": ["renewed", "open", "churned", "open"],
    })
    assert make(contracts=contracts).validate().is_valid


def test_last_term_is_by_date_not_by_file_order():
    def edit(t):
        t["contracts"] = t["contracts"].iloc[::-1].reset_index(drop=True)

    assert make(edit).validate().is_valid


def test_first_term_at_signup_shows_signup_date():
    v = only(make(cell("accounts", 2, "signup_date", "2024-08-01")),
             "contracts", "term_start", "first_term_at_signup")
    assert v.examples == ({"row": 5, "account_id": "A3", "term_start": pd.Timestamp("2024-09-01"),
                           "signup_date": pd.Timestamp("2024-08-01")},)


def test_has_contract_names_the_account():
    v = only(make(lambda t: t.__setitem__("contracts", t["contracts"][t["contracts"]["account_id"] != "A2"])),
             "accounts", "account_id", "has_contract")
    assert v.n_rows == 1 and v.examples[0]["account_id"] == "A2" and v.examples[0]["row"] == 2


def test_planned_dates_may_lie_after_extracted_at():
    # A1's open term ends 2026-01-01 and A3's onboarding target is 2025-08-30: both after 2025-06-30
    ds = make()
    assert ds.contracts["term_end"].max() > ds.extracted_at and ds.onboarding["target_date"].max() > ds.extracted_at
    assert ds.validate().is_valid


def test_cutoff_is_the_end_of_the_extraction_day():
    def edit(t):
        t["events"].loc[0, "timestamp"] = "2025-06-30T23:59:59.999Z"
        t["events"].loc[1, "timestamp"] = "2025-07-01T01:00:00+02:00"  # 2025-06-30 23:00 UTC

    assert make(edit).validate().is_valid
    v = only(make(lambda t: t["events"].__setitem__("timestamp", ["2025-07-01T00:00:00Z"] * 3)),
             "events", "timestamp", "after_extracted_at")
    assert v.n_rows == 3


def test_month_containing_extracted_at_is_allowed_next_is_not():
    assert make(cell("usage_monthly", 3, "month", "2025-06-01")).validate().is_valid
    v = only(make(cell("health_monthly", 2, "month", "2025-07-01")), "health_monthly", "month", "after_extracted_at")
    assert v.examples[0]["row"] == 3


def test_nps_without_value_is_allowed_and_nps_range_is_inclusive():
    def edit(t):
        t["engagement"]["value"] = [None, None, "0", None, None]
        t["engagement"].loc[4, ["kind", "value"]] = ["nps", "10"]
        t["engagement"].loc[3, "kind"] = "nps"

    assert make(edit).validate().is_valid


def test_range_bounds_are_inclusive():
    def edit(t):
        t["contracts"].loc[0, ["seats", "quota", "arr"]] = ["1", "0", "0"]
        t["health_monthly"]["health_score"] = ["0", "100", "50"]
        t["accounts"].loc[0, "employees"] = "0"

    assert make(edit).validate().is_valid


def test_missing_optional_tables_are_fine():
    assert make(events=None, engagement=None, health_monthly=None, roi=None).validate().is_valid


def test_required_tables_missing_are_named():
    assert found(make(onboarding=None, roi=None)) == {("onboarding", None, "table_missing")}


def test_usage_monthly_not_required_when_events_given():
    ds = make()
    ds.tables.pop("usage_monthly")
    assert validate_dataset(ds).is_valid
    ds.events_source = None
    assert found(ds) == {("usage_monthly", None, "table_missing")}


def test_derived_usage_monthly_is_not_checked_itself():
    ds = make()
    ds.tables["usage_monthly"].loc[0, "active_users"] = -5
    assert not validate_dataset(ds).is_valid
    ds.derived_tables.add("usage_monthly")
    assert validate_dataset(ds).is_valid


def test_validation_does_not_modify_the_tables():
    ds = make(cell("contracts", 0, "outcome", "churned"))
    before = {k: v.copy() for k, v in ds.tables.items()}
    validate_dataset(ds)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(ds.tables[name], frame)


def test_report_is_grouped_by_table_in_contract_order():
    def edit(t):
        t["roi"].loc[0, "value"] = None
        t["accounts"].loc[0, "segment"] = None
        t["contracts"].loc[0, "arr"] = "-1"

    report = make(edit).validate()
    assert [v.table for v in report.violations] == ["accounts", "contracts", "roi"]
    text = report.format_text()
    assert text.index("[accounts]") < text.index("[contracts]") < text.index("[roi]")
    assert "accounts.segment: rule 'not_null'" in text and "3 problems" in text
    assert list(report.summary.columns) == ["table", "column", "rule", "n_rows", "hint"]
    assert "<table" in report._repr_html_()


def test_every_hint_is_one_line_and_every_rule_documented():
    def edit(t):
        t["contracts"].loc[0, "outcome"] = "churned"
        t["usage_monthly"].loc[0, "month"] = "2025-04-02"
        t["accounts"].loc[0, "segment"] = None

    messy = make(edit)
    for v in messy.validate().violations:
        assert v.hint and "\n" not in v.hint
        assert v.rule in RULES
    assert {c.rule for c in CORRUPTIONS} <= set(RULES)


@pytest.mark.parametrize("table", list(contract.TABLES))
def test_every_table_has_a_schema(table):
    schema = table_schema(table)
    assert set(contract.TABLES[table].column_names) <= set(schema.columns)


def test_rules_doc_lists_every_rule(repo_root):
    doc = (repo_root / "docs" / "data-contract-rules.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", doc, flags=re.M))
    assert listed == set(RULES)
