"""The events table as a lazy handle: counted, validated and aggregated in DuckDB, never loaded whole.

A raw events log may hold billions of rows. :class:`EventsSource` names where
the events are (a CSV or Parquet file, a folder of Parquet parts, or an
in-memory frame) and, after an as_of cut, which part of them counts. Nothing
is read until asked: :meth:`EventsSource.usage_monthly` aggregates in DuckDB
(:func:`csresearch.events.usage_from_events`), :meth:`EventsSource.check`
checks every contract rule of the table over the files in DuckDB, with
memory bounded by DuckDB's limit (it spills to disk), and reports violations
exactly as the pandas validator does for the other tables: table, column,
rule, count, up to five example rows with their row numbers and a fix.
:meth:`EventsSource.to_frame` loads the events into pandas for small logs
(tests, notebooks exploring a sample).

Rules checked (the contract's ``events`` table): the four required columns
exist; ``timestamp`` parses as a timestamp (ISO-8601 text with ``Z``, an
offset or none = UTC) and ``quantity`` as a finite number (``inf``, ``NaN``
written as text are not numbers); ``account_id``, ``user_id``, ``timestamp``
and ``event_type`` are not empty; ``quantity >= 0``; every ``account_id``
exists in accounts; nothing is dated after extracted_at.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from .violations import Violation

__all__ = ["DUCKDB_MEMORY_ENV", "EventsSource"]

#: Environment variable with DuckDB's memory limit for events work (default 1GB; DuckDB spills beyond it).
DUCKDB_MEMORY_ENV = "CSRESEARCH_DUCKDB_MEMORY"
_REQUIRED = ("account_id", "user_id", "timestamp", "event_type")
_EXAMPLES = 5


def _sql_text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


@dataclass(frozen=True)
class EventsSource:
    """Where a dataset's events are, and which of them count after an as_of cut.

    Attributes
    ----------
    files : tuple of Path
        The events file, or the Parquet parts of an ``events`` folder (empty for a frame).
    kind : {"parquet", "csv", "frame"}
    frame : DataFrame or None
        The events when they were given in memory.
    until : Timestamp or None
        After :meth:`cut`: only events on or before this UTC day count.
    accounts : tuple of str or None
        After :meth:`cut`: only events of these accounts count.
    """

    files: tuple[Path, ...]
    kind: str
    frame: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    until: pd.Timestamp | None = None
    accounts: tuple[str, ...] | None = field(default=None, repr=False)

    @classmethod
    def from_path(cls, path: Path) -> "EventsSource":
        """The events at ``path``: a .csv/.parquet file or a folder of Parquet parts."""
        path = Path(path)
        if path.is_dir():
            parts = tuple(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".parquet", ".pq")))
            return cls(parts, "parquet")
        return cls((path,), "parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv")

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "EventsSource":
        """Events given in memory (a copy is kept)."""
        return cls((), "frame", frame.reset_index(drop=True).copy())

    def cut(self, until: pd.Timestamp, accounts: Sequence[str]) -> "EventsSource":
        """The events known on ``until`` (UTC day), of ``accounts`` only."""
        return replace(self, until=pd.Timestamp(until).normalize(), accounts=tuple(str(a) for a in accounts))

    # -- DuckDB ------------------------------------------------------------
    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A DuckDB connection in UTC with a bounded memory limit and its own spill folder."""
        import duckdb

        temp = tempfile.mkdtemp(prefix="csresearch-events-")
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET temp_directory = ?", [temp])
            con.execute("SET memory_limit = ?", [os.environ.get(DUCKDB_MEMORY_ENV, "1GB")])
            if self.kind == "frame":
                con.register("_events_frame", self.frame)
            yield con
        finally:
            con.close()
            shutil.rmtree(temp, ignore_errors=True)

    def raw_sql(self) -> str:
        """The events as written, every column, with ``__row``: the 1-based data row (per file for Parquet parts)."""
        files = "[" + ", ".join(_sql_text(str(f)) for f in self.files) + "]"
        if self.kind == "parquet":
            return (f"(SELECT file_row_number + 1 AS __row, * EXCLUDE (file_row_number) FROM "
                    f"read_parquet({files}, union_by_name = true, file_row_number = true))")
        if self.kind == "csv":
            return (f"(SELECT row_number() OVER () AS __row, * FROM "
                    f"read_csv({files}, header = true, all_varchar = true, union_by_name = true))")
        return "(SELECT row_number() OVER () AS __row, * FROM _events_frame)"

    def columns(self, con) -> dict[str, str]:
        """Column name -> DuckDB type of the events as written."""
        return {row[0]: row[1] for row in con.sql(f"DESCRIBE SELECT * FROM {self.raw_sql()}").fetchall() if row[0] != "__row"}

    # -- what the dataset asks of it -----------------------------------------
    def _aggregation_input(self):
        return self.frame if self.kind == "frame" else [str(f) for f in self.files]

    def usage_monthly(self) -> pd.DataFrame:
        """usage_monthly aggregated from the events that count (:func:`csresearch.events.usage_from_events`)."""
        from .events import usage_from_events

        return usage_from_events(self._aggregation_input(), memory_limit=os.environ.get(DUCKDB_MEMORY_ENV, "1GB"),
                                 until=self.until, accounts=self.accounts)

    @cached_property
    def stats(self) -> dict[str, Any]:
        """``rows``, ``first`` and ``last`` timestamp (UTC) of the events that count, in one DuckDB pass (kept)."""
        from .usage_cache import cache_key, cached

        if self.kind == "frame":
            return self._count()
        return cached("events_stats", cache_key(self), self._count)

    def _count(self) -> dict[str, Any]:
        from .errors import InputError

        with self.connect() as con:
            try:
                rows, first, last = con.execute(f"SELECT COUNT(*), MIN(ts), MAX(ts) FROM {self._normalised(con)}").fetchall()[0]
            except InputError:  # a required column is missing (the validator says which): rows only
                rows, first, last = con.execute(f"SELECT COUNT(*) FROM {self.raw_sql()}").fetchall()[0][0], None, None
        return {"rows": int(rows), "first": first, "last": last}

    def _normalised(self, con) -> str:
        """The events that count, normalised (account_id, user_id, ts, event_type, quantity), as a relation."""
        from .events import _source_selects  # the normalisation build-usage uses

        if self.accounts is not None:
            con.register("_kept", pd.DataFrame({"account_id": list(self.accounts)}, dtype="object"))
        events = "(" + " UNION ALL ".join(_source_selects(con, self._aggregation_input())) + ") AS events"
        return f"(SELECT * FROM {events}{self._where()}) AS counted"

    def distinct(self, column: str) -> set[str]:
        """The distinct non-empty values of ``account_id``, ``user_id`` or ``event_type`` (as text)."""
        if column not in ("account_id", "user_id", "event_type"):
            raise KeyError(f"distinct values of {column!r} are not offered; use account_id, user_id or event_type")
        with self.connect() as con:
            rows = con.sql(f"SELECT DISTINCT {column} FROM {self._normalised(con)} WHERE {column} IS NOT NULL").fetchall()
        return {str(r[0]) for r in rows if str(r[0]).strip()}

    def _where(self) -> str:
        conds = []
        if self.until is not None:
            conds.append(f"ts < TIMESTAMP '{self.until + pd.Timedelta(days=1):%Y-%m-%d %H:%M:%S}'")
        if self.accounts is not None:
            conds.append("account_id IN (SELECT account_id FROM _kept)")
        return (" WHERE " + " AND ".join(conds)) if conds else ""

    def to_frame(self) -> pd.DataFrame:
        """The events that count as a typed pandas frame (small logs only: this loads every row)."""
        from .contract import EVENTS
        from .reading import read_table_file, typed_table

        if self.kind == "frame":
            raw = self.frame
        else:
            raw = pd.concat([read_table_file(f) for f in self.files], ignore_index=True) if self.files else pd.DataFrame()
        typed = typed_table(raw, EVENTS)[0]
        if self.until is not None:
            typed = typed[typed["timestamp"].dt.tz_convert(None) < self.until + pd.Timedelta(days=1)]
        if self.accounts is not None:
            typed = typed[typed["account_id"].isin(set(self.accounts))]
        return typed.reset_index(drop=True)

    def check(self, account_ids: Sequence[str] | None, extracted_at: pd.Timestamp | None) -> list[Violation]:
        """Every contract rule of the events table, checked in DuckDB over the files (see the module docstring).

        Parameters
        ----------
        account_ids : sequence of str or None
            accounts.account_id (None: accounts missing, references not checked).
        extracted_at : Timestamp or None
            dataset.yml extracted_at (None: not checked).

        Returns
        -------
        list of Violation
        """
        import hashlib

        from .events_rules import check_events
        from .usage_cache import cache_key, cached

        def compute() -> list[Violation]:
            with self.connect() as con:
                return check_events(con, self, account_ids, extracted_at)

        if self.kind == "frame":
            return compute()
        ids = hashlib.sha256("\n".join(sorted(map(str, account_ids))).encode()).hexdigest()[:16] if account_ids is not None else "none"
        return cached("events_check", f"{cache_key(self)}-{ids}-{extracted_at}", compute)

