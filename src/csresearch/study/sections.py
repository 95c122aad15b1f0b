"""Findings sections on disk: one JSON file per section under ``OUTPUT_DIR/findings/``.

A notebook (through :func:`csresearch.study.run`, or directly) writes its
sections with :func:`write_section`; the runner reads and merges them
(:func:`csresearch.report.findings.read_sections`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..errors import ParameterError
from ..jsonsafe import write_json_atomic

__all__ = ["FINDINGS_DIRNAME", "write_section"]

#: Folder under the output directory that holds one JSON file per section.
FINDINGS_DIRNAME = "findings"
_TOP_KEYS = ("schema_version", "dataset", "parameters", "missing_sections")


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
