"""Analysis tables: canonical features and health scores at chosen (account, as_of) points.

Both tables are indexed by MultiIndex ``(account_id, as_of)`` (as
:func:`csresearch.features.build_features`), one row per point, and hold every
canonical feature, the health columns (``health_deployment``,
``health_engagement``, ``health_adoption``, ``health_roi``, ``health_score``,
``health_coverage``), ``segment`` and ``touch_model``, followed by whatever
columns the points carried (``relative_month``, ``term_end``, ...).

* :func:`decision_table`: one row per *decided* renewal (outcome renewed or
  churned) at ``as_of = term_end - lead_days`` with the label ``churned``.
* :func:`snapshot_table`: any other points; by default only accounts that are
  customers at as_of. The ``points_*`` helpers build the points the analyses use.

Rows that were left out are counted in ``table.attrs["dropped"]`` (a dict of
reason -> count), so that a notebook can say so.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from .contract import HEALTH_COLUMNS
from .errors import InputError, ParameterError
from .features import build_features
from .health import HealthScore
from .lifetimes import account_lifetimes, decided_terms

__all__ = [
    "decision_table",
    "snapshot_table",
    "points_after_onboarding",
    "points_anniversaries",
    "points_before_decisions",
    "points_continuing",
    "customer_at",
]

KEYS = ["account_id", "as_of"]


def _contracts(dataset) -> pd.DataFrame:
    contracts = dataset.contracts
    if contracts is None or dataset.accounts is None:
        raise InputError("the dataset needs accounts and contracts tables to build analysis tables; add accounts.csv and contracts.csv")
    return contracts


def _within_cutoff(dataset, points: pd.DataFrame) -> pd.DataFrame:
    if dataset.extracted_at is None:
        return points
    return points.loc[points["as_of"] <= dataset.extracted_at].reset_index(drop=True)


def customer_at(dataset, points: pd.DataFrame) -> np.ndarray:
    """Whether each point's account is a customer at its as_of.

    A customer has a term in force: ``term_start <= as_of < term_end``, the
    rule the features use (term_end, the decision day, is the first day not
    covered; a renewed account is covered on it by its next term, a churned
    one is not).

    Parameters
    ----------
    dataset : Dataset
        Needs contracts.
    points : DataFrame
        Columns ``account_id`` and ``as_of``.

    Returns
    -------
    ndarray of bool
        One value per row of ``points``, in order.
    """
    terms = _contracts(dataset)[["account_id", "term_start", "term_end"]]
    pts = pd.DataFrame({"account_id": points["account_id"].to_numpy(), "as_of": points["as_of"].to_numpy(),
                        "row": np.arange(len(points))})
    pairs = pts.merge(terms, on="account_id", how="inner")
    in_force = ((pairs["term_start"] <= pairs["as_of"]) & (pairs["as_of"] < pairs["term_end"])).to_numpy()
    out = np.zeros(len(points), dtype=bool)
    out[pairs.loc[in_force, "row"].to_numpy()] = True
    return out


def _points_frame(points) -> pd.DataFrame:
    if isinstance(points, pd.DataFrame) and not set(KEYS) <= set(points.columns) and set(KEYS) <= set(points.index.names):
        points = points.reset_index()
    if not isinstance(points, pd.DataFrame) or not set(KEYS) <= set(points.columns):
        raise ParameterError("points must be a DataFrame with columns account_id and as_of (one row per point)")
    out = points.reset_index(drop=True).copy()
    out["account_id"] = out["account_id"].astype("str")
    out["as_of"] = pd.to_datetime(out["as_of"]).astype("datetime64[ns]")
    return out


def _assemble(dataset, points: pd.DataFrame, scorecard, grace_days: int) -> pd.DataFrame:
    """Features, health and account attributes for ``points`` (columns beyond the keys are appended)."""
    features = build_features(dataset, points[KEYS], grace_days=grace_days)
    accounts = dataset.accounts.drop_duplicates("account_id").set_index("account_id")
    attributes = accounts.reindex(points["account_id"])[["segment", "touch_model"]]
    attributes.index = features.index
    scored = pd.concat([features, attributes], axis=1)
    health = HealthScore(scorecard).transform(scored)
    extra = points.drop(columns=KEYS)
    extra.index = features.index
    return pd.concat([features, health[[*HEALTH_COLUMNS, "health_coverage"]], attributes, extra], axis=1)


def decision_table(dataset, lead_days: int = 90, *, scorecard=None, grace_days: int = 30) -> pd.DataFrame:
    """One row per decided renewal, observed ``lead_days`` before the decision.

    Parameters
    ----------
    dataset : Dataset
        Needs accounts and contracts; other tables feed the features they define.
    lead_days : int, default 90
        Days before ``term_end`` at which the features are observed:
        ``as_of = term_end - lead_days``.
    scorecard : str, Path, dict or None
        Health scorecard (None = the default scorecard).
    grace_days : int, default 30
        Onboarding grace period for derived onboarding statuses.

    Returns
    -------
    DataFrame
        Indexed by (account_id, as_of), sorted; canonical features (with
        ``renewal_number``: earlier terms already decided), health columns,
        ``segment``, ``touch_model``, ``term_start``, ``term_end``, ``arr``
        and ``churned`` (int 0/1). Terms with outcome ``open`` are never
        included. ``attrs["dropped"]`` counts the decided terms left out:
        ``term_shorter_than_lead_days`` (as_of would fall before the term's
        own term_start, so the decision could not be observed inside the term)
        and ``as_of_after_extracted_at``.
    """
    if isinstance(lead_days, bool) or not isinstance(lead_days, (int, np.integer)) or lead_days < 0:
        raise ParameterError(f"lead_days must be a whole number of days >= 0, not {lead_days!r}")
    _contracts(dataset)
    decided = decided_terms(dataset)
    points = pd.DataFrame(
        {
            "account_id": decided["account_id"].to_numpy(),
            "as_of": (decided["term_end"] - pd.Timedelta(days=int(lead_days))).to_numpy(),
            "term_start": decided["term_start"].to_numpy(),
            "term_end": decided["term_end"].to_numpy(),
            "arr": decided["arr"].to_numpy(),
            "churned": decided["churned"].to_numpy(),
        }
    )
    short = (points["as_of"] < points["term_start"]).to_numpy()
    late = np.zeros(len(points), dtype=bool)
    if dataset.extracted_at is not None:
        late = ~short & (points["as_of"] > dataset.extracted_at).to_numpy()
    points = points.loc[~short & ~late].reset_index(drop=True)
    table = _assemble(dataset, points, scorecard, grace_days).sort_index()
    table.attrs["lead_days"] = int(lead_days)
    table.attrs["dropped"] = {"term_shorter_than_lead_days": int(short.sum()), "as_of_after_extracted_at": int(late.sum())}
    return table


def snapshot_table(dataset, points, *, scorecard=None, grace_days: int = 30, customers_only: bool = True) -> pd.DataFrame:
    """Features and health at arbitrary points.

    Parameters
    ----------
    dataset : Dataset
        The typed dataset.
    points : DataFrame
        Columns (or index levels) ``account_id`` and ``as_of``; any other
        columns are carried into the result (e.g. ``relative_month``).
        Points after ``extracted_at`` are dropped (nothing is known then).
    scorecard : str, Path, dict or None
        Health scorecard (None = the default scorecard).
    grace_days : int, default 30
        Onboarding grace period for derived onboarding statuses.
    customers_only : bool, default True
        Keep only points where the account is a customer (see :func:`customer_at`).

    Returns
    -------
    DataFrame
        Indexed by (account_id, as_of) in the order of ``points`` (repeated
        points repeat); columns as :func:`decision_table` minus the contract
        columns, plus the points' own columns. ``attrs["dropped"]`` counts
        ``as_of_after_extracted_at`` and ``not_customer_at_as_of``.
    """
    pts = _points_frame(points)
    late = (pts["as_of"] > dataset.extracted_at).to_numpy() if dataset.extracted_at is not None else np.zeros(len(pts), bool)
    pts = pts.loc[~late].reset_index(drop=True)
    unknown = ~pts["account_id"].isin(dataset.accounts["account_id"])
    if unknown.any():
        raise ParameterError(f"{int(unknown.sum())} points have account_ids not in accounts, e.g. "
                             f"{pts.loc[unknown, 'account_id'].iloc[0]!r}")
    not_customer = np.zeros(len(pts), dtype=bool)
    if customers_only:
        not_customer = ~customer_at(dataset, pts)
        pts = pts.loc[~not_customer].reset_index(drop=True)
    table = _assemble(dataset, pts, scorecard, grace_days)
    table.attrs["dropped"] = {"as_of_after_extracted_at": int(late.sum()), "not_customer_at_as_of": int(not_customer.sum())}
    return table


def points_after_onboarding(dataset, months_after: int = 12) -> pd.DataFrame:
    """Points ``months_after`` calendar months after each account's onboarding target_date.

    Returns
    -------
    DataFrame
        Columns ``account_id``, ``as_of``, ``months_after``; accounts without
        an onboarding row, or whose point is after extracted_at, are left out.
    """
    onboarding = dataset.onboarding
    if onboarding is None:
        raise InputError("the dataset has no onboarding table; onboarding analyses need onboarding.csv")
    ob = onboarding.dropna(subset=["target_date"])
    points = pd.DataFrame({"account_id": ob["account_id"].to_numpy(),
                           "as_of": (ob["target_date"] + pd.DateOffset(months=int(months_after))).to_numpy(),
                           "months_after": int(months_after)})
    return _within_cutoff(dataset, points)


def points_anniversaries(dataset) -> pd.DataFrame:
    """Yearly anniversaries of signup up to extracted_at, while the account is a customer.

    Returns
    -------
    DataFrame
        Columns ``account_id``, ``as_of`` (signup + k years; 29 February
        signups fall on 28 February) and ``tenure_year`` (k = 1, 2, ...).
    """
    _contracts(dataset)
    accounts = dataset.accounts.dropna(subset=["signup_date"])
    if dataset.extracted_at is None or accounts.empty:
        return pd.DataFrame({"account_id": pd.Series(dtype="str"), "as_of": pd.Series(dtype="datetime64[ns]"),
                             "tenure_year": pd.Series(dtype="int64")})
    max_years = int(dataset.extracted_at.year - accounts["signup_date"].min().year) + 1
    frames = [
        pd.DataFrame({"account_id": accounts["account_id"].to_numpy(),
                      "as_of": (accounts["signup_date"] + pd.DateOffset(years=k)).to_numpy(),
                      "tenure_year": k})
        for k in range(1, max_years + 1)
    ]
    points = _within_cutoff(dataset, pd.concat(frames, ignore_index=True))
    points = points.loc[customer_at(dataset, points)]
    return points.sort_values(KEYS, kind="stable").reset_index(drop=True)


def points_before_decisions(dataset, months: Iterable[int] = range(-12, 1)) -> pd.DataFrame:
    """Points ``m`` calendar months from each decided renewal's term_end, for each m in ``months``.

    Returns
    -------
    DataFrame
        Columns ``account_id``, ``as_of`` (term_end + m months),
        ``relative_month`` (m), ``term_end`` and ``churned`` (int 0/1) of the
        decision. Open terms are excluded; points after extracted_at are left
        out. An as_of can appear twice for one account (e.g. month 0 of one
        decision and month -12 of the next). Month 0 of a churned decision is
        the first day after the last term, so :func:`snapshot_table` drops it
        unless ``customers_only=False``.
    """
    _contracts(dataset)
    decided = decided_terms(dataset)
    frames = [
        pd.DataFrame({"account_id": decided["account_id"].to_numpy(),
                      "as_of": (decided["term_end"] + pd.DateOffset(months=int(m))).to_numpy(),
                      "relative_month": int(m),
                      "term_end": decided["term_end"].to_numpy(),
                      "churned": decided["churned"].to_numpy()})
        for m in months
    ]
    if not frames:
        raise ParameterError("months must list at least one month offset, e.g. range(-12, 1)")
    points = _within_cutoff(dataset, pd.concat(frames, ignore_index=True))
    return points.sort_values(["account_id", "term_end", "relative_month"], kind="stable").reset_index(drop=True)


def points_continuing(dataset, step_months: int = 3, min_tenure_years: float = 0.5, grace_days: int = 30) -> pd.DataFrame:
    """Every ``step_months``-th month start from ``min_tenure_years`` after signup, for never-churned accounts.

    Points run from the first day of the earliest signup month to extracted_at;
    accounts that churned at any time are left out (:func:`snapshot_table`
    then keeps the points at which the account is a customer).

    Returns
    -------
    DataFrame
        Columns ``account_id`` and ``as_of``.
    """
    life = account_lifetimes(dataset, grace_days=grace_days)
    keep = life.loc[~life["churned"]]
    months = pd.date_range(keep["signup_date"].min().to_period("M").to_timestamp(), dataset.extracted_at,
                           freq=f"{int(step_months)}MS")
    start = keep["signup_date"] + pd.to_timedelta(min_tenure_years * 365.25, unit="D")
    ids = np.repeat(keep.index.to_numpy(), len(months))
    as_of = np.tile(months.to_numpy(), len(keep))
    first = np.repeat(start.to_numpy(), len(months))
    return pd.DataFrame({"account_id": ids, "as_of": as_of}).loc[as_of >= first]
