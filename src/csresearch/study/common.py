"""Shared glue of the analysis notebooks: find the data, cut it at as_of, write findings, fail softly.

The notebooks run both under ``csresearch run`` (absolute paths injected) and
interactively from a notebooks folder (relative defaults such as ``data/sample``),
so relative paths are resolved against the working directory, then each of its
parents in turn (a checkout's ``src/csresearch/notebooks`` finds the
checkout's ``data/sample``). Nothing is located relative to this module's own
file, so an installed wheel behaves like the checkout.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..dataset import Dataset, load_dataset
from ..errors import CsResearchError, InputError

__all__ = [
    "attempt",
    "dataset_as_of",
    "load_study_dataset",
    "mask_small_counts",
    "resolve_path",
    "write_section",
    "suppress_groups",
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
    return dataset_as_of(load_dataset(path), as_of)


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
    from ..report.findings import write_section as write

    return write(name, data, resolve_path(output_dir) or output_dir)


def attempt(func: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """Call ``func``; return ``(result, None)``, or ``(None, reason)`` when the data cannot answer.

    Data problems (csresearch errors, ``ValueError``, singular matrices) become
    the reason string; programming errors still raise.
    """
    try:
        return func(*args, **kwargs), None
    except SOFT_ERRORS as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, f"could not be computed on this data: {text}"


def suppress_groups(frame: pd.DataFrame, count_cols: list[str], min_group_size: int, include_ids: bool = False,
                    rate_cols: list[str] | None = None) -> pd.DataFrame:
    """Mask a group table's rates wherever any of ``count_cols`` is below ``min_group_size``.

    Applies :func:`csresearch.report.privacy.suppress_small_groups` once per
    count column; ``include_ids`` (an internal report) masks nothing.
    """
    from ..report.privacy import suppress_small_groups

    if include_ids or min_group_size <= 1 or frame.empty:
        return frame
    if rate_cols is None:
        rate_cols = [c for c in frame.columns if c not in count_cols and pd.api.types.is_numeric_dtype(frame[c])]
    out = frame
    for col in count_cols:
        out = suppress_small_groups(out, col, min_group_size, rate_cols=rate_cols)
    return out


def mask_small_counts(table: pd.DataFrame, min_group_size: int, include_ids: bool = False) -> pd.DataFrame:
    """A count cross-table with every cell in 1..min_group_size-1 shown as ``"<k"`` (0 stays 0)."""
    if include_ids or min_group_size <= 1:
        return table
    small = (table > 0) & (table < min_group_size)
    return table.astype(object).mask(small, f"<{min_group_size}")
