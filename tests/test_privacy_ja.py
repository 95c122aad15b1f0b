"""Japanese account ids never reach shared output; Japanese words that merely look alike pass.

Japanese text has no spaces, so an id such as 株式会社サンプル商事 sits inside a
sentence with no word boundary around it. Unit checks of the scan, then custom
notebooks run by the runner on a tiny Japanese dataset: a report printing an id
in a Japanese sentence, drawing ids in a figure or showing them in a table is
withheld; one of aggregates with Japanese segment names and a Japanese figure
passes, with no warning text in it.
"""

from __future__ import annotations

import io
import json
import textwrap

import nbformat
import pytest

from csresearch.report.figure_text import MIME
from csresearch.report.privacy import find_identifiers, redact
from csresearch.runner import run_suite

pytestmark = pytest.mark.xdist_group("runner")

SAMPLE_CO, SHORT, LATIN = "株式会社サンプル商事", "山田", "Müller"
IDS = {SAMPLE_CO, "サンプル商事株式会社", SHORT, LATIN, "A-17", "40917"}


@pytest.mark.parametrize("text, found", [
    ("当期は株式会社サンプル商事の解約が目立った。", {SAMPLE_CO}),
    ("解約: 株式会社サンプル商事、合同会社ミドリ", {SAMPLE_CO}),
    ("<td>株式会社サンプル商事</td>", {SAMPLE_CO}),
    ("アカウントA-17の利用率", {"A-17"}),
    ("顧客40917は解約", {"40917"}),
    ("担当: 山田、佐藤", {SHORT}),
    ("Kunde Müller kündigt", {LATIN}),
])
def test_japanese_ids_are_found_inside_japanese_sentences(text, found):
    assert set(find_identifiers(text, IDS).found) == found
    assert not any(i in redact(text, IDS) for i in found)


@pytest.mark.parametrize("text", [
    "中小企業の解約率は3.0%（95%信頼区間 2.6%〜3.5%）、大企業は1.2%。",
    "サンプル数が少ないため、サンプル商事的な傾向は読み取れない。",  # parts of an id, not the id
    "株式会社サンプル商事2の担当",  # a longer id (株式会社サンプル商事 followed by a digit) is another id
    "山田商店と山田工業の解約",  # a short id inside longer words
    "Müllers Garten; A-170; 409170 accounts",
])
def test_ordinary_words_and_longer_names_are_not_ids(text):
    assert find_identifiers(text, IDS).found == ()


def test_a_short_japanese_id_is_found_as_a_cell_or_category_label():
    assert find_identifiers("", IDS, id_cells=[" 山田 "]).found == (SHORT,)
    assert find_identifiers("", IDS, categories=["山田"]).found == (SHORT,)


DATASET = {
    "dataset.yml": "name: 日本語データ\nextracted_at: 2025-06-30\n",
    "accounts.csv": f"""\
        account_id,segment,signup_date,touch_model,industry,employees
        {SAMPLE_CO},中小企業,2023-01-01,テックタッチ,小売業,50
        合同会社ミドリ技研,中堅企業,2023-03-01,ハイタッチ,金融業,200
        アオバ物産株式会社,大企業,2024-01-01,ハイタッチ,,
        """,
    "contracts.csv": f"""\
        account_id,term_start,term_end,seats,quota,arr,outcome
        {SAMPLE_CO},2023-01-01,2024-01-01,10,1000,5000,renewed
        {SAMPLE_CO},2024-01-01,2025-01-01,10,1000,5000,churned
        合同会社ミドリ技研,2023-03-01,2024-03-01,20,,9000,renewed
        アオバ物産株式会社,2024-01-01,2025-01-01,50,5000,20000,renewed
        """,
    "onboarding.csv": f"""\
        account_id,start_date,target_date,completed_date,status,setup_done_date,admin_trained_date,first_value_date
        {SAMPLE_CO},2023-01-01,2023-04-01,,failed,,,
        合同会社ミドリ技研,2023-03-01,2023-06-01,2023-05-20,succeeded,2023-04-01,2023-04-15,2023-05-20
        アオバ物産株式会社,2024-01-01,2024-04-01,2024-03-15,succeeded,2024-02-01,2024-02-15,2024-03-15
        """,
    "usage_monthly.csv": f"""\
        account_id,month,active_users,events,features_used,quota_used
        {SAMPLE_CO},2024-06-01,3,40,2,30
        合同会社ミドリ技研,2024-06-01,15,400,6,0
        アオバ物産株式会社,2024-06-01,30,900,8,400
        """,
}

_HEAD = '''\
    # %% [markdown]
    # # {title}

    # %% tags=["parameters"]
    data_dir = None
    output_dir = None

    # %%
    import pathlib
    import pandas as pd
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display
    from csresearch import plots
    plots.use_report_style()
    accounts = pd.read_csv(pathlib.Path(data_dir) / "accounts.csv", dtype=str)
    '''

NOTEBOOKS = {
    "00_aggregates.py": '''\
    print(f"{len(accounts)}社; セグメント別の社数")
    display(accounts.groupby("segment").size().rename("社数").to_frame())
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(accounts["segment"].tolist(), [1, 2, 3], label="解約率")
    ax.set_title("セグメント別の解約率（サンプル商事的な傾向なし）")
    ax.legend(title="タッチモデル")
    plt.show()
    ''',
    "01_id_in_sentence.py": '''\
    display(Markdown(f"最大の顧客は{accounts['account_id'].iloc[0]}で、解約しました。"))
    ''',
    "02_ids_in_figure.py": '''\
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.barh(accounts["account_id"].tolist(), [1, 2, 3])
    ax.set_title("顧客別の利用")
    plt.show()
    ''',
    "03_ids_in_table.py": '''\
    display(accounts.set_index("account_id")[["segment"]])
    ''',
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    root = tmp_path_factory.mktemp("scan_ja")
    for folder, files in (("data", DATASET), ("nbs", NOTEBOOKS)):
        (root / folder).mkdir()
        for name, text in files.items():
            body = textwrap.dedent(_HEAD).format(title=name[:-3]) + textwrap.dedent(text) if name.endswith(".py") \
                else textwrap.dedent(text)
            (root / folder / name).write_text(body, encoding="utf-8")
    err = io.StringIO()
    code = run_suite(root / "data", root / "out", notebooks_dir=root / "nbs", stream=err)
    run = json.loads((root / "out" / "run.json").read_text(encoding="utf-8"))
    return {"code": code, "stderr": err.getvalue(), "out": root / "out",
            "status": {n["name"]: n for n in run["notebooks"]}}


def _stderr_outputs(nb) -> list[str]:
    return ["".join(o.get("text", "")) for c in nb.cells for o in c.get("outputs", [])
            if o.get("output_type") == "stream" and o.get("name") == "stderr"]


def test_japanese_aggregates_and_figure_pass_without_warnings(scanned):
    status = scanned["status"]["00_aggregates"]
    assert status["status"] == "ok", status
    html = (scanned["out"] / "00_aggregates.html").read_text(encoding="utf-8")
    assert "中小企業" in html and "社数" in html
    nb = nbformat.read(scanned["out"] / "00_aggregates.ipynb", as_version=4)
    figure = [o["data"][MIME] for c in nb.cells for o in c.get("outputs", []) if MIME in o.get("data", {})]
    assert figure and "中堅企業" in figure[0]["categories"]
    assert _stderr_outputs(nb) == []  # no "Glyph missing" (or any other) warning in the report
    assert "Warning" not in html


@pytest.mark.parametrize("name, where", [("01_id_in_sentence", "in text"), ("02_ids_in_figure", "in a figure"),
                                         ("03_ids_in_table", "an identifying table column")])
def test_a_report_showing_a_japanese_id_is_withheld(scanned, name, where):
    assert scanned["code"] == 1
    status = scanned["status"][name]
    assert status["status"] == "failed" and "privacy check" in status["error"] and where in status["error"], status
    html = (scanned["out"] / f"{name}.html").read_text(encoding="utf-8")
    assert "Report withheld by the privacy check" in html
    for text in (html, status["error"], scanned["stderr"], (scanned["out"] / "index.html").read_text(encoding="utf-8")):
        assert SAMPLE_CO not in text and "合同会社ミドリ技研" not in text


def test_many_japanese_ids_are_scanned_fast_and_completely():
    import time

    import numpy as np

    from csresearch.synth.labels import company_names

    ids = set(company_names(30_000, np.random.default_rng(1))) | {SHORT, "ミドリ"}
    text = "中小企業の解約率は3.0%（95%信頼区間 2.6%〜3.5%）、大企業は1.2%。Seat utilisation 12.3%\n" * 2000
    started = time.perf_counter()
    assert find_identifiers(text, ids).found == ()
    assert time.perf_counter() - started < 1.5  # one by one: about 2.5 s here; filtered by pieces: 0.1 s
    picked = sorted(ids)[::5000]
    leaked = text + "、".join(picked) + "の担当: 山田、ミドリ。"
    found = set(find_identifiers(leaked, ids).found)
    assert {*picked, SHORT, "ミドリ"} <= found  # and any id a picked one contains (東京アオバ商事 holds アオバ商事)
    assert all(any(f in p for p in picked) for f in found - {SHORT, "ミドリ"})
    assert not any(i in redact(leaked, ids) for i in picked)
