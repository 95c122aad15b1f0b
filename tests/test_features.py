"""Known-answer tests of the canonical feature builders on tiny inline datasets."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from csresearch import Dataset
from csresearch.contract import CANONICAL_FEATURES
from csresearch.errors import InputError, ParameterError
from csresearch.features import FEATURES, build_features, onboarding_status
from csresearch.features import (
    community_events_12m,
    email_open_rate_6m,
    events_per_active_user_3m,
    exec_meetings_12m,
    features_used_3m,
    nps_last,
    onboarding_days,
    onboarding_succeeded,
    quota_consumption,
    quota_consumption_delta_3m,
    renewal_number,
    roi_reported,
    seat_utilisation_3m,
    seat_utilisation_delta_3m,
    setup_done,
    support_tickets_6m,
    tenure_years,
)

EXTRACTED = "2024-06-30"


def _accounts(ids_signup: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": list(ids_signup),
            "segment": "smb",
            "signup_date": list(ids_signup.values()),
            "touch_model": None,
            "industry": None,
            "employees": None,
        }
    )


def _usage(account: str, start: str, end: str, **values) -> pd.DataFrame:
    months = pd.date_range(start, end, freq="MS")
    base = {"active_users": 0, "events": 0, "features_used": 0, "quota_used": 0.0}
    base.update(values)
    return pd.DataFrame({"account_id": account, "month": months, **base})


@pytest.fixture(scope="module")
def contracts_ds() -> Dataset:
    """a: renewal on 2024-01-01 with seats 10 -> 20; n: no usage, no quota; ch: churned 2023-07-01;
    p: signs up mid-month 2024-02-10; m: renews mid-month with steady usage of 10 a day."""
    accounts = _accounts({"a": "2023-01-01", "n": "2023-01-01", "ch": "2023-01-01", "p": "2024-02-10", "m": "2023-01-15"})
    contracts = pd.DataFrame(
        [
            ("a", "2023-01-01", "2024-01-01", 10, 1200.0, "renewed"),
            ("a", "2024-01-01", "2025-01-01", 20, 2400.0, "open"),
            ("n", "2023-01-01", "2025-01-01", 5, None, "open"),
            ("ch", "2023-01-01", "2023-07-01", 4, 100.0, "churned"),
            ("p", "2024-02-10", "2025-02-10", 10, 365.0, "open"),
            ("m", "2023-01-15", "2024-01-15", 10, 3650.0, "renewed"),
            ("m", "2024-01-15", "2025-01-15", 10, 3660.0, "open"),
        ],
        columns=["account_id", "term_start", "term_end", "seats", "quota", "outcome"],
    ).assign(arr=1000.0)
    m_months = pd.date_range("2023-01-01", "2024-05-01", freq="MS")
    m_days = np.where(m_months == "2023-01-01", 17, m_months.days_in_month)  # signs up on the 15th
    usage = pd.concat(
        [
            _usage("a", "2023-01-01", "2024-05-01", active_users=10, events=100, features_used=4, quota_used=100.0),
            _usage("ch", "2023-01-01", "2023-09-01", active_users=2, events=10, features_used=1, quota_used=5.0),
            pd.DataFrame({"account_id": "p", "month": ["2024-02-01", "2024-03-01"], "active_users": [5, 10],
                          "events": [50, 100], "features_used": [2, 3], "quota_used": [20.0, 31.0]}),
            pd.DataFrame({"account_id": "m", "month": m_months, "active_users": 5, "events": 5,
                          "features_used": 1, "quota_used": 10.0 * m_days}),
        ]
    )
    return Dataset.from_tables({"accounts": accounts, "contracts": contracts, "usage_monthly": usage},
                               extracted_at=EXTRACTED)


def at(feature, ds, as_of, account):
    return feature(ds, as_of=as_of).loc[account]


# -- contracts ---------------------------------------------------------------------


def test_tenure_and_renewal_number_on_term_boundary(contracts_ds):
    assert at(tenure_years, contracts_ds, "2024-01-01", "a") == pytest.approx(365 / 365.25)
    assert at(renewal_number, contracts_ds, "2023-12-31", "a") == 0
    assert at(renewal_number, contracts_ds, "2024-01-01", "a") == 1  # term_end <= as_of counts
    assert at(renewal_number, contracts_ds, "2023-09-30", "ch") == 1
    assert np.isnan(at(tenure_years, contracts_ds, "2024-01-01", "p"))  # before signup: no feature at all


def test_single_date_returns_every_account_named_series(contracts_ds):
    s = seat_utilisation_3m(contracts_ds, as_of="2024-03-31")
    assert s.name == "seat_utilisation_3m"
    assert s.index.name == "account_id"
    assert list(s.index) == ["a", "n", "ch", "p", "m"]
    assert s.dtype == "float64"


# -- usage ------------------------------------------------------------------------------


def test_seat_utilisation_uses_seats_of_each_months_term(contracts_ds):
    # Oct-Dec 2023 under the 10-seat term, even on the renewal day itself
    assert at(seat_utilisation_3m, contracts_ds, "2024-01-01", "a") == pytest.approx(1.0)
    assert at(seat_utilisation_3m, contracts_ds, "2024-03-31", "a") == pytest.approx(0.5)  # Jan-Mar at 20 seats
    # the day before a month end: March does not count -> Dec (1.0), Jan, Feb (0.5)
    assert at(seat_utilisation_3m, contracts_ds, "2024-03-30", "a") == pytest.approx(2 / 3)
    assert at(seat_utilisation_delta_3m, contracts_ds, "2024-03-31", "a") == pytest.approx(0.5 - 1.0)


def test_usage_features_of_a_customer_without_usage_rows_are_zero(contracts_ds):
    assert at(seat_utilisation_3m, contracts_ds, "2024-03-31", "n") == 0.0
    assert at(features_used_3m, contracts_ds, "2024-03-31", "n") == 0.0
    assert np.isnan(at(events_per_active_user_3m, contracts_ds, "2024-03-31", "n"))  # 0 events / 0 users
    assert np.isnan(at(quota_consumption, contracts_ds, "2024-03-31", "n"))  # no quota


def test_events_and_features_used(contracts_ds):
    assert at(events_per_active_user_3m, contracts_ds, "2024-03-31", "a") == pytest.approx(10.0)
    assert at(features_used_3m, contracts_ds, "2024-03-31", "p") == pytest.approx(2.5)
    assert at(events_per_active_user_3m, contracts_ds, "2024-03-31", "p") == pytest.approx(150 / 15)


def test_churned_account_has_no_usage_features_after_churn(contracts_ds):
    assert at(seat_utilisation_3m, contracts_ds, "2023-06-30", "ch") == pytest.approx(0.5)
    for f in (seat_utilisation_3m, events_per_active_user_3m, features_used_3m, quota_consumption,
              seat_utilisation_delta_3m):
        assert np.isnan(at(f, contracts_ds, "2023-09-30", "ch")), f.__name__
        assert np.isnan(at(f, contracts_ds, "2023-07-01", "ch")), f.__name__  # as_of == term_end: not in force


def test_first_partial_month(contracts_ds):
    # signed up 2024-02-10: on 2024-02-20 no complete month of the term yet
    for f in (seat_utilisation_3m, features_used_3m, quota_consumption):
        assert np.isnan(at(f, contracts_ds, "2024-02-20", "p")), f.__name__
    assert at(seat_utilisation_3m, contracts_ds, "2024-02-29", "p") == pytest.approx(0.5)  # last day: Feb counts
    assert at(seat_utilisation_3m, contracts_ds, "2024-03-31", "p") == pytest.approx(0.75)  # Jan is not a customer month
    # 20 used in the 20 days Feb 10-29 of a 366-day, 365-unit term
    assert at(quota_consumption, contracts_ds, "2024-02-29", "p") == pytest.approx(366 / 365)
    assert at(quota_consumption, contracts_ds, "2024-03-31", "p") == pytest.approx(366 / 365)


def test_quota_consumption_term_boundary(contracts_ds):
    assert at(quota_consumption, contracts_ds, "2023-12-31", "a") == pytest.approx(1.0)  # 1200 of 1200 in 12 months
    assert np.isnan(at(quota_consumption, contracts_ds, "2024-01-01", "a"))  # new term: no complete month yet
    expected = 300 / (2400 * 91 / 366)  # Jan-Mar 2024 (91 days) of a 366-day term
    assert at(quota_consumption, contracts_ds, "2024-03-31", "a") == pytest.approx(expected)
    assert at(quota_consumption_delta_3m, contracts_ds, "2024-03-31", "a") == pytest.approx(expected - 1.0)


def test_quota_consumption_prorates_a_mid_month_renewal(contracts_ds):
    # 10 units a day against 10 a day of quota: on pace in both terms, no jump at renewal
    assert at(quota_consumption, contracts_ds, "2023-12-31", "m") == pytest.approx(1.0)
    assert at(quota_consumption, contracts_ds, "2024-02-29", "m") == pytest.approx(1.0)
    assert at(quota_consumption_delta_3m, contracts_ds, "2024-05-31", "m") == pytest.approx(0.0)
    assert np.isnan(at(quota_consumption_delta_3m, contracts_ds, "2024-04-30", "m"))  # 01-30: new term, no month yet


# -- engagement and roi ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def engagement_ds() -> Dataset:
    accounts = _accounts({"a": "2023-01-01", "b": "2023-01-01", "c": "2023-01-01"})
    contracts = pd.DataFrame({"account_id": ["a", "b", "c"], "term_start": "2023-01-01", "term_end": "2025-01-01",
                              "seats": 5, "quota": None, "arr": 1.0, "outcome": "open"})
    engagement = pd.DataFrame(
        [
            ("a", "2024-01-10", "email_sent", None),
            ("a", "2024-02-10", "email_sent", None),
            ("a", "2024-02-11", "email_opened", None),
            ("a", "2023-03-31", "exec_meeting", None),  # exactly as_of - 12 months: outside
            ("a", "2023-04-01", "exec_meeting", None),
            ("a", "2024-03-31", "qbr", None),  # on as_of: inside
            ("a", "2024-04-01", "qbr", None),  # after as_of
            ("a", "2023-06-01", "nps", 7.0),
            ("a", "2024-03-31", "nps", 9.0),
            ("a", "2024-01-05", "webinar", None),
            ("a", "2024-02-05", "user_group", None),
            ("a", "2023-10-01", "support_ticket", None),  # as_of - 6 months = 2023-09-30: inside
            ("a", "2023-09-30", "support_ticket", None),  # outside
            ("b", "2024-03-01", "email_sent", None),
        ],
        columns=["account_id", "date", "kind", "value"],
    )
    roi = pd.DataFrame({"account_id": ["a"], "date": ["2024-02-01"], "metric": ["hours_saved"], "value": [5.0]})
    return Dataset.from_tables(
        {"accounts": accounts, "contracts": contracts, "engagement": engagement, "roi": roi}, extracted_at=EXTRACTED
    )


def test_engagement_windows_and_rates(engagement_ds):
    ds, d = engagement_ds, "2024-03-31"
    assert at(exec_meetings_12m, ds, d, "a") == 2
    assert at(exec_meetings_12m, ds, d, "b") == 0  # genuine zero, not missing
    assert at(community_events_12m, ds, d, "a") == 2
    assert at(support_tickets_6m, ds, d, "a") == 1
    assert at(email_open_rate_6m, ds, d, "a") == pytest.approx(0.5)
    assert at(email_open_rate_6m, ds, d, "b") == 0.0  # sent, none opened
    assert np.isnan(at(email_open_rate_6m, ds, d, "c"))  # none sent
    assert at(nps_last, ds, d, "a") == 9.0
    assert at(nps_last, ds, "2024-03-30", "a") == 7.0
    assert np.isnan(at(nps_last, ds, d, "b"))


def test_roi_reported(engagement_ds):
    assert at(roi_reported, engagement_ds, "2024-02-01", "a") == 1.0
    assert at(roi_reported, engagement_ds, "2024-01-31", "a") == 0.0
    assert at(roi_reported, engagement_ds, "2024-02-01", "b") == 0.0


def test_optional_tables_absent_give_all_null(contracts_ds):
    for name in ("exec_meetings_12m", "email_open_rate_6m", "community_events_12m", "support_tickets_6m",
                 "nps_last", "roi_reported"):
        assert FEATURES[name](contracts_ds, as_of="2024-03-31").isna().all(), name


# -- onboarding ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def onboarding_ds() -> Dataset:
    ids = ["s1", "s2", "s3", "s4", "s5", "none"]
    accounts = _accounts(dict.fromkeys(ids, "2023-01-01") | {"s3": "2023-12-01"})
    contracts = pd.DataFrame({"account_id": ids, "term_start": accounts["signup_date"], "term_end": "2025-01-01",
                              "seats": 5, "quota": None, "arr": 1.0, "outcome": "open"})
    onboarding = pd.DataFrame(
        [  # deadline = target + 30 days = 2023-05-01 for s1, s2, s4, s5
            ("s1", "2023-01-01", "2023-04-01", "2023-04-20", None, "2023-02-01"),  # on time
            ("s2", "2023-01-01", "2023-04-01", "2023-06-01", None, None),  # late
            ("s3", "2023-12-01", "2024-03-01", None, None, None),  # not done, deadline 2024-03-31
            ("s4", "2023-01-01", "2023-04-01", None, "failed", None),
            ("s5", "2023-01-01", "2023-04-01", "2023-06-01", "succeeded", None),  # given status wins
        ],
        columns=["account_id", "start_date", "target_date", "completed_date", "status", "setup_done_date"],
    ).assign(admin_trained_date=None, first_value_date=None)
    return Dataset.from_tables({"accounts": accounts, "contracts": contracts, "onboarding": onboarding},
                               extracted_at=EXTRACTED)


def test_onboarding_status_final(onboarding_ds):
    s = onboarding_status(onboarding_ds)
    assert pd.isna(s["none"])  # no onboarding row
    assert s.drop("none").astype(str).to_dict() == {
        "s1": "succeeded", "s2": "failed", "s3": "failed", "s4": "failed", "s5": "succeeded"}
    assert list(s.cat.categories) == ["succeeded", "failed", "extended", "in_progress"]


def test_onboarding_status_as_known_at_as_of(onboarding_ds):
    s = onboarding_status(onboarding_ds, as_of="2023-04-19").astype(str)
    assert (s["s1"], s["s2"], s["s4"], s["s5"]) == ("in_progress",) * 4
    assert onboarding_status(onboarding_ds, as_of="2023-04-20")["s1"] == "succeeded"
    assert onboarding_status(onboarding_ds, as_of="2023-05-01")["s2"] == "in_progress"  # deadline day
    assert onboarding_status(onboarding_ds, as_of="2023-05-02")["s2"] == "failed"
    assert onboarding_status(onboarding_ds, as_of="2023-05-02")["s4"] == "failed"
    assert onboarding_status(onboarding_ds, as_of="2023-05-31")["s5"] == "in_progress"  # known from completion
    assert onboarding_status(onboarding_ds, as_of="2023-06-01")["s5"] == "succeeded"
    assert pd.isna(onboarding_status(onboarding_ds, as_of="2023-06-01")["s3"])  # before start_date (and signup)


def test_onboarding_succeeded_and_days(onboarding_ds):
    ok = onboarding_succeeded(onboarding_ds, as_of="2024-03-31")
    assert ok["s1"] == 1.0 and ok["s2"] == 0.0 and ok["s4"] == 0.0 and ok["s5"] == 1.0
    assert np.isnan(ok["s3"]) and np.isnan(ok["none"])  # in progress on its deadline day; no onboarding row
    assert onboarding_succeeded(onboarding_ds, as_of="2024-04-01")["s3"] == 0.0
    assert np.isnan(onboarding_succeeded(onboarding_ds, as_of="2023-04-19")["s1"])
    days = onboarding_days(onboarding_ds, as_of="2023-06-01")
    assert days["s1"] == 109 and days["s2"] == 151
    assert np.isnan(onboarding_days(onboarding_ds, as_of="2023-05-31")["s2"])  # completion after as_of
    assert np.isnan(days["s4"])


def test_grace_days_parameter(onboarding_ds):
    assert onboarding_succeeded(onboarding_ds, as_of="2024-01-01", grace_days=60)["s2"] == 0.0  # deadline 05-31
    assert onboarding_succeeded(onboarding_ds, as_of="2024-01-01", grace_days=61)["s2"] == 1.0
    assert build_features(onboarding_ds, "2024-01-01", grace_days=61).loc[("s2", "2024-01-01"), "onboarding_succeeded"] == 1
    with pytest.raises(ParameterError, match="grace_days"):
        onboarding_succeeded(onboarding_ds, as_of="2024-01-01", grace_days=-1)


def test_setup_done(onboarding_ds):
    s = setup_done(onboarding_ds, as_of="2023-02-01")
    assert s["s1"] == 1.0 and s["s2"] == 0.0 and np.isnan(s["none"])
    assert setup_done(onboarding_ds, as_of="2023-01-31")["s1"] == 0.0


# -- registry and build_features ----------------------------------------------------------------


def test_registry_in_contract_order_with_one_line_docstrings():
    assert tuple(FEATURES) == CANONICAL_FEATURES
    for name, f in FEATURES.items():
        assert f.__name__ == name
        doc = inspect.getdoc(f)
        assert doc and "\n" not in doc and "(" in doc, name  # one line, unit in parentheses
        params = inspect.signature(f).parameters
        assert params["as_of"].kind is inspect.Parameter.KEYWORD_ONLY and params["as_of"].default is inspect._empty


def test_build_features_equals_single_date_functions(contracts_ds):
    dates = ["2023-06-30", "2023-12-31", "2024-01-01", "2024-02-29", "2024-03-30", "2024-03-31"]
    ids = contracts_ds.accounts["account_id"].tolist()
    points = pd.DataFrame([(a, d) for d in dates for a in ids], columns=["account_id", "as_of"]).iloc[::-1]
    table = build_features(contracts_ds, points)
    assert list(table.columns) == list(CANONICAL_FEATURES)
    assert table.index.names == ["account_id", "as_of"]
    assert list(table.index.get_level_values("account_id")) == points["account_id"].tolist()  # order kept
    for d in dates:
        for name, f in FEATURES.items():
            expected = f(contracts_ds, as_of=d)
            got = table.xs(pd.Timestamp(d), level="as_of")[name].reindex(expected.index)
            pd.testing.assert_series_equal(got, expected, check_names=False)


def test_vectorised_points_match_per_date_calls():
    rng = np.random.default_rng(7)
    n = 120
    ids = [f"acc{i}" for i in range(n)]
    signup = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D")
    accounts = _accounts(dict(zip(ids, signup.strftime("%Y-%m-%d"))))
    k = rng.integers(1, 4, n)
    owner = np.repeat(np.arange(n), k)
    nth = np.arange(len(owner)) - np.repeat(np.cumsum(k) - k, k)
    start = signup[owner] + pd.to_timedelta(nth * 365, "D")
    contracts = pd.DataFrame({"account_id": np.array(ids)[owner], "term_start": start,
                              "term_end": start + pd.Timedelta(days=365), "seats": rng.integers(1, 20, len(owner)),
                              "quota": np.where(rng.random(len(owner)) < 0.2, np.nan, 500.0), "arr": 1.0,
                              "outcome": "renewed"})
    u = 3000
    usage = pd.DataFrame({"account_id": np.array(ids)[rng.integers(0, n, u)],
                          "month": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1200, u), "D"),
                          "active_users": rng.integers(0, 20, u), "events": rng.integers(0, 200, u),
                          "features_used": rng.integers(0, 8, u), "quota_used": rng.uniform(0, 80, u)})
    usage["month"] = usage["month"].dt.to_period("M").dt.to_timestamp()
    usage = usage.drop_duplicates(["account_id", "month"])
    e = 1500
    engagement = pd.DataFrame({"account_id": np.array(ids)[rng.integers(0, n, e)],
                               "date": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1200, e), "D"),
                               "kind": rng.choice(["email_sent", "email_opened", "qbr", "nps", "support_ticket"], e),
                               "value": rng.integers(0, 11, e).astype(float)})
    onboarding = pd.DataFrame({"account_id": ids, "start_date": signup, "target_date": signup + pd.Timedelta(days=90),
                               "completed_date": signup + pd.to_timedelta(rng.integers(20, 200, n), "D"),
                               "status": None, "setup_done_date": signup + pd.Timedelta(days=10),
                               "admin_trained_date": None, "first_value_date": None})
    ds = Dataset.from_tables({"accounts": accounts, "contracts": contracts, "usage_monthly": usage,
                              "engagement": engagement, "onboarding": onboarding}, extracted_at="2024-06-30")
    dates = pd.Timestamp("2021-06-01") + pd.to_timedelta(rng.integers(0, 1100, 2000), "D")
    random_points = pd.DataFrame({"account_id": np.array(ids)[rng.integers(0, n, 2000)], "as_of": dates})
    check_dates = pd.DatetimeIndex(["2022-03-31", "2022-11-15", "2023-07-01", "2024-02-29"])
    every_account = pd.DataFrame([(a, d) for d in check_dates for a in ids], columns=["account_id", "as_of"])
    points = pd.concat([random_points, every_account]).sample(frac=1.0, random_state=3, ignore_index=True)
    table = build_features(ds, points)
    assert len(table) == len(points) == 2000 + 4 * n
    assert table["seat_utilisation_3m"].notna().sum() > 500  # the sample exercises real values
    assert table["quota_consumption"].notna().sum() > 500
    flat = table.reset_index()
    for when in check_dates:
        rows = flat[flat["as_of"] == when].drop_duplicates("account_id").set_index("account_id")
        for name, f in FEATURES.items():
            expected = f(ds, as_of=when)
            np.testing.assert_array_equal(rows[name].reindex(expected.index).to_numpy(), expected.to_numpy(),
                                          err_msg=f"{name} at {when.date()}")


# -- bad input and purity -----------------------------------------------------------------------


def test_inputs_are_not_modified(contracts_ds):
    before = {k: v.copy(deep=True) for k, v in contracts_ds.tables.items()}
    build_features(contracts_ds, "2024-03-31")
    for k, v in contracts_ds.tables.items():
        pd.testing.assert_frame_equal(v, before[k])


@pytest.mark.parametrize(
    ("points", "features", "match"),
    [
        (pd.DataFrame({"account_id": ["zz"], "as_of": ["2024-01-01"]}), None, "not in accounts"),
        (pd.DataFrame({"account_id": ["a"], "as_of": ["2024-07-01"]}), None, "after the dataset's extracted_at"),
        (pd.DataFrame({"account_id": ["a"], "when": ["2024-01-01"]}), None, "as_of"),
        (pd.DataFrame({"account_id": ["a"], "as_of": [None]}), None, "missing"),
        ("not a date", None, "as_of must be a date"),
        ("2024-01-01", ["seat_utilisation"], "unknown feature"),
        ("2024-01-01", ["health_score"], "HealthScore"),
    ],
)
def test_bad_parameters_are_clear_errors(contracts_ds, points, features, match):
    with pytest.raises(ParameterError, match=match):
        build_features(contracts_ds, points, features=features)


def test_multiindex_points_and_feature_subset(contracts_ds):
    idx = pd.MultiIndex.from_tuples([("a", pd.Timestamp("2024-03-31")), ("n", pd.Timestamp("2024-03-31"))],
                                    names=["account_id", "as_of"])
    table = build_features(contracts_ds, idx, features=["quota_consumption", "tenure_years"])
    assert list(table.columns) == ["tenure_years", "quota_consumption"]
    assert table.index.equals(idx)


def test_dataset_without_accounts_is_an_input_error():
    ds = Dataset(name="x", extracted_at=pd.Timestamp(EXTRACTED), tables={})
    with pytest.raises(InputError, match="accounts"):
        build_features(ds, "2024-01-01")


# -- seat_deployment_term (Box's "80": the share of seats deployed this term) -------------


def test_seat_deployment_term_known_values(contracts_ds):
    from csresearch.features import seat_deployment_term

    assert at(seat_deployment_term, contracts_ds, "2023-06-30", "a") == pytest.approx(10 / 10)
    assert at(seat_deployment_term, contracts_ds, "2024-06-30", "a") == pytest.approx(10 / 20)  # new term: 20 seats
    assert at(seat_deployment_term, contracts_ds, "2024-01-15", "a") == pytest.approx(10 / 10)  # December: old term
    assert at(seat_deployment_term, contracts_ds, "2024-02-29", "p") == pytest.approx(5 / 10)
    assert at(seat_deployment_term, contracts_ds, "2024-03-31", "p") == pytest.approx(10 / 10)
    assert np.isnan(at(seat_deployment_term, contracts_ds, "2024-02-20", "p"))  # no complete month of the term yet
    assert np.isnan(at(seat_deployment_term, contracts_ds, "2023-12-31", "ch"))  # churned
    assert at(seat_deployment_term, contracts_ds, "2024-06-30", "n") == 0.0  # a customer without usage rows


def test_seat_deployment_term_keeps_the_peak_and_restarts_with_each_term():
    from csresearch.features import seat_deployment_term

    accounts = _accounts({"x": "2023-01-01"})
    contracts = pd.DataFrame([("x", "2023-01-01", "2024-01-01", 10, None, "renewed"),
                              ("x", "2024-01-01", "2025-01-01", 8, None, "open")],
                             columns=["account_id", "term_start", "term_end", "seats", "quota", "outcome"]).assign(arr=1.0)
    active = [2, 9, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 6, 2, 1]  # 2023-01 .. 2024-04
    usage = pd.DataFrame({"account_id": "x", "month": pd.date_range("2023-01-01", periods=len(active), freq="MS"),
                          "active_users": active, "events": 1, "features_used": 1, "quota_used": 0.0})
    ds = Dataset.from_tables({"accounts": accounts, "contracts": contracts, "usage_monthly": usage},
                             extracted_at=EXTRACTED)
    expected = {"2023-01-31": 2 / 10, "2023-03-15": 9 / 10, "2023-12-31": 9 / 10,  # the peak stays
                "2024-01-01": 9 / 10, "2024-01-30": 9 / 10,  # December, the last complete month, is the old term's
                "2024-01-31": 4 / 8, "2024-03-31": 6 / 8, "2024-04-30": 6 / 8}  # the new term starts afresh
    for as_of, value in expected.items():
        assert at(seat_deployment_term, ds, as_of, "x") == pytest.approx(value), as_of
