"""Ops users define with one ``autograd.define_op`` call work everywhere a built-in op does.

``swish`` (x·σ(x)) and the piecewise ``hardclip`` (with ``where``) are defined in
``opspec.py``, which also puts them through every op test (values, finite
differences, PyTorch, second derivatives). Here: backward, ``grad(create_graph=True)``
against closed forms, ``compile`` (Python and NumPy, both branches), ``explain``,
``check_formula``, ``to_dot``; what a wrong rule gets told; how the function
``define_op`` returns behaves on numbers, Values and inside another rule.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opspec import hardclip, swish

import autograd
from autograd import ChaingradError, RuleError, Value, define_op, grad
from autograd.expressions import var
from autograd.functions import exp, log, sigmoid, where


@pytest.fixture(autouse=True)
def _forget_ops_defined_here():
    """Ops a test defines are removed after it, so other tests see the table they expect."""
    before = set(autograd.OPS)
    yield
    for name in set(autograd.OPS) - before:
        del autograd.OPS[name]


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def swish_first(x: float) -> float:
    s = sig(x)
    return s * (1.0 + x * (1.0 - s))


def swish_second(x: float) -> float:
    """d²/dx² x·σ(x) = σ'(x)·(2 + x·(1 - 2σ(x))), σ' = σ(1 - σ)."""
    s = sig(x)
    return s * (1.0 - s) * (2.0 + x * (1.0 - 2.0 * s))


finite = st.floats(-8.0, 8.0, allow_nan=False)


@given(finite)
def test_swish_backward_and_second_derivative_match_the_closed_forms(x0):
    x = Value(x0, "x")
    swish(x).backward()
    assert math.isclose(x.grad, swish_first(x0), rel_tol=1e-12, abs_tol=1e-15)
    first = grad(swish(x), x, create_graph=True)
    assert isinstance(first, Value)
    assert math.isclose(first.data, swish_first(x0), rel_tol=1e-12, abs_tol=1e-15)
    second = grad(first, x)
    assert math.isclose(second, swish_second(x0), rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize(
    ("x0", "value", "slope"), [(-2.5, -1.0, 0.0), (-0.3, -0.3, 1.0), (0.7, 0.7, 1.0), (4.0, 1.0, 0.0)]
)
def test_hardclip_both_branches_backward_and_second_derivative(x0, value, slope):
    x = Value(x0, "x")
    y = hardclip(x)
    y.backward()
    assert (y.data, x.grad) == (value, slope)
    first = grad(hardclip(x * 1.0), x, create_graph=True)
    assert first.data == slope and grad(first, x) == 0.0  # piecewise linear: no curvature


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_compile_both_forms_and_both_branches(backend):
    def f(x):
        return swish(x) * 2 + hardclip(x * 3)

    compiled = autograd.compile(f, 0.1)
    assert "swish" not in compiled.source.split("# backward")[0].split("def ")[1].split("\n")[0]
    points = [-2.0, -0.2, 0.1, 0.25, 3.0]  # hardclip(3x): below -1, inside, above 1
    result = compiled.batch(points, reduce=None, backend=backend)
    for i, x0 in enumerate(points):
        x = Value(x0)
        out = f(x)
        out.backward()
        assert math.isclose(float(result.value[i]), out.data, rel_tol=1e-12)
        assert math.isclose(float(result.grads[0][i]), x.grad, rel_tol=1e-12, abs_tol=1e-15)
        compiled.check(x0)


def test_compiled_code_writes_the_rules_out():
    compiled = autograd.compile(lambda x: hardclip(swish(x)), 0.5)
    assert "v1 = v0 * sigmoid(v0)" in compiled.source
    assert "1.0 if v1 > 1.0 else -1.0 if v1 < -1.0 else v1" in compiled.source
    assert "where(" in compiled.numpy_source


def test_explain_check_formula_and_drawing():
    x = Value(1.5, "x")
    y = swish(x)
    y.label = "y"
    explanation = autograd.explain(y, "x")
    assert math.isclose(explanation.total, swish_first(1.5), rel_tol=1e-12)
    assert "∂y/∂x" in str(explanation)
    assert autograd.check_formula(y, "x", "sigmoid(x) * (1 + x * (1 - sigmoid(x)))").ok
    assert not autograd.check_formula(y, "x", "sigmoid(x)").ok
    dot = autograd.to_dot(y)
    assert "<swish>" in dot and "data 1.226" in dot


def test_the_op_is_in_the_table_with_its_rules_in_words():
    op = autograd.OPS["swish"]
    assert op.math == "out = x·σ(x);  ∂out/∂x = σ(x)(1 + x(1 − σ(x)))"
    assert swish.op is op and op.arity == 1
    assert "hardclip" in autograd.OPS and "0 if x > 1" in autograd.OPS["hardclip"].math


def test_the_function_takes_numbers_values_and_symbols():
    assert swish(1.0) == pytest.approx(sig(1.0))  # numbers in, a float out
    node = swish(Value(1.0))
    assert (
        isinstance(node, Value)
        and node.op == "swish"
        and node.local_grads[0] == pytest.approx(swish_first(1.0))
    )
    assert repr(swish(var("q"))) == "Expr(swish(q))"
    assert not hasattr(Value, "swish")  # no new method


def test_an_op_can_use_another_user_op_in_its_rules():
    twice = define_op("swish_twice", lambda x: 2 * swish(x), lambda x: 2 * swish_local(x))
    x = Value(0.3)
    twice(x).backward()
    assert x.grad == pytest.approx(2 * swish_first(0.3), rel=1e-12)
    assert autograd.compile(lambda v: twice(v), 0.3).check(0.3)


def swish_local(x):
    return sigmoid(x) * (1 + x * (1 - sigmoid(x)))


def test_two_inputs_a_parameter_and_out():
    hyp = autograd.OPS["hypot"].function
    a, b = Value(3.0, "a"), Value(4.0, "b")
    h = hyp(a, b)
    h.backward()
    assert (h.data, a.grad, b.grad) == (5.0, 0.6, 0.8)
    scaled = autograd.OPS["scaled_tanh"].function
    x = Value(0.5)
    y = scaled(x, 2.0)
    assert y.params == (2.0,) and y.local_grads[0] == pytest.approx(2 * (1 - math.tanh(1.0) ** 2))
    with pytest.raises(TypeError, match="parameter k must be a finite number"):
        scaled(x, Value(2.0))


def test_redefining_the_same_rules_is_allowed_any_other_reuse_is_not():
    again = define_op(
        "swish",
        lambda x: x * sigmoid(x),
        lambda x: sigmoid(x) * (1 + x * (1 - sigmoid(x))),
    )
    assert again is swish  # a notebook cell run twice
    with pytest.raises(RuleError, match="'swish' is taken"):
        define_op("swish", lambda x: x * sigmoid(x), lambda x: sigmoid(x))
    for name in ("tanh", "exp", "where", "+"):
        with pytest.raises(RuleError, match=re.escape(repr(name))):
            define_op(name, lambda x: x, lambda x: 1)


@pytest.mark.parametrize(
    ("forward", "local", "words"),
    [
        (lambda a, b: a * b, lambda a, b: b, "tuple of 2 derivatives"),
        (lambda a, b: a * b, lambda a, b: (b, a, 1), "gives 3 derivatives"),
        (lambda x: x if x > 0 else 0, lambda x: 1, "where(condition, a, b)"),
        (lambda x: max(x, 0), lambda x: 1, "where(condition, a, b)"),
        (lambda x: math.exp(x), lambda x: 1, "autograd.functions"),
        (lambda x: x, lambda y: 1, "same arguments as the forward rule"),
        (lambda x, out: x, lambda x: 1, "cannot take `out`"),
        (lambda *xs: xs[0], lambda *xs: 1, "plain named arguments"),
        (lambda x: "x", lambda x: 1, "expression or a finite number"),
        (lambda x: x, lambda x: float("nan"), "finite number"),
        (lambda x: x[0], lambda x: 1, "cannot be written as code"),
        (lambda x: where(x, 1, 0), lambda x: 0, "comparison"),
    ],
)
def test_a_wrong_rule_is_refused_naming_the_op(forward, local, words):
    with pytest.raises(RuleError) as info:
        define_op("my_op", forward, local)
    assert "'my_op'" in str(info.value) and words in str(info.value)
    assert isinstance(info.value, ChaingradError) and isinstance(info.value, ValueError)
    assert "my_op" not in autograd.OPS


@pytest.mark.parametrize("name", ["", "2x", "my op", "_private", "v1", "params", None])
def test_names_that_cannot_be_op_names(name):
    with pytest.raises(RuleError):
        define_op(name, lambda x: x, lambda x: 1)


def test_a_domain_rule_is_checked_and_named_in_the_users_words():
    safe_log = define_op("safe_log", lambda x: log(x), lambda x: 1 / x, domain=lambda x: x > 0)
    assert safe_log(Value(2.0)).data == pytest.approx(math.log(2.0))
    with pytest.raises(autograd.DomainError, match=r"safe_log\(t=-1.0\): safe_log is defined only for t > 0"):
        safe_log(Value(-1.0, "t"))
    with pytest.raises(autograd.DomainError, match="defined only for x > 0"):
        safe_log(-1.0)


def test_a_variadic_op():
    softmax_total = define_op(
        "logsumexp2",
        lambda xs: log(sum(exp(x) for x in xs)),
        lambda xs, out: tuple(exp(x - out) for x in xs),
        variadic=True,
    )
    xs = [Value(v) for v in (0.1, -0.4, 1.2)]
    out = softmax_total(xs)
    out.backward()
    total = sum(math.exp(v.data) for v in xs)
    assert out.data == pytest.approx(math.log(total))
    assert [v.grad for v in xs] == pytest.approx([math.exp(v.data) / total for v in xs])
    assert autograd.compile(lambda a, b, c: softmax_total([a, b, c]), 0.1, -0.4, 1.2).check(0.3, 0.2, 0.1)
