"""Neurons, layers and multi-layer perceptrons.

A neuron computes, as a derivation by hand writes it,

    z = w1·x1 + ... + wn·xn + b        (one ``linear`` node: ∂z/∂wi = xi, ∂z/∂xi = wi, ∂z/∂b = 1)
    h = f(z)                           (one activation node, unless f is linear)

Every node is labelled with its name scope, so a drawing or an explanation
reads like the derivation. In ``MLP(2, [2, 1])``:

* ``L1.N0.w1``, ``L1.N0.w2``, ``L1.N0.b``: layer 1 (counted from 1), neuron 0
  (counted from 0), weights counted from 1 like the inputs ``x1``, ``x2``;
* ``L1.N0.z``: that neuron's pre-activation, ``L1.N0.h``: its output;
* ``x1``, ``x2``: the inputs, when you pass plain numbers.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from autograd import Parameter, Value, linear
from autograd.errors import InvalidArgumentError, WrongTypeError
from nn.activations import DEFAULT_SLOPE, activation_function, check_activation, check_slope
from nn.init import Initializer, Seed, draw, make_rng
from nn.module import Module


def check_count(n: Any, what: str) -> int:
    """A positive int (a number of inputs or neurons), or a clear error."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise WrongTypeError(f"{what} must be a positive int, got {type(n).__name__} {n!r:.60}")
    if n < 1:
        raise InvalidArgumentError(f"{what} must be at least 1, got {n}")
    return int(n)


def as_inputs(x: Any, nin: int, who: str) -> list[Value]:
    """The input of a model as ``nin`` Values.

    Plain numbers become leaves labelled ``x1 .. xn``; Values pass through as
    they are (so a layer's neurons all share the same input nodes). A single
    number or Value is accepted when ``nin`` is 1.
    """
    if isinstance(x, (Value, numbers.Real)):
        x = [x]
    elif isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise WrongTypeError(
            f"{who} takes a list of {nin} numbers or Values, got {type(x).__name__} {x!r:.60}"
        )
    if len(x) != nin:
        raise InvalidArgumentError(f"{who} takes {nin} inputs, got {len(x)}")
    return [xi if isinstance(xi, Value) else Value(xi, label=f"x{i}") for i, xi in enumerate(x, 1)]


def _scope(name: str) -> str:
    if not isinstance(name, str):
        raise WrongTypeError(f"name must be a string, got {type(name).__name__} {name!r:.60}")
    return f"{name}." if name else ""


class Neuron(Module):
    """One neuron: ``h = f(w · x + b)`` with ``nin`` weights and a bias.

    >>> n = Neuron(2, activation="sigmoid", seed=1)
    >>> [p.label for p in n.parameters()]
    ['w1', 'w2', 'b']

    activation: ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"`` (with
        ``slope``) or ``"linear"``/``None`` (see :mod:`nn.activations`).
    init: how weights are drawn (a name from :mod:`nn.init` or a function);
        ``bias_init`` likewise, zeros by default.
    fan_out: the number of neurons in the layer, for Xavier initialisation
        (a :class:`Layer` passes it).
    seed: an int, a ``random.Random`` or ``None`` (see :func:`nn.init.make_rng`).
    name: the name scope in front of every label (``"L1.N0"`` inside an MLP).
    """

    PRE_ACTIVATION_LABEL = "z"
    OUTPUT_LABEL = "h"
    saveable = True

    @classmethod
    def parameter_count(cls, arguments: Mapping[str, Any]) -> int:
        """nin weights, a bias, and for pReLU a learned α."""
        _check_common(arguments)
        return _per_neuron(check_count(arguments["nin"], "nin"), arguments["activation"])

    def __init__(
        self,
        nin: int,
        activation: str | None = "tanh",
        *,
        init: str | Initializer = "random",
        bias_init: str | Initializer = "zeros",
        slope: float = DEFAULT_SLOPE,
        fan_out: int = 1,
        seed: Seed = 0,
        name: str = "",
    ) -> None:
        self.nin = check_count(nin, "nin (the number of inputs)")
        self.activation = check_activation(activation)
        self.slope = check_slope(slope)
        self.name = name
        scope = _scope(name)
        rng = make_rng(seed)
        fan_out = check_count(fan_out, "fan_out")
        self.w = [
            Parameter(draw(init, self.nin, fan_out, rng), label=f"{scope}w{i}") for i in range(1, nin + 1)
        ]
        self.b = Parameter(draw(bias_init, self.nin, fan_out, rng), label=f"{scope}b")
        # pReLU learns its slope α: a parameter of this neuron, starting at `slope`
        self.alpha = Parameter(self.slope, label=f"{scope}alpha") if self.activation == "prelu" else None
        # data, not a closure: a model must deep-copy and pickle (α is read from self.alpha)
        self._activate = None if self.alpha is not None else activation_function(self.activation, self.slope)
        self._z_label = scope + self.PRE_ACTIVATION_LABEL
        self._out_label = scope + self.OUTPUT_LABEL

    def forward(self, x: Any) -> Value:
        """h = f(Σ wi·xi + b), with z and h labelled."""
        return self.forward_values(as_inputs(x, self.nin, type(self).__name__))

    def forward_values(self, xs: list[Value]) -> Value:
        """:meth:`forward` on inputs already checked by :func:`as_inputs`."""
        z = linear(self.w, xs, self.b)
        z.label = self._z_label
        if self.alpha is not None:
            h = z.prelu(self.alpha)
        elif self._activate is not None:
            h = self._activate(z)
        else:
            return z
        h.label = self._out_label
        return h

    def own_parameters(self) -> list[Parameter]:
        return [*self.w, self.b] if self.alpha is None else [*self.w, self.b, self.alpha]

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation, "slope": self.slope, "name": self.name}

    def torch_layers(self) -> list[tuple[list[list[float]], list[float], str | None, Any]]:
        """``(weights rows, biases, activation, slope)`` per layer, for :mod:`nn.torch_bridge`."""
        return [([[w.data for w in self.w]], [self.b.data], self.activation, self._slopes([self]))]

    @staticmethod
    def _slopes(neurons: Sequence[Neuron]) -> Any:
        """leaky_relu's fixed slope, or the learned α of each neuron for prelu."""
        if neurons[0].alpha is None:
            return neurons[0].slope
        return [n.alpha.data for n in neurons if n.alpha is not None]


def _per_neuron(nin: int, activation: Any) -> int:
    return nin + 1 + (check_activation(activation) == "prelu")


def _check_common(arguments: Mapping[str, Any]) -> None:
    """The arguments every model checks alike (even where no neuron uses them)."""
    for key in ("activation", "output_activation"):
        if key in arguments:
            check_activation(arguments[key])
    if "slope" in arguments:
        check_slope(arguments["slope"])


class Layer(Module):
    """``nout`` neurons that all read the same ``nin`` inputs.

    Calling a layer always returns a list of ``nout`` Values, even when
    ``nout`` is 1 (micrograd unwraps a single output, a known source of bugs
    inside networks). Neuron ``j`` (from 0) is named ``N{j}`` inside the
    layer's scope.
    """

    saveable = True

    @classmethod
    def parameter_count(cls, arguments: Mapping[str, Any]) -> int:
        """nout neurons of nin inputs each."""
        _check_common(arguments)
        nin = check_count(arguments["nin"], "nin")
        return _per_neuron(nin, arguments["activation"]) * check_count(arguments["nout"], "nout")

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "tanh",
        *,
        init: str | Initializer = "random",
        bias_init: str | Initializer = "zeros",
        slope: float = DEFAULT_SLOPE,
        seed: Seed = 0,
        name: str = "",
    ) -> None:
        self.nin = check_count(nin, "nin (the number of inputs)")
        self.nout = check_count(nout, "nout (the number of neurons)")
        self.activation = check_activation(activation)
        self.slope = check_slope(slope)
        self.name = name
        scope = _scope(name)
        rng = make_rng(seed)
        self.neurons = [
            Neuron(
                self.nin,
                self.activation,
                init=init,
                bias_init=bias_init,
                slope=self.slope,
                fan_out=self.nout,
                seed=rng,
                name=f"{scope}N{j}",
            )
            for j in range(self.nout)
        ]

    def forward(self, x: Any) -> list[Value]:
        return self.forward_values(as_inputs(x, self.nin, "Layer"))

    def forward_values(self, xs: list[Value]) -> list[Value]:
        """:meth:`forward` on inputs already checked by :func:`as_inputs`."""
        return [neuron.forward_values(xs) for neuron in self.neurons]

    def children(self) -> list[Module]:
        return list(self.neurons)

    def config(self) -> dict[str, Any]:
        return {
            "nin": self.nin,
            "nout": self.nout,
            "activation": self.activation,
            "slope": self.slope,
            "name": self.name,
        }

    def torch_layers(self) -> list[tuple[list[list[float]], list[float], str | None, Any]]:
        weights = [[w.data for w in n.w] for n in self.neurons]
        return [(weights, [n.b.data for n in self.neurons], self.activation, Neuron._slopes(self.neurons))]


class MLP(Module):
    """A multi-layer perceptron: layers of neurons, each reading the one before.

    ``MLP(2, [16, 16, 1])`` has two hidden layers of 16 neurons with
    ``activation`` and an output layer of 1 neuron with ``output_activation``
    (linear by default: the output is a score; use ``"sigmoid"`` for a
    probability). Layer ``i`` (from 1) is named ``L{i}``.

    Called on one input (a list of ``nin`` numbers or Values), it returns a
    single Value when the last layer has one neuron, else a list of Values.
    The weights are drawn from ``seed`` layer by layer, neuron by neuron, so
    the same seed always gives the same network.
    """

    saveable = True

    @classmethod
    def parameter_count(cls, arguments: Mapping[str, Any]) -> int:
        """Layer by layer: each neuron of a layer reads every output of the layer before."""
        _check_common(arguments)
        sizes = arguments["sizes"]
        if not isinstance(sizes, list) or not sizes:
            raise InvalidArgumentError(f"sizes must be a non-empty list of layer sizes, got {sizes!r:.60}")
        widths = [
            check_count(arguments["nin"], "nin"),
            *(check_count(n, f"layer size {i}") for i, n in enumerate(sizes, 1)),
        ]
        last = len(widths) - 2
        activations = [
            arguments.get("output_activation") if i == last else arguments.get("activation", "tanh")
            for i in range(last + 1)
        ]
        return sum(_per_neuron(a, f) * b for (a, b), f in zip(itertools.pairwise(widths), activations))

    def __init__(
        self,
        nin: int,
        sizes: Sequence[int],
        activation: str | None = "tanh",
        output_activation: str | None = None,
        *,
        init: str | Initializer = "random",
        bias_init: str | Initializer = "zeros",
        slope: float = DEFAULT_SLOPE,
        seed: Seed = 0,
        name: str = "",
    ) -> None:
        self.nin = check_count(nin, "nin (the number of inputs)")
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
            raise WrongTypeError(
                f"sizes must be a list of layer sizes such as [16, 16, 1], got {sizes!r:.60}"
            )
        if not sizes:
            raise InvalidArgumentError("sizes is empty: give at least one layer size, e.g. [1]")
        self.sizes = [check_count(n, f"layer size {i}") for i, n in enumerate(sizes, 1)]
        self.activation = check_activation(activation)
        self.output_activation = check_activation(output_activation)
        self.slope = check_slope(slope)
        self.name = name
        scope = _scope(name)
        rng = make_rng(seed)
        widths = [self.nin, *self.sizes]
        last = len(self.sizes) - 1
        self.layers = [
            Layer(
                widths[i],
                widths[i + 1],
                self.output_activation if i == last else self.activation,
                init=init,
                bias_init=bias_init,
                slope=self.slope,
                seed=rng,
                name=f"{scope}L{i + 1}",
            )
            for i in range(len(self.sizes))
        ]

    def forward(self, x: Any) -> Value | list[Value]:
        out = as_inputs(x, self.nin, "MLP")
        for layer in self.layers:
            out = layer.forward_values(out)
        return out[0] if len(out) == 1 else out

    def children(self) -> list[Module]:
        return list(self.layers)

    def config(self) -> dict[str, Any]:
        return {
            "nin": self.nin,
            "sizes": list(self.sizes),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "slope": self.slope,
            "name": self.name,
        }

    def torch_layers(self) -> list[tuple[list[list[float]], list[float], str | None, Any]]:
        return [spec for layer in self.layers for spec in layer.torch_layers()]


__all__ = ["MLP", "Layer", "Neuron"]
