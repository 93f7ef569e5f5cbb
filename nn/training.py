"""``fit``: the training loop of gradient descent, written once.

For each epoch (one pass over the data) and each batch of it:

1. forward: the model's prediction for every sample of the batch;
2. the batch loss: the mean over the batch of each sample's loss;
3. ``optimizer.zero_grad()``, then backward: ∂loss/∂θ for every parameter;
4. ``optimizer.step()``: one update (θ ← θ - η·∂loss/∂θ for plain SGD).

``batch_size`` chooses the kind of gradient descent:

* ``None``: full batch, one update per epoch on all n samples;
* ``1``: stochastic, n updates per epoch, one sample each;
* ``k``: mini-batch, ⌈n/k⌉ updates per epoch (the last batch may be smaller).

The order of the samples is shuffled at the start of every epoch with a
``random.Random(seed)``, so the same seed trains the same model.
"""

from __future__ import annotations

import html
import math
import numbers
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import autograd
from autograd import Value, zero_grad
from autograd.errors import ChaingradError, DataError, InvalidArgumentError, WrongTypeError
from nn.evaluation import predicted_classes
from nn.losses import get_loss, loss_info
from nn.matrix_training import MatrixTrainer
from nn.optim import SGD, Optimizer
from nn.plotting import new_panels, whole_number_ticks
from nn.targets import MAX_CLASSES, target_key, target_number, targets_are_classes
from nn.validation import Evaluation, check_data, check_with_the_model


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
        """Loss and accuracy against the epoch, labelled, with whole-number epoch ticks.

        On a new matplotlib Figure (not registered with pyplot, so Jupyter
        shows it once; returned), the loss and the accuracy get a panel each,
        one above the other, sharing the epoch axis. Drawn into ``ax`` (a
        panel of your own figure), the accuracy goes on a second y axis and
        a legend says which line is which. Needs matplotlib.
        """
        epochs = list(range(1, self.epochs + 1))
        marker = "o" if self.epochs <= 30 else None  # few epochs: show each one
        if ax is not None:
            return self._plot_on_one_axes(ax, epochs, marker)
        figure, panels = new_panels(2 if self.accuracy else 1)
        loss_ax = panels[0]
        loss_ax.plot(epochs, self.loss, color="tab:blue", marker=marker, markersize=3)
        loss_ax.set_ylabel("loss")
        loss_ax.set_title("training loss")
        if self.accuracy:
            acc_ax = panels[1]
            acc_ax.plot(epochs, self.accuracy, color="tab:orange", marker=marker, markersize=3)
            acc_ax.set_ylabel("accuracy")
            acc_ax.set_ylim(-0.02, 1.05)
            acc_ax.set_title("training accuracy")
        for panel in panels:
            panel.grid(alpha=0.3)
            whole_number_ticks(panel, self.epochs)
        panels[-1].set_xlabel("epoch")
        figure.tight_layout()
        return figure

    def _plot_on_one_axes(self, ax: Any, epochs: list[int], marker: str | None) -> Any:
        (loss_line,) = ax.plot(epochs, self.loss, color="tab:blue", marker=marker, markersize=3, label="loss")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        whole_number_ticks(ax, self.epochs)
        lines = [loss_line]
        if self.accuracy:
            other = ax.twinx()
            (accuracy_line,) = other.plot(
                epochs, self.accuracy, color="tab:orange", marker=marker, markersize=3, label="accuracy"
            )
            other.set_ylabel("accuracy")
            other.set_ylim(-0.02, 1.05)
            lines.append(accuracy_line)
        ax.legend(lines, [line.get_label() for line in lines], loc="center right")
        return ax.figure


def _accuracy_threshold(output: str | None, targets: Sequence[Any]) -> float | None:
    """Where a single output switches from class 0 to class 1, judged from the loss.

    Probabilities switch at 0.5, logits and margins at 0. A regression loss on
    labels 0/1 (a sigmoid network trained with ½ Σ e², as worked by hand) switches at 0.5,
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
        raise InvalidArgumentError(f"{what} must be an int >= {low}, got {x!r:.60}")
    return int(x)


def _model_inputs(model: Any) -> int | None:
    """How many features ``model`` takes, if it says (an nn model's ``nin``)."""
    nin = getattr(model, "nin", None)
    return nin if isinstance(nin, int) and not isinstance(nin, bool) else None


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
    on_epoch: Callable[[History], bool | None] | None = None,
) -> History:
    """Train ``model`` on inputs ``X`` and targets ``y``; returns a :class:`History`.

    loss:       a loss from :mod:`nn.losses` or its name (``"mse"``,
                ``"binary_cross_entropy_with_logits"``, ...), or your own
                ``loss(predictions, targets) -> Value`` (used as the batch loss)
    optimizer:  default ``SGD(model.parameters(), lr=0.1)``
    batch_size: ``None`` (full batch), ``1`` (stochastic) or ``k`` (mini-batch)
    seed:       the seed of the per-epoch shuffle
    progress:   show a tqdm progress bar (if tqdm is installed)
    on_epoch:   called with the History after every epoch; return True to stop
                training there (the model keeps that epoch's updates)

    The batch loss is always the mean over the batch's samples: the mean
    losses (``mse``, the cross-entropies, ``hinge``) are used as they are,
    and the sums (``half_sse``, ``l1``, ``l2``) are divided by the batch
    size, so each sample's own ½ Σ e² is averaged: the gradients of the m
    samples are added up and divided by m. The learning rate then means the
    same whatever the batch size.

    Accuracy is measured when the loss says how to read the output (a
    probability, a logit or a margin: see :func:`nn.losses.loss_info`), or when
    a regression loss is trained on 0/1 or -1/+1 labels.

    All of the data is checked before the first update (:mod:`nn.validation`):
    shapes, types and finite numbers, then the model on every sample and the
    loss on all of them, without recording graphs. A problem anywhere raises
    :class:`autograd.DataError` (or :class:`autograd.DataTypeError`) naming the
    sample, and the model is left as it was.

    ``compile=True`` traces one sample's loss once with :func:`autograd.compile`
    and trains on the generated straight-line code (batched over NumPy arrays
    when NumPy is installed): the same updates, the same losses to rounding,
    a fraction of the time. Every sample is first checked to build the traced
    graph; see :class:`CompiledTrainer` for how.
    """
    epochs = _check_positive_int(epochs, "epochs", allow_zero=True)
    chosen_size = None if batch_size is None else _check_positive_int(batch_size, "batch_size")
    loss_fn = get_loss(loss)
    info = loss_info(loss_fn)
    # every sample is checked before the first update: all of the data trains, or none of it
    n = check_data(X, y, _model_inputs(model), numeric_targets=info is not None)
    size = n if chosen_size is None else min(chosen_size, n)
    divide_by_batch = info is not None and info.reduction == "sum"
    threshold = _accuracy_threshold(info.output if info else None, y)
    if optimizer is None:
        if not hasattr(model, "parameters"):
            raise WrongTypeError("fit: give an optimizer, or a model with .parameters() for the default SGD")
        optimizer = SGD(model.parameters(), lr=0.1)
    by_target = targets_are_classes(info, y)

    def per_sample(i: int, prediction: Any) -> Any:  # one sample's loss, as compiled training traces it
        target = y[i] if by_target else Value(target_number(y[i]))
        return loss_fn([prediction], [target])

    evaluation = check_with_the_model(model, X, y, loss_fn, per_sample if compile else None)
    if hasattr(model, "train"):
        model.train()

    matrix = None
    if compile:  # the matrix form where the model is layers, else the per-edge form
        matrix = MatrixTrainer.build(model, X, y, loss_fn, info, optimizer, threshold)
    compiled = CompiledTrainer(model, X, y, loss_fn, info) if compile and matrix is None else None
    if matrix is not None or compiled is not None:  # every sample, before the first update
        prove_every_sample(matrix or compiled, evaluation)
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
                if not isinstance(batch_loss, Value):  # a loss that changed its mind since the data check
                    raise WrongTypeError(f"fit: the loss returned {type(batch_loss).__name__}, not a Value")
                if divide_by_batch and len(batch) > 1:  # a batch of one: no division by 1 in the graph
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
            if on_epoch is not None and on_epoch(history):
                break
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

    Compiled code follows the graph it was traced from. So before training,
    the compiled code's output and loss for every sample are compared with
    the engine's (:func:`prove_every_sample`, on the numbers fit's data check
    has computed anyway): a model or loss that branches on the data (a
    Python ``if`` on ``.data``) computes something else for some sample, and
    that sample is named in a :class:`autograd.TraceMismatchError` (use
    compile=False). A few samples are also compared gradient by gradient. What no check before training can
    see is a branch on a value that training changes (``if prediction.data
    > 0``): the engine (compile=False) is the way for such models.

    Predictions for the accuracy come from forward-only compiled graphs of
    the model's outputs. The batch loss is the mean of the per-sample losses,
    as in :func:`fit`; so is its gradient.
    """

    def __init__(self, model: Any, X: Sequence[Any], y: Sequence[Any], loss_fn: Any, info: Any) -> None:
        if not hasattr(model, "parameters"):
            raise WrongTypeError("fit(compile=True) needs a model with .parameters() (an nn.Module)")
        self.params = model.parameters()
        self.X = [[_feature(v) for v in _row(X[i])] for i in range(len(X))]  # checked by fit already
        self.y = [y[i] for i in range(len(y))]
        self.nin = len(self.X[0])
        try:
            import numpy  # noqa: F401
        except ImportError:
            self.backend = "python"
        else:
            self.backend = "numpy"
        # known classification losses, or targets that are not numbers: one graph per target
        self.by_target = targets_are_classes(info, self.y)
        if self.by_target:
            keys = sorted({target_key(t) for t in self.y})
            if len(keys) > MAX_CLASSES:
                raise DataError(
                    f"fit(compile=True): {len(keys)} different targets for a classification loss; "
                    f"at most {MAX_CLASSES} classes are compiled (use compile=False)"
                )
        else:
            keys = [None]
        self.losses: dict[Any, Any] = {}
        for key in keys:
            samples = [i for i, t in enumerate(self.y) if key is None or target_key(t) == key]
            self.losses[key] = self._compile_loss(model, loss_fn, key, samples)
        first = model(self.X[0])
        self.n_outputs = len(first) if isinstance(first, list) else 1
        self.outputs = [
            autograd.compile(lambda *xs, k=k: _outputs(model(list(xs)))[k], *self.X[0], params=self.params)
            for k in range(self.n_outputs)
        ]

    def _arguments(self, i: int, key: Any) -> list[float]:
        return self.X[i] if key is not None else [*self.X[i], target_number(self.y[i])]

    def _compile_loss(self, model: Any, loss_fn: Any, key: Any, samples: list[int]) -> Any:
        nin = self.nin
        if key is None:
            graph = autograd.compile(
                lambda *a: loss_fn([model(list(a[:nin]))], [a[nin]]),
                *self._arguments(samples[0], key),
                params=self.params,
            )
        else:
            target = self.y[samples[0]]
            graph = autograd.compile(
                lambda *a: loss_fn([model(list(a))], [target]), *self.X[samples[0]], params=self.params
            )
        spread = sorted({samples[(len(samples) - 1) * k // 4] for k in range(5)})
        for i in spread:  # the gradients too, on a few samples (every sample's numbers: prove_every_sample)
            try:
                graph.check(*self._arguments(i, key))
            except ChaingradError as exc:
                raise autograd.TraceMismatchError(
                    f"fit(compile=True): sample {i} does not follow the graph traced from sample "
                    f"{samples[0]}, so this model and loss cannot be compiled faithfully (use "
                    f"compile=False): {exc}"
                ) from None
        return graph

    def _columns(self, indices: Sequence[int], with_target: bool) -> list[list[float]]:
        columns = [[self.X[i][j] for i in indices] for j in range(self.nin)]
        if with_target:
            columns.append([target_number(self.y[i]) for i in indices])
        return columns

    @property
    def structures(self) -> dict[Any, Any]:
        """The structure of each traced loss graph, by target key."""
        from autograd.tracing import traced_structure

        return {key: traced_structure(graph._nodes) for key, graph in self.losses.items()}

    def key_of(self, i: int) -> Any:
        """Which traced graph sample ``i`` trains on."""
        return target_key(self.y[i]) if self.by_target else None

    def sample_values(self) -> tuple[list[list[float]], list[float]]:
        """The compiled code's outputs and loss for every sample (forward only)."""
        columns = self._columns(range(len(self.X)), with_target=False)
        outputs = [list(map(float, graph.values(*columns, backend=self.backend))) for graph in self.outputs]
        losses = [0.0] * len(self.X)
        for key, graph in self.losses.items():
            indices = [i for i in range(len(self.X)) if key is None or target_key(self.y[i]) == key]
            values = graph.values(*self._columns(indices, with_target=key is None), backend=self.backend)
            for i, v in zip(indices, values):
                losses[i] = float(v)
        return [list(row) for row in zip(*outputs)], losses

    def backward_into(self, batch: Sequence[int]) -> tuple[float, list[Any]]:
        """Set every p.grad to ∂(mean batch loss)/∂p; return the mean loss and
        the model's predictions for the batch (before the update)."""
        zero_grad(self.params)
        total = 0.0
        for key, graph in self.losses.items():
            indices = batch if key is None else [i for i in batch if target_key(self.y[i]) == key]
            if indices:
                columns = self._columns(indices, with_target=key is None)
                total += graph.batch_backward_into(*columns, reduce="sum", backend=self.backend)
        for p in self.params:
            p.grad /= len(batch)
        columns = self._columns(batch, with_target=False)
        outputs = [list(map(float, graph.values(*columns, backend=self.backend))) for graph in self.outputs]
        predictions: list[Any] = outputs[0] if self.n_outputs == 1 else [list(row) for row in zip(*outputs)]
        return total / len(batch), predictions


def prove_every_sample(trainer: Any, engine: Evaluation) -> None:
    """Compiled training against the engine on every sample, before the first update.

    Each sample's graph, built by fit's data check, must have the structure
    of the graph traced for its class (op by op, input by input: a Python
    ``if`` on ``.data`` that goes the other way for some sample builds
    another one), and the compiled code must give each sample's outputs and
    loss as the engine does. The first sample that differs is named in a
    :class:`autograd.TraceMismatchError`.
    """
    traced = trainer.structures
    if engine.structures is not None:
        for i, found in enumerate(engine.structures):
            if found != traced[trainer.key_of(i)]:
                raise autograd.TraceMismatchError(
                    f"fit(compile=True): the graph of sample {i} has another shape than the traced one, so "
                    "this model and loss cannot be compiled faithfully: they decide something from the data "
                    "(a Python if on .data) that compiled code cannot follow; use compile=False"
                )
    outputs, losses = trainer.sample_values()
    for i, (got, want) in enumerate(zip(outputs, engine.outputs)):
        pairs = [("output", a, b) for a, b in zip(got, want)]
        if engine.losses is not None:
            pairs.append(("loss", losses[i], engine.losses[i]))
        for what, a, b in pairs:
            if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9):
                raise autograd.TraceMismatchError(
                    f"fit(compile=True): sample {i} does not follow the traced graph (its {what} is {b!r} on "
                    f"the engine and {a!r} in the compiled code), so this model and loss cannot be compiled "
                    "faithfully: they decide something from the data (a Python if on .data) that compiled "
                    "code cannot follow; use compile=False"
                )


def _feature(v: Any) -> float:
    return v.data if isinstance(v, Value) else float(v)


def _row(x: Any) -> Sequence[Any]:
    """A sample as a list of features (a single number is one feature)."""
    return [x] if isinstance(x, (Value, numbers.Real)) else x


def _outputs(out: Any) -> list[Any]:
    return out if isinstance(out, list) else [out]


def _show(bar: Any, history: History) -> None:
    """The latest loss and accuracy next to the progress bar."""
    if hasattr(bar, "set_postfix"):
        postfix = {"loss": f"{history.loss[-1]:.4g}"}
        if history.accuracy:
            postfix["acc"] = f"{history.accuracy[-1]:.3f}"
        bar.set_postfix(postfix)


__all__ = ["CompiledTrainer", "History", "fit"]
