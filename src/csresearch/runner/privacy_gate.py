"""Step 4 of a run, *privacy gate*: no dataset identifier leaves the run unless ``--include-ids``.

Everything a run shares passes through one :class:`PrivacyGate`: the notebook
reports (a report whose page or executed notebook shows identifiers, in text,
a table or a figure, is replaced by a notice, its executed notebook is
deleted and its notebook fails), error messages and progress lines
(identifiers become ``<id>``), the findings sections (one holding identifiers
is withheld) and index.html (checked by :mod:`~csresearch.runner.publish`
with :meth:`PrivacyGate.leaks`). With ``--include-ids`` the gate holds no
identifiers and lets everything through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..i18n import t
from ..report.html import escape, page
from ..report.privacy import (
    ID_COLUMNS,
    find_identifiers,
    html_text,
    id_table_cells,
    notebook_text,
    redact,
)
from .collect import RunOutcome, drop_section
from .execute import ExecResult

__all__ = ["PrivacyGate", "withheld_page"]


@dataclass(frozen=True)
class PrivacyGate:
    """Screens shared output for the dataset's identifiers.

    Parameters
    ----------
    identifiers : frozenset of str
        Account and user ids and identifying values of the dataset; empty lets everything through.
    columns : frozenset of str
        Identifying column names: table cells under them are checked for short numeric ids too.
    """

    identifiers: frozenset[str]
    columns: frozenset[str] = field(default_factory=lambda: frozenset(ID_COLUMNS))

    def leaks(self, text: str) -> tuple[str, ...]:
        """Identifiers that occur in ``text`` (plain text, not HTML), sorted; ``()`` when none."""
        return find_identifiers(text, self.identifiers).found if self.identifiers else ()

    def redact(self, text: str | None) -> str | None:
        """``text`` with every identifier replaced by ``<id>`` (None and empty text unchanged)."""
        if not text or not self.identifiers:
            return text
        return redact(text, self.identifiers)

    def report_leaks(self, html: Path) -> tuple[tuple[str, ...], list[str]]:
        """Identifiers a report shows, and where: in its text, an identifying table column, a figure.

        Both the page and the executed notebook next to it (``.ipynb``: every
        output, including the text drawn in figures) are scanned.
        """
        page_html = html.read_text(encoding="utf-8")
        texts, cells, figures, categories = [html_text(page_html)], id_table_cells(page_html, self.columns), [], []
        ipynb = html.with_suffix(".ipynb")
        if ipynb.exists():
            text, nb_cells, figure_text, categories = notebook_text(nbformat.read(ipynb, as_version=4), self.columns)
            texts, cells, figures = [*texts, text], [*cells, *nb_cells], [figure_text]
        places = {
            "text": find_identifiers("\n".join(texts), self.identifiers).found,
            "an identifying table column": find_identifiers("", self.identifiers, id_cells=cells).found,
            "a figure": find_identifiers("\n".join(figures), self.identifiers, categories=categories).found,
        }
        found = tuple(sorted({i for ids in places.values() for i in ids}))
        return found, [where for where, ids in places.items() if ids]

    def screen_reports(self, results: Mapping[str, ExecResult]) -> None:
        """Redact errors and withhold every report that shows identifiers; its notebook fails.

        Parameters
        ----------
        results : mapping of str to ExecResult
            Updated in place: ``error`` redacted; a withheld report's page is
            replaced by a notice, its executed ``.ipynb`` (which holds the same
            outputs) deleted, ``status`` set to ``failed`` and the reason
            (starting ``privacy check``, saying where, never the ids) appended to ``error``.
        """
        for r in results.values():
            r.error = self.redact(r.error)
            if self.identifiers and r.html is not None and r.html.exists():
                found, where = self.report_leaks(r.html)
                if found:
                    r.html.write_text(withheld_page(r.name, len(found)), encoding="utf-8")
                    r.html.with_suffix(".ipynb").unlink(missing_ok=True)
                    why = (f"privacy check: the report showed {len(found)} dataset identifier(s) (in "
                           f"{' and '.join(where)}); it was withheld")
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
                outcome.problems.append(t("index.problems.section_withheld", section=sec))


def withheld_page(name: str, n_found: int) -> str:
    """The page that replaces the report of notebook ``name`` when it showed ``n_found`` identifiers."""
    body = (
        '<div class="callout bad"><strong>Report withheld by the privacy check.</strong> '
        f"The report of {escape(name)} contained {n_found} identifier(s) of the dataset's accounts or users (ids, "
        "or names or emails from identifying columns) in its text, tables or figures, so neither it nor its "
        "executed notebook was written. Shared reports hold aggregates only: print group tables, not rows "
        "(see csresearch.report.privacy.suppress_small_groups), or rerun with --include-ids for an internal report.</div>"
    )
    return page(name, body, subtitle="failed: privacy check")
