"""The op table: every operation chaingrad knows, with its forward rule and the
local derivative of each input, side by side.

For an op ``out = f(x1, ..., xn)`` a row gives

* the forward rule: the number ``out`` from the inputs;
* the local rule: ``(∂out/∂x1, ..., ∂out/∂xn)``, which may use ``out``.

Backward multiplies the gradient arriving at ``out`` by each local derivative,
which is the chain rule, one edge at a time.

Each rule is written once, with arithmetic and the functions of
:mod:`autograd.functions` (``where`` for a choice), and every reader derives
from it (:mod:`autograd.rules`): the numbers stored on nodes, derivatives of
derivatives, the code of ``compile``, the text and LaTeX of ``explain`` and of
the steps. Your own op is one more row, made by the same function in your
code: ``swish = autograd.define_op("swish", lambda x: x * sigmoid(x), ...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import mul
from typing import Any

from autograd.functions import abs, cos, exp, log, logsumexp, sigmoid, sin, softplus, sqrt, tanh, where
from autograd.rules import Op, builtin_op
from autograd.value import (
    OPS,
    Value,
    apply_binary,
    apply_unary,
    apply_with_params,
    constant,
    to_float,
)


def weighted_sum(xs: tuple[Any, ...]) -> Any:
    """w1·x1 + ... + wn·xn + b, for the inputs laid out as (w1..wn, x1..xn, b)."""
    n = len(xs) // 2
    return sum(map(mul, xs[1:n], xs[n + 1 : -1]), xs[0] * xs[n]) + xs[-1]


def weighted_sum_local(xs: tuple[Any, ...]) -> tuple[Any, ...]:
    """∂/∂wi = xi, ∂/∂xi = wi, ∂/∂b = 1."""
    n = len(xs) // 2
    return (*xs[n:-1], *xs[:n], 1.0)


def power_local(a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    """∂(a^b)/∂a = b·a^(b-1) and ∂(a^b)/∂b = a^b·ln a, with PyTorch's values
    where the formulas break down at a = 0: ∂/∂a = 0 at 0^0, ∂/∂b = 0."""
    d_base = b * a ** (b - 1)
    return where(a == 0, where(b == 0, 0, d_base), d_base), where(a > 0, out * log(a), 0)


op = builtin_op

# fmt: off
TABLE: tuple[Op, ...] = (
    #  name          forward rule                                   local derivative of each input
    op("+",          lambda a, b: a + b,                            lambda a, b: (1.0, 1.0)),
    op("-",          lambda a, b: a - b,                            lambda a, b: (1.0, -1.0)),
    op("*",          lambda a, b: a * b,                            lambda a, b: (b, a)),
    op("/",          lambda a, b: a / b,                            lambda a, b, out: (1 / b, -out / b),
       domain="b ≠ 0"),
    op("neg",        lambda x: -x,                                  lambda x: -1.0,
       as_call=False),
    op("**",         lambda x, n: x ** n,                           lambda x, n: where(n == 0, 0, n * x ** (n - 1)),
       params=("n",), domain="x ≥ 0 unless n is an integer, and x ≠ 0 when n < 0"),
    op("pow",        lambda a, b: a ** b,                           power_local,
       domain=lambda a, b: a >= 0, as_call=False),
    op("exp",        lambda x: exp(x),                              lambda x, out: out),
    op("log",        lambda x: log(x),                              lambda x: 1 / x,
       domain="x > 0"),
    op("sqrt",       lambda x: sqrt(x),                             lambda x, out: 0.5 / out,
       domain="x ≥ 0"),
    op("tanh",       lambda x: tanh(x),                             lambda x, out: 1 - out * out),
    op("sigmoid",    lambda x: sigmoid(x),                          lambda x, out: out * (1 - out)),
    op("softplus",   lambda x: softplus(x),                         lambda x: sigmoid(x)),
    op("relu",       lambda x: where(x > 0, x, 0),                  lambda x: where(x > 0, 1, 0)),
    op("leaky_relu", lambda x, slope: where(x > 0, x, slope * x),   lambda x, slope: where(x > 0, 1, slope),
       params=("slope",), defaults=(0.01,)),
    op("prelu",      lambda x, alpha: where(x > 0, x, alpha * x),   lambda x, alpha: (where(x > 0, 1, alpha),
                                                                                      where(x > 0, 0, x))),
    op("abs",        lambda x: abs(x),                              lambda x: where(x > 0, 1, where(x < 0, -1, 0))),
    op("sin",        lambda x: sin(x),                              lambda x: cos(x)),
    op("cos",        lambda x: cos(x),                              lambda x: -sin(x)),
    op("sum",        lambda xs: sum(xs[1:], xs[0]),                 lambda xs: (1.0,) * len(xs),
       variadic=True),
    op("logsumexp",  lambda xs: logsumexp(xs),                      lambda xs, out: tuple(exp(x - out) for x in xs),
       variadic=True),
    op("linear",     weighted_sum,                                  weighted_sum_local,
       variadic=True, example=("w1", "w2", "x1", "x2", "b")),
)
# fmt: on
"""The built-in ops, in the order above; :data:`OPS` holds them (and yours) by name."""

del op

# -- the operators and methods of Value, from the table ----------------------------------


def _binary_methods(op: Op) -> tuple[Callable[[Value, Any], Value], Callable[[Value, Any], Value]]:
    """``x OP y`` and the reflected ``number OP x``, for a two-input op."""

    def method(self: Value, other: Any) -> Value:
        if not isinstance(other, Value):
            other = constant(other)
        return apply_binary(op, self, other)

    def reflected(self: Value, other: Any) -> Value:
        return apply_binary(op, constant(other), self)

    method.__doc__ = reflected.__doc__ = op.math
    return method, reflected


def _unary_method(op: Op) -> Callable[[Value], Value]:
    def method(self: Value) -> Value:
        return apply_unary(op, self)

    method.__name__ = op.name
    method.__doc__ = op.math
    return method


_POW, _POW_N, _LEAKY, _PRELU = OPS["pow"], OPS["**"], OPS["leaky_relu"], OPS["prelu"]


def _power(self: Value, exponent: Any) -> Value:
    """x ** n for a number n (one input, n kept in ``params``), or
    x ** y for a Value y (two inputs, op ``"pow"``)."""
    if isinstance(exponent, Value):
        return apply_binary(_POW, self, exponent)
    return apply_with_params(_POW_N, self, (to_float(exponent, "the exponent of **"),))


def _reflected_power(self: Value, base: Any) -> Value:
    """number ** Value: the number becomes a constant leaf."""
    return apply_binary(_POW, constant(base), self)


def _leaky_relu(self: Value, slope: float = 0.01) -> Value:
    """x if x > 0 else slope·x; d/dx = 1 if x > 0 else slope (a fixed number)."""
    return apply_with_params(_LEAKY, self, (to_float(slope, "leaky_relu slope"),))


def _prelu(self: Value, alpha: Any) -> Value:
    """pReLU: x if x > 0 else α·x, where α is an input (a Value a model learns,
    or a number); ∂/∂x = 1 if x > 0 else α, ∂/∂α = 0 if x > 0 else x."""
    return apply_binary(_PRELU, self, alpha if isinstance(alpha, Value) else constant(alpha))


for _symbol, _dunder in (("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "truediv")):
    _forward, _reflected = _binary_methods(OPS[_symbol])
    setattr(Value, f"__{_dunder}__", _forward)
    setattr(Value, f"__r{_dunder}__", _reflected)
Value.__neg__ = _unary_method(OPS["neg"])  # type: ignore[method-assign]
for _name in ("exp", "log", "sqrt", "tanh", "sigmoid", "softplus", "relu", "abs", "sin", "cos"):
    setattr(Value, _name, _unary_method(OPS[_name]))
Value.__pow__ = _power  # type: ignore[method-assign,assignment]
Value.__rpow__ = _reflected_power  # type: ignore[method-assign,assignment]
Value.leaky_relu = _leaky_relu  # type: ignore[method-assign]
Value.prelu = _prelu  # type: ignore[method-assign,assignment]

__all__ = ["OPS", "TABLE", "weighted_sum", "weighted_sum_local"]
