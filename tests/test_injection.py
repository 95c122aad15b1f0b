"""Script injection through data: folder names, dataset.yml and values never run script in a shared report.

A dataset whose folder name, ``name`` and a segment value carry an HTML
payload is run through the real suite (notebooks 00 and 01); every written page
is loaded in headless Chromium, where the payload, if it were rendered as HTML,
would set an attribute on ``<body>``. Skipped with a reason without Chromium.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from corruptions import valid_tables, write_dataset
from csresearch.runner import run_suite
from test_browser import CHROMIUM, FLAGS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

PAYLOAD = "<img src=x onerror=document.body.setAttribute('data-pwned',1)>"


def test_payloads_in_folder_name_metadata_and_values_stay_text(tmp_path):
    if not CHROMIUM:
        pytest.skip("headless Chromium not found (install Debian's 'chromium' or set CSRESEARCH_CHROMIUM)")
    tables = valid_tables()
    tables["accounts"]["segment"] = tables["accounts"]["segment"].replace("smb", PAYLOAD)
    folder = write_dataset(tmp_path / f"evil{PAYLOAD.replace('/', '')}", tables,
                           meta={"name": f"acme {PAYLOAD}", "extracted_at": "2025-06-30"})
    out = tmp_path / "out"
    code = run_suite(folder, out, only=["00", "01"], params=["min_group_size=1"], include_ids=True, stream=io.StringIO())
    assert code in (0, 1) and (out / "index.html").is_file()
    pages = sorted(out.glob("*.html"))
    assert len(pages) == 3
    shown = 0
    for page in pages:
        dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                             capture_output=True, text=True, timeout=60)
        assert dom.returncode == 0, dom.stderr[-2000:]
        assert "data-pwned" not in dom.stdout.split("<body", 1)[1].split(">", 1)[0], f"script ran in {page.name}"
        shown += "onerror=document.body" in dom.stdout.replace("&lt;", "<")  # the payload is on the page, as text
    assert shown >= 2, "the payload should appear (escaped) on the index and the reports"
    shutil.rmtree(out)
