"""HTML reports: the page shell, notebook rendering and index.html are offline and hide code."""

from __future__ import annotations

import base64
import io
import re

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402

from csresearch.report.html import page  # noqa: E402
from csresearch.report.index import render_index  # noqa: E402
from csresearch.report.notebook import error_summary, render_notebook  # noqa: E402
from csresearch.report.privacy import html_text  # noqa: E402

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|@import|url\(\s*["']?(?:https?:)?//""", re.I)


def assert_offline(html: str) -> None:
    assert "<script" not in html.lower()
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "http://" not in html and "https://" not in html
    assert "mathjax" not in html.lower() and "require.js" not in html.lower()


def png_b64() -> str:
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture(scope="module")
def notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    injected = nbformat.v4.new_code_cell("# Parameters\nlead_days = 60\n", metadata={"tags": ["injected-parameters"]})
    md = nbformat.v4.new_markdown_cell("# Title of the analysis\nSome *prose* here.")
    fig = nbformat.v4.new_code_cell("plot_the_thing()")
    fig.outputs = [nbformat.v4.new_output("display_data", data={"image/png": png_b64(), "text/plain": "<Figure>"})]
    table = nbformat.v4.new_code_cell("show_table()")
    table.outputs = [nbformat.v4.new_output("execute_result", data={"text/html": "<table><tr><td>cell-value-42</td></tr></table>",
                                                                    "text/plain": "t"}, execution_count=3)]
    js = nbformat.v4.new_code_cell("widget()")
    js.outputs = [nbformat.v4.new_output("display_data", data={"application/javascript": "alert(1)"})]
    bad = nbformat.v4.new_code_cell("this_fails(1)")
    bad.outputs = [nbformat.v4.new_output("error", ename="KeyError", evalue="'missing column'\nmore",
                                          traceback=["\x1b[31mKeyError\x1b[0m: 'missing column'"])]
    nb.cells = [md, injected, fig, table, js, bad]
    return nb


def test_page_is_a_complete_offline_document():
    html = page("Churn <factors>", "<p>body text</p>", subtitle="sub & title")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<title>Churn &lt;factors&gt;</title>" in html and "sub &amp; title" in html
    assert "system-ui" in html and "<p>body text</p>" in html
    assert_offline(html)


def test_notebook_report_hides_code_but_shows_failing_cell(notebook):
    html = render_notebook(notebook, title="01_x", parameters={"lead_days": 60}, status="failed",
                           duration_s=1.25, error=error_summary(notebook))
    text = html_text(html)
    assert_offline(html)
    assert "Title of the analysis" in text and "cell-value-42" in text
    assert "plot_the_thing" not in text and "show_table" not in text
    assert "this_fails" in text and "missing column" in text and "cell-failed" in html
    assert "KeyError: 'missing column'" in text  # the header summary
    assert "lead_days = 60" not in text  # injected cell input hidden ...
    assert "lead_days" in text and "60" in text  # ... parameters shown in the header
    assert "1.2 s" in text or "1.3 s" in text
    assert len(re.findall(r'<img[^>]*src="data:image/png;base64,', html)) == 1
    assert "alert(1)" not in html


def test_show_code_includes_code_but_never_the_injected_cell(notebook):
    html = render_notebook(notebook, title="x", show_code=True)
    text = html_text(html)
    assert "plot_the_thing" in text and "show_table" in text
    assert "lead_days = 60" not in text
    assert_offline(html)


def test_error_summary_of_a_clean_notebook_is_none(notebook):
    clean = nbformat.v4.new_notebook()
    clean.cells = [notebook.cells[0]]
    assert error_summary(clean) is None
    assert error_summary(notebook) == "KeyError: 'missing column'"


def test_index_renders_headlines_missing_sections_and_manifest():
    findings = {
        "schema_version": 1,
        "dataset": {"name": "tiny", "extracted_at": "2025-06-30", "n_accounts": 3, "fingerprint": "abc123"},
        "parameters": {"lead_days": 90, "scorecard": None},
        "onboarding_vs_churn": {
            "horizon_years": 3,
            "churn_succeeded": {"estimate": 0.08, "ci_low": 0.07, "ci_high": 0.09, "n": 2400},
            "churn_failed": {"estimate": 0.10, "ci_low": 0.08, "ci_high": 0.12, "n": 600},
            "risk_difference": {"estimate": 0.02, "ci_low": -0.01, "ci_high": 0.05},
            "p_value": 0.2, "min_detectable_difference": 0.035,
        },
        "health_validity": {"tenure_spearman": {"estimate": None, "ci_low": None, "ci_high": None, "reason": "too few rows"},
                            "auc_next_renewal": {"estimate": 0.72, "ci_low": 0.69, "ci_high": 0.75}},
        "missing_sections": {"churn_factors": "notebook 06_x failed: ValueError: boom"},
    }
    manifest = {"table_rows": {"accounts": 3, "contracts": 7}, "environment": {"python": "3.11"}, "packages": {"pandas": "3.1"}}
    reports = [{"name": "01_a", "status": "ok", "duration_s": 2.0, "href": "01_a.html"},
               {"name": "06_x", "status": "failed", "duration_s": 1.0, "error": "ValueError: boom", "href": "06_x.html"}]
    html = render_index(findings, manifest, reports, problems=["notebook 06_x failed: ValueError: boom"])
    text = html_text(html)
    assert_offline(html)
    assert "10.0% (95% CI 8.0% to 12.0%)" in text and "8.0% (95% CI 7.0% to 9.0%)" in text
    assert "2.0 (95% CI -1.0 to 5.0) percentage points" in text
    assert "not computed (too few rows)" in text and "AUC 0.72 (95% CI 0.69 to 0.75)" in text
    assert "Not available: notebook 06_x failed: ValueError: boom" in text
    assert "Not available: not produced by this run" in text  # kpis: neither present nor listed
    assert "abc123" in text and "contracts: 7" in text and "pandas" in text
    assert 'href="06_x.html"' in html and "status-failed" in html and "This run is not complete" in text
