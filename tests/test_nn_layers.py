"""Neuron, Layer, MLP and the regression models: names, shapes, and gradients
against derivations by hand (the 2-2-1 sigmoid network, the δ-rule for deep
networks, logistic regression)."""

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from torch_or_skip import torch

import nn
from autograd import Value

small = st.floats(-2.0, 2.0, allow_nan=False)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def set_weights(model: nn.Module, values: dict[str, float]) -> None:
    state = model.state_dict()
    state.update(values)
    model.load_state_dict(state)


# -- names --------------------------------------------------------------------


def test_mlp_parameter_labels_follow_the_name_scheme():
    model = nn.MLP(2, [3, 1])
    expected = []
    for layer, (nin, nout) in enumerate([(2, 3), (3, 1)], 1):
        for j in range(nout):
            expected += [f"L{layer}.N{j}.w{i}" for i in range(1, nin + 1)] + [f"L{layer}.N{j}.b"]
    assert [p.label for p in model.parameters()] == expected
    assert [name for name, _ in model.named_parameters()] == expected
    assert list(model.state_dict()) == expected
    assert all(p.is_parameter for p in model.parameters())


def test_forward_labels_inputs_pre_activations_and_outputs():
    model = nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid")
    out = model([1.0, -1.0])
    assert out.label == "L2.N0.h"
    (z,) = out.inputs
    assert z.label == "L2.N0.z" and z.op == "linear"
    hidden = z.inputs[2:4]  # inputs laid out (w1, w2, x1, x2, b)
    assert [h.label for h in hidden] == ["L1.N0.h", "L1.N1.h"]
    first_z = hidden[0].inputs[0]
    assert [v.label for v in first_z.inputs] == ["L1.N0.w1", "L1.N0.w2", "x1", "x2", "L1.N0.b"]
    # both neurons of layer 1 read the very same input nodes
    assert hidden[1].inputs[0].inputs[2] is first_z.inputs[2]


def test_name_scope_prefixes_every_label():
    model = nn.MLP(1, [1], name="net")
    assert [p.label for p in model.parameters()] == ["net.L1.N0.w1", "net.L1.N0.b"]
    assert model([0.5]).label == "net.L1.N0.z"
    layer = nn.Layer(1, 2)
    assert [p.label for p in layer.parameters()] == ["N0.w1", "N0.b", "N1.w1", "N1.b"]
    neuron = nn.Neuron(2)
    assert [p.label for p in neuron.parameters()] == ["w1", "w2", "b"]
    assert neuron([1.0, 2.0]).label == "h"


def test_regression_models_use_the_labels_of_the_hand_derivation():
    logistic = nn.LogisticRegression(2)
    assert [p.label for p in logistic.parameters()] == ["w1", "w2", "b"]
    yhat = logistic([1.0, 2.0])
    assert yhat.label == "yhat" and yhat.op == "sigmoid" and yhat.inputs[0].label == "z"
    assert yhat.data == 0.5  # zero weights by default
    linear = nn.LinearRegression(3)
    out = linear([1.0, 2.0, 3.0])
    assert out.label == "yhat" and out.op == "linear"


def test_values_passed_in_keep_their_labels():
    a = Value(1.0, label="a")
    out = nn.Neuron(1, activation=None)([a])
    assert out.inputs[1] is a


# -- shapes -------------------------------------------------------------------


def test_layer_always_returns_a_list():
    assert isinstance(nn.Layer(2, 1)([1.0, 2.0]), list)
    assert len(nn.Layer(2, 3)([1.0, 2.0])) == 3


def test_mlp_returns_a_value_for_one_output_and_a_list_otherwise():
    assert isinstance(nn.MLP(2, [4, 1])([1.0, 2.0]), Value)
    out = nn.MLP(2, [4, 3])([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


@pytest.mark.parametrize(("nin", "sizes"), [(1, [1]), (2, [16, 16, 1]), (3, [4, 2])])
def test_parameter_count(nin, sizes):
    widths = [nin, *sizes]
    expected = sum((a + 1) * b for a, b in itertools.pairwise(widths))
    assert len(nn.MLP(nin, sizes).parameters()) == expected


def test_one_number_is_accepted_for_one_input():
    neuron = nn.Neuron(1, activation=None, init="zeros", bias_init=lambda *_: 2.0)
    assert neuron(5.0).data == 2.0


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: nn.MLP(2, [1])([1.0]), ValueError, "takes 2 inputs, got 1"),
        (lambda: nn.MLP(2, [1])("ab"), TypeError, "list of 2 numbers"),
        (lambda: nn.MLP(2, [1])(None), TypeError, "list of 2 numbers"),
        (lambda: nn.Layer(2, 2)([1.0, "x"]), TypeError, "string"),
        (lambda: nn.MLP(2, []), ValueError, "at least one layer"),
        (lambda: nn.MLP(2, 3), TypeError, "list of layer sizes"),
        (lambda: nn.MLP(2, [0]), ValueError, "at least 1"),
        (lambda: nn.MLP(2.5, [1]), TypeError, "positive int"),
        (lambda: nn.Neuron(2, activation="swish"), ValueError, "unknown activation"),
        (lambda: nn.Neuron(2, activation=3), TypeError, "activation"),
        (lambda: nn.Neuron(2, init="uniformish"), ValueError, "unknown initialiser"),
        (lambda: nn.Neuron(2, seed="0"), TypeError, "seed"),
        (lambda: nn.Neuron(2, slope=math.nan), ValueError, "finite"),
    ],
)
def test_bad_arguments_are_explained(call, error, words):
    with pytest.raises(error, match=words):
        call()


# -- activations ---------------------------------------------------------------

ACTIVATIONS = {
    "sigmoid": (sigmoid, torch.sigmoid),
    "tanh": (math.tanh, torch.tanh),
    "relu": (lambda x: max(x, 0.0), torch.relu),
    "leaky_relu": (lambda x: x if x > 0 else 0.2 * x, lambda t: torch.nn.functional.leaky_relu(t, 0.2)),
    "linear": (lambda x: x, lambda t: t),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@given(w=small, b=small, x=small)
def test_activations_match_the_closed_form_and_torch(name, w, b, x):
    closed, torch_fn = ACTIVATIONS[name]
    neuron = nn.Neuron(1, activation=name, slope=0.2)
    set_weights(neuron, {"w1": w, "b": b})
    out = neuron([x])
    assert out.data == pytest.approx(closed(w * x + b), rel=1e-12, abs=1e-15)
    out.backward()
    tw = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    t_out = torch_fn(tw * x + tb)
    t_out.backward()
    assert out.data == pytest.approx(t_out.item(), rel=1e-12, abs=1e-15)
    assert neuron.w[0].grad == pytest.approx(tw.grad.item(), rel=1e-12, abs=1e-15)
    assert neuron.b.grad == pytest.approx(tb.grad.item(), rel=1e-12, abs=1e-15)


@given(w=small, b=small, x=small, alpha=st.floats(0.0, 1.0))
def test_prelu_learns_its_slope_like_torch(w, b, x, alpha):
    """pReLU: h = max(z, 0) + α·min(z, 0) with α a parameter of the
    neuron; ∂h/∂α = min(z, 0) and ∂h/∂z = 1 or α, as torch's prelu."""
    neuron = nn.Neuron(1, activation="prelu", slope=0.25)
    assert [p.label for p in neuron.parameters()] == ["w1", "b", "alpha"]
    assert neuron.alpha.data == 0.25
    set_weights(neuron, {"w1": w, "b": b, "alpha": alpha})
    out = neuron([x])
    z = w * x + b
    assert out.data == pytest.approx(max(z, 0.0) + alpha * min(z, 0.0), rel=1e-12, abs=1e-15)
    out.backward()
    assert neuron.alpha.grad == pytest.approx(min(z, 0.0), rel=1e-12, abs=1e-15)
    tw, tb, ta = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (w, b, alpha))
    t_out = torch.nn.functional.prelu((tw * x + tb).reshape(1), ta.reshape(1))
    t_out.sum().backward()
    assert out.data == pytest.approx(t_out.item(), rel=1e-12, abs=1e-15)
    for ours, theirs in ((neuron.w[0], tw), (neuron.b, tb), (neuron.alpha, ta)):
        assert ours.grad == pytest.approx(theirs.grad.item(), rel=1e-12, abs=1e-15)


def test_prelu_slopes_are_learned_saved_and_loaded(tmp_path):
    X, y = nn.datasets.moons(30, seed=0)
    model = nn.MLP(2, [4, 1], activation="prelu", seed=0)
    before = [n.alpha.data for n in model.layers[0].neurons]
    nn.fit(model, X, y, "hinge", nn.SGD(model.parameters(), lr=0.5), epochs=5, progress=False)
    after = [n.alpha.data for n in model.layers[0].neurons]
    assert after != before
    model.save(tmp_path / "m.json")
    again = nn.load(tmp_path / "m.json")
    assert [n.alpha.data for n in again.layers[0].neurons] == after
    assert again([0.3, -0.2]).data == model([0.3, -0.2]).data


def test_linear_activation_adds_no_node():
    out = nn.Neuron(2, activation="linear")([1.0, 2.0])
    assert out.op == "linear" and out.label == "z"
    assert nn.Neuron(2, activation=None).activation is None


# -- the forward pass against plain arithmetic ------------------------------------


def test_the_hand_network_matrix_example_gives_4_and_minus_2():
    """W = [[1, -2], [-1, 1]], x = [1, -1], b = [1, 0]: W x + b = [4, -2]."""
    layer = nn.Layer(2, 2, activation=None)
    layer.load_state_dict({"N0.w1": 1, "N0.w2": -2, "N0.b": 1, "N1.w1": -1, "N1.w2": 1, "N1.b": 0})
    assert [v.data for v in layer([1, -1])] == [4.0, -2.0]


@given(x1=small, x2=small, seed=st.integers(0, 10_000))
def test_mlp_output_equals_plain_float_forward(x1, x2, seed):
    model = nn.MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=seed)
    w = model.state_dict()
    hidden = [math.tanh(w[f"L1.N{j}.w1"] * x1 + w[f"L1.N{j}.w2"] * x2 + w[f"L1.N{j}.b"]) for j in range(3)]
    expected = [
        sigmoid(sum(w[f"L2.N{k}.w{i + 1}"] * hidden[i] for i in range(3)) + w[f"L2.N{k}.b"]) for k in range(2)
    ]
    out = model([x1, x2])
    assert [v.data for v in out] == pytest.approx(expected, rel=1e-12)


# -- gradients against formulas derived by hand -------------------------------------


@given(
    weights=st.lists(small, min_size=9, max_size=9),
    x1=small,
    x2=small,
    y=st.sampled_from([0.0, 1.0, 0.3]),
)
def test_two_two_one_sigmoid_network_hand_formulas(weights, x1, x2, y):
    """L = ½(y - ŷ)²: ∂L/∂w1 = -(y-ŷ)ŷ(1-ŷ)h1, ∂L/∂b = -(y-ŷ)ŷ(1-ŷ),
    ∂L/∂w11 = -(y-ŷ)ŷ(1-ŷ)·w1·h1(1-h1)·x1, ∂L/∂b1 = -(y-ŷ)ŷ(1-ŷ)·w1·h1(1-h1)."""
    model = nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid")
    names = list(model.state_dict())
    model.load_state_dict(dict(zip(names, weights)))
    w11, w12, b1, w21, w22, b2, w1, w2, b = weights
    h1 = sigmoid(w11 * x1 + w12 * x2 + b1)
    h2 = sigmoid(w21 * x1 + w22 * x2 + b2)
    yhat = sigmoid(w1 * h1 + w2 * h2 + b)

    loss = nn.half_sse(model([x1, x2]), y)
    assert loss.data == pytest.approx(0.5 * (y - yhat) ** 2, rel=1e-12, abs=1e-300)
    loss.backward()
    grads = {name: p.grad for name, p in model.named_parameters()}
    dl_da = -(y - yhat) * yhat * (1 - yhat)
    assert grads["L2.N0.w1"] == pytest.approx(dl_da * h1, rel=1e-9, abs=1e-15)
    assert grads["L2.N0.w2"] == pytest.approx(dl_da * h2, rel=1e-9, abs=1e-15)
    assert grads["L2.N0.b"] == pytest.approx(dl_da, rel=1e-9, abs=1e-15)
    dl_da1 = dl_da * w1 * h1 * (1 - h1)
    assert grads["L1.N0.w1"] == pytest.approx(dl_da1 * x1, rel=1e-9, abs=1e-15)
    assert grads["L1.N0.w2"] == pytest.approx(dl_da1 * x2, rel=1e-9, abs=1e-15)
    assert grads["L1.N0.b"] == pytest.approx(dl_da1, rel=1e-9, abs=1e-15)
    dl_da2 = dl_da * w2 * h2 * (1 - h2)
    assert grads["L1.N1.w1"] == pytest.approx(dl_da2 * x1, rel=1e-9, abs=1e-15)
    assert grads["L1.N1.b"] == pytest.approx(dl_da2, rel=1e-9, abs=1e-15)


def delta_rule_gradients(weights, biases, x, y):
    """The δ-rule for deep networks, in plain floats:
    δ^L_i = e_i h_i(1-h_i), δ^l_i = (Σ_j w^{l+1}_ji δ^{l+1}_j) h_i(1-h_i);
    ∂J/∂w^l_ij = -δ^l_i h^{l-1}_j and ∂J/∂b^l_i = -δ^l_i, for J = ½ Σ e², e = y - h^L.

    weights[l][i][j]: layer l (from 0), neuron i, input j. Returns (dW, db) the same shape.
    """
    hs = [list(x)]
    for W, b in zip(weights, biases):
        prev = hs[-1]
        hs.append([sigmoid(sum(wij * hj for wij, hj in zip(row, prev)) + bi) for row, bi in zip(W, b)])
    errors = [yi - hi for yi, hi in zip(y, hs[-1])]
    deltas = [ei * hi * (1 - hi) for ei, hi in zip(errors, hs[-1])]
    dW = [None] * len(weights)
    db = [None] * len(weights)
    for layer in reversed(range(len(weights))):
        prev = hs[layer]
        dW[layer] = [[-d * hj for hj in prev] for d in deltas]
        db[layer] = [-d for d in deltas]
        if layer:
            W = weights[layer]
            deltas = [
                sum(W[j][i] * deltas[j] for j in range(len(deltas))) * hi * (1 - hi)
                for i, hi in enumerate(hs[layer])
            ]
    return dW, db


@given(
    seed=st.integers(0, 10_000),
    x=st.lists(small, min_size=2, max_size=2),
    y=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=2),
)
def test_delta_rule_for_a_three_layer_sigmoid_net(seed, x, y):
    sizes = [3, 3, 2]
    model = nn.MLP(2, sizes, activation="sigmoid", output_activation="sigmoid", seed=seed)
    state = model.state_dict()
    widths = [2, *sizes]
    weights = [
        [[state[f"L{k + 1}.N{i}.w{j + 1}"] for j in range(widths[k])] for i in range(widths[k + 1])]
        for k in range(3)
    ]
    biases = [[state[f"L{k + 1}.N{i}.b"] for i in range(widths[k + 1])] for k in range(3)]
    dW, db = delta_rule_gradients(weights, biases, x, y)

    loss = nn.half_sse(model(x), y)  # J = ½ Σ_j e_j² over the two outputs
    loss.backward()
    grads = {name: p.grad for name, p in model.named_parameters()}
    for k in range(3):
        for i in range(widths[k + 1]):
            for j in range(widths[k]):
                assert grads[f"L{k + 1}.N{i}.w{j + 1}"] == pytest.approx(dW[k][i][j], rel=1e-9, abs=1e-15)
            assert grads[f"L{k + 1}.N{i}.b"] == pytest.approx(db[k][i], rel=1e-9, abs=1e-15)


@given(
    w=st.lists(small, min_size=3, max_size=3),
    b=small,
    x=st.lists(small, min_size=3, max_size=3),
    y=st.sampled_from([0, 1]),
)
def test_logistic_regression_gradient_is_yhat_minus_y_times_x(w, b, x, y):
    """Logistic regression by hand, with cross-entropy: ∂L/∂w_i = (ŷ - y)·x_i, ∂L/∂b = ŷ - y."""
    for loss_fn, output in (
        (nn.binary_cross_entropy, lambda m: m(x)),
        (nn.binary_cross_entropy_with_logits, lambda m: m(x).inputs[0]),  # z, before the sigmoid
    ):
        model = nn.LogisticRegression(3)
        model.load_state_dict({"w1": w[0], "w2": w[1], "w3": w[2], "b": b})
        yhat = sigmoid(sum(wi * xi for wi, xi in zip(w, x)) + b)
        loss_fn([output(model)], [y]).backward()
        for wi, xi in zip(model.w, x):
            assert wi.grad == pytest.approx((yhat - y) * xi, rel=1e-9, abs=1e-12)
        assert model.b.grad == pytest.approx(yhat - y, rel=1e-9, abs=1e-12)


# -- Module behaviour ------------------------------------------------------------


def test_zero_grad_and_train_eval_flags():
    model = nn.MLP(2, [2, 1])
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert model.eval() is model
    assert not model.training and not model.layers[0].training and not model.layers[0].neurons[1].training
    model.train()
    assert model.training and model.layers[1].neurons[0].training


def test_reprs():
    assert repr(nn.MLP(2, [16, 1])) == "MLP(nin=2, sizes=[16, 1], activation='tanh', output_activation=None)"
    assert "slope=0.2" in repr(nn.Layer(2, 3, "leaky_relu", slope=0.2))
    assert repr(nn.LogisticRegression(2)) == "LogisticRegression(nin=2)"
    small_html = nn.Neuron(2)._repr_html_()
    assert "3 parameters" in small_html and "<td><code>w1</code></td>" in small_html
    assert "<table>" not in nn.MLP(2, [16, 1])._repr_html_()


def test_same_seed_same_model_and_different_seed_different_model():
    assert nn.MLP(2, [4, 1], seed=7).state_dict() == nn.MLP(2, [4, 1], seed=7).state_dict()
    assert nn.MLP(2, [4, 1], seed=7).state_dict() != nn.MLP(2, [4, 1], seed=8).state_dict()
    # neurons of one layer get different weights (the generator advances)
    layer = nn.Layer(3, 2)
    assert [w.data for w in layer.neurons[0].w] != [w.data for w in layer.neurons[1].w]
