"""``Value``: one number in a computation, and the node that remembers how it was made.

Each op on Values makes a new node that stores

* ``data``: the number it computed (the forward rule of the op table),
* ``op``: the op's name, ``inputs``: the Values it consumed, in order,
* ``local_grads``: ∂(this node)/∂(each input), computed right away from the table.

Backward then needs nothing but multiplication and addition. Nodes hold no
closures, so a graph contains no reference cycles and is freed as soon as the
last reference to it goes.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from autograd.errors import DomainError, InvalidArgumentError, WrongTypeError
from autograd.ops import OPS, Op, OutsideDomain

_grad_enabled = True


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block ops record no inputs: every result is a leaf.

    Use it for optimizer updates and evaluation, where no gradient is needed;
    it also skips computing local derivatives. The switch is process-wide
    (not per thread).
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad`."""
    return _grad_enabled


def to_float(x: Any, what: str = "Value") -> float:
    """Convert a user's number to a finite float, or say clearly why not.

    Accepts float, int, bool and any real number type (NumPy scalars included).
    """
    if type(x) is float:
        result = x
    elif isinstance(x, numbers.Real):
        try:
            result = float(x)
        except OverflowError:
            raise DomainError(f"{what}: {x!r} is too large to be a float") from None
    elif isinstance(x, (str, bytes)):
        raise WrongTypeError(f"{what} needs a number, got the string {x!r}; convert it with float() first")
    elif x is None:
        raise WrongTypeError(f"{what} needs a number, got None")
    elif isinstance(x, numbers.Complex):
        raise WrongTypeError(f"{what} needs a real number, got the complex number {x!r}")
    else:
        kind = type(x).__name__
        raise WrongTypeError(f"{what} needs a real number (int, float, NumPy scalar), got {kind} {x!r:.60}")
    if result - result != 0.0:
        raise InvalidArgumentError(f"{what} needs a finite number, got {result!r}")
    return result


class Value:
    """A scalar in a computation graph.

    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> y = (a * b).tanh(); y.backward()
    >>> round(a.grad, 6)   # ∂y/∂a = (1 - tanh²(ab)) · b
    -0.000295

    Gradients of leaves (Values with no inputs) accumulate across calls to
    :meth:`backward`, as in PyTorch; gradients of intermediate nodes are reset at
    the start of each backward. Comparisons (``<``, ``<=``, ``>``, ``>=``) compare
    ``data`` and return a bool: they are not differentiable. ``==`` is identity,
    so Values can be dict keys; compare ``a.data == b.data`` for equal numbers.
    """

    __slots__ = ("data", "grad", "label", "op", "inputs", "local_grads", "params")

    data: float
    grad: float
    label: str
    op: str
    inputs: tuple[Value, ...]
    local_grads: tuple[Any, ...]
    params: tuple[float, ...]

    def __init__(self, data: Any, label: str = "") -> None:
        if not isinstance(label, str):
            raise WrongTypeError(f"label must be a string, got {type(label).__name__} {label!r:.60}")
        self.data = to_float(data)
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.inputs = ()
        self.local_grads = ()
        self.params = ()

    # -- reading a node ------------------------------------------------------

    def __repr__(self) -> str:
        parts = [f"data={self.data!r}", f"grad={self.grad!r}"]
        if self.label:
            parts.append(f"label={self.label!r}")
        if self.op:
            parts.append(f"op={self.op!r}")
        return f"Value({', '.join(parts)})"

    def __float__(self) -> float:
        return self.data

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __bool__(self) -> bool:
        raise WrongTypeError(
            "the truth value of a Value is ambiguous; compare its number instead, e.g. `v.data > 0`"
        )

    def __lt__(self, other: Any) -> bool:
        return self.data < _number(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _number(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _number(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _number(other)

    __hash__ = object.__hash__

    is_parameter = False
    """True for :class:`Parameter` (a learnable weight); drawings colour it."""

    @property
    def is_leaf(self) -> bool:
        """True for a Value that no op made (an input, a parameter, a constant)."""
        return not self.inputs

    # -- gradients -----------------------------------------------------------

    def backward(self) -> None:
        """Compute ∂self/∂v for every Value v in the graph, into ``v.grad``.

        Seeds ``self.grad`` with 1, walks :func:`autograd.topological_order`
        from the output back to the inputs, and adds ``node.grad × local_grad``
        into each input: the chain rule, edge by edge. Leaf gradients accumulate
        across calls (zero them with :func:`autograd.zero_grad`); intermediate
        gradients are reset first. Raises :class:`NonFiniteGradientError` at the
        first node whose gradient is inf or NaN.
        """
        from autograd.graph import backward

        backward(self)

    # -- ops from the table; each docstring states the rule -----------------
    # (filled in below the class by _install_ops)

    __add__: Callable[[Value, Any], Value]
    __radd__: Callable[[Value, Any], Value]
    __sub__: Callable[[Value, Any], Value]
    __rsub__: Callable[[Value, Any], Value]
    __mul__: Callable[[Value, Any], Value]
    __rmul__: Callable[[Value, Any], Value]
    __truediv__: Callable[[Value, Any], Value]
    __rtruediv__: Callable[[Value, Any], Value]
    __neg__: Callable[[Value], Value]
    exp: Callable[[Value], Value]
    log: Callable[[Value], Value]
    sqrt: Callable[[Value], Value]
    tanh: Callable[[Value], Value]
    sigmoid: Callable[[Value], Value]
    softplus: Callable[[Value], Value]
    relu: Callable[[Value], Value]
    abs: Callable[[Value], Value]
    sin: Callable[[Value], Value]
    cos: Callable[[Value], Value]

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return self.abs()

    def __pow__(self, exponent: Any) -> Value:
        """x ** n for a number n (one input, n kept in ``params``), or
        x ** y for a Value y (two inputs, op ``"pow"``)."""
        if isinstance(exponent, Value):
            return _apply_binary(_POW, self, exponent)
        return _apply_with_param(_POW_N, self, to_float(exponent, "the exponent of **"))

    def __rpow__(self, base: Any) -> Value:
        """number ** Value: the number becomes a constant leaf."""
        return _apply_binary(_POW, constant(base), self)

    def prelu(self, alpha: Any) -> Value:
        """pReLU: x if x > 0 else α·x, where α is an input (a Value a model
        learns, or a number); ∂/∂x = 1 if x > 0 else α, ∂/∂α = 0 if x > 0 else x."""
        return _apply_binary(_PRELU, self, alpha if isinstance(alpha, Value) else constant(alpha))

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x if x > 0 else slope·x (pReLU when slope is learned elsewhere);
        d/dx = 1 if x > 0 else slope."""
        return _apply_with_param(_LEAKY, self, to_float(slope, "leaky_relu slope"))


class Parameter(Value):
    """A Value that a model learns (a weight or a bias).

    It behaves exactly like a Value; the marker lets drawings colour it and
    lets tools tell parameters from inputs. Its label usually carries the name
    scope, e.g. ``"L1.N0.w1"``: layer 1, neuron 0, weight 1.
    """

    __slots__ = ()
    is_parameter = True


def constant(x: Any) -> Value:
    """A number as a leaf Value (how ``x * 2`` brings the 2 into the graph)."""
    if isinstance(x, Value):
        return x
    return _leaf(to_float(x, "an operand"))


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else to_float(x, "a comparison")


_new = object.__new__


def _describe(v: Value) -> str:
    return f"{v.label}={v.data!r}" if v.label else repr(v.data)


def _domain_error(
    op: Op,
    inputs: Sequence[Value],
    params: Sequence[float],
    exc: Exception | None,
    in_derivative: bool = False,
) -> DomainError:
    """The error for an op applied outside its domain: names the op, the input
    values with their labels, and the rule that was broken."""
    args = ", ".join([_describe(v) for v in inputs] + [repr(p) for p in params])
    if exc is None:
        why = "the result is not a finite number (it overflowed or is NaN)"
    elif in_derivative:
        why = (
            f"the value is fine but its local derivative is infinite or undefined here ({op.math}); "
            "under autograd.no_grad() the value alone can be computed"
        )
    elif isinstance(exc, OverflowError):
        why = "the result overflows a float"
    elif isinstance(exc, OutsideDomain) or not op.domain:
        why = str(exc)
    else:
        why = f"{op.name} is defined only for {op.domain}"
    return DomainError(f"{op.name}({args}): {why}")


def _node(
    data: float, op: str, inputs: tuple[Value, ...], local: tuple[Any, ...], params: tuple[float, ...]
) -> Value:
    """A Value made without the checks of ``Value(...)``: ``data`` is already a finite float."""
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node.op = op
    node.inputs = inputs
    node.local_grads = local
    node.params = params
    return node


def _leaf(data: float) -> Value:
    return _node(data, "", (), (), ())


# The four ways an op is applied. They differ only in how they call the table's
# rules; each checks the forward result, catches a domain error and makes the node
# (under no_grad, a leaf, and the local derivatives are not even computed).
# (The float check `out - out != 0.0` is True exactly for inf and NaN.)


def _apply_unary(op: Op, x: Value) -> Value:
    a = x.data
    out = None
    try:
        out = op.forward(a)
        if out - out != 0.0:
            raise _domain_error(op, (x,), (), None)
        if not _grad_enabled:
            return _leaf(out)
        local = op.local(a, out)
    except (ArithmeticError, ValueError) as exc:
        if isinstance(exc, DomainError):
            raise
        raise _domain_error(op, (x,), (), exc, in_derivative=out is not None) from None
    return _node(out, op.name, (x,), local, ())


def _apply_with_param(op: Op, x: Value, p: float) -> Value:
    a = x.data
    out = None
    try:
        out = op.forward(a, p)
        if out - out != 0.0:
            raise _domain_error(op, (x,), (p,), None)
        if not _grad_enabled:
            return _leaf(out)
        local = op.local(a, out, p)
    except (ArithmeticError, ValueError) as exc:
        if isinstance(exc, DomainError):
            raise
        raise _domain_error(op, (x,), (p,), exc, in_derivative=out is not None) from None
    return _node(out, op.name, (x,), local, (p,))


def _apply_binary(op: Op, x: Value, y: Value) -> Value:
    a = x.data
    b = y.data
    out = None
    try:
        out = op.forward(a, b)
        if out - out != 0.0:
            raise _domain_error(op, (x, y), (), None)
        if not _grad_enabled:
            return _leaf(out)
        local = op.local(a, b, out)
    except (ArithmeticError, ValueError) as exc:
        if isinstance(exc, DomainError):
            raise
        raise _domain_error(op, (x, y), (), exc, in_derivative=out is not None) from None
    return _node(out, op.name, (x, y), local, ())


def _apply_variadic(op: Op, inputs: tuple[Value, ...]) -> Value:
    xs = tuple([v.data for v in inputs])
    out = None
    try:
        out = op.forward(xs)
        if out - out != 0.0:
            raise _domain_error(op, inputs, (), None)
        if not _grad_enabled:
            return _leaf(out)
        local = op.local(xs, out)
    except (ArithmeticError, ValueError) as exc:
        if isinstance(exc, DomainError):
            raise
        raise _domain_error(op, inputs, (), exc, in_derivative=out is not None) from None
    return _node(out, op.name, inputs, local, ())


def _binary_methods(op: Op) -> tuple[Callable[[Value, Any], Value], Callable[[Value, Any], Value]]:
    """``x OP y`` and the reflected ``number OP x``, for a two-input op."""

    def method(self: Value, other: Any) -> Value:
        if not isinstance(other, Value):
            other = constant(other)
        return _apply_binary(op, self, other)

    def reflected(self: Value, other: Any) -> Value:
        return _apply_binary(op, constant(other), self)

    method.__doc__ = reflected.__doc__ = op.math
    return method, reflected


def _unary_method(op: Op) -> Callable[[Value], Value]:
    def method(self: Value) -> Value:
        return _apply_unary(op, self)

    method.__name__ = op.name
    method.__doc__ = op.math
    return method


_POW = OPS["pow"]
_POW_N = OPS["**"]
_LEAKY = OPS["leaky_relu"]
_PRELU = OPS["prelu"]

for _symbol, _dunder in (("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "truediv")):
    _forward, _reflected = _binary_methods(OPS[_symbol])
    setattr(Value, f"__{_dunder}__", _forward)
    setattr(Value, f"__r{_dunder}__", _reflected)
Value.__neg__ = _unary_method(OPS["neg"])  # type: ignore[method-assign]
for _name in ("exp", "log", "sqrt", "tanh", "sigmoid", "softplus", "relu", "abs", "sin", "cos"):
    setattr(Value, _name, _unary_method(OPS[_name]))
Value.__abs__ = Value.abs  # type: ignore[method-assign]


def sum_values(values: Iterable[Any]) -> Value:
    """x1 + ... + xn as ONE node with n inputs (each local derivative is 1).

    Python's ``sum(values)`` also works but makes n - 1 nodes of ``+``.
    """
    inputs = tuple(v if isinstance(v, Value) else constant(v) for v in values)
    if not inputs:
        raise InvalidArgumentError("sum of no values: give at least one")
    return _apply_variadic(OPS["sum"], inputs)


def logsumexp(values: Iterable[Any]) -> Value:
    """log(e^x1 + ... + e^xn) as ONE node, computed without overflow; its local
    derivatives are the softmax: ∂/∂xi = e^xi / Σ e^xj. Softmax cross-entropy
    is ``logsumexp(z) - z[c]``."""
    inputs = tuple(v if isinstance(v, Value) else constant(v) for v in values)
    if not inputs:
        raise InvalidArgumentError("logsumexp of no values: give at least one")
    return _apply_variadic(OPS["logsumexp"], inputs)


def linear(weights: Sequence[Any], inputs: Sequence[Any], bias: Any) -> Value:
    """z = Σ w_i·x_i + b as ONE node: the pre-activation of a neuron.

    Its local derivatives are the ones a hand derivation writes down:
    ∂z/∂w_i = x_i, ∂z/∂x_i = w_i, ∂z/∂b = 1.
    """
    if len(weights) != len(inputs):
        raise InvalidArgumentError(
            f"linear: {len(weights)} weights but {len(inputs)} inputs; they must match"
        )
    if not weights:
        raise InvalidArgumentError("linear: give at least one weight and input")
    nodes = tuple(v if isinstance(v, Value) else constant(v) for v in (*weights, *inputs, bias))
    return _apply_variadic(OPS["linear"], nodes)
