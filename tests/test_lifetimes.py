"""Per-account lifetimes: churn times, censoring and calendar years."""

from __future__ import annotations

import pandas as pd
import pytest

from csresearch import Dataset
from csresearch.lifetimes import account_lifetimes, years_between


def test_years_between_lands_on_whole_anniversaries():
    start = pd.Series(pd.to_datetime(["2020-03-01", "2020-02-29", "2021-06-15", "2021-06-15"]))
    end = pd.Series(pd.to_datetime(["2023-03-01", "2021-02-28", "2022-06-14", "2022-12-15"]))
    got = years_between(start, end)
    assert got.iloc[0] == 3.0
    assert got.iloc[1] == 1.0  # 29 Feb anniversary falls on 28 Feb
    assert got.iloc[2] == pytest.approx(364 / 365.25)
    assert got.iloc[3] == pytest.approx(1 + 183 / 365.25)


def _dataset():
    accounts = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "segment": ["smb", "mid", "smb"],
            "signup_date": ["2020-01-01", "2021-01-01", "2023-05-01"],
            "touch_model": ["tech", "low", None],
            "industry": [None, None, None],
            "employees": [None, None, None],
        }
    )
    contracts = pd.DataFrame(
        {
            "account_id": ["a", "a", "b", "b", "c"],
            "term_start": ["2020-01-01", "2021-01-01", "2021-01-01", "2022-01-01", "2023-05-01"],
            "term_end": ["2021-01-01", "2022-01-01", "2022-01-01", "2023-01-01", "2024-05-01"],
            "seats": [5, 5, 10, 10, 3],
            "quota": [None] * 5,
            "arr": [1.0] * 5,
            "outcome": ["renewed", "churned", "renewed", "open", "open"],
        }
    )
    onboarding = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "start_date": ["2020-01-01", "2021-01-01", "2023-05-01"],
            "target_date": ["2020-04-01", "2021-04-01", "2023-08-15"],
            "completed_date": ["2020-03-20", None, None],
            "status": ["succeeded", "failed", None],
        }
    )
    tables = {"accounts": accounts, "contracts": contracts, "onboarding": onboarding}
    return Dataset.from_tables(tables, extracted_at="2023-09-01")


def test_churn_and_censoring_times():
    life = account_lifetimes(_dataset())
    assert list(life.index) == ["a", "b", "c"]
    assert life.loc["a", "churned"] and not life.loc["b", "churned"] and not life.loc["c", "churned"]
    assert life.loc["a", "duration_years"] == 2.0
    # open term: censored at extracted_at, even though its term_end lies beyond it
    assert life.loc["b", "end_date"] == pd.Timestamp("2023-09-01")
    assert life.loc["c", "end_date"] == pd.Timestamp("2023-09-01")
    assert life.loc["b", "duration_years"] == pytest.approx(2 + 243 / 365.25)


def test_onboarding_groups():
    life = account_lifetimes(_dataset())
    assert life.loc["a", "onboarding_group"] == "succeeded"
    assert life.loc["b", "onboarding_group"] == "failed"
    # c: not completed, target + grace still ahead of extracted_at -> in progress, no group
    assert pd.isna(life.loc["c", "onboarding_group"])
    assert life.loc["c", "onboarding_status"] == "in_progress"


def test_decided_terms_number_decisions_and_leave_out_open_terms():
    from csresearch.lifetimes import decided_terms

    terms = decided_terms(_dataset())
    # a: renewed then churned (decisions 1 and 2); b: renewed (1), then open; c: open only
    got = list(zip(terms["account_id"], terms["renewal_number"], terms["churned"]))
    assert got == [("a", 1, 0), ("a", 2, 1), ("b", 1, 0)]
