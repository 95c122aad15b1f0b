"""Lookups over a dataset that every feature kernel shares, built once per call.

A :class:`FeatureContext` wraps a :class:`~csresearch.Dataset` and builds, on
first use, the sorted arrays that make the feature kernels vectorised:
:class:`DatedIndex` (rows sorted by (account, day), answered with
``searchsorted``), the term in force at any day (:meth:`FeatureContext.term_at`)
and the customer-month panel of usage (:mod:`csresearch.features.usage`). The
dataset is never modified.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import InputError, ParameterError
from .calendar import KEY_STRIDE, Points, as_points, day_number, pack_key

__all__ = ["FeatureContext", "DatedIndex", "Terms"]


class DatedIndex:
    """Rows of one table sorted by (account code, day) for vectorised look-ups.

    Parameters
    ----------
    code : ndarray of int
        Account code of each row (rows with code < 0 or a NaN day are dropped).
    day : ndarray of float
        Day number of each row.
    values : ndarray, optional
        A value per row (returned by :meth:`last_on_or_before`).
    """

    def __init__(self, code: np.ndarray, day: np.ndarray, values: np.ndarray | None = None):
        keep = (np.asarray(code) >= 0) & ~np.isnan(day)
        code, day = np.asarray(code)[keep], np.asarray(day)[keep]
        keys = pack_key(code, day)
        order = np.argsort(keys, kind="stable")  # ties keep table order
        self.keys = keys[order]
        self.code = np.asarray(code, dtype="int64")[order]
        self.values = None if values is None else np.asarray(values)[keep][order]

    def count_on_or_before(self, code: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Number of rows of each account dated on or before ``day``."""
        upto = np.searchsorted(self.keys, pack_key(code, day), side="right")
        first = np.searchsorted(self.keys, np.asarray(code, dtype="int64") * KEY_STRIDE, side="left")
        return (upto - first).astype("float64")

    def count_between(self, code: np.ndarray, after_day: np.ndarray, upto_day: np.ndarray) -> np.ndarray:
        """Number of rows of each account with ``after_day < day <= upto_day``."""
        hi = np.searchsorted(self.keys, pack_key(code, upto_day), side="right")
        lo = np.searchsorted(self.keys, pack_key(code, after_day), side="right")
        return np.maximum(hi - lo, 0).astype("float64")

    def last_on_or_before(self, code: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position (into the sorted rows) of each account's latest row on or before ``day``.

        Returns
        -------
        position : ndarray of int
            Index into the sorted rows (meaningless where ``found`` is False).
        found : ndarray of bool
            Whether the account has such a row.
        """
        pos = np.searchsorted(self.keys, pack_key(code, day), side="right") - 1
        safe = np.clip(pos, 0, None)
        found = (pos >= 0) & (self.code[safe] == np.asarray(code, dtype="int64")) if len(self.keys) else np.zeros(len(pos), bool)
        return safe, found


@dataclass(frozen=True)
class Terms:
    """Contract terms sorted by (account code, term_start), as arrays of day numbers."""

    code: np.ndarray
    start: np.ndarray
    end: np.ndarray
    seats: np.ndarray
    quota: np.ndarray
    index: DatedIndex


class FeatureContext:
    """A dataset plus the lookups the feature kernels share.

    Parameters
    ----------
    dataset : Dataset
        The typed dataset (not modified).
    grace_days : int, default 30
        Days after the onboarding target_date by which completion still counts
        as a success (used by the onboarding features).
    """

    def __init__(self, dataset, *, grace_days: int = 30):
        if dataset.accounts is None or "account_id" not in dataset.accounts.columns:
            raise InputError("the dataset has no accounts table (with account_id); features need one: add accounts.csv")
        if isinstance(grace_days, bool) or not isinstance(grace_days, (int, np.integer)) or grace_days < 0:
            raise ParameterError(f"grace_days must be a whole number of days >= 0, not {grace_days!r}")
        self.dataset = dataset
        self.grace_days = int(grace_days)
        accounts = dataset.accounts
        self.account_index = pd.Index(accounts["account_id"].astype("str"), name="account_id").drop_duplicates()
        self.signup_day = self.per_account_day(accounts, "signup_date")
        #: Memo for lookups that feature modules build once per context.
        self.cache: dict[str, object] = {}

    # -- helpers ------------------------------------------------------------
    def points(self, as_of) -> Points:
        """Normalise ``as_of`` (a date or a points frame) into :class:`Points`."""
        return as_points(self.account_index, as_of, self.dataset.extracted_at)

    def codes(self, account_id: pd.Series) -> np.ndarray:
        """Account code (row in accounts) of each id; -1 for ids not in accounts."""
        return self.account_index.get_indexer(account_id.astype("str"))

    def per_account_day(self, frame: pd.DataFrame, column: str) -> np.ndarray:
        """Day number of ``column`` per account code (first row per account; NaN if none)."""
        out = np.full(len(self.account_index), np.nan)
        if frame is None or column not in frame.columns:
            return out
        codes = self.codes(frame["account_id"])
        days = day_number(frame[column])
        ok = codes >= 0
        # first row wins: write in reverse order so the earliest row is written last
        out[codes[ok][::-1]] = days[ok][::-1]
        return out

    # -- contracts ------------------------------------------------------------
    @cached_property
    def terms(self) -> Terms:
        """Every contract term, sorted by (account, term_start)."""
        c = self.dataset.contracts
        if c is None:
            c = pd.DataFrame({"account_id": pd.Series([], dtype="str"), "term_start": pd.Series([], dtype="datetime64[ns]"),
                              "term_end": pd.Series([], dtype="datetime64[ns]"), "seats": [], "quota": []})
        code = self.codes(c["account_id"])
        start, end = day_number(c["term_start"]), day_number(c["term_end"])
        seats = pd.to_numeric(c["seats"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        quota = pd.to_numeric(c["quota"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        keep = (code >= 0) & ~np.isnan(start) & ~np.isnan(end)
        code, start, end, seats, quota = code[keep], start[keep], end[keep], seats[keep], quota[keep]
        order = np.lexsort((start, code))
        code, start, end, seats, quota = code[order], start[order], end[order], seats[order], quota[order]
        return Terms(code, start, end, seats, quota, DatedIndex(code, start))

    @cached_property
    def term_ends(self) -> DatedIndex:
        """Terms indexed by (account, term_end)."""
        t = self.terms
        return DatedIndex(t.code, t.end)

    def term_at(self, points: Points) -> tuple[np.ndarray, np.ndarray]:
        """The term in force at each point: ``term_start <= as_of < term_end``.

        Returns
        -------
        position : ndarray of int
            Index into :attr:`terms` arrays (meaningless where ``in_force`` is False).
        in_force : ndarray of bool
            Whether a term is in force (False before signup, between terms, after churn).
        """
        return self.per_points("term_at", points, self._term_at)

    def _term_at(self, points: Points) -> tuple[np.ndarray, np.ndarray]:
        day = points.day
        pos, found = self.terms.index.last_on_or_before(points.code, day)
        in_force = found & (day < self.terms.end[pos]) if len(self.terms.code) else found
        return pos, in_force

    def per_points(self, name: str, points: Points, compute):
        """``compute(points)``, memoised for this very ``points`` object within the context."""
        key = (name, id(points))
        hit = self.cache.get(key)
        if hit is None or hit[0] is not points:
            hit = (points, compute(points))  # holding points keeps its id from being reused
            self.cache[key] = hit
        return hit[1]

    def forget_points(self) -> None:
        """Drop what :meth:`per_points` memoised (a context shared across calls keeps only dataset-level state)."""
        for key in [k for k in self.cache if isinstance(k, tuple)]:
            del self.cache[key]

    # -- engagement and roi ---------------------------------------------------
    def engagement_index(self, kinds: tuple[str, ...], with_value: bool = False) -> DatedIndex | None:
        """Engagement rows of the given kinds (with a non-null value if ``with_value``), or None without the table."""
        e = self.dataset.engagement
        if e is None:
            return None
        if "engagement_rows" not in self.cache:
            kind = e["kind"].astype("str").to_numpy(dtype=object, na_value="")
            self.cache["engagement_rows"] = (kind, self.codes(e["account_id"]), day_number(e["date"]),
                                             e["value"].to_numpy(dtype="float64", na_value=np.nan))
        kind, code, day, value = self.cache["engagement_rows"]
        mask = np.isin(kind, kinds)
        if with_value:
            mask &= ~np.isnan(value)
        return DatedIndex(code[mask], day[mask], value[mask] if with_value else None)
