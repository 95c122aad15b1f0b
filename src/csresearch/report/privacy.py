"""Privacy by default: shared reports hold aggregates only.

Two tools: :func:`suppress_small_groups` for notebooks, which masks the counts
and derived rates of groups too small to share, and the identifier scan the
runner applies to everything a notebook displays: :func:`dataset_identifiers`
(account and user ids, and the values of every identifying extra column of
accounts: :func:`identifying_columns`), :func:`notebook_text` (text outputs,
HTML tables with the cells of identifying columns, SVG text and the text drawn
in figures, :mod:`csresearch.report.figure_text`), :func:`find_identifiers`
and :func:`redact`.

Numbers: an id made of digits is found as a whole number (not inside a longer
number, a decimal or a date). A bare number of fewer than
:data:`MIN_CONTEXT_FREE_DIGITS` digits cannot be told from a count (``17``
accounts vs account ``17``), so such ids are found only where they can only be
ids: after a label (``account 17``, ``customer_id: 17``, ``id #17``), in a
table column or index named after an identifying column, or as a category
label of a figure axis. Redaction (error messages, progress lines) replaces
every id, short numbers included.

Japanese (and Chinese, Korean) text has no spaces between words, so an id
such as ``株式会社サンプル商事`` is found anywhere inside a sentence
(``株式会社サンプル商事の解約率``), bounded only by Latin letters and digits.
Such an id shorter than :data:`MIN_CONTEXT_FREE_CJK` characters (``山田``)
cannot be told from part of an ordinary word (``山田商店``): it is found where
no letter of any script touches it (``山田、佐藤``, a table cell, a category
label). Other ids with non-ASCII letters (``Müller``) are found as whole words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

import pandas as pd

from ..study.suppression import suppress_small_groups  # re-exported: documented here for notebooks

__all__ = [
    "IdentifierScan",
    "dataset_identifiers",
    "find_identifiers",
    "html_text",
    "id_table_cells",
    "identifying_columns",
    "notebook_text",
    "redact",
    "suppress_small_groups",
]

#: Ids made of digits with fewer digits than this are found only next to a label, in an identifying
#: table column or as a figure's category label: a bare ``17`` cannot be told from a count.
MIN_CONTEXT_FREE_DIGITS = 5
#: From this many ids of non-ASCII text on, the scan filters them by their three-character pieces first.
_MANY_IDS = 200
#: Ids in a script written without spaces (Japanese, Chinese, Korean) this long are found inside any text;
#: shorter ones only where no letter touches them.
MIN_CONTEXT_FREE_CJK = 4
#: Kept for callers of the old name: numeric ids this long are found anywhere as whole numbers.
MIN_NUMERIC_ID_LENGTH = MIN_CONTEXT_FREE_DIGITS
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.,\-])(\d+)(?![A-Za-z0-9_]|[.,:/\-]\d)")
_LABELLED_NUMBER = re.compile(r"(?i)(?<![A-Za-z0-9])(?:account|customer|client|company|user|id)"
                              r"(?:[ _-]?(?:ids?|no|number|nr|#))?\s*[:=#]?\s*#?(\d+)(?![A-Za-z0-9_]|[.,]\d)")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_NAME_LIKE = re.compile(r"(?i)(^|_)(name|email|e_?mail|contact|phone|owner|domain|website|url)($|_)")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: The representation of a rich output the HTML report shows: the first of these it has (nbconvert's order).
DISPLAY_PRIORITY = ("text/html", "text/markdown", "image/svg+xml", "text/latex", "image/png", "image/jpeg", "text/plain")
#: Standard identifying columns of the contract (account and user ids).
ID_COLUMNS = ("account_id", "user_id")
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


def identifying_columns(accounts) -> list[str]:
    """Extra columns of the accounts table that identify an account, besides ``account_id``.

    A column outside the data contract identifies when its values are unique
    per account (text or whole numbers, at least 5 accounts), when its name
    says it holds names, emails, contacts or web addresses (``company_name``,
    ``owner_email``, ``domain``), or when its values look like email addresses.

    Parameters
    ----------
    accounts : DataFrame or None

    Returns
    -------
    list of str
    """
    from ..contract import TABLES

    if accounts is None or "account_id" not in accounts.columns:
        return []
    known = set(TABLES["accounts"].column_names)
    out = []
    for col in accounts.columns:
        if col in known or not isinstance(col, str):
            continue
        values = accounts[col].dropna()
        if pd.api.types.is_float_dtype(values) or pd.api.types.is_bool_dtype(values) or values.empty:
            continue
        per_account = accounts.dropna(subset=[col]).groupby("account_id")[col].first()
        unique = len(per_account) >= 5 and per_account.astype("str").nunique() == len(per_account)
        emails = values.astype("str").str.strip().str.match(_EMAIL.pattern).mean() > 0.5
        if unique or emails or _NAME_LIKE.search(col):
            out.append(col)
    return out


def dataset_identifiers(ds) -> set[str]:
    """Return every identifying value of a dataset.

    Account ids of all tables, user ids of events, and the values of the
    accounts' identifying extra columns (:func:`identifying_columns`; values
    shorter than 3 characters are left out: they are not names).

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
        for col in ID_COLUMNS:
            if col in frame.columns:
                ids.update(str(v) for v in frame[col].dropna().unique())
    accounts = ds.tables.get("accounts")
    for col in identifying_columns(accounts):
        ids.update(v for v in (str(x).strip() for x in accounts[col].dropna().unique()) if len(v) >= 3)
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
        Numeric ids too short to be found anywhere: looked for only in
        identifying places (after a label, in an id column, a category label).
    """

    found: tuple[str, ...]
    n_unscannable: int

    @property
    def clean(self) -> bool:
        """True when no identifier was found."""
        return not self.found


def _split(identifiers: Iterable[str]) -> tuple[set[str], set[str], set[str], list[str]]:
    """(short numeric, long numeric, simple tokens, others) of a set of identifiers."""
    short, long_, simple, other = set(), set(), set(), []
    for ident in identifiers:
        if ident.isdigit():
            (short if len(ident) < MIN_CONTEXT_FREE_DIGITS else long_).add(ident)
        elif _SIMPLE_ID.match(ident):
            simple.add(ident)
        else:
            other.append(ident)
    return short, long_, simple, other


def _spaceless(ident: str) -> bool:
    """Whether ``ident`` holds a letter of a script written without spaces (kanji, kana, hangul; full-width)."""
    return any(unicodedata.east_asian_width(ch) in ("W", "F") and ch.isalnum() for ch in ident)


def _in_text(others: Iterable[str], text: str) -> list[str]:
    """The ``others`` that occur in ``text`` as substrings (the regex decides whether as ids).

    Many ids (a Japanese dataset's company names: tens of thousands) are first
    filtered by their three-character pieces, all of which must occur in the
    text, so that only a few are searched for one by one.
    """
    others = list(others)
    if len(others) < _MANY_IDS:
        return [i for i in others if i in text]
    grams = {text[k : k + 3] for k in range(len(text) - 2)}
    return [i for i in others if (len(i) < 3 or (
        all(i[k : k + 3] in grams for k in range(0, len(i) - 2, 2)) and i[-3:] in grams)) and i in text]


def _id_pattern(ident: str) -> re.Pattern:
    """Where ``ident`` occurs as an id: inside any text (a long id of a spaceless script), else as a whole word."""
    if _spaceless(ident) and len(ident) >= MIN_CONTEXT_FREE_CJK:
        return re.compile(r"(?<![A-Za-z0-9_])" + re.escape(ident) + r"(?![A-Za-z0-9_])")
    return re.compile(r"(?<!\w)" + re.escape(ident) + r"(?!\w)")


def find_identifiers(text: str, identifiers: Iterable[str], *, id_cells: Iterable[str] = (),
                     categories: Iterable[str] = ()) -> IdentifierScan:
    """Find identifiers that occur in ``text`` as whole tokens.

    A token match means the id is not part of a longer word: ``A-17`` is found
    in ``"account A-17."`` but not in ``"A-170"``; a numeric id is found as a
    whole number (``12345`` not in ``123456``, ``12345.6`` or ``2024-12345``),
    one of fewer than :data:`MIN_CONTEXT_FREE_DIGITS` digits only after a label
    (``account 17``), as a whole cell in ``id_cells`` or a whole label in
    ``categories``. A Japanese id is found inside Japanese text
    (``株式会社サンプル商事`` in ``株式会社サンプル商事の解約``); one shorter than
    :data:`MIN_CONTEXT_FREE_CJK` characters only where no letter touches it.

    Parameters
    ----------
    text : str
        Text to scan (use :func:`html_text` for HTML, :func:`notebook_text` for a notebook).
    identifiers : iterable of str
        Values that must not appear.
    id_cells : iterable of str, optional
        Table cells of identifying columns (:func:`id_table_cells`).
    categories : iterable of str, optional
        Category labels of figure axes.

    Returns
    -------
    IdentifierScan
    """
    short, long_, simple, other = _split(identifiers)
    tokens = set(_TOKEN.findall(text))
    tokens.update(_WORD.findall(text))
    tokens.update(_ALNUM.findall(text))
    whole = {c.strip() for c in (*id_cells, *categories)}
    found = (simple & tokens) | (simple & whole) | (long_ & (set(_NUMBER.findall(text)) | whole))
    found |= short & (set(_LABELLED_NUMBER.findall(text)) | whole)
    words = set(_WORD.findall(text))
    found.update(ident for ident in other if ident in whole)
    found.update(ident for ident in _in_text(other, text)
                 if set(_WORD.findall(ident)) <= words and _id_pattern(ident).search(text))
    return IdentifierScan(tuple(sorted(found)), len(short))


def redact(text: str, identifiers: Iterable[str]) -> str:
    """``text`` with every identifier that occurs as a whole token replaced by ``<id>``, short numbers included.

    For error messages and progress lines: replacing a number that was only a
    count costs nothing there, so no context is needed.
    """
    short, long_, simple, other = _split(identifiers)
    words = set(_WORD.findall(text))
    for ident in sorted((i for i in _in_text(other, text) if set(_WORD.findall(i)) <= words), key=len, reverse=True):
        text = _id_pattern(ident).sub("<id>", text)
    plain = simple | short | long_
    text = _TOKEN.sub(lambda m: "<id>" if m.group() in plain else m.group(), text)
    return _ALNUM.sub(lambda m: "<id>" if m.group() in plain else m.group(), text)


class _TableParser(HTMLParser):
    """Rows of every HTML table: ``(in_head, [(text, colspan), ...])``; nested tables are read as their own."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[tuple[bool, list[tuple[str, int]]]]] = []
        self._stack: list[list[tuple[bool, list[tuple[str, int]]]]] = []
        self._head = False
        self._cell: list[str] | None = None
        self._span = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append([])
        elif tag == "thead":
            self._head = True
        elif tag == "tr" and self._stack:
            self._stack[-1].append((self._head, []))
        elif tag in ("td", "th") and self._stack and self._stack[-1]:
            span = dict(attrs).get("colspan") or "1"
            self._cell, self._span = [], int(span) if span.isdigit() else 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._stack and self._stack[-1]:
            self._stack[-1][-1][1].append(("".join(self._cell).strip(), self._span))
            self._cell = None
        elif tag == "thead":
            self._head = False
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def id_table_cells(html: str, columns: Iterable[str]) -> list[str]:
    """The body cells of every HTML table column (or index) whose header names one of ``columns``.

    Parameters
    ----------
    html : str
        An HTML fragment or page (pandas tables: the header row and the index-name row are in ``<thead>``).
    columns : iterable of str
        Identifying column names (case-insensitive).

    Returns
    -------
    list of str
        The cells' text.
    """
    names = {c.lower() for c in columns}
    parser = _TableParser()
    parser.feed(html)
    parser.close()
    cells: list[str] = []
    for rows in parser.tables:
        head = [r for in_head, r in rows if in_head] or rows[:1]
        body = [r for in_head, r in rows if not in_head] if len(head) < len(rows) else []
        positions = {i for r in head for i, text in enumerate(_expand(r)) if text.lower() in names}
        cells += [text for r in body for i, text in enumerate(_expand(r)) if i in positions]
    return cells


def _expand(row: list[tuple[str, int]]) -> list[str]:
    return [text for text, span in row for _ in range(max(span, 1))]


def notebook_text(nb, columns: Iterable[str] = ID_COLUMNS) -> tuple[str, list[str], str, list[str]]:
    """What an executed notebook displays, for :func:`find_identifiers`.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook.
    columns : iterable of str
        Identifying column names: their table cells are returned separately.

    Returns
    -------
    text : str
        Printed text, errors and tracebacks, and of each rich output the
        representation the report shows (:data:`DISPLAY_PRIORITY`, as
        nbconvert picks it): the text of HTML or SVG, Markdown, LaTeX or plain
        text (not the plain-text alternative of an output shown as HTML).
    id_cells : list of str
        Cells of HTML tables under an identifying column or index.
    figure_text : str
        The text drawn in displayed figures (:mod:`csresearch.report.figure_text`).
    categories : list of str
        Category labels of figure axes.
    """
    from .figure_text import MIME

    parts: list[str] = []
    cells: list[str] = []
    figures: list[str] = []
    categories: list[str] = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            kind = out.get("output_type")
            if kind == "stream":
                parts.append(str(out.get("text", "")))
            elif kind == "error":
                parts += [str(out.get("ename", "")), str(out.get("evalue", "")),
                          _ANSI.sub("", "\n".join(out.get("traceback", [])))]
            data = out.get("data", {}) if kind in ("display_data", "execute_result") else {}
            if isinstance(data.get(MIME), dict):
                figures += [str(v) for v in data[MIME].get("texts", [])]
                categories += [str(v) for v in data[MIME].get("categories", [])]
            mime = next((m for m in DISPLAY_PRIORITY if m in data), None)
            text = "".join(data[mime]) if mime and isinstance(data[mime], list) else data.get(mime, "")
            if mime in ("text/html", "image/svg+xml"):
                parts.append(html_text(str(text)))
                cells += id_table_cells(str(text), columns)
            elif mime is not None and mime.startswith("text/"):
                parts.append(str(text))
    return "\n".join(parts), cells, "\n".join(figures), categories
