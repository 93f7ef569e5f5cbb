"""One list of op specs that drives every op test (the minitorch pattern).

For each row of ``autograd.OPS`` (some rows have several specs: ``x ** n`` with an
integer and with a real exponent, the reflected ``number - x``, ...) a spec says

* ``apply(*values, *params)``: how to apply the op to Values;
* ``reference(*floats, *params)``: the same function from textbook math, written
  independently of the op table (Euler's formula for sin and cos, ``e^(n ln x)``
  for powers, ``sinh/cosh`` for tanh, ...);
* ``torch(torch, *tensors, *params)``: the PyTorch equivalent (the module is passed
  in, so this file does not need torch);
* ``cases``: a Hypothesis strategy of ``(inputs, params)`` well inside the domain,
  kept a margin away from kinks (relu, abs at 0) and singularities (log, sqrt at 0,
  division by 0), so that central finite differences are accurate;
* ``inside(*floats, *params)``: the same domain as a predicate, which the random
  expression graphs use to pick only ops that are defined at the current values.

Adding an op to the table without adding a spec here fails ``test_every_op_has_a_spec``.

The list also holds ops defined the way a user would, with one
:func:`autograd.define_op` call each (swish, a piecewise hardclip, GELU, softsign,
mish, hypot, a scaled tanh with a parameter): every kind of test covers them
exactly as it covers the built-in ones.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

import autograd
from autograd import Value
from autograd.functions import abs as abs_
from autograd.functions import sigmoid as sigmoid_
from autograd.functions import softplus as softplus_
from autograd.functions import sqrt as sqrt_
from autograd.functions import tanh as tanh_
from autograd.functions import where

Case = tuple[tuple[float, ...], tuple[float, ...]]
"""One sample: the input numbers and the number parameters (exponent, slope, constant)."""

KINK_MARGIN = 0.01
"""Distance kept from 0 for relu, leaky_relu and abs (their derivative jumps there)."""

POLE_MARGIN = 0.1
"""Distance kept from 0 for a divisor, and for a base raised to a negative or real power."""

LOG_MARGIN = 0.05
"""Smallest argument of log and sqrt (their derivatives blow up at 0)."""


@dataclass(frozen=True)
class OpSpec:
    """How to apply, compute, and sample one row of the op table."""

    name: str
    """Test id: the op, plus the variant when a row has several specs."""
    op: str
    """The row of ``autograd.OPS`` this spec exercises (the ``op`` of the node it makes)."""
    apply: Callable[..., Value]
    reference: Callable[..., float]
    torch: Callable[..., Any]
    cases: SearchStrategy[Case]
    inside: Callable[..., bool]

    def __repr__(self) -> str:
        return f"OpSpec({self.name!r})"


# -- strategies --------------------------------------------------------------


def real(lo: float, hi: float) -> SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(margin: float, hi: float) -> SearchStrategy[float]:
    """Numbers with margin <= |x| <= hi, of either sign."""
    return st.builds(lambda m, sign: sign * m, real(margin, hi), st.sampled_from([1.0, -1.0]))


def inputs(*strategies: SearchStrategy[float], params: Sequence[SearchStrategy[float]] = ()) -> Any:
    return st.tuples(st.tuples(*strategies), st.tuples(*params))


def n_inputs(strategy: SearchStrategy[float], lo: int, hi: int) -> SearchStrategy[Case]:
    return st.tuples(st.lists(strategy, min_size=lo, max_size=hi).map(tuple), st.just(()))


def linear_inputs(strategy: SearchStrategy[float]) -> SearchStrategy[Case]:
    """(w1..wn, x1..xn, b) for n from 1 to 4."""
    return st.integers(1, 4).flatmap(lambda n: n_inputs(strategy, 2 * n + 1, 2 * n + 1))


ANY = real(-10.0, 10.0)
"""A general argument: away from overflow, wide enough to cross every interesting point."""

INTEGER_EXPONENT = st.integers(-3, 4).map(float)
REAL_EXPONENT = real(-2.5, 2.5)


# -- independent references ----------------------------------------------------


def integer_power(x: float, n: float) -> float:
    """x**n for an integer n as repeated multiplication (1/x repeated for n < 0)."""
    k = int(n)
    factor = x if k >= 0 else 1.0 / x
    return math.prod([factor] * abs(k))


def real_power(x: float, n: float) -> float:
    """x**n = e^(n ln x) for x > 0."""
    return math.exp(n * math.log(x))


def natural_log(x: float) -> float:
    """ln x = log2(x) / log2(e)."""
    return math.log2(x) / math.log2(math.e)


def tanh(x: float) -> float:
    """tanh x = sinh x / cosh x."""
    return math.sinh(x) / math.cosh(x)


def sigmoid(x: float) -> float:
    """σ(x) = 1 / (1 + e^-x), the textbook form (fine for |x| <= 30)."""
    return 1.0 / (1.0 + math.exp(-x))


def sin(x: float) -> float:
    """sin x = Im e^(ix) (Euler's formula)."""
    return cmath.exp(1j * x).imag


def cos(x: float) -> float:
    """cos x = Re e^(ix) (Euler's formula)."""
    return cmath.exp(1j * x).real


def softplus(x: float) -> float:
    """ln(1 + e^x), straight from the definition (fine for |x| <= 30)."""
    return math.log(1.0 + math.exp(x))


def leaky_relu(x: float, slope: float) -> float:
    """max(x, 0) + slope · min(x, 0)."""
    return max(x, 0.0) + slope * min(x, 0.0)


def logsumexp(*xs: float) -> float:
    """ln(e^x1 + ... + e^xn), straight from the definition (fine for |xi| <= 10)."""
    return math.log(math.fsum(math.exp(x) for x in xs))


def linear_reference(*xs: float) -> float:
    n = len(xs) // 2
    return math.fsum(w * x for w, x in zip(xs[:n], xs[n : 2 * n])) + xs[-1]


# -- torch equivalents (the module comes in as ``t``) ---------------------------


def torch_sum(t: Any, *xs: Any) -> Any:
    return t.stack(xs).sum()


def torch_logsumexp(t: Any, *xs: Any) -> Any:
    return t.logsumexp(t.stack(xs), dim=0)


def torch_linear(t: Any, *xs: Any) -> Any:
    n = len(xs) // 2
    return (t.stack(xs[:n]) * t.stack(xs[n : 2 * n])).sum() + xs[-1]


def torch_softplus(t: Any, x: Any) -> Any:
    # torch switches to x itself above `threshold` (20 by default); keep the exact formula
    return t.nn.functional.softplus(x, threshold=50.0)


def torch_leaky_relu(t: Any, x: Any, slope: float) -> Any:
    return t.nn.functional.leaky_relu(x, slope)


def torch_prelu(t: Any, x: Any, a: Any) -> Any:
    """PyTorch's prelu with one learned slope (a tensor, even if we got a number)."""
    return t.nn.functional.prelu(x.reshape(1), t.as_tensor(a, dtype=t.float64).reshape(1)).reshape(())


# -- ops defined by users, one define_op call each --------------------------------

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)

swish = autograd.define_op(
    "swish",
    lambda x: x * sigmoid_(x),
    lambda x: sigmoid_(x) * (1 + x * (1 - sigmoid_(x))),
)
hardclip = autograd.define_op(
    "hardclip",
    lambda x: where(x > 1, 1, where(x < -1, -1, x)),
    lambda x: where(x > 1, 0, where(x < -1, 0, 1)),
)
gelu = autograd.define_op(  # the tanh approximation, as torch's approximate="tanh"
    "gelu",
    lambda x: 0.5 * x * (1 + tanh_(SQRT_2_OVER_PI * (x + 0.044715 * x**3))),
    lambda x: (
        0.5 * (1 + tanh_(SQRT_2_OVER_PI * (x + 0.044715 * x**3)))
        + 0.5
        * x
        * (1 - tanh_(SQRT_2_OVER_PI * (x + 0.044715 * x**3)) ** 2)
        * SQRT_2_OVER_PI
        * (1 + 3 * 0.044715 * x**2)
    ),
)
softsign = autograd.define_op("softsign", lambda x: x / (1 + abs_(x)), lambda x: 1 / (1 + abs_(x)) ** 2)
mish = autograd.define_op(
    "mish",
    lambda x: x * tanh_(softplus_(x)),
    lambda x: tanh_(softplus_(x)) + x * (1 - tanh_(softplus_(x)) ** 2) * sigmoid_(x),
)
hypot = autograd.define_op(
    "hypot", lambda a, b: sqrt_(a * a + b * b), lambda a, b, out: (a / out, b / out), domain="a² + b² > 0"
)
scaled_tanh = autograd.define_op(
    "scaled_tanh", lambda x, k: tanh_(k * x), lambda x, k, out: k * (1 - out**2), params=("k",)
)


def swish_reference(x: float) -> float:
    return x / (1.0 + math.exp(-x))


def gelu_reference(x: float) -> float:
    return 0.5 * x * (1.0 + math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3)))


def mish_reference(x: float) -> float:
    return x * math.tanh(math.log1p(math.exp(x)))


def away_from(*kinks: float) -> Callable[..., bool]:
    return lambda x, *params: all(abs(x - k) >= KINK_MARGIN for k in kinks)


# -- domains as predicates -----------------------------------------------------


def anywhere(*args: float) -> bool:
    return True


def off_kink(x: float, *params: float) -> bool:
    return abs(x) >= KINK_MARGIN


def not_small(x: float, *params: float) -> bool:
    return x >= LOG_MARGIN


def divisor_ok(a: float, b: float) -> bool:
    return abs(b) >= POLE_MARGIN


def positive_base(a: float, *rest: float) -> bool:
    return a >= POLE_MARGIN


def nonzero_base(x: float, n: float) -> bool:
    return abs(x) >= POLE_MARGIN and n == int(n)


def positive_constant_base(x: float, c: float) -> bool:
    return c >= POLE_MARGIN


# fmt: off
SPECS: tuple[OpSpec, ...] = (
    OpSpec("+", "+", lambda a, b: a + b, lambda a, b: a + b, lambda t, a, b: a + b,
           inputs(ANY, ANY), anywhere),
    OpSpec("number + x", "+", lambda x, c: c + x, lambda x, c: c + x, lambda t, x, c: c + x,
           inputs(ANY, params=[ANY]), anywhere),
    OpSpec("-", "-", lambda a, b: a - b, lambda a, b: a - b, lambda t, a, b: a - b,
           inputs(ANY, ANY), anywhere),
    OpSpec("number - x", "-", lambda x, c: c - x, lambda x, c: c - x, lambda t, x, c: c - x,
           inputs(ANY, params=[ANY]), anywhere),
    OpSpec("*", "*", lambda a, b: a * b, lambda a, b: a * b, lambda t, a, b: a * b,
           inputs(ANY, ANY), anywhere),
    OpSpec("number * x", "*", lambda x, c: c * x, lambda x, c: c * x, lambda t, x, c: c * x,
           inputs(ANY, params=[ANY]), anywhere),
    OpSpec("/", "/", lambda a, b: a / b, lambda a, b: a * (1.0 / b), lambda t, a, b: a / b,
           inputs(ANY, away_from_zero(POLE_MARGIN, 10.0)), divisor_ok),
    OpSpec("number / x", "/", lambda x, c: c / x, lambda x, c: c * (1.0 / x), lambda t, x, c: c / x,
           inputs(away_from_zero(POLE_MARGIN, 10.0), params=[ANY]), lambda x, c: divisor_ok(c, x)),
    OpSpec("Value ** Value", "pow", lambda a, b: a**b, real_power, lambda t, a, b: a**b,
           inputs(real(POLE_MARGIN, 5.0), real(-3.0, 3.0)), positive_base),
    OpSpec("number ** x", "pow", lambda x, c: c**x, lambda x, c: real_power(c, x), lambda t, x, c: c**x,
           inputs(real(-3.0, 3.0), params=[real(POLE_MARGIN, 5.0)]), positive_constant_base),
    OpSpec("x ** integer", "**", lambda x, n: x**n, integer_power, lambda t, x, n: x**n,
           inputs(away_from_zero(POLE_MARGIN, 3.0), params=[INTEGER_EXPONENT]), nonzero_base),
    OpSpec("x ** real", "**", lambda x, n: x**n, real_power, lambda t, x, n: x**n,
           inputs(real(POLE_MARGIN, 5.0), params=[REAL_EXPONENT]), positive_base),
    OpSpec("neg", "neg", lambda x: -x, lambda x: 0.0 - x, lambda t, x: -x,
           inputs(ANY), anywhere),
    OpSpec("exp", "exp", lambda x: x.exp(), lambda x: math.e**x, lambda t, x: x.exp(),
           inputs(real(-20.0, 20.0)), lambda x: x <= 20.0),
    OpSpec("log", "log", lambda x: x.log(), natural_log, lambda t, x: x.log(),
           inputs(real(LOG_MARGIN, 50.0)), not_small),
    OpSpec("sqrt", "sqrt", lambda x: x.sqrt(), lambda x: x**0.5, lambda t, x: x.sqrt(),
           inputs(real(LOG_MARGIN, 50.0)), not_small),
    OpSpec("tanh", "tanh", lambda x: x.tanh(), tanh, lambda t, x: x.tanh(),
           inputs(ANY), anywhere),
    OpSpec("sigmoid", "sigmoid", lambda x: x.sigmoid(), sigmoid, lambda t, x: x.sigmoid(),
           inputs(real(-30.0, 30.0)), anywhere),
    OpSpec("softplus", "softplus", lambda x: x.softplus(), softplus, torch_softplus,
           inputs(real(-30.0, 30.0)), anywhere),
    OpSpec("relu", "relu", lambda x: x.relu(), lambda x: max(x, 0.0), lambda t, x: x.relu(),
           inputs(away_from_zero(KINK_MARGIN, 10.0)), off_kink),
    OpSpec("leaky_relu", "leaky_relu", lambda x, s: x.leaky_relu(s), leaky_relu, torch_leaky_relu,
           inputs(away_from_zero(KINK_MARGIN, 10.0), params=[real(0.0, 1.0)]), off_kink),
    OpSpec("leaky_relu (default slope)", "leaky_relu", lambda x: x.leaky_relu(),
           lambda x: leaky_relu(x, 0.01), lambda t, x: torch_leaky_relu(t, x, 0.01),
           inputs(away_from_zero(KINK_MARGIN, 10.0)), off_kink),
    OpSpec("prelu", "prelu", lambda x, a: x.prelu(a), leaky_relu, torch_prelu,
           inputs(away_from_zero(KINK_MARGIN, 10.0), real(0.0, 1.0)), off_kink),
    OpSpec("prelu (number slope)", "prelu", lambda x, a: x.prelu(a), leaky_relu, torch_prelu,
           inputs(away_from_zero(KINK_MARGIN, 10.0), params=[real(0.0, 1.0)]), off_kink),
    OpSpec("abs", "abs", lambda x: x.abs(), lambda x: max(x, -x), lambda t, x: x.abs(),
           inputs(away_from_zero(KINK_MARGIN, 10.0)), off_kink),
    OpSpec("abs()", "abs", abs, lambda x: max(x, -x), lambda t, x: abs(x),
           inputs(away_from_zero(KINK_MARGIN, 10.0)), off_kink),
    OpSpec("sin", "sin", lambda x: x.sin(), sin, lambda t, x: x.sin(),
           inputs(ANY), anywhere),
    OpSpec("cos", "cos", lambda x: x.cos(), cos, lambda t, x: x.cos(),
           inputs(ANY), anywhere),
    OpSpec("sum", "sum", lambda *xs: autograd.sum_values(xs), lambda *xs: math.fsum(xs), torch_sum,
           n_inputs(ANY, 1, 6), anywhere),
    OpSpec("logsumexp", "logsumexp", lambda *xs: autograd.logsumexp(xs), logsumexp, torch_logsumexp,
           n_inputs(ANY, 1, 6), anywhere),
    OpSpec("linear", "linear", lambda *xs: autograd.linear(xs[: len(xs) // 2], xs[len(xs) // 2 : -1], xs[-1]),
           linear_reference, torch_linear,
           linear_inputs(ANY), anywhere),
    # ops a user defines with autograd.define_op
    OpSpec("swish", "swish", swish, swish_reference, lambda t, x: t.nn.functional.silu(x),
           inputs(real(-30.0, 30.0)), anywhere),
    OpSpec("hardclip", "hardclip", hardclip, lambda x: min(1.0, max(-1.0, x)),
           lambda t, x: t.nn.functional.hardtanh(x),
           inputs(st.one_of(real(-3.0, -1.0 - KINK_MARGIN), real(-1.0 + KINK_MARGIN, 1.0 - KINK_MARGIN),
                            real(1.0 + KINK_MARGIN, 3.0))), away_from(-1.0, 1.0)),
    OpSpec("gelu", "gelu", gelu, gelu_reference, lambda t, x: t.nn.functional.gelu(x, approximate="tanh"),
           inputs(ANY), anywhere),
    OpSpec("softsign", "softsign", softsign, lambda x: x / (1.0 + max(x, -x)),
           lambda t, x: t.nn.functional.softsign(x), inputs(away_from_zero(KINK_MARGIN, 10.0)), off_kink),
    OpSpec("mish", "mish", mish, mish_reference, lambda t, x: t.nn.functional.mish(x),
           inputs(real(-20.0, 20.0)), anywhere),
    OpSpec("hypot", "hypot", hypot, lambda a, b: math.sqrt(math.fsum([a * a, b * b])),
           lambda t, a, b: t.hypot(a, b), inputs(away_from_zero(POLE_MARGIN, 10.0), ANY),
           lambda a, b: abs(a) >= POLE_MARGIN),
    OpSpec("scaled_tanh", "scaled_tanh", scaled_tanh, lambda x, k: tanh(k * x),
           lambda t, x, k: (k * x).tanh(), inputs(ANY, params=[real(-3.0, 3.0)]), anywhere),
)
# fmt: on

SPECS_BY_NAME: dict[str, OpSpec] = {spec.name: spec for spec in SPECS}


def spec_id(spec: OpSpec) -> str:
    """pytest id for a parametrized spec."""
    return spec.name


def apply_spec(spec: OpSpec, case: Case) -> tuple[list[Value], Value]:
    """Fresh labelled leaves for the inputs of ``case``, and the node the op makes."""
    xs, params = case
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    return leaves, spec.apply(*leaves, *params)


def local_grad_of(node: Value, leaf: Value) -> float:
    """∂node/∂leaf read from ``node.local_grads`` (summed over edges, in case of duplicates)."""
    return sum(g for v, g in zip(node.inputs, node.local_grads) if v is leaf)


def central_difference(f: Callable[[float], float], x: float, rel_step: float = 1e-6) -> float:
    """(f(x + h) - f(x - h)) / 2h with h relative to |x|: error O(h²) plus rounding."""
    h = rel_step * max(1.0, abs(x))
    return (f(x + h) - f(x - h)) / (2.0 * h)


def partial_derivatives(f: Callable[..., float], xs: Sequence[float], rel_step: float = 1e-6) -> list[float]:
    """Central differences of f at xs, one per argument."""
    result = []
    for i in range(len(xs)):

        def along_i(t: float, i: int = i) -> float:
            return f(*xs[:i], t, *xs[i + 1 :])

        result.append(central_difference(along_i, xs[i], rel_step))
    return result


def close(actual: float, expected: float, rel: float, abs_: float) -> bool:
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_)
