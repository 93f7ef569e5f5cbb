"""autograd.compile: the graph as straight-line code, checked against the engine.

The engine (``autograd.grad`` on Values) is the reference throughout; the 2-2-1
sigmoid network worked by hand is also checked against its hand-derived formulas. Random graphs
come from the shared op specs (``opspec.SPECS``), so every op is compiled.
"""

from __future__ import annotations

import io
import math
import random
import re
import sys
import tokenize
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from opspec import SPECS, OpSpec

import autograd
from autograd import DomainError, NonFiniteGradientError, Parameter, Value, linear, sum_values, zero_grad
from autograd.codegen import lit
from autograd.compiling import CompiledResult, CompileError, TraceMismatchError

TOL = {"rel_tol": 1e-12, "abs_tol": 1e-12}


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, **TOL)


def engine_result(f: Callable[..., Value], xs: Sequence[float], params: Sequence[Value]) -> CompiledResult:
    """Value and gradients from the engine: f on fresh leaves, then backward()
    (which compiled code replaces; it raises on a non-finite gradient)."""
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    zero_grad(params)
    out.backward()
    return CompiledResult(out.data, tuple(v.grad for v in leaves), tuple(p.grad for p in params))


def assert_same(result: CompiledResult, expected: CompiledResult, what: str = "") -> None:
    assert close(result.value, expected.value), (what, result.value, expected.value)
    assert len(result.grads) == len(expected.grads)
    for i, (a, b) in enumerate(zip(result.grads, expected.grads)):
        assert close(a, b), (what, f"argument {i}", a, b)
    assert len(result.param_grads) == len(expected.param_grads)
    for j, (a, b) in enumerate(zip(result.param_grads, expected.param_grads)):
        assert close(a, b), (what, f"parameter {j}", a, b)


def assert_batch_matches(batch: CompiledResult, rows: Sequence[CompiledResult], reduce: str | None) -> None:
    """A batch result against per-sample engine results."""
    assert len(batch.value) == len(rows)
    for i, row in enumerate(rows):
        assert close(float(batch.value[i]), row.value), (i, batch.value[i], row.value)
        for a, b in zip(batch.grads, row.grads):
            assert close(float(a[i]), b), (i, a[i], b)
    for j, g in enumerate(batch.param_grads):
        column = [row.param_grads[j] for row in rows]
        if reduce is None:
            assert all(close(float(g[i]), column[i]) for i in range(len(rows))), (j, g, column)
        else:
            total = math.fsum(column)
            expected = total / len(rows) if reduce == "mean" else total
            # a plain sum of terms that cancel (4.5e15 + 0.5 - 4.5e15) loses what fsum keeps:
            # the error allowed is relative to the size of the terms, not of their sum
            scale = math.fsum(abs(c) for c in column) / (len(rows) if reduce == "mean" else 1)
            assert math.isclose(g, expected, rel_tol=1e-12, abs_tol=1e-12 * (len(rows) + scale)), (
                j,
                g,
                expected,
            )


# -- literals ------------------------------------------------------------------------


@pytest.mark.parametrize("x", [0.0, -0.0, 1.5, -2.5, 1e-300, -1e300, 5e-324, 0.1, 1 / 3])
def test_literals_read_back_exactly(x):
    assert float(eval(lit(x))) == x  # our own literal, not user text
    assert math.copysign(1.0, float(eval(lit(x)))) == math.copysign(1.0, x)


# -- random expression graphs ------------------------------------------------------


class Program:
    """A recipe for a graph: op specs applied to positions in a growing pool
    (arguments, then parameters, then each result), so nodes get reused."""

    def __init__(self, n_args: int, steps: list[tuple[OpSpec, tuple[int, ...], tuple[float, ...]]]) -> None:
        self.n_args = n_args
        self.steps = steps

    def __repr__(self) -> str:
        steps = [(spec.name, operands, numbers) for spec, operands, numbers in self.steps]
        return f"Program({self.n_args}, {steps})"

    def run(self, args: Sequence[Value], params: Sequence[Value]) -> Value:
        pool = [*args, *params]
        for spec, operands, numbers in self.steps:
            pool.append(spec.apply(*[pool[i] for i in operands], *numbers))
        results = pool[len(args) + len(params) :]
        # every result feeds the output, so nothing the engine computes is left out of the graph
        return results[0] if len(results) == 1 else sum_values(results)


@st.composite
def programs(draw: Any) -> tuple[Program, list[float], list[Parameter]]:
    """A random program, its example arguments, and its parameters, all in domain."""
    n_args = draw(st.integers(1, 3))
    xs = [draw(st.floats(-3.0, 3.0)) for _ in range(n_args)]
    params = [Parameter(draw(st.floats(-3.0, 3.0)), label=f"p{j}") for j in range(draw(st.integers(0, 2)))]
    pool = [Value(x) for x in xs] + list(params)
    steps = []
    for _ in range(draw(st.integers(1, 8))):
        spec = draw(st.sampled_from(SPECS))
        case = draw(spec.cases)
        operands = tuple(draw(st.integers(0, len(pool) - 1)) for _ in case[0])
        numbers = case[1]
        values = [pool[i].data for i in operands]
        if not spec.inside(*values, *numbers):
            continue
        try:
            node = spec.apply(*[pool[i] for i in operands], *numbers)
        except DomainError:
            continue
        if abs(node.data) > 1e3:
            continue
        pool.append(node)
        steps.append((spec, operands, numbers))
    if not steps:  # at least one op
        steps.append((SPECS[0], (0, 0), ()))
    return Program(n_args, steps), xs, params


def program_function(program: Program, params: Sequence[Value]) -> Callable[..., Value]:
    return lambda *args: program.run(args, params)


@given(programs(), st.data())
def test_random_graphs_match_the_engine(generated, data):
    program, xs, params = generated
    f = program_function(program, params)
    compiled = autograd.compile(f, *xs, params=params)
    assert_same(compiled(*xs), engine_result(f, xs, params), "at the example point")

    # other inputs, and other parameter values (read at call time): the same
    # numbers as the engine, or a DomainError from both
    original = [p.data for p in params]
    points = [[data.draw(st.floats(-3.0, 3.0)) for _ in xs] for _ in range(3)]
    for point in points:
        for p in params:
            p.data = data.draw(st.floats(-3.0, 3.0))
        try:
            expected = engine_result(f, point, params)
        except DomainError:
            with pytest.raises(DomainError):
                compiled(*point)
            continue
        assert_same(compiled(*point), expected, f"at {point}")

    # the batch: the example point and those others that are in the domain
    for p, value in zip(params, original):
        p.data = value
    rows, good, bad = [], [xs], []
    for point in points:
        try:
            rows.append(engine_result(f, point, params))
            good.append(point)
        except DomainError:
            bad.append(point)
    rows.insert(0, engine_result(f, xs, params))
    columns = [list(column) for column in zip(*good)]
    for reduce in ("sum", "mean", None):
        assert_batch_matches(compiled.batch(*columns, reduce=reduce), rows, reduce)
        assert_batch_matches(compiled.batch(*columns, reduce=reduce, backend="python"), rows, reduce)
    if bad:
        columns = [list(column) for column in zip(*good, bad[0])]
        for backend in ("numpy", "python"):
            with pytest.raises(DomainError, match=f"^sample {len(good)}: "):
                compiled.batch(*columns, backend=backend)


@given(programs())
def test_backward_into_adds_the_engine_gradients(generated):
    program, xs, params = generated
    f = program_function(program, params)
    compiled = autograd.compile(f, *xs, params=params)
    expected = engine_result(f, xs, params)
    for p in params:
        p.grad = 0.25
    assert compiled.backward_into(*xs) == compiled(*xs).value
    for p, g in zip(params, expected.param_grads):
        assert close(p.grad, 0.25 + g)


# -- piecewise ops -----------------------------------------------------------------

PIECEWISE: list[tuple[str, Callable[[Value], Value]]] = [
    ("relu", lambda x: x.relu()),
    ("abs", lambda x: x.abs()),
    ("leaky_relu", lambda x: x.leaky_relu(0.2)),
    ("leaky_relu default", lambda x: x.leaky_relu()),
]
KINK_POINTS = [-3.0, -1e-9, -0.0, 0.0, 1e-9, 2.5]


@pytest.mark.parametrize("name, op", PIECEWISE, ids=[name for name, _ in PIECEWISE])
@pytest.mark.parametrize("traced_at", [-1.0, 1.0])
def test_piecewise_ops_are_right_on_both_sides_of_the_kink(name, op, traced_at):
    """Traced on one side, evaluated on both and at the kink itself."""

    def f(x: Value) -> Value:
        return op(x * 3.0) * x

    compiled = autograd.compile(f, traced_at)
    rows = [engine_result(f, [x], []) for x in KINK_POINTS]
    for x, row in zip(KINK_POINTS, rows):
        result = compiled(x)
        assert result.value == row.value and result.grads == row.grads, (x, result, row)
    for backend in ("numpy", "python"):
        batch = compiled.batch(KINK_POINTS, backend=backend, reduce=None)
        assert [float(v) for v in batch.value] == [row.value for row in rows]
        assert [float(g) for g in batch.grads[0]] == [row.grads[0] for row in rows]


def test_piecewise_ops_become_conditional_expressions():
    compiled = autograd.compile(lambda x: x.relu() + x.abs() + x.leaky_relu(0.5), 1.0)
    assert " if " in compiled.source and " else " in compiled.source
    assert "where(" in compiled.numpy_source and " if " not in compiled.numpy_source.split("# backward")[0]


# -- the 2-2-1 sigmoid network, against its hand derivation --------------------------


def hand_network() -> tuple[Callable[..., Value], list[Parameter], dict[str, Parameter]]:
    """2-2-1 sigmoid network, L = 1/2 (y - ŷ)², W = [[1, -2], [-1, 1]], b = [1, 0]."""
    named = {
        "w11": 1.0, "w12": -2.0, "w21": -1.0, "w22": 1.0, "b1": 1.0, "b2": 0.0,
        "w1": 0.5, "w2": -0.3, "b": 0.1,
    }  # fmt: skip
    p = {name: Parameter(value, label=name) for name, value in named.items()}

    def loss(x1: Value, x2: Value, y: Value) -> Value:
        h1 = linear([p["w11"], p["w12"]], [x1, x2], p["b1"]).sigmoid()
        h2 = linear([p["w21"], p["w22"]], [x1, x2], p["b2"]).sigmoid()
        y_hat = linear([p["w1"], p["w2"]], [h1, h2], p["b"]).sigmoid()
        return 0.5 * (y - y_hat) ** 2

    return loss, list(p.values()), p


def test_the_hand_network_formulas():
    loss, params, p = hand_network()
    compiled = autograd.compile(loss, 1.0, -1.0, 1.0, params=params)
    x1, x2, y = 1.0, -1.0, 1.0
    value, _, grads = compiled(x1, x2, y)
    g = dict(zip(p, grads))

    def sigma(z: float) -> float:
        return 1.0 / (1.0 + math.exp(-z))

    h1, h2 = sigma(1 * x1 - 2 * x2 + 1), sigma(-1 * x1 + 1 * x2 + 0)  # z = [4, -2], as worked by hand
    y_hat = sigma(0.5 * h1 - 0.3 * h2 + 0.1)
    delta = -(y - y_hat) * y_hat * (1 - y_hat)  # ∂L/∂a
    expected = {
        "w1": delta * h1, "w2": delta * h2, "b": delta,
        "w11": delta * 0.5 * h1 * (1 - h1) * x1, "w12": delta * 0.5 * h1 * (1 - h1) * x2,
        "b1": delta * 0.5 * h1 * (1 - h1),
        "w21": delta * -0.3 * h2 * (1 - h2) * x1, "w22": delta * -0.3 * h2 * (1 - h2) * x2,
        "b2": delta * -0.3 * h2 * (1 - h2),
    }  # fmt: skip
    assert math.isclose(value, 0.5 * (y - y_hat) ** 2, rel_tol=1e-14)
    for name, formula in expected.items():
        assert math.isclose(g[name], formula, rel_tol=1e-13, abs_tol=1e-16), name


def test_source_reads_like_backpropagation():
    loss, params, _ = hand_network()
    compiled = autograd.compile(loss, 1.0, -1.0, 1.0, params=params)
    source = compiled.source
    forward, backward = source.split("# backward")
    assert forward.count("sigmoid(") == 3
    assert "'w11'" in source and "'b2'" in source  # labels, in comments
    n_lines = sum(line.strip().startswith("g") for line in backward.splitlines())
    # the output's gradient g = 1, then every edge except the one into the constant 0.5:
    # 0.5·(...): 1, (...)**2: 1, y - ŷ: 2, σ: 1, linear(w1, w2, h1, h2, b): 5, then for each hidden
    # neuron σ: 1 and linear(w, w, x1, x2, b): 5
    assert n_lines == 1 + 1 + 1 + 2 + 1 + 5 + 2 * (1 + 5)
    assert repr(compiled).startswith("CompiledGraph(3 arguments, 9 parameters")
    assert "<pre>" in compiled._repr_html_()


# -- hostile labels ------------------------------------------------------------------

HOSTILE = [
    "\n",
    "\r",
    "\r\n",
    "\x00",
    "\u2028",
    "\u2029",
    "\x85",
    "\x0b\x0c",
    "\\",
    "'",
    '"""',
    "'; import os",
    '"; import os; os.system("echo pwned")',
    "x\nimport os\n",
    "\\\nimport os",
    "coding: latin-1",
    "# -*- coding: foobar -*-",
    "\u202eevil",
    "v1 = 0",
    ")",
    "]",
    "\t",
    "",
]


def labelled_graph(labels: Sequence[str]) -> tuple[Callable[..., Value], list[Value], list[Parameter]]:
    """The same graph (every kind of node) with the given labels."""
    w = Parameter(0.7, label=labels[0])
    b = Parameter(-0.2, label=labels[1])

    def f(x: Value, y: Value) -> Value:
        z = linear([w], [x], b)
        z.label = labels[2]
        h = z.tanh()
        h.label = labels[3]
        out = (h * y - 1.5).relu() + (y**2).sqrt()
        out.label = labels[4]
        return out

    args = [Value(0.4, label=labels[5]), Value(2.0, label=labels[6])]
    return f, args, [w, b]


def code_tokens(source: str) -> list[tuple[int, str, tuple[int, int]]]:
    """Every token except comments, with its position (line ends move with the
    comment before them, so they keep only their line)."""
    ends = (tokenize.NL, tokenize.NEWLINE)
    return [
        (tok.type, tok.string, (tok.start[0], -1) if tok.type in ends else tok.start)
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type != tokenize.COMMENT
    ]


@given(st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60)), min_size=7, max_size=7))
def test_hostile_labels_change_only_comments(labels):
    plain_f, plain_args, plain_params = labelled_graph([f"n{i}" for i in range(7)])
    plain = autograd.compile(plain_f, *plain_args, params=plain_params)
    f, args, params = labelled_graph(labels)
    compiled = autograd.compile(f, *args, params=params)
    for source, reference in ((compiled.source, plain.source), (compiled.numpy_source, plain.numpy_source)):
        assert code_tokens(source) == code_tokens(reference)
        assert len(source.splitlines()) == len(reference.splitlines())
        assert source.count("\n") == reference.count("\n")
    assert compiled(0.4, 2.0) == plain(0.4, 2.0)


def test_labels_appear_escaped_in_comments():
    f, args, params = labelled_graph(["w\nimport os", "b", "z", "h", "out", "x\r", "y\u2028"])
    source = autograd.compile(f, *args, params=params).source
    assert "'w\\nimport os'" in source and "'x\\r'" in source and "'y\\u2028'" in source
    assert "\nimport os" not in source


# -- constants -------------------------------------------------------------------------


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_constants_are_baked_in_exactly(c):
    compiled = autograd.compile(lambda x: x * c - c, 1.0)
    assert repr(c) in compiled.source
    value, (grad,), _ = compiled(1.0)
    assert value == 1.0 * c - c and grad == c  # bit for bit: the same floats as the engine
    assert compiled(0.5).value == 0.5 * c - c


def test_constant_subgraphs_get_no_gradient_lines():
    def f(x: Value) -> Value:
        k = Value(2.0).exp() * 3.0  # constants only
        return x * k

    source = autograd.compile(f, 1.0).source
    backward = source.split("# backward")[1]
    # g = 1 at the output and ∂(x·k)/∂x: nothing flows into the constant k
    assert backward.count(" = g") + backward.count("= 1.0") == 2


def test_argument_gradients_are_not_computed_for_training():
    w = Parameter(0.5, label="w")
    compiled = autograd.compile(lambda x: (w * x).tanh(), 1.0, params=[w])
    training = compiled._variant(numpy=False, loop=False, arg_grads=False).source
    x = re.search(r"# (v\d+) = argument 0", compiled.source).group(1).replace("v", "g")
    assert f"{x} = " in compiled.source and f"{x} = " not in training
    assert ", (), (g" in training  # returns no argument gradients


# -- graphs whose shape depends on the data ---------------------------------------------


def branching(x: Value) -> Value:
    return x * x if x.data > 0 else x * 3.0  # decided once, when tracing


def test_check_catches_a_data_dependent_graph():
    compiled = autograd.compile(branching, 2.0)
    assert compiled.check(5.0).value == 25.0
    with pytest.raises(TraceMismatchError, match="different shape"):
        compiled.check(-1.0)
    assert compiled(-1.0).value == 1.0  # without check: the traced branch, silently


def test_check_mode_checks_every_call():
    compiled = autograd.compile(branching, 2.0, check=True)
    assert compiled(3.0).value == 9.0
    with pytest.raises(TraceMismatchError):
        compiled(-1.0)
    with pytest.raises(TraceMismatchError):
        compiled.backward_into(-1.0)
    with pytest.raises(TraceMismatchError):
        compiled.batch([1.0, 2.0, -1.0])
    assert list(compiled.batch([1.0, 2.0], reduce=None).value) == [1.0, 4.0]


def test_check_catches_a_constant_read_from_data():
    def f(x: Value) -> Value:
        return x * Value(x.data)  # the second factor is a constant when tracing

    compiled = autograd.compile(f, 2.0)
    with pytest.raises(TraceMismatchError, match="constant"):
        compiled.check(3.0)


# -- domain errors -----------------------------------------------------------------------

DOMAIN_CASES: list[tuple[str, Callable[..., Value], tuple[float, ...], tuple[float, ...]]] = [
    ("log", lambda x: x.log(), (1.0,), (-1.0,)),
    ("log", lambda x: x.log(), (1.0,), (0.0,)),
    ("sqrt", lambda x: x.sqrt(), (1.0,), (-4.0,)),
    ("sqrt", lambda x: x.sqrt(), (1.0,), (0.0,)),  # the derivative is infinite
    ("/", lambda x, y: x / y, (1.0, 2.0), (1.0, 0.0)),
    ("pow", lambda x, y: x**y, (2.0, 0.5), (-2.0, 2.0)),
    ("**", lambda x: x**0.5, (4.0,), (-4.0,)),
    ("**", lambda x: x**-1, (4.0,), (0.0,)),
    ("exp", lambda x: x.exp(), (1.0,), (1000.0,)),
    ("*", lambda x: (x * x).tanh(), (1.0,), (1e200,)),  # overflows silently in Python
    ("+", lambda x: (x + x).relu() * 0.0, (1.0,), (1.7e308,)),
]


@pytest.mark.parametrize("op, f, traced_at, failing", DOMAIN_CASES, ids=[case[0] for case in DOMAIN_CASES])
def test_domain_errors_name_the_op(op, f, traced_at, failing):
    with pytest.raises(DomainError):
        engine_result(f, failing, [])  # the engine refuses too
    compiled = autograd.compile(f, *traced_at)
    with pytest.raises(DomainError, match=rf"^{re.escape(op)}\("):
        compiled(*failing)
    columns = [[t, x] for t, x in zip(traced_at, failing)]
    for backend in ("numpy", "python"):
        with pytest.raises(DomainError, match=rf"^sample 1: {re.escape(op)}\("):
            compiled.batch(*columns, backend=backend)


def test_domain_error_message_shows_inputs_and_line():
    x = Value(1.0, label="x")
    compiled = autograd.compile(lambda v: (v * 2.0).log(), x)
    with pytest.raises(DomainError) as info:
        compiled(-3.0)
    message = str(info.value)
    assert message.startswith("log(-6.0): log is defined only for x > 0")
    assert "compiled line" in message and "log(v" in message


def test_non_finite_gradient():
    def f(x: Value, w: Value) -> Value:
        return (w * x).tanh() * 1e300

    with pytest.raises(NonFiniteGradientError):
        engine_result(f, [1e-10, 1e10], [])
    compiled = autograd.compile(f, 0.5, 0.5)
    with pytest.raises(NonFiniteGradientError, match="argument 0"):
        compiled(1e-10, 1e10)
    with pytest.raises(NonFiniteGradientError, match="sample 0"):
        compiled.batch([1e-10], [1e10], backend="python")


def test_diverged_parameter_is_reported():
    w = Parameter(1.0, label="w")
    compiled = autograd.compile(lambda x: (w * x).tanh(), 1.0, params=[w])
    w.data = math.inf
    with pytest.raises(DomainError, match="'w' is inf"):
        compiled(1.0)


# -- training a small MLP ------------------------------------------------------------------


def small_mlp(seed: int) -> tuple[Callable[[Sequence[Value]], Value], list[Parameter]]:
    """2-3-1 tanh network from Parameter + linear + tanh."""
    rng = random.Random(seed)
    hidden = [([Parameter(rng.uniform(-1, 1), label=f"L1.N{j}.w{i}") for i in (1, 2)],
               Parameter(rng.uniform(-0.5, 0.5), label=f"L1.N{j}.b")) for j in range(3)]  # fmt: skip
    out_w = [Parameter(rng.uniform(-1, 1), label=f"L2.N0.w{i}") for i in (1, 2, 3)]
    out_b = Parameter(0.0, label="L2.N0.b")
    params = [p for ws, b in hidden for p in (*ws, b)] + [*out_w, out_b]

    def model(x: Sequence[Value]) -> Value:
        h = [linear(ws, x, b).tanh() for ws, b in hidden]
        return linear(out_w, h, out_b).tanh()

    return model, params


DATA = [([0.5, -1.0], 1.0), ([-0.3, 0.8], -1.0), ([1.2, 0.1], 1.0), ([-1.5, -0.4], -1.0), ([0.0, 0.9], 1.0)]


def sgd(params: Sequence[Parameter], lr: float) -> None:
    with autograd.no_grad():
        for p in params:
            p.data -= lr * p.grad


@pytest.mark.parametrize("how", ["engine", "backward_into", "numpy", "python"])
def test_sgd_training_matches_the_engine(how):
    reference_model, reference_params = small_mlp(1)
    model, params = small_mlp(1)
    compiled = autograd.compile(
        lambda x1, x2, y: (model([x1, x2]) - y) ** 2, *DATA[0][0], DATA[0][1], params=params
    )
    columns = [[x[0] for x, _ in DATA], [x[1] for x, _ in DATA], [y for _, y in DATA]]
    for _ in range(5):
        loss = sum_values([(reference_model(list(map(Value, x))) - y) ** 2 for x, y in DATA]) / len(DATA)
        zero_grad(reference_params)
        loss.backward()
        sgd(reference_params, 0.1)

        zero_grad(params)
        if how == "engine":  # the same loop on the engine, as a control
            ours = sum_values([(model(list(map(Value, x))) - y) ** 2 for x, y in DATA]) / len(DATA)
            ours.backward()
            our_loss = ours.data
        elif how == "backward_into":
            our_loss = sum(compiled.backward_into(*x, y) for x, y in DATA) / len(DATA)
            for p in params:
                p.grad /= len(DATA)
        else:
            our_loss = compiled.batch_backward_into(*columns, reduce="mean", backend=how)
        sgd(params, 0.1)
        assert close(our_loss, loss.data)
    for p, q in zip(params, reference_params):
        assert close(p.data, q.data), p.label


def test_batch_backward_into_sum_and_errors():
    model, params = small_mlp(2)
    compiled = autograd.compile(lambda x1, x2, y: (model([x1, x2]) - y) ** 2, 0.0, 0.0, 0.0, params=params)
    columns = [[x[0] for x, _ in DATA], [x[1] for x, _ in DATA], [y for _, y in DATA]]
    total = compiled.batch_backward_into(*columns, reduce="sum")
    sums = [p.grad for p in params]
    zero_grad(params)
    mean = compiled.batch_backward_into(*columns, reduce="mean", backend="python")
    assert close(total, mean * len(DATA))
    assert all(close(s, p.grad * len(DATA)) for s, p in zip(sums, params))
    with pytest.raises(ValueError, match="reduce"):
        compiled.batch_backward_into(*columns, reduce=None)


def test_nn_mlp_compiles():
    import nn

    model = nn.MLP(2, [4, 4, 1], activation="relu", seed=0)
    params = model.parameters()

    def loss(x1: Value, x2: Value, y: Value) -> Value:
        return (1 - y * model([x1, x2])).relu()

    compiled = autograd.compile(loss, 0.5, -0.5, 1.0, params=params)
    points = [[0.5, -0.5, 1.0], [-1.0, 0.3, -1.0], [0.2, 0.9, 1.0]]
    rows = [engine_result(loss, point, params) for point in points]
    for point, row in zip(points, rows):
        assert_same(compiled(*point), row)
    assert_batch_matches(compiled.batch(*zip(*points), reduce="mean"), rows, "mean")


# -- the batched form ---------------------------------------------------------------------


def test_batch_shapes_and_broadcasting():
    w = Parameter(2.0, label="w")
    unused = Parameter(1.0, label="unused")

    def f(x: Value, y: Value) -> Value:  # y is not used; w·w does not depend on the sample
        return x * w + w * w

    compiled = autograd.compile(f, 1.0, 1.0, params=[w, unused])
    xs = np.array([1.0, 2.0, 3.0])
    result = compiled.batch(xs, [0.0, 0.0, 0.0], reduce=None)
    assert result.value.tolist() == [6.0, 8.0, 10.0]
    assert result.grads[0].tolist() == [2.0] * 3 and result.grads[1].tolist() == [0.0] * 3
    assert result.param_grads[0].tolist() == [5.0, 6.0, 7.0] and result.param_grads[1].tolist() == [0.0] * 3
    assert compiled.batch(xs, xs).param_grads == (18.0, 0.0)
    assert compiled.batch(xs, xs, reduce="mean").param_grads == (6.0, 0.0)
    assert compiled.batch(list(xs), list(xs), backend="python").param_grads == (18.0, 0.0)
    result.grads[0][0] = 99.0  # results are fresh arrays
    assert compiled.batch(xs, xs, reduce=None).grads[0].tolist() == [2.0] * 3


def test_output_that_does_not_depend_on_the_arguments():
    w = Parameter(3.0, label="w")
    compiled = autograd.compile(lambda x: w.tanh(), 1.0, params=[w])
    result = compiled.batch([1.0, 2.0])
    assert result.value.tolist() == [math.tanh(3.0)] * 2
    assert result.grads[0].tolist() == [0.0, 0.0]
    assert close(result.param_grads[0], 2 * (1 - math.tanh(3.0) ** 2))


@pytest.mark.parametrize(
    "columns, error",
    [
        (([1.0, 2.0],), TypeError),  # one column for two arguments
        (([1.0, 2.0], [1.0]), ValueError),  # lengths differ
        (([[1.0], [2.0]], [[1.0], [2.0]]), (ValueError, TypeError)),  # 2-D
        ((["1", "2"], [1.0, 2.0]), TypeError),
        (([1.0, math.nan], [1.0, 2.0]), ValueError),
        (([], []), ValueError),
    ],
)
@pytest.mark.parametrize("backend", ["numpy", "python"])
def test_batch_rejects_bad_columns(columns, error, backend):
    compiled = autograd.compile(lambda x, y: x * y, 1.0, 1.0)
    with pytest.raises(error):
        compiled.batch(*columns, backend=backend)


def test_batch_options_are_checked():
    compiled = autograd.compile(lambda x: x * 2.0, 1.0)
    with pytest.raises(ValueError, match="reduce"):
        compiled.batch([1.0], reduce="max")
    with pytest.raises(ValueError, match="backend"):
        compiled.batch([1.0], backend="torch")


def test_numpy_is_optional(monkeypatch):
    compiled = autograd.compile(lambda x: x.exp(), 1.0)
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy now fails
    with pytest.raises(ImportError, match=r"chaingrad\[fast\]"):
        compiled.batch([1.0, 2.0])
    assert compiled.batch([0.0], backend="python").value == [1.0]
    assert "exp(v0)" in compiled.numpy_source  # reading the code needs no NumPy


# -- what compile refuses --------------------------------------------------------------------


def test_compile_refuses_what_it_cannot_compile():
    w = Parameter(1.0, label="w")
    with pytest.raises(TypeError, match="one Value"):
        autograd.compile(lambda x: [x, x], 1.0)
    with pytest.raises(CompileError, match=r"'w'.*params="):
        autograd.compile(lambda x: x * w, 1.0)
    with pytest.raises(CompileError, match="'c'"):
        autograd.compile(lambda x: x * Value(2.0, label="c"), 1.0)
    with pytest.raises(CompileError, match="leaves"):
        autograd.compile(lambda x: x, 1.0, params=[w * 2])
    with pytest.raises(CompileError, match="twice"):
        autograd.compile(lambda x: x * w, 1.0, params=[w, w])
    with pytest.raises(TypeError):
        autograd.compile(lambda x: x, 1.0, params=[1.0])
    with pytest.raises(TypeError):
        autograd.compile(lambda x: x, "1.0")
    with autograd.no_grad(), pytest.raises(CompileError, match="no_grad"):
        autograd.compile(lambda x: x * 2, 1.0)
    compiled = autograd.compile(lambda x: x * 2, 1.0)
    with pytest.raises(TypeError, match="1 arguments"):
        compiled(1.0, 2.0)


def test_trivial_graphs():
    w = Parameter(4.0, label="w")
    assert autograd.compile(lambda x: x, 1.0)(3.0) == (3.0, (1.0,), ())
    assert autograd.compile(lambda x: w, 1.0, params=[w])(3.0) == (4.0, (0.0,), (1.0,))
    assert autograd.compile(lambda x, y: x * x, 1.0, 1.0)(3.0, 5.0) == (9.0, (6.0, 0.0), ())


# -- big graphs ------------------------------------------------------------------------------


def test_long_chain_and_wide_nodes():
    def chain(x: Value) -> Value:
        for _ in range(5000):
            x = (x * 0.999).tanh() + 0.001
        return x

    compiled = autograd.compile(chain, 0.5)
    assert_same(compiled(0.3), engine_result(chain, [0.3], []))

    weights = [Parameter(math.sin(i), label=f"w{i}") for i in range(1500)]

    def wide(x: Value) -> Value:  # one linear node with 3001 inputs: written over several lines
        return linear(weights, [x * (i % 7) for i in range(1500)], x).tanh() + sum_values(weights)

    compiled = autograd.compile(wide, 0.01, params=weights)
    assert_same(compiled(0.002), engine_result(wide, [0.002], weights))


def test_too_large_graphs_are_refused():
    def chain(x: Value) -> Value:
        for _ in range(100):
            x = x.tanh()
        return x

    with pytest.raises(autograd.GraphTooLargeError, match="max_lines"):
        autograd.compile(chain, 0.5, max_lines=150)
    assert autograd.compile(chain, 0.5, max_lines=200)(0.5).value == engine_result(chain, [0.5], []).value
