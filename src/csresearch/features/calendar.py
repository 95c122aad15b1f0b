"""Calendar arithmetic for as-of-safe features: days, months, windows and points.

Every feature is computed for (account_id, as_of) *points*. This module turns
whatever the caller passes as ``as_of`` (one date, or a frame of points) into a
:class:`Points` object, and holds the small, vectorised date helpers the
feature modules share:

* days are integers (days since 1970-01-01) so that comparisons are cheap;
* months are integers ``year * 12 + month - 1`` (:func:`month_number`);
* a calendar month counts as *complete* at as_of when its last day is on or
  before as_of: ``month_start + 1 month - 1 day <= as_of``
  (:func:`last_complete_month`);
* trailing windows of dated rows are half-open: ``(as_of - k months, as_of]``
  with calendar-month arithmetic (:func:`months_before`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError

__all__ = [
    "Points",
    "as_points",
    "day_number",
    "month_number",
    "month_start_day",
    "last_complete_month",
    "months_before",
]

#: Stride that packs (account code, day) into one sortable int64 key.
KEY_STRIDE = 1 << 20
#: Offset that keeps every datetime64[ns] day number positive inside a key.
KEY_OFFSET = 1 << 19


def day_number(dates) -> np.ndarray:
    """Days since 1970-01-01 as float64 (NaN for NaT), for array-likes of datetimes."""
    values = pd.DatetimeIndex(dates).tz_localize(None) if getattr(dates, "tz", None) else pd.DatetimeIndex(dates)
    out = values.values.astype("datetime64[D]").astype("int64").astype("float64")
    out[values.isna()] = np.nan
    return out


def month_number(dates) -> np.ndarray:
    """Calendar month of each date as ``year * 12 + month - 1`` (float64, NaN for NaT)."""
    values = pd.DatetimeIndex(dates)
    out = (values.year * 12 + values.month - 1).to_numpy(dtype="float64", na_value=np.nan)
    return out


def month_start_day(month: np.ndarray) -> np.ndarray:
    """Day number (see :func:`day_number`) of the first day of each month number."""
    month = np.asarray(month, dtype="int64")
    d64 = (month - (1970 * 12)).astype("datetime64[M]").astype("datetime64[D]")
    return d64.astype("int64")


def last_complete_month(day: np.ndarray) -> np.ndarray:
    """Month number of the last calendar month whose last day is on or before each as_of day.

    A month counts at as_of when ``month_start + 1 month - 1 day <= as_of``, i.e.
    as_of on the 31 January makes January count; the 30 January does not.
    ``day`` holds day numbers (see :func:`day_number`).
    """
    next_day = np.asarray(day, dtype="int64").astype("datetime64[D]") + 1
    return next_day.astype("datetime64[M]").astype("int64") + 1970 * 12 - 1


def months_before(day: np.ndarray, months: int) -> np.ndarray:
    """Day numbers ``months`` calendar months before each day (31 May - 3 months = 28/29 February)."""
    d = np.asarray(day, dtype="int64").astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype("int64")
    target = month - months
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype("int64")
    return (target.astype("datetime64[D]") + np.minimum(day_of_month, length - 1)).astype("int64")


def pack_key(code: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Pack account codes and day numbers into one int64 key sorted by (code, day)."""
    return np.asarray(code, dtype="int64") * KEY_STRIDE + (np.asarray(day, dtype="int64") + KEY_OFFSET)


@dataclass(frozen=True)
class Points:
    """(account_id, as_of) pairs at which features are computed.

    Attributes
    ----------
    account_id : ndarray of str
        Account of each point.
    day : ndarray of int64
        as_of of each point as a day number (time of day dropped).
    code : ndarray of int64
        Row of the account in the accounts table.
    scalar : bool
        True when the caller passed one date (results are then indexed by
        account_id only).
    """

    account_id: np.ndarray
    day: np.ndarray
    code: np.ndarray
    scalar: bool

    def __len__(self) -> int:
        return len(self.code)

    @property
    def as_of(self) -> pd.DatetimeIndex:
        """as_of of each point as timezone-naive dates."""
        return pd.DatetimeIndex(np.asarray(self.day, dtype="int64").astype("datetime64[D]").astype("datetime64[ns]"))

    def shifted(self, months: int) -> "Points":
        """The same accounts at ``as_of - months`` calendar months."""
        return Points(self.account_id, months_before(self.day, months), self.code, self.scalar)

    def index(self) -> pd.Index:
        """Result index: account_id for a single date, else MultiIndex (account_id, as_of)."""
        if self.scalar:
            return pd.Index(self.account_id, name="account_id", dtype="str")
        return pd.MultiIndex.from_arrays(
            [pd.Index(self.account_id, dtype="str"), self.as_of], names=["account_id", "as_of"]
        )


def _as_day(value, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{what} must be a date such as '2024-06-30', not {value!r}") from exc
    if ts is pd.NaT or pd.isna(ts):
        raise ParameterError(f"{what} must be a date such as '2024-06-30', not a missing value")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.normalize().as_unit("ns")


def _points_frame(points) -> pd.DataFrame:
    if isinstance(points, pd.MultiIndex):
        frame = points.to_frame(index=False)
    elif isinstance(points, pd.DataFrame):
        frame = points
        if isinstance(points.index, pd.MultiIndex) and not {"account_id", "as_of"} <= set(points.columns):
            frame = points.index.to_frame(index=False)
    else:
        raise ParameterError(
            "points must be a date, a DataFrame with columns 'account_id' and 'as_of', "
            f"or a MultiIndex with levels named so; got {type(points).__name__}"
        )
    missing = [c for c in ("account_id", "as_of") if c not in frame.columns]
    if missing:
        raise ParameterError(
            f"points lack column(s) {', '.join(missing)}; pass a DataFrame with columns 'account_id' and 'as_of' "
            "(or a MultiIndex with levels named so)"
        )
    return frame


def as_points(account_index: pd.Index, as_of, extracted_at: pd.Timestamp | None) -> Points:
    """Turn a date or a points frame into :class:`Points`.

    Parameters
    ----------
    account_index : Index
        account_id of every account, in accounts-table order (unique).
    as_of : date-like, DataFrame or MultiIndex
        One date (every account at that date), or points with ``account_id``
        and ``as_of`` columns / index levels.
    extracted_at : Timestamp or None
        The dataset's cutoff; as_of after it is refused (no data exists then).

    Returns
    -------
    Points

    Raises
    ------
    ParameterError
        For a missing/unparsable as_of, an unknown account_id or an as_of after
        extracted_at.
    """
    if isinstance(as_of, (pd.DataFrame, pd.MultiIndex)):
        frame = _points_frame(as_of)
        ids = frame["account_id"].astype("str").to_numpy()
        try:
            try:
                days = pd.to_datetime(frame["as_of"], errors="raise")
            except ValueError:  # mixed timezones: compare in UTC
                days = pd.to_datetime(frame["as_of"], errors="raise", utc=True)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"points.as_of must hold dates such as '2024-06-30' ({exc})") from exc
        days = pd.DatetimeIndex(days)
        if days.tz is not None:
            days = days.tz_convert("UTC").tz_localize(None)
        if days.isna().any():
            raise ParameterError(f"points.as_of has {int(days.isna().sum())} missing value(s); every point needs a date")
        days = days.normalize().as_unit("ns")
        codes = account_index.get_indexer(ids)
        if (codes < 0).any():
            unknown = pd.unique(ids[codes < 0])
            raise ParameterError(
                f"points name {len(unknown)} account_id(s) not in accounts, e.g. {', '.join(map(repr, unknown[:5]))}; "
                "use account ids from the accounts table"
            )
        result = Points(ids, day_number(days).astype("int64"), codes.astype("int64"), scalar=False)
    else:
        day = _as_day(as_of, "as_of")
        n = len(account_index)
        result = Points(
            account_index.to_numpy(dtype="str"),
            np.full(n, day_number([day])[0], dtype="int64"),
            np.arange(n, dtype="int64"),
            scalar=True,
        )
    if extracted_at is not None and len(result) and result.day.max() > day_number([extracted_at])[0]:
        latest = result.as_of.max()
        raise ParameterError(
            f"as_of {latest.date()} is after the dataset's extracted_at {extracted_at.date()}; "
            "nothing after extracted_at exists, so features there would be wrong: use as_of <= extracted_at"
        )
    return result
