"""``csresearch notebooks DIR``: the suite's notebooks as .ipynb for Jupyter and plain papermill."""

from __future__ import annotations

from pathlib import Path

import click

from .. import i18n
from .common import friendly_errors

__all__ = ["notebooks"]


@click.command()
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite notebooks already in OUT_DIR.")
@click.option("--lang", type=click.Choice(i18n.languages()), default=i18n.DEFAULT, show_default=True,
              help="Language of the notebooks' text and of their lang parameter (docs/i18n.md).")
@friendly_errors
def notebooks(out_dir: Path, force: bool, lang: str) -> None:
    """Write the suite's notebooks to OUT_DIR as .ipynb, ready for Jupyter and plain papermill.

    Example: papermill OUT_DIR/01_onboarding_vs_churn.ipynb out.ipynb -p data_dir data/sample -p horizon_years 2
    """
    from ..runner.notebooks import export_notebooks

    written = export_notebooks(out_dir, force=force, lang=lang)
    click.echo(f"wrote {len(written)} notebooks to {out_dir}: {', '.join(p.name for p in written)}")
