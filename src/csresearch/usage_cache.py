"""usage_monthly built from events once per run, shared by every notebook of the run.

A dataset that gives events but no usage_monthly has usage_monthly built in
DuckDB when it is loaded (:meth:`csresearch.events_source.EventsSource.usage_monthly`).
A suite run loads the dataset in the runner and again in every notebook
kernel; :func:`shared_cache` (entered by :func:`csresearch.runner.run_suite`)
points :data:`CACHE_ENV` at a folder of the run, which the kernels inherit, and
:func:`cached_usage` builds each usage table there once: keyed by the event
files (path, size, modification time) and the as_of cut, written atomically,
with a file lock so that notebooks starting together wait for one build
instead of each building it. The folder is removed when the run ends. Outside
a run (no :data:`CACHE_ENV`) the usage is built each time.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .atomic import atomic_path

__all__ = ["CACHE_ENV", "cache_key", "cached", "cached_usage", "files_key", "shared_cache"]

#: Environment variable naming the run's usage cache folder.
CACHE_ENV = "CSRESEARCH_USAGE_CACHE"


def _hash_files(h, files) -> None:
    for f in files:
        st = os.stat(f)
        h.update(f"{Path(f).resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())


def files_key(files) -> str:
    """A key for a set of files: their paths, sizes and modification times, in the order given."""
    h = hashlib.sha256()
    _hash_files(h, files)
    return h.hexdigest()[:32]


def cache_key(source) -> str:
    """A key for the usage of ``source``: its files' paths, sizes and modification times, and its as_of cut."""
    h = hashlib.sha256()
    _hash_files(h, source.files)
    h.update(f"until={source.until}\n".encode())
    h.update(("accounts=" + ("all" if source.accounts is None else "\n".join(source.accounts))).encode())
    return h.hexdigest()[:32]


def cached(name: str, key: str, compute):
    """``compute()``, kept in the run's cache as a pickle under ``name-key`` (computed once per run, under a lock).

    Outside a run (no :data:`CACHE_ENV`) it is computed each time. Used for the
    events table's validation and counts, which the runner and notebook 00 both
    ask for, and for the loaded dataset every notebook kernel asks for.
    """
    import pickle

    folder = os.environ.get(CACHE_ENV)
    if not folder or not Path(folder).is_dir():
        return compute()
    path = Path(folder) / f"{name}-{key}.pickle"
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.is_file():
            return pickle.loads(path.read_bytes())  # noqa: S301 - written by this run, in its own private folder
        value = compute()
        with atomic_path(path) as tmp:
            Path(tmp).write_bytes(pickle.dumps(value))
        return value


def cached_usage(source) -> pd.DataFrame:
    """usage_monthly of ``source``, from the run's cache when there is one (built there once, under a lock)."""
    folder = os.environ.get(CACHE_ENV)
    if not folder or source.kind == "frame" or not Path(folder).is_dir():
        return source.usage_monthly()
    path = Path(folder) / f"usage_monthly-{cache_key(source)}.parquet"
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.is_file():
            usage = source.usage_monthly()
            with atomic_path(path) as tmp:
                usage.to_parquet(tmp, index=False)
            return usage
    usage = pd.read_parquet(path)
    usage["month"] = usage["month"].astype("datetime64[ns]")
    return usage


@contextmanager
def shared_cache() -> Iterator[Path]:
    """A usage cache folder for the duration of a run (inherited by the notebook kernels), removed afterwards."""
    previous = os.environ.get(CACHE_ENV)
    folder = Path(tempfile.mkdtemp(prefix="csresearch-usage-"))
    os.environ[CACHE_ENV] = str(folder)
    try:
        yield folder
    finally:
        if previous is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = previous
        shutil.rmtree(folder, ignore_errors=True)
