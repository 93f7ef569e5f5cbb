"""Walking a graph: the topological order, the backward pass, and ``grad``.

Everything here is iterative, so a chain of a million nodes is as easy as a
chain of three.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from autograd.errors import NonFiniteGradientError
from autograd.ops import local_grads_of
from autograd.value import Value, constant


def _check_value(root: Any, who: str) -> None:
    if not isinstance(root, Value):
        raise TypeError(f"{who} needs a Value, got {type(root).__name__} {root!r:.60}")


def topological_order(root: Value) -> list[Value]:
    """Every Value that ``root`` depends on, inputs before the nodes that use them.

    ``root`` is last. The order is the depth-first post-order that visits each
    node's inputs in their recorded order (what the recursive
    ``visit(node): visit each input not yet visited, then place node`` gives),
    so the same graph always gives the same list. Backward, drawing, stepping
    and explanation all use this order.

    It is computed without recursion, with a stack of nodes. Expanding a node
    pushes the node, then ``None`` (a marker: "the inputs above are done, place
    the node below"), then its unvisited inputs, last input first; the walk
    goes straight on into the first unvisited input instead of pushing and
    popping it. A node is marked visited when it is expanded, not when it is
    pushed, so it may be pushed twice before its expansion; the later copy is
    skipped. The stack holds only nodes and ``None``: the walk allocates no
    object per node that Python's cyclic garbage collector would have to
    track, so no collection starts in the middle of it, however deep or wide
    the graph (a stack of pairs made one tuple per push, and on a long chain
    the collections they set off cost more than the walk itself).
    """
    _check_value(root, "topological_order")
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    push, pop, place, visit = stack.append, stack.pop, order.append, visited.add
    while stack:
        node = pop()
        if node is None:  # every input of the node below the marker is placed
            place(pop())  # type: ignore[arg-type]
            continue
        if node in visited:  # pushed a second time before its expansion, placed since
            continue
        while True:  # expand node, then its first unvisited input, and so on down
            visit(node)
            inputs = node.inputs
            # one- and two-input ops (nearly all nodes) are unrolled: no iterator per node
            if len(inputs) == 2:
                a, b = inputs
                if a not in visited:
                    push(node)
                    push(None)
                    if b not in visited:
                        push(b)
                    node = a
                    continue
                if b not in visited:
                    push(node)
                    push(None)
                    node = b
                    continue
            elif len(inputs) == 1:
                a = inputs[0]
                if a not in visited:
                    push(node)
                    push(None)
                    node = a
                    continue
            elif inputs:
                first = len(stack)
                push(node)
                push(None)
                for child in reversed(inputs):
                    if child not in visited:
                        push(child)
                if len(stack) > first + 2:
                    node = pop()
                    continue
                del stack[first:]
            place(node)  # a leaf, or every input placed already
            break
    return order


def propagate(node: Value) -> None:
    """One step of backward: the chain rule across ``node``'s input edges.

    ``node.grad`` is complete here (every node that uses it came earlier in the
    reverse order), so each input gets ``node.grad × ∂node/∂input`` added.
    Raises :class:`NonFiniteGradientError` if ``node.grad`` is inf or NaN.
    """
    _propagate_each((node,))


def _propagate_each(nodes: Iterable[Value]) -> None:
    """:func:`propagate` for each of ``nodes`` in turn: the one place the step
    is written. Backward calls it once for the whole reversed order, so the
    step costs no function call per node."""
    for node in nodes:
        g = node.grad
        if g - g != 0.0:  # inf or NaN (for finite g it is exactly 0.0)
            raise _non_finite(node, g)
        inputs = node.inputs
        # one- and two-input ops are unrolled: no zip object per node
        if len(inputs) == 2:
            a, b = inputs
            local_a, local_b = node.local_grads
            a.grad += g * local_a
            b.grad += g * local_b
        elif len(inputs) == 1:
            inputs[0].grad += g * node.local_grads[0]
        elif inputs:
            for child, local in zip(inputs, node.local_grads):
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
    """``root.backward()``: see :meth:`Value.backward`.

    One topological order, the start (intermediate gradients reset, root
    seeded), then :func:`propagate`'s step for every node in reverse order.
    """
    order = topological_order(root)
    start_backward(order)
    _propagate_each(reversed(order))


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
