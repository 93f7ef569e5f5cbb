"""The same expressions built twice, with chaingrad and with PyTorch in float64:
values and gradients must agree. Every op comes from the shared spec list."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opspec import SPECS, apply_spec, close, spec_id

import autograd
from autograd import Value

torch = pytest.importorskip("torch", reason="PyTorch is the reference for these tests (CI installs it)")


def leaf(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def assert_agrees(ours: float, theirs: float, what: str) -> None:
    assert close(ours, theirs, rel=1e-10, abs_=1e-12), f"{what}: chaingrad {ours!r}, torch {theirs!r}"


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
@given(data=st.data())
def test_op_matches_torch(spec, data):
    case = data.draw(spec.cases)
    xs, params = case
    leaves, node = apply_spec(spec, case)
    node.backward()
    tensors = [leaf(x) for x in xs]
    out = spec.torch(torch, *tensors, *params)
    out.backward()
    assert_agrees(node.data, out.item(), f"{spec.name} value")
    for i, (ours, theirs) in enumerate(zip(leaves, tensors)):
        assert_agrees(ours.grad, theirs.grad.item(), f"{spec.name} gradient of x{i}")


@pytest.mark.parametrize(("method", "x"), [("relu", 0.0), ("abs", 0.0), ("leaky_relu", 0.0)])
def test_derivative_at_the_kink_matches_torch(method, x):
    """At 0 we take relu' = 0, abs' = 0 and leaky_relu' = slope: the same choices as PyTorch."""
    v = Value(x)
    getattr(v, method)().backward()
    t = leaf(x)
    if method == "leaky_relu":
        torch.nn.functional.leaky_relu(t, 0.01).backward()
    else:
        getattr(t, method)().backward()
    assert v.grad == t.grad.item()


def test_micrograd_sanity_check():
    """micrograd's first test, same expression in both engines."""
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()

    xt = leaf(-4.0)
    zt = 2 * xt + 2 + xt
    qt = zt.relu() + zt * xt
    ht = (zt * zt).relu()
    yt = ht + qt + qt * xt
    yt.backward()

    assert y.data == yt.item()
    assert x.grad == xt.grad.item()


def test_micrograd_more_ops():
    """micrograd's second test: powers, reflected ops, reuse of a and b in many places."""

    def build(a, b, relu):
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + relu(b + a)
        d = d + 3 * d + relu(b - a)
        e = c - d
        f = e**2
        g = f / 2.0
        g = g + 10.0 / f
        return g

    a, b = Value(-4.0), Value(2.0)
    g = build(a, b, Value.relu)
    g.backward()
    at, bt = leaf(-4.0), leaf(2.0)
    gt = build(at, bt, torch.relu)
    gt.backward()
    assert_agrees(g.data, gt.item(), "g")
    assert_agrees(a.grad, at.grad.item(), "∂g/∂a")
    assert_agrees(b.grad, bt.grad.item(), "∂g/∂b")


def test_neuron_with_linear_matches_torch():
    """One sigmoid neuron built from the single ``linear`` node, and a squared error."""
    ws = [Value(w, label=f"w{i}") for i, w in enumerate([0.5, -1.5, 2.0])]
    xs = [Value(x, label=f"x{i}") for i, x in enumerate([1.0, -2.0, 0.25])]
    b = Value(0.1, label="b")
    loss = 0.5 * (1.0 - autograd.linear(ws, xs, b).sigmoid()) ** 2
    loss.backward()

    wt = [leaf(v.data) for v in ws]
    xt = [leaf(v.data) for v in xs]
    bt = leaf(b.data)
    zt = sum(w * x for w, x in zip(wt, xt)) + bt
    losst = 0.5 * (1.0 - zt.sigmoid()) ** 2
    losst.backward()

    assert_agrees(loss.data, losst.item(), "loss")
    for ours, theirs in zip([*ws, *xs, b], [*wt, *xt, bt]):
        assert_agrees(ours.grad, theirs.grad.item(), f"∂loss/∂{ours.label}")
