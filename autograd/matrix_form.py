"""Compiled graphs in matrix form: a network's layers as NumPy matrix products.

:func:`autograd.compile` traces the graph of ONE sample. When that graph is a
network of layers (``linear`` nodes over a shared input tuple, as :mod:`nn`
builds them, see :mod:`autograd.matrix_plan`), the same computation over a
batch of ``m`` samples is a handful of matrix products, the equations of a
hand derivation (:mod:`autograd.matrix_code` writes them)::

    Z1 = X @ W1.T + b1;  A1 = tanh(Z1);  ...;  dZ2 = dA2 * (1.0 - A2 * A2);  dW2 = dZ2.T @ A1 / m

instead of one NumPy operation per edge of the scalar graph. Whatever comes
after the last layer (a loss) runs node by node over whole columns, as in the
per-edge form. ``compiled.matrix_source`` shows the code, ``compiled.batch``
and ``batch_backward_into`` use it, and ``compiled.check(...)`` compares it
with the engine as well. A graph without that shape keeps the per-edge form
(``compiled.matrix`` is None and ``compiled.matrix_reason`` says why).

Numbers: a matrix product adds its terms in another order than the engine's
``linear`` node (left to right), so results agree with the engine to rounding
(about 1e-16 relative), not bit for bit. Where NumPy meets an error (overflow,
0/0, log of 0) or a result is not finite, the caller falls back to the
per-edge form, which names the node and the sample as the engine would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograd.codegen import Variant
from autograd.errors import InvalidArgumentError
from autograd.generated import CompiledResult, build, numpy_module, numpy_namespace
from autograd.matrix_code import write_matrix_code
from autograd.matrix_plan import Layer, Plan, find_layers
from autograd.tracing import shape_difference, trace
from autograd.value import Value

_ERRORS = (ArithmeticError, ValueError, FloatingPointError)


def _helpers(np: Any) -> dict[str, Any]:
    """The few array functions the generated code calls besides the op table's."""

    def total(g: Any, n: int) -> float:
        """Σ over n samples of g (a column, or one number for all of them)."""
        return np.sum(g) if np.ndim(g) else g * n

    def sum_over_samples(a: Any) -> Any:
        """The sum of the rows of a matrix (the samples), one number per column."""
        return a.sum(axis=0)

    def broadcast(v: Any, n: int) -> Any:
        """v as a fresh column of n numbers."""
        return np.array(np.broadcast_to(v, (n,)), dtype=np.float64)

    return {
        "total": total,
        "broadcast": broadcast,
        "sum_over_samples": sum_over_samples,
        "zeros": np.zeros,
        "empty": np.empty,
        "len": len,
    }


def trace_plan(
    f: Callable[..., Value], example: Sequence[float], params: Sequence[Value]
) -> tuple[list[Any], Plan | str, Value]:
    """Trace ``f`` on fresh leaves holding ``example``: the traced nodes, its
    layers (or why it has none), and its output on the engine."""
    nodes, out = trace(f, [Value(x) for x in example], params)
    return nodes, find_layers(nodes), out


def retrace(
    f: Callable[..., Value], example: Sequence[float], params: Sequence[Value], nodes: Sequence[Any]
) -> tuple[str | None, Value]:
    """Run ``f`` on the engine again, on ``example``: how its graph differs from
    ``nodes`` (None if it does not), and its output."""
    traced, out = trace(f, [Value(x) for x in example], params)
    return shape_difference(nodes, traced), out


def merge_constants(plans: Sequence[Plan], n_args: int) -> tuple[Plan, list[list[float]]] | None:
    """One plan for graphs that differ only in constants (the loss of each class
    label, where the label is a number in the graph: ``z * t`` of the binary
    cross-entropy, the sign of hinge), or None if their shapes differ.

    Each constant that differs becomes a new argument (slots ``n_args``, ...):
    a column holding, for each sample, the value its own graph has. Returns the
    plan and, per new argument, the value in each of ``plans``.
    """
    first = plans[0].nodes
    if any(len(plan.nodes) != len(first) for plan in plans):
        return None
    varying: list[int] = []
    for k, node in enumerate(first):
        others = [plan.nodes[k] for plan in plans[1:]]
        if any(other.shape()[:-1] != node.shape()[:-1] for other in others):
            return None
        if node.kind == "const" and any(other.data != node.data for other in others):
            varying.append(k)
    nodes = list(first)
    for j, k in enumerate(varying):
        label = "each sample's own constant (its label)"
        nodes[k] = first[k]._replace(kind="arg", slot=n_args + j, label=label)
    merged = find_layers(nodes)
    if isinstance(merged, str):  # pragma: no cover - the layers do not read constants
        return None
    return merged, [[plan.nodes[k].data for plan in plans] for k in varying]


class MatrixForm:
    """One network's graph (or one graph per class label, sharing the layers)
    as NumPy code over a batch; see :mod:`autograd.matrix_form`.

    ``source`` is the generated code; ``layers`` the layers found. Parameters
    live in one flat array ``P`` (in the order of ``params``); each layer's
    ``W``, ``b`` (and α) are read from it by position.
    """

    def __init__(self, plans: Sequence[Plan], n_args: int, n_params: int, notes: Sequence[str] = ()) -> None:
        first = plans[0].signature()
        if any(plan.signature() != first for plan in plans):
            raise InvalidArgumentError("the plans of one matrix form must share their layers")
        np = numpy_module()
        self.plans = tuple(plans)
        self.layers: tuple[Layer, ...] = self.plans[0].layers
        self.features = self.plans[0].features
        self.n_args = n_args
        self.n_params = n_params
        self._notes = tuple(notes)
        self._functions: dict[bool, Callable[..., Any]] = {}
        code = write_matrix_code(self.plans, n_args, arg_grads=False, notes=self._notes)
        self.source: str = code.source
        self.head_params = np.array(code.head_params, dtype=np.intp)
        self.slots = []  # per layer array: the parameter position of each entry
        for layer in self.layers:
            self.slots += [np.array(layer.weights, dtype=np.intp), np.array(layer.biases, dtype=np.intp)]
            if layer.neuron_params:
                self.slots.append(np.array(layer.neuron_params, dtype=np.intp))

    @classmethod
    def of_graph(cls, nodes: Sequence[Any], n_args: int, n_params: int) -> MatrixForm | str:
        """The matrix form of one traced graph, or why it has none."""
        plan = find_layers(nodes)
        return plan if isinstance(plan, str) else cls([plan], n_args, n_params)

    def __repr__(self) -> str:
        shape = " -> ".join(
            [str(len(self.features))]
            + [f"{layer.size} {layer.activation or 'linear'}" for layer in self.layers]
        )
        return f"MatrixForm({len(self.layers)} layers: {shape}; print(.source) to read it)"

    def function(self, arg_grads: bool) -> Callable[..., Any]:
        """The generated function (built on first use); with ``arg_grads`` it also
        returns ∂output/∂argument per sample (one graph only)."""
        function = self._functions.get(arg_grads)
        if function is None:
            source = self.source
            if arg_grads:
                source = write_matrix_code(self.plans, self.n_args, arg_grads=True).source
            np = numpy_module()
            variant = Variant(source=source, function_name="forward_backward", lines={}, checked=())
            function = build(variant, {**numpy_namespace(np), **_helpers(np)})
            self._functions[arg_grads] = function
        return function

    def arrays(self, P: Any) -> list[Any]:
        """Each layer's W, b (and α) read from the flat parameter array ``P``."""
        return [P[slots] for slots in self.slots]

    def views(self, flat: Any) -> list[Any] | None:
        """The same arrays as views INTO ``flat`` (no copy: writing ``flat`` changes
        them, writing them changes ``flat``), when every layer's entries lie at
        regular strides, as ``nn``'s parameter order has them; else None."""
        np = numpy_module()
        views = []
        for slots in self.slots:
            view = _strided_view(np, flat, slots)
            if view is None:
                return None
            views.append(view)
        return views

    def scatter(self, layer_grads: Sequence[Any], head_grads: Sequence[Any], into: Any) -> Any:
        """The gradient of every parameter, as one flat array ``into`` (filled)."""
        into[...] = 0.0
        for slots, g in zip(self.slots, layer_grads):
            into[slots] = g
        if len(self.head_params):
            into[self.head_params] += head_grads
        return into

    def run(
        self,
        X: Any,
        args: Sequence[Any],
        P: Any,
        m: float,
        arrays: Sequence[Any],
        rows: Any = None,
        arg_grads: bool = False,
    ) -> Any:
        """The generated function on a batch, NumPy's float errors raised."""
        np = numpy_module()
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            return self.function(arg_grads)(X, args, P, m, rows, *arrays)

    def batch(
        self, columns: Sequence[Any], params: Sequence[float], reduce: str, arg_grads: bool
    ) -> CompiledResult | None:
        """What ``CompiledGraph.batch`` returns, computed in matrix form: values and
        argument gradients per sample, parameter gradients summed or averaged. None
        if NumPy met an error or a number is not finite (the per-edge form then
        runs, and explains)."""
        np = numpy_module()
        n = len(columns[0])
        X = np.column_stack([columns[s] for s in self.features]) if self.features else np.empty((n, 0))
        P = np.array(params, dtype=np.float64)
        try:
            value, _, arg_g, layer_g, head_g = self.run(
                X, columns, P, n if reduce == "mean" else 1, self.arrays(P), arg_grads=arg_grads
            )
        except _ERRORS:
            return None
        gradient = self.scatter(layer_g, head_g, np.empty(self.n_params))
        if not (np.isfinite(value).all() and np.isfinite(gradient).all()):
            return None
        if arg_grads and not all(np.isfinite(g).all() for g in arg_g):
            return None
        return CompiledResult(np.array(value, dtype=np.float64), tuple(arg_g), tuple(gradient.tolist()))


def _strided_view(np: Any, flat: Any, slots: Any) -> Any:
    """``flat[slots]`` as a view, if the positions form a regular grid."""
    if slots.size == 0:
        return None
    grid = slots.reshape(slots.shape[0], -1)
    start = int(grid[0, 0])
    row_step = int(grid[1, 0] - grid[0, 0]) if grid.shape[0] > 1 else 0
    column_step = int(grid[0, 1] - grid[0, 0]) if grid.shape[1] > 1 else 0
    rows, cols = np.indices(grid.shape)
    if (
        not np.array_equal(grid, start + rows * row_step + cols * column_step)
        or min(row_step, column_step) < 0
    ):
        return None
    item = flat.itemsize
    view = np.lib.stride_tricks.as_strided(
        flat[start:], shape=grid.shape, strides=(row_step * item, column_step * item)
    )
    view = view.reshape(slots.shape) if slots.ndim == 1 else view
    return view if np.shares_memory(view, flat) and np.array_equal(view, flat[slots]) else None


__all__ = ["MatrixForm", "merge_constants", "retrace", "trace_plan"]
