"""index.html of a suite run: the executive summary a CS leader reads first, then reports and manifest.

Top to bottom: one answer per study question (verdict, the answer in words,
a small figure, a link to the report), the recommended actions with why, the
headline numbers by segment, a "how to read this" box, the reports, the
detailed headline numbers (folded), the dataset and how to reproduce the run.
The page is generated from findings.json and the run manifest only, so it can
be rebuilt from them: the answers and actions are findings.json's ``summary``
and ``actions``, verbatim. It uses the suite page shell: no scripts, no
external resources (figures are inline PNG).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

from ..i18n import entries, t
from ..study.protocol import get_step, step_text, steps
from .headlines import headline_sentences
from .html import page
from .segments import segment_table
from .summary import build_actions, build_summary

__all__ = ["render_index", "scope_line"]


@lru_cache(maxsize=1)
def _template():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("csresearch.report").joinpath("templates"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("index.html.j2")


@lru_cache(maxsize=1)
def _index_css() -> str:
    return resources.files("csresearch.report").joinpath("templates", "index.css").read_text(encoding="utf-8")


def _figure(step: Any, section: Any) -> dict[str, Any] | None:
    """The step's summary figure as an inline PNG (natural size, never scaled), or None."""
    if step.figure is None or section is None:
        return None
    import base64
    import io

    import matplotlib.pyplot as plt

    try:
        ax = step.figure(section)
    except (TypeError, ValueError, KeyError, AttributeError):
        ax = None
    if ax is None:
        plt.close("all")
        return None
    fig = ax.figure
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    png = buf.getvalue()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # the IHDR chunk
    return {"data": base64.b64encode(png).decode("ascii"), "width": width, "height": height,
            "alt": t("index.figure_alt", question=step_text(step, "question"))}


def _report_links(reports: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {r["name"]: r["href"] for r in reports if r.get("href")}


def _summary_lines(findings: Mapping[str, Any], links: Mapping[str, str]) -> list[dict[str, Any]]:
    """findings.json's summary lines, each with its report link and figure."""
    lines = findings.get("summary")
    known = {s.name: s for s in steps()}
    out = []
    for line in lines if isinstance(lines, list) else build_summary(findings):
        step = known.get(line.get("section"))
        extra = {"href": None, "report": "", "figure": None}
        if step is not None:
            extra = {"href": links.get(step.notebook), "report": t("index.report", notebook=step.notebook),
                     "figure": _figure(step, findings.get(step.name))}
        out.append({**line, **extra})
    return out


def _why(because: Mapping[str, Any]) -> str:
    names = [because.get("section")] + ([because["also"].get("section")] if isinstance(because.get("also"), Mapping) else [])
    headings = [step_text(get_step(n), "heading") or step_text(get_step(n), "question")
                for n in names if n in {s.name for s in steps()}]
    quoted = t("answers.and").join(t("index.quoted", heading=h) for h in headings)
    return t("index.findings" if len(headings) > 1 else "index.finding", headings=quoted)


def _action_lines(findings: Mapping[str, Any], links: Mapping[str, str]) -> list[dict[str, Any]]:
    """findings.json's actions, each with why (the findings behind it) and a link to their report."""
    actions = findings.get("actions")
    out = []
    for a in actions if isinstance(actions, list) else build_actions(findings):
        because = a.get("because") or {}
        section = because.get("section")
        step = get_step(section) if section in {s.name for s in steps()} else None
        out.append({"action": a.get("action", ""), "why": _why(because),
                    "href": links.get(step.notebook) if step else None,
                    "report": t("index.report", notebook=step.notebook) if step else ""})
    return out


def _how_to_read_index() -> Any:
    """The index's "How to read this" lines: (term, the rest of the line) in the current language."""
    return entries("how_to_read.index")


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def scope_line(dataset: dict[str, Any]) -> str:
    """The header line of every report: ``As of DATE (back-test; data extracted DATE); N accounts analysed``."""
    extracted = dataset.get("extracted_at")
    when = dataset.get("as_of") or extracted
    kind = t("index.scope.back_test" if dataset.get("back_test") else "index.scope.extracted", extracted=extracted)
    n = dataset.get("n_accounts_analysed", dataset.get("n_accounts"))
    return (t("index.scope.with_accounts", when=when, kind=kind, n=f"{n:,}") if isinstance(n, int)
            else t("index.scope.plain", when=when, kind=kind))


def render_index(
    findings: Mapping[str, Any],
    manifest: Mapping[str, Any],
    reports: Sequence[Mapping[str, Any]],
    *,
    problems: Sequence[str] = (),
) -> str:
    """Return the complete index.html.

    Parameters
    ----------
    findings : mapping
        The merged findings document (``dataset``, ``parameters``, sections).
    manifest : mapping
        Run manifest: ``table_rows``, ``environment``, ``packages``.
    reports : sequence of mapping
        One per notebook: ``name``, ``status`` (``ok``, ``failed``, ``not run``),
        ``duration_s``, ``error``, ``href`` (relative link or None).
    problems : sequence of str
        Run-level problems (failed notebooks, schema errors, privacy), shown first.

    Returns
    -------
    str
    """
    ds = findings.get("dataset", {})
    links = _report_links(reports)
    questions = {}
    for s in steps():
        questions.setdefault(s.notebook, step_text(s, "question"))
    body = _template().render(
        index_css=_index_css(),
        t=t,
        verdict=lambda v: t(f"verdicts.{v}") if isinstance(v, str) and "." not in v else str(v),
        how_to_read=[(str(term), str(text)) for term, text in _how_to_read_index()],
        summary=_summary_lines(findings, links),
        actions=_action_lines(findings, links),
        segments=segment_table(findings),
        dataset=ds,
        table_rows=manifest.get("table_rows", {}),
        headlines=headline_sentences(findings),
        reports=[dict({"href": None, "duration_s": None, "error": None, "question": questions.get(r.get("name"), "")}, **r)
                 for r in reports],
        parameters={k: _show(v) for k, v in findings.get("parameters", {}).items()},
        environment={k: _show(v) for k, v in manifest.get("environment", {}).items()},
        packages=manifest.get("packages", {}),
        problems=list(problems),
    )
    n_failed = sum(r.get("status") != "ok" for r in reports)
    status = (t("index.run.complete") if not problems
              else t("index.run.failed", n=n_failed, total=len(reports)) if n_failed else t("index.run.incomplete"))
    return page(
        t("index.title", name=ds.get("name", "")),
        body,
        subtitle=t("index.subtitle", scope=scope_line(ds), status=status),
    )
