"""Why backward walks the graph the way it does: the alternatives, timed.

Run:  python benchmarks/walks.py

The topological order is a depth-first post-order. Written with an explicit
stack, the question is what the stack holds and what that costs:

* pairs: one ``(node, expanded)`` tuple per push (the first version). Each
  tuple is an object the cyclic garbage collector tracks; on a long chain
  the stack holds one per level, and the collections they trigger walk the
  whole graph again and again;
* pairs, collector paused: the same, with ``gc.disable()`` around the walk;
* marker: nodes only, a ``None`` pushed above a node meaning "its inputs are
  done", so nothing tracked is allocated per node;
* marker + descent (what ``autograd.topological_order`` does): the same,
  and the walk goes straight into a node's first unvisited input instead of
  pushing and popping it.

Then the chain rule over the order: ``propagate(node)`` called per node,
against one loop over the whole order (what ``backward`` runs). Each walk
starts right after its graph is built, as backward does in use (the new
nodes are still young for the collector); only the walk is timed, and each
figure is the median of several builds, with the collector on.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workloads

from autograd import Value
from autograd.graph import _propagate_each, propagate, start_backward, topological_order


def order_with_pairs(root: Value) -> list[Value]:
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for child in reversed(node.inputs):
            if child not in visited:
                stack.append((child, False))
    return order


def order_with_pairs_paused(root: Value) -> list[Value]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        return order_with_pairs(root)
    finally:
        if enabled:
            gc.enable()


def order_with_marker(root: Value) -> list[Value]:
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())  # type: ignore[arg-type]
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append(node)
        stack.append(None)
        for child in reversed(node.inputs):
            if child not in visited:
                stack.append(child)
    return order


def propagate_per_node(order: list[Value]) -> None:
    start_backward(order)
    for node in reversed(order):
        propagate(node)


def propagate_in_one_loop(order: list[Value]) -> None:
    start_backward(order)
    _propagate_each(reversed(order))


def after_a_fresh_build(
    build: Callable[[], Value], walk: Callable[[Any], Any], prepare: bool, repeats: int = 5
) -> float:
    """The median time of ``walk`` run right after ``build`` (on the root, or on
    its topological order when ``prepare``)."""
    times = []
    for _ in range(repeats):
        gc.collect()
        root = build()
        argument = topological_order(root) if prepare else root
        start = time.perf_counter()
        walk(argument)
        times.append(time.perf_counter() - start)
        del root, argument
    return statistics.median(times)


def main() -> None:
    plans = {
        "fan-out": (workloads.fan_out, workloads.plan_fan_out()),
        "chain": (workloads.chain, workloads.plan_chain()),
        "wide sum": (workloads.wide_sum, workloads.plan_wide_sum()),
    }
    builds = {name: (lambda f=f, p=p: f(Value, p)) for name, (f, p) in plans.items()}
    walks = {
        "pairs": order_with_pairs,
        "pairs, collector paused": order_with_pairs_paused,
        "marker": order_with_marker,
        "marker + descent (used)": topological_order,
    }
    steps = {"propagate per node": propagate_per_node, "one loop (used)": propagate_in_one_loop}
    for title, variants, prepare in (
        ("topological order", walks, False),
        ("chain rule over the order", steps, True),
    ):
        print(f"| {title} | " + " | ".join(builds) + " |")
        print("|---" * (len(builds) + 1) + "|")
        for name, walk in variants.items():
            times = [after_a_fresh_build(build, walk, prepare) for build in builds.values()]
            print(f"| {name} | " + " | ".join(f"{t * 1e3:.1f} ms" for t in times) + " |")
        print()
    roots = {name: build() for name, build in builds.items()}
    for root in roots.values():  # every walk gives the same order
        assert all(walk(root) == topological_order(root) for walk in walks.values())
    print("nodes:", ", ".join(f"{name} {len(topological_order(root)):,}" for name, root in roots.items()))


if __name__ == "__main__":
    main()
