"""Churn-factor analysis of any flat table: ``csresearch factors``.

One row per customer with a churn label: the table is read (never modified),
cleaned with a note for every change (:mod:`.cleaning`), analysed by the suite's
factor model (:mod:`csresearch.analysis.churn_model`), optionally with survival
methods when a duration column is given (:mod:`.survival`), and written as
``factors.json`` and a self-contained ``factors.html`` (:mod:`.report`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from ..analysis.churn_model import ChurnFactorModel
from ..analysis.intervals import wilson_interval
from ..errors import InputError, ParameterError
from ..study.suppression import (
    MIN_SHARED_GROUP_SIZE,
    level_terms,
    suppress_factor_levels,
    suppress_findings,
)
from .cleaning import clean_table
from .factor_tests import factor_tests
from .kpis import factor_kpis
from .reading import read_table
from .report import FactorsReport, write_report
from .survival import horizon_status, km_churn_rate, survival_section

__all__ = ["FactorsReport", "analyze_factors", "analyze_factors_file", "check_min_group_size"]


def analyze_factors(frame: pd.DataFrame, label: str, positive: str | None = None, id_col: str | None = None,
                    duration: str | None = None, exclude: Sequence[str] = (), group: str | None = None,
                    seed: int = 0, actionable: Sequence[str] | None = None, min_group_size: int = MIN_SHARED_GROUP_SIZE,
                    include_ids: bool = False, **model_params) -> FactorsReport:
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
        Time-observed column: the churn rate becomes the Kaplan-Meier cumulative
        churn at the longest follow-up, the Cox model ranks the factors, and the
        binary models see churn within a horizon (:func:`.survival.horizon_status`).
    exclude : sequence of str
        Columns to leave out.
    group : str, optional
        Column grouping cross-validation folds (default the id column, else rows).
    seed : int, default 0
        Seed of folds, models, permutations and bootstraps.
    actionable : sequence of str, optional
        Columns a team can act on: the only KPI candidates (default: every numeric
        factor except identifiers and tenure-like columns, see :mod:`.kpis`).
    min_group_size : int, default 5
        Levels (and deciles) with fewer customers are shown without their numbers or notes (the reason instead).
    include_ids : bool, default False
        An internal report: ``min_group_size`` may be below 5 (0 or 1: no suppression).
    **model_params
        Passed to :class:`~csresearch.analysis.churn_model.ChurnFactorModel`
        (``n_kpis``, ``min_share`` and ``n_boot`` also set the KPIs).

    Returns
    -------
    FactorsReport

    Raises
    ------
    InputError
        For every data problem (unknown column, bad label, one class, too few rows); a ``ParameterError``
        for ``min_group_size`` below 5 without ``include_ids``.
    """
    check_min_group_size(min_group_size, include_ids)
    clean = clean_table(frame, label, positive=positive, id_col=id_col, duration=duration,
                        exclude=exclude, group=group)
    notes = list(clean.notes)
    X, y, groups, horizon = _at_horizon(clean, notes) if duration is not None else (clean.X, clean.y, clean.groups, None)
    n_kpis = model_params.pop("n_kpis", 3)
    result = ChurnFactorModel(random_state=seed, n_kpis=0, **model_params).fit(X, y, groups).result_
    result = suppress_factor_levels(result, min_group_size, "customers")
    notes += result.notes
    tests, test_notes = factor_tests(clean.X, clean.y, clean.duration)
    notes += test_notes
    ranking = list(tests.index) if duration is not None else result.ranking
    kpi_params = {k: model_params[k] for k in ("min_share", "n_boot") if k in model_params}
    result.kpis = factor_kpis(X, y, groups, ranking, actionable, n_kpis, notes, seed=seed, **kpi_params)
    survival = None
    if duration is not None:
        survival = survival_section(clean.X, clean.y, clean.duration, ranking, duration)
        survival["horizon"] = horizon
        notes += survival["notes"]
    notes, survival = suppress_findings([notes, survival], min_group_size,
                                        _small_levels(result.univariate), "customers")
    params = {"label": label, "positive": positive, "id": id_col, "duration": duration,
              "exclude": list(exclude), "group": group, "seed": seed,
              "actionable": list(actionable) if actionable else None, "min_group_size": min_group_size}
    share = wilson_interval(int(clean.y.sum()), len(clean.y))
    churn_rate = km_churn_rate(clean.duration, clean.y) if duration is not None else share
    return FactorsReport(n=len(clean.y), churn_rate=churn_rate, share_churned=share, factors=result,
                         factor_tests=tests, ranking=ranking, survival=survival, notes=notes, parameters=params,
                         n_groups=len(clean.y) if clean.groups is None else int(pd.Series(clean.groups).nunique()))


def _at_horizon(clean, notes: list[str]) -> tuple[pd.DataFrame, Any, Any, dict[str, Any]]:
    """Rows whose churn status is known at the horizon, their 0/1 status, groups and the horizon (a note added)."""
    tau, known, y_tau, note = horizon_status(clean.duration, clean.y)
    notes.append(note)
    horizon = {"time": tau, "n_known": int(known.sum()), "n_censored_before": int((~known).sum()),
               "churned_by_horizon": int(y_tau[known].sum())}
    groups = None if clean.groups is None else clean.groups[known]
    return clean.X[known].reset_index(drop=True), y_tau[known], groups, horizon


def check_min_group_size(min_group_size: int, include_ids: bool = False) -> None:
    """Refuse a minimum group size below 5 unless the report is internal (``include_ids``).

    Raises
    ------
    ParameterError
        Naming the value and what allows it.
    """
    if min_group_size < MIN_SHARED_GROUP_SIZE and not include_ids:
        raise ParameterError(f"--min-group-size {min_group_size}: must be at least {MIN_SHARED_GROUP_SIZE} (levels "
                             f"with fewer customers can identify them); a smaller value needs --include-ids")


def _small_levels(univariate: pd.DataFrame) -> dict[str, int]:
    """The suppressed levels of a factor result by term name (``plan[rare]``) -> 1, for :func:`suppress_findings`."""
    if "note" not in univariate:
        return {}
    small = univariate[univariate["note"].notna()]
    return {t: 1 for f, lv in small[["factor", "level"]].itertuples(index=False) for t in level_terms(f, lv)}


def analyze_factors_file(table: Path, label: str, positive: str | None = None, id_col: str | None = None,
                         duration: str | None = None, exclude: Sequence[str] = (), group: str | None = None,
                         out_dir: Path = Path("."), seed: int = 0, sep: str | None = None,
                         actionable: Sequence[str] | None = None, min_group_size: int = MIN_SHARED_GROUP_SIZE,
                         include_ids: bool = False) -> tuple[FactorsReport, Path, Path]:
    """``csresearch factors``: analyse ``table`` and write OUT_DIR/factors.html and OUT_DIR/factors.json.

    ``sep`` is the CSV separator (detected when None); id and group columns are
    read as text exactly as written. The arguments and the table are checked
    and the analysis is done before anything is written: a run that fails (a
    ``--label`` typo, say) leaves the previous factors.html and factors.json as
    they were; a successful one replaces them by rename.

    Returns
    -------
    (FactorsReport, Path, Path)
        The analysis, and the HTML and JSON files written.
    """
    check_min_group_size(min_group_size, include_ids)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"-o {out_dir}: exists and is not a folder")
    read_notes: list[str] = []
    frame = read_table(Path(table), sep=sep, text_columns=[c for c in (id_col, group) if c], notes=read_notes)
    report = analyze_factors(frame, label, positive=positive, id_col=id_col, duration=duration,
                             exclude=exclude, group=group, seed=seed, actionable=actionable,
                             min_group_size=min_group_size, include_ids=include_ids)
    report.notes[:0] = read_notes
    report.parameters["table"] = str(table)
    return (report, *write_report(report, out_dir))
