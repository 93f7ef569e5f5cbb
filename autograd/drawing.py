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
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from autograd.dot_text import (
    CLUSTER_COLOUR,
    COLOURS,
    DEFAULT_MAX_NODES,
    FONT,
    HIGHLIGHT_COLOUR,
    OP_STYLE,
    PENDING_COLOUR,
    RANKDIRS,
    check_max_nodes,
    format_number,
    highlighted_nodes,
    html_text,
    op_title,
    quoted,
    refuse_if_too_large,
    role_of,
)
from autograd.errors import (
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
from autograd.neurons import neuron_dot_lines
from autograd.rendering import (
    DEFAULT_RENDER_TIMEOUT,
    GraphvizError,
    GraphvizNotFoundError,
    GraphvizTimeoutError,
    LayoutEstimate,
    dot_program,
    estimate_layout,
    refuse_hopeless_layout,
    render,
    write_atomically,
)
from autograd.value import Value

if TYPE_CHECKING:
    import graphviz

FORMATS = (".dot", ".pdf", ".png", ".svg")
VIEWS = ("values", "neurons")


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


_EXACT_COUNT_UP_TO = 100_000  # larger graphs are refused as "more than 100,000", without a full walk


def refuse_large_graph(root: Value, max_nodes: int, who: str = "to_dot") -> None:
    """Refuse ``root``'s graph at once when it has far more than ``max_nodes``
    value nodes, counting with a walk that stops early (a graph of a million
    nodes is refused in milliseconds, before its topological order is built).
    The exact limit, with advice, is :func:`refuse_if_too_large`'s."""
    limit = max(10 * check_max_nodes(max_nodes), _EXACT_COUNT_UP_TO)
    count = count_nodes(root, limit)
    if count > limit:
        raise GraphTooLargeError(
            f"{who}: this graph has more than {limit:,} value nodes, far more than max_nodes={max_nodes}; "
            "a drawing this large cannot be rendered or read. Draw a part of it (one sample, one "
            "neuron), or use explain(root, x) and autograd.grad for the numbers"
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


def _check_root(root: Any, who: str) -> Value:
    if not isinstance(root, Value):
        raise WrongTypeError(f"{who} needs a Value (the output of a computation), got {type(root).__name__}")
    return root


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
    marked = highlighted_nodes(highlight, index)

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
        attrs = [f"label=<{html_text(op_title(node))}>", OP_STYLE]
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


# The drawing's public names, with those of the modules it is built from
# (autograd.dot_text, autograd.rendering) that callers have always found here.
__all__ = [
    "COLOURS",
    "DEFAULT_MAX_NODES",
    "DEFAULT_RENDER_TIMEOUT",
    "GraphvizError",
    "GraphvizNotFoundError",
    "GraphvizTimeoutError",
    "LayoutEstimate",
    "MissingPackageError",
    "StepView",
    "dot_program",
    "draw",
    "estimate_layout",
    "format_number",
    "html_text",
    "is_step",
    "op_title",
    "refuse_hopeless_layout",
    "refuse_if_too_large",
    "refuse_large_graph",
    "render",
    "role_of",
    "save_graph",
    "to_dot",
    "write_atomically",
]
