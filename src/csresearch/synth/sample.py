"""The bundled sample dataset (``make sample`` = ``python -m csresearch.cli.sample data/sample``).

The sample is the default scenario with 4,000 accounts, seed 0, written as CSV;
running this again gives byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

from .generate import generate_dataset

__all__ = ["SAMPLE_ACCOUNTS", "SAMPLE_SEED", "write_sample"]

SAMPLE_ACCOUNTS = 4000
SAMPLE_SEED = 0


def write_sample(out_dir: str | Path) -> Path:
    """Write the sample dataset (default scenario, 4,000 accounts, seed 0, CSV) to ``out_dir``."""
    data = generate_dataset(n_accounts=SAMPLE_ACCOUNTS, seed=SAMPLE_SEED, name="sample")
    return data.write(out_dir, fmt="csv")
