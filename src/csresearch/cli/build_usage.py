"""``csresearch build-usage EVENTS... -o OUT``: aggregate raw events into usage_monthly and print a summary."""

from __future__ import annotations

from pathlib import Path

import click

from .common import friendly_errors

__all__ = ["build_usage", "usage_summary_line"]


@click.command("build-usage")
@click.argument("events", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="usage_monthly .parquet or .csv to write.")
@click.option("--memory-limit", default=None, help="DuckDB memory limit, e.g. 4GB.")
@click.option("--threads", type=int, default=None, help="DuckDB threads (default: all cores).")
@friendly_errors
def build_usage(events: tuple[str, ...], output: Path, memory_limit: str | None, threads: int | None) -> None:
    """Aggregate raw EVENTS (Parquet/CSV files, folders or globs) into usage_monthly, out of core."""
    from ..events import write_usage_file

    result = write_usage_file(list(events), output, memory_limit=memory_limit, threads=threads)
    click.echo(usage_summary_line(result, output))


def usage_summary_line(result, output: Path) -> str:
    """One line saying what :func:`csresearch.events.write_usage_file` read and wrote.

    Parameters
    ----------
    result : UsageBuild
        The build that was written.
    output : Path
        The file written.

    Returns
    -------
    str
    """
    s = result.summary.iloc[0]
    span = f" ({s.first_month:%Y-%m}..{s.last_month:%Y-%m})" if s.rows else ""
    skipped = f", {s.skipped_events:,} skipped (null/unparsable account_id or timestamp)" if s.skipped_events else ""
    return (f"usage_monthly: {s.rows:,} rows, {s.accounts:,} accounts, {s.months:,} months{span} "
            f"from {s.input_events:,} events{skipped} in {result.seconds:.1f} s -> {output}")
