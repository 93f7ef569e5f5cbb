"""Writing DOT text safely: the styles of a drawing, names and numbers as a
drawing shows them, and escaping for Graphviz's HTML-like labels.

Shared by the value graph (:mod:`autograd.drawing`) and the neuron view
(:mod:`autograd.neurons`).
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from typing import Any

from autograd.errors import GraphTooLargeError, InvalidArgumentError, WrongTypeError
from autograd.value import Value

DEFAULT_MAX_NODES = 300
"""Graphs with more value nodes than this are refused unless ``max_nodes`` is raised."""

COLOURS: dict[str, str] = {
    "output": "#bbf7d0",
    "parameter": "#fde68a",
    "input": "#bfdbfe",
    "constant": "#f1f5f9",
    "intermediate": "#ffffff",
}
"""Fill colour of a value node, by its role (see :func:`role_of`)."""

OP_COLOUR = "#e5e7eb"
HIGHLIGHT_COLOUR = "#dc2626"
PENDING_COLOUR = "#9ca3af"  # a gradient that is not final yet, while stepping
CLUSTER_COLOUR = "#94a3b8"
FONT = "Helvetica"
OP_STYLE = f'shape=ellipse, style=filled, fillcolor="{OP_COLOUR}", fontsize=10, margin=0.03, height=0.3'

RANKDIRS = ("LR", "TB", "RL", "BT")


def role_of(node: Value, root: Value) -> str:
    """The role that decides a node's colour: a key of :data:`COLOURS`."""
    if node is root:
        return "output"
    if node.is_parameter:
        return "parameter"
    if node.inputs:
        return "intermediate"
    return "input" if node.label else "constant"


def op_title(node: Value) -> str:
    """What the op oval of ``node`` says: the op name and its number parameters,
    e.g. ``"tanh"``, ``"**3"``, ``"leaky_relu(0.01)"``."""
    if not node.params:
        return node.op
    numbers = ", ".join(format(p, "g") for p in node.params)
    if node.op == "**":
        return f"**{numbers}"
    return f"{node.op}({numbers})"


def format_number(x: float, digits: int = 4) -> str:
    """A number as a drawing shows it: ``digits`` significant digits, no ``-0``."""
    text = format(x, f".{digits}g")
    return "0" if text == "-0" else text


def refuse_if_too_large(
    count: int, max_nodes: int, who: str = "to_dot", *, what: str = "value nodes", hints: Iterable[str] = ()
) -> None:
    """Raise :class:`GraphTooLargeError` when ``count`` nodes are over the limit.

    Called with the size of the topological order (or of the drawing, for the
    neuron view), before anything is drawn. ``hints`` are other ways to draw
    the graph, each a sentence; the caller leaves out options already given.
    """
    if count > check_max_nodes(max_nodes):
        advice = "".join(f" {hint}" for hint in hints)
        raise GraphTooLargeError(
            f"{who}: this graph has {count} {what}, more than max_nodes={max_nodes}. "
            f"Pass max_nodes={count} (or more) to draw it anyway; a drawing this large is slow to "
            f"render and hard to read.{advice}"
        )


def check_max_nodes(max_nodes: Any) -> int:
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int):
        raise WrongTypeError(f"max_nodes must be an int, got {type(max_nodes).__name__} {max_nodes!r:.60}")
    if max_nodes < 1:
        raise InvalidArgumentError(f"max_nodes must be at least 1, got {max_nodes}")
    return max_nodes


# -- escaping -------------------------------------------------------------------

# Characters XML 1.0 forbids even as references (Graphviz parses HTML-like labels
# with an XML parser) are shown as visible stand-ins instead.
_CONTROL_PICTURES = {code: chr(0x2400 + code) for code in range(32)}
_CONTROL_PICTURES[0x7F] = "\u2421"


def _html_char(ch: str) -> str:
    code = ord(ch)
    if ch == "&":
        return "&amp;"
    if ch == "<":
        return "&lt;"
    if ch == ">":
        return "&gt;"
    if ch == '"':
        return "&quot;"
    if ch in "[]":
        return f"&#{code};"  # Graphviz 2.43 rejects a text of only "]"s
    if ch == "\\":
        return "\\\\"  # Graphviz reads \N, \G, \\ ... in labels as escapes
    if ch == "\t":
        return " "
    if code < 32 or code == 0x7F:
        return _CONTROL_PICTURES[code]
    if 0xD800 <= code <= 0xDFFF or (code & 0xFFFE) == 0xFFFE or 0xFDD0 <= code <= 0xFDEF:
        return "\ufffd"  # lone surrogates and Unicode noncharacters
    return ch


def html_text(text: str) -> str:
    """``text`` escaped for the inside of a Graphviz HTML-like label.

    ``& < > "`` become entities, a backslash is doubled (Graphviz would read
    ``\\N`` as the node's id), line breaks become ``<BR/>``, control characters
    become their visible Unicode pictures (``\\x00`` → ``␀``), so any string at all
    renders, and shows, as written.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<BR/>".join("".join(map(_html_char, line)) for line in lines)


def quoted(text: str) -> str:
    """A DOT double-quoted string, for attribute values such as fonts and tooltips."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- the DOT text ---------------------------------------------------------------


__all__ = [
    "CLUSTER_COLOUR",
    "COLOURS",
    "DEFAULT_MAX_NODES",
    "FONT",
    "HIGHLIGHT_COLOUR",
    "OP_COLOUR",
    "OP_STYLE",
    "PENDING_COLOUR",
    "RANKDIRS",
    "check_max_nodes",
    "format_number",
    "html_text",
    "op_title",
    "quoted",
    "refuse_if_too_large",
    "role_of",
]


def highlighted_nodes(highlight: Any, nodes: Container[Value]) -> set[Value]:
    """The nodes a drawing's ``highlight=`` names (a Value or several), each
    checked to be a Value of the graph drawn (``nodes``)."""
    if highlight is None:
        return set()
    values = [highlight] if isinstance(highlight, Value) else list(highlight)
    for v in values:
        if not isinstance(v, Value):
            raise WrongTypeError(f"highlight takes a Value or a list of Values, got {type(v).__name__}")
        if v not in nodes:
            raise InvalidArgumentError(f"highlight: {v!r} is not part of this graph")
    return set(values)
