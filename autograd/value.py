"""``Value``: one number in a computation, and the node that remembers how it was made.

Each op on Values makes a new node that stores

* ``data``: the number it computed (the forward rule of the op table),
* ``op``: the op's name, ``inputs``: the Values it consumed, in order,
* ``local_grads``: ∂(this node)/∂(each input), computed right away from the table,
* ``params``: the op's number parameters (the ``3`` of ``x ** 3``).

Backward then needs nothing but multiplication and addition. Nodes hold no
closures, so a graph contains no reference cycles and is freed as soon as the
last reference to it goes.

This module also holds the grad mode (:func:`no_grad`, :func:`enable_grad`,
:func:`set_grad_enabled`), kept per thread and per asyncio task, and the
registry :data:`OPS` that :mod:`autograd.rules` fills. The operator methods
(``+``, ``tanh``, ...) are installed by :mod:`autograd.ops` from the table,
``backward`` by :mod:`autograd.graph`.
"""

from __future__ import annotations

import functools
import numbers
import threading
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from autograd.errors import DomainError, InfiniteDerivativeError, InvalidArgumentError, WrongTypeError

if TYPE_CHECKING:
    from autograd.rules import Op

OPS: dict[str, Op] = {}
"""Every op, by name: the built-in table (:mod:`autograd.ops`) and the ops of
:func:`autograd.define_op`. ``OPS["tanh"].math`` states its rules."""

# -- grad mode ---------------------------------------------------------------------

_ENABLED: ContextVar[bool] = ContextVar("chaingrad_grad_enabled", default=True)
_BLOCKS: ContextVar[tuple[tuple[object, bool], ...]] = ContextVar("chaingrad_grad_blocks", default=())
_open_blocks = 0  # grad-mode blocks open in any thread; while 0 the mode is on everywhere
_open_blocks_lock = threading.Lock()

F = TypeVar("F", bound=Callable[..., Any])


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad` (in this thread or asyncio task)."""
    return _open_blocks == 0 or _ENABLED.get()


class set_grad_enabled:
    """``with set_grad_enabled(False):`` records no graph inside the block.

    The mode belongs to the thread (and asyncio task) that enters the block:
    another thread evaluating under ``no_grad`` never switches recording off
    for a thread that trains. Blocks may close in any order (a generator that
    is closed late, say): the mode is always the one of the innermost block
    still open, and on when none is. Also a decorator: ``@set_grad_enabled(False)``.
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise WrongTypeError(f"set_grad_enabled takes True or False, got {mode!r:.40}")
        self.mode = mode
        self._tokens: list[object] = []

    def __enter__(self) -> set_grad_enabled:
        global _open_blocks
        token = object()
        with _open_blocks_lock:
            _open_blocks += 1
        _BLOCKS.set((*_BLOCKS.get(), (token, self.mode)))
        _ENABLED.set(self.mode)
        self._tokens.append(token)
        return self

    def __exit__(self, *exc_info: object) -> None:
        global _open_blocks
        token = self._tokens.pop()
        blocks = tuple(block for block in _BLOCKS.get() if block[0] is not token)
        _BLOCKS.set(blocks)
        _ENABLED.set(blocks[-1][1] if blocks else True)
        with _open_blocks_lock:
            _open_blocks -= 1

    def __call__(self, function: F) -> F:
        mode = self.mode

        @functools.wraps(function)
        def with_mode(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return function(*args, **kwargs)

        return with_mode  # type: ignore[return-value]


class no_grad(set_grad_enabled):
    """Inside ``with no_grad():`` ops record nothing: every result is a leaf.

    Use it for optimizer updates and evaluation, where no gradient is needed;
    it also skips computing local derivatives. Per thread and per asyncio
    task. Also a decorator, with or without parentheses: ``@no_grad``.
    """

    def __new__(cls, function: Any = None) -> Any:
        if callable(function):  # @no_grad without parentheses
            return set_grad_enabled(False)(function)
        return super().__new__(cls)

    def __init__(self, function: Any = None) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record the graph again inside a :func:`no_grad` block (per thread)."""

    def __new__(cls, function: Any = None) -> Any:
        if callable(function):
            return set_grad_enabled(True)(function)
        return super().__new__(cls)

    def __init__(self, function: Any = None) -> None:
        super().__init__(True)


# -- numbers -------------------------------------------------------------------------


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


class InfiniteDerivative(float):
    """A local derivative that is infinite or undefined where it was taken:
    d√x/dx at x = 0, d(0 ** y)/d(base) for 0 < y < 1.

    It is stored on the node like any local derivative (as ``inf``), so the
    value can be computed, printed and drawn. Backward multiplies it by the
    gradient arriving at the node: by 0 that gives 0 (that path contributes
    nothing), by anything else :class:`InfiniteDerivativeError`, which names
    the node. An edge into a literal constant (the 0 of ``0 ** y``) never
    raises: nobody can ask for the gradient of a number written in the code.
    """

    __slots__ = ("into_constant", "reason")

    reason: str
    into_constant: bool

    def __new__(cls, reason: str, into_constant: bool = False) -> InfiniteDerivative:
        self = super().__new__(cls, "inf")
        self.reason = reason
        self.into_constant = into_constant
        return self

    def __rmul__(self, gradient: Any) -> Any:
        if gradient == 0.0:
            return 0.0
        if self.into_constant:
            return float("inf")
        raise InfiniteDerivativeError(
            f"backward multiplies a gradient of {float(gradient):g} by an infinite local derivative: "
            f"{self.reason}; a gradient cannot pass through this point",
            hint="move away from it, or compute the value under autograd.no_grad() if no gradient is needed",
        )

    __mul__ = __rmul__

    def __reduce__(self) -> tuple[Any, ...]:
        return (InfiniteDerivative, (self.reason, self.into_constant))

    def __repr__(self) -> str:
        return "inf"


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

    __slots__ = ("data", "grad", "inputs", "label", "local_grads", "op", "params")

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
        return f"{type(self).__name__}({', '.join(parts)})"

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

    is_constant = False
    """True for :class:`Constant`: a number written in the code (the 3 of ``x * 3``)."""

    @property
    def is_leaf(self) -> bool:
        """True for a Value that no op made (an input, a parameter, a constant)."""
        return not self.inputs

    def _apply_function(self, name: str, args: tuple[Any, ...]) -> Value:
        """How :mod:`autograd.functions` applies a function to a Value: its op."""
        return OPS[name].function(*args)  # type: ignore[no-any-return]

    def __copy__(self) -> Value:
        """A node with the same number, label and inputs (the inputs are shared)."""
        copy = make_node(self.data, self.op, self.inputs, self.local_grads, self.params, type(self))
        copy.grad, copy.label = self.grad, self.label
        return copy

    # -- installed by autograd.graph ----------------------------------------

    backward: Callable[[Value], None]
    """∂self/∂v for every Value v of the graph, into ``v.grad`` (see
    :func:`autograd.graph.backward`)."""

    # -- ops from the table, installed by autograd.ops; each docstring states the rule

    __add__: Callable[[Value, Any], Value]
    __radd__: Callable[[Value, Any], Value]
    __sub__: Callable[[Value, Any], Value]
    __rsub__: Callable[[Value, Any], Value]
    __mul__: Callable[[Value, Any], Value]
    __rmul__: Callable[[Value, Any], Value]
    __truediv__: Callable[[Value, Any], Value]
    __rtruediv__: Callable[[Value, Any], Value]
    __pow__: Callable[[Value, Any], Value]
    __rpow__: Callable[[Value, Any], Value]
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
    leaky_relu: Callable[..., Value]
    prelu: Callable[[Value, Any], Value]

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return self.abs()


class Parameter(Value):
    """A Value that a model learns (a weight or a bias).

    It behaves exactly like a Value; the marker lets drawings colour it and
    lets tools tell parameters from inputs. Its label usually carries the name
    scope, e.g. ``"L1.N0.w1"``: layer 1, neuron 0, weight 1.
    """

    __slots__ = ()
    is_parameter = True


class Constant(Value):
    """A number written in the code, brought into the graph as a leaf: the ``3``
    of ``x * 3``. Tools name it by its number, stepping does not spend a step
    on it, and its gradient is never needed."""

    __slots__ = ()
    is_constant = True


def constant(x: Any) -> Value:
    """A number as a :class:`Constant` leaf (how ``x * 2`` brings the 2 into the graph).
    A Value is returned as it is."""
    if isinstance(x, Value):
        return x
    node = _new(Constant)
    node.data = to_float(x, "an operand")
    node.grad = 0.0
    node.label = node.op = ""
    node.inputs = node.local_grads = node.params = ()
    return node


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else to_float(x, "a comparison")


_new = object.__new__


def make_node(
    data: float,
    op: str,
    inputs: tuple[Value, ...],
    local: tuple[Any, ...],
    params: tuple[float, ...],
    cls: type[Value] = Value,
) -> Value:
    """A Value made without the checks of ``Value(...)``: ``data`` is already a finite float."""
    node = _new(cls)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node.op = op
    node.inputs = inputs
    node.local_grads = local
    node.params = params
    return node


def make_leaf(data: float) -> Value:
    """A result computed under :func:`no_grad`: a leaf with no history."""
    return make_node(data, "", (), (), ())


# -- applying an op to Values --------------------------------------------------------
# The engine's hot path. The op's rules were compiled to float functions when
# it was defined (autograd.rules): `float_rule` gives the output and every
# local derivative in one call, `float_forward` only the output (under
# no_grad). Anything unusual (an exception, an inf or NaN) goes to the op's
# slow path, which explains a domain error or records an infinite derivative.
# (`out - out == 0.0` is False exactly for inf and NaN.)


def apply_unary(op: Op, x: Value) -> Value:
    """An op with one input and no parameters, on a Value."""
    try:
        if _open_blocks == 0 or _ENABLED.get():
            out, local = op.float_rule(x.data)
            if out - out == 0.0:
                return make_node(out, op.name, (x,), local, ())
        else:
            out = op.float_forward(x.data)
            if out - out == 0.0:
                return make_node(out, "", (), (), ())
    except (ArithmeticError, ValueError):
        pass
    return op.failed((x,), ())


def apply_binary(op: Op, x: Value, y: Value) -> Value:
    """An op with two inputs and no parameters, on Values."""
    try:
        if _open_blocks == 0 or _ENABLED.get():
            out, local = op.float_rule(x.data, y.data)
            if out - out == 0.0:
                return make_node(out, op.name, (x, y), local, ())
        else:
            out = op.float_forward(x.data, y.data)
            if out - out == 0.0:
                return make_node(out, "", (), (), ())
    except (ArithmeticError, ValueError):
        pass
    return op.failed((x, y), ())


def apply_with_params(op: Op, x: Value, params: tuple[float, ...]) -> Value:
    """An op with one input and number parameters (``x ** 2``), on a Value."""
    forward, rule = op.specialized.get(params) or op.rules_for(params)
    try:
        if _open_blocks == 0 or _ENABLED.get():
            out, local = rule(x.data)
            if out - out == 0.0:
                return make_node(out, op.name, (x,), local, params)
        else:
            out = forward(x.data)
            if out - out == 0.0:
                return make_node(out, "", (), (), ())
    except (ArithmeticError, ValueError):
        pass
    return op.failed((x,), params)


def apply_op(op: Op, inputs: tuple[Value, ...], params: tuple[float, ...] = ()) -> Value:
    """Any op on Values, with its number parameters."""
    if op.variadic:
        return apply_variadic(op, inputs)
    try:
        if _open_blocks == 0 or _ENABLED.get():
            out, local = op.float_rule(*[v.data for v in inputs], *params)
            if out - out == 0.0:
                return make_node(out, op.name, inputs, local, params)
        else:
            out = op.float_forward(*[v.data for v in inputs], *params)
            if out - out == 0.0:
                return make_node(out, "", (), (), ())
    except (ArithmeticError, ValueError):
        pass
    return op.failed(inputs, params)


def apply_variadic(op: Op, inputs: tuple[Value, ...]) -> Value:
    """An op that takes any number of inputs (sum, linear), on Values."""
    xs = tuple([v.data for v in inputs])
    try:
        if _open_blocks == 0 or _ENABLED.get():
            out, local = op.float_rule(xs)
            if out - out == 0.0:
                return make_node(out, op.name, inputs, local, ())
        else:
            out = op.float_forward(*xs)
            if out - out == 0.0:
                return make_node(out, "", (), (), ())
    except (ArithmeticError, ValueError):
        pass
    return op.failed(inputs, ())


def _as_values(values: Iterable[Any], who: str) -> tuple[Value, ...]:
    inputs = tuple(v if isinstance(v, Value) else constant(v) for v in values)
    if not inputs:
        raise InvalidArgumentError(f"{who} of no values: give at least one")
    return inputs


def sum_values(values: Iterable[Any]) -> Value:
    """x1 + ... + xn as ONE node with n inputs (each local derivative is 1).

    Python's ``sum(values)`` also works but makes n - 1 nodes of ``+``.
    """
    return apply_variadic(OPS["sum"], _as_values(values, "sum"))


def logsumexp(values: Iterable[Any]) -> Value:
    """log(e^x1 + ... + e^xn) as ONE node, computed without overflow; its local
    derivatives are the softmax: ∂/∂xi = e^xi / Σ e^xj. Softmax cross-entropy
    is ``logsumexp(z) - z[c]``."""
    return apply_variadic(OPS["logsumexp"], _as_values(values, "logsumexp"))


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
    return apply_variadic(OPS["linear"], _as_values((*weights, *inputs, bias), "linear"))
