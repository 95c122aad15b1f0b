"""Expand a usage_monthly table into a raw events log that aggregates back to it.

:func:`events_from_usage` turns every usage row (account x month with
``active_users=a``, ``events=e``, ``features_used=f``, ``quota_used=q``) into
exactly ``e`` events by exactly ``a`` distinct users over exactly ``f`` distinct
event types, with timestamps inside the month in UTC and quantities that sum to
``q``. :func:`csresearch.events.usage_from_events` on the result gives the usage
table back, which is what the tests and the benchmark rely on.

How the events are made (all vectorised with numpy, deterministic in ``seed``):

* users: every account has a pool of ``max(seats of its terms, max active_users)``
  stable ids ``f"{account_id}-u{k}"``; a month uses ``a`` consecutive pool
  members starting at a random offset (wrapping), so users recur across months.
  Event ``j`` of the month goes to user slot ``j`` for ``j < a`` (every user
  acts at least once), to a random slot otherwise.
* event types: :data:`FEATURES`; ``scan_card`` is the only quota-consuming
  feature. A month with ``q > 0`` always uses ``scan_card`` plus ``f - 1`` other
  features (a random rotation of the list); other months use ``f`` non-scan
  features (``scan_card`` with quantity 0 only when ``f`` needs every feature).
* quantity: written explicitly on every event (never null): 0 except on
  ``scan_card`` events, over which ``q`` is split as evenly as possible in
  units of the usage table's precision (integer cards when every ``q`` is a
  whole number, else the smallest power of ten up to 1e-6 that represents
  every ``q``), so the sums come back exact for integer quotas.
* timestamps: uniform over the UTC calendar month at microsecond resolution;
  in 10% of months the last event falls within the last second of the month,
  so month-boundary handling is exercised. Events are sorted by account,
  then time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["FEATURES", "QUOTA_FEATURE", "events_from_usage", "iter_events_from_usage"]

#: Product features (event types); the first is the only one that consumes quota.
FEATURES = (
    "scan_card",
    "search",
    "share",
    "export",
    "crm_sync",
    "tag",
    "note",
    "mobile_app",
    "contact_view",
    "contact_edit",
    "org_chart",
    "email_signature",
    "meeting_log",
    "list_create",
    "dashboard_view",
    "api_call",
)

#: The event type whose quantity consumes the quota.
QUOTA_FEATURE = FEATURES[0]

_US_PER_NS = 1000
_EVENT_COLUMNS = ("account_id", "user_id", "timestamp", "event_type", "quantity")


def _feature_names(n_needed: int) -> list[str]:
    """FEATURES, extended with ``feature_<k>`` when more are needed."""
    names = list(FEATURES)
    names += [f"feature_{k}" for k in range(len(names), n_needed)]
    return names


def _quantity_decimals(quota_used: np.ndarray) -> int:
    """Smallest number of decimals (0..6) that represents every quota_used value."""
    for d in range(7):
        scaled = quota_used * 10.0**d
        if np.allclose(scaled, np.round(scaled), rtol=0, atol=1e-6):
            return d
    return 6


def _check_usage(usage: pd.DataFrame, accounts: pd.DataFrame) -> None:
    """Raise ValueError when a usage row cannot be expanded into events."""
    missing = [c for c in ("account_id", "month", "active_users", "events", "features_used", "quota_used") if c not in usage]
    if missing:
        raise ValueError(f"usage_monthly lacks column(s) {', '.join(missing)}")
    a, e, f, q = (usage[c].to_numpy() for c in ("active_users", "events", "features_used", "quota_used"))
    rules = {
        "active_users, events, features_used, quota_used must be >= 0": (a < 0) | (e < 0) | (f < 0) | ~(q >= 0),
        "events must be >= max(active_users, features_used)": e < np.maximum(a, f),
        "active_users > 0 exactly when events > 0": (a > 0) != (e > 0),
        "features_used > 0 exactly when events > 0": (f > 0) != (e > 0),
    }
    for rule, bad in rules.items():
        if bad.any():
            rows = usage.loc[bad, ["account_id", "month", "active_users", "events", "features_used", "quota_used"]]
            raise ValueError(f"usage_monthly: {int(bad.sum())} row(s) break '{rule}', e.g.\n{rows.head(5).to_string()}")
    month = pd.to_datetime(usage["month"])
    if not (month == month.dt.to_period("M").dt.start_time).all():
        raise ValueError("usage_monthly.month must be the first day of a month")
    if usage.duplicated(["account_id", "month"]).any():
        raise ValueError("usage_monthly has duplicate (account_id, month) rows")
    unknown = ~usage["account_id"].isin(accounts["account_id"])
    if unknown.any():
        raise ValueError(f"usage_monthly has {int(unknown.sum())} row(s) whose account_id is not in accounts")


def _pool_sizes(usage: pd.DataFrame, contracts: pd.DataFrame, account_ids: pd.Index) -> np.ndarray:
    """Users per account: max(seats over its terms, max active_users)."""
    seats = contracts.groupby("account_id", observed=True)["seats"].max()
    peak = usage.groupby("account_id", observed=True)["active_users"].max()
    pool = np.maximum(seats.reindex(account_ids).fillna(0).to_numpy(), peak.reindex(account_ids).fillna(0).to_numpy())
    return np.maximum(pool.astype(np.int64), 1)


def _uniform_below(rng: np.random.Generator, high: np.ndarray) -> np.ndarray:
    """One uniform integer in [0, high) per element (faster than Generator.integers with array bounds)."""
    return np.minimum((rng.random(len(high)) * high).astype(np.int64), high - 1)


def _dictionary_strings(codes: np.ndarray, dictionary: list[str]) -> pd.Series:
    """Strings ``dictionary[codes]`` built in Arrow (no Python string per row)."""
    arr = pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32()), pa.array(dictionary, type=pa.string()))
    return pd.Series(arr.cast(pa.large_string()), dtype="str")


def _empty_events(features: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": pd.Series([], dtype="str"),
            "user_id": pd.Series([], dtype="str"),
            "timestamp": pd.Series([], dtype="datetime64[ns, UTC]"),
            "event_type": pd.Categorical([], categories=features),
            "quantity": pd.Series([], dtype="float64"),
        }
    )


def _expand_chunk(
    chunk: pd.DataFrame,
    account_ids: list[str],
    account_code: np.ndarray,
    pool: np.ndarray,
    features: list[str],
    decimals: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Events of the usage rows in ``chunk`` (rows of the accounts ``account_ids``)."""
    n_events = chunk["events"].to_numpy(np.int64)
    keep = n_events > 0
    chunk, account_code, n_events = chunk[keep], account_code[keep], n_events[keep]
    n_rows, total = len(chunk), int(n_events.sum())
    if total == 0:
        return _empty_events(features)
    a = chunk["active_users"].to_numpy(np.int64)
    f = chunk["features_used"].to_numpy(np.int64)
    units = np.round(chunk["quota_used"].to_numpy(np.float64) * 10.0**decimals).astype(np.int64)
    n_other = len(features) - 1
    has_scan = (units > 0) | (f > n_other)

    row = np.repeat(np.arange(n_rows), n_events)
    starts = np.cumsum(n_events) - n_events
    j = np.arange(total) - starts[row]

    # users: slot j for the first a events (each user acts), random slot after
    a_ev = a[row]
    user_slot = np.where(j < a_ev, j, _uniform_below(rng, a_ev))
    acc_pool = pool[account_code]
    user_offset = _uniform_below(rng, acc_pool)  # per row
    user_k = (user_offset[row] + user_slot) % acc_pool[row]
    pool_start = np.concatenate([[0], np.cumsum(pool)[:-1]])
    user_code = pool_start[account_code[row]] + user_k

    # features: slot j for the first f events (each feature used), random slot after
    f_ev = f[row]
    feat_slot = np.where(j < f_ev, j, _uniform_below(rng, f_ev))
    scan_ev = has_scan[row]
    feat_offset = rng.integers(0, n_other, size=n_rows)
    other = 1 + (feat_offset[row] + feat_slot - scan_ev) % n_other
    is_scan = scan_ev & (feat_slot == 0)
    feature = np.where(is_scan, 0, other)

    # quantity: split the row's quota units evenly over its scan events
    n_scan = np.bincount(row[is_scan], minlength=n_rows)
    scans_so_far = np.cumsum(is_scan)
    scan_rank = scans_so_far - 1 - (scans_so_far - is_scan)[starts][row]
    base = units // np.maximum(n_scan, 1)
    extra = units - base * n_scan
    qty_units = np.where(is_scan, base[row] + (scan_rank < extra[row]), 0)
    quantity = qty_units / 10.0**decimals

    # timestamps: uniform within the UTC month, microsecond resolution
    month = pd.to_datetime(chunk["month"]).to_numpy("datetime64[us]")
    month_next = (month.astype("datetime64[M]") + 1).astype("datetime64[us]")
    month_us = month.astype(np.int64)
    length_us = (month_next.astype(np.int64) - month_us)
    offset_us = (rng.random(total) * length_us[row]).astype(np.int64)
    near_end = rng.random(n_rows) < 0.1
    last = starts + n_events - 1
    offset_us[last[near_end]] = length_us[near_end] - 1 - rng.integers(0, 1_000_000, size=int(near_end.sum()))
    order = np.argsort((row.astype(np.int64) << 42) | offset_us)  # a month is < 2**42 us
    ts_ns = (month_us[row] + offset_us)[order] * _US_PER_NS

    user_names = [f"{acc}-u{k}" for acc, p in zip(account_ids, pool) for k in range(p)]
    return pd.DataFrame(
        {
            "account_id": _dictionary_strings(account_code[row][order], account_ids),
            "user_id": _dictionary_strings(user_code[order], user_names),
            "timestamp": pd.Series(ts_ns.view("datetime64[ns]")).dt.tz_localize("UTC"),
            "event_type": pd.Categorical.from_codes(feature[order], categories=features),
            "quantity": quantity[order],
        }
    )


def _chunk_bounds(codes: np.ndarray, n_events: np.ndarray, chunk_accounts: int, chunk_events: int | None) -> list[int]:
    """Row bounds of consecutive chunks of the (account, month)-sorted usage rows.

    A chunk holds at most ``chunk_accounts`` accounts and, when ``chunk_events``
    is given, at most ``chunk_events`` events (a single row with more events is
    a chunk of its own); an account may then be split between chunks at a month.
    """
    cum = np.concatenate([[0], np.cumsum(n_events, dtype=np.int64)])
    bounds, lo = [0], 0
    while lo < len(codes):
        hi = int(np.searchsorted(codes, codes[lo] + chunk_accounts))
        if chunk_events is not None:
            hi = min(hi, int(np.searchsorted(cum, cum[lo] + chunk_events, side="right")) - 1)
        lo = max(hi, lo + 1)
        bounds.append(lo)
    return bounds


def iter_events_from_usage(
    usage_monthly: pd.DataFrame,
    accounts: pd.DataFrame,
    contracts: pd.DataFrame,
    *,
    seed: int,
    chunk_accounts: int = 2000,
    chunk_events: int | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield the events of :func:`events_from_usage` in frames of ``chunk_accounts`` accounts.

    Use it to write very large logs (e.g. 100M events) to a Parquet folder one
    frame at a time without holding them all in memory.

    Parameters
    ----------
    usage_monthly, accounts, contracts : DataFrame
        As in :func:`events_from_usage`.
    seed : int
        Random seed; the same seed, ``chunk_accounts`` and ``chunk_events``
        give the same events.
    chunk_accounts : int, default 2000
        Accounts per yielded frame (at most).
    chunk_events : int, optional
        Events per yielded frame (at most, unless one account-month alone has
        more): bounds the memory whatever the accounts' sizes. An account may
        then span two frames, split between months.

    Yields
    ------
    DataFrame
        Events of consecutive accounts (in account_id order) and months, sorted
        by account_id then timestamp; concatenated, the frames are sorted too.
        Nothing is yielded for an empty usage table.

    Raises
    ------
    ValueError
        When a usage row cannot be expanded (see :func:`events_from_usage`).
    """
    if chunk_accounts < 1 or (chunk_events is not None and chunk_events < 1):
        raise ValueError("chunk_accounts and chunk_events must be >= 1")
    _check_usage(usage_monthly, accounts)
    usage = usage_monthly.sort_values(["account_id", "month"], kind="stable").reset_index(drop=True)
    features = _feature_names(int(usage["features_used"].max()) if len(usage) else 0)
    decimals = _quantity_decimals(usage["quota_used"].to_numpy(np.float64))
    account_ids = pd.Index(usage["account_id"].astype("str").unique())
    pool = _pool_sizes(usage, contracts, account_ids)
    codes = account_ids.get_indexer(usage["account_id"].astype("str"))
    bounds = _chunk_bounds(codes, usage["events"].to_numpy(np.int64), chunk_accounts, chunk_events)
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        first = codes[lo]
        ids = list(account_ids[first : codes[hi - 1] + 1])
        rng = np.random.default_rng([seed, i])
        yield _expand_chunk(usage.iloc[lo:hi], ids, codes[lo:hi] - first, pool[first : first + len(ids)], features, decimals, rng)


def events_from_usage(usage_monthly: pd.DataFrame, accounts: pd.DataFrame, contracts: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    """Expand usage_monthly into a raw events log that aggregates back to it exactly.

    Parameters
    ----------
    usage_monthly : DataFrame
        Contract usage_monthly (account_id, month, active_users, events,
        features_used, quota_used).
    accounts : DataFrame
        Contract accounts; every usage account must be in it.
    contracts : DataFrame
        Contract contracts; an account's largest ``seats`` sizes its user pool.
    seed : int
        Random seed; the same inputs and seed give the same events.

    Returns
    -------
    DataFrame
        Contract events (account_id ``str``, user_id ``str``, timestamp
        ``datetime64[ns, UTC]``, event_type ``category``, quantity ``float64``,
        never null), sorted by account_id then timestamp.

    Raises
    ------
    ValueError
        When a row has ``events < max(active_users, features_used)``, when
        ``active_users > 0`` or ``features_used > 0`` does not coincide with
        ``events > 0``, on negative values, duplicate (account_id, month),
        months that are not a first day, or accounts missing from accounts.
    """
    frames = list(iter_events_from_usage(usage_monthly, accounts, contracts, seed=seed))
    if not frames:
        return _empty_events(_feature_names(0))
    return pd.concat(frames, ignore_index=True)
