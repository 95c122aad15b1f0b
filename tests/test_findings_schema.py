"""findings.json: the shipped JSON Schema, section writing and merging."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csresearch.errors import ParameterError
from csresearch.report.findings import (
    REQUIRED_SECTIONS,
    json_safe,
    merge_findings,
    read_sections,
    validate_findings,
    write_section,
)

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "findings.md"
DOC = Path(__file__).resolve().parents[1] / "docs" / "findings.md"


@pytest.fixture(scope="module")
def example() -> dict:
    """The example document of findings.md (the shared spec, else the repo's copy)."""
    source = SPEC if SPEC.is_file() else DOC
    text = source.read_text(encoding="utf-8")
    return json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))


def test_schema_accepts_the_spec_example(example):
    assert validate_findings(example) == []


@pytest.mark.parametrize(
    "breakage, where",
    [
        (lambda d: d.pop("kpis"), "kpis"),
        (lambda d: d.pop("dataset"), "dataset"),
        (lambda d: d.update(schema_version=2), "schema_version"),
        (lambda d: d["onboarding_vs_churn"]["churn_failed"].pop("ci_low"), "ci_low"),
        (lambda d: d["health_validity"]["auc_next_renewal"].update(estimate="high"), "auc_next_renewal"),
        (lambda d: d["health_validity"]["tenure_spearman"].update(estimate=None, ci_low=None, ci_high=None), "reason"),
        (lambda d: d["churn_factors"].update(ranking="quota_consumption"), "ranking"),
        (lambda d: d["kpis"][0].update(direction="sideways"), "kpis"),
        (lambda d: d["continuing_trends"]["health_score"].pop("slope_per_year"), "continuing_trends"),
        (lambda d: d["onboarding_vs_health"]["feature_difference"].update(seat_utilisation_3m=0.1), "feature_difference"),
        (lambda d: d["dataset"].update(n_accounts=-1), "n_accounts"),
    ],
)
def test_schema_rejects_broken_documents(example, breakage, where):
    doc = copy.deepcopy(example)
    breakage(doc)
    errors = validate_findings(doc)
    assert errors, "a broken document passed the schema"
    assert any(where in e for e in errors), errors


def test_null_with_reason_and_missing_sections_are_accepted(example):
    doc = copy.deepcopy(example)
    doc["health_validity"]["auc_next_renewal"] = {"estimate": None, "ci_low": None, "ci_high": None,
                                                  "reason": "one class only"}
    doc["onboarding_vs_health"] = {"reason": "no onboarding table"}
    del doc["kpis"]
    doc["missing_sections"] = {"kpis": "notebook 06_churn_factors_kpis failed: ValueError: x"}
    assert validate_findings(doc) == []
    del doc["missing_sections"]
    assert any("kpis" in e for e in validate_findings(doc))


def test_json_safe_converts_numpy_nan_and_dates():
    got = json_safe({"a": np.float64("nan"), "b": np.int64(3), "c": np.bool_(True), "d": pd.Timestamp("2025-06-30"),
                     "e": (1, np.float32(0.5)), 4: pd.NA, "f": float("inf"), "g": np.array([1, 2])})
    assert got == {"a": None, "b": 3, "c": True, "d": "2025-06-30", "e": [1, 0.5], "4": None, "f": None, "g": [1, 2]}
    assert type(got["b"]) is int
    with pytest.raises(TypeError, match="cannot write object"):
        json_safe(object())


def test_write_section_and_merge(tmp_path):
    path = write_section("onboarding_vs_churn", {"p_value": np.float64("nan"), "n": np.int64(7)}, tmp_path)
    assert path == tmp_path / "findings" / "onboarding_vs_churn.json"
    assert json.loads(path.read_text()) == {"p_value": None, "n": 7}
    write_section("kpis", [{"feature": "x"}], tmp_path)
    write_section("zz_extra", {"k": 1}, tmp_path)
    sections = read_sections(tmp_path)
    merged = merge_findings(sections, dataset={"name": "t"}, parameters={"seed": np.int64(0)},
                            missing_sections={"kpis": "should be dropped: present", "churn_factors": "failed"})
    assert list(merged) == ["schema_version", "language", "dataset", "parameters", "summary", "actions", "onboarding_vs_churn", "kpis",
                            "zz_extra", "missing_sections"]
    assert merged["missing_sections"] == {"churn_factors": "failed"}
    assert merged["parameters"] == {"seed": 0}
    with pytest.raises(ParameterError):
        write_section("bad name!", {}, tmp_path)
    with pytest.raises(ParameterError):
        write_section("dataset", {}, tmp_path)


def test_required_sections_match_the_spec(example):
    assert set(REQUIRED_SECTIONS) <= set(example)
