"""Human names for features: every canonical feature has one, unknown names become words."""

from csresearch.contract import CANONICAL_FEATURES, HEALTH_COLUMNS
from csresearch.display import display_name, unit_of


def test_every_canonical_feature_and_component_has_a_human_name():
    for name in (*CANONICAL_FEATURES, *HEALTH_COLUMNS):
        shown = display_name(name)
        assert "_" not in shown and shown != name, name


def test_unknown_names_become_words_with_their_window():
    assert display_name("nps_avg_6m") == "Nps avg (last 6 months)"
    assert display_name("logins_delta_3m") == "Logins (change over 3 months)"
    assert display_name("plan") == "Plan"


def test_units_say_how_values_read():
    assert unit_of("seat_utilisation_3m") == "share"
    assert unit_of("quota_consumption_delta_3m") == "share_change"
    assert unit_of("health_score") == "score"
    assert unit_of("something_else") == "number"
