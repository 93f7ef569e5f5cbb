"""model.to_torch(): the same outputs and the same gradients as chaingrad."""

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from torch_or_skip import HAVE_TORCH, REASON, torch

import nn
from autograd import sum_values

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason=REASON)

MODELS = {
    "mlp tanh": lambda: nn.MLP(3, [5, 4, 2], activation="tanh", seed=1),
    "mlp relu": lambda: nn.MLP(3, [6, 1], activation="relu", seed=2),
    "mlp leaky + sigmoid": lambda: nn.MLP(
        3, [4, 1], activation="leaky_relu", output_activation="sigmoid", slope=0.3, seed=3
    ),
    "mlp prelu": lambda: nn.MLP(3, [4, 2], activation="prelu", slope=0.3, seed=6),
    "layer": lambda: nn.Layer(3, 2, activation="sigmoid", seed=4),
    "neuron": lambda: nn.Neuron(3, activation="tanh", seed=5),
    "logistic": lambda: nn.LogisticRegression(3, init="random", seed=6),
    "linear": lambda: nn.LinearRegression(3, init="random", seed=7),
}


def outputs(out):
    return out if isinstance(out, list) else [out]


@needs_torch
@pytest.mark.parametrize("name", list(MODELS))
@given(x=st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_outputs_and_gradients_equal_chaingrad(name, x):
    model = MODELS[name]()
    twin = model.to_torch()
    assert all(p.dtype == torch.float64 for p in twin.parameters())

    ours = outputs(model(x))
    tx = torch.tensor([x], dtype=torch.float64)
    theirs = twin(tx)[0]
    assert [v.data for v in ours] == pytest.approx(theirs.tolist(), rel=1e-12, abs=1e-14)

    # gradients of a weighted sum of the outputs, for every parameter
    coefficients = [1.0, -2.0][: len(ours)]
    sum_values([c * v for c, v in zip(coefficients, ours)]).backward()
    (theirs * torch.tensor(coefficients, dtype=torch.float64)).sum().backward()
    torch_grads = []
    modules = list(twin)
    for k, linear in enumerate(modules):
        if not isinstance(linear, torch.nn.Linear):
            continue
        after = modules[k + 1] if k + 1 < len(modules) else None
        alphas = after.weight.grad.tolist() if isinstance(after, torch.nn.PReLU) else None
        for j, (row, bias) in enumerate(zip(linear.weight.grad.tolist(), linear.bias.grad.tolist())):
            # the order of model.parameters(): w1..wn, b (and pReLU's alpha) per neuron
            torch_grads += [*row, bias] + ([alphas[j]] if alphas is not None else [])
    assert [p.grad for p in model.parameters()] == pytest.approx(torch_grads, rel=1e-9, abs=1e-12)


@needs_torch
def test_weights_land_where_the_matrix_form_puts_them():
    layer = nn.Layer(2, 2, activation=None)
    layer.load_state_dict({"N0.w1": 1, "N0.w2": -2, "N0.b": 1, "N1.w1": -1, "N1.w2": 1, "N1.b": 0})
    (linear,) = layer.to_torch()
    assert linear.weight.tolist() == [[1.0, -2.0], [-1.0, 1.0]] and linear.bias.tolist() == [1.0, 0.0]
    assert linear(torch.tensor([[1.0, -1.0]], dtype=torch.float64)).tolist() == [[4.0, -2.0]]


def test_without_torch_the_error_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ModuleNotFoundError, match="pip install torch"):
        nn.MLP(2, [1]).to_torch()


def test_a_module_without_a_torch_form_is_refused():
    class Doubler(nn.Module):
        def forward(self, x):
            return x * 2

    with pytest.raises(TypeError, match="no PyTorch equivalent"):
        Doubler().to_torch()
