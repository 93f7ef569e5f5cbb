"""Using a trained model: predictions as numbers, accuracy, decision boundaries.

Everything here runs under :func:`autograd.no_grad`, so no graph is kept.
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from autograd import Value, no_grad
from autograd.errors import InvalidArgumentError
from nn.plotting import new_axes


def _number(v: Any) -> float:
    return v.data if isinstance(v, Value) else float(v)


def _output(out: Any) -> float | list[float]:
    if isinstance(out, (Value, numbers.Real)):
        return _number(out)
    return [_number(v) for v in out]


def predict(model: Callable[[Any], Any], X: Sequence[Any]) -> list[Any]:
    """The model's output on each sample of ``X`` as plain floats (a list of
    floats per sample for models with several outputs), without building graphs."""
    with no_grad():
        return [_output(model(x)) for x in X]


def _is_row(p: Any) -> bool:
    return not isinstance(p, (Value, numbers.Real))


def _argmax(row: Sequence[Any]) -> int:
    numbers_ = [_number(v) for v in row]
    return max(range(len(numbers_)), key=numbers_.__getitem__)


def predicted_classes(predictions: Sequence[Any], threshold: float = 0.5) -> list[int]:
    """The class each prediction stands for: argmax for a list of class scores,
    else 1 when the prediction is >= ``threshold`` and 0 below it."""
    classes = []
    for p in predictions:
        if _is_row(p) and len(p) > 1:
            classes.append(_argmax(p))
        else:
            value = _number(p[0] if _is_row(p) else p)
            classes.append(int(value >= threshold))
    return classes


def accuracy(predictions: Sequence[Any], targets: Sequence[Any], threshold: float = 0.5) -> float:
    """The fraction of predictions that give the right class.

    * several outputs per sample (a list of class scores): the class with the
      largest score must equal the target (a class index);
    * one output per sample: it predicts class 1 when >= ``threshold``:
      0.5 for probabilities (after a sigmoid), 0.0 for scores and logits.
      Targets are 0/1, or -1/+1 (then -1 is the class below the threshold).

    >>> accuracy([0.9, 0.2, 0.6], [1, 0, 0])
    0.6666666666666666
    """
    if len(predictions) != len(targets):
        raise InvalidArgumentError(
            f"accuracy: {len(predictions)} predictions but {len(targets)} targets; they must match"
        )
    if not predictions:
        raise InvalidArgumentError("accuracy: no predictions")
    classes = predicted_classes(predictions, threshold)
    wanted = [_number(t) for t in targets]
    multiclass = any(_is_row(p) and len(p) > 1 for p in predictions)
    if not multiclass:
        if any(t not in (-1.0, 0.0, 1.0) for t in wanted):
            bad = next(t for t in wanted if t not in (-1.0, 0.0, 1.0))
            raise InvalidArgumentError(f"accuracy: target {bad!r}; binary targets are 0/1 or -1/+1")
        wanted = [1.0 if t > 0.0 else 0.0 for t in wanted]
    return sum(c == t for c, t in zip(classes, wanted)) / len(classes)


class DecisionGrid(NamedTuple):
    """A model's output on a grid over the plane: ``grid[i][j]`` is at ``(xs[j], ys[i])``.

    Unpacks as ``xs, ys, grid``, the order ``matplotlib``'s ``contourf`` takes.
    For a model with several outputs each cell holds the predicted class.
    """

    xs: list[float]
    ys: list[float]
    grid: list[list[float]]

    def plot(
        self,
        X: Sequence[Sequence[float]] | None = None,
        y: Sequence[Any] | None = None,
        ax: Any = None,
        threshold: float | None = None,
    ) -> Any:
        """Filled contours of the grid, the decision boundary, and the points ``X`` coloured by ``y``.

        The boundary is drawn where the output crosses ``threshold``: 0.5 when
        every cell lies in [0, 1] (probabilities), else 0 (scores, logits).
        A grid of class indices (several outputs) is drawn with one colour per
        class. A legend names each class's colour (and the boundary). Draws
        into ``ax`` if given; otherwise makes a new matplotlib Figure (not
        registered with pyplot) and returns it. Needs matplotlib.
        """
        figure, ax = new_axes(ax)
        cells = [v for row in self.grid for v in row]
        classes = sorted({_class_label(t) for t in y}) if y is not None else []
        if y is not None and len({int(t) for t in y}) > 2:  # class indices: one colour each
            palette = [f"C{k % 10}" for k in range(max(int(t) for t in y) + 1)]
            levels = [k - 0.5 for k in range(len(palette) + 1)]
            ax.contourf(self.xs, self.ys, self.grid, levels=levels, colors=palette, alpha=0.3)
            colour_of = {c: palette[int(c)] for c in classes}
        else:
            if threshold is None:
                threshold = 0.5 if all(0.0 <= v <= 1.0 for v in cells) else 0.0
            spread = max(abs(v - threshold) for v in cells) or 1.0
            levels = [threshold + spread * (k / 10 - 1) for k in range(21)]
            ax.contourf(self.xs, self.ys, self.grid, levels=levels, cmap="RdBu", alpha=0.5)
            ax.contour(self.xs, self.ys, self.grid, levels=[threshold], colors="k", linewidths=1.5)
            colour_of = {c: "tab:blue" if c > threshold else "tab:red" for c in classes}
            ax.plot([], [], color="k", linewidth=1.5, label=f"decision boundary (output = {threshold:g})")
        if X is not None:
            groups: list[tuple[Any, list[Sequence[float]]]] = [(None, list(X))]
            if y is not None:
                groups = [(c, [p for p, t in zip(X, y) if _class_label(t) == c]) for c in classes]
            for label, points in groups:
                ax.scatter(
                    [p[0] for p in points],
                    [p[1] for p in points],
                    c=None if label is None else colour_of[label],
                    edgecolors="white",
                    linewidths=0.6,
                    s=28,
                    label=None if label is None else f"class {label:g}",
                )
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", fontsize="small", framealpha=0.85)
        return figure if figure is not None else ax.figure

    def _repr_html_(self) -> str:
        return html.escape(f"DecisionGrid: {len(self.xs)} × {len(self.ys)} points")


def decision_grid(
    model: Callable[[Any], Any], X: Sequence[Sequence[float]], steps: int = 50, margin: float = 0.5
) -> DecisionGrid:
    """Evaluate a classifier of two features on a ``steps`` × ``steps`` grid.

    The grid covers the range of ``X`` plus ``margin`` on every side. Each cell
    holds the model's output there (for several outputs, the argmax class), so
    the decision boundary is the 0.5 contour for probabilities and the 0
    contour for scores::

        xs, ys, grid = nn.decision_grid(model, X)
        plt.contourf(xs, ys, grid)
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise InvalidArgumentError(f"steps must be an int >= 2, got {steps!r:.60}")
    if not X:
        raise InvalidArgumentError("decision_grid needs the data X to choose the range")
    if any(len(p) != 2 for p in X):
        raise InvalidArgumentError(
            "decision_grid draws models of two features: every point of X needs 2 numbers"
        )
    lows = [min(p[d] for p in X) - margin for d in (0, 1)]
    highs = [max(p[d] for p in X) + margin for d in (0, 1)]
    xs, ys = ([lo + (hi - lo) * i / (steps - 1) for i in range(steps)] for lo, hi in zip(lows, highs))
    grid: list[list[float]] = []
    with no_grad():
        for y in ys:
            row = []
            for x in xs:
                out = _output(model([x, y]))
                row.append(float(_argmax(out)) if isinstance(out, list) and len(out) > 1 else _scalar(out))
            grid.append(row)
    return DecisionGrid(xs, ys, grid)


def _class_label(t: Any) -> float:
    """A target as the number that names its class (1, 0, -1, 2, ...)."""
    return float(t.data if isinstance(t, Value) else t)


def _scalar(out: float | list[float]) -> float:
    return out[0] if isinstance(out, list) else out


__all__ = ["DecisionGrid", "accuracy", "decision_grid", "predict", "predicted_classes"]
