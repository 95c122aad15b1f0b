"""Features from accounts and contracts: tenure and renewal count."""

from __future__ import annotations

import numpy as np

from .calendar import Points
from .context import FeatureContext
from .registry import feature

__all__ = ["tenure_years", "renewal_number"]


@feature
def tenure_years(ctx: FeatureContext, points: Points) -> np.ndarray:
    """Years since signup: (as_of - signup_date) in days / 365.25 (years)."""
    return (points.day - ctx.signup_day[points.code]) / 365.25


@feature
def renewal_number(ctx: FeatureContext, points: Points) -> np.ndarray:
    """Number of the account's contract terms with term_end <= as_of (count)."""
    return ctx.term_ends.count_on_or_before(points.code, points.day)
