"""``csresearch validate DATA_DIR``: print the contract report, exit 0 when valid, 2 when not."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import DatasetNotFoundError
from .common import friendly_errors

__all__ = ["validate", "validate_command"]


@click.command()
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of text.")
@friendly_errors
def validate(data_dir: Path, as_json: bool) -> None:
    """Check DATA_DIR against the data contract; exit 0 when valid, 2 when not."""
    sys.exit(validate_command(data_dir, as_json=as_json))


def _json_default(value: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() and value.tz is None else value.isoformat()
    if isinstance(value, (np.generic,)):
        return value.item()
    return str(value)


def validate_command(data_dir: str | Path, as_json: bool = False) -> int:
    """Load ``data_dir``, print its validation report, return the exit code.

    Parameters
    ----------
    data_dir : str or Path
        The dataset folder.
    as_json : bool, default False
        Print the report as JSON (``ValidationReport.to_dict``) instead of text.

    Returns
    -------
    int
        0 when the dataset is valid, 2 when it breaks a rule or the folder is missing.
    """
    from ..dataset import load_dataset
    from ..validation import validate_dataset

    try:
        ds = load_dataset(data_dir)
    except DatasetNotFoundError as exc:
        if as_json:
            click.echo(json.dumps({"dataset": str(data_dir), "valid": False, "error": str(exc), "violations": []}))
        click.echo(f"error: {exc}", err=True)
        return 2
    report = validate_dataset(ds)
    if as_json:
        click.echo(json.dumps(report.to_dict(), default=_json_default, indent=2))
    else:
        click.echo(report.format_text())
    return 0 if report.is_valid else 2
