"""Engagement and ROI features: counts of dated touchpoints in trailing windows.

A window of k months holds the rows dated in ``(as_of - k months, as_of]``
(calendar-month arithmetic). Without the engagement (or roi) table every
feature of this module is null; with it, an account without rows has genuine
zero counts.
"""

from __future__ import annotations

import numpy as np

from .calendar import Points, day_number, months_before
from .context import DatedIndex, FeatureContext
from .registry import feature

__all__ = [
    "exec_meetings_12m",
    "email_open_rate_6m",
    "community_events_12m",
    "support_tickets_6m",
    "nps_last",
    "roi_reported",
]


def _index(ctx: FeatureContext, kinds: tuple[str, ...]) -> DatedIndex | None:
    key = "engagement:" + ",".join(kinds)
    if key not in ctx.cache:
        ctx.cache[key] = ctx.engagement_index(kinds)
    return ctx.cache[key]


def _count(ctx: FeatureContext, points: Points, kinds: tuple[str, ...], months: int) -> np.ndarray:
    """Rows of the given kinds in (as_of - months, as_of]; NaN without the engagement table."""
    index = _index(ctx, kinds)
    if index is None:
        return np.full(len(points), np.nan)
    after = months_before(points.day, months)
    return index.count_between(points.code, after, points.day)


@feature
def exec_meetings_12m(ctx: FeatureContext, points: Points) -> np.ndarray:
    """Number of exec_meeting and qbr touchpoints dated in (as_of - 12 months, as_of] (count)."""
    return _count(ctx, points, ("exec_meeting", "qbr"), 12)


@feature
def email_open_rate_6m(ctx: FeatureContext, points: Points) -> np.ndarray:
    """email_opened / email_sent rows dated in (as_of - 6 months, as_of] (ratio); null if none sent."""
    sent = _count(ctx, points, ("email_sent",), 6)
    opened = _count(ctx, points, ("email_opened",), 6)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sent > 0, opened / sent, np.nan)


@feature
def community_events_12m(ctx: FeatureContext, points: Points) -> np.ndarray:
    """Number of webinar and user_group touchpoints dated in (as_of - 12 months, as_of] (count)."""
    return _count(ctx, points, ("webinar", "user_group"), 12)


@feature
def support_tickets_6m(ctx: FeatureContext, points: Points) -> np.ndarray:
    """Number of support_ticket rows dated in (as_of - 6 months, as_of] (count)."""
    return _count(ctx, points, ("support_ticket",), 6)


@feature
def nps_last(ctx: FeatureContext, points: Points) -> np.ndarray:
    """Value of the latest nps answer dated on or before as_of (0-10 score); null if none."""
    if "engagement:nps" not in ctx.cache:
        ctx.cache["engagement:nps"] = ctx.engagement_index(("nps",), with_value=True)
    index = ctx.cache["engagement:nps"]
    if index is None:
        return np.full(len(points), np.nan)
    pos, found = index.last_on_or_before(points.code, points.day)
    if len(index.keys) == 0:
        return np.full(len(points), np.nan)
    return np.where(found, index.values[pos], np.nan)


@feature
def roi_reported(ctx: FeatureContext, points: Points) -> np.ndarray:
    """1 if the account has any roi row dated on or before as_of, else 0 (0/1); null without the roi table."""
    roi = ctx.dataset.roi
    if roi is None:
        return np.full(len(points), np.nan)
    if "roi" not in ctx.cache:
        ctx.cache["roi"] = DatedIndex(ctx.codes(roi["account_id"]), day_number(roi["date"]))
    return (ctx.cache["roi"].count_on_or_before(points.code, points.day) > 0).astype("float64")
