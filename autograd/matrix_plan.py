"""Finding the layers of a network in a traced graph.

A layer of ``n`` neurons over ``k`` inputs is, in the scalar graph, ``n``
``linear`` nodes that read the SAME tuple of ``k`` input nodes, each with its
own weight parameters and bias, each followed (or not) by the same elementwise
activation. Written with matrices it is one line: ``Z = X @ W.T + b``,
``A = f(Z)``, where row ``j`` of ``W`` holds neuron ``j``'s weights.

:func:`find_layers` looks for that structure in the traced graph of one
sample (the nodes :func:`autograd.compile` records):

* layer 1 reads arguments of the function (the features: the columns of X);
* layer ``k + 1`` reads exactly the outputs of layer ``k``, and nothing else
  uses them;
* every weight, bias (and pReLU slope α) is a parameter used in one place of
  the layers (the rest of the graph may use it too, as an L2 penalty does);
* everything after the last layer (a loss, say) is the *head*: any nodes at
  all, over the last layer's outputs, the arguments, the parameters and
  constants.

The result is a :class:`Plan`, or a sentence that says why the graph has not
that shape (it then keeps the per-edge form). Nothing here runs code; the
plan holds positions in the traced graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd.ops import OPS


@dataclass(frozen=True)
class Layer:
    """One layer: ``Z = X @ W.T + b`` then ``A = activation(Z)``.

    number:            1, 2, ... from the inputs to the output
    neurons:           the ``linear`` node of each neuron, in row order
    weights:           the parameter slot of ``W[j][i]`` (neuron j, input i)
    biases:            the parameter slot of ``b[j]``
    activation:        the elementwise op after ``Z`` (``"tanh"``...), or None
    activation_params: its number parameters (the slope of leaky_relu), the
                       same for every neuron
    activation_nodes:  each neuron's activation node (empty without one)
    neuron_params:     the parameter slot of each neuron's second activation
                       input (pReLU's learned α), empty for one-input ops
    """

    number: int
    neurons: tuple[int, ...]
    weights: tuple[tuple[int, ...], ...]
    biases: tuple[int, ...]
    activation: str | None
    activation_params: tuple[float, ...]
    activation_nodes: tuple[int, ...]
    neuron_params: tuple[int, ...]

    @property
    def outputs(self) -> tuple[int, ...]:
        """The nodes the next layer (or the head) reads: A, or Z without an activation."""
        return self.activation_nodes or self.neurons

    @property
    def size(self) -> int:
        return len(self.neurons)

    def signature(self) -> tuple[Any, ...]:
        """What two traces must share to be the same layer (node positions may differ)."""
        return (self.weights, self.biases, self.activation, self.activation_params, self.neuron_params)


@dataclass(frozen=True)
class Plan:
    """A traced graph read as layers and a head.

    nodes:     the traced graph (``autograd.compiling`` nodes, in topological order)
    layers:    the layers, from the inputs to the output
    features:  the argument slot of each column of X (the inputs of layer 1)
    column_of: each output node of the last layer -> its column
    head:      the op nodes after the layers, in topological order
    root:      the output node of the graph
    """

    nodes: tuple[Any, ...] = field(repr=False)
    layers: tuple[Layer, ...]
    features: tuple[int, ...]
    column_of: dict[int, int]
    head: tuple[int, ...]
    root: int

    def signature(self) -> tuple[Any, ...]:
        """Equal for traces of one network with different heads (one per class label)."""
        return (self.features, tuple(layer.signature() for layer in self.layers))

    def head_params(self) -> list[int]:
        """Parameter slots that the head reads (an L2 penalty reads every weight)."""
        nodes = self.nodes
        return sorted({nodes[i].slot for k in self.head for i in nodes[k].inputs if nodes[i].kind == "param"})


def _neuron_parts(node: Any) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """A ``linear`` node's inputs laid out as (w1..wn, x1..xn, b): weights, inputs, bias."""
    n = len(node.inputs) // 2
    return node.inputs[:n], node.inputs[n : 2 * n], node.inputs[-1]


def find_layers(nodes: Sequence[Any]) -> Plan | str:
    """The layers and head of a traced graph, or why it has no layers (a sentence)."""
    users: list[list[int]] = [[] for _ in nodes]  # one entry per edge
    for k, node in enumerate(nodes):
        for i in node.inputs:
            users[i].append(k)
    kind = [node.kind for node in nodes]

    groups: dict[tuple[int, ...], list[int]] = {}  # input tuple -> neurons reading it
    for k, node in enumerate(nodes):
        if node.kind == "op" and node.op == "linear":
            weights, xs, bias = _neuron_parts(node)
            if all(kind[w] == "param" for w in weights) and kind[bias] == "param":
                groups.setdefault(xs, []).append(k)
    if not groups:
        return "it has no neurons (linear nodes whose weights and bias are parameters)"
    firsts = [xs for xs in groups if all(kind[i] == "arg" for i in xs) and len(set(xs)) == len(xs)]
    if len(firsts) != 1:
        return (
            "no layer reads the arguments"
            if not firsts
            else "several groups of neurons read the arguments (not one chain of layers)"
        )

    layers: list[Layer] = []
    xs = firsts[0]
    features = tuple(nodes[i].slot for i in xs)
    while True:
        neurons = groups.pop(xs)
        found = _activation(nodes, users, neurons)
        if isinstance(found, str):
            return found
        activation, params, act_nodes, alphas = found
        outputs = act_nodes or tuple(neurons)
        following = [g for g in groups if len(g) == len(outputs) and set(g) == set(outputs)]
        if following:  # the next layer orders this layer's neurons: its inputs x1..xn
            xs = following[0]
            position = {out: j for j, out in enumerate(outputs)}
            order = [position[x] for x in xs]
            if sorted(order) != list(range(len(outputs))):
                return f"layer {len(layers) + 2} reads an output of layer {len(layers) + 1} twice"
            readers = sorted(groups[xs])
            if any(sorted(users[out]) != readers for out in outputs):
                return (
                    f"an output of layer {len(layers) + 1} is used outside the next layer (a skip connection)"
                )
        else:  # the last layer: rows in the order of the parameters (model order)
            order = sorted(range(len(neurons)), key=lambda j: nodes[_neuron_parts(nodes[neurons[j]])[2]].slot)
        neurons = [neurons[j] for j in order]
        layer = Layer(
            number=len(layers) + 1,
            neurons=tuple(neurons),
            weights=tuple(tuple(nodes[w].slot for w in _neuron_parts(nodes[z])[0]) for z in neurons),
            biases=tuple(nodes[_neuron_parts(nodes[z])[2]].slot for z in neurons),
            activation=activation,
            activation_params=params,
            activation_nodes=tuple(act_nodes[j] for j in order) if act_nodes else (),
            neuron_params=tuple(alphas[j] for j in order) if alphas else (),
        )
        layers.append(layer)
        if not following:
            break
    return _with_head(nodes, users, layers, features)


def _activation(
    nodes: Sequence[Any], users: list[list[int]], neurons: list[int]
) -> tuple[str | None, tuple[float, ...], tuple[int, ...], tuple[int, ...]] | str:
    """The activation shared by a layer's neurons: (op, number params, nodes, α slots),
    or (None, ...) when the neurons' z are used as they are, or why neither."""
    acts = []
    for z in neurons:
        (user,) = users[z] if len(users[z]) == 1 else (None,)
        node = nodes[user] if user is not None else None
        if node is None or node.kind != "op" or node.inputs[0] != z or node.op == "linear":
            acts = None
            break
        arity = OPS[node.op].arity
        if arity == 1 or (
            arity == 2 and nodes[node.inputs[1]].kind == "param" and len(users[node.inputs[1]]) == 1
        ):
            acts.append(user)
        else:
            acts = None
            break
    if acts is None:  # no activation: z is the output; it may feed several nodes
        return None, (), (), ()
    first = nodes[acts[0]]
    if any(nodes[a].op != first.op or nodes[a].params != first.params for a in acts):
        return "the neurons of a layer have different activations"
    alphas = tuple(nodes[nodes[a].inputs[1]].slot for a in acts) if len(first.inputs) == 2 else ()
    return first.op, first.params, tuple(acts), alphas


def _with_head(
    nodes: Sequence[Any], users: list[list[int]], layers: list[Layer], features: tuple[int, ...]
) -> Plan | str:
    """Check that the layers are self-contained and collect the head after them."""
    inside: set[int] = set()
    layer_params: list[int] = []
    for layer in layers:
        inside.update(layer.neurons)
        inside.update(layer.activation_nodes)
        for z in layer.neurons:
            weights, _, bias = _neuron_parts(nodes[z])
            layer_params += [*weights, bias]
        for a in layer.activation_nodes:
            layer_params += list(nodes[a].inputs[1:])
    if len(set(layer_params)) != len(layer_params):
        return "a parameter is used twice inside the layers (shared weights)"
    last = layers[-1]
    column_of = {out: j for j, out in enumerate(last.outputs)}
    readable = set(column_of)
    head = []
    for k, node in enumerate(nodes):
        if node.kind != "op" or k in inside:
            continue
        for i in node.inputs:
            if i in inside and i not in readable:
                return "a node after the layers reads the inside of a layer (a skip connection)"
        head.append(k)
    root = len(nodes) - 1
    if root in inside and root not in readable:  # pragma: no cover - a topological order ends at its root
        return "the output is inside a layer"
    return Plan(tuple(nodes), tuple(layers), features, column_of, tuple(head), root)


__all__ = ["Layer", "Plan", "find_layers"]
