"""Execute one notebook with papermill and render its HTML report.

:func:`execute_notebook` runs in a worker process (one kernel per notebook). It
never raises for a failing notebook: the executed ``.ipynb`` keeps the failing
cell and its error, the HTML shows them, and the result says ``failed``.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from .notebooks import KERNELSPEC, as_ipynb

__all__ = ["ExecResult", "ExecTask", "execute_notebook"]



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
    notes : list of str
        Anything else worth telling the user (e.g. the privacy check).
    """

    name: str
    status: str
    duration_s: float
    error: str | None = None
    html: Path | None = None
    notes: list[str] = field(default_factory=list)


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
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from ..report.notebook import error_summary, render_notebook

    logging.getLogger("papermill").setLevel(logging.ERROR)
    start = time.perf_counter()
    status, error, nb = "ok", None, None
    try:
        source_nb = as_ipynb(task.source)
        papermill.execute_notebook(
            source_nb,
            str(task.ipynb_out),
            parameters=task.parameters,
            kernel_name=KERNELSPEC["name"],
            language="python",
            progress_bar=False,
            log_output=False,
            cwd=str(task.cwd),
            execution_timeout=task.timeout_s,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except PapermillExecutionError as exc:
        status, error = "failed", f"{exc.ename}: {str(exc.evalue).strip().splitlines()[0] if str(exc.evalue).strip() else ''}".rstrip(": ")
    except Exception as exc:  # noqa: BLE001 - kernel death, timeouts, unreadable notebook: reported per notebook
        status, error = "failed", f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}".rstrip(": ")
        nb = _error_notebook(task, error, traceback.format_exc())
    duration = time.perf_counter() - start
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
    html_path: Path | None = task.html_out
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
        status, html_path = "failed", None
        error = (error + "; " if error else "") + f"report could not be rendered ({type(exc).__name__}: {exc})"
    return ExecResult(task.name, status, duration, error, html_path)
