"""Shared glue of the study steps: find the data, cut it at as_of, write findings, fail softly.

The notebooks run both under ``csresearch run`` (absolute paths injected) and
interactively from a notebooks folder (relative defaults such as ``data/sample``),
so relative paths are resolved against the working directory, then each of its
parents in turn (a checkout's ``src/csresearch/notebooks`` finds the
checkout's ``data/sample``). Nothing is located relative to this module's own
file, so an installed wheel behaves like the checkout.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..dataset import Dataset, load_dataset
from ..errors import CsResearchError, InputError
from ..usage_cache import CACHE_ENV, cached, files_key
from .sections import write_section as write

__all__ = [
    "SOFT_ERRORS",
    "attempt",
    "dataset_as_of",
    "load_study_dataset",
    "resolve_path",
    "soft_reason",
    "write_section",
]

#: Errors that mean "this data cannot answer the question", not "the code is wrong".
SOFT_ERRORS = (CsResearchError, ValueError, ZeroDivisionError, np.linalg.LinAlgError)


def resolve_path(path: str | Path | None, cwd: str | Path | None = None) -> Path | None:
    """Return ``path`` made absolute: as given, else relative to cwd or the nearest parent of cwd holding it.

    Parameters
    ----------
    path : str, Path or None
        A file or folder; None passes through.
    cwd : path, optional
        Starting folder (default the current working directory).

    Returns
    -------
    Path or None
        The first candidate that exists; when none exists the cwd-relative path
        (so the caller's error names what was asked for).
    """
    if path is None:
        return None
    p = Path(path).expanduser()
    if p.is_absolute():
        return p
    base = Path(cwd) if cwd is not None else Path.cwd()
    for root in (base, *base.resolve().parents):
        if (root / p).exists():
            return (root / p).resolve()
    return (base / p).resolve()


def dataset_as_of(ds: Dataset, as_of: str | pd.Timestamp | None) -> Dataset:
    """The dataset as it would have been extracted on ``as_of``: :meth:`Dataset.as_of <csresearch.dataset.Dataset.as_of>`."""
    return ds.as_of(as_of)


def load_study_dataset(data_dir: str | Path, as_of: str | pd.Timestamp | None = None) -> Dataset:
    """Load the dataset a notebook analyses, cut at ``as_of`` (None = its extracted_at).

    Raises
    ------
    InputError
        When the folder cannot be found or read.
    """
    path = resolve_path(data_dir)
    if path is None or not path.is_dir():
        raise InputError(f"dataset folder {data_dir!r} not found (looked in the working directory and its parents); "
                         "set data_dir to a dataset folder holding dataset.yml")
    return dataset_as_of(shared_dataset(path), as_of)


def shared_dataset(path: Path) -> Dataset:
    """``load_dataset(path)``, read and typed once per run when the run shares a cache folder.

    Every notebook kernel of a suite run loads the same dataset (about 10 s at
    50,000 accounts from CSV); inside a run (:data:`csresearch.usage_cache.CACHE_ENV`,
    a private temporary folder removed when the run ends) the first kernel
    stores the loaded dataset there, keyed by the folder's files (path, size,
    modification time), under a file lock, and the others read it back (0.2 s).
    Outside a run the dataset is loaded each time.
    """
    if not os.environ.get(CACHE_ENV):
        return load_dataset(path)
    files = sorted(p for p in path.rglob("*") if p.is_file())
    return cached("dataset", files_key(files), lambda: load_dataset(path))


def write_section(name: str, data: dict | list, output_dir: str | Path | None) -> Path | None:
    """Write a findings section to ``output_dir`` (None = interactive run: write nothing).

    Named like :func:`csresearch.report.findings.write_section` so that the runner
    finds the notebook's section names in its source.

    Returns
    -------
    Path or None
        The file written.
    """
    if output_dir is None:
        return None
    return write(name, data, resolve_path(output_dir) or output_dir)


def attempt(func: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """Call ``func``; return ``(result, None)``, or ``(None, reason)`` when the data cannot answer.

    Data problems (csresearch errors, ``ValueError``, singular matrices) become
    the reason string; programming errors still raise.
    """
    try:
        return func(*args, **kwargs), None
    except SOFT_ERRORS as exc:
        return None, soft_reason(exc)


def soft_reason(exc: BaseException) -> str:
    """The reason a data problem gives for a value that cannot be computed: its message's first line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"could not be computed on this data: {text}"
