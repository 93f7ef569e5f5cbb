"""Walking a graph: the topological order, the backward pass, and ``grad``.

Everything here is iterative, so a chain of a million nodes is as easy as a
chain of three.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from autograd.errors import InfiniteDerivativeError, NonFiniteGradientError, WrongTypeError
from autograd.naming import node_names
from autograd.rules import local_grads_of
from autograd.value import Value, constant, make_node


def _check_value(root: Any, who: str) -> None:
    if not isinstance(root, Value):
        raise WrongTypeError(f"{who} needs a Value, got {type(root).__name__} {root!r:.60}")


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
    node = None
    try:
        for node in nodes:
            g = node.grad
            if g - g != 0.0:  # inf or NaN (for finite g it is exactly 0.0)
                if node.is_constant:  # a number written in the code: nobody needs its gradient
                    continue
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
    except InfiniteDerivativeError as exc:
        exc.node = node  # the node whose local derivative it is, for the caller to name
        raise


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
    """Compute ∂root/∂v for every Value v in the graph, into ``v.grad``.

    Seeds ``root.grad`` with 1, walks :func:`topological_order` from the
    output back to the inputs, and adds ``node.grad × local_grad`` into each
    input: the chain rule, edge by edge (:func:`propagate`'s step for every
    node in reverse order). Leaf gradients accumulate across calls (zero them
    with :func:`zero_grad`); intermediate gradients are reset first. Raises
    :class:`NonFiniteGradientError` at the first node whose gradient is inf or
    NaN, and :class:`InfiniteDerivativeError` where a gradient would have to
    pass through an infinite local derivative.
    """
    order = topological_order(root)
    start_backward(order)
    try:
        _propagate_each(reversed(order))
    except InfiniteDerivativeError as exc:
        raise at_node(exc, getattr(exc, "node", root), order) from None


Value.backward = backward  # type: ignore[method-assign]


def at_node(exc: InfiniteDerivativeError, node: Value, order: list[Value]) -> InfiniteDerivativeError:
    """The error of an infinite local derivative, with the node it belongs to named."""
    name = node_names(order).get(node, "the node")
    return InfiniteDerivativeError(f"at {name} (made by {node.op!r}): {exc.problem}", hint=exc.hint)


def zero_grad(values: Value | Iterable[Value]) -> None:
    """Set ``grad`` to 0 for each of ``values`` (one Value or an iterable)."""
    for v in [values] if isinstance(values, Value) else values:
        _check_value(v, "zero_grad")
        v.grad = 0.0


def reaching(order: Sequence[Value], targets: Iterable[Value]) -> set[Value]:
    """The nodes of ``order`` from which at least one path leads down to one of
    ``targets`` (the targets included). In topological order a node's inputs
    come first, so one pass decides each node from its inputs."""
    found = set(targets)
    add = found.add
    for node in order:
        for child in node.inputs:
            if child in found:
                add(node)
                break
    return found


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
    order = topological_order(output)
    needed = reaching(order, wanted)  # only edges that lead to a wanted input are followed
    grads: dict[Value, Any] = {output: 1.0}
    for node in reversed(order):
        g = grads.get(node)
        if g is None or node not in needed:
            continue
        number = g.data if isinstance(g, Value) else g
        if number - number != 0.0:  # checked on every node, leaves included, as in backward
            if node.is_constant:
                continue
            raise _non_finite(node, number)
        if not node.inputs:
            continue
        locals_ = local_grads_of(node) if create_graph else node.local_grads
        for child, local in zip(node.inputs, locals_):
            if child not in needed:
                continue
            try:
                contribution = g * local
            except InfiniteDerivativeError as exc:
                raise at_node(exc, node, order) from None
            previous = grads.get(child)
            grads[child] = contribution if previous is None else previous + contribution
    result = [grads.get(v, 0.0) for v in wanted]
    if create_graph:
        result = [r if isinstance(r, Value) else constant(float(r)) for r in result]
    return result[0] if single else result


# -- copying and pickling a graph ---------------------------------------------------------
# Python's pickle and deepcopy walk an object's references recursively, so a
# chain of a few hundred Values would exhaust the stack. A Value is reduced
# instead to a flat list of records in topological order, rebuilt in one loop.


def _reduce(self: Value) -> tuple[Any, ...]:
    if not self.inputs:
        return (_leaf, (type(self), self.data, self.grad, self.label))
    order = topological_order(self)
    index = {node: k for k, node in enumerate(order)}
    records: list[Any] = []
    for node in order:
        if node.inputs:
            inputs = tuple([index[v] for v in node.inputs])
            records.append(
                (type(node), node.data, node.grad, node.label, node.op, inputs, node.local_grads, node.params)
            )
        else:
            records.append(node)  # leaves are pickled as objects, so leaves shared between graphs stay shared
    return (_rebuild, (records,))


def _leaf(cls: type[Value], data: float, grad: float, label: str) -> Value:
    node = make_node(data, "", (), (), (), cls)
    node.grad, node.label = grad, label
    return node


def _rebuild(records: list[Any]) -> Value:
    """The graph of a reduced Value: every node in topological order, its root last."""
    nodes: list[Value] = []
    for record in records:
        if isinstance(record, Value):
            nodes.append(record)
            continue
        cls, data, grad_, label, op, inputs, local_grads, params = record
        node = make_node(data, op, tuple([nodes[k] for k in inputs]), local_grads, params, cls)
        node.grad, node.label = grad_, label
        nodes.append(node)
    return nodes[-1]


Value.__reduce__ = _reduce  # type: ignore[method-assign,assignment]
