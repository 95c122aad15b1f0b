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
    transformed = _transformed_once(estimator, X)
    for start in range(0, len(copies), per_call):
        batch = copies[start:start + per_call]
        if transformed is not None:
            decision = _decide_transformed(estimator, *transformed, batch)
        else:
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


#: Transformers that map every value of a column on its own (imputer, scaler, one-hot encoder): the ones
#: :func:`_transformed_once` accepts in the pipeline's column transformer.
_ELEMENTWISE = ("SimpleImputer", "StandardScaler", "OneHotEncoder")


def _elementwise_head(head: Any) -> bool:
    """Whether ``head`` is a column transformer of :data:`_ELEMENTWISE` transformers (alone or in pipelines)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if len(head.steps) != 1 or not isinstance(head[0], ColumnTransformer):
        return False
    for _, transformer, _ in head[0].transformers_:
        if transformer in ("drop", "passthrough"):
            continue
        parts = transformer.steps if isinstance(transformer, Pipeline) else [(None, transformer)]
        if any(type(t).__name__ not in _ELEMENTWISE for _, t in parts):
            return False
    return True


def _representatives(X: pd.DataFrame) -> np.ndarray:
    """Rows enough to see every output a column feeds: per column a missing and a present row, each level once."""
    rows = set()
    for column in X.columns:
        s = X[column].reset_index(drop=True)
        if isinstance(s.dtype, pd.CategoricalDtype):
            rows.update(s.groupby(s.astype("object").fillna("__nan__"), sort=False).head(1).index)
        else:
            for part in (s[s.isna()], s[s.notna()]):
                rows.update(part.index[:1])
    return np.array(sorted(rows), dtype=np.int64)


def _probe_frames(X: pd.DataFrame) -> list[pd.DataFrame]:
    """Two copies of ``X`` per column, that column set to all-missing and to a value no row has."""
    probes = []
    for column in X.columns:
        s = X[column]
        if isinstance(s.dtype, pd.CategoricalDtype):
            other = pd.Series(pd.Categorical(["__probe__"] * len(X), categories=[*s.cat.categories, "__probe__"]),
                              index=X.index)
        else:
            top = np.nanmax(s.to_numpy(dtype="float64")) if s.notna().any() else 0.0
            other = pd.Series(top + 1.0 + abs(top), index=X.index, dtype="float64")
        probes.append(X.assign(**{column: pd.Series(np.nan, index=X.index).astype(s.dtype)}))
        probes.append(X.assign(**{column: other}))
    return probes


def _transformed_once(estimator: Any, X: pd.DataFrame) -> tuple[np.ndarray, list[np.ndarray]] | None:
    """For the suite's logistic pipeline: X transformed once and the output columns each input column feeds.

    The pipeline's column transformer only imputes, scales and one-hot
    encodes, each value of a column on its own, so transforming a copy of
    ``X`` with one column permuted equals permuting, in the once-transformed
    matrix, the output columns that column feeds. Those are found by
    transforming probes (the column all missing, and at a value no row has)
    of a few representative rows (a missing and a present row of each
    column, one row per level); each output must be fed by one column only.
    Returns None (the caller transforms every permuted copy) for any other
    estimator, or a sparse output.
    """
    from sklearn.pipeline import Pipeline

    if not isinstance(estimator, Pipeline) or len(estimator.steps) != 2 or not _elementwise_head(estimator[:-1]):
        return None
    head = estimator[:-1]
    Z = head.transform(X)
    if not isinstance(Z, np.ndarray) or Z.ndim != 2:
        return None
    sample = X.iloc[_representatives(X)]
    base = head.transform(sample)
    probes = head.transform(pd.concat(_probe_frames(sample), ignore_index=True))
    if not isinstance(probes, np.ndarray) or not isinstance(base, np.ndarray):
        return None
    m = len(sample)
    blocks, fed = [], np.zeros(Z.shape[1], dtype=np.int64)
    for j in range(X.shape[1]):
        changed = np.zeros(Z.shape[1], dtype=bool)
        for p in (2 * j, 2 * j + 1):
            part = probes[p * m:(p + 1) * m]
            changed |= ~((part == base) | (np.isnan(part) & np.isnan(base))).all(axis=0)
        blocks.append(np.flatnonzero(changed))
        fed += changed
    return (Z, blocks) if (fed <= 1).all() else None


def _decide_transformed(estimator: Any, Z: np.ndarray, blocks: list[np.ndarray],
                        batch: list[tuple[int, np.ndarray]]) -> np.ndarray:
    """The final model's decision function on each permuted copy, made by permuting output columns of ``Z``."""
    stacked = np.tile(Z, (len(batch), 1))
    n = len(Z)
    for k, (j, order) in enumerate(batch):
        cols = blocks[j]
        stacked[k * n:(k + 1) * n, cols] = Z[order][:, cols]
    return estimator[-1].decision_function(stacked)
