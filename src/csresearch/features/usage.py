"""Usage features over complete calendar months, and their 3-month trends.

The *customer months* of an account are the calendar months that overlap one
of its terms (``term_start <= last day`` and ``term_end > first day``); each
takes the seats of the latest such term. A customer month without a
usage_monthly row had zero activity; usage rows outside customer months are
ignored. "The 3 months before as_of" are the last 3 complete calendar months
(a month is complete when its last day is on or before as_of); the 3-month
features average over the customer months among them.

Every usage feature needs a term in force at as_of
(``term_start <= as_of < term_end``): before signup, between terms and after
churn they are null. All look-ups are ``searchsorted`` on cumulative sums over
the customer-month panel, so that many points cost little more than one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calendar import Points, last_complete_month, month_number, month_start_day, pack_key
from .context import FeatureContext
from .registry import evaluate, feature

__all__ = [
    "seat_utilisation_3m",
    "events_per_active_user_3m",
    "features_used_3m",
    "quota_consumption",
    "seat_utilisation_delta_3m",
    "quota_consumption_delta_3m",
    "seat_deployment_term",
]

_COLUMNS = ("active_users", "events", "features_used", "quota_used")


@dataclass(frozen=True)
class MonthlyPanel:
    """Customer months sorted by (account, month) with running totals.

    ``cum[c][i]`` is the total of column ``c`` over panel rows ``< i``, so the
    total over rows ``lo..hi-1`` is ``cum[c][hi] - cum[c][lo]``.
    """

    keys: np.ndarray
    quota_used: np.ndarray
    cum: dict[str, np.ndarray]
    has_usage: bool

    def window(self, code: np.ndarray, after_month: np.ndarray, upto_month: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Panel row bounds (lo, hi) of each account's months in (after_month, upto_month]."""
        hi = np.searchsorted(self.keys, pack_key(code, upto_month), side="right")
        lo = np.searchsorted(self.keys, pack_key(code, after_month), side="right")
        return lo, np.maximum(hi, lo)

    def total(self, column: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Sum of ``column`` over panel rows lo..hi-1."""
        cum = self.cum[column]
        return cum[hi] - cum[lo]


def _month_of_day(day: np.ndarray) -> np.ndarray:
    return np.asarray(day, dtype="int64").astype("datetime64[D]").astype("datetime64[M]").astype("int64") + 1970 * 12


def monthly_panel(ctx: FeatureContext) -> MonthlyPanel:
    """Build (once per context) the customer-month panel of usage."""
    if "usage_panel" in ctx.cache:
        return ctx.cache["usage_panel"]
    t = ctx.terms
    first = _month_of_day(t.start)
    last = _month_of_day(t.end - 1)  # term_end is the first day not in force
    n = np.maximum(last - first + 1, 1)
    term = np.repeat(np.arange(len(first)), n)
    offset = np.arange(len(term)) - np.repeat(np.cumsum(n) - n, n)
    month = first[term] + offset
    keys = pack_key(t.code[term], month)
    # terms are sorted by (account, start): the last duplicate is the latest term in that month
    keep = np.append(keys[1:] != keys[:-1], True) if len(keys) else np.zeros(0, bool)
    keys, seats = keys[keep], t.seats[term][keep]
    totals = {c: np.zeros(len(keys)) for c in _COLUMNS}
    usage = ctx.dataset.usage_monthly
    has_usage = usage is not None and len(keys) > 0
    if has_usage:
        codes = ctx.codes(usage["account_id"])
        months = month_number(usage["month"])
        ok = (codes >= 0) & ~np.isnan(months)
        ukeys = pack_key(codes[ok], months[ok])
        pos = np.clip(np.searchsorted(keys, ukeys), 0, len(keys) - 1)
        matched = keys[pos] == ukeys  # usage in a customer month
        for c in _COLUMNS:
            v = usage[c].to_numpy(dtype="float64", na_value=np.nan)[ok]
            v = np.where(np.isnan(v), 0.0, v)
            totals[c] = np.bincount(pos[matched], weights=v[matched], minlength=len(keys))
    with np.errstate(invalid="ignore", divide="ignore"):
        util = totals["active_users"] / np.where(seats > 0, seats, np.nan)

    def running(x: np.ndarray) -> np.ndarray:
        return np.concatenate([[0.0], np.cumsum(x)])

    cum = {c: running(totals[c]) for c in _COLUMNS}
    cum["months"] = running(np.full(len(keys), 1.0 if has_usage else 0.0))
    cum["utilisation"] = running(np.nan_to_num(util, nan=0.0))
    cum["utilisation_months"] = running((~np.isnan(util)).astype("float64") if has_usage else np.zeros(len(keys)))
    panel = MonthlyPanel(keys, totals["quota_used"], cum, has_usage)
    ctx.cache["usage_panel"] = panel
    return panel


def _last_3_months(ctx: FeatureContext, points: Points):
    """Panel, row bounds of the last 3 complete months and the in-force mask."""
    panel = monthly_panel(ctx)

    def bounds(points: Points):
        last = last_complete_month(points.day)
        return panel.window(points.code, last - 3, last)

    lo, hi = ctx.per_points("last_3_months", points, bounds)
    _, in_force = ctx.term_at(points)
    return panel, lo, hi, in_force


def _ratio(num: np.ndarray, den: np.ndarray, ok: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok & (den > 0), num / np.where(den > 0, den, 1.0), np.nan)


@feature
def seat_utilisation_3m(ctx: FeatureContext, points: Points) -> np.ndarray:
    """Mean over the customer months among the last 3 complete months of active_users / seats of that month's term (ratio)."""
    panel, lo, hi, in_force = _last_3_months(ctx, points)
    return _ratio(panel.total("utilisation", lo, hi), panel.total("utilisation_months", lo, hi), in_force)


@feature
def events_per_active_user_3m(ctx: FeatureContext, points: Points) -> np.ndarray:
    """Sum of events / sum of active_users over the last 3 complete months (events per user-month); null if no active users."""
    panel, lo, hi, in_force = _last_3_months(ctx, points)
    return _ratio(panel.total("events", lo, hi), panel.total("active_users", lo, hi), in_force)


@feature
def features_used_3m(ctx: FeatureContext, points: Points) -> np.ndarray:
    """Mean features_used over the customer months among the last 3 complete months (features per month)."""
    panel, lo, hi, in_force = _last_3_months(ctx, points)
    return _ratio(panel.total("features_used", lo, hi), panel.total("months", lo, hi), in_force)


@feature
def quota_consumption(ctx: FeatureContext, points: Points) -> np.ndarray:
    """quota_used in the current term's complete months / (quota x share of the term they cover) (ratio; 1 = on pace)."""
    panel = monthly_panel(ctx)
    t = ctx.terms
    pos, in_force = ctx.term_at(points)
    if len(t.code) == 0:
        return np.full(len(points), np.nan)
    start, end, quota = t.start[pos], t.end[pos], t.quota[pos]
    first = _month_of_day(start)
    last = last_complete_month(points.day).astype("int64")
    ok = in_force & (quota > 0) & (last >= first) & panel.has_usage
    # first month: only the share of its customer days that belong to this term
    first_next = month_start_day(first + 1)
    this_term_days = first_next - start
    prev = np.clip(pos - 1, 0, None)
    has_prev = (pos > 0) & (t.code[prev] == points.code)
    prev_days = np.where(
        has_prev, np.clip(np.minimum(t.end[prev], start) - np.maximum(t.start[prev], month_start_day(first)), 0, None), 0
    )
    share_first = this_term_days / (this_term_days + prev_days)
    key_first = pack_key(points.code, first)
    at_first = np.clip(np.searchsorted(panel.keys, key_first), 0, max(len(panel.keys) - 1, 0))
    used_first = np.where(panel.keys[at_first] == key_first, panel.quota_used[at_first], 0.0) if len(panel.keys) else 0.0
    lo, hi = panel.window(points.code, first, last)
    used = share_first * used_first + panel.total("quota_used", lo, hi)
    elapsed = (month_start_day(last + 1) - start) / (end - start)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, used / (quota * elapsed), np.nan)


def _term_running_max(ctx: FeatureContext, panel: MonthlyPanel) -> np.ndarray:
    """Per panel row, the most active users in any month from the first month of the latest term started by then.

    The running maximum restarts at the first calendar month of every term
    (one cumulative maximum over the panel, each segment lifted above the
    previous ones so that it cannot see them).
    """
    if "term_running_max" in ctx.cache:
        return ctx.cache["term_running_max"]
    active = np.diff(panel.cum["active_users"])
    t = ctx.terms
    starts = np.searchsorted(panel.keys, pack_key(t.code, _month_of_day(t.start)))
    reset = np.zeros(len(active) + 1, dtype=bool)
    reset[starts] = True
    segment = np.cumsum(reset[: len(active)])
    lift = segment * (active.max(initial=0.0) + 1.0)
    running = np.maximum.accumulate(active + lift) - lift if len(active) else active
    ctx.cache["term_running_max"] = running
    return running


@feature
def seat_deployment_term(ctx: FeatureContext, points: Points) -> np.ndarray:
    """Most active_users in a complete month of the term of the last complete month / that term's seats (ratio; deployed seats)."""
    # usage_monthly counts distinct users per month only, so users active in different months cannot be told
    # apart: the peak month is the share of seats known to be deployed (a lower bound of the distinct users active
    # since term_start). The term is the one in force on the last day of the last complete month, so that right
    # after a renewal the finished term still counts; its first calendar month counts whole (docs/features.md).
    panel = monthly_panel(ctx)
    t = ctx.terms
    _, customer = ctx.term_at(points)
    if len(t.code) == 0 or not panel.has_usage:
        return np.full(len(points), np.nan)
    last = last_complete_month(points.day).astype("int64")
    month_end = Points(points.account_id, month_start_day(last + 1) - 1, points.code, points.scalar)
    pos, in_force = ctx.term_at(month_end)
    first = _month_of_day(t.start[pos])
    lo, hi = panel.window(points.code, first - 1, last)
    seats = t.seats[pos]
    ok = customer & in_force & (hi > lo) & (seats > 0)
    running = _term_running_max(ctx, panel)
    top = running[np.clip(hi - 1, 0, max(len(running) - 1, 0))] if len(running) else np.zeros(len(points))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, top / np.where(seats > 0, seats, 1.0), np.nan)


def _delta(kernel, ctx: FeatureContext, points: Points) -> np.ndarray:
    return evaluate(kernel, ctx, points) - evaluate(kernel, ctx, points.shifted(3))


@feature
def seat_utilisation_delta_3m(ctx: FeatureContext, points: Points) -> np.ndarray:
    """seat_utilisation_3m at as_of minus at as_of - 3 calendar months (ratio points)."""
    return _delta(seat_utilisation_3m.kernel, ctx, points)


@feature
def quota_consumption_delta_3m(ctx: FeatureContext, points: Points) -> np.ndarray:
    """quota_consumption at as_of minus at as_of - 3 calendar months (ratio points)."""
    return _delta(quota_consumption.kernel, ctx, points)
