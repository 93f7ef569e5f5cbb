"""The op table: every operation chaingrad knows, with its forward rule and the
local derivative of each input, side by side.

For an op ``out = f(x1, ..., xn)`` the table gives

* ``forward(x1, ..., xn)``: the number ``out``;
* ``local(x1, ..., xn, out)``: the tuple ``(∂out/∂x1, ..., ∂out/∂xn)``.

Backward multiplies the gradient arriving at ``out`` by each of these local
derivatives, which is the chain rule, one edge at a time.

The local rules are written with arithmetic operators, comparisons and the
generic :func:`cos`, :func:`sin` and :func:`log` below, so the same rule runs on
floats (the normal case: numbers stored on each node) and on ``Value`` objects
(higher-order derivatives build the derivative itself as a graph).

Ops with a parameter that is a plain number, not an input (the exponent of
``x ** 3``, the slope of ``leaky_relu``), receive it after ``out``.
Variadic ops (``sum``, ``linear``) receive their inputs as one tuple.

Adding an op means adding one entry to ``OPS``; ``Value`` builds its methods
from it and the tests sample every entry.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def cos(x: Any) -> Any:
    """cos of a float, or of a Value (building a node)."""
    return math.cos(x) if type(x) is float else x.cos()


def sin(x: Any) -> Any:
    """sin of a float, or of a Value (building a node)."""
    return math.sin(x) if type(x) is float else x.sin()


def log(x: Any) -> Any:
    """Natural log of a float, or of a Value (building a node)."""
    return math.log(x) if type(x) is float else x.log()


def sigmoid(x: float) -> float:
    """σ(x) = 1 / (1 + e^-x), computed so that no input overflows.

    For x >= 0, e^-x <= 1; for x < 0 we use the equal form e^x / (1 + e^x),
    where e^x < 1. So sigmoid(800) is 1.0 and sigmoid(-800) is 0.0.
    """
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class OutsideDomain(ValueError):
    """Raised by a forward rule with a message that explains the domain."""


def exp_of(x: Any) -> Any:
    """e^x of a float, or of a Value (building a node)."""
    return math.exp(x) if type(x) is float else x.exp()


def sigmoid_of(x: Any) -> Any:
    """σ of a float, or of a Value (building a node)."""
    return sigmoid(x) if type(x) is float else x.sigmoid()


def softplus(x: float) -> float:
    """log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): e^-|x| <= 1 never overflows,
    and log1p keeps the tail exact, so softplus(800) is 800.0 and
    softplus(-800) is e^-800 (rounded to 0.0)."""
    return (x if x > 0.0 else 0.0) + math.log1p(math.exp(-abs(x)))


def power(a: float, n: float) -> float:
    """a ** n over the reals: refuses what would be complex or infinite."""
    if a < 0.0 and n != int(n):
        raise OutsideDomain("a negative base needs an integer exponent (the result would be complex)")
    if a == 0.0 and n < 0.0:
        raise OutsideDomain("0 cannot be raised to a negative power (division by zero)")
    return a**n


def power_by_value(a: float, b: float) -> float:
    """a ** b when the exponent b is itself a Value: needs a >= 0, because
    ∂(a**b)/∂b = a**b · ln(a) has no real value for a < 0."""
    if a < 0.0:
        raise OutsideDomain(
            "a Value exponent needs a base >= 0 (∂/∂b a**b = a**b·ln a); "
            "use a plain number as the exponent for a negative base"
        )
    return power(a, b)


def _sum(xs: tuple[float, ...]) -> float:
    """x1 + ... + xn, added left to right like a chain of ``+``."""
    return sum(xs, 0.0)


def logsumexp(xs: tuple[float, ...]) -> float:
    """log(e^x1 + ... + e^xn), computed as m + log Σ e^(xi - m) with m = max xi,
    so no e^(xi - m) exceeds 1 and nothing overflows."""
    m = max(xs)
    return m + math.log(sum([math.exp(x - m) for x in xs], 0.0))


def _softmax(xs: tuple[Any, ...], out: Any) -> tuple[Any, ...]:
    """∂ logsumexp/∂xi = softmax(x)i = e^(xi - m) / Σj e^(xj - m), for m = max x.

    Any shift m gives the same function, so this is exact on Values too; the
    shift and the explicit division keep the floats summing to 1 to rounding.
    """
    m = max(xs)
    exps = [exp_of(x - m) for x in xs]
    total = sum(exps[1:], exps[0])
    return tuple([e / total for e in exps])


def _linear(xs: tuple[float, ...]) -> float:
    """Σ w_i x_i + b, for inputs laid out as (w1..wn, x1..xn, b)."""
    n = len(xs) // 2
    return sum(map(float.__mul__, xs[:n], xs[n : 2 * n]), 0.0) + xs[-1]


def _linear_local(xs: tuple[Any, ...], out: Any) -> tuple[Any, ...]:
    """∂/∂w_i = x_i, ∂/∂x_i = w_i, ∂/∂b = 1."""
    n = len(xs) // 2
    return (*xs[n : 2 * n], *xs[:n], 1.0)


@dataclass(frozen=True)
class Op:
    """One row of the table.

    name:     what ``Value.op`` holds and what graphs show (``"+"``, ``"tanh"``)
    forward:  the rule that computes the output from the input numbers
    local:    the local derivative of the output with respect to each input
    math:     the same two rules in words, for docstrings and explanations
    arity:    number of inputs (``None`` for a variadic op)
    params:   names of number parameters that are not inputs (``("n",)`` for ``x ** n``)
    domain:   where the op is defined, for error messages
    """

    name: str
    forward: Callable[..., float]
    local: Callable[..., tuple[Any, ...]]
    math: str
    arity: int | None = 1
    params: tuple[str, ...] = ()
    domain: str = ""


# fmt: off
TABLE: tuple[Op, ...] = (
    #  name       forward rule                       local derivative of each input
    Op("+",       lambda a, b: a + b,                lambda a, b, out: (1.0, 1.0),
       "a + b;  ∂/∂a = 1, ∂/∂b = 1", arity=2),
    Op("-",       lambda a, b: a - b,                lambda a, b, out: (1.0, -1.0),
       "a - b;  ∂/∂a = 1, ∂/∂b = -1", arity=2),
    Op("*",       lambda a, b: a * b,                lambda a, b, out: (b, a),
       "a · b;  ∂/∂a = b, ∂/∂b = a", arity=2),
    Op("/",       lambda a, b: a / b,                lambda a, b, out: (1.0 / b, -out / b),
       "a / b;  ∂/∂a = 1/b, ∂/∂b = -a/b²", arity=2, domain="b ≠ 0"),
    Op("pow",     power_by_value,                    lambda a, b, out: (b * a ** (b - 1.0),
                                                                        out * log(a) if a > 0 else 0.0),
       "a ** b;  ∂/∂a = b·a^(b-1), ∂/∂b = a^b·ln a", arity=2,
       domain="a > 0 (or a = 0 with b > 0)"),
    Op("**",      power,                             lambda a, out, n: (n * a ** (n - 1) if n != 0 else 0.0,),
       "x ** n (n a number);  d/dx = n·x^(n-1)", params=("n",),
       domain="x ≥ 0 unless n is an integer, x ≠ 0 if n < 0"),
    Op("neg",     lambda a: -a,                      lambda a, out: (-1.0,),
       "-x;  d/dx = -1"),
    Op("exp",     math.exp,                          lambda a, out: (out,),
       "e^x;  d/dx = e^x", domain="x ≤ 709.78 (beyond, e^x overflows a float)"),
    Op("log",     math.log,                          lambda a, out: (1.0 / a,),
       "ln x;  d/dx = 1/x", domain="x > 0"),
    Op("sqrt",    math.sqrt,                         lambda a, out: (0.5 / out,),
       "√x;  d/dx = 1/(2√x)", domain="x > 0 (at 0 the derivative is infinite)"),
    Op("tanh",    math.tanh,                         lambda a, out: (1.0 - out * out,),
       "tanh x;  d/dx = 1 - tanh²x"),
    Op("sigmoid", sigmoid,                           lambda a, out: (out * (1.0 - out),),
       "σ(x) = 1/(1+e^-x);  d/dx = σ(x)(1-σ(x))"),
    Op("softplus", softplus,                         lambda a, out: (sigmoid_of(a),),
       "log(1 + e^x) (a smooth relu);  d/dx = σ(x)"),
    Op("relu",    lambda a: a if a > 0.0 else 0.0,   lambda a, out: (1.0 if a > 0.0 else 0.0,),
       "max(x, 0);  d/dx = 1 if x > 0 else 0 (we take 0 at x = 0)"),
    Op("leaky_relu", lambda a, s: a if a > 0.0 else s * a,
                                                     lambda a, out, s: (1.0 if a > 0.0 else s,),
       "x if x > 0 else s·x (pReLU);  d/dx = 1 if x > 0 else s", params=("slope",)),
    Op("prelu",   lambda a, s: a if a > 0.0 else s * a,
                                                     lambda a, s, out: (1.0 if a > 0.0 else s, 0.0 if a > 0.0 else a),
       "x if x > 0 else α·x, α an input that is learned (pReLU);  ∂/∂x = 1 if x > 0 else α, "
       "∂/∂α = 0 if x > 0 else x", arity=2),
    Op("abs",     abs,                               lambda a, out: (1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0,),
       "|x|;  d/dx = sign(x) (we take 0 at x = 0)"),
    Op("sin",     math.sin,                          lambda a, out: (cos(a),),
       "sin x;  d/dx = cos x"),
    Op("cos",     math.cos,                          lambda a, out: (-sin(a),),
       "cos x;  d/dx = -sin x"),
    Op("sum",     _sum,                              lambda xs, out: (1.0,) * len(xs),
       "x1 + ... + xn;  ∂/∂xi = 1", arity=None),
    Op("logsumexp", logsumexp,                       _softmax,
       "log Σ e^xi;  ∂/∂xi = e^(xi - out) = softmax(x)i", arity=None),
    Op("linear",  _linear,                           _linear_local,
       "Σ wi·xi + b;  ∂/∂wi = xi, ∂/∂xi = wi, ∂/∂b = 1", arity=None),
)
# fmt: on

OPS: dict[str, Op] = {op.name: op for op in TABLE}
"""The table, by name: ``OPS["tanh"].local(x, out)``."""


def local_grads_of(node: Any) -> tuple[Any, ...]:
    """Evaluate ``node``'s local derivatives again, on Values this time.

    Used for higher-order derivatives: the result is built from the node's inputs
    (and the node itself, for rules that use ``out``), so it can be
    differentiated again.
    """
    op = OPS[node.op]
    if op.arity is None:
        return op.local(node.inputs, node)
    return op.local(*node.inputs, node, *node.params)
