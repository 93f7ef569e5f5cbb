"""Activation functions by name: the non-linearity a neuron applies to z.

Each is one op of the engine's table, so its derivative is the table's local
rule (σ'(z) = σ(z)(1 - σ(z)), tanh'(z) = 1 - tanh²(z), ...):

* ``sigmoid``:    h = 1 / (1 + e^-z),          f'(z) = h (1 - h)
* ``tanh``:       h = tanh z,                  f'(z) = 1 - h²
* ``relu``:       h = max(z, 0),               f'(z) = 1 if z > 0 else 0
* ``leaky_relu``: h = z if z > 0 else slope·z, f'(z) = 1 if z > 0 else slope
* ``prelu``:      h = z if z > 0 else α·z with α learned, one per neuron
  (pReLU(x) = max(x, 0) + α min(0, x)); ∂h/∂z = 1 or α, ∂h/∂α = 0 or z.
  α is a Parameter labelled ``...alpha`` that starts at ``slope``.
* ``linear`` (or ``None``): h = z, no node at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from autograd import Value
from autograd.errors import InvalidArgumentError, WrongTypeError

ACTIVATIONS: tuple[str, ...] = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "linear")
"""The names a Neuron, Layer or MLP accepts (``None`` means ``"linear"``)."""

DEFAULT_SLOPE = 0.01
"""leaky_relu's slope for z <= 0 when none is given (PyTorch's default too)."""


def check_activation(activation: str | None) -> str | None:
    """The canonical form of an activation name: ``None`` for linear.

    Raises ValueError (or TypeError) naming the valid choices.
    """
    if activation is None:
        return None
    if not isinstance(activation, str):
        raise WrongTypeError(
            f"activation must be a name such as 'tanh' (or None), got {type(activation).__name__} "
            f"{activation!r:.60}"
        )
    name = activation.lower()
    if name in ("linear", "none", "identity"):
        return None
    if name in ACTIVATIONS:
        return name
    raise InvalidArgumentError(
        f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)} or None"
    )


def check_slope(slope: float) -> float:
    """leaky_relu's slope as a finite float."""
    if isinstance(slope, bool) or not isinstance(slope, (int, float)):
        raise WrongTypeError(f"slope must be a number, got {type(slope).__name__} {slope!r:.60}")
    slope = float(slope)
    if slope - slope != 0.0:
        raise InvalidArgumentError(f"slope must be finite, got {slope!r}")
    return slope


@dataclass(frozen=True)
class Activation:
    """An activation as data: the name of a Value method (and leaky_relu's slope).

    Calling it applies that op, ``Activation("tanh")(z)`` is ``z.tanh()``. It is a
    plain object rather than a lambda, so models that hold one can be
    deep-copied, pickled and sent to other processes.
    """

    name: str
    slope: float = DEFAULT_SLOPE

    def __call__(self, z: Value) -> Value:
        if self.name == "leaky_relu":
            return z.leaky_relu(self.slope)
        method: Callable[[], Value] = getattr(z, self.name)
        return method()

    def __repr__(self) -> str:
        if self.name == "leaky_relu":
            return f"Activation({self.name!r}, slope={self.slope!r})"
        return f"Activation({self.name!r})"


def activation_function(activation: str | None, slope: float = DEFAULT_SLOPE) -> Activation | None:
    """The :class:`Activation` that applies ``activation`` (``None`` for linear: no node).

    ``prelu`` has a learned input of its own, so a Neuron applies it itself.
    """
    name = check_activation(activation)
    if name is None:
        return None
    if name == "prelu":
        raise InvalidArgumentError("prelu needs its learned α: a Neuron applies it with z.prelu(alpha)")
    return Activation(name, check_slope(slope) if name == "leaky_relu" else DEFAULT_SLOPE)


__all__ = ["ACTIVATIONS", "DEFAULT_SLOPE", "Activation", "activation_function", "check_activation"]
