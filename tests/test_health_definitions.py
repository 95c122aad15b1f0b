"""Health definitions: Box 50/80 and worst-of against hand computations, rule logic, validation, side-by-side ranking."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from csresearch import Dataset
from csresearch.analysis.association import rank_auc
from csresearch.analysis.score_comparison import compare_aucs, compare_rank_correlations
from csresearch.errors import InputError
from csresearch.features import build_features
from csresearch.health import box_50_80_path, health_definitions, load_definition


def _box_dataset() -> Dataset:
    """Four accounts, one term each (10 seats, 2024), usage January-June 2024 as listed (d: no usage rows)."""
    ids = ["a", "b", "c", "d"]
    accounts = pd.DataFrame({"account_id": ids, "segment": "smb", "signup_date": "2024-01-01", "touch_model": None,
                             "industry": None, "employees": None})
    contracts = pd.DataFrame({"account_id": ids, "term_start": "2024-01-01", "term_end": "2025-01-01", "seats": 10,
                              "quota": None, "outcome": "open", "arr": 1000.0})
    active = {"a": [9, 6, 6, 6, 6, 6], "b": [6, 6, 6, 6, 6, 6], "c": [9, 9, 9, 4, 5, 6]}
    usage = pd.concat([pd.DataFrame({"account_id": k, "month": pd.date_range("2024-01-01", periods=6, freq="MS"),
                                     "active_users": v, "events": 10, "features_used": 2, "quota_used": 0.0})
                       for k, v in active.items()])
    return Dataset.from_tables({"accounts": accounts, "contracts": contracts, "usage_monthly": usage},
                               extracted_at="2024-06-30")


def test_box_50_80_matches_a_hand_computation():
    features = build_features(_box_dataset(), "2024-06-30")
    # by hand: active = mean(Apr..Jun) / 10 seats; deployed = the peak month since January / 10 seats
    hand_active = {"a": 0.6, "b": 0.6, "c": 0.5, "d": 0.0}
    hand_deployed = {"a": 0.9, "b": 0.6, "c": 0.9, "d": 0.0}
    np.testing.assert_allclose(features["seat_utilisation_3m"].to_numpy(), list(hand_active.values()))
    np.testing.assert_allclose(features["seat_deployment_term"].to_numpy(), list(hand_deployed.values()))
    healthy = {k: 100.0 * (hand_active[k] > 0.5 and hand_deployed[k] > 0.8) for k in hand_active}
    box = next(d for d in health_definitions() if d.name == "box_50_80")
    assert box.kind == "rule" and box.features() == ["seat_utilisation_3m", "seat_deployment_term"]
    np.testing.assert_array_equal(box.score(features), list(healthy.values()))  # only a: c's 50% is not "more than"
    assert list(healthy.values()) == [100.0, 0.0, 0.0, 0.0]


WORST = {
    "name": "weakest",
    "combine": "worst_of",
    "component_weights": {"deployment": 1, "engagement": 1, "adoption": 0, "roi": 0},
    "features": {
        "seat_utilisation_3m": {"direction": "higher", "linear": {"low": 0.0, "high": 1.0}},
        "nps_last": {"direction": "higher", "bands": {"cuts": [7, 9], "scores": [0, 50, 100]}},
        "roi_reported": {"component": "roi", "direction": "higher", "bands": {"cuts": [0.5], "scores": [0, 100]}},
    },
}


def test_worst_of_matches_a_hand_computation():
    X = pd.DataFrame({"seat_utilisation_3m": [0.8, 0.3, np.nan, np.nan, 0.6],
                      "nps_last": [5, 10, 9, np.nan, 8], "roi_reported": [0, 0, 0, 0, 1]})
    weakest = load_definition(WORST)
    # deployment = 100 x utilisation, engagement = NPS band; roi has weight 0 and never counts
    hand = [min(80, 0), min(30, 100), 100, np.nan, min(60, 50)]
    assert weakest.kind == "worst_of"
    np.testing.assert_allclose(weakest.score(X), hand)
    mean = load_definition({**WORST, "combine": "weighted_mean", "name": "mean"})
    np.testing.assert_allclose(mean.score(X), [40, 65, 100, np.nan, 55])


def test_builtin_worst_of_is_the_lowest_dear_component():
    from csresearch.health import HealthScore

    X = build_features(_box_dataset(), "2024-06-30")
    comps = HealthScore().transform(X)[["health_deployment", "health_engagement", "health_adoption", "health_roi"]]
    worst = next(d for d in health_definitions() if d.name == "dear_worst_of")
    np.testing.assert_allclose(worst.score(X), comps.min(axis=1).to_numpy())


def test_boolean_rules_use_three_valued_logic():
    rule = load_definition({"name": "r", "rule": {"any": [
        {"nps_last": {"at_least": 9}},
        {"not": {"support_tickets_6m": {"above": 5}}},
        {"all": [{"seat_utilisation_3m": {"at_least": 0.4, "at_most": 0.6}}, {"setup_done": {"above": 0.5}}]},
    ]}})
    X = pd.DataFrame({"nps_last": [9, 3, np.nan, 3, np.nan], "support_tickets_6m": [9, 9, 9, 2, 9],
                      "seat_utilisation_3m": [0.1, 0.5, 0.5, 0.9, np.nan], "setup_done": [0, 1, 0, 0, 0]})
    # row 0: promoter -> healthy; 1: util in band and setup -> healthy; 2: nps unknown, others false -> unknown;
    # 3: few tickets -> healthy; 4: nps unknown, tickets false, all(...) false because setup is 0 -> unknown
    np.testing.assert_array_equal(rule.score(X), [100, 100, np.nan, 100, np.nan])
    assert "not (support_tickets_6m > 5)" in rule.describe()


def test_every_problem_of_a_rule_file_is_reported_at_once(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("name: bad\ncolour: red\nrule:\n  all:\n    - seat_utilisation_3m: {over: 0.5}\n"
                    "    - made_up_feature: {above: 1}\n    - nps_last: {above: high}\n  any: []\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_definition(path)
    text = str(err.value)
    assert "bad.yml" in text and "problems" in text
    for key in ("colour", "rule: a condition is a mapping with exactly one key"):
        assert key in text


def test_every_problem_of_a_definition_is_listed_with_its_key():
    raw = {"name": "x", "rule": {"all": [{"seat_utilisation_3m": {"over": 0.5}}, {"made_up_feature": {"above": 1}},
                                         {"nps_last": {"above": "high"}}, {"not": []}]}}
    with pytest.raises(InputError) as err:
        load_definition(raw)
    text = str(err.value)
    for key in ("rule.all[0].seat_utilisation_3m.over", "rule.all[1].made_up_feature", "rule.all[2].nps_last.above",
                "rule.all[3].not"):
        assert key in text, key
    assert "4 problems" in text
    with pytest.raises(InputError) as err:
        load_definition({"component_weights": {"deployment": 1, "bogus": 1}, "combine": "max",
                         "features": {"nps_last": {"weight": -1, "linear": {"low": 0, "high": 1}}, "x": {}}})
    text = str(err.value)
    for key in ("component_weights.bogus", "combine", "features.nps_last.weight", "features.x"):
        assert key in text, key


def test_builtins_ship_and_names_must_be_distinct():
    assert box_50_80_path().is_file()
    assert [d.name for d in health_definitions()] == ["dear", "dear_worst_of", "box_50_80"]
    with pytest.raises(InputError, match="distinct"):
        health_definitions(extra=[box_50_80_path()])


def test_score_comparison_equals_separate_aucs_and_pairs_the_resamples():
    rng = np.random.default_rng(1)
    n = 600
    groups = rng.integers(0, 200, n)
    y = (rng.random(n) < 0.7).astype(int)
    scores = {"strong": y + rng.normal(0, 0.7, n), "weak": 0.2 * y + rng.normal(0, 1, n),
              "rule": 100.0 * (y + rng.normal(0, 0.7, n) > 0.5)}
    cmp = compare_aucs(y, scores, groups=groups, reference="weak", n_boot=300, seed=3)
    for name, s in scores.items():  # independent computation of each AUC
        assert cmp.estimates[name].estimate == pytest.approx(rank_auc(y, s))
    assert cmp.ranking()[0] == "strong"
    diff = cmp.vs_reference["strong"]
    assert diff.estimate == pytest.approx(rank_auc(y, scores["strong"]) - rank_auc(y, scores["weak"]))
    assert diff.ci_low > 0
    # pairing: the paired interval is narrower than one combining two independent intervals
    s, w = cmp.estimates["strong"], cmp.estimates["weak"]
    assert diff.ci_high - diff.ci_low < np.hypot(s.ci_high - s.ci_low, w.ci_high - w.ci_low)
    rho = compare_rank_correlations(np.arange(n), {"a": np.arange(n) + rng.normal(0, 50, n), "b": rng.random(n)},
                                    n_boot=200)
    assert rho.ranking() == ["a", "b"] and rho.vs_best["b"].ci_high < 0


PLANTED = {  # churn driven by latent health (seat utilisation) and executive engagement only
    "churn_intercept": -3.0,
    "churn_coef": {"quota_consumption": 0.0, "health": -1.2, "satisfaction": 0.0, "exec_engagement": -1.0,
                   "support_load": 0.0, "smb": 0.0},
}


def test_definition_on_the_planted_drivers_ranks_above_one_on_noise():
    from csresearch.synth import generate_dataset
    from csresearch.tables import decision_table

    decisions = decision_table(generate_dataset(1500, seed=5, scenario=PLANTED).to_dataset())
    planted = {"name": "planted", "component_weights": {"deployment": 1, "engagement": 1},
               "features": {"seat_utilisation_3m": {"linear": {"low": 0.2, "high": 0.9}},
                            "exec_meetings_12m": {"bands": {"cuts": [1, 2, 4]}}}}
    noise = {"name": "noise", "component_weights": {"engagement": 1},
             "features": {"support_tickets_6m": {"direction": "lower", "linear": {"low": 0, "high": 10}}}}
    defs = {d.name: d for d in health_definitions(extra=[planted, noise])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = {name: defs[name].score(decisions) for name in ("planted", "noise")}
    frame = decisions.reset_index()
    cmp = compare_aucs(1 - frame["churned"], scores, groups=frame["account_id"], reference="noise", n_boot=300)
    assert cmp.ranking() == ["planted", "noise"]
    assert cmp.vs_reference["planted"].ci_low > 0, cmp.summary


def test_runner_resolves_checks_and_hides_definition_paths(tmp_path):
    from csresearch.errors import ParameterError
    from csresearch.runner.plan import _definition_files, shareable

    mine = tmp_path / "mine.yml"
    mine.write_text("name: mine\nrule:\n  seat_utilisation_3m: {above: 0.3}\n", encoding="utf-8")
    resolved = _definition_files(f"{mine} , {box_50_80_path()}")
    assert resolved.split(",") == [str(mine.resolve()), str(box_50_80_path().resolve())]
    assert shareable({"definitions": resolved})["definitions"] == "mine.yml,box_50_80.yml"
    with pytest.raises(ParameterError, match="not found"):
        _definition_files(str(tmp_path / "absent.yml"))
    bad = tmp_path / "bad.yml"
    bad.write_text("name: bad\nrule:\n  seat_utilisation_3m: {over: 0.3}\n", encoding="utf-8")
    with pytest.raises(InputError, match="over"):
        _definition_files(str(bad))


def test_missing_unhealthy_counts_an_unknown_rule_as_unhealthy():
    raw = {"name": "sponsor", "rule": {"any": [{"exec_meetings_12m": {"at_least": 1}}, {"nps_last": {"at_least": 9}}]}}
    X = pd.DataFrame({"exec_meetings_12m": [0, 0, 2, 0], "nps_last": [np.nan, 10, np.nan, 3]})
    np.testing.assert_array_equal(load_definition(raw).score(X), [np.nan, 100, 100, 0])
    np.testing.assert_array_equal(load_definition({**raw, "missing": "unhealthy"}).score(X), [0, 100, 100, 0])
    assert load_definition(raw).label == "Sponsor"
    with pytest.raises(InputError, match="missing: must be one of unknown, unhealthy"):
        load_definition({**raw, "missing": "healthy"})
