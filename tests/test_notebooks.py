"""The eight analysis notebooks: structure, and a full run on a generated dataset with a larger onboarding effect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csresearch.runner.notebooks import read_notebook_spec

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "src" / "csresearch" / "notebooks"
EXPECTED = {
    "00_data_audit": ("data_audit",),
    "01_onboarding_vs_churn": ("onboarding_vs_churn",),
    "02_onboarding_vs_health": ("onboarding_vs_health",),
    "03_health_score_validity": ("health_validity",),
    "04_continuing_accounts": ("continuing_trends",),
    "05_churned_accounts": ("churned_accounts",),
    "06_churn_factors_kpis": ("churn_factors", "kpis", "kpi_tree", "lead_time"),
    "07_retention": ("retention",),
    "08_peers_and_purpose": ("peer_benchmarks", "adoption_purpose"),
}
COMMON = {"data_dir": "data/sample", "as_of": None, "lead_days": 90, "horizon_years": 3, "months_after": 12,
          "unhealthy_threshold": 40, "scorecard": None, "definitions": None, "seed": 0, "output_dir": None, "min_group_size": 5,
          "include_ids": False, "lead_time_days": [30, 90, 180, 270, 365], "kpi_risk_multiple": 1.0,
          "window_months": 12, "lang": "en"}
MAX_CODE_LINES = 15
MAX_NOTEBOOK_CODE_LINES = 30


def _read(name):
    import jupytext

    return jupytext.read(NOTEBOOKS / f"{name}.py")


def test_exactly_the_suite_notebooks_exist():
    assert sorted(p.stem for p in NOTEBOOKS.glob("[0-9]*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_structure(name):
    path = NOTEBOOKS / f"{name}.py"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# %% [markdown]\n# # "), "first cell must be a markdown title"
    assert text.count('# %% tags=["parameters"]') == 1
    nb = _read(name)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert nb.cells[1].metadata.get("tags") == ["parameters"], "the parameters cell follows the title"
    spec = read_notebook_spec(path)
    # each notebook declares only the parameters it uses, with the suite's common defaults
    assert {k: COMMON[k] for k in spec.defaults} == spec.defaults
    assert {"data_dir", "as_of", "output_dir", "min_group_size", "include_ids", "lang"} <= set(spec.defaults)
    body = "\n".join(c.source for c in nb.cells[2:] if c.cell_type == "code")
    unused = [k for k in spec.defaults if k not in body]
    assert not unused, f"{name} declares parameters it does not use: {unused}"
    assert spec.sections == EXPECTED[name]
    for cell in nb.cells:
        assert not cell.get("outputs"), "notebooks are stored without outputs"
        if cell.cell_type == "code":
            lines = [ln for ln in cell.source.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
            assert len(lines) <= MAX_CODE_LINES, f"a code cell of {name} has {len(lines)} lines: move logic to src/"
    assert "print(" not in text, "prose comes from csresearch.narrative via Markdown, not print"
    code = [ln for c in nb.cells if c.cell_type == "code" for ln in c.source.splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]
    assert len(code) <= MAX_NOTEBOOK_CODE_LINES, f"{name} has {len(code)} lines of code: move logic to src/"


def test_the_notebooks_together_take_every_suite_parameter():
    declared = set()
    for name in EXPECTED:
        declared |= set(read_notebook_spec(NOTEBOOKS / f"{name}.py").defaults)
    assert declared == set(COMMON)


def _nulls_without_reason(node, path=""):
    """Paths of interval-like objects with a null estimate and no reason."""
    bad = []
    if isinstance(node, dict):
        if "estimate" in node and node["estimate"] is None and not node.get("reason"):
            bad.append(path)
        for k, v in node.items():
            bad += _nulls_without_reason(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            bad += _nulls_without_reason(v, f"{path}/{i}")
    return bad


@pytest.mark.slow
@pytest.mark.xdist_group("generated_run")
def test_suite_runs_on_generated_data_and_fills_every_section(generated_run):
    from csresearch.report.findings import SECTIONS, validate_findings

    code, findings, log, _ = generated_run
    assert code == 0, log
    assert validate_findings(findings) == []
    assert "missing_sections" not in findings
    for section in SECTIONS:
        assert section in findings, section
        assert not (isinstance(findings[section], dict) and set(findings[section]) == {"reason"}), findings[section]
    assert _nulls_without_reason(findings) == []
    assert findings["parameters"]["lead_days"] == 90 and findings["dataset"]["n_accounts"] == 1500


@pytest.mark.xdist_group("generated_run")
def test_generated_run_compares_the_health_definitions_side_by_side(generated_run):
    _, findings, _, root = generated_run
    entries = findings["health_validity"]["definitions"]
    assert {e["name"] for e in entries} == {"dear", "dear_worst_of", "box_50_80"}
    assert [e["rank"] for e in entries] == [1, 2, 3]
    assert entries[0]["auc_vs_best"] is None and all(e["auc_vs_best"]["estimate"] <= 0 for e in entries[1:])
    dear = next(e for e in entries if e["name"] == "dear")
    assert dear["auc_vs_dear"] is None
    assert sum(e["p_best"] for e in entries) == pytest.approx(1.0)
    assert findings["health_validity"]["definition_comparison"]["best"] == entries[0]["name"]
    report = (root / "out" / "03_health_score_validity.html").read_text(encoding="utf-8")
    assert "health definitions tested against renewals" in report and "Box 50/80 healthy customer" in report


@pytest.mark.slow
@pytest.mark.xdist_group("generated_run")
def test_generated_run_detects_the_larger_onboarding_effect(generated_run):
    _, findings, _, _ = generated_run
    ratio = findings["onboarding_vs_health"]["unhealthy_risk_ratio"]
    assert ratio["ci_low"] > 1, ratio
    assert findings["onboarding_vs_health"]["feature_difference_adjusted"]["seat_utilisation_3m"]["ci_high"] < 0


@pytest.mark.slow
@pytest.mark.xdist_group("generated_run")
def test_shared_output_holds_no_machine_path(generated_run):
    """HTML reports, the index and findings.json name the dataset by name and folder, never by path."""
    _, findings, _, root = generated_run
    out = root / "out"
    shared = sorted(out.glob("*.html")) + [out / "findings.json"]
    assert len(shared) == 11  # index + 9 reports + findings.json
    machine_paths = {str(root), str(root.resolve()), str(out.resolve()), str(Path.cwd().resolve()), str(Path.home())}
    for path in shared:
        text = path.read_text(encoding="utf-8")
        leaked = [m for m in machine_paths if m and m != "/" and m in text]
        assert not leaked, f"{path.name} shows {leaked}"
        assert "/tmp/" not in text and "/home/" not in text and "/root/" not in text, path.name
    assert findings["dataset"]["folder"] == "data" and findings["parameters"]["data_dir"] == "data"
    assert findings["parameters"]["output_dir"] == "out"
    # the analyst's own manifest keeps the full paths
    run = json.loads((out / "run.json").read_text())
    assert run["paths"]["data_dir"] == str((root / "data").resolve())


@pytest.mark.slow
def test_notebook_runs_interactively_from_the_notebooks_folder(tmp_path):
    """Opened in Jupyter from notebooks/ with default parameters: data/sample resolves, nothing is written."""
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    nb = jupytext.read(NOTEBOOKS / "01_onboarding_vs_churn.py")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    text = "\n".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells for o in c.get("outputs", []))
    assert "Accounts that failed onboarding churned" in text
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert not (NOTEBOOKS / "findings").exists()
    nbformat.validate(nb)


@pytest.mark.slow
def test_index_opens_with_the_summary_and_actions_of_findings_verbatim(generated_run):
    """Every answer and action of findings.json is on the index, word for word; the planted health gap is a clear effect."""
    import html
    import re

    code, findings, _, root = generated_run
    assert code == 0
    page = (root / "out" / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style\b.*?</style>", " ", page, flags=re.S))))
    from csresearch.study.protocol import answer_steps

    assert [line["section"] for line in findings["summary"]] == [s.name for s in answer_steps()]
    for line in findings["summary"]:
        assert line["answer"] in text and line["verdict"] in text
    for action in findings["actions"]:
        assert action["action"] in text and action["because"]["section"] in findings
    verdicts = {line["section"]: line["verdict"] for line in findings["summary"]}
    assert verdicts["onboarding_vs_health"] == "clear effect"
    assert text.index("The answers") < text.index("Recommended actions") < text.index("Reports")
