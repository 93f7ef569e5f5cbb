"""Initialisers: where the first weights come from (the usual schemes, by name).

An initialiser is a function ``(fan_in, fan_out, rng) -> float`` that draws one
weight. ``fan_in`` is the number of inputs of the neuron (``nin``) and
``fan_out`` the number of neurons in its layer (``nout``), so one weight matrix
of shape nout × nin gets the variance its name promises:

* ``random``:         U(-1, 1), as micrograd;                   variance 1/3
* ``xavier_uniform``: U(-a, a), a = √(6 / (fan_in + fan_out));  variance 2 / (fan_in + fan_out)
* ``xavier_normal``:  N(0, σ²), σ = √(2 / (fan_in + fan_out));  variance 2 / (fan_in + fan_out)
* ``he_uniform``:     U(-a, a), a = √(6 / fan_in);              variance 2 / fan_in
* ``he_normal``:      N(0, σ²), σ = √(2 / fan_in);              variance 2 / fan_in
* ``zeros``:          0

Xavier (Glorot) keeps the variance of signals about the same forwards and
backwards through tanh/sigmoid layers; He (Kaiming) doubles it to make up for
ReLU zeroing half of its inputs. ``glorot_*`` and ``kaiming_*`` are the same
functions under their other names.

Randomness always comes from a :class:`random.Random` you pass or build from a
seed with :func:`make_rng`; the global ``random`` state is never touched, so the
same seed gives the same model on every run.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from autograd.errors import InvalidArgumentError, WrongTypeError

Initializer = Callable[[int, int, random.Random], float]
"""Draws one weight: ``init(fan_in, fan_out, rng) -> float``."""

Seed = int | random.Random | None
"""What models accept as ``seed``: an int, a ``random.Random`` (used and
advanced as it is), or ``None`` for fresh randomness from the operating system."""


def make_rng(seed: Seed) -> random.Random:
    """A ``random.Random`` from ``seed`` (see :data:`Seed`); never the global one."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random()
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise WrongTypeError(
            f"seed must be an int, a random.Random or None, got {type(seed).__name__} {seed!r:.60}"
        )
    return random.Random(seed)


def random_uniform(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """U(-1, 1), micrograd's choice; variance 1/3 whatever the layer size."""
    return rng.uniform(-1.0, 1.0)


def xavier_uniform(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """U(-a, a) with a = √(6 / (fan_in + fan_out)); variance a²/3 = 2 / (fan_in + fan_out)."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit)


def xavier_normal(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """N(0, σ²) with σ = √(2 / (fan_in + fan_out))."""
    return rng.gauss(0.0, math.sqrt(2.0 / (fan_in + fan_out)))


def he_uniform(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """U(-a, a) with a = √(6 / fan_in); variance a²/3 = 2 / fan_in."""
    limit = math.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit)


def he_normal(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """N(0, σ²) with σ = √(2 / fan_in)."""
    return rng.gauss(0.0, math.sqrt(2.0 / fan_in))


def zeros(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """0.0 (the default for biases; for weights it makes every neuron of a layer the same)."""
    return 0.0


INITIALIZERS: dict[str, Initializer] = {
    "random": random_uniform,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "glorot_uniform": xavier_uniform,
    "glorot_normal": xavier_normal,
    "kaiming_uniform": he_uniform,
    "kaiming_normal": he_normal,
    "zeros": zeros,
}
"""Initialisers by name."""


def get_initializer(init: str | Initializer) -> Initializer:
    """The initialiser called ``init`` (or ``init`` itself if it is a function)."""
    if isinstance(init, str):
        try:
            return INITIALIZERS[init.lower()]
        except KeyError:
            raise InvalidArgumentError(
                f"unknown initialiser {init!r}; choose one of {', '.join(INITIALIZERS)}"
            ) from None
    if callable(init):
        return init
    raise WrongTypeError(f"init must be a name such as 'xavier_uniform' or a function, got {init!r:.60}")


def draw(init: str | Initializer, fan_in: int, fan_out: int, rng: random.Random) -> float:
    """One weight from ``init``, checked to be a finite number."""
    value = get_initializer(init)(fan_in, fan_out, rng)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value - value != 0.0:
        raise InvalidArgumentError(f"initialiser {init!r} returned {value!r}; it must return a finite number")
    return float(value)


__all__ = [
    "INITIALIZERS",
    "Initializer",
    "Seed",
    "draw",
    "get_initializer",
    "he_normal",
    "he_uniform",
    "make_rng",
    "random_uniform",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]
