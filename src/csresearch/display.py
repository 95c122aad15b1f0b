"""Human names and units for the contract's features, components and columns.

Reports and the index speak to CS leaders: "Seat utilisation (last 3 months)",
not ``seat_utilisation_3m``. This map sits next to the contract
(:mod:`csresearch.contract`) so every layer above can use it; a name it does
not know (a column of the company's own) is turned into words by rule
(:func:`display_name`), never shown raw.

``UNITS`` says how a feature's values read: ``share`` values are fractions
shown as percentages (0.504 -> 50.4%), ``share_change`` values are changes of
a fraction shown in percentage points, ``flag`` values are 0/1, ``score``
values are 0-100 points and ``count``/``number`` are plain numbers.
"""

from __future__ import annotations

import re

from .contract import CANONICAL_FEATURES, DEAR_AXIS, HEALTH_COLUMNS

__all__ = ["DEFINITION_NAMES", "DISPLAY_NAMES", "UNITS", "display_name", "display_names", "unit_of"]

#: Human name of every canonical feature, health component and common column.
DISPLAY_NAMES: dict[str, str] = {
    "tenure_years": "Tenure (years)",
    "renewal_number": "Renewals so far",
    "onboarding_succeeded": "Onboarding succeeded",
    "onboarding_days": "Days to complete onboarding",
    "seat_utilisation_3m": "Seat utilisation (last 3 months)",
    "setup_done": "Setup done",
    "events_per_active_user_3m": "Product events per active user (last 3 months)",
    "features_used_3m": "Product features used (last 3 months)",
    "quota_consumption": "Quota consumption (this term)",
    "exec_meetings_12m": "Executive meetings and QBRs (last 12 months)",
    "email_open_rate_6m": "Email open rate (last 6 months)",
    "community_events_12m": "Webinars and user groups attended (last 12 months)",
    "support_tickets_6m": "Support tickets (last 6 months)",
    "nps_last": "Latest NPS score",
    "roi_reported": "ROI reported",
    "seat_utilisation_delta_3m": "Change in seat utilisation (over 3 months)",
    "seat_deployment_term": "Seats deployed (this term)",
    "quota_consumption_delta_3m": "Change in quota consumption (over 3 months)",
    "health_deployment": "Health: Deployment",
    "health_engagement": "Health: Engagement",
    "health_adoption": "Health: Adoption",
    "health_roi": "Health: ROI",
    "health_score": "Health score",
    "onboarding_failed": "Onboarding failed",
    "log_seats": "Seats (log)",
    "log_employees": "Employees (log)",
    "seats": "Seats",
    "employees": "Employees",
    "segment": "Segment",
    "touch_model": "Touch model",
    "industry": "Industry",
    "region": "Region",
    "arr": "ARR",
    "churned": "Churned",
    "purpose": "Purpose of purchase",
    "sales_enablement": "Sales enablement",
    "paperless": "Paperless office",
    "marketing_lists": "Marketing lists",
    "size_band": "Size band",
    "churn_rate": "Churn rate at the renewal decision",
    "team_onboarding": "Onboarding team",
    "team_customer_success": "Customer success team",
    "team_support": "Support team",
}

#: How each feature's values read (see the module docstring).
UNITS: dict[str, str] = {
    "tenure_years": "number",
    "renewal_number": "count",
    "onboarding_succeeded": "flag",
    "onboarding_failed": "flag",
    "onboarding_days": "count",
    "seat_utilisation_3m": "share",
    "seat_deployment_term": "share",
    "setup_done": "flag",
    "events_per_active_user_3m": "number",
    "features_used_3m": "number",
    "quota_consumption": "share",
    "exec_meetings_12m": "count",
    "email_open_rate_6m": "share",
    "community_events_12m": "count",
    "support_tickets_6m": "count",
    "nps_last": "number",
    "roi_reported": "flag",
    "seat_utilisation_delta_3m": "share_change",
    "quota_consumption_delta_3m": "share_change",
    **{c: "score" for c in HEALTH_COLUMNS},
}

#: Human names of the built-in health definitions (csresearch.health.definitions).
DEFINITION_NAMES: dict[str, str] = {
    "dear": "DEAR health score",
    "dear_worst_of": "DEAR weakest component",
    "box_50_80": "Box 50/80 healthy customer",
}

_WINDOW = re.compile(r"_(\d+)m$")
_DELTA = re.compile(r"_delta_(\d+)m$")

assert set(CANONICAL_FEATURES) <= set(DISPLAY_NAMES), "every canonical feature needs a display name"
assert set(DEAR_AXIS) <= set(UNITS), "every DEAR feature needs a unit"


def display_name(name: str) -> str:
    """The human name of a feature or column.

    Parameters
    ----------
    name : str
        A canonical feature, health component or column name; a name this
        module does not know is turned into words (``nps_avg_6m`` ->
        ``Nps avg (last 6 months)``).

    Returns
    -------
    str
    """
    known = DISPLAY_NAMES.get(name)
    if known is not None:
        return known
    text = str(name)
    suffix = ""
    delta = _DELTA.search(text)
    window = _WINDOW.search(text)
    if delta:
        text, suffix = text[: delta.start()], f" (change over {delta.group(1)} months)"
    elif window:
        text, suffix = text[: window.start()], f" (last {window.group(1)} months)"
    words = text.replace("_", " ").strip()
    return (words[:1].upper() + words[1:] + suffix) if words else str(name)


def display_names(names) -> list[str]:
    """:func:`display_name` of each name, in order."""
    return [display_name(n) for n in names]


def unit_of(name: str) -> str:
    """How the values of ``name`` read: ``share``, ``share_change``, ``flag``, ``score``, ``count`` or ``number``."""
    return UNITS.get(name, "number")
