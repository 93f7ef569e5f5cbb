"""Random expression graphs of up to ~50 nodes, with shared subexpressions.

A graph is drawn as a list of ops whose inputs are earlier nodes (often the same
node more than once, or a node that other ops also use). While drawing, the graph
is evaluated with the independent float references of ``opspec``, and an op is
only used where its inputs lie inside its domain (log of a positive number,
division by a number away from 0, relu away from its kink, ...); otherwise the
node becomes ``tanh`` of its first input, which is defined everywhere. Every node
no other node uses feeds the root, a ``sum``, so the whole graph matters.

The same graph is then built three ways (chaingrad Values, plain floats, PyTorch
float64) and the gradients are compared with central finite differences and with
PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opspec import SPECS, SPECS_BY_NAME, OpSpec, close, partial_derivatives, real

import autograd
from autograd import Value, topological_order

MAX_NODES = 50
BOUND = 20.0
"""Largest |value| a node may take; keeps exp and powers from running away."""
KINK_MARGIN = 0.1
"""Graphs keep kinks further away than single ops do: a step at a leaf moves an
intermediate node by (its gradient) · step."""
KINKED = {"relu", "leaky_relu", "abs"}
FALLBACK = SPECS_BY_NAME["tanh"]


@dataclass(frozen=True)
class Node:
    spec: OpSpec
    args: tuple[int, ...]  # indices of earlier nodes (leaves first)
    params: tuple[float, ...]


@dataclass(frozen=True)
class Graph:
    leaves: tuple[float, ...]
    nodes: tuple[Node, ...]

    def sinks(self) -> list[int]:
        """Indices of the nodes that no op uses: they all feed the root."""
        used = {i for node in self.nodes for i in node.args}
        return [i for i in range(len(self.leaves) + len(self.nodes)) if i not in used]

    def __repr__(self) -> str:
        lines = [f"leaves x0..: {self.leaves}"]
        first = len(self.leaves)
        lines += [f"  n{first + k} = {n.spec.name} of {n.args} {n.params}" for k, n in enumerate(self.nodes)]
        lines.append(f"  root = sum of {self.sinks()}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How Hypothesis shows a failing graph: one line per node."""
        printer.text(repr(self))


def _fits(spec: OpSpec, xs: Sequence[float], params: Sequence[float]) -> float | None:
    """The node's value if the op is well defined at xs (with margins), else None."""
    if not spec.inside(*xs, *params):
        return None
    if spec.op in KINKED and abs(xs[0]) < KINK_MARGIN:
        return None
    try:
        out = spec.reference(*xs, *params)
    except (ArithmeticError, ValueError):
        return None
    return out if abs(out) <= BOUND else None


@st.composite
def graphs(draw: Any, max_nodes: int = MAX_NODES) -> Graph:
    leaves = draw(st.lists(real(-2.0, 2.0), min_size=1, max_size=4))
    values = list(leaves)
    nodes: list[Node] = []
    size = len(leaves) + 1  # the root is one more node
    for _ in range(draw(st.integers(1, max_nodes - size))):
        if size >= max_nodes:
            break
        spec = draw(st.sampled_from(SPECS))
        xs, params = draw(spec.cases)  # only its arity and params are used
        # pick inputs among all earlier nodes, favouring recent ones to make depth
        recent = st.integers(max(0, len(values) - 4), len(values) - 1)
        anywhere = st.integers(0, len(values) - 1)
        args = tuple(draw(recent | anywhere) for _ in xs)
        out = _fits(spec, [values[i] for i in args], params)
        if out is None:
            spec, args, params = FALLBACK, args[:1], ()
            out = FALLBACK.reference(values[args[0]])
        nodes.append(Node(spec, args, params))
        values.append(out)
        size += 1 + spec.name.startswith("number ")  # `number OP x` also makes a constant leaf
    return Graph(tuple(leaves), tuple(nodes))


def evaluate(graph: Graph, leaves: Sequence[Any], apply: Any, total: Any) -> Any:
    """Run the graph with ``apply(spec, inputs, params)``; the root is ``total(sinks)``."""
    values = list(leaves)
    for node in graph.nodes:
        values.append(apply(node.spec, [values[i] for i in node.args], node.params))
    return total([values[i] for i in graph.sinks()])


def evaluate_values(graph: Graph, leaves: Sequence[Value]) -> Value:
    return evaluate(graph, leaves, lambda s, xs, ps: s.apply(*xs, *ps), autograd.sum_values)


def evaluate_floats(graph: Graph, leaves: Sequence[float]) -> float:
    return evaluate(graph, leaves, lambda s, xs, ps: s.reference(*xs, *ps), math.fsum)


def build(graph: Graph) -> tuple[list[Value], Value]:
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(graph.leaves)]
    return leaves, evaluate_values(graph, leaves)


@given(graphs())
def test_graph_forward_matches_reference(graph):
    _, root = build(graph)
    expected = evaluate_floats(graph, graph.leaves)
    assert close(root.data, expected, rel=1e-9, abs_=1e-9)


@given(graphs())
def test_graph_gradients_match_finite_differences(graph):
    leaves, root = build(graph)
    root.backward()
    numeric = partial_derivatives(lambda *xs: evaluate_floats(graph, xs), graph.leaves)
    for leaf, expected in zip(leaves, numeric):
        assert close(leaf.grad, expected, rel=1e-5, abs_=1e-6 * max(1.0, abs(root.data))), (
            f"{leaf.label}: backward {leaf.grad!r}, finite difference {expected!r}"
        )


@given(graphs())
def test_graph_order_is_topological(graph):
    _, root = build(graph)
    order = topological_order(root)
    assert order[-1] is root
    assert len(set(order)) == len(order)
    position = {v: i for i, v in enumerate(order)}
    assert all(position[c] < position[v] for v in order for c in v.inputs)
    assert [v.op for v in order] == [v.op for v in topological_order(build(graph)[1])]


@given(graphs())
def test_graph_backward_twice_and_grad_agree(graph):
    leaves, root = build(graph)
    root.backward()
    first = [v.grad for v in topological_order(root)]
    floats = autograd.grad(root, leaves)
    assert all(close(g, leaf.grad, rel=1e-12, abs_=0.0) for g, leaf in zip(floats, leaves))
    root.backward()
    second = [v.grad for v in topological_order(root)]
    for v, g1, g2 in zip(topological_order(root), first, second):
        if v.is_leaf:  # accumulates: g1 + (the same contributions again), rounded on the way
            assert close(g2, 2.0 * g1, rel=1e-12, abs_=1e-12)
        else:  # starts again from 0: exactly the same sums
            assert g2 == g1


@given(graphs())
def test_graph_matches_torch(graph):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for this test (CI installs it)")
    leaves, root = build(graph)
    root.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in graph.leaves]
    out = evaluate(
        graph, tensors, lambda s, xs, ps: s.torch(torch, *xs, *ps), lambda xs: torch.stack(xs).sum()
    )
    out.backward()
    assert close(root.data, out.item(), rel=1e-10, abs_=1e-10)
    for leaf, tensor in zip(leaves, tensors):
        theirs = 0.0 if tensor.grad is None else tensor.grad.item()
        assert close(leaf.grad, theirs, rel=1e-9, abs_=1e-9 * max(1.0, abs(root.data))), (
            f"{leaf.label}: chaingrad {leaf.grad!r}, torch {theirs!r}"
        )


@given(graphs(max_nodes=14))
def test_explain_writes_formulas_that_check_formula_proves_for_every_node(graph):
    """The round trip: for every node of a random graph over every op (the piecewise
    ones and those users define included), the formula explain writes holds at the
    graph's point and at ten random others."""
    _, root = build(graph)
    for node in topological_order(root):
        try:
            explanation = autograd.explain(root, node)
        except autograd.GraphTooLargeError:
            continue  # too many paths to list: explain refuses, as it should
        formula = explanation.formula
        report = autograd.check_formula(root, node, formula)
        assert report.ok, f"{formula}\n{report}"
