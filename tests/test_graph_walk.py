"""The walk of backward: the topological order is the recursive depth-first
post-order, and the pass allocates nothing the cyclic garbage collector tracks.

The order is checked against an independent reference: the recursion
``visit(node): visit each unvisited input in order, then place node`` written
with an explicit stack of (node, next input) frames. Gradients are checked
against propagating, node by node, over that reference order.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value, linear, logsumexp, propagate, sum_values, topological_order
from autograd.graph import start_backward


def recursive_post_order(root: Value) -> list[Value]:
    """``visit(root)`` of the recursive definition, one frame per pending call."""
    order: list[Value] = []
    visited = {root}
    frames = [[root, 0]]
    while frames:
        frame = frames[-1]
        node, i = frame
        if i < len(node.inputs):
            frame[1] = i + 1
            child = node.inputs[i]
            if child not in visited:
                visited.add(child)
                frames.append([child, 0])
        else:
            frames.pop()
            order.append(node)
    return order


# a random graph: leaves, then ops of one, two or many inputs over earlier nodes
_OPS: list[Callable[[random.Random, list[Value]], Value]] = [
    lambda r, pool: r.choice(pool) * r.choice(pool),
    lambda r, pool: r.choice(pool) + r.choice(pool),
    lambda r, pool: r.choice(pool).tanh(),
    lambda r, pool: r.choice(pool) ** 2,
    lambda r, pool: sum_values([r.choice(pool) for _ in range(r.randint(1, 5))]),
    lambda r, pool: logsumexp([r.choice(pool) for _ in range(r.randint(1, 4))]),
    lambda r, pool: _random_linear(r, pool),
]


def _random_linear(rng: random.Random, pool: list[Value]) -> Value:
    k = rng.randint(1, 3)
    return linear(
        [rng.choice(pool) for _ in range(k)], [rng.choice(pool) for _ in range(k)], rng.choice(pool)
    )


def random_graph(seed: int, n_leaves: int, n_ops: int) -> tuple[Value, list[Value]]:
    rng = random.Random(seed)
    pool = [Value(rng.uniform(-1.0, 1.0), label=f"x{i}") for i in range(n_leaves)]
    for _ in range(n_ops):
        pool.append(rng.choice(_OPS)(rng, pool[-12:] if rng.random() < 0.7 else pool))
    root = sum_values(pool[-3:]) if rng.random() < 0.5 else pool[-1]
    return root, pool


@given(st.integers(0, 10**9), st.integers(1, 6), st.integers(0, 60))
def test_the_order_is_the_recursive_post_order(seed, n_leaves, n_ops):
    root, _ = random_graph(seed, n_leaves, n_ops)
    assert topological_order(root) == recursive_post_order(root)


@given(st.integers(0, 10**9), st.integers(1, 6), st.integers(1, 60))
def test_backward_equals_propagate_over_the_reference_order(seed, n_leaves, n_ops):
    root, pool = random_graph(seed, n_leaves, n_ops)
    root.backward()
    fast = [v.grad for v in pool]
    autograd.zero_grad(pool)
    order = recursive_post_order(root)
    start_backward(order)
    for node in reversed(order):
        propagate(node)
    assert [v.grad for v in pool] == fast  # bit for bit: the same operations in the same order


def test_shapes_that_stress_the_walk():
    x = Value(0.5, label="x")
    chain = x
    for _ in range(3000):
        chain = (chain * 0.9 + x).tanh()  # deep, with the same leaf at every level
    wide = sum_values([x * float(i) for i in range(3000)])  # one node of 3000 inputs
    repeated = sum_values([x] * 50)  # one input, 50 edges
    for root in (chain, wide, repeated, x, chain + wide + repeated):
        assert topological_order(root) == recursive_post_order(root)
    repeated.backward()
    assert x.grad == 50.0


@contextmanager
def counting_collections() -> Iterator[list[int]]:
    """Count the cyclic collector's runs inside the block, with a low threshold so
    that a few hundred tracked allocations would already start one."""
    runs: list[int] = []

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            runs.append(info["generation"])

    threshold = gc.get_threshold()
    gc.collect()
    gc.set_threshold(200, 10, 10)
    gc.callbacks.append(callback)
    try:
        yield runs
    finally:
        gc.callbacks.remove(callback)
        gc.set_threshold(*threshold)


def _fan_out(n_terms: int) -> Value:
    rng = random.Random(0)
    x = [Value(rng.uniform(-1, 1)) for _ in range(100)]
    w = [Value(rng.uniform(-1, 1)) for _ in range(100)]
    terms = [(rng.choice(x) * rng.choice(w) + rng.choice(x)).relu() ** 2 for _ in range(n_terms)]
    while len(terms) > 1:
        terms = [sum_values(terms[i : i + 2]) for i in range(0, len(terms), 2)]
    return terms[0]


def _chain(depth: int) -> Value:
    v = Value(0.5)
    for _ in range(depth):
        v = v.relu()
    return v


def test_backward_starts_no_garbage_collection():
    """Neither the topological order nor backward allocates a tracked object per
    node: on a deep chain a stack of (node, flag) pairs would start hundreds of
    collections here (one per 200 pushes), each walking the whole graph."""
    for root in (_chain(30_000), _fan_out(5_000)):
        with counting_collections() as runs:
            order = topological_order(root)
            root.backward()
        assert len(order) > 20_000
        assert runs == [], f"{len(runs)} collections during backward"


def test_the_collection_count_sees_tracked_allocations():
    """Control for the test above: keeping one tuple per node alive is seen."""
    root = _chain(30_000)
    with counting_collections() as runs:
        kept = [(node, False) for node in topological_order(root)]
    assert len(kept) == 30_001
    assert len(runs) > 100
