"""Walking a graph: the topological order, the backward pass, and ``grad``.

Everything here is iterative, so a chain of a million nodes is as easy as a
chain of three.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from autograd.errors import NonFiniteGradientError, WrongTypeError
from autograd.ops import local_grads_of
from autograd.value import Value, constant


def _check_value(root: Any, who: str) -> None:
    if not isinstance(root, Value):
        raise WrongTypeError(f"{who} needs a Value, got {type(root).__name__} {root!r:.60}")


def topological_order(root: Value) -> list[Value]:
    """Every Value that ``root`` depends on, inputs before the nodes that use them.

    ``root`` is last. The order is a depth-first post-order that visits each
    node's inputs in their recorded order, so the same graph always gives the
    same list. Backward, drawing, stepping and explanation all use this order.
    """
    _check_value(root, "topological_order")
    order: list[Value] = []
    visited: set[Value] = set()
    # Each stack entry is a node and whether its inputs have been pushed already.
    # A node is marked visited when it is expanded, not when it is pushed: it may
    # be pushed again by a later user, and then the stale entry is skipped. A node
    # is appended only after everything pushed above it, i.e. all its inputs.
    stack: list[tuple[Value, bool]] = [(root, False)]
    push = stack.append
    pop = stack.pop
    while stack:
        node, expanded = pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        push((node, True))
        for child in reversed(node.inputs):
            if child not in visited:
                push((child, False))
    return order


def propagate(node: Value) -> None:
    """One step of backward: the chain rule across ``node``'s input edges.

    ``node.grad`` is complete here (every node that uses it came earlier in the
    reverse order), so each input gets ``node.grad × ∂node/∂input`` added.
    """
    g = node.grad
    if g - g != 0.0:
        raise _non_finite(node, g)
    for child, local in zip(node.inputs, node.local_grads):
        child.grad += g * local


def _non_finite(node: Value, g: float) -> NonFiniteGradientError:
    name = f"'{node.label}'" if node.label else "an unlabelled node"
    made_by = f"made by {node.op!r}" if node.op else "a leaf"
    return NonFiniteGradientError(
        f"backward produced a non-finite gradient ({g!r}) at {name} ({made_by}, data={node.data!r}); "
        "a local derivative or a product of them overflowed"
    )


def start_backward(order: list[Value]) -> None:
    """The start of a backward pass over ``order`` (a topological order, root
    last): reset the gradients of intermediate nodes, then seed
    ∂root/∂root = 1. Leaf gradients are kept, so they accumulate."""
    for node in order:
        if node.inputs:
            node.grad = 0.0
    order[-1].grad += 1.0


def backward(root: Value) -> None:
    """``root.backward()``: see :meth:`Value.backward`."""
    order = topological_order(root)
    start_backward(order)
    for node in reversed(order):
        propagate(node)


def zero_grad(values: Value | Iterable[Value]) -> None:
    """Set ``grad`` to 0 for each of ``values`` (one Value or an iterable)."""
    for v in [values] if isinstance(values, Value) else values:
        _check_value(v, "zero_grad")
        v.grad = 0.0


def grad(output: Value, inputs: Value | Sequence[Value], create_graph: bool = False) -> Any:
    """∂output/∂input for each input, without touching any ``.grad``.

    Returns a list (or a single gradient if ``inputs`` is one Value). An input
    the output does not depend on gets 0.

    With ``create_graph=False`` the gradients are floats. With
    ``create_graph=True`` they are Values, built by evaluating the op table's
    local derivative rules on Values, so ``grad`` of them gives second
    derivatives (Newton's method, Hessians).
    """
    _check_value(output, "grad")
    single = isinstance(inputs, Value)
    wanted = [inputs] if single else list(inputs)
    for v in wanted:
        _check_value(v, "grad (inputs)")
    grads: dict[Value, Any] = {output: 1.0}
    for node in reversed(topological_order(output)):
        g = grads.get(node)
        if g is None:
            continue
        number = g.data if isinstance(g, Value) else g
        if number - number != 0.0:  # checked on every node, leaves included, as in backward
            raise _non_finite(node, number)
        if not node.inputs:
            continue
        locals_ = local_grads_of(node) if create_graph else node.local_grads
        for child, local in zip(node.inputs, locals_):
            contribution = g * local
            previous = grads.get(child)
            grads[child] = contribution if previous is None else previous + contribution
    result = [grads.get(v, 0.0) for v in wanted]
    if create_graph:
        result = [r if isinstance(r, Value) else constant(float(r)) for r in result]
    return result[0] if single else result
