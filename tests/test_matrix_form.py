"""The matrix form of compiled graphs against the engine, and the graphs that keep the per-edge form.

Random MLPs (widths, depths, activations, output activations, losses) are
compiled from the graph of one sample; the matrix code over a batch must give
each sample's loss and argument gradients, and the mean of every parameter's
gradient, as the engine gives them sample by sample.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn
from autograd import Parameter, Value, linear, sum_values

ACTIVATIONS = ["tanh", "sigmoid", "relu", "leaky_relu", "prelu", None]


def _engine(f, rows, params):
    """Per sample: the value, ∂/∂arguments and ∂/∂parameters, from the engine."""
    values, arg_grads, param_grads = [], [], []
    for row in rows:
        leaves = [Value(x) for x in row]
        out = f(*leaves)
        grads = autograd.grad(out, [*leaves, *params])
        values.append(out.data)
        arg_grads.append(grads[: len(row)])
        param_grads.append(grads[len(row) :])
    return values, arg_grads, param_grads


def _close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


LOSSES = {
    "mse": lambda out, t: nn.mse([out], [t]),
    "bce_with_logits": lambda out, t: nn.binary_cross_entropy_with_logits([out], [t]),
    "mae": lambda out, t: nn.mae([out], [t]),
    "half_sse": lambda out, t: nn.half_sse([out], [t]),
}


@given(
    seed=st.integers(0, 10**6),
    nin=st.integers(1, 4),
    sizes=st.lists(st.integers(1, 5), min_size=0, max_size=2),
    activation=st.sampled_from(ACTIVATIONS),
    output_activation=st.sampled_from([None, "sigmoid", "tanh"]),
    loss=st.sampled_from(sorted(LOSSES)),
    m=st.integers(1, 9),
)
def test_the_matrix_form_equals_the_engine_on_random_networks(
    seed, nin, sizes, activation, output_activation, loss, m
):
    rng = random.Random(seed)
    model = nn.MLP(nin, [*sizes, 1], activation=activation, output_activation=output_activation, seed=seed)
    params = model.parameters()
    with autograd.no_grad():  # learned pReLU slopes away from their start, so α matters
        for p in params:
            if p.label.endswith("alpha"):
                p.data = rng.uniform(-0.5, 0.5)
    rows = [[rng.uniform(-2, 2) for _ in range(nin)] + [rng.choice([0.0, 1.0])] for _ in range(m)]

    def f(*a):
        return LOSSES[loss](model(list(a[:nin])), a[nin])

    compiled = autograd.compile(f, *rows[0], params=params)
    assert compiled.matrix is not None, compiled.matrix_reason
    assert "Z1 = X @ W1.T + b1" in compiled.matrix_source
    assert "dW1 = dZ1.T @ X / m" in compiled.matrix_source
    values, arg_grads, param_grads = _engine(f, rows, params)
    columns = [np.array(c) for c in zip(*rows)]
    result = compiled.batch(*columns, reduce="mean")
    assert all(_close(a, b) for a, b in zip(result.value.tolist(), values))
    for i in range(nin + 1):
        assert all(_close(a, b[i]) for a, b in zip(result.grads[i].tolist(), arg_grads))
    means = [math.fsum(g[j] for g in param_grads) / m for j in range(len(params))]
    assert all(_close(a, b) for a, b in zip(result.param_grads, means)), (result.param_grads, means)
    summed = compiled.batch(*columns, reduce="sum")
    assert all(_close(a, b * m) for a, b in zip(summed.param_grads, means))
    compiled.check(*rows[-1])  # the per-edge form and the matrix form, against the engine


@given(seed=st.integers(0, 10**6), k=st.integers(2, 5), hidden=st.integers(1, 6))
def test_cross_entropy_with_the_class_baked_in(seed, k, hidden):
    rng = random.Random(seed)
    model = nn.MLP(3, [hidden, k], activation="tanh", seed=seed)
    label = rng.randrange(k)

    def f(*xs):
        return nn.cross_entropy([model(list(xs))], [label])

    rows = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(5)]
    compiled = autograd.compile(f, *rows[0], params=model.parameters())
    assert compiled.matrix is not None
    assert "logsumexp(" in compiled.matrix_source
    values, _, param_grads = _engine(f, rows, model.parameters())
    result = compiled.batch(*[np.array(c) for c in zip(*rows)], reduce="sum")
    assert all(_close(a, b) for a, b in zip(result.value.tolist(), values))
    sums = [math.fsum(g[j] for g in param_grads) for j in range(len(model.parameters()))]
    assert all(_close(a, b) for a, b in zip(result.param_grads, sums))


def test_the_source_reads_like_the_hand_derivation():
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    compiled = autograd.compile(
        lambda a, b, t: nn.binary_cross_entropy_with_logits([model([a, b])], [t]),
        0.5,
        -1.0,
        1.0,
        params=model.parameters(),
    )
    source = compiled.matrix_source
    lines = [line.split("#")[0].strip() for line in source.splitlines()]
    for equation in (
        "Z1 = X @ W1.T + b1",
        "A1 = tanh(Z1)",
        "Z2 = A1 @ W2.T + b2",
        "dW2 = dZ2.T @ A1 / m",
        "db2 = sum_over_samples(dZ2) / m",
        "dA1 = dZ2 @ W2",
        "dZ1 = dA1 * (1.0 - A1 * A1)",
        "dW1 = dZ1.T @ X / m",
    ):
        assert equation in lines, equation
    assert source.count("@") == 5  # one product forward per layer, two backward per layer but the first
    assert "L2.N0.z" in source  # labels appear in comments
    assert repr(compiled.matrix).startswith("MatrixForm(2 layers: 2 -> 3 tanh -> 1 linear")


def test_the_layer_arrays_are_views_into_the_parameter_vector():
    model = nn.MLP(3, [4, 2], activation="relu", seed=0)
    compiled = autograd.compile(
        lambda *xs: sum_values(model(list(xs))), 0.1, 0.2, 0.3, params=model.parameters()
    )
    form = compiled.matrix
    flat = np.array([p.data for p in model.parameters()])
    views = form.views(flat)
    assert views is not None
    for view, gathered in zip(views, form.arrays(flat)):
        assert np.shares_memory(view, flat)
        assert np.array_equal(view, gathered)
    flat[0] = 42.0  # L1.N0.w1
    assert views[0][0, 0] == 42.0


def test_parameters_in_any_order():
    model = nn.MLP(2, [3, 2], activation="sigmoid", seed=4)
    params = model.parameters()
    random.Random(0).shuffle(params)

    def f(a, b):
        return nn.cross_entropy([model([a, b])], [1])

    compiled = autograd.compile(f, 0.2, 0.9, params=params)
    assert compiled.matrix.views(np.zeros(len(params))) is None  # no regular grid: W is gathered
    rows = [[0.2, 0.9], [-1.0, 0.5], [0.3, -0.3]]
    result = compiled.batch(*[np.array(c) for c in zip(*rows)], reduce="sum")
    _, _, param_grads = _engine(f, rows, params)
    assert all(_close(a, math.fsum(g[j] for g in param_grads)) for j, a in enumerate(result.param_grads))


# -- graphs that keep the per-edge form ------------------------------------------------


def _no_neurons():
    return (lambda x, y: (x * y + 2.0).tanh()), []


def _layer(n):
    weights = [[Parameter(0.1 * (j + 1), label=f"w{j}{i}") for i in range(2)] for j in range(n)]
    biases = [Parameter(0.05 * j, label=f"b{j}") for j in range(n)]
    return weights, biases, [w for row in weights for w in row] + biases


def _skip_connection():
    weights, biases, params = _layer(2)
    v, c = [Parameter(0.5), Parameter(-0.6)], Parameter(0.2)

    def f(x, y):
        h = [linear(weights[j], [x, y], biases[j]).tanh() for j in range(2)]
        return linear(v, h, c) + h[0]  # h[0] skips the second layer

    return f, [*params, *v, c]


def _shared_weights():
    w, b = Parameter(0.5), [Parameter(0.1), Parameter(-0.1)]
    return (lambda x, y: sum_values([linear([w, w], [x, y], b[j]).tanh() for j in range(2)])), [w, *b]


def _different_activations():
    weights, biases, params = _layer(2)

    def f(x, y):
        z = [linear(weights[j], [x, y], biases[j]) for j in range(2)]
        return z[0].tanh() + z[1].sigmoid()

    return f, params


def _weights_that_are_arguments():
    b = Parameter(0.1)
    return (lambda x, y: linear([x], [y], b).tanh()), [b]


FALLBACKS = {
    "no neurons": (_no_neurons, "no neurons"),
    "skip connection": (_skip_connection, "skip connection"),
    "shared weights": (_shared_weights, "shared"),
    "different activations": (_different_activations, "different activations"),
    "weights that are arguments": (_weights_that_are_arguments, "no neurons"),
}


@pytest.mark.parametrize("name", list(FALLBACKS))
def test_graphs_without_layers_keep_the_per_edge_form(name):
    make, words = FALLBACKS[name]
    f, params = make()
    compiled = autograd.compile(f, 0.3, -0.7, params=params)
    assert compiled.matrix is None
    assert compiled.matrix_source is None
    assert words in compiled.matrix_reason
    rows = [[0.3, -0.7], [-1.0, 0.5], [2.0, 0.25]]
    result = compiled.batch(*[np.array(c) for c in zip(*rows)], reduce="mean")  # the per-edge form
    values, _, param_grads = _engine(f, rows, params)
    assert all(_close(a, b) for a, b in zip(result.value.tolist(), values))
    means = [math.fsum(g[j] for g in param_grads) / 3 for j in range(len(params))]
    assert all(_close(a, b) for a, b in zip(result.param_grads, means))
    compiled.check(1.0, 2.0)


def test_a_matrix_failure_falls_back_to_the_per_edge_error():
    model = nn.MLP(1, [2, 1], activation="tanh", seed=0)
    compiled = autograd.compile(lambda x: (model([x]) + x).log(), 0.5, params=model.parameters())
    assert compiled.matrix is not None
    with pytest.raises(
        autograd.DomainError, match="sample 1"
    ):  # log of a negative output, named as the engine does
        compiled.batch(np.array([0.5, -30.0, 2.0]), reduce="mean")
