"""chaingrad against micrograd 0.1.0 and PyTorch, side by side in one run.

Run:  python benchmarks/bench.py            (pip install -e ".[bench]" first; PyTorch optional)
      python benchmarks/bench.py --quick    (fewer repeats, for a look)
      python benchmarks/bench.py --json results.json

1. The engine against micrograd, on graphs of four shapes (``workloads.py``):
   fan-out over shared leaves, a long chain, a wide sum, an MLP step (the
   same scalar code for both, and each library's own MLP). For
   each: the nodes reachable from the root (what backward walks), the time
   to build the graph, to run backward, both, and the bytes per node. Times
   are medians of repeats that alternate the two engines, with Python's
   garbage collector ON, as in real use (a collection it triggers is part
   of the cost); before each build the previous graph is collected, so no
   engine pays for the other's garbage.
2. Depth: a chain of 1,000,000 relu nodes in chaingrad; micrograd's
   recursive backward at Python's default recursion limit.
3. Training where a user would pick PyTorch instead: ``MLP(2, [16, 16, 1])``
   with tanh on 200 two-moons points, binary cross-entropy on logits, Adam,
   full batch, float64, one thread: PyTorch eager (``torch.nn``, the model
   from ``model.to_torch()``, the same initial weights) against
   ``nn.fit(compile=True)`` (the matrix form), compile time included, and
   the engine itself. Both record the loss and the accuracy of every epoch.

NumPy, OpenBLAS and PyTorch are held to one thread (set before they load),
so no library gets the second core the others do not use.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"  # before NumPy or PyTorch are imported

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workloads  # noqa: E402 (after the thread settings)

try:
    from micrograd import nn as micro_nn
    from micrograd.engine import Value as MicroValue
except ImportError:  # pragma: no cover - the benchmark needs both engines
    sys.exit("this benchmark compares with micrograd: pip install micrograd==0.1.0")

import autograd  # noqa: E402
import nn  # noqa: E402
from autograd import Value  # noqa: E402

TARGETS = {"build + backward": 4.0, "backward": 1.5, "bytes/node": 0.35}
"""chaingrad must be at least this much faster (bytes: at most this fraction) on every workload."""


# -- the engine workloads ---------------------------------------------------------


def micrograd_mlp_loss(model: Any, X: list[list[float]], y: list[int]) -> Any:
    """micrograd's demo loss: hinge on ±1 labels, mean, plus 1e-4 · Σ p²."""
    scores = [model(list(map(MicroValue, x))) for x in X]
    losses = [(1 + -(2 * t - 1) * s).relu() for t, s in zip(y, scores)]
    return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())


def chaingrad_mlp_loss(model: Any, X: list[list[float]], y: list[int]) -> Value:
    """The same loss with nn (a neuron's pre-activation is one linear node)."""
    data_loss = nn.hinge([model(x) for x in X], [2 * t - 1 for t in y])
    return data_loss + 1e-4 * autograd.sum_values([p * p for p in model.parameters()])


class Engine:
    """One engine's side of a workload: how to build its graph and walk it."""

    def __init__(self, name: str, build: Callable[[], Any], inputs_of: Callable[[Any], Any]) -> None:
        self.name = name
        self.build = build
        self.inputs_of = inputs_of
        self.build_times: list[float] = []
        self.backward_times: list[float] = []

    def time_once(self) -> None:
        gc.collect()  # the previous graph is gone before the clock starts
        start = time.perf_counter()
        root = self.build()
        built = time.perf_counter()
        root.backward()
        done = time.perf_counter()
        self.build_times.append(built - start)
        self.backward_times.append(done - built)
        del root

    def memory(self) -> tuple[int, float]:
        """Reachable nodes, and the bytes the live graph holds per node."""
        gc.collect()
        tracemalloc.start()
        root = self.build()
        gc.collect()  # only the graph that is kept counts, not garbage awaiting a collection
        used, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        nodes = workloads.count_nodes(root, self.inputs_of)
        del root
        return nodes, used / nodes

    def result(self) -> dict[str, float]:
        build = statistics.median(self.build_times)
        backward = statistics.median(self.backward_times)
        both = statistics.median([a + b for a, b in zip(self.build_times, self.backward_times)])
        return {"build": build, "backward": backward, "build + backward": both}


def engine_workloads(quick: bool) -> dict[str, tuple[Engine, Engine]]:
    scale = 5 if quick else 1
    fan = workloads.plan_fan_out(20_000 // scale)
    chain = workloads.plan_chain(25_000 // scale)
    wide = workloads.plan_wide_sum(25_000 // scale)
    mlp = workloads.plan_mlp(n_samples=100 // scale)
    X, y = nn.datasets.moons(100, noise=0.1, seed=0)
    micro_mlp = micro_nn.MLP(2, [16, 16, 1])
    chain_mlp = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    micro_inputs, our_inputs = (lambda v: v._prev), (lambda v: v.inputs)

    def pair(make_micro: Callable[[], Any], make_ours: Callable[[], Any]) -> tuple[Engine, Engine]:
        return Engine("micrograd", make_micro, micro_inputs), Engine("chaingrad", make_ours, our_inputs)

    return {
        "fan-out: 20,000 terms over 200 shared leaves": pair(
            lambda: workloads.fan_out(MicroValue, fan), lambda: workloads.fan_out(Value, fan)
        ),
        f"chain: {chain[1]:,} steps of relu(v*0.9 + x)": pair(
            lambda: workloads.chain(MicroValue, chain), lambda: workloads.chain(Value, chain)
        ),
        f"wide sum: Σ x·w over {len(wide):,} pairs": pair(
            lambda: workloads.wide_sum(MicroValue, wide), lambda: workloads.wide_sum(Value, wide)
        ),
        "MLP step, the same scalar code: MLP(2, [16, 16, 1]), 100 points, hinge + L2": pair(
            lambda: workloads.mlp_step(MicroValue, mlp), lambda: workloads.mlp_step(Value, mlp)
        ),
        "MLP step, each library's own MLP (chaingrad: one linear node per neuron)": pair(
            lambda: micrograd_mlp_loss(micro_mlp, X, y), lambda: chaingrad_mlp_loss(chain_mlp, X, y)
        ),
    }


def measure_engines(quick: bool) -> list[dict[str, Any]]:
    repeats = 3 if quick else 7
    rows = []
    # micrograd's recursive topological sort needs one Python frame per level of the chain
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 200_000))
    for name, (micro, ours) in engine_workloads(quick).items():
        ours.time_once()  # warm-up: first calls, allocator pools
        micro.time_once()
        micro.build_times.clear(), micro.backward_times.clear()
        ours.build_times.clear(), ours.backward_times.clear()
        for _ in range(repeats):
            micro.time_once()
            ours.time_once()
        m, o = micro.result(), ours.result()
        m_nodes, m_bytes = micro.memory()
        o_nodes, o_bytes = ours.memory()
        rows.append(
            {
                "workload": name,
                "nodes": {"micrograd": m_nodes, "chaingrad": o_nodes},
                "seconds": {"micrograd": m, "chaingrad": o},
                "bytes_per_node": {"micrograd": m_bytes, "chaingrad": o_bytes},
                "bytes_per_graph": {"micrograd": m_bytes * m_nodes, "chaingrad": o_bytes * o_nodes},
                "speedup": {k: m[k] / o[k] for k in m},
                "bytes_ratio": o_bytes / m_bytes,
            }
        )
        print(f"  measured {name}", file=sys.stderr)
    return rows


def measure_depth() -> dict[str, Any]:
    sys.setrecursionlimit(1000)  # Python's default, as a user of micrograd has it
    deepest, failure = 0, "none up to 5,000"
    for depth in (100, 500, 900, 1000, 2000, 5000):
        try:
            workloads.relu_chain(MicroValue, depth).backward()
        except RecursionError:
            failure = f"RecursionError at depth {depth:,}"
            break
        deepest = depth
    gc.collect()
    start = time.perf_counter()
    root = workloads.relu_chain(Value, 1_000_000)
    root.backward()
    seconds = time.perf_counter() - start
    del root
    return {"micrograd_deepest": deepest, "micrograd_failure": failure, "chaingrad_1e6_seconds": seconds}


# -- training, against PyTorch --------------------------------------------------------


def train_chaingrad(X: list[list[float]], y: list[int], epochs: int, compile: bool) -> tuple[float, Any]:
    model = nn.MLP(2, [16, 16, 1], activation="tanh", init="xavier_uniform", seed=0)
    optimizer = nn.Adam(model.parameters(), lr=0.01)
    start = time.perf_counter()
    loss = "binary_cross_entropy_with_logits"
    nn.fit(model, X, y, loss, optimizer, epochs=epochs, progress=False, compile=compile)
    return time.perf_counter() - start, model


def train_torch(torch: Any, X: list[list[float]], y: list[int], epochs: int) -> tuple[float, Any]:
    """The loop a PyTorch user writes for the same training, from the same initial
    weights, recording the loss and the accuracy of every epoch as fit does."""
    model = nn.MLP(2, [16, 16, 1], activation="tanh", init="xavier_uniform", seed=0).to_torch()
    inputs = torch.tensor(X, dtype=torch.float64)
    targets = torch.tensor(y, dtype=torch.float64).reshape(-1, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    losses, accuracies = [], []
    start = time.perf_counter()
    for _ in range(epochs):
        optimizer.zero_grad()
        scores = model(inputs)
        loss = loss_fn(scores, targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        accuracies.append(((scores >= 0) == (targets == 1)).double().mean().item())
    return time.perf_counter() - start, model


def measure_training(quick: bool) -> dict[str, Any] | None:
    try:
        import torch
    except ImportError:
        print("  PyTorch is not installed: the training comparison is skipped", file=sys.stderr)
        return None
    torch.set_num_threads(1)
    X, y = nn.datasets.moons(200, noise=0.1, seed=0)
    epochs = 100 if quick else 500
    repeats = 3 if quick else 5
    train_chaingrad(X, y, 2, compile=True)  # warm-up: imports, NumPy's first calls
    train_torch(torch, X, y, 2)
    ours, theirs, setups = [], [], []
    for _ in range(repeats):
        seconds, model = train_chaingrad(X, y, epochs, compile=True)
        ours.append(seconds)
        setups.append(train_chaingrad(X, y, 1, compile=True)[0])
        seconds, torch_model = train_torch(torch, X, y, epochs)
        theirs.append(seconds)
    engine_epochs = 3 if quick else 10
    engine_seconds, _ = train_chaingrad(X, y, engine_epochs, compile=False)
    with torch.no_grad():
        torch_scores = torch_model(torch.tensor(X, dtype=torch.float64)).reshape(-1).tolist()
    our_scores = nn.predict(model, X)
    agree = sum((a >= 0) == (b >= 0) for a, b in zip(our_scores, torch_scores)) / len(X)
    ours_epoch, torch_epoch = statistics.median(ours) / epochs, statistics.median(theirs) / epochs
    setup = statistics.median(setups)
    steady = (statistics.median(ours) - setup) / (epochs - 1)
    return {
        "epochs": epochs,
        "chaingrad_compiled_per_epoch": ours_epoch,
        "chaingrad_setup_seconds": setup,
        "chaingrad_steady_per_epoch": steady,
        "torch_per_epoch": torch_epoch,
        "speedup_vs_torch": torch_epoch / ours_epoch,
        "break_even_epochs": setup / (torch_epoch - steady) if torch_epoch > steady else None,
        "chaingrad_engine_per_epoch": engine_seconds / engine_epochs,
        "max_score_difference": max(abs(a - b) for a, b in zip(our_scores, torch_scores)),
        "same_class": agree,
    }


# -- the report ---------------------------------------------------------------------


def _s(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def report(rows: list[dict[str, Any]], depth: dict[str, Any], training: dict[str, Any] | None) -> str:
    lines = [
        f"chaingrad vs micrograd 0.1.0 (Python {platform.python_version()}, {platform.machine()}, "
        "garbage collector on, medians)",
        "",
        "Each cell: micrograd / chaingrad (micrograd's time over chaingrad's; for memory chaingrad's bytes "
        "over micrograd's).",
        "",
        "| workload | nodes reachable | build | backward | build + backward | bytes/node | bytes/graph "
        "| targets |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        sec, nodes, mem, speed = row["seconds"], row["nodes"], row["bytes_per_node"], row["speedup"]
        graph = row["bytes_per_graph"]
        cells = [
            f"{nodes['micrograd']:,} / {nodes['chaingrad']:,}",
            *(
                f"{_s(sec['micrograd'][k])} / {_s(sec['chaingrad'][k])} ({speed[k]:.1f}x)"
                for k in ("build", "backward", "build + backward")
            ),
            f"{mem['micrograd']:.0f} / {mem['chaingrad']:.0f} B ({row['bytes_ratio']:.2f}x)",
            f"{graph['micrograd'] / 1e6:.1f} / {graph['chaingrad'] / 1e6:.1f} MB "
            f"({graph['chaingrad'] / graph['micrograd']:.2f}x)",
        ]
        missed = [
            name
            for name, limit in TARGETS.items()
            if (row["bytes_ratio"] > limit if name == "bytes/node" else speed[name] < limit)
        ]
        row["targets_missed"] = missed
        verdict = "all met" if not missed else "missed: " + ", ".join(missed)
        lines.append(f"| {row['workload']} | {' | '.join(cells)} | {verdict} |")
    lines += [
        "",
        f"Targets: build + backward >= {TARGETS['build + backward']}x, backward >= {TARGETS['backward']}x, "
        f"bytes/node <= {TARGETS['bytes/node']}x, on every workload.",
        "",
        "Depth: micrograd (recursion limit 1000) differentiates a relu chain of "
        f"{depth['micrograd_deepest']:,} and fails with {depth['micrograd_failure']}; chaingrad builds and "
        f"differentiates 1,000,000 in {_s(depth['chaingrad_1e6_seconds'])}.",
    ]
    if training:
        t = training
        lines += [
            "",
            f"Training MLP(2, [16, 16, 1]) tanh, 200 moons, BCE with logits, Adam, full batch, float64, "
            f"one thread, {t['epochs']} epochs:",
            "",
            "| | per epoch | vs PyTorch eager |",
            "|---|---|---|",
            f"| PyTorch eager (torch.nn, torch.optim.Adam) | {t['torch_per_epoch'] * 1e6:.0f} µs | 1.0x |",
            "| chaingrad fit(compile=True), compile included "
            f"| {t['chaingrad_compiled_per_epoch'] * 1e6:.0f} µs | {t['speedup_vs_torch']:.2f}x |",
            f"| chaingrad fit(compile=False) (the engine) | {_s(t['chaingrad_engine_per_epoch'])} "
            f"| {t['torch_per_epoch'] / t['chaingrad_engine_per_epoch']:.3f}x |",
            "",
            "compile (trace, find the layers, generate, check against the engine): "
            f"{_s(t['chaingrad_setup_seconds'])}; then {t['chaingrad_steady_per_epoch'] * 1e6:.0f} µs "
            "per epoch"
            + (
                f", ahead of PyTorch from {t['break_even_epochs']:.0f} epochs on"
                if t["break_even_epochs"]
                else ""
            )
            + ".",
            "Same initial weights, trained apart: the scores differ by at most "
            f"{t['max_score_difference']:.2e}; the predicted classes agree on {t['same_class']:.0%} "
            "of the points.",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller graphs and fewer repeats")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average before the run: {load:.2f}", file=sys.stderr)
    rows = measure_engines(args.quick)
    depth = measure_depth()
    training = measure_training(args.quick)
    print(report(rows, depth, training))
    if args.json:
        result = {"python": platform.python_version(), "load_before": load, "engine": rows}
        result.update(depth=depth, training=training)
        target = Path(args.json)
        partial = target.with_name(target.name + ".partial")
        partial.write_text(json.dumps(result, indent=2), encoding="utf-8")
        partial.replace(target)  # atomically: a reader never sees half a file


if __name__ == "__main__":
    main()
