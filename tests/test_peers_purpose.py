"""Notebook 08: peer percentiles (hand-computed, as-of safe) and churn and health by purpose of purchase."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from csresearch import study
from csresearch.analysis.peers import peer_percentiles, percentile_churn, size_band
from csresearch.dataset import load_dataset
from csresearch.study.peers import peer_percentiles_at
from csresearch.synth import synthesize

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "src" / "csresearch" / "findings_schema.json").read_text())


def _validate(section: dict, name: str) -> None:
    jsonschema.validate(json.loads(json.dumps(section)), {**SCHEMA["properties"][name], "$defs": SCHEMA["$defs"]})


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("peers") / "data"
    synthesize(root, n_accounts=800, seed=5)
    return root


def test_size_bands_by_seats():
    assert size_band([1, 9, 10, 49, 50, 249, 250, 5000]).tolist() == [
        "1-9 seats", "1-9 seats", "10-49 seats", "10-49 seats", "50-249 seats", "50-249 seats", "250+ seats",
        "250+ seats"]


def test_percentile_matches_a_hand_computation_and_falls_back_to_the_segment():
    frame = pd.DataFrame({
        "as_of": "2024-01-01",
        "segment": ["smb"] * 6 + ["mid"] * 3,
        "size_band": ["1-9 seats"] * 4 + ["10-49 seats"] * 2 + ["10-49 seats"] * 3,
        "v": [10.0, 20.0, 20.0, 40.0, 5.0, 50.0, 1.0, 2.0, np.nan],
    })
    out = peer_percentiles(frame, ["v"], min_peers=3)
    # smb 1-9 seats (4 peers, 10 20 20 40): 10 -> (0 + 0.5)/4, 20 -> (1 + 1)/4, 40 -> (3 + 0.5)/4
    assert out["pct_v"].iloc[:4].tolist() == pytest.approx([12.5, 50.0, 50.0, 87.5])
    # smb 10-49 seats has 2 accounts < 3: the whole smb segment (10 20 20 40 5 50): 5 -> 0.5/6, 50 -> 5.5/6
    assert out["pct_v"].iloc[4:6].tolist() == pytest.approx([100 * 0.5 / 6, 100 * 5.5 / 6])
    assert out["peer_group"].iloc[4] == "segment" and out["peer_group"].iloc[0] == "segment and size band"
    # mid 10-49 seats: 3 rows, 2 values (1, 2): 1 -> 0.5/2, 2 -> 1.5/2; a missing value has none
    assert out["pct_v"].iloc[6:8].tolist() == pytest.approx([25.0, 75.0])
    assert np.isnan(out["pct_v"].iloc[8])


def test_peer_percentiles_use_only_data_known_at_the_date(data_dir):
    """Percentiles at d on the full dataset equal those on the dataset cut at d (nothing later leaks in)."""
    ds = load_dataset(data_dir)
    d = pd.Timestamp("2024-03-01")
    full = peer_percentiles_at(ds, d).set_index("account_id").sort_index()
    cut = peer_percentiles_at(ds.as_of(d), d).set_index("account_id").sort_index()
    assert len(full) > 100
    pd.testing.assert_frame_equal(full, cut, check_dtype=False, check_categorical=False)
    # and the percentile of the health score is the mid-rank among the same segment and size band
    peers = full[full["peer_group"] == "segment and size band"]
    row = peers.iloc[0]
    group = full[(full["segment"] == row["segment"]) & (full["size_band"] == row["size_band"])]["health_score"].dropna()
    expected = 100 * ((group < row["health_score"]).sum() + 0.5 * (group == row["health_score"]).sum()) / len(group)
    assert row["pct_health_score"] == pytest.approx(expected)


def test_percentile_churn_against_an_independent_count():
    rng = np.random.default_rng(0)
    pct = rng.uniform(0, 100, 2000)
    y = (rng.random(2000) < 0.2 - 0.0015 * pct).astype(int)
    groups = np.arange(2000) // 2
    r = percentile_churn(pct, y, groups)
    low = y[pct <= 25]
    assert r.summary.loc["0-25", "churn_rate"] == pytest.approx(low.mean())
    assert r.summary["n_decisions"].sum() == 2000
    iv = r.odds_ratio
    assert iv.ci_low < iv.estimate < iv.ci_high < 1  # churn falls with the percentile


def test_peer_step_on_generated_data(data_dir):
    ctx = study.open(data_dir, None, lead_days=90)
    peers = study.run("peer_benchmarks", ctx)
    section = peers.to_findings()
    _validate(section, "peer_benchmarks")
    hs = section["components"]["health_score"]
    assert hs["odds_ratio_per_10_points"]["ci_high"] < 1  # the planted health drives churn: trailing peers churn more
    assert "peer" in peers.story().lower()


def test_purpose_by_group_matches_a_direct_count(data_dir):
    ctx = study.open(data_dir, None, lead_days=90)
    result = study.run("adoption_purpose", ctx)
    section = result.to_findings()
    _validate(section, "adoption_purpose")
    from csresearch.study.lead_time import decision_rows

    table = decision_rows(ctx, 90)
    acc = ctx.ds.accounts.set_index(ctx.ds.accounts["account_id"].astype(str))["purpose"]
    purpose = acc.reindex(table["account_id"].astype(str)).to_numpy()
    sales = table["churned"].to_numpy()[purpose == "sales_enablement"]
    assert section["by_purpose"]["sales_enablement"]["churn_rate"]["estimate"] == pytest.approx(sales.mean())
    assert section["by_purpose"]["sales_enablement"]["n_decisions"] == len(sales)


def test_small_purposes_are_suppressed(data_dir, tmp_path):
    target = tmp_path / "data"
    target.mkdir()
    for f in data_dir.iterdir():
        (target / f.name).write_bytes(f.read_bytes())
    accounts = pd.read_csv(target / "accounts.csv", dtype=str)
    accounts.loc[accounts.index[:3], "purpose"] = "rare_reason"
    accounts.to_csv(target / "accounts.csv", index=False)
    section = study.run("adoption_purpose", study.open(target, None, lead_days=90)).to_findings()
    assert section["by_purpose"]["rare_reason"] == {"suppressed": True, "reason": "fewer than 5 accounts"}
    assert "rare_reason" not in json.dumps({k: v for k, v in section.items() if k != "by_purpose"})


def test_a_dataset_without_purpose_skips_that_part_with_a_reason(data_dir, tmp_path):
    target = tmp_path / "data"
    target.mkdir()
    for f in data_dir.iterdir():
        (target / f.name).write_bytes(f.read_bytes())
    accounts = pd.read_csv(target / "accounts.csv", dtype=str).drop(columns="purpose")
    accounts.to_csv(target / "accounts.csv", index=False)
    ds = load_dataset(target)
    assert ds.validate().is_valid  # the column is optional
    ctx = study.open(target, None, lead_days=90)
    result = study.run("adoption_purpose", ctx)
    assert not result
    assert "no purpose column" in result.to_findings()["reason"]
    _validate(result.to_findings(), "adoption_purpose")
    assert study.run("peer_benchmarks", ctx)  # the peer part still runs


def test_small_percentile_bands_are_suppressed(data_dir):
    from csresearch.study.peers import PeerBenchmarksStep

    ctx = study.open(data_dir, None, lead_days=90)
    peers = study.run("peer_benchmarks", ctx)
    shown = PeerBenchmarksStep(peers.step, study.open(data_dir, None, lead_days=90, min_group_size=10**6),
                               peers.results, peers.n_decisions, peers.n_with_percentile).to_findings()
    bands = shown["components"]["health_score"]["bands"]
    assert all(b == {"suppressed": True, "reason": f"fewer than {10**6} accounts"} for b in bands.values())
    _validate(shown, "peer_benchmarks")
