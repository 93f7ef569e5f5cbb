"""One small family of exceptions, with messages a learner can act on.

Every error chaingrad raises on purpose is a :class:`ChaingradError`. Each one
also subclasses the built-in exception a Python programmer would expect
(``ValueError`` for bad numbers, ``TypeError`` for wrong types, ``LookupError``
for a missing label, ...), so existing ``except ValueError`` code keeps
working, and ``except ChaingradError`` catches everything chaingrad refuses
while letting real bugs through.

* :class:`InvalidArgumentError` (``ValueError``): an argument has the right
  type but a value that cannot be used (NaN, a size of 0, an unknown name);
* :class:`WrongTypeError` (``TypeError``): an argument of a type that cannot be used;
* :class:`DomainError` (``ValueError``): an op outside its domain (log of -1);
  :class:`NonFiniteGradientError`: backward produced inf or NaN;
  :class:`NonFiniteUpdateError`: an optimizer step would make inf or NaN;
* :class:`DataError` (``ValueError``): training data that cannot be used;
  :class:`DataTypeError` (also ``TypeError``): data of the wrong type;
* :class:`GraphTooLargeError` (``ValueError``): a tool refused a graph too large for it;
* :class:`ParseError` (``ValueError``): a text expression cannot be read safely;
* :class:`ModelFileError` (``ValueError``): a model file is damaged, too large,
  not a regular file, or does not match; :class:`ModelFileNotFoundError`
  (also ``FileNotFoundError``): it does not exist;
* :class:`MissingFolderError` (``FileNotFoundError``): the folder to write into does not exist;
* :class:`MissingPackageError` (``ModuleNotFoundError``): an optional package is not installed;
* :class:`GradDisabledError` (``RuntimeError``): a tool that needs a graph was called inside ``no_grad``;
* :class:`GradientMismatchError` (``AssertionError``): a gradient check asked to fail did fail;
* :class:`NotDefinedError` (``NotImplementedError``): a Module subclass lacks a method it needs.

The tools add a few of their own (``LabelError``, ``CompileError``,
``GraphvizError``, ...), all in this family.
"""

from __future__ import annotations

from typing import Any


class ChaingradError(Exception):
    """Base class of every error raised on purpose by chaingrad.

    ``problem`` is what went wrong; ``hint``, when given, is advice that
    depends on where you are (Python code): the message is both. The command
    line prints the problem with advice of its own instead.
    """

    def __init__(self, *args: object, hint: str = "", **kwargs: Any) -> None:
        problem = str(args[0]) if args else ""
        if hint:
            args = (f"{problem}; {hint}", *args[1:])
        super().__init__(*args, **kwargs)  # ModuleNotFoundError's name= and path= go on
        self.problem = problem
        self.hint = hint


class InvalidArgumentError(ChaingradError, ValueError):
    """An argument has the right type but a value chaingrad cannot use
    (NaN or inf, a count below 1, an unknown name)."""


class WrongTypeError(ChaingradError, TypeError):
    """An argument has a type chaingrad cannot use (a string where a number
    belongs, a number where a list belongs)."""


class DomainError(ChaingradError, ValueError):
    """An op was asked for a value outside its domain (log of a negative number,
    division by zero, an overflow, a derivative that is infinite there)."""


class NonFiniteGradientError(DomainError):
    """Backward produced a gradient that is ``inf`` or ``NaN``."""


class InfiniteDerivativeError(DomainError):
    """Backward had to multiply a gradient that is not zero by a local
    derivative that is infinite at that point (d√x/dx at x = 0)."""


class NonFiniteUpdateError(DomainError):
    """An optimizer step would make a parameter, or the optimizer's own running
    averages, ``inf`` or ``NaN``: training diverged (the learning rate is too
    large, or the gradients are huge)."""


class DataError(InvalidArgumentError):
    """Training or evaluation data that cannot be used: samples of different
    lengths, inf or NaN, targets the loss does not accept."""


class DataTypeError(DataError, TypeError):
    """Training data of the wrong type (a string where a number belongs)."""


class NeuronViewError(ChaingradError, ValueError):
    """The neuron view cannot draw this graph, or not with these options."""


class NotANetworkError(NeuronViewError):
    """The graph is not one sample's pass through a network of neurons."""


class StepPlayerError(ChaingradError, ValueError):
    """The step player cannot be made as asked (a wrong file name, say)."""


class GraphTooLargeError(ChaingradError, ValueError):
    """A tool refused a graph that is too large for it (drawing, path counting)."""


class ParseError(ChaingradError, ValueError):
    """A text expression could not be turned into a graph safely."""


class MissingValueError(ParseError):
    """A text expression uses names that were given no value (``missing`` lists them)."""

    def __init__(self, *args: object, missing: tuple[str, ...] = (), hint: str = "") -> None:
        super().__init__(*args, hint=hint)
        self.missing = missing


class ModelFileError(ChaingradError, ValueError):
    """A saved model is corrupted, truncated, too large, not a regular file, or
    does not match the model."""


class ModelFileNotFoundError(ModelFileError, FileNotFoundError):
    """The model file to read does not exist."""


class MissingFolderError(ChaingradError, FileNotFoundError):
    """The folder a file should be written into does not exist."""


class MissingPackageError(ChaingradError, ModuleNotFoundError):
    """An optional package (an extra of chaingrad) is needed but not installed."""


class GradDisabledError(ChaingradError, RuntimeError):
    """A tool that needs a graph was called where gradients are off (inside
    :func:`autograd.no_grad`), so no graph would be recorded."""


class GradientMismatchError(ChaingradError, AssertionError):
    """A gradient check found a mismatch and was asked to fail on it."""


class NotDefinedError(ChaingradError, NotImplementedError):
    """A subclass does not define a method it needs (a Module without forward)."""


__all__ = [
    "ChaingradError",
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
    "MissingValueError",
    "ModelFileError",
    "ModelFileNotFoundError",
    "NeuronViewError",
    "NonFiniteGradientError",
    "NonFiniteUpdateError",
    "NotANetworkError",
    "NotDefinedError",
    "ParseError",
    "StepPlayerError",
    "WrongTypeError",
]
