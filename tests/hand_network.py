"""The 2-2-1 sigmoid network worked by hand, with L = 1/2 (y - ŷ)², built from Values.

W = [[1, -2], [-1, 1]], x = [1, -1], b = [1, 0] gives a = W x + b = [4, -2]
before the activation, numbers small enough for pencil and paper; w1, w2, b
and y complete the network. Shared by the tests of checking and explaining.
"""

from __future__ import annotations

from autograd import Value, linear

WORKED_NUMBERS: dict[str, float] = {
    "x1": 1.0,
    "x2": -1.0,
    "w11": 1.0,
    "w12": -2.0,
    "w21": -1.0,
    "w22": 1.0,
    "b1": 1.0,
    "b2": 0.0,
    "w1": 0.7,
    "w2": -0.3,
    "b": 0.1,
    "y": 1.0,
}

HAND_FORMULAS: dict[str, str] = {
    "w1": "-(y - yhat) * yhat * (1 - yhat) * h1",
    "b": "-(y - yhat) * yhat * (1 - yhat) * 1",
    "h1": "-(y - yhat) * yhat * (1 - yhat) * w1",
    "a1": "(-(y - yhat) * yhat * (1 - yhat) * w1) * h1 * (1 - h1)",
    "w11": "(-(y - yhat) * yhat * (1 - yhat) * w1 * h1 * (1 - h1)) * x1",
    "b1": "-(y - yhat) * yhat * (1 - yhat) * w1 * h1 * (1 - h1)",
}
"""∂L/∂(name) derived by hand with the chain rule, written with the labels of the graph."""


def build_network(numbers: dict[str, float] = WORKED_NUMBERS, fused: bool = False) -> dict[str, Value]:
    """Every labelled node of the network, by label. ``fused`` builds each weighted
    sum as one ``linear`` node instead of separate * and + nodes."""
    v = {name: Value(x, label=name) for name, x in numbers.items()}

    def weighted(ws: tuple[str, str], xs: tuple[str, str], bias: str) -> Value:
        if fused:
            return linear([v[w] for w in ws], [v[x] for x in xs], v[bias])
        return v[ws[0]] * v[xs[0]] + v[ws[1]] * v[xs[1]] + v[bias]

    def named(node: Value, label: str) -> None:
        node.label = label
        v[label] = node

    named(weighted(("w11", "w12"), ("x1", "x2"), "b1"), "a1")
    named(weighted(("w21", "w22"), ("x1", "x2"), "b2"), "a2")
    named(v["a1"].sigmoid(), "h1")
    named(v["a2"].sigmoid(), "h2")
    named(weighted(("w1", "w2"), ("h1", "h2"), "b"), "a")
    named(v["a"].sigmoid(), "yhat")
    named(0.5 * (v["y"] - v["yhat"]) ** 2, "L")
    return v
