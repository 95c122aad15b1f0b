"""Permutation importance (AUC drop) with scikit-learn's permutations, predicted in a few large batches.

``sklearn.inspection.permutation_importance(estimator, X, y, scoring="roc_auc",
n_repeats, random_state)`` scores one permuted copy of ``X`` at a time: with
the suite's pipelines most of that time is per-call overhead (column
transformer, input checks, the scorer). :func:`permutation_drops` makes the
same permutations (the same seeds, each column re-shuffled cumulatively over
the repeats), stacks many permuted copies into one frame, calls
``decision_function`` once per batch and takes each copy's AUC with
:func:`~csresearch.analysis.association.rank_auc` (equal to ``roc_auc_score``
of the decision function, which is what the ``roc_auc`` scorer uses).
Predictions are row by row, so each copy gets the scores it would get alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .association import rank_auc

__all__ = ["permutation_drops"]


def _permutations(n_rows: int, n_columns: int, n_repeats: int, seed: int) -> list[tuple[int, np.ndarray]]:
    """(column, row order) of every permuted copy, as scikit-learn draws them."""
    seed_of_columns = np.random.RandomState(seed).randint(np.iinfo(np.int32).max + 1)
    out = []
    for j in range(n_columns):
        rng = np.random.RandomState(seed_of_columns)
        shuffle, order = np.arange(n_rows), np.arange(n_rows)
        for _ in range(n_repeats):
            rng.shuffle(shuffle)
            order = order[shuffle]  # the column is permuted again on top of the previous repeat
            out.append((j, order))
    return out


def permutation_drops(estimator: Any, X: pd.DataFrame, y: np.ndarray, n_repeats: int, seed: int,
                      max_rows: int = 250_000) -> np.ndarray:
    """Mean drop in AUC when each column of ``X`` is permuted (``importances_mean`` of scikit-learn's).

    Parameters
    ----------
    estimator : fitted classifier with ``decision_function``
    X : DataFrame
        Test rows.
    y : ndarray
        0/1 outcome of the rows.
    n_repeats : int
        Permutations per column.
    seed : int
        scikit-learn's ``random_state``.
    max_rows : int
        Rows predicted per call at most (memory bound).

    Returns
    -------
    ndarray
        One mean AUC drop per column.
    """
    n = len(X)
    baseline = rank_auc(y, estimator.decision_function(X))
    copies = _permutations(n, X.shape[1], n_repeats, seed)
    scores = np.empty(len(copies))
    per_call = max(1, max_rows // max(n, 1))
    for start in range(0, len(copies), per_call):
        batch = copies[start:start + per_call]
        frames = []
        for j, order in batch:
            frame = X.copy()
            column = X.columns[j]
            frame[column] = X[column].iloc[order].set_axis(X.index)
            frames.append(frame)
        decision = estimator.decision_function(pd.concat(frames, ignore_index=True))
        for k in range(len(batch)):
            scores[start + k] = rank_auc(y, decision[k * n:(k + 1) * n])
    return (baseline - scores.reshape(X.shape[1], n_repeats)).mean(axis=1)
