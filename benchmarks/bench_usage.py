"""Benchmark: events -> usage_monthly with DuckDB (csresearch.events) vs vectorised pandas.

Usage (from the repository root; see benchmarks/README.md)::

    nice -n 10 .venv/bin/python benchmarks/bench_usage.py --scale 0.05      # quick smoke run
    nice -n 10 .venv/bin/python benchmarks/bench_usage.py --write-results   # full run -> RESULTS.md

Sizes: 20,000 accounts / ~20M events (DuckDB and pandas side by side) and
50,000 accounts / ~100M events (DuckDB only); ``--scale`` multiplies both.
Event logs are generated once into ``benchmarks/_data/`` (gitignored) and reused.
Every measured run is a fresh subprocess, so its peak RSS (``VmHWM`` of
/proc/self/status, read by the child just after the work) is that run's alone
(``ru_maxrss`` of a waited child would include the parent's memory at fork);
wall time is measured inside the child around "read the Parquet folder and aggregate to a typed usage DataFrame", and the
median of ``--runs`` runs is reported. Each result is checked against the usage
table the events were generated from.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import results_file  # benchmarks/ is on sys.path when run as a script

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "_data"
SIZES = (  # name, accounts, target events, the engine csresearch's DuckDB build is compared with
    ("20M", 20_000, 20_000_000, "pandas"),
    ("100M", 50_000, 100_000_000, "bare"),
)
DATA_VERSION = 2  # bump when the way the data are made changes (invalidates the cache)
TARGETS = {"speedup": 4.0, "memory_ratio": 0.45, "bare_time_ratio": 1.5, "duckdb_100m_peak_gb": 1.5}

#: The floor for the 100M comparison: one GROUP BY account, UTC month, user over the same files in the same
#: DuckDB settings, i.e. the hash aggregation any per-user monthly count needs, without distinct counts, the
#: event-type dictionary, the quota sum, sorting or the typed pandas result. Its groups are counted, not fetched.
BARE_SQL = """
SELECT COUNT(*) FROM (
    SELECT account_id, date_trunc('month', CAST("timestamp" AS TIMESTAMP)) AS month, user_id, COUNT(*) AS n
    FROM read_parquet('{folder}/*.parquet')
    GROUP BY account_id, date_trunc('month', CAST("timestamp" AS TIMESTAMP)), user_id
)
"""
EVENT_COLUMNS = ["account_id", "user_id", "timestamp", "event_type", "quantity"]


# ---------------------------------------------------------------------------
# data


def base_tables(n_accounts: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """usage_monthly, accounts, contracts from the suite's generator (or the documented fallback)."""
    try:
        from csresearch.synth import generate_dataset
    except ImportError:
        generate_dataset = None
    if generate_dataset is not None:
        data = generate_dataset(n_accounts, seed=seed)
        t = data.tables
        return t["usage_monthly"], t["accounts"], t["contracts"], "csresearch.synth.generate_dataset"
    # Fallback: 36 months per account, 1-40 users, 1-12 features, 0-200 cards, uniform draws.
    rng = np.random.default_rng(seed)
    ids = [f"A{i:06d}" for i in range(1, n_accounts + 1)]
    months = pd.date_range("2022-07-01", periods=36, freq="MS").as_unit("ns")
    usage = pd.DataFrame({"account_id": np.repeat(ids, 36), "month": np.tile(months, n_accounts)})
    usage["active_users"] = rng.integers(1, 41, len(usage))
    usage["features_used"] = rng.integers(1, 13, len(usage))
    usage["events"] = usage[["active_users", "features_used"]].max(axis=1) * 10
    usage["quota_used"] = rng.integers(0, 201, len(usage)).astype(float)
    contracts = pd.DataFrame({"account_id": ids, "seats": 40})
    return usage, pd.DataFrame({"account_id": ids}), contracts, "fallback (uniform random usage)"


def scale_events(usage: pd.DataFrame, target: int) -> pd.DataFrame:
    """Thin the usage table so that its events total about ``target``.

    Models keeping each event of the natural log independently with probability
    k: events' = max(1, round(k * events)); a user with events/active_users
    events survives with probability 1 - (1 - k)**(events/active_users), so
    active_users' = round(active_users * that), likewise for features_used;
    both are clipped to [1, events']. k is found by bisection. quota_used is
    kept as it is.
    """
    e = usage["events"].to_numpy(np.float64)
    a = usage["active_users"].to_numpy(np.float64)
    f = usage["features_used"].to_numpy(np.float64)
    has = e > 0

    def thinned(k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        e2 = np.where(has, np.maximum(1, np.round(k * e)), 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            a2 = np.round(a * (1 - (1 - k) ** np.where(has, e / a, 0)))
            f2 = np.round(f * (1 - (1 - k) ** np.where(has, e / f, 0)))
        a2 = np.where(has, np.clip(a2, 1, e2), 0)
        f2 = np.where(has, np.clip(f2, 1, e2), 0)
        return e2.astype(np.int64), a2.astype(np.int64), f2.astype(np.int64)

    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if thinned(mid)[0].sum() < target else (lo, mid)
    e2, a2, f2 = thinned(hi)
    return usage.assign(events=e2, active_users=a2, features_used=f2)


def ensure_data(name: str, n_accounts: int, n_events: int, seed: int = 0) -> Path:
    """Generate (once) one size: ``<folder>/events/part-*.parquet`` plus the expected usage; return the folder."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from csresearch.synth.events import iter_events_from_usage

    folder = DATA / f"events_v{DATA_VERSION}_{n_accounts}acc_{n_events}ev_seed{seed}"
    if (folder / "DONE").is_file():
        return folder
    (folder / "events").mkdir(parents=True, exist_ok=True)
    for old in (folder / "events").glob("*.parquet"):
        old.unlink()
    started = time.perf_counter()
    usage, accounts, contracts, source = base_tables(n_accounts, seed)
    usage = scale_events(usage, n_events)
    usage.to_parquet(folder / "usage_expected.parquet", index=False)
    written = 0
    chunks = iter_events_from_usage(usage, accounts, contracts, seed=seed, chunk_accounts=1000)
    for i, chunk in enumerate(chunks):
        table = pa.Table.from_pandas(chunk[EVENT_COLUMNS], preserve_index=False)
        pq.write_table(table, folder / "events" / f"part-{i:05d}.parquet", row_group_size=1_000_000)
        written += len(chunk)
    info = {"source": source, "accounts": n_accounts, "events": written, "usage_rows": len(usage),
            "seconds": round(time.perf_counter() - started, 1)}
    (folder / "info.json").write_text(json.dumps(info, indent=1))
    (folder / "DONE").write_text("ok\n")
    print(f"[{name}] generated {written:,} events for {n_accounts:,} accounts ({source}) in {info['seconds']} s")
    return folder


# ---------------------------------------------------------------------------
# one measured run (in a child process)


def _cpu_seconds() -> float:
    """CPU seconds (user + system, all threads) this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker(engine: str, folder: Path, out: Path, memory_limit: str | None, threads: int | None) -> None:
    """Read the events folder and aggregate with ``engine``; print JSON with the wall time."""
    sys.path.insert(0, str(REPO / "tests"))
    if engine == "duckdb":
        from csresearch.events import usage_from_events

        started, cpu_started = time.perf_counter(), _cpu_seconds()
        usage = usage_from_events(folder / "events", memory_limit=memory_limit, threads=threads)
    elif engine == "bare":
        import tempfile

        from csresearch.events import _connect

        started, cpu_started = time.perf_counter(), _cpu_seconds()
        with tempfile.TemporaryDirectory(prefix="bench-bare-") as temp:
            con = _connect(memory_limit, threads, temp)
            groups = con.execute(BARE_SQL.format(folder=folder / "events")).fetchall()[0][0]
            con.close()
        usage = None
        print(json.dumps({"groups": groups}), file=sys.stderr)
    elif engine == "pandas":
        from usage_reference import usage_reference

        started, cpu_started = time.perf_counter(), _cpu_seconds()
        usage = usage_reference(pd.read_parquet(folder / "events", columns=EVENT_COLUMNS))
    else:  # "idle": imports only, the interpreter's baseline memory
        import csresearch.events  # noqa: F401
        from usage_reference import usage_reference  # noqa: F401

        started, cpu_started = time.perf_counter(), _cpu_seconds()
        usage = None
    seconds = time.perf_counter() - started
    cpu_seconds = _cpu_seconds() - cpu_started
    peak_kb = next(int(ln.split()[1]) for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith("VmHWM"))
    if usage is not None:
        usage.to_parquet(out, index=False)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mb": peak_kb / 1024}))


def measure(engine: str, folder: Path, memory_limit: str | None, threads: int | None) -> dict:
    """Run one child; return its wall seconds, peak RSS (MB) and whether its result is correct."""
    out = folder.parent / f"_result_{engine}.parquet"
    cmd = [sys.executable, __file__, "--worker", engine, "--folder", str(folder), "--out", str(out)]
    if memory_limit:
        cmd += ["--memory-limit", memory_limit]
    if threads:
        cmd += ["--threads", str(threads)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{engine} run failed with exit code {proc.returncode}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if engine not in ("idle", "bare"):
        expected = pd.read_parquet(folder / "usage_expected.parquet")
        expected = expected.astype({"account_id": "str", "month": "datetime64[ns]"}).reset_index(drop=True)
        got = pd.read_parquet(out)
        try:
            pd.testing.assert_frame_equal(got, expected[got.columns], check_dtype=False)
            result["correct"] = True
        except AssertionError:
            result["correct"] = False
        out.unlink()
    return result


# ---------------------------------------------------------------------------
# report


def machine() -> dict:
    import duckdb
    import pyarrow

    return {
        **results_file.machine(),
        "duckdb": duckdb.__version__,
        "pandas": pd.__version__,
        "pyarrow": pyarrow.__version__,
        "numpy": np.__version__,
    }


def summarise(runs: list[dict]) -> dict:
    secs = [r["seconds"] for r in runs]
    return {"median_s": statistics.median(secs), "median_cpu_s": statistics.median(r["cpu_seconds"] for r in runs),
            "min_s": min(secs), "max_s": max(secs),
            "peak_mb": max(r["peak_mb"] for r in runs), "correct": all(r.get("correct", True) for r in runs), "n": len(runs)}


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _targets_line(name: str, e: dict) -> str:
    """One bullet: the size's targets against the engine it is compared with."""
    if "pandas" in e:
        speed = e["pandas"]["median_s"] / e["duckdb"]["median_s"]
        ratio = e["duckdb"]["peak_mb"] / e["pandas"]["peak_mb"]
        cpu = e["pandas"]["median_cpu_s"] / e["duckdb"]["median_cpu_s"]
        return (f"- {name}: DuckDB is {speed:.1f}x faster than pandas (target >= {TARGETS['speedup']:.0f}x: "
                f"{_met(speed >= TARGETS['speedup'])}; it uses {cpu:.1f}x less CPU time, DuckDB on all cores and "
                f"pandas on one, so on a loaded machine the wall-time ratio falls towards the CPU ratio); peak memory ratio {ratio:.2f} "
                f"(target <= {TARGETS['memory_ratio']}: {_met(ratio <= TARGETS['memory_ratio'])}).")
    ratio = e["duckdb"]["median_s"] / e["bare"]["median_s"]
    gb = e["duckdb"]["peak_mb"] / 1024
    return (f"- {name}: build-usage takes {ratio:.2f}x the time of the bare GROUP BY account, month, user "
            f"(target <= {TARGETS['bare_time_ratio']}x: {_met(ratio <= TARGETS['bare_time_ratio'])}); "
            f"build-usage peak {gb:.2f} GB (target < {TARGETS['duckdb_100m_peak_gb']} GB: "
            f"{_met(gb < TARGETS['duckdb_100m_peak_gb'])}).")


def render(results: list[dict], info: dict, args: argparse.Namespace) -> str:
    m = info["machine"]
    lines = [
        "## events -> usage_monthly (`bench_usage.py`)",
        "",
        f"Written by `benchmarks/bench_usage.py --write-results` on {time.strftime('%Y-%m-%d %H:%M')} "
        f"(scale {args.scale}, {args.runs} runs per engine, DuckDB memory_limit {args.memory_limit or 'default'}, "
        f"threads {args.threads or 'all'}; load average {os.getloadavg()[0]:.1f} when the runs ended: "
        "times on a shared machine are noisy, compare medians).",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; {m['os']}.  ",
        f"Versions: Python {m['python']}, DuckDB {m['duckdb']}, pandas {m['pandas']}, pyarrow {m['pyarrow']}, numpy {m['numpy']}.  ",
        f"Interpreter baseline (imports only, no data): {info['idle_mb']:.0f} MB peak RSS.",
        "",
        "| size | accounts | events | usage rows | engine | median s | min-max s | median CPU s | peak RSS MB | correct |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for engine, s in r["engines"].items():
            lines.append(
                f"| {r['name']} | {r['accounts']:,} | {r['events']:,} | {r['usage_rows']:,} | {engine} | {s['median_s']:.1f} | "
                f"{s['min_s']:.1f}-{s['max_s']:.1f} | {s['median_cpu_s']:.1f} | {s['peak_mb']:,.0f} | {'yes' if s['correct'] else 'NO'} |"
            )
    lines += ["", "## Targets", ""]
    for r in results:
        lines.append(_targets_line(r["name"], r["engines"]))
    lines += ["", "Data: " + "; ".join(f"{r['name']}: {r['source']}" for r in results) + ".", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply accounts and events (e.g. 0.05 to debug)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per engine and size (median reported)")
    parser.add_argument("--sizes", default="20M,100M", help="comma-separated subset of 20M,100M")
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory_limit for the measured runs")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default all cores)")
    parser.add_argument("--write-results", action="store_true", help="write benchmarks/RESULTS.md")
    parser.add_argument("--worker", choices=["duckdb", "pandas", "bare", "idle"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.folder, args.out, args.memory_limit, args.threads)
        return

    wanted = set(args.sizes.split(","))
    results = []
    DATA.mkdir(parents=True, exist_ok=True)
    idle = measure("idle", DATA, None, None)["peak_mb"]
    for name, n_accounts, n_events, other in SIZES:
        if name not in wanted:
            continue
        n_acc, n_ev = max(10, int(n_accounts * args.scale)), max(1000, int(n_events * args.scale))
        folder = ensure_data(name, n_acc, n_ev)
        info = json.loads((folder / "info.json").read_text())
        runs: dict[str, list[dict]] = {"duckdb": [], other: []}
        for i in range(args.runs):  # alternate, so that both engines see the same load on a shared machine
            for engine in (("duckdb", other) if i % 2 == 0 else (other, "duckdb")):
                runs[engine].append(measure(engine, folder, args.memory_limit, args.threads))
                r = runs[engine][-1]
                print(f"[{name}] run {i + 1} {engine:6s} {r['seconds']:.2f} s, peak {r['peak_mb']:,.0f} MB", flush=True)
        engines = {engine: summarise(rs) for engine, rs in runs.items()}
        results.append({"name": name, "accounts": n_acc, "events": info["events"], "usage_rows": info["usage_rows"],
                        "source": info["source"], "engines": engines})
    text = render(results, {"machine": machine(), "idle_mb": idle}, args)
    print(text)
    if args.write_results:
        print(f"wrote {results_file.write_section('usage', text)}")


if __name__ == "__main__":
    main()
