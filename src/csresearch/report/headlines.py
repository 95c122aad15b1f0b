"""Headline findings as sentences, generated from findings.json through the step registry.

Each registered step with a heading contributes its heading and the sentences
its headline function (:mod:`csresearch.narrative`) writes from its findings
section, so the index says exactly what the notebook's step says. A section
that is missing (failed notebook, not run) or that could not be computed gives
a sentence saying so and why, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..study.protocol import headline_steps, section_headline, step_text

__all__ = ["headline_sentences"]


def headline_sentences(findings: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """Return (heading, sentences) for every step with a heading, in registry order.

    Parameters
    ----------
    findings : mapping
        A findings.json document; sections may be missing or malformed.

    Returns
    -------
    list of (str, list of str)
    """
    missing = findings.get("missing_sections") or {}
    return [(step_text(step, "heading"), section_headline(step, findings.get(step.name), missing)) for step in headline_steps()]
