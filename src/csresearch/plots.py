"""Plots of analysis results. Each takes ``ax=None`` and returns the Axes; nothing is shown or saved.

Inputs are the result objects and summary frames of :mod:`csresearch.analysis`.
Frames of intervals have columns ``estimate, ci_low, ci_high`` (rows = labels);
a dict of :class:`~csresearch.analysis.Interval` is accepted too.

Every figure of a report is made by :func:`figure`, sized for the report page:
a report renders at 1,000 px with a text column of :data:`COLUMN_PX` pixels and
body text of :data:`BODY_PX` pixels; a figure is at most :data:`MAX_WIDTH_IN`
inches wide at :data:`DPI` dots per inch (so it is never scaled down) and its
text is :data:`FONT_PT` points (at least the body size once rendered). Two
groups get two distinct colours (:data:`GROUP_COLOURS`) and a legend naming
them; shares are drawn on percentage axes.

Text is drawn in :data:`FONT_FAMILIES`, a fallback chain: Latin text in
matplotlib's own DejaVu Sans, as ever, and any character it has no glyph for
(Japanese segment names, titles, company names) in IPAexGothic, which the
``matplotlib-fontja`` package ships (:func:`register_fonts`; no system font
needed, nothing downloaded).
"""

from __future__ import annotations

import functools
import importlib.util
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator
from scipy import stats

from .analysis.results import Interval, intervals_frame
from .display import display_name, unit_of
from .i18n import label as tl
from .i18n import t

__all__ = ["BODY_PX", "COLUMN_PX", "DPI", "FONT_FAMILIES", "FONT_PT", "GROUP_COLOURS", "MAX_WIDTH_IN", "REPORT_STYLE",
           "adjusted_curves_plot", "bar_with_intervals", "calibration_plot", "figure", "forest_plot", "km_plot",
           "love_plot", "propensity_plot", "register_fonts", "small_multiples", "trajectory_grid", "trajectory_plot",
           "tree_diagram", "trend_plot", "unit_axis", "use_fonts", "use_report_style"]

#: Width of a report's text column in a 1,000 px window: 985 px inside the scroll bar less 2 x 28 px padding (suite.css).
COLUMN_PX = 929
#: Body text size of a report (suite.css ``body { font-size: 15px }``).
BODY_PX = 15
#: Resolution figures are drawn and embedded at.
DPI = 100
#: Widest figure: 900 px at :data:`DPI`, with room for the 0.1 in padding of a tight bounding box.
MAX_WIDTH_IN = 9.0
#: Size of every figure text: 11 pt at 100 dpi is 15.3 px, at least the body text.
FONT_PT = 11
#: Colours of the two groups a report compares.
GROUP_COLOURS: dict[str, str] = {"churned": "#c0392b", "failed": "#c0392b", "renewed": "#2e6da4",
                                 "succeeded": "#2e6da4"}
#: Font families of figure text, in fallback order: a character missing from one is drawn in the next.
#: DejaVu Sans (matplotlib's default) keeps Latin text as it was; IPAexGothic (matplotlib-fontja) draws Japanese.
FONT_FAMILIES = ["DejaVu Sans", "IPAexGothic", "sans-serif"]
#: matplotlib settings of report figures (:func:`use_report_style`).
REPORT_STYLE: dict[str, Any] = {
    "figure.dpi": DPI, "savefig.dpi": DPI, "font.size": FONT_PT, "axes.titlesize": FONT_PT,
    "axes.labelsize": FONT_PT, "xtick.labelsize": FONT_PT, "ytick.labelsize": FONT_PT, "legend.fontsize": FONT_PT,
    "legend.title_fontsize": FONT_PT, "figure.titlesize": FONT_PT, "axes.formatter.useoffset": False,
    "axes.formatter.limits": (-9, 9), "figure.figsize": (MAX_WIDTH_IN * 0.7, 3.6), "font.family": FONT_FAMILIES,
}


@functools.cache
def register_fonts() -> tuple[str, ...]:
    """Add the fonts of :data:`FONT_FAMILIES` that packages ship to matplotlib's font manager (once per process).

    IPAexGothic comes from the ``matplotlib-fontja`` package's font folder;
    the package is not imported (importing it would make IPAexGothic every
    figure's only font, Latin text included).

    Returns
    -------
    tuple of str
        The font files added (none when the package is missing: Japanese
        text then draws as boxes and matplotlib warns "Glyph ... missing").
    """
    from matplotlib import font_manager

    spec = importlib.util.find_spec("matplotlib_fontja")
    folders = [Path(p) / "fonts" for p in (spec.submodule_search_locations or [])] if spec is not None else []
    added = tuple(str(f) for folder in folders if folder.is_dir() for f in sorted(folder.glob("*.ttf")))
    for font in added:
        font_manager.fontManager.addfont(font)
    return added


def use_fonts() -> None:
    """Draw figure text in :data:`FONT_FAMILIES` (Latin as before, Japanese in IPAexGothic); nothing else changes."""
    families = FONT_FAMILIES if register_fonts() else [f for f in FONT_FAMILIES if f != "IPAexGothic"]
    mpl.rcParams["font.family"] = list(families)  # without IPAexGothic: no "not found" log line per text


def use_report_style() -> None:
    """Apply :data:`REPORT_STYLE` to matplotlib (text sizes, resolution, no offset or scientific tick labels, fonts)."""
    mpl.rcParams.update({k: v for k, v in REPORT_STYLE.items() if k != "font.family"})
    use_fonts()


def figure(ncols: int = 1, nrows: int = 1, *, height: float = 3.6, width: float | None = None, **kwargs: Any):
    """A report figure: ``nrows x ncols`` panels, at most :data:`MAX_WIDTH_IN` wide, constrained layout.

    Parameters
    ----------
    ncols, nrows : int
        Panels across and down.
    height : float, default 3.6
        Height of one row of panels in inches.
    width : float, optional
        Figure width in inches (capped at :data:`MAX_WIDTH_IN`); default the
        full width for two or more columns, 70% of it for one.
    **kwargs
        Passed to ``plt.subplots``.

    Returns
    -------
    (Figure, ndarray of Axes)
        The Axes always as a 2-d array (``squeeze=False``).
    """
    import matplotlib.pyplot as plt

    use_report_style()
    w = MAX_WIDTH_IN if width is None and ncols > 1 else (MAX_WIDTH_IN * 0.7 if width is None else min(width, MAX_WIDTH_IN))
    return plt.subplots(nrows, ncols, figsize=(w, height * nrows), dpi=DPI, squeeze=False, layout="constrained",
                        **kwargs)


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, axes = figure()
        ax = axes[0, 0]
    return ax


def _colour(group: Any) -> str | None:
    return GROUP_COLOURS.get(str(group))


def unit_axis(ax: Axes, unit: str, axis: str = "y") -> Axes:
    """Format ``axis`` by a feature's unit: shares and flags as percentages, changes of shares in points."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    if unit in ("share", "flag", "percent"):
        target.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.4g}%"))
    elif unit in ("share_change", "points"):
        target.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:+.0f}{tl(' pts')}" if abs(v) > 1e-12 else "0"))
    return ax


#: Characters a line of Japanese text may not start with (they stay at the end of the line before).
_NO_LINE_START = frozenset("、。，．）」』】〕・ー々ぁぃぅぇぉっゃゅょァィゥェォッャュョ,.)%％")


def _wrap(text: str, width: int = 30) -> str:
    """``text`` in lines of at most ``width`` columns; a full-width character (Japanese) takes two columns.

    Text with full-width characters breaks between any two of them (Japanese
    has no spaces), never before closing punctuation or small kana.
    """
    import unicodedata

    if not any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text):
        return "\n".join(textwrap.wrap(text, width)) or text
    lines, line, used = [], "", 0
    for ch in text:
        cols = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if line and used + cols > width and ch not in _NO_LINE_START:
            lines.append(line.rstrip())
            line, used = ("", 0) if ch == " " else (ch, cols)
            continue
        line, used = line + ch, used + cols
    return "\n".join([*lines, line.rstrip()]) if line.strip() else "\n".join(lines) or text


def _interval_frame(data: pd.DataFrame | Mapping[Any, Interval]) -> pd.DataFrame:
    if isinstance(data, Mapping):
        data = intervals_frame(dict(data))
    missing = {"estimate", "ci_low", "ci_high"} - set(data.columns)
    if missing:
        raise ValueError(f"need columns estimate, ci_low, ci_high; missing {sorted(missing)}")
    return data.astype({"estimate": "float64", "ci_low": "float64", "ci_high": "float64"})


def _errors(frame: pd.DataFrame, value_col: str = "estimate") -> np.ndarray:
    """Error-bar lengths below and above ``value_col``: never negative (float rounding can put a
    Wilson bound a hair past the rate), 0 where a bound is missing."""
    est = frame[value_col].to_numpy(dtype="float64")
    low = np.nan_to_num(est - frame["ci_low"].to_numpy(dtype="float64"), nan=0.0)
    high = np.nan_to_num(frame["ci_high"].to_numpy(dtype="float64") - est, nan=0.0)
    return np.clip(np.vstack([low, high]), 0.0, None)


def km_plot(result: Any, ax: Axes | None = None, level: float = 0.95) -> Axes:
    """Cumulative incidence (1 - Kaplan-Meier survival) by group with a pointwise log-log band.

    ``result`` is a :class:`~csresearch.analysis.survival.KaplanMeierResult` or an
    ``OnboardingChurnResult`` (its ``km``). A dotted line marks the horizon.
    """
    km = getattr(result, "km", None) or result
    ax = _axes(ax)
    z = stats.norm.ppf(0.5 + level / 2)
    for group, curve in km.curves.groupby("group", sort=True):
        s, se = curve["survival"].to_numpy(), curve["se"].to_numpy()
        line = ax.step(curve["time"], 1 - s, where="post", label=tl(str(group)), color=_colour(group))[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            w = z * se / (s * np.abs(np.log(s)))
            low, high = 1 - s ** np.exp(-w), 1 - s ** np.exp(w)
        ok = np.isfinite(low) & np.isfinite(high)
        ax.fill_between(curve["time"][ok], low[ok], high[ok], step="post", alpha=0.2, color=line.get_color())
    ax.axvline(km.horizon, ls=":", color="grey")
    ax.set_xlabel(tl("years since signup"))
    ax.set_ylabel(tl("cumulative churn"))
    unit_axis(ax, "share")
    ax.legend(title=tl("onboarding"))
    return ax


def bar_with_intervals(frame: pd.DataFrame | Mapping[Any, Interval], ax: Axes | None = None, xlabel: str = "",
                       unit: str = "number") -> Axes:
    """Horizontal bars of ``estimate`` with ``ci_low``/``ci_high`` error bars, one per row.

    A row named after a group (``failed``, ``succeeded``, ``churned``,
    ``renewed``) gets that group's colour; ``unit`` formats the value axis
    (``share``: percentages).
    """
    frame = _interval_frame(frame)
    ax = _axes(ax)
    y = np.arange(len(frame))
    colours = [_colour(i) or "#4a6fa5" for i in frame.index]
    ax.barh(y, frame["estimate"].fillna(0), xerr=_errors(frame), capsize=3, color=colours, alpha=0.85)
    ax.set_yticks(y, [tl(str(i)) for i in frame.index])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(tl(xlabel))
    return unit_axis(ax, unit, "x")


def calibration_plot(result: Any, ax: Axes | None = None) -> Axes:
    """Observed rate (Wilson interval) against mean score per bin, from :func:`calibration_by_decile`."""
    s = getattr(result, "summary", result)
    ax = _axes(ax)
    ax.errorbar(s["mean_score"], s["rate"], yerr=_errors(s, "rate"), fmt="o-", capsize=3)
    ax.set_xlabel(tl("mean score in bin"))
    ax.set_ylabel(tl("observed rate"))
    ax.set_ylim(bottom=0)
    return unit_axis(ax, "share")


def trajectory_plot(traj: Any, feature: str, ax: Axes | None = None, band: bool = True,
                    labels: Mapping[Any, str] | None = None, legend: bool = True) -> Axes:
    """Mean of ``feature`` by relative month per group, with its interval band (from :func:`aligned_trajectories`).

    ``labels`` names the groups (e.g. ``{1: "churned", 0: "renewed"}``); a
    named group gets its colour from :data:`GROUP_COLOURS`.
    """
    s = getattr(traj, "summary", traj)
    s = s.loc[s["feature"] == feature]
    if s.empty:
        raise ValueError(f"feature {feature!r} not in the trajectories")
    ax = _axes(ax)
    for group, part in s.groupby("group", sort=True):
        name = (labels or {}).get(group, str(group))
        line = ax.plot(part["rel_month"], part["mean"], marker=".", label=name, color=_colour(name))[0]
        if band:
            ax.fill_between(part["rel_month"], part["ci_low"], part["ci_high"], alpha=0.2, color=line.get_color())
    ax.axvline(0, ls=":", color="grey")
    ax.set_xlabel(tl("months before the decision"))
    ax.set_ylabel(display_name(feature))
    unit_axis(ax, unit_of(feature))
    if legend:
        ax.legend()
    return ax


def small_multiples(features: Sequence[str], draw: Callable[[str, Axes], Any], ncols: int = 3,
                    height: float = 2.5, xlabel: str = "", change: bool = False, sharex: bool = True,
                    y_unit: str | None = None):
    """A grid of small panels, one per feature, titled with its human name; ``draw(feature, ax)`` fills each.

    The value axis reads in the feature's unit (a share in percent; with
    ``change``, differences of a share in percentage points), or in ``y_unit``
    for every panel when the panels plot something else against the feature
    (e.g. churn risk, with ``sharex=False`` so each feature keeps its own x axis).

    Returns
    -------
    ndarray of Axes
        The panels in order (unused grid cells are removed).
    """
    n = max(len(features), 1)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = figure(ncols, nrows, height=height, sharex=sharex)
    flat = axes.ravel()
    for feature, ax in zip(features, flat):
        draw(feature, ax)
        ax.set_title(_wrap(display_name(feature), 30))
        ax.set_ylabel("")
        ax.set_xlabel("")
        ax.yaxis.set_major_locator(MaxNLocator(4))
        unit = unit_of(feature) if y_unit is None else y_unit
        unit_axis(ax, "share_change" if change and unit in ("share", "flag") else unit)
    for ax in flat[len(features):]:
        ax.remove()
    if xlabel:
        fig.supxlabel(xlabel)
    return flat[:len(features)]


def trajectory_grid(traj: Any, features: Sequence[str], labels: Mapping[Any, str], ncols: int = 3):
    """Mean trajectories of every feature as small multiples, the groups in two colours, one legend on top."""
    axes = small_multiples(features, lambda f, ax: trajectory_plot(traj, f, ax=ax, labels=labels, legend=False),
                           ncols=ncols, xlabel=tl("months before the renewal decision (mean with 95% band)"))
    if len(axes):
        handles, names = axes[0].get_legend_handles_labels()
        axes[0].figure.legend(handles, names, loc="outside upper center", ncols=len(names), frameon=False)
    return axes


def trend_plot(medians: pd.DataFrame, feature: str, ax: Axes | None = None, slope: Interval | None = None) -> Axes:
    """Median and IQR of ``feature`` by tenure year (from :func:`median_trajectories`); slope in the title when given."""
    part = medians.loc[medians["feature"] == feature].sort_values("tenure_year")
    if part.empty:
        raise ValueError(f"feature {feature!r} not in the medians")
    ax = _axes(ax)
    ax.plot(part["tenure_year"], part["median"], marker="o")
    ax.fill_between(part["tenure_year"], part["q25"], part["q75"], alpha=0.2)
    ax.set_xlabel(tl("tenure year"))
    ax.set_ylabel(display_name(feature))
    unit_axis(ax, unit_of(feature))
    if slope is not None:
        ax.set_title(t("figures.per_year", name=display_name(feature), slope=slope))
    return ax


def forest_plot(frame: pd.DataFrame | Mapping[Any, Interval], ax: Axes | None = None, ref: float = 1.0,
                log: bool = True, xlabel: str = "odds ratio per 1 SD", unit: str = "number") -> Axes:
    """Points with interval lines per row (e.g. odds ratios), a reference line at ``ref``, log scale by default.

    ``unit="points"`` reads the values as differences of proportions (axis in percentage points).
    """
    frame = _interval_frame(frame).iloc[::-1]
    ax = _axes(ax)
    y = np.arange(len(frame))
    ax.errorbar(frame["estimate"], y, xerr=_errors(frame), fmt="s", capsize=3, color="black")
    ax.axvline(ref, ls="--", color="grey")
    if log:
        ax.set_xscale("log")
    ax.set_yticks(y, [tl(str(i)) for i in frame.index])
    ax.set_xlabel(tl(xlabel))
    if log:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    return unit_axis(ax, unit, "x")


def adjusted_curves_plot(curves: pd.DataFrame, ax: Axes | None = None, horizon: float | None = None) -> Axes:
    """Weighted cumulative churn ``1 - S(t)`` by group from the landmark (``group, time, survival`` step points)."""
    ax = _axes(ax)
    for group, curve in curves.groupby("group", sort=True):
        ax.step(curve["time"], 1 - curve["survival"], where="post", label=tl(str(group)), color=_colour(group))
    if horizon is not None:
        ax.axvline(horizon, color="grey", linestyle=":", linewidth=1)
    unit_axis(ax, "share")
    return _labelled(ax, tl("years since the onboarding outcome was known"), tl("cumulative churn (weighted)"), tl("had every account"))


def _labelled(ax: Axes, xlabel: str, ylabel: str, legend_title: str) -> Axes:
    ax.set_xlabel(tl(xlabel))
    ax.set_ylabel(tl(ylabel))
    ax.legend(title=tl(legend_title))
    return ax


def propensity_plot(propensity: pd.DataFrame, ax: Axes | None = None, bins: int = 30) -> Axes:
    """Overlap: histograms (density) of the propensity score by group (``propensity, group`` columns)."""
    ax = _axes(ax)
    edges = np.linspace(0, 1, bins + 1)
    for group, part in propensity.groupby("group", sort=True):
        ax.hist(part["propensity"], bins=edges, density=True, alpha=0.5, label=tl(str(group)), color=_colour(group))
    return _labelled(ax, tl("propensity to fail onboarding"), tl("density"), tl("onboarding"))


def love_plot(balance: pd.DataFrame, ax: Axes | None = None, threshold: float = 0.1) -> Axes:
    """Covariate balance: absolute standardised mean difference per covariate, ``before`` and ``after`` weighting."""
    ax = _axes(ax)
    frame = balance.abs().sort_values("before")
    y = np.arange(len(frame))
    ax.scatter(frame["before"], y, marker="o", facecolors="none", edgecolors="C0", label=tl("before weighting"))
    ax.scatter(frame["after"], y, marker="o", color="C1", label=tl("after weighting"))
    ax.axvline(threshold, color="grey", linestyle=":", linewidth=1)
    ax.set_yticks(y, [_covariate_name(i) for i in frame.index])
    ax.set_xlabel(tl("|standardised mean difference|"))
    ax.legend()
    return ax


def _covariate_name(column: Any) -> str:
    """The human name of a design column (``segment_smb`` -> ``Segment: smb``, ``log_seats`` -> ``Seats (log)``)."""
    text = str(column)
    for base in ("segment", "touch_model", "industry", "region"):
        if text.startswith(base + "_"):
            return f"{display_name(base)}: {text[len(base) + 1:].replace('_', ' ')}"
    if text.endswith("_missing"):
        return f"{display_name(text[: -len('_missing')])}: {tl('missing')}"
    return display_name(text)


def _tree_layout(parents: Mapping[str, str | None]) -> tuple[dict[str, int], dict[str, float], int]:
    """Depth and vertical slot of each node of a tree (leaves one slot each, parents centred on their children)."""
    children: dict[Any, list[str]] = {}
    for node, parent in parents.items():
        children.setdefault(parent, []).append(node)
    depth, slot, counter = {}, {}, [0]

    def place(node: str, d: int) -> float:
        depth[node] = d
        kids = children.get(node, [])
        if not kids:
            slot[node] = float(counter[0])
            counter[0] += 1
        else:
            slot[node] = float(np.mean([place(k, d + 1) for k in kids]))
        return slot[node]

    for root in children.get(None, []):
        place(root, 0)
    return depth, slot, max(counter[0], 1)


def tree_diagram(boxes: Mapping[str, Sequence[str]], parents: Mapping[str, str | None], ax: Axes | None = None) -> Axes:
    """A tree drawn left to right: one box of text lines per node, a line from each node to its parent.

    Parameters
    ----------
    boxes : mapping of node id to lines of text
        The first line is the node's name (bold).
    parents : mapping of node id to its parent's id (None for the root)
    ax : Axes, optional
        Default a full-width report figure tall enough for the leaves.

    Returns
    -------
    Axes
    """
    depth, slot, n_slots = _tree_layout(parents)
    if ax is None:
        ax = figure(height=0.9 + 0.78 * n_slots, width=MAX_WIDTH_IN)[1][0, 0]
    ax.set_axis_off()
    levels = max(depth.values(), default=0) + 1
    x_of = {0: 0.0, 1: 0.24, 2: 0.5}
    widths = {0: 24, 1: 24, 2: 52}
    ax.set_xlim(-0.01, 1.0)
    ax.set_ylim(n_slots - 0.5, -0.5)
    for node, parent in parents.items():
        if parent is not None and parent in slot:
            ax.plot([x_of.get(depth[parent], 0.5 * depth[parent] / max(levels - 1, 1)) + 0.2,
                     x_of.get(depth[node], 0.5)], [slot[parent], slot[node]], color="#999", lw=1, zorder=1)
    for node, lines in boxes.items():
        d = depth.get(node, 0)
        width = widths.get(d, 52)
        head = _wrap(str(lines[0]), width) if lines else ""
        body = "\n".join(_wrap(str(line), width) for line in lines[1:])
        x = x_of.get(d, 0.5)
        ax.text(x, slot[node], head + ("\n" + body if body else ""), va="center", ha="left", fontsize=FONT_PT,
                bbox={"boxstyle": "round,pad=0.35", "fc": "#eef3f8" if d < 2 else "white", "ec": "#4a6fa5"}, zorder=2)
    return ax
