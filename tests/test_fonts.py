"""Japanese text in figures: drawn in IPAexGothic (matplotlib-fontja), Latin text unchanged in DejaVu Sans."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties

from csresearch import plots, summary_figures

matplotlib.use("Agg")

SEGMENTS = ["中小企業", "中堅企業", "大企業"]


def _png(fig) -> np.ndarray:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    buf.seek(0)
    return plt.imread(buf)


def test_japanese_title_ticks_legend_and_labels_render_without_any_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig, axes = plots.figure()
        ax = axes[0, 0]
        for touch, shift in (("ハイタッチ", 0.0), ("テックタッチ", 0.3)):
            ax.bar(np.arange(3) + shift, [0.1, 0.2, 0.3], width=0.3, label=touch)
        ax.set_xticks(range(3), SEGMENTS)
        ax.set_title("セグメント別の解約率（95%信頼区間 3.1〜12.0）")
        ax.set_xlabel("セグメント")
        ax.set_ylabel("解約率")
        ax.legend(title="タッチモデル")
        for fmt in ("png", "svg", "pdf"):
            fig.savefig(io.BytesIO(), format=fmt)
        plt.close(fig)


def test_report_plot_functions_draw_japanese_category_labels():
    frame = pd.DataFrame({"estimate": [0.12, 0.08, 0.05], "ci_low": [0.1, 0.06, 0.03], "ci_high": [0.14, 0.1, 0.07]},
                         index=SEGMENTS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plots.bar_with_intervals(frame, xlabel="3年以内の解約率", unit="share")
        _png(ax.figure)
        rows = [(s, {"estimate": e, "ci_low": lo, "ci_high": hi}) for s, e, lo, hi in frame.itertuples()]
        ax = summary_figures.group_figure(rows, "解約率")
        _png(ax.figure)


def test_japanese_glyphs_come_from_the_bundled_ipaexgothic():
    added = plots.register_fonts()
    assert any(Path(f).name == "ipaexg.ttf" and "matplotlib_fontja" in f for f in added)
    plots.use_report_style()
    ja = font_manager.findfont(FontProperties(family="IPAexGothic"), fallback_to_default=False)
    assert Path(ja).name == "ipaexg.ttf"
    # without the fallback the same text misses its glyphs (the test above would then fail)
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title("中小企業")
        with pytest.warns(UserWarning, match="Glyph .* missing"):
            _png(fig)


def test_latin_text_keeps_its_font_and_its_pixels():
    plots.use_report_style()
    latin = font_manager.findfont(FontProperties(family=matplotlib.rcParams["font.family"]))
    assert Path(latin).name == "DejaVuSans.ttf"

    def draw() -> np.ndarray:
        fig, ax = plt.subplots(figsize=(4, 2), dpi=plots.DPI)
        ax.plot([0, 1], [0, 1], label="Renewed accounts")
        ax.set_title("Churn within 3 years: 12.3% (95% CI 3.1 to 12.0)")
        ax.set_xlabel("Seat utilisation (last 3 months)")
        ax.legend()
        return _png(fig)

    ours = draw()
    with matplotlib.rc_context({"font.family": ["sans-serif"], "font.sans-serif": ["DejaVu Sans"]}):
        default = draw()  # matplotlib's own default font
    assert np.array_equal(ours, default)


def test_japanese_titles_wrap_by_display_width_not_before_closing_punctuation():
    import unicodedata

    from csresearch.plots import _wrap

    def width(line: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line)

    text = "名刺枠消化率（契約期間の按分に対する直近12か月の利用）の変化、ならびに席利用率（直近3か月）"
    lines = _wrap(text, 30).split("\n")
    assert "".join(lines) == text and len(lines) >= 3
    assert all(width(line) <= 32 for line in lines)  # a closing mark (two columns) may overhang the width
    assert not any(line[0] in "、。）」" for line in lines[1:])
    assert _wrap("Seat utilisation over the last three months of the term", 30) == \
        "Seat utilisation over the last\nthree months of the term"
