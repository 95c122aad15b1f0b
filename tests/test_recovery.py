"""The suite run on data/sample recovers the generator's planted truth (data/sample/truth.json) within its intervals.

The suite runs once per session (``csresearch run data/sample --jobs 2``); every expected value is
read from truth.json, never typed in here.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"

# one suite run per session: keep every test that uses it on one xdist worker
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sample_suite")]


def _inside(value, interval):
    return interval["ci_low"] <= value <= interval["ci_high"]


@pytest.fixture(scope="session")
def truth():
    return json.loads((SAMPLE / "truth.json").read_text())


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    from csresearch.runner import run_suite

    out = tmp_path_factory.mktemp("sample_run") / "out"
    log = io.StringIO()
    code = run_suite(SAMPLE, out, jobs=2, stream=log)
    return code, json.loads((out / "findings.json").read_text()), log.getvalue()


@pytest.fixture(scope="session")
def findings(run):
    return run[1]


def test_every_notebook_succeeds_on_the_sample(run):
    code, findings, log = run
    assert code == 0, log
    assert "missing_sections" not in findings


def test_onboarding_churn_difference_is_small_and_not_significant(findings, truth):
    f, t = findings["onboarding_vs_churn"], truth["churn_within_3_years"]["expected"]
    assert f["horizon_years"] == 3
    rd = f["risk_difference"]
    assert _inside(0.0, rd), "the planted ~2-point difference should not be distinguishable from zero"
    assert _inside(t["difference"], rd), (rd, t["difference"])
    assert _inside(t["failed"], f["churn_failed"]) and _inside(t["succeeded"], f["churn_succeeded"])
    assert f["min_detectable_difference"] > t["difference"], "the sample is under-powered for the planted effect"


def test_onboarding_churn_adjusted_answer_is_reported_with_diagnostics(findings, truth):
    f, t = findings["onboarding_vs_churn"], truth["churn_within_3_years"]["expected"]
    adj = f["risk_difference_adjusted"]
    assert _inside(t["difference"], adj), (adj, t["difference"])  # the small planted difference, adjusted
    assert f["risk_ratio_adjusted"]["estimate"] > 0 and set(f["adjusted_by_horizon"]) == {"1", "2", "3"}
    assert f["e_value"]["estimate"] >= 1 and f["e_value"]["ci_limit"] == 1.0  # interval includes no effect
    assert f["balance"]["max_abs_smd_after"] < 0.1 < f["balance"]["max_abs_smd_before"]
    assert f["overlap"]["n_truncated"] >= 0 and f["effective_sample_size"]["failed"] > 0
    assert f["rmst_adjusted"]["horizon_years"] == 3 and "segment" in f["confounders"]
    h = findings["onboarding_vs_health"]
    assert h["unhealthy_risk_ratio_weighted"]["ci_low"] > 1  # the health gap survives weighting


def test_unhealthy_risk_ratio_recovers_the_planted_ratio(findings, truth):
    rr = findings["onboarding_vs_health"]["unhealthy_risk_ratio"]
    planted = truth["unhealthy_after_onboarding"]["realised_latent"]["ratio"]
    assert rr["ci_low"] > 1
    assert _inside(planted, rr), f"unhealthy risk ratio {rr} does not include the planted {planted}"


def test_health_score_is_valid(findings):
    hv = findings["health_validity"]
    assert hv["tenure_spearman"]["ci_low"] > 0
    assert hv["tenure_spearman_within_cohorts"]["ci_low"] > 0, "the tenure trend must survive within cohorts"
    assert hv["auc_next_renewal"]["ci_low"] > 0.5


def test_continuing_accounts_health_rises_while_quota_consumption_falls(findings, truth):
    ct = findings["continuing_trends"]
    assert ct["health_score"]["slope_per_year"]["ci_low"] > 0
    assert ct["quota_consumption"]["slope_per_year"]["ci_high"] < 0
    t = truth["tenure_slopes_continuing"]
    assert _inside(t["realised_seat_utilisation_per_year"], ct["seat_utilisation_3m"]["slope_per_year"])
    assert _inside(t["realised_features_used_per_year"], ct["features_used_3m"]["slope_per_year"])


def test_continuing_quota_consumption_slope_matches_the_planted_slope(findings, truth):
    slope = findings["continuing_trends"]["quota_consumption"]["slope_per_year"]
    # truth measured with the contract's definition (pace since the term started), not per-month consumption
    planted = truth["tenure_slopes_continuing"]["realised_quota_consumption_pace_per_year"]
    assert _inside(planted, slope), f"quota_consumption slope {slope} does not include the planted {planted}"


def test_quota_consumption_is_the_top_churn_factor_and_a_kpi(findings, truth):
    coefs = truth["churn_model"]["coef_per_sd"]
    top = max(coefs, key=lambda k: abs(coefs[k]))
    cf = findings["churn_factors"]
    assert cf["ranking"][0] == top, cf["ranking"][:5]
    assert top in [k["feature"] for k in findings["kpis"]]
    odds = cf["odds_ratios"][top]
    assert (odds["ci_high"] < 1) == (coefs[top] < 0) and odds["q_value"] < 0.05
    assert cf["cv_auc"]["ci_low"] > 0.5
    # issue 11: churn has unobserved causes and the late decline is partial, so churn is far from deterministic
    assert 0.75 <= cf["cv_auc"]["estimate"] <= 0.85, cf["cv_auc"]
    assert top in truth["factor_roles"]["leading"]


def test_churned_accounts_part_before_the_decision(findings, truth):
    ca = findings["churned_accounts"]
    assert ca["n_matched_pairs"] > 0 and ca["first_components"]
    triggers = {f for f, r in ca["separation"].items() if r["kind"] == "trigger"}
    assert set(ca["first_components"]) <= triggers  # ties of triggers, never a baseline difference
    decline = truth["pre_decision_decline"]
    assert decline["realised_churned"] < decline["realised_renewed"]
    gap = ca["separation"]["seat_utilisation_3m"]
    assert gap["first_month"] is not None and gap["gap_at_last_month"]["ci_high"] < 0
