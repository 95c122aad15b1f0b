"""findings.json: one section per notebook, merged by the runner, checked by a schema.

A notebook writes its headline numbers with :func:`write_section`; the runner
collects the sections with :func:`read_sections`, merges them with the dataset
identity and the run parameters (:func:`merge_findings`) and checks the result
against the JSON Schema shipped as ``findings_schema.json``
(:func:`validate_findings`), which encodes ../shared/spec/findings.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..atomic import write_text_atomic
from ..errors import ParameterError
from ..jsonsafe import json_safe  # re-exported: findings code imports it from here

__all__ = [
    "FINDINGS_DIRNAME",
    "REQUIRED_SECTIONS",
    "SCHEMA_VERSION",
    "SECTIONS",
    "findings_schema",
    "json_safe",
    "merge_findings",
    "read_sections",
    "validate_findings",
    "write_section",
]

#: Version of the findings.json layout (``schema_version``).
SCHEMA_VERSION = 1
#: Folder under the output directory that holds one JSON file per section.
FINDINGS_DIRNAME = "findings"
#: The suite's sections, in findings.json order; required ones must be present
#: or listed under ``missing_sections``.
SECTIONS = (
    "data_audit",
    "onboarding_vs_churn",
    "onboarding_vs_health",
    "health_validity",
    "continuing_trends",
    "churned_accounts",
    "churn_factors",
    "kpis",
)
#: Sections findings.md requires: present, or named under ``missing_sections`` with the reason.
REQUIRED_SECTIONS = ("onboarding_vs_churn", "onboarding_vs_health", "health_validity", "continuing_trends", "churn_factors", "kpis")
_TOP_KEYS = ("schema_version", "dataset", "parameters", "missing_sections")


def _dump(data: Any) -> str:
    return json.dumps(json_safe(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json_atomic(data: Any, path: str | Path) -> Path:
    """Write ``data`` (made JSON-safe) to ``path`` via a temporary file and rename."""
    return write_text_atomic(path, _dump(data))


def write_section(name: str, data: dict | list, output_dir: str | Path) -> Path:
    """Write one findings section to ``OUTPUT_DIR/findings/<name>.json``.

    Parameters
    ----------
    name : str
        Section name as findings.json names it, e.g. ``onboarding_vs_churn``
        (letters, digits and underscores).
    data : dict or list
        The section content; ``kpis`` is a list, every other section a dict.
        NaN becomes null and numpy scalars Python numbers.
    output_dir : str or Path
        The run's output folder (the notebook parameter ``output_dir``).

    Returns
    -------
    Path
        The file written.
    """
    if not name or not name.replace("_", "").isalnum() or name in _TOP_KEYS:
        raise ParameterError(f"invalid findings section name {name!r}: use letters, digits and '_', not one of {_TOP_KEYS}")
    if not isinstance(data, (Mapping, list, tuple)):
        raise ParameterError(f"findings section {name!r} must be a dict (or a list for kpis), not {type(data).__name__}")
    return write_json_atomic(data, Path(output_dir) / FINDINGS_DIRNAME / f"{name}.json")


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

    Returns
    -------
    dict
        JSON-safe: ``schema_version``, ``dataset``, ``parameters``, then the
        suite's sections in their standard order, then any extra sections, and
        ``missing_sections`` when something is missing.
    """
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "dataset": json_safe(dict(dataset)),
        "parameters": json_safe(dict(parameters)),
    }
    order = [s for s in SECTIONS if s in sections] + sorted(s for s in sections if s not in SECTIONS)
    for name in order:
        out[name] = json_safe(sections[name])
    missing = {k: str(v) for k, v in (missing_sections or {}).items() if k not in sections}
    if missing:
        out["missing_sections"] = dict(sorted(missing.items()))
    return out


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
