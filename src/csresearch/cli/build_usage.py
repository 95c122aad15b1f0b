"""``csresearch build-usage EVENTS... -o OUT``: aggregate raw events into usage_monthly and print a summary."""

from __future__ import annotations

from pathlib import Path

import click

from .common import friendly_errors

__all__ = ["build_usage", "usage_summary_line"]


@click.command("build-usage")
@click.argument("events", nargs=-1, required=True)
@click.option("-o", "--output", required=True,
              help="usage_monthly .parquet or .csv to write; with --engine spark also a URI (s3a://..., gs://..., hdfs://...).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="duckdb: this machine, out of core; spark: Apache Spark (pip install 'csresearch[spark]', Java 17).")
@click.option("--master", default=None,
              help="Spark master with --engine spark: local[4], spark://host:7077, yarn, k8s://..., or sc://host:15002 "
                   "(Spark Connect). Default: spark-submit's, else local[*].")
@click.option("--conf", "spark_conf", multiple=True, metavar="KEY=VALUE",
              help="Spark setting for a new session with --engine spark (repeatable), e.g. "
                   "spark.jars.packages=org.apache.hadoop:hadoop-aws:3.5.0.")
@click.option("--memory-limit", default=None, help="DuckDB memory limit, e.g. 4GB.")
@click.option("--threads", type=int, default=None, help="DuckDB threads (default: all cores).")
@friendly_errors
def build_usage(events: tuple[str, ...], output: str, engine: str, master: str | None, spark_conf: tuple[str, ...],
                memory_limit: str | None, threads: int | None) -> None:
    """Aggregate raw EVENTS (Parquet/CSV files, folders or globs; with --engine spark Parquet, also URIs) into usage_monthly, out of core (DuckDB) or on Apache Spark."""
    from ..errors import ParameterError

    if engine == "spark":
        if memory_limit is not None or threads is not None:
            raise ParameterError("--memory-limit and --threads are DuckDB options; size Spark with --master and its own settings")
        from ..events_spark import write_usage_file_spark

        result = write_usage_file_spark(list(events), output, master=master, conf=_spark_conf(spark_conf))
    else:
        if master is not None or spark_conf:
            raise ParameterError("--master and --conf need --engine spark")
        from ..events import write_usage_file

        result = write_usage_file(list(events), Path(output), memory_limit=memory_limit, threads=threads)
    click.echo(usage_summary_line(result, output))


def _spark_conf(pairs: tuple[str, ...]) -> dict[str, str]:
    """``KEY=VALUE`` strings as a dict; ParameterError for one without ``=``."""
    from ..errors import ParameterError

    bad = [p for p in pairs if "=" not in p or not p.split("=", 1)[0].strip()]
    if bad:
        raise ParameterError(f"--conf takes KEY=VALUE, got {bad[0]!r}")
    return {k.strip(): v for k, v in (p.split("=", 1) for p in pairs)}


def usage_summary_line(result, output: str | Path) -> str:
    """One line saying what :func:`csresearch.events.write_usage_file` read and wrote.

    Parameters
    ----------
    result : UsageBuild
        The build that was written.
    output : str or Path
        The file (or URI) written.

    Returns
    -------
    str
    """
    s = result.summary.iloc[0]
    span = f" ({s.first_month:%Y-%m}..{s.last_month:%Y-%m})" if s.rows else ""
    skipped = f", {s.skipped_events:,} skipped (null/unparsable account_id or timestamp)" if s.skipped_events else ""
    return (f"usage_monthly: {s.rows:,} rows, {s.accounts:,} accounts, {s.months:,} months{span} "
            f"from {s.input_events:,} events{skipped} in {result.seconds:.1f} s -> {output}")
