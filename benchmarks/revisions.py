"""The engine of two revisions side by side, in one run: is a change slower?

    python benchmarks/revisions.py 85a84e2 HEAD            # git revisions of this repository
    python benchmarks/revisions.py 85a84e2 HEAD --repeats 7

Each revision is checked out into a temporary git worktree and measured in
its own Python process (both import ``autograd``, so they cannot share one),
on the graph shapes of ``benchmarks/workloads.py`` (of the revision running
this script, so both revisions build the very same graphs), plus a training
step of ``nn.MLP``. micrograd, when installed, is measured in the same run so
that each revision's ratio to it can be compared as well. The processes
alternate, and each figure is the median of ``--repeats`` runs, with Python's
garbage collector left on.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Runs inside each process: times build and backward of every workload once.
PROBE = r"""
import gc, json, sys, time
sys.path.insert(0, sys.argv[2])
sys.setrecursionlimit(100_000)
import workloads as w
engine = sys.argv[1]
if engine == "micrograd":
    from micrograd.engine import Value
else:
    sys.path.insert(0, engine)
    from autograd import Value
    import nn
plans = {
    "fan-out": (w.fan_out, w.plan_fan_out()),
    "chain": (w.chain, w.plan_chain()),
    "wide sum": (w.wide_sum, w.plan_wide_sum()),
    "MLP step (same scalar code)": (w.mlp_step, w.plan_mlp()),
}
result = {}
for name, (build, plan) in plans.items():
    gc.collect()
    t0 = time.perf_counter()
    root = build(Value, plan)
    t1 = time.perf_counter()
    root.backward()
    t2 = time.perf_counter()
    result[name] = [t1 - t0, t2 - t1]
    del root
if engine != "micrograd":
    X, y = nn.datasets.moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    gc.collect()
    t0 = time.perf_counter()
    loss = nn.hinge([model(x) for x in X], [2 * t - 1 for t in y])
    t1 = time.perf_counter()
    model.zero_grad()
    loss.backward()
    t2 = time.perf_counter()
    result["MLP step (nn.MLP)"] = [t1 - t0, t2 - t1]
print(json.dumps(result))
"""


def checkout(revision: str, folder: Path) -> Path:
    target = folder / revision.replace("/", "_")
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(target), revision], check=True
    )
    return target


def measure(engine: str, env: dict[str, str]) -> dict[str, list[float]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, engine, str(HERE)], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": ""}
    try:
        import micrograd  # noqa: F401

        engines = ["micrograd"]
    except ImportError:
        engines = []
    with tempfile.TemporaryDirectory() as tmp:
        folders = {rev: str(checkout(rev, Path(tmp))) for rev in (args.before, args.after)}
        try:
            runs: dict[str, list[dict[str, list[float]]]] = {e: [] for e in [*engines, *folders]}
            for _ in range(args.repeats):  # alternate, so that load hits every engine alike
                for engine in runs:
                    runs[engine].append(measure(folders.get(engine, engine), env))
        finally:
            for folder in folders.values():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", folder], check=False)
    median = {
        engine: {name: [statistics.median(r[name][k] for r in rs) for k in (0, 1)] for name in rs[0]}
        for engine, rs in runs.items()
    }
    before, after = median[args.before], median[args.after]
    print(f"engine of {args.before} against {args.after}, median of {args.repeats} runs each, GC on\n")
    header = "| workload | phase | before | after | after / before |"
    if engines:
        header += " micrograd / before | micrograd / after |"
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for name in after:
        for k, phase in enumerate(("build", "backward")):
            b, a = before[name][k], after[name][k]
            line = f"| {name} | {phase} | {b * 1000:.1f} ms | {a * 1000:.1f} ms | {a / b:.2f} |"
            if engines and name in median["micrograd"]:
                m = median["micrograd"][name][k]
                line += f" {m / b:.2f}x | {m / a:.2f}x |"
            elif engines:
                line += " - | - |"
            print(line)


if __name__ == "__main__":
    main()
