"""``csresearch run``: validate a dataset, execute every notebook, write reports.

The run validates DATA_DIR first (exit 2 before any notebook runs when it
breaks the contract), executes the selected notebooks with papermill (in
parallel with ``jobs > 1``), renders one offline HTML report per notebook,
scans every page for dataset identifiers, merges the notebooks' findings
sections into a schema-checked findings.json, writes index.html and swaps the
whole output folder in at once. Exit 0 when everything succeeded, 1 when any
notebook, the privacy scan or the schema check failed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from ..dataset import Dataset, load_dataset
from ..errors import ParameterError
from ..report.findings import (
    FINDINGS_DIRNAME,
    merge_findings,
    read_sections,
    required_sections,
    validate_findings,
    write_json_atomic,
)
from ..report.html import escape, page
from ..report.index import render_index, scope_line
from ..report.privacy import dataset_identifiers, find_identifiers, html_text
from ..study.common import dataset_as_of
from .execute import ExecResult, ExecTask, execute_notebook
from .manifest import environment, package_versions
from .notebooks import RUNNER_PARAMETERS, NotebookSpec, discover_notebooks, parse_parameters, select_notebooks
from .outdir import check_out_dir, make_staging, swap_in
from .parameters import check_parameters
from .pool import run_tasks
from .progress import Progress

__all__ = ["run_suite"]

#: Parameters holding machine paths: shared output shows only their last component.
PATH_PARAMETERS = ("data_dir", "output_dir", "scorecard")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _check_user_parameters(specs: Sequence[NotebookSpec], user: dict[str, Any], include_ids: bool) -> dict[str, Any]:
    """Type- and range-check the user's parameters; make a given scorecard path absolute.

    Raises
    ------
    ParameterError
        For every bad value at once, or a scorecard file that does not exist.
    """
    kinds: dict[str, Any] = {}
    for s in specs:
        for name, kind in s.kinds.items():
            kinds[name] = kinds.get(name) or kind
    check_parameters(user, kinds, include_ids=include_ids)
    user = dict(user)
    if user.get("scorecard"):
        path = Path(str(user["scorecard"])).expanduser().resolve()
        if not path.is_file():
            raise ParameterError(f"-p scorecard: file {user['scorecard']} not found (relative paths are read from the current folder)")
        user["scorecard"] = str(path)
    return user


def _shareable(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters as shown in shared output: paths reduced to their last component (no machine paths)."""
    out = dict(parameters)
    for name in PATH_PARAMETERS:
        if isinstance(out.get(name), str) and out[name]:
            out[name] = Path(out[name]).name
    return out


def _scope(ds: Dataset, as_of: str | None) -> dict[str, Any]:
    """What the run analyses: as_of, whether it is a back-test, and the accounts known then."""
    extracted = str(ds.extracted_at.date()) if ds.extracted_at is not None else None
    when = str(pd.Timestamp(as_of).date()) if as_of is not None else extracted
    back_test = when is not None and extracted is not None and when < extracted
    analysed = dataset_as_of(ds, when).n_accounts if back_test else ds.n_accounts
    return {"as_of": when, "back_test": back_test, "n_accounts_analysed": int(analysed)}


def _resolve_parameters(
    specs: Sequence[NotebookSpec], user: dict[str, Any], ds: Dataset, data_dir: Path, out: Path, include_ids: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (values set by user or runner, every parameter with the value the run used)."""
    given: dict[str, Any] = dict(user)
    given.update(data_dir=str(data_dir.resolve()), output_dir=str(out), include_ids=bool(include_ids))
    given.setdefault("min_group_size", 1 if include_ids else 5)
    if any("as_of" in s.defaults for s in specs) and given.get("as_of") is None and ds.extracted_at is not None:
        given["as_of"] = str(ds.extracted_at.date())
    if given.get("as_of") is not None and ds.extracted_at is not None:
        try:
            as_of = pd.Timestamp(given["as_of"])
        except (ValueError, TypeError):
            raise ParameterError(f"as_of={given['as_of']!r} is not a date; write it as YYYY-MM-DD") from None
        if as_of > ds.extracted_at:
            raise ParameterError(f"as_of={given['as_of']} is after the dataset's extracted_at {ds.extracted_at.date()}; nothing is known then")
    recorded: dict[str, Any] = {}
    names = sorted({k for s in specs for k in s.defaults} | set(given))
    for name in names:
        if name in given:
            recorded[name] = given[name]
            continue
        values = {s.name: s.defaults[name] for s in specs if name in s.defaults}
        distinct = {repr(v) for v in values.values()}
        recorded[name] = next(iter(values.values())) if len(distinct) == 1 else {"per_notebook": values}
    return given, recorded


def _redact(text: str | None, ids: set[str]) -> str | None:
    if not text or not ids:
        return text
    for ident in find_identifiers(text, ids).found:
        text = text.replace(ident, "<id>")
    return text


def _privacy_page(name: str, n_found: int) -> str:
    body = (
        '<div class="callout bad"><strong>Report withheld by the privacy check.</strong> '
        f"The report of {escape(name)} contained {n_found} account or user identifier(s) of the dataset, "
        "so it was not written. Shared reports hold aggregates only: print group tables, not rows "
        "(see csresearch.report.privacy.suppress_small_groups), or rerun with --include-ids for an internal report.</div>"
    )
    return page(name, body, subtitle="failed: privacy check")


def run_suite(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    params: Sequence[str] = (),
    params_file: str | Path | None = None,
    only: Sequence[str] = (),
    jobs: int = 1,
    show_code: bool = False,
    include_ids: bool = False,
    notebooks_dir: str | Path | None = None,
    stream: TextIO | None = None,
    timeout_s: int | None = None,
) -> int:
    """Run every analysis notebook on DATA_DIR into OUT_DIR; return the exit code.

    Parameters
    ----------
    data_dir : path
        The dataset folder; validated first.
    out_dir : path
        Output folder, replaced as a whole; refused when inside DATA_DIR or a
        non-empty folder not made by a run.
    params : sequence of str
        ``name=value`` notebook parameters (values parsed as YAML scalars).
    params_file : path, optional
        YAML mapping of parameters (``params`` override it).
    only : sequence of str
        Notebook names or prefixes to run (default all).
    jobs : int, default 1
        Notebooks run in parallel, each in its own process and kernel.
    show_code : bool, default False
        Include code in the HTML reports.
    include_ids : bool, default False
        Allow dataset identifiers and small groups in the reports.
    notebooks_dir : path, optional
        Folder of the notebooks (default ``$CSRESEARCH_NOTEBOOKS`` or the
        checkout's ``notebooks/``).
    stream : file, optional
        Where progress goes (default stderr).
    timeout_s : int, optional
        Time limit per notebook cell in seconds (default none).

    Returns
    -------
    int
        0 when every notebook succeeded and findings.json matches its schema,
        1 when anything failed, 2 when the dataset is invalid.

    Raises
    ------
    InputError
        Bad DATA_DIR, OUT_DIR, notebooks or parameters (the CLI exits 2).
    """
    stream = stream if stream is not None else sys.stderr
    started = _now()
    data_dir = Path(data_dir)
    # cheap checks of the user's options first, then the dataset; no notebook runs before both pass
    out = check_out_dir(out_dir, data_dir)
    specs = discover_notebooks(notebooks_dir)
    known = {k for s in specs for k in s.defaults} | set(RUNNER_PARAMETERS)
    user = _check_user_parameters(specs, parse_parameters(params, params_file, dict.fromkeys(known)), include_ids)
    selected = select_notebooks(specs, only)
    ds = load_dataset(data_dir)
    report = ds.validate()
    if not report.is_valid:
        stream.write(report.format_text() + "\n")
        stream.write("No notebook was run: fix the dataset first (csresearch validate DATA_DIR).\n")
        return 2
    given, recorded = _resolve_parameters(specs, user, ds, data_dir, out, include_ids)
    ids = set() if include_ids else dataset_identifiers(ds)
    dataset_info = {
        "name": ds.name,
        "folder": data_dir.resolve().name,
        "extracted_at": str(ds.extracted_at.date()) if ds.extracted_at is not None else None,
        "n_accounts": ds.n_accounts,
        "fingerprint": ds.fingerprint(),
        **_scope(ds, given.get("as_of")),
    }
    subtitle = scope_line(dataset_info)

    staging = make_staging(out)
    try:
        tasks = []
        for s in selected:
            inject = {k: v for k, v in recorded.items() if k in s.defaults or k in RUNNER_PARAMETERS}
            inject = {k: (given[k] if k in given else s.defaults[k]) for k in inject}
            shown = _shareable(inject)
            inject["output_dir"] = str(staging)
            tasks.append(ExecTask(s.name, s.path, staging / f"{s.name}.ipynb", staging / f"{s.name}.html",
                                  inject, shown, show_code, staging, timeout_s, subtitle))
        progress = Progress([t.name for t in tasks], stream)
        results: dict[str, ExecResult] = run_tasks(tasks, execute_notebook, jobs, progress)
        for r in results.values():
            if r.html is None or not r.html.exists():  # the worker died before writing its report
                r.html = staging / f"{r.name}.html"
                body = f'<div class="callout bad"><strong>This notebook failed.</strong> {escape(r.error)}</div>'
                r.html.write_text(page(r.name, body, subtitle="failed"), encoding="utf-8")
        problems: list[str] = []
        # privacy: no identifier in any HTML page unless --include-ids
        for r in results.values():
            r.error = _redact(r.error, ids)
            if ids and r.html is not None and r.html.exists():
                found = find_identifiers(html_text(r.html.read_text(encoding="utf-8")), ids).found
                if found:
                    r.html.write_text(_privacy_page(r.name, len(found)), encoding="utf-8")
                    why = f"privacy check: the report showed {len(found)} dataset identifier(s); it was withheld"
                    r.status, r.error = "failed", (r.error + "; " if r.error else "") + why
        # findings
        sections = read_sections(staging)
        missing: dict[str, str] = {}
        for s in specs:
            r = results.get(s.name)
            for sec in s.sections:
                if r is None:
                    missing[sec] = f"notebook {s.name} not run (--only)"
                elif r.status != "ok" and not (r.error or "").startswith("privacy check"):
                    missing[sec] = f"notebook {s.name} failed: {r.error}"
                elif sec not in sections:
                    missing[sec] = f"notebook {s.name} did not write it"
                if sec in missing and sec in sections and r is not None and r.status != "ok":
                    del sections[sec]
                    (staging / FINDINGS_DIRNAME / f"{sec}.json").unlink(missing_ok=True)
        expected = {sec for s in specs for sec in s.sections}
        for sec in required_sections():
            if sec not in sections and sec not in expected:
                missing[sec] = "no notebook of this suite writes it"
        for sec in list(sections):
            leaked = find_identifiers(str(sections[sec]), ids).found if ids else ()
            if leaked:
                del sections[sec]
                (staging / FINDINGS_DIRNAME / f"{sec}.json").unlink(missing_ok=True)
                missing[sec] = f"withheld by the privacy check: it held {len(leaked)} dataset identifier(s)"
                problems.append(f"findings section {sec} withheld: it held dataset identifiers")
        findings = merge_findings(sections, dataset=dataset_info, parameters=_shareable(dict(recorded, output_dir=str(out))),
                                  missing_sections=missing)
        schema_errors = validate_findings(findings)
        if schema_errors:
            findings["schema_errors"] = schema_errors
            problems.append("findings.json does not match its schema: " + "; ".join(schema_errors[:5]))
        failed = [r for r in results.values() if r.status != "ok"]
        problems[:0] = [f"notebook {r.name} failed: {r.error}" for r in failed]
        write_json_atomic(findings, staging / "findings.json")
        # index and manifest
        manifest = {
            "status": "ok" if not problems else "failed",
            "paths": {"data_dir": str(data_dir.resolve()), "output_dir": str(out), "scorecard": given.get("scorecard")},
            "table_rows": {name: len(frame) for name, frame in ds.tables.items()},
            "environment": environment(started, _now()),
            "packages": package_versions(),
            "notebooks": [
                {"name": r.name, "status": r.status, "duration_s": round(r.duration_s, 2), "error": r.error}
                for r in results.values()
            ],
            "problems": problems,
        }
        reports = [
            {"name": r.name, "status": r.status, "duration_s": r.duration_s, "error": r.error,
             "href": r.html.name if r.html is not None else None}
            for r in results.values()
        ] + [{"name": s.name, "status": "not run", "error": "excluded by --only"} for s in specs if s.name not in results]
        index = render_index(findings, manifest, reports, problems=[_redact(p, ids) for p in problems])
        if ids and find_identifiers(html_text(index), ids).found:
            problems.append("index.html showed dataset identifiers; its headline findings were withheld")
            manifest["status"], manifest["problems"] = "failed", problems
            index = render_index({"dataset": dataset_info, "parameters": {}}, manifest,
                                 [dict(r, error=None) for r in reports], problems=["privacy check failed for index.html"])
        (staging / "index.html").write_text(index, encoding="utf-8")
        write_json_atomic(manifest, staging / "run.json")
        swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    progress.close()
    n_ok = sum(r.status == "ok" for r in results.values())
    stream.write(f"wrote {out / 'index.html'}: {n_ok} of {len(results)} notebooks ok\n")
    for p in problems:
        stream.write(f"problem: {_redact(p, ids)}\n")
    return 0 if not problems else 1

