"""The neuron view: a network drawn the way textbooks draw it.

The value graph of a network has a node for every number: for
``MLP(2, [16, 16, 1])`` on one sample that is 410 boxes. A textbook draws
the same network with one circle per neuron and one arrow per weight. This
module reads that picture out of the value graph:

* a **neuron** is a ``linear`` node ``z = w1·x1 + ... + wn·xn + b`` (its
  inputs are ``(w1..wn, x1..xn, b)``, in that order) followed, when there is
  one, by its activation ``h = f(z)``: the one node that uses ``z``, made by
  an activation op (``tanh``, ``sigmoid``, ``relu``, ``leaky_relu``,
  ``prelu``, ``softplus``) or labelled ``<scope>.h`` as ``nn`` labels it;
* each input ``xj`` of a neuron is either the output of another neuron (an
  arrow between neurons) or an **input** of the network (a leaf, or a number
  computed from leaves only);
* a neuron's **layer** is one more than the deepest neuron feeding it;
* whatever lies between the last neurons and the output (the loss) is the
  **tail**, drawn as one box.

Each neuron node shows ``z``, ``h = f(z)``, its bias and activation, and
``δ = ∂L/∂z``: the quantity of the δ-rule, from which every gradient of the
neuron follows (``∂L/∂wj = δ·xj``, ``∂L/∂b = δ``). Each weight is one edge
carrying its value and its gradient ``∂L/∂w``.

Names come from ``nn``'s label scopes when they are there (``L1.N0.z`` is
neuron ``L1.N0``), and from the labels of a hand-built graph otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from autograd.dot_text import (
    CLUSTER_COLOUR,
    COLOURS,
    DEFAULT_MAX_NODES,
    FONT,
    HIGHLIGHT_COLOUR,
    RANKDIRS,
    format_number,
    highlighted_nodes,
    html_text,
    op_title,
    quoted,
    refuse_if_too_large,
)
from autograd.errors import InvalidArgumentError, NeuronViewError, NotANetworkError, WrongTypeError
from autograd.graph import topological_order
from autograd.naming import node_names
from autograd.value import Value

ACTIVATION_OPS = frozenset({"tanh", "sigmoid", "relu", "leaky_relu", "prelu", "softplus"})
"""Ops read as a neuron's activation when they are the only use of its ``z``."""

LABELLED_EDGES_PER_LAYER = 9
"""A layer with at most this many weights writes each weight's value and gradient
next to its arrow; so does a layer of one neuron with up to
:data:`LABELLED_FAN_IN` weights, whose arrows fan in without crossing. Denser
layers show them as a tooltip (hover over the arrow in an SVG): their labels
would pile up where the arrows cross."""

LABELLED_FAN_IN = 16

SPACED_LABELS_UP_TO = 40
"""Networks with at most this many weights make room for each label between
the layers. Larger ones set labels beside the arrows without moving anything:
one edge label makes dot double every rank and route each of the hundreds of
arrows through a node of its own, which spreads the layers far apart."""

POSITIVE_COLOUR = "#2563eb"  # a weight > 0
NEGATIVE_COLOUR = "#dc2626"  # a weight < 0
ZERO_COLOUR = "#9ca3af"  # a weight of exactly 0
NEURON_COLOUR = "#f8fafc"
GRAD_COLOUR = "#7c3aed"  # gradients on edges, so they read apart from the values


# -- reading the network out of the graph ----------------------------------------


@dataclass(eq=False)
class Neuron:
    """One neuron found in the graph: ``z = Σ wj·xj + b``, ``h = f(z)``."""

    z: Value
    """The ``linear`` node (the pre-activation)."""
    h: Value
    """The activation's node, or ``z`` itself for a linear neuron."""
    weights: tuple[Value, ...]
    inputs: tuple[Value, ...]
    """What each weight multiplies, in order: network inputs or other neurons' ``h``."""
    bias: Value
    layer: int = 0
    """1 for neurons that read only network inputs, then one more per neuron in between."""
    extra: tuple[Value, ...] = ()
    """The activation's other inputs, e.g. prelu's learned slope α."""

    @property
    def activation(self) -> str:
        """The activation as the value graph names its op (``tanh``,
        ``leaky_relu(0.01)``), or ``"linear"``."""
        return "linear" if self.h is self.z else op_title(self.h)


@dataclass(eq=False)
class Network:
    """A network read from a graph: its inputs, its neurons by layer, its tail."""

    root: Value
    inputs: list[Value]
    """The network's inputs, in the order the first layer reads them."""
    neurons: list[Neuron]
    """Every neuron, layer by layer, each layer in the order of the graph."""
    outputs: list[Neuron]
    """Neurons whose output the tail uses (the network's outputs)."""
    tail_inputs: list[Value] = field(default_factory=list)
    """Labelled leaves that only the tail uses (the targets ``y``)."""
    root_neuron: Neuron | None = None
    """The neuron whose ``h`` is the root, when there is no tail."""

    @property
    def layers(self) -> list[list[Neuron]]:
        """The neurons grouped by layer, layer 1 first."""
        grouped: dict[int, list[Neuron]] = {}
        for neuron in self.neurons:
            grouped.setdefault(neuron.layer, []).append(neuron)
        return [grouped[k] for k in sorted(grouped)]


def _users(order: list[Value]) -> dict[Value, list[Value]]:
    """For each node, the nodes that use it (once per use)."""
    users: dict[Value, list[Value]] = {node: [] for node in order}
    for node in order:
        for child in node.inputs:
            users[child].append(node)
    return users


def _activation_of(z: Value, users: dict[Value, list[Value]]) -> Value | None:
    """The node that applies ``z``'s activation, or None for a linear neuron."""
    if len(users[z]) != 1:
        return None
    candidate = users[z][0]
    if not candidate.inputs or candidate.inputs[0] is not z:
        return None
    if any(other.inputs for other in candidate.inputs[1:]):
        return None  # an activation's other inputs (prelu's α) are leaves
    if candidate.op in ACTIVATION_OPS:
        return candidate
    scope = z.label.rpartition(".")[0]
    if scope and candidate.label == f"{scope}.h":
        return candidate  # an activation nn made with an op of its own
    return None


def read_network(root: Value) -> Network:
    """The network that computes ``root``: see the module docstring.

    Raises :class:`NotANetworkError`, with a message that says why, when the
    graph has no neuron, when a neuron's input is computed from other neurons
    by something that is not a neuron, or when one weight serves several
    neurons (a loss summed over several samples).
    """
    if not isinstance(root, Value):
        raise WrongTypeError(f"the neuron view needs a Value, got {type(root).__name__}")
    order = topological_order(root)
    users = _users(order)
    names = node_names(order)
    neurons: list[Neuron] = []
    by_output: dict[Value, Neuron] = {}
    owner: dict[Value, Neuron] = {}  # z, h, weights, bias, α -> their neuron
    depends_on_neurons: set[Value] = set()
    for node in order:
        if node.op == "linear" and len(node.inputs) % 2 == 1:
            neuron = _neuron_at(node, users, names, owner, by_output, depends_on_neurons)
            neurons.append(neuron)
            by_output[neuron.h] = neuron
            owner[node] = neuron
            owner[neuron.h] = neuron
            for part in (*neuron.weights, neuron.bias, *neuron.extra):
                if part in owner and owner[part] is not neuron:
                    raise _shared_weight(part, names, users)
                owner[part] = neuron
        elif node not in owner and any(
            child in by_output or child in depends_on_neurons for child in node.inputs
        ):
            depends_on_neurons.add(node)
    if not neurons:
        raise NotANetworkError(
            'view="neurons" draws networks of neurons, and this graph has none: a neuron is one '
            "linear node z = w1·x1 + ... + wn·xn + b (nn.Neuron, nn.Layer, nn.MLP and the regression "
            "models make one per neuron; autograd.linear(ws, xs, b) makes one by hand). Draw this "
            'graph with the default view="values".'
        )
    inputs = _network_inputs(neurons, by_output)
    root_neuron = by_output.get(root)
    outputs, tail_inputs = _tail(root, by_output, owner, set(inputs)) if root_neuron is None else ([], [])
    neurons.sort(key=lambda n: n.layer)  # stable: the graph's order within a layer
    return Network(root, inputs, neurons, outputs, tail_inputs, root_neuron)


def _neuron_at(
    z: Value,
    users: dict[Value, list[Value]],
    names: dict[Value, str],
    owner: dict[Value, Neuron],
    by_output: dict[Value, Neuron],
    depends_on_neurons: set[Value],
) -> Neuron:
    n = len(z.inputs) // 2
    weights, inputs, bias = z.inputs[:n], z.inputs[n : 2 * n], z.inputs[-1]
    layer = 1
    for x in inputs:
        source = by_output.get(x)
        if source is not None:
            layer = max(layer, source.layer + 1)
        elif x in depends_on_neurons or x in owner:
            raise NotANetworkError(
                f'view="neurons": the input {names[x]!r} of the neuron {names[z]!r} is computed from '
                "other neurons, but not as a neuron's output (z = Σ w·x + b, then one activation), so "
                'it cannot be drawn as an arrow between neurons. Draw it with view="values".'
            )
    activation = _activation_of(z, users)
    h = z if activation is None else activation
    return Neuron(z, h, weights, inputs, bias, layer, tuple(h.inputs[1:]) if h is not z else ())


def _shared_weight(part: Value, names: dict[Value, str], users: dict[Value, list[Value]]) -> NotANetworkError:
    count = sum(1 for user in users[part] if user.op == "linear")
    return NotANetworkError(
        f'view="neurons" draws one sample passing through a network, but {names[part]!r} is the weight '
        f"of {count} neurons: this looks like a loss summed over {count} samples (or weights shared "
        "between neurons). Draw the loss of one sample, e.g. nn.mse([model(X[0])], [y[0]]), or this "
        'graph with view="values".'
    )


def _network_inputs(neurons: list[Neuron], by_output: dict[Value, Neuron]) -> list[Value]:
    inputs: list[Value] = []
    seen: set[Value] = set()
    for neuron in neurons:
        for x in neuron.inputs:
            if x not in by_output and x not in seen:
                seen.add(x)
                inputs.append(x)
    return inputs


def _tail(
    root: Value, by_output: dict[Value, Neuron], owner: dict[Value, Neuron], inputs: set[Value]
) -> tuple[list[Neuron], list[Value]]:
    """The neurons and the labelled leaves the tail (the loss) reads.

    Walks down from the root and stops at neuron outputs, at the network's
    inputs and at leaves. Weights read by the tail (a penalty on the weights)
    and unlabelled constants are not drawn.
    """
    outputs: list[Neuron] = []
    leaves: list[Value] = []
    seen: set[Value] = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        for child in reversed(node.inputs):
            if child in seen:
                continue
            seen.add(child)
            if child in by_output:
                outputs.append(by_output[child])
            elif child in owner or child in inputs:
                continue
            elif not child.inputs:
                if child.label:
                    leaves.append(child)
            else:
                stack.append(child)
    position = {neuron: k for k, neuron in enumerate(by_output.values())}
    outputs.sort(key=lambda n: (n.layer, position[n]))
    return outputs, leaves


# -- drawing it ---------------------------------------------------------------------


def _short(node: Value, fallback: str) -> str:
    """The last part of a scoped label (``L1.N0.z`` → ``z``), else the label, else ``fallback``."""
    return node.label.rpartition(".")[2] if node.label else fallback


def _title(neuron: Neuron) -> str:
    """The neuron's scope (``L1.N0``) when nn labelled it; else empty."""
    scope, dot, _ = neuron.z.label.rpartition(".")
    return scope if dot else ""


def _row(name: str, value: float, colour: str | None = None) -> str:
    text = f"{html_text(name)} = {format_number(value)}"
    if colour:
        text = f'<FONT COLOR="{colour}">{text}</FONT>'
    return f"<TR><TD>{text}</TD></TR>"


def _neuron_label(neuron: Neuron, show_grad: bool) -> str:
    title = _title(neuron)
    rows = [f"<TR><TD><B>{html_text(title)}</B></TD></TR>"] if title else []
    rows.append(f"<TR><TD>{html_text(neuron.activation)}</TD></TR>")
    rows.append(_row(_short(neuron.z, "z"), neuron.z.data))
    if neuron.h is not neuron.z:
        rows.append(_row(_short(neuron.h, "h"), neuron.h.data))
    rows.append(_row(_short(neuron.bias, "b"), neuron.bias.data))
    for extra in neuron.extra:
        rows.append(_row(_short(extra, "α").replace("alpha", "α"), extra.data))
    if show_grad:
        rows.append(_row("δ", neuron.z.grad, GRAD_COLOUR))
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">{"".join(rows)}</TABLE>>'


def _value_label(name: str, node: Value, show_grad: bool) -> str:
    lines = [f"<B>{html_text(name)}</B> = {format_number(node.data)}"]
    if show_grad:
        lines.append(f'<FONT COLOR="{GRAD_COLOUR}">grad {format_number(node.grad)}</FONT>')
    return "<" + "<BR/>".join(lines) + ">"


def _weight_colour(w: float) -> str:
    return POSITIVE_COLOUR if w > 0 else NEGATIVE_COLOUR if w < 0 else ZERO_COLOUR


def neuron_dot_lines(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    highlight: Value | Iterable[Value] | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> list[str]:
    """The neuron view of ``root`` as DOT lines (head, body, closing brace).

    ``max_nodes`` limits the nodes of the drawing (inputs, neurons, the loss),
    not the value nodes of the graph.
    """
    if rankdir not in RANKDIRS:
        raise InvalidArgumentError(f"rankdir must be one of {', '.join(RANKDIRS)}; got {rankdir!r}")
    network = read_network(root)
    order = topological_order(root)
    names = node_names(order)
    marked = highlighted_nodes(highlight, set(order))
    drawn = len(network.inputs) + len(network.neurons) + len(network.tail_inputs)
    drawn += 0 if network.root_neuron is not None else 1
    refuse_if_too_large(drawn, max_nodes, 'draw(view="neurons")', what="nodes")
    root_name = root.label or "L"
    labelled = [_labelled(layer) for layer in network.layers]

    ids: dict[Value, str] = {}
    body = [
        f"graph [rankdir={rankdir}, fontname={quoted(FONT)}, nodesep=0.1, ranksep=1.6, splines=line, "
        f"outputorder=edgesfirst, forcelabels=true, labelloc=b, fontsize=10, "
        f"label=<{_legend(root_name, show_grad, all(labelled))}>];\n",
        f"node [fontname={quoted(FONT)}, fontsize=9, style=filled];\n",
        f"edge [fontname={quoted(FONT)}, fontsize=8, arrowsize=0.5];\n",
    ]

    def outline(values: Iterable[Value]) -> str:
        return f', color="{HIGHLIGHT_COLOUR}", penwidth=3' if any(v in marked for v in values) else ""

    columns: list[list[str]] = [[]]
    for k, x in enumerate(network.inputs):
        ids[x] = f"x{k}"
        body.append(
            f'x{k} [shape=circle, margin=0.02, fillcolor="{COLOURS["input"]}", '
            f"label={_value_label(names[x], x, show_grad)}{outline([x])}];\n"
        )
        columns[0].append(f"x{k}")
    for layer in network.layers:
        column = []
        for neuron in layer:
            node_id = f"u{len(ids)}"
            ids[neuron.h] = node_id
            parts = [neuron.z, neuron.h, neuron.bias, *neuron.extra]
            fill = COLOURS["output"] if neuron is network.root_neuron else NEURON_COLOUR
            body.append(
                f'{node_id} [shape=circle, margin=0.02, fillcolor="{fill}", '
                f"label={_neuron_label(neuron, show_grad)}{outline(parts)}];\n"
            )
            column.append(node_id)
        columns.append(column)
    body.extend(_column_order(columns))
    spaced = sum(len(n.weights) for n in network.neurons) <= SPACED_LABELS_UP_TO
    for layer, with_numbers in zip(network.layers, labelled):
        largest = max((abs(w.data) for n in layer for w in n.weights), default=0.0) or 1.0
        for neuron in layer:
            for w, x in zip(neuron.weights, neuron.inputs):
                attrs = _weight_attrs(names[w], w, largest, with_numbers, spaced, show_grad)
                body.append(f"{ids[x]} -> {ids[neuron.h]} [{attrs}{outline([w])}];\n")
    if network.root_neuron is None:
        label_kind = "label" if spaced else "xlabel"
        body.extend(_tail_lines(network, ids, names, root_name, show_grad, label_kind, outline([root])))
    return ["digraph chaingrad {\n", *body, "}\n"]


def _labelled(layer: list[Neuron]) -> bool:
    """Whether a layer's arrows carry their numbers (see :data:`LABELLED_EDGES_PER_LAYER`)."""
    count = sum(len(n.weights) for n in layer)
    return count <= LABELLED_EDGES_PER_LAYER or (len(layer) == 1 and count <= LABELLED_FAN_IN)


def _legend(root_name: str, show_grad: bool, all_labelled: bool) -> str:
    d = html_text(f"∂{root_name}")
    lines = ["each circle is a neuron: z = Σ w·x + b, h = f(z)"]
    arrow = "each arrow is a weight w"
    if show_grad:
        lines[0] += f";  δ = {d}/∂z  (so {d}/∂w = δ·x and {d}/∂b = δ)"
        arrow += f", with its gradient {d}/∂w"
    arrow += "; blue: w &gt; 0, red: w &lt; 0, thicker: larger |w|"
    if not all_labelled:
        arrow += "; in an SVG, point at an arrow without numbers to read them"
    lines.append(arrow)
    return "<BR/>".join(lines)


def _weight_attrs(name: str, w: Value, largest: float, labelled: bool, spaced: bool, show_grad: bool) -> str:
    width = 0.4 + 2.2 * abs(w.data) / largest
    attrs = [f'color="{_weight_colour(w.data)}"', f"penwidth={width:.2f}"]
    grad = f"{format_number(w.grad)}"
    short = html_text(name.rpartition(".")[2])
    if labelled:  # the value in the arrow's colour, so that it reads as that arrow's
        text = f'<FONT COLOR="{_weight_colour(w.data)}">{short} = {format_number(w.data)}</FONT>'
        if show_grad:
            text += f'<BR/><FONT COLOR="{GRAD_COLOUR}">grad {grad}</FONT>'
        attrs.append(f"{'label' if spaced else 'xlabel'}=<{text}>")
    tooltip = f"{name} = {format_number(w.data)}" + (f", grad {grad}" if show_grad else "")
    # html_text makes any label safe for Graphviz, which keeps its entities in the SVG
    attrs.append(f"tooltip={quoted(html_text(' '.join(tooltip.splitlines())))}")
    return ", ".join(attrs)


def _column_order(columns: list[list[str]]) -> list[str]:
    """Keep each layer in the graph's order (N0 above N1 ...): one rank per
    column, held in order by invisible edges between neighbours."""
    lines = []
    for column in columns:
        if len(column) > 1:
            chain = " -> ".join(column)
            lines.append(f"{{rank=same; {chain} [style=invis];}}\n")
    return lines


def _tail_lines(
    network: Network,
    ids: dict[Value, str],
    names: dict[Value, str],
    root_name: str,
    show_grad: bool,
    label_kind: str,
    outline: str,
) -> list[str]:
    root = network.root
    label = [f"<B>{html_text(root_name)}</B>", f"{format_number(root.data)}"]
    lines = [
        f'loss [shape=box, style="rounded,filled", fillcolor="{COLOURS["output"]}", '
        f"label=<{'<BR/>'.join(label)}>{outline}];\n"
    ]
    for k, leaf in enumerate(network.tail_inputs):
        lines.append(
            f'y{k} [shape=box, style="rounded,filled", fillcolor="{COLOURS["input"]}", fontsize=9, '
            f"label={_value_label(names[leaf], leaf, False)}];\n"
        )
        lines.append(f'y{k} -> loss [color="{CLUSTER_COLOUR}"];\n')
    for neuron in network.outputs:
        attrs = ['color="#334155"']
        if show_grad:
            d = html_text(f"∂{root_name}/∂{_short(neuron.h, 'h')}")
            grad = format_number(neuron.h.grad)
            attrs.append(f'{label_kind}=<<FONT COLOR="{GRAD_COLOUR}">{d} = {grad}</FONT>>')
        lines.append(f"{ids[neuron.h]} -> loss [{', '.join(attrs)}];\n")
    return lines


__all__ = [
    "ACTIVATION_OPS",
    "Network",
    "Neuron",
    "NeuronViewError",
    "NotANetworkError",
    "neuron_dot_lines",
    "read_network",
]
