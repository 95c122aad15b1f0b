"""The executive summary of a run: one answer per study question and the recommended actions.

Built from the findings sections through the step registry: every step with an
``answer`` contributes one line (``question``, ``section``, ``verdict``,
``answer``, sometimes a ``note``), every step with ``actions`` its actions
(``action``, ``because``: the section and the numbers behind it). The runner
stores both in findings.json (``summary``, ``actions``) and the index renders
exactly those strings, so the page and the JSON never drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..answers import NOT_ENOUGH
from ..i18n import t
from ..study.protocol import Step, answer_steps, step_text, steps

__all__ = ["build_actions", "build_summary", "step_inputs"]

_MALFORMED = (AttributeError, TypeError, ValueError, KeyError, IndexError)


def step_inputs(step: Step, findings: Mapping[str, Any]) -> tuple[Any, ...]:
    """The step's own section and the sections it uses, in order (None when missing)."""
    return (findings.get(step.name), *(findings.get(name) for name in step.uses))


def _missing_answer(step: Step, findings: Mapping[str, Any]) -> str | None:
    if findings.get(step.name) is not None:
        return None
    why = (findings.get("missing_sections") or {}).get(step.name, t("answers.no_results"))
    return t("answers.not_enough", why=str(why).rstrip("."))


def build_summary(findings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One summary line per study question, in registry order.

    Parameters
    ----------
    findings : mapping
        A findings document; sections may be missing or malformed.

    Returns
    -------
    list of dict
        ``question``, ``section``, ``verdict`` (one of
        :data:`csresearch.answers.VERDICTS`), ``answer`` and optionally ``note``.
    """
    out = []
    for step in answer_steps():
        line: dict[str, Any] = {"question": step_text(step, "question"), "section": step.name}
        missing = _missing_answer(step, findings)
        if missing is not None:
            line.update(verdict=NOT_ENOUGH, answer=missing)
        else:
            try:
                line.update(step.answer(*step_inputs(step, findings)))
            except _MALFORMED as exc:
                line.update(verdict=NOT_ENOUGH, answer=t("answers.malformed", error=type(exc).__name__))
        out.append({k: v for k, v in line.items() if v not in (None, "")})
    return out


def _traced(step: Step, because: Mapping[str, Any]) -> dict[str, Any]:
    """``because`` with the step's section named first, and its ``also`` part named after the first used section."""
    out = {"section": step.name, **{k: v for k, v in because.items() if k != "also"}}
    if isinstance(because.get("also"), Mapping) and step.uses:
        out["also"] = {"section": step.uses[0], **because["also"]}
    return out


def build_actions(findings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Recommended actions from every step that derives some, each traceable to its section and numbers.

    Parameters
    ----------
    findings : mapping
        A findings document; sections may be missing or malformed.

    Returns
    -------
    list of dict
        ``action`` (the sentence shown on the index) and ``because``
        (``section`` plus the numbers behind the action).
    """
    out = []
    for step in steps():
        if step.actions is None or findings.get(step.name) is None:
            continue
        try:
            actions = step.actions(*step_inputs(step, findings))
        except _MALFORMED:
            continue
        out += [{"action": a["action"], "because": _traced(step, a.get("because") or {})} for a in actions]
    return out
