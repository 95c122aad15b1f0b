"""Small figures of the executive summary, drawn from findings sections (the JSON the steps write).

One figure per study question where a picture says it faster than the sentence:
two groups side by side with their 95% intervals, the first month each
component separates before churn, the strongest churn factors' odds ratios.
Each function takes the step's findings section and ``ax=None`` and returns the
Axes, or None when the section holds nothing to draw. Sizes and fonts are set
for the index: :data:`FIGSIZE` at :data:`DPI` renders at its natural size (no
scaling) and its text (:data:`FONT_PT` points) is at least as large as the
page's 15 px body text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator, NullLocator, PercentFormatter

from . import plots
from .display import display_name
from .i18n import label as tl
from .i18n import t
from .plots import DPI, FONT_PT

__all__ = ["DPI", "FIGSIZE", "FONT_PT", "churn_factors_figure", "churned_accounts_figure", "group_figure",
           "new_axes", "onboarding_churn_figure", "onboarding_health_figure", "retention_figure"]

#: Index figure size in inches: 4.2 x 2.2 in at the reports' 100 dpi = 420 x 220 px, beside the answer;
#: resolution and text size (11 pt = 15.3 px, the body text is 15 px) are the reports' (csresearch.plots).
FIGSIZE = (4.2, 2.2)
#: Colours of the two groups a summary figure compares (the reports' colours): worse outcome, reference.
GROUP_COLOURS = (plots.GROUP_COLOURS["failed"], plots.GROUP_COLOURS["succeeded"])


def _ok(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def new_axes(figsize: tuple[float, float] = FIGSIZE) -> Axes:
    """A fresh Axes sized for the index, in the reports' figure style (:func:`csresearch.plots.figure`)."""
    _, axes = plots.figure(width=figsize[0], height=figsize[1])
    ax = axes[0, 0]
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def _interval(value: Any) -> tuple[float, float, float] | None:
    if not isinstance(value, Mapping) or not all(_ok(value.get(k)) for k in ("estimate", "ci_low", "ci_high")):
        return None
    return float(value["estimate"]), float(value["ci_low"]), float(value["ci_high"])


def group_figure(rows: list[tuple[str, Any]], xlabel: str, ax: Axes | None = None, *, percent: bool = True,
                 ref: float | None = None, compare: bool = True) -> Axes | None:
    """Horizontal bars of a few labelled intervals with their 95% intervals.

    ``compare``: bars from zero, the first row (the group of interest, failed
    onboarding) in the 'worse' colour, the others in the reference colour;
    otherwise dots in one colour on an axis zoomed to the intervals.
    """
    shown = [(label, iv) for label, value in rows if (iv := _interval(value)) is not None]
    if not shown:
        return None
    ax = ax if ax is not None else new_axes()
    for y, (label, (est, low, high)) in enumerate(shown):
        colour = GROUP_COLOURS[0] if y == 0 and compare else GROUP_COLOURS[1]
        if compare:
            ax.barh(y, est, color=colour, alpha=0.85, height=0.6)
        ax.errorbar(est, y, xerr=[[max(est - low, 0)], [max(high - est, 0)]], fmt="none" if compare else "o",
                    color=colour, ecolor="#24292f" if compare else colour, capsize=4)
    if not compare:  # levels, not a comparison from zero: zoom on the intervals (and the reference line)
        lows, highs = [iv[1] for _, iv in shown] + ([ref] if ref is not None else []), [iv[2] for _, iv in shown]
        pad = 0.1 * (max(highs + lows) - min(lows + highs)) or 0.01
        ax.set_xlim(min(lows) - pad, max(highs) + pad)
        ax.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 5, 10]))
    ax.set_yticks(range(len(shown)), [tl(label) for label, _ in shown], fontsize=FONT_PT)
    ax.invert_yaxis()
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0 if compare else None))
    if ref is not None:
        ax.axvline(ref, color="#57606a", linestyle="--", linewidth=1)
    ax.set_xlabel(tl(xlabel), fontsize=FONT_PT)
    return ax


def onboarding_churn_figure(section: Any, ax: Axes | None = None) -> Axes | None:
    """Churn within the horizon after failed vs succeeded onboarding (Kaplan-Meier, 95% intervals)."""
    if not isinstance(section, Mapping):
        return None
    return group_figure([("Failed onboarding", section.get("churn_failed")),
                         ("Succeeded", section.get("churn_succeeded"))],
                        t("figures.churned_within", years=section.get("horizon_years")), ax)


def onboarding_health_figure(section: Any, ax: Axes | None = None) -> Axes | None:
    """Unhealthy share a year after onboarding, failed vs succeeded (95% intervals)."""
    if not isinstance(section, Mapping):
        return None
    return group_figure([("Failed onboarding", section.get("unhealthy_share_failed")),
                         ("Succeeded", section.get("unhealthy_share_succeeded"))],
                        t("figures.unhealthy_later", months=section.get("months_after")), ax)


def churned_accounts_figure(section: Any, ax: Axes | None = None, top: int = 5) -> Axes | None:
    """First month before the decision at which each trigger component separates (with its bootstrap interval)."""
    if not isinstance(section, Mapping) or not isinstance(section.get("separation"), Mapping):
        return None
    separation = section["separation"]
    rows = []
    for name in list(section.get("first_components") or [])[:top]:
        entry = separation.get(name) if isinstance(separation.get(name), Mapping) else {}
        iv = _interval(entry.get("first_month_interval"))
        if iv is not None:
            rows.append((display_name(name), iv))
    if not rows:
        return None
    ax = ax if ax is not None else new_axes((4.2, 0.7 + 0.5 * len(rows)))
    for y, (_, (est, low, high)) in enumerate(rows):
        ax.errorbar(est, y, xerr=[[max(est - low, 0)], [max(high - est, 0)]], fmt="o", color=GROUP_COLOURS[0], capsize=4)
    ax.set_yticks(range(len(rows)), [_short(label) for label, _ in rows], fontsize=FONT_PT)
    ax.invert_yaxis()
    ax.set_xlim(-12.5, 0.5)
    ax.set_xlabel(tl("Months before the decision"), fontsize=FONT_PT)
    return ax


def _short(label: str, width: int = 24) -> str:
    """A long feature name on two lines (at most), so the labels stay in the figure."""
    import textwrap

    lines = textwrap.wrap(label, width)
    return "\n".join(lines[:3]) + ("…" if len(lines) > 3 else "")


def churn_factors_figure(section: Any, ax: Axes | None = None, top: int = 4) -> Axes | None:
    """Odds ratios per standard deviation of the top-ranked churn factors (log scale, 95% intervals)."""
    if not isinstance(section, Mapping) or not isinstance(section.get("odds_ratios"), Mapping):
        return None
    odds = section["odds_ratios"]
    rows = [(display_name(f), iv) for f in list(section.get("ranking") or [])
            if isinstance(odds.get(f), Mapping) and not odds[f].get("unstable") and (iv := _interval(odds[f])) is not None]
    rows = rows[:top]
    if not rows:
        return None
    ax = ax if ax is not None else new_axes((4.2, 0.7 + 0.5 * len(rows)))
    for y, (_, (est, low, high)) in enumerate(rows):
        colour = GROUP_COLOURS[0] if est > 1 else GROUP_COLOURS[1]
        ax.errorbar(est, y, xerr=[[max(est - low, 0)], [max(high - est, 0)]], fmt="o", color=colour, capsize=4)
    ax.axvline(1.0, color="#57606a", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    lows, highs = [r[1][1] for r in rows], [r[1][2] for r in rows]
    ticks = [v for v in (0.1, 0.25, 0.5, 1, 2, 4, 10) if min(lows + [1]) / 1.5 <= v <= max(highs + [1]) * 1.5]
    ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yticks(range(len(rows)), [_short(label) for label, _ in rows], fontsize=FONT_PT)
    ax.invert_yaxis()
    ax.set_xlabel(tl("Odds ratio of churn per SD"), fontsize=FONT_PT)
    return ax


def retention_figure(section: Any, ax: Axes | None = None) -> Axes | None:
    """Net and gross revenue retention and logo retention with their 95% intervals; 100% marked."""
    if not isinstance(section, Mapping):
        return None
    return group_figure([("Net revenue", section.get("nrr")), ("Gross revenue", section.get("grr")),
                         ("Customers", section.get("logo_retention"))],
                        t("figures.kept_over", months=section.get("window_months", 12)), ax, ref=1.0, compare=False)
