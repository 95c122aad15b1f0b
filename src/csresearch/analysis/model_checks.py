"""Checks of the churn-factor model: calibration of its out-of-fold predictions and stability of its ranking.

* Calibration (:func:`model_calibration`): the Brier score of the
  out-of-fold churn probabilities with an account-cluster bootstrap interval;
  the calibration slope (logistic regression of churn on the logit of the
  predicted probability, slope 1 = well calibrated, < 1 = predictions too
  extreme) with a cluster-robust Wald interval by account; and the observed
  churn rate per decile of predicted risk for a reliability plot.
* Ranking stability (:func:`importance_table`): permutation importance per
  cross-validation fold gives a mean with a t-interval across folds; the folds
  (disjoint sets of accounts) are resampled with replacement to give a
  percentile interval of each factor's rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..i18n import label as tl
from .association import CalibrationResult, calibration_by_decile
from .intervals import bootstrap_interval
from .results import AnalysisResult, Interval

__all__ = ["ModelCalibration", "importance_table", "model_calibration"]


@dataclass
class ModelCalibration(AnalysisResult):
    """Calibration of out-of-fold churn probabilities.

    Attributes
    ----------
    summary : DataFrame
        Reliability table: bin, n, mean_score (mean predicted risk), rate (observed) with Wilson interval.
    brier : Interval
        Brier score (mean squared error of the probabilities).
    slope : Interval
        Calibration slope (1 = calibrated).
    """

    brier: Interval = field(default_factory=lambda: Interval.unavailable("not computed"))
    slope: Interval = field(default_factory=lambda: Interval.unavailable("not computed"))
    title = "Calibration of the churn model (out-of-fold predictions)"

    def to_findings(self) -> dict[str, Any]:
        """Brier score, calibration slope and the reliability bins."""
        bins = [{"mean_predicted": float(r["mean_score"]), "observed": float(r["rate"]), "n": int(r["n"])}
                for _, r in self.summary.iterrows()]
        return {"brier": self.brier.to_dict(), "calibration_slope": self.slope.to_dict(), "bins": bins,
                "method": self.method}

    def plot(self, ax=None):
        """Reliability plot: observed churn rate (with 95% interval) against mean predicted risk per decile."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(4.5, 4))
        s = self.summary
        top = float(max(s["ci_high"].max(), s["mean_score"].max(), 0.05)) if len(s) else 1.0
        ax.plot([0, top], [0, top], color="#999", lw=0.8, ls="--")
        err = np.vstack([s["rate"] - s["ci_low"], s["ci_high"] - s["rate"]]).astype("float64").clip(min=0)
        ax.errorbar(s["mean_score"], s["rate"], yerr=err,
                    fmt="o", color="#4a6fa5", ecolor="#333", capsize=2)
        ax.set_xlabel(tl("mean predicted churn risk (decile)"))
        ax.set_ylabel(tl("observed churn rate"))
        ax.set_title(tl(f"Brier {self.brier.estimate:.3f}; slope {self.slope.estimate:.2f}") if self.slope.available
                     else tl(f"Brier {self.brier.estimate:.3f}"))
        return ax


def _brier(d: np.ndarray) -> float:
    return float(np.mean((d[:, 1] - d[:, 0]) ** 2))


def calibration_slope(y: np.ndarray, p: np.ndarray, groups: np.ndarray, level: float = 0.95) -> Interval:
    """Slope of the logistic recalibration ``logit P(y) = a + b logit(p)``, cluster-robust by ``groups``."""
    from statsmodels.discrete.discrete_model import Logit
    from statsmodels.tools.tools import add_constant

    method = "calibration slope: logistic regression of churn on logit(predicted risk), cluster-robust Wald interval by account"
    lp = np.log(np.clip(p, 1e-6, 1 - 1e-6) / (1 - np.clip(p, 1e-6, 1 - 1e-6)))
    try:
        fit = Logit(y, add_constant(lp)).fit(disp=0, cov_type="cluster", cov_kwds={"groups": groups})
    except Exception as exc:  # separation or singular fit
        return Interval.unavailable(f"recalibration fit failed ({type(exc).__name__})", method, len(y), level)
    lo, hi = fit.conf_int(alpha=1 - level)[1]
    return Interval(float(fit.params[1]), float(lo), float(hi), level=level, method=method, n=len(y))


def model_calibration(y: np.ndarray, p: np.ndarray, groups: np.ndarray, n_boot: int = 200, seed: int = 0,
                      level: float = 0.95) -> ModelCalibration:
    """Brier score, calibration slope and reliability bins of out-of-fold probabilities ``p`` for churn ``y``."""
    y = np.asarray(y, dtype="float64")
    p = np.asarray(p, dtype="float64")
    brier = bootstrap_interval(_brier, np.column_stack([y, p]), n_boot=n_boot, seed=seed, groups=groups, level=level,
                               method=f"Brier score of out-of-fold predictions; percentile cluster bootstrap of accounts ({n_boot} resamples)")
    slope = calibration_slope(y, p, groups, level)
    bins: CalibrationResult = calibration_by_decile(p, y, level=level)
    return ModelCalibration(summary=bins.summary, notes=bins.notes, brier=brier, slope=slope,
                            method=f"{brier.method}; {slope.method}; observed rate per decile of predicted risk (Wilson)")


def importance_table(drops: np.ndarray, columns: list[str], rank_boot: int = 200, seed: int = 0,
                     level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean permutation importance with a t-interval across folds, and a bootstrap interval of each rank.

    Parameters
    ----------
    drops : ndarray
        AUC drop per fold (rows) and column.
    columns : list of str
    rank_boot : int, default 200
        Resamples of the folds for the rank interval.

    Returns
    -------
    importance : DataFrame
        importance, ci_low, ci_high per factor, most important first.
    ranks : DataFrame
        rank_ci_low, rank_ci_high per factor (1 = most important).
    """
    k = drops.shape[0]
    mean = drops.mean(axis=0)
    half = stats.t.ppf(0.5 + level / 2, k - 1) * drops.std(axis=0, ddof=1) / np.sqrt(k)
    importance = pd.DataFrame({"importance": mean, "ci_low": mean - half, "ci_high": mean + half},
                              index=pd.Index(columns, name="factor")).sort_values("importance", ascending=False)
    rng = np.random.default_rng(seed)
    boot_ranks = np.empty((rank_boot, len(columns)))
    for b in range(rank_boot):
        m = drops[rng.integers(0, k, k)].mean(axis=0)
        boot_ranks[b] = stats.rankdata(-m, method="min")
    lo, hi = np.quantile(boot_ranks, [0.5 - level / 2, 0.5 + level / 2], axis=0)
    ranks = pd.DataFrame({"rank_ci_low": np.floor(lo).astype(int), "rank_ci_high": np.ceil(hi).astype(int)},
                         index=pd.Index(columns, name="factor"))
    return importance, ranks
