"""From scalars to tensors: the same model as a ``torch.nn`` module.

``model.to_torch()`` returns a ``torch.nn.Sequential`` of ``Linear`` layers
(float64) and activation modules holding the same weights, so outputs and
gradients agree with chaingrad's to rounding. Neuron j's weights
``Lk.Nj.w1 .. wn`` become row j of layer k's ``weight`` matrix and
``Lk.Nj.b`` entry j of its ``bias``: the matrix form W x + b of a layer.

The torch module maps a tensor of shape (batch, nin) to (batch, nout); an
MLP with one output gives shape (batch, 1) where chaingrad gives one Value.
PyTorch is optional and imported only here, on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nn.module import Module

from autograd.errors import MissingPackageError, WrongTypeError


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise MissingPackageError(
            "model.to_torch() needs PyTorch, which is not installed: pip install torch", name="torch"
        ) from None
    return torch


def _activation_module(torch: Any, activation: str | None, slope: Any) -> Any:
    if activation is None:
        return None
    if activation == "leaky_relu":
        return torch.nn.LeakyReLU(negative_slope=slope)
    if activation == "prelu":  # one learned α per neuron: PReLU with one parameter per channel
        prelu = torch.nn.PReLU(num_parameters=len(slope), dtype=torch.float64)
        with torch.no_grad():
            prelu.weight.copy_(torch.tensor(slope, dtype=torch.float64))
        return prelu
    return {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[activation]()


def to_torch(model: Module) -> Any:
    """The ``torch.nn.Sequential`` (float64) equivalent to ``model``, with its weights copied."""
    layers_of = getattr(model, "torch_layers", None)
    if layers_of is None:
        raise WrongTypeError(
            f"{type(model).__name__} has no PyTorch equivalent (it does not define torch_layers())"
        )
    torch = _import_torch()
    parts: list[Any] = []
    for weights, biases, activation, slope in layers_of():
        linear = torch.nn.Linear(len(weights[0]), len(weights), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(weights, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(biases, dtype=torch.float64))
        parts.append(linear)
        act = _activation_module(torch, activation, slope)
        if act is not None:
            parts.append(act)
    return torch.nn.Sequential(*parts)


__all__ = ["to_torch"]
