"""``fit``: the training loop of seeds 002 and 003, written once.

For each epoch (one pass over the data) and each batch of it:

1. forward: the model's prediction for every sample of the batch;
2. the batch loss: the mean over the batch of each sample's loss;
3. ``optimizer.zero_grad()``, then backward: ∂loss/∂θ for every parameter;
4. ``optimizer.step()``: one update (θ ← θ - η·∂loss/∂θ for plain SGD).

``batch_size`` chooses the kind of gradient descent (seed 002):

* ``None``: full batch, one update per epoch on all n samples;
* ``1``: stochastic, n updates per epoch, one sample each;
* ``k``: mini-batch, ⌈n/k⌉ updates per epoch (the last batch may be smaller).

The order of the samples is shuffled at the start of every epoch with a
``random.Random(seed)``, so the same seed trains the same model.
"""

from __future__ import annotations

import html
import numbers
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import Value
from nn.evaluation import predicted_classes
from nn.losses import get_loss, loss_info
from nn.optim import SGD, Optimizer
from nn.plotting import new_axes


@dataclass
class History:
    """What :func:`fit` measured, one entry per epoch.

    loss:      the mean loss per sample over the epoch (each batch's loss
               weighted by its size, measured as the batch was trained)
    accuracy:  the fraction of samples classified correctly, measured on the
               same forward passes (before each update, as Keras reports it);
               empty when the loss is a regression loss and the targets are
               not class labels
    updates:   the number of optimizer steps made
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    updates: int = 0
    batch_size: int | None = None

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def __repr__(self) -> str:
        parts = [f"epochs={self.epochs}", f"updates={self.updates}"]
        if self.loss:
            parts.append(f"loss={self.loss[-1]:.6g}")
        if self.accuracy:
            parts.append(f"accuracy={self.accuracy[-1]:.4g}")
        return f"History({', '.join(parts)})"

    def _repr_html_(self) -> str:
        shown = list(range(self.epochs))
        if len(shown) > 10:
            shown = [*shown[:5], -1, *shown[-5:]]
        rows = []
        for i in shown:
            if i == -1:
                rows.append("<tr><td>…</td><td></td><td></td></tr>")
                continue
            acc = f"{self.accuracy[i]:.4f}" if self.accuracy else ""
            rows.append(f"<tr><td>{i + 1}</td><td>{self.loss[i]:.6g}</td><td>{acc}</td></tr>")
        return (
            f"<p>{html.escape(repr(self))}</p><table><tr><th>epoch</th><th>loss</th><th>accuracy</th></tr>"
            f"{''.join(rows)}</table>"
        )

    def plot(self, ax: Any = None) -> Any:
        """Loss (and accuracy, on a second axis) against the epoch.

        Draws into ``ax`` if given; otherwise makes a new matplotlib Figure
        (not registered with pyplot, so Jupyter shows it once) and returns it.
        Needs matplotlib.
        """
        figure, ax = new_axes(ax)
        epochs = list(range(1, self.epochs + 1))
        ax.plot(epochs, self.loss, color="tab:blue", label="loss")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        if self.accuracy:
            other = ax.twinx()
            other.plot(epochs, self.accuracy, color="tab:orange", label="accuracy")
            other.set_ylabel("accuracy")
            other.set_ylim(0.0, 1.05)
        return figure if figure is not None else ax.figure


def _accuracy_threshold(output: str | None, targets: Sequence[Any]) -> float | None:
    """Where a single output switches from class 0 to class 1, judged from the loss.

    Probabilities switch at 0.5, logits and margins at 0. A regression loss on
    labels 0/1 (the seeds train sigmoid networks with ½ Σ e²) switches at 0.5,
    on labels -1/+1 at 0; on other targets accuracy is not measured (None).
    """
    if output == "probability":
        return 0.5
    if output in ("logit", "margin"):
        return 0.0
    if output == "logits":
        return 0.5  # unused: several outputs are compared by argmax
    labels = set()
    for t in targets:
        if not isinstance(t, (numbers.Real, Value)):
            return None
        labels.add(t.data if isinstance(t, Value) else float(t))
        if len(labels) > 3:
            return None
    if labels <= {0.0, 1.0}:
        return 0.5
    if labels <= {-1.0, 1.0}:
        return 0.0
    return None


def _correct(predictions: list[Any], targets: Sequence[Any], threshold: float) -> int:
    classes = predicted_classes(predictions, threshold)
    count = 0
    for c, t in zip(classes, targets):
        wanted = t.data if isinstance(t, Value) else float(t)
        count += c == wanted or (c == 0 and wanted == -1.0)
    return count


def _progress(epochs: int, enabled: bool) -> Any:
    """A tqdm bar over the epochs when asked for and tqdm is installed; else a plain range.

    tqdm is optional (``pip install chaingrad[train]``): without it, training
    runs the same, silently without a bar.
    """
    if enabled:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            pass
        else:
            return tqdm(range(epochs), desc="fit", unit="epoch")
    return range(epochs)


def _check_positive_int(x: Any, what: str, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < low:
        raise ValueError(f"{what} must be an int >= {low}, got {x!r:.60}")
    return int(x)


def fit(
    model: Callable[[Any], Any],
    X: Sequence[Any],
    y: Sequence[Any],
    loss: str | Callable[..., Value],
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    seed: int = 0,
    progress: bool = True,
    compile: bool = False,
) -> History:
    """Train ``model`` on inputs ``X`` and targets ``y``; returns a :class:`History`.

    loss:       a loss from :mod:`nn.losses` or its name (``"mse"``,
                ``"binary_cross_entropy_with_logits"``, ...), or your own
                ``loss(predictions, targets) -> Value`` (used as the batch loss)
    optimizer:  default ``SGD(model.parameters(), lr=0.1)``
    batch_size: ``None`` (full batch), ``1`` (stochastic) or ``k`` (mini-batch)
    seed:       the seed of the per-epoch shuffle
    progress:   show a tqdm progress bar (if tqdm is installed)

    The batch loss is always the mean over the batch's samples: the mean
    losses (``mse``, the cross-entropies, ``hinge``) are used as they are,
    and the sums (``half_sse``, ``l1``, ``l2``) are divided by the batch
    size, so each sample's own ½ Σ e² is averaged as seed 001 does
    (将m次的梯度相加求平均). The learning rate then means the same whatever
    the batch size.

    Accuracy is measured when the loss says how to read the output (a
    probability, a logit or a margin: see :func:`nn.losses.loss_info`), or when
    a regression loss is trained on 0/1 or -1/+1 labels.
    """
    if compile:
        raise NotImplementedError(
            "fit(compile=True) is coming with autograd.compile; use compile=False for now"
        )
    n = len(X)
    if n != len(y):
        raise ValueError(f"fit: {n} inputs in X but {len(y)} targets in y; they must match")
    if n == 0:
        raise ValueError("fit: no data (X is empty)")
    epochs = _check_positive_int(epochs, "epochs", allow_zero=True)
    size = n if batch_size is None else min(_check_positive_int(batch_size, "batch_size"), n)
    loss_fn = get_loss(loss)
    info = loss_info(loss_fn)
    divide_by_batch = info is not None and info.reduction == "sum"
    threshold = _accuracy_threshold(info.output if info else None, y)
    if optimizer is None:
        if not hasattr(model, "parameters"):
            raise TypeError("fit: give an optimizer, or a model with .parameters() for the default SGD")
        optimizer = SGD(model.parameters(), lr=0.1)
    if hasattr(model, "train"):
        model.train()

    history = History(batch_size=batch_size)
    shuffle = random.Random(seed)
    order = list(range(n))
    bar = _progress(epochs, progress)
    try:
        for _ in bar:
            if size < n:
                shuffle.shuffle(order)
            total_loss = 0.0
            correct = 0
            for start in range(0, n, size):
                batch = order[start : start + size]
                targets = [y[i] for i in batch]
                predictions = [model(X[i]) for i in batch]
                batch_loss = loss_fn(predictions, targets)
                if not isinstance(batch_loss, Value):
                    raise TypeError(f"fit: the loss returned {type(batch_loss).__name__}, not a Value")
                if divide_by_batch:
                    batch_loss = batch_loss / len(batch)
                optimizer.zero_grad()
                batch_loss.backward()
                optimizer.step()
                history.updates += 1
                total_loss += batch_loss.data * len(batch)
                if threshold is not None:
                    correct += _correct(predictions, targets, threshold)
            history.loss.append(total_loss / n)
            if threshold is not None:
                history.accuracy.append(correct / n)
            _show(bar, history)
    finally:
        if hasattr(bar, "close"):
            bar.close()
    return history


def _show(bar: Any, history: History) -> None:
    """The latest loss and accuracy next to the progress bar."""
    if hasattr(bar, "set_postfix"):
        postfix = {"loss": f"{history.loss[-1]:.4g}"}
        if history.accuracy:
            postfix["acc"] = f"{history.accuracy[-1]:.3f}"
        bar.set_postfix(postfix)


__all__ = ["History", "fit"]
