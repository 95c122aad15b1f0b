"""The ``csresearch`` command line.

Every sub-command is thin: it parses options and calls the library. Errors that
csresearch raises on purpose (:class:`~csresearch.errors.CsResearchError`) become
a clear message on stderr and the error's exit code (2 = bad input, 1 = failed
run), never a Python traceback. Sub-commands import their modules lazily so that
``csresearch --help`` stays fast.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from .errors import CsResearchError


def _friendly_errors(func):
    """Turn CsResearchError into a message and an exit code."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CsResearchError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="csresearch")
def main() -> None:
    """csresearch: what actually predicts churn? Research suite for CS data science."""


@main.command()
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of text.")
@_friendly_errors
def validate(data_dir: Path, as_json: bool) -> None:
    """Check DATA_DIR against the data contract; exit 0 when valid, 2 when not."""
    from .validation import validate_command

    sys.exit(validate_command(data_dir, as_json=as_json))


@main.command()
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--accounts", "n_accounts", type=click.IntRange(min=10), default=4000, show_default=True, help="Number of accounts.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed; the same seed gives the same bytes.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("--events", "with_events", is_flag=True, help="Also write the raw events table usage_monthly is built from.")
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="YAML file overriding planted effect sizes (see docs/synthetic-data.md).")
@_friendly_errors
def synth(out_dir: Path, n_accounts: int, seed: int, fmt: str, with_events: bool, scenario: Path | None) -> None:
    """Write a seeded synthetic contract dataset with planted effects to OUT_DIR."""
    from .synth import synth_command

    synth_command(out_dir, n_accounts=n_accounts, seed=seed, fmt=fmt, with_events=with_events, scenario=scenario)


@main.command("build-usage")
@click.argument("events", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="usage_monthly .parquet or .csv to write.")
@click.option("--memory-limit", default=None, help="DuckDB memory limit, e.g. 4GB.")
@click.option("--threads", type=int, default=None, help="DuckDB threads (default: all cores).")
@_friendly_errors
def build_usage(events: tuple[str, ...], output: Path, memory_limit: str | None, threads: int | None) -> None:
    """Aggregate raw EVENTS (Parquet/CSV files, folders or globs) into usage_monthly, out of core."""
    from .events import build_usage_command

    build_usage_command(list(events), output, memory_limit=memory_limit, threads=threads)


@main.command()
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder for the reports.")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Notebook parameter (repeatable).")
@click.option("--params", "params_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="YAML file of parameters.")
@click.option("--only", multiple=True, metavar="NOTEBOOK", help="Run only these notebooks (repeatable).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Notebooks run in parallel.")
@click.option("--show-code", is_flag=True, help="Include code cells in the HTML reports.")
@click.option("--include-ids", is_flag=True, help="Allow account ids and small groups in the HTML reports.")
@_friendly_errors
def run(data_dir: Path, out_dir: Path, params: tuple[str, ...], params_file: Path | None, only: tuple[str, ...],
        jobs: int, show_code: bool, include_ids: bool) -> None:
    """Run every analysis notebook on DATA_DIR and write HTML reports and findings.json."""
    from .runner import run_suite

    sys.exit(run_suite(data_dir, out_dir, params=list(params), params_file=params_file, only=list(only),
                         jobs=jobs, show_code=show_code, include_ids=include_ids))


@main.command()
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite notebooks already in OUT_DIR.")
@_friendly_errors
def notebooks(out_dir: Path, force: bool) -> None:
    """Write the suite's notebooks to OUT_DIR as .ipynb, ready for Jupyter and plain papermill.

    Example: papermill OUT_DIR/01_onboarding_vs_churn.ipynb out.ipynb -p data_dir data/sample -p horizon_years 2
    """
    from .runner.notebooks import export_notebooks

    written = export_notebooks(out_dir, force=force)
    click.echo(f"wrote {len(written)} notebooks to {out_dir}: {', '.join(p.name for p in written)}")


@main.command()
@click.argument("table", type=click.Path(path_type=Path))
@click.option("--label", required=True, help="Churn label column.")
@click.option("--positive", default=None, help="Label value that means churned (needed unless yes/no, true/false or 1/0).")
@click.option("--id", "id_col", default=None, help="Customer id column (excluded from the factors).")
@click.option("--duration", default=None, help="Time-observed column for survival analysis.")
@click.option("--exclude", multiple=True, help="Columns to leave out (repeatable).")
@click.option("--group", default=None, help="Column to group cross-validation folds by.")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), required=True)
@click.option("--seed", type=int, default=0, show_default=True)
@_friendly_errors
def factors(table: Path, label: str, positive: str | None, id_col: str | None, duration: str | None,
            exclude: tuple[str, ...], group: str | None, out_dir: Path, seed: int) -> None:
    """Churn-factor analysis of a flat TABLE (one row per customer with a churn label)."""
    from .factors import factors_command

    factors_command(table, label=label, positive=positive, id_col=id_col, duration=duration,
                    exclude=list(exclude), group=group, out_dir=out_dir, seed=seed)


if __name__ == "__main__":  # pragma: no cover
    main()
