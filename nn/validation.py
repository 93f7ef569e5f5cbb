"""Checking training data before the first update, so that :func:`nn.fit`
either trains on all of it or refuses it whole.

Two passes, both before any parameter changes:

1. :func:`check_data`: the shapes and types of ``X`` and ``y``. Every
   sample has the same number of features (the model's ``nin`` when it has
   one), every feature is a finite real number (or a Value), and so is every
   target of a built-in loss. Problems are named by their index: ``X[39][1]
   is nan``.
2. :func:`check_with_the_model`: the model on every sample and the loss on all
   of them, under :func:`autograd.no_grad` (no graph is kept, so this costs
   about one forward pass). This is where the loss checks that the targets
   suit it (probabilities in [0, 1], class indices below the number of
   outputs, hinge labels that do not mix 0 and -1), for the whole data at once.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from autograd import Value, no_grad, set_grad_enabled
from autograd.errors import (
    ChaingradError,
    DataError,
    DataTypeError,
    InvalidArgumentError,
    WrongTypeError,
)


def _kind(x: Any) -> str:
    return "None" if x is None else f"a {type(x).__name__}"


def _is_scalar(x: Any) -> bool:
    return isinstance(x, (Value, numbers.Real))


def _is_row(x: Any) -> bool:
    return not isinstance(x, (str, bytes, Mapping)) and hasattr(x, "__len__") and hasattr(x, "__getitem__")


def _check_number(x: Any, where: str, what: str) -> None:
    if isinstance(x, Value):
        return
    if not isinstance(x, numbers.Real):
        raise DataTypeError(f"fit: {where} is {_kind(x)} {x!r:.40}; {what} must be numbers")
    try:
        number = float(x)
    except (OverflowError, ValueError):
        raise DataError(f"fit: {where} is {x!r:.40}, too large for a float") from None
    if number - number != 0.0:
        raise DataError(f"fit: {where} is {number!r}; {what} must be finite numbers")


def _sequence(data: Any, name: str, what: str) -> Sequence[Any]:
    if not _is_row(data):
        raise DataTypeError(f"fit: {name} must be a list of {what}, got {_kind(data)} {data!r:.40}")
    return data


def check_data(X: Any, y: Any, nin: int | None = None, numeric_targets: bool = True) -> int:
    """Check the shapes and numbers of ``X`` and ``y``; return the number of samples.

    ``nin``: the number of features the model takes (None: whatever X[0] has).
    ``numeric_targets``: targets must be finite numbers (built-in losses); a
    loss of your own may take targets of any type, but no NaN or inf.
    Raises :class:`DataError` or :class:`DataTypeError` naming the first bad entry.
    """
    X = _sequence(X, "X", "samples (each a list of features)")
    y = _sequence(y, "y", "targets")
    n = len(X)
    if n != len(y):
        raise DataError(f"fit: {n} inputs in X but {len(y)} targets in y; they must match")
    if n == 0:
        raise DataError("fit: no data (X is empty)")
    expected = nin
    for i in range(n):
        x = X[i]
        if _is_scalar(x):
            row: Sequence[Any] = [x]
        elif _is_row(x):
            row = x
        else:
            raise DataTypeError(f"fit: X[{i}] is {_kind(x)} {x!r:.40}; a sample is a list of numbers")
        if expected is None:
            expected = len(row)
        elif len(row) != expected:
            reference = "the model takes" if nin is not None else "X[0] has"
            raise DataError(
                f"fit: X[{i}] has {len(row)} feature{'s' * (len(row) != 1)} but {reference} {expected}"
            )
        for j in range(len(row)):
            _check_number(row[j], f"X[{i}][{j}]", "features")
    _check_targets(y, numeric_targets)
    return n


def _check_targets(y: Sequence[Any], numeric: bool) -> None:
    first_is_row = _is_row(y[0]) and not _is_scalar(y[0])
    width = len(y[0]) if first_is_row else None
    for i in range(len(y)):
        t = y[i]
        if _is_scalar(t):
            if first_is_row:
                raise DataError(f"fit: y[{i}] is one number but y[0] is a list of {width}")
            _check_number(t, f"y[{i}]", "targets")
        elif _is_row(t) and numeric:
            if not first_is_row:
                raise DataError(f"fit: y[{i}] is a list but y[0] is one number")
            if len(t) != width:
                raise DataError(f"fit: y[{i}] has {len(t)} numbers but y[0] has {width}")
            for j in range(len(t)):
                _check_number(t[j], f"y[{i}][{j}]", "targets")
        elif numeric:
            raise DataTypeError(f"fit: y[{i}] is {_kind(t)} {t!r:.40}; targets must be numbers")


@contextmanager
def _reported_as(prefix: str) -> Iterator[None]:
    """Errors inside the block, said in the words of fit: argument errors about
    the data become DataError / DataTypeError; math errors (DomainError) stay."""
    try:
        yield
    except (WrongTypeError, DataTypeError) as exc:  # (a cause, if any, is kept: the model's own error)
        raise DataTypeError(f"{prefix}{exc}") from exc.__cause__
    except InvalidArgumentError as exc:
        raise DataError(f"{prefix}{exc}") from exc.__cause__
    except ChaingradError as exc:
        raise type(exc)(f"{prefix}{exc}") from exc.__cause__


class Evaluation(NamedTuple):
    """What the engine computes for every sample before training: the model's
    outputs and, when asked for, each sample's own loss and the structure of
    its graph (what compiled training must reproduce)."""

    outputs: list[list[float]]
    losses: list[float] | None
    structures: list[Any] | None


def check_with_the_model(
    model: Callable[[Any], Any],
    X: Sequence[Any],
    y: Sequence[Any],
    loss_fn: Callable[..., Any],
    per_sample: Callable[[int, Any], Any] | None = None,
) -> Evaluation:
    """Run ``model`` on every sample and ``loss_fn`` on all of them.

    Any error is raised before training, with the sample it happened on.
    A model's own ``TypeError`` or ``ValueError`` becomes a DataError naming
    the sample (the original is chained); other exceptions pass unchanged.
    Returns the model's outputs. With ``per_sample(i, prediction)``, which
    builds one sample's loss as compiled training traces it, the graphs are
    recorded (each sample's alone, freed at once) and each sample's loss and
    graph structure are returned too, against which compiled training proves
    itself; otherwise nothing is recorded (no_grad).
    """
    from autograd.tracing import structure

    outputs: list[list[float]] = []
    detached: list[Any] = []  # the predictions as plain leaves, for the loss over all samples
    losses: list[float] | None = [] if per_sample is not None else None
    structures: list[Any] | None = [] if per_sample is not None else None
    with set_grad_enabled(per_sample is not None):
        for i in range(len(X)):
            with _reported_as(f"fit: sample {i}: "):
                try:
                    prediction = model(X[i])
                except ChaingradError:
                    raise
                except (TypeError, ValueError) as exc:
                    raise DataError(f"the model raised {type(exc).__name__}: {exc}") from exc
            row = [_number(v) for v in (prediction if isinstance(prediction, list) else [prediction])]
            outputs.append(row)
            detached.append([Value(v) for v in row] if isinstance(prediction, list) else Value(row[0]))
            if per_sample is not None:
                with _reported_as(f"fit: the data does not suit the loss: sample {i}: "):
                    sample_loss = per_sample(i, prediction)
                losses.append(_number(sample_loss))  # type: ignore[union-attr]
                structures.append(structure(sample_loss) if isinstance(sample_loss, Value) else None)  # type: ignore[union-attr]
    with no_grad(), _reported_as("fit: the data does not suit the loss: "):
        total = loss_fn(detached, [y[i] for i in range(len(y))])
    if not isinstance(total, Value):
        raise WrongTypeError(f"fit: the loss returned {type(total).__name__}, not a Value")
    return Evaluation(outputs, losses, structures)


def _number(v: Any) -> float:
    return v.data if isinstance(v, Value) else float(v)


__all__ = ["Evaluation", "check_data", "check_with_the_model"]
