"""Generate a seeded synthetic contract dataset with planted effects.

:func:`generate_dataset` chains the steps (accounts -> onboarding -> contracts
and churn decisions -> monthly usage -> engagement and roi -> optional raw
events), each with its own random stream spawned from the seed, so that the
same seed always gives the same tables. The planted numbers and their realised
values are returned as ``truth``.

The raw events (tens of millions of rows for a few thousand accounts) are made
by an :class:`EventStream`, chunk by chunk of at most :data:`CHUNK_EVENTS`
events: :func:`synthesize` writes them one chunk at a time (bounded memory at
any size), and ``generate_dataset(with_events=True)`` concatenates the very same
chunks in memory, so the written events equal the in-memory ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import contract
from ..dataset import Dataset
from ..errors import ParameterError
from .accounts import draw_accounts, draw_onboarding, draw_purpose
from .contracts import draw_contracts
from .engagement import draw_engagement, draw_roi
from .events import events_from_usage, iter_events_from_usage
from .labels import DESCRIPTIONS, LABELS, localise
from .scenario import Scenario, resolve_scenario
from .truth import build_truth
from .usage import draw_usage
from .writer import ENCODINGS, check_target, write_synthetic

__all__ = ["CHUNK_EVENTS", "SORT_KEYS", "EventStream", "SyntheticData", "generate_dataset", "synthesize"]

#: Row order of every written table (sorted rows give byte-identical files).
SORT_KEYS = {
    "accounts": ["account_id"],
    "contracts": ["account_id", "term_start"],
    "onboarding": ["account_id"],
    "usage_monthly": ["account_id", "month"],
    "events": ["account_id", "timestamp", "user_id", "event_type", "quantity"],
    "engagement": ["account_id", "date", "kind", "value"],
    "roi": ["account_id", "date", "metric"],
}

#: Events per chunk of the events generator and writer: what bounds the memory of
#: ``csresearch synth --events`` (see benchmarks/bench_synth_events.py). Part of
#: the seed's meaning: another value gives other (equally valid) events.
CHUNK_EVENTS = 500_000

_STREAMS = ("accounts", "onboarding", "contracts", "usage", "engagement", "roi", "events", "purpose")


class EventStream:
    """The raw events of a generated dataset, made chunk by chunk on demand.

    Iterating yields typed frames (contract columns and dtypes, sorted as
    :data:`SORT_KEYS` says) of at most ``chunk_events`` events each, of
    consecutive accounts and months, so that their concatenation is the sorted
    events table; every iteration makes the same frames, and at least one
    (empty when there are no events). No more than one frame is held at a time.

    Parameters
    ----------
    usage_monthly, accounts, contracts : DataFrame
        The typed tables the events are made from
        (:func:`~csresearch.synth.events.iter_events_from_usage`).
    seed : int
        Random seed of the events.
    chunk_events : int, optional
        Events per frame (at most, unless one account-month alone has more);
        default :data:`CHUNK_EVENTS`.
    """

    def __init__(self, usage_monthly: pd.DataFrame, accounts: pd.DataFrame, contracts: pd.DataFrame,
                 seed: int, chunk_events: int | None = None) -> None:
        self._tables = (usage_monthly, accounts, contracts)
        self.seed = int(seed)
        self.chunk_events = int(chunk_events or CHUNK_EVENTS)

    def __len__(self) -> int:
        """Number of events (usage_monthly's events total), known without making them."""
        return int(self._tables[0]["events"].sum())

    def __iter__(self) -> Iterator[pd.DataFrame]:
        usage, accounts, contracts = self._tables
        chunks = iter_events_from_usage(usage, accounts, contracts, seed=self.seed, chunk_events=self.chunk_events)
        made = False
        for chunk in chunks:
            made = True
            yield _typed("events", chunk)
        if not made:
            yield _typed("events", events_from_usage(usage.iloc[:0], accounts, contracts, seed=self.seed))

    def frame(self) -> pd.DataFrame:
        """All events in one DataFrame (the frames concatenated; needs memory for all of them)."""
        return pd.concat(list(self), ignore_index=True)


@dataclass
class SyntheticData:
    """A generated dataset: typed contract tables, dataset.yml content and the planted truth.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Contract table name -> frame with contract columns and dtypes, sorted.
    metadata : dict
        dataset.yml content: ``name``, ``extracted_at``, ``description``.
    truth : dict
        Planted effects and their realised values (JSON-able), written as truth.json.
    events : EventStream, optional
        The raw events, made on demand; ``tables["events"]`` holds them in
        memory too when they were generated with ``with_events=True``.
    """

    tables: dict[str, pd.DataFrame]
    metadata: dict[str, Any]
    truth: dict[str, Any] = field(default_factory=dict)
    events: EventStream | None = None

    def row_counts(self) -> dict[str, int]:
        """Rows per table, the events included (counted, not made, when they are not in memory)."""
        counts = {name: len(frame) for name, frame in self.tables.items()}
        if self.events is not None and "events" not in counts:
            counts["events"] = len(self.events)
        return counts

    def event_chunks(self) -> Iterator[pd.DataFrame] | None:
        """The events in frames of at most :data:`CHUNK_EVENTS` rows (``None`` without events).

        Slices of ``tables["events"]`` when it is in memory, else the frames of
        :attr:`events`, made one at a time; the rows are the same either way.
        """
        if "events" in self.tables:
            frame = self.tables["events"]
            return (frame.iloc[lo : lo + CHUNK_EVENTS] for lo in range(0, max(len(frame), 1), CHUNK_EVENTS))
        return iter(self.events) if self.events is not None else None

    def to_dataset(self) -> Dataset:
        """Return the tables in memory as a :class:`~csresearch.dataset.Dataset`."""
        return Dataset.from_tables(
            self.tables,
            extracted_at=self.metadata["extracted_at"],
            name=self.metadata["name"],
            description=self.metadata.get("description"),
        )

    def write(self, out_dir: str | Path, fmt: str = "csv", encoding: str = "utf-8") -> Path:
        """Write dataset.yml, one file per table and truth.json into ``out_dir``.

        See :func:`~csresearch.synth.writer.write_synthetic` (refuses to
        overwrite a folder that is not a previous synth output).
        """
        return write_synthetic(self, out_dir, fmt=fmt, encoding=encoding)

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        sizes = ", ".join(f"{k}={v:,}" for k, v in self.row_counts().items())
        return f"SyntheticData(name={self.metadata['name']!r}, {sizes})"


def _typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Contract columns with contract dtypes (as :func:`~csresearch.dataset.coerce_table` gives), sorted."""
    out = {}
    for col in contract.TABLES[name].columns:
        values = frame[col.name]
        if col.kind == "category":
            values = values.astype("category")
            values = values.cat.rename_categories(values.cat.categories.astype("str")).cat.reorder_categories(
                sorted(values.cat.categories.astype("str"))
            )
        out[col.name] = values.astype(col.dtype) if col.kind != "category" else values
    typed = pd.DataFrame(out)
    return typed.sort_values(SORT_KEYS[name], kind="mergesort", ignore_index=True)


def generate_dataset(
    n_accounts: int = 4000,
    seed: int = 0,
    scenario: Scenario | dict | str | Path | None = None,
    with_events: bool = False,
    *,
    name: str | None = None,
    stream_events: bool = False,
    lang: str = "en",
) -> SyntheticData:
    """Generate a synthetic contract dataset with the planted effects of ``scenario``.

    Parameters
    ----------
    n_accounts : int, default 4000
        Number of accounts (at least 10).
    seed : int, default 0
        Random seed; the same seed and scenario give identical tables.
    scenario : Scenario, dict, YAML path or None
        Planted parameters; a dict or YAML file overrides default fields
        (see :class:`~csresearch.synth.scenario.Scenario`).
    with_events : bool, default False
        Also build the raw events (aggregating them per account x month gives
        usage_monthly back exactly): ``tables["events"]`` in memory and
        ``events``, the :class:`EventStream` that makes the same rows.
    name : str, optional
        Dataset name in dataset.yml (default ``synthetic-seed<seed>``).
    stream_events : bool, default False
        With ``with_events``, leave the events out of ``tables``: ``events``
        makes them chunk by chunk when iterated or written.
    lang : {"en", "ja"}, default "en"
        Language of the labels (:func:`~csresearch.synth.labels.localise`):
        ``ja`` relabels the drawn tables with Japanese segments, touch models,
        industries and company-name account ids; every draw and planted effect
        is the same, truth.json's keys stay English and it records the labels.

    Returns
    -------
    SyntheticData

    Raises
    ------
    ParameterError
        For fewer than 10 accounts, a negative seed, a bad scenario or an unknown language.
    """
    if int(n_accounts) < 10:
        raise ParameterError(f"n_accounts must be at least 10, got {n_accounts}")
    if int(seed) < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed}")
    sc = resolve_scenario(scenario)
    streams = dict(zip(_STREAMS, np.random.SeedSequence(int(seed)).spawn(len(_STREAMS))))
    rng = {k: np.random.default_rng(v) for k, v in streams.items()}

    accounts, latent = draw_accounts(int(n_accounts), sc, rng["accounts"])
    onboarding = draw_onboarding(accounts, latent, sc, rng["onboarding"])
    contracts, terms = draw_contracts(accounts, latent, sc, rng["contracts"])
    usage, panel = draw_usage(accounts, latent, terms, sc, rng["usage"])
    engagement = draw_engagement(accounts, latent, panel, sc, rng["engagement"])
    roi = draw_roi(accounts, latent, onboarding, terms, sc, rng["roi"])
    purpose = draw_purpose(latent, sc, rng["purpose"])  # its own stream: every other draw unchanged
    raw = {"accounts": accounts.assign(purpose=purpose), "contracts": contracts, "onboarding": onboarding,
           "usage_monthly": usage, "engagement": engagement, "roi": roi}
    labels_rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(len(_STREAMS),)))
    tables = {k: _typed(k, v) for k, v in localise(raw, lang, labels_rng).items()}
    events = None
    if with_events:
        events_seed = int(streams["events"].generate_state(1)[0])
        events = EventStream(tables["usage_monthly"], tables["accounts"], tables["contracts"], seed=events_seed)
        if not stream_events:
            tables["events"] = events.frame()
    metadata = {"name": name or f"synthetic-seed{int(seed)}", "extracted_at": sc.extracted_at,
                "description": _description(int(n_accounts), int(seed), lang)}
    data = SyntheticData(tables=tables, metadata=metadata, events=events)
    data.truth = build_truth(tables, latent, terms, panel, sc, n_accounts=int(n_accounts), seed=int(seed),
                             table_rows=data.row_counts())
    if lang != "en":
        data.truth["labels"] = {"lang": lang, **LABELS[lang]}
    return data


def _description(n_accounts: int, seed: int, lang: str) -> str:
    """dataset.yml's description: what was generated, where the planted effects are."""
    return DESCRIPTIONS[lang].format(n_accounts=n_accounts, seed=seed)


def synthesize(
    out_dir: str | Path,
    n_accounts: int = 4000,
    seed: int = 0,
    fmt: str = "csv",
    with_events: bool = False,
    scenario: Scenario | dict | str | Path | None = None,
    *,
    lang: str = "en",
    encoding: str = "utf-8",
) -> SyntheticData:
    """Generate a synthetic dataset and write it to ``out_dir`` (what ``csresearch synth`` does).

    The target folder is checked before the (possibly long) generation.

    Parameters
    ----------
    out_dir : str or Path
        Target folder (see :func:`~csresearch.synth.writer.write_synthetic`).
    n_accounts, seed : int
        Generation arguments (:func:`generate_dataset`).
    fmt : {"csv", "parquet"}
        Table file format.
    with_events : bool
        Also write the raw events table.
    scenario : Scenario, dict, YAML path or None
        Planted parameters.
    lang : {"en", "ja"}
        Language of the labels (:func:`generate_dataset`).
    encoding : {"utf-8", "utf-8-sig", "cp932"}
        Text encoding of the CSV tables (:func:`~csresearch.synth.writer.write_synthetic`).

    Returns
    -------
    SyntheticData
        What was written; the events (with ``with_events``) were written chunk
        by chunk and are not in its tables (``row_counts()`` counts them).

    Raises
    ------
    InputError
        When ``out_dir`` may not be written (see :func:`~csresearch.synth.writer.check_target`).
    ParameterError
        For bad generation arguments.
    """
    out = Path(out_dir)
    check_target(out)
    if encoding not in ENCODINGS:
        raise ParameterError(f"encoding must be one of {', '.join(ENCODINGS)}, not {encoding!r}")
    data = generate_dataset(n_accounts=n_accounts, seed=seed, scenario=scenario, with_events=with_events,
                            stream_events=True, lang=lang)
    write_synthetic(data, out, fmt=fmt, encoding=encoding)
    return data
