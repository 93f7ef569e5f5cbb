"""The functions an op's rule is written with, for every kind of number.

``exp(x)`` is e to the x whatever x is:

* a number (float, int, NumPy scalar): a float, computed as the engine does
  (``sigmoid`` and ``softplus`` without overflow for any input);
* a :class:`~autograd.Value`: a new node of the op of the same name, so the
  result is part of the graph;
* a symbol of :mod:`autograd.expressions`: a recorded call, from which
  chaingrad writes code, text and LaTeX.

That is what lets each op's rule be written once (see :mod:`autograd.ops`)::

    from autograd.functions import sigmoid, where
    swish_local = lambda x: sigmoid(x) * (1 + x * (1 - sigmoid(x)))
    hardclip = lambda x: where(x > 1, 1, where(x < -1, -1, x))

``where(condition, a, b)`` is how a rule chooses: the condition is a
comparison (``x > 0``). On numbers it picks one of its two arguments.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

from autograd.errors import DomainError, WrongTypeError
from autograd.expressions import Expr
from autograd.expressions import where as symbolic_where

# -- the float forms (what the engine stores on nodes) ----------------------------------


def float_sigmoid(x: float) -> float:
    """σ(x) = 1 / (1 + e^-x) for any float: for x >= 0, e^-x <= 1; below, the
    equal form e^x / (1 + e^x) with e^x < 1. So σ(800) is 1.0 and σ(-800) is 0.0."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def float_softplus(x: float) -> float:
    """log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): e^-|x| <= 1 never overflows and
    log1p keeps the tail exact, so softplus(800) is 800.0, softplus(-800) is e^-800."""
    return (x if x > 0.0 else 0.0) + math.log1p(math.exp(-abs(x)))


def float_logsumexp(*xs: float) -> float:
    """log(e^x1 + ... + e^xn) = m + log Σ e^(xi - m) with m = max xi: no term exceeds 1."""
    m = max(xs)
    return m + math.log(math.fsum([math.exp(x - m) for x in xs]))


def float_power(a: float, b: float) -> float:
    """a ** b over the real numbers: a negative base needs a whole exponent
    (otherwise the result would be complex), and 0 has no negative power."""
    if a < 0.0 and b != int(b):
        raise DomainError("a negative base needs an integer exponent (the result would be complex)")
    return a**b  # 0.0 ** -1 raises ZeroDivisionError


FLOAT_FUNCTIONS: dict[str, Callable[..., float]] = {
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "tanh": math.tanh,
    "sigmoid": float_sigmoid,
    "softplus": float_softplus,
    "sin": math.sin,
    "cos": math.cos,
    "abs": abs,
    "logsumexp": float_logsumexp,
    "power": float_power,
}
"""Each function's float form, by name: what generated float code calls."""


# -- the generic functions -------------------------------------------------------------------


def _is_number(x: Any) -> bool:
    return type(x) is float or (isinstance(x, numbers.Real) and not hasattr(x, "_apply_function"))


def _generic(name: str, doc: str) -> Callable[[Any], Any]:
    on_floats = FLOAT_FUNCTIONS[name]

    def function(x: Any) -> Any:
        if _is_number(x):
            return on_floats(float(x))
        apply = getattr(x, "_apply_function", None)
        if apply is None:
            kind = type(x).__name__
            raise WrongTypeError(f"{name}() needs a number, a Value or a symbol, got {kind} {x!r:.60}")
        return apply(name, (x,))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


exp = _generic("exp", "e to the x.")
log = _generic("log", "The natural logarithm, for x > 0.")
sqrt = _generic("sqrt", "The square root, for x >= 0.")
tanh = _generic("tanh", "The hyperbolic tangent, (e^x - e^-x) / (e^x + e^-x).")
sigmoid = _generic("sigmoid", "σ(x) = 1 / (1 + e^-x), the logistic function.")
softplus = _generic("softplus", "log(1 + e^x), a smooth relu.")
sin = _generic("sin", "The sine (radians).")
cos = _generic("cos", "The cosine (radians).")
abs = _generic("abs", "|x|.")


def logsumexp(*xs: Any) -> Any:
    """log(e^x1 + ... + e^xn), without overflow. Give the terms as arguments
    (``logsumexp(a, b, c)``) or as one iterable."""
    if len(xs) == 1 and isinstance(xs[0], Iterable):
        xs = tuple(xs[0])
    if not xs:
        raise WrongTypeError("logsumexp() needs at least one term")
    if all(_is_number(x) for x in xs):
        return float_logsumexp(*[float(x) for x in xs])
    for x in xs:
        apply = getattr(x, "_apply_function", None)
        if apply is not None:
            return apply("logsumexp", xs)
    raise WrongTypeError("logsumexp() needs numbers, Values or symbols")


def where(condition: Any, if_true: Any, if_false: Any) -> Any:
    """``if_true`` where ``condition`` holds, else ``if_false``.

    The condition is a comparison such as ``x > 0``. On numbers and Values the
    comparison has already been decided (Values compare their numbers), so
    this returns one of the two arguments; on symbols it records the choice,
    and generated code computes only the branch taken.
    """
    if isinstance(condition, Expr):
        return symbolic_where(condition, if_true, if_false)
    return if_true if condition else if_false


NAMES: tuple[str, ...] = (*[n for n in FLOAT_FUNCTIONS if n != "power"], "where")
"""The names of the functions a rule may use."""

__all__ = [
    "FLOAT_FUNCTIONS",
    "NAMES",
    "abs",
    "cos",
    "exp",
    "log",
    "logsumexp",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "tanh",
    "where",
]
