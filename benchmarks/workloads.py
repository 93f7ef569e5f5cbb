"""The graph shapes of the benchmark, written once for both engines.

Each builder takes a Value class (chaingrad's or micrograd's, which share the
operator interface: ``+ * ** relu`` and numbers on either side) and returns
the root of a graph of about ``n`` nodes. Random choices are drawn by
``plan_*`` before any timing starts, so the engines are timed alone.

* fan-out: 20,000 terms ``relu(x[a]*w[b] + x[c])**2`` over 200 shared leaves
  (100 x, 100 w), summed pairwise: every leaf feeds hundreds of nodes;
* chain: ``v = relu(v*0.9 + x[i % 10])``, one long dependency chain (depth =
  the number of steps) with ten shared leaves;
* wide sum: Σ x_i·w_i over 25,000 pairs of leaves of their own, summed
  pairwise: half the nodes are leaves, each used once;
* MLP step: micrograd's demo, ``MLP(2, [16, 16, 1])`` with relu on 100
  two-moons points, hinge loss + L2: written here once for both engines
  (a neuron is ``sum(w*x) + b`` then relu: the same scalar graph), and in
  ``bench.py`` with each library's own MLP (chaingrad's neuron is one
  ``linear`` node, micrograd's a chain of ``*`` and ``+``).
"""

from __future__ import annotations

import itertools
import random
from typing import Any

Plan = tuple[Any, ...]


def pairwise_sum(terms: list[Any]) -> Any:
    """t1 + t2 + ... as a balanced tree of ``+`` (depth log2 n, so a recursive
    engine copes), the same for both engines."""
    while len(terms) > 1:
        paired = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
    return terms[0]


def plan_fan_out(n_terms: int = 20_000, n_leaves: int = 100, seed: int = 0) -> Plan:
    rng = random.Random(seed)
    xs = [rng.uniform(-1.0, 1.0) for _ in range(n_leaves)]
    ws = [rng.uniform(-1.0, 1.0) for _ in range(n_leaves)]
    picks = [
        (rng.randrange(n_leaves), rng.randrange(n_leaves), rng.randrange(n_leaves)) for _ in range(n_terms)
    ]
    return xs, ws, picks


def fan_out(value: type, plan: Plan) -> Any:
    xs, ws, picks = plan
    x = [value(v) for v in xs]
    w = [value(v) for v in ws]
    return pairwise_sum([(x[a] * w[b] + x[c]).relu() ** 2 for a, b, c in picks])


def plan_chain(steps: int = 25_000, seed: int = 0) -> Plan:
    rng = random.Random(seed)
    return [rng.uniform(-1.0, 1.0) for _ in range(10)], steps


def chain(value: type, plan: Plan) -> Any:
    xs, steps = plan
    x = [value(v) for v in xs]
    v = value(0.5)
    for i in range(steps):
        v = (v * 0.9 + x[i % 10]).relu()
    return v


def plan_wide_sum(n_pairs: int = 25_000, seed: int = 0) -> Plan:
    rng = random.Random(seed)
    return [(rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)) for _ in range(n_pairs)]


def wide_sum(value: type, plan: Plan) -> Any:
    return pairwise_sum([value(a) * value(b) for a, b in plan])


def plan_mlp(sizes: tuple[int, ...] = (2, 16, 16, 1), n_samples: int = 100, seed: int = 0) -> Plan:
    """Weights and biases (uniform in [-1, 1], as micrograd draws them), points and labels."""
    rng = random.Random(seed)
    layers = [
        [([rng.uniform(-1.0, 1.0) for _ in range(nin)], 0.0) for _ in range(nout)]
        for nin, nout in itertools.pairwise(sizes)
    ]
    points = [[rng.uniform(-1.5, 2.5), rng.uniform(-1.0, 1.5)] for _ in range(n_samples)]
    labels = [rng.choice((-1.0, 1.0)) for _ in range(n_samples)]
    return layers, points, labels


def mlp_step(value: type, plan: Plan) -> Any:
    """The loss of micrograd's demo step: mean hinge over the samples + 1e-4 · Σ p²."""
    layers, points, labels = plan
    params = [[([value(w) for w in ws], value(b)) for ws, b in layer] for layer in layers]
    last = len(params) - 1
    losses = []
    for x, label in zip(points, labels):
        out = [value(v) for v in x]
        for k, layer in enumerate(params):
            out = [sum((w * xi for w, xi in zip(ws, out)), b) for ws, b in layer]
            if k != last:
                out = [v.relu() for v in out]
        losses.append((1 + -label * out[0]).relu())
    penalty = sum(p * p for layer in params for ws, b in layer for p in (*ws, b))
    return sum(losses) * (1.0 / len(losses)) + 1e-4 * penalty


def relu_chain(value: type, depth: int) -> Any:
    """``depth`` relu nodes in a row: the deepest graph."""
    v = value(0.5)
    for _ in range(depth):
        v = v.relu()
    return v


def count_nodes(root: Any, inputs_of: Any) -> int:
    """Nodes reachable from ``root`` (what backward walks), without recursion."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in inputs_of(stack.pop()):
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


__all__ = [
    "chain",
    "count_nodes",
    "fan_out",
    "mlp_step",
    "pairwise_sum",
    "plan_chain",
    "plan_fan_out",
    "plan_mlp",
    "plan_wide_sum",
    "relu_chain",
    "wide_sum",
]
