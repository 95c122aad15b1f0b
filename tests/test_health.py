"""HealthScore and scorecards: known values, re-normalisation, monotonicity, validation, learned weights."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csresearch.contract import DEAR_AXIS
from csresearch.errors import AnalysisError, InputError, ParameterError
from csresearch.health import (
    HealthScore,
    MissingFeatureWarning,
    WeightComparison,
    default_scorecard_path,
    load_scorecard,
)

COMPONENT_COLUMNS = ["health_deployment", "health_engagement", "health_adoption", "health_roi"]

# deployment = 3 x seat utilisation + 1 x setup; adoption = quota; deployment 60 %, adoption 40 %
SMALL = {
    "name": "small",
    "component_weights": {"deployment": 60, "adoption": 40, "engagement": 0, "roi": 0},
    "features": {
        "seat_utilisation_3m": {"weight": 3, "direction": "higher", "linear": {"low": 0.0, "high": 1.0}},
        "setup_done": {"weight": 1, "direction": "higher", "bands": {"cuts": [0.5], "scores": [0, 100]}},
        "quota_consumption": {"weight": 1, "direction": "higher", "linear": {"low": 0.0, "high": 1.0}},
    },
}


@pytest.fixture(scope="session")
def default_card():
    return load_scorecard()


def _quiet(hs: HealthScore, X: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingFeatureWarning)
        return hs.transform(X)


# -- scoring rules -------------------------------------------------------------


def test_linear_rule_known_values_both_directions():
    card = load_scorecard({
        "component_weights": {"deployment": 1, "engagement": 1, "adoption": 0, "roi": 0},
        "features": {
            "seat_utilisation_3m": {"direction": "higher", "linear": {"low": 0.2, "high": 0.8}},
            "support_tickets_6m": {"direction": "lower", "linear": {"low": 2, "high": 10}},
        },
    })
    up = card.rules["seat_utilisation_3m"].score([0.1, 0.2, 0.5, 0.8, 1.3, np.nan])
    np.testing.assert_allclose(up, [0, 0, 50, 100, 100, np.nan])
    down = card.rules["support_tickets_6m"].score([0, 2, 4, 10, 30])
    np.testing.assert_allclose(down, [100, 100, 75, 0, 0])


def test_band_rule_known_values_cut_belongs_to_upper_band():
    card = load_scorecard({
        "component_weights": {"engagement": 1, "deployment": 0, "adoption": 0, "roi": 0},
        "features": {
            "nps_last": {"direction": "higher", "bands": {"cuts": [7, 9], "scores": [0, 40, 100]}},
            "support_tickets_6m": {"direction": "lower", "bands": {"cuts": [4, 8]}},
        },
    })
    np.testing.assert_allclose(card.rules["nps_last"].score([0, 6.9, 7, 8.99, 9, 10, np.nan]),
                               [0, 0, 40, 40, 100, 100, np.nan])
    # scores omitted: spread evenly 100, 50, 0 for lower-is-better
    np.testing.assert_allclose(card.rules["support_tickets_6m"].score([0, 4, 7, 8, 20]), [100, 50, 50, 0, 0])


# -- re-normalisation over what is present ------------------------------------------


def test_weights_renormalise_over_present_values_hand_computed():
    X = pd.DataFrame({
        "seat_utilisation_3m": [0.5, np.nan, np.nan, np.nan],
        "setup_done": [1, 1, np.nan, np.nan],
        "quota_consumption": [0.25, 0.25, 0.25, np.nan],
    }, index=pd.Index(["a", "b", "c", "d"], name="account_id"))
    out = HealthScore(SMALL).transform(X)
    # a: deployment (3*50 + 1*100)/4 = 62.5; score .6*62.5 + .4*25 = 47.5
    # b: utilisation missing -> deployment = setup only = 100 (not 25); score .6*100 + .4*25 = 70
    # c: deployment missing -> score = adoption = 25
    # d: nothing -> NaN
    np.testing.assert_allclose(out["health_deployment"], [62.5, 100, np.nan, np.nan])
    np.testing.assert_allclose(out["health_adoption"], [25, 25, 25, np.nan])
    np.testing.assert_allclose(out["health_score"], [47.5, 70, 25, np.nan])
    np.testing.assert_allclose(out["health_coverage"], [1.0, 0.6 * 0.25 + 0.4, 0.4, 0.0])
    assert out["health_engagement"].isna().all() and out["health_roi"].isna().all()
    assert list(out.index) == ["a", "b", "c", "d"]


def test_absent_feature_warns_and_is_not_scored_as_zero():
    X = pd.DataFrame({"seat_utilisation_3m": [1.0], "quota_consumption": [0.5]})
    hs = HealthScore(SMALL)
    assert hs.missing_features(X) == ["setup_done"]
    with pytest.warns(MissingFeatureWarning, match="setup_done"):
        out = hs.transform(X)
    assert out.loc[0, "health_deployment"] == pytest.approx(100.0)
    assert out.loc[0, "health_score"] == pytest.approx(0.6 * 100 + 0.4 * 50)
    assert out.loc[0, "health_coverage"] == pytest.approx(0.6 * 0.75 + 0.4)


def test_feature_scores_returned_on_request():
    X = pd.DataFrame({"seat_utilisation_3m": [0.3], "setup_done": [0], "quota_consumption": [2.0]})
    out = HealthScore(SMALL, return_feature_scores=True).transform(X)
    assert out.loc[0, "score_seat_utilisation_3m"] == pytest.approx(30)
    assert out.loc[0, "score_setup_done"] == 0
    assert out.loc[0, "score_quota_consumption"] == 100
    assert "score_seat_utilisation_3m" not in HealthScore(SMALL).transform(X).columns


def test_per_segment_override_applies_only_to_that_segment(default_card):
    X = pd.DataFrame({"seat_utilisation_3m": [0.7, 0.7, 0.7], "segment": ["smb", "enterprise", np.nan]})
    out = _quiet(HealthScore(default_card, return_feature_scores=True), X)
    smb = (0.7 - 0.3) / (0.9 - 0.3) * 100  # base rule: linear 0.3 -> 0, 0.9 -> 100
    ent = (0.7 - 0.25) / (0.8 - 0.25) * 100  # enterprise override: linear 0.25 -> 0, 0.8 -> 100
    np.testing.assert_allclose(out["score_seat_utilisation_3m"], [smb, ent, smb])
    no_segment = _quiet(HealthScore(default_card, return_feature_scores=True), X.drop(columns="segment"))
    np.testing.assert_allclose(no_segment["score_seat_utilisation_3m"], [smb] * 3)


def test_segment_component_weights_override():
    card = dict(SMALL, segments={"enterprise": {"component_weights": {"deployment": 0, "adoption": 1}}})
    X = pd.DataFrame({"seat_utilisation_3m": [1.0, 1.0], "setup_done": [1, 1], "quota_consumption": [0.5, 0.5],
                      "segment": pd.Categorical(["smb", "enterprise"])})
    out = HealthScore(card).transform(X)
    np.testing.assert_allclose(out["health_score"], [0.6 * 100 + 0.4 * 50, 50])


# -- monotonicity (property) -----------------------------------------------------------

_VALUE = st.one_of(st.none(), st.floats(min_value=-1, max_value=60, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(
    row=st.fixed_dictionaries({f: _VALUE for f in DEAR_AXIS}),
    feature=st.sampled_from(sorted(DEAR_AXIS)),
    step=st.floats(min_value=0, max_value=50, allow_nan=False),
)
def test_moving_a_feature_in_its_better_direction_never_lowers_component_or_score(default_card, row, feature, step):
    base = {f: (np.nan if v is None else v) for f, v in row.items()}
    if np.isnan(base[feature]):
        base[feature] = 0.0
    better = dict(base)
    sign = 1 if default_card.rules[feature].direction == "higher" else -1
    better[feature] = base[feature] + sign * step
    out = HealthScore(default_card).transform(pd.DataFrame([base, better]))
    comp = f"health_{default_card.rules[feature].component}"
    assert out[comp].iloc[1] >= out[comp].iloc[0] - 1e-9
    assert out["health_score"].iloc[1] >= out["health_score"].iloc[0] - 1e-9
    assert 0 <= out["health_score"].iloc[0] <= 100


# -- default scorecard ---------------------------------------------------------------


def test_default_scorecard_covers_every_dear_feature_and_ships(default_card):
    assert default_scorecard_path().is_file()
    assert set(default_card.rules) == set(DEAR_AXIS)
    assert all(default_card.rules[f].component == axis for f, axis in DEAR_AXIS.items())
    assert default_card.rules["support_tickets_6m"].direction == "lower"
    shares = default_card.to_frame()["share_of_score"]
    assert shares.sum() == pytest.approx(1.0)


def test_default_scorecard_healthy_vs_poor_profiles(default_card):
    healthy = {"seat_utilisation_3m": 0.75, "setup_done": 1, "seat_utilisation_delta_3m": 0.0,
               "quota_consumption": 0.9, "events_per_active_user_3m": 20, "features_used_3m": 6,
               "quota_consumption_delta_3m": 0.0, "exec_meetings_12m": 2, "email_open_rate_6m": 0.3,
               "community_events_12m": 1, "support_tickets_6m": 3, "nps_last": 8, "roi_reported": 0}
    poor = dict(healthy, seat_utilisation_3m=0.25, quota_consumption=0.3, seat_utilisation_delta_3m=-0.05,
                quota_consumption_delta_3m=-0.1, events_per_active_user_3m=8, features_used_3m=2)
    out = HealthScore(default_card).transform(pd.DataFrame([healthy, poor], index=["healthy", "poor"]))
    assert 60 <= out.loc["healthy", "health_score"] <= 75
    assert out.loc["poor", "health_score"] < 40
    assert (out["health_coverage"] == 1).all()


# -- scorecard validation ------------------------------------------------------------


def _with(path: str, value):
    card = {"component_weights": dict(SMALL["component_weights"]),
            "features": {k: dict(v) for k, v in SMALL["features"].items()}}
    target = card
    keys = path.split(".")
    for k in keys[:-1]:
        target = target[k]
    target[keys[-1]] = value
    return card


@pytest.mark.parametrize(
    "card, key",
    [
        (_with("features.seat_utilisation_3m.linear", {"low": 0.9, "high": 0.1}), "features.seat_utilisation_3m.linear"),
        (_with("features.setup_done.weight", -1), "features.setup_done.weight"),
        (_with("features.churn_magic", {"linear": {"low": 0, "high": 1}}), "features.churn_magic"),
        (_with("features.setup_done.component", "support"), "features.setup_done.component"),
        (_with("component_weights.support", 10), "component_weights.support"),
        (_with("component_weights.adoption", -5), "component_weights.adoption"),
        (_with("features.setup_done.direction", "up"), "features.setup_done.direction"),
        (_with("features.setup_done.bands", {"cuts": [0.5], "scores": [100, 0]}), "features.setup_done.bands.scores"),
        (_with("features.setup_done.bands", {"cuts": [3, 1]}), "features.setup_done.bands.cuts"),
        (_with("component_weights.roi", 10), "component_weights.roi"),  # weighted component without features
        (dict(SMALL, colour="red"), "colour"),
        (dict(SMALL, segments={"enterprise": {"features": {"quota_consumption": {"linear": {"low": 2, "high": 1}}}}}),
         "segments.enterprise.features.quota_consumption.linear"),
    ],
)
def test_malformed_scorecard_raises_input_error_naming_the_key(card, key):
    with pytest.raises(InputError, match=key.replace(".", r"\.")):
        load_scorecard(card)


def test_scorecard_yaml_file_errors(tmp_path):
    bad = tmp_path / "card.yml"
    bad.write_text("component_weights: {deployment: 1}\nfeatures:\n  seat_utilisation_3m: {linear: {low: 1, high: 0}}\n")
    with pytest.raises(InputError, match=r"card\.yml: features\.seat_utilisation_3m\.linear"):
        load_scorecard(bad)
    with pytest.raises(InputError, match="does not exist"):
        load_scorecard(tmp_path / "missing.yml")
    (tmp_path / "broken.yml").write_text("features: [\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_scorecard(tmp_path / "broken.yml")


@pytest.mark.filterwarnings("ignore::csresearch.health.MissingFeatureWarning")
def test_bad_inputs_to_transform():
    with pytest.raises(ParameterError):
        HealthScore(SMALL).transform(np.zeros((2, 3)))
    with pytest.raises(InputError, match="seat_utilisation_3m"):
        HealthScore(SMALL).transform(pd.DataFrame({"seat_utilisation_3m": ["high"], "setup_done": [1],
                                                   "quota_consumption": [0.1]}))
    with pytest.raises(ParameterError, match="fit"):
        HealthScore(SMALL, weights="learned").transform(pd.DataFrame({"setup_done": [1]}))
    with pytest.raises(ParameterError, match="expert"):
        HealthScore(SMALL, weights="best").transform(pd.DataFrame({"setup_done": [1]}))


# -- learning weights ------------------------------------------------------------------

# one identity-scored feature per component: component score = 100 x feature value
IDENTITY = {
    "component_weights": {"deployment": 1, "engagement": 1, "adoption": 1, "roi": 1},
    "features": {
        "seat_utilisation_3m": {"linear": {"low": 0, "high": 1}},
        "email_open_rate_6m": {"linear": {"low": 0, "high": 1}},
        "quota_consumption": {"linear": {"low": 0, "high": 1}},
        "nps_last": {"component": "roi", "linear": {"low": 0, "high": 1}},
    },
}


@pytest.fixture(scope="session")
def planted():
    """Churn depends on deployment and adoption only (adoption twice as strongly)."""
    rng = np.random.default_rng(7)
    n_accounts, per = 500, 2
    ids = np.repeat([f"acc{i:04d}" for i in range(n_accounts)], per)
    X = pd.DataFrame(rng.uniform(0, 1, (len(ids), 4)),
                     columns=["seat_utilisation_3m", "email_open_rate_6m", "quota_consumption", "nps_last"],
                     index=pd.Index(ids, name="account_id"))
    logit = 1.0 - 2.5 * X["seat_utilisation_3m"] - 5.0 * X["quota_consumption"]
    churned = rng.uniform(size=len(X)) < 1 / (1 + np.exp(-logit))
    hs = HealthScore(IDENTITY, n_boot=100).fit(X, churned)
    return X, churned, hs


def test_fit_returns_self_and_recovers_planted_drivers(planted):
    X, churned, hs = planted
    assert isinstance(hs, HealthScore)
    w = hs.learned_component_weights_
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all()
    assert w["deployment"] + w["adoption"] > 0.85
    assert w["adoption"] > w["deployment"] > max(w["engagement"], w["roi"])
    assert hs.coef_["adoption"] > 0 and hs.coef_["deployment"] > 0  # log-odds of renewal per point
    assert hs.n_groups_fit_ == 500 and hs.n_samples_fit_ == 1000


def test_weights_comparison_has_both_sets_and_aucs(planted):
    _, _, hs = planted
    table = hs.weights_comparison_
    assert list(table.columns) == ["expert", "learned"]
    np.testing.assert_allclose(table.loc[["deployment", "engagement", "adoption", "roi"], "expert"], 0.25)
    for name in ("expert", "learned"):
        auc = hs.cv_auc_[name]
        assert 0.5 < auc.estimate < 1 and auc.ci_low < auc.estimate < auc.ci_high
        assert table.loc["cv_auc", name] == pytest.approx(auc.estimate)
        assert auc.n == 500  # clusters = accounts
    # equal weights dilute the signal with two noise components: learned weights predict better
    assert hs.cv_auc_["learned"].estimate > hs.cv_auc_["expert"].estimate
    result = hs.compare_weights()
    assert isinstance(result, WeightComparison)
    assert "cross" in result.method.lower() or "cv" in result.method.lower()
    assert "<table" in result._repr_html_()
    assert set(result.to_findings()["cv_auc"]) == {"expert", "learned"}


def test_transform_with_learned_weights_uses_them(planted):
    X, churned, hs = planted
    learned = HealthScore(IDENTITY, weights="learned")
    for attr in ("learned_component_weights_", "scorecard_"):
        setattr(learned, attr, getattr(hs, attr))
    out = learned.transform(X.head(5))
    comps = out[COMPONENT_COLUMNS].to_numpy()
    expected = comps @ hs.learned_component_weights_.to_numpy()
    np.testing.assert_allclose(out["health_score"], expected)
    expert = HealthScore(IDENTITY).transform(X.head(5))
    np.testing.assert_allclose(expert["health_score"], comps.mean(axis=1))


def test_fit_needs_both_outcomes_and_valid_labels():
    X = pd.DataFrame({"seat_utilisation_3m": np.linspace(0, 1, 20), "email_open_rate_6m": 0.5,
                      "quota_consumption": 0.5, "nps_last": 0.5})
    with pytest.raises(AnalysisError, match="both"):
        HealthScore(IDENTITY).fit(X, np.zeros(20))
    with pytest.raises(InputError, match="missing"):
        HealthScore(IDENTITY).fit(X, [0, 1] * 9 + [np.nan, 1])
    with pytest.raises(ParameterError, match="rows"):
        HealthScore(IDENTITY).fit(X, [0, 1])


def test_score_never_exceeds_100_through_float_rounding(default_card):
    # found by the property test above: a weighted mean of 100s came out as 100.00000000000001
    row = {f: np.nan for f in DEAR_AXIS} | {"setup_done": 1.0, "roi_reported": 1.0}
    out = HealthScore(default_card).transform(pd.DataFrame([row]))
    assert out["health_score"].iloc[0] == 100.0
    assert out["health_deployment"].iloc[0] == 100.0


@pytest.mark.slow
def test_learned_weights_recover_the_generators_churn_drivers():
    # the generator drives churn mostly by quota consumption (adoption), then latent health H (read by
    # utilisation = deployment, and by events and features = adoption) and weakly by satisfaction (engagement);
    # roi carries no signal (docs/synthetic-data.md). Since issue 11 the usage decline before churn is a late
    # symptom of part of the churners only, so deployment no longer borrows strength from it.
    from csresearch.synth import generate_dataset
    from csresearch.tables import decision_table

    decisions = decision_table(generate_dataset(2500, seed=3).to_dataset())
    fitted = HealthScore(n_boot=50, random_state=0).fit(
        decisions, decisions["churned"], groups=decisions.index.get_level_values("account_id"))
    w = fitted.learned_component_weights_
    assert w["adoption"] == w.max() and w["adoption"] > 0.5, w
    assert w["adoption"] + w["deployment"] > w["engagement"] + w["roi"], w
    assert w["roi"] < 0.1, w
    assert fitted.weights_comparison_.loc["cv_auc", "learned"] > 0.7
