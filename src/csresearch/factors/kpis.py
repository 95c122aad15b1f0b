"""Which columns may become KPIs: only what a customer-success team can act on.

With ``actionable`` (``--actionable COL ...``) the KPIs are chosen among those
columns only. Without it, every numeric factor with more than two values is a
candidate except identifiers (a name whose last word is id/key/uuid/guid or a
row/customer number, or whole numbers unique per row) and tenure-like or
contract-length columns (names with tenure, lifetime, signup, contract, term,
renewal, seniority, or a time unit with active/customer/account/subscription):
a team cannot manage how long a customer has been one. The skipped columns are
named in a note. Candidates are taken in the order of the factor ranking and
the thresholds computed by :func:`csresearch.analysis.kpi.kpi_thresholds`.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..analysis.churn_model import is_categorical
from ..analysis.kpi import KpiThreshold, kpi_thresholds
from ..errors import InputError

__all__ = ["kpi_candidates", "factor_kpis", "context_reason"]

ID_WORDS = {"id", "key", "uuid", "guid"}
TENURE_WORDS = {"tenure", "lifetime", "signup", "contract", "term", "renewal", "renewals", "seniority"}
TIME_WORDS = {"day", "days", "week", "weeks", "month", "months", "year", "years", "age"}
WHO_WORDS = {"active", "customer", "account", "client", "subscription", "subscribed", "member"}


def _words(name: str) -> set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    return {w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w}


def context_reason(name: str, s: pd.Series) -> str | None:
    """Why column ``name`` is context rather than something a team manages (None when it may be a KPI)."""
    words = _words(name)
    last = re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name)).lower().strip())[-1]
    v = s.dropna()
    if last in ID_WORDS or {"row", "number"} <= words or ({"customer", "number"} <= words) or (
            len(v) == len(s) and v.nunique() == len(v) and (v % 1 == 0).all()):
        return "identifier"
    if words & TENURE_WORDS or (words & TIME_WORDS and words & WHO_WORDS):
        return "tenure or contract length"
    return None


def kpi_candidates(X: pd.DataFrame, ranking: Sequence[str], actionable: Sequence[str] | None,
                   notes: list[str]) -> list[str]:
    """Numeric factors with more than two values that may be KPIs, in ranking order; notes say what was skipped."""
    numeric = [c for c in ranking if c in X.columns and not is_categorical(X[c]) and X[c].nunique() > 2]
    if actionable:
        unknown = [c for c in actionable if c not in X.columns]
        if unknown:
            raise InputError(f"--actionable: column(s) {unknown} are not factors of the cleaned table; "
                             f"the factors are {list(X.columns)}")
        not_numeric = [c for c in actionable if c not in numeric]
        if not_numeric:
            notes.append(f"KPIs: --actionable column(s) {not_numeric} are not numeric with more than two values; "
                         f"no threshold for them")
        return [c for c in numeric if c in actionable]
    skipped = {c: r for c in numeric if (r := context_reason(c, X[c]))}
    if skipped:
        notes.append("KPIs skip columns a team cannot act on: " + ", ".join(f"{c} ({r})" for c, r in skipped.items())
                     + "; name the manageable columns with --actionable to choose yourself")
    return [c for c in numeric if c not in skipped]


def factor_kpis(X: pd.DataFrame, y: np.ndarray, groups: np.ndarray | None, ranking: Sequence[str],
                actionable: Sequence[str] | None, n_kpis: int, notes: list[str], **params: Any) -> list[KpiThreshold]:
    """KPI thresholds for the top ``n_kpis`` candidates (``params``: min_share, n_boot, seed)."""
    features = kpi_candidates(X, ranking, actionable, notes)[:n_kpis]
    if not features:
        return []
    frame = pd.concat([X[features].reset_index(drop=True), pd.Series(np.asarray(y), name="__y")], axis=1)
    return kpi_thresholds(frame, "__y", features, groups=groups, **params)
