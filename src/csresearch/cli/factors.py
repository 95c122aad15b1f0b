"""``csresearch factors TABLE --label COL -o OUT``: churn factors of a flat table (see :mod:`csresearch.factors`)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import friendly_errors

__all__ = ["factors"]


@click.command()
@click.argument("table", type=click.Path(path_type=Path))
@click.option("--label", required=True, help="Churn label column.")
@click.option("--positive", default=None, help="Label value that means churned (needed unless yes/no, true/false or 1/0).")
@click.option("--id", "id_col", default=None, help="Customer id column (excluded from the factors).")
@click.option("--duration", default=None, help="Time-observed column for survival analysis.")
@click.option("--exclude", multiple=True, help="Columns to leave out (repeatable).")
@click.option("--group", default=None, help="Column to group cross-validation folds by.")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Folder for factors.html and factors.json.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of folds, models, permutations and bootstraps.")
@click.option("--sep", default=None,
              help="CSV field separator: ',', ';' or 'tab' (default: detected from the first lines).")
@click.option("--actionable", multiple=True,
              help="Column a team can act on (repeatable, or comma-separated); KPIs are chosen only among these "
                   "(default: numeric factors except identifiers and tenure-like or contract-length columns).")
@click.option("--min-group-size", type=int, default=5, show_default=True,
              help="Levels with fewer customers are shown without their counts, rates or ratios (at least 5 "
                   "unless --include-ids).")
@click.option("--include-ids", is_flag=True,
              help="Internal report: allow --min-group-size below 5 (0 or 1 turns suppression off).")
@friendly_errors
def factors(table: Path, label: str, positive: str | None, id_col: str | None, duration: str | None,
            exclude: tuple[str, ...], group: str | None, out_dir: Path, seed: int, sep: str | None,
            actionable: tuple[str, ...], min_group_size: int, include_ids: bool) -> None:
    """Churn-factor analysis of a flat TABLE (one row per customer with a churn label)."""
    from ..factors import analyze_factors_file
    from ..narrative import describe_interval

    report, html_path, json_path = analyze_factors_file(table, label=label, positive=positive, id_col=id_col,
                                                        duration=duration, exclude=list(exclude), group=group,
                                                        out_dir=out_dir, seed=seed, sep=sep,
                                                        actionable=[c.strip() for a in actionable for c in a.split(",")
                                                                    if c.strip()] or None,
                                                        min_group_size=min_group_size, include_ids=include_ids)
    km = f" (Kaplan-Meier at {duration} {report.survival['times'][-1]:g})" if report.survival else ""
    click.echo(f"wrote {html_path} and {json_path}")
    click.echo(f"  {report.n:,} customers; churn rate {describe_interval(report.churn_rate, 'percent')}{km}")
    click.echo(f"  cross-validated AUC {describe_interval(report.factors.cv_auc)} ({report.factors.chosen_model})")
    click.echo(f"  top factors: {', '.join(report.ranking[:3]) or 'none'}")
