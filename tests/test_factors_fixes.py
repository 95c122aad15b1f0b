"""Issue 11 fixes of ``csresearch factors``: ids, censoring, separators, duplicates, non-linear effects, KPIs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from click.testing import CliRunner
from scipy import stats

from csresearch.cli import main
from csresearch.errors import InputError
from csresearch.factors import analyze_factors
from csresearch.factors.cleaning import clean_table
from csresearch.factors.reading import read_table

FAST = {"n_boot": 30, "n_repeats": 1, "n_splits": 3}


def _table(n: int = 600, seed: int = 0, u_shape: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    usage = rng.uniform(0, 1, n)
    u = rng.uniform(-1, 1, n)
    logit = -1.0 - 2.0 * (usage - 0.5) + (3.0 * u ** 2 - 1.0 if u_shape else 0.0)
    churn = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame({"customer_id": 15_600_000 + rng.permutation(n), "usage": usage, "u": u,
                         "tenure_months": rng.integers(1, 60, n), "plan": rng.choice(["basic", "pro"], n),
                         "churned": churn.astype(int)})


def test_numeric_ids_stay_distinct_and_durations_exact(tmp_path):
    n = 10_000
    frame = pd.DataFrame({"CustomerId": 15_565_701 + np.arange(n) * 7, "x": np.arange(n) % 13,
                          "months": np.where(np.arange(n) == 5, 1_234_567, np.arange(n) % 24 + 1),
                          "Exited": np.arange(n) % 5 == 0})
    frame.to_csv(tmp_path / "bank.csv", index=False)
    table = read_table(tmp_path / "bank.csv", text_columns=["CustomerId"])
    clean = clean_table(table, "Exited", id_col="CustomerId", duration="months")
    assert pd.Series(clean.groups).nunique() == n
    assert clean.groups[1] == str(15_565_708)
    assert clean.duration[5] == 1_234_567
    # numeric (not text-read) ids are also kept exactly
    assert pd.Series(clean_table(frame, "Exited", id_col="CustomerId").groups).nunique() == n


def _km_by_hand(t: np.ndarray, e: np.ndarray) -> float:
    """Product-limit survival at the last time, written out: prod (1 - d_j / n_j)."""
    s = 1.0
    for time in np.unique(t[e == 1]):
        s *= 1 - ((t == time) & (e == 1)).sum() / (t >= time).sum()
    return s


@pytest.fixture(scope="module")
def censored():
    rng = np.random.default_rng(3)
    frame = _table(800, seed=3)
    hazard = 0.08 * np.exp(1.2 * (0.5 - frame["usage"]))
    churn_time = np.ceil(rng.exponential(1 / hazard))
    follow = rng.integers(6, 25, len(frame))  # staggered sign-up: censored at 6-24 months
    frame["months"] = np.minimum(churn_time, follow).astype(float)
    frame["churned"] = (churn_time <= follow).astype(int)
    return frame, analyze_factors(frame, "churned", id_col="customer_id", duration="months", **FAST)


def test_churn_rate_with_duration_is_kaplan_meier(censored):
    frame, report = censored
    t, e = frame["months"].to_numpy(), frame["churned"].to_numpy()
    assert report.churn_rate.estimate == pytest.approx(1 - _km_by_hand(t, e), rel=1e-12)
    assert report.churn_rate.estimate > e.mean() + 0.05  # censoring hides churn from the raw share
    assert report.share_churned.estimate == pytest.approx(e.mean())
    doc = report.to_dict()
    assert doc["churn_rate"]["estimate"] == pytest.approx(1 - _km_by_hand(t, e))
    assert doc["share_churned"]["estimate"] == pytest.approx(e.mean())


def test_censored_rows_are_not_non_churners_in_binary_models(censored):
    frame, report = censored
    t, e = frame["months"].to_numpy(), frame["churned"].to_numpy()
    h = report.survival["horizon"]
    tau = h["time"]
    known = (t >= tau) | ((e == 1) & (t <= tau))
    assert (~known).mean() <= 0.2 and (~((t >= tau + 1) | ((e == 1) & (t <= tau + 1)))).mean() > 0.2
    assert h["n_known"] == known.sum() and h["churned_by_horizon"] == ((e == 1) & (t <= tau)).sum()
    uni = report.factors.univariate.query("factor == 'plan'")
    assert uni["n"].sum() == known.sum() and uni["churned"].sum() == h["churned_by_horizon"]
    assert report.ranking_method.startswith("Cox") and report.ranking[0] == "usage"
    assert report.ranking == list(report.factor_tests.index)


def test_semicolon_and_tab_separators(tmp_path):
    frame = _table(300)
    frame.to_csv(tmp_path / "semi.csv", sep=";", index=False)
    frame.to_csv(tmp_path / "tab.csv", sep="\t", index=False)
    notes: list[str] = []
    pd.testing.assert_frame_equal(read_table(tmp_path / "semi.csv", notes=notes), frame)
    assert notes == ["table read with the detected separator semicolon ';', text encoding UTF-8, detected"]
    pd.testing.assert_frame_equal(read_table(tmp_path / "tab.csv"), frame)
    pd.testing.assert_frame_equal(read_table(tmp_path / "semi.csv", sep=";"), frame)
    with pytest.raises(InputError, match="separator comma ','.*--sep"):
        read_table(tmp_path / "semi.csv", sep=",")
    result = CliRunner().invoke(main, ["factors", str(tmp_path / "semi.csv"), "--label", "churned", "--sep", "tab",
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "given separator tab" in result.output and "single column" in result.output


def test_duplicate_rows_counted_noted_and_kept_in_one_fold():
    frame = _table(400)
    dupes = frame.iloc[:25]
    frame = pd.concat([frame, dupes, dupes.iloc[:5]], ignore_index=True)
    clean = clean_table(frame, "churned", exclude=["customer_id"])
    assert [n for n in clean.notes if n.startswith("30 duplicate row(s)")]
    g = pd.Series(clean.groups)
    assert g.nunique() == 400 and (g.iloc[400:425].to_numpy() == g.iloc[:25].to_numpy()).all()
    report = analyze_factors(frame, "churned", exclude=["customer_id"], **FAST)
    assert report.n_groups == 400 and any("30 duplicate row(s)" in n for n in report.notes)


@pytest.fixture(scope="module")
def u_report():
    frame = _table(1200, seed=5, u_shape=True)
    return frame, analyze_factors(frame, "churned", id_col="customer_id", **FAST)


def test_u_shaped_effect_is_ranked_and_flagged(u_report):
    frame, report = u_report
    tests = report.factor_tests
    assert list(tests.index[:2]) == ["u", "usage"]
    assert tests.loc["u", "nonlinear_p_value"] < 1e-6 and tests.loc["usage", "nonlinear_p_value"] > 1e-3
    assert report.factors.odds_ratios.loc["u", "p_value"] > 0.01  # the per-SD odds ratio misses the U
    assert report.ranking[0] == "u"
    assert any(n.startswith("u: significant non-linear effect") for n in report.notes)
    # independent: the same likelihood-ratio test from a statsmodels formula with patsy splines
    f = frame.assign(churned=frame["churned"].astype(float))
    spl = "cr(usage, df=4, constraints='center') + cr(tenure_months, df=4, constraints='center')"
    full = smf.logit(f"churned ~ cr(u, df=4, constraints='center') + {spl} + C(plan)", f).fit(disp=0)
    red = smf.logit(f"churned ~ {spl} + C(plan)", f).fit(disp=0)
    assert tests.loc["u", "chi2"] == pytest.approx(2 * (full.llf - red.llf), rel=1e-4)
    assert tests.loc["u", "p_value"] == pytest.approx(stats.chi2.sf(2 * (full.llf - red.llf), 4), rel=1e-3)


def test_kpis_skip_ids_and_tenure_unless_actionable(u_report):
    frame, report = u_report
    features = [k.feature for k in report.factors.kpis]
    assert "tenure_months" not in features and "customer_id" not in features and features
    assert any("tenure_months (tenure or contract length)" in n for n in report.notes)
    mine = analyze_factors(frame.iloc[:400], "churned", id_col="customer_id", actionable=["tenure_months", "plan"],
                           **FAST)
    assert [k.feature for k in mine.factors.kpis] == ["tenure_months"]
    assert any("['plan'] are not numeric" in n for n in mine.notes)
    with pytest.raises(InputError, match="--actionable"):
        analyze_factors(frame.iloc[:400], "churned", actionable=["nope"], **FAST)


def test_logrank_p_value_does_not_underflow():
    from csresearch.factors.survival import survival_section

    rng = np.random.default_rng(0)
    n = 400
    g = np.repeat(["a", "b"], n // 2)
    t = np.where(g == "a", rng.exponential(1, n), rng.exponential(40, n)).round(3) + 0.001
    e = np.ones(n, dtype=int)
    X = pd.DataFrame({"g": g})
    lr = survival_section(X, e, t, ["g"], "t")["by_factor"]["g"]["logrank"]
    assert 0 < lr["p_value"] < 1e-20
    assert lr["p_value"] == pytest.approx(stats.chi2.sf(lr["chi2"], 1), rel=1e-9)


@pytest.mark.slow
def test_cli_summary_says_kaplan_meier_and_p_values_are_never_zero(censored, tmp_path):
    from csresearch.factors.report import _p_cell

    frame, _ = censored
    frame.iloc[:400].to_csv(tmp_path / "c.csv", index=False)
    result = CliRunner().invoke(main, ["factors", str(tmp_path / "c.csv"), "--label", "churned", "--id", "customer_id",
                                       "--duration", "months", "--actionable", "usage,u", "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "(Kaplan-Meier at months 24)" in lines[1] and lines[3].startswith("  top factors: usage")
    doc = json.loads((tmp_path / "o" / "factors.json").read_text())
    assert {k["feature"] for k in doc["kpis"]} <= {"usage", "u"}
    assert _p_cell(0.0) == "< 1e-300" and _p_cell(1.234e-20) == "1.23e-20" and _p_cell(float("nan")) == "n/a"
