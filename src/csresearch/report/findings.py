"""findings.json: one section per notebook, merged by the runner, checked by a schema.

A notebook writes its headline numbers with :func:`write_section`; the runner
collects the sections with :func:`read_sections`, merges them with the dataset
identity and the run parameters (:func:`merge_findings`) and checks the result
against the JSON Schema shipped as ``findings_schema.json``
(:func:`validate_findings`), which encodes docs/findings.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .. import i18n
from ..jsonsafe import json_safe, write_json_atomic  # noqa: F401 - re-exported: findings code imports them from here
from ..study.protocol import steps
from ..study.sections import (  # re-exported for notebooks of your own
    FINDINGS_DIRNAME,
    write_section,
)
from .summary import build_actions, build_summary

__all__ = [
    "FINDINGS_DIRNAME",
    "REQUIRED_SECTIONS",
    "SCHEMA_VERSION",
    "SECTIONS",
    "findings_schema",
    "json_safe",
    "merge_findings",
    "required_sections",
    "suite_sections",
    "read_sections",
    "validate_findings",
    "write_section",
]

#: Version of the findings.json layout (``schema_version``).
SCHEMA_VERSION = 1


def suite_sections() -> tuple[str, ...]:
    """The registered steps' sections, in findings.json order."""
    return tuple(step.name for step in steps())


def required_sections() -> tuple[str, ...]:
    """Sections findings.json must hold, or name under ``missing_sections`` with the reason."""
    return tuple(step.name for step in steps() if step.required)


def __getattr__(name: str) -> Any:
    """``SECTIONS`` and ``REQUIRED_SECTIONS``: the registry's sections at the time they are asked for."""
    if name == "SECTIONS":
        return suite_sections()
    if name == "REQUIRED_SECTIONS":
        return required_sections()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def read_sections(output_dir: str | Path) -> dict[str, Any]:
    """Return every section written under ``OUTPUT_DIR/findings/``, by name."""
    folder = Path(output_dir) / FINDINGS_DIRNAME
    if not folder.is_dir():
        return {}
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


def merge_findings(
    sections: Mapping[str, Any],
    *,
    dataset: Mapping[str, Any],
    parameters: Mapping[str, Any],
    missing_sections: Mapping[str, str] | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """Merge notebook sections into one findings document.

    Parameters
    ----------
    sections : mapping of str to dict or list
        Section name -> content (see :func:`read_sections`).
    dataset : mapping
        ``name``, ``extracted_at``, ``n_accounts``, ``fingerprint``.
    parameters : mapping
        Every parameter the run used.
    missing_sections : mapping of str to str, optional
        Section name -> why it is missing (failed notebook, not run). Sections
        present in ``sections`` are removed from it.
    language : str, optional
        The language the ``summary`` and ``actions`` sentences are written in
        (default: the current language of :mod:`csresearch.i18n`), recorded as ``language``.

    Returns
    -------
    dict
        JSON-safe: ``schema_version``, ``language``, ``dataset``, ``parameters``, the
        executive ``summary`` and ``actions`` (:mod:`csresearch.report.summary`),
        then the suite's sections in their standard order, then any extra
        sections, and ``missing_sections`` when something is missing.
    """
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "language": language or i18n.current(),
        "dataset": json_safe(dict(dataset)),
        "parameters": json_safe(dict(parameters)),
    }
    known = suite_sections()
    order = [s for s in known if s in sections] + sorted(s for s in sections if s not in known)
    for name in order:
        out[name] = json_safe(sections[name])
    missing = {k: str(v) for k, v in (missing_sections or {}).items() if k not in sections}
    if missing:
        out["missing_sections"] = dict(sorted(missing.items()))
    with i18n.language(out["language"]):
        summary = {"summary": build_summary(out), "actions": build_actions(out)}
    head = ("schema_version", "language", "dataset", "parameters")
    return {**{k: out[k] for k in head}, **json_safe(summary), **{k: v for k, v in out.items() if k not in head}}


@lru_cache(maxsize=1)
def findings_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of findings.json shipped with the package."""
    text = resources.files("csresearch").joinpath("findings_schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def validate_findings(findings: Mapping[str, Any]) -> list[str]:
    """Check a findings document against the schema.

    Parameters
    ----------
    findings : mapping
        A findings.json document (as loaded or from :func:`merge_findings`).

    Returns
    -------
    list of str
        One message per schema violation, each naming the JSON path; empty when valid.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(findings_schema())
    errors = sorted(validator.iter_errors(findings), key=lambda e: (list(e.absolute_path), e.message))
    messages = []
    for err in errors:
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        messages.append(f"{where}: {_best_message(err)}")
    return messages


def _best_message(err: Any) -> str:
    # anyOf/oneOf errors: report the most specific sub-error
    if err.context:
        best = min(err.context, key=lambda e: (-len(e.absolute_path), e.message))
        sub = "/".join(str(p) for p in best.absolute_path)
        return f"{best.message}" + (f" (at {sub})" if sub else "")
    return err.message
