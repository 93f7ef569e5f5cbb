"""``fit(compile=True)`` in matrix form: the whole batch step in NumPy arrays.

When the model is a network of layers (an :class:`nn.MLP`, a
:class:`nn.Layer`, a regression model...), each training step is the matrix
code of :mod:`autograd.matrix_form`: one matrix product per layer and phase,
the loss of every sample over whole columns. Everything a step touches lives
in arrays for the whole of training:

* the data, converted once: X (one row per sample), the targets, which
  samples have which class label;
* the parameters, one flat array P in the order of ``model.parameters()``;
  each layer's W and b are views into it, so an update of P is an update of
  every W;
* the optimizer's state: SGD's momentum buffer, Adam's moments m and v, with
  the update formulas of :mod:`nn.optim` written over arrays (the same float
  operations, element by element).

After every epoch (and when training stops, even by an error) the numbers go
back into the ``Parameter`` objects (``data`` and the last ``grad``) and into
the optimizer (``velocity``, ``m``, ``v``; ``step_count`` counts as it goes),
so the model and optimizer are the ones the engine path would leave. Their
losses agree with the engine's to rounding (a matrix product adds in another
order).

A model, loss or optimizer this does not cover is trained by
:class:`nn.training.CompiledTrainer` (per-edge code) instead: :meth:`build`
returns None. An optimizer other than plain :class:`nn.SGD` or
:class:`nn.Adam` (a subclass, say) keeps its own ``step``: the gradients are
computed in matrix form and handed to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from autograd import Value
from autograd.tracing import TraceMismatchError
from nn.optim import SGD, Adam, Optimizer
from nn.targets import MAX_CLASSES, target_key, target_number, targets_are_classes

SAMPLES_CHECKED = 10
"""Samples compared with the engine before training, spread over the data: as
many for each graph (one per class label), at least 2 each."""


@dataclass
class TrainingData:
    """The data of one fit, converted once.

    X:              the features, one row per sample, in the columns layer 1 reads
    args:           per argument of the traced loss, its column if the rest of the
                    graph reads it (the target of a regression, a label's constant),
                    else None
    codes:          which graph (class label) each sample's loss is
    wanted:         the targets as numbers, for the accuracy (None: not measured)
    output_columns: the column of the last layer that is each model output
    threshold:      where one output switches class (see nn.training)
    inputs, targets, loss_fn, divide_by_batch: what the engine path needs, to
                    run a batch where NumPy fails
    """

    X: Any
    args: list[Any]
    codes: Any
    wanted: Any
    output_columns: list[int]
    threshold: float | None
    inputs: Sequence[Any]
    targets: Sequence[Any]
    loss_fn: Callable[..., Any]
    divide_by_batch: bool


class MatrixTrainer:
    """The batch step of :func:`nn.fit` in matrix form; see :mod:`nn.matrix_training`."""

    def __init__(self, model: Any, form: Any, data: TrainingData, optimizer: Optimizer) -> None:
        import numpy as np

        self._np = np
        self.model = model
        self.params = model.parameters()
        self.inputs, self.targets = data.inputs, data.targets
        self.loss_fn, self.divide_by_batch = data.loss_fn, data.divide_by_batch
        self.form = form
        self.X, self.args, self.codes, self.wanted = data.X, data.args, data.codes, data.wanted
        self.output_columns = data.output_columns
        self.threshold = data.threshold
        self.n = len(self.X)
        self.optimizer = optimizer
        self.P = np.array([p.data for p in self.params], dtype=np.float64)
        self.G = np.zeros_like(self.P)
        self.weights = form.views(self.P)  # W, b views into P (None: read by position each step)
        self.gradients = form.views(self.G)
        self._all = list(range(self.n))
        self._all_rows = self._rows(self.codes)
        self._arrays_mode = (
            type(optimizer) in (SGD, Adam)
            and len(optimizer.params) == len(self.params)
            and all(a is b for a, b in zip(optimizer.params, self.params))
        )
        if self._arrays_mode:
            self._state_in()

    # -- building ------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        model: Any,
        X: Sequence[Any],
        y: Sequence[Any],
        loss_fn: Any,
        info: Any,
        optimizer: Optimizer,
        threshold: float | None,
    ) -> MatrixTrainer | None:
        """A trainer for this model, data, loss and optimizer, or None where the
        matrix form does not apply (fit then uses the per-edge form)."""
        try:
            import numpy as np

            from autograd.matrix_form import MatrixForm, merge_constants, trace_plan
        except ImportError:
            return None
        from autograd.tracing import traced_structure

        if not hasattr(model, "parameters"):
            return None
        params = model.parameters()
        try:
            features = np.asarray([[_number(v) for v in x] for x in X], dtype=np.float64)
        except (TypeError, ValueError):
            return None
        if features.ndim != 2 or not features.shape[1] or not np.isfinite(features).all():
            return None
        nin = features.shape[1]
        by_target = targets_are_classes(info, y)
        target_column = None
        if by_target:
            target_keys = [target_key(t) for t in y]
            keys = sorted(set(target_keys))
            if len(keys) > MAX_CLASSES:
                return None
        else:
            try:
                target_column = np.array([target_number(t) for t in y], dtype=np.float64)
            except TypeError:
                return None
            target_keys = [None] * len(y)
            keys = [None]

        def loss_of(key: Any) -> Any:
            if key is None:
                return lambda *a: loss_fn([model(list(a[:nin]))], [a[nin]])
            target = y[target_keys.index(key)]
            return lambda *a: loss_fn([model(list(a))], [target])

        def arguments(i: int) -> list[float]:  # of f: the features, and the target for regression
            return features[i].tolist() + ([float(target_column[i])] if target_column is not None else [])

        plans, notes, checks = [], [], []
        structures: dict[Any, Any] = {}
        per_graph = max(2, -(-SAMPLES_CHECKED // len(keys)))
        for key in keys:
            samples = [i for i, k in enumerate(target_keys) if k == key]
            f = loss_of(key)
            nodes, plan, out = trace_plan(f, arguments(samples[0]), params)
            if isinstance(plan, str):
                return None
            plans.append(plan)
            notes.append("" if key is None else f"target {key!r}")
            checks.append((len(plans) - 1, samples[0], out))
            structures[key] = traced_structure(nodes)
            spread = {samples[(len(samples) - 1) * k // (per_graph - 1)] for k in range(per_graph)}
            for i in sorted(spread - {samples[0]}):  # these also gradient by gradient, below
                checks.append((len(plans) - 1, i, f(*[Value(x) for x in arguments(i)])))
        if any(plan.signature() != plans[0].signature() for plan in plans):
            return None  # the graphs of different labels read the network differently
        codes = np.array([keys.index(k) for k in target_keys], dtype=np.intp)
        args = [None] * nin + ([target_column] if target_column is not None else [])
        merged = merge_constants(plans, len(args)) if len(plans) > 1 else None
        if merged is not None:  # one graph for every label: the label's constants become columns
            plan, constants = merged
            args += [np.array(values)[codes] for values in constants]
            plans, notes, codes = [plan], [], np.zeros_like(codes)
            checks = [(0, i, out) for _, i, out in checks]
        form = MatrixForm(plans, len(args), len(params), notes)
        output_columns = _output_columns(model, features[0].tolist(), params, plans[0], trace_plan)
        if output_columns is None:
            return None
        wanted = None
        if threshold is not None:
            wanted = np.array([_number(t) for t in y], dtype=np.float64)
        data = TrainingData(
            X=np.ascontiguousarray(features[:, list(plans[0].features)]),
            args=args,
            codes=codes,
            wanted=wanted,
            output_columns=output_columns,
            threshold=threshold,
            inputs=X,
            targets=y,
            loss_fn=loss_fn,
            divide_by_batch=info is not None and info.reduction == "sum",
        )
        trainer = cls(model, form, data, optimizer)
        trainer.structures = structures
        trainer.target_keys = target_keys
        trainer._check_against_engine(checks, params)
        return trainer

    def key_of(self, i: int) -> Any:
        """Which traced graph sample ``i`` trains on (its class, or None)."""
        return self.target_keys[i]

    def sample_values(self) -> tuple[list[list[float]], list[float]]:
        """The matrix code's outputs and loss for every sample (one forward pass)."""
        value, outputs, _, _, _ = self._run(None, self._all_rows, len(self.X))
        return outputs[:, self.output_columns].tolist(), value.tolist()

    def _check_against_engine(self, checks: list[tuple[int, int, Value]], params: Sequence[Value]) -> None:
        """The matrix code against the engine on each checked sample (graph c,
        sample i, the engine's output): value and every parameter gradient."""
        import autograd

        np = self._np
        for c, i, out in checks:
            expected = autograd.grad(out, list(params))
            rows = tuple(np.array([0] if k == c else [], dtype=np.intp) for k in range(len(self.form.plans)))
            value, _, _, layer_g, head_g = self._run(np.array([i]), rows, 1)
            got = self.form.scatter(layer_g, head_g, np.empty(len(params)))
            pairs = [("the loss", float(value[0]), out.data)] + [
                (f"∂/∂{p.label or 'parameter'}", a, b) for p, a, b in zip(params, got.tolist(), expected)
            ]
            for what, a, b in pairs:
                if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
                    raise TraceMismatchError(
                        f"fit(compile=True): the matrix form and the engine disagree on {what} for sample "
                        f"{i} ({a!r} vs {b!r}); please report this, and use compile=False meanwhile"
                    )

    # -- one step --------------------------------------------------------------------

    def _rows(self, codes: Any) -> tuple[Any, ...]:
        np = self._np
        return tuple(np.flatnonzero(codes == c) for c in range(len(self.form.plans)))

    def _run(self, index: Any, rows: tuple[Any, ...], m: int) -> Any:
        X = self.X if index is None else self.X[index]
        args = self.args if index is None else [None if a is None else a[index] for a in self.args]
        arrays = self.weights if self.weights is not None else self.form.arrays(self.P)
        return self.form.run(X, args, self.P, float(m), arrays, rows)

    def step(self, batch: list[int]) -> tuple[float, int]:
        """One update on the samples ``batch``: the mean loss and the number of
        correct predictions (before the update)."""
        np = self._np
        m = len(batch)
        if not self._arrays_mode:
            self.P[:] = [p.data for p in self.params]  # the optimizer may have changed them
        if batch == self._all:
            index, rows, wanted = None, self._all_rows, self.wanted
        else:
            index = np.array(batch, dtype=np.intp)
            rows = self._rows(self.codes[index])
            wanted = None if self.wanted is None else self.wanted[index]
        try:
            value, outputs, _, layer_g, head_g = self._run(index, rows, m)
            if self.gradients is not None and not len(self.form.head_params):
                for view, g in zip(self.gradients, layer_g):
                    view[...] = g
            else:
                self.form.scatter(layer_g, head_g, self.G)
            loss = float(value.sum()) / m
            scores = outputs[:, self.output_columns]
            failed = loss - loss != 0.0 or not np.isfinite(self.G).all()
        except (ArithmeticError, ValueError):
            failed = True
        if failed:  # the engine says what went wrong, as fit(compile=False) would
            loss, scores = self._engine_step(batch)
        correct = self._correct(scores, wanted)
        self._update()
        return loss, correct

    def _engine_step(self, batch: list[int]) -> tuple[float, Any]:
        """The batch on the engine, where NumPy met an error or a number that is not
        finite: it raises the engine's own error, naming the node, or (if NumPy alone
        failed) gives the gradients and the model's outputs."""
        np = self._np
        self.write_back()
        predictions = [self.model(self.inputs[i]) for i in batch]
        batch_loss = self.loss_fn(predictions, [self.targets[i] for i in batch])
        if self.divide_by_batch:
            batch_loss = batch_loss / len(batch)
        self.optimizer.zero_grad()
        batch_loss.backward()
        self.G[:] = [p.grad for p in self.params]
        scores = np.array(
            [[v.data for v in (out if isinstance(out, list) else [out])] for out in predictions]
        )
        return batch_loss.data, scores

    def _correct(self, scores: Any, wanted: Any) -> int:
        """How many predictions give the right class (as :func:`nn.training._correct`)."""
        if self.threshold is None or wanted is None:
            return 0
        np = self._np
        if scores.shape[1] > 1:
            return int((np.argmax(scores, axis=1) == wanted).sum())
        one = scores[:, 0] >= self.threshold
        return int(((one & (wanted == 1.0)) | (~one & ((wanted == 0.0) | (wanted == -1.0)))).sum())

    # -- the optimizer, over arrays ----------------------------------------------------

    def _state_in(self) -> None:
        np = self._np
        opt = self.optimizer
        if isinstance(opt, Adam):
            self.m = np.array(opt.m, dtype=np.float64)
            self.v = np.array(opt.v, dtype=np.float64)
        else:
            self.velocity = None if opt.velocity is None else np.array(opt.velocity, dtype=np.float64)

    def _update(self) -> None:
        opt = self.optimizer
        if not self._arrays_mode:
            opt.zero_grad()
            for p, g in zip(self.params, self.G.tolist()):
                p.grad = g
            opt.step()
            return
        np = self._np
        with np.errstate(over="ignore", invalid="ignore"):  # a step to inf is caught below
            lr = opt.current_lr()
            g = self.G + opt.weight_decay * self.P if opt.weight_decay else self.G
            if isinstance(opt, Adam):
                beta1, beta2 = opt.betas
                t = opt.step_count + 1
                m = beta1 * self.m + (1.0 - beta1) * g
                v = beta2 * self.v + (1.0 - beta2) * g * g
                step_size = lr / (1.0 - beta1**t)
                root_correction = math.sqrt(1.0 - beta2**t)
                new = self.P - step_size * m / (np.sqrt(v) / root_correction + opt.eps)
            elif opt.momentum:
                velocity = g if self.velocity is None else opt.momentum * self.velocity + g
                new = self.P - lr * velocity
            else:
                new = self.P - lr * g
        if not np.isfinite(new).all():  # the optimizer's own step names the parameter
            self.write_back()
            opt.step()  # raises DomainError, changing nothing
            self.P[:] = [p.data for p in self.params]  # (not reached: the same numbers, all finite)
            self._state_in()
            return
        self.P[:] = new
        if isinstance(opt, Adam):
            self.m, self.v = m, v
        elif opt.momentum:
            self.velocity = velocity.copy() if velocity is self.G else velocity
        opt.step_count += 1

    def write_back(self) -> None:
        """Parameters (``data`` and the last ``grad``) and the optimizer's state,
        from the arrays: what the engine path leaves after the same steps."""
        if not self._arrays_mode:  # the optimizer's own step has kept the Parameters up to date
            return
        for p, x, g in zip(self.params, self.P.tolist(), self.G.tolist()):
            p.data = x
            p.grad = g
        opt = self.optimizer
        if isinstance(opt, Adam):
            opt.m, opt.v = self.m.tolist(), self.v.tolist()
        elif opt.momentum and self.velocity is not None:
            opt.velocity = self.velocity.tolist()


def _number(v: Any) -> float:
    return v.data if isinstance(v, Value) else float(v)


def _output_columns(
    model: Any, example: list[float], params: Sequence[Value], plan: Any, trace_plan: Any
) -> list[int] | None:
    """Which column of the last layer each model output is, or None if an output
    is not simply a neuron of the last layer (the model computes more after it).

    One trace of the sum of the outputs: its head must be that one sum."""
    from autograd import sum_values

    def outputs(*xs: Value) -> Value:
        out = model(list(xs))
        return sum_values(out) if isinstance(out, list) else out

    _, found, _ = trace_plan(outputs, example, params)
    if isinstance(found, str) or found.signature() != plan.signature():
        return None
    if not found.head:  # one output, a node of the last layer
        return [found.column_of[found.root]]
    total = found.nodes[found.root]
    if (
        found.head != (found.root,)
        or total.op != "sum"
        or any(i not in found.column_of for i in total.inputs)
    ):
        return None
    return [found.column_of[i] for i in total.inputs]


__all__ = ["MatrixTrainer", "TrainingData"]
