"""Notebook glue (csresearch.study) on a hand-made inline dataset and a small synthetic one."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from csresearch import Dataset, study
from csresearch.errors import AnalysisError, ParameterError

T = pd.Timestamp


@pytest.fixture(scope="session")
def ds() -> Dataset:
    """A renews then is open; B renews then churns; C signs up after 2024-01-01."""
    accounts = pd.DataFrame({"account_id": ["A", "B", "C"], "segment": ["smb", "mid", "smb"],
                             "signup_date": ["2022-01-01", "2022-03-01", "2024-02-01"], "touch_model": ["low", "high", None],
                             "industry": [None] * 3, "employees": [10, 100, None]})
    contracts = pd.DataFrame([
        ("A", "2022-01-01", "2023-01-01", 10, 1200.0, 1000.0, "renewed"),
        ("A", "2023-01-01", "2024-01-01", 10, 1200.0, 1000.0, "renewed"),
        ("A", "2024-01-01", "2025-01-01", 10, 1200.0, 1000.0, "open"),
        ("B", "2022-03-01", "2023-03-01", 50, None, 9000.0, "renewed"),
        ("B", "2023-03-01", "2024-03-01", 50, None, 9000.0, "churned"),
        ("C", "2024-02-01", "2025-02-01", 5, None, 500.0, "open"),
    ], columns=["account_id", "term_start", "term_end", "seats", "quota", "arr", "outcome"])
    onboarding = pd.DataFrame({"account_id": ["A", "B", "C"], "start_date": ["2022-01-01", "2022-03-01", "2024-02-01"],
                               "target_date": ["2022-04-01", "2022-06-01", "2024-05-01"],
                               "completed_date": ["2022-03-15", None, "2024-04-20"], "status": ["succeeded", "failed", "succeeded"],
                               "setup_done_date": ["2022-02-01", None, "2024-03-01"], "admin_trained_date": [None] * 3,
                               "first_value_date": [None] * 3})
    months = pd.date_range("2022-01-01", "2024-05-01", freq="MS")
    usage = pd.DataFrame([(a, m, 5, 50, 3, 100.0) for a in ("A", "B") for m in months],
                         columns=["account_id", "month", "active_users", "events", "features_used", "quota_used"])
    return Dataset.from_tables({"accounts": accounts, "contracts": contracts, "onboarding": onboarding,
                                "usage_monthly": usage}, extracted_at="2024-06-30", name="inline")


@pytest.fixture(scope="session")
def synth() -> Dataset:
    from csresearch.synth import generate_dataset

    return generate_dataset(n_accounts=400, seed=11).to_dataset()


def test_dataset_as_of_cuts_everything_after(ds):
    before = {k: v.copy() for k, v in ds.tables.items()}
    cut = study.dataset_as_of(ds, "2023-06-30")
    assert cut.extracted_at == T("2023-06-30")
    assert sorted(cut.accounts["account_id"]) == ["A", "B"]
    outcomes = cut.contracts.sort_values(["account_id", "term_start"])["outcome"].astype(str).tolist()
    assert outcomes == ["renewed", "open", "renewed", "open"]  # B's churn on 2024-03-01 is not known yet
    assert cut.usage_monthly["month"].max() == T("2023-06-01")
    assert cut.validate().is_valid, cut.validate().format_text()
    for k, v in before.items():  # input untouched
        pd.testing.assert_frame_equal(ds.tables[k], v)
    assert study.dataset_as_of(ds, None) is ds and study.dataset_as_of(ds, "2024-06-30") is ds
    with pytest.raises(ParameterError, match="after the dataset's extracted_at"):
        study.dataset_as_of(ds, "2025-01-01")
    with pytest.raises(ParameterError, match="not a date"):
        study.dataset_as_of(ds, "soon")


def test_dataset_as_of_hides_later_onboarding_outcomes(ds):
    cut = study.dataset_as_of(ds, "2024-04-01")
    c = cut.onboarding.set_index("account_id")
    assert pd.isna(c.loc["C", "completed_date"]) and pd.isna(c.loc["C", "status"])
    assert c.loc["A", "status"] == "succeeded"


def test_resolve_path_looks_in_parent_and_load_errors(tmp_path):
    (tmp_path / "data" / "x").mkdir(parents=True)
    (tmp_path / "notebooks").mkdir()
    assert study.resolve_path("data/x", cwd=tmp_path / "notebooks") == (tmp_path / "data" / "x").resolve()
    assert study.resolve_path(None) is None
    assert study.resolve_path("/abs/path") == study.resolve_path("/abs/path", cwd=tmp_path)
    from csresearch.errors import InputError

    with pytest.raises(InputError, match="dataset folder 'no/such/dir' not found"):
        study.load_study_dataset("no/such/dir")


def test_write_section_and_attempt(tmp_path):
    assert study.write_section("kpis", [], None) is None
    path = study.write_section("health_validity", {"x": np.float64(0.5), "y": float("nan")}, tmp_path)
    assert json.loads(path.read_text()) == {"x": 0.5, "y": None}

    def bad():
        raise AnalysisError("only one class")

    assert study.attempt(bad) == (None, "could not be computed on this data: only one class")
    assert study.attempt(lambda a, b=0: a + b, 1, b=2) == (3, None)
    with pytest.raises(TypeError):  # programming errors are not swallowed
        study.attempt(lambda: None + 1)


def test_privacy_helpers():
    table = pd.DataFrame({"2022": [0, 3, 12], "2023": [7, 1, 5]}, index=["smb", "mid", "ent"])
    masked = study.mask_small_counts(table, 5)
    assert masked.loc["smb", "2022"] == 0 and masked.loc["mid", "2022"] == "<5" and masked.loc["mid", "2023"] == "<5"
    assert masked.loc["ent", "2022"] == 12 and masked.loc["ent", "2023"] == 5
    assert study.mask_small_counts(table, 5, include_ids=True) is table
    groups = pd.DataFrame({"n_succeeded": [10, 10, 2], "n_failed": [10, 3, 10], "rate": [0.1, 0.2, 0.3]})
    out = study.suppress_groups(groups, ["n_succeeded", "n_failed"], 5)
    assert out["rate"].tolist() == [0.1, "n<5", "n<5"]
    assert out["n_failed"].tolist()[:2] == [10, "<5"] and out["n_succeeded"].tolist()[2] == "<5"


def test_dear_features_skips_empty_columns():
    frame = pd.DataFrame({"seat_utilisation_3m": [0.5], "nps_last": [np.nan], "health_score": [50.0], "other": [1]})
    assert study.dear_features(frame) == ["seat_utilisation_3m"]
    assert study.dear_features(frame, with_health=True) == ["health_score", "seat_utilisation_3m"]


def test_renewal_decisions_known_answer(ds):
    d = study.renewal_decisions(ds)
    assert d.sort_values(["segment", "renewal_number"]).to_dict("list") == {
        "renewal_number": [1, 2, 1, 2], "churned": [0, 1, 0, 0],
        "onboarding_group": ["failed", "failed", "succeeded", "succeeded"], "segment": ["mid", "mid", "smb", "smb"]}
    assert "account_id" not in d.columns


def test_onboarding_steps_on_synthetic(synth):
    res = study.onboarding_churn(synth, 2)
    life_groups = res.km.curves["group"].unique()
    assert set(life_groups) == {"failed", "succeeded"}
    assert res.churn_failed.available and res.risk_difference.ci_low < res.risk_difference.estimate < res.risk_difference.ci_high
    snap = study.onboarding_health_snapshot(synth, 12)
    cmp = study.onboarding_vs_health(snap, 12, 40)
    f = snap["onboarding_succeeded"] == 0
    share = float((snap.loc[f, "health_score"] < 40).mean())
    assert cmp.unhealthy_failed.estimate == pytest.approx(share)
    assert "health_score" in cmp.difference and "seat_utilisation_3m" in cmp.adjusted
    by_renewal = study.churn_by_renewal_number(synth)
    assert by_renewal["renewal_number"].iloc[0] == 1


def test_continuing_panel_has_only_never_churned_accounts(synth):
    from csresearch.lifetimes import account_lifetimes

    panel = study.continuing_panel(synth, step_months=6)
    churned = set(account_lifetimes(synth).query("churned").index)
    assert churned and not (set(panel["account_id"]) & churned)
    assert panel["tenure_years"].min() >= 0.5 - 1 / 365
    trends = study.continuing_trends(panel, ["health_score", "seat_utilisation_3m"])
    assert set(trends.slopes) == {"health_score", "seat_utilisation_3m"}


def test_tenure_cohorts_and_auc(synth):
    from csresearch.tables import decision_table

    panel = study.tenure_health_panel(synth)
    per_account = panel.groupby("account_id").agg(n=("tenure_year", "size"), cohort=("tenure_cohort", "first"))
    assert (per_account["n"] == per_account["cohort"]).all()  # every anniversary of a cohort member is present
    ht = study.health_vs_tenure(panel, n_boot=50)
    assert ht.pooled.n == panel["account_id"].nunique()  # accounts are the bootstrap unit
    d = decision_table(synth)
    auc = study.next_renewal_auc(d, n_boot=50)
    from sklearn.metrics import roc_auc_score

    assert auc.estimate == pytest.approx(roc_auc_score(1 - d["churned"], d["health_score"]))


def test_decision_trajectories_are_matched(synth):
    res = study.decision_trajectories(synth, seed=1)
    s = res.trajectories.summary
    assert set(s["group"]) == {0, 1} and s["rel_month"].between(-12, -1).all()
    section = study.trajectories_findings(res, 90)
    assert section["n_matched_pairs"] == int(res.matched.summary["matched_treated"].sum()) > 0
    assert set(section["separation"]) == set(res.features)
    assert "account_id" not in json.dumps(section)
