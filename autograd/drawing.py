"""Drawing a graph: DOT text for Graphviz, built by our own code.

A drawing shows each Value as a box (its name, ``data`` and ``grad``) and each
op as a small oval of its own, with edges ``input → op → output``. The number on
an ``input → op`` edge is the local derivative ∂output/∂input: backward
multiplies the output's gradient by it on its way to the input. The fill colour
tells the node's role:

========================  =======================================================
role                      which nodes
========================  =======================================================
``output``                the root (green)
``parameter``             ``Parameter`` leaves, the weights a model learns (amber)
``input``                 other labelled leaves (blue)
``constant``              unlabelled leaves: numbers written in the code (grey)
``intermediate``          every node an op made (white)
========================  =======================================================

:func:`to_dot` needs nothing but the standard library. :func:`draw` wraps the
same text in a ``graphviz.Digraph`` (the ``graphviz`` Python package, the
``[draw]`` extra) so that Jupyter shows it inline. :func:`save_graph` writes a
``.dot`` file, or an ``.svg``/``.png`` image rendered by Graphviz's ``dot``
program.
"""

from __future__ import annotations

import html
import math
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

from autograd import files
from autograd.errors import (
    ChaingradError,
    GraphTooLargeError,
    InvalidArgumentError,
    MissingFolderError,
    MissingPackageError,
    NeuronViewError,
    WrongTypeError,
)
from autograd.graph import topological_order
from autograd.limits import count_nodes
from autograd.naming import node_names
from autograd.value import Value

if TYPE_CHECKING:
    import graphviz

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
_OP_STYLE = f'shape=ellipse, style=filled, fillcolor="{OP_COLOUR}", fontsize=10, margin=0.03, height=0.3'

RANKDIRS = ("LR", "TB", "RL", "BT")
FORMATS = (".dot", ".pdf", ".png", ".svg")
VIEWS = ("values", "neurons")


class GraphvizError(ChaingradError, RuntimeError):
    """Graphviz's ``dot`` program failed to render a drawing."""


class GraphvizNotFoundError(GraphvizError):
    """Graphviz's ``dot`` program is not installed (or not on ``PATH``)."""


class StepView(Protocol):
    """What a drawing needs of one step of backward (:class:`autograd.stepping.Step` has it)."""

    root: Value
    node: Value
    edges: tuple[Any, ...]

    def grads_after(self) -> dict[Value, float]: ...

    def has_visited(self, node: Value) -> bool: ...


def is_step(thing: Any) -> bool:
    """True for a step of backward (anything a drawing can highlight as one)."""
    return all(hasattr(thing, name) for name in ("root", "node", "edges", "grads_after", "has_visited"))


# -- reading the graph --------------------------------------------------------


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


_EXACT_COUNT_UP_TO = 100_000  # larger graphs are refused as "more than 100,000", without a full walk


def refuse_large_graph(root: Value, max_nodes: int, who: str = "to_dot") -> None:
    """Refuse ``root``'s graph at once when it has far more than ``max_nodes``
    value nodes, counting with a walk that stops early (a graph of a million
    nodes is refused in milliseconds, before its topological order is built).
    The exact limit, with advice, is :func:`refuse_if_too_large`'s."""
    limit = max(10 * _check_max_nodes(max_nodes), _EXACT_COUNT_UP_TO)
    count = count_nodes(root, limit)
    if count > limit:
        raise GraphTooLargeError(
            f"{who}: this graph has more than {limit:,} value nodes, far more than max_nodes={max_nodes}; "
            "a drawing this large cannot be rendered or read. Draw a part of it (one sample, one "
            "neuron), or use explain(root, x) and autograd.grad for the numbers"
        )


def refuse_if_too_large(
    count: int, max_nodes: int, who: str = "to_dot", *, what: str = "value nodes", hints: Iterable[str] = ()
) -> None:
    """Raise :class:`GraphTooLargeError` when ``count`` nodes are over the limit.

    Called with the size of the topological order (or of the drawing, for the
    neuron view), before anything is drawn. ``hints`` are other ways to draw
    the graph, each a sentence; the caller leaves out options already given.
    """
    if count > _check_max_nodes(max_nodes):
        advice = "".join(f" {hint}" for hint in hints)
        raise GraphTooLargeError(
            f"{who}: this graph has {count} {what}, more than max_nodes={max_nodes}. "
            f"Pass max_nodes={count} (or more) to draw it anyway; a drawing this large is slow to "
            f"render and hard to read.{advice}"
        )


def _smaller_views(order: list[Value], cluster: bool) -> list[str]:
    """Other ways to draw a large value graph, leaving out what is already asked for."""
    hints = []
    if any(node.op == "linear" for node in order):
        hints.append(
            'view="neurons" draws the network the textbook way: one circle per neuron, one arrow per weight.'
        )
    if not cluster and any("." in node.label for node in order):
        hints.append(
            "cluster=True groups the nodes into boxes by the name scope of their labels "
            '("L1.N0.w1" goes in box "L1" > "L1.N0").'
        )
    return hints


def _check_max_nodes(max_nodes: Any) -> int:
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


def _check_root(root: Any, who: str) -> Value:
    if not isinstance(root, Value):
        raise WrongTypeError(f"{who} needs a Value (the output of a computation), got {type(root).__name__}")
    return root


def _highlighted(highlight: Any, index: dict[Value, int]) -> set[Value]:
    if highlight is None:
        return set()
    values = [highlight] if isinstance(highlight, Value) else list(highlight)
    for v in values:
        if not isinstance(v, Value):
            raise WrongTypeError(f"highlight takes a Value or a list of Values, got {type(v).__name__}")
        if v not in index:
            raise InvalidArgumentError(f"highlight: {v!r} is not part of this graph")
    return set(values)


def _scope(label: str) -> tuple[str, ...]:
    """The name scope of a label: ``"L1.N0.w1"`` → ``("L1", "L1.N0")``."""
    parts = label.split(".")[:-1]
    return tuple(".".join(parts[: k + 1]) for k in range(len(parts)))


def to_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_local: bool = True,
    highlight: Value | Iterable[Value] | None = None,
    step: StepView | None = None,
    cluster: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    view: str = "values",
) -> str:
    """The graph of ``root`` as DOT text (the language of Graphviz).

    view        ``"values"``: every Value and op, as below; ``"neurons"``: a network
                of ``nn`` neurons the textbook way, one circle per neuron (its z, h,
                bias, activation and δ = ∂L/∂z) and one arrow per weight (its value
                and gradient); see :mod:`autograd.neurons`. The neuron view takes
                rankdir, show_grad, highlight and max_nodes (counting its circles)
    rankdir     ``"LR"`` (inputs on the left) or ``"TB"`` (inputs on top); also RL, BT
    show_grad   show each node's ``grad`` under its ``data``
    show_local  write the local derivative ∂output/∂input on each input → op edge
    highlight   a Value, or a list of Values, to outline in red
    step        a :class:`~autograd.stepping.Step` of ``backward_steps(root)``: outline
                that node and its input edges (labelled with the contribution each
                passes on), and show the gradients as they were right after that
                step, the ones not final yet in grey
    cluster     group nodes into nested boxes by the dotted name scope of their
                labels: ``"L1.N0.w1"`` goes in box ``"L1.N0"`` inside box ``"L1"``;
                an op goes in the box of the node it makes
    max_nodes   refuse (:class:`GraphTooLargeError`) a graph with more value nodes

    The text depends only on the graph (node ids follow the topological order),
    so the same graph always gives the same bytes. It needs no Graphviz install.
    """
    lines = _view_lines(
        _check_root(root, "to_dot"),
        view=view,
        rankdir=rankdir,
        show_grad=show_grad,
        show_local=show_local,
        highlight=highlight,
        step=step,
        cluster=cluster,
        max_nodes=max_nodes,
    )
    return "".join(lines)


def _view_lines(root: Value, *, view: str, **options: Any) -> list[str]:
    """The DOT lines of ``root`` in the chosen view."""
    if view == "values":
        return _dot_lines(root, **options)
    if view != "neurons":
        raise InvalidArgumentError(f"view must be one of {', '.join(map(repr, VIEWS))}; got {view!r}")
    from autograd.neurons import neuron_dot_lines  # the neuron view builds on this module

    if options["step"] is not None:
        raise NeuronViewError(
            'view="neurons" cannot show a step of backward: steps are drawn on the value graph '
            '(leave out view="neurons", or use step.draw())'
        )
    if options["cluster"]:
        raise NeuronViewError(
            'view="neurons" already groups the neurons by layer; leave out cluster=True '
            '(it boxes the nodes of view="values")'
        )
    return neuron_dot_lines(
        root,
        rankdir=options["rankdir"],
        show_grad=options["show_grad"],
        highlight=options["highlight"],
        max_nodes=options["max_nodes"],
    )


def _dot_lines(
    root: Value,
    *,
    rankdir: str,
    show_grad: bool,
    show_local: bool,
    highlight: Any,
    step: StepView | None,
    cluster: bool,
    max_nodes: int,
) -> list[str]:
    """The DOT text as lines: the head, the body lines, the closing brace."""
    if rankdir not in RANKDIRS:
        raise InvalidArgumentError(f"rankdir must be one of {', '.join(RANKDIRS)}; got {rankdir!r}")
    refuse_large_graph(root, max_nodes)
    order = topological_order(root)
    refuse_if_too_large(len(order), max_nodes, hints=_smaller_views(order, cluster))
    index = {node: i for i, node in enumerate(order)}
    names = node_names(order)
    marked = _highlighted(highlight, index)

    grads: dict[Value, float] | None = None
    if step is not None:
        if not is_step(step):
            raise WrongTypeError(f"step takes a Step from backward_steps(root), got {type(step).__name__}")
        if step.root is not root:
            raise InvalidArgumentError("step: this Step belongs to a different graph (use step.draw())")
        grads = step.grads_after()

    def node_line(i: int, node: Value) -> str:
        text = [f"<B>{html_text(names[node])}</B>", f"data {format_number(node.data)}"]
        if show_grad and not node.is_constant:  # a number written in the code has no gradient to show
            if grads is None:
                text.append(f"grad {format_number(node.grad)}")
            elif step is not None and step.has_visited(node):
                text.append(f"grad {format_number(grads[node])}")
            else:
                pending = f"grad {format_number(grads[node])}"
                text.append(f'<FONT COLOR="{PENDING_COLOUR}">{pending}</FONT>')
        attrs = [f"label=<{'<BR/>'.join(text)}>", f'fillcolor="{COLOURS[role_of(node, root)]}"']
        if node in marked or (step is not None and node is step.node):
            attrs.append(f'color="{HIGHLIGHT_COLOUR}", penwidth=3')
        return f"n{i} [{', '.join(attrs)}];\n"

    def op_line(i: int, node: Value) -> str:
        attrs = [f"label=<{html_text(op_title(node))}>", _OP_STYLE]
        if step is not None and node is step.node:
            attrs.append(f'color="{HIGHLIGHT_COLOUR}", penwidth=3')
        return f"op{i} [{', '.join(attrs)}];\n"

    # The order of the lines below puts every op's inputs in their order (w1..wn,
    # x1..xn, b). dot's crossing minimisation then swaps nodes whose swap changes
    # nothing: a neuron's weights all cross the same edges, so its passes rotate
    # them (w16, b, w1..w15), and with clusters a second pass over the whole graph
    # (remincross) does it again. mclimit=0.01 keeps the passes to the few that
    # remove real crossings, and remincross=false skips the second one.
    passes = "mclimit=0.01, remincross=false" if cluster else "mclimit=0.01"
    body: list[str] = [
        f"graph [rankdir={rankdir}, fontname={quoted(FONT)}, nodesep=0.25, ranksep=0.35, {passes}];\n",
        f'node [shape=box, style="rounded,filled", fontname={quoted(FONT)}, fontsize=11, '
        f'fillcolor="{COLOURS["intermediate"]}"];\n',
        f"edge [fontname={quoted(FONT)}, fontsize=9, arrowsize=0.7];\n",
    ]

    # Where each node goes: scope (tuple of nested box names) → its lines.
    op_lines: dict[tuple[str, ...], list[str]] = {}
    value_lines: dict[tuple[str, ...], list[str]] = {}
    scopes: list[tuple[str, ...]] = []  # every box, in order of first appearance
    seen_scopes: set[tuple[str, ...]] = set()
    for i, node in enumerate(order):
        scope = _scope(node.label) if cluster else ()
        for depth in range(1, len(scope) + 1):
            if scope[:depth] not in seen_scopes:
                seen_scopes.add(scope[:depth])
                scopes.append(scope[:depth])
        value_lines.setdefault(scope, []).append(node_line(i, node))
        if node.inputs:
            op_lines.setdefault(scope, []).append(op_line(i, node))

    body.extend(value_lines.get((), []))
    body.extend(op_lines.get((), []))
    body.extend(_cluster_lines(scopes, op_lines, value_lines))

    for i, node in enumerate(order):
        if not node.inputs:
            continue
        current = step is not None and node is step.node
        contributions = [edge.contribution for edge in step.edges] if current and step else []
        for k, (child, local) in enumerate(zip(node.inputs, node.local_grads)):
            attrs = []
            if current:
                label = f"local {format_number(local)}<BR/>adds {format_number(contributions[k])}"
                attrs.append(f"label=<{label}>")
                attrs.append(f'color="{HIGHLIGHT_COLOUR}", fontcolor="{HIGHLIGHT_COLOUR}", penwidth=2')
            elif show_local:
                attrs.append(f"label=<{format_number(local)}>")
            tail = f" [{', '.join(attrs)}]" if attrs else ""
            body.append(f"n{index[child]} -> op{i}{tail};\n")
        tail = f' [color="{HIGHLIGHT_COLOUR}", penwidth=2]' if current else ""
        body.append(f"op{i} -> n{i}{tail};\n")

    return ["digraph chaingrad {\n", *body, "}\n"]


def _cluster_lines(
    scopes: list[tuple[str, ...]],
    op_lines: dict[tuple[str, ...], list[str]],
    value_lines: dict[tuple[str, ...], list[str]],
) -> list[str]:
    """Nested ``subgraph cluster_k { ... }`` blocks, one per name scope.

    ``scopes`` lists every box in order of first appearance, parents before
    children; we walk that tree depth first with an explicit stack.
    """
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for scope in scopes:
        children.setdefault(scope[:-1], []).append(scope)
    number = {scope: k for k, scope in enumerate(scopes)}
    lines: list[str] = []
    stack: list[tuple[tuple[str, ...], bool]] = [(s, False) for s in reversed(children.get((), []))]
    while stack:
        scope, closing = stack.pop()
        if closing:
            lines.append("}\n")
            continue
        lines.append(f"subgraph cluster_{number[scope]} {{\n")
        lines.append(
            f'label=<{html_text(scope[-1])}>; style="rounded,dashed"; color="{CLUSTER_COLOUR}"; '
            f"fontsize=10;\n"
        )
        lines.extend(value_lines.get(scope, []))
        lines.extend(op_lines.get(scope, []))
        stack.append((scope, True))
        stack.extend((s, False) for s in reversed(children.get(scope, [])))
    return lines


# -- Jupyter and files ----------------------------------------------------------


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise MissingPackageError(
            'drawing needs the graphviz Python package: pip install "chaingrad[draw]" '
            "(rendering images also needs Graphviz's dot program: apt-get install graphviz, "
            "brew install graphviz, or conda install graphviz)"
        ) from None
    return graphviz


def _notebook_mimebundle(digraph: Any, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
    """What Jupyter shows for a drawing: the SVG scaled to the cell's width
    (or, without Graphviz's dot, what to install)."""
    from autograd.inline_svg import fitted_svg_html

    try:
        svg = render(digraph.source, "svg").decode("utf-8")
    except GraphvizError as exc:
        return {"text/html": f"<p><i>{html.escape(str(exc))}</i></p>"}
    return {"text/html": fitted_svg_html(svg)}


def _drawing_class(graphviz: Any) -> type:
    """``graphviz.Digraph`` whose notebook display fits the cell (see :class:`Drawing`).

    Made on first use, because the graphviz package is optional.
    """
    made = globals().get("Drawing")
    if made is None:
        made = type(
            "Drawing",
            (graphviz.Digraph,),
            {
                "__doc__": "A graphviz.Digraph that Jupyter shows scaled to the cell's width; "
                "click it for its full size. Everything else is graphviz.Digraph.",
                "__module__": __name__,
                "_repr_mimebundle_": _notebook_mimebundle,
            },
        )
        globals()["Drawing"] = made  # so that pickle finds the class by its name
    return made


def draw(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_local: bool = True,
    highlight: Value | Iterable[Value] | None = None,
    step: StepView | None = None,
    cluster: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    view: str = "values",
) -> graphviz.Digraph:
    """The drawing of :func:`to_dot` as a ``graphviz.Digraph``: Jupyter shows it inline.

    Its ``.source`` is exactly ``to_dot(root, ...)``. In a notebook a wide
    drawing is scaled down to the cell's width, so the whole graph is in view;
    a click on it toggles its full size. Building it needs the ``graphviz``
    package (``pip install "chaingrad[draw]"``) but not Graphviz itself;
    displaying or rendering it (``.render``, ``.pipe``, or :func:`save_graph`)
    runs Graphviz's ``dot`` program.
    """
    graphviz = _import_graphviz()
    lines = _view_lines(
        _check_root(root, "draw"),
        view=view,
        rankdir=rankdir,
        show_grad=show_grad,
        show_local=show_local,
        highlight=highlight,
        step=step,
        cluster=cluster,
        max_nodes=max_nodes,
    )
    digraph = _drawing_class(graphviz)(name="chaingrad")
    digraph.body = lines[1:-1]  # the Digraph writes the head and the closing brace itself
    return digraph


def _dot_text_of(graph: Any, options: dict[str, Any], who: str) -> str:
    """DOT text from a Value, a Step, a graphviz object or DOT text itself."""
    if isinstance(graph, Value):
        return to_dot(graph, **options)
    if is_step(graph):
        return to_dot(graph.root, step=graph, **options)
    if options:
        raise WrongTypeError(
            f"{who}: drawing options ({', '.join(sorted(options))}) apply only when you pass a Value "
            "or a Step, not a finished drawing"
        )
    if isinstance(graph, str):
        return graph
    source = getattr(graph, "source", None)
    if isinstance(source, str):
        return source
    raise WrongTypeError(
        f"{who} takes a Value, a Step, a graphviz.Digraph or DOT text; got {type(graph).__name__}"
    )


def dot_program() -> str:
    """The path of Graphviz's ``dot`` program, or an error that says how to install it."""
    found = shutil.which("dot")
    if found is None:
        raise GraphvizNotFoundError(
            "rendering an image needs Graphviz's dot program, which is not installed (or not on PATH). "
            "Install it with `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
            "(macOS) or `conda install -c conda-forge graphviz`; or save the DOT text instead, "
            'e.g. save_graph(root, "graph.dot"), which needs no Graphviz.'
        )
    return found


# -- rendering with dot, bounded -----------------------------------------------

DEFAULT_RENDER_TIMEOUT = 60.0
"""Seconds :func:`render` lets Graphviz's ``dot`` run before stopping it."""

MAX_LONG_EDGE_STEPS = 3000
"""The layout work :func:`render` accepts, in ranks crossed by long edges (see
:func:`estimate_layout`): past about 3,000, ``dot`` needs minutes (an 80-term
sum of sin(x), 161 value nodes, needs about 6,400 and did not finish in 90 s)."""

MAX_DOT_CHARACTERS = 2_000_000
"""The longest DOT text :func:`render` hands to ``dot`` (huge labels)."""

# an edge "tail -> head"; a name starts only where no name character precedes it (so a
# long run of letters is scanned once, not once per letter), and the head is not
# consumed, so "a -> b -> c" gives both edges
_EDGE = re.compile(r'(?<![\w."])"?([\w.]+)"?\s*->\s*(?="?([\w.]+))')


class GraphvizTimeoutError(GraphvizError, TimeoutError):
    """Graphviz's ``dot`` did not finish within the timeout and was stopped."""


class LayoutEstimate(NamedTuple):
    """What ``dot`` must lay out: boxes, arrows, and long-edge steps.

    ``long_edge_steps`` counts, over all edges, the ranks an edge crosses
    between its ends: ``dot`` puts a hidden node on each, and its time grows
    steeply with them (an input used at both ends of a long chain of ops makes
    edges that cross every rank in between). Ranks are estimated the way
    ``dot`` assigns them: each node one rank after its inputs, then pulled
    towards its users when it has more users than inputs.
    """

    nodes: int
    edges: int
    long_edge_steps: int
    characters: int


_SAME_RANK = re.compile(r"\{rank=same;[^{}]*\}")


def estimate_layout(dot_text: str) -> LayoutEstimate:
    """The size of the layout ``dot`` would compute for ``dot_text``, in linear time.

    Edges inside a ``{rank=same; ...}`` group only order nodes within one rank
    (the neuron view keeps a layer's neurons in order so), so they are left out."""
    edges = _EDGE.findall(_SAME_RANK.sub("", dot_text))
    users: dict[str, list[str]] = {}
    inputs: dict[str, list[str]] = {}
    for tail, head in edges:
        users.setdefault(tail, []).append(head)
        inputs.setdefault(head, []).append(tail)
        users.setdefault(head, [])
        inputs.setdefault(tail, [])
    waiting = {node: len(tails) for node, tails in inputs.items()}
    ready = [node for node, count in waiting.items() if count == 0]
    order: list[str] = []
    while ready:  # Kahn's algorithm; nodes on a cycle (hand-written DOT) are left out
        node = ready.pop()
        order.append(node)
        for head in users[node]:
            waiting[head] -= 1
            if waiting[head] == 0:
                ready.append(head)
    rank: dict[str, int] = {}
    for node in order:
        rank[node] = max((rank[t] + 1 for t in inputs[node] if t in rank), default=0)
    for node in reversed(order):
        if users[node] and len(users[node]) >= len(inputs[node]):
            rank[node] = min(rank[h] for h in users[node]) - 1
    steps = sum(max(rank[h] - rank[t] - 1, 0) for t, h in edges if t in rank and h in rank)
    return LayoutEstimate(len(users), len(edges), steps, len(dot_text))


def refuse_hopeless_layout(dot_text: str, who: str = "") -> LayoutEstimate:
    """Raise :class:`GraphTooLargeError` when ``dot`` would need minutes or more for ``dot_text``."""
    prefix = f"{who}: " if who else ""
    if len(dot_text) > MAX_DOT_CHARACTERS:
        raise GraphTooLargeError(
            f"{prefix}the DOT text is {len(dot_text):,} characters, more than {MAX_DOT_CHARACTERS:,}; "
            "labels that long cannot be drawn. Shorten the labels, or save the text as a .dot file"
        )
    estimate = estimate_layout(dot_text)
    if estimate.long_edge_steps > MAX_LONG_EDGE_STEPS:
        raise GraphTooLargeError(
            f"{prefix}Graphviz would need minutes or hours for this drawing ({estimate.nodes} boxes, "
            f"{estimate.edges} arrows, and edges that cross {estimate.long_edge_steps:,} ranks in all, "
            f"more than {MAX_LONG_EDGE_STEPS:,}): a value used both early and late in a long chain of "
            "ops, such as x in a sum of many sin(x) terms, draws an arrow across the whole chain. "
            "Draw a smaller expression (sum_values makes one node of a long sum), save the DOT text "
            "instead (a .dot file), or use explain(root, x) for the chain rule as text"
        )
    return estimate


def _limit_cpu(seconds: int) -> Callable[[], None]:
    """A preexec function for ``dot``: a CPU time limit, so that even a ``dot``
    orphaned by a killed Python process stops by itself (SIGXCPU)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))

    return limit


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill ``dot`` and anything it started (its own process group), and reap it."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
    except OSError:
        pass  # already gone
    process.wait()


def _run_dot(program: str, dot_text: str, fmt: str, timeout: float | None) -> bytes:
    options: dict[str, Any] = {}
    if hasattr(os, "killpg"):
        options["start_new_session"] = True  # its own process group: killed as one
    if timeout is not None and resource is not None:
        options["preexec_fn"] = _limit_cpu(math.ceil(timeout) + 2)
    try:
        process = subprocess.Popen(
            [program, f"-T{fmt}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **options,
        )
    except OSError as exc:
        raise GraphvizError(f"could not run Graphviz's dot program ({program}): {exc}") from exc
    try:
        out, err = process.communicate(dot_text.encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise GraphvizTimeoutError(
            f"Graphviz's dot did not finish the drawing in {timeout:g} s and was stopped; the graph is "
            "too large or too tangled to lay out. Draw a smaller part of it, save the DOT text "
            "instead (a .dot file), or pass a longer timeout="
        ) from None
    except BaseException:  # KeyboardInterrupt included: never leave dot running
        _stop(process)
        raise
    if process.returncode != 0 or not out:
        message = err.decode("utf-8", "replace").strip() or f"exit status {process.returncode}"
        raise GraphvizError(f"Graphviz's dot could not render the drawing as {fmt}: {message}")
    return out


def render(dot_text: str, fmt: str, *, timeout: float | None = DEFAULT_RENDER_TIMEOUT) -> bytes:
    """Run ``dot -T<fmt>`` on ``dot_text`` and return the image bytes (``fmt``: svg, png).

    Bounded: a layout estimated to need minutes (:func:`estimate_layout`) is
    refused at once with :class:`GraphTooLargeError`; ``dot`` runs in its own
    process group with a CPU time limit, and is killed, with anything it
    started, after ``timeout`` seconds (:class:`GraphvizTimeoutError`) or
    when the call is interrupted (Ctrl-C). ``timeout=None`` waits for ever.
    """
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise WrongTypeError(f"timeout must be a number of seconds or None, got {timeout!r:.60}")
        if not timeout > 0 or timeout - timeout != 0.0:
            raise InvalidArgumentError(f"timeout must be a positive number of seconds, got {timeout!r}")
    program = dot_program()
    refuse_hopeless_layout(dot_text)
    return _run_dot(program, dot_text, fmt, timeout)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename it over ``path``,
    so a failure never leaves a half-written file behind (see :mod:`autograd.files`:
    symbolic links are written through, the umask is kept)."""
    try:
        files.write_atomically(path, data, durable=False)
    except InvalidArgumentError as exc:
        raise InvalidArgumentError(f"save_graph: {exc}") from None


def save_graph(
    graph: Any,
    path: str | os.PathLike[str],
    *,
    timeout: float | None = DEFAULT_RENDER_TIMEOUT,
    **options: Any,
) -> Path:
    """Save a drawing to ``path``; the suffix picks the format.

    ``graph`` is a Value (drawn with ``options``, those of :func:`to_dot`), a
    Step (drawn highlighted), a ``graphviz.Digraph`` or DOT text.

    * ``.dot``: the DOT text (no Graphviz needed);
    * ``.svg``, ``.png``, ``.pdf``: an image rendered by Graphviz's ``dot`` program
      (:class:`GraphvizNotFoundError` says how to install it when it is missing),
      bounded as :func:`render` says (``timeout`` seconds at most).

    The file is written to a temporary name and renamed, so a failure leaves no
    partial file. Returns the path.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidArgumentError(
            f"save_graph: cannot save {target.name!r}; the file name must end in one of "
            f"{', '.join(FORMATS)} (the suffix picks the format)"
        )
    text = _dot_text_of(graph, options, "save_graph")
    if not target.parent.is_dir():
        raise MissingFolderError(
            f"save_graph: the folder {str(target.parent)!r} does not exist; create it first"
        )
    data = text.encode("utf-8") if suffix == ".dot" else render(text, suffix[1:], timeout=timeout)
    write_atomically(target, data)
    return target


__all__ = [
    "COLOURS",
    "DEFAULT_MAX_NODES",
    "DEFAULT_RENDER_TIMEOUT",
    "MAX_DOT_CHARACTERS",
    "MAX_LONG_EDGE_STEPS",
    "GraphvizError",
    "GraphvizNotFoundError",
    "GraphvizTimeoutError",
    "LayoutEstimate",
    "MissingPackageError",
    "draw",
    "estimate_layout",
    "format_number",
    "html_text",
    "op_title",
    "refuse_hopeless_layout",
    "refuse_large_graph",
    "render",
    "role_of",
    "save_graph",
    "to_dot",
]
