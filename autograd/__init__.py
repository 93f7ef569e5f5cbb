"""chaingrad's engine: scalar reverse-mode automatic differentiation that shows its work.

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> y = x * x * 3
>>> y.backward()
>>> x.grad
12.0

The tools that help you see and check the chain rule (drawing, stepping,
explaining, checking, parsing, compiling) live in modules of their own and are
imported on first use, so ``import autograd`` stays light and needs nothing but
the standard library.
"""

from __future__ import annotations

import importlib
from typing import Any

from autograd import functions
from autograd.errors import (
    ChaingradError,
    DataError,
    DataTypeError,
    DomainError,
    GradDisabledError,
    GradientMismatchError,
    GraphTooLargeError,
    InfiniteDerivativeError,
    InvalidArgumentError,
    MissingFolderError,
    MissingPackageError,
    ModelFileError,
    ModelFileNotFoundError,
    NonFiniteGradientError,
    NonFiniteUpdateError,
    NotDefinedError,
    ParseError,
    WrongTypeError,
)
from autograd.expressions import RuleError
from autograd.graph import backward, grad, propagate, topological_order, zero_grad
from autograd.naming import node_names
from autograd.ops import OPS, TABLE
from autograd.rules import Op, define_op
from autograd.value import (
    Constant,
    Parameter,
    Value,
    constant,
    enable_grad,
    is_grad_enabled,
    linear,
    logsumexp,
    no_grad,
    set_grad_enabled,
    sum_values,
)

__version__ = "0.1.0"

# name -> module that defines it; loaded on first access (PEP 562)
_TOOLS = {
    "draw": "autograd.drawing",
    "save_graph": "autograd.drawing",
    "to_dot": "autograd.drawing",
    "backward_steps": "autograd.stepping",
    "Step": "autograd.stepping",
    "export_steps": "autograd.stepping",
    "step_through": "autograd.player",
    "save_steps": "autograd.player",
    "read_network": "autograd.neurons",
    "StepPlayer": "autograd.player",
    "explain": "autograd.explaining",
    "Explanation": "autograd.explaining",
    "count_paths": "autograd.explaining",
    "numeric_grad": "autograd.checking",
    "check_grads": "autograd.checking",
    "check_formula": "autograd.checking",
    "GradReport": "autograd.checking",
    "parse": "autograd.parsing",
    "compile": "autograd.compiling",
    "CompiledGraph": "autograd.compiling",
    "CompiledResult": "autograd.compiling",
    # errors that belong to one tool (all are ChaingradError subclasses)
    "LabelError": "autograd.explaining",
    "GraphvizError": "autograd.drawing",
    "GraphvizNotFoundError": "autograd.drawing",
    "GraphvizTimeoutError": "autograd.drawing",
    "StepPlayerError": "autograd.errors",
    "NeuronViewError": "autograd.errors",
    "NotANetworkError": "autograd.errors",
    "CompileError": "autograd.compiling",
    "TraceMismatchError": "autograd.compiling",
}


def __getattr__(name: str) -> Any:
    module = _TOOLS.get(name)
    if module is None:
        raise AttributeError(f"module 'autograd' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_TOOLS))


__all__ = [
    "OPS",
    "TABLE",
    "ChaingradError",
    "Constant",
    "DataError",
    "DataTypeError",
    "DomainError",
    "GradDisabledError",
    "GradientMismatchError",
    "GraphTooLargeError",
    "InfiniteDerivativeError",
    "InvalidArgumentError",
    "MissingFolderError",
    "MissingPackageError",
    "ModelFileError",
    "ModelFileNotFoundError",
    "NonFiniteGradientError",
    "NonFiniteUpdateError",
    "NotDefinedError",
    "Op",
    "Parameter",
    "ParseError",
    "RuleError",
    "WrongTypeError",
    "Value",
    "backward",
    "constant",
    "define_op",
    "enable_grad",
    "functions",
    "grad",
    "is_grad_enabled",
    "linear",
    "logsumexp",
    "no_grad",
    "node_names",
    "propagate",
    "set_grad_enabled",
    "sum_values",
    "topological_order",
    "zero_grad",
    # not "compile": a star import must not shadow the built-in compile()
    *(name for name in _TOOLS if name != "compile"),
]
