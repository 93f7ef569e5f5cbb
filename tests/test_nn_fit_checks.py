"""fit checks all the data before the first update, and compile=True proves that
every sample builds the traced graph, or refuses: never a half-trained model."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spies import CountingSGD

import nn
from autograd import TraceMismatchError, Value
from autograd.errors import ChaingradError, DataError, DataTypeError

BAD = 39  # the bad sample sits in the 20th mini-batch of 2


def moons_with(change: Callable[[list, list], None], n: int = 60) -> tuple[list, list]:
    X, y = nn.datasets.moons(n, noise=0.1, seed=0)
    X = [list(x) for x in X]
    change(X, y)
    return X, y


def setter(which: str, value: Any) -> Callable[[list, list], None]:
    def change(X: list, y: list) -> None:
        if which == "x":
            X[BAD] = value
        elif which == "x1":
            X[BAD][1] = value
        else:
            y[BAD] = value

    return change


BAD_DATA = {
    # name: (change, loss, error class, words)
    "a NaN feature": (setter("x1", math.nan), "mse", DataError, r"X\[39\].*nan"),
    "an inf feature": (setter("x1", math.inf), "mse", DataError, r"X\[39\].*inf"),
    "a string feature": (setter("x1", "0.5"), "mse", DataTypeError, r"X\[39\].*str"),
    "None as a feature": (setter("x1", None), "mse", DataTypeError, r"X\[39\].*None"),
    "a sample too long": (setter("x", [0.1, 0.2, 0.3]), "mse", DataError, r"X\[39\] has 3 features.*2"),
    "a sample too short": (setter("x", [0.1]), "mse", DataError, r"X\[39\] has 1 feature.*2"),
    "a sample that is a string": (setter("x", "ab"), "mse", DataTypeError, r"X\[39\] is a str"),
    "a NaN target": (setter("y", math.nan), "mse", DataError, r"y\[39\].*nan"),
    "a string target": (setter("y", "1"), "mse", DataTypeError, r"y\[39\].*str"),
    "a target of 2 for BCE": (
        setter("y", 2),
        "binary_cross_entropy_with_logits",
        DataError,
        r"target 39 is 2.0; targets are probabilities",
    ),
    "a class index of 0.5": (setter("y", 0.5), "cross_entropy", DataError, r"class 39 is 0.5"),
    "a hinge label of 3": (setter("y", 3), "hinge", DataError, r"label 3.0"),
}


@pytest.mark.parametrize("case", list(BAD_DATA))
def test_bad_data_is_refused_before_the_first_update(case: str) -> None:
    change, loss, error, words = BAD_DATA[case]
    X, y = moons_with(change)
    outputs = 2 if loss == "cross_entropy" else 1
    model = nn.MLP(2, [4, outputs], seed=0)
    before = model.state_dict()
    opt = CountingSGD(model.parameters(), lr=0.1)
    with pytest.raises(error, match=words) as caught:
        nn.fit(model, X, y, loss, opt, epochs=2, batch_size=2, progress=False)
    assert isinstance(caught.value, ChaingradError) and str(caught.value).startswith("fit")
    assert opt.calls == 0 and model.state_dict() == before


def test_hinge_labels_mixing_0_and_minus_1_in_different_batches_are_refused_first() -> None:
    X, y = moons_with(lambda X, y: None)
    y = [1] * len(y)
    y[3], y[BAD] = 0, -1  # each alone is a valid labelling; together they are not
    model = nn.MLP(2, [4, 1], seed=0)
    opt = CountingSGD(model.parameters(), lr=0.1)
    with pytest.raises(DataError, match="labels mix 0 and -1"):
        nn.fit(model, X, y, "hinge", opt, epochs=1, batch_size=2, progress=False)
    assert opt.calls == 0


def test_a_model_error_on_one_sample_names_it_before_training() -> None:
    def model(x: list) -> Value:
        if x[0] > 2.5:
            raise ValueError("this model reads x1 up to 2.5")  # not ours: still reported with the index
        return w * x[0] + w * x[1]

    w = nn.Neuron(1).w[0]
    X, y = moons_with(lambda X, y: None)
    X[BAD] = [3.0, 2.0]
    opt = CountingSGD([w], lr=0.1)
    with pytest.raises(
        DataError, match=r"fit: sample 39: the model raised ValueError: .*up to 2.5"
    ) as caught:
        nn.fit(model, X, y, "mse", opt, epochs=1, batch_size=2, progress=False)
    assert isinstance(caught.value.__cause__, ValueError)
    assert opt.calls == 0


@pytest.mark.parametrize(
    ("X", "y", "error", "words"),
    [
        ("abc", [1, 2, 3], DataTypeError, "X must be a list of samples"),
        ([[1.0]], 5, DataTypeError, "y must be a list of targets"),
        ([[1.0], [2.0]], [1.0], DataError, "2 inputs in X but 1 targets"),
        ([], [], DataError, "no data"),
        ([[1.0], [2.0, 3.0]], [1.0, 2.0], DataError, r"X\[1\] has 2 features"),
        ([[1.0], [2.0]], [[1.0, 2.0], 3.0], DataError, r"y\[1\] is one number but y\[0\] is a list"),
    ],
)
def test_the_shape_of_the_data_is_checked_first(X: Any, y: Any, error: type, words: str) -> None:
    model = nn.LinearRegression(1)
    with pytest.raises(error, match=words):
        nn.fit(model, X, y, "mse", progress=False)
    assert model.state_dict() == {"w1": 0.0, "b": 0.0}


def test_numbers_of_any_real_type_and_values_are_accepted() -> None:
    np = pytest.importorskip("numpy")
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    y = np.array([1, 1, 0, 0])
    model = nn.MLP(2, [3, 1], seed=0)
    history = nn.fit(model, X, y, "binary_cross_entropy_with_logits", epochs=2, progress=False)
    assert history.updates == 2
    X2 = [[Value(0.5), 1], [True, 0.25]]
    nn.fit(nn.MLP(2, [1], seed=0), X2, [Value(1.0), 0], "mse", epochs=1, progress=False)


# -- compile=True: every sample's graph is the traced one, or no training at all ------------


def rare_branch_loss(threshold: float) -> Callable[[list, list], Value]:
    """A loss with a Python `if` on the data that only the samples with x above ``threshold`` take."""

    def loss(predictions: list, targets: list) -> Value:
        terms = []
        for p, t in zip(predictions, targets):
            e = p - t
            target = t.data if isinstance(t, Value) else t  # a Value when compiled, a number otherwise
            terms.append(e * e * 3.0 if target > threshold else e * e)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total / len(terms)

    return loss


def test_a_branch_one_sample_in_200_takes_is_refused_before_training() -> None:
    X, _ = nn.datasets.linear(200, seed=3)
    y = [float(i) / 200 for i in range(200)]
    y[137] = 5.0  # the only target above 1
    model = nn.MLP(len(X[0]), [4, 1], seed=0)
    before = model.state_dict()
    opt = CountingSGD(model.parameters(), lr=0.01)
    with pytest.raises(TraceMismatchError, match=r"sample 137 .*cannot be compiled faithfully") as caught:
        nn.fit(model, X, y, rare_branch_loss(1.0), opt, epochs=3, batch_size=16, progress=False, compile=True)
    assert isinstance(caught.value, ValueError)
    assert opt.calls == 0 and model.state_dict() == before
    # the engine follows the branch sample by sample, so compile=False trains
    nn.fit(model, X, y, rare_branch_loss(1.0), opt, epochs=1, batch_size=16, progress=False)
    assert opt.calls > 0


def test_a_model_branching_on_one_rare_feature_value_is_refused() -> None:
    mlp = nn.MLP(2, [3, 1], seed=1)

    class Gated(nn.Module):
        def forward(self, x: Any) -> Value:
            out = mlp(x)
            return out.relu() if x[0] > 2.5 else out  # x is a list of numbers or Values

        def parameters(self) -> list:
            return mlp.parameters()

    X, y = nn.datasets.moons(200, noise=0.1, seed=1)
    X = [list(x) for x in X]
    X[181] = [2.6, 0.0]
    before = mlp.state_dict()
    with pytest.raises(TraceMismatchError, match="sample 181"):
        nn.fit(Gated(), X, y, "mse", epochs=2, progress=False, compile=True)
    assert mlp.state_dict() == before


def test_a_loss_without_branches_still_compiles_and_matches_the_engine() -> None:
    X, _ = nn.datasets.linear(50, seed=3)
    y = [float(i) / 50 for i in range(50)]
    runs = []
    for compiled in (False, True):
        model = nn.MLP(len(X[0]), [4, 1], seed=0)
        nn.fit(model, X, y, rare_branch_loss(10.0), nn.SGD(model.parameters(), lr=0.01), epochs=2,
               batch_size=8, progress=False, compile=compiled)  # fmt: skip
        runs.append(list(model.state_dict().values()))
    assert runs[1] == pytest.approx(runs[0], rel=1e-12, abs=1e-12)


BAD_FEATURES = [math.nan, math.inf, -math.inf, "1.0", None, [1.0], 1e400]


@settings(max_examples=40)
@given(
    n=st.integers(2, 30),
    where=st.data(),
    bad=st.sampled_from(BAD_FEATURES),
    in_target=st.booleans(),
    batch_size=st.sampled_from([None, 1, 3]),
)
def test_one_bad_value_anywhere_stops_fit_before_any_update(
    n: int, where: st.DataObject, bad: Any, in_target: bool, batch_size: int | None
) -> None:
    X = [[0.1 * i, -0.2 * i] for i in range(n)]
    y = [float(i % 2) for i in range(n)]
    i = where.draw(st.integers(0, n - 1))
    if in_target:
        y[i] = bad
    else:
        X[i][where.draw(st.integers(0, 1))] = bad
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    opt = CountingSGD(model.parameters(), lr=0.1)
    with pytest.raises(ChaingradError, match=rf"\b{i}\b"):
        nn.fit(model, X, y, "mse", opt, epochs=2, batch_size=batch_size, progress=False)
    assert opt.calls == 0 and model.state_dict() == before
