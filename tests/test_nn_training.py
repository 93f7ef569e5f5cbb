"""fit: learning the moons, separating lines, counting updates, averaging batches, seeds."""

import math
import sys
import time

import pytest
from spies import CountingSGD

import nn
from autograd import Value
from autograd.errors import ChaingradError


def test_mlp_learns_the_moons_to_97_percent():
    X, y = nn.datasets.moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], activation="tanh", seed=0)
    start = time.perf_counter()
    history = nn.fit(
        model,
        X,
        y,
        "binary_cross_entropy_with_logits",
        nn.Adam(model.parameters(), lr=0.05),
        epochs=60,
        progress=False,
    )
    seconds = time.perf_counter() - start
    accuracy = nn.accuracy(nn.predict(model, X), y, threshold=0.0)  # scores: class 1 when >= 0
    assert accuracy >= 0.97, (accuracy, history)
    assert history.loss[-1] < history.loss[0] / 5
    print(f"moons: 60 full-batch epochs in {seconds:.2f} s, training accuracy {accuracy:.2f}")


def test_logistic_regression_separates_linearly_separable_data():
    # labels by the line x1 + 2 x2 = 0.5, keeping only points at distance > 0.1 from it
    X, _ = nn.datasets.xor(300, seed=4)
    X = [x for x in X if abs(x[0] + 2 * x[1] - 0.5) / math.sqrt(5) > 0.1]
    y = [int(x[0] + 2 * x[1] > 0.5) for x in X]
    model = nn.LogisticRegression(2)
    history = nn.fit(
        model, X, y, "binary_cross_entropy", nn.SGD(model.parameters(), lr=2.0), 200, progress=False
    )
    assert nn.accuracy(nn.predict(model, X), y) == 1.0
    assert history.accuracy[-1] == 1.0
    w1, w2, b = (p.data for p in model.parameters())
    assert w2 / w1 == pytest.approx(2.0, rel=0.25) and -b / w1 == pytest.approx(0.5, abs=0.25)


@pytest.mark.parametrize(("batch_size", "per_epoch"), [(None, 1), (1, 10), (3, 4), (4, 3), (10, 1), (25, 1)])
def test_batch_size_gives_ceil_n_over_k_updates_per_epoch(batch_size, per_epoch):
    X, y = nn.datasets.moons(10, seed=1)
    model = nn.MLP(2, [3, 1], seed=0)
    sizes = []

    def spy_loss(predictions, targets):
        sizes.append(len(predictions))
        return nn.hinge(predictions, targets)

    optimizer = CountingSGD(model.parameters(), lr=0.01)
    history = nn.fit(model, X, y, spy_loss, optimizer, epochs=3, batch_size=batch_size, progress=False)
    assert optimizer.calls == history.updates == 3 * per_epoch
    k = 10 if batch_size is None else min(batch_size, 10)
    # first the data check: the loss on all 10 samples at once, before any update
    assert sizes == [10] + [min(k, 10 - start) for start in range(0, 10, k)] * 3
    assert len(history.loss) == history.epochs == 3


def test_every_epoch_is_one_shuffled_pass_over_the_data():
    X = [[float(i)] for i in range(8)]
    y = [0.0] * 8
    seen = []

    def model(x):
        seen.append(int(x[0]))
        return weight * x[0]

    weight = nn.Neuron(1).w[0]
    nn.fit(model, X, y, "mse", nn.SGD([weight], lr=0.0), epochs=3, batch_size=3, progress=False)
    assert seen[:8] == list(range(8))  # the data check visits every sample once, in order
    epochs = [seen[8:16], seen[16:24], seen[24:32]]
    assert len(seen) == 32
    assert all(sorted(e) == list(range(8)) for e in epochs)
    assert len({tuple(e) for e in epochs}) > 1  # reshuffled


def test_same_seed_same_training_different_seed_different_training():
    X, y = nn.datasets.moons(20, seed=0)

    def train(seed):
        model = nn.MLP(2, [4, 1], seed=1)
        h = nn.fit(
            model,
            X,
            y,
            "hinge",
            nn.SGD(model.parameters(), lr=0.1),
            3,
            batch_size=4,
            seed=seed,
            progress=False,
        )
        return model.state_dict(), h.loss

    assert train(7) == train(7)
    assert train(7)[0] != train(8)[0]


@pytest.mark.parametrize("loss", ["half_sse", "mse", "l1"])
def test_the_batch_loss_is_the_mean_over_its_samples(loss):
    """One full-batch SGD step moves w by -η·(1/m) Σ ∂ℓ_i/∂w, with ℓ_i the loss of sample i alone."""
    X = [[1.0, 2.0], [-1.0, 0.5], [3.0, -2.0]]
    y = [0.5, -1.0, 2.0]
    model = nn.LinearRegression(2, init=lambda fi, fo, rng: 0.3)
    before = [p.data for p in model.parameters()]
    per_sample = []
    for x, t in zip(X, y):
        e = t - (0.3 * x[0] + 0.3 * x[1])
        de = {"half_sse": -e, "mse": -2 * e, "l1": -math.copysign(1.0, e)}[loss]  # ∂ℓ/∂ŷ
        per_sample.append([de * x[0], de * x[1], de])
    nn.fit(model, X, y, loss, nn.SGD(model.parameters(), lr=0.1), epochs=1, progress=False)
    for i, p in enumerate(model.parameters()):
        mean_grad = sum(g[i] for g in per_sample) / len(X)
        assert p.data == pytest.approx(before[i] - 0.1 * mean_grad, rel=1e-12)


def test_history_loss_is_the_mean_loss_per_sample():
    X = [[1.0], [2.0]]
    y = [1.0, 3.0]
    model = nn.LinearRegression(1)  # starts at 0: first-epoch losses are ½ y²
    h = nn.fit(
        model, X, y, "half_sse", nn.SGD(model.parameters(), lr=0.0), epochs=2, batch_size=1, progress=False
    )
    assert h.loss == [(0.5 + 4.5) / 2] * 2
    assert h.accuracy == []  # regression targets: no accuracy


def test_accuracy_is_read_the_way_the_loss_reads_the_output():
    X = [[1.0], [-1.0]]
    model = nn.LogisticRegression(1, init=lambda *_: 1.0)  # ŷ = σ(x): 0.73 and 0.27
    sgd = nn.SGD(model.parameters(), lr=0.0)
    assert nn.fit(model, X, [1, 0], "binary_cross_entropy", sgd, 1, progress=False).accuracy == [1.0]
    assert nn.fit(model, X, [1, 0], "half_sse", sgd, 1, progress=False).accuracy == [1.0]  # 0/1 labels: 0.5
    assert nn.fit(model, X, [0, 0], "half_sse", sgd, 1, progress=False).accuracy == [0.5]
    scorer = nn.LinearRegression(1, init=lambda *_: 1.0)  # scores 1 and -1
    sgd = nn.SGD(scorer.parameters(), lr=0.0)
    assert nn.fit(scorer, X, [1, 0], "hinge", sgd, 1, progress=False).accuracy == [1.0]
    assert nn.fit(scorer, X, [1, -1], "mse", sgd, 1, progress=False).accuracy == [1.0]
    assert nn.fit(scorer, X, [1, 0], "binary_cross_entropy_with_logits", sgd, 1, progress=False).accuracy == [
        1.0
    ]


def test_multiclass_training_with_cross_entropy():
    X, y = nn.datasets.blobs(60, k=3, std=0.4, seed=0)
    model = nn.MLP(2, [8, 3], seed=0)
    history = nn.fit(model, X, y, nn.cross_entropy, nn.Adam(model.parameters(), lr=0.05), 30, progress=False)
    assert history.accuracy[-1] >= 0.95
    assert nn.accuracy(nn.predict(model, X), y) >= 0.95


def test_default_optimizer_is_sgd_with_lr_0_1():
    model = nn.LinearRegression(1)
    nn.fit(model, [[1.0]], [1.0], "half_sse", epochs=1, progress=False)
    assert [p.data for p in model.parameters()] == [0.1, 0.1]  # w, b ← 0 - 0.1·(-(1 - 0))


def test_progress_bar_when_tqdm_is_there_and_silence_when_it_is_not(capsys, monkeypatch):
    model = nn.LinearRegression(1)
    nn.fit(model, [[1.0]], [1.0], "mse", epochs=2, progress=True)
    assert "2/2" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    history = nn.fit(model, [[1.0]], [1.0], "mse", epochs=2, progress=True)
    assert history.updates == 2 and capsys.readouterr().err == ""


def test_history_prints_and_plots():
    X, y = nn.datasets.moons(10, seed=0)
    model = nn.MLP(2, [2, 1], seed=0)
    history = nn.fit(model, X, y, "hinge", epochs=12, progress=False)
    assert repr(history).startswith("History(epochs=12, updates=12, loss=")
    assert "<th>accuracy</th>" in history._repr_html_() and "…" in history._repr_html_()
    figure = history.plot()
    assert type(figure).__name__ == "Figure" and len(figure.axes) == 2  # loss and accuracy axes


def epoch_ticks(ax) -> list[float]:
    low, high = ax.get_xlim()
    return [t for t in ax.get_xticks() if low <= t <= high]


@pytest.mark.parametrize("epochs", [1, 4, 12, 75])
def test_history_plot_has_a_labelled_panel_each_and_whole_epochs(epochs):
    history = nn.History(
        loss=[1.0 / (k + 1) for k in range(epochs)], accuracy=[min(1.0, 0.5 + k / 20) for k in range(epochs)]
    )
    figure = history.plot()
    loss_ax, accuracy_ax = figure.axes
    assert (loss_ax.get_title(), loss_ax.get_ylabel()) == ("training loss", "loss")
    assert (accuracy_ax.get_title(), accuracy_ax.get_ylabel()) == ("training accuracy", "accuracy")
    assert accuracy_ax.get_xlabel() == "epoch"
    assert list(loss_ax.lines[0].get_ydata()) == history.loss
    assert list(accuracy_ax.lines[0].get_ydata()) == history.accuracy
    figure.canvas.draw()
    for ax in figure.axes:
        ticks = epoch_ticks(ax)
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_history_plot_without_accuracy_is_one_panel():
    figure = nn.History(loss=[3.0, 2.0, 1.5]).plot()
    (ax,) = figure.axes
    assert ax.get_title() == "training loss" and ax.get_xlabel() == "epoch"


def test_history_plot_into_an_axes_has_a_legend():
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    nn.History(loss=[3.0, 2.0, 1.5], accuracy=[0.5, 0.7, 0.9]).plot(ax=ax)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["loss", "accuracy"]
    ax.figure.canvas.draw()
    assert all(float(t).is_integer() for t in epoch_ticks(ax))


def test_plot_without_matplotlib_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ModuleNotFoundError, match="pip install matplotlib"):
        nn.History(loss=[1.0]).plot()


@pytest.mark.parametrize(
    ("loss", "batch_size"),
    [
        ("binary_cross_entropy_with_logits", None),
        ("binary_cross_entropy_with_logits", 7),
        ("hinge", None),
        ("hinge", 1),
        ("half_sse", 10),
        ("mse", None),
    ],
)
def test_compiled_training_equals_the_engine(loss, batch_size):
    """fit(compile=True) makes the same updates: losses per epoch and final
    parameters equal to the engine's to 1e-12, accuracy identical."""
    X, y = nn.datasets.moons(40, noise=0.1, seed=3)
    results = []
    for compiled in (False, True):
        model = nn.MLP(2, [6, 6, 1], activation="tanh", seed=2)
        opt = nn.SGD(model.parameters(), lr=0.2, momentum=0.5)
        history = nn.fit(
            model, X, y, loss, opt, epochs=4, batch_size=batch_size, progress=False, compile=compiled
        )
        results.append((history, model.state_dict()))
    (h0, s0), (h1, s1) = results
    assert h0.updates == h1.updates
    assert h1.loss == pytest.approx(h0.loss, rel=1e-12, abs=1e-12)
    assert h1.accuracy == h0.accuracy
    # after up to 160 momentum steps, rounding may differ in the last digits
    assert [s1[k] for k in s0] == pytest.approx([s0[k] for k in s0], rel=1e-9, abs=1e-12)


def test_compiled_training_cross_entropy_and_regression():
    Xb, yb = nn.datasets.blobs(45, seed=1)
    Xl, yl = nn.datasets.linear(30, seed=1)
    for X, y, make, loss in (
        (Xb, yb, lambda: nn.MLP(2, [5, 3], seed=0), "cross_entropy"),
        (Xl, yl, lambda: nn.LinearRegression(len(Xl[0])), "mse"),
    ):
        runs = []
        for compiled in (False, True):
            model = make()
            history = nn.fit(model, X, y, loss, nn.SGD(model.parameters(), lr=0.05), epochs=3, progress=False,
                             batch_size=8, compile=compiled)  # fmt: skip
            runs.append((history.loss, list(model.state_dict().values())))
        assert runs[1][0] == pytest.approx(runs[0][0], rel=1e-12, abs=1e-12)
        assert runs[1][1] == pytest.approx(runs[0][1], rel=1e-12, abs=1e-12)


def test_compile_refuses_a_loss_whose_graph_depends_on_the_data():
    def branchy(predictions, targets):  # a Python `if` on .data: not one graph for all samples
        p = predictions[0]
        return p * p if p.data > 0 else -p

    X = [[-1.0], [1.0], [2.0], [-3.0]]
    with pytest.raises(ChaingradError, match="cannot be compiled faithfully"):
        nn.fit(nn.MLP(1, [1], seed=0), X, [0.0, 1.0, 2.0, 3.0], branchy, compile=True, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"X": [[1.0]], "y": [1.0, 2.0]}, ValueError, "1 inputs in X but 2 targets"),
        ({"X": [], "y": []}, ValueError, "no data"),
        ({"loss": "cross_entropyy"}, ValueError, "unknown loss 'cross_entropyy'"),
        ({"loss": 3}, TypeError, "loss must be"),
        ({"epochs": -1}, ValueError, "epochs"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"loss": lambda p, t: 1.0}, TypeError, "not a Value"),
    ],
)
def test_bad_arguments_are_explained(kwargs, error, words):
    arguments = {"X": [[1.0]], "y": [1.0], "loss": "mse", "progress": False, **kwargs}
    with pytest.raises(error, match=words):
        nn.fit(nn.LinearRegression(1), **arguments)


def test_a_model_without_parameters_needs_an_optimizer():
    with pytest.raises(TypeError, match="give an optimizer"):
        nn.fit(lambda x: Value(x[0]), [[1.0]], [1.0], "mse", progress=False)


def test_on_epoch_sees_the_history_and_can_stop_training():
    X, y = nn.datasets.moons(20, noise=0.1, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    seen = []

    def watch(history):
        seen.append(history.epochs)
        return history.epochs == 3

    history = nn.fit(
        model, X, y, "binary_cross_entropy_with_logits", epochs=10, progress=False, on_epoch=watch
    )
    assert seen == [1, 2, 3] and history.epochs == 3 and history.updates == 3
