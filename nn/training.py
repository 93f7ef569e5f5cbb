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

import autograd
from autograd import Value, zero_grad
from autograd.errors import ChaingradError
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

    ``compile=True`` traces one sample's loss once with :func:`autograd.compile`
    and trains on the generated straight-line code (batched over NumPy arrays
    when NumPy is installed): the same updates, the same losses to rounding,
    a fraction of the time. See :class:`CompiledTrainer` for how.
    """
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

    matrix = None
    if compile:  # the matrix form where the model is layers, else the per-edge form
        from nn.matrix_training import MatrixTrainer

        matrix = MatrixTrainer.build(model, X, y, loss_fn, info, optimizer, threshold)
    compiled = CompiledTrainer(model, X, y, loss_fn, info) if compile and matrix is None else None
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
                if matrix is not None:
                    batch_loss_value, batch_correct = matrix.step(batch)
                    history.updates += 1
                    total_loss += batch_loss_value * len(batch)
                    correct += batch_correct
                    continue
                targets = [y[i] for i in batch]
                if compiled is not None:
                    optimizer.zero_grad()
                    batch_loss_value, predictions = compiled.backward_into(batch)
                    optimizer.step()
                    history.updates += 1
                    total_loss += batch_loss_value * len(batch)
                    if threshold is not None:
                        correct += _correct(predictions, targets, threshold)
                    continue
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
            if matrix is not None:
                matrix.write_back()
            history.loss.append(total_loss / n)
            if threshold is not None:
                history.accuracy.append(correct / n)
            _show(bar, history)
    finally:
        if matrix is not None:
            matrix.write_back()
        if hasattr(bar, "close"):
            bar.close()
    return history


class CompiledTrainer:
    """The batch step of :func:`fit` on compiled code (``fit(..., compile=True)``).

    The per-sample loss ``loss([model(x)], [t])`` is traced once per graph
    shape and compiled (:func:`autograd.compile`):

    * regression losses (their output is a value) and your own losses on
      numeric targets: one graph, with the target as an argument next to the
      features;
    * classification losses: one graph per class label, the label baked in as
      a constant. A loss may treat labels differently (a class index picks a
      logit; hinge reads 0 as -1), and each graph is then exactly that loss.

    Each graph is checked against the engine on five samples spread over the
    data before training
    (a model or loss whose graph depends on the data cannot be compiled
    faithfully: that is reported, and compile=False is the way). Predictions
    for the accuracy come from forward-only compiled graphs of the model's
    outputs. The batch loss is the mean of the per-sample losses, as in
    :func:`fit`; so is its gradient.
    """

    max_classes = 64

    def __init__(self, model: Any, X: Sequence[Any], y: Sequence[Any], loss_fn: Any, info: Any) -> None:
        if not hasattr(model, "parameters"):
            raise TypeError("fit(compile=True) needs a model with .parameters() (an nn.Module)")
        self.params = model.parameters()
        self.X = [[_feature(v) for v in x] for x in X]
        self.y = list(y)
        self.nin = len(self.X[0])
        if any(len(x) != self.nin for x in self.X):
            raise ValueError("fit(compile=True): every sample of X needs the same number of features")
        try:
            import numpy  # noqa: F401
        except ImportError:
            self.backend = "python"
        else:
            self.backend = "numpy"
        # known classification losses, or targets that are not numbers: one graph per target
        numeric = all(isinstance(t, (numbers.Real, Value)) for t in self.y)
        self.by_target = (info.output != "value") if info is not None else not numeric
        if self.by_target:
            keys = sorted({_target_key(t) for t in self.y})
            if len(keys) > self.max_classes:
                raise ValueError(
                    f"fit(compile=True): {len(keys)} different targets for a classification loss; "
                    f"at most {self.max_classes} classes are compiled (use compile=False)"
                )
        else:
            keys = [None]
        self.losses: dict[Any, Any] = {}
        for key in keys:
            samples = [i for i, t in enumerate(self.y) if key is None or _target_key(t) == key]
            self.losses[key] = self._compile_loss(model, loss_fn, key, samples)
        first = model(self.X[0])
        self.n_outputs = len(first) if isinstance(first, list) else 1
        self.outputs = [
            autograd.compile(lambda *xs, k=k: _outputs(model(list(xs)))[k], *self.X[0], params=self.params)
            for k in range(self.n_outputs)
        ]

    def _compile_loss(self, model: Any, loss_fn: Any, key: Any, samples: list[int]) -> Any:
        nin = self.nin
        if key is None:
            example = [*self.X[samples[0]], _target_number(self.y[samples[0]])]
            graph = autograd.compile(
                lambda *a: loss_fn([model(list(a[:nin]))], [a[nin]]), *example, params=self.params
            )
        else:
            target = self.y[samples[0]]
            example = self.X[samples[0]]
            graph = autograd.compile(
                lambda *a: loss_fn([model(list(a))], [target]), *example, params=self.params
            )
        spread = sorted({samples[(len(samples) - 1) * k // 4] for k in range(5)})
        for i in spread:
            args = self.X[i] if key is not None else [*self.X[i], _target_number(self.y[i])]
            try:
                graph.check(*args)
            except ChaingradError as exc:
                raise ChaingradError(
                    f"fit(compile=True): the loss of sample {i} does not follow the traced graph, so this "
                    f"model and loss cannot be compiled faithfully (use compile=False): {exc}"
                ) from None
        return graph

    def _columns(self, indices: Sequence[int], with_target: bool) -> list[list[float]]:
        columns = [[self.X[i][j] for i in indices] for j in range(self.nin)]
        if with_target:
            columns.append([_target_number(self.y[i]) for i in indices])
        return columns

    def backward_into(self, batch: Sequence[int]) -> tuple[float, list[Any]]:
        """Set every p.grad to ∂(mean batch loss)/∂p; return the mean loss and
        the model's predictions for the batch (before the update)."""
        zero_grad(self.params)
        total = 0.0
        for key, graph in self.losses.items():
            indices = batch if key is None else [i for i in batch if _target_key(self.y[i]) == key]
            if indices:
                columns = self._columns(indices, with_target=key is None)
                total += graph.batch_backward_into(*columns, reduce="sum", backend=self.backend)
        for p in self.params:
            p.grad /= len(batch)
        columns = self._columns(batch, with_target=False)
        outputs = [list(map(float, graph.values(*columns, backend=self.backend))) for graph in self.outputs]
        predictions: list[Any] = outputs[0] if self.n_outputs == 1 else [list(row) for row in zip(*outputs)]
        return total / len(batch), predictions


def _feature(v: Any) -> float:
    return v.data if isinstance(v, Value) else float(v)


def _outputs(out: Any) -> list[Any]:
    return out if isinstance(out, list) else [out]


def _target_key(t: Any) -> Any:
    """Targets that are equal numbers share a compiled graph (1 and 1.0 alike)."""
    if isinstance(t, Value):
        return t.data
    if isinstance(t, numbers.Real):
        return float(t)
    return repr(t)


def _target_number(t: Any) -> float:
    if isinstance(t, Value):
        return t.data
    if not isinstance(t, numbers.Real):
        raise TypeError(f"fit(compile=True): a regression target must be a number, got {type(t).__name__}")
    return float(t)


def _show(bar: Any, history: History) -> None:
    """The latest loss and accuracy next to the progress bar."""
    if hasattr(bar, "set_postfix"):
        postfix = {"loss": f"{history.loss[-1]:.4g}"}
        if history.accuracy:
            postfix["acc"] = f"{history.accuracy[-1]:.3f}"
        bar.set_postfix(postfix)


__all__ = ["CompiledTrainer", "History", "fit"]
