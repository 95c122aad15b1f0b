"""The paired event study on a generated decision panel with known truth.

240 churned decisions, each paired with a renewed control; 40 controls serve two
pairs (so pairs share accounts and must be clustered). Planted, churned minus renewed:

* ``quota_consumption`` and ``seat_utilisation_3m`` drop by 0.6 from month -4 on (a tied trigger);
* ``nps_last`` drops by 0.8 from month -2 on (a later trigger, not tied);
* ``support_tickets_6m`` differs by a constant 0.5 over the whole window (a baseline difference);
* ``email_open_rate_6m`` never differs (null).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from csresearch.analysis.event_study import KIND_BASELINE, KIND_NONE, KIND_TRIGGER, paired_event_study
from csresearch.analysis.trajectories import matched_sample
from csresearch.errors import ParameterError

MONTHS = np.arange(-12, 0)
PLANTED = {  # feature -> (gap, from month)
    "quota_consumption": (-0.6, -4),
    "seat_utilisation_3m": (-0.6, -4),
    "nps_last": (-0.8, -2),
    "support_tickets_6m": (0.5, -12),
    "email_open_rate_6m": (0.0, -12),
}


def _account_rows(rng, account, pair, churned):
    rows = {"account_id": account, "match_id": pair, "churned": churned, "relative_month": MONTHS}
    for feat, (gap, start) in PLANTED.items():
        level = rng.normal(0, 0.4)  # the account's own level: months of one account are correlated
        rows[feat] = level + rng.normal(0, 0.4, len(MONTHS)) + churned * gap * (MONTHS >= start)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(11)
    frames = []
    for pair in range(240):
        frames.append(_account_rows(rng, f"c{pair}", pair, 1))
        control = f"r{pair % 200}"  # pairs 200..239 reuse controls r0..r39 (another decision of theirs)
        frames.append(_account_rows(rng, control, pair, 0))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def study(panel):
    return paired_event_study(panel, list(PLANTED), n_boot=300, seed=1)


def test_the_trigger_is_found_at_its_planted_month_with_an_interval_covering_it(study):
    for feat in ("quota_consumption", "seat_utilisation_3m"):
        first = study.first_month[feat]
        assert study.kind(feat) == KIND_TRIGGER
        assert -5 <= first.estimate <= -3, first
        assert first.ci_low <= -4 <= first.ci_high, first
        assert first.ci_high - first.ci_low <= 3
        gap = study.gap_at_first[feat]
        assert gap.ci_low < -0.6 < gap.ci_high or abs(gap.estimate + 0.6) < 0.15
    late = study.first_month["nps_last"]
    assert study.kind("nps_last") == KIND_TRIGGER and -3 <= late.estimate <= -1


def test_ties_are_reported_together_and_a_later_trigger_is_not(study):
    assert sorted(study.first_components) == ["quota_consumption", "seat_utilisation_3m"]


def test_a_constant_gap_is_a_baseline_difference_not_a_trigger(study):
    assert study.kind("support_tickets_6m") == KIND_BASELINE
    assert study.first_month["support_tickets_6m"].estimate == -12
    assert study.gap_at_start["support_tickets_6m"].ci_low > 0
    assert "support_tickets_6m" not in study.first_components


def test_the_null_feature_never_separates(study):
    assert study.kind("email_open_rate_6m") == KIND_NONE
    assert not study.first_month["email_open_rate_6m"].available
    assert study.summary.loc["email_open_rate_6m", "share_separating"] < 0.2
    assert np.isnan(study.summary.loc["email_open_rate_6m", "first_month"])


def test_month_intervals_match_an_independent_cluster_robust_fit(panel, study):
    # pairs sharing a renewed account form one cluster; check month -1 of quota_consumption
    part = panel.loc[panel["relative_month"] == -1]
    wide = part.pivot_table(index="match_id", columns="churned", values="quota_consumption")
    d = (wide[1] - wide[0]).to_numpy()
    control = part.loc[part["churned"] == 0].set_index("match_id")["account_id"].reindex(wide.index)
    groups = pd.factorize(control)[0]  # here clusters = the shared renewed account
    fit = sm.OLS(d, np.ones_like(d)).fit(cov_type="cluster", cov_kwds={"groups": groups})
    row = study.differences.set_index(["feature", "rel_month"]).loc[("quota_consumption", -1)]
    assert row["difference"] == pytest.approx(fit.params[0])
    se = (row["ci_high"] - row["difference"]) / stats.t.ppf(0.975, 200 - 1)  # t with G - 1 df
    assert se == pytest.approx(fit.bse[0], rel=1e-9)  # G/(G-1) (N-1)/(N-K) with K = 1
    assert study.n_pairs == 240 and study.n_clusters == 200


def test_missing_months_and_bad_parameters(panel):
    thin = panel.loc[~((panel["relative_month"] < -6) & (panel["match_id"] >= 5))]  # only 5 pairs before -6
    res = paired_event_study(thin, ["support_tickets_6m", "nps_last"], n_boot=50, min_pairs=10)
    # the window only sees the constant gap from -6 on: present when first seen, so still a baseline difference
    assert res.first_month["support_tickets_6m"].estimate == -6
    assert res.kind("support_tickets_6m") == KIND_BASELINE and res.gap_at_start["support_tickets_6m"].n == 240
    assert res.differences.query("rel_month < -6")["p_value"].isna().all()
    assert res.kind("nps_last") == KIND_TRIGGER and res.first_components == ["nps_last"]
    with pytest.raises(ParameterError):
        paired_event_study(panel, ["nope"])
    with pytest.raises(ParameterError):
        paired_event_study(panel.assign(churned=1), ["nps_last"], n_boot=10)


def test_plot(study):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert study.plot("quota_consumption", ax=ax) is ax
    assert len(ax.lines[0].get_xdata()) == 12
    with pytest.raises(ValueError):
        study.plot("nope", ax=ax)
    plt.close(fig)


def test_matched_sample_pairs_each_treated_row_with_its_controls():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"segment": rng.choice(["a", "b"], 300), "churned": (rng.random(300) < 0.3).astype(int)})
    res = matched_sample(frame, "churned", match_on=("segment",), ratio=2, seed=0)
    per_pair = res.sample.groupby("match_id")["churned"].agg(["sum", "size"])
    assert (per_pair["sum"] == 1).all() and (per_pair["size"] == 3).all()
    assert res.sample.groupby("match_id")["segment"].nunique().eq(1).all()


# ------------------------------------------------------------------ the notebook-05 step on a synthetic dataset

@pytest.fixture(scope="module")
def synth():
    from csresearch.synth import generate_dataset

    return generate_dataset(n_accounts=500, seed=7).to_dataset()


def _resolved_on(onboarding: pd.DataFrame, grace_days: int) -> pd.Series:
    """Independent reading of the onboarding rule: the day each account's outcome became known (NaT = never)."""
    ob = onboarding.drop_duplicates("account_id").set_index("account_id")
    deadline = ob["target_date"] + pd.Timedelta(days=grace_days)
    status = ob["status"].astype("object")
    on_time = ob["completed_date"].notna() & (ob["completed_date"] <= deadline)
    derived = pd.Series(np.where(on_time, ob["completed_date"], deadline + pd.Timedelta(days=1)), index=ob.index)
    known = pd.Series(deadline + pd.Timedelta(days=1), index=ob.index)
    succeeded = status == "succeeded"
    known[succeeded] = ob["completed_date"].where(ob["completed_date"].notna(), deadline + pd.Timedelta(days=1))[succeeded]
    known[status == "in_progress"] = pd.NaT
    return known.where(status.notna(), derived)


def test_months_before_onboarding_resolved_plus_ramp_up_are_left_out(synth):
    from csresearch.study.churn import _after_ramp_up
    from csresearch.tables import points_before_decisions

    points = points_before_decisions(synth, range(-12, 0))
    kept = _after_ramp_up(synth, points, grace_days=30, ramp_up_days=90)
    known = _resolved_on(synth.onboarding, 30).reindex(points["account_id"]).to_numpy()
    expected = (points["as_of"].to_numpy() - np.timedelta64(90, "D")) >= known  # NaT compares False
    assert 0 < (~kept).sum() < len(points)
    np.testing.assert_array_equal(kept, expected)


def test_churned_accounts_findings_on_a_synthetic_dataset(synth):
    import jsonschema

    from csresearch.jsonsafe import json_safe
    from csresearch.report.findings import findings_schema
    from csresearch.study.churn import decision_trajectories, trajectories_findings

    res = decision_trajectories(synth, n_boot=100)
    section = trajectories_findings(res)
    assert section["n_matched_pairs"] > 0 and section["n_points_ramp_up"] > 0
    kinds = {f: r["kind"] for f, r in section["separation"].items()}
    assert set(kinds.values()) <= {KIND_TRIGGER, KIND_BASELINE, KIND_NONE}
    assert set(section["first_components"]) <= {f for f, k in kinds.items() if k == KIND_TRIGGER}
    for feat, r in section["separation"].items():
        assert (r["first_month"] is None) == (kinds[feat] == KIND_NONE)
        assert (r["first_month_interval"]["estimate"] is None) == (r["first_month"] is None)
    root = findings_schema()
    validator = jsonschema.Draft202012Validator({"$defs": root["$defs"], **root["properties"]["churned_accounts"]})
    validator.validate(json_safe(section))
    assert list(validator.iter_errors({**json_safe(section), "separation": {"x": {"kind": "first"}}}))
