"""Loss functions: one Value that measures how wrong the predictions are.

Every loss is ``loss(predictions, targets)`` and builds its result from the
engine's ops, so ``loss.backward()`` is the chain rule through the formula
below. Predictions are Values (or plain numbers); targets are numbers (or
Values). A single prediction and target may be given without a list, and a
model with several outputs gives a list per sample (``[[ŷ11, ŷ12], ...]``);
the shapes must match and a mismatch is named.

With e = y - ŷ (target minus prediction) and n the number of predictions:

* ``mse``      = (1/n) Σ e²            mean squared error
* ``mae``      = (1/n) Σ |e|           mean absolute error
* ``l2``       = Σ e²                  the un-averaged sum (L2loss)
* ``l1``       = Σ |e|                 the un-averaged sum (L1loss)
* ``half_sse`` = ½ Σ e²                J = ½ Σ (y - ŷ)² of the hand derivations: ∂J/∂ŷ = -(y - ŷ)
* ``binary_cross_entropy(p, y)`` = -(1/n) Σ [y log p + (1 - y) log(1 - p)]   on probabilities
* ``binary_cross_entropy_with_logits(z, y)``: the same with p = σ(z), computed stably
* ``cross_entropy(logits, classes)`` = (1/n) Σ [log Σ_j e^(z_j) - z_class]   softmax over classes
* ``hinge(scores, y)`` = (1/n) Σ max(0, 1 - y·s)   with y = ±1 (micrograd's demo loss)

The result is labelled ``"L"``. :data:`LOSSES` maps each name to its function
and :func:`loss_info` says what a loss expects as predictions, which
:func:`nn.fit` uses to measure accuracy.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograd import DomainError, Value, constant, logsumexp, sum_values
from autograd.errors import ChaingradError, InvalidArgumentError, WrongTypeError

LOSS_LABEL = "L"


# -- checking shapes -------------------------------------------------------------


def _is_scalar(x: Any) -> bool:
    return isinstance(x, (Value, numbers.Real))


def _as_list(x: Any, what: str, who: str) -> list[Any]:
    if _is_scalar(x):
        return [x]
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise WrongTypeError(
            f"{who}: {what} must be a list of numbers or Values, got {type(x).__name__} {x!r:.60}"
        )
    return list(x)


def _as_value(x: Any, where: str, who: str) -> Value:
    if isinstance(x, Value):
        return x
    try:
        return constant(x)
    except ChaingradError as exc:  # the same kind of error, saying where
        raise type(exc)(f"{who}: {where}: {exc}") from None


def _pairs(predictions: Any, targets: Any, who: str) -> tuple[list[Value], list[Any], int]:
    """Predictions and targets side by side, flattened; and the number of samples.

    Each prediction becomes a Value; each target stays a number (checked finite)
    or a Value. A sample may be a list of outputs if its target is a list of
    the same length.
    """
    ps = _as_list(predictions, "predictions", who)
    ts = _as_list(targets, "targets", who)
    if len(ps) != len(ts):
        raise InvalidArgumentError(f"{who}: {len(ps)} predictions but {len(ts)} targets; they must match")
    if not ps:
        raise InvalidArgumentError(f"{who}: no predictions; give at least one")
    flat_p: list[Value] = []
    flat_t: list[Any] = []
    for i, (p, t) in enumerate(zip(ps, ts)):
        if _is_scalar(p) and _is_scalar(t):
            flat_p.append(_as_value(p, f"prediction {i}", who))
            flat_t.append(_target(t, f"target {i}", who))
            continue
        p_row = _as_list(p, f"prediction {i}", who)
        t_row = _as_list(t, f"target {i}", who)
        if _is_scalar(p) or _is_scalar(t):
            one, other = ("prediction", "target") if _is_scalar(p) else ("target", "prediction")
            raise InvalidArgumentError(
                f"{who}: sample {i}: the {one} is one number but the {other} is a list"
            )
        if len(p_row) != len(t_row):
            raise InvalidArgumentError(
                f"{who}: sample {i} has {len(p_row)} outputs but its target has {len(t_row)}"
            )
        for j, (pj, tj) in enumerate(zip(p_row, t_row)):
            if not _is_scalar(pj) or not _is_scalar(tj):
                raise WrongTypeError(f"{who}: sample {i}, output {j}: expected numbers or Values")
            flat_p.append(_as_value(pj, f"prediction {i}, output {j}", who))
            flat_t.append(_target(tj, f"target {i}, output {j}", who))
    return flat_p, flat_t, len(ps)


def _target(t: Any, where: str, who: str) -> Any:
    """A target as a finite float, or the Value itself (then it is differentiable)."""
    if isinstance(t, Value):
        return t
    if not isinstance(t, numbers.Real):
        raise WrongTypeError(f"{who}: {where} must be a number or a Value, got {type(t).__name__} {t!r:.60}")
    number = float(t)
    if number - number != 0.0:
        raise InvalidArgumentError(f"{who}: {where} is {number!r}; targets must be finite")
    return number


def _labelled(loss: Value) -> Value:
    loss.label = LOSS_LABEL
    return loss


def _data(t: Any) -> float:
    return t.data if isinstance(t, Value) else t


def _total(terms: list[Value]) -> Value:
    """Σ terms as one node; a single term is the sum itself (no node for it)."""
    return terms[0] if len(terms) == 1 else sum_values(terms)


def _mean(terms: list[Value]) -> Value:
    """(1/n) Σ terms; for one term the term itself, with no sum and no division by 1."""
    total = _total(terms)
    return total if len(terms) == 1 else total / len(terms)


# -- regression losses -------------------------------------------------------------


def mse(predictions: Any, targets: Any) -> Value:
    """Mean squared error (1/n) Σ (y - ŷ)²; PyTorch's ``F.mse_loss``.

    ∂/∂ŷi = -(2/n)(yi - ŷi).
    """
    ps, ts, _ = _pairs(predictions, targets, "mse")
    return _labelled(_mean([(t - p) ** 2 for p, t in zip(ps, ts)]))


def mae(predictions: Any, targets: Any) -> Value:
    """Mean absolute error (1/n) Σ |y - ŷ|; PyTorch's ``F.l1_loss``.

    ∂/∂ŷi = -(1/n) sign(yi - ŷi) (0 where they are equal).
    """
    ps, ts, _ = _pairs(predictions, targets, "mae")
    return _labelled(_mean([(t - p).abs() for p, t in zip(ps, ts)]))


def l2(predictions: Any, targets: Any) -> Value:
    """Σ (y - ŷ)², the un-averaged squared error (``F.mse_loss(..., reduction="sum")``)."""
    ps, ts, _ = _pairs(predictions, targets, "l2")
    return _labelled(_total([(t - p) ** 2 for p, t in zip(ps, ts)]))


def l1(predictions: Any, targets: Any) -> Value:
    """Σ |y - ŷ|, the un-averaged absolute error (``F.l1_loss(..., reduction="sum")``)."""
    ps, ts, _ = _pairs(predictions, targets, "l1")
    return _labelled(_total([(t - p).abs() for p, t in zip(ps, ts)]))


def half_sse(predictions: Any, targets: Any) -> Value:
    """½ Σ (y - ŷ)², the J of derivations by hand: its derivative ∂J/∂ŷi = -(yi - ŷi) = -ei has no 2 in it."""
    ps, ts, _ = _pairs(predictions, targets, "half_sse")
    return _labelled(_total([(t - p) ** 2 for p, t in zip(ps, ts)]) * 0.5)


# -- classification losses ------------------------------------------------------


def _check_probability_target(t: Any, where: str, who: str) -> None:
    y = _data(t)
    if not 0.0 <= y <= 1.0:
        raise InvalidArgumentError(
            f"{who}: {where} is {y!r}; targets are probabilities in [0, 1] (labels 0 and 1). "
            "For labels -1/+1 use hinge."
        )


def binary_cross_entropy(predictions: Any, targets: Any, eps: float | None = None) -> Value:
    """-(1/n) Σ [y log p + (1 - y) log(1 - p)] on probabilities p (PyTorch's ``F.binary_cross_entropy``).

    With p = σ(z), ∂L/∂z = (p - y)/n: the clean result of logistic regression by hand.

    Each p must lie strictly between 0 and 1, or log is undefined: a
    :class:`autograd.DomainError` says which one does not, rather than a
    silent clamp. A term whose target is exactly 0 or 1 is left out (its
    coefficient is 0), so p = 1 with y = 1 is fine (p = 1.0 happens: σ(z)
    rounds to 1.0 for z > 37). ``eps`` (e.g. 1e-7)
    clamps p into [eps, 1 - eps] instead (no gradient flows through a clamped
    p, as with ``torch.clamp``). For scores before the sigmoid, use
    :func:`binary_cross_entropy_with_logits`, which is exact for any score.
    """
    who = "binary_cross_entropy"
    ps, ts, _ = _pairs(predictions, targets, who)
    if eps is not None:
        eps = float(eps)
        if not 0.0 < eps < 0.5:
            raise InvalidArgumentError(f"{who}: eps must be between 0 and 0.5, got {eps!r}")
    terms: list[Value] = []
    for i, (p, t) in enumerate(zip(ps, ts)):
        _check_probability_target(t, f"target {i}", who)
        if eps is not None and not eps <= p.data <= 1.0 - eps:
            p = constant(min(max(p.data, eps), 1.0 - eps))
        needs_log_p = isinstance(t, Value) or t != 0.0
        needs_log_1mp = isinstance(t, Value) or t != 1.0
        outside = not 0.0 <= p.data <= 1.0
        if outside or (needs_log_p and p.data == 0.0) or (needs_log_1mp and p.data == 1.0):
            raise DomainError(
                f"{who}: prediction {i} is {p.data!r} (target {_data(t)!r}); a probability must lie "
                "strictly between 0 and 1 for log. Use binary_cross_entropy_with_logits on the score "
                "before the sigmoid (exact for any score), or pass eps=1e-7 to clamp."
            )
        if not needs_log_1mp:  # y = 1: the term is log p
            terms.append(p.log())
        elif not needs_log_p:  # y = 0: the term is log(1 - p)
            terms.append((1.0 - p).log())
        else:
            terms.append(t * p.log() + (1.0 - t) * (1.0 - p).log())
    return _labelled(-_mean(terms))


def binary_cross_entropy_with_logits(predictions: Any, targets: Any) -> Value:
    """Binary cross-entropy of p = σ(z), computed from the score z without forming p.

    Per sample, -[y log σ(z) + (1 - y) log(1 - σ(z))] = softplus(z) - y·z, where
    softplus(z) = log(1 + e^z) is one op of the engine, computed stably
    (z = ±800 is fine) with the smooth derivative σ(z). So ∂/∂z = σ(z) - y
    everywhere, z = 0 included, and the graph has the same shape whatever the
    data (it compiles). The mean over the samples; PyTorch's
    ``F.binary_cross_entropy_with_logits``.
    """
    who = "binary_cross_entropy_with_logits"
    zs, ts, _ = _pairs(predictions, targets, who)
    terms: list[Value] = []
    for i, (z, t) in enumerate(zip(zs, ts)):
        _check_probability_target(t, f"target {i}", who)
        terms.append(z.softplus() - z * t)
    return _labelled(_mean(terms))


def _class_index(c: Any, k: int, where: str, who: str) -> int:
    if isinstance(c, (Value, bool)) or not isinstance(c, numbers.Real):
        raise WrongTypeError(
            f"{who}: {where} must be a class index (an int), got {type(c).__name__} {c!r:.60}"
        )
    if c != int(c):
        raise InvalidArgumentError(f"{who}: {where} is {c!r}; a class index must be a whole number")
    index = int(c)
    if not 0 <= index < k:
        raise InvalidArgumentError(
            f"{who}: {where} is {index}, but there are {k} classes (indices 0 to {k - 1})"
        )
    return index


def cross_entropy(logits: Any, classes: Any) -> Value:
    """Softmax cross-entropy: (1/n) Σ [log Σ_j e^(z_j) - z_c] for logits z and class c.

    ``logits`` is a list with one list of k scores per sample (or one list of
    scores for one sample), ``classes`` the class indices (0 .. k-1). This is
    -log softmax(z)_c, and ∂/∂z_j = softmax(z)_j - [j = c].

    log Σ e^(z_j) is the engine's ``logsumexp`` op, computed without overflow
    and with the softmax as its local derivatives, so the graph has the same
    shape whatever the logits (it compiles). PyTorch's ``F.cross_entropy``.
    """
    who = "cross_entropy"
    rows = _as_list(logits, "logits", who)
    if rows and all(_is_scalar(r) for r in rows):  # one sample given as a flat list of logits
        rows, cs = [rows], _as_list(classes, "classes", who)
    else:
        cs = _as_list(classes, "classes", who)
    if len(rows) != len(cs):
        raise InvalidArgumentError(
            f"{who}: {len(rows)} samples of logits but {len(cs)} classes; they must match"
        )
    if not rows:
        raise InvalidArgumentError(f"{who}: no predictions; give at least one")
    k = -1
    terms: list[Value] = []
    for i, (row, c) in enumerate(zip(rows, cs)):
        zs = [_as_value(z, f"sample {i}", who) for z in _as_list(row, f"logits of sample {i}", who)]
        if k == -1:
            k = len(zs)
            if k == 0:
                raise InvalidArgumentError(f"{who}: sample 0 has no logits")
        elif len(zs) != k:
            raise InvalidArgumentError(
                f"{who}: sample {i} has {len(zs)} logits but sample 0 has {k}; they must match"
            )
        index = _class_index(c, k, f"class {i}", who)
        terms.append(logsumexp(zs) - zs[index])
    return _labelled(_mean(terms))


def hinge(predictions: Any, targets: Any) -> Value:
    """(1/n) Σ max(0, 1 - y·s): the max-margin loss of micrograd's demo, ``(1 - y*s).relu()``.

    Labels y are -1 or +1. Labels 0/1 (what :mod:`nn.datasets` returns) are
    accepted too: 0 is read as -1, so a score s >= 0 means class 1. A batch may
    not mix 0 and -1. ∂/∂s = -y/n where y·s < 1, else 0.
    """
    who = "hinge"
    ss, ts, _ = _pairs(predictions, targets, who)
    labels = [_data(t) for t in ts]
    if any(y not in (-1.0, 0.0, 1.0) for y in labels):
        bad = next(y for y in labels if y not in (-1.0, 0.0, 1.0))
        raise InvalidArgumentError(
            f"{who}: label {bad!r}; labels must be -1 or +1 (or 0 and 1, with 0 read as -1)"
        )
    if 0.0 in labels and -1.0 in labels:
        raise InvalidArgumentError(f"{who}: labels mix 0 and -1; use -1/+1 or 0/1")
    signs = [1.0 if y > 0.0 else -1.0 for y in labels]
    return _labelled(_mean([(1.0 - s * y).relu() for s, y in zip(ss, signs)]))


# -- what each loss expects --------------------------------------------------------


@dataclass(frozen=True)
class LossInfo:
    """What a loss expects, for training and for accuracy.

    output:     ``"value"`` (regression), ``"probability"`` (a p in (0, 1)),
                ``"logit"`` (a score, class 1 when >= 0), ``"margin"`` (a score
                with labels ±1 or 0/1, class 1 when >= 0) or ``"logits"`` (one
                score per class, argmax)
    reduction:  ``"mean"`` over the samples or ``"sum"``
    """

    output: str
    reduction: str


_INFO: dict[Callable[..., Value], LossInfo] = {
    mse: LossInfo("value", "mean"),
    mae: LossInfo("value", "mean"),
    l2: LossInfo("value", "sum"),
    l1: LossInfo("value", "sum"),
    half_sse: LossInfo("value", "sum"),
    binary_cross_entropy: LossInfo("probability", "mean"),
    binary_cross_entropy_with_logits: LossInfo("logit", "mean"),
    cross_entropy: LossInfo("logits", "mean"),
    hinge: LossInfo("margin", "mean"),
}

LOSSES: dict[str, Callable[..., Value]] = {fn.__name__: fn for fn in _INFO}
"""Every loss by name: ``LOSSES["mse"] is mse``."""


def get_loss(loss: str | Callable[..., Value]) -> Callable[..., Value]:
    """The loss called ``loss`` (or ``loss`` itself if it is a function)."""
    if isinstance(loss, str):
        try:
            return LOSSES[loss]
        except KeyError:
            raise InvalidArgumentError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}") from None
    if callable(loss):
        return loss
    raise WrongTypeError(f"loss must be a loss function or its name, got {loss!r:.60}")


def loss_info(loss: Callable[..., Value]) -> LossInfo | None:
    """What a built-in loss expects (``None`` for your own functions)."""
    return _INFO.get(loss)


__all__ = [
    "LOSSES",
    "LossInfo",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "get_loss",
    "half_sse",
    "hinge",
    "l1",
    "l2",
    "loss_info",
    "mae",
    "mse",
]
