"""The practice data sets: shapes, the geometry each promises, and seeds."""

import math
import random
import statistics

import pytest

from nn import datasets

GENERATORS = {
    "moons": lambda seed: datasets.moons(50, seed=seed),
    "circles": lambda seed: datasets.circles(50, seed=seed),
    "xor": lambda seed: datasets.xor(50, noise=0.1, seed=seed),
    "blobs": lambda seed: datasets.blobs(50, k=4, seed=seed),
    "linear": lambda seed: datasets.linear(50, nin=3, seed=seed),
}


@pytest.mark.parametrize("name", list(GENERATORS))
def test_plain_lists_reproducible_from_a_seed(name):
    random.seed(5)
    state = random.getstate()
    X, y = GENERATORS[name](3)
    assert random.getstate() == state  # the global generator is never used
    assert type(X) is list and type(y) is list and len(X) == len(y) == 50
    assert all(type(row) is list and all(type(v) is float for v in row) for row in X)
    assert (X, y) == GENERATORS[name](3)
    assert GENERATORS[name](4)[0] != X


@pytest.mark.parametrize("n", [1, 2, 7, 100])
def test_moons_without_noise_lie_on_their_arcs(n):
    X, y = datasets.moons(n, noise=0.0, seed=1)
    assert sorted(y) == [0] * (n // 2) + [1] * (n - n // 2)
    for (a, b), label in zip(X, y):
        if label == 0:  # upper arc (cos t, sin t)
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:  # lower arc (1 - cos t, 1/2 - sin t)
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_moons_noise_has_the_requested_spread():
    clean, _ = datasets.moons(2000, noise=0.0, seed=2, shuffle=False)
    noisy, _ = datasets.moons(2000, noise=0.1, seed=2, shuffle=False)
    offsets = [n[0] - c[0] for n, c in zip(noisy, clean)] + [n[1] - c[1] for n, c in zip(noisy, clean)]
    assert statistics.pstdev(offsets) == pytest.approx(0.1, rel=0.05)


def test_circles_radii():
    X, y = datasets.circles(40, noise=0.0, factor=0.3, seed=0)
    for point, label in zip(X, y):
        assert math.hypot(*point) == pytest.approx(1.0 if label == 0 else 0.3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        datasets.circles(10, factor=1.5)


def test_xor_labels_are_opposite_signs():
    X, y = datasets.xor(200, seed=3)
    assert all(label == int(a * b < 0) for (a, b), label in zip(X, y))
    assert all(-1 <= v <= 1 for row in X for v in row)
    assert 0 < sum(y) < 200


def test_blobs_cluster_around_their_centres():
    centers = [[0.0, 0.0, 0.0], [5.0, 5.0, 5.0]]
    X, y = datasets.blobs(400, centers=centers, std=0.2, seed=0)
    assert sorted(set(y)) == [0, 1] and len(X[0]) == 3
    for c, centre in enumerate(centers):
        members = [x for x, label in zip(X, y) if label == c]
        assert len(members) == 200
        for d in range(3):
            assert statistics.fmean(m[d] for m in members) == pytest.approx(centre[d], abs=0.05)
    X, y = datasets.blobs(30, k=5, seed=0)
    assert sorted(set(y)) == [0, 1, 2, 3, 4] and len(X[0]) == 2


def test_linear_without_noise_is_exact():
    X, y = datasets.linear(20, noise=0.0, weights=[2.0, -1.0], bias=0.25, seed=0)
    assert all(t == 2.0 * a - 1.0 * b + 0.25 for (a, b), t in zip(X, y))
    X, y = datasets.linear(5, nin=3, noise=0.0)
    assert all(t == pytest.approx(a - 2 * b + 3 * c + 0.5) for (a, b, c), t in zip(X, y))


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: datasets.moons(0), "positive int"),
        (lambda: datasets.moons(10.5), "positive int"),
        (lambda: datasets.moons(10, noise=-1), "noise"),
        (lambda: datasets.xor(10, noise=math.inf), "noise"),
        (lambda: datasets.blobs(10, k=0), "k must be"),
        (lambda: datasets.blobs(10, centers=[[0.0], [1.0, 2.0]]), "same number of features"),
        (lambda: datasets.linear(10, weights=[]), "at least one"),
    ],
)
def test_bad_arguments_are_explained(call, words):
    with pytest.raises(ValueError, match=words):
        call()
