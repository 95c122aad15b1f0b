"""``csresearch run``: validate a dataset, execute every notebook, write reports.

The run validates DATA_DIR first (exit 2 before any notebook runs when it
breaks the contract), executes the selected notebooks with papermill (in
parallel with ``jobs > 1``), renders one offline HTML report per notebook,
scans every page for dataset identifiers, merges the notebooks' findings
sections into a schema-checked findings.json, writes index.html and swaps the
whole output folder in at once. Exit 0 when everything succeeded, 1 when any
notebook, the privacy scan or the schema check failed.

A run is five steps, each in its own module:

1. *plan* (:mod:`.plan`): options, parameters and dataset checked, parameters
   resolved, a :class:`~.plan.RunPlan` made and turned into notebook tasks;
2. *execute* (:mod:`.pool`, :mod:`.execute`): the notebooks run, each in its
   own kernel, with progress lines;
3. *collect* (:mod:`.collect`): every notebook gets a report, and the findings
   sections are read and accounted for in a :class:`~.collect.RunOutcome`;
4. *privacy gate* (:mod:`.privacy_gate`): reports and errors are screened
   before the sections are accounted for (a withheld report fails its
   notebook), the sections after, and index.html when it is published;
5. *publish* (:mod:`.publish`): findings.json, run.json and index.html, then
   the swap.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from .. import i18n
from ..errors import RunInterrupted
from ..usage_cache import shared_cache
from .collect import collect_sections, write_failure_pages
from .manifest import utc_now
from .outdir import output_lock, staged
from .plan import InvalidDataset, RunRequest, build_tasks, plan_run
from .pool import execute_all
from .privacy_gate import PrivacyGate
from .publish import publish, summarize

__all__ = ["run_suite"]


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
    lang: str = "en",
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
    lang : str, default "en"
        Language of the reports, the index and findings.json's sentences
        (a catalogue of :mod:`csresearch.i18n`; ``-p lang=...`` overrides it).

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
    with shared_cache():  # usage_monthly built from events once per run, shared by the kernels
        return _run_suite(RunRequest(Path(data_dir), out_dir, params, params_file, only, jobs, show_code, include_ids,
                                     notebooks_dir, timeout_s, lang), stream)


def _run_suite(request: RunRequest, stream: TextIO | None) -> int:
    stream = stream if stream is not None else sys.stderr
    started = utc_now()
    try:
        with i18n.language(request.lang):
            plan = plan_run(request)
    except InvalidDataset as invalid:
        return invalid.tell(stream)
    gate = PrivacyGate(plan.identifiers, plan.id_columns)
    with (i18n.language(plan.given.get("lang")), output_lock(plan.out), staged(plan.out) as staging,
          _write_errors_end_the_run(plan.out)):
        results = execute_all(build_tasks(plan, staging), request.jobs, stream, redact=gate.redact)
        write_failure_pages(results, staging)
        gate.screen_reports(results)
        outcome = collect_sections(plan.specs, results, staging)
        gate.screen_sections(outcome, staging)
        problems = publish(plan, outcome, gate, staging, started)
    return summarize(plan.out, results, problems, gate, stream)


@contextmanager
def _write_errors_end_the_run(out: Path) -> Iterator[None]:
    """A disk that fills up or turns read-only mid-run ends the run with a clear error (exit 1), not a traceback."""
    try:
        yield
    except OSError as exc:
        raise RunInterrupted(f"the run could not write its output ({exc.strerror or type(exc).__name__}); nothing was "
                             f"replaced: {out} holds the previous output") from None
