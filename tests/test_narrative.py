"""Plain-language sentences from known numbers (csresearch.narrative)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from csresearch import narrative
from csresearch.analysis.results import Interval
from csresearch.analysis.survival import onboarding_vs_churn


def _churn_result(rd, failed, succeeded, mdd=0.038, p=0.2, horizon=3.0):
    return SimpleNamespace(risk_difference=rd, churn_failed=Interval(failed, None, None),
                           churn_succeeded=Interval(succeeded, None, None), horizon_years=horizon,
                           min_detectable_difference=mdd, p_value=p)


def test_describe_interval_units():
    iv = Interval(0.021, -0.004, 0.046)
    assert narrative.describe_interval(iv, "points") == "2.1 points (95% CI -0.4 to 4.6 points)"
    assert narrative.describe_interval(iv, "percent") == "2.1% (95% CI -0.4% to 4.6%)"
    assert narrative.describe_interval(Interval(1.93, 1.6, 2.2), "ratio") == "1.93 (95% CI 1.6 to 2.2)"
    assert narrative.describe_interval(Interval(0.5, 0.4, 0.6, level=0.9), label="AUC") == "AUC 0.5 (90% CI 0.4 to 0.6)"


def test_describe_interval_unavailable_and_bad_unit():
    assert narrative.describe_interval(Interval.unavailable("too few rows")) == "not available (too few rows)"
    with pytest.raises(ValueError, match="unit"):
        narrative.describe_interval(Interval(1, 0, 2), "furlongs")


def test_onboarding_story_not_significant_reads_like_the_brief():
    text = narrative.onboarding_churn_story(_churn_result(Interval(0.021, -0.004, 0.046), 0.103, 0.082))
    assert text == ("Accounts that failed onboarding churned 2.1 points more within 3 years (10.3% vs 8.2%; "
                    "difference 95% CI -0.4 to 4.6 points); this sample cannot distinguish that from zero: the "
                    "smallest difference it could detect with 80% power is 3.8 points.")


def test_onboarding_story_significant_and_negative():
    sig = narrative.onboarding_churn_story(_churn_result(Interval(0.05, 0.02, 0.08), 0.13, 0.08, p=0.0031, horizon=1))
    assert sig.endswith("the interval excludes zero (log-rank p = 0.003).")
    tiny = narrative.onboarding_churn_story(_churn_result(Interval(0.05, 0.02, 0.08), 0.13, 0.08, p=4.3e-19))
    assert tiny.endswith("(log-rank p < 0.001).") and "e-" not in tiny
    assert "within 1 year " in sig and "cannot distinguish" not in sig
    neg = narrative.onboarding_churn_story(_churn_result(Interval(-0.01, -0.03, 0.01), 0.07, 0.08))
    assert "churned 1.0 points less" in neg


def test_onboarding_story_unavailable_says_why():
    res = _churn_result(Interval.unavailable("no failed accounts"), 0.1, 0.08)
    assert narrative.onboarding_churn_story(res) == (
        "Churn within 3 years by onboarding outcome could not be estimated on this data: no failed accounts.")


def test_onboarding_story_on_a_real_result():
    rng = np.random.default_rng(1)
    n = 400
    failed = rng.random(n) < 0.3
    t = rng.exponential(np.where(failed, 8.0, 12.0))
    frame = pd.DataFrame({"onboarding_group": np.where(failed, "failed", "succeeded"), "duration_years": np.minimum(t, 4),
                          "churned": t < 4, "segment": "smb"})
    res = onboarding_vs_churn(frame, 3.0, group_col="onboarding_group")
    text = narrative.onboarding_churn_story(res)
    diff = abs(100 * res.risk_difference.estimate)
    assert text.startswith(f"Accounts that failed onboarding churned {diff:.1f} points")
    assert f"{100 * res.churn_failed.estimate:.1f}% vs {100 * res.churn_succeeded.estimate:.1f}%" in text


def test_features_against_score_and_trend_story():
    slopes = {"health_score": Interval(2.0, 1.5, 2.5), "quota_consumption": Interval(-0.04, -0.05, -0.03),
              "seat_utilisation_3m": Interval(0.03, 0.02, 0.04), "nps_last": Interval(-0.1, -0.3, 0.1),
              "health_adoption": Interval(-1.0, -2.0, -0.5)}
    assert narrative.features_against_score(slopes) == ["quota_consumption"]
    text = narrative.continuing_trends_story(slopes)
    assert text.startswith("Among accounts that never churned, the health score changes by +2 (95% CI +1.5 to +2.5) "
                           "per tenure year.")
    # quota consumption is a share: its change per year reads in percentage points, under its human name
    assert ("Moving against the score: quota consumption (this term) (-4.0 points (95% CI -5.0 to -3.0 points) per year)"
            in text)
    flat = {"health_score": Interval(0.1, -0.2, 0.4), "quota_consumption": Interval(-0.04, -0.05, -0.03)}
    assert narrative.features_against_score(flat) == []
    assert "not distinguishable from no change" in narrative.continuing_trends_story(flat)


def test_health_validity_story_verdicts():
    good = narrative.health_validity_story(Interval(0.2, 0.15, 0.25), Interval(0.1, 0.05, 0.15), Interval(0.8, 0.75, 0.85))
    assert "rises with tenure" in good and "it holds" in good and "better than chance" in good
    weak = narrative.health_validity_story(Interval(0.2, 0.15, 0.25), Interval(-0.01, -0.05, 0.03), Interval(0.52, 0.48, 0.56))
    assert "does not clearly hold" in weak and "coin flip" in weak


def test_kpi_story():
    kpi = SimpleNamespace(feature="quota_consumption", direction="above", threshold=Interval(0.6, 0.55, 0.65),
                          churn_rate_below=Interval(0.21, 0.18, 0.24), churn_rate_above=Interval(0.06, 0.05, 0.07))
    assert narrative.kpi_story([kpi]) == (
        "Keep quota consumption (this term) at or above 60.0% (95% CI 55.0% to 65.0%), where the estimated churn risk "
        "crosses 1 x the "
        "overall rate: churn is 21.0% (95% CI 18.0% to 24.0%) below it and 6.0% (95% CI 5.0% to 7.0%) at or above it "
        "(per account).")
    kpi.leading, kpi.accounts_below_now, kpi.arr_below_now = True, 312, 41_200_000.0
    assert narrative.kpi_story([kpi]).startswith("Keep quota consumption (this term) (a leading indicator) at or "
                                                 "above 60.0%")
    assert narrative.kpi_story([kpi]).endswith("312 current customers (ARR 41.2M) are on the wrong side of it now.")
    assert narrative.kpi_story([]).startswith("No KPI target: no DEAR feature")


def test_fmt_helpers():
    assert narrative.fmt_pct(0.1034) == "10.3%"
    assert narrative.fmt_pct(float("nan")) == "n/a"
    assert narrative.fmt_number(-0.04444, signed=True) == "-0.0444"
    assert narrative.fmt_number(None) == "n/a"


def test_onboarding_health_story_orders_clearest_adjusted_gaps_first():
    cmp = SimpleNamespace(
        months_after=12, unhealthy_threshold=40.0, unhealthy_risk_ratio=Interval(1.9, 1.6, 2.2),
        unhealthy_failed=Interval(0.28, 0.25, 0.31), unhealthy_succeeded=Interval(0.15, 0.13, 0.17),
        adjusted={"health_score": Interval(-9, -10, -8), "seat_utilisation_3m": Interval(-0.1, -0.12, -0.08),
                  "nps_last": Interval(-0.5, -1.5, 0.5), "roi_reported": Interval(-0.2, -0.35, -0.05)})
    text = narrative.onboarding_health_story(cmp)
    assert text.startswith("12 months after the onboarding target date, 28.0% of the accounts that failed onboarding "
                           "were unhealthy (health score below 40) against 15.0% of those that succeeded: 1.9 times "
                           "as often (95% CI 1.6 to 2.2), a real difference.")
    assert text.endswith("the failed group has Seat utilisation (last 3 months) lower by 10.0 points (95% CI 8.0 to "
                         "12.0 points); ROI reported lower by 20.0 points (95% CI 5.0 to 35.0 points).")
    assert "NPS" not in text and "Health score lower" not in text
