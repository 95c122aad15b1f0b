"""Helpers of the language tests: a detector of English sentences in the visible text of HTML pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: Words and terms that stay as they are in Japanese reports (abbreviations, names of methods and files).
ALLOWED_TERMS = (
    "KPI", "AUC", "GRR", "NRR", "ARR", "DEAR", "ROI", "NPS", "QBR", "CSM", "CS", "SD", "SHA-256", "E", "p", "q",
    "csresearch", "findings.json", "--only", "as_of",
)

_SKIP = {"style", "script", "code", "pre"}
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
#: Three or more English words in a row (with spaces, commas or hyphens between): a sentence or a phrase.
_ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'-]*(?:[ ,:;/()-]+[A-Za-z][A-Za-z'-]*){2,}")


class _Text(HTMLParser):
    """Visible text of a page, without styles, code, the run's parameters, environment and package tables."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag in _SKIP or {"kv", "params"} & set(classes) or self._skip:
            self._skip.append(tag)

    def handle_endtag(self, tag):
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())

    def handle_startendtag(self, tag, attrs):
        pass


def visible_text(html: str) -> list[str]:
    """The text nodes a reader sees (see :class:`_Text`)."""
    parser = _Text()
    parser.feed(html)
    return parser.parts


def english_runs(html: str, allowed: tuple[str, ...] = ALLOWED_TERMS) -> list[str]:
    """Runs of three or more English words in the visible text (allowed terms removed first)."""
    allowed_re = re.compile(r"(?<![A-Za-z])(" + "|".join(re.escape(a) for a in sorted(allowed, key=len, reverse=True))
                            + r")(?![A-Za-z])")
    found = []
    for text in visible_text(html):
        for run in _ENGLISH_RUN.findall(allowed_re.sub(" ", text)):
            if len(_WORD.findall(run)) >= 3:
                found.append(run.strip())
    return found
