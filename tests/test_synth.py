"""Tests of the seeded synthetic-data generator (csresearch.synth).

The planted effects are checked on the RAW generated tables with plain pandas,
never through csresearch's analysis code, against the truth the generator
records (tolerances from binomial standard errors).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from csresearch import contract, load_dataset
from csresearch.cli.synth import synth_command
from csresearch.dataset import coerce_table
from csresearch.errors import InputError, ParameterError
from csresearch.synth import Scenario, generate_dataset
from csresearch.synth.sample import write_sample

EXTRACTED = pd.Timestamp("2025-06-30")


@pytest.fixture(scope="session")
def small():
    """400 accounts: enough for shape and rule checks."""
    return generate_dataset(400, seed=5)


@pytest.fixture(scope="session")
def large():
    """20,000 accounts: enough power for the planted effects."""
    return generate_dataset(20_000, seed=11)


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _not_succeeded(onb: pd.DataFrame) -> pd.Series:
    """Onboarding outcome from the raw table: given status, else completed by the target."""
    derived = onb["completed_date"].notna() & (onb["completed_date"] <= onb["target_date"])
    succeeded = onb["status"].astype("str").eq("succeeded").where(onb["status"].notna(), derived)
    return ~succeeded.astype(bool)


def _monthly_utilisation(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every customer month (zeros where no usage row) with seats of the term in force at month start."""
    c = t["contracts"]
    first = c.groupby("account_id")["term_start"].min().to_numpy().astype("datetime64[M]")
    last_day = (c.groupby("account_id")["term_end"].max() - pd.Timedelta(days=1)).clip(upper=EXTRACTED)
    last = last_day.to_numpy().astype("datetime64[M]")
    n = (last - first).astype(int) + 1
    offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    grid = pd.DataFrame(
        {
            "account_id": np.repeat(last_day.index.to_numpy(), n),
            "month": (np.repeat(first, n) + offset).astype("datetime64[ns]"),
        }
    )
    u = grid.merge(t["usage_monthly"], on=["account_id", "month"], how="left").fillna(
        {"active_users": 0, "events": 0, "features_used": 0, "quota_used": 0.0}
    )
    u = pd.merge_asof(
        u.sort_values("month"), c.sort_values("term_start")[["account_id", "term_start", "term_end", "seats", "quota"]],
        left_on="month", right_on="term_start", by="account_id", direction="backward",
    )
    first_term = c.sort_values("term_start").drop_duplicates("account_id").set_index("account_id")
    missing = u["seats"].isna()  # the signup month starts before the first term
    u.loc[missing, "seats"] = u.loc[missing, "account_id"].map(first_term["seats"])
    u.loc[missing, "quota"] = u.loc[missing, "account_id"].map(first_term["quota"])
    u["utilisation"] = u["active_users"] / u["seats"]
    return u.sort_values(["account_id", "month"], ignore_index=True)


@pytest.fixture(scope="session")
def large_monthly(large):
    """Monthly utilisation of a 4,000-account subsample of ``large`` (keeps the test helper fast)."""
    t = {k: v[v["account_id"].str.slice(1).astype(int) % 5 == 1] for k, v in large.tables.items()}
    return _monthly_utilisation(t)


# -- reproducibility ---------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_gives_same_bytes_and_other_seed_differs(tmp_path, fmt):
    generate_dataset(120, seed=7).write(tmp_path / "a", fmt=fmt)
    generate_dataset(120, seed=7).write(tmp_path / "b", fmt=fmt)
    generate_dataset(120, seed=8).write(tmp_path / "c", fmt=fmt)
    a, b, c = (_hashes(tmp_path / x) for x in "abc")
    assert set(a) == {"dataset.yml", "truth.json"} | {f"{t}.{fmt}" for t in
                                                      ("accounts", "contracts", "onboarding", "usage_monthly", "engagement", "roi")}
    assert a == b
    assert a[f"usage_monthly.{fmt}"] != c[f"usage_monthly.{fmt}"]


def test_sample_regenerates_byte_identical(tmp_path, repo_root):
    committed = repo_root / "data" / "sample"
    write_sample(tmp_path / "sample")
    fresh = _hashes(tmp_path / "sample")
    assert fresh == _hashes(committed)
    assert sum((committed / n).stat().st_size for n in fresh) < 20e6


# -- contract conformance ----------------------------------------------------


def test_tables_have_contract_columns_and_dtypes(small):
    assert set(small.tables) == {"accounts", "contracts", "onboarding", "usage_monthly", "engagement", "roi"}
    for name, frame in small.tables.items():
        table = contract.TABLES[name]
        assert list(frame.columns) == table.column_names, name
        assert [str(frame[c].dtype) for c in frame] == [c.dtype if c.kind != "category" else "category" for c in table.columns]
        retyped, problems = coerce_table(frame, table)
        assert problems == []
        pd.testing.assert_frame_equal(retyped, frame, obj=name)


def test_written_csv_loads_back_identically(small, tmp_path):
    small.write(tmp_path / "ds", fmt="csv")
    ds = load_dataset(tmp_path / "ds")
    assert ds.load_problems == []
    assert ds.extracted_at == EXTRACTED
    for name, frame in small.tables.items():
        pd.testing.assert_frame_equal(ds.tables[name], frame, check_categorical=False, obj=name)
    truth = json.loads((tmp_path / "ds" / "truth.json").read_text())
    assert truth["generator"] == "csresearch.synth" and truth["seed"] == 5


def test_contract_rules_hold(large):
    t = large.tables
    acc, c, onb, u, e, roi = (t[k] for k in ("accounts", "contracts", "onboarding", "usage_monthly", "engagement", "roi"))
    assert acc["account_id"].is_unique and onb["account_id"].is_unique
    for frame in (c, onb, u, e, roi):
        assert set(frame["account_id"].unique()) <= set(acc["account_id"])
    # contracts: contiguous annual terms, first = signup, churned/open only last, open iff term_end > extracted_at
    c = c.sort_values(["account_id", "term_start"])
    assert (c["term_end"] > c["term_start"]).all() and (c["seats"] >= 1).all() and (c["arr"] >= 0).all()
    nxt = c.groupby("account_id")["term_start"].shift(-1)
    assert (nxt.dropna() == c.loc[nxt.notna(), "term_end"]).all()
    assert ((c["term_start"] + pd.DateOffset(years=1) - c["term_end"]).abs() <= pd.Timedelta(days=1)).all()
    first = c.groupby("account_id")["term_start"].min()
    assert (first == acc.set_index("account_id")["signup_date"].reindex(first.index)).all()
    is_last = nxt.isna()
    assert c.loc[~is_last, "outcome"].eq("renewed").all()
    assert (c.loc[is_last, "outcome"].eq("open") == (c.loc[is_last, "term_end"] > EXTRACTED)).all()
    assert 0.8 < c["outcome"].eq("open").sum() / len(acc) < 0.99  # low churn: most accounts still customers
    assert (c["quota"].dropna() >= 0).all() and 0.1 < c["quota"].isna().mean() < 0.3
    # nothing dated after extracted_at
    for frame, cols in ((acc, ["signup_date"]), (c, ["term_start"]), (u, ["month"]), (e, ["date"]), (roi, ["date"]),
                        (onb, ["start_date", "completed_date", "setup_done_date", "admin_trained_date", "first_value_date"])):
        for col in cols:
            assert (frame[col].dropna() <= EXTRACTED).all(), col
    # usage: first-of-month, unique, non-negative, not before signup month, not after the churned term_end
    assert u["month"].dt.is_month_start.all() and not u.duplicated(["account_id", "month"]).any()
    assert (u[["active_users", "events", "features_used", "quota_used"]] >= 0).all().all()
    assert (u["events"] >= u["active_users"]).all() and (u["features_used"] <= u["events"]).all()
    signup = acc.set_index("account_id")["signup_date"].reindex(u["account_id"]).to_numpy()
    assert (u["month"].to_numpy() >= signup.astype("datetime64[M]").astype("datetime64[ns]")).all()
    churn_end = c[c["outcome"] == "churned"].set_index("account_id")["term_end"]
    end = churn_end.reindex(u["account_id"]).fillna(pd.Timestamp("2262-01-01")).to_numpy()
    assert (u["month"].to_numpy() < end).all()
    # onboarding: statuses, null share, in_progress/extended present, dates consistent
    assert set(onb["status"].dropna().astype(str)) == set(contract.ONBOARDING_STATUSES)
    assert 0.10 < onb["status"].isna().mean() < 0.20
    assert (onb["target_date"] - onb["start_date"] == pd.Timedelta(days=90)).all()
    prog = onb["status"] == "in_progress"
    assert onb.loc[prog, "completed_date"].isna().all() and (onb.loc[prog, "target_date"] > EXTRACTED).all()
    done = onb["status"] == "succeeded"
    assert (onb.loc[done, "completed_date"] <= onb.loc[done, "target_date"]).all()
    # engagement: known kinds, nps 0..10, value only for nps
    assert set(e["kind"].astype(str)) == set(contract.ENGAGEMENT_KINDS)
    nps = e["kind"] == "nps"
    assert e.loc[nps, "value"].between(0, 10).all() and e.loc[~nps, "value"].isna().all()
    assert len(e) < 60 * len(acc)  # lean: a few touchpoints per account-month


# -- planted effects, checked on the raw tables -------------------------------


def test_onboarding_failure_rate_differs_by_segment_as_planted(large):
    onb = large.tables["onboarding"].merge(large.tables["accounts"][["account_id", "segment"]], on="account_id")
    onb = onb[onb["target_date"] <= EXTRACTED]
    rate = _not_succeeded(onb).groupby(onb["segment"].astype(str)).agg(["mean", "size"])
    planted = large.truth["scenario"]["onboarding_failure_rate"]
    for seg, row in rate.iterrows():
        se = np.sqrt(planted[seg] * (1 - planted[seg]) / row["size"])
        assert abs(row["mean"] - planted[seg]) < 4 * se, seg
    assert rate.loc["smb", "mean"] > rate.loc["mid", "mean"] > rate.loc["enterprise", "mean"]


def test_three_year_churn_small_gap_near_truth(large):
    acc = large.tables["accounts"].set_index("account_id")
    c = large.tables["contracts"]
    onb = large.tables["onboarding"].set_index("account_id")
    horizon = acc["signup_date"] + pd.DateOffset(years=3)
    observed = horizon[horizon <= EXTRACTED].index
    churn_day = c[c["outcome"] == "churned"].set_index("account_id")["term_end"]
    churned3 = churn_day.reindex(observed).le(horizon.reindex(observed)).fillna(False).astype(bool)
    failed = _not_succeeded(onb.loc[observed])
    expected = large.truth["churn_within_3_years"]["expected_accounts_observed_3y"]
    rates = {}
    for group, key in ((False, "succeeded"), (True, "failed")):
        sel = churned3[failed == group]
        p = expected[key]
        assert abs(sel.mean() - p) < 3.5 * np.sqrt(p * (1 - p) / len(sel)), key
        rates[key] = sel.mean()
    assert 0.05 < rates["succeeded"] < 0.11 and 0.07 < rates["failed"] < 0.14
    assert -0.01 < rates["failed"] - rates["succeeded"] < 0.06


def test_utilisation_twelve_months_after_target_lower_after_failure(large, large_monthly):
    onb = large.tables["onboarding"].set_index("account_id")
    u = large_monthly
    as_of = (onb["target_date"] + pd.DateOffset(months=12)).dt.to_period("M").dt.to_timestamp()
    u = u.assign(as_of=as_of.reindex(u["account_id"]).to_numpy())
    window = u[(u["month"] < u["as_of"]) & (u["month"] >= u["as_of"] - pd.DateOffset(months=3))]
    util = window.groupby("account_id")["utilisation"].agg(["mean", "size"])
    util = util[util["size"] == 3]["mean"]
    failed = _not_succeeded(onb.loc[util.index])
    unhealthy = util < large.truth["scenario"]["unhealthy_utilisation_cut"]
    share_ok, share_failed = unhealthy[~failed].mean(), unhealthy[failed].mean()
    assert util[failed].mean() < util[~failed].mean() - 0.03
    assert 1.4 < share_failed / share_ok < 2.6
    expected = large.truth["unhealthy_after_onboarding"]["expected_latent"]
    assert abs(expected["ratio"] - 1.9) < 0.15 and abs(expected["succeeded"] - 0.15) < 0.02


def test_utilisation_rises_and_quota_consumption_falls_with_tenure_for_continuing(large, large_monthly):
    churned = large.tables["contracts"].query("outcome == 'churned'")["account_id"]
    signup = large.tables["accounts"].set_index("account_id")["signup_date"]
    u = large_monthly[~large_monthly["account_id"].astype(object).map(set(churned).__contains__).astype(bool)]
    years = (u["month"] - signup.reindex(u["account_id"]).to_numpy()).dt.days / 365.25
    u = u[years >= 0.5].assign(years=years[years >= 0.5])
    util_slope = np.polyfit(u["years"], u["utilisation"], 1)[0]
    q = u[u["quota"].notna()]
    consumption_slope = np.polyfit(q["years"], q["quota_used"] / (q["quota"] / 12), 1)[0]
    feat_slope = np.polyfit(u["years"], u["features_used"], 1)[0]
    assert 0.01 < util_slope < 0.06
    assert -0.09 < consumption_slope < -0.02
    assert feat_slope > 0


def _usage_before_decisions(large, large_monthly) -> pd.DataFrame:
    """Monthly usage joined to every decided renewal, ``rel`` = months before the term_end month."""
    c = large.tables["contracts"]
    decisions = c[c["outcome"] != "open"].assign(end_month=lambda d: d["term_end"].dt.to_period("M").dt.to_timestamp())
    u = large_monthly.merge(decisions[["account_id", "end_month", "outcome"]], on="account_id")
    rel = (u["month"].dt.year - u["end_month"].dt.year) * 12 + (u["month"].dt.month - u["end_month"].dt.month)
    return u.assign(rel=rel, consumption=u["quota_used"] / (u["quota"] / 12))


def _change(u: pd.DataFrame, col: str, recent: tuple[int, int], before: tuple[int, int]) -> pd.Series:
    """Mean per outcome of (mean of ``col`` over months ``recent``) - (mean over ``before``) per decision."""
    keys = ["account_id", "end_month", "outcome"]
    a = u[u["rel"].between(*recent)].groupby(keys, observed=True)[col].mean()
    b = u[u["rel"].between(*before)].groupby(keys, observed=True)[col].mean()
    return (a - b).dropna().groupby(level="outcome", observed=True).mean()


def test_late_symptom_appears_only_close_to_the_decision(large, large_monthly):
    # issue 11: the decline is a late symptom of part of the churners (and false alarms), not a signal a year ahead
    u = _usage_before_decisions(large, large_monthly)
    late = _change(u, "utilisation", (-3, -1), (-8, -6))  # the decline grows over the last 3-5 months
    assert late["churned"] < -0.01 and late["churned"] < late["renewed"] - 0.02
    year_ahead = _change(u, "utilisation", (-18, -16), (-21, -19))
    assert year_ahead["churned"] > year_ahead["renewed"] - 0.02, "no decline a year before the decision"
    late_quota = _change(u[u["quota"].notna()], "consumption", (-3, -1), (-8, -6))
    assert late_quota["churned"] < late_quota["renewed"] - 0.01
    causes = large.truth["churn_causes"]
    planted = large.truth["pre_decision_decline"]["planted_share_of_driver_churners"]
    expected = planted * causes["realised_share_by_drivers"]
    n = sum(causes["realised_churned_accounts"].values())
    assert abs(causes["realised_share_with_decline"] - expected) < 4 * np.sqrt(expected * (1 - expected) / n) + 0.02


def test_quota_consumption_is_a_leading_driver_visible_a_year_ahead(large, large_monthly):
    u = _usage_before_decisions(large, large_monthly)
    q = u[u["rel"].between(-15, -13) & u["quota"].notna()]
    level = q.groupby(["account_id", "end_month", "outcome"], observed=True)["consumption"].mean()
    by_outcome = level.groupby(level="outcome", observed=True).mean()
    assert by_outcome["churned"] < by_outcome["renewed"] - 0.15
    roles = large.truth["factor_roles"]
    assert roles["leading"]["quota_consumption"] == "quota_consumption"
    assert set(roles["symptoms"]) == {"seat_utilisation_delta_3m", "quota_consumption_delta_3m"}
    assert not set(roles["leading"]) & set(roles["symptoms"]) and not set(roles["leading"]) & set(roles["context"])


def test_unobserved_causes_account_for_the_planted_share_of_churn(large):
    causes = large.truth["churn_causes"]
    counts = causes["realised_churned_accounts"]
    assert set(counts) == {"drivers", *large.truth["scenario"]["unobserved_churn"]}
    assert sum(counts.values()) == int(large.tables["contracts"]["outcome"].eq("churned").sum())
    n, p = sum(counts.values()), causes["expected_share_by_drivers"]
    assert 0.6 < p < 0.9  # a quarter of churn has causes the data cannot see
    assert abs(counts["drivers"] / n - p) < 4 * np.sqrt(p * (1 - p) / n)
    planted = large.truth["scenario"]["unobserved_churn"]
    decisions = int(large.tables["contracts"]["outcome"].ne("open").sum())
    for cause, rate in planted.items():  # roughly rate x decisions (minus when the drivers fired too)
        expected = rate * decisions
        assert abs(counts[cause] - expected) < 4 * np.sqrt(expected) + 0.05 * expected, cause


def test_churn_model_truth_is_recorded_and_realised(large):
    truth = large.truth
    json.dumps(truth)  # JSON-able
    model = truth["churn_model"]
    assert model["coef_per_sd"]["quota_consumption"] < model["coef_per_sd"]["health"] < 0
    assert set(model["unobserved_per_decision"]) == {"champion_leaves", "budget_cut", "acquired"}
    decided = large.tables["contracts"].query("outcome != 'open'")
    assert model["realised_churn_rate_per_decision"] == pytest.approx((decided["outcome"] == "churned").mean(), abs=1e-4)
    assert 0.015 < model["realised_churn_rate_per_decision"] < 0.06


# -- scenarios, writing, CLI --------------------------------------------------


def test_scenario_overrides_change_the_planted_effect(tmp_path):
    spec = tmp_path / "big.yml"
    spec.write_text("onboarding_deficit: 2.0\nonboarding_failure_rate: {smb: 0.4}\n")
    big = generate_dataset(300, seed=1, scenario=spec)
    base = generate_dataset(300, seed=1)
    assert big.truth["scenario"]["onboarding_failure_rate"] == {"smb": 0.4, "mid": 0.2, "enterprise": 0.12}
    assert big.truth["unhealthy_after_onboarding"]["expected_latent"]["ratio"] > 2.5
    assert base.truth["unhealthy_after_onboarding"]["expected_latent"]["ratio"] < 2.1
    assert Scenario().replace({"churn_intercept": -3.0}).churn_intercept == -3.0
    with pytest.raises(ParameterError, match="onboarding_defecit"):
        generate_dataset(50, scenario={"onboarding_defecit": 2.0})
    with pytest.raises(ParameterError, match="segment_shares"):
        generate_dataset(50, scenario={"segment_shares": {"smb": 0.9}})


def test_writer_refuses_user_folder_and_replaces_previous_output(tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    (user / "notes.txt").write_text("precious")
    with pytest.raises(InputError, match="refusing"):
        synth_command(user, n_accounts=20, seed=0)
    assert (user / "notes.txt").read_text() == "precious" and len(list(user.iterdir())) == 1
    out = tmp_path / "out"
    synth_command(out, n_accounts=20, seed=0, fmt="parquet")
    synth_command(out, n_accounts=20, seed=0, fmt="csv")
    assert not list(out.glob("*.parquet")) and (out / "accounts.csv").is_file()


def test_cli_synth(tmp_path):
    from csresearch.cli import main

    runner = CliRunner()
    res = runner.invoke(main, ["synth", str(tmp_path / "d"), "--accounts", "30", "--seed", "2"])
    assert res.exit_code == 0, res.output
    assert load_dataset(tmp_path / "d").n_accounts == 30
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.csv").write_text("a\n1\n")
    res = runner.invoke(main, ["synth", str(tmp_path / "x"), "--accounts", "30"])
    assert res.exit_code == 2 and "refusing" in res.output and "Traceback" not in res.output


def test_events_aggregate_back_to_usage():
    from csresearch.events import usage_from_events

    smb_only = {"segment_shares": {"smb": 1.0, "mid": 0.0, "enterprise": 0.0}}
    data = generate_dataset(30, seed=4, scenario=smb_only, with_events=True)
    ev = data.tables["events"]
    assert list(ev.columns) == contract.TABLES["events"].column_names
    assert str(ev["timestamp"].dtype) == "datetime64[ns, UTC]"
    back = usage_from_events(ev).sort_values(["account_id", "month"], ignore_index=True)
    usage = data.tables["usage_monthly"]
    pd.testing.assert_frame_equal(back[usage.columns], usage, check_dtype=False)
