"""Rank statistics of weighted resamples: midranks, Spearman correlation and AUC for many resamples at once.

A bootstrap resample holds each row of the data some number of times (its
weight, :func:`csresearch.analysis.intervals.bootstrap_weights`). The midrank
of a row in the resample is the weight of the rows with a smaller value plus
half of (the weight of its ties + 1), so ranks, Spearman's correlation (Pearson
of the ranks) and the Mann-Whitney AUC of a resample follow from the weights
and one sort of the original data: exactly the statistics of the resample,
computed for a block of resamples with array operations instead of one
re-sort and one library call per resample.
"""

from __future__ import annotations

import numpy as np

__all__ = ["WeightedRanks", "ranks_correlation", "weighted_auc", "weighted_spearman"]


class WeightedRanks:
    """One sort of ``values``; :meth:`ranks` gives the midranks of any weighting of its rows.

    Parameters
    ----------
    values : array-like
        Finite values (one per row).
    """

    def __init__(self, values: np.ndarray) -> None:
        v = np.asarray(values, dtype="float64")
        self.order = np.argsort(v, kind="stable")
        sv = v[self.order]
        first = np.r_[True, sv[1:] != sv[:-1]] if len(sv) else np.zeros(0, dtype=bool)
        self.starts = np.flatnonzero(first)
        self.tie_group = np.cumsum(first) - 1

    def ranks(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Midranks ``(b, n)`` of every row in each of the ``b`` weighted resamples, and the distinct values present.

        Parameters
        ----------
        weights : ndarray
            ``(b, n)`` weights (times each row is in each resample).

        Returns
        -------
        (ranks, n_distinct) : (ndarray, ndarray)
            Ranks in the original row order (rows of weight 0 get the rank
            they would have; they count for nothing) and, per resample, how
            many distinct values have positive weight.
        """
        ws = weights[:, self.order]
        tied = np.add.reduceat(ws, self.starts, axis=1)
        below = np.cumsum(tied, axis=1) - tied
        ranks = np.empty_like(ws)
        ranks[:, self.order] = (below + (tied + 1) / 2)[:, self.tie_group]
        return ranks, (tied > 0).sum(axis=1)


def weighted_spearman(weights: np.ndarray, x: WeightedRanks, y: WeightedRanks) -> np.ndarray:
    """Spearman correlation of each weighted resample; NaN with under 3 rows or a constant variable.

    Equals ``scipy.stats.spearmanr`` of the resample that holds row ``i``
    ``weights[b, i]`` times (the Pearson correlation of its midranks).
    """
    return ranks_correlation(weights, x.ranks(weights), y.ranks(weights))


def ranks_correlation(weights: np.ndarray, x: tuple[np.ndarray, np.ndarray], y: tuple[np.ndarray, np.ndarray]
                      ) -> np.ndarray:
    """Spearman correlation of each weighted resample from ranks already computed (:meth:`WeightedRanks.ranks`).

    One variable's ranks can so serve the correlations with several others.
    """
    (rx, kx), (ry, ky) = x, y
    n = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        dx = rx - ((weights * rx).sum(axis=1) / n)[:, None]
        dy = ry - ((weights * ry).sum(axis=1) / n)[:, None]
        r = (weights * dx * dy).sum(axis=1) / np.sqrt((weights * dx * dx).sum(axis=1) * (weights * dy * dy).sum(axis=1))
    r = np.clip(r, -1.0, 1.0)
    return np.where((n >= 3) & (kx > 1) & (ky > 1), r, np.nan)


def weighted_auc(weights: np.ndarray, positive: np.ndarray, score: WeightedRanks) -> np.ndarray:
    """Mann-Whitney AUC (ties half) of ``score`` for ``positive`` in each weighted resample; NaN with one class.

    Equals :func:`csresearch.analysis.association.rank_auc` (and scikit-learn's
    ``roc_auc_score``) of the resample that holds row ``i`` ``weights[b, i]`` times.
    """
    pos = np.asarray(positive, dtype=bool)
    ranks, _ = score.ranks(weights)
    n_pos = weights[:, pos].sum(axis=1)
    n_neg = weights[:, ~pos].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = ((weights[:, pos] * ranks[:, pos]).sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)
