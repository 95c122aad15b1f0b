"""As-of-safe canonical features (data contract, "Canonical features").

One pure function per canonical feature, named as the contract names it::

    seat_utilisation_3m(dataset, *, as_of) -> Series

``as_of`` is required: one date (a float Series indexed by account_id, for every
account) or a points frame with columns ``account_id`` and ``as_of`` (a Series
indexed by (account_id, as_of)). Only rows dated on or before as_of are used,
monthly rows only for complete months. :func:`build_features` computes many
features for many points at once, sharing the look-ups. The rules (windows,
units, nulls, leakage) are documented in docs/features.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterable

import pandas as pd

from ..contract import CANONICAL_FEATURES, HEALTH_COLUMNS
from ..errors import ParameterError
from .calendar import Points, last_complete_month, months_before
from .context import FeatureContext
from .contracts import renewal_number, tenure_years
from .engagement import (
    community_events_12m,
    email_open_rate_6m,
    exec_meetings_12m,
    nps_last,
    roi_reported,
    support_tickets_6m,
)
from .onboarding import (
    onboarding_days,
    onboarding_status,
    onboarding_succeeded,
    setup_done,
)
from .registry import evaluate
from .usage import (
    events_per_active_user_3m,
    features_used_3m,
    quota_consumption,
    quota_consumption_delta_3m,
    seat_deployment_term,
    seat_utilisation_3m,
    seat_utilisation_delta_3m,
)

__all__ = [
    "FEATURES",
    "build_features",
    "reuse_feature_contexts",
    "onboarding_status",
    "Points",
    "FeatureContext",
    "last_complete_month",
    "months_before",
    *CANONICAL_FEATURES,
]

#: Every canonical feature function (health_* excluded), in contract order.
FEATURES: dict[str, Callable[..., pd.Series]] = {
    f.__name__: f
    for f in (
        tenure_years,
        renewal_number,
        onboarding_succeeded,
        onboarding_days,
        seat_utilisation_3m,
        setup_done,
        events_per_active_user_3m,
        features_used_3m,
        quota_consumption,
        exec_meetings_12m,
        email_open_rate_6m,
        community_events_12m,
        support_tickets_6m,
        nps_last,
        roi_reported,
        seat_utilisation_delta_3m,
        quota_consumption_delta_3m,
        seat_deployment_term,
    )
}
assert tuple(FEATURES) == CANONICAL_FEATURES, "FEATURES must follow the contract order"


def _selected(features: Iterable[str] | str | None) -> list[str]:
    if features is None:
        return list(FEATURES)
    wanted = [features] if isinstance(features, str) else list(features)
    health = [f for f in wanted if f in HEALTH_COLUMNS]
    if health:
        raise ParameterError(
            f"{', '.join(health)} are health score columns, not raw features; compute them with csresearch.HealthScore"
        )
    unknown = [f for f in wanted if f not in FEATURES]
    if unknown:
        raise ParameterError(f"unknown feature(s) {', '.join(map(repr, unknown))}; canonical features: {', '.join(FEATURES)}")
    return [f for f in FEATURES if f in wanted]


#: FeatureContexts shared within :func:`reuse_feature_contexts` (None: every call builds its own).
_SHARED: ContextVar[dict | None] = ContextVar("csresearch_feature_contexts", default=None)


@contextmanager
def reuse_feature_contexts(store: dict[Any, FeatureContext]) -> Iterator[None]:
    """Within the block, :func:`build_features` reuses one context per dataset and grace period, kept in ``store``.

    A context holds what every call would otherwise rebuild from the dataset
    (the customer-month usage panel, the engagement indexes, terms, onboarding
    dates): at 50,000 accounts about 3 s per call. The caller promises that
    the datasets are not modified while ``store`` is in use (a study context
    never modifies its dataset); a different Dataset object gets its own context.
    """
    token = _SHARED.set(store)
    try:
        yield
    finally:
        _SHARED.reset(token)


def _feature_context(dataset, grace_days: int) -> FeatureContext:
    store = _SHARED.get()
    if store is None or type(grace_days) is not int:  # (odd grace_days: FeatureContext validates them)
        return FeatureContext(dataset, grace_days=grace_days)
    key = (id(dataset), grace_days)
    hit = store.get(key)
    if hit is None or hit.dataset is not dataset:  # the stored context holds its dataset, so the id is not reused
        hit = store[key] = FeatureContext(dataset, grace_days=grace_days)
    return hit


def build_features(dataset, points, *, features: Iterable[str] | None = None, grace_days: int = 30) -> pd.DataFrame:
    """Compute canonical features for many (account_id, as_of) points at once.

    Parameters
    ----------
    dataset : Dataset
        The typed dataset (not modified).
    points : DataFrame, MultiIndex or date-like
        Columns (or index levels) ``account_id`` and ``as_of``; duplicates are
        kept. A single date means every account at that date.
    features : iterable of str, optional
        Canonical feature names; default all (health_* are not features here).
        Columns always come in contract order.
    grace_days : int, default 30
        Onboarding grace period, see :func:`onboarding_status`.

    Returns
    -------
    DataFrame
        float64, one row per point in the order given, indexed by
        MultiIndex (account_id, as_of), one column per feature.

    Raises
    ------
    ParameterError
        Unknown feature names, points without account_id/as_of, unknown
        accounts, as_of after extracted_at, invalid grace_days.
    """
    names = _selected(features)
    ctx = _feature_context(dataset, grace_days)
    try:
        pts = ctx.points(points)
        if pts.scalar:
            pts = Points(pts.account_id, pts.day, pts.code, scalar=False)
        columns = {name: evaluate(FEATURES[name].kernel, ctx, pts) for name in names}
        return pd.DataFrame(columns, index=pts.index(), columns=names, dtype="float64")
    finally:
        ctx.forget_points()
