"""Bad math is an error, never a silent NaN or inf.

Each case raises ``DomainError`` (a ``ValueError``) whose message names the op,
the input values and their labels; a gradient that overflows during backward
raises ``NonFiniteGradientError`` naming the node where it appeared.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import DomainError, NonFiniteGradientError, Value, no_grad
from autograd.errors import ChaingradError

x = lambda v: Value(v, label="x")
y = lambda v: Value(v, label="y")

# (what, how to make it, the op's name, the "label=value" texts the message must show)
CASES = [
    ("log(0)", lambda: x(0.0).log(), "log", ["x=0.0"]),
    ("log(-1)", lambda: x(-1.0).log(), "log", ["x=-1.0"]),
    ("sqrt(-1)", lambda: x(-1.0).sqrt(), "sqrt", ["x=-1.0"]),
    ("x / 0", lambda: x(1.0) / y(0.0), "/", ["x=1.0", "y=0.0"]),
    ("x / number 0", lambda: x(1.0) / 0, "/", ["x=1.0", "0.0"]),
    ("number / 0", lambda: 1 / x(0.0), "/", ["1.0", "x=0.0"]),
    ("0 ** -1", lambda: x(0.0) ** -1, "**", ["x=0.0", "-1.0"]),
    ("(-8) ** (1/3)", lambda: x(-8.0) ** (1 / 3), "**", ["x=-8.0", "0.333"]),
    ("exp(1000)", lambda: x(1000.0).exp(), "exp", ["x=1000.0"]),
    ("exp(710)", lambda: x(710.0).exp(), "exp", ["x=710.0"]),
    ("1e300 * 1e300", lambda: x(1e300) * y(1e300), "*", ["x=1e+300", "y=1e+300"]),
    ("1e308 + 1e308", lambda: x(1e308) + y(1e308), "+", ["x=1e+308", "y=1e+308"]),
    ("x ** 2 overflow", lambda: x(1e200) ** 2, "**", ["x=1e+200"]),
    ("negative base, Value exponent", lambda: x(-2.0) ** y(2.0), "pow", ["x=-2.0", "y=2.0"]),
    ("0 ** negative Value", lambda: x(0.0) ** y(-1.0), "pow", ["x=0.0", "y=-1.0"]),
    ("number ** Value, negative", lambda: (-2) ** y(0.5), "pow", ["-2.0", "y=0.5"]),
    ("sum overflow", lambda: autograd.sum_values([x(1e308), y(1e308)]), "sum", ["x=1e+308", "y=1e+308"]),
    ("linear overflow", lambda: autograd.linear([x(1e200)], [y(1e200)], 0.0), "linear", ["x=1e+200"]),
]


@pytest.mark.parametrize(("what", "make", "op", "shown"), CASES, ids=[c[0] for c in CASES])
def test_domain_error_names_op_values_and_labels(what, make, op, shown):
    with pytest.raises(DomainError) as info:
        make()
    error = info.value
    assert isinstance(error, ValueError) and isinstance(error, ChaingradError)
    message = str(error)
    assert message.startswith(f"{op}("), message
    for text in shown:
        assert text in message, f"{text!r} missing from {message!r}"


def test_domain_error_message_says_why():
    with pytest.raises(DomainError, match="log is defined only for x > 0"):
        Value(-1.0, label="x").log()
    with pytest.raises(DomainError, match="overflows"):
        Value(1000.0).exp()
    with pytest.raises(DomainError, match="unless n is an integer"):
        Value(-8.0) ** (1 / 3)
    with pytest.raises(DomainError, match=r"defined only for y ≠ 0"):
        Value(1.0, label="x") / Value(0.0, label="y")


def test_exp_just_below_the_limit_is_fine():
    assert math.isfinite(Value(709.7).exp().data)


def test_an_infinite_local_derivative_is_an_error_only_when_backward_needs_it():
    with no_grad():
        assert Value(0.0).sqrt().data == 0.0
        assert (Value(0.0) ** 0.5).data == 0.0
    root = Value(0.0, label="x").sqrt()  # the value is fine; d√x/dx is infinite at 0
    assert root.data == 0.0 and math.isinf(root.local_grads[0])
    with pytest.raises(autograd.InfiniteDerivativeError, match=r"sqrt.*x = 0\.0") as info:
        root.backward()
    assert isinstance(info.value, DomainError)


def test_no_grad_still_refuses_bad_values():
    with no_grad(), pytest.raises(DomainError, match="log"):
        Value(-1.0).log()


@given(st.floats(-1e6, 0.0))
def test_log_of_a_non_positive_number(v):
    with pytest.raises(DomainError, match=r"^log\("):
        Value(v).log()


@given(st.floats(-1e6, 0.0, exclude_max=True))
def test_sqrt_of_a_negative_number(v):
    with pytest.raises(DomainError, match=r"^sqrt\("):
        Value(v).sqrt()


@given(st.floats(-1e6, 1e6))
def test_division_by_zero(v):
    with pytest.raises(DomainError, match=r"^/\("):
        Value(v) / 0.0
    with pytest.raises(DomainError, match=r"^/\("):
        Value(v) / Value(-0.0)


@given(st.floats(-100.0, -1e-3), st.floats(-5.0, 5.0).filter(lambda n: n != int(n)))
def test_negative_base_with_a_fractional_exponent(base, n):
    with pytest.raises(DomainError, match=r"^\*\*\("):
        Value(base) ** n


@given(st.floats(-100.0, -1e-3), st.floats(-5.0, 5.0))
def test_negative_base_with_a_value_exponent(base, n):
    with pytest.raises(DomainError, match=r"^pow\("):
        Value(base) ** Value(n)


def test_errors_are_one_family():
    assert issubclass(DomainError, ValueError) and issubclass(DomainError, ChaingradError)
    assert issubclass(NonFiniteGradientError, DomainError)


# -- non-finite gradients during backward ------------------------------------------


def _overflowing_gradient_graph():
    """z = (w·x)·w with w = 1e200, x = 1e-200: every value is finite (1 and 1e200) but
    ∂z/∂x = w² = 1e400 overflows."""
    w = Value(1e200, label="w")
    leaf_x = Value(1e-200, label="x")
    wx = w * leaf_x
    wx.label = "wx"
    z = wx * w
    return leaf_x, w, z


def test_non_finite_gradient_during_backward_names_the_node():
    *_, z = _overflowing_gradient_graph()
    with pytest.raises(NonFiniteGradientError, match="'x'") as info:
        z.backward()
    assert "inf" in str(info.value)
    assert isinstance(info.value, DomainError)


def test_non_finite_gradient_at_an_intermediate_node():
    """c = 1e200 · log(b): the local derivatives 1e200 and 1/b = 1e200 multiply to
    1e400 at b, the labelled intermediate node, before anything reaches the leaf."""
    a = Value(1e-200, label="a")
    b = a * 1.0
    b.label = "b"
    c = b.log() * 1e200
    with pytest.raises(NonFiniteGradientError, match="'b'"):
        c.backward()


def test_non_finite_local_derivative_is_caught():
    """log(1e-320) is finite but its derivative 1/x overflows: an error naming x, either
    when the node is made or at the latest during backward."""
    with pytest.raises(DomainError, match="x"):
        Value(1e-320, label="x").log().backward()


def test_grad_refuses_a_non_finite_gradient():
    leaf_x, w, z = _overflowing_gradient_graph()
    with pytest.raises(NonFiniteGradientError, match="'x'"):
        autograd.grad(z, [leaf_x, w])
