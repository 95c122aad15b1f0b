"""Regenerate the bundled sample dataset: ``python -m csresearch.cli.sample data/sample`` (``make sample``).

The sample is :func:`csresearch.synth.sample.write_sample`: the default
scenario with 4,000 accounts, seed 0, written as CSV; running this again gives
byte-identical files.
"""

from __future__ import annotations

import sys

from ..errors import CsResearchError
from ..synth.sample import write_sample

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Write the sample to the one argument, print its size; return the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m csresearch.cli.sample OUT_DIR", file=sys.stderr)
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
