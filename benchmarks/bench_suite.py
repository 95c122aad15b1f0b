"""Wall time of the whole suite (`csresearch run DATA -o OUT --jobs 2`), optionally side by side with another checkout.

Every run is a fresh ``csresearch run`` process; runs alternate between the
versions (and datasets) so that both see the same load on a shared machine.
Reported per dataset and version: the median wall time over ``--repeats``
runs (min-max), the load average when the runs were made and each notebook's
median duration from the run's ``run.json``.

Examples
--------
::

    # this checkout only, on the sample and a generated 50,000-account dataset
    nice -n 10 .venv/bin/python benchmarks/bench_suite.py data/sample synth:50000 --repeats 3

    # side by side with main (a plain copy of its tree: git archive main | tar -x -C /tmp/main-src)
    nice -n 10 .venv/bin/python benchmarks/bench_suite.py data/sample synth:5000 synth:20000 synth:50000 \\
        --baseline /tmp/main-src --repeats 3 --write-results

``DATA@R`` runs that dataset R times (default ``--repeats``). ``synth:N`` generates ``csresearch synth --accounts N --seed 0`` (no events)
once into ``benchmarks/_data/suite_N`` (gitignored) and reuses it. The
baseline runs with ``PYTHONPATH=<baseline>/src`` in front, so the same
interpreter and packages run the other version of csresearch.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_file import machine, write_section

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
CLI = [sys.executable, "-m", "csresearch.cli"]


def dataset(spec: str, repeats: int) -> tuple[str, Path, int]:
    """(label, folder, repeats) of a dataset argument: a folder or ``synth:N``, optionally ``@R`` repeats."""
    spec, _, r = spec.partition("@")
    repeats = int(r) if r else repeats
    if not spec.startswith("synth:"):
        return Path(spec).name, Path(spec), repeats
    n = int(spec.split(":", 1)[1])
    folder = DATA / f"suite_{n}"
    if not (folder / "dataset.yml").exists():
        subprocess.run([*CLI, "synth", str(folder), "--accounts", str(n), "--seed", "0"], check=True,
                       stdout=subprocess.DEVNULL)
    return f"{n:,} accounts", folder, repeats


def run_once(folder: Path, src: Path | None, jobs: int) -> dict:
    """One suite run; wall seconds, notebook durations, load average before and after."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    out = Path(tempfile.mkdtemp(prefix="bench_suite_"))
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run([*CLI, "run", str(folder), "-o", str(out / "run"), "--jobs", str(jobs)], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - t0
    load1 = os.getloadavg()[0]
    run = json.loads((out / "run" / "run.json").read_text()) if (out / "run" / "run.json").exists() else {}
    shutil.rmtree(out, ignore_errors=True)
    notebooks = {nb["name"]: nb["duration_s"] for nb in run.get("notebooks", [])}
    ok = proc.returncode == 0 and all(nb["status"] == "ok" for nb in run.get("notebooks", []))
    return {"wall": wall, "notebooks": notebooks, "load": (load0, load1), "ok": ok,
            "error": None if ok else proc.stderr.strip().splitlines()[-1:] or ["failed"]}


def summarise(runs: list[dict]) -> dict:
    walls = [r["wall"] for r in runs]
    names = sorted({n for r in runs for n in r["notebooks"]})
    return {"median": statistics.median(walls), "min": min(walls), "max": max(walls), "n": len(runs),
            "ok": all(r["ok"] for r in runs), "load": statistics.median([sum(r["load"]) / 2 for r in runs]),
            "notebooks": {n: statistics.median([r["notebooks"][n] for r in runs if n in r["notebooks"]]) for n in names}}


def table(results: dict, versions: list[str]) -> str:
    lines = ["| dataset | version | median s | min-max s | runs | load avg (median) | all ok |", "|---|---|---|---|---|---|---|"]
    for label, by_version in results.items():
        for v in versions:
            s = by_version[v]
            lines.append(f"| {label} | {v} | {s['median']:.1f} | {s['min']:.1f}-{s['max']:.1f} | {s['n']} | "
                         f"{s['load']:.1f} | {'yes' if s['ok'] else 'NO'} |")
    names = sorted({n for by_version in results.values() for s in by_version.values() for n in s["notebooks"]})
    cols = [(label, v) for label in results for v in versions]
    lines += ["", "Median duration of each notebook (s; from run.json, notebooks run 2 at a time):", "",
              "| notebook | " + " | ".join(f"{label} {v}" for label, v in cols) + " |",
              "|---|" + "---|" * len(cols)]
    for n in names:
        cells = [results[label][v]["notebooks"].get(n) for label, v in cols]
        lines.append(f"| {n} | " + " | ".join("-" if c is None else f"{c:.1f}" for c in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("datasets", nargs="+", help="dataset folders or synth:N")
    ap.add_argument("--baseline", type=Path, help="another checkout (source tree) to run side by side")
    ap.add_argument("--baseline-label", default="main")
    ap.add_argument("--label", default="this branch")
    ap.add_argument("--src", type=Path, help="run this version from a copy of its tree (default: the installed csresearch)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--write-results", action="store_true")
    args = ap.parse_args()
    sets = [dataset(d, args.repeats) for d in args.datasets]
    versions = {args.label: args.src, **({args.baseline_label: args.baseline} if args.baseline else {})}
    runs: dict[str, dict[str, list[dict]]] = {label: {v: [] for v in versions} for label, _, _ in sets}
    for r in range(max(n for _, _, n in sets)):
        order = list(versions) if r % 2 == 0 else list(reversed(versions))
        for label, folder, n in sets:
            if r >= n:
                continue
            for v in order:
                res = run_once(folder, versions[v], args.jobs)
                runs[label][v].append(res)
                print(f"run {r + 1}/{n} {label:>16} {v:>12}: {res['wall']:6.1f} s  load "
                      f"{res['load'][0]:.1f}->{res['load'][1]:.1f}  {'ok' if res['ok'] else res['error']}", flush=True)
    results = {label: {v: summarise(runs[label][v]) for v in versions} for label, _, _ in sets}
    text = table(results, list(versions))
    print(text)
    if args.write_results:
        m = machine()
        header = (f"## The suite, `csresearch run DATA --jobs {args.jobs}` (`bench_suite.py`)\n\n"
                  f"Written by `benchmarks/bench_suite.py --write-results` on {datetime.now():%Y-%m-%d %H:%M}; "
                  f"runs per dataset and version as shown, alternating"
                  f"{f' ({args.label} vs {args.baseline_label}, same interpreter and packages)' if args.baseline else ''}; "
                  f"the machine is shared (load average shown; compare medians).\n\n"
                  f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; {m['os']}; Python {m['python']}.\n")
        write_section("suite", header + "\n" + text)


if __name__ == "__main__":
    main()
