"""Several scores of the same rows side by side: AUC or rank correlation, ranked, with paired differences.

Each score is evaluated on the same rows (those every score has a value for)
and on the same bootstrap resamples (:func:`~csresearch.analysis.intervals.weighted_bootstrap_draws`,
whole accounts resampled when ``groups`` is given), so the difference of two
scores' statistics has a paired percentile interval: the interval of the
per-resample differences. This is the bootstrap counterpart of DeLong's test
for correlated AUCs, and it also covers a binary rule (whose AUC is
``(sensitivity + specificity) / 2``) and rows clustered in accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .intervals import percentile_interval, weighted_bootstrap_draws
from .results import AnalysisResult, Interval
from .weighted_ranks import WeightedRanks, ranks_correlation, weighted_auc

__all__ = ["ScoreComparison", "compare_aucs", "compare_rank_correlations"]


@dataclass
class ScoreComparison(AnalysisResult):
    """One statistic of several scores on the same rows, ranked, with paired differences.

    ``summary`` has one row per score in rank order: ``estimate``, ``ci_low``,
    ``ci_high``, ``rank`` (1 = highest), ``p_best`` (share of resamples in
    which the score is the highest), ``vs_best`` and ``vs_reference`` with
    their intervals (``*_low``, ``*_high``).

    Attributes
    ----------
    estimates, vs_best, vs_reference : dict of str to Interval
        The statistic of each score; its difference from the best score and
        from the reference score (absent for the best / the reference itself).
    p_best : dict of str to float
    reference : str
    n_dropped : int
        Rows left out because some score had no value there.
    """

    estimates: dict[str, Interval] = field(default_factory=dict)
    vs_best: dict[str, Interval] = field(default_factory=dict)
    vs_reference: dict[str, Interval] = field(default_factory=dict)
    p_best: dict[str, float] = field(default_factory=dict)
    reference: str = ""
    n_dropped: int = 0
    title = "Scores compared on the same rows"

    def ranking(self) -> list[str]:
        """Score names from the highest statistic down (unavailable ones last)."""
        return list(self.summary.index)

    @property
    def best(self) -> str:
        """The score with the highest statistic."""
        return self.ranking()[0]

    def to_findings(self) -> dict[str, Any]:
        """Per score: estimate, rank, p_best and the two paired differences, as JSON-able dicts."""
        out = {}
        for name in self.ranking():
            rank = self.summary.loc[name, "rank"]
            out[name] = {"estimate": self.estimates[name].to_dict(),
                         "rank": None if pd.isna(rank) else int(rank), "p_best": self.p_best.get(name),
                         "vs_best": self.vs_best[name].to_dict() if name in self.vs_best else None,
                         "vs_reference": self.vs_reference[name].to_dict() if name in self.vs_reference else None}
        return {"method": self.method, "reference": self.reference, "n_dropped": self.n_dropped, "scores": out}


def _ranked(estimates: np.ndarray, names: list[str]) -> list[int]:
    keys = np.where(np.isfinite(estimates), -estimates, np.inf)
    return [int(i) for i in np.argsort(keys, kind="stable")]


def _p_best(draws: np.ndarray) -> np.ndarray:
    finite = np.isfinite(draws).all(axis=1)
    if not finite.any():
        return np.full(draws.shape[1], np.nan)
    winners = np.argmax(draws[finite], axis=1)
    return np.bincount(winners, minlength=draws.shape[1]) / finite.sum()


def _compare(stats: Callable[[np.ndarray], np.ndarray], names: list[str], n_rows: int, groups: Any, reference: str,
             n_boot: int, seed: int | None, level: float, method: str, n_dropped: int) -> ScoreComparison:
    """Estimates, ranks and paired differences of the ``k`` statistics ``stats(W)`` returns."""
    est, draws, n_units = weighted_bootstrap_draws(stats, n_rows, n_boot, seed, groups)
    k = len(names)
    estimates = {names[i]: percentile_interval(est[i], draws[:, i], n_units, level, method) for i in range(k)}
    order = _ranked(est, names)
    best, ref = order[0], names.index(reference)

    def diff(i: int, j: int) -> Interval:
        return percentile_interval(est[i] - est[j], draws[:, i] - draws[:, j], n_units, level,
                                   method + "; difference from the same resamples (paired)")

    vs_best = {names[i]: diff(i, best) for i in range(k) if i != best}
    vs_reference = {names[i]: diff(i, ref) for i in range(k) if i != ref}
    p_best = dict(zip(names, (float(p) for p in _p_best(draws))))
    rows = []
    for rank, i in enumerate(order, start=1):
        e, b, r = estimates[names[i]], vs_best.get(names[i]), vs_reference.get(names[i])
        rows.append({"name": names[i], "estimate": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high,
                     "rank": rank if e.available else np.nan, "p_best": p_best[names[i]],
                     "vs_best": b.estimate if b else np.nan, "vs_best_low": b.ci_low if b else np.nan,
                     "vs_best_high": b.ci_high if b else np.nan, "vs_reference": r.estimate if r else np.nan,
                     "vs_reference_low": r.ci_low if r else np.nan, "vs_reference_high": r.ci_high if r else np.nan})
    notes = [f"{n_dropped:,} rows left out: some score had no value there"] if n_dropped else []
    return ScoreComparison(summary=pd.DataFrame(rows).set_index("name"), method=method, notes=notes,
                           estimates=estimates, vs_best=vs_best, vs_reference=vs_reference, p_best=p_best,
                           reference=reference, n_dropped=n_dropped)


def _prepare(target: Any, scores: Mapping[str, Any], groups: Any, reference: str | None
             ) -> tuple[np.ndarray, dict[str, np.ndarray], Any, str, int]:
    if not scores:
        raise ParameterError("compare at least one score")
    y = np.asarray(target, dtype="float64")
    matrix = {name: np.asarray(s, dtype="float64") for name, s in scores.items()}
    if any(len(s) != len(y) for s in matrix.values()):
        raise ParameterError("every score needs one value per row of the target")
    reference = reference if reference is not None else next(iter(matrix))
    if reference not in matrix:
        raise ParameterError(f"reference {reference!r} is not one of the scores ({', '.join(matrix)})")
    ok = np.isfinite(y) & np.all([np.isfinite(s) for s in matrix.values()], axis=0)
    g = None if groups is None else np.asarray(groups, dtype=object)[ok]
    return y[ok], {n: s[ok] for n, s in matrix.items()}, g, reference, int((~ok).sum())


def _unavailable(matrix: Mapping[str, np.ndarray], reason: str, method: str, reference: str, dropped: int,
                 level: float) -> ScoreComparison:
    n = len(next(iter(matrix.values())))
    nothing = {name: Interval.unavailable(reason, method, n, level) for name in matrix}
    return ScoreComparison(summary=pd.DataFrame({"estimate": np.nan, "rank": np.nan}, index=pd.Index(list(matrix), name="name")),
                           method=method, notes=[reason], estimates=nothing, reference=reference, n_dropped=dropped)


def _method(what: str, groups: Any, n_boot: int, seed: int | None) -> str:
    kind = "cluster bootstrap over accounts" if groups is not None else "bootstrap over rows"
    return f"{what} on the rows every score has a value for; percentile {kind} ({n_boot} resamples, seed {seed})"


def compare_aucs(y_true: Any, scores: Mapping[str, Any], groups: Any = None, reference: str | None = None,
                 n_boot: int = 1000, seed: int | None = 0, level: float = 0.95) -> ScoreComparison:
    """ROC AUC of several scores (higher = more likely positive) for the same outcome, ranked and paired.

    Parameters
    ----------
    y_true : array-like of 0/1
        Outcome per row (1 = positive, e.g. renewed).
    scores : mapping of str to array-like
        Score per row, one array per name; rows where any score is missing are left out.
    groups : array-like, optional
        Cluster (account) of each row; whole clusters are resampled.
    reference : str, optional
        The score the others are compared with (default the first).
    n_boot, seed, level
        Bootstrap resamples, seed and confidence level.

    Returns
    -------
    ScoreComparison
    """
    y, matrix, g, reference, dropped = _prepare(y_true, scores, groups, reference)
    method = _method("ROC AUC (Mann-Whitney, ties half)", groups, n_boot, seed)
    positive = y.astype(bool)
    if min(positive.sum(), (~positive).sum()) < 2:
        return _unavailable(matrix, "fewer than 2 rows of one outcome", method, reference, dropped, level)
    ranks = [WeightedRanks(s) for s in matrix.values()]

    def stats(w: np.ndarray) -> np.ndarray:
        return np.column_stack([weighted_auc(w, positive, r) for r in ranks])

    return _compare(stats, list(matrix), len(y), g, reference, n_boot, seed, level, method, dropped)


def compare_rank_correlations(x: Any, scores: Mapping[str, Any], groups: Any = None, reference: str | None = None,
                              n_boot: int = 1000, seed: int | None = 0, level: float = 0.95) -> ScoreComparison:
    """Spearman correlation of several scores with the same variable ``x`` (e.g. tenure), ranked and paired.

    Parameters as :func:`compare_aucs`, with ``x`` in place of the outcome.
    """
    xv, matrix, g, reference, dropped = _prepare(x, scores, groups, reference)
    method = _method("Spearman rank correlation", groups, n_boot, seed)
    if len(xv) < 3:
        return _unavailable(matrix, "fewer than 3 rows every score has a value for", method, reference, dropped, level)
    rx, ranks = WeightedRanks(xv), [WeightedRanks(s) for s in matrix.values()]

    def stats(w: np.ndarray) -> np.ndarray:
        ranked_x = rx.ranks(w)
        return np.column_stack([ranks_correlation(w, ranked_x, r.ranks(w)) for r in ranks])

    return _compare(stats, list(matrix), len(xv), g, reference, n_boot, seed, level, method, dropped)
