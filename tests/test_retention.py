"""Retention in revenue terms: GRR, NRR and logo retention against independent computations, intervals, suppression."""

from __future__ import annotations

import copy

import jsonschema
import numpy as np
import pandas as pd
import pytest

from csresearch import study
from csresearch.analysis.retention import retention
from csresearch.narrative import fmt_pct, retention_headline
from csresearch.report.findings import findings_schema
from csresearch.synth import generate_dataset

AS_OF = pd.Timestamp("2025-06-30")


def _term(acc, start, end, arr, outcome):
    return {"account_id": acc, "term_start": pd.Timestamp(start), "term_end": pd.Timestamp(end), "arr": float(arr),
            "outcome": outcome}


@pytest.fixture
def tiny():
    """Hand-built contracts with a known answer: the window is 2024-06-30 .. 2025-06-30."""
    contracts = pd.DataFrame([
        _term("A", "2024-01-01", "2025-01-01", 100, "renewed"), _term("A", "2025-01-01", "2026-01-01", 120, "open"),  # +20
        _term("B", "2024-03-01", "2025-03-01", 200, "renewed"), _term("B", "2025-03-01", "2026-03-01", 150, "open"),  # -50
        _term("C", "2024-05-01", "2025-05-01", 50, "churned"),                                                       # churn
        _term("D", "2024-08-01", "2025-08-01", 300, "open"),         # starts after the window's first day: not counted
        _term("E", "2023-06-30", "2024-06-30", 80, "churned"),       # ended on the first day: not in force then
        _term("F", "2024-06-30", "2025-06-30", 40, "open"),          # starts on the first day; decision pending at as_of
        _term("G", "2023-09-01", "2024-09-01", 60, "renewed"), _term("G", "2024-10-01", "2025-10-01", 60, "open"),  # gap
        _term("H", "2024-02-01", "2025-02-01", 70, "renewed"), _term("H", "2025-08-01", "2026-08-01", 70, "open"),  # next later
    ])
    accounts = pd.DataFrame({"account_id": list("ABCDEFGH"), "segment": ["smb"] * 4 + ["mid"] * 4,
                             "signup_date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-05-01", "2024-08-01",
                                                            "2023-06-30", "2024-06-30", "2023-09-01", "2024-02-01"])})
    return contracts, accounts


def test_tiny_case_known_exactly(tiny):
    contracts, accounts = tiny
    r = retention(contracts, AS_OF, accounts=accounts, n_boot=200, seed=1)
    # then: A100 B200 C50 F40 G60 H70 = 520; now: A120 B150 G60 = 330; min(now, then): 100 + 150 + 60 = 310
    assert r.totals["n_accounts"] == 6
    assert r.grr.estimate == pytest.approx(310 / 520)
    assert r.nrr.estimate == pytest.approx(330 / 520)
    assert r.logo_retention.estimate == pytest.approx(3 / 6)
    t = r.totals
    assert (t["arr_then"], t["arr_now"]) == (520, 330)
    assert (t["arr_lost_churn"], t["n_churned"]) == (50 + 40 + 70, 3)
    assert (t["arr_lost_contraction"], t["n_contracted"]) == (50, 1)
    assert (t["arr_expansion"], t["n_expanded"]) == (20, 1)
    assert (t["n_pending"], t["arr_pending"]) == (2, 40 + 70)  # F (open, ended) and H (renewed, next term later)
    assert r.start == pd.Timestamp("2024-06-30")
    assert r.by_segment.loc["smb", "n_accounts"] == 3 and r.by_segment.loc["smb", "grr"] == pytest.approx(250 / 350)
    assert r.by_segment.loc["mid", "nrr"] == pytest.approx(60 / 170)
    assert set(r.by_cohort.index) == {"2023", "2024"}


def test_arr_moves_add_up_and_no_loss_gives_full_retention(tiny):
    contracts, _ = tiny
    t = retention(contracts, AS_OF, n_boot=50).totals
    assert t["arr_then"] - t["arr_lost_churn"] - t["arr_lost_contraction"] + t["arr_expansion"] == pytest.approx(t["arr_now"])
    kept = pd.DataFrame([_term("X", "2024-01-01", "2025-01-01", 10, "renewed"), _term("X", "2025-01-01", "2026-01-01", 10, "open"),
                         _term("Y", "2024-02-01", "2025-02-01", 30, "renewed"), _term("Y", "2025-02-01", "2026-02-01", 30, "open")])
    r = retention(kept, AS_OF, n_boot=50)
    assert (r.grr.estimate, r.nrr.estimate, r.logo_retention.estimate) == (1.0, 1.0, 1.0)
    assert (r.grr.ci_low, r.grr.ci_high) == (1.0, 1.0)


def test_a_window_before_the_data_is_an_input_error(tiny):
    from csresearch.errors import InputError

    with pytest.raises(InputError, match="window"):
        retention(tiny[0], "2022-01-01", n_boot=10)


def _independent(contracts: pd.DataFrame, as_of: pd.Timestamp, months: int = 12) -> pd.DataFrame:
    """Per account, written independently of the module: a loop over each account's terms."""
    day0 = as_of - pd.DateOffset(months=months)
    rows = []
    for acc, terms in contracts.groupby("account_id", observed=True):
        then = terms[(terms["term_start"] <= day0) & (terms["term_end"] > day0)]
        if then.empty:
            continue
        now = terms[(terms["term_start"] <= as_of) & (terms["term_end"] > as_of)]
        rows.append({"account_id": str(acc), "then": then["arr"].sum(), "now": now["arr"].sum(), "kept": not now.empty})
    return pd.DataFrame(rows)


def _rates(frame: pd.DataFrame) -> tuple[float, float, float]:
    grr = sum(min(n, t) for n, t in zip(frame["now"], frame["then"])) / frame["then"].sum()
    return grr, frame["now"].sum() / frame["then"].sum(), frame["kept"].mean()


@pytest.fixture(scope="module")
def generated():
    return generate_dataset(n_accounts=600, seed=11).to_dataset()


@pytest.mark.parametrize("cut", [None, "2023-12-31"])
def test_generated_data_against_an_independent_computation(generated, cut):
    ds = generated.as_of(cut)
    r = retention(ds.contracts, ds.extracted_at, accounts=ds.accounts, n_boot=300, seed=2)
    ind = _independent(ds.contracts, ds.extracted_at)
    expected = _rates(ind)
    assert r.totals["n_accounts"] == len(ind) > 100
    for iv, value in zip((r.grr, r.nrr, r.logo_retention), expected):
        assert iv.estimate == pytest.approx(value, rel=1e-12)
        assert iv.ci_low <= value <= iv.ci_high
        assert iv.ci_low < iv.ci_high, "on hundreds of accounts with some churn the interval has a width"
    assert r.totals["arr_lost_churn"] == pytest.approx(ind.loc[ind["now"] == 0, "then"].sum())
    seg = ds.accounts.set_index("account_id")["segment"].astype(str)
    for name, part in ind.groupby(ind["account_id"].map(seg)):
        row = r.by_segment.loc[name]
        assert row["n_accounts"] == len(part)
        assert (row["grr"], row["nrr"], row["logo_retention"]) == pytest.approx(_rates(part), rel=1e-12)
        assert row["grr_ci_low"] <= row["grr"] <= row["grr_ci_high"]


def test_contraction_and_pending_renewals_against_an_independent_computation(generated):
    """Generated terms never shrink and are never overdue: shrink some and mark some churned terms still open."""
    rng = np.random.default_rng(0)
    c = generated.contracts.copy()
    c["outcome"] = c["outcome"].astype(str)
    c.loc[rng.random(len(c)) < 0.25, "arr"] *= 0.6
    c.loc[(c["outcome"] == "churned") & (rng.random(len(c)) < 0.5), "outcome"] = "open"
    as_of = generated.extracted_at
    r = retention(c, as_of, n_boot=300, seed=3)
    ind = _independent(c, as_of)
    for iv, value in zip((r.grr, r.nrr, r.logo_retention), _rates(ind)):
        assert iv.estimate == pytest.approx(value, rel=1e-12) and iv.ci_low <= value <= iv.ci_high
    shrunk = (ind["now"] > 0) & (ind["now"] < ind["then"])
    assert shrunk.sum() > 10 and r.totals["n_contracted"] == shrunk.sum()
    assert r.totals["arr_lost_contraction"] == pytest.approx((ind["then"] - ind["now"])[shrunk].sum())
    last = c.sort_values("term_start").groupby("account_id", observed=True)["outcome"].last()
    lost = ind.loc[~ind["kept"], "account_id"]
    pending = (last.reindex(lost) != "churned").sum()
    assert pending > 0 and r.totals["n_pending"] == pending
    assert r.grr.estimate < 1 - r.totals["arr_lost_churn"] / r.totals["arr_then"] + 1e-12


def test_intervals_are_seeded(generated):
    ds = generated
    a = retention(ds.contracts, ds.extracted_at, n_boot=200, seed=5)
    b = retention(ds.contracts, ds.extracted_at, n_boot=200, seed=5)
    c = retention(ds.contracts, ds.extracted_at, n_boot=200, seed=6)
    assert a.grr == b.grr and (a.grr.ci_low, a.grr.ci_high) != (c.grr.ci_low, c.grr.ci_high)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return generate_dataset(n_accounts=600, seed=11).write(tmp_path_factory.mktemp("ret") / "data")


def _step(data_dir, min_group_size, include_ids=False):
    ctx = study.open(data_dir, min_group_size=min_group_size, seed=0, n_bootstrap=200, include_ids=include_ids)
    return study.run("retention", ctx)


def test_small_groups_are_suppressed_in_findings_tables_and_figures(data_dir):
    sizes = _step(data_dir, 1, include_ids=True).result.by_cohort["n_accounts"]
    assert sizes.nunique() > 1
    cut = int(sizes.sort_values().iloc[len(sizes) // 2])  # suppress the groups smaller than the middle one
    step = _step(data_dir, cut)
    small = sizes.index[sizes < cut]
    assert len(small)
    section = step.to_findings()
    for key in sizes.index:
        entry = section["by_cohort"][key]
        if key in small:
            assert entry == {"suppressed": True, "reason": f"fewer than {cut} accounts"}
        else:
            assert entry["n_accounts"] == sizes[key] and entry["grr"]["estimate"] is not None
    shown = step.groups_table("cohort").frame.set_index("Signup year")
    assert (shown.loc[list(small), "Accounts"] == f"<{cut}").all()
    assert (shown.loc[list(small), "Gross revenue retention (GRR)"] == f"n<{cut}").all()
    ax = step.groups_plot("cohort")
    assert [t.get_text() for t in ax.get_yticklabels()] == [k for k in sizes.index if k not in small]


def _section_schema():
    root = findings_schema()
    return {"$defs": root["$defs"], **root["properties"]["retention"]}


def test_findings_section_validates_and_headline_says_it_in_percentages(data_dir):
    step = _step(data_dir, 5)
    section = step.to_findings()
    jsonschema.validate(section, _section_schema())
    broken = copy.deepcopy(section)
    broken["grr"]["estimate"] = "high"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, _section_schema())
    lines = retention_headline(section)
    text = " ".join(lines)
    for key in ("grr", "nrr", "logo_retention"):
        iv = section[key]
        assert f"{fmt_pct(iv['estimate'])} (between {fmt_pct(iv['ci_low'])} and {fmt_pct(iv['ci_high'])})" in text
    assert "e-0" not in text and "{'" not in text and "None" not in text
    assert step.story().startswith("We kept ")


@pytest.mark.slow
def test_arr_at_risk_matches_the_kpis_step(data_dir):
    """Same seed, same data: every KPI of the kpis step appears with the same target, count and ARR."""
    ctx = study.open(data_dir, seed=0, n_bootstrap=200)
    at_risk = study.run("retention", ctx).to_findings()["arr_at_risk_by_kpi"]
    assert isinstance(at_risk, list) and at_risk
    by_feature = {r["feature"]: r for r in at_risk}
    kpis = study.run("kpis", ctx).to_findings()
    assert kpis, "the generated data should yield at least one KPI"
    for k in kpis:
        if k["threshold"] is None:
            continue
        r = by_feature[k["feature"]]
        assert r["direction"] == k["direction"]
        assert r["threshold"] == pytest.approx(k["threshold"], rel=1e-12)
        assert (r["accounts_below_now"], r["arr_below_now"]) == (k["accounts_below_now"], k["arr_below_now"])
        wrong, right = ((k["churn_rate_below"], k["churn_rate_above"]) if k["direction"] == "above"
                        else (k["churn_rate_above"], k["churn_rate_below"]))
        assert (r["churn_rate_wrong_side"], r["churn_rate_right_side"]) == pytest.approx((wrong, right))
    assert all(0 <= r["share_of_current_arr"] <= 1 for r in at_risk)
    ratios = [r["churn_rate_wrong_side"] / r["churn_rate_right_side"] for r in at_risk if r["churn_rate_right_side"]]
    assert ratios == sorted(ratios, reverse=True)
    assert np.isfinite(ratios).all()
