"""Regenerate the bundled sample dataset: ``python -m csresearch.synth.sample data/sample``.

The sample is the default scenario with 4,000 accounts, seed 0, written as CSV;
running this again gives byte-identical files.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .generate import generate_dataset

__all__ = ["SAMPLE_ACCOUNTS", "SAMPLE_SEED", "write_sample"]

SAMPLE_ACCOUNTS = 4000
SAMPLE_SEED = 0


def write_sample(out_dir: str | Path) -> Path:
    """Write the sample dataset (default scenario, 4,000 accounts, seed 0, CSV) to ``out_dir``."""
    data = generate_dataset(n_accounts=SAMPLE_ACCOUNTS, seed=SAMPLE_SEED, name="sample")
    return data.write(out_dir, fmt="csv")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    from ..errors import CsResearchError

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m csresearch.synth.sample OUT_DIR", file=sys.stderr)
        return 2
    try:
        out = write_sample(args[0])
    except CsResearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"wrote {out}: {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
