"""Property test: rows dated after as_of never change any feature at as_of.

Hypothesis draws a small random dataset (through a seed), an as_of and a
change to the rows that are not yet known at as_of: contract terms starting
after as_of, usage months not complete by as_of, engagement and roi rows dated
after as_of, onboarding completion / setup dates after as_of. Every feature of
every account at as_of must be identical before and after the change.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csresearch import Dataset
from csresearch.features import build_features

EXTRACTED = pd.Timestamp("2024-12-31")
KINDS = ["email_sent", "email_opened", "webinar", "user_group", "exec_meeting", "qbr", "support_ticket", "nps"]


def random_tables(seed: int, n_accounts: int = 4) -> dict[str, pd.DataFrame]:
    """Contract-valid random tables for a few accounts (terms from 2022, data up to EXTRACTED)."""
    rng = np.random.default_rng(seed)
    ids = [f"a{i}" for i in range(n_accounts)]
    signup = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 400, n_accounts), "D")
    accounts = pd.DataFrame({"account_id": ids, "segment": "smb", "signup_date": signup, "touch_model": None,
                             "industry": None, "employees": None})
    terms = []
    for a, start in zip(ids, signup):
        for k in range(rng.integers(1, 4)):
            end = start + pd.Timedelta(days=int(rng.integers(120, 400)))
            quota = None if rng.random() < 0.25 else float(rng.integers(100, 2000))
            terms.append((a, start, end, int(rng.integers(1, 30)), quota))
            start = end + pd.Timedelta(days=int(rng.choice([0, 0, 0, 20, 70])))
            if start > EXTRACTED:
                break
    contracts = pd.DataFrame(terms, columns=["account_id", "term_start", "term_end", "seats", "quota"])
    contracts = contracts.assign(arr=1.0, outcome="renewed")
    months = pd.date_range("2021-12-01", EXTRACTED, freq="MS")
    cells = [(a, m) for a in ids for m in months if rng.random() < 0.7]
    usage = pd.DataFrame(cells, columns=["account_id", "month"])
    u = len(usage)
    usage = usage.assign(active_users=rng.integers(0, 30, u), events=rng.integers(0, 400, u),
                         features_used=rng.integers(0, 10, u), quota_used=rng.uniform(0, 150, u).round(2))
    e = 60
    engagement = pd.DataFrame({"account_id": rng.choice(ids, e),
                               "date": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 1095, e), "D"),
                               "kind": rng.choice(KINDS, e)})
    engagement["value"] = np.where(engagement["kind"] == "nps", rng.integers(0, 11, e).astype(float), np.nan)
    roi = pd.DataFrame({"account_id": rng.choice(ids, 4), "metric": "hours_saved", "value": 1.0,
                        "date": pd.Timestamp("2022-03-01") + pd.to_timedelta(rng.integers(0, 1000, 4), "D")})
    target = signup + pd.Timedelta(days=90)
    completed = signup + pd.to_timedelta(rng.integers(10, 200, n_accounts), "D")
    completed = completed.where(rng.random(n_accounts) < 0.8)
    status = rng.choice([None, None, "failed", "extended", "in_progress"], n_accounts).astype(object)
    status = np.where((status == None) & completed.notna() & (rng.random(n_accounts) < 0.3), "succeeded", status)  # noqa: E711
    onboarding = pd.DataFrame({"account_id": ids, "start_date": signup, "target_date": target,
                               "completed_date": completed, "status": status,
                               "setup_done_date": (signup + pd.to_timedelta(rng.integers(0, 120, n_accounts), "D")),
                               "admin_trained_date": None, "first_value_date": None})
    return {"accounts": accounts, "contracts": contracts, "usage_monthly": usage, "engagement": engagement,
            "roi": roi, "onboarding": onboarding}


def change_the_future(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, seed: int) -> dict[str, pd.DataFrame]:
    """Add, remove and change rows that are not known at as_of, in every table."""
    rng = np.random.default_rng(seed)
    t = {k: v.copy() for k, v in tables.items()}
    day = pd.Timedelta(days=1)

    def later(n: int) -> pd.Series:
        return pd.Series(as_of + pd.to_timedelta(rng.integers(1, 400, n), "D"))

    # contracts: drop or alter terms starting after as_of; add a new term after each account's last term
    c = t["contracts"]
    future = c["term_start"] > as_of
    c = c[~future | (rng.random(len(c)) < 0.5)].copy()
    future = c["term_start"] > as_of
    c.loc[future, "seats"] = rng.integers(1, 99, int(future.sum()))
    c.loc[future, "quota"] = np.where(rng.random(int(future.sum())) < 0.5, np.nan, 777.0)
    last_end = c.groupby("account_id")["term_end"].max()
    new_start = last_end.clip(lower=as_of + day) + pd.to_timedelta(rng.integers(0, 40, len(last_end)), "D")
    new = pd.DataFrame({"account_id": last_end.index, "term_start": new_start.to_numpy(),
                        "term_end": (new_start + pd.Timedelta(days=365)).to_numpy(), "seats": 3, "quota": 50.0,
                        "arr": 1.0, "outcome": "open"})
    t["contracts"] = pd.concat([c, new], ignore_index=True)
    # usage: months not complete by as_of
    u = t["usage_monthly"]
    incomplete = u["month"] + pd.offsets.MonthEnd(0) > as_of
    u = u[~incomplete | (rng.random(len(u)) < 0.5)].copy()
    incomplete = u["month"] + pd.offsets.MonthEnd(0) > as_of
    u.loc[incomplete, "active_users"] = rng.integers(0, 99, int(incomplete.sum()))
    u.loc[incomplete, "quota_used"] = rng.uniform(0, 999, int(incomplete.sum()))
    running = (as_of + day).to_period("M").to_timestamp()  # the month containing as_of (+1 day) is incomplete
    extra = pd.DataFrame({"account_id": u["account_id"].unique()}).assign(month=running)
    u = u.merge(extra, how="outer", on=["account_id", "month"])
    fill = u["active_users"].isna()
    u.loc[fill, ["active_users", "events", "features_used", "quota_used"]] = [50, 500, 9, 500.0]
    t["usage_monthly"] = u
    # engagement and roi: rows dated after as_of
    for name, extra_cols in (("engagement", {"kind": "qbr", "value": np.nan}),
                             ("roi", {"metric": "x", "value": 2.0})):
        f = t[name]
        after = f["date"] > as_of
        f = f[~after | (rng.random(len(f)) < 0.5)].copy()
        added = pd.DataFrame({"account_id": t["accounts"]["account_id"], "date": later(len(t["accounts"])).to_numpy(),
                              **extra_cols})
        if name == "engagement":
            added.loc[::2, ["kind", "value"]] = ["nps", 0.0]
        t[name] = pd.concat([f, added], ignore_index=True)
    # onboarding: completion and setup dates after as_of
    o = t["onboarding"]
    n = len(o)
    done_later = o["completed_date"] > as_of
    o.loc[done_later, "completed_date"] = later(n)[done_later.to_numpy()].to_numpy()
    derived_not_done = o["status"].isna() & o["completed_date"].isna()
    o.loc[derived_not_done, "completed_date"] = later(n)[derived_not_done.to_numpy()].to_numpy()
    removable = done_later & (o["status"] != "succeeded") & (rng.random(n) < 0.5)
    o.loc[removable, "completed_date"] = pd.NaT
    setup_later = o["setup_done_date"] > as_of
    o.loc[setup_later, "setup_done_date"] = later(n)[setup_later.to_numpy()].to_numpy()
    t["onboarding"] = o
    return t


EXTRACTED_LATER = EXTRACTED + pd.Timedelta(days=500)  # room for the rows the change adds


@functools.lru_cache(maxsize=None)
def typed_dataset(seed: int) -> Dataset:
    """A random dataset typed by the loader (cached: typing costs more than the features)."""
    return Dataset.from_tables(random_tables(seed), extracted_at=EXTRACTED_LATER)


def with_tables(ds: Dataset, tables: dict[str, pd.DataFrame]) -> Dataset:
    """A copy of ``ds`` with other (already typed) tables."""
    return Dataset(name=ds.name, extracted_at=ds.extracted_at, tables=tables)


@pytest.mark.slow
@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 24), offset_days=st.integers(0, 1095), change_seed=st.integers(0, 2**31 - 1))
def test_rows_after_as_of_never_change_features(seed, offset_days, change_seed):
    original = typed_dataset(seed)
    as_of = pd.Timestamp("2022-01-01") + pd.Timedelta(days=offset_days)
    changed = with_tables(original, change_the_future(original.tables, as_of, change_seed))
    pd.testing.assert_frame_equal(build_features(original, as_of), build_features(changed, as_of))


def test_the_change_does_change_features_later():
    """Guard against a vacuous property: the same change is visible a year after as_of."""
    original = typed_dataset(11)
    as_of = pd.Timestamp("2023-01-15")
    changed = with_tables(original, change_the_future(original.tables, as_of, 5))
    later = as_of + pd.Timedelta(days=365)
    before, after = build_features(original, later), build_features(changed, later)
    differs = [c for c in before.columns if not before[c].equals(after[c])]
    assert {"seat_utilisation_3m", "exec_meetings_12m"} <= set(differs), differs
    pd.testing.assert_frame_equal(build_features(original, as_of), build_features(changed, as_of))
