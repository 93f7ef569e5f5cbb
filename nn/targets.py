"""Targets as compiled training sees them.

A regression target is an argument of the compiled loss, one number per
sample; a class label is baked into its class's own graph as a constant. Both
the per-edge and the matrix forms of ``fit(compile=True)`` decide this the
same way, here.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from autograd import Value
from autograd.errors import WrongTypeError

MAX_CLASSES = 64
"""The most class labels compiled training makes graphs for (one per label)."""


def targets_are_classes(info: Any, y: Sequence[Any]) -> bool:
    """Whether compiled training bakes each target into its own graph (class
    labels: known classification losses, or targets that are not numbers) or
    passes it as an argument (a regression target)."""
    if info is not None:
        return bool(info.output != "value")
    return not all(isinstance(t, (numbers.Real, Value)) for t in y)


def target_key(t: Any) -> Any:
    """Targets that are equal numbers share a compiled graph (1 and 1.0 alike)."""
    if isinstance(t, Value):
        return t.data
    if isinstance(t, numbers.Real):
        return float(t)
    return repr(t)


def target_number(t: Any) -> float:
    if isinstance(t, Value):
        return t.data
    if not isinstance(t, numbers.Real):
        raise WrongTypeError(
            f"fit(compile=True): a regression target must be a number, got {type(t).__name__}"
        )
    return float(t)


__all__ = ["MAX_CLASSES", "target_key", "target_number", "targets_are_classes"]
