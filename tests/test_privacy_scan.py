"""Issue 15, item 9: the privacy gate scans everything a notebook displays, against every identifying column.

Custom notebooks run on a tiny dataset whose account ids are numbers (5 and 2
digits) and whose accounts carry a company name and a contact email: printing a
numeric id, showing a short id in an id table column, drawing an id inside a
figure, or showing a company name or email makes the run refuse to publish
that report, saying why without echoing the value; an error quoting an id
reaches stderr redacted. Aggregates that merely contain the same numbers pass.
"""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from csresearch.dataset import Dataset
from csresearch.report.figure_text import MIME
from csresearch.report.privacy import (
    dataset_identifiers,
    find_identifiers,
    id_table_cells,
    identifying_columns,
    notebook_text,
    redact,
)
from csresearch.runner import run_suite

pytestmark = pytest.mark.xdist_group("runner")

LONG_ID, SHORT_ID, OTHER_ID = "40917", "52", "73318"
COMPANY, EMAIL = "Globex Holdings", "hank.scorpio@globex.example"
SECRETS = (LONG_ID, OTHER_ID, COMPANY, EMAIL, "hank.scorpio")

DATASET = {
    "dataset.yml": "name: numeric\nextracted_at: 2025-06-30\n",
    "accounts.csv": f"""\
        account_id,segment,signup_date,touch_model,industry,employees,company_name,contact_email
        {LONG_ID},smb,2023-01-01,low,retail,50,{COMPANY},{EMAIL}
        {SHORT_ID},mid,2023-03-01,high,finance,200,Initech Partners,bill@initech.example
        {OTHER_ID},enterprise,2024-01-01,tech,,,Umbrella Research,alice@umbrella.example
        """,
    "contracts.csv": f"""\
        account_id,term_start,term_end,seats,quota,arr,outcome
        {LONG_ID},2023-01-01,2024-01-01,10,1000,5000,renewed
        {LONG_ID},2024-01-01,2025-01-01,10,1000,5000,churned
        {SHORT_ID},2023-03-01,2024-03-01,20,,9000,renewed
        {SHORT_ID},2024-03-01,2025-03-01,20,,9000,renewed
        {OTHER_ID},2024-01-01,2025-01-01,50,5000,20000,renewed
        """,
    "onboarding.csv": f"""\
        account_id,start_date,target_date,completed_date,status,setup_done_date,admin_trained_date,first_value_date
        {LONG_ID},2023-01-01,2023-04-01,,failed,,,
        {SHORT_ID},2023-03-01,2023-06-01,2023-05-20,succeeded,2023-04-01,2023-04-15,2023-05-20
        {OTHER_ID},2024-01-01,2024-04-01,2024-03-15,succeeded,2024-02-01,2024-02-15,2024-03-15
        """,
    "usage_monthly.csv": f"""\
        account_id,month,active_users,events,features_used,quota_used
        {LONG_ID},2024-06-01,3,40,2,30
        {SHORT_ID},2024-06-01,15,400,6,0
        {OTHER_ID},2024-06-01,30,900,8,400
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
    accounts = pd.read_csv(pathlib.Path(data_dir) / "accounts.csv", dtype=str)
    '''


def _notebook(title: str, body: str) -> str:
    return textwrap.dedent(_HEAD).format(title=title) + textwrap.dedent(body)


NOTEBOOKS = {
    # aggregates only, with numbers that equal a short id ("52 weeks") and a numeric axis: must pass
    "00_aggregates.py": _notebook("Aggregates", '''\
    print(len(accounts), "accounts; a year has 52 weeks")
    display(accounts.groupby("segment").size().rename("n").to_frame())
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 26, 52], [1, 3, 2])
    ax.set_title("weekly activity, 52 weeks")
    plt.show()
    '''),
    "01_prints_numeric_id.py": _notebook("Prints an id", '''\
    print("top account:", accounts["account_id"].iloc[0])
    '''),
    "02_short_id_in_table.py": _notebook("Short id in a table", '''\
    display(accounts.loc[accounts["account_id"] == "52", ["account_id", "segment"]].set_index("account_id"))
    '''),
    "03_id_in_figure.py": _notebook("Id in a figure", '''\
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(accounts["account_id"].tolist(), [1, 2, 3])
    ax.set_title("usage by account")
    plt.show()
    '''),
    "04_company_and_email.py": _notebook("Company name and email", '''\
    row = accounts.iloc[0]
    display(Markdown(f"Largest customer: **{row['company_name']}**, contact {row['contact_email']}"))
    '''),
    "05_error_with_id.py": _notebook("Error quoting an id", '''\
    raise ValueError(f"account {accounts['account_id'].iloc[2]} has no usage")
    '''),
}


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    root = tmp_path_factory.mktemp("scan")
    _write(root / "data", DATASET)
    _write(root / "nbs", NOTEBOOKS)
    err = io.StringIO()
    code = run_suite(root / "data", root / "out", notebooks_dir=root / "nbs", stream=err)
    run = json.loads((root / "out" / "run.json").read_text())
    return {"code": code, "stderr": err.getvalue(), "out": root / "out",
            "status": {n["name"]: n for n in run["notebooks"]}}


def test_aggregates_with_the_same_numbers_pass(scanned):
    assert scanned["status"]["00_aggregates"]["status"] == "ok", scanned["status"]["00_aggregates"]
    assert (scanned["out"] / "00_aggregates.ipynb").exists()
    nb = nbformat.read(scanned["out"] / "00_aggregates.ipynb", as_version=4)
    assert any(MIME in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))  # figure text recorded
    assert MIME not in (scanned["out"] / "00_aggregates.html").read_text()  # and not shown


@pytest.mark.parametrize("name, where", [
    ("01_prints_numeric_id", "in text"),
    ("02_short_id_in_table", "an identifying table column"),
    ("03_id_in_figure", "in a figure"),
    ("04_company_and_email", "in text"),
])
def test_a_report_showing_an_identifier_is_withheld_saying_why(scanned, name, where):
    assert scanned["code"] == 1
    status = scanned["status"][name]
    assert status["status"] == "failed" and "privacy check" in status["error"] and where in status["error"], status
    html = (scanned["out"] / f"{name}.html").read_text()
    assert "Report withheld by the privacy check" in html
    assert not (scanned["out"] / f"{name}.ipynb").exists()  # the executed notebook holds the same outputs
    for secret in (*SECRETS, f">{SHORT_ID}<"):
        assert secret not in html and secret not in status["error"]


def test_stderr_and_run_json_never_echo_an_identifier(scanned):
    err = scanned["stderr"]
    assert "05_error_with_id" in err and "account <id> has no usage" in err
    for secret in SECRETS:
        assert secret not in err, secret
    text = (scanned["out"] / "run.json").read_text() + (scanned["out"] / "index.html").read_text()
    for secret in SECRETS:
        assert secret not in text, secret


# --------------------------------------------------------------------------- the scan, unit by unit

def test_numeric_ids_are_whole_numbers_and_short_ones_need_a_label():
    ids = {"40917", "52", "007"}
    assert find_identifiers("customer 40917 renewed", ids).found == ("40917",)
    for text in ("409170 rows", "40917.5 dollars", "2024-40917", "1,40917", "x40917"):
        assert find_identifiers(text, ids).clean, text
    assert find_identifiers("52 weeks, 007 is a film", ids).clean  # a bare short number is a number
    for text in ("account 52", "Account ID: 52", "customer_id=52", "id #52", "user 007 logged in"):
        assert find_identifiers(text, ids).found, text
    assert find_identifiers("accounts: 52", ids).clean  # a count of accounts
    assert find_identifiers("", ids, id_cells=["52"]).found == ("52",)
    assert find_identifiers("", ids, categories=[" 007 "]).found == ("007",)


def test_id_table_cells_reads_the_identifying_columns_and_index():
    frame = pd.DataFrame({"account_id": ["52", "7"], "n": [52, 7]})
    html = frame.to_html(index=False) + frame.set_index("account_id").to_html()
    assert sorted(id_table_cells(html, ["account_id"])) == ["52", "52", "7", "7"]
    assert id_table_cells(pd.DataFrame({"n": [52]}).to_html(), ["account_id"]) == []


def test_identifying_columns_and_values():
    accounts = pd.DataFrame({
        "account_id": [f"{i:05d}" for i in range(6)], "segment": ["smb"] * 6, "signup_date": ["2024-01-01"] * 6,
        "company_name": ["A1", "B Co", "C Co", "D Co", "E Co", "F Co"], "crm_ref": [f"REF-{i}" for i in range(6)],
        "tier": ["gold", "gold", "gold", "silver", "silver", "silver"], "score": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        "contact": ["a@x.example", None, None, None, None, None],
    })
    assert identifying_columns(accounts) == ["company_name", "crm_ref", "contact"]
    ds = Dataset.from_tables({"accounts": accounts}, extracted_at="2025-01-01")
    ids = dataset_identifiers(ds)
    assert {"B Co", "REF-3", "a@x.example", "00005"} <= ids and "A1" not in ids  # 2 characters: not a name
    assert "gold" not in ids and "0.1" not in ids


def test_redact_replaces_every_identifier_short_numbers_included():
    ids = {"52", "40917", "Globex Holdings", "hank@globex.example"}
    text = "account 52 (Globex Holdings, hank@globex.example) failed; 40917 too; 520 is fine"
    assert redact(text, ids) == "account <id> (<id>, <id>) failed; <id> too; 520 is fine"


def test_notebook_text_separates_outputs_tables_and_figures():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="printed 40917\n"),
        nbformat.v4.new_output("display_data", data={
            "text/html": pd.DataFrame({"account_id": ["52"]}).to_html(index=False),
            "text/plain": "Step(frame=<rows of RAW-ID-9>)",  # not shown when HTML is: not scanned
            MIME: {"texts": ["title 73318"], "categories": ["52"]}}),
        nbformat.v4.new_output("error", ename="KeyError", evalue="'A-1'", traceback=["\x1b[31mKeyError\x1b[0m: 'A-1'"]),
    ]
    nb.cells = [cell]
    text, cells, figure_text, categories = notebook_text(nb)
    assert "printed 40917" in text and "KeyError: 'A-1'" in text and "73318" not in text and "RAW-ID-9" not in text
    assert cells == ["52"] and figure_text == "title 73318" and categories == ["52"]


def test_figure_texts_keeps_drawn_text_and_category_labels_not_numeric_ticks():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from csresearch.report.figure_text import figure_texts

    fig, (left, right) = plt.subplots(1, 2)
    left.bar(["40917", "A-7"], [20000, 40000])
    left.set_title("usage")
    right.plot([0, 1], [20000, 73318])
    right.annotate("Globex Holdings", (0.5, 30000))
    got = figure_texts(fig)
    plt.close(fig)
    assert got["categories"] == ["40917", "A-7"]
    assert {"40917", "A-7", "usage", "Globex Holdings"} <= set(got["texts"])
    assert not any(t.replace("\u2212", "-").replace(",", "").isdigit() for t in got["texts"] if t not in ("40917",))
