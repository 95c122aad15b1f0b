"""Churn-factor analysis of any flat table: ``csresearch factors``.

One row per customer with a churn label: the table is read (never modified),
cleaned with a note for every change (:mod:`.cleaning`), analysed by the suite's
factor model (:mod:`csresearch.analysis.churn_model`), optionally with survival
methods when a duration column is given (:mod:`.survival`), and written as
``factors.json`` and a self-contained ``factors.html`` (:mod:`.report`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from ..analysis.churn_model import ChurnFactorModel
from ..analysis.intervals import wilson_interval
from ..errors import InputError
from .cleaning import clean_table, read_table
from .report import FactorsReport, write_report
from .survival import survival_section

__all__ = ["FactorsReport", "analyze_factors", "analyze_factors_file"]


def analyze_factors(frame: pd.DataFrame, label: str, positive: str | None = None, id_col: str | None = None,
                    duration: str | None = None, exclude: Sequence[str] = (), group: str | None = None,
                    seed: int = 0, **model_params) -> FactorsReport:
    """Churn-factor analysis of a flat table (one row per customer).

    Parameters
    ----------
    frame : DataFrame
        The table; not modified.
    label : str
        Churn label column: Yes/No, True/False, 1/0 or any two values with ``positive``.
    positive : str, optional
        Label value meaning churned.
    id_col : str, optional
        Customer id column: excluded from the factors, used to group CV folds.
    duration : str, optional
        Time-observed column; adds Kaplan-Meier, log-rank and Cox results.
    exclude : sequence of str
        Columns to leave out.
    group : str, optional
        Column grouping cross-validation folds (default the id column, else rows).
    seed : int, default 0
        Seed of folds, models, permutations and bootstraps.
    **model_params
        Passed to :class:`~csresearch.analysis.churn_model.ChurnFactorModel`.

    Returns
    -------
    FactorsReport

    Raises
    ------
    InputError
        For every data problem (unknown column, bad label, one class, too few rows).
    """
    clean = clean_table(frame, label, positive=positive, id_col=id_col, duration=duration,
                        exclude=exclude, group=group)
    model = ChurnFactorModel(random_state=seed, **model_params).fit(clean.X, clean.y, clean.groups)
    result = model.result_
    survival = None
    if duration is not None:
        survival = survival_section(clean.X, clean.y, clean.duration, result.ranking, duration)
    params = {"label": label, "positive": positive, "id": id_col, "duration": duration,
              "exclude": list(exclude), "group": group, "seed": seed}
    notes = clean.notes + result.notes + (survival["notes"] if survival else [])
    return FactorsReport(n=len(clean.y), churn_rate=wilson_interval(int(clean.y.sum()), len(clean.y)),
                         factors=result, survival=survival, notes=notes, parameters=params)


def analyze_factors_file(table: Path, label: str, positive: str | None = None, id_col: str | None = None,
                         duration: str | None = None, exclude: Sequence[str] = (), group: str | None = None,
                         out_dir: Path = Path("."), seed: int = 0) -> tuple[FactorsReport, Path, Path]:
    """``csresearch factors``: analyse ``table`` and write OUT_DIR/factors.html and OUT_DIR/factors.json.

    Earlier outputs in ``out_dir`` are removed before the analysis starts, and the
    new ones are written by rename, so a failed run never leaves a factors.json
    that looks successful.

    Returns
    -------
    (FactorsReport, Path, Path)
        The analysis, and the HTML and JSON files written.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"-o {out_dir}: exists and is not a folder")
    for name in ("factors.json", "factors.html"):
        (out_dir / name).unlink(missing_ok=True)
    frame = read_table(Path(table))
    report = analyze_factors(frame, label, positive=positive, id_col=id_col, duration=duration,
                             exclude=exclude, group=group, seed=seed)
    report.parameters["table"] = str(table)
    return (report, *write_report(report, out_dir))
