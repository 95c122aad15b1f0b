"""Small groups are suppressed in shared tables: counts below ``min_group_size`` and the rates built on them.

Shared reports hold aggregates only; a group of two accounts with a churn rate
of 50% says who churned. :func:`suppress_small_groups` masks one table;
:func:`suppress_groups` applies it for every count column of a group table
unless the report is internal (``include_ids``); :func:`mask_small_counts`
masks a count cross-table.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["COUNT_KEYS", "MIN_SHARED_GROUP_SIZE", "account_group_sizes", "level_terms", "mask_small_counts",
           "segment_findings", "suppress_factor_levels", "suppress_findings", "suppress_groups",
           "suppress_small_groups", "suppressed_reason"]


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


# --------------------------------------------------------------------------- published numbers (findings.json, factors.json)

#: Count keys whose value is the size of the group the numbers of the same object describe, and the
#: keys computed from that group alone (None: every number of the object).
COUNT_KEYS: dict[str, tuple[str, ...] | None] = {
    "n": None,
    "n_accounts": None,
    "accounts_below_now": ("accounts_below_now", "arr_below_now"),
}


#: Keys that place a value (a time, a month) rather than describe the group: never masked.
COORDINATES = frozenset({"time", "month", "lead_days", "horizon_years"})

#: The smallest minimum group size shared output may use (a smaller one needs ``include_ids``).
MIN_SHARED_GROUP_SIZE = 5

#: Categorical columns with more levels than this are not factors (names, emails): not counted as groups.
MAX_LEVELS = 200


def suppressed_reason(min_group_size: int, unit: str = "accounts") -> str:
    """Why a number is not published: the group is smaller than ``min_group_size``."""
    return (f"suppressed: fewer than {min_group_size} {unit} in this group (minimum group size {min_group_size}; "
            "small groups are not published in shared output)")


def level_terms(factor: str, level: object) -> tuple[str, ...]:
    """The names a level of a categorical factor goes by in results: ``segment[smb]`` and ``segment_smb``."""
    return (f"{factor}[{level}]", f"{factor}_{level}")


def account_group_sizes(frame: pd.DataFrame, id_col: str = "account_id",
                        columns: Sequence[str] | None = None) -> dict[str, int]:
    """Accounts per level of every categorical column of ``frame``, keyed by :func:`level_terms`.

    Parameters
    ----------
    frame : DataFrame
        One or more rows per account (accounts, a decision table).
    id_col : str, default "account_id"
        The account column; without it each row counts as one account.
    columns : sequence of str, optional
        Columns to count (default: every column that is not numeric, a date or
        ``id_col`` and has at most :data:`MAX_LEVELS` levels).
        A missing value is the level ``(missing)``.

    Returns
    -------
    dict of str to int
    """
    if columns is None:
        columns = [c for c in frame.columns if c != id_col and not pd.api.types.is_numeric_dtype(frame[c])
                   and not pd.api.types.is_datetime64_any_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
                   and frame[c].nunique() <= MAX_LEVELS]
    ids = frame[id_col].astype("str") if id_col in frame.columns else pd.Series(range(len(frame)), index=frame.index)
    sizes: dict[str, int] = {}
    for col in columns:
        key = frame[col].astype("str").where(frame[col].notna(), "(missing)")
        for level, n in ids.groupby(key, sort=False).nunique().items():
            for term in level_terms(col, level):
                sizes[term] = min(int(n), sizes.get(term, int(n)))
    return sizes


def _small(value: object, min_group_size: int) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < min_group_size


def _mask(value: object, reason: str, keys: Sequence[str] | None = None) -> object:
    """Every number of ``value`` (or only ``keys`` of a mapping) set to None; a mapping gets ``reason``."""
    if isinstance(value, Mapping):
        out = {k: (_mask(v, reason) if (keys is None and k not in COORDINATES) or (keys and k in keys) else v)
               for k, v in value.items() if not (k == "unstable" and keys is None)}
        out["reason"] = reason
        return out
    if isinstance(value, list):
        return [_mask(v, reason) for v in value]
    return None if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    """One regex finding any of ``terms`` as a whole name (longest first)."""
    if not terms:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(r"(?<![A-Za-z0-9_])(" + alternatives + r")(?![A-Za-z0-9_\[])")


def suppress_findings(section: Any, min_group_size: int, group_sizes: Mapping[str, int] | None = None,
                      unit: str = "accounts") -> Any:
    """Apply the minimum group size to every number of a findings section; return a new object.

    Three rules, applied recursively:

    * an object with a count (:data:`COUNT_KEYS`: ``n``, ``n_accounts``,
      ``accounts_below_now``) between 1 and ``min_group_size - 1`` loses the
      numbers computed from that group (they become null) and gets a ``reason``;
    * a value keyed by a group named in ``group_sizes`` (``segment[tiny]``,
      ``segment_tiny``) that is that small is masked the same way;
    * a sentence mentioning such a group (a note that it "separates churn
      perfectly" says that none or all of its accounts churned) is replaced by
      one saying it was suppressed.

    Parameters
    ----------
    section : dict, list or scalar
        A findings section (not modified).
    min_group_size : int
        Groups with fewer accounts are suppressed; 1 or less suppresses nothing.
    group_sizes : mapping of str to int, optional
        Accounts per named group (:func:`account_group_sizes`).
    unit : str, default "accounts"
        What a group counts, for the reason.

    Returns
    -------
    The section with small groups suppressed.
    """
    if min_group_size <= 1:
        return section
    reason = suppressed_reason(min_group_size, unit)
    small = frozenset(t for t, n in (group_sizes or {}).items() if 0 < n < min_group_size)
    return _suppress(section, min_group_size, small, _pattern(list(small)), reason)


def _suppress(value: Any, k: int, small: frozenset[str], pattern: re.Pattern[str] | None, reason: str) -> Any:
    if isinstance(value, str):
        found = pattern.search(value) if pattern is not None else None
        return f"{found.group(1)}: {reason}" if found is not None else value
    if isinstance(value, list):
        out = [_suppress(v, k, small, pattern, reason) for v in value]
        return list(dict.fromkeys(out)) if all(isinstance(v, str) for v in out) else out
    if not isinstance(value, Mapping):
        return value
    for key, dependent in COUNT_KEYS.items():
        if _small(value.get(key), k):
            masked = _mask(value, reason, dependent)
            return masked if dependent is None else {kk: _suppress(v, k, small, pattern, reason) for kk, v in masked.items()}
    return {key: (_mask(v, reason) if key in small else _suppress(v, k, small, pattern, reason)) for key, v in value.items()}


def suppress_factor_levels(result: Any, min_group_size: int, unit: str = "accounts") -> Any:
    """A churn-factor result with the levels of fewer than ``min_group_size`` accounts suppressed.

    The levels come from the result's univariate table (``n_accounts`` per
    level of each factor, deciles included). Their univariate counts, churned
    counts and rates, the odds ratios of their terms (``segment[tiny]``) and the
    notes about them become not available with the reason; every view of the
    result (findings, story, tables, plots) then shows them suppressed.

    Parameters
    ----------
    result : FactorResult
        Not modified.
    min_group_size : int
        1 or less suppresses nothing.
    unit : str, default "accounts"
        What a group counts, for the reason.

    Returns
    -------
    FactorResult
        A copy (the same object when nothing is small); suppressed univariate
        rows carry the reason in a ``note`` column.
    """
    uni = result.univariate
    if min_group_size <= 1 or uni.empty or "n_accounts" not in uni:
        return result
    small = (uni["n_accounts"] > 0) & (uni["n_accounts"] < min_group_size)
    if not small.any():
        return result
    reason = suppressed_reason(min_group_size, unit)
    terms = {t: 1 for f, lv in uni.loc[small, ["factor", "level"]].itertuples(index=False) for t in level_terms(f, lv)}
    uni = uni.astype({c: "float64" for c in ("n", "churned", "churn_rate", "ci_low", "ci_high", "n_accounts")})
    uni.loc[small, ["n", "churned", "churn_rate", "ci_low", "ci_high", "n_accounts"]] = np.nan
    uni["note"] = pd.Series(np.where(small, reason, None), index=uni.index, dtype=object)
    odds = result.odds_ratios.copy()
    hit = odds.index.isin(list(terms))
    odds.loc[hit, ["estimate", "ci_low", "ci_high", "p_value", "q_value"]] = np.nan
    odds.loc[hit, "reason"] = reason
    if "unstable" in odds:
        odds.loc[hit, "unstable"] = False
    summary = result.summary.copy()
    if "term" in summary:
        cols = [c for c in ("odds_ratio", "or_ci_low", "or_ci_high", "p_value", "q_value") if c in summary]
        summary.loc[summary["term"].isin(list(terms)), cols] = np.nan
    notes = suppress_findings(list(result.notes), min_group_size, {t: 1 for t in terms}, unit)
    return dataclasses.replace(result, univariate=uni, odds_ratios=odds, summary=summary, notes=notes)
