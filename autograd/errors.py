"""One small family of exceptions, with messages a learner can act on.

Every error chaingrad raises on purpose is a :class:`ChaingradError`. Each one
also subclasses the built-in exception a Python programmer would expect
(``ValueError`` for bad numbers, ``TypeError`` for wrong types), so existing
``except ValueError`` code keeps working.
"""

from __future__ import annotations


class ChaingradError(Exception):
    """Base class of every error raised on purpose by chaingrad."""


class DomainError(ChaingradError, ValueError):
    """An op was asked for a value outside its domain (log of a negative number,
    division by zero, an overflow, a derivative that is infinite there)."""


class NonFiniteGradientError(DomainError):
    """Backward produced a gradient that is ``inf`` or ``NaN``."""


class InfiniteDerivativeError(DomainError):
    """Backward had to multiply a gradient that is not zero by a local
    derivative that is infinite at that point (d√x/dx at x = 0)."""


class GraphTooLargeError(ChaingradError, ValueError):
    """A tool refused a graph that is too large for it (drawing, path counting)."""


class ParseError(ChaingradError, ValueError):
    """A text expression could not be turned into a graph safely."""


class ModelFileError(ChaingradError, ValueError):
    """A saved model is corrupted, truncated or does not match the model."""


__all__ = [
    "ChaingradError",
    "DomainError",
    "GraphTooLargeError",
    "InfiniteDerivativeError",
    "ModelFileError",
    "NonFiniteGradientError",
    "ParseError",
]
