"""A local derivative that is infinite where it is taken is an error only when
backward must multiply it by a gradient that is not zero.

The value itself is always computed (and can be printed and drawn); PyTorch's
answers at the edge cases (0 ** y, 0 ** 0) are matched.
"""

from __future__ import annotations

import math
import pickle

import pytest
from torch_or_skip import torch

import autograd
from autograd import DomainError, InfiniteDerivativeError, Value, grad, no_grad


def tensor(x: float):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def test_values_with_an_infinite_local_derivative_can_be_computed():
    a, b = Value(2.0, "a"), Value(2.0, "b")
    distance = ((a - b) ** 2).sqrt()
    assert distance.data == 0.0 and math.isinf(distance.local_grads[0])
    assert Value(-3.0, "x").relu().sqrt().data == 0.0
    assert "inf" in autograd.to_dot(distance)  # drawn as it is


def test_backward_through_the_infinite_derivative_names_the_node():
    x = Value(-3.0, "x")
    r = x.relu()
    r.label = "r"
    root = r.sqrt()
    root.label = "s"
    with pytest.raises(InfiniteDerivativeError) as info:
        root.backward()
    message = str(info.value)
    assert "at s (made by 'sqrt')" in message and "r = 0.0" in message
    assert isinstance(info.value, DomainError) and isinstance(info.value, ValueError)
    with pytest.raises(InfiniteDerivativeError):
        grad(root, x)
    with no_grad():
        assert Value(-3.0).relu().sqrt().data == 0.0


def test_a_zero_gradient_through_an_infinite_derivative_contributes_nothing():
    x = Value(0.0, "x")
    y = x.sqrt() * 0.0 + x * 3.0  # the sqrt path carries gradient 0
    y.backward()
    assert x.grad == 3.0


@pytest.mark.parametrize("y0", [0.25, 0.5, 0.999])
def test_zero_to_a_value_power_below_one(y0):
    """0 ** y for 0 < y < 1: ∂/∂y = 0 (PyTorch, HIPS); the base is a number written in the code."""
    y = Value(y0, "y")
    out = 0.0**y
    out.backward()
    assert (out.data, y.grad) == (0.0, 0.0)
    t = tensor(y0)
    (0.0**t).backward()
    assert y.grad == t.grad.item()


def test_zero_to_the_zero_matches_pytorch():
    a, b = Value(0.0, "a"), Value(0.0, "b")
    out = a**b
    out.backward()
    assert (out.data, a.grad, b.grad) == (1.0, 0.0, 0.0)
    ta, tb = tensor(0.0), tensor(0.0)
    (ta**tb).backward()
    assert (a.grad, b.grad) == (ta.grad.item(), tb.grad.item())


def test_zero_to_a_value_power_with_a_value_base_raises_only_through_the_base():
    a, b = Value(0.0, "a"), Value(0.5, "b")
    with pytest.raises(InfiniteDerivativeError, match=r"∂\(a \*\* b\)/∂a|∂\(a\^b\)/∂a"):
        (a**b).backward()  # backward computes every leaf's gradient, a's included
    assert grad(a**b, b) == 0.0  # grad follows only the edges that lead to what it is asked for


def test_first_derivative_of_x_to_one_and_a_half_at_zero_is_zero():
    x = Value(0.0, "x")
    first = grad(x**1.5, x, create_graph=True)
    assert first.data == 0.0
    t = tensor(0.0)
    (dt,) = torch.autograd.grad(t**1.5, t, create_graph=True)
    assert first.data == dt.item()
    with pytest.raises(InfiniteDerivativeError):
        grad(first, x)  # the second derivative 0.75 / √x is infinite at 0


def test_the_marker_survives_pickling_and_still_refuses():
    root = Value(0.0, "x").sqrt()
    copy = pickle.loads(pickle.dumps(root))
    assert math.isinf(copy.local_grads[0])
    with pytest.raises(InfiniteDerivativeError):
        copy.backward()
