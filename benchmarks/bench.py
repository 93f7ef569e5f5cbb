"""chaingrad against micrograd, side by side in one run, reported as ratios.

Run:  python benchmarks/bench.py            (needs `pip install micrograd==0.1.0`)
      python benchmarks/bench.py --quick    (fewer repeats, smaller graphs)
      python benchmarks/bench.py --json out.json

Workloads (the same Python code drives both engines, which share the
operator interface):

1. wide: build + backward of a graph of ~100k nodes with mixed ops
   (+, -, *, /, ** 0.5, relu, constants), values kept in a safe range.
2. deep: a chain of relu nodes. micrograd's recursive topological sort dies
   near depth 1000; chaingrad runs a chain of 1,000,000 nodes.
3. mlp: micrograd's demo step: MLP(2, [16, 16, 1]) with relu on 100 two-moons
   points, max-margin (hinge) loss + L2 regularisation, one forward + backward +
   SGD update. chaingrad runs it with nn.MLP, then compiled to straight-line
   floats, then compiled and batched over NumPy arrays.
4. memory: bytes per node of the wide graph (tracemalloc).

Times are medians of several repeats (time.perf_counter), with Python's
garbage collector left on, as in real use: its cost is part of the result.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

try:
    from micrograd import nn as micro_nn
    from micrograd.engine import Value as MicroValue
except ImportError:  # pragma: no cover - the benchmark needs both engines
    sys.exit("this benchmark compares with micrograd: pip install micrograd==0.1.0")

import autograd
import nn
from autograd import Value

# -- workloads ---------------------------------------------------------------


def wide_plan(n_nodes: int, seed: int = 0) -> tuple[list[float], list[tuple[int, int]]]:
    """The random choices of a wide graph, drawn before any timing starts:
    100 input values, then for each step the pool positions of two operands."""
    rng = random.Random(seed)
    inputs = [rng.uniform(0.5, 1.5) for _ in range(100)]
    picks = []
    pool_size = len(inputs)
    for _ in range(0, n_nodes, 3):
        picks.append((rng.randrange(pool_size), rng.randrange(pool_size)))
        pool_size = min(pool_size + 1, 400)
    return inputs, picks


def wide_graph(value_type: type, plan: tuple[list[float], list[tuple[int, int]]]) -> Any:
    """A graph of about n_nodes op nodes; every op keeps values in (0.1, 10)."""
    inputs, picks = plan
    pool = [value_type(x) for x in inputs]
    for made, (i, j) in enumerate(picks):
        a = pool[i]
        b = pool[j]
        kind = made % 5
        if kind == 0:
            c = (a + b) * 0.5
        elif kind == 1:
            c = (a * b) ** 0.5
        elif kind == 2:
            c = (a - b).relu() + b
        elif kind == 3:
            c = a / (a + b) + 0.5
        else:
            c = (b * 2.0 - a).relu() + 0.2
        pool.append(c)
        if len(pool) > 400:
            pool.pop(100)
    out = pool[-1]
    for v in pool[-50:]:
        out = out + v
    return out


def count_nodes(root: Any, inputs_of: Callable[[Any], Any]) -> int:
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in inputs_of(stack.pop()):
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def chain(value_type: type, depth: int) -> Any:
    v = value_type(0.5)
    for _ in range(depth):
        v = v.relu()
    return v


def moons(n: int = 100, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    return nn.datasets.moons(n, noise=0.1, seed=seed)


def micrograd_step(model: Any, X: list[list[float]], y: list[int], lr: float) -> float:
    """One step of micrograd's demo: forward, hinge + L2 loss, backward, SGD."""
    scores = [model(list(map(MicroValue, x))) for x in X]
    losses = [(1 + -(2 * yi - 1) * s).relu() for yi, s in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    loss = data_loss + reg_loss
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def chaingrad_loss(model: Any, X: list[list[float]], y: list[int]) -> Value:
    scores = [model(x) for x in X]
    data_loss = nn.hinge(scores, [2 * t - 1 for t in y])
    reg_loss = 1e-4 * autograd.sum_values([p * p for p in model.parameters()])
    return data_loss + reg_loss


def chaingrad_step(model: Any, X: list[list[float]], y: list[int], lr: float) -> float:
    """The same step with nn.MLP and the plain engine."""
    loss = chaingrad_loss(model, X, y)
    model.zero_grad()
    loss.backward()
    with autograd.no_grad():
        for p in model.parameters():
            p.data -= lr * p.grad
    return loss.data


# -- measuring ---------------------------------------------------------------


def median_time(run: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_wide(value_type: type, n: int, repeats: int) -> dict[str, float]:
    build, back, release = [], [], []
    for i in range(repeats):
        plan = wide_plan(n, seed=i)
        gc.collect()
        t0 = time.perf_counter()
        root = wide_graph(value_type, plan)
        t1 = time.perf_counter()
        root.backward()
        t2 = time.perf_counter()
        del root
        gc.collect()
        t3 = time.perf_counter()
        build.append(t1 - t0)
        back.append(t2 - t1)
        release.append(t3 - t2)
    return {
        "build": statistics.median(build),
        "backward": statistics.median(back),
        "release": statistics.median(release),
    }


def bytes_per_node(value_type: type, n: int, inputs_of: Callable[[Any], Any]) -> float:
    plan = wide_plan(n)
    gc.collect()
    tracemalloc.start()
    root = wide_graph(value_type, plan)
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return used / count_nodes(root, inputs_of)


def deepest_micrograd(depths: list[int]) -> tuple[int, str]:
    """The deepest chain micrograd differentiates, and what stopped it."""
    best = 0
    for depth in depths:
        try:
            chain(MicroValue, depth).backward()
        except RecursionError as exc:
            return best, f"RecursionError at depth {depth}: {exc}"
        best = depth
    return best, "no failure"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller graphs and fewer repeats")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    n_wide = 30_000 if args.quick else 100_000
    repeats = 3 if args.quick else 5
    results: dict[str, Any] = {"python": platform.python_version(), "wide_nodes": n_wide}
    rows: list[tuple[str, str, str, str]] = []

    def row(name: str, micro: float, ours: float, unit: str = "s", better: str = "lower") -> None:
        ratio = micro / ours if better == "lower" else ours / micro
        rows.append((name, f"{micro:.4g} {unit}", f"{ours:.4g} {unit}", f"{ratio:.1f}x"))
        results[name] = {"micrograd": micro, "chaingrad": ours, "ratio": ratio}

    # 1. wide graph
    time_wide(Value, 2000, 1)  # warm-up
    micro = time_wide(MicroValue, n_wide, repeats)
    ours = time_wide(Value, n_wide, repeats)
    row("wide: build", micro["build"], ours["build"])
    row("wide: backward", micro["backward"], ours["backward"])
    row("wide: build + backward", micro["build"] + micro["backward"], ours["build"] + ours["backward"])
    row(
        "wide: build + backward + release",
        micro["build"] + micro["backward"] + micro["release"],
        ours["build"] + ours["backward"] + ours["release"],
    )

    # 2. deep chain
    depth_ok, why = deepest_micrograd([100, 500, 900, 1000, 2000, 5000])
    start = time.perf_counter()
    chain(Value, 1_000_000).backward()
    deep_seconds = time.perf_counter() - start
    results["deep"] = {
        "micrograd_max_depth": depth_ok,
        "micrograd_failure": why,
        "chaingrad_1e6_s": deep_seconds,
    }

    # 3. MLP step
    X, y = moons(100)
    steps = 2 if args.quick else 4
    micro_model = micro_nn.MLP(2, [16, 16, 1])
    micro_step = median_time(lambda: micrograd_step(micro_model, X, y, 0.05), steps)
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    ours_step = median_time(lambda: chaingrad_step(model, X, y, 0.05), steps * 2)
    row("mlp step (engine)", micro_step, ours_step)
    for backend, name in (
        ("python", "mlp step (compiled, floats)"),
        ("numpy", "mlp step (compiled, NumPy batch)"),
    ):
        step = compiled_step(nn.MLP(2, [16, 16, 1], activation="relu", seed=0), X, y, 0.05, backend)
        step()  # builds the generated function
        row(name, micro_step, median_time(step, 20))

    # 4. memory
    micro_bytes = bytes_per_node(MicroValue, 20_000, lambda v: v._prev)
    ours_bytes = bytes_per_node(Value, 20_000, lambda v: v.inputs)
    rows.append(
        ("bytes per node", f"{micro_bytes:.0f} B", f"{ours_bytes:.0f} B", f"{ours_bytes / micro_bytes:.2f}x")
    )
    results["bytes_per_node"] = {
        "micrograd": micro_bytes,
        "chaingrad": ours_bytes,
        "ratio": ours_bytes / micro_bytes,
    }

    print(f"chaingrad vs micrograd 0.1.0, Python {platform.python_version()}, {platform.machine()}")
    print("(speed ratios: micrograd time / chaingrad time; memory: chaingrad / micrograd)\n")
    print("| workload | micrograd | chaingrad | ratio |")
    print("|---|---|---|---|")
    for name, m, o, r in rows:
        print(f"| {name} | {m} | {o} | {r} |")
    print(
        f"| deep chain | dies at depth > {depth_ok} ({why.split(':')[0]}) "
        f"| 1,000,000 nodes in {deep_seconds:.2f} s | - |"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)


def compiled_step(
    model: Any, X: list[list[float]], y: list[int], lr: float, backend: str
) -> Callable[[], float]:
    """The same step on code generated by autograd.compile: the per-sample loss
    (hinge + the L2 term, whose mean over samples is itself) traced once."""
    params = model.parameters()

    def sample_loss(x1: Value, x2: Value, label: Value) -> Value:
        score = model([x1, x2])
        return (1.0 - label * score).relu() + 1e-4 * autograd.sum_values([p * p for p in params])

    signs = [2.0 * t - 1.0 for t in y]
    graph = autograd.compile(sample_loss, X[0][0], X[0][1], signs[0], params=params)
    columns = ([x[0] for x in X], [x[1] for x in X], signs)

    def step() -> float:
        autograd.zero_grad(params)
        loss = graph.batch_backward_into(*columns, reduce="mean", backend=backend)
        with autograd.no_grad():
            for p in params:
                p.data -= lr * p.grad
        return loss

    return step


if __name__ == "__main__":
    main()
