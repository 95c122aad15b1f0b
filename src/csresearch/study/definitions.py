"""Health definitions side by side (notebook 03): every configured definition validated the same way and ranked.

Each definition (:func:`csresearch.health.health_definitions`: the DEAR score,
its weakest component, Box's 50/80 healthy customer and the user's own files)
scores the same rows; on them the suite measures

* the AUC for renewing at the next decision (decision table), ranked, with the
  difference from the best definition and from the DEAR score (paired cluster
  bootstrap over accounts, :func:`~csresearch.analysis.score_comparison.compare_aucs`);
* the Spearman correlation with tenure at signup anniversaries (same method);
* calibration in the leader's terms: the share of decisions unhealthy and the
  churn rate of unhealthy vs healthy accounts (Wilson intervals, Katz ratio);
* the unhealthy share by onboarding outcome at the first signup anniversary
  (the tenure panel's first year; Wilson intervals, Katz risk ratio).

"Unhealthy" is a score below ``unhealthy_threshold`` (a rule scores 0 or 100,
so unhealthy = the rule does not hold).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.intervals import risk_ratio_katz, wilson_interval
from ..analysis.results import Interval
from ..analysis.score_comparison import (
    ScoreComparison,
    compare_aucs,
    compare_rank_correlations,
)
from ..health import HealthDefinition

__all__ = ["DefinitionValidity", "definition_files", "validate_definitions"]

REFERENCE = "dear"
WILSON = "Wilson score interval per group; risk ratio with Katz log interval"


def definition_files(value: Any) -> list[str]:
    """The extra definition files of the ``definitions`` parameter: a comma-separated text, a list or None."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return [str(v).strip() for v in items if str(v).strip()]


def _suppressed(successes: int, n: int, min_group: int) -> Interval:
    if 0 < n < min_group:
        return Interval.unavailable(f"suppressed: fewer than {min_group} in the group", method=WILSON)
    return wilson_interval(successes, n)


def _split(unhealthy: np.ndarray, outcome: np.ndarray, min_group: int) -> dict[str, Interval]:
    """Share with ``outcome`` among unhealthy and healthy rows, and their ratio."""
    a, b = unhealthy, ~unhealthy
    ka, na, kb, nb = int(outcome[a].sum()), int(a.sum()), int(outcome[b].sum()), int(b.sum())
    ratio = (risk_ratio_katz(ka, na, kb, nb) if min(na, nb) >= min_group and min(na, nb) > 0
             else Interval.unavailable("a group is empty or suppressed", method=WILSON))
    return {"unhealthy": _suppressed(ka, na, min_group), "healthy": _suppressed(kb, nb, min_group), "ratio": ratio}


def _calibration(score: np.ndarray, churned: np.ndarray, threshold: float, min_group: int) -> dict[str, Interval]:
    ok = ~np.isnan(score)
    unhealthy = score[ok] < threshold
    split = _split(unhealthy, churned[ok].astype(bool), min_group)
    return {"unhealthy_share": wilson_interval(int(unhealthy.sum()), int(ok.sum())),
            "churn_rate_unhealthy": split["unhealthy"], "churn_rate_healthy": split["healthy"],
            "churn_risk_ratio": split["ratio"]}


def _onboarding(score: np.ndarray, succeeded: np.ndarray, threshold: float, min_group: int) -> dict[str, Interval]:
    ok = ~np.isnan(score) & ~np.isnan(succeeded)
    unhealthy, failed = score[ok] < threshold, succeeded[ok] == 0
    split = _split(failed, unhealthy, min_group)
    return {"unhealthy_share_failed": split["unhealthy"], "unhealthy_share_succeeded": split["healthy"],
            "unhealthy_risk_ratio": split["ratio"]}


@dataclass
class DefinitionValidity:
    """Every health definition validated the same way, ranked by its AUC for the next renewal.

    Attributes
    ----------
    definitions : list of HealthDefinition
    auc, tenure : ScoreComparison
        Renewal AUC and tenure correlation on the rows every definition scores.
    checks : dict of str to dict of str to Interval
        Per definition: calibration (unhealthy share, churn rates, ratio) and
        the unhealthy share by onboarding outcome.
    threshold : float
    """

    definitions: list[HealthDefinition]
    auc: ScoreComparison
    tenure: ScoreComparison
    checks: dict[str, dict[str, Interval]] = field(default_factory=dict)
    threshold: float = 40.0

    def by_name(self) -> dict[str, HealthDefinition]:
        """The definitions by name."""
        return {d.name: d for d in self.definitions}

    def entries(self) -> list[dict[str, Any]]:
        """One findings entry per definition, in rank order."""
        auc, tenure, defs = self.auc.to_findings()["scores"], self.tenure.to_findings()["scores"], self.by_name()
        out = []
        for name in self.auc.ranking():
            d, a, t = defs[name], auc[name], tenure[name]
            out.append({"name": name, "label": d.label, "kind": d.kind, "definition": d.describe(),
                        "features": d.features(), "rank": a["rank"], "p_best": a["p_best"],
                        "auc_next_renewal": a["estimate"], "auc_vs_best": a["vs_best"],
                        "auc_vs_dear": a["vs_reference"], "tenure_spearman": t["estimate"],
                        "tenure_spearman_vs_dear": t["vs_reference"],
                        **{k: v.to_dict() for k, v in self.checks.get(name, {}).items()}})
        return out

    def to_findings(self) -> dict[str, Any]:
        """``definitions`` (one entry per definition) and ``definition_comparison`` (methods, best, sample)."""
        return {"definitions": self.entries(),
                "definition_comparison": {
                    "reference": REFERENCE, "best": self.auc.best, "unhealthy_threshold": self.threshold,
                    "onboarding_checked_at": "first signup anniversary", "auc_method": self.auc.method,
                    "tenure_method": self.tenure.method, "checks_method": WILSON,
                    "n_accounts": self.auc.estimates[self.auc.best].n,
                    "n_decisions_left_out": self.auc.n_dropped}}

    def table(self) -> pd.DataFrame:
        """One row per definition (rank order): AUC and differences, tenure correlation, churn by health."""
        rows = []
        for e in self.entries():
            row = {"label": e["label"], "rank": e["rank"], "p_best": e["p_best"]}
            for key in ("auc_next_renewal", "auc_vs_best", "auc_vs_dear", "tenure_spearman", "unhealthy_share",
                        "churn_rate_unhealthy", "churn_rate_healthy", "unhealthy_share_failed",
                        "unhealthy_share_succeeded"):
                iv = Interval.from_dict(e.get(key))
                row.update({key: iv.estimate, f"{key}_low": iv.ci_low, f"{key}_high": iv.ci_high})
            rows.append(row)
        return pd.DataFrame(rows).set_index("label")


def _scores(definitions: Sequence[HealthDefinition], frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {d.name: d.score(frame) for d in definitions}


def validate_definitions(definitions: Sequence[HealthDefinition], decisions: pd.DataFrame, panel: pd.DataFrame,
                         *, threshold: float = 40.0, n_boot: int = 200, seed: int = 0,
                         min_group: int = 5) -> DefinitionValidity:
    """Validate the built-in and ``extra`` health definitions side by side.

    Parameters
    ----------
    definitions : sequence of HealthDefinition
        From :func:`~csresearch.health.health_definitions` (``dear`` among them: the reference).
    decisions : DataFrame
        Decision table (features, ``churned``, account in the index or a column).
    panel : DataFrame
        Features at signup anniversaries with ``account_id``, ``tenure_years``, ``tenure_year`` and
        ``onboarding_succeeded``; the first anniversary gives the unhealthy share by onboarding outcome.
    threshold : float
        Unhealthy = score below this.
    n_boot, seed : int
        Paired cluster-bootstrap resamples and seed.
    min_group : int
        Groups smaller than this are suppressed.

    Returns
    -------
    DefinitionValidity
    """
    frame = decisions.reset_index() if "account_id" not in decisions.columns else decisions
    churned = frame["churned"].to_numpy(dtype="float64")
    at_decision = _scores(definitions, frame)
    auc = compare_aucs(1 - churned, at_decision, groups=frame["account_id"].to_numpy(), reference=REFERENCE,
                       n_boot=n_boot, seed=seed)
    tenure = compare_rank_correlations(panel["tenure_years"], _scores(definitions, panel),
                                       groups=panel["account_id"].to_numpy(), reference=REFERENCE, n_boot=n_boot, seed=seed)
    checks = {name: _calibration(s, churned, threshold, min_group) for name, s in at_decision.items()}
    snapshot = panel.loc[panel["tenure_year"] == 1] if "tenure_year" in panel else panel.iloc[:0]
    if len(snapshot) and "onboarding_succeeded" in snapshot:
        succeeded = snapshot["onboarding_succeeded"].to_numpy(dtype="float64")
        for name, s in _scores(definitions, snapshot).items():
            checks[name].update(_onboarding(s, succeeded, threshold, min_group))
    return DefinitionValidity(list(definitions), auc, tenure, checks, float(threshold))
