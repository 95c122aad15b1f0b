"""The string catalogue (csresearch.i18n): complete languages, keys the code uses, a third language by one file."""

from __future__ import annotations

import ast
import re
import shutil
import string
from pathlib import Path

import pytest

from csresearch import answers, i18n, narrative
from csresearch.analysis.results import Interval
from csresearch.display import display_name
from csresearch.report.html import page

SRC = Path(__file__).resolve().parents[1] / "src" / "csresearch"
#: Sections that translate source text of the code (keyed by the English words), not keys of en.yml.
SOURCE_KEYED = ("labels", "notebooks", "steps")


def _flat(node, prefix=""):
    out = {}
    for k, v in node.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(_flat(v, key + "."))
        else:
            out[key] = v
    return out


def _placeholders(text) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f} if isinstance(text, str) else set()


def _keyed(lang):
    return {k: v for k, v in _flat(i18n.catalogue(lang)).items() if not k.startswith(SOURCE_KEYED)}


@pytest.mark.parametrize("lang", [lang for lang in i18n.languages() if lang != "en"])
def test_every_language_has_every_english_key_and_no_other(lang):
    en, other = _keyed("en"), _keyed(lang)
    assert sorted(set(en) - set(other)) == [], f"{lang}.yml lacks these keys of en.yml"
    assert sorted(set(other) - set(en)) == [], f"{lang}.yml has keys en.yml does not"


@pytest.mark.parametrize("lang", [lang for lang in i18n.languages() if lang != "en"])
def test_translations_fill_the_same_placeholders(lang):
    en, other = _keyed("en"), _keyed(lang)
    wrong = {k: (_placeholders(en[k]), _placeholders(other[k])) for k in en
             if isinstance(en[k], str) and _placeholders(en[k]) != _placeholders(other[k])}
    assert wrong == {}


def _calls(func_names: set[str]):
    """(file, first argument) of every call of the named functions in the package with a literal or f-string key."""
    for path in SRC.rglob("*.py"):
        if "notebooks" in path.parts or "i18n" not in path.read_text(encoding="utf-8"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                if name in func_names:
                    yield path.name, node.args[0]


def _dynamic_keys(arg: ast.JoinedStr) -> list[str]:
    """Keys an f-string key can take: its literal prefix and every catalogue key starting with it."""
    prefix = "".join(v.value for v in arg.values[:1] if isinstance(v, ast.Constant))
    return [k for k in _flat(i18n.catalogue("en")) if k.startswith(prefix)] if prefix else []


def test_every_key_the_code_uses_is_in_the_english_catalogue():
    keys = _flat(i18n.catalogue("en"))
    known = set(keys) | {".".join(k.split(".")[:n]) for k in keys for n in range(1, k.count(".") + 1)}
    missing, dynamic = [], 0
    for where, arg in _calls({"t", "fmt", "has", "entries"}):
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            key = arg.value
            if key not in known and f"format.{key}" not in known:
                missing.append((where, key))
        elif isinstance(arg, ast.JoinedStr):
            dynamic += 1
            assert _dynamic_keys(arg) or where == "__init__.py", \
                f"{where}: f-string key {ast.unparse(arg)} matches no key"
    assert missing == []
    assert dynamic > 0  # the scan sees the f-string keys too


def test_fallback_to_english_and_errors_name_the_key():
    with i18n.language("ja"):
        assert i18n.t("answers.not_enough", why="x") == "このデータではまだ答えられません：x。"
        with pytest.raises(KeyError, match="no_such"):
            i18n.t("no_such.key")
        with pytest.raises(KeyError, match="why"):
            i18n.t("answers.not_enough")
    with pytest.raises(i18n.ParameterError):
        i18n.set_language("xx")
    assert i18n.current() == "en"


def test_a_third_language_is_one_file(tmp_path):
    """A fake language 'xx' with two strings: it is listed, used where it has a string, English elsewhere."""
    for lang in ("en", "ja"):
        shutil.copy(SRC / "i18n" / f"{lang}.yml", tmp_path / f"{lang}.yml")
    (tmp_path / "xx.yml").write_text(
        'language: xx\nformat:\n  percent: "{value} pc"\nverdicts:\n  clear effect: "XX-CLEAR"\n'
        'features:\n  health_score: "XX-health"\n', encoding="utf-8")
    with i18n.catalogue_dir(tmp_path):
        assert i18n.languages() == ["en", "ja", "xx"]
        with i18n.language("xx"):
            assert narrative.fmt_pct(0.123) == "12.3 pc"
            assert i18n.t("verdicts.clear effect") == "XX-CLEAR"
            assert display_name("health_score") == "XX-health"
            assert display_name("tenure_years") == "Tenure (years)"  # not translated yet: English
            assert '<html lang="xx">' in page("t", "")
    assert i18n.languages() == ["en", "ja"]


def test_numbers_follow_the_language():
    iv = Interval(0.052, 0.031, 0.120)
    assert narrative.describe_interval(iv, "points") == "5.2 points (95% CI 3.1 to 12.0 points)"
    with i18n.language("ja"):
        assert narrative.describe_interval(iv, "points") == "5.2ポイント（95%信頼区間 3.1〜12.0ポイント）"
        assert narrative.fmt_pct(0.123) == "12.3%"
        assert narrative.fmt_money(41_200_000) == "4,120万"
        assert narrative.fmt_money(1_230_000_000) == "12.3億"
    assert narrative.fmt_money(41_200_000) == "41.2M"


def test_answers_in_japanese_carry_the_same_numbers():
    section = {"horizon_years": 3, "risk_difference": Interval(0.05, 0.02, 0.08).to_dict(),
               "churn_failed": Interval(0.2, 0.15, 0.25).to_dict(), "churn_succeeded": Interval(0.15, 0.12, 0.18).to_dict()}
    en = answers.onboarding_churn_answer(section)
    with i18n.language("ja"):
        ja = answers.onboarding_churn_answer(section)
    assert en["verdict"] == ja["verdict"] == answers.CLEAR  # verdicts stay language-neutral keys
    assert en["answer"].startswith("Yes: failing onboarding raises churn within 3 years by 5.0 percentage points")
    assert ja["answer"].startswith("はい：オンボーディングの失敗は3年以内の解約率を5.0ポイント高めます")
    assert "95%信頼区間 +2.0〜+8.0ポイント" in ja["answer"] and "20.0%" in ja["answer"]


def test_display_names_in_japanese():
    with i18n.language("ja"):
        assert display_name("seat_utilisation_3m") == "席利用率（直近3か月）"
        assert display_name("nps_avg_6m") == "Nps avg（直近6か月）"
    assert display_name("seat_utilisation_3m") == "Seat utilisation (last 3 months)"


def _notebook_headings():
    import jupytext

    from csresearch.runner.notebooks import markdown_heading

    for path in sorted((SRC / "notebooks").glob("*.py")):
        for cell in jupytext.read(path).cells:
            if cell.cell_type == "markdown":
                yield path.stem, markdown_heading(cell.source)


@pytest.mark.parametrize("lang", [lang for lang in i18n.languages() if lang != "en"])
def test_every_notebook_markdown_cell_is_translated(lang):
    cells = i18n.catalogue(lang).get("notebooks") or {}
    headings = list(_notebook_headings())
    missing = [(nb, h) for nb, h in headings if h not in (cells.get(nb) or {})]
    stale = [(nb, h) for nb, entries in cells.items() for h in entries if (nb, h) not in set(headings)]
    assert missing == [], f"markdown cells without a {lang} translation"
    assert stale == [], f"{lang} translations of markdown cells that no longer exist"


@pytest.mark.parametrize("lang", [lang for lang in i18n.languages() if lang != "en"])
def test_step_translations_name_registered_steps(lang):
    from csresearch.study.protocol import steps

    known = {s.name: s for s in steps()}
    translated = i18n.catalogue(lang).get("steps") or {}
    assert set(translated) <= set(known)
    untranslated = [(s.name, f) for s in known.values() for f in ("heading", "question")
                    if getattr(s, f) and f not in (translated.get(s.name) or {})]
    assert untranslated == []


def test_translate_markdown_replaces_only_known_cells():
    import nbformat

    from csresearch.runner.notebooks import translate_markdown

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## The answer"),
                                         nbformat.v4.new_markdown_cell("## Not in the catalogue"),
                                         nbformat.v4.new_code_cell("x = 1")])
    with i18n.language("ja"):
        translate_markdown(nb, "01_onboarding_vs_churn")
    assert [c.source for c in nb.cells] == ["## 答え", "## Not in the catalogue", "x = 1"]
    translate_markdown(nb, "01_onboarding_vs_churn")  # English: the source stays
    assert nb.cells[1].source == "## Not in the catalogue"


def test_no_language_branches_in_the_code():
    """Code asks the catalogue; it never compares the language with a code such as "ja"."""
    pattern = re.compile(r"""(lang|language|current\(\))\s*[!=]=\s*["'](?!en["'])[a-z]{2}["']""")
    hits = [p.name for p in SRC.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert hits == []


def test_an_unknown_language_exits_2_before_any_notebook(repo_root, tmp_path):
    from click.testing import CliRunner

    from csresearch.cli import main as cli

    data = str(repo_root / "data" / "sample")
    result = CliRunner().invoke(cli, ["run", data, "-o", str(tmp_path / "a"), "--lang", "xx"])
    assert result.exit_code == 2 and "xx" in result.output
    result = CliRunner().invoke(cli, ["run", data, "-o", str(tmp_path / "b"), "-p", "lang=xx"])
    assert result.exit_code == 2 and "lang: expects one of en, ja" in result.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_health_definitions_and_their_stories_translate():
    """Built-in definitions by their catalogue name; a user's own definition keeps its label; English unchanged."""
    from csresearch.display import definition_name

    section = {"definitions": [
        {"name": "dear", "label": "DEAR health score", "auc_next_renewal": Interval(0.66, 0.58, 0.73).to_dict(),
         "churn_rate_unhealthy": Interval(0.07, 0.05, 0.11).to_dict(),
         "churn_rate_healthy": Interval(0.03, 0.02, 0.04).to_dict()},
        {"name": "box_50_80", "label": "Box 50/80 healthy customer", "auc_vs_best": Interval(-0.13, -0.2, -0.06).to_dict()},
        {"name": "mine", "label": "My rule", "auc_vs_best": Interval.unavailable("not computed").to_dict()}]}
    english = narrative.definitions_story(section)
    assert english.startswith("Of the 3 health definitions tested against renewals, the DEAR health score deserves")
    assert "the My rule is its difference from the DEAR health score could not be computed (not computed)" in english
    with i18n.language("ja"):
        assert definition_name("box_50_80") == "ボックスの50/80ルール"
        assert definition_name("dear_worst_of") == "DEARの最弱コンポーネント"
        assert definition_name("mine", "My rule") == "My rule"
        japanese = narrative.definitions_story(section)
        answer = answers.health_validity_answer({**section, "auc_next_renewal": Interval(0.66, 0.58, 0.73).to_dict()})
    assert "ボックスの50/80ルール" in japanese and "DEARヘルススコア" in japanese and "計算されていません" in japanese
    assert "ボックスの50/80ルール" in answer["answer"] and "Box" not in answer["answer"]


def test_reasons_and_figure_titles_translate_but_a_pattern_value_never_spans_a_clause():
    with i18n.language("ja"):
        assert "計算されていません" in narrative.describe_interval(Interval.unavailable("not computed"))
        assert i18n.label("Brier 0.035; slope 0.52") == "Brierスコア 0.035、キャリブレーションの傾き 0.52"
        assert i18n.label("Shift_JIS (CP932), detected") == "Shift_JIS (CP932)（自動判定）"
        method = ("ROC AUC (Mann-Whitney, ties half) on the rows every score has a value for; "
                  "percentile cluster bootstrap over accounts (200 resamples, seed 0)")
        text = i18n.label_text(method)
    assert "行で計算" in text and "200回" in text and "on the rows" not in text
    assert narrative.describe_interval(Interval.unavailable("not computed")) == "not available (not computed)"


def test_run_problems_come_from_the_catalogue():
    with i18n.language("ja"):
        line = i18n.t("index.problems.failed", name="03_health_score_validity", error="boom")
    assert line.startswith("ノートブック 03_health_score_validity") and "boom" in line
    assert i18n.t("index.problems.failed", name="03", error="boom") == "notebook 03 failed: boom"
