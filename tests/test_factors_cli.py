"""`csresearch factors` end to end through the click CLI."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from csresearch.cli import main


@pytest.fixture(scope="session")
def table(tmp_path_factory):
    rng = np.random.default_rng(8)
    n = 400
    usage = rng.uniform(0, 1, n)
    plan = rng.choice(["basic", "pro"], n)
    churn = rng.random(n) < np.where(usage < 0.5, 0.5, 0.1)
    months = np.where(churn, rng.integers(1, 12, n), 12).astype(float)
    frame = pd.DataFrame({"id": [f"A{i}" for i in range(n)], "usage": usage, "plan": plan,
                          "months": months, "Churned": np.where(churn, "Yes", "No")})
    path = tmp_path_factory.mktemp("in") / "customers.csv"
    frame.to_csv(path, index=False)
    return path


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def success(table, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    before = _digest(table)
    result = CliRunner().invoke(main, ["factors", str(table), "--label", "Churned", "--id", "id",
                                       "--duration", "months", "-o", str(out), "--seed", "1"])
    return result, out, before


def test_success_writes_json_and_html(success, table):
    result, out, before = success
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "factors.json").read_text())
    for key in ("n", "churn_rate", "cv_auc", "ranking", "odds_ratios", "univariate", "kpis", "notes", "survival"):
        assert key in doc
    assert doc["n"] == 400 and doc["ranking"][0] == "usage"
    assert set(doc["odds_ratios"]) >= {"usage", "plan[pro]"}
    assert doc["kpis"][0]["feature"] == "usage" and doc["kpis"][0]["direction"] == "above"
    assert abs(doc["kpis"][0]["threshold"] - 0.5) < 0.1
    assert doc["survival"]["overall"][0]["estimate"] <= 1
    html = (out / "factors.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "data:image/png;base64," in html
    assert "<script" not in html.lower() and "http://" not in html and "https://" not in html
    assert _digest(table) == before  # input never modified
    assert not list(out.glob(".*tmp"))  # no temp files left behind


def test_unknown_column_exits_2_naming_known_columns(table, tmp_path):
    result = CliRunner().invoke(main, ["factors", str(table), "--label", "churn", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown column(s) ['churn']" in result.output and "'Churned'" in result.output
    assert "Traceback" not in result.output


def test_bad_label_exits_2(table, tmp_path):
    result = CliRunner().invoke(main, ["factors", str(table), "--label", "plan", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "--positive" in result.output


def test_missing_file_and_bad_type_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["factors", str(tmp_path / "nope.csv"), "--label", "x", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "does not exist" in result.output
    bad = tmp_path / "t.xlsx"
    bad.write_text("x")
    result = CliRunner().invoke(main, ["factors", str(bad), "--label", "x", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "unsupported" in result.output


def test_empty_file_exits_2(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = CliRunner().invoke(main, ["factors", str(empty), "--label", "x", "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "empty" in result.output


def test_failure_keeps_the_previous_report(table, tmp_path):
    # issue 15: a typo must not delete the previous good report; the output is replaced only on success
    (tmp_path / "factors.json").write_text('{"n": 1}')  # the earlier result
    (tmp_path / "factors.html").write_text("<p>earlier</p>")
    for args in (["--label", "Churned", "--positive", "Maybe"], ["--label", "Churnd"]):
        result = CliRunner().invoke(main, ["factors", str(table), *args, "-o", str(tmp_path)])
        assert result.exit_code == 2, result.output
        assert (tmp_path / "factors.json").read_text() == '{"n": 1}'
        assert (tmp_path / "factors.html").read_text() == "<p>earlier</p>"


def test_underflowed_p_value_is_not_shown_as_zero():
    from csresearch.factors.report import _p_text

    assert _p_text(0.0) == "< 1e-300"
    assert _p_text(0.0123) == "= 0.0123"
    assert _p_text(None) == "= n/a"


def test_success_prints_what_it_wrote_and_a_summary(success):
    result, out, _ = success
    lines = result.output.strip().splitlines()
    assert lines[0] == f"wrote {out / 'factors.html'} and {out / 'factors.json'}"
    assert lines[1].startswith("  400 customers; churn rate ") and "% (95% CI" in lines[1]
    assert lines[2].startswith("  cross-validated AUC ")
    assert lines[3].startswith("  top factors: usage")
