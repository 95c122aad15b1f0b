"""A suite run loads its dataset once: the kernels share the loaded tables through the run's cache folder."""

import pandas as pd

from csresearch.dataset import load_dataset
from csresearch.study.common import load_study_dataset, shared_dataset
from csresearch.usage_cache import CACHE_ENV


def _data(tmp_path):
    """A small generated dataset folder."""
    from csresearch.synth import generate_dataset

    return generate_dataset(n_accounts=200, seed=3).write(tmp_path / "data")


def _tables(ds):
    return {name: getattr(ds, name) for name in ("accounts", "contracts", "onboarding", "usage_monthly", "engagement", "roi")}


def test_shared_dataset_is_loaded_once_and_equals_a_fresh_load(tmp_path, monkeypatch):
    data = _data(tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv(CACHE_ENV, str(cache))
    first = shared_dataset(data)
    assert len(list(cache.glob("dataset-*.pickle"))) == 1
    second = shared_dataset(data)
    fresh = load_dataset(data)
    for name, table in _tables(fresh).items():
        if table is None:
            assert _tables(second)[name] is None
            continue
        pd.testing.assert_frame_equal(_tables(second)[name], table)
        pd.testing.assert_frame_equal(_tables(first)[name], table)
    as_of = fresh.extracted_at - pd.Timedelta(days=400)
    pd.testing.assert_frame_equal(load_study_dataset(data, as_of).contracts, fresh.as_of(as_of).contracts)
    # a changed file is a different dataset: loaded again, not served from the cache
    (data / "roi.csv").write_text((data / "roi.csv").read_text())
    shared_dataset(data)
    assert len(list(cache.glob("dataset-*.pickle"))) == 2


def test_without_a_run_cache_nothing_is_stored(tmp_path, monkeypatch):
    data = _data(tmp_path)
    monkeypatch.delenv(CACHE_ENV, raising=False)
    before = sorted(tmp_path.rglob("*"))
    assert shared_dataset(data).accounts is not None
    assert sorted(tmp_path.rglob("*")) == before
