"""Data audit: what a dataset holds before anyone believes an analysis of it.

Coverage per table and month, accounts by segment and signup cohort, renewal
decisions and churn rates by year and renewal number (Wilson intervals), and
data-quality flags that change how the later analyses should be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..contract import TABLES
from ..lifetimes import decided_terms
from .intervals import wilson_interval
from .results import AnalysisResult

__all__ = [
    "DataAudit",
    "audit_dataset",
    "coverage_by_month",
    "accounts_by_cohort",
    "decision_churn_rates",
    "quality_flags",
]

#: Date column of each dated table, used for monthly coverage (the contract dates every row).
_DATE_COLUMNS = {name: TABLES[name].date_column for name in ("usage_monthly", "engagement", "health_monthly", "roi")}


def coverage_by_month(dataset) -> pd.DataFrame:
    """Rows per table per calendar month, and accounts under contract in each month.

    Returns
    -------
    DataFrame
        Indexed by month (first day); one column per dated table present
        (rows that month) plus ``accounts_in_contract`` (accounts with a term
        in force on the first day of the month).
    """
    extracted = dataset.extracted_at
    first = dataset.accounts["signup_date"].min()
    months = pd.date_range(first.to_period("M").to_timestamp(), extracted, freq="MS")
    out = pd.DataFrame(index=pd.Index(months, name="month"))
    for table, col in _DATE_COLUMNS.items():
        frame = dataset.tables.get(table)
        if frame is None or col not in frame:
            continue
        counts = frame[col].dt.to_period("M").dt.to_timestamp().value_counts()
        out[f"{table}_rows"] = counts.reindex(out.index, fill_value=0).astype("int64")
    c = dataset.contracts
    starts = np.searchsorted(np.sort(c["term_start"].to_numpy()), months.to_numpy(), side="right")
    ends = np.searchsorted(np.sort(c["term_end"].to_numpy()), months.to_numpy(), side="right")
    out["accounts_in_contract"] = (starts - ends).astype("int64")
    return out


def accounts_by_cohort(dataset) -> pd.DataFrame:
    """Accounts by segment (rows) and signup year (columns), with totals."""
    acc = dataset.accounts
    table = pd.crosstab(acc["segment"].astype("str"), acc["signup_date"].dt.year, margins=True, margins_name="total")
    table.index.name = "segment"
    table.columns.name = "signup_year"
    return table


def decision_churn_rates(dataset, by: str = "year", level: float = 0.95) -> pd.DataFrame:
    """Renewal decisions and churn rate per decision year or renewal number.

    Parameters
    ----------
    dataset : Dataset
    by : {"year", "renewal_number"}
        ``year`` of term_end (the decision day), or the decision's renewal
        number (1 = first renewal decision after signup).
    level : float
        Confidence level of the Wilson intervals.

    Returns
    -------
    DataFrame
        decisions, churned, churn_rate, ci_low, ci_high per group; open terms
        are not decisions and are excluded.
    """
    decided = decided_terms(dataset)
    decided["year"] = decided["term_end"].dt.year
    if by not in ("year", "renewal_number"):
        raise ValueError("by must be 'year' or 'renewal_number'")
    rows = []
    for key, grp in decided.groupby(by, sort=True):
        churned = int(grp["churned"].sum())
        iv = wilson_interval(churned, len(grp), level=level)
        rows.append({by: key, "decisions": len(grp), "churned": churned,
                     "churn_rate": iv.estimate, "ci_low": iv.ci_low, "ci_high": iv.ci_high})
    return pd.DataFrame(rows, columns=[by, "decisions", "churned", "churn_rate", "ci_low", "ci_high"]).set_index(by)


def quality_flags(dataset) -> pd.DataFrame:
    """Data-quality flags: things that do not break the contract but matter for the analyses.

    Returns
    -------
    DataFrame
        One row per check: ``flag``, ``count``, ``share`` (of the relevant
        base), ``severity`` (``info`` or ``warning``) and ``meaning``.
    """
    acc = dataset.accounts
    n = len(acc)
    c = dataset.contracts
    rows: list[dict[str, Any]] = []

    def add(flag: str, count: int, base: int, meaning: str, warn_share: float | None = None) -> None:
        share = count / base if base else np.nan
        severity = "warning" if warn_share is not None and base and share > warn_share else "info"
        rows.append({"flag": flag, "count": int(count), "share": share, "severity": severity, "meaning": meaning})

    usage = dataset.usage_monthly
    with_usage = set() if usage is None else set(usage["account_id"].unique())
    add("accounts_without_usage", int((~acc["account_id"].isin(with_usage)).sum()), n,
        "accounts with no usage_monthly row at all: every usage feature is 0 for them", 0.05)
    add("terms_without_quota", int(c["quota"].isna().sum()), len(c),
        "terms with no quota: quota_consumption is null for them")
    add("open_terms", int((c["outcome"].astype("str") == "open").sum()), len(c),
        "terms whose renewal decision is not known yet: censored, never labelled")
    ob = dataset.onboarding
    if ob is None:
        add("onboarding_missing", n, n, "no onboarding table: onboarding analyses cannot run", 0.0)
    else:
        add("onboarding_status_derived", int(ob["status"].isna().sum()) if "status" in ob else len(ob), len(ob),
            "onboarding rows without a status: derived by the grace-days rule")
        add("accounts_without_onboarding", int((~acc["account_id"].isin(ob["account_id"])).sum()), n,
            "accounts with no onboarding row: left out of onboarding analyses", 0.05)
    for table in ("engagement", "roi", "health_monthly", "events"):
        if not dataset.has(table):
            add(f"{table}_absent", 1, 1, f"optional table {table} is absent: its features are null")
    if usage is not None and len(usage):
        seats = c.groupby("account_id", observed=True)["seats"].max()
        over = usage["active_users"].to_numpy() > usage["account_id"].map(seats).to_numpy() * 1.5
        add("usage_above_seats", int(np.nansum(over)), len(usage),
            "usage months with active users above 1.5x the most seats ever licensed: check seat data", 0.01)
    if dataset.extracted_at is not None:
        recent = acc["signup_date"] > dataset.extracted_at - pd.DateOffset(years=1)
        add("accounts_signed_up_last_year", int(recent.sum()), n,
            "accounts younger than one year: no renewal decision yet")
    return pd.DataFrame(rows, columns=["flag", "count", "share", "severity", "meaning"])


@dataclass
class DataAudit(AnalysisResult):
    """The data audit of one dataset.

    Attributes
    ----------
    summary : DataFrame
        Rows per table, whether it was derived, and the text encoding of a CSV table (else empty).
    coverage : DataFrame
        :func:`coverage_by_month`.
    cohorts : DataFrame
        :func:`accounts_by_cohort`.
    churn_by_year, churn_by_renewal : DataFrame
        :func:`decision_churn_rates` by decision year and renewal number.
    flags : DataFrame
        :func:`quality_flags`.
    validation : ValidationReport or None
    """

    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)
    cohorts: pd.DataFrame = field(default_factory=pd.DataFrame)
    churn_by_year: pd.DataFrame = field(default_factory=pd.DataFrame)
    churn_by_renewal: pd.DataFrame = field(default_factory=pd.DataFrame)
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)
    overall_churn: Any = None
    validation: Any = None

    title = "Data audit"

    def to_findings(self) -> dict[str, Any]:
        """The ``data_audit`` findings section."""
        return {
            "valid": None if self.validation is None else bool(self.validation.is_valid),
            "tables": {k: int(v) for k, v in self.summary["rows"].items()},
            "n_decisions": int(self.churn_by_year["decisions"].sum()) if len(self.churn_by_year) else 0,
            "churn_rate_per_decision": self.overall_churn.to_dict() if self.overall_churn is not None else None,
            "warnings": self.flags.loc[self.flags["severity"] == "warning", "flag"].tolist(),
            "method": self.method,
        }


def audit_dataset(dataset, level: float = 0.95) -> DataAudit:
    """Run every audit table on ``dataset``.

    Parameters
    ----------
    dataset : Dataset
    level : float
        Confidence level of the churn-rate intervals.

    Returns
    -------
    DataAudit
    """
    encodings = getattr(dataset, "encodings", {})
    sizes = pd.DataFrame(
        {"rows": dataset.row_counts(),
         "derived": {k: k in dataset.derived_tables for k in dataset.row_counts()},
         "encoding": {k: encodings.get(k, "") for k in dataset.row_counts()}}
    )
    sizes.index.name = "table"
    by_year = decision_churn_rates(dataset, "year", level)
    decisions = int(by_year["decisions"].sum())
    overall = wilson_interval(int(by_year["churned"].sum()), decisions, level=level)
    return DataAudit(
        summary=sizes,
        method="churn rate per decided renewal (open terms excluded) with Wilson score intervals",
        coverage=coverage_by_month(dataset),
        cohorts=accounts_by_cohort(dataset),
        churn_by_year=by_year,
        churn_by_renewal=decision_churn_rates(dataset, "renewal_number", level),
        flags=quality_flags(dataset),
        overall_churn=overall,
        validation=replace(dataset.validate(), dataset=shared_label(dataset)),
    )


def shared_label(dataset) -> str:
    """How shared output names a dataset: its name and folder name, never a machine path."""
    folder = getattr(dataset, "path", None)
    return f"{dataset.name} (folder {folder.name})" if folder is not None and folder.name != dataset.name else dataset.name
