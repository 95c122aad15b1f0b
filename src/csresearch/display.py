"""Human names and units for the contract's features, components and columns.

Names are in the current language of :mod:`csresearch.i18n`. Reports and the index speak to CS leaders: "Seat utilisation (last 3 months)",
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

from . import i18n
from .contract import CANONICAL_FEATURES, DEAR_AXIS, HEALTH_COLUMNS

__all__ = ["DEFINITION_NAMES", "DISPLAY_NAMES", "UNITS", "definition_name", "display_name", "display_names", "unit_of"]

#: Human name (English) of every canonical feature, health component and common column: the
#: ``features`` section of the English catalogue (src/csresearch/i18n/en.yml); other languages
#: have theirs in their own file.
DISPLAY_NAMES: dict[str, str] = dict(i18n.catalogue(i18n.DEFAULT)["features"])

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
DEFINITION_NAMES: dict[str, str] = dict(i18n.catalogue(i18n.DEFAULT)["definitions"])

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
    key = f"features.{name}"
    if name in DISPLAY_NAMES or i18n.has(key):
        return i18n.t(key)
    text = str(name)
    suffix = ""
    delta = _DELTA.search(text)
    window = _WINDOW.search(text)
    if delta:
        text, suffix = text[: delta.start()], i18n.t("feature_rule.change_over", months=delta.group(1))
    elif window:
        text, suffix = text[: window.start()], i18n.t("feature_rule.last", months=window.group(1))
    words = text.replace("_", " ").strip()
    return (words[:1].upper() + words[1:] + suffix) if words else str(name)


def definition_name(name: str, label: str | None = None) -> str:
    """The human name of a health definition in the language of the run.

    Parameters
    ----------
    name : str
        The definition's identifier (``dear``, ``dear_worst_of``, ``box_50_80`` or a user file's ``name``).
    label : str, optional
        The name to use when the catalogue has none (a user definition's own label).

    Returns
    -------
    str
    """
    key = f"definitions.{name}"
    if i18n.has(key):
        return i18n.t(key)
    return label or display_name(name)


def display_names(names) -> list[str]:
    """:func:`display_name` of each name, in order."""
    return [display_name(n) for n in names]


def unit_of(name: str) -> str:
    """How the values of ``name`` read: ``share``, ``share_change``, ``flag``, ``score``, ``count`` or ``number``."""
    return UNITS.get(name, "number")
