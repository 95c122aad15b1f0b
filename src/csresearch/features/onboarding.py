"""Onboarding features and the onboarding outcome as known at a date.

The ``status`` column of the onboarding table is a *final* outcome: it is only
known once onboarding has resolved. :func:`onboarding_status` therefore reveals
it at as_of only from the day it became known:

* ``succeeded``: from completed_date (or, without one, from the day after the
  deadline ``target_date + grace_days``);
* ``failed`` / ``extended``: from the day after the deadline;
* ``in_progress``: never resolves.

Before that day the status at as_of is ``in_progress``; before start_date it is
missing. When ``status`` is null it is derived (deadline = target_date +
grace_days): completed on or before the deadline -> ``succeeded`` from the
completion day; not completed by the deadline (never, or late) -> ``failed``
from the day after the deadline; otherwise ``in_progress``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract import ONBOARDING_STATUSES
from .calendar import Points
from .context import FeatureContext
from .registry import feature

__all__ = ["onboarding_status", "onboarding_succeeded", "onboarding_days", "setup_done"]

_CODES = {name: i for i, name in enumerate(ONBOARDING_STATUSES)}  # succeeded=0, failed=1, extended=2, in_progress=3
_MISSING = -1
_FAR_FUTURE = pd.Timestamp("2262-01-01")


def _onboarding_arrays(ctx: FeatureContext) -> dict[str, np.ndarray]:
    """Per-account onboarding day numbers and given status code (first row per account)."""
    if "onboarding" in ctx.cache:
        return ctx.cache["onboarding"]
    ob = ctx.dataset.onboarding
    n = len(ctx.account_index)
    out = {"has_row": np.zeros(n, bool), "status": np.full(n, _MISSING, dtype="int64")}
    for col in ("start_date", "target_date", "completed_date", "setup_done_date"):
        out[col] = ctx.per_account_day(ob, col)
    if ob is not None and "account_id" in ob.columns:
        codes = ctx.codes(ob["account_id"])
        ok = codes >= 0
        out["has_row"][codes[ok]] = True
        if "status" in ob.columns:
            status = ob["status"].astype("str").map(_CODES).to_numpy(dtype="float64", na_value=np.nan)
            status = np.where(np.isnan(status), _MISSING, status).astype("int64")
            out["status"][codes[ok][::-1]] = status[ok][::-1]
    ctx.cache["onboarding"] = out
    return out


def status_codes(ctx: FeatureContext, points: Points) -> np.ndarray:
    """Onboarding status code known at each point (index into ONBOARDING_STATUSES; -1 = missing)."""
    ob = _onboarding_arrays(ctx)
    c = points.code
    day = points.day.astype("float64")
    start, completed, given = ob["start_date"][c], ob["completed_date"][c], ob["status"][c]
    deadline = ob["target_date"][c] + ctx.grace_days
    on_time = completed <= deadline  # False for NaN
    after_deadline = day > deadline
    # derived when status is null
    derived = np.where(on_time & (completed <= day), _CODES["succeeded"],
                       np.where(after_deadline & ~on_time, _CODES["failed"], _CODES["in_progress"]))
    # given status is revealed once it is known
    known_from = np.where(
        given == _CODES["succeeded"],
        np.where(np.isnan(completed), deadline + 1, completed),
        np.where(given == _CODES["in_progress"], np.inf, deadline + 1),
    )
    revealed = np.where(day >= known_from, given, _CODES["in_progress"])
    status = np.where(given == _MISSING, derived, revealed)
    return np.where(~ob["has_row"][c] | np.isnan(start) | (day < start), _MISSING, status)


def onboarding_status(dataset, *, grace_days: int = 30, as_of=None) -> pd.Series:
    """Onboarding outcome per account: given ``status``, else derived by the grace-days rule.

    Parameters
    ----------
    dataset : Dataset
        Needs the onboarding table (every account missing when absent).
    grace_days : int, default 30
        Completion up to ``target_date + grace_days`` (inclusive) is a success.
    as_of : date-like, DataFrame of points or None
        None: the final outcome at extracted_at (the given status as is,
        otherwise derived at extracted_at). A date or points: the status as
        known then (see the module docstring), ``in_progress`` until resolved
        and missing before start_date.

    Returns
    -------
    Series of category
        Categories ``succeeded, failed, extended, in_progress``; indexed by
        account_id (or (account_id, as_of) for points), named ``onboarding_status``.
    """
    ctx = FeatureContext(dataset, grace_days=grace_days)
    if as_of is None:
        # no extracted_at: everything in the table counts as resolved
        points = ctx.points(dataset.extracted_at if dataset.extracted_at is not None else _FAR_FUTURE)
        codes = status_codes(ctx, points)
        ob = _onboarding_arrays(ctx)
        given = ob["status"][points.code]
        codes = np.where((given != _MISSING) & ob["has_row"][points.code], given, codes)
    else:
        points = ctx.points(as_of)
        codes = status_codes(ctx, points)
    values = pd.Categorical.from_codes(codes, categories=list(ONBOARDING_STATUSES))
    return pd.Series(values, index=points.index(), name="onboarding_status")


@feature(uses_grace_days=True)
def onboarding_succeeded(ctx: FeatureContext, points: Points) -> np.ndarray:
    """1 if the onboarding status known at as_of is succeeded, 0 if failed/extended, null while in progress (0/1)."""
    codes = status_codes(ctx, points)
    return np.select(
        [codes == _CODES["succeeded"], np.isin(codes, [_CODES["failed"], _CODES["extended"]])], [1.0, 0.0], np.nan
    )


@feature
def onboarding_days(ctx: FeatureContext, points: Points) -> np.ndarray:
    """completed_date - start_date (days); null unless completed on or before as_of."""
    ob = _onboarding_arrays(ctx)
    completed, start = ob["completed_date"][points.code], ob["start_date"][points.code]
    return np.where(completed <= points.day, completed - start, np.nan)


@feature
def setup_done(ctx: FeatureContext, points: Points) -> np.ndarray:
    """1 if setup_done_date <= as_of, else 0; null without an onboarding row (0/1)."""
    ob = _onboarding_arrays(ctx)
    done = ob["setup_done_date"][points.code] <= points.day
    return np.where(ob["has_row"][points.code], done.astype("float64"), np.nan)
