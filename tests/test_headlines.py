"""Headline sentences on index.html are generated from findings.json."""

from __future__ import annotations

from csresearch.report.headlines import headline_sentences


def _iv(est, lo, hi):
    return {"slope_per_year": {"estimate": est, "ci_low": lo, "ci_high": hi}}


def test_continuing_trends_call_out_features_moving_against_the_score():
    findings = {"continuing_trends": {
        "health_score": _iv(1.7, 1.4, 2.0),
        "seat_utilisation_3m": _iv(0.03, 0.02, 0.04),
        "quota_consumption": _iv(-0.025, -0.035, -0.014),
        "nps_last": _iv(-0.01, -0.05, 0.03),  # interval includes 0: not "against"
    }}
    (heading, sentences), = [h for h in headline_sentences(findings) if h[0].startswith("Continuing")]
    assert sentences[0].startswith("Among accounts that never churned, the health score changes by +1.7")
    assert sentences[1].startswith("Moving against the score: Quota consumption (this term) -2.5 points")
    assert "NPS" not in sentences[1] and "Seat utilisation" not in sentences[1]
    assert "Seat utilisation (last 3 months) +3.0 points" in sentences[2]
