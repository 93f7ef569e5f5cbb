"""Small data sets for practice, generated in pure Python from a seed.

Each function returns ``(X, y)``: ``X`` a list of feature lists (one per
sample), ``y`` a list of labels (0/1, or class indices 0 .. k-1 for
``blobs``, or numbers for ``linear``). The same seed always gives the same
data, and the global ``random`` state is never touched. The classification
sets are shuffled; pass ``shuffle=False`` to keep them in class order.
``seed`` is an int, a ``random.Random`` or ``None`` (fresh randomness).

* ``moons``: two interleaving half circles (scikit-learn's ``make_moons``);
* ``circles``: a small circle inside a large one (``make_circles``);
* ``xor``: points in the square [-1, 1]², class 1 where exactly one coordinate
  is positive: no single line separates the classes;
* ``blobs``: k Gaussian clusters, one per class;
* ``linear``: y = w · x + b plus Gaussian noise, for regression;
* ``digits``: a real data set, 1797 handwritten digits of 8×8 pixels (shipped
  with the package, not generated).
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import math
import numbers
import random
from collections.abc import Sequence
from importlib import resources
from typing import Any

from autograd.errors import ChaingradError, InvalidArgumentError
from nn.init import Seed, make_rng

Data = tuple[list[list[float]], list[Any]]


def _count(n: Any, what: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise InvalidArgumentError(f"{what} must be a positive int, got {n!r:.60}")
    return int(n)


def _scale(x: Any, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not (0.0 <= float(x) < math.inf):
        raise InvalidArgumentError(f"{what} must be a finite number >= 0, got {x!r:.60}")
    return float(x)


def _finish(points: list[list[float]], labels: list[Any], rng: random.Random, shuffle: bool) -> Data:
    if shuffle:
        order = list(range(len(points)))
        rng.shuffle(order)
        points = [points[i] for i in order]
        labels = [labels[i] for i in order]
    return points, labels


def _spread(count: int, stop: float, endpoint: bool) -> list[float]:
    """``count`` evenly spaced angles from 0 to ``stop`` (like numpy.linspace)."""
    if count == 1:
        return [0.0]
    steps = count - 1 if endpoint else count
    return [stop * i / steps for i in range(count)]


def moons(n: int = 100, noise: float = 0.1, seed: Seed = 0, shuffle: bool = True) -> Data:
    """Two interleaving half circles: class 0 on top, class 1 below.

    n // 2 points on the upper arc (cos t, sin t) and the rest on the lower arc
    (1 - cos t, 1/2 - sin t), t in [0, π], then Gaussian noise of standard
    deviation ``noise`` on each coordinate.
    """
    n = _count(n)
    noise = _scale(noise, "noise")
    rng = make_rng(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    points = [[math.cos(t), math.sin(t)] for t in _spread(n_upper, math.pi, True)] if n_upper else []
    points += [[1.0 - math.cos(t), 0.5 - math.sin(t)] for t in _spread(n_lower, math.pi, True)]
    labels = [0] * n_upper + [1] * n_lower
    points = [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] for x, y in points]
    return _finish(points, labels, rng, shuffle)


def circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = 0, shuffle: bool = True
) -> Data:
    """A circle of radius ``factor`` (class 1) inside the unit circle (class 0), plus noise."""
    n = _count(n)
    noise = _scale(noise, "noise")
    factor = _scale(factor, "factor")
    if not 0.0 < factor < 1.0:
        raise InvalidArgumentError(f"factor (the inner radius) must be between 0 and 1, got {factor!r}")
    rng = make_rng(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    points = [[math.cos(t), math.sin(t)] for t in _spread(n_outer, 2 * math.pi, False)] if n_outer else []
    points += [[factor * math.cos(t), factor * math.sin(t)] for t in _spread(n_inner, 2 * math.pi, False)]
    labels = [0] * n_outer + [1] * n_inner
    points = [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] for x, y in points]
    return _finish(points, labels, rng, shuffle)


def xor(n: int = 100, noise: float = 0.0, seed: Seed = 0) -> Data:
    """Points uniform in [-1, 1]²; label 1 where x1 and x2 have opposite signs (x1·x2 < 0).

    The label is decided before ``noise`` (Gaussian, on each coordinate) is
    added, so with noise some points cross the axes.
    """
    n = _count(n)
    noise = _scale(noise, "noise")
    rng = make_rng(seed)
    points: list[list[float]] = []
    labels: list[Any] = []
    for _ in range(n):
        x1, x2 = rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)
        labels.append(int((x1 > 0.0) != (x2 > 0.0)))
        points.append([x1 + rng.gauss(0.0, noise), x2 + rng.gauss(0.0, noise)] if noise else [x1, x2])
    return points, labels


def blobs(
    n: int = 100,
    k: int = 3,
    std: float = 0.5,
    seed: Seed = 0,
    centers: Sequence[Sequence[float]] | None = None,
    shuffle: bool = True,
) -> Data:
    """``k`` Gaussian clusters of standard deviation ``std``; sample i belongs to class i mod k.

    By default the centres sit evenly on a circle of radius 3 around the origin
    (2 features); pass ``centers`` (k lists of any dimension) to place them.
    """
    n = _count(n)
    std = _scale(std, "std")
    rng = make_rng(seed)
    if centers is None:
        k = _count(k, "k")
        centers = [
            [3.0 * math.cos(2 * math.pi * c / k), 3.0 * math.sin(2 * math.pi * c / k)] for c in range(k)
        ]
    else:
        centers = [[float(x) for x in c] for c in centers]
        k = len(centers)
        if not k or any(len(c) != len(centers[0]) or not c for c in centers):
            raise InvalidArgumentError(
                "centers must be a non-empty list of points with the same number of features"
            )
    labels = [i % k for i in range(n)]
    points = [[x + rng.gauss(0.0, std) for x in centers[c]] for c in labels]
    return _finish(points, labels, rng, shuffle)


def linear(
    n: int = 100,
    nin: int = 1,
    noise: float = 0.1,
    seed: Seed = 0,
    weights: Sequence[float] | None = None,
    bias: float = 0.5,
) -> tuple[list[list[float]], list[float]]:
    """Regression data: x uniform in [-1, 1]^nin, y = w · x + b + N(0, noise²).

    The default weights are 1, -2, 3, -4, ... (one per feature), so you can
    check what a trained :class:`nn.LinearRegression` found.
    """
    n = _count(n)
    noise = _scale(noise, "noise")
    rng = make_rng(seed)
    if weights is None:
        nin = _count(nin, "nin")
        weights = [float(i if i % 2 else -i) for i in range(1, nin + 1)]
    else:
        weights = [float(w) for w in weights]
        nin = len(weights)
        if not nin:
            raise InvalidArgumentError("weights must hold at least one number")
    bias = float(bias)
    X: list[list[float]] = []
    y: list[float] = []
    for _ in range(n):
        x = [rng.uniform(-1.0, 1.0) for _ in range(nin)]
        X.append(x)
        y.append(sum(w * xi for w, xi in zip(weights, x)) + bias + rng.gauss(0.0, noise))
    return X, y


class DatasetFileError(ChaingradError, OSError):
    """A data file shipped with ``nn`` is missing or damaged."""


DIGITS_FILE = "digits.csv.gz"
DIGITS_SHAPE = (1797, 64)


@functools.lru_cache(maxsize=1)
def _digits_rows() -> tuple[tuple[tuple[int, ...], int], ...]:
    """The digits file, parsed and checked once: (64 pixel counts, digit) per image."""
    where = f"nn/data/{DIGITS_FILE}"
    try:
        raw = resources.files("nn").joinpath("data", DIGITS_FILE).read_bytes()
        text = gzip.decompress(raw).decode("ascii")
    except FileNotFoundError:
        raise DatasetFileError(
            f"the digits data file {where} is missing from this installation of chaingrad; reinstall it"
        ) from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DatasetFileError(
            f"the digits data file {where} is damaged ({exc}); reinstall chaingrad"
        ) from None
    rows = []
    for number, line in enumerate(csv.reader(io.StringIO(text)), 1):
        values = [int(v) for v in line] if all(v.isdigit() for v in line) else []
        if len(values) != DIGITS_SHAPE[1] + 1 or max(values[:-1]) > 16 or values[-1] > 9:
            raise DatasetFileError(
                f"the digits data file {where} is damaged at line {number}: expected 64 pixel values "
                "from 0 to 16 and a digit from 0 to 9; reinstall chaingrad"
            )
        rows.append((tuple(values[:-1]), values[-1]))
    if len(rows) != DIGITS_SHAPE[0]:
        raise DatasetFileError(
            f"the digits data file {where} holds {len(rows)} images, not 1797; reinstall chaingrad"
        )
    return tuple(rows)


def digits(scale: bool = True, shuffle: bool = True, seed: Seed = 0) -> Data:
    """1797 handwritten digits of 8×8 pixels, and which digit each one is.

    ``X[i]`` holds the 64 pixels of image i row by row (``X[i][8 * r + c]`` is
    row r, column c); each pixel counts the ink in a 4×4 block of the original
    32×32 scan, from 0 to 16. With ``scale=True`` (the default) the counts are
    divided by 16, so every feature lies in [0, 1], the range a network with
    tanh or sigmoid units trains well on; ``scale=False`` keeps the counts.
    ``y[i]`` is the digit, 0 to 9 (about 180 images of each). The images are
    shuffled with ``seed`` (``shuffle=False`` keeps the file's order).

    The data is the test set of *Optical Recognition of Handwritten Digits*
    (E. Alpaydin, C. Kaynak, UCI Machine Learning Repository, 1998, CC BY 4.0),
    the copy scikit-learn's ``load_digits`` reads; it ships with chaingrad
    (57 kB), so no download and no scikit-learn are needed.
    """
    rng = make_rng(seed)
    rows = _digits_rows()
    divisor = 16.0 if scale else 1.0
    points = [[pixel / divisor for pixel in pixels] for pixels, _ in rows]
    labels: list[Any] = [label for _, label in rows]
    return _finish(points, labels, rng, shuffle)


__all__ = ["DatasetFileError", "blobs", "circles", "digits", "linear", "moons", "xor"]
