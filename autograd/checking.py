"""Checking gradients: the engine against finite differences, and against
formulas derived by hand.

The central difference

    ∂f/∂x ≈ (f(x + ε) - f(x - ε)) / 2ε

has an error of order ε² (the ε terms of the Taylor series cancel), so with
ε = 1e-6 in double precision it agrees with the true derivative to about
1e-8 relative, limited by rounding in f. Tolerances and step follow PyTorch's
``torch.autograd.gradcheck``: eps 1e-6, atol 1e-5, rtol 1e-3.
"""

from __future__ import annotations

import html
import inspect
import math
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from autograd.errors import (
    DomainError,
    GradDisabledError,
    GradientMismatchError,
    InvalidArgumentError,
    ParseError,
    WrongTypeError,
)
from autograd.explaining import LabelError, describe_labels, find_node
from autograd.graph import grad, topological_order
from autograd.naming import node_names
from autograd.parsing import Source
from autograd.replaying import OutsideDomain, Replay
from autograd.value import Value, is_grad_enabled, no_grad, to_float

# -- numeric gradients ---------------------------------------------------------------


def numeric_grad(f: Callable[..., Any], *args: Any, eps: float = 1e-6) -> list[float]:
    """Central finite differences of ``f`` with respect to each argument.

    For argument i: (f(..., xᵢ + ε, ...) - f(..., xᵢ - ε, ...)) / (2ε), the other
    arguments held fixed. Arguments may be numbers or Values; ``f`` receives the
    same kind (fresh Values with the same labels) and may return a Value or a
    number. ``f`` runs under :func:`autograd.no_grad`, so it builds no graph;
    a function that itself calls ``backward`` or ``grad`` cannot be checked
    this way.
    """
    step = _positive(eps, "eps")
    points = [_point(a, i) for i, a in enumerate(args)]
    names = argument_names(f, args)
    gradient = []
    for i, (x, _, _) in enumerate(points):
        above, below = x + step, x - step
        f_above = _evaluate(f, points, i, above, names[i])
        f_below = _evaluate(f, points, i, below, names[i])
        # dividing by the difference of the two points, not by 2ε, removes
        # the rounding of x ± ε from the estimate
        gradient.append((f_above - f_below) / (above - below))
    return gradient


def _positive(x: Any, what: str) -> float:
    number = to_float(x, what)
    if number <= 0.0:
        raise InvalidArgumentError(f"{what} must be a positive number, got {number!r}")
    return number


def _point(arg: Any, index: int) -> tuple[float, bool, str]:
    """(number, whether it was a Value, its label) for one argument."""
    if isinstance(arg, Value):
        return arg.data, True, arg.label
    return to_float(arg, f"argument {index + 1}"), False, ""


def _evaluate(
    f: Callable[..., Any], points: list[tuple[float, bool, str]], moved: int, x: float, name: str
) -> float:
    call_args = []
    for j, (number, is_value, label) in enumerate(points):
        number = x if j == moved else number
        call_args.append(Value(number, label=label) if is_value else number)
    try:
        with no_grad():
            result = f(*call_args)
    except DomainError as exc:
        raise DomainError(
            f"numeric_grad: f is not defined at {name} = {x!r} (the point moved by ±eps): {exc}"
        ) from exc
    if isinstance(result, Value):
        return result.data
    if isinstance(result, (int, float)) or hasattr(result, "__float__"):
        number = float(result)
        if number - number != 0.0:
            raise DomainError(f"numeric_grad: f returned {number!r} at {name} = {x!r}; it must be finite")
        return number
    raise WrongTypeError(f"numeric_grad: f must return a Value or a number, got {type(result).__name__}")


def argument_names(f: Callable[..., Any], args: Sequence[Any]) -> list[str]:
    """A name for each argument: a Value's label, else the parameter name in
    ``f``'s signature (``lambda a, b: ...`` gives a, b), else ``args[i]``."""
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):  # builtins without a signature
        parameters = []
    positional = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    rest = next((p.name for p in parameters if p.kind == p.VAR_POSITIONAL), "args")
    names = []
    for i, arg in enumerate(args):
        if isinstance(arg, Value) and arg.label:
            names.append(arg.label)
        elif i < len(positional):
            names.append(positional[i])
        else:
            names.append(f"{rest}[{i - len(positional)}]")
    return names


# -- the report -------------------------------------------------------------------


@dataclass(frozen=True)
class GradRow:
    """One gradient compared with its reference (finite differences or a formula)."""

    name: str
    engine: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool

    @classmethod
    def compare(cls, name: str, engine: float, numeric: float, *, rtol: float, atol: float) -> GradRow:
        """ok iff |engine - numeric| <= atol + rtol·|numeric| (``torch.allclose``'s rule)."""
        abs_error = abs(engine - numeric)
        # relative to the reference; infinite when only the reference is 0
        rel_error = abs_error / abs(numeric) if numeric else (0.0 if abs_error == 0.0 else math.inf)
        ok = abs_error <= atol + rtol * abs(numeric)  # False for NaN
        return cls(name, engine, numeric, abs_error, rel_error, ok)


@dataclass(frozen=True)
class GradReport:
    """A table of gradients: engine against a reference, with the verdict.

    ``rows``: one :class:`GradRow` per argument; ``ok``: every row is ok.
    Prints as an aligned table, renders as HTML in Jupyter, and
    :meth:`assert_ok` raises ``AssertionError`` carrying the table.
    """

    rows: tuple[GradRow, ...]
    rtol: float
    atol: float
    title: str = "check_grads"
    reference: str = "numeric"
    """what the engine was compared with, the header of that column"""
    subject: str = "argument"
    """what each row is, the header of the first column"""

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    @property
    def mismatches(self) -> tuple[GradRow, ...]:
        return tuple(row for row in self.rows if not row.ok)

    def assert_ok(self) -> None:
        """Raise ``AssertionError`` with the table if any row is not ok."""
        if not self.ok:
            raise GradientMismatchError(str(self))

    def summary(self) -> str:
        n = len(self.rows)
        verdict = f"all {n} ok" if self.ok else f"{len(self.mismatches)} of {n} MISMATCH"
        rule = f"ok when |engine - {self.reference}| <= atol + rtol·|{self.reference}|"
        return f"{self.title}: {verdict} ({rule}; atol={self.atol:g}, rtol={self.rtol:g})"

    def _cells(self) -> list[list[str]]:
        header = [self.subject, "engine", self.reference, "abs error", "rel error", "ok"]
        body = [
            [
                row.name,
                _number(row.engine),
                _number(row.numeric),
                f"{row.abs_error:.2e}",
                f"{row.rel_error:.2e}",
                "ok" if row.ok else "MISMATCH",
            ]
            for row in self.rows
        ]
        return [header, *body]

    def __str__(self) -> str:
        cells = self._cells()
        widths = [max(_width(row[c]) for row in cells) for c in range(len(cells[0]))]
        lines = [self.summary()]
        for row in cells:
            padded = [
                # names left-aligned, numbers right-aligned
                cell + " " * (w - _width(cell)) if c in (0, 5) else " " * (w - _width(cell)) + cell
                for c, (cell, w) in enumerate(zip(row, widths))
            ]
            lines.append("  ".join(padded).rstrip())
        return "\n".join([*lines, *self.notes()])

    def notes(self) -> list[str]:
        """Lines printed under the table."""
        return []

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        cells = self._cells()
        head = "".join(f"<th>{html.escape(h)}</th>" for h in cells[0])
        body = []
        for row, texts in zip(self.rows, cells[1:]):
            style = "" if row.ok else ' style="background:#fdd"'
            tds = "".join(
                f'<td style="text-align:{"left" if c in (0, 5) else "right"}">{html.escape(t)}</td>'
                for c, t in enumerate(texts)
            )
            body.append(f"<tr{style}>{tds}</tr>")
        notes = "".join(f"<p>{html.escape(line)}</p>" for line in self.notes())
        return (
            f'<table class="chaingrad-gradreport"><caption>{html.escape(self.summary())}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{notes}"
        )


def _number(x: float) -> str:
    return format(x, ".12g")


def _width(text: str) -> int:
    """Columns a text takes in a terminal: wide (CJK) characters take two,
    combining marks none."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


# -- engine against finite differences -------------------------------------------------


def check_grads(
    f: Callable[..., Any],
    *args: Any,
    rtol: float = 1e-3,
    atol: float = 1e-5,
    eps: float = 1e-6,
    raise_on_mismatch: bool = False,
) -> GradReport:
    """Compare the engine's gradient of ``f`` with central finite differences.

    ``f`` is called with fresh leaf Values holding ``args`` (numbers or Values)
    and must return a Value; backward gives the engine's gradient for every
    argument. :func:`numeric_grad` gives the reference. A row is ok iff

        |engine - numeric| <= atol + rtol · |numeric|

    which is the rule of PyTorch's ``gradcheck`` (``torch.allclose``), with its
    defaults eps 1e-6, atol 1e-5, rtol 1e-3 (for float64). With
    ``raise_on_mismatch`` a mismatch raises ``AssertionError`` carrying the
    table, for use in tests.
    """
    if not args:
        raise InvalidArgumentError("check_grads needs at least one argument to differentiate with respect to")
    if not is_grad_enabled():
        raise GradDisabledError(
            "check_grads cannot build a graph inside no_grad(); call it outside that block"
        )
    rtol, atol = _non_negative(rtol, "rtol"), _non_negative(atol, "atol")
    names = argument_names(f, args)
    leaves = [Value(_point(a, i)[0], label=name) for i, (a, name) in enumerate(zip(args, names))]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise WrongTypeError(
            f"check_grads: f returned {type(out).__name__}, not a Value; build the result from its "
            "arguments with Value operations so that the engine can differentiate it"
        )
    out.backward()
    engine = [leaf.grad for leaf in leaves]
    numeric = numeric_grad(f, *leaves, eps=eps)
    rows = tuple(
        GradRow.compare(name, e, n, rtol=rtol, atol=atol) for name, e, n in zip(names, engine, numeric)
    )
    report = GradReport(rows, rtol, atol, title=f"check_grads (eps={eps:g})")
    if raise_on_mismatch:
        report.assert_ok()
    return report


def _non_negative(x: Any, what: str) -> float:
    number = to_float(x, what)
    if number < 0.0:
        raise InvalidArgumentError(f"{what} must be >= 0, got {number!r}")
    return number


# -- engine against a formula derived by hand -----------------------------------------


@dataclass(frozen=True)
class Counterexample:
    """A point where a formula and the engine disagree."""

    leaves: tuple[tuple[str, float], ...]
    """the value of every leaf there, by name"""
    engine: float
    formula: float | None
    """None where the formula itself cannot be computed"""
    kinks: tuple[str, ...] = ()
    """the nodes whose piecewise rule takes another branch there than at the graph's own point"""
    formula_values: tuple[tuple[str, float], ...] = ()
    """the value there of each name the formula uses, in the formula's order
    (``yhat`` too, not only leaves): what a person needs to redo the formula by hand"""

    def __str__(self) -> str:
        shown = {name for name, _ in self.formula_values}
        first = ", ".join(f"{name} = {value:.6g}" for name, value in self.formula_values)
        others = ", ".join(f"{name} = {value:.6g}" for name, value in self.leaves if name not in shown)
        where = f"{first} (other inputs: {others})" if first and others else first or others
        formula = "undefined" if self.formula is None else f"{self.formula:.10g}"
        text = f"counterexample: at {where}: engine {self.engine:.10g}, formula {formula}"
        if self.kinks:
            text += (
                f" ({', '.join(self.kinks)} takes the other branch of its piecewise rule there than at "
                "the graph's own point: a formula for one side of a kink does not hold on the other)"
            )
        return text


@dataclass(frozen=True)
class FormulaReport(GradReport):
    """:func:`check_formula`'s verdict: one row per point checked, the graph's
    own point first; ``counterexample`` names a point where they disagree."""

    formula: str = ""
    derivative: str = ""
    skipped: int = 0
    """random points outside the domain of the graph's ops, replaced by others"""
    counterexample: Counterexample | None = None

    @property
    def agreed(self) -> int:
        """The number of points where formula and engine agree."""
        return sum(row.ok for row in self.rows)

    def summary(self) -> str:
        n = len(self.rows)
        random = f"the graph's own and {n - 1} random ones" if n > 1 else "the graph's own only"
        head = f"check_formula {self.derivative} = `{self.formula}`"
        if self.ok:
            verdict = f"agrees at all {n} points ({random})"
        else:
            verdict = f"MISMATCH at {n - self.agreed} of {n} points ({random})"
            if self.rows[0].ok:
                verdict += "; at the graph's own point they agree only by coincidence"
        rule = f"ok when |engine - formula| <= atol + rtol·|formula|; atol={self.atol:g}, rtol={self.rtol:g}"
        return f"{head}: {verdict} ({rule})"

    def notes(self) -> list[str]:
        notes = [str(self.counterexample)] if self.counterexample else []
        if self.skipped:
            notes.append(f"({self.skipped} random points were outside the domain of the graph and replaced)")
        return notes


POINT_SCALE = 0.5
"""Random points move each leaf x by about POINT_SCALE·max(1, |x|) (a normal draw)."""


def check_formula(
    root: Value,
    wrt: Value | str,
    formula: str,
    *,
    points: int = 10,
    seed: int = 0,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    raise_on_mismatch: bool = False,
) -> FormulaReport:
    """Check a hand-derived formula for ∂root/∂wrt against the engine, at many points.

    ``formula`` is an expression (see :func:`autograd.parse`) whose names are
    labels of nodes in ``root``'s graph, e.g. ``"-(y - yhat) * yhat * (1 - yhat) * h1"``;
    each name stands for that node's number. Labels with a name scope work
    too (``L1.N0.w1``), and an unlabelled node can be named as the tools name
    it (``v7``). ``wrt`` is the node (or its label) to differentiate with
    respect to.

    One point proves little: at x = 1, ``3*x`` is the derivative of x³; at
    a = 0, ``1/4`` is σ'(a). So besides the graph's own point the formula is
    checked at ``points`` random points (``seed`` picks them): every leaf
    moves by a normal draw of about half its size, every node is recomputed
    with the op table, and the engine's gradient there is compared with the
    formula's value there. A point outside the domain of the graph's ops is
    replaced by another. Any disagreement makes ``ok`` False, and
    :attr:`FormulaReport.counterexample` names the leaf values, the engine's
    number and the formula's. Nothing in the graph changes: not a number,
    not a gradient.

    Both sides are exact up to rounding, so the default tolerances are tight
    (rtol 1e-6, atol 1e-9): a wrong formula is off by far more.

    Raises :class:`ParseError` for names that are not labels in the graph
    (listing the labels that exist), :class:`LabelError` when a name is the
    label of several nodes.
    """
    if not isinstance(root, Value):
        raise WrongTypeError(f"check_formula needs a Value as root, got {type(root).__name__} {root!r:.60}")
    rtol, atol = _non_negative(rtol, "rtol"), _non_negative(atol, "atol")
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise InvalidArgumentError(f"check_formula: points must be a whole number >= 0, got {points!r:.40}")
    order = topological_order(root)
    target = find_node(root, wrt, order)
    try:
        tree = Source(formula).checked_tree(dotted_names=True)
    except ParseError as exc:
        raise ParseError(f"in the formula: {exc}") from None
    named = _formula_names(tree, order)
    names = node_names(order)
    derivative = f"∂{names[root]}/∂{names.get(target) or target.label or 'wrt'}"

    def formula_at(value_of: Any) -> float | None:
        try:
            with no_grad():
                return float(tree.build(lambda name: Value(value_of(named[name]), label=name)).data)
        except (DomainError, ArithmeticError):
            return None

    rows = [_formula_row("the graph's point", grad(root, target), formula_at(lambda n: n.data), rtol, atol)]
    leaves = [node for node in order if not node.inputs and not node.is_constant]
    rng = random.Random(seed)
    skipped = 0
    counterexample = None
    original = Replay(order, {})
    while len(rows) <= points and skipped < 20 * max(points, 1):
        moved = {
            leaf: leaf.data + POINT_SCALE * max(1.0, abs(leaf.data)) * rng.gauss(0.0, 1.0) for leaf in leaves
        }
        try:
            replay = Replay(order, moved)
            engine = replay.gradient(root, target)
        except OutsideDomain:
            skipped += 1
            continue
        value = formula_at(replay.value)
        row = _formula_row(f"point {len(rows) + 1}", engine, value, rtol, atol)
        rows.append(row)
        if not row.ok and counterexample is None:
            kinks = tuple(names[node] for node in order if replay.branches(node) != original.branches(node))
            counterexample = Counterexample(
                tuple((names[leaf], moved[leaf]) for leaf in leaves),
                engine,
                value,
                kinks,
                tuple((name, replay.value(node)) for name, node in named.items()),
            )
    if counterexample is None and not rows[0].ok:
        counterexample = Counterexample(
            tuple((names[leaf], leaf.data) for leaf in leaves),
            rows[0].engine,
            formula_at(lambda n: n.data),
            formula_values=tuple((name, node.data) for name, node in named.items()),
        )
    report = FormulaReport(
        tuple(rows),
        rtol,
        atol,
        title="check_formula",
        reference="formula",
        subject="point",
        formula=formula.strip(),
        derivative=derivative,
        skipped=skipped,
        counterexample=counterexample,
    )
    if raise_on_mismatch:
        report.assert_ok()
    return report


def _formula_row(name: str, engine: float, formula: float | None, rtol: float, atol: float) -> GradRow:
    if formula is None:
        return GradRow(name, engine, math.nan, math.inf, math.inf, False)
    return GradRow.compare(name, engine, formula, rtol=rtol, atol=atol)


def _formula_names(tree: Any, order: list[Value]) -> dict[str, Value]:
    """The node each name of a formula stands for: a label (compared as Python
    reads names, NFKC), or for an unlabelled node the name the tools print."""
    by_name: dict[str, list[Value]] = {}
    for node in order:
        if node.label:
            by_name.setdefault(node.label, []).append(node)
            normalized = unicodedata.normalize("NFKC", node.label)
            if normalized != node.label:
                by_name.setdefault(normalized, []).append(node)
    for node, name in node_names(order).items():
        if not node.label and name not in by_name and name.isidentifier():
            by_name[name] = [node]
    unknown = [(name, where) for name, where in tree.names.items() if name not in by_name]
    if unknown:
        pieces = ", ".join(f"`{name}` at {where}" for name, where in unknown)
        dots = any("." in name for name, _ in unknown)
        hint = " (a dot can only be part of a label, as in L1.N0.w1: no attribute access)" if dots else ""
        raise ParseError(
            f"the formula uses names that are not labels in the graph: {pieces}{hint}; "
            f"labels in the graph: {describe_labels(order)}"
        )
    for name in tree.names:
        if len(by_name[name]) > 1:
            raise LabelError(
                f"the formula uses `{name}`, but {len(by_name[name])} nodes are labelled {name!r}; "
                "give the nodes different labels"
            )
    return {name: by_name[name][0] for name in tree.names}


__all__ = [
    "Counterexample",
    "FormulaReport",
    "GradReport",
    "GradRow",
    "check_formula",
    "check_grads",
    "numeric_grad",
]
