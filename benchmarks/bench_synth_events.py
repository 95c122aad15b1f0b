"""Benchmark: peak memory and time of ``csresearch synth --events``, streaming vs the old in-memory path.

Usage (from the repository root; see benchmarks/README.md)::

    nice -n 10 .venv/bin/python benchmarks/bench_synth_events.py --sizes 200 --runs 1     # smoke run
    nice -n 10 .venv/bin/python benchmarks/bench_synth_events.py --write-results          # 2,000 and 10,000 accounts

Every measured run is a fresh child process running
``csresearch.synth.synthesize(out, n_accounts, seed=0, fmt, with_events=True)``
(what ``csresearch synth OUT --accounts N --events --format FMT`` does, without
the one line it prints); its peak RSS is the child's ``VmHWM`` from
/proc/self/status read right after the work, its time the wall time around the
call (interpreter start and imports excluded). Variants, side by side in one run:

* ``stream``: this tree (events made and written chunk by chunk);
* ``in-memory``: the same call run on the source tree of ``--baseline REV``
  (default: the last main commit before streaming), extracted with
  ``git archive`` into benchmarks/_data/ and put first on ``PYTHONPATH``: the
  old path that builds all events in one DataFrame and writes it at once. It
  needs about 4.3 GB per 1,000 accounts, so it runs only up to
  ``--baseline-max-accounts`` accounts (default 2,000).

Each written folder is checked (events rows = usage_monthly's events total)
and deleted after the run (a CSV at 10,000 accounts is ~13 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import results_file  # benchmarks/ is on sys.path when run as a script

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "_data"
BASELINE_REV = "3e4d629"  # main before streaming: events built in memory, then written
TARGET_PEAK_MB = 1024


def worker(n_accounts: int, fmt: str, out: Path) -> None:
    """Run synthesize with events into ``out``; print JSON with the wall time, peak RSS and events written."""
    from csresearch.synth import synthesize

    started = time.perf_counter()
    data = synthesize(out, n_accounts=n_accounts, seed=0, fmt=fmt, with_events=True)
    seconds = time.perf_counter() - started
    status = Path("/proc/self/status").read_text().splitlines()
    peak_kb = next(int(ln.split()[1]) for ln in status if ln.startswith("VmHWM"))
    expected = int(data.tables["usage_monthly"]["events"].sum())
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024, "expected_events": expected}))


def baseline_tree(rev: str) -> Path:
    """The ``src`` folder of commit ``rev``, extracted once into benchmarks/_data/."""
    target = DATA / f"baseline_src_{rev}"
    if not (target / "src" / "csresearch").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "src"], stdout=subprocess.PIPE, check=True).stdout
        tar_path = target / "src.tar"
        tar_path.write_bytes(archive)
        with tarfile.open(tar_path) as tar:
            tar.extractall(target, filter="data")
        tar_path.unlink()
    return target / "src"


def events_written(folder: Path, fmt: str) -> int:
    """Rows of the written events file (Parquet metadata, or CSV lines minus the header)."""
    path = folder / f"events.{fmt}"
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    with open(path, "rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 24), b"")) - 1


def measure(variant: str, n_accounts: int, fmt: str, baseline_src: Path | None) -> dict:
    """One child run of ``variant``; wall seconds, peak RSS (MB), load average and whether the output is complete."""
    out = DATA / f"synth_{variant}_{n_accounts}_{fmt}"
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ)
    if variant == "in-memory":
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(baseline_src), env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, __file__, "--worker", "--accounts", str(n_accounts), "--format", fmt, "--out", str(out)]
    load = os.getloadavg()[0]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env, check=False)
    try:
        if proc.returncode != 0:
            raise RuntimeError(f"{variant} run at {n_accounts} accounts ({fmt}) failed with exit code {proc.returncode}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        result["events"] = events_written(out, fmt)
        result["complete"] = result["events"] == result["expected_events"]
    finally:
        shutil.rmtree(out, ignore_errors=True)
    result["load"] = (load + os.getloadavg()[0]) / 2
    return result


def summarise(runs: list[dict]) -> dict:
    secs, peaks = [r["seconds"] for r in runs], [r["peak_mb"] for r in runs]
    return {"median_s": statistics.median(secs), "min_s": min(secs), "max_s": max(secs),
            "median_mb": statistics.median(peaks), "max_mb": max(peaks), "events": runs[0]["events"],
            "complete": all(r["complete"] for r in runs), "n": len(runs),
            "load": statistics.median(r["load"] for r in runs)}


def machine() -> dict:
    import numpy
    import pandas
    import pyarrow

    return {**results_file.machine(), "pandas": pandas.__version__, "pyarrow": pyarrow.__version__, "numpy": numpy.__version__}


def render(rows: list[dict], args: argparse.Namespace) -> str:
    m = machine()
    lines = [
        "## csresearch synth --events (`bench_synth_events.py`)",
        "",
        (f"Written by `benchmarks/bench_synth_events.py --write-results` on {time.strftime('%Y-%m-%d %H:%M')} "
         f"(seed 0, runs per row as the table says, in-memory baseline: main at {args.baseline}; "
         "each run a fresh process; peak = VmHWM of that process; medians reported, the load column is the "
         "1-minute load average around the runs: the machine is shared, so times are noisy)."),
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; {m['os']}.  ",
        f"Versions: Python {m['python']}, pandas {m['pandas']}, pyarrow {m['pyarrow']}, numpy {m['numpy']}.",
        "",
        "| accounts | events | format | variant | runs | median s | min-max s | median peak RSS MB | max peak MB | load | complete |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s = r["summary"]
        lines.append(
            f"| {r['accounts']:,} | {s['events']:,} | {r['fmt']} | {r['variant']} | {s['n']} | {s['median_s']:.0f} | "
            f"{s['min_s']:.0f}-{s['max_s']:.0f} | {s['median_mb']:,.0f} | {s['max_mb']:,.0f} | {s['load']:.1f} | "
            f"{'yes' if s['complete'] else 'NO'} |"
        )
    stream = [r for r in rows if r["variant"] == "stream"]
    worst = max((r["summary"]["max_mb"] for r in stream), default=float("nan"))
    lines += ["", "### Targets", "",
              (f"- streaming peak under {TARGET_PEAK_MB / 1024:.0f} GB at every size measured: largest peak {worst:,.0f} MB "
               f"({'met' if worst < TARGET_PEAK_MB else 'NOT met'}).")]
    for r in rows:
        if r["variant"] != "in-memory":
            continue
        new = next(s for s in stream if s["accounts"] == r["accounts"] and s["fmt"] == r["fmt"])["summary"]
        old = r["summary"]
        lines.append(f"- {r['accounts']:,} accounts, {r['fmt']}: peak {old['median_mb']:,.0f} -> {new['median_mb']:,.0f} MB "
                     f"({old['median_mb'] / new['median_mb']:.0f}x less), time {old['median_s']:.0f} -> {new['median_s']:.0f} s.")
    lines += ["", "Same seed, same bytes: tests/test_synth_stream.py (both formats, streamed or in memory).", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,10000", help="comma-separated numbers of accounts")
    parser.add_argument("--formats", default="parquet,csv", help="comma-separated subset of parquet,csv")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per size and format of the streaming path (median reported)")
    parser.add_argument("--runs-large", type=int, default=None,
                        help="runs at sizes above --baseline-max-accounts (default --runs; a CSV at 10,000 accounts takes ~10 min)")
    parser.add_argument("--baseline-runs", type=int, default=1, help="runs of the in-memory path (7-8 min for a CSV at 2,000 accounts)")
    parser.add_argument("--baseline", default=BASELINE_REV, help="git revision of the in-memory path ('' to skip it)")
    parser.add_argument("--baseline-max-accounts", type=int, default=2000, help="largest size the in-memory path runs at")
    parser.add_argument("--write-results", action="store_true", help="write benchmarks/RESULTS.md")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--accounts", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--format", dest="fmt", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.accounts, args.fmt, args.out)
        return

    DATA.mkdir(parents=True, exist_ok=True)
    baseline_src = baseline_tree(args.baseline) if args.baseline else None
    rows = []
    for n_accounts in (int(s) for s in args.sizes.split(",")):
        for fmt in args.formats.split(","):
            variants = ["stream"] + (["in-memory"] if baseline_src and n_accounts <= args.baseline_max_accounts else [])
            for variant in variants:
                n_runs = args.baseline_runs if variant == "in-memory" else args.runs
                if variant == "stream" and n_accounts > args.baseline_max_accounts and args.runs_large:
                    n_runs = args.runs_large
                runs = [measure(variant, n_accounts, fmt, baseline_src) for _ in range(n_runs)]
                s = summarise(runs)
                rows.append({"accounts": n_accounts, "fmt": fmt, "variant": variant, "summary": s})
                print(f"[{n_accounts} {fmt} {variant}] median {s['median_s']:.1f} s, peak {s['median_mb']:,.0f} MB "
                      f"(max {s['max_mb']:,.0f}), {s['events']:,} events, complete={s['complete']}, load {s['load']:.1f}",
                      flush=True)
    text = render(rows, args)
    print(text)
    if args.write_results:
        print(f"wrote {results_file.write_section('synth_events', text)}")


if __name__ == "__main__":
    main()
