"""The suite on Japanese-labelled data (``csresearch synth --lang ja``), end to end on a fast subset.

Japanese segment names reach the segment tables of the reports, the segment
columns of the index and the findings; no account id (company names such as
株式会社アオバ商事) appears in any shared file, checked by plain substring
search, independently of the privacy scan; and no notebook output carries
warning text.
"""

from __future__ import annotations

import io
import json

import nbformat
import pytest

from csresearch import load_dataset
from csresearch.runner import run_suite
from csresearch.synth import generate_dataset

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("runner")]

SEGMENTS = {"中小企業", "中堅企業", "大企業"}
NOTEBOOKS = ("00_data_audit", "01_onboarding_vs_churn", "07_retention")


@pytest.fixture(scope="module")
def ja_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("ja_run")
    data = generate_dataset(500, seed=21, lang="ja").write(root / "data", encoding="cp932")
    log = io.StringIO()
    code = run_suite(data, root / "out", only=NOTEBOOKS, stream=log)
    return {"code": code, "log": log.getvalue(), "out": root / "out", "ids": set(load_dataset(data).accounts["account_id"])}


def test_the_run_succeeds_on_shift_jis_japanese_data(ja_run):
    assert ja_run["code"] == 0, ja_run["log"]
    audit = (ja_run["out"] / "00_data_audit.html").read_text(encoding="utf-8")
    assert "Shift_JIS (CP932), detected" in audit


def test_japanese_segments_in_segment_tables_index_and_findings(ja_run):
    out = ja_run["out"]
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert set(findings["onboarding_vs_churn"]["by_segment"]) == SEGMENTS
    assert set(findings["retention"]["by_segment"]) == SEGMENTS
    audit = (out / "00_data_audit.html").read_text(encoding="utf-8")
    assert all(f"<td class=\"text\">{s}</td>" in audit for s in SEGMENTS)  # the cohort table's rows
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(s in index for s in SEGMENTS)  # the segment columns of the executive summary


def test_no_account_id_in_any_shared_file(ja_run):
    out, ids = ja_run["out"], ja_run["ids"]
    assert len(ids) == 500 and all("会社" in i for i in ids)
    shared = [*out.glob("*.html"), out / "findings.json", out / "run.json", *out.glob("findings/*.json")]
    for path in shared:
        text = path.read_text(encoding="utf-8")
        leaked = [i for i in ids if i in text]
        assert not leaked, f"{path.name} shows {len(leaked)} account id(s)"
    assert not any(i in ja_run["log"] for i in ids)


def test_no_warning_text_in_any_notebook_output(ja_run):
    assert _stderr_of(ja_run["out"]) == {}
    for path in ja_run["out"].glob("*.html"):
        assert "Warning:" not in path.read_text(encoding="utf-8"), path.name  # UserWarning: ... as Python prints it


def _stderr_of(folder) -> dict[str, str]:
    out = {}
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        text = "".join("".join(o.get("text", "")) for c in nb.cells for o in c.get("outputs", [])
                       if o.get("output_type") == "stream" and o.get("name") == "stderr")
        if text:
            out[path.name] = text[:300]
    return out


@pytest.mark.xdist_group("generated_run")
def test_no_notebook_of_the_whole_suite_prints_a_warning(generated_run):
    """The notebooks no longer silence UserWarnings wholesale: none may fire on ordinary data."""
    code, _, _, root = generated_run
    assert code == 0
    assert len(list((root / "out").glob("*.ipynb"))) >= 8
    assert _stderr_of(root / "out") == {}
