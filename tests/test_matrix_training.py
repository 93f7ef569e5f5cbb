"""fit(compile=True) in matrix form: the same training as the engine path.

Losses per epoch equal to 1e-12, the same accuracy, and afterwards the same
parameters, gradients and optimizer state (SGD's momentum buffer, Adam's
moments and step count), for full batches and mini-batches.
"""

from __future__ import annotations

import math

import pytest
from spies import CountingSGD

import nn
import nn.matrix_training
from autograd import DomainError


@pytest.fixture
def matrix_used(monkeypatch):
    """Records whether each fit(compile=True) trained in matrix form."""
    used: list[bool] = []
    build = nn.matrix_training.MatrixTrainer.build.__func__

    def spy(cls, *args, **kwargs):
        trainer = build(cls, *args, **kwargs)
        used.append(trainer is not None)
        return trainer

    monkeypatch.setattr(nn.matrix_training.MatrixTrainer, "build", classmethod(spy))
    return used


def _train(make_model, make_optimizer, X, y, loss, compile, **kwargs):
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    history = nn.fit(model, X, y, loss, optimizer, progress=False, compile=compile, **kwargs)
    return model, optimizer, history


def _assert_same_training(engine, compiled, rel=1e-12):
    (m0, o0, h0), (m1, o1, h1) = engine, compiled
    assert h1.updates == h0.updates
    assert h1.loss == pytest.approx(h0.loss, rel=rel, abs=1e-12)
    assert h1.accuracy == h0.accuracy
    p0, p1 = m0.parameters(), m1.parameters()
    assert [p.data for p in p1] == pytest.approx([p.data for p in p0], rel=1e-9, abs=1e-12)
    assert [p.grad for p in p1] == pytest.approx([p.grad for p in p0], rel=1e-9, abs=1e-12)
    assert o1.step_count == o0.step_count
    if isinstance(o0, nn.Adam):
        assert o1.m == pytest.approx(o0.m, rel=1e-9, abs=1e-14)
        assert o1.v == pytest.approx(o0.v, rel=1e-9, abs=1e-16)
    elif o0.momentum:
        assert o1.velocity == pytest.approx(o0.velocity, rel=1e-9, abs=1e-12)


OPTIMIZERS = {
    "sgd momentum": lambda ps: nn.SGD(ps, lr=0.2, momentum=0.5),
    "sgd weight decay": lambda ps: nn.SGD(ps, lr=0.1, weight_decay=0.01),
    "adam": lambda ps: nn.Adam(ps, lr=0.02),
    "adam scheduled": lambda ps: nn.Adam(ps, lr=0.05, weight_decay=1e-3, lr_schedule=lambda t: 0.05 * 0.9**t),
}


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("batch_size", [None, 7])
@pytest.mark.parametrize("loss", ["binary_cross_entropy_with_logits", "mse", "half_sse"])
def test_matrix_training_equals_the_engine(optimizer, batch_size, loss, matrix_used):
    X, y = nn.datasets.moons(40, noise=0.1, seed=3)
    runs = [
        _train(
            lambda: nn.MLP(2, [6, 5, 1], activation="tanh", seed=2),
            OPTIMIZERS[optimizer],
            X,
            y,
            loss,
            compiled,
            epochs=4,
            batch_size=batch_size,
        )
        for compiled in (False, True)
    ]
    assert matrix_used == [True]
    _assert_same_training(*runs)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "leaky_relu", "prelu"])
def test_cross_entropy_over_several_classes(activation, matrix_used):
    X, y = nn.datasets.blobs(45, k=3, seed=1)
    runs = [
        _train(
            lambda: nn.MLP(2, [5, 3], activation=activation, seed=0),
            OPTIMIZERS["adam"],
            X,
            y,
            "cross_entropy",
            compiled,
            epochs=3,
            batch_size=8,
        )
        for compiled in (False, True)
    ]
    assert matrix_used == [True]
    _assert_same_training(*runs)


def test_regression_models_and_probability_outputs(matrix_used):
    Xl, yl = nn.datasets.linear(30, nin=3, seed=1)
    Xm, ym = nn.datasets.moons(30, seed=2)
    cases = [
        (lambda: nn.LinearRegression(3), Xl, yl, "mse"),
        (lambda: nn.LogisticRegression(2), Xm, ym, "binary_cross_entropy"),
        (lambda: nn.MLP(2, [4, 1], output_activation="sigmoid", seed=1), Xm, ym, "binary_cross_entropy"),
        (lambda: nn.MLP(2, [4, 1], seed=1), Xm, ym, "hinge"),
    ]
    for make, X, y, loss in cases:
        runs = [
            _train(make, OPTIMIZERS["sgd momentum"], X, y, loss, c, epochs=3, batch_size=4)
            for c in (False, True)
        ]
        _assert_same_training(*runs)
    assert matrix_used == [True] * len(cases)


def test_an_optimizer_of_ones_own_keeps_its_step(matrix_used):
    X, y = nn.datasets.moons(30, seed=1)

    def counting(params):
        return CountingSGD(params, lr=0.1, momentum=0.9)

    runs = [
        _train(
            lambda: nn.MLP(2, [4, 1], seed=0),
            lambda ps: CountingSGD(ps, lr=0.1, momentum=0.9),
            X,
            y,
            "mse",
            c,
            epochs=3,
            batch_size=10,
        )
        for c in (False, True)
    ]
    assert matrix_used == [True]
    assert runs[1][1].calls == runs[0][1].calls == 9
    _assert_same_training(*runs)


def test_the_parameters_are_written_back_after_every_epoch(matrix_used):
    """A learning-rate schedule is user code that runs during training: at every
    full-batch step it sees the Parameters as the engine path has them."""
    X, y = nn.datasets.moons(20, seed=0)
    seen = {}
    for compiled in (False, True):
        model = nn.MLP(2, [3, 1], seed=0)
        snapshots = seen[compiled] = []

        def schedule(t, model=model, snapshots=snapshots):
            snapshots.append([p.data for p in model.parameters()])
            return 0.1

        optimizer = nn.Adam(model.parameters(), lr_schedule=schedule)
        nn.fit(model, X, y, "mse", optimizer, epochs=4, progress=False, compile=compiled)
    assert matrix_used == [True]
    assert len(seen[True]) == len(seen[False]) == 4
    for got, expected in zip(seen[True], seen[False]):
        assert got == pytest.approx(expected, rel=1e-12)
    assert seen[True][0] != seen[True][1]


@pytest.mark.parametrize(
    ("scale", "lr", "words"), [(1e150, 1e150, "overflows"), (100.0, 1e308, "smaller learning rate")]
)
def test_divergence_raises_the_engines_error_and_keeps_the_last_good_numbers(scale, lr, words):
    """Training that blows up stops with the error the engine path gives (an
    overflow in the forward pass, or the optimizer's own), in the same step."""
    X, y = nn.datasets.moons(20, seed=0)
    results = []
    for compiled in (False, True):
        model = nn.MLP(2, [3, 1], seed=0)
        optimizer = nn.SGD(model.parameters(), lr=lr)
        with pytest.raises(DomainError, match=words) as error:
            nn.fit(
                model, X, [scale * t for t in y], "mse", optimizer, epochs=5, progress=False, compile=compiled
            )
        results.append((str(error.value), [p.data for p in model.parameters()], optimizer.step_count))
    assert results[1][0].split("(grad")[0] == results[0][0].split("(grad")[0]  # the gradient to rounding
    assert results[1][2] == results[0][2]
    assert all(math.isfinite(x) for x in results[1][1])
    assert results[1][1] == pytest.approx(results[0][1], rel=1e-9)


def test_models_that_are_not_layers_train_on_the_per_edge_form(matrix_used):
    class Doubled(nn.Module):  # computes after its last layer: predictions are not a layer's outputs
        def __init__(self):
            self.inner = nn.MLP(2, [3, 1], seed=0)

        def forward(self, x):
            return self.inner(x) * 2.0

        def children(self):
            return [self.inner]

    X, y = nn.datasets.moons(20, seed=0)
    runs = [_train(Doubled, OPTIMIZERS["adam"], X, y, "mse", c, epochs=3) for c in (False, True)]
    assert matrix_used == [False]
    _assert_same_training(*runs)


def test_the_same_training_as_pytorch_from_the_same_weights():
    """fit(compile=True) in matrix form and the PyTorch loop a user would write
    (float64, full batch, Adam, BCE with logits) learn the same model."""
    from torch_or_skip import HAVE_TORCH, REASON, torch

    if not HAVE_TORCH:
        pytest.skip(REASON)
    X, y = nn.datasets.moons(60, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 8, 1], activation="tanh", init="xavier_uniform", seed=0)
    twin = model.to_torch()
    nn.fit(model, X, y, "binary_cross_entropy_with_logits", nn.Adam(model.parameters(), lr=0.02), epochs=40,
           progress=False, compile=True)  # fmt: skip
    inputs = torch.tensor(X, dtype=torch.float64)
    targets = torch.tensor(y, dtype=torch.float64).reshape(-1, 1)
    optimizer = torch.optim.Adam(twin.parameters(), lr=0.02)
    for _ in range(40):
        optimizer.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(twin(inputs), targets).backward()
        optimizer.step()
    with torch.no_grad():
        theirs = twin(inputs).reshape(-1).tolist()
    ours = nn.predict(model, X)
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    ("loss", "graphs"), [("binary_cross_entropy_with_logits", 1), ("hinge", 1), ("cross_entropy", 3)]
)
def test_labels_that_are_only_constants_share_one_graph(loss, graphs):
    """The loss of each class label is traced on its own; where the label is just a
    number in the graph the graphs merge into one (the label becomes a column)."""
    X, y = nn.datasets.blobs(30, k=3, seed=0) if graphs == 3 else nn.datasets.moons(30, seed=0)
    model = nn.MLP(2, [4, graphs if graphs == 3 else 1], seed=0)
    fn = nn.losses.get_loss(loss)
    trainer = nn.matrix_training.MatrixTrainer.build(
        model, X, y, fn, nn.losses.loss_info(fn), nn.SGD(model.parameters(), lr=0.1), 0.0
    )
    assert len(trainer.form.plans) == graphs
    assert ("rows[" in trainer.form.source) == (graphs > 1)
