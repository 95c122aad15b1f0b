"""Privacy by default: shared reports hold aggregates only.

Two tools: :func:`suppress_small_groups` for notebooks, which masks the counts
and derived rates of groups too small to share, and :func:`find_identifiers`
with :func:`dataset_identifiers`, which the runner uses to scan every HTML page
it produced for account and user ids of the dataset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

from ..study.suppression import suppress_small_groups  # re-exported: documented here for notebooks

__all__ = [
    "IdentifierScan",
    "dataset_identifiers",
    "find_identifiers",
    "html_text",
    "suppress_small_groups",
]

#: Ids made of digits only and shorter than this are not scanned: they cannot
#: be told apart from ordinary numbers in a report (a count of 17 vs account "17").
MIN_NUMERIC_ID_LENGTH = 6
_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")
_WORD = re.compile(r"[A-Za-z0-9_]+")
_ALNUM = re.compile(r"[A-Za-z0-9]+")
_SIMPLE_ID = re.compile(r"^[A-Za-z0-9_\-]+$")
_BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption dd details div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section summary table tbody td tfoot th thead title tr ul".split()
)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style",):
            self._skip += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        for name, value in attrs:
            if value and not value.startswith("data:") and name in ("title", "alt", "href", "value", "content", "id", "name"):
                self.parts.append(f"\n{value}\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style",) and self._skip:
            self._skip -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    """Return the visible text of an HTML document plus its text-bearing attributes (not styles or data URIs)."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def dataset_identifiers(ds) -> set[str]:
    """Return every identifying value of a dataset: account ids of all tables and user ids of events.

    Parameters
    ----------
    ds : Dataset
        A loaded dataset.

    Returns
    -------
    set of str
    """
    ids: set[str] = set()
    for name, frame in ds.tables.items():
        for col in ("account_id", "user_id"):
            if col in frame.columns:
                ids.update(str(v) for v in frame[col].dropna().unique())
    if ds.events is not None:  # distinct values from DuckDB: the events are never loaded
        ids.update(ds.events.distinct("account_id"))
        ids.update(ds.events.distinct("user_id"))
    return {i.strip() for i in ids if i and i.strip()}


@dataclass(frozen=True)
class IdentifierScan:
    """Result of scanning one text for identifiers.

    Attributes
    ----------
    found : tuple of str
        Identifiers that occur as whole tokens, sorted.
    n_unscannable : int
        Ids skipped because they are short numbers.
    """

    found: tuple[str, ...]
    n_unscannable: int

    @property
    def clean(self) -> bool:
        """True when no identifier was found."""
        return not self.found


def find_identifiers(text: str, identifiers: Iterable[str]) -> IdentifierScan:
    """Find identifiers that occur in ``text`` as whole tokens.

    A token match means the id is not part of a longer word: ``A-17`` is found
    in ``"account A-17."`` but not in ``"A-170"``.

    Parameters
    ----------
    text : str
        Text to scan (use :func:`html_text` for HTML).
    identifiers : iterable of str
        Values that must not appear.

    Returns
    -------
    IdentifierScan
    """
    simple, other, skipped = set(), [], 0
    for ident in identifiers:
        if ident.isdigit() and len(ident) < MIN_NUMERIC_ID_LENGTH:
            skipped += 1
        elif _SIMPLE_ID.match(ident):
            simple.add(ident)
        else:
            other.append(ident)
    tokens = set(_TOKEN.findall(text))
    tokens.update(_WORD.findall(text))
    tokens.update(_ALNUM.findall(text))
    found = simple & tokens
    for ident in other:
        if re.search(r"(?<![A-Za-z0-9_])" + re.escape(ident) + r"(?![A-Za-z0-9_])", text):
            found.add(ident)
    return IdentifierScan(tuple(sorted(found)), skipped)
