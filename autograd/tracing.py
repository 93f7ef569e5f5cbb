"""Tracing: run a function once on the engine and keep its graph as plain data.

A graph built from Values has the same shape every time the same function
runs on new numbers: only the numbers change. :func:`trace` runs ``f`` on
fresh leaves and describes its graph node by node (:class:`TracedNode`:
which op, which inputs by position, which argument or parameter), without
the Values, so the trace can be kept while the graph itself is freed.
:func:`shape_difference` says, in words, where two traces differ: how
:mod:`autograd.compiling` finds out that ``f`` branches on its data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from autograd.errors import ChaingradError, WrongTypeError
from autograd.graph import topological_order
from autograd.value import Value, is_grad_enabled


class CompileError(ChaingradError, ValueError):
    """``f`` cannot be compiled as given (a leaf that is neither an argument nor a
    parameter, tracing inside ``no_grad``, ...)."""


class TraceMismatchError(CompileError):
    """The compiled code and the engine disagree on some inputs: ``f`` builds a
    graph whose shape depends on the data (a Python ``if`` on ``.data``)."""


class TracedNode(NamedTuple):
    """One node of the traced graph, without the Value (so the trace can be freed)."""

    kind: str  # "arg", "param", "const" or "op"
    op: str
    inputs: tuple[int, ...]  # positions in the topological order
    params: tuple[float, ...]
    slot: int  # which argument or parameter (-1 otherwise)
    data: float  # the number when traced (what a constant is baked in as)
    label: str

    def shape(self) -> tuple[Any, ...]:
        """What must not change between traces for the compiled code to hold."""
        return (
            self.kind,
            self.op,
            self.inputs,
            self.params,
            self.slot,
            self.data if self.kind == "const" else 0,
        )


Structure = tuple[tuple[Any, ...], ...]
"""A graph's shape, node by node in topological order: (op, params, input
positions, the number of a constant). Two graphs that compile to the same code
have equal structures; a Python ``if`` on ``.data`` that takes the other way
for some input gives another one."""


_LEAF: tuple[Any, ...] = ("", (), (), None)


def structure(root: Value) -> Structure:
    """The :data:`Structure` of ``root``'s graph (one pass over its order)."""
    order = topological_order(root)
    position = dict(zip(order, range(len(order)))).__getitem__
    return tuple(
        [
            (node.op, node.params, tuple(map(position, node.inputs)), node.data if node.is_constant else None)
            if node.inputs or node.is_constant
            else _LEAF
            for node in order
        ]
    )


def traced_structure(nodes: Sequence[TracedNode]) -> Structure:
    """The :data:`Structure` of a traced graph, to compare with :func:`structure`'s."""
    return tuple([(n.op, n.params, n.inputs, n.data if n.kind == "const" else None) for n in nodes])


def _leaf_name(node: Value) -> str:
    return f"the leaf {node.label!r:.80}" if node.label else f"an unlabelled leaf (data={node.data!r})"


def trace(
    f: Callable[..., Any], leaves: Sequence[Value], params: Sequence[Value]
) -> tuple[list[TracedNode], Value]:
    """Run ``f`` on the engine and describe its graph node by node."""
    if not is_grad_enabled():
        raise CompileError(
            "compile traces f on the engine, which records no graph inside no_grad(); call it outside"
        )
    out = f(*leaves)
    if not isinstance(out, Value):
        raise WrongTypeError(
            f"compile needs f to return one Value (a scalar, such as a loss), got {type(out).__name__} "
            f"{out!r:.60}; for several outputs, compile each or their sum"
        )
    order = topological_order(out)
    index = {node: k for k, node in enumerate(order)}
    arg_slot = {leaf: i for i, leaf in enumerate(leaves)}
    param_slot = {p: j for j, p in enumerate(params)}
    nodes = []
    for node in order:
        if node.inputs:
            inputs = tuple([index[v] for v in node.inputs])
            nodes.append(TracedNode("op", node.op, inputs, node.params, -1, node.data, node.label))
        elif node in arg_slot:
            nodes.append(TracedNode("arg", "", (), (), arg_slot[node], node.data, node.label))
        elif node in param_slot:
            nodes.append(TracedNode("param", "", (), (), param_slot[node], node.data, node.label))
        elif node.is_parameter or node.label:
            kind = "a Parameter" if node.is_parameter else "labelled"
            raise CompileError(
                f"f uses {_leaf_name(node)} ({kind}), which is neither an argument of f nor in params=; "
                f"compiled code would freeze it at {node.data!r}. List it in params= (read at every call), "
                "pass it as an argument, or write a plain number for a constant"
            )
        else:
            nodes.append(TracedNode("const", "", (), (), -1, node.data, ""))
    return nodes, out


def describe_shape(node: TracedNode) -> str:
    if node.kind == "op":
        params = f" {node.params}" if node.params else ""
        return f"op {node.op!r}{params} of nodes {list(node.inputs)}"
    if node.kind == "const":
        return f"the constant {node.data!r}"
    return f"{node.kind} {node.slot}"


def shape_difference(compiled: Sequence[TracedNode], traced: Sequence[TracedNode]) -> str | None:
    """Where two traces differ, in words, or None if they have the same shape."""
    for k, (a, b) in enumerate(zip(compiled, traced)):
        if a.shape() != b.shape():
            return f"node v{k} was {describe_shape(a)} when compiled, and is {describe_shape(b)} now"
    if len(compiled) != len(traced):
        return f"the graph had {len(compiled)} nodes when compiled and has {len(traced)} now"
    return None


__all__ = [
    "CompileError",
    "Structure",
    "TraceMismatchError",
    "TracedNode",
    "describe_shape",
    "shape_difference",
    "structure",
    "trace",
    "traced_structure",
]
