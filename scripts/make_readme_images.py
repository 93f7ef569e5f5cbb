"""Regenerate the README's pictures: docs/images/graph.svg and docs/images/step.svg.

    python scripts/make_readme_images.py            # writes into docs/images/
    python scripts/make_readme_images.py --out DIR  # somewhere else

The graph is the logistic-regression neuron of seed 001,
u = w1·x1 + w2·x2 + b, ŷ = σ(u), L = ½ (y - ŷ)², with numbers chosen so the
gradients are easy to check by hand: u = 0, ŷ = 0.5, ∂L/∂ŷ = -0.5,
∂ŷ/∂u = 0.25, so ∂L/∂u = -0.125, ∂L/∂w1 = -0.125·x1, ∂L/∂w2 = -0.125·x2.
graph.svg is the graph after backward; step.svg is the step of backward at u,
where ∂L/∂u is complete and is passed on to w1, w2, x1, x2 and b.

Needs Graphviz's dot program (apt-get install graphviz).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from autograd import Parameter, Value, backward_steps, linear, save_graph

REPO = Path(__file__).resolve().parent.parent


def sigmoid_neuron() -> Value:
    """The loss L of one sigmoid neuron, labelled as in the seeds' derivations."""
    x1, x2 = Value(1.0, "x1"), Value(2.0, "x2")
    w1, w2, b = Parameter(0.5, "w1"), Parameter(-0.25, "w2"), Parameter(0.0, "b")
    u = linear([w1, w2], [x1, x2], b)
    u.label = "u"
    y_hat = u.sigmoid()
    y_hat.label = "ŷ"
    error = Value(1.0, "y") - y_hat
    error.label = "e"
    squared = error**2
    squared.label = "e²"
    loss = 0.5 * squared
    loss.label = "L"
    return loss


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images", help="folder for the SVGs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    loss = sigmoid_neuron()
    loss.backward()
    graph = save_graph(loss, args.out / "graph.svg")

    loss = sigmoid_neuron()
    step = next(s for s in backward_steps(loss) if s.name == "u")
    frame = save_graph(step, args.out / "step.svg")
    for path in (graph, frame):
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return [graph, frame]


if __name__ == "__main__":
    main()
