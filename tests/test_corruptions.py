"""Every corruption of the catalog, written as files and run through ``csresearch validate``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from corruptions import CORRUPTIONS, Corruption, folder_hashes, valid_tables, write_dataset
from csresearch.cli import main

#: "  - table.column: rule 'name' broken (3 rows)" lines of the text report
VIOLATION_LINE = re.compile(r"^  - (?P<where>.+?): rule '(?P<rule>\w+)' broken(?: \((?P<n>\d+) rows?\))?$", re.M)


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def reported(text: str) -> dict[tuple[str, str | None, str], int]:
    """(table, column, rule) -> n_rows parsed from the text report."""
    out = {}
    for m in VIOLATION_LINE.finditer(text):
        where = m["where"]
        table, _, column = where.partition(".") if not where.startswith("dataset.yml") else ("dataset.yml", None, where[12:])
        out[(table, column or None, m["rule"])] = int(m["n"] or 0)
    return out


@pytest.fixture(scope="module")
def valid_dir(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("valid"), valid_tables())


def test_valid_dataset_exits_0(valid_dir):
    before = folder_hashes(valid_dir)
    result = run_cli("validate", str(valid_dir))
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output and "contracts: 5 rows" in result.output
    assert folder_hashes(valid_dir) == before


def test_valid_dataset_json(valid_dir):
    result = run_cli("validate", str(valid_dir), "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["valid"] is True and report["violations"] == []
    assert report["tables"]["accounts"] == 3


@pytest.mark.parametrize("case", CORRUPTIONS, ids=[c.name for c in CORRUPTIONS])
def test_corruption_exits_2_naming_table_column_rule(case: Corruption, tmp_path):
    folder = case.build(tmp_path / "ds")
    before = folder_hashes(folder)
    result = run_cli("validate", str(folder))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    got = reported(result.output)
    key = (case.table, case.column, case.rule)
    assert key in got, result.output
    if case.n_rows is not None:
        assert got[key] == case.n_rows, result.output
    assert folder_hashes(folder) == before, "validation must never modify input files"


def test_json_report_lists_every_violation(tmp_path):
    tables = valid_tables()
    tables["accounts"].loc[1, "signup_date"] = "June 1st"
    tables["contracts"].loc[4, "outcome"] = "lost"
    tables["usage_monthly"].loc[0, "month"] = "2025-04-15"
    folder = write_dataset(tmp_path / "ds", tables)
    result = run_cli("validate", str(folder), "--json")
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert report["valid"] is False
    got = {(v["table"], v["column"], v["rule"]): v for v in report["violations"]}
    # A2's signup does not parse, so its first term is not compared with it: three problems, no more
    assert set(got) == {("accounts", "signup_date", "type"), ("contracts", "outcome", "allowed_values"),
                        ("usage_monthly", "month", "first_of_month")}
    assert got[("accounts", "signup_date", "type")]["examples"] == [{"row": 2, "signup_date": "June 1st"}]
    assert got[("usage_monthly", "month", "first_of_month")]["examples"][0]["month"] == "2025-04-15"
    assert got[("contracts", "outcome", "allowed_values")]["examples"][0] == {
        "row": 5, "account_id": "A3", "outcome": "lost"}
    assert all(v["hint"] for v in report["violations"])


def test_missing_folder_exits_2_with_a_clear_message(tmp_path):
    result = run_cli("validate", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "does not exist" in result.output and "nope" in result.output


def test_cli_subprocess_on_a_corrupted_dataset(tmp_path):
    folder = next(c for c in CORRUPTIONS if c.name == "terms_overlap").build(tmp_path / "ds")
    proc = subprocess.run([sys.executable, "-m", "csresearch.cli", "validate", str(folder)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "contracts.term_start: rule 'no_overlap' broken (2 rows)" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
