"""index.html of a suite run: dataset, headline findings, reports, manifest.

The page is generated from findings.json and the run manifest only, so it can
be rebuilt from them. It uses the suite page shell: no scripts, no external
resources.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

from .headlines import headline_sentences
from .html import page

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


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def scope_line(dataset: dict[str, Any]) -> str:
    """The header line of every report: ``As of DATE (back-test; data extracted DATE); N accounts analysed``."""
    extracted = dataset.get("extracted_at")
    when = dataset.get("as_of") or extracted
    kind = f"back-test; data extracted {extracted}" if dataset.get("back_test") else f"data extracted {extracted}"
    n = dataset.get("n_accounts_analysed", dataset.get("n_accounts"))
    return f"As of {when} ({kind}); {n:,} accounts analysed" if isinstance(n, int) else f"As of {when} ({kind})"


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
    body = _template().render(
        dataset=ds,
        table_rows=manifest.get("table_rows", {}),
        headlines=headline_sentences(findings),
        reports=[dict({"href": None, "duration_s": None, "error": None}, **r) for r in reports],
        parameters={k: _show(v) for k, v in findings.get("parameters", {}).items()},
        environment={k: _show(v) for k, v in manifest.get("environment", {}).items()},
        packages=manifest.get("packages", {}),
        problems=list(problems),
    )
    n_failed = sum(r.get("status") != "ok" for r in reports)
    status = "complete" if not problems else f"incomplete: {n_failed} of {len(reports)} notebooks not ok" if n_failed else "incomplete"
    return page(
        f"csresearch report: {ds.get('name', '')}",
        body,
        subtitle=f"{scope_line(ds)}; run {status}",
    )
