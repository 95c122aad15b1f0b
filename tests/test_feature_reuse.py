"""What the suite reuses to be fast must not change a number.

* :func:`csresearch.features.reuse_feature_contexts` (one feature context per
  dataset within a study context) gives the features a fresh context gives,
  never serves one dataset's state to another, and keeps no per-points state.
* ``ChurnFactorModel(explain=False)`` (the lead-time refits) ranks the factors
  and scores the model exactly as the full fit does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csresearch import load_dataset
from csresearch.analysis.churn_model import ChurnFactorModel
from csresearch.errors import AnalysisError
from csresearch.features import build_features, reuse_feature_contexts

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def sample():
    return load_dataset(SAMPLE)


def _points(ds, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    acc = ds.accounts.sample(n, random_state=seed, replace=True)
    days = rng.integers(0, 900, n)
    as_of = (pd.Timestamp(ds.extracted_at) - pd.to_timedelta(days, unit="D")).normalize()
    return pd.DataFrame({"account_id": acc["account_id"].astype("str").to_numpy(), "as_of": as_of})


def test_shared_context_gives_the_features_of_a_fresh_one(sample):
    first, second = _points(sample, 2000, 1), _points(sample, 1500, 2)
    fresh = [build_features(sample, first), build_features(sample, second)]
    store: dict = {}
    with reuse_feature_contexts(store):
        shared = [build_features(sample, first), build_features(sample, second), build_features(sample, first)]
    assert len(store) == 1  # one context served all three calls
    (context,) = store.values()
    assert not [k for k in context.cache if isinstance(k, tuple)]  # no per-points state kept between calls
    pd.testing.assert_frame_equal(shared[0], fresh[0])
    pd.testing.assert_frame_equal(shared[1], fresh[1])
    pd.testing.assert_frame_equal(shared[2], fresh[0])


def test_another_dataset_gets_its_own_context(sample):
    points = _points(sample, 500, 3)
    usage = sample.usage_monthly.copy()
    usage["active_users"] = 0  # a different dataset: every utilisation is 0
    other = type(sample).from_tables({**sample.tables, "usage_monthly": usage}, extracted_at=sample.extracted_at)
    store: dict = {}
    with reuse_feature_contexts(store):
        a = build_features(sample, points, features=["seat_utilisation_3m"])
        b = build_features(other, points, features=["seat_utilisation_3m"])
    assert len(store) == 2
    assert (a["seat_utilisation_3m"].fillna(0) > 0).any()
    assert (b["seat_utilisation_3m"].dropna() == 0).all()


def test_ranking_fit_equals_the_full_fit_on_what_it_keeps():
    rng = np.random.default_rng(5)
    n = 1500
    X = pd.DataFrame({"driver": rng.normal(0, 1, n), "weak": rng.normal(0, 1, n), "noise": rng.normal(0, 1, n)})
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 1.2 * X["driver"] - 0.4 * X["weak"])))).astype(int)
    groups = np.repeat(np.arange(n // 3), 3)
    params = {"n_boot": 40, "n_repeats": 2, "n_splits": 4, "n_kpis": 0, "rank_boot": 40, "random_state": 0}
    full = ChurnFactorModel(**params).fit(X, y, groups)
    light = ChurnFactorModel(explain=False, **params).fit(X, y, groups)
    assert light.result_.ranking == full.result_.ranking == ["driver", "weak", "noise"]
    assert light.result_.cv_auc.to_dict() == full.result_.cv_auc.to_dict()
    pd.testing.assert_frame_equal(light.result_.importance, full.result_.importance)
    assert light.result_.odds_ratios.empty and light.result_.calibration is None
    assert any("explain=False" in note for note in light.result_.notes)
    with pytest.raises(AnalysisError, match="explain=False"):
        light.predict_proba(X)
