"""Benchmark (for the record, not a target): events -> usage_monthly on Spark local[2] vs DuckDB, side by side.

Usage (from the repository root, with the spark extra and Java 17; see benchmarks/README.md)::

    nice -n 10 .venv/bin/python benchmarks/bench_spark.py --scale 0.01 --runs 3   # small smoke run
    nice -n 10 .venv/bin/python benchmarks/bench_spark.py --write-results         # 20M events, 5 runs each

Both engines read the same Parquet folder (the 20M-event log of bench_usage.py,
generated once into ``benchmarks/_data/`` and shared with it) in the same
script; runs alternate DuckDB, Spark, DuckDB, ... so that both see the same
machine load. Every run is a fresh child process:

* DuckDB: :func:`csresearch.events.build_usage` with ``threads=2`` (the cores
  Spark gets), default memory limit;
* Spark: :func:`csresearch.events_spark.build_usage_spark` on a ``local[2]``
  session started in the child; the JVM start (session) is timed apart from
  the aggregation, and the aggregation is timed twice: first in the fresh JVM
  (what one ``build-usage`` run costs) and again in the warmed-up JVM
  (steady state, as in a long-lived cluster session).

Wall time is the aggregation to a typed usage DataFrame (what
``build-usage`` writes); peak memory is VmHWM of the Python process plus, for
Spark, VmHWM of its JVM (read just before the session stops). Medians of
``--runs`` runs. Each result is checked against the usage table the events
were generated from, and Spark's against DuckDB's, exactly.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import results_file  # benchmarks/ is on sys.path when run as a script

HERE = Path(__file__).resolve().parent
ACCOUNTS, EVENTS = 20_000, 20_000_000  # bench_usage.py's 20M size


def _vmhwm_mb(pid: int | str = "self") -> float:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return next(int(ln.split()[1]) for ln in status if ln.startswith("VmHWM")) / 1024


def worker(engine: str, folder: Path, out: Path, driver_memory: str) -> None:
    """One measured run in this (child) process; prints JSON."""
    extra: dict = {}
    if engine == "duckdb":
        from csresearch.events import build_usage

        started = time.perf_counter()
        usage = build_usage(folder / "events", threads=2).usage
        seconds = time.perf_counter() - started
        peak = _vmhwm_mb()
    else:
        from csresearch.events_spark import build_usage_spark, spark_session

        began = time.perf_counter()
        conf = {"spark.driver.memory": driver_memory, "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}
        spark, _ = spark_session("local[2]", conf=conf)
        extra["session_s"] = time.perf_counter() - began
        started = time.perf_counter()
        usage = build_usage_spark(str(folder / "events"), spark=spark).usage
        seconds = time.perf_counter() - started
        started = time.perf_counter()  # the same query again in the warmed-up JVM
        build_usage_spark(str(folder / "events"), spark=spark)
        extra["warm_s"] = time.perf_counter() - started
        jvm = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
        extra["jvm_peak_mb"] = _vmhwm_mb(jvm)
        peak = _vmhwm_mb() + extra["jvm_peak_mb"]
        spark.stop()
    usage.to_parquet(out, index=False)
    print(json.dumps({"seconds": seconds, "peak_mb": peak, **extra}))


def measure(engine: str, folder: Path, driver_memory: str) -> tuple[dict, pd.DataFrame]:
    """Run one child; return its measurements and its usage table."""
    out = folder.parent / f"_spark_bench_{engine}.parquet"
    cmd = [sys.executable, __file__, "--worker", engine, "--folder", str(folder), "--out", str(out),
           "--driver-memory", driver_memory]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{engine} run failed with exit code {proc.returncode}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    usage = pd.read_parquet(out)
    out.unlink()
    expected = pd.read_parquet(folder / "usage_expected.parquet")
    expected = expected.astype({"account_id": "str", "month": "datetime64[ns]"}).reset_index(drop=True)
    try:
        pd.testing.assert_frame_equal(usage, expected[usage.columns], check_dtype=False)
        result["correct"] = True
    except AssertionError:
        result["correct"] = False
    return result, usage


def summarise(runs: list[dict]) -> dict:
    def med(key: str) -> float | None:
        values = [r[key] for r in runs if key in r]
        return statistics.median(values) if values else None

    secs = [r["seconds"] for r in runs]
    return {"median_s": statistics.median(secs), "min_s": min(secs), "max_s": max(secs), "session_s": med("session_s"),
            "warm_s": med("warm_s"),
            "peak_mb": max(r["peak_mb"] for r in runs), "jvm_peak_mb": med("jvm_peak_mb"),
            "correct": all(r["correct"] for r in runs), "n": len(runs)}


def machine() -> dict:
    import duckdb
    import pyarrow
    import pyspark

    java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False).stderr.splitlines()
    if os.environ.get("JAVA_HOME"):
        java = subprocess.run([str(Path(os.environ["JAVA_HOME"], "bin", "java")), "-version"], capture_output=True,
                              text=True, check=False).stderr.splitlines()
    return {**results_file.machine(), "duckdb": duckdb.__version__, "pyspark": pyspark.__version__,
            "pandas": pd.__version__, "pyarrow": pyarrow.__version__, "java": java[0] if java else "?"}


def render(stats: dict, info: dict, same: bool, args: argparse.Namespace) -> str:
    m = machine()
    full = args.scale == 1.0
    title = "## Spark local[2] vs DuckDB (`bench_spark.py`)" + ("" if full else f": SMALL SIZE ONLY (scale {args.scale})")
    lines = [
        title,
        "",
        ("For the record, not a target. " if full else
         f"A smoke run at scale {args.scale} ({info['events']:,} events), not the 20M-event comparison: "
         "Spark's fixed costs dominate at this size; run `bench_spark.py --write-results` for 20M. ")
        + f"Written on {time.strftime('%Y-%m-%d %H:%M')}; {args.runs} runs per engine, alternating; "
        f"load average {os.getloadavg()[0]:.1f} when the runs ended (shared machine: compare medians).",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; {m['os']}.  ",
        f"Versions: Python {m['python']}, DuckDB {m['duckdb']}, pyspark {m['pyspark']} ({m['java']}), "
        f"pandas {m['pandas']}, pyarrow {m['pyarrow']}.  ",
        f"Data: {info['accounts']:,} accounts, {info['events']:,} events ({info['source']}), "
        f"{info['usage_rows']:,} usage rows; DuckDB threads=2, Spark local[2] with driver memory {args.driver_memory}.",
        "",
        "| engine | median s (aggregation) | min-max s | same query again, warm JVM (median s) | session start s (median) "
        "| peak RSS MB (Python + JVM) | correct |",
        "|---|---|---|---|---|---|---|",
    ]
    for engine, s in stats.items():
        session = f"{s['session_s']:.1f}" if s["session_s"] is not None else "-"
        warm = f"{s['warm_s']:.2f}" if s["warm_s"] is not None else "-"
        jvm = f" (JVM {s['jvm_peak_mb']:,.0f})" if s["jvm_peak_mb"] is not None else ""
        lines.append(f"| {engine} | {s['median_s']:.2f} | {s['min_s']:.2f}-{s['max_s']:.2f} | {warm} | {session} | "
                     f"{s['peak_mb']:,.0f}{jvm} | {'yes' if s['correct'] else 'NO'} |")
    spark, duck = stats["spark local[2]"], stats["duckdb"]
    lines += ["", f"Spark's aggregation took {spark['median_s'] / duck['median_s']:.1f}x DuckDB's median time in a fresh JVM "
              f"and {spark['warm_s'] / duck['median_s']:.1f}x when repeated in the warmed-up JVM (JVM start not included "
              f"in either); Spark's result equals DuckDB's exactly: {'yes' if same else 'NO'}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply accounts and events (1.0 = 20M events)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per engine (median reported)")
    parser.add_argument("--driver-memory", default="2g", help="spark.driver.memory of the local[2] session")
    parser.add_argument("--write-results", action="store_true", help="write the spark section of benchmarks/RESULTS.md")
    parser.add_argument("--worker", choices=["duckdb", "spark"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.folder, args.out, args.driver_memory)
        return

    from bench_usage import DATA, ensure_data

    DATA.mkdir(parents=True, exist_ok=True)
    name = "20M" if args.scale == 1.0 else f"20M x {args.scale}"
    folder = ensure_data(name, max(10, int(ACCOUNTS * args.scale)), max(1000, int(EVENTS * args.scale)))
    info = json.loads((folder / "info.json").read_text())
    runs: dict[str, list[dict]] = {"duckdb": [], "spark local[2]": []}
    last: dict[str, pd.DataFrame] = {}
    for i in range(args.runs):
        for engine, key in (("duckdb", "duckdb"), ("spark", "spark local[2]")):
            result, last[key] = measure(engine, folder, args.driver_memory)
            runs[key].append(result)
            print(f"run {i + 1}: {key:15s} {result['seconds']:.2f} s, peak {result['peak_mb']:,.0f} MB, "
                  f"correct={result['correct']}", flush=True)
    same = last["duckdb"].equals(last["spark local[2]"])
    text = render({k: summarise(v) for k, v in runs.items()}, info, same, args)
    print(text)
    if args.write_results:
        print(f"wrote {results_file.write_section('spark', text)}")


if __name__ == "__main__":
    main()
