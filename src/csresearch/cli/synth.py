"""``csresearch synth OUT_DIR``: write a seeded synthetic dataset and print what was written."""

from __future__ import annotations

from pathlib import Path

import click

from .common import friendly_errors

__all__ = ["synth", "synth_command"]


@click.command()
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--accounts", "n_accounts", type=click.IntRange(min=10), default=4000, show_default=True, help="Number of accounts.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed; the same seed gives the same bytes.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True,
              help="File format of the tables.")
@click.option("--events", "with_events", is_flag=True, help="Also write the raw events table usage_monthly is built from.")
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="YAML file overriding planted effect sizes (see docs/synthetic-data.md).")
@click.option("--lang", type=click.Choice(["en", "ja"]), default="en", show_default=True,
              help="Language of the labels: ja writes Japanese segments, touch models, industries and "
                   "company-name account ids (same planted effects).")
@click.option("--encoding", type=click.Choice(["utf-8", "utf-8-sig", "cp932"]), default="utf-8", show_default=True,
              help="Text encoding of the CSV tables (cp932: Shift_JIS as Excel in Japan writes it).")
@friendly_errors
def synth(out_dir: Path, n_accounts: int, seed: int, fmt: str, with_events: bool, scenario: Path | None,
          lang: str, encoding: str) -> None:
    """Write a seeded synthetic contract dataset with planted effects to OUT_DIR."""
    synth_command(out_dir, n_accounts=n_accounts, seed=seed, fmt=fmt, with_events=with_events, scenario=scenario,
                  lang=lang, encoding=encoding)


def synth_command(
    out_dir: str | Path,
    n_accounts: int = 4000,
    seed: int = 0,
    fmt: str = "csv",
    with_events: bool = False,
    scenario: str | Path | None = None,
    lang: str = "en",
    encoding: str = "utf-8",
) -> Path:
    """Generate and write a synthetic dataset (:func:`csresearch.synth.synthesize`), print one line.

    Parameters
    ----------
    out_dir : str or Path
        Target folder (see :func:`csresearch.synth.write_synthetic`).
    n_accounts, seed : int
        Generation arguments.
    fmt : {"csv", "parquet"}
        Table file format.
    with_events : bool
        Also write the raw events table.
    scenario : str or Path, optional
        YAML file overriding Scenario fields.
    lang : {"en", "ja"}
        Language of the labels.
    encoding : {"utf-8", "utf-8-sig", "cp932"}
        Text encoding of the CSV tables.

    Returns
    -------
    Path
        The folder written.
    """
    from ..synth import synthesize

    out = Path(out_dir)
    data = synthesize(out, n_accounts=n_accounts, seed=seed, fmt=fmt, with_events=with_events, scenario=scenario,
                      lang=lang, encoding=encoding)
    rows = ", ".join(f"{k} {n:,}" for k, n in data.row_counts().items())
    click.echo(f"wrote {out} ({fmt}): {rows}")
    return out
