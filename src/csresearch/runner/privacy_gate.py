"""Step 4 of a run, *privacy gate*: no dataset identifier leaves the run unless ``--include-ids``.

Everything a run shares passes through one :class:`PrivacyGate`: the notebook
reports (a report showing identifiers is replaced by a notice and its notebook
fails), error messages (identifiers become ``<id>``), the findings sections
(one holding identifiers is withheld) and index.html (checked by
:mod:`~csresearch.runner.publish` with :meth:`PrivacyGate.leaks`). With
``--include-ids`` the gate holds no identifiers and lets everything through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..report.html import escape, page
from ..report.privacy import find_identifiers, html_text
from .collect import RunOutcome, drop_section
from .execute import ExecResult

__all__ = ["PrivacyGate", "withheld_page"]


@dataclass(frozen=True)
class PrivacyGate:
    """Screens shared output for the dataset's identifiers.

    Parameters
    ----------
    identifiers : frozenset of str
        Account and user ids of the dataset; empty lets everything through.
    """

    identifiers: frozenset[str]

    def leaks(self, text: str) -> tuple[str, ...]:
        """Identifiers that occur in ``text`` (plain text, not HTML), sorted; ``()`` when none."""
        return find_identifiers(text, self.identifiers).found if self.identifiers else ()

    def redact(self, text: str | None) -> str | None:
        """``text`` with every identifier replaced by ``<id>`` (None and empty text unchanged)."""
        if not text or not self.identifiers:
            return text
        for ident in find_identifiers(text, self.identifiers).found:
            text = text.replace(ident, "<id>")
        return text

    def screen_reports(self, results: Mapping[str, ExecResult]) -> None:
        """Redact errors and withhold every report that shows identifiers; its notebook fails.

        Parameters
        ----------
        results : mapping of str to ExecResult
            Updated in place: ``error`` redacted; a withheld report's page is
            replaced by a notice, ``status`` set to ``failed`` and the reason
            (starting ``privacy check``) appended to ``error``.
        """
        for r in results.values():
            r.error = self.redact(r.error)
            if self.identifiers and r.html is not None and r.html.exists():
                found = self.leaks(html_text(r.html.read_text(encoding="utf-8")))
                if found:
                    r.html.write_text(withheld_page(r.name, len(found)), encoding="utf-8")
                    why = f"privacy check: the report showed {len(found)} dataset identifier(s); it was withheld"
                    r.status, r.error = "failed", (r.error + "; " if r.error else "") + why

    def screen_sections(self, outcome: RunOutcome, staging: Path) -> None:
        """Withhold every findings section that holds identifiers.

        Parameters
        ----------
        outcome : RunOutcome
            Updated in place: the section is dropped (its file deleted), listed
            in ``missing`` with the reason, and a problem is added.
        staging : Path
            The run's output folder.
        """
        for sec in list(outcome.sections):
            leaked = self.leaks(str(outcome.sections[sec]))
            if leaked:
                drop_section(outcome.sections, sec, staging)
                outcome.missing[sec] = f"withheld by the privacy check: it held {len(leaked)} dataset identifier(s)"
                outcome.problems.append(f"findings section {sec} withheld: it held dataset identifiers")


def withheld_page(name: str, n_found: int) -> str:
    """The page that replaces the report of notebook ``name`` when it showed ``n_found`` identifiers."""
    body = (
        '<div class="callout bad"><strong>Report withheld by the privacy check.</strong> '
        f"The report of {escape(name)} contained {n_found} account or user identifier(s) of the dataset, "
        "so it was not written. Shared reports hold aggregates only: print group tables, not rows "
        "(see csresearch.report.privacy.suppress_small_groups), or rerun with --include-ids for an internal report.</div>"
    )
    return page(name, body, subtitle="failed: privacy check")
