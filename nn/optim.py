"""Optimizers: turn gradients into updates of the parameters.

After ``loss.backward()`` every parameter θ holds g = ∂L/∂θ in ``grad``;
``optimizer.step()`` moves each θ a little against its gradient, and
``optimizer.zero_grad()`` clears the gradients before the next batch (they add
up otherwise). The formulas are PyTorch's, so the same settings give the same
numbers as ``torch.optim.SGD`` and ``torch.optim.Adam``.

The learning rate can change with time: ``lr_schedule`` is any function of the
update number t = 0, 1, 2, ... that returns the learning rate for that update,
e.g. ``lambda t: 0.1 * 0.99 ** t``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from autograd import Value, no_grad
from autograd import zero_grad as _zero_grads
from autograd.errors import InvalidArgumentError, NonFiniteUpdateError, NotDefinedError, WrongTypeError

Schedule = Callable[[int], float]


def _check_rate(x: Any, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise WrongTypeError(f"{what} must be a number, got {type(x).__name__} {x!r:.60}")
    x = float(x)
    if not (x >= 0.0 and x - x == 0.0):
        raise InvalidArgumentError(f"{what} must be a finite number >= 0, got {x!r}")
    return x


def _name(p: Value) -> str:
    return repr(p.label) if p.label else "an unlabelled parameter"


def _check_parameters(params: Iterable[Value]) -> list[Value]:
    if isinstance(params, Value):
        params = [params]
    unique: dict[int, Value] = {}
    for p in params:
        if not isinstance(p, Value):
            raise WrongTypeError(
                f"an optimizer updates Values (model.parameters()), got {type(p).__name__} {p!r:.60}"
            )
        unique.setdefault(id(p), p)
    if not unique:
        raise InvalidArgumentError("the optimizer got no parameters to update")
    return list(unique.values())


class Optimizer:
    """What every optimizer shares: the parameters, the learning rate, the step count."""

    def __init__(self, params: Iterable[Value], lr: float, lr_schedule: Schedule | None = None) -> None:
        self.params = _check_parameters(params)
        self.lr = _check_rate(lr, "lr")
        if lr_schedule is not None and not callable(lr_schedule):
            raise WrongTypeError(
                f"lr_schedule must be a function of the step number, got {lr_schedule!r:.60}"
            )
        self.lr_schedule = lr_schedule
        self.step_count = 0
        """How many updates :meth:`step` has made."""

    def current_lr(self) -> float:
        """The learning rate of the next update: ``lr_schedule(step_count)``, or ``lr``."""
        if self.lr_schedule is None:
            return self.lr
        return _check_rate(self.lr_schedule(self.step_count), f"lr_schedule({self.step_count})")

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0."""
        _zero_grads(self.params)

    def step(self) -> None:
        """Update every parameter in place (``p.data``), under ``no_grad``.

        The new numbers, and the optimizer's running averages, are all
        computed first; if any is not finite (the learning rate is too large
        and the weights blew up, or a gradient so large that its square
        overflows), :class:`autograd.NonFiniteUpdateError` names the parameter
        and nothing changes. (PyTorch would go on with inf or NaN weights, or,
        for Adam, silently stop updating that parameter.)
        """
        lr = self.current_lr()
        with no_grad():
            new_data, commit = self._updates(lr)
        for p, x in zip(self.params, new_data):
            if x - x != 0.0:
                raise NonFiniteUpdateError(
                    f"{type(self).__name__} step {self.step_count}: {_name(p)} would become {x!r} "
                    f"(grad {p.grad!r}, lr {lr!r}); try a smaller learning rate"
                )
        for p, x in zip(self.params, new_data):
            p.data = x
        commit()
        self.step_count += 1

    def _refuse_non_finite(self, state: list[float], what: str, consequence: str) -> None:
        """Raise NonFiniteUpdateError if a running average in ``state`` overflowed."""
        total = sum(state)
        if total - total == 0.0:
            return
        for p, x in zip(self.params, state):
            if x - x != 0.0:
                raise NonFiniteUpdateError(
                    f"{type(self).__name__} step {self.step_count}: the {what} of {_name(p)} became {x!r} "
                    f"(grad {p.grad!r}); {consequence}. The gradients are exploding: lower the learning "
                    "rate, scale the inputs, or clip the gradients"
                )

    def _updates(self, lr: float) -> tuple[list[float], Callable[[], None]]:
        """The new value of each parameter, and a function that stores the new state."""
        raise NotDefinedError(f"{type(self).__name__} must define _updates(lr)")

    def _gradient(self, p: Value, weight_decay: float) -> float:
        """g = ∂L/∂θ + λθ: weight decay is an L2 penalty ½λθ² added to the loss."""
        return p.grad + weight_decay * p.data if weight_decay else p.grad


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and weight decay.

    With g = ∂L/∂θ + λθ (λ = ``weight_decay``), learning rate η and momentum μ:

        v ← g                  on the first update,  v ← μ·v + g   after it
        θ ← θ - η·v            (with μ = 0 this is θ ← θ - η·g, plain gradient descent)

    the same as ``torch.optim.SGD`` (dampening 0, no Nesterov).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        lr_schedule: Schedule | None = None,
    ) -> None:
        super().__init__(params, lr, lr_schedule)
        self.momentum = _check_rate(momentum, "momentum")
        self.weight_decay = _check_rate(weight_decay, "weight_decay")
        self.velocity: list[float] | None = None
        """The momentum buffers v, one per parameter (None before the first update)."""

    def _updates(self, lr: float) -> tuple[list[float], Callable[[], None]]:
        grads = [self._gradient(p, self.weight_decay) for p in self.params]
        if not self.momentum:
            return [p.data - lr * g for p, g in zip(self.params, grads)], lambda: None
        mu = self.momentum
        velocity = grads if self.velocity is None else [mu * v + g for v, g in zip(self.velocity, grads)]
        self._refuse_non_finite(velocity, "momentum buffer v", "every later update would be inf or NaN")

        def commit() -> None:
            self.velocity = velocity

        return [p.data - lr * v for p, v in zip(self.params, velocity)], commit

    def __repr__(self) -> str:
        return (
            f"SGD({len(self.params)} parameters, lr={self.lr!r}, momentum={self.momentum!r}, "
            f"weight_decay={self.weight_decay!r}, steps={self.step_count})"
        )


class Adam(Optimizer):
    """Adam: a step per parameter scaled by running averages of its gradient.

    With g = ∂L/∂θ + λθ, update number t = 1, 2, ..., rates β1, β2 and ε:

        m ← β1·m + (1 - β1)·g            the average gradient (momentum)
        v ← β2·v + (1 - β2)·g²           the average squared gradient
        m̂ = m / (1 - β1^t),  v̂ = v / (1 - β2^t)   (m and v start at 0; this undoes that bias)
        θ ← θ - η·m̂ / (√v̂ + ε)

    the same as ``torch.optim.Adam`` (weight decay added to g, not AdamW).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        lr_schedule: Schedule | None = None,
    ) -> None:
        super().__init__(params, lr, lr_schedule)
        if len(betas) != 2:
            raise InvalidArgumentError(f"betas must be two numbers (β1, β2), got {betas!r}")
        self.betas = (_check_rate(betas[0], "β1"), _check_rate(betas[1], "β2"))
        if not all(b < 1.0 for b in self.betas):
            raise InvalidArgumentError(f"betas must be below 1, got {betas!r}")
        self.eps = _check_rate(eps, "eps")
        if self.eps == 0.0:
            raise InvalidArgumentError("eps must be > 0 (it keeps the step finite where v is 0)")
        self.weight_decay = _check_rate(weight_decay, "weight_decay")
        self.m = [0.0] * len(self.params)
        """First moments m, one per parameter."""
        self.v = [0.0] * len(self.params)
        """Second moments v, one per parameter."""

    def _updates(self, lr: float) -> tuple[list[float], Callable[[], None]]:
        beta1, beta2 = self.betas
        t = self.step_count + 1
        grads = [self._gradient(p, self.weight_decay) for p in self.params]
        m = [beta1 * m + (1.0 - beta1) * g for m, g in zip(self.m, grads)]
        v = [beta2 * v + (1.0 - beta2) * g * g for v, g in zip(self.v, grads)]
        self._refuse_non_finite(m, "running average of the gradient m", "its updates would be NaN")
        self._refuse_non_finite(
            v,
            "running average of the squared gradient v",
            "its step m̂/(√v̂ + ε) would be 0 from now on, so it would silently stop learning",
        )
        step_size = lr / (1.0 - beta1**t)
        root_correction = math.sqrt(1.0 - beta2**t)
        new = [
            p.data - step_size * mi / (math.sqrt(vi) / root_correction + self.eps)
            for p, mi, vi in zip(self.params, m, v)
        ]

        def commit() -> None:
            self.m, self.v = m, v

        return new, commit

    def __repr__(self) -> str:
        return (
            f"Adam({len(self.params)} parameters, lr={self.lr!r}, betas={self.betas!r}, eps={self.eps!r}, "
            f"weight_decay={self.weight_decay!r}, steps={self.step_count})"
        )


__all__ = ["SGD", "Adam", "Optimizer", "Schedule"]
