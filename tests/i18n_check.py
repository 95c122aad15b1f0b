"""Helpers of the language tests: a Japanese-labelled dataset and a detector of English sentences in HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

#: Japanese labels for the generated sample's segments, touch models and industries.
JA_LABELS = {
    "segment": {"smb": "中小企業", "mid": "中堅企業", "enterprise": "大企業"},
    "touch_model": {"tech": "テックタッチ", "low": "ロータッチ", "high": "ハイタッチ"},
    "industry": {"healthcare": "医療", "it_services": "ITサービス", "professional_services": "専門サービス",
                 "logistics": "物流", "construction": "建設", "manufacturing": "製造", "retail": "小売",
                 "finance": "金融", "education": "教育", "media": "メディア"},
}

#: Words and terms that stay as they are in Japanese reports (abbreviations, names of methods and files).
ALLOWED_TERMS = (
    "KPI", "AUC", "GRR", "NRR", "ARR", "DEAR", "ROI", "NPS", "QBR", "CSM", "CS", "SD", "SHA-256", "E", "p", "q",
    "csresearch", "findings.json", "--only", "as_of",
)

_SKIP = {"style", "script", "code", "pre"}
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
#: Three or more English words in a row (with spaces, commas or hyphens between): a sentence or a phrase.
_ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'-]*(?:[ ,:;/()-]+[A-Za-z][A-Za-z'-]*){2,}")


def relabel_japanese(data_dir: Path) -> Path:
    """Rewrite accounts.csv of a generated dataset with Japanese segment, touch-model and industry values."""
    path = Path(data_dir) / "accounts.csv"
    accounts = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column, mapping in JA_LABELS.items():
        if column in accounts:
            accounts[column] = accounts[column].map(lambda v, m=mapping: m.get(v, v))
    accounts.to_csv(path, index=False, encoding="utf-8")
    return Path(data_dir)


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
