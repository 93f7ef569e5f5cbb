"""Random expression trees over the symbols x and y, for the tests of
expressions, notation and parsing."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from autograd.expressions import Expr, call, num, var, where
from autograd.functions import FLOAT_FUNCTIONS

NAMES = {"x": "x", "y": "y"}
FLOATS = dict(FLOAT_FUNCTIONS)


def leaves() -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.sampled_from([var("x"), var("y")]),
        st.floats(-3.0, 3.0, allow_nan=False).map(num),
        st.integers(-3, 3).map(num),
    )


def extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    unary = st.sampled_from(["tanh", "sigmoid", "sin", "cos", "abs", "softplus", "exp"])
    comparison = st.sampled_from([">", ">=", "<", "<=", "==", "!="])
    return st.one_of(
        st.tuples(children, children).map(lambda ab: ab[0] + ab[1]),
        st.tuples(children, children).map(lambda ab: ab[0] - ab[1]),
        st.tuples(children, children).map(lambda ab: ab[0] * ab[1]),
        st.tuples(children, children).map(lambda ab: ab[0] / ab[1]),
        st.tuples(children, st.integers(0, 3)).map(lambda an: an[0] ** an[1]),
        children.map(lambda a: -a),
        st.tuples(unary, children).map(lambda fa: call(fa[0], fa[1])),
        st.tuples(comparison, children, children, children).map(
            lambda c: where(Expr("cmp", (c[0], c[1], c[2])), c[3], c[1])
        ),
    )


trees = st.recursive(leaves(), extend, max_leaves=12)
points = st.tuples(st.floats(-2.0, 2.0, allow_nan=False), st.floats(-2.0, 2.0, allow_nan=False))


def outcome(compute: Callable[[], float]) -> Any:
    """The value of compute(), or \"error\" when it raises or is not finite."""
    try:
        value = compute()
    except (ArithmeticError, ValueError):
        return "error"
    return value if math.isfinite(value) else "error"
