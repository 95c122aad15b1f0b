"""Step 3 of a run, *collect*: from notebook results to reports and findings sections.

:func:`write_failure_pages` gives every notebook a report, even one whose
worker died before writing it. :func:`collect_sections` reads the findings
sections the notebooks wrote and accounts for every section the suite should
have: a section of a failed notebook is dropped, and each section not there is
listed with the reason (not run, failed, not written, no notebook writes it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..report.findings import FINDINGS_DIRNAME, read_sections, required_sections
from ..report.html import escape, page
from .execute import ExecResult
from .notebooks import NotebookSpec

__all__ = ["RunOutcome", "collect_sections", "drop_section", "missing_sections", "write_failure_pages"]


@dataclass
class RunOutcome:
    """What the notebooks produced, as it goes on to the privacy gate and publishing.

    Attributes
    ----------
    results : dict of str to ExecResult
        By notebook name, in run order.
    sections : dict
        Findings sections kept, by name.
    missing : dict of str to str
        Sections not published, with the reason.
    problems : list of str
        What makes the run fail besides failed notebooks (added by later steps).
    """

    results: dict[str, ExecResult]
    sections: dict[str, Any]
    missing: dict[str, str]
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[ExecResult]:
        """The notebooks that did not succeed, in run order."""
        return [r for r in self.results.values() if r.status != "ok"]


def write_failure_pages(results: Mapping[str, ExecResult], staging: Path) -> None:
    """Write an error page for every notebook whose worker died before writing its report.

    Parameters
    ----------
    results : mapping of str to ExecResult
        Updated in place: ``html`` points to the page written.
    staging : Path
        The run's output folder.
    """
    for r in results.values():
        if r.html is None or not r.html.exists():
            r.html = staging / f"{r.name}.html"
            body = f'<div class="callout bad"><strong>This notebook failed.</strong> {escape(r.error)}</div>'
            r.html.write_text(page(r.name, body, subtitle="failed"), encoding="utf-8")


def collect_sections(specs: Sequence[NotebookSpec], results: dict[str, ExecResult], staging: Path) -> RunOutcome:
    """Read the sections written under ``staging`` and account for the missing ones.

    Parameters
    ----------
    specs : sequence of NotebookSpec
        Every notebook of the suite (also those not run).
    results : dict of str to ExecResult
        The notebooks run, with their final status (after the report privacy check).
    staging : Path
        The run's output folder; files of dropped sections are deleted.

    Returns
    -------
    RunOutcome
    """
    sections = read_sections(staging)
    missing = missing_sections(specs, results, sections, staging)
    return RunOutcome(results, sections, missing)


def missing_sections(
    specs: Sequence[NotebookSpec], results: Mapping[str, ExecResult], sections: dict[str, Any], staging: Path
) -> dict[str, str]:
    """Return every section the suite should have but will not publish, with the reason.

    A notebook withheld only by the privacy check does not count as failed
    here: the sections it wrote stay (the gate screens them on their own).
    Sections of otherwise failed notebooks are removed from ``sections`` and
    their files deleted.

    Parameters
    ----------
    specs : sequence of NotebookSpec
    results : mapping of str to ExecResult
    sections : dict
        Sections read; updated in place.
    staging : Path

    Returns
    -------
    dict of str to str
    """
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
                drop_section(sections, sec, staging)
    expected = {sec for s in specs for sec in s.sections}
    for sec in required_sections():
        if sec not in sections and sec not in expected:
            missing[sec] = "no notebook of this suite writes it"
    return missing


def drop_section(sections: dict[str, Any], name: str, staging: Path) -> None:
    """Remove section ``name`` from ``sections`` and delete its file."""
    del sections[name]
    (staging / FINDINGS_DIRNAME / f"{name}.json").unlink(missing_ok=True)
