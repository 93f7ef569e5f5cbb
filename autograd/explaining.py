"""Explaining a gradient by the chain rule: every path, every factor.

The chain rule over a graph says

    ∂root/∂x = Σ over paths p from root down to x of  Π over edges (u → v) of p  ∂u/∂v

where ∂u/∂v is the local derivative that node u stored for its input v.
Backward computes the same sum without listing the paths (it adds as it goes).
:func:`explain` lists them, the way a hand derivation writes them:

    ∂L/∂w11 = ∂L/∂ŷ · ∂ŷ/∂a · ∂a/∂h1 · ∂h1/∂a1 · ∂a1/∂w11 = ...

The number of paths can grow exponentially with the size of the graph (a chain
of n diamonds has 2ⁿ), so :func:`count_paths` counts them first, by dynamic
programming over :func:`autograd.topological_order`, and :func:`explain`
refuses to list more than ``max_paths`` of them. The counts saturate at
:data:`PATH_COUNT_LIMIT` (10¹⁸), so counting takes memory and time linear in
the graph, never huge integers. Three limits keep :func:`explain` bounded,
each checked before any path is listed: ``max_nodes`` (the graph it walks),
``max_paths`` (the paths it lists) and ``max_factors`` (the factors of all
paths together, which is the length of the text it writes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from autograd.errors import ChaingradError, GraphTooLargeError, WrongTypeError
from autograd.expressions import Expr, num, simplify
from autograd.graph import reaching, topological_order
from autograd.limits import check_limit, count_nodes
from autograd.naming import latex_symbol, node_names, operand, text_symbol
from autograd.notation import formula_text, latex, plain_text
from autograd.symbols import GraphSymbols
from autograd.value import Value


class LabelError(ChaingradError, LookupError):
    """No node, or more than one node, has the label that was asked for."""


# -- finding a node by its label -------------------------------------------------


def find_node(root: Value, wanted: Value | str, order: list[Value] | None = None) -> Value:
    """The node of ``root``'s graph that ``wanted`` means.

    ``wanted`` is a Value (returned as it is) or a label. A label is looked up
    among the nodes' labels first, then among the names the tools print for
    unlabelled nodes (``v7``). Raises :class:`LabelError` when no node or
    several nodes match, listing the labels that exist.
    """
    if isinstance(wanted, Value):
        return wanted
    if not isinstance(wanted, str):
        raise WrongTypeError(f"expected a Value or a label (str), got {type(wanted).__name__} {wanted!r:.60}")
    if order is None:
        order = topological_order(root)
    matches = [node for node in order if node.label == wanted]
    if not matches:
        names = node_names(order)
        matches = [node for node in order if not node.label and names[node] == wanted]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise LabelError(
            f"{len(matches)} nodes are labelled {wanted!r}, so the label does not say which one; "
            "give the Value itself, or give the nodes different labels"
        )
    raise LabelError(f"no node is labelled {wanted!r} in this graph; labels: {describe_labels(order)}")


def describe_labels(order: list[Value], limit: int = 40) -> str:
    """The distinct labels of ``order``, sorted, for error messages."""
    labels = sorted({node.label for node in order if node.label})
    if not labels:
        return "none (no node has a label)"
    shown = ", ".join(labels[:limit])
    return shown if len(labels) <= limit else f"{shown}, … ({len(labels) - limit} more)"


# -- counting paths ---------------------------------------------------------------


def _reaching(order: list[Value], wrt: Value) -> set[Value]:
    """The nodes of ``order`` from which at least one path leads down to ``wrt``."""
    return reaching(order, [wrt])


PATH_COUNT_LIMIT = 10**18
"""Path counts stop here: a larger count is reported as more than 10¹⁸."""

DEFAULT_MAX_NODES = 250_000
"""The largest graph :func:`explain` and :func:`count_paths` walk unless asked to."""

DEFAULT_MAX_FACTORS = 100_000
"""The most factors (over all paths together) :func:`explain` writes out unless asked to."""

_SATURATED = PATH_COUNT_LIMIT + 1


def _count(order: list[Value], root: Value, wrt: Value, reaching: set[Value]) -> tuple[int, int]:
    """The number of paths from ``root`` down to ``wrt``, and their edges in all.

    paths(root) = 1, and each node hands its count to every input edge, in the
    order backward visits the nodes (reversed topological order): the same walk
    as backward, with counts in place of gradients, so a node's count is
    complete before it is handed on. An input used twice (``x * x``) receives
    twice: two edges, two paths. The edges of the paths into an input grow by
    the edges of the paths into the node, plus one per path (the edge itself).
    Both numbers saturate at ``PATH_COUNT_LIMIT + 1`` ("more than 10¹⁸").
    """
    if root not in reaching:
        return 0, 0
    paths = {root: 1}
    edges = {root: 0}
    paths_of, edges_of, limit = paths.get, edges.get, PATH_COUNT_LIMIT
    for node in reversed(order):
        count = paths_of(node)
        if not count or node is wrt:
            continue
        below = edges[node] + count
        for child in node.inputs:
            if child in reaching:
                total = paths_of(child, 0) + count
                paths[child] = total if total <= limit else _SATURATED
                length = edges_of(child, 0) + below
                edges[child] = length if length <= limit else _SATURATED
    return paths_of(wrt, 0), edges_of(wrt, 0)


def _walkable_order(root: Value, max_nodes: int, who: str) -> list[Value]:
    """The topological order of ``root``'s graph, after checking its size
    against ``max_nodes`` with a walk that stops at the limit."""
    size = count_nodes(root, check_limit(max_nodes, "max_nodes"))
    if size > max_nodes:
        raise GraphTooLargeError(
            f"{who}: this graph has more than max_nodes={max_nodes:,} nodes, and {who} walks every one "
            "of them. For the gradient alone use autograd.grad(root, x) or root.backward(); to see the "
            f"chain rule, build a smaller graph (one sample, one neuron), or pass max_nodes= to {who}"
        )
    return topological_order(root)


def count_paths(root: Value, wrt: Value | str, *, max_nodes: int = DEFAULT_MAX_NODES) -> int:
    """How many paths lead from ``root`` down to ``wrt`` (a Value or a label).

    Dynamic programming over the topological order: time and memory
    proportional to the size of the graph, whatever the number of paths. 0
    when ``root`` does not depend on ``wrt``; 1 when ``wrt`` is ``root``.

    Raises :class:`GraphTooLargeError` when there are more than 10¹⁸ paths
    (the count stops there, rather than growing an integer of thousands of
    digits) or the graph has more than ``max_nodes`` nodes.
    """
    if not isinstance(root, Value):
        raise WrongTypeError(f"count_paths needs a Value as root, got {type(root).__name__} {root!r:.60}")
    order = _walkable_order(root, max_nodes, "count_paths")
    node = find_node(root, wrt, order)
    count, _ = _count(order, root, node, _reaching(order, node))
    if count > PATH_COUNT_LIMIT:
        names = node_names(order)
        raise GraphTooLargeError(
            f"count_paths: {describe_count(count)} paths lead from {names[root]} to {names[node]}; "
            "counting stops there (a chain of n diamonds has 2^n paths). The gradient itself needs no "
            "paths: autograd.grad(root, x) adds them up edge by edge"
        )
    return count


def describe_count(count: int) -> str:
    """A path count in words: ``"1,099,511,627,776"``, or ``"more than 10^18"``
    for a count that saturated."""
    if count > PATH_COUNT_LIMIT:
        return f"more than 10^{len(str(PATH_COUNT_LIMIT)) - 1}"
    return f"{count:,}"


# -- the pieces of an explanation ---------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """One factor ∂node/∂input of a chain-rule product.

    Usually the local derivative on one edge of the graph. In the hand-style
    view (:meth:`Path.hand_factors`) a factor may span several edges through
    unlabelled intermediate nodes (``through`` names them); its value is then
    the product of their local derivatives. ``edges`` lists every edge as
    (node, position of the input among the node's inputs).
    """

    node_name: str
    input_name: str
    value: float
    node: Value = field(repr=False, compare=False)
    input: Value = field(repr=False, compare=False)
    through: tuple[str, ...] = ()
    edges: tuple[tuple[Value, int], ...] = field(default=(), repr=False, compare=False)

    def __str__(self) -> str:
        return f"∂{text_symbol(self.node_name)}/∂{text_symbol(self.input_name)}"

    def latex(self) -> str:
        return (
            rf"\frac{{\partial {latex_symbol(self.node_name)}}}{{\partial {latex_symbol(self.input_name)}}}"
        )


@dataclass(frozen=True)
class Path:
    """One path from the root down to the variable: its factors, top to bottom."""

    factors: tuple[Factor, ...]

    @property
    def product(self) -> float:
        """Π of the factors' values (1 for the empty path from a node to itself)."""
        result = 1.0
        for factor in self.factors:
            result *= factor.value
        return result

    def hand_factors(self) -> tuple[Factor, ...]:
        """The factors as a hand derivation writes them: the edges through the
        unlabelled temporaries of a labelled node's expression are merged into
        one factor, so ``½(y − ŷ)²`` gives ``∂L/∂ŷ``, not ``∂L/∂v3 · ∂v3/∂v2 · ∂v2/∂ŷ``.
        A path of several edges is never merged into a single factor: then
        every edge stays a factor of its own."""
        merged: list[Factor] = []
        pending: list[Factor] = []
        last = len(self.factors) - 1
        for position, factor in enumerate(self.factors):
            pending.append(factor)
            if position == last or factor.input.label:
                merged.append(_merge(pending))
                pending = []
        if len(merged) == 1 and len(self.factors) > 1:
            return self.factors
        return tuple(merged)


def _merge(run: list[Factor]) -> Factor:
    if len(run) == 1:
        return run[0]
    value = 1.0
    for factor in run:
        value *= factor.value
    first, last = run[0], run[-1]
    return Factor(
        first.node_name,
        last.input_name,
        value,
        first.node,
        last.input,
        tuple(factor.input_name for factor in run[:-1]),
        tuple(edge for factor in run for edge in factor.edges),
    )


SHORT_NAME = 12
"""An unlabelled node whose expression is at most this many characters is
written as that expression (``w1·x1``); a longer one keeps its name (``v3``)."""

FORMULA_BUDGET = 2000
"""A formula longer than this keeps the names of its long unlabelled nodes."""

MAX_LEGEND = 20
"""The most definitions of named temporaries an explanation lists."""


class _Writing:
    """What an explanation writes for its paths: the chain of each path, the
    symbolic local derivative of each factor, the numbers, and a legend for
    the unlabelled nodes that keep a name."""

    def __init__(self, explanation: Explanation, every_edge: bool) -> None:
        symbols = explanation.symbols
        self.symbols = symbols
        self.factors = [path.factors if every_edge else path.hand_factors() for path in explanation.paths]
        shown: set[Value] = set()
        temporaries: set[Value] = set()  # inside a merged factor: always written out
        for factors in self.factors:
            for factor in factors:
                shown.update((factor.node, factor.input))
                temporaries.update(node for node, _ in factor.edges[1:])
        unlabelled = set(symbols.unlabelled())
        keep = {explanation.root, explanation.wrt}
        self.text_names = symbols.text_names()
        self.latex_names = symbols.latex_names()
        self.short = set(symbols.written) - keep  # named by their expression (w1·x1): written out
        self.expandable = (temporaries | self.short) & unlabelled
        self.through = _distinguishing_temporaries(self.factors)
        shown.update(self.through.values())
        self.named = sorted(unlabelled & shown - self.short - keep, key=symbols.index.__getitem__)

    def symbol(self, node: Value) -> str:
        return self.text_names[node]

    def chain(self, path: int) -> list[str]:
        """``∂L/∂ŷ``, ... for the path at index ``path``; where a node uses the same
        input twice (``x * x``), which operand the edge enters; where two paths
        would read the same (their merged temporaries differ), which node each
        goes through."""
        parts = []
        for k, factor in enumerate(self.factors[path]):
            text = f"∂{self.symbol(factor.node)}/∂{self.symbol(factor.input)}"
            notes = self._notes(path, k, self.text_names)
            parts.append(f"{text} ({', '.join(notes)})" if notes else text)
        return parts

    def latex_chain(self, path: int) -> list[str]:
        """:meth:`chain` in LaTeX."""
        parts = []
        for k, factor in enumerate(self.factors[path]):
            notes = self._notes(path, k, self.latex_names, latex=True)
            parts.append(factor.latex() + (r"\,\left(" + r",\ ".join(notes) + r"\right)" if notes else ""))
        return parts

    def _notes(self, path: int, k: int, names: dict[Value, str], latex: bool = False) -> list[str]:
        factor = self.factors[path][k]
        notes = []
        position = _operand_position(factor)
        if position is not None:
            notes.append(rf"\text{{{operand(position)}}}" if latex else operand(position))
        node = self.through.get((path, k))
        if node is not None:
            name = names[node]
            if node in self.short:  # a name in brackets, ∂(log ŷ): the brackets are not needed here
                name = name.removeprefix(r"\left(").removesuffix(r"\right)") if latex else name[1:-1]
            notes.append(rf"\text{{through }} {name}" if latex else f"through {name}")
        return notes

    def expression(self, factor: Factor) -> Expr:
        """The factor's local derivative as a formula over the nodes' symbols."""
        product: Expr = num(1.0)
        for node, position in factor.edges:
            product = product * self.symbols.local(node, position)
        return simplify(self.symbols.expand(product, self.expandable))

    def legend(self) -> list[str]:
        """``v1 = w1·x1 + w2·x2``: what each named temporary computes."""
        lines = []
        for node in self.named[:MAX_LEGEND]:
            definition = simplify(self.symbols.expand(self.symbols.definition(node), self.expandable))
            lines.append(f"{self.text_names[node]} = {plain_text(definition, self.text_names)}")
        if len(self.named) > MAX_LEGEND:
            lines.append(f"… and {len(self.named) - MAX_LEGEND} more")
        return lines


def _distinguishing_temporaries(paths: list[tuple[Factor, ...]]) -> dict[tuple[int, int], Value]:
    """Paths whose chains would read alike: ``∂L/∂ŷ · ∂ŷ/∂u`` twice, because
    their first factors merge different unlabelled temporaries (``log ŷ`` and
    ``1 − ŷ``). For each such factor, the temporary nearest its input that the
    alike paths do not all share, keyed by (path index, factor index)."""
    alike: dict[tuple[object, ...], list[int]] = {}
    for k, factors in enumerate(paths):
        key = tuple((id(f.node), id(f.input), _operand_position(f)) for f in factors)
        alike.setdefault(key, []).append(k)
    through: dict[tuple[int, int], Value] = {}
    for group in alike.values():
        if len(group) < 2:
            continue
        for i in range(len(paths[group[0]])):
            temporaries = {k: [node for node, _ in paths[k][i].edges[1:]] for k in group}
            shared = set.intersection(*(set(nodes) for nodes in temporaries.values()))
            for k, nodes in temporaries.items():
                own = [node for node in nodes if node not in shared]
                if own:
                    through[(k, i)] = own[-1]
    return through


def _operand_position(factor: Factor) -> int | None:
    """Which operand the factor's last edge enters, when its node uses the input twice."""
    last, position = factor.edges[-1]
    return position if last.inputs.count(factor.input) > 1 else None


def _product_of(expressions: list[Expr]) -> Expr:
    """The factors' local derivatives multiplied out as a person would:
    numbers folded into one coefficient, factors of 1 gone, x·x written x²."""
    product: Expr = num(1.0)
    for e in expressions:
        product = product * e
    return simplify(product)


@dataclass(frozen=True)
class Explanation:
    """∂root/∂wrt as the sum over paths of products of local derivatives.

    ``paths``: every path from root down to wrt; ``total``: the sum of their
    products, which is what backward leaves in ``wrt.grad``; ``formula``: the
    derivative as a formula over the graph's labels, which
    :func:`autograd.parse` and :func:`autograd.check_formula` read.

    ``str()`` gives the derivation as text: for each path the chain of
    factors, then each factor's local derivative in symbols from the op table,
    then the numbers; in Jupyter it renders as LaTeX (:meth:`latex`).
    """

    root: Value = field(repr=False)
    wrt: Value = field(repr=False)
    root_name: str
    wrt_name: str
    paths: tuple[Path, ...]
    symbols: GraphSymbols = field(repr=False, compare=False)

    @property
    def total(self) -> float:
        """Σ over paths of their products (summed exactly, then rounded once)."""
        return math.fsum(path.product for path in self.paths)

    @property
    def formula(self) -> str:
        """∂root/∂wrt as one formula over the graph's labels (``-(y - yhat) * yhat * (1 - yhat) * h1``):
        every path's product of local derivatives, summed, with unlabelled
        intermediate nodes written out as what they compute, factors of 1
        dropped, numbers folded and like terms added up.
        ``check_formula(root, wrt, e.formula)`` holds. Where writing every
        unlabelled node out would make the formula longer than
        :data:`FORMULA_BUDGET` characters, the longer ones keep their names
        (``v3``), which :func:`autograd.check_formula` also reads."""
        symbols = self.symbols
        names = symbols.formula_names()
        total: Expr = num(0.0)
        for path in self.paths:
            product: Expr = num(1.0)
            for factor in path.factors:
                for node, position in factor.edges:
                    product = product * symbols.local(node, position)
            total = total + product
        unnamed = [n for n in symbols.order if n.inputs and n not in names]  # must be written out
        text = ""
        for expandable in (unnamed + symbols.unlabelled(), unnamed + list(symbols.written)):
            written = simplify(symbols.expand(total, expandable))
            missing = [node for node in _nodes_of(written) if node not in names]
            if missing:
                raise LabelError(
                    f"the formula needs the node labelled {missing[0].label!r}, and that label is not a name "
                    "parse can read (or several nodes have it); give it a label such as x1 or L1.N0.w1"
                )
            text = formula_text(written, names)
            if len(text) <= FORMULA_BUDGET:
                break
        return text

    @property
    def symbolic(self) -> str:
        """The derivative in symbols, as the text shows it (``−(y − ŷ)·ŷ(1 − ŷ)·h1``)."""
        writing = _Writing(self, every_edge=False)
        names = writing.text_names
        terms = [
            plain_text(_product_of([writing.expression(f) for f in fs]), names) for fs in writing.factors
        ]
        return " + ".join(terms) if terms else "0"

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return self.format()

    def format(self, *, digits: int = 6, every_edge: bool = False) -> str:
        """The derivation as text.

        ``digits``: significant digits of the numbers. ``every_edge``: show one
        factor per edge, including unlabelled intermediate nodes, instead of the
        hand-style factors.
        """
        lhs = f"∂{text_symbol(self.root_name)}/∂{text_symbol(self.wrt_name)}"
        if not self.paths:
            return f"{lhs} = 0   ({self.root_name} does not depend on {self.wrt_name}: no path leads to it)"
        if not self.paths[0].factors:
            return f"{lhs} = 1   (the derivative of a value with respect to itself)"
        writing = _Writing(self, every_edge)
        blocks = []
        for k, (path, factors) in enumerate(zip(self.paths, writing.factors)):
            chain = " · ".join(writing.chain(k))
            symbolic = plain_text(_product_of([writing.expression(f) for f in factors]), writing.text_names)
            numbers = _text_product([f.value for f in factors], digits)
            result = _number(path.product, digits)
            steps = [chain, symbolic]
            steps.append(numbers if numbers == result else f"{numbers} = {result}")
            blocks.append(steps)
        lines: list[str] = []
        if len(self.paths) == 1 and len(writing.factors[0]) == 1 and blocks[0][0] == lhs:
            _, symbolic, numbers = blocks[0]  # one edge from the root to wrt: its rule and its number
            lines.append(f"{lhs} = {symbolic} = {numbers}" if symbolic != numbers else f"{lhs} = {numbers}")
        elif len(self.paths) == 1:
            indent = " " * len(lhs)
            first, *rest = blocks[0]
            lines.append(f"{lhs} = {first}")
            lines += [f"{indent} = {step}" for step in rest]
        else:
            lines.append(f"{lhs}: {len(self.paths)} paths")
            for steps in blocks:
                first, *rest = steps
                lines.append(f"  {first}")
                lines += [f"    = {step}" for step in rest]
            terms = _text_sum([path.product for path in self.paths], digits)
            lines.append(f"{lhs} = {terms} = {_number(self.total, digits)}")
        legend = writing.legend()
        if legend:
            lines.append("where " + "; ".join(legend))
        return "\n".join(lines)

    def latex(self, *, digits: int = 6, every_edge: bool = False) -> str:
        """The derivation in LaTeX (without ``$`` delimiters): chain, symbols, numbers."""
        lhs = rf"\frac{{\partial {latex_symbol(self.root_name)}}}{{\partial {latex_symbol(self.wrt_name)}}}"
        if not self.paths:
            return rf"{lhs} = 0 \quad \text{{(no path)}}"
        if not self.paths[0].factors:
            return f"{lhs} = 1"
        writing = _Writing(self, every_edge)
        latex_names = writing.latex_names
        products, formulas, numbers = [], [], []
        for k, factors in enumerate(writing.factors):
            products.append(r" \cdot ".join(writing.latex_chain(k)))
            formulas.append(latex(_product_of([writing.expression(f) for f in factors]), latex_names))
            numbers.append(_latex_product([f.value for f in factors], digits))
        total = _latex_number(self.total, digits)
        if len(self.paths) == 1:
            rows = [rf"{lhs} &= {products[0]}", rf"&= {formulas[0]}"]
            rows.append(rf"&= {numbers[0]}" if numbers[0] == total else rf"&= {numbers[0]} = {total}")
            return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"
        rows = [rf"{lhs} &= {products[0]}"]
        rows += [rf"&\quad + {p}" for p in products[1:]]
        rows += [rf"&= {formulas[0]}"]
        rows += [rf"&\quad + {f}" for f in formulas[1:]]
        rows += [rf"&= {numbers[0]}"]
        # a product that starts with a minus sign is subtracted: - a × b, not + -a × b
        rows += [rf"&\quad - {n[1:]}" if n.startswith("-") else rf"&\quad + {n}" for n in numbers[1:]]
        rows += [rf"&= {total}"]
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"


def _nodes_of(expr: Expr) -> list[Value]:
    found = []
    stack = [expr]
    while stack:
        e = stack.pop()
        if e.kind == "var" and isinstance(e.args[0], Value):
            found.append(e.args[0])
        stack.extend(a for a in e.args if isinstance(a, Expr))
    return found


def explain(
    root: Value,
    wrt: Value | str,
    *,
    max_paths: int = 1000,
    max_factors: int = DEFAULT_MAX_FACTORS,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Explanation:
    """Every chain-rule path from ``root`` down to ``wrt``, with its factors.

    ``wrt`` is a Value or the label of a node in ``root``'s graph. The factors
    are the local derivatives the nodes stored when they were made, so backward
    need not have run, and no ``.grad`` is read or changed.

    Raises :class:`GraphTooLargeError`, before listing anything, when the
    graph has more than ``max_nodes`` nodes, when more than ``max_paths``
    paths lead to ``wrt``, or when the paths have more than ``max_factors``
    factors in all (the text would be too long to read). Paths and factors are
    counted first, without listing them.
    """
    if not isinstance(root, Value):
        raise WrongTypeError(f"explain needs a Value as root, got {type(root).__name__} {root!r:.60}")
    max_paths = check_limit(max_paths, "max_paths")
    max_factors = check_limit(max_factors, "max_factors")
    order = _walkable_order(root, max_nodes, "explain")
    target = find_node(root, wrt, order)
    names = node_names(order)
    reaching = _reaching(order, target)
    count, factors = _count(order, root, target, reaching)
    if count > max_paths:
        raise GraphTooLargeError(
            f"{describe_count(count)} paths lead from {names[root]} to {names[target]}, more than "
            f"max_paths={max_paths}; explain lists every path. Raise the limit with "
            f"explain(..., max_paths=...), explain a node closer to {names[target]}, "
            "or get just the number with autograd.grad"
        )
    if factors > max_factors:
        raise GraphTooLargeError(
            f"the {count:,} path{'s' * (count != 1)} from {names[root]} to {names[target]} have "
            f"{describe_count(factors)} factors in all, more than max_factors={max_factors:,}: written out, "
            "they would be too long to read. Explain a node closer to the root, or raise the limit with "
            "explain(..., max_factors=...); autograd.grad gives the number without the paths"
        )
    root_name = names[root]
    wrt_name = names.get(target) or target.label or "the given Value"
    paths = _enumerate(root, target, reaching, names)
    return Explanation(root, target, root_name, wrt_name, paths, GraphSymbols(order))


def _enumerate(root: Value, wrt: Value, reaching: set[Value], names: dict[Value, str]) -> tuple[Path, ...]:
    """Depth first with an explicit stack, inputs in their recorded order.

    Only edges into nodes that have a path to ``wrt`` are followed, so the work
    is proportional to the total length of the paths listed. Each stack entry
    links to its parent entry, so a path of n edges costs n, not n².
    """
    if root not in reaching:
        return ()
    found: list[Path] = []
    # entry: (node, factor on the edge into node, parent entry)
    Entry = tuple[Value, Any, Any]
    stack: list[Entry] = [(root, None, None)]
    while stack:
        entry = stack.pop()
        node = entry[0]
        if node is wrt:
            factors = []
            link = entry
            while link[1] is not None:
                factors.append(link[1])
                link = link[2]
            found.append(Path(tuple(reversed(factors))))
            continue
        node_name = names[node]
        for index in range(len(node.inputs) - 1, -1, -1):
            child = node.inputs[index]
            if child in reaching:
                edge = ((node, index),)
                factor = Factor(node_name, names[child], node.local_grads[index], node, child, (), edge)
                stack.append((child, factor, entry))
    return tuple(found)


# -- writing numbers -------------------------------------------------------------------


def _number(x: float, digits: int) -> str:
    text = format(x, f".{digits}g")
    return "0" if text == "-0" else text


def _text_product(values: list[float], digits: int) -> str:
    parts = [_number(v, digits) for v in values]
    return " × ".join(p if i == 0 or not p.startswith("-") else f"({p})" for i, p in enumerate(parts))


def _text_sum(values: list[float], digits: int) -> str:
    text = _number(values[0], digits)
    for v in values[1:]:
        text += f" - {_number(-v, digits)}" if v < 0 else f" + {_number(v, digits)}"
    return text


def _latex_number(x: float, digits: int) -> str:
    text = _number(x, digits)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def _latex_product(values: list[float], digits: int) -> str:
    parts = [_latex_number(v, digits) for v in values]
    return r" \times ".join(
        p if i == 0 or not p.startswith("-") else rf"\left({p}\right)" for i, p in enumerate(parts)
    )


__all__ = [
    "DEFAULT_MAX_FACTORS",
    "DEFAULT_MAX_NODES",
    "PATH_COUNT_LIMIT",
    "Explanation",
    "Factor",
    "LabelError",
    "Path",
    "count_paths",
    "explain",
    "find_node",
]
