"""Plain pandas reference for events -> usage_monthly (test oracle and benchmark baseline).

Deliberately independent of :mod:`csresearch.events`: no SQL, no DuckDB, just a
vectorised pandas groupby. It follows the same documented rules: the month is the
UTC calendar month of the timestamp (naive timestamps are UTC), a null quantity
counts as 0, rows with a null account_id or timestamp are left out, and months
without events get no row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

USAGE_COLUMNS = ["account_id", "month", "active_users", "events", "features_used", "quota_used"]


def utc_naive(timestamp: pd.Series) -> pd.Series:
    """Timestamps as naive UTC wall-clock datetime64[ns] (strings parsed as ISO-8601)."""
    if not pd.api.types.is_datetime64_any_dtype(timestamp):
        timestamp = pd.to_datetime(timestamp, utc=True, format="ISO8601", errors="coerce")
    if getattr(timestamp.dt, "tz", None) is not None:
        timestamp = timestamp.dt.tz_convert("UTC").dt.tz_localize(None)
    return timestamp.astype("datetime64[ns]")


def usage_reference(events: pd.DataFrame) -> pd.DataFrame:
    """Aggregate an events frame to usage_monthly with pandas only.

    Parameters
    ----------
    events : DataFrame
        account_id, user_id, timestamp, event_type and optionally quantity.

    Returns
    -------
    DataFrame
        usage_monthly typed like the loader types it, sorted by account_id, month.
    """
    ts = utc_naive(events["timestamp"])
    # numpy's datetime64[M] cast floors to the month (also before 1970)
    month = pd.Series(ts.to_numpy().astype("datetime64[M]").astype("datetime64[ns]"), index=events.index)
    quantity = events["quantity"] if "quantity" in events else pd.Series(np.nan, index=events.index)
    frame = pd.DataFrame(
        {
            "account_id": events["account_id"].astype("str"),
            "month": month,
            "user_id": events["user_id"].astype("str"),
            "event_type": events["event_type"].astype("str"),
            "quantity": pd.to_numeric(quantity, errors="coerce").fillna(0.0).astype("float64"),
        }
    )
    frame = frame[frame["account_id"].notna() & frame["month"].notna()]
    usage = (
        frame.groupby(["account_id", "month"], sort=True)
        .agg(
            active_users=("user_id", "nunique"),
            events=("user_id", "size"),
            features_used=("event_type", "nunique"),
            quota_used=("quantity", "sum"),
        )
        .reset_index()
    )
    return usage.astype(
        {
            "account_id": "str",
            "month": "datetime64[ns]",
            "active_users": "int64",
            "events": "int64",
            "features_used": "int64",
            "quota_used": "float64",
        }
    )[USAGE_COLUMNS]
