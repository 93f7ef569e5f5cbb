"""``Module``: what every model shares (parameters, gradients, saving), with
PyTorch's vocabulary so that the step to ``torch.nn`` is short.

A parameter's name is its label, which carries its name scope:
``"L1.N0.w1"`` is layer 1, neuron 0, weight 1. The same names appear in
drawings, in explanations, in :meth:`Module.state_dict` and in saved files.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from typing import Any

from autograd import Parameter
from autograd import zero_grad as _zero_grads
from autograd.errors import InvalidArgumentError, NotDefinedError
from nn import serialization, torch_bridge


class Module:
    """Base class of the models: call it on an input to get its output.

    Subclasses define :meth:`forward`, :meth:`parameters` and :meth:`config`
    (the constructor arguments that rebuild the same architecture).
    """

    training: bool = True
    """Set by :meth:`train` / :meth:`eval`. No layer here behaves differently
    yet (there is no dropout); the flag is kept for the habit PyTorch teaches."""

    saveable: bool = False
    """A class that sets this to True can be saved to a file and rebuilt from
    one by :func:`nn.load`, which finds it by its name."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("saveable"):
            serialization.register(cls)

    @classmethod
    def parameter_count(cls, arguments: Mapping[str, Any]) -> int:
        """How many parameters ``cls(**arguments)`` has, worked out without
        building it (how :func:`nn.load` refuses a file describing a huge model)."""
        raise NotDefinedError(f"{cls.__name__} does not say how many parameters it has")

    # -- the computation -----------------------------------------------------

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    def forward(self, x: Any) -> Any:
        """The model's output for the input ``x`` (built as a graph of Values)."""
        raise NotDefinedError(f"{type(self).__name__} must define forward(x)")

    def children(self) -> list[Module]:
        """The modules this one is made of (an MLP's layers, a layer's neurons)."""
        return []

    def own_parameters(self) -> list[Parameter]:
        """The parameters this module holds itself, not through its children."""
        return []

    def modules(self) -> list[Module]:
        """This module and every module inside it, depth first, in order
        (walked with a stack: no recursion, however deep the nesting)."""
        found: list[Module] = []
        stack: list[Module] = [self]
        while stack:
            module = stack.pop()
            found.append(module)
            stack.extend(reversed(module.children()))
        return found

    # -- parameters and gradients --------------------------------------------

    def parameters(self) -> list[Parameter]:
        """Every learnable Value, in a fixed order (layer by layer, w1..wn then b)."""
        return [p for module in self.modules() for p in module.own_parameters()]

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs; the name is the parameter's label."""
        return [(p.label, p) for p in self.parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0 (gradients add up across backward calls)."""
        _zero_grads(self.parameters())

    def train(self, mode: bool = True) -> Module:
        """Mark this model (and its parts) as training; returns the model."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Mark this model (and its parts) as evaluating; returns the model."""
        return self.train(False)

    # -- weights as plain numbers --------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """Every parameter's number by name: ``{"L1.N0.w1": 0.37, ...}``."""
        state: dict[str, float] = {}
        for name, p in self.named_parameters():
            if name in state:
                raise InvalidArgumentError(
                    f"two parameters are both named {name!r}; names must be unique to save them"
                )
            state[name] = p.data
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set the parameters from ``state`` (as :meth:`state_dict` returns it).

        Everything is checked first (the same names, no more and no fewer, each
        a finite number); on any problem :class:`autograd.errors.ModelFileError`
        names it and no parameter has changed.
        """
        numbers = serialization.check_state_dict(self, state)
        for name, p in self.named_parameters():
            p.data = numbers[name]

    # -- files ---------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture (JSON-ready)."""
        raise NotDefinedError(f"{type(self).__name__} does not describe its architecture")

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the architecture and the weights to a JSON file (see :func:`nn.save`)."""
        serialization.save(self, path)

    def load(self, path: str | os.PathLike[str]) -> Module:
        """Read the weights saved in ``path`` into this model; returns the model.

        The file must hold the same architecture. If the file is corrupted,
        truncated or does not match, :class:`autograd.errors.ModelFileError`
        says what is wrong and the model is left untouched. (To rebuild a model
        from a file without having one, use :func:`nn.load`.)
        """
        serialization.load_into(self, path)
        return self

    def to_torch(self) -> Any:
        """The equivalent ``torch.nn`` module (float64) with the same weights.

        Needs PyTorch; see :func:`nn.torch_bridge.to_torch`.
        """
        return torch_bridge.to_torch(self)

    # -- display --------------------------------------------------------------

    def __repr__(self) -> str:
        try:
            arguments = self.config()
        except NotImplementedError:
            return f"{type(self).__name__}()"
        if "leaky_relu" not in arguments.values():
            arguments.pop("slope", None)
        if not arguments.get("name"):
            arguments.pop("name", None)
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})"

    def _repr_html_(self) -> str:
        params = self.parameters()
        head = f"<p><code>{html.escape(repr(self))}</code>: {len(params)} parameters</p>"
        if len(params) > 40:
            return head
        rows = "".join(
            f"<tr><td><code>{html.escape(p.label)}</code></td><td>{p.data:.6g}</td><td>{p.grad:.6g}</td></tr>"
            for p in params
        )
        return f"{head}<table><tr><th>name</th><th>data</th><th>grad</th></tr>{rows}</table>"


__all__ = ["Module"]
