"""The executive summary: verdicts follow the intervals, actions trace to their numbers, the index shows both verbatim."""

from __future__ import annotations

import html
import re

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from csresearch import answers, summary_figures  # noqa: E402
from csresearch.report.findings import merge_findings, validate_findings  # noqa: E402
from csresearch.report.index import render_index  # noqa: E402
from csresearch.report.summary import build_actions, build_summary  # noqa: E402
from csresearch.study.protocol import answer_steps  # noqa: E402
from csresearch.study.suppression import segment_findings  # noqa: E402


def iv(estimate, low, high):
    return {"estimate": estimate, "ci_low": low, "ci_high": high, "n": 100, "method": "test"}


def onboarding_churn(rd, failed=0.10, succeeded=0.08):
    return {"horizon_years": 3, "churn_failed": iv(failed, failed - 0.02, failed + 0.02),
            "churn_succeeded": iv(succeeded, succeeded - 0.01, succeeded + 0.01),
            "risk_difference": iv(*rd), "risk_difference_adjusted": iv(*rd),
            "confounders": ["segment", "log_seats"],
            "by_segment": {"smb": {"n_failed": 40, "n_succeeded": 200, "churn_failed": iv(0.12, 0.08, 0.2),
                                   "churn_succeeded": iv(0.09, 0.07, 0.12)},
                           "tiny": {"suppressed": "fewer than 5 accounts in a group"}}}


def onboarding_health(rr=(2.0, 1.7, 2.3)):
    return {"months_after": 12, "unhealthy_threshold": 40, "unhealthy_risk_ratio": iv(*rr),
            "unhealthy_share_failed": iv(0.30, 0.27, 0.34), "unhealthy_share_succeeded": iv(0.15, 0.13, 0.17)}


KPIS = [{"feature": "seat_utilisation_3m", "direction": "above", "threshold": 0.5,
         "threshold_interval": iv(0.5, 0.46, 0.54), "accounts_below_now": 312, "arr_below_now": 41_200_000,
         "churn_rate_below": 0.12, "churn_rate_above": 0.03}]

FINDINGS_SECTIONS = {
    "data_audit": {"churn_rate_per_decision": iv(0.03, 0.026, 0.034)},
    "onboarding_vs_churn": onboarding_churn((0.005, -0.026, 0.042)),
    "onboarding_vs_health": onboarding_health(),
    "health_validity": {"auc_next_renewal": iv(0.72, 0.69, 0.76), "tenure_spearman": iv(0.17, 0.15, 0.19)},
    "continuing_trends": {"health_score": {"slope_per_year": iv(1.7, 1.4, 2.0)},
                          "quota_consumption": {"slope_per_year": iv(-0.027, -0.037, -0.016)}},
    "churned_accounts": {"first_components": ["community_events_12m"],
                         "separation": {"community_events_12m": {"kind": "trigger", "first_month": -8,
                                                                 "first_month_interval": iv(-8, -11, -1)},
                                        "health_deployment": {"kind": "baseline difference", "first_month": -12}}},
    "churn_factors": {"ranking": ["quota_consumption", "onboarding_days"], "cv_auc": iv(0.76, 0.73, 0.8),
                      "odds_ratios": {"quota_consumption": {**iv(0.24, 0.15, 0.39), "q_value": 1e-7}}},
    "kpis": KPIS,
    "retention": {"window_months": 12, "grr": iv(0.97, 0.955, 0.982), "nrr": iv(1.057, 1.039, 1.071),
                  "logo_retention": iv(0.968, 0.961, 0.974), "arr_lost_churn": 3_200_000, "arr_lost_contraction": 0.0,
                  "by_segment": {"smb": {"n_accounts": 900, "grr": iv(0.972, 0.95, 0.99), "nrr": iv(1.054, 1.03, 1.08)},
                                 "tiny": {"suppressed": True, "reason": "fewer than 5 accounts"}}},
}


def merged(sections=FINDINGS_SECTIONS, missing=None):
    return merge_findings(sections, dataset={"name": "t", "extracted_at": "2025-06-30", "n_accounts": 300,
                                             "fingerprint": "f"}, parameters={"seed": 0}, missing_sections=missing)


@pytest.mark.parametrize("rd, verdict, word", [((0.005, -0.026, 0.042), answers.NONE, "Not detectably"),
                                               ((0.05, 0.02, 0.08), answers.CLEAR, "Yes"),
                                               ((-0.05, -0.08, -0.01), answers.CLEAR, "No")])
def test_onboarding_churn_verdict_follows_the_interval(rd, verdict, word):
    line = answers.onboarding_churn_answer(onboarding_churn(rd), FINDINGS_SECTIONS["data_audit"])
    assert line["verdict"] == verdict
    assert line["answer"].startswith(word)
    low, high = (f"{100 * v:+.1f}" for v in rd[1:])
    assert f"between {low} and {high} points" in line["answer"]
    assert "segment, seats" in line["answer"]  # confounders by their human names
    assert "3.0% of renewal decisions" in line["note"] and "within 3 years" in line["note"]


def test_unhealthy_verdict_and_no_effect_wording():
    clear = answers.onboarding_health_answer(onboarding_health())
    assert clear["verdict"] == answers.CLEAR and "2.00 times as often unhealthy (between 1.70 and 2.30 times)" in clear["answer"]
    assert "30.0%" in clear["answer"] and "15.1%" not in clear["answer"] and "15.0%" in clear["answer"]
    none = answers.onboarding_health_answer(onboarding_health((1.1, 0.9, 1.3)))
    assert none["verdict"] == answers.NONE and none["answer"].startswith("Not detectably")


def test_missing_or_uncomputable_section_says_not_enough_data_and_why():
    doc = merged({k: v for k, v in FINDINGS_SECTIONS.items() if k != "churn_factors"} |
                 {"health_validity": {"reason": "fewer than 20 renewals decided"}},
                 missing={"churn_factors": "notebook 06_churn_factors_kpis failed: ValueError"})
    by = {line["section"]: line for line in doc["summary"]}
    assert by["churn_factors"]["verdict"] == answers.NOT_ENOUGH
    assert "06_churn_factors_kpis failed" in by["churn_factors"]["answer"]
    assert by["health_validity"]["verdict"] == answers.NOT_ENOUGH
    assert "fewer than 20 renewals decided" in by["health_validity"]["answer"]


def test_summary_has_one_line_per_answering_step_and_validates():
    doc = merged()
    assert [line["section"] for line in doc["summary"]] == [s.name for s in answer_steps()]
    assert {"churned_accounts", "onboarding_vs_churn", "churn_factors", "retention"} <= {line["section"] for line in doc["summary"]}
    assert all(line["verdict"] in answers.VERDICTS and line["answer"] for line in doc["summary"])
    def errors(d):
        return [e for e in validate_findings(d) if "summary" in e or "actions" in e]

    assert errors(doc) == []
    bad = dict(doc, summary=[{"question": "q", "section": "s", "verdict": "maybe", "answer": "a"}])
    assert errors(bad) and "summary" in errors(bad)[0]


def test_actions_trace_to_their_section_and_numbers():
    actions = build_actions(merged())
    kpi = [a for a in actions if a["because"]["section"] == "kpis"]
    assert len(kpi) == 1
    assert kpi[0]["because"]["accounts_below_now"] == 312 and kpi[0]["because"]["arr_below_now"] == 41_200_000
    assert "Seat utilisation (last 3 months) >= 50.0%" in kpi[0]["action"] and "312 accounts (ARR 41.2M)" in kpi[0]["action"]
    onboarding = [a for a in actions if a["because"]["section"] == "onboarding_vs_health"]
    assert onboarding and onboarding[0]["because"]["also"]["section"] == "onboarding_vs_churn"
    assert "not in re-onboarding" in onboarding[0]["action"]
    alert = [a for a in actions if a["because"]["section"] == "churned_accounts"]
    assert alert and alert[0]["because"]["first_month"] == -8


def test_onboarding_that_raises_churn_gives_the_fix_onboarding_action():
    sections = dict(FINDINGS_SECTIONS, onboarding_vs_churn=onboarding_churn((0.05, 0.02, 0.08)))
    actions = [a["action"] for a in build_actions(merged(sections))]
    assert any(a.startswith("Fix onboarding first") for a in actions)
    assert not any("not in re-onboarding" in a for a in actions)


def test_no_action_without_evidence():
    sections = dict(FINDINGS_SECTIONS, kpis=[], onboarding_vs_health=onboarding_health((1.1, 0.9, 1.3)),
                    health_validity={"auc_next_renewal": iv(0.6, 0.55, 0.65)},
                    churned_accounts={"first_components": [], "separation": {}},
                    retention=dict(FINDINGS_SECTIONS["retention"], arr_lost_churn=2e6, arr_lost_contraction=1.5e6))
    assert build_actions(merged(sections)) == []


def _visible_text(page: str) -> str:
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_index_shows_every_answer_and_action_verbatim_and_the_segment_view():
    doc = merged()
    page = render_index(doc, {"table_rows": {}}, [{"name": "01_onboarding_vs_churn", "status": "ok",
                                                    "href": "01_onboarding_vs_churn.html"}])
    text = _visible_text(page)
    for line in doc["summary"]:
        assert line["answer"] in text, line["answer"]
        assert line["verdict"] in text
    for action in doc["actions"]:
        assert action["action"] in text, action["action"]
    assert "By segment" in text and "withheld (small group)" in text and "12.0% / 9.0%" in text
    assert "97.2% / 105.4%" in text  # retention by segment
    assert page.count("data:image/png;base64,") >= 4
    assert 'href="01_onboarding_vs_churn.html"' in page


def test_index_without_summary_in_findings_builds_the_same_lines():
    doc = merged()
    bare = {k: v for k, v in doc.items() if k not in ("summary", "actions")}
    assert build_summary(bare) == doc["summary"] and build_actions(bare) == doc["actions"]


def test_segment_findings_withhold_small_groups_unless_ids_are_included():
    groups = {"a": {"n_failed": 3, "n_succeeded": 50, "rate": 0.5}, "b": {"n_failed": 10, "n_succeeded": 10, "rate": 0.1}}
    out = segment_findings(groups, ("n_failed", "n_succeeded"), 5)
    assert out["a"] == {"suppressed": "fewer than 5 accounts in a group"} and out["b"]["rate"] == 0.1
    assert segment_findings(groups, ("n_failed", "n_succeeded"), 5, include_ids=True)["a"]["n_failed"] == 3


@pytest.mark.parametrize("make, section", [
    (summary_figures.onboarding_churn_figure, FINDINGS_SECTIONS["onboarding_vs_churn"]),
    (summary_figures.onboarding_health_figure, FINDINGS_SECTIONS["onboarding_vs_health"]),
    (summary_figures.churned_accounts_figure, FINDINGS_SECTIONS["churned_accounts"]),
    (summary_figures.churn_factors_figure, FINDINGS_SECTIONS["churn_factors"]),
    (summary_figures.retention_figure, FINDINGS_SECTIONS["retention"]),
])
def test_summary_figures_fit_the_page_with_text_as_large_as_the_body(make, section):
    ax = make(section)
    fig = ax.figure
    width_px = fig.get_size_inches()[0] * fig.dpi
    assert width_px <= 984 / 2 + 10  # beside the answer on a 984 px column
    fig.canvas.draw()
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip() and t.get_visible()]
    assert texts
    body_px = 15
    assert min(t.get_fontsize() * fig.dpi / 72 for t in texts) >= body_px
    plt.close(fig)


def test_figure_functions_draw_nothing_from_nothing():
    assert summary_figures.onboarding_churn_figure({"reason": "x"}) is None
    assert summary_figures.churn_factors_figure(None) is None


@pytest.mark.parametrize("nrr, verdict, word", [((1.057, 1.039, 1.071), answers.CLEAR, "growing"),
                                                ((0.93, 0.91, 0.95), answers.CLEAR, "shrinking"),
                                                ((1.01, 0.98, 1.04), answers.NONE, "flat")])
def test_retention_verdict_follows_net_revenue_retention(nrr, verdict, word):
    section = dict(FINDINGS_SECTIONS["retention"], nrr=iv(*nrr))
    line = answers.retention_answer(section)
    assert line["verdict"] == verdict and word in line["answer"]
    assert f"{100 * nrr[0]:.1f}%" in line["answer"] and "97.0%" in line["answer"] and "96.8%" in line["answer"]


def test_retention_action_names_where_the_arr_went():
    churn_heavy = answers.retention_actions(FINDINGS_SECTIONS["retention"])
    assert churn_heavy and "3.2M" in churn_heavy[0]["action"] and "none to down-sells" in churn_heavy[0]["action"]
    down = answers.retention_actions(dict(FINDINGS_SECTIONS["retention"], arr_lost_churn=1e6, arr_lost_contraction=5e6))
    assert down[0]["action"].startswith("Work on down-sells")
    assert answers.retention_actions(dict(FINDINGS_SECTIONS["retention"], arr_lost_churn=2e6, arr_lost_contraction=1.5e6)) == []
