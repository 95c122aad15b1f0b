"""Confidence intervals for proportions, their differences and ratios; bootstrap; BH.

Closed-form intervals come from statsmodels; only the cluster (account)
bootstrap resampling is written here because no library resamples whole
clusters for an arbitrary statistic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from ..errors import ParameterError
from .results import Interval

__all__ = [
    "bh_qvalues",
    "bootstrap_interval",
    "bootstrap_weights",
    "cluster_resampler",
    "newcombe_difference",
    "percentile_interval",
    "risk_ratio_katz",
    "weighted_bootstrap_draws",
    "weighted_bootstrap_interval",
    "wilson_interval",
]

WILSON = "Wilson score interval"
NEWCOMBE = "Newcombe hybrid score interval (method 10) for p1 - p2"
KATZ = "risk ratio with Katz log interval"


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ParameterError(f"confidence level must be strictly between 0 and 1, got {level!r}")


def _check_counts(successes: int, n: int, name: str = "") -> None:
    if n < 0 or successes < 0 or successes > n:
        raise ParameterError(f"invalid counts{name}: successes={successes}, n={n} (need 0 <= successes <= n)")


def wilson_interval(successes: int, n: int, level: float = 0.95) -> Interval:
    """Proportion ``successes / n`` with its Wilson score interval.

    Parameters
    ----------
    successes : int
        Number of events.
    n : int
        Number of trials; 0 gives an unavailable interval.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    Interval
    """
    _check_level(level)
    successes, n = int(successes), int(n)
    _check_counts(successes, n)
    if n == 0:
        return Interval.unavailable("no observations (n = 0)", method=WILSON, n=0, level=level)
    low, high = proportion_confint(successes, n, alpha=1 - level, method="wilson")
    return Interval(successes / n, low, high, level=level, method=WILSON, n=n)


def newcombe_difference(successes1: int, n1: int, successes2: int, n2: int, level: float = 0.95) -> Interval:
    """Difference of two independent proportions ``p1 - p2`` with Newcombe's hybrid score interval.

    Combines the two Wilson intervals (Newcombe 1998, method 10):
    ``d - sqrt((p1-l1)^2 + (u2-p2)^2)`` to ``d + sqrt((u1-p1)^2 + (p2-l2)^2)``.
    """
    _check_level(level)
    _check_counts(successes1, n1, " (group 1)")
    _check_counts(successes2, n2, " (group 2)")
    if n1 == 0 or n2 == 0:
        return Interval.unavailable("a group has no observations", method=NEWCOMBE, n=n1 + n2, level=level)
    low, high = confint_proportions_2indep(
        successes1, n1, successes2, n2, method="newcomb", compare="diff", alpha=1 - level
    )
    return Interval(successes1 / n1 - successes2 / n2, low, high, level=level, method=NEWCOMBE, n=n1 + n2)


def risk_ratio_katz(successes1: int, n1: int, successes2: int, n2: int, level: float = 0.95) -> Interval:
    """Risk ratio ``p1 / p2`` with the Katz log interval.

    ``exp(log RR +- z * sqrt(1/a - 1/n1 + 1/c - 1/n2))``; unavailable when a
    group has no events (the log interval is undefined there).
    """
    _check_level(level)
    _check_counts(successes1, n1, " (group 1)")
    _check_counts(successes2, n2, " (group 2)")
    if n1 == 0 or n2 == 0:
        return Interval.unavailable("a group has no observations", method=KATZ, n=n1 + n2, level=level)
    if successes1 == 0 or successes2 == 0:
        return Interval.unavailable(
            "a group has no events; the log interval of a risk ratio is undefined", method=KATZ, n=n1 + n2, level=level
        )
    low, high = confint_proportions_2indep(
        successes1, n1, successes2, n2, method="log", compare="ratio", alpha=1 - level
    )
    return Interval((successes1 / n1) / (successes2 / n2), low, high, level=level, method=KATZ, n=n1 + n2)


def cluster_resampler(groups: Sequence[Any], rng: np.random.Generator
                      ) -> tuple[int, Callable[[], tuple[np.ndarray, np.ndarray]]]:
    """Number of clusters and a function drawing one cluster resample.

    Each call of the returned function draws as many clusters as there are,
    with replacement, and returns the row indices of the drawn clusters and,
    for each of those rows, which drawn copy (0 .. n_clusters - 1) it belongs
    to, so that a cluster drawn twice counts as two clusters downstream.
    """
    codes, _ = pd.factorize(pd.Series(groups), use_na_sentinel=False)
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    n_units = len(sizes)

    def draw() -> tuple[np.ndarray, np.ndarray]:
        chosen = rng.integers(0, n_units, n_units)
        lens = sizes[chosen]
        ends = np.cumsum(lens)
        pos = np.arange(ends[-1]) + np.repeat(starts[chosen] - (ends - lens), lens)
        return order[pos], np.repeat(np.arange(n_units), lens)

    return n_units, draw


def _cluster_sampler(groups: Sequence[Any], rng: np.random.Generator) -> tuple[int, Callable[[], np.ndarray]]:
    """Number of clusters and a function drawing row indices of a cluster resample (:func:`cluster_resampler`)."""
    n_units, draw = cluster_resampler(groups, rng)
    return n_units, lambda: draw()[0]


def _take(data: Any, idx: np.ndarray) -> Any:
    if isinstance(data, (pd.DataFrame, pd.Series)):
        return data.iloc[idx]
    return np.asarray(data)[idx]


def _bootstrap_method(n_boot: int, seed: int | None, groups: Any, level: float, method: str | None) -> str:
    """Check the bootstrap settings and return the method statement (the given one, or the default)."""
    _check_level(level)
    if n_boot < 2:
        raise ParameterError(f"n_boot must be at least 2, got {n_boot}")
    kind = "cluster " if groups is not None else ""
    return method or f"percentile {kind}bootstrap ({n_boot} resamples, seed {seed})"


def _percentile_interval(estimate: float, stats: np.ndarray, n_boot: int, n_units: int, level: float,
                         method: str) -> Interval:
    """The percentile interval of the finite resampled ``stats``; unavailable when fewer than half are finite."""
    stats = stats[np.isfinite(stats)]
    if len(stats) < n_boot / 2 or not np.isfinite(estimate):
        return Interval.unavailable(
            "the statistic is not computable on most resamples (too few rows or one class only)",
            method=method,
            n=n_units,
            level=level,
        )
    alpha = 1 - level
    low, high = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return Interval(estimate, low, high, level=level, method=method, n=n_units)


def bootstrap_interval(
    func: Callable[[Any], float],
    data: Any,
    n_boot: int = 1000,
    seed: int | None = 0,
    groups: Sequence[Any] | None = None,
    level: float = 0.95,
    method: str | None = None,
) -> Interval:
    """Percentile bootstrap interval of ``func(data)``.

    Parameters
    ----------
    func : callable
        Statistic of a resample of ``data``; returns a float (NaN allowed).
    data : DataFrame, Series or array
        Rows to resample.
    n_boot : int, default 1000
        Number of resamples.
    seed : int, optional
        Seed of the random generator (reproducible intervals).
    groups : sequence, optional
        Cluster label of each row (e.g. account_id). When given, whole clusters
        are resampled with replacement (cluster bootstrap), so rows of one
        account stay together and the interval reflects between-account variation.
    level : float, default 0.95
        Confidence level.
    method : str, optional
        Description to store; defaults to a statement of the bootstrap used.

    Returns
    -------
    Interval
        Point estimate ``func(data)`` and the percentile interval of the
        resampled statistics (resamples giving NaN are dropped; unavailable
        when fewer than half are finite).
    """
    n_rows = len(data)
    method = _bootstrap_method(n_boot, seed, groups, level, method)
    if n_rows == 0:
        return Interval.unavailable("no observations", method=method, n=0, level=level)
    estimate = float(func(data))
    rng = np.random.default_rng(seed)
    if groups is not None:
        if len(groups) != n_rows:
            raise ParameterError(f"groups has {len(groups)} labels but data has {n_rows} rows")
        n_units, draw = _cluster_sampler(groups, rng)
        draws = (draw() for _ in range(n_boot))
    else:
        n_units = n_rows
        draws = (rng.integers(0, n_rows, n_rows) for _ in range(n_boot))
    stats = np.array([float(func(_take(data, idx))) for idx in draws])
    return _percentile_interval(estimate, stats, n_boot, n_units, level, method)


def bootstrap_weights(n_rows: int, n_boot: int, seed: int | None = 0, groups: Sequence[Any] | None = None,
                      max_cells: int = 1 << 22) -> Iterator[np.ndarray]:
    """The resamples of :func:`bootstrap_interval` as row weights, in chunks.

    Resample ``b`` is the same draw that :func:`bootstrap_interval` (with the
    same ``seed`` and ``groups``) makes, given as how many times each row is in
    it: row ``i`` of cluster ``c`` gets the number of times ``c`` was drawn.
    Any statistic that is a function of the multiset of rows (a rank
    correlation, an AUC, a mean) equals its weighted form with these weights,
    so it can be computed for many resamples at once without copying rows.

    Parameters
    ----------
    n_rows : int
        Rows of the data.
    n_boot : int
        Number of resamples.
    seed : int, optional
        Seed of the random generator.
    groups : sequence, optional
        Cluster label of each row (whole clusters are resampled); None: rows.
    max_cells : int
        At most this many weights per chunk (memory bound).

    Yields
    ------
    ndarray
        ``(b, n_rows)`` float weights of the next ``b`` resamples.
    """
    rng = np.random.default_rng(seed)
    if groups is None:
        codes, n_units = np.arange(n_rows), n_rows
    else:
        codes, _ = pd.factorize(pd.Series(groups), use_na_sentinel=False)
        n_units = int(codes.max()) + 1 if len(codes) else 0
    step = max(1, max_cells // max(n_rows, 1))
    for start in range(0, n_boot, step):
        counts = np.empty((min(step, n_boot - start), n_units))
        for k in range(len(counts)):
            counts[k] = np.bincount(rng.integers(0, n_units, n_units), minlength=n_units)
        yield counts[:, codes]


def weighted_bootstrap_interval(
    stat: Callable[[np.ndarray], np.ndarray],
    n_rows: int,
    n_boot: int = 1000,
    seed: int | None = 0,
    groups: Sequence[Any] | None = None,
    level: float = 0.95,
    method: str | None = None,
) -> Interval:
    """:func:`bootstrap_interval` for a statistic computed from row weights, many resamples at once.

    Parameters
    ----------
    stat : callable
        ``stat(W)`` for a ``(b, n_rows)`` matrix of row weights (one resample
        per row of ``W``, see :func:`bootstrap_weights`) returns the ``b``
        statistics; with weights 1 it must be the statistic of the data.
    n_rows, n_boot, seed, groups, level, method
        As in :func:`bootstrap_interval`.

    Returns
    -------
    Interval
        The same resamples, estimate and percentile interval as
        :func:`bootstrap_interval` with the equivalent unweighted statistic
        (equal up to floating-point rounding).
    """
    method = _bootstrap_method(n_boot, seed, groups, level, method)
    if n_rows == 0:
        return Interval.unavailable("no observations", method=method, n=0, level=level)
    estimate, stats, n_units = weighted_bootstrap_draws(lambda w: np.asarray(stat(w), dtype="float64")[:, None], n_rows,
                                                        n_boot, seed, groups)
    return _percentile_interval(float(estimate[0]), stats[:, 0], n_boot, n_units, level, method)


def weighted_bootstrap_draws(stats: Callable[[np.ndarray], np.ndarray], n_rows: int, n_boot: int = 1000,
                             seed: int | None = 0, groups: Sequence[Any] | None = None
                             ) -> tuple[np.ndarray, np.ndarray, int]:
    """Several statistics on the same resamples (:func:`bootstrap_weights`): estimates and every draw.

    Paired comparisons (the difference of two AUCs on the same data) take
    their intervals from the same draws (:func:`percentile_interval` of the
    column differences), so the pairing of the rows is kept.

    Parameters
    ----------
    stats : callable
        ``stats(W)`` for a ``(b, n_rows)`` weight matrix returns ``(b, k)``:
        ``k`` statistics of each resample (with weights 1: of the data).
    n_rows, n_boot, seed, groups
        As in :func:`bootstrap_interval`.

    Returns
    -------
    (estimates, draws, n_units) : (ndarray, ndarray, int)
        The ``k`` statistics of the data, the ``(n_boot, k)`` resampled ones
        and the number of resampled units (rows or clusters).
    """
    if groups is not None and len(groups) != n_rows:
        raise ParameterError(f"groups has {len(groups)} labels but data has {n_rows} rows")
    n_units = n_rows if groups is None else int(pd.Series(groups).nunique(dropna=False))
    estimates = np.asarray(stats(np.ones((1, n_rows))), dtype="float64")[0]
    draws = np.concatenate([np.asarray(stats(w), dtype="float64") for w in bootstrap_weights(n_rows, n_boot, seed, groups)])
    return estimates, draws, n_units


def percentile_interval(estimate: float, draws: np.ndarray, n_units: int, level: float = 0.95,
                        method: str = "") -> Interval:
    """The percentile interval of resampled ``draws`` around ``estimate`` (NaN draws dropped).

    Unavailable when fewer than half of the draws are finite or the estimate is not.
    """
    _check_level(level)
    return _percentile_interval(estimate, np.asarray(draws, dtype="float64"), len(draws), n_units, level, method)


def bh_qvalues(pvals: Sequence[float] | pd.Series) -> np.ndarray | pd.Series:
    """Benjamini-Hochberg q-values (false discovery rate adjusted p-values).

    NaN p-values stay NaN and do not count as tests. A Series keeps its index.
    """
    p = np.asarray(pvals, dtype="float64")
    q = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        if ((p[ok] < 0) | (p[ok] > 1)).any():
            raise ParameterError("p-values must lie in [0, 1]")
        q[ok] = multipletests(p[ok], method="fdr_bh")[1]
    if isinstance(pvals, pd.Series):
        return pd.Series(q, index=pvals.index, name=pvals.name)
    return q
