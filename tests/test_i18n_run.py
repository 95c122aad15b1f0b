"""A whole run in Japanese (csresearch run --lang ja) on Japanese-labelled data: every page Japanese, nothing leaked."""

from __future__ import annotations

import io
import json
import re

import pytest
from i18n_check import english_runs, visible_text

from csresearch.synth.labels import LABELS

pytestmark = pytest.mark.xdist_group("ja_run")

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def ja_run(tmp_path_factory):
    """The suite with --lang ja on 800 generated accounts with Japanese labels (``csresearch synth --lang ja``)."""
    from csresearch.runner import run_suite
    from csresearch.synth import generate_dataset

    root = tmp_path_factory.mktemp("ja")
    data = generate_dataset(n_accounts=800, seed=7, scenario={"onboarding_deficit": 2.0}, lang="ja").write(root / "data")
    log = io.StringIO()
    code = run_suite(data, root / "out", jobs=2, stream=log, lang="ja")
    return code, json.loads((root / "out" / "findings.json").read_text(encoding="utf-8")), log.getvalue(), root


def _pages(root):
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((root / "out").glob("*.html"))}


def test_the_run_succeeds_and_records_its_language(ja_run):
    code, findings, log, _ = ja_run
    assert code == 0, log
    assert findings["language"] == "ja"
    assert all(line["verdict"] in ("clear effect", "no detectable effect", "not enough data")
               for line in findings["summary"])  # verdicts stay keys
    assert all(JAPANESE.search(line["answer"]) and JAPANESE.search(line["question"]) for line in findings["summary"])
    assert all(JAPANESE.search(a["action"]) for a in findings["actions"])


def test_every_page_is_japanese(ja_run):
    pages = _pages(ja_run[3])
    assert "index.html" in pages and len(pages) >= 9
    for name, html in pages.items():
        assert '<html lang="ja">' in html, name
        assert JAPANESE.search(" ".join(visible_text(html))), name
    index = pages["index.html"]
    for heading in ("問いへの答え", "推奨アクション", "セグメント別", "数字の読み方", "レポート", "データセット"):
        assert f">{heading}<" in index, heading
    assert "オンボーディングの失敗は解約につながるか？" in index
    assert "数字の読み方" in pages["01_onboarding_vs_churn.html"]
    assert "<h1" in pages["01_onboarding_vs_churn.html"] and "オンボーディングの失敗は解約の原因になるか？" in pages["01_onboarding_vs_churn.html"]


def test_segment_tables_show_the_japanese_segment_names(ja_run):
    pages = _pages(ja_run[3])
    index = pages["index.html"]
    segment_view = index[index.index('class="segments"'):]
    assert all(name in segment_view for name in LABELS["ja"]["segment"].values())
    assert "中小企業" in pages["01_onboarding_vs_churn.html"]


def test_no_account_id_in_any_page(ja_run):
    import pandas as pd

    root = ja_run[3]
    ids = set(pd.read_csv(root / "data" / "accounts.csv", dtype=str)["account_id"])
    for name, html in _pages(root).items():
        leaked = sorted(i for i in ids if i in html)
        assert leaked == [], f"{name} shows account ids {leaked[:5]}"


def test_no_untranslated_english_sentence(ja_run):
    """No run of three or more English words in the visible text of any page (allow-list: i18n_check.ALLOWED_TERMS)."""
    found = {name: english_runs(html) for name, html in _pages(ja_run[3]).items()}
    assert {name: runs for name, runs in found.items() if runs} == {}
