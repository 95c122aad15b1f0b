"""Parameters are checked by type and range before any notebook starts (exit 2, nothing written)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from csresearch.cli import main as cli
from csresearch.errors import ParameterError
from csresearch.runner.notebooks import discover_notebooks
from csresearch.runner.parameters import ParameterKind, check_parameters, kind_of

BAD = [
    ("lead_days=abc", "lead_days: expects a whole number; got 'abc'"),
    ("lead_days=1.5", "lead_days: expects a whole number; got 1.5"),
    ("lead_days=0", "lead_days: must be > 0; got 0"),
    ("lead_days=true", "lead_days: expects a whole number; got True"),
    ("horizon_years=-1", "horizon_years: must be > 0; got -1"),
    ("horizon_years=soon", "horizon_years: expects a number; got 'soon'"),
    ("months_after=0", "months_after: must be > 0; got 0"),
    ("unhealthy_threshold=120", "unhealthy_threshold: must be between 0 and 100; got 120"),
    ("unhealthy_threshold=-5", "unhealthy_threshold: must be between 0 and 100; got -5"),
    ("min_group_size=0", "min_group_size: must be >= 5 (groups of fewer than 5 accounts can identify them: a smaller minimum, or 0 to turn small-group suppression off, needs --include-ids); got 0"),
    ("min_group_size=3", "min_group_size: must be >= 5 (groups of fewer than 5 accounts can identify them: a smaller minimum, or 0 to turn small-group suppression off, needs --include-ids); got 3"),
    ("seed=-1", "seed: must be >= 0; got -1"),
    ("as_of=last-year", "as_of: expects a date written YYYY-MM-DD or null; got 'last-year'"),
    ("as_of=2024-02-30", "as_of: expects a date written YYYY-MM-DD or null; got '2024-02-30'"),
    ("scorecard=3", "scorecard: expects a file or folder path or null; got 3"),
    ("kpi_risk_multiple=0", "kpi_risk_multiple: must be > 0; got 0"),
    ("lead_time_days=[30,-90]", "lead_time_days: must be > 0; got [30, -90]"),
    ("lead_time_days=soon", "lead_time_days: expects a list of whole numbers, e.g. [30, 90, 180]; got 'soon'"),
]


@pytest.mark.parametrize(("param", "message"), BAD)
def test_bad_parameter_exits_2_before_any_notebook(param, message, repo_root, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(repo_root / "data" / "sample"), "-o", str(out), "-p", param])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "no notebook was run" in result.output
    assert not out.exists(), "nothing is written when a parameter is bad"


def test_every_problem_is_reported_at_once(repo_root, tmp_path):
    result = CliRunner().invoke(cli, ["run", str(repo_root / "data" / "sample"), "-o", str(tmp_path / "o"),
                                      "-p", "lead_days=abc", "-p", "unhealthy_threshold=101"])
    assert result.exit_code == 2
    assert "lead_days" in result.output and "unhealthy_threshold" in result.output


def test_missing_scorecard_file_exits_2(repo_root, tmp_path):
    result = CliRunner().invoke(cli, ["run", str(repo_root / "data" / "sample"), "-o", str(tmp_path / "o"),
                                      "-p", "scorecard=no-such-scorecard.yml"])
    assert result.exit_code == 2 and "no-such-scorecard.yml not found" in result.output


def test_suite_parameter_kinds_come_from_the_parameters_cells():
    kinds = {}
    for spec in discover_notebooks():
        kinds.update({k: v for k, v in spec.kinds.items() if v is not None})
    assert kinds["lead_days"] == ParameterKind("int")
    assert kinds["horizon_years"] == ParameterKind("float")
    assert kinds["as_of"] == ParameterKind("date", nullable=True)
    assert kinds["scorecard"] == ParameterKind("path", nullable=True)
    assert kinds["include_ids"] == ParameterKind("bool")


def test_kind_inference():
    assert kind_of(90) == ParameterKind("int")
    assert kind_of(0.5) == ParameterKind("float")
    assert kind_of(False) == ParameterKind("bool")
    assert kind_of("x") == ParameterKind("str")
    assert kind_of(None) is None
    assert kind_of(None, '"date | None"') == ParameterKind("date", nullable=True)
    assert kind_of(3, "float") == ParameterKind("float")
    assert kind_of("data", '"Path"') == ParameterKind("path")


def test_good_values_pass_and_include_ids_allows_no_suppression():
    kinds = {"lead_days": ParameterKind("int"), "horizon_years": ParameterKind("float"),
             "as_of": ParameterKind("date", True), "min_group_size": ParameterKind("int")}
    check_parameters({"lead_days": 30, "horizon_years": 2, "as_of": "2024-06-30", "min_group_size": 5}, kinds)
    check_parameters({"horizon_years": 1.5, "as_of": None}, kinds)
    check_parameters({"min_group_size": 0}, kinds, include_ids=True)
    check_parameters({"min_group_size": 3}, kinds, include_ids=True)
    for small in (0, 1, 4):  # issue 15: below 5 only for an internal report
        with pytest.raises(ParameterError, match="min_group_size: must be >= 5.*needs --include-ids"):
            check_parameters({"min_group_size": small}, kinds)
