"""Churn factors: which account characteristics go with churn, and how strongly.

One model serves both the suite's decision table (notebook 06) and any cleaned
flat table (``csresearch factors``). Given factor columns ``X`` (numeric or
categorical), a 0/1 churn outcome ``y`` and optional account ``groups`` it gives

* univariate churn rates with Wilson intervals per category, per distinct value
  (numeric with at most 10 values) or per decile;
* a multivariable logistic regression (statsmodels ``Logit``) on standardised
  numeric factors and dummy-coded categoricals (reference = largest level):
  odds ratios per 1 SD / per level with 95% Wald intervals, p-values and
  Benjamini-Hochberg q-values;
* a predictive model chosen by account-grouped cross-validation
  (``StratifiedGroupKFold``) between an L2 logistic regression and a histogram
  gradient boosting classifier, with its cross-validated AUC;
* a ranking of the original columns by out-of-fold permutation importance
  (all dummies of a column permuted together);
* KPI thresholds for the top numeric factors (:mod:`csresearch.analysis.kpi`).

Missing values: a numeric factor is imputed with its median; when more than 5%
of it is missing a ``column[missing]`` indicator enters the logistic model too.
A missing categorical value is its own level ``(missing)``. Design columns that
alone separate churn perfectly are left out of the logistic model (their odds
ratio is infinite: reported unavailable); exactly collinear columns are dropped
by a pivoted QR rank check; if the fit still fails (separation by a combination
of columns, no convergence) a ridge-penalised fit gives point estimates without
intervals. Each of these events is a note on the result.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..contract import CANONICAL_FEATURES
from ..errors import AnalysisError
from ..i18n import label as tl
from ..jsonsafe import json_safe
from .association import rank_auc
from .folds import stratified_group_folds
from .intervals import weighted_bootstrap_interval, wilson_interval
from .kpi import KpiThreshold, kpi_thresholds, kpi_tree_plot
from .model_checks import ModelCalibration, importance_table, model_calibration
from .odds_ratios import logit_odds_ratios
from .permutation import permutation_drops
from .results import AnalysisResult, Interval
from .weighted_ranks import WeightedRanks, weighted_auc

__all__ = ["ChurnFactorModel", "FactorResult", "churn_factors", "logit_odds_ratios", "univariate_churn",
           "SUITE_EXTRA_FACTORS", "MISSING_LEVEL"]

MISSING_LEVEL = "(missing)"
SUITE_EXTRA_FACTORS = ("segment", "touch_model")
ORDER_METHOD = "permutation importance: mean drop of out-of-fold AUC when one original column is shuffled"


def is_categorical(s: pd.Series) -> bool:
    """Whether a factor column is treated as categorical (anything not numeric or boolean)."""
    return not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


def model_frame(X: pd.DataFrame) -> pd.DataFrame:
    """Numeric factors as float64 (NaN kept), categoricals as category with missing as ``(missing)``."""
    out = {}
    for c in X.columns:
        s = X[c]
        if is_categorical(s):
            s = s.astype("str").where(s.notna(), MISSING_LEVEL).astype("category")
        else:
            s = s.astype("float64")
        out[c] = s
    return pd.DataFrame(out, index=X.index)


# --------------------------------------------------------------------------- univariate

def univariate_churn(X: pd.DataFrame, y: pd.Series, n_bins: int = 10, groups: Any = None) -> pd.DataFrame:
    """Churn rate with a Wilson interval per level of each factor (deciles for numeric factors).

    Returns a frame with columns factor, level, n, churned, churn_rate, ci_low,
    ci_high and n_accounts (distinct ``groups`` in the level; ``n`` without groups).
    """
    rows = []
    y = pd.Series(np.asarray(y, dtype="int64"), index=X.index)
    g = pd.Series(np.arange(len(X)) if groups is None else np.asarray(groups), index=X.index)
    for c in X.columns:
        s = X[c]
        if is_categorical(s):
            key = _labels(s, str)
        elif s.nunique() <= n_bins:
            key = _labels(s.astype("float64"), lambda v: f"{v:g}")
        else:
            key = _labels(pd.qcut(s.astype("float64"), n_bins, duplicates="drop"), str)
        grouped = y.groupby(key, sort=False).agg(["size", "sum"])
        grouped["accounts"] = g.groupby(key, sort=False).nunique()
        if not is_categorical(s) and s.nunique() > n_bins:
            grouped = grouped.loc[sorted(grouped.index, key=lambda k: (k == MISSING_LEVEL, _left_edge(k)))]
        elif not is_categorical(s):
            grouped = grouped.loc[sorted(grouped.index, key=lambda k: (k == MISSING_LEVEL, _num(k)))]
        else:
            grouped = grouped.sort_values("size", ascending=False)
        for level, (n, k, accounts) in grouped.iterrows():
            iv = wilson_interval(int(k), int(n))
            rows.append({"factor": c, "level": level, "n": int(n), "churned": int(k),
                         "churn_rate": iv.estimate, "ci_low": iv.ci_low, "ci_high": iv.ci_high,
                         "n_accounts": int(accounts)})
    return pd.DataFrame(rows, columns=["factor", "level", "n", "churned", "churn_rate", "ci_low", "ci_high",
                                       "n_accounts"])


def _labels(s: pd.Series, label) -> pd.Series:
    """``label(value)`` of every row (missing: ``MISSING_LEVEL``), computed once per distinct value."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    names = np.array([label(v) for v in uniques] + [MISSING_LEVEL], dtype=object)
    return pd.Series(names[codes], index=s.index)


def _num(k: str) -> float:
    try:
        return float(k)
    except ValueError:
        return float("inf")


def _left_edge(k: str) -> float:
    return _num(k.strip("([").split(",")[0]) if k != MISSING_LEVEL else float("inf")


# --------------------------------------------------------------------------- predictive model

def candidate_models(frame: pd.DataFrame, seed: int = 0) -> dict[str, Any]:
    """The two candidate predictive models as unfitted scikit-learn estimators taking the model frame."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [c for c in frame.columns if not isinstance(frame[c].dtype, pd.CategoricalDtype)]
    categorical = [c for c in frame.columns if c not in numeric]
    pre = ColumnTransformer(
        [("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric),
         ("cat", OneHotEncoder(handle_unknown="ignore"), categorical)])
    return {
        "logistic_l2": make_pipeline(pre, LogisticRegression(C=1.0, max_iter=2000)),
        "gradient_boosting": HistGradientBoostingClassifier(
            learning_rate=0.1, max_iter=100, max_leaf_nodes=15, min_samples_leaf=20,
            categorical_features="from_dtype", early_stopping=False, random_state=seed),
    }


_FOLDS_CACHE: dict[tuple, list[tuple[np.ndarray, np.ndarray]]] = {}


def grouped_folds(y: np.ndarray, groups: np.ndarray, n_splits: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds in which every group (account) is entirely in train or in test.

    Memoised on the outcome, groups, ``n_splits`` and ``seed`` (the lead-time
    analysis asks for the same folds at every lead; the search is slow with
    thousands of accounts).
    """
    key = (hash(np.asarray(y).tobytes()), hash(np.asarray(groups).tobytes()), len(y), n_splits, seed)
    if key not in _FOLDS_CACHE:
        if len(_FOLDS_CACHE) > 16:
            _FOLDS_CACHE.clear()
        _FOLDS_CACHE[key] = _grouped_folds(np.asarray(y), np.asarray(groups), n_splits, seed)
    return [(tr.copy(), te.copy()) for tr, te in _FOLDS_CACHE[key]]


def _grouped_folds(y: np.ndarray, groups: np.ndarray, n_splits: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    n_groups_min = min(pd.Series(groups[y == 1]).nunique(), pd.Series(groups[y == 0]).nunique())
    k = min(n_splits, n_groups_min)
    if k < 2:
        raise AnalysisError("cross-validation needs at least 2 accounts of each class")
    return stratified_group_folds(y, groups, k, seed)  # StratifiedGroupKFold(k, shuffle=True, random_state=seed)


# --------------------------------------------------------------------------- result

@dataclass
class FactorResult(AnalysisResult):
    """Churn factors: ranking, odds ratios, univariate rates, cross-validated AUC and KPI thresholds.

    Attributes
    ----------
    summary : DataFrame
        One row per original factor, most important first: rank, importance
        (with interval), and the odds ratio of the factor (numeric) or of its
        strongest level (categorical, ``term`` says which) with p and q.
    odds_ratios : DataFrame
        Every design term: estimate, ci_low, ci_high, p_value, q_value, reason.
    univariate : DataFrame
        Churn rate with Wilson interval per level/decile of each factor.
    importance : DataFrame
        Permutation importance per factor with its interval.
    model_comparison : DataFrame
        Cross-validated AUC of both candidate models.
    cv_auc : Interval
        Cross-validated AUC of the chosen model.
    churn_rate : Interval
        Overall churn rate (Wilson).
    kpis : list of KpiThreshold
    chosen_model : str
    calibration : ModelCalibration
        Brier score, calibration slope and reliability bins of the out-of-fold predictions.
    """

    odds_ratios: pd.DataFrame = field(default_factory=pd.DataFrame)
    univariate: pd.DataFrame = field(default_factory=pd.DataFrame)
    importance: pd.DataFrame = field(default_factory=pd.DataFrame)
    model_comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    cv_auc: Interval = field(default_factory=lambda: Interval.unavailable("not fitted"))
    churn_rate: Interval = field(default_factory=lambda: Interval.unavailable("not fitted"))
    kpis: list[KpiThreshold] = field(default_factory=list)
    chosen_model: str = ""
    calibration: ModelCalibration | None = None

    title = "Churn factors"

    @property
    def ranking(self) -> list[str]:
        """Original factor names, most important first."""
        return list(self.summary.index)

    def odds_ratio_dict(self) -> dict[str, dict[str, Any]]:
        """Odds ratios keyed by term with estimate/ci_low/ci_high/p_value/q_value (+ reason when unavailable)."""
        out = {}
        for term, r in self.odds_ratios.iterrows():
            d = {k: (None if pd.isna(r[k]) else float(r[k])) for k in ("estimate", "ci_low", "ci_high", "p_value", "q_value")}
            if r["reason"] is not None and not pd.isna(r["reason"]):
                d["reason"] = r["reason"]
            if bool(r.get("unstable", False)):
                d["unstable"] = True
            out[str(term)] = d
        return out

    def to_findings(self) -> dict[str, Any]:
        """The churn-factor findings: ranking, odds ratios, CV AUC, model comparison, method (JSON-safe)."""
        return json_safe({
            "ranking": self.ranking,
            "odds_ratios": self.odds_ratio_dict(),
            "cv_auc": self.cv_auc.to_dict(),
            "chosen_model": self.chosen_model,
            "model_comparison": {m: {"estimate": r["cv_auc"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]}
                                 for m, r in self.model_comparison.iterrows()},
            "rank_interval": {str(f): {"rank": int(r["rank"]), "ci_low": int(r["rank_ci_low"]),
                                       "ci_high": int(r["rank_ci_high"])}
                              for f, r in self.summary.iterrows() if "rank_ci_low" in self.summary},
            "calibration": self.calibration.to_findings() if self.calibration is not None else None,
            "notes": list(self.notes),
            "method": self.method,
        })

    def kpi_findings(self) -> list[dict[str, Any]]:
        """The KPI thresholds as a JSON-safe list, one object per KPI."""
        return json_safe([k.to_dict() for k in self.kpis])

    def importance_plot(self, ax=None):
        """Horizontal bars of permutation importance with interval whiskers, most important on top."""
        import matplotlib.pyplot as plt

        imp = self.importance.iloc[::-1]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.9 + 0.32 * len(imp)))
        err = np.vstack([imp["importance"] - imp["ci_low"], imp["ci_high"] - imp["importance"]]).clip(min=0)
        ax.barh(imp.index.astype(str), imp["importance"], xerr=err, color="#4a6fa5", ecolor="#333")
        ax.axvline(0, color="#999", lw=0.8)
        ax.set_xlabel(tl("drop in cross-validated AUC when shuffled"))
        return ax

    def stable_odds_ratios(self) -> pd.DataFrame:
        """Odds ratios with a finite interval that are not flagged unstable (the ones worth plotting)."""
        o = self.odds_ratios.dropna(subset=["ci_low", "ci_high"])
        return o[~o["unstable"].astype(bool)] if "unstable" in o else o

    def odds_ratio_plot(self, ax=None):
        """Forest plot of the stable odds ratios with their intervals (log scale); unstable ones are left out."""
        import matplotlib.pyplot as plt

        o = self.stable_odds_ratios().iloc[::-1]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.9 + 0.3 * max(len(o), 1)))
        ypos = np.arange(len(o))
        err = np.vstack([o["estimate"] - o["ci_low"], o["ci_high"] - o["estimate"]]).astype("float64").clip(min=0)
        ax.errorbar(o["estimate"], ypos, xerr=err,
                    fmt="o", color="#4a6fa5", ecolor="#333", capsize=2)
        ax.set_yticks(ypos, [str(t) for t in o.index])
        ax.axvline(1, color="#999", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel(tl("odds ratio (per 1 SD / vs reference level)"))
        return ax

    def kpi_tree_plot(self, ax=None):
        """The KPI tree from the overall churn rate down to the KPI thresholds."""
        return kpi_tree_plot(self.churn_rate, self.kpis, ax=ax)

    def calibration_plot(self, ax=None):
        """Reliability plot of the out-of-fold predictions (observed against predicted churn per decile)."""
        return self.calibration.plot(ax=ax)

    def _repr_html_(self) -> str:
        head = (f"<p><b>Churn rate:</b> {html.escape(str(self.churn_rate))}; <b>cross-validated AUC</b> "
                f"({html.escape(self.chosen_model)}): {html.escape(str(self.cv_auc))}</p>")
        return head + super()._repr_html_()


# --------------------------------------------------------------------------- the model

class ChurnFactorModel:
    """Fit the churn-factor analysis (scikit-learn conventions; results in ``result_``).

    Parameters
    ----------
    n_splits : int, default 5
        Cross-validation folds (grouped by account, stratified by churn).
    n_repeats : int, default 3
        Shuffles per column and fold for permutation importance.
    n_boot : int, default 200
        Bootstrap resamples for the AUC and KPI threshold intervals.
    n_kpis : int, default 3
        Number of top numeric factors that get a KPI threshold.
    missing_indicator_share : float, default 0.05
        Above this share of missing values a numeric factor gets a missing indicator.
    min_share : float, optional
        Ignored (kept for backward compatibility): KPI targets no longer use a share limit.
    random_state : int, default 0
        Seed of folds, models, permutations and bootstraps.
    kpi_features : sequence of str, optional
        Columns a KPI may be chosen from (the top ``n_kpis`` of them by
        importance); default every numeric column.
    kpi_multiple : float, default 1.0
        A KPI target is where the churn risk crosses this multiple of the overall churn rate.
    max_vif : float, default 100
        Near-collinearity limit of the logistic model (one column per group kept).
    rank_boot : int, default 200
        Bootstrap resamples of the folds for each factor's rank interval.
    candidates : sequence of str, optional
        Names of the candidate models to compare (default both
        ``logistic_l2`` and ``gradient_boosting``).
    explain : bool, default True
        Also fit the multivariable logistic model (odds ratios), the univariate
        churn rates, the calibration of the out-of-fold predictions and the
        chosen model on all rows. False keeps only what ranks the factors (CV
        AUC and permutation importance): the lead-time refits need no more,
        and the result's notes say what was left out.

    Attributes
    ----------
    result_ : FactorResult
    chosen_model_ : str
    estimator_ : the chosen model refitted on all rows
    folds_ : list of (train, test) index arrays
    """

    def __init__(self, n_splits: int = 5, n_repeats: int = 3, n_boot: int = 200, n_kpis: int = 3,
                 missing_indicator_share: float = 0.05, min_share: float | None = None, random_state: int = 0,
                 *, kpi_features: Sequence[str] | None = None, kpi_multiple: float = 1.0, max_vif: float = 100.0,
                 rank_boot: int = 200, candidates: Sequence[str] | None = None, explain: bool = True):
        self.candidates = candidates
        self.explain = explain
        self.kpi_features = kpi_features
        self.kpi_multiple = kpi_multiple
        self.max_vif = max_vif
        self.rank_boot = rank_boot
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.n_boot = n_boot
        self.n_kpis = n_kpis
        self.missing_indicator_share = missing_indicator_share
        self.min_share = min_share
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Sequence[int], groups: Sequence[Any] | None = None) -> "ChurnFactorModel":
        """Fit on factor columns ``X``, 0/1 outcome ``y`` and optional account ``groups``.

        Runs single-threaded (``threadpoolctl``): OpenMP gradient boosting on a
        busy shared machine is an order of magnitude slower with several threads.
        """
        import sklearn.ensemble  # noqa: F401  (load the OpenMP runtime before limiting it)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return self._fit(X, y, groups)

    def _fit(self, X: pd.DataFrame, y: Sequence[int], groups: Sequence[Any] | None) -> "ChurnFactorModel":
        if X.shape[1] == 0:
            raise AnalysisError("no factor columns to analyse")
        yv = np.asarray(y, dtype="int64")
        if set(np.unique(yv)) != {0, 1}:
            raise AnalysisError("the churn outcome must contain both 0 and 1")
        X = X.reset_index(drop=True)
        frame = model_frame(X)
        g = np.arange(len(yv)) if groups is None else pd.factorize(pd.Series(np.asarray(groups)))[0]
        if self.explain:
            odds, notes = logit_odds_ratios(frame, yv, self.missing_indicator_share,
                                            groups=None if groups is None else g, max_vif=self.max_vif)
        else:
            odds = pd.DataFrame(columns=["factor", "estimate", "ci_low", "ci_high", "p_value", "q_value", "reason"])
            notes = ["ranking only (explain=False): no odds ratios, univariate rates, calibration or refit on all rows"]
        self.folds_ = grouped_folds(yv, g, self.n_splits, self.random_state)
        models = candidate_models(frame, self.random_state)
        if self.candidates is not None:
            models = {m: est for m, est in models.items() if m in self.candidates} or models
        oof, fitted, comparison, intervals = self._cross_validate(frame, yv, g, models)
        chosen = max(models, key=lambda m: (comparison[m]["cv_auc"] or 0.0) + (1e-3 if m == "logistic_l2" else 0))
        notes.append(f"predictive model chosen by grouped cross-validated AUC: {chosen} ("
                     + ", ".join(f"{m} {comparison[m]['cv_auc']:.3f}" for m in models)
                     + ("; ties go to logistic_l2)" if len(models) > 1 else "; the only candidate)"))
        drops = self._fold_importances(fitted[chosen], frame, yv)
        importance, ranks = importance_table(drops, list(X.columns), self.rank_boot, self.random_state)
        kpis = self._kpis(X, yv, groups, g, importance)
        calibration = model_calibration(yv, oof[chosen], g, n_boot=self.n_boot, seed=self.random_state) \
            if self.explain else None
        self.chosen_model_ = chosen
        self.oof_ = oof[chosen]
        self.estimator_ = _clone(models[chosen]).fit(frame, yv) if self.explain else None
        self.columns_ = list(X.columns)
        k = len(self.folds_)
        self.result_ = FactorResult(
            summary=_summary(importance, odds).join(ranks),
            method=(f"multivariable logistic regression (statsmodels Logit; Wald 95% CI"
                    f"{', cluster-robust by account' if groups is not None else ''}; BH q-values) on "
                    f"standardised numeric factors and dummies; {ORDER_METHOD} over {k} folds x "
                    f"{self.n_repeats} repeats (t-interval across folds; rank interval by bootstrapping the folds); "
                    f"model chosen by account-grouped CV between L2 logistic regression and histogram gradient boosting"),
            notes=notes, odds_ratios=odds, univariate=univariate_churn(X, yv, groups=g) if self.explain else pd.DataFrame(),
            importance=importance,
            model_comparison=pd.DataFrame.from_dict(comparison, orient="index").rename_axis("model"),
            cv_auc=intervals[chosen], churn_rate=wilson_interval(int(yv.sum()), len(yv)), kpis=kpis,
            chosen_model=chosen, calibration=calibration)
        return self

    def _cross_validate(self, frame: pd.DataFrame, yv: np.ndarray, g: np.ndarray, models: dict[str, Any]):
        """Out-of-fold predictions, fitted fold models, and the CV AUC (with interval) of each candidate."""
        oof = {m: np.full(len(yv), np.nan) for m in models}
        fitted: dict[str, list[Any]] = {m: [] for m in models}
        fold_id = np.empty(len(yv), dtype="int64")
        for i, (tr, te) in enumerate(self.folds_):
            fold_id[te] = i
            for name, est in models.items():
                est = _clone(est).fit(frame.iloc[tr], yv[tr])
                fitted[name].append(est)
                oof[name][te] = est.predict_proba(frame.iloc[te])[:, 1]
        comparison, intervals = {}, {}
        for name in models:
            iv = weighted_bootstrap_interval(_mean_fold_auc(yv, oof[name], fold_id), len(yv), n_boot=self.n_boot,
                                             seed=self.random_state, groups=g, method=(
                f"mean of {len(self.folds_)} account-grouped stratified CV fold AUCs; percentile bootstrap "
                f"({self.n_boot} resamples of accounts) of the out-of-fold predictions"))
            intervals[name] = iv
            folds = [rank_auc(yv[te], oof[name][te]) for _, te in self.folds_]
            comparison[name] = {"cv_auc": iv.estimate, "ci_low": iv.ci_low, "ci_high": iv.ci_high,
                                "fold_aucs": np.round(folds, 4).tolist()}
        return oof, fitted, comparison, intervals

    def _fold_importances(self, fitted: list[Any], frame: pd.DataFrame, yv: np.ndarray) -> np.ndarray:
        """Permutation importance (AUC drop) of each column on each test fold: folds x columns.

        scikit-learn's ``permutation_importance(scoring="roc_auc", n_repeats, random_state=seed + fold)``,
        computed in batches (:func:`~csresearch.analysis.permutation.permutation_drops`).
        """
        return np.array([permutation_drops(fitted[i], frame.iloc[te], yv[te], self.n_repeats, self.random_state + i)
                         for i, (_, te) in enumerate(self.folds_)])

    def _kpis(self, X: pd.DataFrame, yv: np.ndarray, groups: Any, g: np.ndarray, importance: pd.DataFrame) -> list:
        """KPI targets for the top ``n_kpis`` numeric factors (among ``kpi_features`` when given)."""
        allowed = X.columns if self.kpi_features is None else [c for c in self.kpi_features if c in X.columns]
        numeric_ranked = [c for c in importance.index if c in allowed and not is_categorical(X[c]) and X[c].nunique() > 2]
        chosen = numeric_ranked[: self.n_kpis]
        if not chosen:
            return []
        return kpi_thresholds(pd.concat([X[chosen], pd.Series(yv, name="__y")], axis=1), "__y", chosen,
                              groups=None if groups is None else g, n_boot=self.n_boot, seed=self.random_state,
                              multiple=self.kpi_multiple)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Churn probabilities from the chosen model refitted on all rows."""
        if self.estimator_ is None:
            raise AnalysisError("fitted with explain=False: the chosen model was not refitted on all rows")
        return self.estimator_.predict_proba(model_frame(X[self.columns_]))


def _clone(est):
    from sklearn.base import clone

    return clone(est)


def _mean_fold_auc(y: np.ndarray, p: np.ndarray, fold: np.ndarray):
    """``stat(W)``: the mean over folds of each fold's AUC in each weighted resample (rows of ``W``).

    The same statistic as ``mean(rank_auc(y[fold == k], p[fold == k]))`` of the
    resample (:mod:`csresearch.analysis.weighted_ranks`); NaN when a fold has one class.
    """
    parts = [(idx, y[idx].astype(bool), WeightedRanks(p[idx])) for idx in (np.flatnonzero(fold == k) for k in np.unique(fold))]

    def stat(w: np.ndarray) -> np.ndarray:
        return np.mean([weighted_auc(w[:, idx], positive, ranks) for idx, positive, ranks in parts], axis=0)

    return stat


def _summary(importance: pd.DataFrame, odds: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for rank, (factor, imp) in enumerate(importance.iterrows(), start=1):
        terms = odds[odds["factor"] == factor]
        best = terms["p_value"].idxmin() if terms["p_value"].notna().any() else (terms.index[0] if len(terms) else None)
        o = terms.loc[best] if best is not None else None
        rows.append({"factor": factor, "rank": rank, "importance": imp["importance"],
                     "importance_ci_low": imp["ci_low"], "importance_ci_high": imp["ci_high"],
                     "term": best, "odds_ratio": o["estimate"] if o is not None else np.nan,
                     "or_ci_low": o["ci_low"] if o is not None else np.nan,
                     "or_ci_high": o["ci_high"] if o is not None else np.nan,
                     "p_value": o["p_value"] if o is not None else np.nan,
                     "q_value": o["q_value"] if o is not None else np.nan})
    return pd.DataFrame(rows).set_index("factor")


def churn_factors(table: pd.DataFrame, label: str = "churned", factors: Sequence[str] | None = None,
                  group: str | None = "account_id", **params: Any) -> FactorResult:
    """Churn-factor analysis of a decision table (one row per renewal decision).

    Parameters
    ----------
    table : DataFrame
        Decision table with the 0/1 ``label`` column.
    label : str, default "churned"
    factors : sequence of str, optional
        Factor columns; default the canonical features (except health scores)
        plus segment and touch_model that are present in ``table``.
    group : str or None, default "account_id"
        Column whose rows are kept together in cross-validation and bootstraps.
    **params
        Passed to :class:`ChurnFactorModel`.
    """
    if factors is None:
        factors = [c for c in (*CANONICAL_FEATURES, *SUITE_EXTRA_FACTORS) if c in table.columns]
        factors = [c for c in factors if table[c].notna().any()]
    missing = [c for c in [label, *factors, *([group] if group else [])] if c not in table.columns]
    if missing:
        raise AnalysisError(f"decision table lacks columns {missing}")
    rows = table[table[label].notna()]
    groups = rows[group].to_numpy() if group else None
    return ChurnFactorModel(**params).fit(rows[list(factors)], rows[label].astype("int64"), groups).result_
