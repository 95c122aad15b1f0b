"""What a CS leader reads: number formats, report tables and figures sized for the page.

The formatters (csresearch.narrative), the table view (csresearch.study.view)
and the figure factory (csresearch.plots) are checked on known values; a small
generated study then draws every figure its notebooks draw and renders every
table they show, and each figure is checked for width and text size, each
table for raw values a reader should never see.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from csresearch import narrative, plots  # noqa: E402
from csresearch.analysis.results import Interval  # noqa: E402
from csresearch.study.view import INDEX, format_cell, interval_table, show_table, term_name  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parents[1] / "src" / "csresearch" / "notebooks"
#: What a reader must never see: Python's None/NaN, a dict repr, scientific notation.
RAW = re.compile(r"\bNone\b|\bNaN\b|\bnan\b|\{'|\d(?:\.\d+)?e[-+]?\d")


# --------------------------------------------------------------------------- number formats

@pytest.mark.parametrize("x, digits, signed, expected", [
    (4.336809e-19, 3, False, "0"),
    (4.7e-8, 3, False, "0"),
    (0.0009774, 3, False, "0.000977"),
    (0.025723, 3, False, "0.0257"),
    (-0.04444, 3, True, "-0.0444"),
    (2.0, 3, True, "+2"),
    (1.5, 3, False, "1.5"),
    (611437.2, 3, False, "611,437"),
    (-12345.6, 3, False, "-12,346"),
    (float("nan"), 3, False, "n/a"),
    (None, 3, False, "n/a"),
])
def test_fmt_number_never_uses_scientific_notation(x, digits, signed, expected):
    assert narrative.fmt_number(x, digits, signed=signed) == expected


@pytest.mark.parametrize("p, expected", [(4.3e-19, "< 0.001"), (0.000999, "< 0.001"), (0.001, "0.001"),
                                         (0.0031, "0.003"), (0.049, "0.05"), (0.2745, "0.27"), (1.0, "1.00"),
                                         (float("nan"), "n/a")])
def test_fmt_p(p, expected):
    assert narrative.fmt_p(p) == expected


def test_percentages_points_and_feature_units():
    assert narrative.fmt_pct(0.025723) == "2.6%"
    assert narrative.fmt_points(0.0213) == "+2.1 points" and narrative.fmt_points(-0.004) == "-0.4 points"
    assert narrative.fmt_value(0.504, "seat_utilisation_3m") == "50.4%"  # a share
    assert narrative.fmt_value(-0.0882, "seat_utilisation_3m", change=True, signed=True) == "-8.8 points"
    assert narrative.fmt_value(0.31, "roi_reported") == "31.0%"  # a 0/1 flag's mean is a share of accounts
    assert narrative.fmt_value(-0.03, "quota_consumption_delta_3m") == "-3.0 points"  # already a change of a share
    assert narrative.fmt_value(13.17, "events_per_active_user_3m") == "13.2"
    assert narrative.feature_name("seat_utilisation_3m") == "seat utilisation (last 3 months)"
    assert narrative.feature_name("roi_reported") == "ROI reported"  # an acronym keeps its capitals
    assert narrative.feature_name("health_roi") == "Health: ROI"


def test_how_to_read_explains_each_term_in_one_line():
    terms = {t for t, _ in narrative.HOW_TO_READ}
    assert {"95% interval (CI)", "Odds ratio", "q-value", "Percentage points"} <= terms
    assert all("\n" not in text and len(text) < 200 for _, text in narrative.HOW_TO_READ)


def test_report_page_shows_the_how_to_read_box():
    import nbformat

    from csresearch.report.notebook import render_notebook

    page = render_notebook(nbformat.v4.new_notebook(), title="01_x")
    assert "How to read this" in page
    for term, text in narrative.HOW_TO_READ:
        assert term in page


# --------------------------------------------------------------------------- tables

def test_format_cell_kinds():
    assert format_cell(0.025723, "share") == "2.6%"
    assert format_cell(0.0073, "points") == "+0.7 points"
    assert format_cell(4.336809e-19, "p") == "< 0.001"
    assert format_cell(10634, "count") == "10,634"
    assert format_cell(None, "share") == "" and format_cell(float("nan"), "number") == ""
    assert format_cell("<5", "count") == "<5"  # a suppression marker passes through
    assert format_cell("quota_consumption", "feature") == "Quota consumption (this term)"
    assert format_cell(0.66, "value", "seat_utilisation_3m") == "66.0%"
    assert format_cell(-0.07, "change", "seat_utilisation_3m") == "-7.0 points"
    assert format_cell(-8.7, "change", "health_score") == "-8.7"
    assert term_name("touch_model[high]") == "Touch model: high"
    with pytest.raises(ValueError, match="kind"):
        format_cell(1, "furlongs")


def test_show_table_has_no_index_no_none_and_whole_text():
    meaning = "terms with no quota: quota_consumption is null for them and the quota features are left out " * 2
    frame = pd.DataFrame({"rows": [4000, 3], "rate": [0.025723, None], "low": [0.013, None], "high": [0.0499, None],
                          "reason": [None, "too few decisions"], "meaning": [meaning, None]},
                         index=pd.Index(["accounts", "roi"], name="table"))
    table = show_table(frame, [("Table", INDEX, "text"), ("Rows", "rows", "count"),
                               ("Churn rate (95% CI)", ("rate", "low", "high"), "share"), ("Meaning", "meaning", "text")],
                       reason="reason")
    assert list(table.frame.columns) == ["Table", "Rows", "Churn rate (95% CI)", "Meaning"]
    # explanatory text is whole (never cut off) and names features by their human names
    human = meaning.replace("quota_consumption", "Quota consumption (this term)")
    assert table.frame.iloc[0].tolist() == ["accounts", "4,000", "2.6% (1.3% to 5.0%)", human]
    assert table.frame.iloc[1].tolist() == ["roi", "3", "not computable: too few decisions", ""]
    page = table._repr_html_()
    assert human in page
    assert not RAW.search(page)
    assert "<th></th>" not in page and "<th>table</th>" not in page  # no pandas index column
    assert 'class="text"' in page  # explanatory text is left-aligned and wraps


def test_interval_table_reads_each_row_in_its_unit():
    table = interval_table([("Churned, failed", Interval(0.0924, 0.0699, 0.1216, n=888), "share"),
                            ("Difference", Interval(0.0074, -0.022, 0.0368, n=3877), "points"),
                            ("Log-rank p", Interval(0.6, None, None), "p"),
                            ("Risk ratio", Interval.unavailable("no failed accounts"), "ratio")])
    assert table.frame["Estimate (95% CI)"].tolist() == [
        "9.2% (7.0% to 12.2%)", "+0.7 points (-2.2 to +3.7)", "0.60", "not computable: no failed accounts"]
    assert table.frame["Accounts"].tolist() == ["888", "3,877", "", ""]


# --------------------------------------------------------------------------- figures

def _texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def assert_fits_the_page(fig, what: str = "") -> None:
    """The figure is no wider than the report's column and no text in it is smaller than the body text."""
    width_px = fig.get_size_inches()[0] * fig.dpi
    assert width_px + 2 * 0.1 * fig.dpi <= plots.COLUMN_PX, f"{what}: {width_px:.0f} px wide"
    small = [(t.get_text(), t.get_fontsize()) for t in _texts(fig) if t.get_fontsize() * fig.dpi / 72 < plots.BODY_PX]
    assert not small, f"{what}: text smaller than the body text: {small[:5]}"


def test_report_style_text_is_at_least_the_body_size():
    assert plots.FONT_PT * plots.DPI / 72 >= plots.BODY_PX
    assert (plots.MAX_WIDTH_IN + 0.2) * plots.DPI <= plots.COLUMN_PX
    fig, axes = plots.figure(2)
    assert axes.shape == (1, 2)
    axes[0, 0].plot([0, 1], [0, 1], label="a")
    axes[0, 0].legend(title="group")
    axes[0, 0].set_title("t")
    axes[0, 1].set_xlabel("x")
    fig.canvas.draw()
    assert_fits_the_page(fig, "figure(2)")
    plt.close(fig)


def test_two_groups_get_two_colours_and_a_named_legend():
    bars = plots.bar_with_intervals({"succeeded": Interval(0.15, 0.13, 0.17), "failed": Interval(0.30, 0.26, 0.34)},
                                    unit="share")
    colours = {tuple(p.get_facecolor()[:3]) for p in bars.patches}
    assert len(colours) == 2
    assert bars.xaxis.get_major_formatter()(0.25, 0) == "25%"
    summary = pd.DataFrame({"feature": "seat_utilisation_3m", "group": [1, 1, 0, 0], "rel_month": [-2, -1, -2, -1],
                            "mean": [0.5, 0.45, 0.6, 0.62], "ci_low": [0.4, 0.35, 0.5, 0.52],
                            "ci_high": [0.6, 0.55, 0.7, 0.72]})
    ax = plots.trajectory_plot(summary, "seat_utilisation_3m", labels={1: "churned", 0: "renewed"})
    lines = {line.get_label(): line.get_color() for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert set(lines) == {"churned", "renewed"} and lines["churned"] != lines["renewed"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["renewed", "churned"]
    assert ax.get_ylabel() == "Seat utilisation (last 3 months)"
    plt.close("all")


def test_trajectory_grid_draws_every_feature_readably():
    features = ["health_score", "seat_utilisation_3m", "quota_consumption_delta_3m", "community_events_12m",
                "events_per_active_user_3m", "nps_last", "roi_reported"]
    rows = [{"feature": f, "group": g, "rel_month": m, "mean": 0.5 + 0.1 * g, "ci_low": 0.4, "ci_high": 0.7}
            for f in features for g in (0, 1) for m in range(-12, 0)]
    axes = plots.trajectory_grid(pd.DataFrame(rows), features, {1: "churned", 0: "renewed"})
    assert len(axes) == len(features)
    fig = axes[0].figure
    fig.canvas.draw()
    assert_fits_the_page(fig, "trajectory grid")
    titles = [ax.get_title().replace("\n", " ") for ax in axes]
    assert titles[1] == "Seat utilisation (last 3 months)"
    assert sorted(t.get_text() for t in fig.legends[0].get_texts()) == ["churned", "renewed"]
    plt.close("all")


# --------------------------------------------------------------------------- every figure and table of the notebooks

_RUN = re.compile(r'^(\w+) = study\.run\("(\w+)", ctx\)$')
_CALL = re.compile(r"^(\w+)\.(\w+)\(\);?$")


def _notebook_calls() -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Variable -> step of every ``study.run`` and every ``var.method()`` cell line of the suite's notebooks."""
    steps, calls = {}, []
    for path in sorted(NOTEBOOKS.glob("[0-9]*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if m := _RUN.match(line.strip()):
                steps[m[1]] = m[2]
            elif (m := _CALL.match(line.strip())) and m[1] != "plt":
                calls.append((m[1], m[2]))
    return steps, calls


@pytest.fixture(scope="module")
def small_study():
    from csresearch import study
    from csresearch.synth import generate_dataset

    ds = generate_dataset(n_accounts=500, seed=11).to_dataset()
    ctx = study.StudyContext(ds, {"lead_days": 90, "horizon_years": 3, "months_after": 12, "unhealthy_threshold": 40,
                                  "seed": 0, "n_bootstrap": 20, "lead_time_days": [90, 365]}, None, 5, False)
    return ctx


@pytest.mark.slow
def test_every_notebook_figure_fits_the_page_and_every_table_reads_clean(small_study):
    from csresearch import study

    steps, calls = _notebook_calls()
    assert {"churned", "factors", "kpis"} <= set(steps) and any(m == "trajectories_plot" for _, m in calls)
    results = {var: study.run(name, small_study) for var, name in steps.items()}
    checked_figures = checked_tables = 0
    for var, method in calls:
        result = results[var]
        if not result:
            continue  # Unavailable on this small dataset: it draws nothing
        plt.close("all")
        shown = getattr(result, method)()
        if method.endswith("plot"):
            for num in plt.get_fignums():
                fig = plt.figure(num)
                fig.canvas.draw()
                assert_fits_the_page(fig, f"{var}.{method}()")
                checked_figures += 1
        elif hasattr(shown, "_repr_html_"):
            page = shown._repr_html_()
            assert not RAW.search(page), f"{var}.{method}(): {RAW.search(page)[0]!r} in {page[:300]}"
            checked_tables += 1
    for var, result in results.items():
        if result:
            page = result._repr_html_()
            raw = [m[0] for m in RAW.finditer(page)]
            assert not raw, f"{var}: {raw}"
            assert not any(name in page for name in ("seat_utilisation_3m", "quota_consumption", "health_score")), var
    plt.close("all")
    assert checked_figures >= 12 and checked_tables >= 8, (checked_figures, checked_tables)


def test_no_figure_text_smaller_than_body_in_the_style():
    plots.use_report_style()
    sizes = [matplotlib.rcParams[k] for k in ("font.size", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
                                             "legend.fontsize", "axes.titlesize")]
    from matplotlib.font_manager import FontProperties

    base = matplotlib.rcParams["font.size"]
    for size in sizes:
        pt = FontProperties(size=size).get_size_in_points() if isinstance(size, str) else size
        assert math.isfinite(pt) and pt * plots.DPI / 72 >= plots.BODY_PX, (size, base)
    assert np.isclose(matplotlib.rcParams["figure.dpi"], plots.DPI)


def test_small_multiples_of_risk_curves_keep_each_features_axis_and_read_risk_in_percent():
    """KPI curves: churn risk (a share) against features of different units; no shared x axis."""
    import matplotlib.pyplot as plt

    from csresearch import plots

    spans = {"quota_consumption": (0.0, 1.5), "support_tickets_6m": (0.0, 25.0)}

    def draw(feature, ax):
        lo, hi = spans[feature]
        ax.plot([lo, hi], [0.02, 0.08])

    axes = plots.small_multiples(list(spans), draw, ncols=2, sharex=False, y_unit="share")
    fig = axes[0].figure
    fig.canvas.draw()
    assert axes[0].get_xlim() != axes[1].get_xlim()
    for ax in axes:
        ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert ticks and all(t.endswith("%") for t in ticks), ticks
    support_x = [t.get_text() for t in axes[1].get_xticklabels() if t.get_text()]
    assert support_x and not any(t.endswith("%") for t in support_x), support_x
    plt.close(fig)
