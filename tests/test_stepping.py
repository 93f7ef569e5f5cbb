"""Stepping through backward: the steps perform exactly backward's arithmetic,
print it the way a learner writes it, draw it, and export it as images."""

from __future__ import annotations

import math
import re
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

import autograd
from autograd import (
    DomainError,
    GraphTooLargeError,
    NonFiniteGradientError,
    Parameter,
    Value,
    linear,
    sum_values,
    topological_order,
)
from autograd.drawing import (
    HIGHLIGHT_COLOUR,
    PENDING_COLOUR,
    GraphvizNotFoundError,
    MissingPackageError,
    to_dot,
)
from autograd.stepping import Step, backward_steps, export_steps

# -- random graphs -------------------------------------------------------------------

UNARY = (Value.tanh, Value.sigmoid, Value.sin, Value.cos, Value.relu, Value.abs, Value.__neg__, Value.exp)


@st.composite
def recipes(draw):
    leaves = draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=5))
    ops = draw(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 99), st.integers(0, 99)), max_size=14))
    start = draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=40, max_size=40))
    return leaves, ops, start


def build(recipe) -> Value:
    """A graph from a recipe (shared nodes, repeated inputs, constants, parameters);
    every node starts with a gradient from the recipe, as if left over."""
    leaves, ops, start = recipe
    nodes: list[Value] = [Parameter(v, f"p{i}") if i % 2 else Value(v, f"x{i}") for i, v in enumerate(leaves)]
    for kind, i, j in ops:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if kind == 0:
            out = a + b
        elif kind == 1:
            out = a * b
        elif kind == 2:
            out = a - b * 0.5
        elif kind == 3:
            out = a / (b * b + 1.0)
        elif kind == 4:
            out = a**2
        elif kind == 5:
            out = sum_values([a, b, a])
        elif kind == 6:
            out = linear([a, b], [b, nodes[(i + j) % len(nodes)]], a)
        elif kind == 7:
            out = a.leaky_relu(0.1)
        else:
            out = UNARY[(i + j) % len(UNARY)](a)
        nodes.append(out)
    root = nodes[-1]
    for node, g in zip(topological_order(root), start):
        node.grad = g
    return root


def two_copies(recipe) -> tuple[Value, Value]:
    try:
        return build(recipe), build(recipe)
    except DomainError:
        reject()


def grads(root: Value) -> list[float]:
    return [node.grad for node in topological_order(root)]


# -- stepping is backward ---------------------------------------------------------------


@given(recipes())
def test_running_all_steps_leaves_exactly_the_grads_of_backward(recipe):
    by_backward, by_steps = two_copies(recipe)
    for _ in range(2):  # a second pass: leaves accumulate, intermediates restart
        try:
            by_backward.backward()
        except NonFiniteGradientError:
            with pytest.raises(NonFiniteGradientError):
                list(backward_steps(by_steps))
            return
        steps = list(backward_steps(by_steps))
        assert grads(by_steps) == grads(by_backward)  # bit for bit, leaves accumulating
        shown = [node for node in topological_order(by_steps)[::-1] if not node.is_constant]
        assert [s.node for s in steps] == shown  # numbers written in the code are not steps
        assert [s.index for s in steps] == list(range(len(steps)))
        with_constants = list(backward_steps(by_steps, constants=True))
        assert [s.node for s in with_constants] == topological_order(by_steps)[::-1]
        by_backward.backward()  # the same third pass on the other copy


@given(recipes())
def test_each_step_records_the_chain_rule_as_it_happens(recipe):
    root, _ = two_copies(recipe)
    try:
        root.backward()  # an earlier pass: leaves now hold totals the steps must not show
        first = list(backward_steps(root))
        for step in first:
            node = step.node
            if node.inputs:
                assert step.grad == node.grad  # complete: nothing after this step adds to it
            assert [e.input for e in step.edges] == list(node.inputs)
            assert [e.local for e in step.edges] == list(node.local_grads)
            for edge in step.edges:
                assert edge.contribution == step.grad * edge.local
                assert edge.grad_after == edge.grad_before + edge.contribution
        second = list(backward_steps(root))
    except NonFiniteGradientError:
        reject()
    # the numbers of this pass, never the totals: a second run shows the same
    assert [(s.name, s.grad) for s in second] == [(s.name, s.grad) for s in first]
    assert [[e.grad_after for e in s.edges] for s in second] == [
        [e.grad_after for e in s.edges] for s in first
    ]
    expected = dict(
        zip(autograd.topological_order(root), autograd.grad(root, autograd.topological_order(root)))
    )
    for step in first:
        assert step.grad == pytest.approx(expected[step.node], rel=1e-12, abs=1e-300)


def test_a_shared_intermediate_is_complete_when_its_step_comes():
    x = Value(0.5, "x")
    s = x.sin()
    s.label = "s"
    y = (s * s) * s  # y = sin³x: s is used by two nodes, one of them deeper
    steps = {step.name: step for step in backward_steps(y)}
    assert math.isclose(steps["s"].grad, 3 * math.sin(0.5) ** 2, rel_tol=1e-12)  # ∂y/∂s = 3s²
    assert math.isclose(x.grad, 3 * math.sin(0.5) ** 2 * math.cos(0.5), rel_tol=1e-12)


def test_a_leaf_output_accumulates_like_backward():
    x = Value(3.0, "x")
    (step,) = backward_steps(x)
    assert step.is_root and step.is_leaf and step.grad == 1.0 and step.edges == ()
    list(backward_steps(x))
    assert x.grad == 2.0
    assert "x is the output (a leaf)" in str(step)


def test_nothing_changes_until_the_first_step_is_asked_for():
    x = Value(2.0, "x")
    y = x * 3.0
    y.grad = 5.0
    steps = backward_steps(y)
    assert (x.grad, y.grad) == (0.0, 5.0)
    next(steps)
    assert (x.grad, y.grad) == (3.0, 1.0)
    with pytest.raises(TypeError, match="Value"):
        backward_steps(2.0)


# -- the arithmetic, written out ---------------------------------------------------------


def sigmoid_neuron():
    """ŷ = σ(a), L = ½ (y - ŷ)² with a = 0 and y = 0.7: ∂L/∂ŷ = -(y - ŷ) = -0.2, σ'(0) = 0.25."""
    a = Value(0.0, "a")
    y_hat = a.sigmoid()
    y_hat.label = "ŷ"
    loss = 0.5 * (Value(0.7, "y") - y_hat) ** 2
    loss.label = "L"
    return a, y_hat, loss


def test_a_step_prints_the_learners_arithmetic():
    _, y_hat, loss = sigmoid_neuron()
    (step,) = [s for s in backward_steps(loss) if s.node is y_hat]
    assert "∂L/∂a = ∂L/∂ŷ · ∂ŷ/∂a = -0.2 × 0.25 = -0.05" in str(step).splitlines()[1]
    header = str(step).splitlines()[0]
    assert header == "step 4/6: ŷ = σ(a); ∂L/∂ŷ = -0.2 is complete, pass it to the inputs:"
    assert repr(step) == "<Step 4/6 ŷ: ∂L/∂ŷ = -0.2>"  # six steps: the 0.5 written in the code is not one


LINE = re.compile(
    r"^  ∂(?P<root>.+?)/∂(?P<input>.+?) (?P<op>\+?=) ∂.+ = (?P<g>\S+) × \(?(?P<local>[^()\s]+)\)? "
    r"= (?P<c>\S+?)(?: → total (?P<total>\S+))?$"
)


def close(text: str, x: float) -> bool:
    return math.isclose(float(text), x, rel_tol=6e-6, abs_tol=1e-300)


@given(recipes())
def test_the_numbers_in_the_text_are_the_real_grads_and_locals(recipe):
    root, _ = two_copies(recipe)
    try:
        steps = list(backward_steps(root))
    except NonFiniteGradientError:
        reject()
    for step in steps:
        lines = str(step).splitlines()
        edges = [edge for edge in step.edges if not edge.input.is_constant]  # constants: not printed
        assert len(lines) == 1 + len(edges)
        assert f"∂{step.root_name}/∂{step.name} = " in lines[0]
        for edge, line in zip(edges, lines[1:]):
            m = LINE.match(line)
            assert m, line
            assert m["root"] == step.root_name and m["input"] == edge.name
            assert close(m["g"], step.grad) and close(m["local"], edge.local)
            assert close(m["c"], edge.contribution)
            assert (m["op"] == "+=") == edge.added == (m["total"] is not None)
            if edge.added:
                assert close(m["total"], edge.grad_after)


def test_a_second_path_is_added_and_shows_the_total():
    x = Value(0.5, "x")
    u = x * Value(2.0, "a")
    u.label = "u"
    v = x * Value(-3.0, "b")
    v.label = "v"
    loss = u + v
    loss.label = "L"
    text = "\n".join(str(s) for s in backward_steps(loss))
    assert "∂L/∂x = ∂L/∂" in text
    (added,) = [line.strip() for line in text.splitlines() if "∂L/∂x +=" in line]
    assert added.endswith(" → total -1")  # ∂L/∂x = a + b, by hand
    assert x.grad == -1.0


def test_an_input_used_twice_shows_both_edges():
    x = Value(3.0, "x")
    y = x * x
    y.label = "y"
    (first,) = [s for s in backward_steps(y) if s.node is y]
    assert [line.strip() for line in str(first).splitlines()[1:]] == [
        "∂y/∂x = ∂y/∂y · ∂y/∂x (1st operand) = 1 × 3 = 3",
        "∂y/∂x += ∂y/∂y · ∂y/∂x (2nd operand) = 1 × 3 = 3 → total 6",  # d(x²)/dx = 2x
    ]


def test_the_operands_of_a_quotient_of_an_input_by_itself_differ():
    """x / x: the edge into the numerator carries 1/x, the one into the
    denominator −x/x², and the step says which is which."""
    x = Value(2.0, "x")
    q = x / x
    q.label = "q"
    (first,) = [s for s in backward_steps(q) if s.node is q]
    lines = [line.strip() for line in str(first).splitlines()[1:]]
    assert lines == [
        "∂q/∂x = ∂q/∂q · ∂q/∂x (1st operand) = 1 × 0.5 = 0.5",
        "∂q/∂x += ∂q/∂q · ∂q/∂x (2nd operand) = 1 × (-0.5) = -0.5 → total 0",
    ]


def test_each_step_writes_how_its_node_was_computed():
    """The output's step says what it computes, a node named by what it computes
    is written once (no ``log(1 − ŷ) = log((1 − ŷ))``), and labels are written
    as by hand (yhat → ŷ)."""
    x, y = Value(0.4, "x"), Value(1.0, "y")
    yhat = x.sigmoid()
    yhat.label = "yhat"
    loss = -(y * yhat.log() + (1 - y) * (1 - yhat).log())
    loss.label = "L"
    headers = [str(step).splitlines()[0] for step in backward_steps(loss)]
    assert headers[0] == "step 1/11: L = −v2 is the output; backward starts with ∂L/∂L = 1"
    assert "step 2/11: v2 = y·log(ŷ) + v1; ∂L/∂v2 = -1 is complete, pass it to the inputs:" in headers
    assert "step 3/11: v1 = (1 − y)·log(1 − ŷ); ∂L/∂v1 = -1 is complete, pass it to the inputs:" in headers
    assert any(h.startswith("step 4/11: log(1 − ŷ); ∂L/∂(log(1 − ŷ)) = ") for h in headers)
    assert any(h.startswith("step 9/11: ŷ = σ(x); ∂L/∂ŷ = ") for h in headers)
    assert not any("yhat" in h or "((" in h for h in headers)


def hand_network(y_target: float = 1.0):
    """The 2-2-1 sigmoid network worked by hand, with L = ½ (y - ŷ)²."""
    x1, x2 = Value(1.0, "x1"), Value(-1.0, "x2")
    w = {name: Parameter(v, name) for name, v in [("w11", 1), ("w12", -2), ("w21", -1), ("w22", 1)]}
    b1, b2 = Parameter(1.0, "b1"), Parameter(0.0, "b2")
    a1 = linear([w["w11"], w["w12"]], [x1, x2], b1)
    a2 = linear([w["w21"], w["w22"]], [x1, x2], b2)
    a1.label, a2.label = "a1", "a2"
    h1, h2 = a1.sigmoid(), a2.sigmoid()
    h1.label, h2.label = "h1", "h2"
    w1, w2, b = Parameter(0.5, "w1"), Parameter(-0.5, "w2"), Parameter(0.1, "b")
    a = linear([w1, w2], [h1, h2], b)
    a.label = "a"
    y_hat = a.sigmoid()
    y_hat.label = "ŷ"
    loss = 0.5 * (Value(y_target, "y") - y_hat) ** 2
    loss.label = "L"
    return locals()


def test_the_hand_network_steps_match_the_hand_formulas():
    net = hand_network()
    assert (net["a1"].data, net["a2"].data) == (4.0, -2.0)  # W x + b = [4, -2]
    steps = {s.name: s for s in backward_steps(net["loss"])}
    # the formulas derived by hand, in plain floats
    sig = lambda t: 1 / (1 + math.exp(-t))
    h1, h2 = sig(4.0), sig(-2.0)
    y_hat = sig(0.5 * h1 - 0.5 * h2 + 0.1)
    dl_da = -(1.0 - y_hat) * y_hat * (1 - y_hat)
    dl_da1 = dl_da * 0.5 * h1 * (1 - h1)
    edges = {e.name: e for e in steps["a"].edges}
    assert math.isclose(steps["a"].grad, dl_da, rel_tol=1e-12)
    assert math.isclose(edges["w1"].contribution, dl_da * h1, rel_tol=1e-12)  # ∂L/∂w1
    assert math.isclose(edges["b"].contribution, dl_da, rel_tol=1e-12)  # ∂L/∂b
    assert math.isclose(edges["h1"].contribution, dl_da * 0.5, rel_tol=1e-12)  # ∂L/∂h1
    assert math.isclose(steps["a1"].grad, dl_da1, rel_tol=1e-12)
    edges1 = {e.name: e for e in steps["a1"].edges}
    assert math.isclose(edges1["w11"].contribution, dl_da1 * 1.0, rel_tol=1e-12)  # ∂L/∂w11 = ... · x1
    line = next(ln for ln in str(steps["a1"]).splitlines() if ln.strip().startswith("∂L/∂w11 ="))
    m = LINE.match(line)
    assert close(m["g"], dl_da1) and close(m["local"], 1.0) and close(m["c"], dl_da1)
    assert "a1 = w11·x1 + w12·x2 + b1" in str(steps["a1"])


def test_html_form_escapes_labels():
    x = Value(1.0, "<b>&x")
    y = x * 2.0
    (step, *_) = backward_steps(y)
    page = step._repr_html_()
    assert "&lt;b&gt;&amp;x" in page and "<b>&x" not in page
    ET.fromstring(page)  # well-formed


# -- drawing a step ----------------------------------------------------------------------


def grad_in_drawing(dot: str, node_id: str) -> tuple[float, bool]:
    """The grad a node shows in the drawing, and whether it is greyed out."""
    line = next(ln for ln in dot.splitlines() if ln.startswith(f"{node_id} ["))
    m = re.search(r"(<FONT COLOR=\"(?P<c>[^\"]+)\">)?grad (?P<g>[^<>]+)", line)
    return float(m["g"]), m["c"] == PENDING_COLOUR


def test_a_step_draws_the_gradients_as_they_were_at_that_step():
    net = hand_network()
    root = net["loss"]
    order = topological_order(root)
    steps = list(backward_steps(root))  # the pass is over: every grad is final now
    for k in (0, 3, 9, len(steps) - 1):
        step = steps[k]
        dot = to_dot(root, step=step)
        # replay the pass on a twin graph up to step k, and read its live grads
        twin = hand_network()["loss"]
        live = backward_steps(twin)
        for _ in range(k + 1):
            next(live)
        for i, (node, twin_node) in enumerate(zip(order, topological_order(twin))):
            if node.is_constant:
                assert "grad" not in re.search(rf"^n{i} \[.*$", dot, re.M)[0]  # a number in the code
                continue
            shown, grey = grad_in_drawing(dot, f"n{i}")
            assert math.isclose(shown, twin_node.grad, rel_tol=1e-3, abs_tol=1e-12)
            assert grey == (not step.has_visited(node))
        red_nodes = [ln for ln in dot.splitlines() if HIGHLIGHT_COLOUR in ln and " [label=<<B>" in ln]
        assert len(red_nodes) == 1 and red_nodes[0].startswith(f"n{order.index(step.node)} [")
        red_edges = [ln for ln in dot.splitlines() if "->" in ln and HIGHLIGHT_COLOUR in ln]
        assert len(red_edges) == len(step.edges) + (1 if step.edges else 0)
        for edge, line in zip(step.edges, red_edges):
            adds = float(re.search(r"adds ([^>]+)>", line)[1])
            assert math.isclose(adds, edge.contribution, rel_tol=1e-3, abs_tol=1e-12)


def test_step_draw_gives_the_digraph_of_that_step():
    _, y_hat, loss = sigmoid_neuron()
    steps = list(backward_steps(loss))
    assert steps[2].draw(rankdir="TB").source == to_dot(loss, step=steps[2], rankdir="TB")
    assert steps[2].to_dot() == to_dot(loss, step=steps[2])
    with pytest.raises(ValueError, match="different graph"):
        to_dot(y_hat, step=steps[2])
    with pytest.raises(TypeError, match="backward_steps"):
        to_dot(loss, step=2)


# -- exporting a pass ----------------------------------------------------------------------


def test_export_writes_numbered_images_and_a_gif_with_a_frame_per_step(tmp_path):
    from PIL import Image

    _, _, loss = sigmoid_neuron()
    _, _, reference = sigmoid_neuron()
    reference.backward()
    paths = export_steps(loss, tmp_path / "frames", duration_ms=50)
    n = len([node for node in topological_order(loss) if not node.is_constant])
    assert [p.name for p in paths] == [f"step_{i:03d}.png" for i in range(n)] + ["backward.gif"]
    for p in paths[:-1]:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(paths[-1]) as gif:
        assert gif.format == "GIF" and gif.n_frames == n
    assert grads(loss) == grads(reference)
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == sorted(p.name for p in paths)


def test_export_svg_and_dot_frames(tmp_path, monkeypatch):
    _, _, loss = sigmoid_neuron()
    svgs = export_steps(loss, tmp_path / "svg", fmt="svg", gif=False)
    assert len(svgs) == 6 and all(ET.parse(p).getroot().tag.endswith("svg") for p in svgs)
    monkeypatch.setenv("PATH", "")  # DOT frames need no Graphviz
    _, _, loss = sigmoid_neuron()
    dots = export_steps(loss, tmp_path / "dot", fmt="dot", gif=False)
    steps = list(backward_steps(sigmoid_neuron()[2]))
    assert [p.read_text(encoding="utf-8") for p in dots] == [s.to_dot() for s in steps]


def test_export_refuses_before_touching_any_gradient(tmp_path, monkeypatch):
    _, _, loss = sigmoid_neuron()
    before = grads(loss)
    with pytest.raises(ValueError, match="fmt"):
        export_steps(loss, tmp_path, fmt="jpg")
    with pytest.raises(GraphTooLargeError, match="max_nodes=3"):
        export_steps(loss, tmp_path, max_nodes=3)
    with pytest.raises(TypeError, match="max_nodes"):
        export_steps(loss, tmp_path, max_nodes="many")
    with pytest.raises(TypeError, match="cluster_by"):
        export_steps(loss, tmp_path, cluster_by="L1")
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(MissingPackageError, match="Pillow"):
        export_steps(loss, tmp_path)
    monkeypatch.delitem(sys.modules, "PIL")
    monkeypatch.setenv("PATH", "")
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        export_steps(loss, tmp_path, fmt="svg", gif=False)
    assert grads(loss) == before
    assert list(tmp_path.iterdir()) == []


def test_step_is_exported_from_autograd():
    import autograd

    assert autograd.Step is Step and autograd.backward_steps is backward_steps


# -- stepping shows this pass -------------------------------------------------------------------


def test_after_backward_the_steps_show_this_passs_gradient_not_the_total():
    x = Value(1.5, "x")
    f = x.sigmoid()
    f.label = "f"
    f.backward()  # x.grad now holds σ'(1.5)
    true = math.exp(-1.5) / (1 + math.exp(-1.5)) ** 2
    (last,) = [s for s in backward_steps(f) if s.node is x]
    assert math.isclose(last.grad, true, rel_tol=1e-12)
    assert f"∂f/∂x = {true:.6g} is final" in str(last)
    assert math.isclose(x.grad, 2 * true, rel_tol=1e-12)  # .grad accumulates, as backward() does


def test_two_exports_draw_the_same_numbers(tmp_path):
    x = Value(0.5, "x")
    f = (x * x).tanh()
    first = export_steps(f, tmp_path / "one", fmt="dot", gif=False)
    second = export_steps(f, tmp_path / "two", fmt="dot", gif=False)
    assert [p.read_text() for p in first] == [p.read_text() for p in second]


def test_numbers_written_in_the_code_are_not_steps():
    x = Value(2.0, "x")
    f = x * x * 3
    text = "\n".join(str(step) for step in backward_steps(f))
    assert "∂f/∂3" not in text and "constant" not in text
    assert len(list(backward_steps(f))) == 3  # f, x·x and x
    shown = "\n".join(str(step) for step in backward_steps(f, constants=True))
    assert "∂f/∂3 = " in shown and "3 is a leaf (constant)" in shown
