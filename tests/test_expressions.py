"""The symbolic reading of rules: expression trees, and how they are written down.

Random trees (Hypothesis) are evaluated three ways that must agree: walking the
tree, the generated Python code, and the simplified tree. Fixed examples pin
how text and LaTeX read. Deep trees are handled without recursion.
"""

from __future__ import annotations

import math

import pytest
from expression_trees import FLOATS, NAMES, outcome, points, trees
from hypothesis import given, settings

from autograd import Value
from autograd.expressions import (
    Expr,
    RuleError,
    call,
    depth,
    evaluate,
    fold_numbers,
    num,
    same,
    simplify,
    var,
    where,
)
from autograd.notation import formula_text, latex, plain_text, python_code


def run_code(expr: Expr, x: float, y: float) -> float:
    namespace = dict(FLOATS)
    exec(f"def f(x, y):\n    return {python_code(expr, NAMES)}\n", namespace)  # our own generated code
    return namespace["f"](x, y)


@settings(max_examples=300)
@given(trees, points)
def test_generated_code_computes_exactly_what_walking_the_tree_computes(expr, point):
    x, y = point
    walked = outcome(lambda: evaluate(expr, {"x": x, "y": y}, FLOATS))
    generated = outcome(lambda: run_code(expr, x, y))
    assert walked == generated or (walked == "error") == (generated == "error")
    if walked != "error" and generated != "error":
        assert walked == generated  # the very same float operations


@settings(max_examples=300)
@given(trees, points)
def test_simplified_and_folded_trees_compute_the_same(expr, point):
    x, y = point
    values = {"x": x, "y": y}
    walked = outcome(lambda: evaluate(expr, values, FLOATS))
    if walked == "error":
        return
    folded = outcome(lambda: evaluate(fold_numbers(expr), values, FLOATS))
    assert folded == walked  # folding numbers is exact
    simple = outcome(lambda: evaluate(simplify(expr), values, FLOATS))
    if simple != "error":  # simplify may reassociate numbers: equal up to rounding
        assert math.isclose(simple, walked, rel_tol=1e-9, abs_tol=1e-9)


@given(trees, points)
def test_values_walk_the_tree_like_floats(expr, point):
    """The same tree on Values builds a graph whose value is the float result."""
    x, y = point
    expected = outcome(lambda: evaluate(expr, {"x": x, "y": y}, FLOATS))
    if expected == "error":
        return
    from autograd.rules import value_functions

    try:
        result = evaluate(expr, {"x": Value(x), "y": Value(y)}, value_functions())
    except ArithmeticError:  # a Value refuses what overflows in a sub-expression
        return
    got = result.data if isinstance(result, Value) else result
    assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize(
    ("build", "text", "tex", "code"),
    [
        (lambda o: o * (1 - o), "ŷ(1 − ŷ)", r"\hat{y}\left(1 - \hat{y}\right)", "o * (1 - o)"),
        (lambda o: 1 - o * o, "1 − ŷ²", r"1 - \hat{y}^{2}", "1 - o * o"),
        (lambda o: -(2 - o) * 0.5 * 2, "−(2 − ŷ)", r"-\left(2 - \hat{y}\right)", "-(2 - o) * 0.5 * 2"),
        (lambda o: 0.5 / o, "0.5/ŷ", r"\frac{0.5}{\hat{y}}", "0.5 / o"),
        (
            lambda o: where(o > 0, 1, 0),
            "1 if ŷ > 0 else 0",
            r"\begin{cases} 1 & \hat{y} > 0 \\ 0 & \text{otherwise} \end{cases}",
            "where(o > 0, 1, 0)",
        ),
        (
            lambda o: call("sigmoid", o) * call("sqrt", o),
            "σ(ŷ)·√ŷ",
            r"\sigma\left(\hat{y}\right) \cdot \sqrt{\hat{y}}",
            "sigmoid(o) * sqrt(o)",
        ),
    ],
)
def test_text_latex_and_formula_read_as_people_write(build, text, tex, code):
    expr = build(var("o"))
    simple = simplify(expr)
    assert plain_text(simple, {"o": "ŷ"}) == text
    assert latex(simple, {"o": r"\hat{y}"}) == tex
    assert formula_text(expr, {"o": "o"}) == code


def test_simplify_folds_numbers_and_drops_ones():
    x = var("x")
    assert same(simplify(1.0 * x * 1.0 + 0.0), x)
    assert plain_text(simplify(0.5 * (2 * (x * -1.0))), {"x": "x"}) == "−x"
    assert plain_text(simplify(x * x * x), {"x": "x"}) == "x³"
    assert plain_text(simplify(where(num(2) > 0, x, -x)), {"x": "x"}) == "x"


def test_python_code_keeps_the_order_of_operations():
    x, y = var("x"), var("y")
    assert python_code(x - (y - x), NAMES) == "x - (y - x)"
    assert python_code(x + (y + x), NAMES) == "x + (y + x)"  # float addition is not associative
    assert python_code((-x) ** 2, NAMES) == "(-x) ** 2.0"
    assert python_code(x**y, NAMES) == "power(x, y)"  # refuses a complex result
    assert python_code(-(x * y), NAMES) == "-x * y"  # negation is exact


def test_a_tree_a_hundred_thousand_levels_deep():
    x = var("x")
    expr = x
    for _ in range(100_000):
        expr = expr + 1
    assert depth(expr) == 100_001
    assert evaluate(expr, {"x": 0.0}, FLOATS) == 100_000.0
    assert len(formula_text(expr)) > 100_000
    assert simplify(expr).kind == "add"


def test_a_rule_may_not_decide_in_python():
    with pytest.raises(RuleError, match="where"):
        bool(var("x") > 0)
    with pytest.raises(RuleError, match=r"autograd\.functions"):
        math.exp(var("x"))
    with pytest.raises(RuleError, match="comparison"):
        where(var("x"), 1, 0)


def test_flattening_keeps_every_term_of_a_node_already_flat():
    a, b, c, d, e = (var(n) for n in "abcde")
    flat = simplify(a * c + b * d + e)
    assert flat.kind == "add" and len(flat.args) == 3
    assert formula_text(flat) == "a * c + b * d + e"
    assert formula_text(simplify(flat + (a - b) - c)) == "a * c + b * d + e + a - b - c"
