"""Shareable output of a suite run: self-contained HTML pages, findings.json, privacy.

* :mod:`csresearch.report.html` -- the suite's page shell and CSS (offline, no scripts),
  and the notebook -> HTML conversion used by ``csresearch run``.
* :mod:`csresearch.report.findings` -- writing one notebook's findings section,
  merging sections into findings.json and checking it against the shipped schema.
* :mod:`csresearch.report.privacy` -- small-group suppression and the identifier scan.
"""

from __future__ import annotations

from .findings import merge_findings, validate_findings, write_section
from .html import page

__all__ = ["merge_findings", "page", "validate_findings", "write_section"]
