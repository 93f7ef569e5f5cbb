"""Models copy and pickle: ``copy.deepcopy`` and ``pickle`` give equal models that
share nothing with the original and train on their own (pReLU's learned α included)."""

from __future__ import annotations

import copy
import multiprocessing
import pickle
import types
from collections.abc import Callable
from typing import Any

import pytest

import nn
from autograd import Value
from nn.activations import activation_function

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "prelu", None]


def pickled(model: Any) -> Any:
    return pickle.loads(pickle.dumps(model))


COPIES = {"deepcopy": copy.deepcopy, "pickle": pickled}


def every_model_kind() -> list[tuple[str, Callable[[], nn.Module]]]:
    kinds: list[tuple[str, Callable[[], nn.Module]]] = []
    for act in ACTIVATIONS:
        kinds.append((f"Neuron-{act}", lambda act=act: nn.Neuron(3, act, slope=0.2, seed=1)))
        kinds.append((f"Layer-{act}", lambda act=act: nn.Layer(3, 2, act, slope=0.2, seed=2)))
        kinds.append((f"MLP-{act}", lambda act=act: nn.MLP(3, [4, 2], act, act, slope=0.2, seed=3)))
    kinds.append(("LogisticRegression", lambda: nn.LogisticRegression(3, init="random", seed=4)))
    kinds.append(("LinearRegression", lambda: nn.LinearRegression(3, init="random", seed=5)))
    return kinds


KINDS = every_model_kind()
INPUTS = [[0.5, -1.5, 2.0], [-2.0, -1.0, -0.5], [1.0, 1.0, -3.0]]


def outputs(model: nn.Module) -> list[Any]:
    return nn.predict(model, INPUTS)


def nudge(model: nn.Module) -> None:
    """One SGD step on a loss that reaches every parameter (pReLU's α needs a negative z)."""
    opt = nn.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()
    total = []
    for x in INPUTS:
        out = model(x)
        for o in out if isinstance(out, list) else [out]:
            total.append(o * o)
    loss = total[0]
    for term in total[1:]:
        loss = loss + term
    loss.backward()
    opt.step()


@pytest.mark.parametrize("how", COPIES)
@pytest.mark.parametrize(("kind", "make"), KINDS, ids=[k for k, _ in KINDS])
def test_a_copy_is_equal_and_shares_nothing(kind: str, make: Callable[[], nn.Module], how: str) -> None:
    model = make()
    twin = COPIES[how](model)
    assert type(twin) is type(model)
    assert twin.config() == model.config()
    assert twin.state_dict() == model.state_dict()
    assert outputs(twin) == outputs(model)
    assert not {id(p) for p in twin.parameters()} & {id(p) for p in model.parameters()}


@pytest.mark.parametrize("how", COPIES)
@pytest.mark.parametrize(("kind", "make"), KINDS, ids=[k for k, _ in KINDS])
def test_a_copy_trains_on_its_own(kind: str, make: Callable[[], nn.Module], how: str) -> None:
    model = make()
    before = model.state_dict()
    twin = COPIES[how](model)
    nudge(twin)
    assert model.state_dict() == before, "training the copy changed the original"
    changed = [name for name, v in twin.state_dict().items() if v != before[name]]
    assert changed, "the copy did not learn"
    nudge(model)
    assert model.state_dict() != before


@pytest.mark.parametrize("how", COPIES)
def test_prelu_alpha_is_copied_not_shared(how: str) -> None:
    """The copy's output follows its own α, and the original's follows its own."""
    model = nn.MLP(2, [3, 1], activation="prelu", seed=0)
    twin = COPIES[how](model)
    alphas = [p for p in twin.parameters() if p.label.endswith("alpha")]
    assert len(alphas) == 3
    x = [-3.0, -3.0]  # pushes some hidden pre-activations below 0
    original_out = nn.predict(model, [x])
    for alpha in alphas:
        alpha.data = 0.9
    assert nn.predict(model, [x]) == original_out
    assert nn.predict(twin, [x]) != original_out
    # the copy's graph reads the copy's α
    out = twin(x)
    from autograd import topological_order

    leaves = {id(v) for v in topological_order(out) if v.is_parameter}
    assert {id(a) for a in alphas} <= leaves
    assert not leaves & {id(p) for p in model.parameters()}


def test_prelu_copy_learns_its_slope_under_fit() -> None:
    X = [[-1.0, -2.0], [-2.0, 1.0], [0.5, -1.5], [-0.5, -0.5]]
    y = [1.0, 0.0, 1.0, 0.0]
    model = nn.MLP(2, [3, 1], activation="prelu", seed=0)
    twin = copy.deepcopy(model)
    start = {k: v for k, v in twin.state_dict().items() if k.endswith("alpha")}
    nn.fit(twin, X, y, "mse", nn.SGD(twin.parameters(), lr=0.5), epochs=5, progress=False)
    learned = {k: v for k, v in twin.state_dict().items() if k.endswith("alpha")}
    assert learned != start
    assert {k: v for k, v in model.state_dict().items() if k.endswith("alpha")} == start


def _functions_stored_in(model: nn.Module) -> list[str]:
    """Every function object reachable from the modules' attributes (walked with a stack)."""
    found = []
    stack: list[tuple[str, Any]] = [(type(m).__name__, vars(m)) for m in model.modules()]
    while stack:
        where, obj = stack.pop()
        if isinstance(obj, dict):
            stack.extend((f"{where}.{k}", v) for k, v in obj.items())
        elif isinstance(obj, (list, tuple)):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(obj))
        elif isinstance(obj, (types.FunctionType, types.MethodType, types.BuiltinFunctionType)):
            found.append(f"{where} = {obj!r}")
    return found


@pytest.mark.parametrize(("kind", "make"), KINDS, ids=[k for k, _ in KINDS])
def test_models_store_no_functions(kind: str, make: Callable[[], nn.Module]) -> None:
    assert _functions_stored_in(make()) == []


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_activation_functions_pickle_and_apply_the_op(name: str) -> None:
    f = activation_function(name, slope=0.3)
    g = pickled(f)
    for x in (-2.0, 0.0, 1.5):
        expected = getattr(Value(x), name)(0.3) if name == "leaky_relu" else getattr(Value(x), name)()
        assert g(Value(x)).data == f(Value(x)).data == expected.data
    assert g == f
    slope = ", slope=0.3" if name == "leaky_relu" else ""
    assert repr(g) == f"Activation({name!r}{slope})"


def test_model_and_optimizer_copied_together_stay_connected() -> None:
    model = nn.MLP(2, [2, 1], activation="prelu", seed=0)
    opt = nn.Adam(model.parameters(), lr=0.1)
    model2, opt2 = copy.deepcopy((model, opt))
    assert [id(p) for p in opt2.params] == [id(p) for p in model2.parameters()]
    X, y = [[-1.0, 2.0], [1.0, -2.0]], [1.0, 0.0]
    before = model.state_dict()
    nn.fit(model2, X, y, "mse", opt2, epochs=3, progress=False)
    assert model.state_dict() == before
    assert model2.state_dict() != before


def _predict_in_child(model: nn.Module) -> list[Any]:
    return nn.predict(model, INPUTS)


def test_models_go_through_multiprocessing() -> None:
    model = nn.MLP(3, [4, 1], activation="prelu", seed=7)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        result = pool.apply(_predict_in_child, (model,))
    assert result == outputs(model)
