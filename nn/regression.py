"""Logistic and linear regression: one neuron each, labelled as written by hand.

Logistic regression::

    z = w1·x1 + ... + wn·xn + b
    ŷ = σ(z)                 the probability that the label is 1

With the binary cross-entropy L = -[y log ŷ + (1 - y) log(1 - ŷ)], the chain
rule gives ∂L/∂z = ŷ - y, hence ∂L/∂wi = (ŷ - y)·xi and ∂L/∂b = ŷ - y.

Linear regression::

    ŷ = w1·x1 + ... + wn·xn + b

Both start from zero weights by default (the problem is convex, so there is
no symmetry to break); pass ``init="random"`` (or any name from
:mod:`nn.init`) to start elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nn.init import Initializer, Seed
from nn.layers import Neuron, check_count


class _Regression(Neuron):
    """One neuron whose activation is fixed by the model (``ACTIVATION``)."""

    ACTIVATION: str | None = None
    saveable = False  # the two models below are; this helper is not

    @classmethod
    def parameter_count(cls, arguments: Mapping[str, Any]) -> int:
        """One neuron: nin weights and a bias."""
        return check_count(arguments["nin"], "nin") + 1

    def __init__(
        self,
        nin: int,
        *,
        init: str | Initializer = "zeros",
        bias_init: str | Initializer = "zeros",
        seed: Seed = 0,
        name: str = "",
    ) -> None:
        super().__init__(nin, self.ACTIVATION, init=init, bias_init=bias_init, seed=seed, name=name)

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "name": self.name}


class LogisticRegression(_Regression):
    """A sigmoid neuron: ``ŷ = σ(w · x + b)``, labels ``w1..wn``, ``b``, ``z``, ``yhat``.

    Its output is a probability: train it with ``binary_cross_entropy`` (or
    ``half_sse``, as some textbooks do).
    """

    ACTIVATION = "sigmoid"
    OUTPUT_LABEL = "yhat"
    saveable = True


class LinearRegression(_Regression):
    """A linear neuron: ``ŷ = w · x + b``, labels ``w1..wn``, ``b``, ``yhat``.

    Train it with ``mse`` (or ``half_sse``).
    """

    ACTIVATION = None
    PRE_ACTIVATION_LABEL = "yhat"
    OUTPUT_LABEL = "yhat"
    saveable = True


__all__ = ["LinearRegression", "LogisticRegression"]
