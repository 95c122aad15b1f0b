"""Step 2 of a run, *execute*: run notebook tasks serially or in a process pool, reporting progress."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TextIO

from ..study.protocol import sections_of
from .execute import ExecResult, ExecTask, execute_notebook
from .progress import Progress

__all__ = ["execute_all", "run_tasks", "start_order"]


def execute_all(tasks: Sequence[ExecTask], jobs: int, stream: TextIO,
                redact: Callable[[str | None], str | None] | None = None) -> dict[str, ExecResult]:
    """Run every notebook task, ``jobs`` at a time, with progress lines on ``stream``.

    Parameters
    ----------
    tasks : sequence of ExecTask
        One per notebook, in run order.
    jobs : int
        Notebooks run at once, each in its own process and kernel.
    stream : file
        Where progress goes.
    redact : callable, optional
        Applied to every error shown in a progress line (the privacy gate's
        :meth:`~csresearch.runner.privacy_gate.PrivacyGate.redact`).

    Returns
    -------
    dict of str to ExecResult
        By notebook name, in task order; a failing notebook or worker is a
        ``failed`` result, never an exception.
    """
    progress = Progress([t.name for t in tasks], stream, redact=redact)
    results = run_tasks(tasks, execute_notebook, jobs, progress)
    progress.close()
    return results


def run_tasks(
    tasks: Sequence[ExecTask], worker: Callable[[ExecTask], ExecResult], jobs: int, progress: Progress
) -> dict[str, ExecResult]:
    """Execute ``worker(task)`` for every task, at most ``jobs`` at a time; results in task order.

    With ``jobs == 1`` and no live display the tasks run in this process
    (each notebook still gets its own kernel); otherwise in worker processes.
    A worker that dies is reported as a failed notebook.

    Parameters
    ----------
    tasks : sequence of ExecTask
    worker : callable
        Runs one task (:func:`~csresearch.runner.execute.execute_notebook`).
    jobs : int
        Tasks run at once.
    progress : Progress
        Told when each task starts and finishes.

    Returns
    -------
    dict of str to ExecResult
        By task name, in task order.
    """
    results: dict[str, ExecResult] = {}
    if jobs == 1 and not progress.live:
        for task in tasks:
            progress.start(task.name)
            res = worker(task)
            progress.finish(task.name, res.status, res.duration_s, res.error)
            results[task.name] = res
        return {t.name: results[t.name] for t in tasks}
    # fork is much faster to start; the parent holds no kernel or zmq state to inherit
    ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    pending, running = deque(start_order(tasks)), {}
    workers = max(1, min(jobs, len(tasks)))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                               initargs=(kernel_threads(workers),))
    try:
        _drain(pool, pending, running, results, worker, jobs, progress)
    except BaseException:  # interrupted (Ctrl-C, SIGTERM): stop the workers now, do not wait for their notebooks
        _terminate(pool)
        raise
    pool.shutdown(wait=True)
    return {t.name: results[t.name] for t in tasks}


def start_order(tasks: Sequence[ExecTask]) -> list[ExecTask]:
    """The order parallel tasks start in: notebooks that compute more study steps first, otherwise run order.

    Longest first, so that the longest notebook does not start last and run
    alone at the end (06, three steps, took 80 of 230 s at 50,000 accounts and
    started after four others); results are still reported in run order.
    """
    return sorted(tasks, key=lambda t: -len(sections_of(t.name)))


def _drain(pool: ProcessPoolExecutor, pending: deque, running: dict, results: dict,
           worker: Callable[[ExecTask], ExecResult], jobs: int, progress: Progress) -> None:
    """Submit tasks as workers free up and collect their results until none is left."""
    while pending or running:
        while pending and len(running) < jobs:
            task = pending.popleft()
            running[pool.submit(worker, task)] = (task, time.perf_counter())
            progress.start(task.name)
        done, _ = wait(list(running), timeout=0.5 if progress.live else None, return_when=FIRST_COMPLETED)
        for fut in done:
            task, t0 = running.pop(fut)
            res = _result(fut, task, time.perf_counter() - t0)
            progress.finish(task.name, res.status, res.duration_s, res.error)
            results[task.name] = res
        progress.tick()


#: Environment variables that size the thread pools of BLAS (numpy, scipy, scikit-learn) and OpenMP in a kernel.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def kernel_threads(workers: int) -> int:
    """Threads per kernel when ``workers`` kernels run at once: the cores shared out, at least 1.

    Each kernel's BLAS would otherwise start a thread per core; with several
    kernels on few cores the threads wait on each other (a 48,000 x 16 matrix
    product measured 386 ms with 2 threads per kernel on a busy 2-core machine,
    5 ms with 1).
    """
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def _init_worker(threads: int) -> None:
    """Worker initializer: size the kernels' thread pools (unless the user set them) and die with the parent."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))
    _die_with_parent()


def _die_with_parent() -> None:
    """Worker initializer: the kernel sends SIGTERM to this worker when the run's process dies (Linux)."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a terminated worker ends; it does not take over the parent's handler
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops the workers
    if sys.platform != "linux":
        return
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:  # pragma: no cover - no libc: workers then outlive a killed parent
        pass
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop every worker process at once (their kernels exit when their parent does)."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)


def _result(fut: Future, task: ExecTask, elapsed: float) -> ExecResult:
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - a crashed worker is one failed notebook, not a crashed run
        return ExecResult(task.name, "failed", elapsed, f"worker process failed ({type(exc).__name__}: {exc})")
