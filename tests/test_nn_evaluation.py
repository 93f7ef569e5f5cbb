"""predict, accuracy and decision_grid."""

import math

import pytest

import nn
from autograd import Value


def test_accuracy_for_probabilities_scores_and_classes():
    assert nn.accuracy([0.9, 0.2, 0.6, 0.5], [1, 0, 0, 1]) == 0.75
    assert nn.accuracy([Value(2.0), Value(-0.1)], [1, -1], threshold=0.0) == 1.0
    assert nn.accuracy([-0.5, 0.5], [0, 0], threshold=0.0) == 0.5
    assert nn.accuracy([[0.1, 3.0, 2.0], [5.0, 1.0, 0.0]], [1, 2]) == 0.5
    assert nn.accuracy([[0.7], [0.2]], [1, 1]) == 0.5  # one output in a list


@pytest.mark.parametrize(
    ("predictions", "targets", "words"),
    [
        ([0.5], [1, 0], "1 predictions but 2 targets"),
        ([], [], "no predictions"),
        ([0.5], [2], "binary targets"),
    ],
)
def test_accuracy_problems_are_named(predictions, targets, words):
    with pytest.raises(ValueError, match=words):
        nn.accuracy(predictions, targets)


def test_predict_gives_floats_and_builds_no_graph():
    model = nn.MLP(2, [3, 2], seed=1)
    X = [[0.0, 1.0], [1.0, -1.0]]
    out = nn.predict(model, X)
    assert [[v.data for v in model(x)] for x in X] == out
    assert all(type(v) is float for row in out for v in row)
    single = nn.predict(nn.LogisticRegression(2), X)
    assert single == [0.5, 0.5]


def test_decision_grid_covers_the_data_and_holds_the_model_outputs():
    X = [[-1.0, 0.0], [2.0, 3.0]]
    model = nn.MLP(2, [4, 1], seed=2)
    xs, ys, grid = nn.decision_grid(model, X, steps=5, margin=0.5)
    assert xs[0] == -1.5 and xs[-1] == 2.5 and ys[0] == -0.5 and ys[-1] == 3.5
    assert len(grid) == 5 and all(len(row) == 5 for row in grid)
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            assert grid[i][j] == model([x, y]).data


def test_decision_grid_of_a_multiclass_model_holds_classes():
    model = nn.MLP(2, [4, 3], seed=0)
    xs, ys, grid = nn.decision_grid(model, [[0.0, 0.0], [1.0, 1.0]], steps=4)
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            scores = [v.data for v in model([x, y])]
            assert grid[i][j] == scores.index(max(scores))


def test_decision_grid_problems_and_plot():
    model = nn.MLP(2, [1])
    with pytest.raises(ValueError, match="two features"):
        nn.decision_grid(nn.MLP(3, [1]), [[0.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match="steps"):
        nn.decision_grid(model, [[0.0, 1.0]], steps=1)
    grid = nn.decision_grid(model, [[0.0, 1.0], [1.0, 0.0]], steps=3)
    figure = grid.plot(X=[[0.0, 1.0], [1.0, 0.0]], y=[0, 1])
    assert type(figure).__name__ == "Figure"
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend[0].startswith("decision boundary (output = ") and legend[1:] == ["class 0", "class 1"]
    assert "3 × 3" in grid._repr_html_()
    assert not any(math.isnan(v) for row in grid.grid for v in row)


def test_the_class_key_names_each_class_in_its_colour():
    from matplotlib.colors import to_hex

    X, y = nn.datasets.blobs(30, seed=1)
    model = nn.MLP(2, [3], seed=0)
    ax = nn.decision_grid(model, X, steps=5).plot(X, y).axes[0]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["class 0", "class 1", "class 2"]
    for k, collection in enumerate(ax.collections[-3:]):
        assert len(collection.get_offsets()) == y.count(k)  # each class's points, drawn once
        assert to_hex(collection.get_facecolor()[0]) == to_hex(f"C{k}")
    X2, y2 = [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]], [-1, 1, 1]
    grid = nn.decision_grid(nn.MLP(2, [1], seed=0), X2, steps=4)
    labels = [t.get_text() for t in grid.plot(X2, y2).axes[0].get_legend().get_texts()]
    assert labels[1:] == ["class -1", "class 1"]
    unlabelled = grid.plot(X2).axes[0].get_legend()
    assert [t.get_text() for t in unlabelled.get_texts()] == [labels[0]]  # the boundary alone
