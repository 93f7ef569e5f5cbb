"""``autograd.grad``: gradients without touching ``.grad``, and with
``create_graph=True`` gradients that are graphs themselves, so they can be
differentiated again (second derivatives, Newton's method, Hessians)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opspec import SPECS, close, partial_derivatives, spec_id

import autograd
from autograd import Value, topological_order

# -- grad without create_graph ----------------------------------------------------


def test_grad_returns_floats_and_leaves_grad_alone():
    x, y = Value(2.0, label="x"), Value(-1.0, label="y")
    out = (x * y).tanh() + x**2
    gx, gy = autograd.grad(out, [x, y])
    assert type(gx) is float and type(gy) is float
    t = math.tanh(-2.0)
    assert math.isclose(gx, (1 - t * t) * -1.0 + 4.0, rel_tol=1e-14)
    assert math.isclose(gy, (1 - t * t) * 2.0, rel_tol=1e-14)
    assert all(v.grad == 0.0 for v in topological_order(out))


def test_grad_of_one_input_and_of_an_unrelated_input():
    x, unrelated = Value(3.0), Value(5.0)
    assert autograd.grad(x * x, x) == 6.0
    assert autograd.grad(x * x, [x, unrelated]) == [6.0, 0.0]
    assert autograd.grad(x, x) == 1.0


def test_grad_refuses_non_values():
    with pytest.raises(TypeError):
        autograd.grad(1.0, [Value(1.0)])
    with pytest.raises(TypeError):
        autograd.grad(Value(1.0), [2.0])


def test_grad_with_create_graph_returns_values_and_leaves_grad_alone():
    x = Value(0.3, label="x")
    out = x.sin() * x
    g = autograd.grad(out, x, create_graph=True)
    assert isinstance(g, Value)
    assert math.isclose(g.data, math.cos(0.3) * 0.3 + math.sin(0.3), rel_tol=1e-14)
    assert all(v.grad == 0.0 for v in topological_order(out))
    assert all(v.grad == 0.0 for v in topological_order(g))
    constant = autograd.grad(out, [x, Value(1.0)], create_graph=True)[1]
    assert isinstance(constant, Value) and constant.data == 0.0


def test_second_and_third_derivatives_of_sin():
    x = Value(0.7)
    d1 = autograd.grad(x.sin(), x, create_graph=True)
    d2 = autograd.grad(d1, x, create_graph=True)
    d3 = autograd.grad(d2, x)
    assert math.isclose(d1.data, math.cos(0.7), rel_tol=1e-15)
    assert math.isclose(d2.data, -math.sin(0.7), rel_tol=1e-15)
    assert math.isclose(d3, -math.cos(0.7), rel_tol=1e-15)


def test_second_derivative_of_sigmoid():
    """σ'' = σ(1 - σ)(1 - 2σ)."""
    x = Value(0.4)
    d2 = autograd.grad(autograd.grad(x.sigmoid(), x, create_graph=True), x)
    s = 1 / (1 + math.exp(-0.4))
    assert math.isclose(d2, s * (1 - s) * (1 - 2 * s), rel_tol=1e-13)


def test_backward_through_a_gradient():
    """``backward`` on a gradient graph fills ``.grad`` with second derivatives."""
    x = Value(1.5, label="x")
    slope = autograd.grad(x**3, x, create_graph=True)  # 3x²
    slope.backward()
    assert x.grad == 6.0 * 1.5


# -- every op: second derivatives against finite differences of first derivatives --


def _first_derivatives(spec, xs, params):
    leaves = [Value(x) for x in xs]
    return autograd.grad(spec.apply(*leaves, *params), leaves)


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
@given(data=st.data())
def test_second_derivatives_match_finite_differences(spec, data):
    xs, params = data.draw(spec.cases)
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    out = spec.apply(*leaves, *params)
    first = autograd.grad(out, leaves, create_graph=True)
    assert all(isinstance(g, Value) for g in first)
    hessian = [autograd.grad(g, leaves) for g in first]
    scale = max(1.0, abs(out.data), *(abs(g.data) for g in first))
    for i in range(len(xs)):
        # the i-th first derivative, evaluated by the engine at shifted points
        column = partial_derivatives(lambda *ys, i=i: _first_derivatives(spec, ys, params)[i], xs, 1e-5)
        for j in range(len(xs)):
            assert close(hessian[i][j], column[j], rel=1e-5, abs_=1e-6 * scale), (
                f"∂²{spec.name}/∂x{i}∂x{j}: engine {hessian[i][j]!r}, finite difference {column[j]!r}"
            )
            assert close(hessian[i][j], hessian[j][i], rel=1e-9, abs_=1e-12 * scale), "symmetry"


# -- using second derivatives ----------------------------------------------------


def test_newton_root_finding_on_a_cubic():
    """Roots of f(x) = x³ - 2x: Newton's step x ← x - f(x)/f'(x) from 2 reaches √2."""
    x = 2.0
    for _ in range(8):
        v = Value(x)
        f = v**3 - 2 * v
        x -= f.data / autograd.grad(f, v)
    assert math.isclose(x, math.sqrt(2.0), rel_tol=1e-15)


def test_newton_minimisation_uses_the_second_derivative():
    """F(x) = x⁴/4 - x² has F' = x³ - 2x and F'' = 3x² - 2: Newton's step
    x ← x - F'(x)/F''(x) from 2 converges to the minimum at √2."""
    x = 2.0
    for _ in range(8):
        v = Value(x)
        slope = autograd.grad(v**4 / 4 - v**2, v, create_graph=True)
        curvature = autograd.grad(slope, v)
        assert math.isclose(curvature, 3 * x * x - 2, rel_tol=1e-13)
        x -= slope.data / curvature
    assert math.isclose(x, math.sqrt(2.0), rel_tol=1e-15)


def _f(x, y, sin, exp):
    return x**2 * y + sin(x * y) + exp(x) / (1 + y**2) + (x - y) ** 3


def test_hessian_matches_torch():
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for this test (CI installs it)")
    point = (0.6, -1.3)
    x, y = Value(point[0]), Value(point[1])
    gradient = autograd.grad(_f(x, y, Value.sin, Value.exp), [x, y], create_graph=True)
    ours = [autograd.grad(g, [x, y]) for g in gradient]
    theirs = torch.autograd.functional.hessian(
        lambda a, b: _f(a, b, torch.sin, torch.exp),
        tuple(torch.tensor(p, dtype=torch.float64) for p in point),
    )
    for i in range(2):
        for j in range(2):
            assert math.isclose(ours[i][j], theirs[i][j].item(), rel_tol=1e-12), (i, j)
