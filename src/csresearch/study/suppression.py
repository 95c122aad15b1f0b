"""Small groups are suppressed in shared tables: counts below ``min_group_size`` and the rates built on them.

Shared reports hold aggregates only; a group of two accounts with a churn rate
of 50% says who churned. :func:`suppress_small_groups` masks one table;
:func:`suppress_groups` applies it for every count column of a group table
unless the report is internal (``include_ids``); :func:`mask_small_counts`
masks a count cross-table.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["mask_small_counts", "segment_findings", "suppress_groups", "suppress_small_groups"]


def suppress_small_groups(
    frame: pd.DataFrame,
    count_cols: str | Sequence[str],
    min_group_size: int = 5,
    *,
    rate_cols: Sequence[str] | None = None,
    size_col: str | None = None,
) -> pd.DataFrame:
    """Mask counts and derived rates of groups smaller than ``min_group_size``.

    Parameters
    ----------
    frame : DataFrame
        One row per group (not modified).
    count_cols : str or sequence of str
        Count columns; the first is the group size unless ``size_col`` is given.
    min_group_size : int, default 5
        Groups with fewer members are masked; 1 or less masks nothing.
    rate_cols : sequence of str, optional
        Columns derived from the counts (rates, means, shares) to mask too;
        default every other numeric column.
    size_col : str, optional
        Column holding the group size (default: first of ``count_cols``).

    Returns
    -------
    DataFrame
        A copy where, in rows whose group size is below ``min_group_size``,
        the count columns read ``"<5"`` and the rate columns ``"n<5"`` (for
        ``min_group_size=5``); masked columns have object dtype.
    """
    counts = [count_cols] if isinstance(count_cols, str) else list(count_cols)
    size = size_col or (counts[0] if counts else None)
    missing = [c for c in [*counts, *(rate_cols or []), *([size] if size else [])] if c not in frame.columns]
    if size is None or missing:
        raise KeyError(f"suppress_small_groups: columns not in the frame: {missing or 'no count column given'}")
    if rate_cols is None:
        rate_cols = [c for c in frame.columns if c not in counts and c != size and pd.api.types.is_numeric_dtype(frame[c])]
    out = frame.copy()
    small = pd.to_numeric(out[size], errors="coerce") < min_group_size
    if not small.any():
        return out
    for cols, marker in ((counts + ([size] if size not in counts else []), f"<{min_group_size}"), (list(rate_cols), f"n<{min_group_size}")):
        for c in cols:
            out[c] = out[c].astype(object)
            out.loc[small, c] = marker
    return out


def suppress_groups(frame: pd.DataFrame, count_cols: list[str], min_group_size: int, include_ids: bool = False,
                    rate_cols: list[str] | None = None) -> pd.DataFrame:
    """Mask a group table's rates wherever any of ``count_cols`` is below ``min_group_size``.

    Applies :func:`csresearch.report.privacy.suppress_small_groups` once per
    count column; ``include_ids`` (an internal report) masks nothing.
    """
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


def segment_findings(groups: dict[str, dict], size_keys: Sequence[str], min_group_size: int,
                     include_ids: bool = False) -> dict[str, dict]:
    """Per-segment findings, JSON-ready, with every segment that has a group below ``min_group_size`` withheld.

    Parameters
    ----------
    groups : dict of str to dict
        Segment -> its numbers: counts under ``size_keys``, intervals
        (:class:`~csresearch.analysis.results.Interval`, written as dicts) and plain values.
    size_keys : sequence of str
        The group sizes; a segment is withheld when any of them is below ``min_group_size``.
    min_group_size : int
    include_ids : bool, default False
        An internal report: nothing is withheld.

    Returns
    -------
    dict
        Segment -> numbers, or ``{"suppressed": "fewer than N accounts in a group"}``
        (no counts, no rates) for a withheld segment.
    """
    out = {}
    for segment, numbers in groups.items():
        small = any(int(numbers.get(k) or 0) < min_group_size for k in size_keys)
        if small and not include_ids and min_group_size > 1:
            out[str(segment)] = {"suppressed": f"fewer than {min_group_size} accounts in a group"}
            continue
        out[str(segment)] = {k: (v.to_dict() if hasattr(v, "to_dict") and not isinstance(v, pd.DataFrame) else v)
                             for k, v in numbers.items()}
    return out
