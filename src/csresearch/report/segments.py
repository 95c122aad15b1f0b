"""The headline numbers by segment, for the index: one column per step's segment numbers.

Each registered step with a ``segments`` function turns the ``by_segment``
part of its findings section into columns (heading -> segment -> text); the
view lines them up by segment. Segments with a group below the minimum size
were withheld when the section was written, and say so here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..i18n import fmt, t
from ..study.protocol import steps

__all__ = ["segment_table"]

_MALFORMED = (AttributeError, TypeError, ValueError, KeyError)


def segment_table(findings: Mapping[str, Any]) -> dict[str, Any] | None:
    """Header, rows and caption of the index's segment view, or None when no section holds numbers by segment.

    Parameters
    ----------
    findings : mapping
        A findings document.

    Returns
    -------
    dict or None
        ``header`` (list of str), ``rows`` (list of lists of str, one per
        segment, sorted) and ``caption``.
    """
    columns: dict[str, dict[str, str]] = {}
    for step in steps():
        section = findings.get(step.name)
        if step.segments is None or section is None:
            continue
        try:
            columns.update(step.segments(section))
        except _MALFORMED:
            continue
    columns = {k: v for k, v in columns.items() if v}
    if not columns:
        return None
    segments = sorted({s for col in columns.values() for s in col})
    rows = [[segment, *(col.get(segment, fmt("na")) for col in columns.values())] for segment in segments]
    return {"header": [t("index.segment"), *columns], "rows": rows, "caption": t("index.segments_caption")}
