"""Execute one notebook with papermill and render its HTML report.

:func:`execute_notebook` runs in a worker process (one kernel per notebook). It
never raises for a failing notebook: the executed ``.ipynb`` keeps the failing
cell and its error, the HTML shows them, and the result says ``failed``.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from .. import i18n
from .notebooks import KERNELSPEC, as_ipynb, translate_markdown

__all__ = ["FIGURE_TEXT_EXTENSION", "ExecResult", "ExecTask", "execute_notebook"]

#: IPython extension every kernel loads: records figure text for the privacy scan.
FIGURE_TEXT_EXTENSION = "csresearch.report.figure_text"


@dataclass(frozen=True)
class ExecTask:
    """What a worker needs to run one notebook.

    Attributes
    ----------
    name : str
        Notebook name (file stem).
    source : Path
        The jupytext ``.py`` file.
    ipynb_out, html_out : Path
        Where to write the executed notebook and the report.
    parameters : dict
        Injected into the notebook by papermill.
    shown_parameters : dict
        Parameters shown in the report header.
    show_code : bool
        Include code cells in the report.
    cwd : Path
        Working directory of the kernel.
    timeout_s : int, optional
        Time limit per cell in seconds.
    subtitle : str, optional
        Line under the report's title (what the run analyses: as_of, accounts).
    """

    name: str
    source: Path
    ipynb_out: Path
    html_out: Path
    parameters: dict[str, Any]
    shown_parameters: dict[str, Any]
    show_code: bool
    cwd: Path
    timeout_s: int | None = None
    subtitle: str | None = None


@dataclass
class ExecResult:
    """Outcome of one notebook run.

    Attributes
    ----------
    name : str
    status : {"ok", "failed"}
    duration_s : float
    error : str or None
        One-line error summary when failed.
    html : Path or None
        The report written (None when even the error page could not be written).
    """

    name: str
    status: str
    duration_s: float
    error: str | None = None
    html: Path | None = None


def _error_notebook(task: ExecTask, message: str, detail: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source=f"# {task.name} could not be executed")
    cell.outputs = [nbformat.v4.new_output("error", ename="RunnerError", evalue=message, traceback=detail.splitlines())]
    nb.cells = [cell]
    return nb


def execute_notebook(task: ExecTask) -> ExecResult:
    """Run one notebook and write its ``.ipynb`` and ``.html``; never raises for notebook errors.

    Parameters
    ----------
    task : ExecTask

    Returns
    -------
    ExecResult
    """
    with i18n.language(task.parameters.get("lang")):  # a worker process starts in English
        status, error, nb, duration = _papermill(task)
        status, error, nb = _executed_notebook(task, status, error, nb)
        return _write_report(task, nb, status, error, duration)


def _one_line(kind: str, message: str) -> str:
    """``Kind: first line of message`` (just ``Kind`` when the message is empty)."""
    return f"{kind}: {message.strip().splitlines()[0] if message.strip() else ''}".rstrip(": ")


def _papermill(task: ExecTask) -> tuple[str, str | None, nbformat.NotebookNode | None, float]:
    """Execute the notebook with papermill.

    Returns
    -------
    status : {"ok", "failed"}
    error : str or None
        One-line summary of the failure.
    notebook : NotebookNode or None
        An error notebook when papermill could not run it (None: read the executed file).
    duration_s : float
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    logging.getLogger("papermill").setLevel(logging.ERROR)
    start = time.perf_counter()
    status, error, nb = "ok", None, None
    try:
        papermill.execute_notebook(
            translate_markdown(as_ipynb(task.source), task.name),
            str(task.ipynb_out),
            parameters=task.parameters,
            kernel_name=KERNELSPEC["name"],
            language="python",
            progress_bar=False,
            log_output=False,
            cwd=str(task.cwd),
            execution_timeout=task.timeout_s,
            # the kernel records the text of every displayed figure for the privacy gate (report.figure_text)
            extra_arguments=["--IPKernelApp.log_level=ERROR", f"--IPKernelApp.extensions={FIGURE_TEXT_EXTENSION}"],
        )
    except PapermillExecutionError as exc:
        status, error = "failed", _one_line(exc.ename, str(exc.evalue))
    except Exception as exc:  # noqa: BLE001 - kernel death, timeouts, unreadable notebook: reported per notebook
        status, error = "failed", _one_line(type(exc).__name__, str(exc))
        nb = _error_notebook(task, error, traceback.format_exc())
    return status, error, nb, time.perf_counter() - start


def _executed_notebook(
    task: ExecTask, status: str, error: str | None, nb: nbformat.NotebookNode | None
) -> tuple[str, str | None, nbformat.NotebookNode]:
    """Read the executed notebook (unless papermill gave none) and make sure a failed one is kept with its error."""
    from ..report.notebook import error_summary

    if nb is None:
        try:
            nb = nbformat.read(task.ipynb_out, as_version=4)
        except Exception as exc:  # noqa: BLE001
            status, error = "failed", error or f"executed notebook unreadable: {exc}"
            nb = _error_notebook(task, error, traceback.format_exc())
    if status == "failed" and not task.ipynb_out.exists():
        nbformat.write(nb, task.ipynb_out)
    if status == "failed" and error is None:
        error = error_summary(nb) or "failed"
    return status, error, nb


def _write_report(task: ExecTask, nb: nbformat.NotebookNode, status: str, error: str | None, duration: float) -> ExecResult:
    """Render the HTML report; a report that cannot be rendered fails the notebook (``html`` None)."""
    from ..report.notebook import render_notebook

    try:
        html = render_notebook(
            nb,
            title=task.name,
            parameters=task.shown_parameters,
            show_code=task.show_code,
            status=status,
            duration_s=duration,
            error=error,
            subtitle=task.subtitle,
        )
        task.html_out.write_text(html, encoding="utf-8")
    except Exception as exc:  # noqa: BLE001
        error = (error + "; " if error else "") + f"report could not be rendered ({type(exc).__name__}: {exc})"
        return ExecResult(task.name, "failed", duration, error, None)
    return ExecResult(task.name, status, duration, error, task.html_out)
