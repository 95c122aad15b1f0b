"""The :class:`HealthScore` estimator: DEAR component scores and a composite 0-100.

Scoring (``transform``) needs no fitting: it applies the scorecard's expert
weights. ``fit`` learns component weights from renewal outcomes so that the
expert weighting can be compared with what the data says.

How missing values are handled
------------------------------
A missing feature value is never scored as 0. A component is the weighted mean
of the scores of its features that are present in that row (weights
re-normalised); a component with none present is NaN; ``health_score`` is the
weighted mean of the components that are present (weights re-normalised); a
row with nothing present is NaN. ``health_coverage`` is the share of the total
weight that was available for the row (1 = every feature present). Features
the scorecard uses that are absent from ``X`` altogether are reported with a
:class:`MissingFeatureWarning` and by :meth:`HealthScore.missing_features`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..analysis.association import rank_auc
from ..analysis.intervals import weighted_bootstrap_interval
from ..analysis.weighted_ranks import WeightedRanks, weighted_auc
from ..analysis.results import AnalysisResult, Interval
from ..errors import AnalysisError, InputError, ParameterError
from .scorecard import COMPONENTS, Scorecard, load_scorecard

__all__ = ["HealthScore", "MissingFeatureWarning", "WeightComparison"]

COMPONENT_COLUMNS = tuple(f"health_{c}" for c in COMPONENTS)


class MissingFeatureWarning(UserWarning):
    """A feature the scorecard weights is absent from the input; its weight is re-normalised away."""


@dataclass
class WeightComparison(AnalysisResult):
    """Expert vs learned component weights, each with its cross-validated AUC.

    ``summary`` has columns ``expert`` and ``learned``; rows are the four
    component weights (summing to 1) and ``cv_auc``, ``cv_auc_ci_low``,
    ``cv_auc_ci_high``. ``auc`` holds the two AUC intervals.
    """

    auc: dict[str, Interval] = field(default_factory=dict)
    title = "Health score: expert vs learned component weights"

    def to_findings(self) -> dict[str, Any]:
        """Weights and AUC intervals as a JSON-able dict."""
        weights = self.summary.loc[list(COMPONENTS)]
        return {
            "method": self.method,
            "weights": {k: weights[k].to_dict() for k in weights.columns},
            "cv_auc": {k: v.to_dict() for k, v in self.auc.items()},
        }


def _numeric(X: pd.DataFrame, column: str) -> np.ndarray:
    col = X[column]
    if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
        raise InputError(
            f"health score input column {column!r} must be numeric (dtype is {col.dtype}); "
            "convert it with pd.to_numeric or drop it"
        )
    return col.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


def _score_block(X: pd.DataFrame, sc: Scorecard) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Feature scores, component scores (n x 4) and within-component coverage (n x 4) of ``X``."""
    n = len(X)
    feature_scores = {f: np.full(n, np.nan) for f in sc.rules}
    comps = np.full((n, len(COMPONENTS)), np.nan)
    cover = np.zeros((n, len(COMPONENTS)))
    for j, comp in enumerate(COMPONENTS):
        rules = sc.features_of(comp)
        total = sum(r.weight for r in rules)
        num, den = np.zeros(n), np.zeros(n)
        for r in rules:
            if r.feature not in X.columns:
                continue
            s = r.score(_numeric(X, r.feature))
            feature_scores[r.feature] = s
            ok = ~np.isnan(s)
            num += np.where(ok, r.weight * s, 0.0)
            den += np.where(ok, r.weight, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            # a weighted mean of 0-100 scores; clip the float rounding (100.00000000000001)
            comps[:, j] = np.clip(np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan), 0.0, 100.0)
        cover[:, j] = den / total if total > 0 else 0.0
    return feature_scores, comps, cover


def _composite(comps: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean of the present components per row (weights ``n x 4`` or ``4``); NaN when none."""
    weights = np.broadcast_to(weights, comps.shape)
    present = ~np.isnan(comps)
    num = np.where(present, comps * weights, 0.0).sum(axis=1)
    den = np.where(present, weights, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.clip(np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan), 0.0, 100.0)


def _weakest(comps: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The lowest present component with positive weight per row (the worst-of composite); NaN when none."""
    use = ~np.isnan(comps) & (np.broadcast_to(weights, comps.shape) > 0)
    return np.where(use.any(axis=1), np.where(use, comps, np.inf).min(axis=1), np.nan)


def _normalised(weights: dict[str, float]) -> np.ndarray:
    w = np.array([weights[c] for c in COMPONENTS], dtype="float64")
    return w / w.sum()


def _group_splits(y: np.ndarray, groups: np.ndarray, n_splits: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Account-grouped shuffled folds; fewer folds when there are few accounts of one outcome.

    Groups are passed to scikit-learn as integer codes in the sort order of
    the labels: the same folds as the labels themselves give, without the
    slow ``np.isin`` over Python objects.
    """
    groups = np.unique(groups, return_inverse=True)[1].reshape(-1)
    minority_groups = min(len(np.unique(groups[y == k])) for k in (0, 1))
    k = min(n_splits, minority_groups)
    if k < 2:
        raise AnalysisError(
            "learning health weights needs at least 2 accounts with each outcome (churned and renewed); "
            f"got {minority_groups} in the smaller class"
        )
    cv = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    splits = list(cv.split(np.zeros(len(y)), y, groups))
    if any(len(np.unique(y[train])) < 2 for train, _ in splits):
        raise AnalysisError("a cross-validation training fold has only one outcome; too few churned or renewed accounts")
    return splits


def _learn(Z: np.ndarray, renewed: np.ndarray, groups: np.ndarray, Cs: int, n_splits: int, seed: int
           ) -> tuple[np.ndarray, float, np.ndarray]:
    """Fit the L2 logistic model of renewal on component scores; return (weights, C, coefficients per point)."""
    usable = ~np.isnan(Z).all(axis=0)
    if not usable.any():
        raise AnalysisError("no health component has any value; cannot learn weights")
    pipe = make_pipeline(
        SimpleImputer(strategy="median"),
        StandardScaler(),
        LogisticRegressionCV(Cs=Cs, cv=_group_splits(renewed, groups, n_splits, seed), l1_ratios=(0.0,),
                             scoring=_auc_scorer, solver="newton-cholesky", max_iter=1000, use_legacy_attributes=False),
    )
    pipe.fit(Z[:, usable], renewed)
    scale = pipe[1].scale_
    coef = np.zeros(Z.shape[1])
    coef[usable] = pipe[-1].coef_[0] / np.where(scale > 0, scale, 1.0)
    positive = np.clip(coef, 0.0, None)
    if positive.sum() <= 0:
        raise AnalysisError(
            "no health component is positively associated with renewal in this data, "
            "so no non-negative weights can be learned; keep the expert weights"
        )
    return positive / positive.sum(), float(pipe[-1].C_), coef


def _auc_scorer(estimator: Any, X: np.ndarray, y: np.ndarray) -> float:
    """Scorer for LogisticRegressionCV: AUC of the predicted probability (fast path of roc_auc_score)."""
    return rank_auc(y, estimator.decision_function(X))


def _auc_interval(renewed: np.ndarray, score: np.ndarray, groups: np.ndarray, n_boot: int, seed: int,
                  method: str) -> Interval:
    """AUC of ``score`` for ``renewed`` with the percentile cluster bootstrap over ``groups`` (all resamples at once)."""
    ranks, positive = WeightedRanks(score), renewed.astype(bool)
    return weighted_bootstrap_interval(lambda w: weighted_auc(w, positive, ranks), len(score), n_boot=n_boot,
                                       seed=seed, groups=groups, method=method)


class HealthScore(TransformerMixin, BaseEstimator):
    """DEAR health score from canonical features, with expert or learned component weights.

    Parameters
    ----------
    scorecard : str, Path, dict, Scorecard or None, default None
        Scorecard YAML path or dict (see :mod:`csresearch.health.scorecard`);
        None uses the shipped ``default_scorecard.yml``.
    weights : {"expert", "learned"}, default "expert"
        Component weights ``transform`` uses: the scorecard's, or those
        learned by :meth:`fit`. Feature weights within a component are always
        the scorecard's.
    return_feature_scores : bool, default False
        Also return ``score_<feature>`` (0-100) for every scored feature.
    segment_column : str, default "segment"
        Column of ``X`` selecting per-segment scorecard overrides, when present.
    Cs : int, default 10
        Number of inverse regularisation strengths (log grid) tried by ``fit``.
    cv : int, default 5
        Folds of the account-grouped cross-validation in ``fit``.
    n_boot : int, default 200
        Cluster-bootstrap resamples for the AUC intervals in ``fit``.
    random_state : int, default 0
        Seed of the folds and the bootstrap.

    Attributes
    ----------
    scorecard_ : Scorecard
        The validated scorecard (set by ``fit``).
    expert_component_weights_, learned_component_weights_ : Series
        Component weights summing to 1, indexed by component.
    coef_ : Series
        Change in log-odds of renewal per point (0-100) of each component
        score, from the L2 logistic model; 0 for components with no data.
    C_ : float
        Inverse regularisation strength chosen by grouped CV (on standardised scores).
    weights_comparison_ : DataFrame
        Expert and learned weights side by side with each set's CV AUC.
    cv_auc_ : dict of str to Interval
        Cross-validated AUC (health predicting renewal) of each weighting.
    n_samples_fit_, n_groups_fit_ : int
        Rows and accounts used by ``fit``.
    """

    def __init__(self, scorecard=None, *, weights="expert", return_feature_scores=False, segment_column="segment",
                 Cs=10, cv=5, n_boot=200, random_state=0):
        self.scorecard = scorecard
        self.weights = weights
        self.return_feature_scores = return_feature_scores
        self.segment_column = segment_column
        self.Cs = Cs
        self.cv = cv
        self.n_boot = n_boot
        self.random_state = random_state

    # -- scoring ----------------------------------------------------------
    def _scorecard(self) -> Scorecard:
        return getattr(self, "scorecard_", None) or load_scorecard(self.scorecard)

    def missing_features(self, X: pd.DataFrame) -> list[str]:
        """Scorecard features with positive weight that are not columns of ``X``."""
        sc = self._scorecard()
        cards = [sc, *sc.segments.values()]
        used = {r.feature for card in cards for r in card.rules.values() if r.weight > 0}
        return sorted(used - set(X.columns))

    def _score(self, X: pd.DataFrame) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
        """Feature scores, components, within-component coverage and per-row expert weights."""
        if not isinstance(X, pd.DataFrame):
            raise ParameterError(f"HealthScore needs a pandas DataFrame of canonical features, got {type(X).__name__}")
        sc = self._scorecard()
        missing = self.missing_features(X)
        if missing:
            warnings.warn(
                f"features absent from the input, scored from the remaining features: {', '.join(missing)}",
                MissingFeatureWarning,
                stacklevel=4,  # _score <- transform <- scikit-learn's output wrapper <- caller
            )
        n = len(X)
        blocks = [(np.ones(n, dtype=bool), sc)]
        if sc.segments and self.segment_column in X.columns:
            seg = X[self.segment_column].astype("str").to_numpy()
            overridden = np.isin(seg, list(sc.segments))
            blocks = [(~overridden, sc)] + [(seg == s, card) for s, card in sc.segments.items() if (seg == s).any()]
        feature_scores = {f: np.full(n, np.nan) for card in (b[1] for b in blocks) for f in card.rules}
        comps = np.full((n, len(COMPONENTS)), np.nan)
        cover = np.zeros((n, len(COMPONENTS)))
        expert = np.zeros((n, len(COMPONENTS)))
        for mask, card in blocks:
            if not mask.any():
                continue
            fs, c, cv = _score_block(X.iloc[np.flatnonzero(mask)], card)
            for f, s in fs.items():
                feature_scores[f][mask] = s
            comps[mask], cover[mask] = c, cv
            expert[mask] = _normalised(card.component_weights)
        return feature_scores, comps, cover, expert

    def _weights_for(self, expert: np.ndarray) -> np.ndarray:
        if self.weights == "expert":
            return expert
        if self.weights == "learned":
            if not hasattr(self, "learned_component_weights_"):
                raise ParameterError("HealthScore(weights='learned') needs fit(X, churned) before transform")
            return self.learned_component_weights_.to_numpy()
        raise ParameterError(f"weights must be 'expert' or 'learned', got {self.weights!r}")

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Score ``X``.

        Parameters
        ----------
        X : DataFrame
            One row per (account, as_of) with canonical feature columns (any
            subset) and optionally ``segment``. Other columns are ignored.

        Returns
        -------
        DataFrame
            Same index as ``X``; columns ``health_deployment``,
            ``health_engagement``, ``health_adoption``, ``health_roi``,
            ``health_score`` (0-100, NaN when nothing is available; the
            weakest component with positive weight for a ``combine: worst_of``
            scorecard),
            ``health_coverage`` (0-1 share of weight available) and, with
            ``return_feature_scores``, ``score_<feature>``.
        """
        feature_scores, comps, cover, expert = self._score(X)
        weights = self._weights_for(expert)
        out = pd.DataFrame(comps, index=X.index, columns=list(COMPONENT_COLUMNS))
        combine = _weakest if self._scorecard().combine == "worst_of" else _composite
        out["health_score"] = combine(comps, weights)
        w = np.broadcast_to(weights, comps.shape)
        out["health_coverage"] = (cover * w).sum(axis=1) / w.sum(axis=1)
        if self.return_feature_scores:
            for f, s in feature_scores.items():
                out[f"score_{f}"] = s
        return out

    # -- learning weights -------------------------------------------------
    def _groups(self, X: pd.DataFrame, groups: Any) -> tuple[np.ndarray, str]:
        if groups is not None:
            g = np.asarray(groups)
            if len(g) != len(X):
                raise ParameterError(f"groups has {len(g)} labels but X has {len(X)} rows")
            return g, "given groups"
        if "account_id" in (X.index.names or []):
            return X.index.get_level_values("account_id").to_numpy(), "account_id"
        if "account_id" in X.columns:
            return X["account_id"].to_numpy(), "account_id"
        return np.arange(len(X)), "rows (no account_id in X: each row is its own group)"

    @staticmethod
    def _labels(churned: Any, n: int) -> np.ndarray:
        y = pd.Series(np.asarray(churned)) if not isinstance(churned, pd.Series) else churned.reset_index(drop=True)
        if len(y) != n:
            raise ParameterError(f"churned has {len(y)} values but X has {n} rows")
        if y.isna().any():
            raise InputError(f"churned has {int(y.isna().sum())} missing labels; drop open (undecided) terms first")
        values = y.astype("float64")
        if not values.isin([0.0, 1.0]).all():
            raise InputError("churned must be boolean or 0/1 (1 = churned at the renewal decision)")
        return values.to_numpy().astype(int)

    def fit(self, X: pd.DataFrame, churned: Any, groups: Any = None) -> "HealthScore":
        """Learn component weights from renewal outcomes.

        An L2-regularised logistic regression of renewal (``1 - churned``) on
        the four component scores (medians imputed, standardised) is fitted,
        with C chosen by account-grouped cross-validated AUC. Learned weights
        are the coefficients converted to score points (coef / SD), clipped
        at 0 and normalised to sum 1: a component that does not predict
        renewal gets weight 0. Both weightings are then evaluated by
        account-grouped cross-validation (weights re-learned inside each outer
        fold) with a cluster-bootstrap 95% interval of the pooled out-of-fold AUC.

        Parameters
        ----------
        X : DataFrame
            Canonical features, one row per renewal decision (e.g. from
            :func:`csresearch.tables.decision_table`).
        churned : array-like of bool or 0/1
            Label per row (positional).
        groups : array-like, optional
            Account of each row, for grouped CV; default the ``account_id``
            index level or column of ``X``.

        Returns
        -------
        HealthScore
            self
        """
        self.scorecard_ = load_scorecard(self.scorecard)
        y = self._labels(churned, len(X))
        if len(np.unique(y)) < 2:
            raise AnalysisError("learning health weights needs both churned and renewed decisions; only one class given")
        renewed = 1 - y
        g, group_source = self._groups(X, groups)
        _, comps, _, expert = self._score(X)
        seed = self.random_state
        weights, self.C_, coef = _learn(comps, renewed, g, self.Cs, self.cv, seed)
        self.expert_component_weights_ = pd.Series(_normalised(self.scorecard_.component_weights), index=list(COMPONENTS))
        self.learned_component_weights_ = pd.Series(weights, index=list(COMPONENTS))
        self.coef_ = pd.Series(coef, index=list(COMPONENTS))
        self.n_samples_fit_, self.n_groups_fit_ = len(X), len(np.unique(g))

        oof = np.full(len(X), np.nan)
        for train, test in _group_splits(renewed, g, self.cv, seed):
            w, _, _ = _learn(comps[train], renewed[train], g[train], self.Cs, self.cv, seed)
            oof[test] = _composite(comps[test], w)
        scores = {"expert": _composite(comps, expert), "learned": oof}
        method = (f"AUC of health_score for renewal, pooled over account-grouped {self.cv}-fold CV (learned weights "
                  f"re-fitted in each training fold; groups: {group_source}); 95% percentile cluster bootstrap over "
                  f"accounts ({self.n_boot} resamples, seed {seed})")
        self.cv_auc_ = {}
        for name, s in scores.items():
            ok = ~np.isnan(s)
            self.cv_auc_[name] = _auc_interval(renewed[ok], s[ok], g[ok], self.n_boot, seed, method)
        summary = pd.DataFrame({"expert": self.expert_component_weights_, "learned": self.learned_component_weights_})
        for name in ("expert", "learned"):
            iv = self.cv_auc_[name]
            summary.loc["cv_auc", name] = iv.estimate
            summary.loc["cv_auc_ci_low", name] = iv.ci_low
            summary.loc["cv_auc_ci_high", name] = iv.ci_high
        summary.index.name = "weight_or_auc"
        self.weights_comparison_ = summary
        return self

    def compare_weights(self) -> WeightComparison:
        """Expert vs learned weights with cross-validated AUCs, as a notebook-friendly result."""
        if not hasattr(self, "weights_comparison_"):
            raise ParameterError("compare_weights needs fit(X, churned) first")
        notes = [f"fitted on {self.n_samples_fit_} decisions of {self.n_groups_fit_} accounts; chosen C = {self.C_:.3g}",
                 "learned weight = renewal log-odds per score point, clipped at 0 and normalised to sum 1"]
        zero = [c for c in COMPONENTS if self.learned_component_weights_[c] == 0]
        if zero:
            notes.append(f"components with no positive association with renewal (weight 0): {', '.join(zero)}")
        return WeightComparison(summary=self.weights_comparison_.copy(), method=self.cv_auc_["expert"].method,
                                notes=notes, auc=dict(self.cv_auc_))
