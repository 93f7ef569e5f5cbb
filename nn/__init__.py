"""Models built from ``autograd.Value``: neurons, layers, MLPs, losses, optimizers, training.

The names are PyTorch's, so the next step to ``torch.nn`` is short:

>>> import nn
>>> X, y = nn.datasets.moons(100, noise=0.1, seed=0)
>>> model = nn.MLP(2, [16, 16, 1], activation="tanh", seed=0)
>>> opt = nn.Adam(model.parameters(), lr=0.05)
>>> history = nn.fit(model, X, y, "binary_cross_entropy_with_logits", opt, epochs=3, progress=False)
>>> history.updates
3

Every parameter is an ``autograd.Parameter`` labelled with its name scope
(``"L1.N0.w1"``: layer 1, neuron 0, weight 1), so drawings and explanations of
the graph read like a derivation by hand.

Modules: :mod:`nn.layers` (Neuron, Layer, MLP), :mod:`nn.regression`,
:mod:`nn.activations`, :mod:`nn.init`, :mod:`nn.losses`, :mod:`nn.optim`,
:mod:`nn.datasets`, :mod:`nn.training` (fit), :mod:`nn.validation` (the
data checks fit makes first), :mod:`nn.evaluation`
(predict, accuracy, decision_grid), :mod:`nn.serialization` (save, load),
:mod:`nn.torch_bridge` (to_torch).
"""

from __future__ import annotations

from nn import datasets, init
from nn.activations import ACTIVATIONS
from nn.evaluation import DecisionGrid, accuracy, decision_grid, predict
from nn.layers import MLP, Layer, Neuron
from nn.losses import (
    LOSSES,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    half_sse,
    hinge,
    l1,
    l2,
    mae,
    mse,
)
from nn.module import Module
from nn.optim import SGD, Adam, Optimizer
from nn.regression import LinearRegression, LogisticRegression
from nn.serialization import load, save
from nn.training import History, fit

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "MLP",
    "SGD",
    "Adam",
    "DecisionGrid",
    "History",
    "Layer",
    "LinearRegression",
    "LogisticRegression",
    "Module",
    "Neuron",
    "Optimizer",
    "accuracy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "datasets",
    "decision_grid",
    "fit",
    "half_sse",
    "hinge",
    "init",
    "l1",
    "l2",
    "load",
    "mae",
    "mse",
    "predict",
    "save",
]
