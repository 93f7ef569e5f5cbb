"""Graphviz SVG placed inside an HTML page or a notebook output.

A drawing of a real graph is often wider than a notebook cell (2,000 pt and
more). Placed as it is, its right side (where the loss is) is cut off or needs
sideways scrolling. Here the SVG is made to scale down to the width it is
given, keeping its proportions, and a click toggles between that and its full
size (in a box that scrolls). Several drawings on one page must not clash, so
the ids Graphviz writes (``graph0``, ``node1``, ...) get a prefix of their own.
"""

from __future__ import annotations

import re
import secrets

from autograd.errors import InvalidArgumentError

_SVG_START = re.compile(r"<svg\b")
_ID = re.compile(r'\bid="([^"]*)"')
_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)pt"[^>]*?\bheight="([\d.]+)pt"', re.S)

WIDE_PT = 600.0
"""Drawings wider than this (in points) get a line saying that a click shows the full size."""

ZOOM_ON_CLICK = (
    "var s=this.style,full=s.maxWidth==='none';"
    "s.maxWidth=full?'100%':'none';s.cursor=full?'zoom-in':'zoom-out'"
)
"""An inline click handler: full size ↔ scaled to the width (no script block needed)."""


def new_prefix() -> str:
    """A fresh prefix for the ids of one drawing on a page."""
    return f"cg{secrets.token_hex(5)}-"


def svg_size(svg: str) -> tuple[float, float]:
    """The width and height of a Graphviz SVG, in points (0, 0 if it does not say)."""
    found = _SIZE.search(svg)
    return (float(found.group(1)), float(found.group(2))) if found else (0.0, 0.0)


def inline_svg(svg: str, prefix: str, *, style: str = "", attributes: str = "") -> str:
    """The ``<svg>`` element of a Graphviz SVG document, ready to sit inside HTML.

    Drops the XML prolog and doctype (not allowed inside HTML), prefixes every
    ``id`` with ``prefix``, and scales to the available width: ``max-width:100%``
    with ``height:auto`` keeps the proportions given by the ``viewBox``.
    ``style`` adds CSS and ``attributes`` more attributes to the ``<svg>`` tag.
    """
    start = _SVG_START.search(svg)
    if start is None:
        raise InvalidArgumentError("not an SVG document: no <svg> element")
    element = svg[start.start() :].rstrip()
    element = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', element)
    css = f"max-width:100%;height:auto;{style}"
    extra = f" {attributes}" if attributes else ""
    return element.replace("<svg", f'<svg style="{css}"{extra}', 1)


def fitted_svg_html(svg: str) -> str:
    """A Graphviz SVG as a notebook shows it: scaled to the cell's width, full size on click."""
    width, _ = svg_size(svg)
    picture = inline_svg(svg, new_prefix(), style="cursor:zoom-in", attributes=f'onclick="{ZOOM_ON_CLICK}"')
    note = ""
    if width > WIDE_PT:
        note = (
            '<div style="font-size:smaller;opacity:0.7">scaled to fit the width: '
            "click the drawing for its full size (and again to fit it back)</div>"
        )
    return f'<div class="chaingrad-drawing" style="max-width:100%;overflow-x:auto">{picture}{note}</div>'


__all__ = ["fitted_svg_html", "inline_svg", "new_prefix", "svg_size"]
