"""The one catalogue of every string a reader sees, one YAML file per language.

Reports, the index, answers, verdicts, table headers, axis labels and
feature names are written in the language of the run (``csresearch run
--lang ja``, the notebooks' ``lang`` parameter). Code never branches on the
language: it asks the catalogue.

* :func:`t` (``t("answers.verdict.clear")``): a sentence or phrase by key, its
  ``{placeholders}`` filled with :meth:`str.format`; a key the current
  language lacks falls back to English; a key English lacks is an error.
* :func:`label` (``label("Segment")``): a short label keyed by its English text
  (table headers, axis labels, legend entries, notebook headings), as gettext
  does; English needs no entry, another language lists it under ``labels``.
* :func:`fmt` (``fmt("percent", value="12.3")``): the number conventions of the
  language (``format`` section: percent, points, interval, money units).
* :func:`language` (a context manager) and :func:`set_language` choose the
  current language; :func:`current` says which it is.

A language is a file ``<code>.yml`` in this folder (see docs/i18n.md):
adding one is adding a file; :func:`languages` lists them.
"""

from __future__ import annotations

import contextlib
import re
import string
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import ParameterError

__all__ = [
    "CATALOGUE_DIR",
    "DEFAULT",
    "catalogue",
    "catalogue_dir",
    "current",
    "entries",
    "fmt",
    "has",
    "label",
    "label_text",
    "language",
    "languages",
    "money_units",
    "notebook_cell",
    "set_language",
    "t",
]

#: The language of the source strings and the fallback of every other.
DEFAULT = "en"
#: Where the catalogue files live (tests point it at a folder of their own).
CATALOGUE_DIR = Path(__file__).resolve().parent

_state: dict[str, Any] = {"lang": DEFAULT, "dir": None}


def _dir() -> Path:
    return Path(_state["dir"] or CATALOGUE_DIR)


def languages() -> list[str]:
    """The language codes with a catalogue file, sorted (``["en", "ja"]``)."""
    return sorted(p.stem for p in _dir().glob("*.yml"))


@lru_cache(maxsize=16)
def _load(path: str) -> dict[str, Any]:
    import yaml

    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ParameterError(f"language catalogue {Path(path).name} is not a mapping")
    return data


def catalogue(lang: str | None = None) -> dict[str, Any]:
    """The whole catalogue of ``lang`` (default: the current language) as a nested mapping.

    Raises
    ------
    ParameterError
        No catalogue file for ``lang``.
    """
    lang = lang or current()
    path = _dir() / f"{lang}.yml"
    if not path.is_file():
        raise ParameterError(f"language {lang!r} has no catalogue (available: {', '.join(languages())})")
    return _load(str(path))


def current() -> str:
    """The language code strings are written in now."""
    return str(_state["lang"])


def set_language(lang: str | None) -> str:
    """Make ``lang`` (None: English) the current language; return the previous one.

    Raises
    ------
    ParameterError
        ``lang`` has no catalogue file.
    """
    lang = str(lang or DEFAULT).strip()
    catalogue(lang)  # fails early on an unknown language
    previous, _state["lang"] = _state["lang"], lang
    return previous


@contextlib.contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Write strings in ``lang`` inside the ``with`` block; the previous language comes back after it."""
    previous = set_language(lang)
    try:
        yield current()
    finally:
        _state["lang"] = previous


@contextlib.contextmanager
def catalogue_dir(path: str | Path | None) -> Iterator[Path]:
    """Read catalogues from ``path`` inside the ``with`` block (tests: a fake language)."""
    previous, _state["dir"] = _state["dir"], path
    try:
        yield _dir()
    finally:
        _state["dir"] = previous


def _lookup(data: Mapping[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def has(key: str, lang: str | None = None) -> bool:
    """Whether ``key`` has a string in ``lang`` (default: the current language) or in English."""
    return _lookup(catalogue(lang), key) is not None or _lookup(catalogue(DEFAULT), key) is not None


def _raw(key: str) -> Any:
    value = _lookup(catalogue(), key)
    if value is None:
        value = _lookup(catalogue(DEFAULT), key)
    if value is None:
        raise KeyError(f"no string {key!r} in the {DEFAULT} catalogue (src/csresearch/i18n/{DEFAULT}.yml)")
    return value


class _Values(dict):
    """Format values; a missing placeholder is an error naming the key."""

    def __init__(self, key: str, values: Mapping[str, Any]):
        super().__init__(values)
        self.key = key

    def __missing__(self, name: str) -> Any:
        raise KeyError(f"string {self.key!r} needs a value for {{{name}}}")


def t(key: str, /, **values: Any) -> str:
    """The string ``key`` in the current language with its ``{placeholders}`` filled from ``values``.

    Parameters
    ----------
    key : str
        Dotted path in the catalogue (``"index.answers"``).
    **values
        Values of the placeholders (already formatted numbers and names).

    Returns
    -------
    str

    Raises
    ------
    KeyError
        Neither the current language nor English has ``key``, or a placeholder has no value.
    """
    value = _raw(key)
    if not isinstance(value, str):
        raise KeyError(f"catalogue key {key!r} is a group, not a string")
    return string.Formatter().vformat(value, (), _Values(key, values)) if values or "{" in value else value


def entries(key: str) -> Any:
    """A group (mapping or list) of the catalogue as it stands, in the current language with English fallback."""
    return _raw(key)


def label(text: str) -> str:
    """A label, note or method line by its English text, in the current language (else ``text`` as it is).

    The ``labels`` section of a catalogue maps English text to its
    translation. A key with ``{placeholders}`` is a pattern: it matches text
    that differs only there (``"Churned within {years} years"`` matches
    ``"Churned within 3 years"``; a matched part never holds ``"; "``) and its
    translation gets the matched parts.
    """
    text = str(text)
    found = _exact(text)
    if found is not None:
        return found
    for pattern, translation in _patterns(current(), str(_dir())):
        match = pattern.fullmatch(text)
        if match is not None and not any(";" in v for v in match.groupdict().values()):  # a value is never a clause
            return translation.format(**{k: _part(v) for k, v in match.groupdict().items()})
    return text


def _exact(text: str) -> str | None:
    labels = catalogue().get("labels") or {}
    found = labels.get(text) if isinstance(labels, Mapping) else None
    return None if found is None else str(found)


def _part(value: str) -> str:
    """A matched part of a pattern in the current language: a label or a feature's name, a ``", "`` list item by item."""
    found = _exact(value)
    if found is None:
        found = _lookup(catalogue(), f"features.{value}") if value.isidentifier() else None
    if found is not None:
        return str(found)
    if ", " in value:
        return fmt("comma").join(_part(v) for v in value.split(", "))
    return label(value)


def label_text(text: str) -> str:
    """A longer text (a method statement, a note) in the current language: as a whole, else clause by clause.

    A text the ``labels`` do not know as a whole is translated part by part:
    its ``"; "``-separated clauses outside brackets, joined again with the
    language's ``format.list_sep``. A clause nobody translated stays as it is.
    """
    text = str(text)
    whole = label(text)
    clauses = _clauses(text)
    if whole != text or len(clauses) == 1:
        return whole
    return fmt("list_sep").join(label(part) for part in clauses)


def _clauses(text: str) -> list[str]:
    """``text`` split at ``"; "`` outside round and square brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += 1 if ch in "([" else -1 if ch in ")]" else 0
        if depth == 0 and text.startswith("; ", i):
            parts.append(text[start:i])
            start = i + 2
    return [*parts, text[start:]]


@lru_cache(maxsize=16)
def _patterns(lang: str, folder: str) -> list[tuple[re.Pattern, str]]:
    """The ``labels`` keys of ``lang`` that hold placeholders, as regular expressions (longest first)."""
    labels = catalogue(lang).get("labels") or {}
    out = []
    for key, value in sorted(labels.items(), key=lambda kv: -len(str(kv[0]))):
        parts = list(string.Formatter().parse(str(key)))
        if not any(field for _, field, _, _ in parts):
            continue
        rx = "".join(re.escape(lit) + (f"(?P<{field}>.+?)" if field else "") for lit, field, _, _ in parts)
        out.append((re.compile(rx, re.DOTALL), str(value)))
    return out


def fmt(kind: str, /, **values: Any) -> str:
    """A number in the language's convention: ``fmt("percent", value="12.3")`` (the ``format`` section)."""
    return t(f"format.{kind}", **values)


def money_units() -> list[tuple[float, str]]:
    """The money units of the language, largest first: ``[(1e6, "{:.1f}M"), (1e3, "{:.0f}k")]``."""
    units = _raw("format.money")
    return sorted(((float(size), str(pattern)) for size, pattern in units), reverse=True)


def notebook_cell(notebook: str, heading: str) -> str | None:
    """The translated markdown cell of ``notebook`` whose first line is ``heading`` (None: keep the source)."""
    cells = (catalogue().get("notebooks") or {}).get(notebook) or {}
    found = cells.get(heading) if isinstance(cells, Mapping) else None
    return None if found is None else str(found)
