"""Issue 15, item 8: groups smaller than min_group_size publish no numbers (findings.json, the 06 view, factors).

A segment of 2 accounts (one churned, one renewed) gets an odds ratio and a
segment of 4 accounts that all renewed "separates churn perfectly" when
nothing is suppressed (checked, so the tests can fail); with the default
minimum group size neither shows a number or that note anywhere.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from csresearch import study
from csresearch.cli import main
from csresearch.errors import ParameterError
from csresearch.lifetimes import decided_terms
from csresearch.study.suppression import account_group_sizes, suppress_findings
from csresearch.synth import synthesize


@pytest.fixture(scope="module")
def small_segments(tmp_path_factory):
    """A 300-account synthetic dataset with segment 'duo' (2 accounts, 1 churned) and 'quad' (4, none churned)."""
    root = tmp_path_factory.mktemp("small")
    data = root / "data"
    synthesize(data, n_accounts=300, seed=3)
    from csresearch.dataset import load_dataset

    terms = decided_terms(load_dataset(data))
    churned = set(terms.loc[terms["churned"] == 1, "account_id"])
    renewed_only = [a for a in terms["account_id"].unique() if a not in churned]
    duo = [min(churned), renewed_only[0]]
    quad = renewed_only[1:5]
    accounts = pd.read_csv(data / "accounts.csv", dtype=str)
    accounts.loc[accounts["account_id"].isin(duo), "segment"] = "duo"
    accounts.loc[accounts["account_id"].isin(quad), "segment"] = "quad"
    accounts.to_csv(data / "accounts.csv", index=False)
    return root


def _churn_factors(root, name, **options):
    out = root / name
    ctx = study.open(root / "data", output_dir=out, **options)
    result = study.run("churn_factors", ctx)
    section = json.loads((out / "findings" / "churn_factors.json").read_text())
    return result, section


@pytest.fixture(scope="module")
def unsuppressed(small_segments):
    return _churn_factors(small_segments, "internal", min_group_size=1, include_ids=True)


@pytest.fixture(scope="module")
def suppressed(small_segments):
    return _churn_factors(small_segments, "shared")


def test_without_suppression_the_small_segments_leak(unsuppressed):
    """The premise: nothing suppressed, the 2-account segment has an odds ratio, the 4-account one a telling note."""
    _, section = unsuppressed
    assert isinstance(section["odds_ratios"]["segment[duo]"]["estimate"], float)
    assert any(n.startswith("segment[quad]: separates churn perfectly") for n in section["notes"])


def test_findings_hold_no_number_or_note_of_a_small_segment(suppressed):
    _, section = suppressed
    for term in ("segment[duo]", "segment[quad]"):
        odds = section["odds_ratios"].get(term, {"estimate": None})
        assert all(odds.get(k) is None for k in ("estimate", "ci_low", "ci_high", "p_value", "q_value")), odds
    assert "suppressed: fewer than 5 accounts" in section["odds_ratios"]["segment[duo]"]["reason"]
    assert not any("separates churn" in n and ("duo" in n or "quad" in n) for n in section["notes"])
    assert any(n.startswith("segment[quad]: suppressed") for n in section["notes"])


def test_the_notebook_view_shows_what_findings_show(suppressed):
    result, _ = suppressed
    html = result._repr_html_() + result.table()._repr_html_() + result.story()
    assert "separates churn perfectly" not in html or not re.search(r"segment\[(duo|quad)\]: separates", html)
    odds = result.result.odds_ratios
    assert odds.loc["segment[duo]", ["estimate", "ci_low", "ci_high", "p_value"]].isna().all()
    uni = result.result.univariate.set_index(["factor", "level"])
    assert uni.loc[("segment", "duo"), ["n", "churned", "churn_rate"]].isna().all()
    assert uni.loc[("segment", "smb"), "n"] > 5  # large groups keep their numbers


def test_a_minimum_below_five_needs_include_ids(small_segments):
    with pytest.raises(ParameterError, match="min_group_size=4.*include_ids"):
        study.open(small_segments / "data", min_group_size=4)


def test_suppress_findings_masks_counts_named_groups_and_sentences():
    accounts = pd.DataFrame({"account_id": list("abcdefg"), "segment": ["smb"] * 5 + ["tiny"] * 2})
    sizes = account_group_sizes(accounts)
    assert sizes["segment[tiny]"] == 2 and sizes["segment_smb"] == 5
    section = {
        "odds_ratios": {"segment[tiny]": {"estimate": 3.0, "ci_low": 1.0, "ci_high": 9.0, "unstable": True},
                        "segment[smb]": {"estimate": 1.0, "ci_low": 0.5, "ci_high": 2.0}},
        "churn_failed": {"estimate": 0.5, "ci_low": 0.1, "ci_high": 0.9, "n": 2},
        "churn_succeeded": {"estimate": 0.1, "ci_low": 0.05, "ci_high": 0.2, "n": 40},
        "kpis": [{"threshold": 0.4, "accounts_below_now": 3, "arr_below_now": 12000.0},
                 {"threshold": 0.6, "accounts_below_now": 0, "arr_below_now": 0.0}],
        "notes": ["segment[tiny]: separates churn perfectly on its own", "segment[tinyx] is another level"],
    }
    out = suppress_findings(section, 5, sizes)
    assert out["odds_ratios"]["segment[tiny]"]["estimate"] is None and "unstable" not in out["odds_ratios"]["segment[tiny]"]
    assert out["odds_ratios"]["segment[smb]"] == section["odds_ratios"]["segment[smb]"]
    assert out["churn_failed"]["estimate"] is None and out["churn_failed"]["n"] is None and out["churn_failed"]["reason"]
    assert out["churn_succeeded"] == section["churn_succeeded"]
    assert out["kpis"][0]["threshold"] == 0.4 and out["kpis"][0]["arr_below_now"] is None
    assert out["kpis"][1] == section["kpis"][1]  # no account below: nothing to hide
    assert out["notes"][0].startswith("segment[tiny]: suppressed") and out["notes"][1] == section["notes"][1]
    assert section["churn_failed"]["n"] == 2  # input untouched
    assert suppress_findings(section, 1, sizes) is section


# --------------------------------------------------------------------------- csresearch factors

@pytest.fixture(scope="module")
def rare_table(tmp_path_factory):
    rng = np.random.default_rng(4)
    n = 300
    usage = rng.uniform(0, 1, n)
    plan = rng.choice(["basic", "pro"], n).astype(object)
    plan[:3] = "rare"  # cleaning groups it into 'other' (3 customers)
    churn = rng.random(n) < np.where(usage < 0.5, 0.5, 0.1)
    churn[:3] = [True, False, False]
    months = np.where(churn, rng.integers(1, 12, n), 12).astype(float)
    frame = pd.DataFrame({"id": [f"C{i}" for i in range(n)], "usage": usage, "plan": plan, "months": months,
                          "Churned": np.where(churn, "Yes", "No")})
    path = tmp_path_factory.mktemp("rare") / "customers.csv"
    frame.to_csv(path, index=False)
    return path


def _factors(table, out, *extra):
    return CliRunner().invoke(main, ["factors", str(table), "--label", "Churned", "--id", "id", "--duration", "months",
                                     "-o", str(out), *extra])


def _rare_row(html: str) -> str:
    match = re.search(r"<tr>\s*(?:<th[^>]*>plan</th>\s*)?<th>other</th>(.*?)</tr>", html, re.DOTALL)
    assert match, "the rare level is listed"
    return match.group(1)


def test_factors_shows_a_rare_level_without_its_numbers(rare_table, tmp_path):
    result = _factors(rare_table, tmp_path)
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "factors.json").read_text())
    rare = next(r for r in doc["univariate"]["plan"] if r["level"] == "other")
    assert all(rare[k] is None for k in ("n", "churned", "estimate", "ci_low", "ci_high"))
    assert "fewer than 5 customers" in rare["reason"]
    assert doc["odds_ratios"]["plan[other]"]["estimate"] is None
    assert doc["survival"]["cox_hazard_ratios"]["plan[other]"]["estimate"] is None
    for values in doc["survival"]["by_factor"].get("plan", {}).get("groups", {}).get("other", {}).get("values", []):
        assert values["n"] is None and values["estimate"] is None
    assert doc["parameters"]["min_group_size"] == 5
    html = (tmp_path / "factors.html").read_text()
    cells = re.findall(r"<td>(.*?)</td>", _rare_row(html), re.DOTALL)
    assert cells and all(c.strip() in ("n/a", "") or c.startswith("suppressed") for c in cells), cells
    assert "shown without counts" in html


def test_factors_min_group_size_below_five_needs_include_ids(rare_table, tmp_path):
    refused = _factors(rare_table, tmp_path / "no", "--min-group-size", "3")
    assert refused.exit_code == 2 and "--min-group-size 3" in refused.output and "--include-ids" in refused.output
    assert "Traceback" not in refused.output and not (tmp_path / "no").exists()
    internal = _factors(rare_table, tmp_path / "internal", "--min-group-size", "1", "--include-ids")
    assert internal.exit_code == 0, internal.output
    doc = json.loads((tmp_path / "internal" / "factors.json").read_text())
    rare = next(r for r in doc["univariate"]["plan"] if r["level"] == "other")
    assert rare["n"] == 3 and rare["churned"] == 1  # what the shared report hides
