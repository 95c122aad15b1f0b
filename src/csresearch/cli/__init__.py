"""The ``csresearch`` command line: the only layer that prints and sets exit codes.

Every sub-command lives in its own module (:mod:`.validate`, :mod:`.synth`,
:mod:`.build_usage`, :mod:`.run`, :mod:`.factors`, :mod:`.notebooks`) and is thin: it parses
options, calls the library, and turns the returned value into output.
Errors that csresearch raises on purpose
(:class:`~csresearch.errors.CsResearchError`) become a clear message on stderr
and the error's exit code (2 = bad input, 1 = failed run), never a Python
traceback (:func:`.common.friendly_errors`). Sub-commands import the library
lazily so that ``csresearch --help`` stays fast.
"""

from __future__ import annotations

import click

from .build_usage import build_usage
from .factors import factors
from .notebooks import notebooks
from .run import run
from .synth import synth
from .validate import validate

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="csresearch")
def main() -> None:
    """csresearch: what actually predicts churn? Research suite for CS data science."""


for _command in (validate, synth, build_usage, run, factors, notebooks):
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    main()
