"""The suite's HTML page shell: one self-contained, offline document per page.

Every page csresearch writes (notebook reports, index.html, factors.html) uses
:func:`page`, so they share one stylesheet (system font stack, no web fonts),
carry no scripts and reference no external URL: a report can be mailed or
opened from a file share without a network.
"""

from __future__ import annotations

import html as _html
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Mapping

from ..i18n import current

__all__ = ["SUITE_CSS", "RawHTML", "escape", "page", "params_html", "table_html"]


@lru_cache(maxsize=1)
def _suite_css() -> str:
    return resources.files("csresearch.report").joinpath("templates", "suite.css").read_text(encoding="utf-8")


def __getattr__(name: str) -> Any:
    if name == "SUITE_CSS":
        return _suite_css()
    raise AttributeError(name)


def escape(value: Any) -> str:
    """Return ``str(value)`` escaped for HTML text and attribute values."""
    return _html.escape("" if value is None else str(value), quote=True)


def page(title: str, body_html: str, *, subtitle: str | None = None, header_html: str = "", footer_html: str = "") -> str:
    """Return a complete self-contained HTML document with the suite's CSS.

    Parameters
    ----------
    title : str
        Page title (plain text; escaped), shown in the header and the tab.
    body_html : str
        HTML fragment for the page body (inserted as is; escape user text
        with :func:`escape`).
    subtitle : str, optional
        Plain-text line under the title.
    header_html : str, optional
        Extra HTML fragment in the header (e.g. the run parameters).
    footer_html : str, optional
        HTML fragment for the footer.

    Returns
    -------
    str
        An HTML5 document with inline CSS, no scripts and no external resources,
        its ``lang`` the current language (:func:`csresearch.i18n.current`).
    """
    sub = f'<p class="subtitle">{escape(subtitle)}</p>' if subtitle else ""
    foot = f'<footer class="page-footer">{footer_html}</footer>' if footer_html else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(current())}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="csresearch">\n'
        f"<title>{escape(title)}</title>\n<style>\n{_suite_css()}</style>\n</head>\n<body>\n<main>\n"
        f'<header class="page-header"><h1>{escape(title)}</h1>{sub}{header_html}</header>\n'
        f"{body_html}\n{foot}\n</main>\n</body>\n</html>\n"
    )


def params_html(params: Mapping[str, Any]) -> str:
    """Return the parameters as a compact definition list (``<dl class="params">``)."""
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(_show(v))}</dd>" for k, v in params.items())
    return f'<dl class="params">{items}</dl>'


def table_html(rows: Iterable[Iterable[Any]], header: Iterable[Any] | None = None, *, css_class: str = "") -> str:
    """Return a small HTML table; cell values are escaped (pass ``Markup`` via ``str`` subclasses carefully)."""
    cls = f' class="{escape(css_class)}"' if css_class else ""
    head = "<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr></thead>" if header is not None else ""
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table{cls}>{head}<tbody>{body}</tbody></table>"


class RawHTML(str):
    """A string that :func:`table_html` inserts without escaping."""


def _cell(value: Any) -> str:
    return str(value) if isinstance(value, RawHTML) else escape(_show(value))


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
