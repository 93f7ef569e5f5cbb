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


# -- the handwritten digits (shipped data) --------------------------------------------


def test_digits_are_1797_images_of_64_pixels_with_their_digit():
    X, y = datasets.digits(shuffle=False)
    assert len(X) == len(y) == 1797
    assert all(type(row) is list and len(row) == 64 for row in X)
    assert all(type(v) is float and 0.0 <= v <= 1.0 for row in X for v in row)
    counts = [y.count(d) for d in range(10)]
    assert sum(counts) == 1797 and min(counts) >= 170  # about 180 of each digit
    raw, same = datasets.digits(scale=False, shuffle=False)
    assert same == y
    assert all(v == int(v) and 0 <= v <= 16 for row in raw for v in row)
    assert [v / 16 for v in raw[0]] == X[0]
    # the first image of the file is a 0: ink on a ring, none in the middle of its middle rows
    image = [raw[0][8 * r : 8 * r + 8] for r in range(8)]
    assert y[0] == 0 and image[3][3] + image[3][4] == 0 and image[3][1] > 0 and image[3][6] > 0


def test_digits_shuffle_with_a_seed_keeps_images_with_their_labels():
    X, y = datasets.digits(shuffle=False)
    pairs = sorted(zip(map(tuple, X), y))
    A, a = datasets.digits(seed=1)
    B, b = datasets.digits(seed=2)
    assert (A, a) == datasets.digits(seed=1)
    assert A != B
    assert sorted(zip(map(tuple, A), a)) == pairs == sorted(zip(map(tuple, B), b))


def test_a_damaged_digits_file_is_named(monkeypatch, tmp_path):
    damaged = tmp_path / "digits.csv.gz"
    damaged.write_bytes(b"not gzip")
    monkeypatch.setattr(datasets.resources, "files", lambda package: tmp_path.parent)
    monkeypatch.setattr(datasets, "DIGITS_FILE", "nowhere.csv.gz")
    datasets._digits_rows.cache_clear()
    try:
        with pytest.raises(datasets.DatasetFileError, match="missing") as missing:
            datasets.digits()
        assert isinstance(missing.value, OSError)
        monkeypatch.setattr(datasets.resources, "files", lambda package: _Folder(tmp_path))
        monkeypatch.setattr(datasets, "DIGITS_FILE", "digits.csv.gz")
        datasets._digits_rows.cache_clear()
        with pytest.raises(datasets.DatasetFileError, match="damaged"):
            datasets.digits()
    finally:
        datasets._digits_rows.cache_clear()


class _Folder:
    """``resources.files("nn")`` replaced by a folder whose ``data/`` is ``path``."""

    def __init__(self, path):
        self.path = path

    def joinpath(self, *parts):
        return self.path.joinpath(*parts[1:])
