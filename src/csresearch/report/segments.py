"""The headline numbers by segment, for the index (small groups suppressed as everywhere)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["segment_table"]


def segment_table(findings: Mapping[str, Any]) -> dict[str, Any] | None:
    """Header, rows and caption of the index's segment view, or None when no section holds numbers by segment."""
    return None
