"""The steps of `csresearch run` one by one, on fake results: no kernel is started."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from csresearch.errors import ParameterError
from csresearch.report.findings import FINDINGS_DIRNAME, REQUIRED_SECTIONS
from csresearch.report.html import page
from csresearch.report.privacy import html_text
from csresearch.runner.collect import RunOutcome, collect_sections, missing_sections, write_failure_pages
from csresearch.runner.execute import ExecResult
from csresearch.runner.notebooks import NotebookSpec
from csresearch.runner.plan import InvalidDataset, RunPlan, RunRequest, build_tasks, resolve_parameters, shareable
from csresearch.runner.privacy_gate import PrivacyGate
from csresearch.runner.publish import checked_index, report_rows, summarize

IDS = frozenset({"ACCT-ALPHA1", "ACCT-BRAVO2"})


def _report(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.html"
    path.write_text(page(name, f"<p>{text}</p>"), encoding="utf-8")
    return path


def _section(folder: Path, name: str, content) -> None:
    (folder / FINDINGS_DIRNAME).mkdir(exist_ok=True)
    (folder / FINDINGS_DIRNAME / f"{name}.json").write_text(json.dumps(content), encoding="utf-8")


def _spec(name: str, *sections: str, **defaults) -> NotebookSpec:
    return NotebookSpec(name, Path(f"/nb/{name}.py"), defaults, tuple(sections))


# ---------------------------------------------------------------- privacy gate


def test_gate_withholds_a_report_showing_ids_and_fails_its_notebook(tmp_path):
    results = {
        "a": ExecResult("a", "ok", 1.0, None, _report(tmp_path, "a", "first account: ACCT-ALPHA1")),
        "b": ExecResult("b", "ok", 1.0, None, _report(tmp_path, "b", "42 accounts")),
        "c": ExecResult("c", "failed", 1.0, "KeyError: 'ACCT-BRAVO2'", _report(tmp_path, "c", "a failure")),
    }
    PrivacyGate(IDS).screen_reports(results)
    a, b, c = results["a"], results["b"], results["c"]
    assert a.status == "failed" and a.error.startswith("privacy check: the report showed 1 dataset identifier(s)")
    assert "ACCT-ALPHA1" not in a.html.read_text() and "withheld by the privacy check" in html_text(a.html.read_text())
    assert b.status == "ok" and b.error is None and "42 accounts" in b.html.read_text()
    assert c.status == "failed" and c.error == "KeyError: '<id>'"  # redacted, report kept


def test_gate_appends_the_privacy_reason_to_an_earlier_error(tmp_path):
    results = {"a": ExecResult("a", "failed", 1.0, "ValueError: boom", _report(tmp_path, "a", "ACCT-ALPHA1"))}
    PrivacyGate(IDS).screen_reports(results)
    assert results["a"].error.startswith("ValueError: boom; privacy check:")


def test_empty_gate_lets_everything_through(tmp_path):
    results = {"a": ExecResult("a", "ok", 1.0, "note ACCT-ALPHA1", _report(tmp_path, "a", "ACCT-ALPHA1"))}
    gate = PrivacyGate(frozenset())
    gate.screen_reports(results)
    assert results["a"].status == "ok" and results["a"].error == "note ACCT-ALPHA1"
    assert gate.leaks("ACCT-ALPHA1") == () and gate.redact("ACCT-ALPHA1") == "ACCT-ALPHA1"


def test_gate_redacts_identifiers_in_text():
    gate = PrivacyGate(IDS)
    assert gate.redact("rows ACCT-ALPHA1, ACCT-BRAVO2 and ACCT-ALPHA") == "rows <id>, <id> and ACCT-ALPHA"
    assert gate.redact(None) is None and gate.redact("") == ""


def test_gate_withholds_sections_holding_ids(tmp_path):
    _section(tmp_path, "kpis", {"top": ["ACCT-BRAVO2"]})
    _section(tmp_path, "churn_factors", {"auc": 0.7})
    outcome = RunOutcome({}, {"kpis": {"top": ["ACCT-BRAVO2"]}, "churn_factors": {"auc": 0.7}}, {})
    PrivacyGate(IDS).screen_sections(outcome, tmp_path)
    assert list(outcome.sections) == ["churn_factors"]
    assert not (tmp_path / FINDINGS_DIRNAME / "kpis.json").exists()
    assert (tmp_path / FINDINGS_DIRNAME / "churn_factors.json").exists()
    assert outcome.missing == {"kpis": "withheld by the privacy check: it held 1 dataset identifier(s)"}
    assert outcome.problems == ["findings section kpis withheld: it held dataset identifiers"]


# ---------------------------------------------------------------- collect


def test_failure_page_for_a_worker_that_wrote_no_report(tmp_path):
    results = {"a": ExecResult("a", "failed", 2.0, "worker process failed (BrokenProcessPool: <x>)")}
    write_failure_pages(results, tmp_path)
    html = results["a"].html.read_text()
    assert results["a"].html == tmp_path / "a.html"
    assert "This notebook failed" in html and "&lt;x&gt;" in html


def test_missing_sections_give_each_reason_and_drop_sections_of_failed_notebooks(tmp_path):
    specs = [_spec("00_ok", "health_validity", "kpis"), _spec("01_bad", "churn_factors"),
             _spec("02_skipped", "continuing_trends"), _spec("03_leaky", "onboarding_vs_health")]
    for sec in ("health_validity", "churn_factors", "onboarding_vs_health"):
        _section(tmp_path, sec, {"x": 1})
    results = {
        "00_ok": ExecResult("00_ok", "ok", 1.0),
        "01_bad": ExecResult("01_bad", "failed", 1.0, "ValueError: boom"),
        "03_leaky": ExecResult("03_leaky", "failed", 1.0, "privacy check: the report showed 2 dataset identifier(s)"),
    }
    outcome = collect_sections(specs, results, tmp_path)
    assert sorted(outcome.sections) == ["health_validity", "onboarding_vs_health"]  # a withheld report keeps its sections
    assert not (tmp_path / FINDINGS_DIRNAME / "churn_factors.json").exists()
    assert outcome.missing == {
        "kpis": "notebook 00_ok did not write it",
        "churn_factors": "notebook 01_bad failed: ValueError: boom",
        "continuing_trends": "notebook 02_skipped not run (--only)",
        "onboarding_vs_churn": "no notebook of this suite writes it",
    }
    assert [r.name for r in outcome.failed] == ["01_bad", "03_leaky"] and outcome.problems == []


def test_every_required_section_is_accounted_for_when_no_notebook_runs(tmp_path):
    missing = missing_sections([], {}, {}, tmp_path)
    assert sorted(missing) == sorted(REQUIRED_SECTIONS)


# ---------------------------------------------------------------- plan


def test_resolve_parameters_records_runner_values_and_differing_defaults(tmp_path):
    specs = [_spec("a", lead_days=90, as_of=None, seed=0), _spec("b", lead_days=60, seed=0)]
    ds = SimpleNamespace(extracted_at=pd.Timestamp("2025-06-30"))
    given, recorded = resolve_parameters(specs, {}, ds, tmp_path / "data", tmp_path / "out", include_ids=False)
    assert given["as_of"] == "2025-06-30" and given["min_group_size"] == 5 and given["include_ids"] is False
    assert recorded["lead_days"] == {"per_notebook": {"a": 90, "b": 60}} and recorded["seed"] == 0
    assert list(recorded) == sorted(recorded)
    with pytest.raises(ParameterError, match="after the dataset's extracted_at"):
        resolve_parameters(specs, {"as_of": "2026-01-01"}, ds, tmp_path, tmp_path / "out", include_ids=False)
    with pytest.raises(ParameterError, match="is not a date"):
        resolve_parameters(specs, {"as_of": "soon"}, ds, tmp_path, tmp_path / "out", include_ids=False)


def _plan(tmp_path, specs, given, recorded, **request) -> RunPlan:
    req = RunRequest(tmp_path / "data", tmp_path / "out", **request)
    info = {"name": "tiny", "extracted_at": "2025-06-30", "as_of": "2025-06-30", "back_test": False, "n_accounts_analysed": 3}
    return RunPlan(req, tmp_path / "out", specs, specs, None, given, recorded, info, IDS)


def test_build_tasks_inject_own_and_runner_parameters_and_show_no_paths(tmp_path):
    specs = [_spec("a", lead_days=90), _spec("b", horizon_years=3)]
    given = {"data_dir": "/home/me/data", "output_dir": "/home/me/out", "include_ids": False, "min_group_size": 5, "lead_days": 30}
    recorded = dict(sorted({**given, "horizon_years": 3}.items()))
    tasks = build_tasks(_plan(tmp_path, specs, given, recorded, show_code=True, timeout_s=9), tmp_path / "stage")
    a, b = tasks
    assert a.parameters == {"data_dir": "/home/me/data", "include_ids": False, "lead_days": 30, "min_group_size": 5,
                            "output_dir": str(tmp_path / "stage")}
    assert "lead_days" not in b.parameters and b.parameters["horizon_years"] == 3
    assert a.shown_parameters["data_dir"] == "data" and a.shown_parameters["output_dir"] == "out"
    assert a.html_out == tmp_path / "stage" / "a.html" and a.show_code and a.timeout_s == 9
    assert a.subtitle == "As of 2025-06-30 (data extracted 2025-06-30); 3 accounts analysed"


def test_shareable_keeps_only_the_last_path_component():
    assert shareable({"data_dir": "/x/y/sample", "scorecard": None, "output_dir": "", "lead_days": 3}) == {
        "data_dir": "sample", "scorecard": None, "output_dir": "", "lead_days": 3}


def test_invalid_dataset_tells_why_nothing_ran():
    stream = io.StringIO()
    code = InvalidDataset(SimpleNamespace(format_text=lambda: "contracts: 2 problems")).tell(stream)
    assert code == 2
    assert stream.getvalue() == "contracts: 2 problems\nNo notebook was run: fix the dataset first (csresearch validate DATA_DIR).\n"


# ---------------------------------------------------------------- publish


def test_report_rows_list_notebooks_run_then_those_excluded(tmp_path):
    specs = [_spec("a"), _spec("b")]
    rows = report_rows(specs, {"a": ExecResult("a", "ok", 1.5, None, tmp_path / "a.html")})
    assert rows == [{"name": "a", "status": "ok", "duration_s": 1.5, "error": None, "href": "a.html"},
                    {"name": "b", "status": "not run", "error": "excluded by --only"}]


def test_index_showing_ids_is_rendered_without_findings(tmp_path):
    info = {"name": "tiny", "extracted_at": "2025-06-30", "as_of": "2025-06-30", "n_accounts": 3, "fingerprint": "f" * 64}
    findings = {"dataset": info, "parameters": {"who": "ACCT-ALPHA1"}}
    manifest = {"status": "ok", "problems": []}
    problems: list[str] = []
    reports = [{"name": "a", "status": "ok", "duration_s": 1.0, "error": None, "href": "a.html"}]
    index = checked_index(PrivacyGate(IDS), findings, manifest, reports, problems, info)
    assert "ACCT-ALPHA1" not in html_text(index) and "privacy check failed for index.html" in html_text(index)
    assert manifest["status"] == "failed" and problems == ["index.html showed dataset identifiers; its headline findings were withheld"]
    clean = checked_index(PrivacyGate(frozenset()), findings, {"status": "ok", "problems": []}, reports, [], info)
    assert "ACCT-ALPHA1" in html_text(clean)


def test_summarize_redacts_problems_and_gives_the_exit_code(tmp_path):
    results = {"a": ExecResult("a", "ok", 1.0), "b": ExecResult("b", "failed", 1.0, "x")}
    stream = io.StringIO()
    assert summarize(tmp_path, results, ["notebook b failed: ACCT-ALPHA1 broke"], PrivacyGate(IDS), stream) == 1
    assert stream.getvalue() == (f"wrote {tmp_path / 'index.html'}: 1 of 2 notebooks ok\n"
                                 "problem: notebook b failed: <id> broke\n")
    assert summarize(tmp_path, {"a": results["a"]}, [], PrivacyGate(IDS), io.StringIO()) == 0
