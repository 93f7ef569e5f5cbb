"""Backward: the chain rule over a whole graph.

Shared subexpressions, repeated backward, ``zero_grad``, ``no_grad``, the
topological order, a million-node chain, and graphs being freed without the
cyclic garbage collector.
"""

from __future__ import annotations

import gc
import math
import time

import pytest

import autograd
from autograd import Value, no_grad, topological_order, zero_grad

# -- shared subexpressions -------------------------------------------------------


def test_a_plus_a():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_a_times_a():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0  # d/da a² = 2a


def test_a_minus_a():
    a = Value(3.0)
    (a - a).backward()
    assert a.grad == 0.0


def test_a_over_a():
    a = Value(3.0)
    (a / a).backward()
    assert math.isclose(a.grad, 0.0, abs_tol=1e-16)


def test_diamond():
    """x feeds two branches that meet again: both paths add up."""
    x = Value(0.5, label="x")
    left, right = x.sin(), x.exp()
    y = left * right
    y.backward()
    # d/dx sin x · e^x = (cos x + sin x) e^x
    assert math.isclose(x.grad, (math.cos(0.5) + math.sin(0.5)) * math.exp(0.5), rel_tol=1e-14)


def test_reused_intermediate_node():
    """c is an intermediate used twice, once directly and once through t = c + 1."""
    a = Value(3.0, label="a")
    c = a * a
    y = (c + 1) + c  # y = 2a² + 1
    y.backward()
    assert c.grad == 2.0
    assert a.grad == 4.0 * a.data


def test_reused_intermediate_node_deeper():
    a = Value(-4.0, label="a")
    c = a + 1
    c = c + c + 1  # 2a + 3
    c = c + 1 + c + (-a)  # 3a + 7
    c.backward()
    assert a.grad == 3.0


def test_many_paths_through_a_ladder():
    """x_{k+1} = (x_k · x_k + x_k) / 2: three edges per level, 3^30 paths from the top
    to x0; the gradient is the product of the derivatives (2x_k + 1) / 2."""
    x0 = Value(0.9, label="x0")
    x, expected = x0, 1.0
    for _ in range(30):
        expected *= (2.0 * x.data + 1.0) / 2.0
        x = (x * x + x) * 0.5
    x.backward()
    assert math.isclose(x0.grad, expected, rel_tol=1e-12)


def test_the_hand_network_matches_the_hand_formulas():
    """The 2-2-1 sigmoid network worked by hand, L = ½(y - ŷ)², and its hand derivation
    ∂L/∂w1 = -(y-ŷ)·ŷ(1-ŷ)·h1,  ∂L/∂w11 = -(y-ŷ)·ŷ(1-ŷ)·w1·h1(1-h1)·x1, ..."""
    x1, x2 = Value(1.0, label="x1"), Value(-1.0, label="x2")
    w11, w12, w21, w22 = (Value(v, label=n) for v, n in [(1, "w11"), (-2, "w12"), (-1, "w21"), (1, "w22")])
    b1, b2 = Value(1.0, label="b1"), Value(0.0, label="b2")
    w1, w2, b = Value(0.5, label="w1"), Value(-0.3, label="w2"), Value(0.1, label="b")
    y = 1.0
    z1 = autograd.linear([w11, w12], [x1, x2], b1)
    z2 = w21 * x1 + w22 * x2 + b2  # the same thing built from + and *
    assert (z1.data, z2.data) == (4.0, -2.0)  # W x + b = [4, -2]
    h1, h2 = z1.sigmoid(), z2.sigmoid()
    y_hat = (w1 * h1 + w2 * h2 + b).sigmoid()
    loss = 0.5 * (y - y_hat) ** 2
    loss.backward()

    yh, h1v, h2v = y_hat.data, h1.data, h2.data
    delta = -(y - yh) * yh * (1 - yh)  # ∂L/∂a
    expected = {
        w1: delta * h1v,
        w2: delta * h2v,
        b: delta,
        w11: delta * w1.data * h1v * (1 - h1v) * x1.data,
        w12: delta * w1.data * h1v * (1 - h1v) * x2.data,
        b1: delta * w1.data * h1v * (1 - h1v),
        w21: delta * w2.data * h2v * (1 - h2v) * x1.data,
        w22: delta * w2.data * h2v * (1 - h2v) * x2.data,
        b2: delta * w2.data * h2v * (1 - h2v),
    }
    for v, formula in expected.items():
        assert math.isclose(v.grad, formula, rel_tol=1e-12), v.label


# -- repeated backward, zero_grad --------------------------------------------------


def test_leaves_accumulate_and_intermediates_reset():
    x = Value(2.0, label="x")
    square = x * x
    y = square * 3
    y.backward()
    assert x.grad == 12.0
    assert square.grad == 3.0
    y.backward()
    assert x.grad == 24.0, "a second backward adds 12 again, not 24"
    assert square.grad == 3.0, "an intermediate gradient starts from 0 in each backward"
    assert y.grad == 1.0


def test_backward_from_two_roots_sums_like_a_mini_batch():
    w = Value(0.5, label="w")
    for x in (1.0, 2.0, 3.0):
        (w * x).backward()
    assert w.grad == 6.0


def test_zero_grad_one_value_or_many():
    a, b = Value(1.0), Value(2.0)
    (a * b).backward()
    zero_grad(a)
    assert a.grad == 0.0 and b.grad == 1.0
    zero_grad([a, b])
    assert (a.grad, b.grad) == (0.0, 0.0)
    zero_grad(v for v in [a])  # any iterable
    with pytest.raises(TypeError, match="float"):
        zero_grad([a, 1.0])


def test_backward_on_a_leaf():
    x = Value(3.0)
    x.backward()
    assert x.grad == 1.0


# -- no_grad -----------------------------------------------------------------------


def test_no_grad_makes_leaves():
    x = Value(2.0, label="x")
    assert autograd.is_grad_enabled()
    with no_grad():
        assert not autograd.is_grad_enabled()
        y = (x * 3).exp() + x**2 + x.leaky_relu(0.2) + autograd.sum_values([x, x])
        z = autograd.linear([x], [x], x)
    assert autograd.is_grad_enabled()
    for node in (y, z):
        assert node.is_leaf and node.op == "" and node.inputs == () and node.local_grads == ()
        assert node.params == ()
    assert y.data == math.exp(6.0) + 4.0 + 2.0 + 4.0
    assert z.data == 6.0
    y.backward()
    assert x.grad == 0.0


def test_no_grad_nests_and_restores_after_exceptions():
    with no_grad():
        with no_grad():
            assert not autograd.is_grad_enabled()
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert autograd.is_grad_enabled()
    with pytest.raises(autograd.DomainError), no_grad():
        Value(-1.0).log()
    assert autograd.is_grad_enabled()
    assert (Value(1.0) * 2).inputs != ()


# -- the topological order ---------------------------------------------------------


def _assert_is_topological_order(order: list[Value], root: Value) -> None:
    assert order[-1] is root
    assert len({id(v) for v in order}) == len(order), "each node once"
    position = {id(v): i for i, v in enumerate(order)}
    for node in order:
        for child in node.inputs:
            assert position[id(child)] < position[id(node)], "inputs come before their users"
    # exactly the nodes reachable from the root (an independent breadth-first walk)
    reachable, frontier = {id(root)}, [root]
    while frontier:
        node = frontier.pop()
        for child in node.inputs:
            if id(child) not in reachable:
                reachable.add(id(child))
                frontier.append(child)
    assert set(position) == reachable


def _example_graph() -> Value:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    e = (d * c).tanh() + (c - b) / d + d
    return e * e + c


def test_topological_order_is_valid():
    root = _example_graph()
    _assert_is_topological_order(topological_order(root), root)


def test_topological_order_of_a_reused_intermediate():
    a = Value(3.0)
    c = a * a
    t = c + 1
    y = t + c
    order = topological_order(y)
    _assert_is_topological_order(order, y)
    assert order.index(c) < order.index(t)


def test_topological_order_is_deterministic():
    def signature(root: Value) -> list[tuple[str, str, float]]:
        return [(v.op, v.label, v.data) for v in topological_order(root)]

    first = signature(_example_graph())
    assert all(signature(_example_graph()) == first for _ in range(5))
    root = _example_graph()
    assert topological_order(root) == topological_order(root)


def test_topological_order_follows_input_order():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    assert [v.label for v in topological_order(a + b)][:2] == ["a", "b"]
    assert [v.label for v in topological_order(b + a)][:2] == ["b", "a"]


def test_topological_order_refuses_non_values():
    with pytest.raises(TypeError, match="float"):
        topological_order(1.0)


# -- a million nodes, no recursion ------------------------------------------------


@pytest.mark.slow
def test_chain_of_a_million_nodes():
    n = 1_000_000
    x = Value(0.5, label="x")
    y = x
    started = time.perf_counter()
    for _ in range(n):
        y = -y
    y.backward()  # no RecursionError
    elapsed = time.perf_counter() - started
    assert x.grad == 1.0  # (-1)^n for even n
    assert y.data == 0.5
    assert len(topological_order(y)) == n + 1
    del y  # freeing a million-deep chain must not overflow the C stack either
    assert elapsed < 30.0, f"build + backward of {n} nodes took {elapsed:.1f} s"


def test_deep_chain_with_grad():
    x = Value(0.3)
    y = x
    for _ in range(20_000):
        y = y * 1.0 + 0.0
    assert autograd.grad(y, x) == 1.0


# -- graphs are freed as soon as they are dropped ------------------------------------


def _build_and_drop() -> None:
    x = Value(0.7, label="x")
    w = Value(-1.2, label="w")
    y = x
    for _ in range(200):
        y = (y * w + x).tanh() + y.sigmoid() ** 2 - (x * x).exp() / (1 + w.abs())
    y.backward()
    autograd.grad(y, [x, w])
    autograd.grad(autograd.grad(x.sin() * w, x, create_graph=True), [x, w])
    with no_grad():
        (x * w).relu()


def _count_values() -> int:
    return sum(1 for obj in gc.get_objects() if issubclass(type(obj), Value))


def _unreachable_found_after(build) -> int:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        build()
        return gc.collect()  # the number of unreachable objects the collector had to free
    finally:
        if was_enabled:
            gc.enable()


def test_dropped_graph_is_freed_without_the_cycle_collector():
    gc.collect()
    before = _count_values()
    assert _unreachable_found_after(_build_and_drop) == 0
    assert _count_values() == before


def test_the_cycle_check_can_fail():
    """Control: a micrograd-style node whose closure refers to itself is a cycle, and
    the check above would see it."""

    class ClosureNode:
        def __init__(self) -> None:
            self.backward = lambda: self

    def build() -> None:
        for _ in range(10):
            ClosureNode()

    assert _unreachable_found_after(build) > 0
