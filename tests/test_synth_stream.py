"""The synthetic events are written chunk by chunk (``csresearch synth --events``).

Checked here: the same seed gives the same bytes in both formats, whether the
events are streamed (``synthesize``) or held in memory
(``generate_dataset(with_events=True).write``); the written events equal the
in-memory ones and aggregate back to usage_monthly; the writer consumes its
frames one at a time and never concatenates them all. Peak memory in absolute
numbers is measured by benchmarks/bench_synth_events.py, not here.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import weakref
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from csresearch import load_dataset
from csresearch.csvsafe import neutralise_formulas
from csresearch.events import usage_from_events
from csresearch.synth import generate, generate_dataset, synthesize, writer
from csresearch.synth.events import iter_events_from_usage
from csresearch.synth.generate import EventStream

N, SEED = 30, 11
SMB_ONLY = {"segment_shares": {"smb": 1.0, "mid": 0.0, "enterprise": 0.0}}  # fewer events: a fast test
CHUNK, ROW_GROUP = 20_000, 15_000


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module", autouse=True)
def small_chunks():
    """Chunks and row groups far smaller than the data, so that several of each are made and written."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generate, "CHUNK_EVENTS", CHUNK)
        patch.setattr(writer, "EVENTS_ROW_GROUP", ROW_GROUP)
        yield


@pytest.fixture(scope="module")
def in_memory(small_chunks):
    return generate_dataset(N, seed=SEED, scenario=SMB_ONLY, with_events=True)


def _synthesize(out: Path, fmt: str, seed: int = SEED):
    return synthesize(out, n_accounts=N, seed=seed, fmt=fmt, with_events=True, scenario=SMB_ONLY)


def _usage_back(events) -> pd.DataFrame:
    return usage_from_events(events).sort_values(["account_id", "month"], ignore_index=True)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_same_bytes_streamed_or_in_memory(tmp_path, fmt, in_memory):
    a = _synthesize(tmp_path / "a", fmt)
    _synthesize(tmp_path / "b", fmt)
    in_memory.write(tmp_path / "c", fmt=fmt)
    assert "events" not in a.tables and a.row_counts()["events"] == len(in_memory.tables["events"]) > 3 * CHUNK
    first = _digests(tmp_path / "a")
    assert f"events.{fmt}" in first
    assert _digests(tmp_path / "b") == first
    assert _digests(tmp_path / "c") == first
    _synthesize(tmp_path / "d", fmt, seed=SEED + 1)
    assert _digests(tmp_path / "d")[f"events.{fmt}"] != first[f"events.{fmt}"]


def test_written_parquet_events_equal_in_memory_and_aggregate_to_usage(tmp_path, in_memory):
    _synthesize(tmp_path / "ds", "parquet")
    path = tmp_path / "ds" / "events.parquet"
    meta = pq.ParquetFile(path).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert len(sizes) > 3 and set(sizes[:-1]) == {ROW_GROUP} and 0 < sizes[-1] <= ROW_GROUP
    assert date.today().isoformat() not in str(meta.metadata)  # no time of writing in the file
    written = pd.read_parquet(path)
    pd.testing.assert_frame_equal(written, in_memory.tables["events"], check_categorical=False)
    usage = in_memory.tables["usage_monthly"]
    pd.testing.assert_frame_equal(_usage_back(path)[usage.columns], usage, check_dtype=False)


def test_written_csv_events_are_the_old_whole_frame_format_and_aggregate_to_usage(tmp_path, in_memory):
    _synthesize(tmp_path / "ds", "csv")
    path = tmp_path / "ds" / "events.csv"
    # what the writer did before streaming: the whole frame at once, strftime dates
    whole = in_memory.tables["events"].assign(quantity=lambda f: f["quantity"].round(3))
    expected = neutralise_formulas(whole).to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%dT%H:%M:%S.%fZ")
    assert path.read_text(encoding="utf-8") == expected
    usage = in_memory.tables["usage_monthly"]
    pd.testing.assert_frame_equal(_usage_back(path)[usage.columns], usage, check_dtype=False)
    ds = load_dataset(tmp_path / "ds")
    assert ds.load_problems == []


class _Tracked:
    """Frames handed out one at a time, remembering how many earlier ones are still alive."""

    def __init__(self, frames):
        self.frames, self.refs, self.most_alive = frames, [], 0

    def __iter__(self):
        for frame in self.frames:
            gc.collect()
            self.most_alive = max(self.most_alive, sum(r() is not None for r in self.refs))
            self.refs.append(weakref.ref(frame))
            yield frame
            del frame


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_writer_consumes_frames_one_at_a_time_without_concatenating_them(tmp_path, fmt, in_memory, monkeypatch):
    t = in_memory.tables
    stream = EventStream(t["usage_monthly"], t["accounts"], t["contracts"], seed=3, chunk_events=5_000)
    monkeypatch.setattr(writer, "EVENTS_ROW_GROUP", 4_000)
    biggest = []
    real_concat_tables, real_pd_concat = pa.concat_tables, pd.concat
    monkeypatch.setattr(pa, "concat_tables", lambda ts, *a, **k: biggest.append(sum(map(len, ts))) or real_concat_tables(ts, *a, **k))
    monkeypatch.setattr(pd, "concat", lambda *a, **k: pytest.fail("pd.concat while writing"))
    tracked = _Tracked(stream)
    rows = writer.write_events(tracked, tmp_path / f"events.{fmt}", fmt)
    monkeypatch.setattr(pd, "concat", real_pd_concat)
    assert rows == len(stream) == len(t["events"]) and len(tracked.refs) > 10
    assert tracked.most_alive <= 1  # the frame just written, at most, while the next one is made
    assert fmt == "csv" or max(biggest) < 4_000 + 5_000 + 1
    back = pd.read_parquet(tmp_path / "events.parquet") if fmt == "parquet" else None
    if back is not None:
        pd.testing.assert_frame_equal(back, pd.concat(list(stream), ignore_index=True), check_categorical=False)


def test_synthesize_never_builds_the_events_in_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(EventStream, "frame", lambda self: pytest.fail("all events built in memory"))
    data = _synthesize(tmp_path / "ds", "parquet")
    assert pq.ParquetFile(tmp_path / "ds" / "events.parquet").metadata.num_rows == data.row_counts()["events"]
    assert data.truth["table_rows"]["events"] == data.row_counts()["events"]


def test_event_budget_chunks_split_accounts_between_months(in_memory):
    t = in_memory.tables
    usage = t["usage_monthly"]
    budget = 1_500
    chunks = list(iter_events_from_usage(usage, t["accounts"], t["contracts"], seed=0, chunk_events=budget))
    sizes = np.array([len(c) for c in chunks])
    # only a chunk of one single account-month may exceed the budget
    too_big = [c for c in chunks if len(c) > budget]
    assert all(c["timestamp"].dt.strftime("%Y-%m").nunique() == 1 and c["account_id"].nunique() == 1 for c in too_big)
    assert sizes.sum() == usage["events"].sum()
    last_first = [(c["account_id"].iloc[-1], c["account_id"].iloc[0]) for c in chunks if len(c)]
    assert any(a == b for (a, _), (_, b) in itertools.pairwise(last_first))  # an account spans two chunks
    whole = pd.concat(chunks, ignore_index=True)
    assert whole["account_id"].is_monotonic_increasing
    assert whole.groupby("account_id")["timestamp"].is_monotonic_increasing.all()
    pd.testing.assert_frame_equal(_usage_back(chunks)[usage.columns], usage, check_dtype=False)


def test_empty_events_still_write_a_header_and_a_schema(tmp_path, in_memory):
    t = in_memory.tables
    stream = EventStream(t["usage_monthly"].iloc[:0], t["accounts"], t["contracts"], seed=0)
    assert len(stream) == 0
    writer.write_events(stream, tmp_path / "events.csv", "csv")
    assert (tmp_path / "events.csv").read_text() == "account_id,user_id,timestamp,event_type,quantity\n"
    writer.write_events(stream, tmp_path / "events.parquet", "parquet")
    back = pd.read_parquet(tmp_path / "events.parquet")
    assert len(back) == 0 and str(back["timestamp"].dtype) == "datetime64[ns, UTC]"


def _old_csv(frame: pd.DataFrame) -> str:
    """What the writer wrote before streaming: neutralise_formulas, then pandas to_csv with strftime dates."""
    return neutralise_formulas(frame).to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%dT%H:%M:%S.%fZ")


def test_iso_timestamps_match_strftime_before_and_after_1970_at_any_unit():
    rng = np.random.default_rng(1)
    ns = pd.Series(pd.to_datetime(rng.integers(-2 * 10**18, 2 * 10**18, 50_000), utc=True))
    text = writer._iso_utc(ns).to_pylist()
    assert text == ns.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").tolist()
    assert writer._iso_utc(ns.iloc[:0]) is None and writer._iso_utc(pd.Series([pd.NaT, ns[0]]).dt.tz_convert("UTC")) is None


@pytest.mark.parametrize("change", [
    {},  # the fast path
    {"account_id": "=HYPERLINK(1)"},  # a formula: neutralised
    {"user_id": 'a,"b"'},  # quoting
    {"user_id": ""},  # an empty cell
    {"quantity": np.nan},
    {"quantity": -0.0},
    {"timestamp": pd.NaT},
])
def test_events_csv_rows_equal_pandas_to_csv_whatever_the_cells(tmp_path, in_memory, change):
    frame = in_memory.tables["events"].iloc[:500].assign(quantity=lambda f: f["quantity"].round(3))
    frame = frame.reset_index(drop=True)
    for column, value in change.items():
        frame.loc[7, column] = value
    assert frame.dtypes.equals(in_memory.tables["events"].dtypes)
    writer.write_events([frame.iloc[:200], frame.iloc[200:]], tmp_path / "events.csv", "csv")
    assert (tmp_path / "events.csv").read_text(encoding="utf-8") == _old_csv(frame)


def test_cli_synth_events_prints_the_streamed_count(tmp_path):
    from click.testing import CliRunner

    from csresearch.cli import main

    res = CliRunner().invoke(main, ["synth", str(tmp_path / "d"), "--accounts", "12", "--seed", "4", "--events",
                                    "--format", "parquet"])
    assert res.exit_code == 0, res.output
    written = pq.ParquetFile(tmp_path / "d" / "events.parquet").metadata.num_rows
    expected = int(pd.read_parquet(tmp_path / "d" / "usage_monthly.parquet")["events"].sum())
    assert written == expected > 0 and f"events {written:,}" in res.output
