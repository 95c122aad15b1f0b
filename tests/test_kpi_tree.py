"""The KPI tree (step kpi_tree, notebook 06) and its attributable fractions of churn."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from csresearch.analysis.attributable import (
    attributable_fractions,
    moved_values,
    spline_terms,
)
from csresearch.analysis.churn_model import SUITE_EXTRA_FACTORS
from csresearch.contract import CANONICAL_FEATURES

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"


@pytest.fixture(scope="module")
def sample_ctx():
    from csresearch import study

    return study.open(SAMPLE, None, lead_days=90, seed=0)


@pytest.fixture(scope="module")
def decisions(sample_ctx):
    from csresearch.study.lead_time import decision_rows

    return decision_rows(sample_ctx, 90).copy()


def _factors(table: pd.DataFrame) -> list[str]:
    return [c for c in (*CANONICAL_FEATURES, *SUITE_EXTRA_FACTORS) if c in table and table[c].notna().any()]


def test_moved_values_move_only_the_misses_and_keep_missing_values():
    x = np.array([0.2, 0.5, 0.9, np.nan])
    assert np.array_equal(moved_values(x, "above", 0.6), np.array([0.6, 0.6, 0.9, np.nan]), equal_nan=True)
    assert np.array_equal(moved_values(x, "below", 0.6), np.array([0.2, 0.5, 0.6, np.nan]), equal_nan=True)


def test_restricted_cubic_spline_is_linear_beyond_the_outer_knots():
    knots = np.array([0.0, 1.0, 2.0, 3.0])
    x = np.linspace(3.5, 10, 20)
    terms = spline_terms(x, knots)
    assert terms.shape == (20, 2)
    assert np.allclose(np.diff(terms, 2, axis=0), 0, atol=1e-9)  # second differences vanish: linear
    assert np.allclose(spline_terms(np.array([-1.0, 0.0]), knots), 0)  # zero below the first knot


def test_a_target_every_decision_meets_attributes_no_churn(decisions):
    low = float(decisions["quota_consumption"].min()) - 1
    r = attributable_fractions(decisions, "churned", _factors(decisions),
                               {"none": [("quota_consumption", "above", low)]},
                               groups=decisions["account_id"].to_numpy(), n_boot=50)
    iv = r.fractions["none"]
    assert iv.estimate == pytest.approx(0.0, abs=1e-12)
    assert r.summary.loc["none", "n_moved"] == 0


def _truth_probability(truth: dict, qc: np.ndarray, centre: float, sd: float) -> np.ndarray:
    """The generator's churn form (synth/contracts.py, synth/causes.py) with the quota driver read off the feature.

    The quota driver is the standardised log quota consumption (0 without quota), its coefficient the
    generator's per-SD coefficient; every other driver sits at its mean (0); the unobserved causes add
    their fixed per-decision probabilities: P = 1 - (1 - expit(logit)) x prod(1 - p_cause).
    """
    z = np.where(np.isfinite(qc), (np.log(qc) - centre) / sd, 0.0)
    logit = truth["intercept"] + truth["coef_per_sd"]["quota_consumption"] * z
    keep = np.prod([1 - p for p in truth["unobserved_per_decision"].values()])
    return 1 - (1 - 1 / (1 + np.exp(-logit))) * keep


def test_attributable_fraction_covers_the_simulated_truth_of_a_planted_kpi(decisions):
    """Estimand: AF = 1 - sum P_true(churn | quota moved to its target) / sum P_true(churn | as observed).

    Churn is redrawn from the generator's planted model on the generated features (truth.json), so the
    true AF of moving quota consumption up to its median is known; the estimate's interval must cover
    it in (almost) every replicate and the estimates must centre on it.
    """
    truth = json.loads((SAMPLE / "truth.json").read_text())["churn_model"]
    qc = decisions["quota_consumption"].to_numpy(dtype="float64")
    centre, sd = np.nanmean(np.log(qc)), np.nanstd(np.log(qc))
    target = float(np.nanmedian(qc))
    p_obs = _truth_probability(truth, qc, centre, sd)
    p_met = _truth_probability(truth, moved_values(qc, "above", target), centre, sd)
    true_af = 1 - p_met.sum() / p_obs.sum()
    assert 0.1 < true_af < 0.6  # a planted, sizeable effect
    covered, estimates = [], []
    for seed in range(4):
        table = decisions.assign(churned=(np.random.default_rng(100 + seed).random(len(qc)) < p_obs).astype(int))
        iv = attributable_fractions(table, "churned", _factors(table), {"quota": [("quota_consumption", "above", target)]},
                                    groups=table["account_id"].to_numpy(), seed=seed).fractions["quota"]
        covered.append(iv.ci_low <= true_af <= iv.ci_high)
        estimates.append(iv.estimate)
    assert sum(covered) >= 3, (true_af, estimates, covered)
    assert abs(np.mean(estimates) - true_af) < 0.08


def test_kpi_tree_nodes_on_the_sample(sample_ctx):
    from csresearch import study

    tree = study.run("kpi_tree", sample_ctx)
    section = tree.to_findings()
    schema = json.loads((REPO / "src" / "csresearch" / "findings_schema.json").read_text())
    jsonschema.validate(json.loads(json.dumps(section)), {**schema["properties"]["kpi_tree"], "$defs": schema["$defs"]})
    nodes = {n["id"]: n for n in section["nodes"]}
    root = [n for n in nodes.values() if n["parent"] is None]
    assert len(root) == 1 and root[0]["id"] == "churn_rate"
    assert {n["team"] for n in nodes.values() if n["parent"] == "churn_rate"} == {"onboarding", "customer_success",
                                                                                     "support"}
    y = sample_ctx.cached("decision_table_90", lambda: None)["churned"]
    assert root[0]["value"]["estimate"] == pytest.approx(y.mean())
    leaves = [n for n in nodes.values() if n["feature"]]
    assert {"onboarding_succeeded", "quota_consumption", "support_tickets_6m"} <= {n["feature"] for n in leaves}
    for n in leaves:
        assert nodes[n["parent"]]["parent"] == "churn_rate"
        if n["status"] == "ok":
            af = n["attributable_fraction"]
            assert af["ci_low"] <= af["estimate"] <= af["ci_high"]
            assert 0 <= n["misses"] <= n["n_current"]
    quota = nodes["quota_consumption"]
    assert quota["attributable_fraction"]["ci_low"] > 0  # the planted driver: churn falls when it is met
    # misses counted independently from the current customers' snapshot
    from csresearch.study.kpi_tree import current_customers

    x = current_customers(sample_ctx)["quota_consumption"].dropna()
    assert quota["misses"] == int((x < quota["target"]).sum())
    ax = tree.plot()
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "Customer success team" in texts and "Quota consumption" in texts


@pytest.mark.xdist_group("generated_run")
def test_kpi_tree_in_findings_and_report_of_a_run(generated_run):
    code, findings, _, root = generated_run
    assert code == 0
    section = findings["kpi_tree"]
    assert section["nodes"][0]["id"] == "churn_rate"
    report = next((root / "out").rglob("06_churn_factors_kpis*.html")).read_text()
    at = report.index("KPI tree: from the churn rate")
    assert "all the tree&#x27;s KPI targets" in report[at:] or "all the tree's KPI targets" in report[at:]  # the story
    assert "<img" in report[at:]  # the tree figure


def test_story_says_what_a_negative_attributable_fraction_means():
    from csresearch.narrative import kpi_tree_story

    def af(est, lo, hi):
        return {"estimate": est, "ci_low": lo, "ci_high": hi, "n": 100, "method": "m"}

    nodes = [
        {"id": "churn_rate", "parent": None, "label": "churn_rate", "value": af(0.03, 0.02, 0.04),
         "attributable_fraction": af(0.30, 0.10, 0.45)},
        {"id": "team_onboarding", "parent": "churn_rate", "label": "team_onboarding",
         "attributable_fraction": af(-0.06, -0.5, 0.08)},
        {"id": "quota_consumption", "parent": "team_customer_success", "label": "quota_consumption",
         "feature": "quota_consumption", "attributable_fraction": af(0.31, 0.24, 0.38)},
    ]
    story = kpi_tree_story(nodes)
    assert "Below zero for" in story and "no detectable contribution" in story
    assert "Below zero" not in kpi_tree_story([nodes[0], nodes[2]])
