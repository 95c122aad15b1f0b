"""A dataset that ships raw events instead of usage_monthly gives the same features and health scores."""

from __future__ import annotations

import pandas as pd
import pytest

import csresearch
from csresearch.contract import CANONICAL_FEATURES, HEALTH_COLUMNS
from csresearch.synth import generate_dataset
from csresearch.tables import decision_table


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    data = generate_dataset(120, seed=5, with_events=True)
    with_usage = data.write(tmp_path_factory.mktemp("with_usage"), fmt="parquet")
    events_only = data.write(tmp_path_factory.mktemp("events_only"), fmt="parquet")
    (events_only / "usage_monthly.parquet").unlink()
    with_usage_no_events = with_usage / "events.parquet"
    if with_usage_no_events.exists():
        with_usage_no_events.unlink()
    return with_usage, events_only


def test_events_only_dataset_is_valid_and_builds_usage(folders):
    with_usage, events_only = folders
    ds = csresearch.load_dataset(events_only)
    assert ds.derived_tables == {"usage_monthly"}
    assert ds.validate().is_valid, ds.validate().format_text()
    reference = csresearch.load_dataset(with_usage).usage_monthly
    pd.testing.assert_frame_equal(ds.usage_monthly, reference)


def test_features_and_health_from_events_equal_those_from_usage(folders):
    with_usage, events_only = folders
    from_usage = decision_table(csresearch.load_dataset(with_usage))
    from_events = decision_table(csresearch.load_dataset(events_only))
    assert len(from_usage) > 50
    columns = [*CANONICAL_FEATURES, *HEALTH_COLUMNS]
    pd.testing.assert_frame_equal(from_events[columns], from_usage[columns])
    assert from_events["health_score"].notna().mean() > 0.9
