"""Benchmark: build_features for many (account_id, as_of) points at once.

Usage::

    .venv/bin/python benchmarks/bench_features.py [--data data/sample] [--points 100000] [--repeat 3]

Loads the dataset, draws ``--points`` random (account_id, as_of) pairs with
as_of between each account's signup and extracted_at, and times
``build_features`` (median of ``--repeat`` runs). The target: 100,000 points on
the sample in seconds, not minutes. ``--write-results`` records the result in
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

import csresearch
from csresearch.features import build_features
from results_file import machine, write_section  # benchmarks/ is on sys.path when run as a script


def random_points(ds, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` random points, each between its account's signup and extracted_at."""
    rng = np.random.default_rng(seed)
    acc = ds.accounts
    pick = rng.integers(0, len(acc), n)
    signup = acc["signup_date"].to_numpy()[pick]
    span = (ds.extracted_at.to_datetime64() - signup).astype("timedelta64[D]").astype("int64")
    offset = (rng.random(n) * (span + 1)).astype("int64")
    return pd.DataFrame({"account_id": acc["account_id"].to_numpy()[pick],
                         "as_of": signup + offset.astype("timedelta64[D]")})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/sample")
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write-results", action="store_true", help="write the features section of RESULTS.md")
    args = parser.parse_args()

    t0 = time.perf_counter()
    ds = csresearch.load_dataset(args.data)
    load_s = time.perf_counter() - t0
    points = random_points(ds, args.points)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        frame = build_features(ds, points)
        times.append(time.perf_counter() - t0)
    m = machine()
    lines = [
        "## build_features (`bench_features.py`)",
        "",
        f"Run on {time.strftime('%Y-%m-%d %H:%M')}: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; "
        f"Python {m['python']}, pandas {pd.__version__}.",
        "",
        f"- dataset `{args.data}`: {ds.n_accounts:,} accounts, {len(ds.usage_monthly):,} usage rows "
        f"(load {load_s:.1f} s)",
        f"- `build_features`: {len(frame):,} random (account_id, as_of) points x {frame.shape[1]} features: "
        f"median {statistics.median(times):.2f} s over {args.repeat} runs (min {min(times):.2f} s)",
        f"- target: 100,000 points in seconds, not minutes: {'met' if statistics.median(times) < 60 else 'NOT met'}",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write_results:
        print(f"wrote {write_section('features', text)}")


if __name__ == "__main__":
    main()
