"""explain() and count_paths(): the chain rule as a sum over paths, checked
against the hand derivation of the 2-2-1 sigmoid network, against backward, and on graphs
with exponentially many paths."""

from __future__ import annotations

import math
import re

import pytest
from hand_network import WORKED_NUMBERS, build_network
from hypothesis import given
from hypothesis import strategies as st
from torch_or_skip import torch

from autograd import GraphTooLargeError, Value, linear, node_names, sum_values, topological_order
from autograd.explaining import Explanation, LabelError, count_paths, explain, latex_symbol

# -- the 2-2-1 sigmoid network worked by hand (tests/hand_network.py) ---------------


def sigma(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t))


def by_hand() -> dict[str, float]:
    """Forward pass and the hand-derived gradients, in plain floats."""
    s = WORKED_NUMBERS
    a1 = s["w11"] * s["x1"] + s["w12"] * s["x2"] + s["b1"]
    a2 = s["w21"] * s["x1"] + s["w22"] * s["x2"] + s["b2"]
    h1, h2 = sigma(a1), sigma(a2)
    yhat = sigma(s["w1"] * h1 + s["w2"] * h2 + s["b"])
    dL_da = -(s["y"] - yhat) * yhat * (1 - yhat)  # ∂L/∂a = -(y - ŷ)·ŷ(1 - ŷ)
    dL_da1 = dL_da * s["w1"] * h1 * (1 - h1)
    return {
        "a1": a1,
        "a2": a2,
        "h1": h1,
        "yhat": yhat,
        "dL/dyhat": -(s["y"] - yhat),
        "dL/dw1": dL_da * h1,
        "dL/db": dL_da,
        "dL/dh1": dL_da * s["w1"],
        "dL/da1": dL_da1,
        "dL/dw11": dL_da1 * s["x1"],
        "dL/db1": dL_da1,
    }


def test_the_network_reproduces_the_numbers_worked_by_hand():
    v = build_network()
    assert (v["a1"].data, v["a2"].data) == (4.0, -2.0)
    hand = by_hand()
    assert v["yhat"].data == pytest.approx(hand["yhat"], rel=1e-15)


@pytest.mark.parametrize("fused", [False, True], ids=["ops", "linear"])
def test_explain_w11_reads_like_the_hand_derivation(fused):
    v = build_network(fused=fused)
    explanation = explain(v["L"], "w11")
    text = str(explanation)
    chain, symbols, numbers = text.splitlines()  # one path: the chain, its symbols, its numbers
    assert chain == "∂L/∂w11 = ∂L/∂ŷ · ∂ŷ/∂a · ∂a/∂h1 · ∂h1/∂a1 · ∂a1/∂w11"
    # the formula written by hand, each local derivative from the op table over the nodes' names
    assert symbols == "        = −(y − ŷ)·ŷ(1 − ŷ)·w1·h1(1 − h1)·x1"
    assert explanation.symbolic == "−(y − ŷ)·ŷ(1 − ŷ)·w1·h1(1 − h1)·x1"
    assert explanation.formula == "-(y - yhat) * yhat * (1 - yhat) * w1 * h1 * (1 - h1) * x1"
    assert numbers.startswith("        = -0.320462 × 0.217766 × 0.7 × ")
    (path,) = explanation.paths
    s, hand = WORKED_NUMBERS, by_hand()
    expected = [
        hand["dL/dyhat"],  # ∂L/∂ŷ = -(y - ŷ)
        hand["yhat"] * (1 - hand["yhat"]),  # ∂ŷ/∂a = ŷ(1 - ŷ)
        s["w1"],  # ∂a/∂h1 = w1
        hand["h1"] * (1 - hand["h1"]),  # ∂h1/∂a1 = h1(1 - h1)
        s["x1"],  # ∂a1/∂w11 = x1
    ]
    assert [f.value for f in path.hand_factors()] == pytest.approx(expected, rel=1e-12)
    assert explanation.total == pytest.approx(hand["dL/dw11"], rel=1e-12)
    # the numbers are printed too: the product and the result
    assert text.endswith(f"= {explanation.total:.6g}")


@pytest.mark.parametrize("wrt", ["w1", "b", "h1", "a1", "w11", "b1"])
@pytest.mark.parametrize("fused", [False, True], ids=["ops", "linear"])
def test_explain_equals_the_hand_formulas_and_backward(wrt, fused):
    v = build_network(fused=fused)
    explanation = explain(v["L"], wrt)
    assert explanation.total == pytest.approx(by_hand()[f"dL/d{wrt}"], rel=1e-12)
    v["L"].backward()
    assert explanation.total == pytest.approx(v[wrt].grad, rel=1e-12)


def test_the_hand_network_gradients_agree_with_pytorch():
    v = build_network()
    v["L"].backward()
    t = {name: torch.tensor(x, dtype=torch.float64, requires_grad=True) for name, x in WORKED_NUMBERS.items()}
    h1 = torch.sigmoid(t["w11"] * t["x1"] + t["w12"] * t["x2"] + t["b1"])
    h2 = torch.sigmoid(t["w21"] * t["x1"] + t["w22"] * t["x2"] + t["b2"])
    yhat = torch.sigmoid(t["w1"] * h1 + t["w2"] * h2 + t["b"])
    (0.5 * (t["y"] - yhat) ** 2).backward()
    for name in WORKED_NUMBERS:
        assert explain(v["L"], name).total == pytest.approx(t[name].grad.item(), rel=1e-12, abs=1e-15)


def test_an_input_used_by_both_hidden_neurons_has_two_paths():
    v = build_network()
    explanation = explain(v["L"], "x1")
    assert len(explanation.paths) == 2 == count_paths(v["L"], "x1")
    lines = str(explanation).splitlines()
    assert lines[0] == "∂L/∂x1: 2 paths"
    assert lines[1] == "  ∂L/∂ŷ · ∂ŷ/∂a · ∂a/∂h1 · ∂h1/∂a1 · ∂a1/∂x1"
    assert lines[2] == "    = −(y − ŷ)·ŷ(1 − ŷ)·w1·h1(1 − h1)·w11"
    assert lines[4] == "  ∂L/∂ŷ · ∂ŷ/∂a · ∂a/∂h2 · ∂h2/∂a2 · ∂a2/∂x1"
    assert lines[5] == "    = −(y − ŷ)·ŷ(1 − ŷ)·w2·h2(1 − h2)·w21"
    assert lines[7].startswith("∂L/∂x1 = ") and lines[7].endswith(f"= {explanation.total:.6g}")
    v["L"].backward()
    assert explanation.total == pytest.approx(v["x1"].grad, rel=1e-12)


def test_explain_needs_no_backward_and_changes_no_grad():
    v = build_network()
    nodes = list(v.values())
    for i, node in enumerate(nodes):
        node.grad = float(i) + 0.5  # anything but what backward would give
    before = [node.grad for node in nodes]
    totals = {name: explain(v["L"], name).total for name in WORKED_NUMBERS}
    assert [node.grad for node in nodes] == before
    for node in nodes:
        node.grad = 0.0
    v["L"].backward()
    for name, total in totals.items():
        assert total == pytest.approx(v[name].grad, rel=1e-12, abs=1e-300)


def test_every_edge_view_shows_the_unlabelled_temporaries():
    v = build_network()
    explanation = explain(v["L"], "w11")
    (path,) = explanation.paths
    # L = 0.5 * (y - ŷ)**2: three edges from L down to ŷ, merged into ∂L/∂ŷ
    first = path.hand_factors()[0]
    assert (first.node_name, first.input_name) == ("L", "yhat")
    assert len(first.through) == 2
    assert len(path.factors) > len(path.hand_factors())
    # the edges form a chain from L down to w11
    assert path.factors[0].node is v["L"] and path.factors[-1].input is v["w11"]
    for upper, lower in zip(path.factors, path.factors[1:]):
        assert upper.input is lower.node
        assert lower.node in upper.node.inputs or lower.node is upper.input
    # each factor is the local derivative stored on its edge
    for factor in path.factors:
        assert factor.value in factor.node.local_grads
    every_edge = explanation.format(every_edge=True)
    assert every_edge.splitlines()[0].count(" · ") == len(path.factors) - 1
    assert math.prod(f.value for f in path.factors) == pytest.approx(explanation.total, rel=1e-12)


def test_latex_form_for_notebooks():
    v = build_network()
    explanation = explain(v["L"], "w11")
    latex = explanation.latex()
    assert latex.startswith(
        r"\begin{aligned}\frac{\partial L}{\partial w_{11}} &= \frac{\partial L}{\partial \hat{y}} \cdot "
    )
    assert r"&= -\left(y - \hat{y}\right) \cdot \hat{y}\left(1 - \hat{y}\right) \cdot w_{1}" in latex
    assert r"\frac{\partial h_{1}}{\partial a_{1}}" in latex
    assert explanation._repr_latex_() == f"$${latex}$$"
    several = explain(v["L"], "x1").latex()
    assert several.startswith(r"\begin{aligned}") and several.endswith(r"\end{aligned}")
    assert several.count(r"\\") == 6  # two products, two in symbols, two lines of numbers, the result


# -- small special cases ---------------------------------------------------------------------


def test_a_value_used_twice_gives_two_paths():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    explanation = explain(y, x)
    assert [p.product for p in explanation.paths] == [3.0, 3.0]
    assert explanation.total == 6.0  # d(x²)/dx = 2x
    assert str(explanation).splitlines()[-1] == "∂y/∂x = 3 + 3 = 6"


def test_the_derivative_of_a_node_with_respect_to_itself_is_one():
    x = Value(2.0, label="x")
    y = x.exp()
    explanation = explain(y, y)
    assert explanation.total == 1.0 and len(explanation.paths) == 1
    assert explanation.paths[0].factors == ()
    assert count_paths(y, y) == 1


def test_a_value_outside_the_graph_has_no_path_and_gradient_zero():
    x, other = Value(2.0, label="x"), Value(1.0, label="other")
    y = x * 2
    y.label = "y"
    explanation = explain(y, other)
    assert explanation.paths == () and explanation.total == 0.0
    assert "no path" in str(explanation)
    assert count_paths(y, other) == 0


def test_labels_are_resolved_or_refused_clearly():
    v = build_network()
    with pytest.raises(LabelError, match=r"no node is labelled 'w3'.*labels: L, a, a1, a2, b, b1"):
        explain(v["L"], "w3")
    twin = Value(1.0, label="t") * Value(2.0, label="t")
    with pytest.raises(LabelError, match="2 nodes are labelled 't'"):
        explain(twin, "t")
    with pytest.raises(TypeError):
        explain(v["L"], 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        explain(1.0, "x")  # type: ignore[arg-type]


def test_an_unlabelled_node_can_be_named_as_the_tools_print_it():
    x = Value(2.0, label="x")
    y = (x * 3 + x.exp() * 2).tanh()
    y.label = "y"
    names = node_names(topological_order(y))
    short, _ = y.inputs[0].inputs  # 3·x is named by what it computes; the longer sum is numbered
    assert names[short] == "3·x" and names[y.inputs[0]] == "v1"
    assert explain(y, "v1").wrt is y.inputs[0] and explain(y, "3·x").wrt is short
    assert "∂y/∂v1" in str(explain(y, x)) and "where v1 = 3·x + 2·exp(x)" in str(explain(y, x))


# -- random graphs with reuse: the sum over paths is backward's gradient ------------------------

_OPS = ["+", "-", "*", "tanh", "sigmoid", "sin", "square", "leaky", "sum", "linear"]


@st.composite
def random_graphs(draw):
    """A small graph built from 1-3 leaves by 1-8 ops whose operands are drawn
    from all earlier nodes, so nodes are reused and several paths appear."""
    leaves = [Value(draw(st.floats(-2, 2)), label=f"x{i}") for i in range(draw(st.integers(1, 3)))]
    nodes = list(leaves)
    pick = st.integers(0, 10**6).map(lambda i: nodes[i % len(nodes)])
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(_OPS))
        a, b, c = draw(pick), draw(pick), draw(pick)
        if op == "+":
            node = a + b
        elif op == "-":
            node = a - b
        elif op == "*":
            node = a * b
        elif op == "square":
            node = a**2
        elif op == "leaky":
            node = a.leaky_relu(0.1)
        elif op == "sum":
            node = sum_values([a, b, c])
        elif op == "linear":
            node = linear([a, b], [b, c], a)
        else:
            node = getattr(a, op)()
        nodes.append(node)
    return nodes[-1], leaves


def _brute_force_count(root: Value, wrt: Value) -> int:
    """Walk every path from root (no pruning, no counting tricks)."""
    count, stack = 0, [root]
    while stack:
        node = stack.pop()
        if node is wrt:
            count += 1
            continue
        stack.extend(node.inputs)
    return count


@given(random_graphs())
def test_explain_sums_to_backwards_gradient_on_random_graphs(graph):
    root, leaves = graph
    explanations = [explain(root, leaf) for leaf in leaves]
    root.backward()
    for leaf, explanation in zip(leaves, explanations):
        assert explanation.total == pytest.approx(leaf.grad, rel=1e-9, abs=1e-12)
        assert len(explanation.paths) == count_paths(root, leaf) == _brute_force_count(root, leaf)
        for path in explanation.paths:
            assert math.prod(f.value for f in path.hand_factors()) == pytest.approx(
                path.product, rel=1e-12, abs=1e-300
            )


# -- exponentially many paths -------------------------------------------------------------------


def diamonds(n: int, left: float = 0.5, right: float = 0.5) -> tuple[Value, Value]:
    """x → (u = left·x, w = right·x) → x' = u + w, n times: 2ⁿ paths from the end to x."""
    x = top = Value(0.5, label="x")
    for _ in range(n):
        top = top * left + top * right
    return top, x


def test_count_paths_on_a_chain_of_diamonds_is_exact_up_to_10_to_the_18():
    root, x = diamonds(59)
    assert count_paths(root, x) == 2**59  # 5.8e17
    root, x = diamonds(60)  # 2^60 = 1.15e18: past the limit, counting stops
    with pytest.raises(GraphTooLargeError, match=r"more than 10\^18 paths lead from"):
        count_paths(root, x)
    root, x = diamonds(300)
    with pytest.raises(GraphTooLargeError, match=r"more than 10\^18 paths .*autograd.grad"):
        count_paths(root, x)


def test_explain_refuses_a_graph_with_too_many_paths():
    root, x = diamonds(40)
    with pytest.raises(GraphTooLargeError, match=r"1,099,511,627,776 paths .*max_paths=1000"):
        explain(root, x)
    root, x = diamonds(15_000)  # 2^15000 paths: counted without an integer of 4516 digits
    with pytest.raises(GraphTooLargeError, match=r"more than 10\^18 paths"):
        explain(root, x)


def test_explain_lists_the_paths_of_a_few_diamonds():
    root, x = diamonds(3, 2.0, 3.0)
    explanation = explain(root, x, max_paths=8)
    assert len(explanation.paths) == 8
    assert explanation.total == pytest.approx(5.0**3)  # d/dx (2x + 3x) three times
    products = sorted(p.product for p in explanation.paths)
    # each path picks 2 or 3 at each of the 3 diamonds
    assert products == sorted(2.0**k * 3.0 ** (3 - k) for k in range(4) for _ in range(math.comb(3, k)))
    with pytest.raises(GraphTooLargeError, match="8 paths"):
        explain(root, x, max_paths=7)


def test_a_long_chain_needs_no_recursion():
    x = top = Value(0.1, label="x")
    for _ in range(5_000):  # 10,000 nodes deep, far beyond Python's recursion limit
        top = top * 1.0 + 0.0
    explanation = explain(top, x)
    (path,) = explanation.paths
    assert len(path.factors) == 10_000 and explanation.total == 1.0
    assert isinstance(explanation, Explanation)


# -- LaTeX names are safe ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "latex"),
    [
        ("w11", "w_{11}"),
        ("yhat", r"\hat{y}"),
        ("y_hat", r"\hat{y}"),
        ("x1", "x_{1}"),
        ("L", "L"),
        ("sigma", r"\sigma"),
        ("delta_2", r"\delta_{2}"),
        ("loss", r"\mathrm{loss}"),
        ("L1.N0.w1", r"\mathrm{L1.N0.w1}"),
        ("a_b", r"\mathrm{a\_b}"),
    ],
)
def test_latex_symbols(name, latex):
    assert latex_symbol(name) == latex


def _without_escapes(latex: str) -> str:
    """Drop escapes, macro names and our own subscripts (w_{11})."""
    return re.sub(r"\\[a-zA-Z]+ ?|\\[{}_#$%& ]|_(?=\{[0-9]+\})", "", latex)


@given(st.text(max_size=30))
def test_any_label_becomes_safe_latex(label):
    latex = latex_symbol(label)
    bare = _without_escapes(latex)
    # what is left has only our own braces, balanced, and no character that
    # LaTeX or an HTML page would take as markup
    assert not set(bare) & set("$%#&~^\\<>_")
    depth = 0
    for ch in bare:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    assert all(ch.isprintable() for ch in latex)


def test_a_hostile_label_in_a_whole_explanation():
    x = Value(1.0, label="<img src=x onerror=alert(1)>")
    y = x.exp()
    y.label = "$\\end{aligned}}%"
    latex = explain(y, x)._repr_latex_()
    assert "<" not in latex and ">" not in latex
    assert latex.count("$") == 4 + latex.count(r"\$")  # only the delimiters are bare


def test_a_node_used_by_the_root_and_by_another_input_of_the_root():
    # root = exp(c) + c with c = 3x: ∂root/∂x = 3·e^(3x) + 3, along two paths
    x = Value(2.0, label="x")
    c = x * 3
    c.label = "c"
    root = c.exp() + c
    explanation = explain(root, x)
    assert count_paths(root, x) == 2 == len(explanation.paths)
    assert explanation.total == pytest.approx(3 * math.exp(6.0) + 3, rel=1e-12)


def test_a_single_edge_prints_as_its_number():
    x = Value(0.5, label="x")
    y = x.exp()
    y.label = "y"
    assert str(explain(y, x)) == f"∂y/∂x = y = {math.exp(0.5):.6g}"  # d/dx e^x = e^x
    z = y * 2
    z.label = "z"
    assert str(explain(z, x)).splitlines() == [
        "∂z/∂x = ∂z/∂y · ∂y/∂x",
        "      = 2·y",
        f"      = 2 × {math.exp(0.5):.6g} = {2 * math.exp(0.5):.6g}",
    ]


def test_paths_stay_distinguishable_when_merging_would_hide_them() -> None:
    """x·x + sin x: merging the unlabelled nodes would print three lines that all
    read ∂y/∂x; then every edge is shown instead, and the sum is unchanged."""
    x = Value(0.5, label="x")
    y = x * x + x.sin()
    y.label = "y"
    explanation = explain(y, x)
    path_lines = [line for line in str(explanation).splitlines() if line.startswith("  ∂")]
    assert path_lines == [
        "  ∂y/∂(x·x) · ∂(x·x)/∂x (1st operand)",
        "  ∂y/∂(x·x) · ∂(x·x)/∂x (2nd operand)",
        "  ∂y/∂(sin(x)) · ∂(sin(x))/∂x",
    ]
    assert explanation.total == pytest.approx(2 * 0.5 + math.cos(0.5), rel=1e-12)


def test_paths_through_different_temporaries_say_which_they_go_through() -> None:
    """Cross-entropy reaches ŷ twice, through log(ŷ) and through 1 − ŷ: both chains
    would read ∂L/∂ŷ · ∂ŷ/∂a, so each names the node it goes through, in text and LaTeX."""
    x, y = Value(0.4, "x"), Value(0.0, "y")
    yhat = x.sigmoid()
    yhat.label = "yhat"
    loss = -(y * yhat.log() + (1 - y) * (1 - yhat).log())
    loss.label = "L"
    explanation = explain(loss, x)
    path_lines = [line for line in str(explanation).splitlines() if line.startswith("  ∂")]
    assert path_lines == ["  ∂L/∂ŷ (through log(ŷ)) · ∂ŷ/∂x", "  ∂L/∂ŷ (through 1 − ŷ) · ∂ŷ/∂x"]
    latex = explanation.latex()
    assert r"\text{through } \log\left(\hat{y}\right)" in latex
    assert r"\text{through } 1 - \hat{y}" in latex
    s = 1 / (1 + math.exp(-0.4))
    assert explanation.total == pytest.approx(s, rel=1e-12)  # ∂L/∂x = ŷ − y with y = 0


def test_a_quotient_that_starts_a_product_is_bracketed_in_text_only() -> None:
    """−(1/ŷ)·ŷ(1 − ŷ): without brackets 1/ŷ·ŷ reads as 1/(ŷ·ŷ) to many; a LaTeX
    fraction bar is unambiguous and gets none."""
    u = Value(0.3, "u")
    yhat = u.sigmoid()
    yhat.label = "yhat"
    loss = -yhat.log()
    loss.label = "L"
    explanation = explain(loss, u)
    assert str(explanation).splitlines()[1].strip() == "= −(1/ŷ)·ŷ(1 − ŷ)"
    latex = explanation.latex()
    assert r"-\frac{1}{\hat{y}} \cdot \hat{y}\left(1 - \hat{y}\right)" in latex
    assert r"(\frac" not in latex and r"\left(\frac" not in latex


@pytest.mark.parametrize(
    ("label", "written"),
    [
        ("yhat", "ŷ"),
        ("w1", "w1"),
        ("a+b", "(a+b)"),
        ("(a + b)", "(a + b)"),  # already one bracketed group
        ("(1 - y)*(b)", "((1 - y)*(b))"),  # starts and ends with a bracket, but two groups
    ],
)
def test_a_label_with_operators_is_bracketed_after_the_partial(label: str, written: str) -> None:
    x = Value(2.0, label=label)
    f = x * 3
    f.label = "f"
    assert str(explain(f, x)).startswith(f"∂f/∂{written} = ")
