"""Lead time: how far ahead of the renewal decision the churn factors can see churn coming.

The churn-factor model (:class:`~csresearch.analysis.churn_model.ChurnFactorModel`)
is fitted on one decision table per lead (features observed ``lead`` days
before each renewal decision). Per lead it gives the account-grouped
cross-validated AUC with its interval and the factor ranking (permutation
importance). A factor is labelled by a stated rule:

* **leading indicator**: within the top ``top`` factors, with an importance
  interval above 0, at some lead of at least ``long_lead_days`` (default 270
  days: far enough ahead for a CS team to act);
* **late symptom**: within the top ``top`` at some lead, but never so at a long
  lead (it matters only close to the decision).

Factors never in the top ``top`` get no label. This module is pure statistics:
the decision tables are built by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..i18n import label as tl
from ..jsonsafe import json_safe
from .results import AnalysisResult

__all__ = ["LEADING", "LeadTimeResult", "SYMPTOM", "label_factors", "lead_time_analysis"]

LEADING = "leading indicator"
SYMPTOM = "late symptom"
DEFAULT_LEADS = (30, 90, 180, 270, 365)


def label_factors(results: Mapping[int, Any], top: int = 5, long_lead_days: int = 270) -> dict[str, str]:
    """Label each factor that is in the top ``top`` at some lead: leading indicator or late symptom.

    Parameters
    ----------
    results : mapping of lead (days) to FactorResult
    top : int, default 5
    long_lead_days : int, default 270

    Returns
    -------
    dict
        factor -> ``"leading indicator"`` or ``"late symptom"``, in order of first appearance by lead.
    """
    labels: dict[str, str] = {}
    for lead in sorted(results):
        imp = results[lead].importance
        for factor in list(imp.index[:top]):
            if imp.loc[factor, "ci_low"] <= 0 and lead >= long_lead_days:
                continue
            if lead >= long_lead_days:
                labels[str(factor)] = LEADING
            else:
                labels.setdefault(str(factor), SYMPTOM)
    return labels


@dataclass
class LeadTimeResult(AnalysisResult):
    """The churn-factor model at several leads.

    Attributes
    ----------
    summary : DataFrame
        One row per lead: cv_auc, ci_low, ci_high, n_decisions, top factors.
    results : dict
        lead (days) -> FactorResult.
    labels : dict
        factor -> ``"leading indicator"`` / ``"late symptom"`` (see the module's rule).
    rule : str
    """

    results: dict[int, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    rule: str = ""
    title = "Churn factors by lead time"

    @property
    def leads(self) -> list[int]:
        """The leads in days, ascending."""
        return sorted(self.results)

    @property
    def leading(self) -> list[str]:
        """Factors labelled leading indicators."""
        return [f for f, lab in self.labels.items() if lab == LEADING]

    def to_findings(self) -> dict[str, Any]:
        """The ``lead_time`` findings section (lead keys are strings of days)."""
        return json_safe({
            "leads_days": self.leads,
            "cv_auc": {str(k): self.results[k].cv_auc.to_dict() for k in self.leads},
            "ranking": {str(k): self.results[k].ranking for k in self.leads},
            "labels": dict(self.labels),
            "label_rule": self.rule,
            "notes": list(self.notes),
            "method": self.method,
        })

    def plot(self, ax=None):
        """Cross-validated AUC (95% interval) against lead time; 0.5 = no better than chance."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        s = self.summary
        ok = s["cv_auc"].notna()
        err = np.vstack([s.loc[ok, "cv_auc"] - s.loc[ok, "ci_low"], s.loc[ok, "ci_high"] - s.loc[ok, "cv_auc"]])
        ax.errorbar(s.index[ok], s.loc[ok, "cv_auc"], yerr=err.astype("float64").clip(min=0),
                    fmt="o-", color="#4a6fa5", ecolor="#333", capsize=3)
        ax.axhline(0.5, color="#999", lw=0.8, ls="--")
        ax.set_xlabel(tl("days before the renewal decision"))
        ax.set_ylabel(tl("cross-validated AUC"))
        ax.invert_xaxis()
        return ax


def lead_time_analysis(tables: Mapping[int, pd.DataFrame], *, fitted: Mapping[int, Any] | None = None,
                       factors: Sequence[str] | None = None, top: int = 5, long_lead_days: int = 270,
                       seed: int = 0, n_boot: int = 50, n_repeats: int = 1, **params: Any) -> LeadTimeResult:
    """Fit the churn-factor model on the decision table of each lead and label the top factors.

    Parameters
    ----------
    tables : mapping of lead (days) to decision table
        One row per renewal decision, features observed ``lead`` days before it
        (``churned`` and ``account_id`` columns).
    fitted : mapping of lead to FactorResult, optional
        Results already computed (e.g. the primary lead with full repeats); not refitted.
    factors : sequence of str, optional
        Factor columns (default as :func:`~csresearch.analysis.churn_model.churn_factors`).
    top, long_lead_days : int
        The labelling rule (see the module docstring).
    seed, n_boot, n_repeats
        Passed to the model at the leads fitted here (fewer repeats than the
        primary fit keep five fits affordable).

    Returns
    -------
    LeadTimeResult
    """
    from .churn_model import churn_factors

    if not tables:
        raise AnalysisError("lead-time analysis needs at least one lead")
    results = dict(fitted or {})
    notes = []
    if results and "candidates" not in params:
        params["candidates"] = sorted({r.chosen_model for r in results.values()})
    for lead in sorted(tables):
        if lead in results:
            continue
        table = tables[lead]
        if table["churned"].nunique() < 2:
            notes.append(f"lead {lead} days: the decision table lacks churned or renewed decisions; left out")
            continue
        results[lead] = churn_factors(table, factors=factors, random_state=seed, n_boot=n_boot,
                                      n_repeats=n_repeats, n_kpis=0, rank_boot=n_boot, explain=False, **params)
    rule = (f"leading indicator: in the top {top} by permutation importance, with an importance interval above 0, "
            f"at a lead of at least {long_lead_days} days; late symptom: in the top {top} only at shorter leads")
    rows = {lead: {"cv_auc": r.cv_auc.estimate, "ci_low": r.cv_auc.ci_low, "ci_high": r.cv_auc.ci_high,
                   "n_decisions": r.cv_auc.n, "top": ", ".join(r.ranking[:top])}
            for lead, r in sorted(results.items())}
    summary = pd.DataFrame.from_dict(rows, orient="index").rename_axis("lead_days")
    extra = sorted(set(results) - set(fitted or {}))
    method = (f"churn-factor model refitted at each lead (account-grouped CV AUC, permutation ranking); leads "
              f"{extra} with {n_boot} bootstrap resamples, {n_repeats} permutation repeat(s) and only the "
              f"model chosen at the given leads ({', '.join(params.get('candidates') or ['both candidates'])}) "
              f"to keep the fits affordable")
    return LeadTimeResult(summary=summary, method=method, notes=notes, results=results,
                          labels=label_factors(results, top, long_lead_days), rule=rule)
