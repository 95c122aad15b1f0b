"""``csresearch run DATA_DIR -o OUT``: run every analysis notebook (see :mod:`csresearch.runner`)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from .. import i18n
from .common import friendly_errors

__all__ = ["run"]


@click.command()
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder for the reports.")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Notebook parameter (repeatable).")
@click.option("--params", "params_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="YAML file of parameters.")
@click.option("--only", multiple=True, metavar="NOTEBOOK", help="Run only these notebooks (repeatable).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Notebooks run in parallel.")
@click.option("--show-code", is_flag=True, help="Include code cells in the HTML reports.")
@click.option("--include-ids", is_flag=True, help="Allow account ids and small groups in the HTML reports.")
@click.option("--lang", type=click.Choice(i18n.languages()), default=i18n.DEFAULT, show_default=True,
              help="Language of the reports, the index and findings.json's sentences (docs/i18n.md).")
@friendly_errors
def run(data_dir: Path, out_dir: Path, params: tuple[str, ...], params_file: Path | None, only: tuple[str, ...],
        jobs: int, show_code: bool, include_ids: bool, lang: str) -> None:
    """Run every analysis notebook on DATA_DIR and write HTML reports and findings.json."""
    from ..runner import run_suite

    with _interruptible() as stopped:
        try:
            code = run_suite(data_dir, out_dir, params=list(params), params_file=params_file, only=list(only),
                             jobs=jobs, show_code=show_code, include_ids=include_ids, lang=lang)
        except KeyboardInterrupt:
            click.echo(f"\ninterrupted ({stopped.get('signal', 'SIGINT')}): no output was replaced; {out_dir} holds the "
                       "previous output, if any", err=True)
            code = 143 if stopped.get("signal") == "SIGTERM" else 130
    sys.exit(code)


@contextmanager
def _interruptible() -> Iterator[dict[str, str]]:
    """Handle SIGTERM (what ``timeout``, CI and ``docker stop`` send) like Ctrl-C: clean up, then exit non-zero."""
    stopped: dict[str, str] = {}

    def on_term(signum: int, frame: object) -> None:
        stopped["signal"] = "SIGTERM"
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield stopped
    finally:
        signal.signal(signal.SIGTERM, previous)
