"""Decision and snapshot tables and their point helpers, on a hand-made inline dataset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csresearch import Dataset
from csresearch.contract import CANONICAL_FEATURES, HEALTH_COLUMNS
from csresearch.errors import ParameterError
from csresearch.health import HealthScore
from csresearch.tables import (
    customer_at,
    decision_table,
    points_after_onboarding,
    points_anniversaries,
    points_before_decisions,
    snapshot_table,
)

T = pd.Timestamp


@pytest.fixture(scope="session")
def ds() -> Dataset:
    """Three accounts: A renews twice and has an open term, B renews then churns, C has a 45-day first term."""
    accounts = pd.DataFrame({
        "account_id": ["A", "B", "C"], "segment": ["smb", "enterprise", "mid"],
        "signup_date": ["2022-01-01", "2022-03-01", "2023-01-01"], "touch_model": ["low", "high", None],
        "industry": [None, None, None], "employees": [50, 5000, None],
    })
    contracts = pd.DataFrame([
        ("A", "2022-01-01", "2023-01-01", 10, 1200.0, 1000.0, "renewed"),
        ("A", "2023-01-01", "2024-01-01", 10, 1200.0, 1000.0, "renewed"),
        ("A", "2024-01-01", "2025-01-01", 12, 1200.0, 1200.0, "open"),
        ("B", "2022-03-01", "2023-03-01", 100, None, 9000.0, "renewed"),
        ("B", "2023-03-01", "2024-03-01", 100, None, 9000.0, "churned"),
        ("C", "2023-01-01", "2023-02-15", 5, 100.0, 100.0, "renewed"),
        ("C", "2023-02-15", "2024-02-15", 5, 600.0, 600.0, "churned"),
    ], columns=["account_id", "term_start", "term_end", "seats", "quota", "arr", "outcome"])
    onboarding = pd.DataFrame({
        "account_id": ["A", "B", "C"], "start_date": ["2022-01-01", "2022-03-01", "2023-01-01"],
        "target_date": ["2022-04-01", "2022-05-30", "2023-04-01"], "completed_date": ["2022-03-15", None, None],
        "status": ["succeeded", "failed", None], "setup_done_date": ["2022-02-01", None, None],
        "admin_trained_date": [None] * 3, "first_value_date": [None] * 3,
    })
    months = pd.date_range("2022-01-01", "2024-05-01", freq="MS")
    usage = pd.DataFrame(
        [(a, m, users, users * 20, 4, q) for a, users, q in (("A", 8, 100.0), ("B", 30, 0.0)) for m in months],
        columns=["account_id", "month", "active_users", "events", "features_used", "quota_used"],
    )
    return Dataset.from_tables({"accounts": accounts, "contracts": contracts, "onboarding": onboarding,
                                "usage_monthly": usage}, extracted_at="2024-06-30", name="inline")


@pytest.fixture(scope="session")
def decisions(ds) -> pd.DataFrame:
    return decision_table(ds)


def test_decision_table_one_row_per_decided_term_with_label(decisions):
    expected = [(("A", T("2022-10-03")), 0), (("A", T("2023-10-03")), 0),  # 2023-01-01 / 2024-01-01 minus 90 days
                (("B", T("2022-12-01")), 0), (("B", T("2023-12-02")), 1),  # 2023-03-01 / 2024-03-01 (leap February)
                (("C", T("2023-11-17")), 1)]                               # 2024-02-15; C's 45-day term is skipped
    assert list(zip(decisions.index, decisions["churned"])) == expected
    assert decisions.index.names == ["account_id", "as_of"]
    assert not decisions.index.duplicated().any()
    # the open term (A, term_end 2025-01-01) is never a row
    assert T("2025-01-01") not in set(decisions["term_end"])
    assert decisions.attrs["dropped"] == {"term_shorter_than_lead_days": 1, "as_of_after_extracted_at": 0}


def test_decision_table_as_of_is_term_end_minus_lead_days(decisions, ds):
    as_of = decisions.index.get_level_values("as_of")
    assert ((decisions["term_end"] - as_of) == pd.Timedelta(days=90)).all()
    assert (decisions["term_start"] <= as_of).all()
    zero = decision_table(ds, lead_days=0)
    assert len(zero) == 6  # the short term is now observable
    assert (zero["term_end"].to_numpy() == zero.index.get_level_values("as_of").to_numpy()).all()
    assert zero.attrs["dropped"]["term_shorter_than_lead_days"] == 0


def test_decision_table_columns_and_values(decisions):
    for column in (*CANONICAL_FEATURES, *HEALTH_COLUMNS, "health_coverage", "segment", "touch_model",
                   "term_start", "term_end", "arr", "churned"):
        assert column in decisions.columns, column
    assert decisions.loc[("B", T("2023-12-02")), "arr"] == 9000.0
    assert decisions.loc[("B", T("2023-12-02")), "segment"] == "enterprise"
    # renewal_number counts earlier decided terms: B's second decision follows one renewal
    assert decisions.loc[("B", T("2023-12-02")), "renewal_number"] == 1
    assert decisions.loc[("A", T("2022-10-03")), "renewal_number"] == 0
    assert pd.isna(decisions.loc[("C", T("2023-11-17")), "touch_model"])


def test_decision_table_health_matches_health_score(decisions):
    manual = HealthScore().transform(decisions[[*CANONICAL_FEATURES, "segment"]])
    pd.testing.assert_frame_equal(decisions[list(HEALTH_COLUMNS)], manual[list(HEALTH_COLUMNS)])
    # B's utilisation 30/100 scores under the enterprise override, A's 8/10 under the base rule
    b = decisions.loc[("B", T("2022-12-01"))]
    assert b["seat_utilisation_3m"] == pytest.approx(0.3) and b["setup_done"] == 0
    # enterprise: (0.3 - 0.25) / 0.55 -> 9.09 (base rule would give 0); setup 0; flat delta 60
    assert b["health_deployment"] == pytest.approx((3 * 0.05 / 0.55 * 100 + 0 + 60) / 5)


def test_decision_table_custom_scorecard(ds):
    card = {"component_weights": {"deployment": 1, "engagement": 0, "adoption": 0, "roi": 0},
            "features": {"seat_utilisation_3m": {"linear": {"low": 0, "high": 1}}}}
    table = decision_table(ds, scorecard=card)
    np.testing.assert_allclose(table["health_score"], table["seat_utilisation_3m"] * 100)


def test_decision_table_rejects_bad_lead_days(ds):
    with pytest.raises(ParameterError, match="lead_days"):
        decision_table(ds, lead_days=-5)


def test_customer_at_uses_half_open_terms(ds):
    points = pd.DataFrame({"account_id": ["B", "B", "B", "A", "C"],
                           "as_of": [T("2024-02-29"), T("2024-03-01"), T("2022-02-28"), T("2024-06-30"), T("2023-02-15")]})
    # B churned on 2024-03-01 (first day not covered); B signed up 2022-03-01; A is in an open term; C renewed
    np.testing.assert_array_equal(customer_at(ds, points), [True, False, False, True, True])


def test_points_anniversaries_while_customer(ds):
    pts = points_anniversaries(ds)
    got = list(zip(pts["account_id"], pts["as_of"], pts["tenure_year"]))
    assert got == [("A", T("2023-01-01"), 1), ("A", T("2024-01-01"), 2),
                   ("B", T("2023-03-01"), 1),  # 2024-03-01 is B's churn day: no longer a customer
                   ("C", T("2024-01-01"), 1)]


def test_points_after_onboarding(ds):
    pts = points_after_onboarding(ds, months_after=12)
    assert list(pts["as_of"]) == [T("2023-04-01"), T("2023-05-30"), T("2024-04-01")]
    later = points_after_onboarding(ds, months_after=15)
    assert list(later["account_id"]) == ["A", "B"]  # C's point (2024-07-01) is after extracted_at
    assert (later["months_after"] == 15).all()


def test_points_before_decisions(ds):
    pts = points_before_decisions(ds, months=[-3, 0])
    assert len(pts) == 6 * 2  # six decided terms, open term excluded
    b = pts[(pts["account_id"] == "B") & (pts["term_end"] == T("2024-03-01"))]
    assert list(zip(b["relative_month"], b["as_of"], b["churned"])) == [(-3, T("2023-12-01"), 1), (0, T("2024-03-01"), 1)]
    with pytest.raises(ParameterError):
        points_before_decisions(ds, months=[])


def test_snapshot_table_filters_non_customers_and_carries_columns(ds):
    pts = points_before_decisions(ds, months=[-1, 0])
    table = snapshot_table(ds, pts)
    # churn days of B (2024-03-01) and C (2024-02-15) are not customer points
    assert table.attrs["dropped"] == {"as_of_after_extracted_at": 0, "not_customer_at_as_of": 2}
    assert len(table) == len(pts) - 2
    assert list(table.index.names) == ["account_id", "as_of"]
    assert {"relative_month", "term_end", "churned", "segment", "touch_model", "health_score"} <= set(table.columns)
    everyone = snapshot_table(ds, pts, customers_only=False)
    assert len(everyone) == len(pts)
    pd.testing.assert_frame_equal(everyone.drop(index=[("B", T("2024-03-01")), ("C", T("2024-02-15"))]), table)


def test_snapshot_table_points_after_cutoff_duplicates_and_unknown_accounts(ds):
    pts = pd.DataFrame({"account_id": ["A", "A", "A"], "as_of": ["2023-06-15", "2023-06-15", "2024-08-01"]})
    table = snapshot_table(ds, pts)
    assert len(table) == 2 and table.index.duplicated().sum() == 1  # repeated points repeat
    assert table.attrs["dropped"]["as_of_after_extracted_at"] == 1
    assert table["seat_utilisation_3m"].iloc[0] == pytest.approx(0.8)
    with pytest.raises(ParameterError, match="'Z'"):
        snapshot_table(ds, pd.DataFrame({"account_id": ["Z"], "as_of": ["2023-01-01"]}))
    with pytest.raises(ParameterError, match="account_id and as_of"):
        snapshot_table(ds, pd.DataFrame({"id": ["A"], "date": ["2023-01-01"]}))
