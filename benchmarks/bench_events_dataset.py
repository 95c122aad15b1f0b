"""An events-only dataset against the same dataset with usage_monthly: validate memory, run time, findings.

Issue 14's "done when": an events-only dataset of ~17M events validates under
1.5 GB and runs in at most 1.5x the time of the same dataset with
usage_monthly, with identical headline findings. This script makes one
synthetic dataset with events (``csresearch synth --events``, Parquet), splits
it into two folders (events only; usage_monthly only), then, alternating the
two so that machine noise hits both alike:

* ``csresearch validate`` under ``/usr/bin/time -v``: wall time and peak RSS;
* ``csresearch run --jobs 2``: wall time and the largest peak RSS of any process
  (runner or notebook kernel, from ``/usr/bin/time -v`` of the runner, which
  reports the largest descendant);

and compares findings.json of the two runs (``summary``, ``actions`` and every
section except the dataset's identity and row counts). Medians of ``--runs``.

Usage::

    python benchmarks/bench_events_dataset.py --accounts 2500 --runs 3 --write-results
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_file import machine, write_section  # benchmarks/ is on sys.path when run as a script

BIN = Path(sys.executable).parent / "csresearch"


def _timed(args: list[str]) -> tuple[float, float, int]:
    """Run ``args`` under /usr/bin/time -v: wall seconds, peak RSS in MB, exit code."""
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *args], capture_output=True, text=True)
    wall = time.perf_counter() - started
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    return wall, (int(match.group(1)) / 1024 if match else float("nan")), proc.returncode


def _prepare(work: Path, accounts: int, seed: int) -> tuple[Path, Path, int]:
    """The two variants of one synthetic dataset (made once per work folder) and its number of events."""
    full = work / f"full-{accounts}-{seed}"
    if not (full / "dataset.yml").is_file():
        subprocess.run([str(BIN), "synth", str(full), "--accounts", str(accounts), "--seed", str(seed), "--events",
                        "--format", "parquet"], check=True)
    events_only, with_usage = work / "events_only", work / "with_usage"
    for variant, drop in ((events_only, "usage_monthly"), (with_usage, "events")):
        shutil.rmtree(variant, ignore_errors=True)
        variant.mkdir()
        for item in full.iterdir():
            if item.name.split(".")[0] != drop:
                (variant / item.name).symlink_to(item.resolve())
    import pyarrow.parquet as pq

    events = full / "events.parquet"
    n_events = (pq.ParquetFile(events).metadata.num_rows if events.is_file()
                else sum(pq.ParquetFile(p).metadata.num_rows for p in (full / "events").rglob("*.parquet")))
    return events_only, with_usage, n_events


def _comparable(findings: dict) -> dict:
    """findings.json without what differs by construction: dataset identity, parameters (paths), and the
    audit's table list (one dataset has an events table, the other a usage_monthly file)."""
    out = {k: v for k, v in findings.items() if k not in ("dataset", "parameters")}
    if isinstance(out.get("data_audit"), dict):
        out["data_audit"] = {k: v for k, v in out["data_audit"].items() if k not in ("tables", "warnings")}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "csresearch-bench-events")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    events_only, with_usage, n_events = _prepare(args.workdir, args.accounts, args.seed)
    rows: dict[str, dict[str, list[float]]] = {"events only": {}, "with usage_monthly": {}}
    findings = {}
    for run in range(args.runs):
        for label, folder in (("events only", events_only), ("with usage_monthly", with_usage)):
            out = args.workdir / f"out-{label.split()[0]}"
            for step, cmd in (("validate", [str(BIN), "validate", str(folder)]),
                              ("run", [str(BIN), "run", str(folder), "-o", str(out), "--jobs", "2"])):
                wall, rss, code = _timed(cmd)
                if code != 0:
                    raise SystemExit(f"{label} {step} exited {code}")
                rows[label].setdefault(f"{step}_s", []).append(wall)
                rows[label].setdefault(f"{step}_mb", []).append(rss)
            findings[label] = _comparable(json.loads((out / "findings.json").read_text()))
            print(f"run {run + 1}: {label}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in rows[label].items()), flush=True)
    same = findings["events only"] == findings["with usage_monthly"]
    med = {label: {k: statistics.median(v) for k, v in d.items()} for label, d in rows.items()}
    ratio = med["events only"]["run_s"] / med["with usage_monthly"]["run_s"]
    m = machine()
    text = "\n".join([
        "## Events-only dataset vs the same dataset with usage_monthly (`bench_events_dataset.py`)",
        "",
        f"Written on {time.strftime('%Y-%m-%d %H:%M')}: {args.accounts:,} synthetic accounts (seed {args.seed}), "
        f"{n_events:,} events (Parquet); {args.runs} runs of each, alternating; medians.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; {m['os']}; Python {m['python']}. "
        "Shared with other work: compare the two rows, not absolute times.",
        "",
        "| dataset | validate s | validate peak MB | run s (--jobs 2) | run peak MB (largest process) |",
        "|---|---|---|---|---|",
        *[f"| {label} | {d['validate_s']:.1f} | {d['validate_mb']:,.0f} | {d['run_s']:.1f} | {d['run_mb']:,.0f} |"
          for label, d in med.items()],
        "",
        "## Targets",
        "",
        f"- validate of the events-only dataset: {med['events only']['validate_mb'] / 1024:.2f} GB peak "
        f"(target < 1.5 GB: {'met' if med['events only']['validate_mb'] < 1536 else 'NOT met'}).",
        f"- run time events-only / with usage_monthly: {ratio:.2f}x (target <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'}).",
        f"- findings.json identical apart from the dataset block: {'yes' if same else 'NO'}.",
    ])
    print(text)
    if args.write_results:
        write_section("events_dataset", text)


if __name__ == "__main__":
    main()
