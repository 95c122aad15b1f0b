"""The reports in a real browser: headless Chromium renders them offline, figures decode.

Skipped with a reason when Chromium is not installed (CI installs it). The
pages are rendered with the same code the runner uses (no notebook kernel), a
copy of each gets a small script appended that writes the image load status and
every fetched resource into the DOM, and Chromium runs with all host names
mapped to nowhere so any network fetch would fail and show up.
"""

from __future__ import annotations

import base64
import html as html_lib
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402

from csresearch import plots  # noqa: E402
from csresearch.report.index import render_index  # noqa: E402
from csresearch.report.notebook import render_notebook  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CHROMIUM = os.environ.get("CSRESEARCH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", '--host-resolver-rules=MAP * ~NOTFOUND', "--virtual-time-budget=3000",
]
PROBE = """
<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  var res = performance.getEntriesByType('resource').map(function (r) { return r.name; });
  var out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({images: imgs.length, decoded: ok, resources: res});
  document.body.appendChild(out);
});
</script>
"""


def _figure_png() -> str:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(["succeeded", "failed"], [0.08, 0.10], color=["#1a7f37", "#cf222e"])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    if not CHROMIUM:
        pytest.skip("headless Chromium not found (install Debian's 'chromium' or set CSRESEARCH_CHROMIUM)")
    folder = tmp_path_factory.mktemp("browser")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("plot()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": _figure_png(), "text/plain": "<Figure>"})]
    nb.cells = [nbformat.v4.new_markdown_cell("# Onboarding and churn\nChurn by onboarding outcome."), cell]
    report = render_notebook(nb, title="01_onboarding_vs_churn", parameters={"lead_days": 90}, duration_s=2.0)
    findings = {"dataset": {"name": "browser-check", "extracted_at": "2025-06-30", "n_accounts": 3, "fingerprint": "f00"},
                "parameters": {"seed": 0},
                "health_validity": {"tenure_spearman": {"estimate": 0.3, "ci_low": 0.25, "ci_high": 0.35},
                                    "auc_next_renewal": {"estimate": 0.72, "ci_low": 0.69, "ci_high": 0.75}},
                "onboarding_vs_health": {"months_after": 12, "unhealthy_threshold": 40,
                                         "unhealthy_share_failed": {"estimate": 0.3, "ci_low": 0.26, "ci_high": 0.34},
                                         "unhealthy_share_succeeded": {"estimate": 0.15, "ci_low": 0.13, "ci_high": 0.17},
                                         "unhealthy_risk_ratio": {"estimate": 2.0, "ci_low": 1.7, "ci_high": 2.3}}}
    index = render_index(findings, {"table_rows": {"accounts": 3}}, [
        {"name": "01_onboarding_vs_churn", "status": "ok", "duration_s": 2.0, "href": "01_onboarding_vs_churn.html"}])
    out = {}
    for name, html in (("index", index), ("report", report)):
        (folder / f"{name}.html").write_text(html, encoding="utf-8")
        (folder / f"{name}.probe.html").write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
        out[name] = folder / f"{name}.html"
    return out


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name, expected_text, n_images", [("index", "The answers", 1), ("report", "Onboarding and churn", 1)])
def test_page_renders_offline_with_decoded_figures(pages, tmp_path, name, expected_text, n_images):
    probe_page = pages[name].with_suffix(".probe.html")
    dom = _chromium("--dump-dom", probe_page.as_uri(), profile=tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert expected_text in dom.stdout
    start = dom.stdout.index('<pre id="probe">') + len('<pre id="probe">')
    probe = json.loads(dom.stdout[start:dom.stdout.index("</pre>", start)].replace("&quot;", '"'))
    assert probe["images"] == n_images and probe["decoded"] == n_images
    assert [r for r in probe["resources"] if not r.startswith(("data:", "file:"))] == []


def test_report_screenshot_is_not_blank(pages, tmp_path):
    shot = tmp_path / "report.png"
    res = _chromium(f"--screenshot={shot}", "--window-size=1000,800", pages["report"].as_uri(), profile=tmp_path / "profile")
    assert res.returncode == 0 and shot.is_file(), res.stderr[-2000:]
    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.std() > 0.01  # not a blank page
    assert (pixels.mean(axis=2) < 0.5).mean() > 0.001  # some dark text was drawn


# --------------------------------------------------------------------------- every report of a real run

REPORT_PROBE = """
<script>
window.addEventListener('load', function () {
  var de = document.documentElement;
  var scrollers = [];
  document.querySelectorAll('body *').forEach(function (el) {
    var ox = getComputedStyle(el).overflowX;
    if (el.scrollWidth > el.clientWidth + 1 && (ox === 'auto' || ox === 'scroll' || ox === 'hidden')) {
      scrollers.push(el.tagName + '.' + el.className + ' ' + el.scrollWidth + ' > ' + el.clientWidth);
    }
  });
  var out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({
    scrollWidth: de.scrollWidth, clientWidth: de.clientWidth, scrollers: scrollers,
    bodyPx: parseFloat(getComputedStyle(document.body).fontSize),
    images: Array.prototype.slice.call(document.images).map(function (i) {
      return {natural: i.naturalWidth, shown: i.clientWidth, column: i.parentElement.clientWidth,
              decoded: i.complete && i.naturalWidth > 0};
    }),
    text: document.body.innerText});
  document.body.appendChild(out);
});
</script>
"""
#: Text a reader must never see: Python's None/NaN, a dict repr, scientific notation (p-values read "< 0.001").
RAW_TEXT = re.compile(r"\bNone\b|\bNaN\b|\bnan\b|\{'|\d(?:\.\d+)?e[-+]?\d")
SUITE_REPORTS = ("00_data_audit", "01_onboarding_vs_churn", "02_onboarding_vs_health", "03_health_score_validity",
                 "04_continuing_accounts", "05_churned_accounts", "06_churn_factors_kpis", "07_retention",
                 "08_peers_and_purpose")
#: On the index, a hexadecimal fingerprint holds digit-e-digit runs; scientific notation has a sign there.
RAW_TEXT_INDEX = re.compile(r"\bNone\b|\bNaN\b|\bnan\b|\{'|\b\d(?:\.\d+)?e[-+]\d")


def _probe(page: Path, tmp_path: Path) -> dict:
    probe_page = tmp_path / page.name
    probe_page.write_text(page.read_text(encoding="utf-8").replace("</body>", REPORT_PROBE + "</body>"), encoding="utf-8")
    dom = _chromium("--window-size=1000,800", "--dump-dom", probe_page.as_uri(), profile=tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    start = dom.stdout.index('<pre id="probe">') + len('<pre id="probe">')
    return json.loads(html_lib.unescape(dom.stdout[start:dom.stdout.index("</pre>", start)]))


@pytest.mark.slow
@pytest.mark.xdist_group("generated_run")
@pytest.mark.parametrize("name", SUITE_REPORTS)
def test_report_of_a_real_run_reads_well_at_1000_px(generated_run, tmp_path, name):
    """Each report of the suite at 1,000 px: nothing scrolls sideways, figures decode at their own size, clean text."""
    if not CHROMIUM:
        pytest.skip("headless Chromium not found (install Debian's 'chromium' or set CSRESEARCH_CHROMIUM)")
    code, _, log, root = generated_run
    assert code == 0, log
    probe = _probe(root / "out" / f"{name}.html", tmp_path)
    assert probe["scrollWidth"] <= probe["clientWidth"], probe["scrollWidth"]
    assert probe["scrollers"] == []  # no table or output hides columns behind a horizontal scroll
    images = probe["images"]
    assert images and all(i["decoded"] for i in images)
    # never scaled down: figure text keeps the size it was drawn at (>= body text, see test_report_formatting)
    assert all(i["natural"] <= i["column"] and i["shown"] == i["natural"] for i in images), images
    assert probe["bodyPx"] == plots.BODY_PX
    raw = [m.group(0) for m in RAW_TEXT.finditer(probe["text"])]
    assert not raw, [probe["text"][max(m.start() - 60, 0):m.end() + 20] for m in RAW_TEXT.finditer(probe["text"])][:3]
    assert "How to read this" in probe["text"]
    assert not re.search(r"\b(seat_utilisation_3m|quota_consumption|health_score|events_per_active_user_3m)\b",
                         probe["text"]), "a raw feature name is shown"


@pytest.mark.slow
@pytest.mark.xdist_group("generated_run")
def test_index_of_a_real_run_reads_well_at_1000_px(generated_run, tmp_path):
    """The index at 1,000 px: no sideways scroll, a decoded figure per answer where there is one, clean text."""
    if not CHROMIUM:
        pytest.skip("headless Chromium not found (install Debian's 'chromium' or set CSRESEARCH_CHROMIUM)")
    code, findings, log, root = generated_run
    assert code == 0, log
    probe = _probe(root / "out" / "index.html", tmp_path)
    assert probe["scrollWidth"] <= probe["clientWidth"] and probe["scrollers"] == []
    images = probe["images"]
    assert len(images) >= 5 and all(i["decoded"] for i in images)
    assert all(i["natural"] <= i["column"] and i["shown"] == i["natural"] for i in images), images
    text = probe["text"]
    raw = [text[max(m.start() - 60, 0):m.end() + 20] for m in RAW_TEXT_INDEX.finditer(text)]
    assert not raw, raw[:3]
    assert "How to read this" in text and "Recommended actions" in text and "By segment" in text
    assert text.index("The answers") < text.index("Recommended actions") < text.index("Reports")
    for line in findings["summary"]:
        assert line["answer"] in text  # shown, not folded away
    assert not re.search(r"\b(seat_utilisation_3m|quota_consumption|events_per_active_user_3m)\b",
                         text[:text.index("Reports")]), "a raw feature name in the summary"
