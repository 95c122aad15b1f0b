"""The text drawn inside figures, recorded where a notebook displays them, for the identifier scan.

A figure reaches a report as a PNG: an account id drawn as a tick label, a
title or an annotation is pixels there, invisible to a text scan. So when
``csresearch run`` executes a notebook, its kernel loads this module as an
IPython extension (``--IPKernelApp.extensions=csresearch.report.figure_text``):
it registers one more display formatter for Matplotlib figures, under the
MIME type :data:`MIME`. Whenever a figure is displayed (``plt.show()``, the
inline backend at the end of a cell, ``display(fig)``), the same output that
carries the PNG also carries the figure's text: every visible
:class:`matplotlib.text.Text` artist after a draw (titles, axis labels,
legends, annotations, table cells), and separately the tick labels of
categorical axes (whose labels are data values, e.g. ids on a bar chart). Tick
labels of numeric and date axes are left out: the locator makes them, so they
are never data, and a tick at 20000 must not pass for account 20000. The
HTML report ignores this MIME type; the runner's privacy gate scans it
(:func:`csresearch.report.privacy.notebook_text`). Figures saved to a file and
shown as images are not covered: only displayed figures are.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MIME", "figure_texts", "load_ipython_extension"]

#: MIME type of the figure-text record in a display output.
MIME = "application/vnd.csresearch.figure-text+json"


def figure_texts(fig: Any) -> dict[str, list[str]]:
    """The visible text of a Matplotlib figure.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    dict
        ``texts``: every visible, non-empty text artist except the tick labels
        of numeric and date axes; ``categories``: the tick labels of
        categorical axes (as drawn).
    """
    from matplotlib.category import StrCategoryConverter
    from matplotlib.text import Text

    try:
        fig.draw_without_rendering()  # tick labels get their text at draw time
    except Exception:  # noqa: BLE001, S110 - a figure that cannot draw still has its set texts
        pass
    categories, generated = [], set()
    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            converter = axis.get_converter() if hasattr(axis, "get_converter") else axis.converter
            labels = [*axis.get_ticklabels(), *axis.get_ticklabels(minor=True), axis.get_offset_text()]
            if isinstance(converter, StrCategoryConverter):
                categories += [t.get_text() for t in labels if t.get_text().strip()]
            else:  # a numeric or date axis: its tick labels come from the locator, not from the data
                generated.update(id(t) for t in labels)
    texts = [t.get_text() for t in fig.findobj(Text)
             if id(t) not in generated and t.get_visible() and t.get_text().strip()]
    return {"texts": texts, "categories": categories}


def load_ipython_extension(ip: Any) -> None:
    """Register the figure-text formatter in an IPython kernel (idempotent)."""
    from IPython.core.formatters import BaseFormatter
    from matplotlib.figure import Figure
    from traitlets import ObjectName, Unicode

    class FigureTextFormatter(BaseFormatter):
        """Formats figures itself: the inline backend pops every formatter's Figure printer when it starts."""

        format_type = Unicode(MIME)
        _return_type = (dict,)
        print_method = ObjectName("_repr_csresearch_figure_text_")

        def __call__(self, obj: Any) -> dict[str, list[str]] | None:
            return figure_texts(obj) if isinstance(obj, Figure) else None

    ip.display_formatter.formatters[MIME] = FigureTextFormatter(parent=ip.display_formatter)
