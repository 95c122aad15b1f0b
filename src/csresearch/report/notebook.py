"""Executed notebook -> one self-contained offline HTML report.

The conversion uses nbconvert's HTML exporter with the suite's own template
(``templates/csreport``, derived from nbconvert's ``classic`` cell layout
without scripts, widgets or MathJax) and wraps the body in
:func:`csresearch.report.html.page`. Code is hidden unless ``show_code``;
papermill's injected-parameters cell never shows its input (the parameters go
in the report header instead); a cell that raised always shows its input and
the error, so a failed report says where it failed.
"""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any, Mapping

import nbformat

from ..i18n import t
from ..narrative import how_to_read
from .html import escape, page, params_html

__all__ = ["FAILED_TAG", "error_summary", "how_to_read_html", "render_notebook"]

#: Tag the renderer gives a code cell whose outputs hold an error.
FAILED_TAG = "csresearch-failed"
_HIDDEN_INPUT_TAGS = {"injected-parameters"}
_PAPERMILL_TAGS = {"papermill-error-cell-tag"}


def _templates_dir() -> str:
    return str(resources.files("csresearch.report").joinpath("templates"))


def how_to_read_html() -> str:
    """The "How to read this" box every report shows: one line per term of :func:`csresearch.narrative.how_to_read`."""
    colon = t("how_to_read.colon")
    items = "".join(f"<li><strong>{escape(term)}</strong>{escape(colon)}{escape(text)}</li>" for term, text in how_to_read())
    return f'<aside class="callout howto"><strong>{escape(t("how_to_read.title"))}</strong><ul>{items}</ul></aside>'


def _failed(cell: Any) -> bool:
    return cell.get("cell_type") == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def error_summary(nb: nbformat.NotebookNode) -> str | None:
    """Return ``"ErrorName: message"`` of the first cell that raised, or None."""
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if out.get("output_type") == "error":
                msg = str(out.get("evalue", "")).strip().splitlines()
                return f"{out.get('ename', 'Error')}: {msg[0] if msg else ''}".rstrip(": ")
    return None


def _prepare(nb: nbformat.NotebookNode, show_code: bool) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & _PAPERMILL_TAGS:  # papermill's own "an exception occurred" banners hold a link; we write our own
            continue
        if cell.get("cell_type") == "code":
            failed = _failed(cell)
            if failed:
                cell.metadata["tags"] = sorted(tags | {FAILED_TAG})
            hide = (not show_code and not failed) or bool(tags & _HIDDEN_INPUT_TAGS)
            if hide:
                cell.metadata.setdefault("transient", {})["remove_source"] = True
        cells.append(cell)
    nb.cells = cells
    return nb


def render_notebook(
    nb: nbformat.NotebookNode,
    *,
    title: str,
    parameters: Mapping[str, Any] | None = None,
    show_code: bool = False,
    status: str = "ok",
    duration_s: float | None = None,
    error: str | None = None,
    subtitle: str | None = None,
) -> str:
    """Render an executed notebook as a complete offline HTML page.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook (not modified).
    title : str
        Page title, usually the notebook name.
    parameters : mapping, optional
        Parameters of the run, shown in the header.
    show_code : bool, default False
        Include the code of every cell (a failing cell's code is always shown).
    status : {"ok", "failed"}
        Run status shown in the header.
    duration_s : float, optional
        Execution time in seconds, shown in the header.
    error : str, optional
        Error summary for a failed notebook, shown at the top.
    subtitle : str, optional
        Line under the title.

    Returns
    -------
    str
        A complete HTML document with figures as data URIs and no scripts.
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="csreport",
        extra_template_basedirs=[_templates_dir()],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, resources_ = exporter.from_notebook_node(_prepare(nb, show_code),
                                                   resources={"cell_failed": t("report.cell_failed")})
    css = "".join(resources_.get("inlining", {}).get("css", [])) if show_code else ""
    shown_status = t(f"index.status.{status}") if status in ("ok", "failed") else status
    status_html = f'<span class="status status-{"ok" if status == "ok" else "failed"}">{escape(shown_status)}</span>'
    took = t("report.took", seconds=f"{duration_s:.1f}") if duration_s is not None else ""
    header = f"<p>{status_html}{escape(took)}</p>"
    if error:
        header += (f'<div class="callout bad"><strong>{escape(t("report.failed"))}</strong> {escape(error)}'
                   f'{escape(t("report.failed_where"))}</div>')
    if parameters:
        header += f"<details open><summary>{escape(t('index.parameters'))}</summary>" + params_html(parameters) + "</details>"
    header += how_to_read_html()
    if css:
        body = f"<style>{css}</style>\n{body}"
    return page(title, body, subtitle=subtitle, header_html=header)
