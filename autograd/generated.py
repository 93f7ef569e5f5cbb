"""Running generated code: what it may call, and the one place it is built.

:mod:`autograd.compiling` (the per-edge form) and :mod:`autograd.matrix_form`
(the matrix form) both turn source written by chaingrad into functions here,
with a namespace holding only the math they call, over floats or NumPy
arrays, and two signals the generated code raises.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any, NamedTuple

from autograd.codegen import Variant
from autograd.errors import MissingPackageError
from autograd.functions import FLOAT_FUNCTIONS
from autograd.rules import numpy_functions
from autograd.value import OPS


class OutsideDomain(Exception):
    """Raised by ``domain_error()`` in generated code when a guard fails."""


class NotFinite(Exception):
    """Raised by ``not_finite()`` in generated code when a value is inf or NaN."""


def domain_error_signal() -> float:
    raise OutsideDomain


def not_finite_signal() -> None:
    raise NotFinite


def float_functions() -> dict[str, Any]:
    """What generated float code calls: the float form of every function, and
    of every op that a rule calls by name."""
    functions: dict[str, Any] = {name: op.float_forward for name, op in OPS.items() if name.isidentifier()}
    functions.update(FLOAT_FUNCTIONS)
    functions.update(
        {"zip": builtins.zip, "domain_error": domain_error_signal, "not_finite": not_finite_signal}
    )
    return functions


def numpy_module() -> Any:
    try:
        import numpy
    except ImportError:
        raise MissingPackageError(
            "the batched form of compiled graphs needs NumPy: pip install 'chaingrad[fast]' "
            "(or use backend='python', a loop over plain floats)"
        ) from None
    return numpy


def numpy_namespace(np: Any) -> dict[str, Any]:
    """What generated NumPy code calls: the functions over arrays, and the
    NumPy form of every op that a rule calls by name."""
    functions = dict(numpy_functions(np))
    for name, op in OPS.items():
        if name.isidentifier() and name not in functions and not op.variadic:
            functions[name] = _LazyNumpyOp(op, np)
    functions.update({"all": np.all, "domain_error": domain_error_signal})
    return functions


class _LazyNumpyOp:
    """An op's NumPy forward rule, generated on its first call."""

    def __init__(self, op: Any, np: Any) -> None:
        self.op, self.np = op, np

    def __call__(self, *args: Any) -> Any:
        return self.op.numpy_forward(self.np)(*args)


def build(variant: Variant, functions: dict[str, Any]) -> Callable[..., Any]:
    """Turn OUR generated source into a function.

    This is the one place chaingrad calls compile()/exec: the source was
    written above from our own counters, number literals and the template
    table; user text (labels) appears only inside escaped comments. It runs in
    a fresh namespace holding only math functions and our two error signals,
    with no builtins.
    """
    namespace: dict[str, Any] = {"__builtins__": {}, **functions}
    code = builtins.compile(variant.source, f"<chaingrad compiled {variant.function_name}>", "exec")
    exec(code, namespace)
    return namespace[variant.function_name]  # type: ignore[no-any-return]


def compiled_frame(exc: BaseException, function: Callable[..., Any]) -> tuple[Any, int]:
    """The frame of the generated function in exc's traceback, and its line."""
    tb = exc.__traceback__
    found = (None, 0)
    while tb is not None:
        if tb.tb_frame.f_code is function.__code__:  # type: ignore[attr-defined]
            found = (tb.tb_frame, tb.tb_lineno)
        tb = tb.tb_next
    return found


class CompiledResult(NamedTuple):
    """What a compiled graph returns: unpack it as ``value, grads, param_grads``.

    value: the output (per sample in a batch);
    grads: ∂output/∂argument, one per argument of f (per sample in a batch);
    param_grads: ∂output/∂parameter, one per parameter (summed, averaged, or
        per sample in a batch, as ``reduce`` says).
    """

    value: Any
    grads: tuple[Any, ...]
    param_grads: tuple[Any, ...]


__all__ = [
    "CompiledResult",
    "NotFinite",
    "OutsideDomain",
    "build",
    "compiled_frame",
    "float_functions",
    "numpy_module",
    "numpy_namespace",
]
