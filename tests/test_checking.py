"""numeric_grad, check_grads and check_formula: finite differences against known
derivatives and PyTorch, every op of the table, and the hand formulas of the 2-2-1 sigmoid network."""

from __future__ import annotations

import html
import math
import unicodedata

import pytest
from hand_network import HAND_FORMULAS, WORKED_NUMBERS, build_network
from hypothesis import given
from hypothesis import strategies as st
from torch_or_skip import torch

from autograd import (
    TABLE,
    ChaingradError,
    DomainError,
    Parameter,
    ParseError,
    Value,
    is_grad_enabled,
    linear,
    logsumexp,
    no_grad,
    sum_values,
)
from autograd.checking import GradReport, GradRow, check_formula, check_grads, numeric_grad
from autograd.explaining import LabelError

# -- numeric_grad against derivatives known from calculus ---------------------------------------


@pytest.mark.parametrize(
    ("f", "x", "derivative"),
    [
        (lambda x: x**3, Value(2.0), 12.0),  # 3x²
        (lambda x: x.sin(), Value(0.5), math.cos(0.5)),
        (lambda x: x.exp(), Value(1.0), math.e),
        (lambda x: x.log(), Value(2.0), 0.5),
        (lambda x: 1 / x, Value(4.0), -1 / 16),
        (lambda x: x.sigmoid(), Value(0.0), 0.25),
        (lambda x: x**3, 2.0, 12.0),  # floats in, floats out
        (math.exp, 1.0, math.e),
        (math.atan, 1.0, 0.5),
    ],
)
def test_numeric_grad_matches_known_derivatives(f, x, derivative):
    (estimate,) = numeric_grad(f, x)
    # the central difference is accurate to O(eps²) plus rounding of about 1e-16/eps
    assert estimate == pytest.approx(derivative, rel=1e-8, abs=1e-9)


def test_numeric_grad_of_several_arguments_holds_the_others_fixed():
    # f = x·y² + z: ∂/∂x = y², ∂/∂y = 2xy, ∂/∂z = 1
    grads = numeric_grad(lambda x, y, z: x * y * y + z, 1.5, -2.0, 0.25)
    assert grads == pytest.approx([4.0, -6.0, 1.0], rel=1e-8)


def test_numeric_grad_runs_f_without_building_a_graph():
    seen = []

    def f(x):
        seen.append(is_grad_enabled())
        y = x * x
        seen.append(y.is_leaf)
        return y

    numeric_grad(f, Value(1.0))
    assert seen and all(not enabled for enabled in seen[::2]) and all(seen[1::2])


def test_numeric_grad_passes_values_with_their_labels():
    labels = []
    numeric_grad(lambda x: labels.append(x.label) or x, Value(1.0, label="w"))
    assert labels == ["w", "w"]


def test_numeric_grad_step_is_an_option():
    (coarse,) = numeric_grad(lambda x: x**3, 1.0, eps=0.1)
    assert coarse == pytest.approx(3.0 + 0.1**2)  # ((1+h)³ - (1-h)³)/2h = 3 + h²
    with pytest.raises(ValueError, match="eps"):
        numeric_grad(lambda x: x, 1.0, eps=0.0)


def test_numeric_grad_explains_where_f_is_undefined():
    with pytest.raises(DomainError, match=r"numeric_grad: f is not defined at t = "):
        numeric_grad(lambda t: t.log(), Value(1e-7, label="t"), eps=1e-6)
    with pytest.raises(DomainError, match="must be finite"):
        numeric_grad(lambda t: math.inf, 1.0)
    with pytest.raises(TypeError, match="Value or a number"):
        numeric_grad(lambda t: "one", 1.0)


# -- check_grads on every op of the table --------------------------------------------------------
# op name -> (f on Values, the same on torch tensors, a point where the op is smooth)

F = torch.nn.functional
CASES = {
    "+": (lambda a, b: a + b, lambda a, b: a + b, (0.3, -0.7)),
    "-": (lambda a, b: a - b, lambda a, b: a - b, (0.3, -0.7)),
    "*": (lambda a, b: a * b, lambda a, b: a * b, (0.3, -0.7)),
    "/": (lambda a, b: a / b, lambda a, b: a / b, (0.3, -0.7)),
    "pow": (lambda a, b: a**b, lambda a, b: a**b, (1.3, 0.7)),
    "**": (lambda a: a**2.5, lambda a: a**2.5, (1.3,)),
    "neg": (lambda a: -a, lambda a: -a, (0.4,)),
    "exp": (lambda a: a.exp(), torch.exp, (0.4,)),
    "log": (lambda a: a.log(), torch.log, (1.7,)),
    "sqrt": (lambda a: a.sqrt(), torch.sqrt, (1.7,)),
    "tanh": (lambda a: a.tanh(), torch.tanh, (0.4,)),
    "sigmoid": (lambda a: a.sigmoid(), torch.sigmoid, (0.4,)),
    "relu": (lambda a: a.relu(), torch.relu, (0.4,)),
    "leaky_relu": (lambda a: a.leaky_relu(0.1), lambda a: F.leaky_relu(a, 0.1), (-0.4,)),
    "abs": (lambda a: a.abs(), torch.abs, (-0.4,)),
    "sin": (lambda a: a.sin(), torch.sin, (0.4,)),
    "cos": (lambda a: a.cos(), torch.cos, (0.4,)),
    "softplus": (lambda a: a.softplus(), torch.nn.functional.softplus, (-0.7,)),
    "prelu": (
        lambda x, a: x.prelu(a),
        lambda x, a: torch.nn.functional.prelu(x.reshape(1), a.reshape(1)).reshape(()),
        (-0.4, 0.25),
    ),
    "logsumexp": (
        lambda a, b, c: logsumexp([a, b, c]),
        lambda a, b, c: torch.logsumexp(torch.stack([a, b, c]), 0),
        (0.1, -0.2, 0.3),
    ),
    "sum": (lambda a, b, c: sum_values([a, b, c]), lambda a, b, c: a + b + c, (0.1, -0.2, 0.3)),
    "linear": (
        lambda w1, w2, x1, x2, b: linear([w1, w2], [x1, x2], b),
        lambda w1, w2, x1, x2, b: w1 * x1 + w2 * x2 + b,
        (0.5, -1.5, 2.0, 0.25, 0.1),
    ),
}


BUILT_IN = sorted(op.name for op in TABLE)  # ops users define are covered by tests/opspec.py


def test_every_op_of_the_table_has_a_case():
    assert set(CASES) == set(BUILT_IN)


@pytest.mark.parametrize("name", BUILT_IN)
def test_check_grads_on_every_op(name):
    f, f_torch, point = CASES[name]
    assert f(*[Value(x) for x in point]).op == name  # the case really uses this op
    report = check_grads(f, *point, raise_on_mismatch=True)
    assert report.ok and len(report.rows) == len(point)
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
    f_torch(*tensors).backward()
    for row, t in zip(report.rows, tensors):
        assert row.engine == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-15)
        assert row.numeric == pytest.approx(t.grad.item(), rel=1e-6, abs=1e-8)


def _wrong_sin(x: Value) -> Value:
    """sin whose recorded local derivative is wrong (sin x instead of cos x)."""
    y = x.sin()
    y.local_grads = (math.sin(x.data),)
    return y


def test_check_grads_catches_a_wrong_local_derivative():
    report = check_grads(lambda x, y: _wrong_sin(x) * y, 0.4, 2.0)
    assert not report.ok
    assert [row.ok for row in report.rows] == [False, True]
    assert report.mismatches == (report.rows[0],)
    with pytest.raises(AssertionError) as caught:
        report.assert_ok()
    assert str(report) == str(caught.value)
    assert "MISMATCH" in str(caught.value) and "1 of 2 MISMATCH" in str(caught.value)
    with pytest.raises(AssertionError, match="MISMATCH"):
        check_grads(lambda x, y: _wrong_sin(x) * y, 0.4, 2.0, raise_on_mismatch=True)


@given(
    st.floats(-1e3, 1e3),
    st.floats(-1e3, 1e3),
    st.sampled_from([0.0, 1e-3, 1e-1]),
    st.sampled_from([0.0, 1e-5, 1e-2]),
)
def test_the_ok_rule_is_torch_allclose(engine, numeric, rtol, atol):
    row = GradRow.compare("x", engine, numeric, rtol=rtol, atol=atol)
    expected = torch.allclose(
        torch.tensor(engine, dtype=torch.float64),
        torch.tensor(numeric, dtype=torch.float64),
        rtol=rtol,
        atol=atol,
    )
    assert row.ok == expected
    assert row.abs_error == abs(engine - numeric)


def test_argument_names_come_from_labels_then_the_signature():
    report = check_grads(lambda a, b, *rest: a * b + rest[0], 1.0, Value(2.0, label="weight"), 3.0)
    assert [row.name for row in report.rows] == ["a", "weight", "rest[0]"]


def test_check_grads_needs_a_value_and_a_graph():
    with pytest.raises(TypeError, match="not a Value"):
        check_grads(lambda x: 2.0, 1.0)
    with pytest.raises(ValueError, match="at least one argument"):
        check_grads(lambda: Value(1.0))
    with pytest.raises(ChaingradError, match="no_grad"), no_grad():
        check_grads(lambda x: x * x, 1.0)


# -- the report prints as a table and renders as HTML ------------------------------------------------


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@pytest.mark.parametrize("label", ["x", "a_long_argument_name", "损失"])
def test_report_prints_an_aligned_table(label):
    report = check_grads(lambda p, q: p * q.exp(), Value(-1.25, label=label), 0.5)
    summary, header, *rows = str(report).splitlines()
    assert "all 2 ok" in summary and "atol=1e-05" in summary and "rtol=0.001" in summary
    assert header.split() == ["argument", "engine", "numeric", "abs", "error", "rel", "error", "ok"]
    # right-aligned numbers: every engine number ends where the header word "engine" ends
    end_of_engine = _display_width(header[: header.index("engine") + len("engine")])
    for line, row in zip(rows, report.rows):
        number = format(row.engine, ".12g")
        assert _display_width(line[: line.index(number) + len(number)]) == end_of_engine


def test_report_html_escapes_names():
    report = check_grads(lambda x: x * 2, Value(1.0, label="<b>&x</b>"))
    page = report._repr_html_()
    assert "<b>&x" not in page
    assert html.escape("<b>&x</b>") in page
    assert page.startswith("<table") and page.count("<tr") == 2


# -- check_formula: the 2-2-1 sigmoid network derived by hand -----------------------------------------


def test_the_hand_network_gives_its_pre_activations_4_and_minus_2():
    v = build_network()
    assert (v["a1"].data, v["a2"].data) == (4.0, -2.0)


@pytest.mark.parametrize("wrt", sorted(HAND_FORMULAS))
def test_the_hand_formulas_pass(wrt):
    v = build_network()
    report = check_formula(v["L"], wrt, HAND_FORMULAS[wrt])
    assert report.ok, str(report)
    assert len(report.rows) == 11 and report.agreed == 11  # the graph's point and 10 random ones
    assert report.derivative == f"∂L/∂{wrt}" and report.rows[0].name == "the graph's point"
    # the formula column really is the formula, computed here with floats, at different points
    assert all(row.numeric != 0.0 and math.isfinite(row.numeric) for row in report.rows)
    assert len({row.numeric for row in report.rows}) == 11
    report.assert_ok()


@given(st.fixed_dictionaries({name: st.floats(-3, 3) for name in WORKED_NUMBERS}))
def test_the_hand_formulas_hold_at_any_point(numbers):
    v = build_network(numbers)
    for wrt, formula in HAND_FORMULAS.items():
        check_formula(v["L"], v[wrt], formula, raise_on_mismatch=True)


@pytest.mark.parametrize(
    ("wrt", "wrong"),
    [
        ("w1", "(y - yhat) * yhat * (1 - yhat) * h1"),  # lost the minus sign
        ("w1", "-(y - yhat) * yhat * (1 - yhat) * h2"),  # the other hidden unit
        ("a1", "-(y - yhat) * yhat * (1 - yhat) * w1"),  # forgot σ'(a1) = h1(1 - h1)
        ("w11", "-(y - yhat) * yhat * (1 - yhat) * w1 * h1 * (1 - h1) * x2"),  # the other input
        ("b", "-(y - yhat)"),  # forgot σ'(a)
    ],
)
def test_a_wrong_formula_is_a_mismatch(wrt, wrong):
    v = build_network()
    report = check_formula(v["L"], wrt, wrong)
    assert not report.ok
    with pytest.raises(AssertionError, match="MISMATCH") as caught:
        check_formula(v["L"], wrt, wrong, raise_on_mismatch=True)
    assert wrong in str(caught.value)


def test_check_formula_changes_no_grad():
    v = build_network()
    for node in v.values():
        node.grad = 0.125
    check_formula(v["L"], "w11", HAND_FORMULAS["w11"])
    assert all(node.grad == 0.125 for node in v.values())


def test_unknown_names_in_a_formula_are_listed_with_the_labels():
    v = build_network()
    with pytest.raises(ParseError) as caught:
        check_formula(v["L"], "w1", "-(y - y_hat) * q * h1")
    error = str(caught.value)
    assert "`y_hat` at column 7" in error and "`q` at column 16" in error
    assert "labels in the graph: L, a, a1, a2, b, b1, b2, h1, h2, w1, w11" in error


def test_formula_errors_are_clear():
    v = build_network()
    with pytest.raises(ParseError, match="syntax error"):
        check_formula(v["L"], "w1", "-(y - yhat * h1")
    with pytest.raises(ParseError, match=r"not labels in the graph: `yhat\.data` .*no attribute access"):
        check_formula(v["L"], "w1", "yhat.data")
    with pytest.raises(ParseError, match="attribute access is not allowed"):
        check_formula(v["L"], "w1", "exp(y).real")
    with pytest.raises(LabelError, match="no node is labelled 'w9'"):
        check_formula(v["L"], "w9", "h1")
    twins = Value(1.0, label="t") * Value(2.0, label="t")
    with pytest.raises(LabelError, match="2 nodes are labelled 't'"):
        check_formula(twins, twins.inputs[0], "t")


def test_labels_with_a_name_scope_can_be_used_in_formulas():
    w = Parameter(0.5, label="L1.N0.w1")
    x = Value(2.0, label="x")
    out = (w * x).tanh()
    out.label = "out"
    report = check_formula(out, "L1.N0.w1", "(1 - tanh(L1.N0.w1 * x) ** 2) * x")
    assert report.ok, str(report)
    assert report.rows[0].engine == pytest.approx((1 - math.tanh(1.0) ** 2) * 2.0, rel=1e-12)


def test_a_report_is_a_value_object():
    v = build_network()
    report = check_formula(v["L"], "b", HAND_FORMULAS["b"])
    assert isinstance(report, GradReport) and report.reference == "formula"
    assert "formula" in str(report).splitlines()[1]


# -- check_formula proves at many points, not one ----------------------------------------------


@pytest.mark.parametrize(
    ("build", "wrt", "formula"),
    [
        (lambda: Value(1.0, "x") ** 3, "x", "3*x"),  # 3x² at x = 1 is 3x
        (lambda: Value(0.0, "a").sigmoid(), "a", "1/4"),  # σ'(0) is 1/4, nowhere else
    ],
)
def test_a_coincidence_at_a_textbook_point_is_caught(build, wrt, formula):
    root = build()
    report = check_formula(root, wrt, formula)
    assert report.rows[0].ok  # right at the graph's own point...
    assert not report.ok  # ...and wrong elsewhere
    example = report.counterexample
    assert example is not None and example.formula != pytest.approx(example.engine)
    ((name, value),) = example.leaves
    assert name == wrt and value != root.inputs[0].data
    assert "only by coincidence" in report.summary() and "counterexample: at " in str(report)


EQUAL_WEIGHTS = {
    **WORKED_NUMBERS,
    "w11": 0.5,
    "w12": 0.5,
    "w21": 0.5,
    "w22": 0.5,
    "b1": 0.0,
    "b2": 0.0,
    "w1": 0.5,
    "w2": 0.5,
}


@pytest.mark.parametrize(
    ("wrt", "swapped"),
    [("w1", ("h1", "h2")), ("h1", ("w1", "w2")), ("w11", ("w1", "w2")), ("w11", ("h1", "h2"))],
)
def test_equal_weights_do_not_hide_a_swapped_name(wrt, swapped):
    v = build_network(EQUAL_WEIGHTS)
    right = HAND_FORMULAS[wrt]
    wrong = right.replace(swapped[0], swapped[1])
    assert wrong != right
    assert check_formula(v["L"], wrt, right).ok
    report = check_formula(v["L"], wrt, wrong)
    assert report.rows[0].ok and not report.ok  # equal at the symmetric point only


def test_points_seed_and_an_untouched_graph():
    v = build_network()
    for node in v.values():
        node.grad = 0.125
    before = {name: node.data for name, node in v.items()}
    report = check_formula(v["L"], "w11", HAND_FORMULAS["w11"], points=25, seed=7)
    assert len(report.rows) == 26 and report.ok
    again = check_formula(v["L"], "w11", HAND_FORMULAS["w11"], points=25, seed=7)
    assert [r.engine for r in again.rows] == [r.engine for r in report.rows]  # the seed decides the points
    other = check_formula(v["L"], "w11", HAND_FORMULAS["w11"], points=25, seed=8)
    assert [r.engine for r in other.rows][1:] != [r.engine for r in report.rows][1:]
    assert {name: node.data for name, node in v.items()} == before
    assert all(node.grad == 0.125 for node in v.values())
    assert len(check_formula(v["L"], "w11", HAND_FORMULAS["w11"], points=0).rows) == 1


def test_points_outside_the_domain_are_replaced():
    x = Value(0.05, "x")
    y = x.log()  # most random points move x below 0, where log is not defined
    report = check_formula(y, "x", "1/x")
    assert report.ok and len(report.rows) == 11 and report.skipped > 0
    assert "outside the domain" in str(report)


def test_a_formula_for_one_side_of_a_kink_names_the_kink():
    z = Value(0.3, "z")
    h = z.relu()
    h.label = "h"
    out = h * 3
    report = check_formula(out, "z", "3")
    assert not report.ok
    assert report.counterexample.kinks == ("h",)
    assert "other branch" in str(report.counterexample)
    assert check_formula(out, "z", "where(z > 0, 3, 0)").ok


def test_the_report_counts_points_in_a_notebook_too():
    v = build_network()
    report = check_formula(v["L"], "b", HAND_FORMULAS["b"])
    assert "agrees at all 11 points" in report.summary()
    page = report._repr_html_()
    assert "agrees at all 11 points" in page and page.count("<tr") == 12


def test_a_syntax_error_says_it_is_in_the_formula():
    v = build_network()
    with pytest.raises(ParseError, match=r"^in the formula: syntax error"):
        check_formula(v["L"], "w1", "-(y - yhat * h1")


def test_a_counterexample_lists_the_formula_names_first() -> None:
    """A person redoes the formula by hand at the counterexample: the names it uses
    come first, in its order (ŷ too, which is not a leaf), the other inputs after."""
    x, w, y = Value(0.5, "x"), Value(-1.0, "w"), Value(1.0, "y")
    yhat = (w * x).sigmoid()
    yhat.label = "yhat"
    loss = 0.5 * (y - yhat) ** 2
    report = check_formula(loss, "w", "-(y - yhat) * yhat * (1 - yhat)")  # x is missing
    example = report.counterexample
    assert example is not None
    assert [name for name, _ in example.formula_values] == ["y", "yhat"]
    (yhat_there,) = [v for name, v in example.formula_values if name == "yhat"]
    moved = dict(example.leaves)
    assert yhat_there == pytest.approx(1 / (1 + math.exp(-moved["w"] * moved["x"])), rel=1e-12)
    text = str(example)
    assert text.startswith("counterexample: at y = ")
    assert text.index("yhat = ") < text.index("(other inputs: ")
    assert "x = " in text.split("(other inputs: ", 1)[1]
