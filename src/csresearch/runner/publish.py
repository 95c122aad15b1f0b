"""Step 5 of a run, *publish*: findings.json, run.json and index.html, then the swap.

:func:`publish` merges the kept sections into a schema-checked findings.json,
writes the manifest (run.json) and index.html (screened by the privacy gate)
into the staging folder and swaps it in for the output folder as a whole.
:func:`summarize` tells the user what was written and what went wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..i18n import t
from ..report.findings import merge_findings, validate_findings, write_json_atomic
from ..report.index import render_index
from ..report.privacy import html_text
from .collect import RunOutcome
from .execute import ExecResult
from .manifest import environment, package_versions, utc_now
from .notebooks import NotebookSpec
from .outdir import swap_in
from .plan import RunPlan, shareable
from .privacy_gate import PrivacyGate

__all__ = ["build_findings", "build_manifest", "checked_index", "publish", "report_rows", "summarize"]


def publish(plan: RunPlan, outcome: RunOutcome, gate: PrivacyGate, staging: Path, started: str) -> list[str]:
    """Write findings.json, run.json and index.html into ``staging``, then swap it in for the output folder.

    Parameters
    ----------
    plan : RunPlan
    outcome : RunOutcome
        Results and sections after the privacy gate; a schema problem is added to its problems.
    gate : PrivacyGate
        Screens index.html and redacts the problems it shows.
    staging : Path
        The folder the run wrote into.
    started : str
        When the run started (ISO 8601, UTC).

    Returns
    -------
    list of str
        Every problem of the run (failed notebooks first); empty when it succeeded.
    """
    findings = build_findings(plan, outcome)
    problems = [t("index.problems.failed", name=r.name, error=r.error) for r in outcome.failed] + outcome.problems
    write_json_atomic(findings, staging / "findings.json")
    manifest = build_manifest(plan, outcome.results, problems, started)
    reports = report_rows(plan.specs, outcome.results)
    index = checked_index(gate, findings, manifest, reports, problems, plan.dataset_info)
    (staging / "index.html").write_text(index, encoding="utf-8")
    write_json_atomic(manifest, staging / "run.json")
    swap_in(staging, plan.out)
    return problems


def build_findings(plan: RunPlan, outcome: RunOutcome) -> dict[str, Any]:
    """Merge the kept sections into the findings document and check it against its schema.

    Schema errors are recorded in the document (``schema_errors``) and added
    to ``outcome.problems``.
    """
    parameters = shareable(dict(plan.recorded, output_dir=str(plan.out)))
    findings = merge_findings(outcome.sections, dataset=plan.dataset_info, parameters=parameters,
                              missing_sections=outcome.missing, language=plan.given.get("lang"))
    schema_errors = validate_findings(findings)
    if schema_errors:
        findings["schema_errors"] = schema_errors
        outcome.problems.append(t("index.problems.schema", errors="; ".join(schema_errors[:5])))
    return findings


def build_manifest(plan: RunPlan, results: Mapping[str, ExecResult], problems: list[str], started: str) -> dict[str, Any]:
    """The content of run.json: status, machine paths, table sizes, environment, notebooks, problems.

    ``problems`` is kept as the same list, so problems added later show in it.
    """
    return {
        "status": "ok" if not problems else "failed",
        "paths": {"data_dir": str(plan.request.data_dir.resolve()), "output_dir": str(plan.out),
                  "scorecard": plan.given.get("scorecard")},
        "table_rows": plan.dataset.row_counts(),
        "environment": environment(started, utc_now()),
        "packages": package_versions(),
        "notebooks": [
            {"name": r.name, "status": r.status, "duration_s": round(r.duration_s, 2), "error": r.error}
            for r in results.values()
        ],
        "problems": problems,
    }


def report_rows(specs: Sequence[NotebookSpec], results: Mapping[str, ExecResult]) -> list[dict[str, Any]]:
    """The index's report table: every notebook run, then those excluded by ``--only``."""
    rows: list[dict[str, Any]] = [
        {"name": r.name, "status": r.status, "duration_s": r.duration_s, "error": r.error,
         "href": r.html.name if r.html is not None else None}
        for r in results.values()
    ]
    return rows + [{"name": s.name, "status": "not run", "error": t("index.excluded")} for s in specs if s.name not in results]


def checked_index(
    gate: PrivacyGate,
    findings: dict[str, Any],
    manifest: dict[str, Any],
    reports: list[dict[str, Any]],
    problems: list[str],
    dataset_info: Mapping[str, Any],
) -> str:
    """Render index.html; when it still shows identifiers, render it with the dataset block only and no errors.

    A withheld index adds a problem to ``problems`` and fails ``manifest``.
    """
    index = render_index(findings, manifest, reports, problems=[gate.redact(p) for p in problems])
    if not gate.leaks(html_text(index)):
        return index
    problems.append(t("index.problems.index_withheld"))
    manifest["status"], manifest["problems"] = "failed", problems
    return render_index({"dataset": dataset_info, "parameters": {}}, manifest,
                        [dict(r, error=None) for r in reports], problems=["privacy check failed for index.html"])


def summarize(out: Path, results: Mapping[str, ExecResult], problems: Sequence[str], gate: PrivacyGate, stream: TextIO) -> int:
    """Tell what was written and every problem (redacted); return the exit code (0 ok, 1 failed)."""
    n_ok = sum(r.status == "ok" for r in results.values())
    stream.write(f"wrote {out / 'index.html'}: {n_ok} of {len(results)} notebooks ok\n")
    for p in problems:
        stream.write(f"problem: {gate.redact(p)}\n")
    return 0 if not problems else 1
