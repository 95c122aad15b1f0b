"""`csresearch factors` on two public churn tables, against figures this test computes itself.

Needs ../shared/realdata (skips with the reason otherwise); the data is read in
place and never copied into the repository.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff
from statsmodels.stats.proportion import proportion_confint

from csresearch.factors import analyze_factors

pytestmark = [pytest.mark.realdata, pytest.mark.slow, pytest.mark.xdist_group("realdata")]
PARAMS = {"n_repeats": 2, "n_boot": 100}


@pytest.fixture(scope="session")
def telco_raw(realdata_dir):
    return pd.read_csv(realdata_dir / "telco" / "Telco-Customer-Churn.csv")


@pytest.fixture(scope="session")
def telco(telco_raw):
    return analyze_factors(telco_raw, "Churn", id_col="customerID", seed=0, **PARAMS)


@pytest.fixture(scope="session")
def psurv_raw(realdata_dir):
    return pd.read_csv(realdata_dir / "pysurvival-churn" / "churn.csv")


@pytest.fixture(scope="session")
def psurv(psurv_raw):
    return analyze_factors(psurv_raw, "churned", duration="months_active", seed=0, **PARAMS)


def _telco_design(raw: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The test's own design: standardised numerics, yes/no as 0/1, dummies against the largest level."""
    d = raw.drop(columns=["customerID", "Churn"]).copy()
    y = (raw["Churn"] == "Yes").astype(int).to_numpy()
    d["TotalCharges"] = pd.to_numeric(d["TotalCharges"], errors="coerce")
    d["TotalCharges"] = d["TotalCharges"].fillna(d["TotalCharges"].median())
    cols = {}
    for c in d.columns:
        s = d[c]
        if pd.api.types.is_numeric_dtype(s):
            cols[c] = (s - s.mean()) / s.std()
        elif set(s.unique()) == {"Yes", "No"}:
            v = (s == "Yes").astype(float)
            cols[c] = (v - v.mean()) / v.std()
        else:
            ref = s.value_counts().idxmax()
            for level in sorted(set(s) - {ref}):
                if level in ("No internet service", "No phone service"):
                    continue  # duplicates of InternetService[No] / PhoneService
                cols[f"{c}[{level}]"] = (s == level).astype(float)
    X = pd.DataFrame(cols)
    X["InternetService[No]"] = (d["InternetService"] == "No").astype(float)
    return X, y


def test_telco_churn_rate_matches_pandas(telco, telco_raw):
    churned = int((telco_raw["Churn"] == "Yes").sum())
    n = len(telco_raw)
    low, high = proportion_confint(churned, n, method="wilson")
    assert telco.n == n == 7043
    assert telco.churn_rate.estimate == pytest.approx(churned / n)
    assert (telco.churn_rate.ci_low, telco.churn_rate.ci_high) == pytest.approx((low, high))
    uni = telco.factors.univariate.query("factor == 'Contract'").set_index("level")
    expected = telco_raw.groupby("Contract")["Churn"].apply(lambda s: (s == "Yes").mean())
    for level, rate in expected.items():
        assert uni.loc[level, "churn_rate"] == pytest.approx(rate)


def test_telco_odds_ratios_match_own_logit(telco, telco_raw):
    X, y = _telco_design(telco_raw)
    odds = telco.factors.odds_ratios
    # Issue 11: near-collinear columns are left out before fitting. MonthlyCharges is nearly a linear
    # combination of the service dummies (VIF ~ 865); the independent fit leaves out the same column.
    near = [t for t in X.columns if t in odds.index and "near-collinear" in str(odds.loc[t, "reason"])]
    assert near == ["MonthlyCharges"]
    X = X.drop(columns=near)
    fit = sm.Logit(y, sm.add_constant(X)).fit(disp=0)
    ci = np.exp(fit.conf_int())
    compared = 0
    for term in X.columns:
        if term not in odds.index or pd.isna(odds.loc[term, "estimate"]):
            continue
        compared += 1
        assert odds.loc[term, "estimate"] == pytest.approx(np.exp(fit.params[term]), rel=1e-4), term
        assert odds.loc[term, "ci_low"] == pytest.approx(ci.loc[term, 0], rel=1e-4), term
        assert odds.loc[term, "p_value"] == pytest.approx(fit.pvalues[term], rel=1e-3, abs=1e-12), term
    assert compared >= 18
    assert odds.loc["Contract[Two year]", "estimate"] < 0.5  # two-year contracts churn far less


def test_telco_cv_auc_matches_own_cross_validation(telco, telco_raw):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _telco_design(telco_raw)
    cv = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0)
    scores = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)), X, y,
                             groups=telco_raw["customerID"], cv=cv, scoring="roc_auc")
    fr = telco.factors
    assert fr.chosen_model in ("logistic_l2", "gradient_boosting")
    assert fr.model_comparison.loc["logistic_l2", "cv_auc"] == pytest.approx(scores.mean(), abs=0.01)
    assert fr.cv_auc.ci_low < fr.cv_auc.estimate < fr.cv_auc.ci_high
    assert fr.ranking[0] in ("tenure", "Contract")


def test_psurv_kaplan_meier_matches_survfunc(psurv, psurv_raw):
    t, e = psurv_raw["months_active"].to_numpy(), psurv_raw["churned"].to_numpy()
    sf = SurvfuncRight(t, e)
    z = stats.norm.ppf(0.975)
    values = psurv.survival["overall"]
    assert [v["time"] for v in values] == [3.0, 6.0, 9.0, 12.0]
    for v in values:
        i = np.searchsorted(sf.surv_times, v["time"], side="right") - 1
        s, se = sf.surv_prob[i], sf.surv_prob_se[i]
        half = z * se / (s * abs(np.log(s)))
        assert v["estimate"] == pytest.approx(s, rel=1e-9)
        assert v["ci_low"] == pytest.approx(s ** np.exp(half), rel=1e-6)
        assert v["ci_high"] == pytest.approx(s ** np.exp(-half), rel=1e-6)


def test_psurv_logrank_and_churn_rates(psurv, psurv_raw):
    by = psurv.survival["by_factor"]
    assert by, "expected at least one categorical factor with KM curves"
    factor = next(iter(by))
    g = psurv_raw[factor].astype(str).str.strip()
    counts = g.value_counts()
    g = g.where(~g.isin(counts[counts < 20].index), "other")  # rare levels grouped as in the report
    chi2, p = survdiff(psurv_raw["months_active"].to_numpy(), psurv_raw["churned"].to_numpy(), g.to_numpy())
    assert by[factor]["logrank"]["p_value"] == pytest.approx(p, rel=1e-6)
    t, e = psurv_raw["months_active"].to_numpy(), psurv_raw["churned"].to_numpy()
    assert psurv.churn_rate.estimate == pytest.approx(1 - SurvfuncRight(t, e).surv_prob[-1])  # KM at 12 months
    assert psurv.churn_rate.estimate == pytest.approx(0.756, abs=0.001)
    assert psurv.share_churned.estimate == pytest.approx(psurv_raw["churned"].mean())
    known, y4 = _psurv_horizon(psurv_raw)
    uni = psurv.factors.univariate.query("factor == 'company_size'").set_index("level")
    rows = psurv_raw[known].assign(y=y4[known])
    for level, rate in rows.groupby("company_size")["y"].mean().items():
        assert uni.loc[level, "churn_rate"] == pytest.approx(rate)


def _psurv_horizon(raw: pd.DataFrame, tau: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """Churn within tau months and the rows whose status at tau is known (4: the last time with <= 20% censored before)."""
    t, e = raw["months_active"].to_numpy(), raw["churned"].to_numpy()
    y = ((e == 1) & (t <= tau)).astype(int)
    return (t >= tau) | (y == 1), y


def _psurv_design(raw: pd.DataFrame, rows: np.ndarray | None = None) -> pd.DataFrame:
    """The test's own design: standardised numerics, rare levels (< 1% = 20 rows) as 'other', largest level as reference.

    Rare levels are grouped on the whole table (cleaning); ``rows`` then selects the rows the model sees.
    """
    cols = {}
    rows = np.ones(len(raw), dtype=bool) if rows is None else rows
    for c in raw.columns.drop(["months_active", "churned"]):
        s = raw[c]
        if pd.api.types.is_numeric_dtype(s):
            s = s[rows]
            cols[c] = (s - s.mean()) / s.std()
            continue
        counts = s.value_counts()
        s = s.where(~s.isin(counts[counts < 20].index), "other")[rows]
        counts = s.value_counts()
        ref = min(counts.index, key=lambda v: (-counts[v], v))  # largest level; ties by name (documented rule)
        for level in sorted(set(s) - {ref}):
            cols[f"{c}[{level}]"] = (s == level).astype(float)
    return pd.DataFrame(cols)


def test_psurv_cox_hazard_ratios_match_own_phreg(psurv, psurv_raw):
    from statsmodels.duration.hazard_regression import PHReg

    X = _psurv_design(psurv_raw)
    fit = PHReg(psurv_raw["months_active"].to_numpy(), X.to_numpy(), status=psurv_raw["churned"].to_numpy(),
                ties="efron").fit()
    hr = psurv.survival["cox_hazard_ratios"]
    assert set(hr) == set(X.columns)
    for i, term in enumerate(X.columns):
        assert hr[term]["estimate"] == pytest.approx(np.exp(fit.params[i]), rel=1e-5), term
        assert hr[term]["ci_low"] == pytest.approx(np.exp(fit.conf_int()[i, 0]), rel=1e-5), term
    assert hr["csat_score"]["ci_high"] < 1  # happier customers churn later


def test_psurv_odds_ratios_match_own_logit(psurv, psurv_raw):
    """With a duration the logistic model sees churn within the horizon on rows whose status is known."""
    known, y4 = _psurv_horizon(psurv_raw)
    assert psurv.survival["horizon"] == {"time": 4.0, "n_known": int(known.sum()),
                                         "n_censored_before": int((~known).sum()), "churned_by_horizon": int(y4.sum())}
    odds = psurv.factors.odds_ratios
    X = _psurv_design(psurv_raw, known)
    left_out = [t for t in X.columns if pd.isna(odds.loc[t, "estimate"])]
    assert left_out == ["product_travel_expense[other]"]  # separates churn by month 4 on its own (noted)
    X = X.drop(columns=left_out)
    fit = sm.Logit(y4[known], sm.add_constant(X.reset_index(drop=True))).fit(disp=0)
    for term in X.columns:
        assert odds.loc[term, "estimate"] == pytest.approx(np.exp(fit.params[term]), rel=1e-4), term
    assert psurv.factors.cv_auc.estimate > 0.8
