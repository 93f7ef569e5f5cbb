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
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from autograd.errors import ChaingradError, GraphTooLargeError, WrongTypeError
from autograd.graph import reaching, topological_order
from autograd.limits import check_limit, count_nodes
from autograd.naming import node_names
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
    the product of their local derivatives.
    """

    node_name: str
    input_name: str
    value: float
    node: Value = field(repr=False, compare=False)
    input: Value = field(repr=False, compare=False)
    through: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"∂{_text_symbol(self.node_name)}/∂{_text_symbol(self.input_name)}"

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
        """The factors as a hand derivation writes them: edges through nodes
        that have no label (the temporaries of ``1/2 * (y - ŷ)**2``) are merged
        into one factor, so ``∂L/∂v3 · ∂v3/∂v2 · ∂v2/∂ŷ`` reads ``∂L/∂ŷ``."""
        merged: list[Factor] = []
        pending: list[Factor] = []
        last = len(self.factors) - 1
        for position, factor in enumerate(self.factors):
            pending.append(factor)
            if position == last or factor.input.label:
                merged.append(_merge(pending))
                pending = []
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
    )


@dataclass(frozen=True)
class Explanation:
    """∂root/∂wrt as the sum over paths of products of local derivatives.

    ``paths``: every path from root down to wrt; ``total``: the sum of their
    products, which is what backward leaves in ``wrt.grad``.

    ``str()`` gives the derivation as text (one line per path, then the sum);
    in Jupyter it renders as LaTeX (:meth:`latex`).
    """

    root: Value = field(repr=False)
    wrt: Value = field(repr=False)
    root_name: str
    wrt_name: str
    paths: tuple[Path, ...]

    @property
    def total(self) -> float:
        """Σ over paths of their products (summed exactly, then rounded once)."""
        return math.fsum(path.product for path in self.paths)

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return self.format()

    def _factors_per_path(self, every_edge: bool) -> list[tuple[Factor, ...]]:
        """Hand-style factors for each path, unless merging would make two
        paths read the same (``x*x + sin(x)``: two paths through unlabelled
        nodes both become ``∂y/∂x``); then every path shows every edge."""
        if not every_edge:
            merged = [path.hand_factors() for path in self.paths]
            readings = [tuple(str(f) for f in factors) for factors in merged]
            if len(set(readings)) == len(readings):
                return merged
        return [path.factors for path in self.paths]

    def format(self, *, digits: int = 6, every_edge: bool = False) -> str:
        """The derivation as text.

        ``digits``: significant digits of the numbers. ``every_edge``: show one
        factor per edge, including unlabelled intermediate nodes, instead of the
        hand-style factors.
        """
        lhs = f"∂{_text_symbol(self.root_name)}/∂{_text_symbol(self.wrt_name)}"
        if not self.paths:
            return f"{lhs} = 0   ({self.root_name} does not depend on {self.wrt_name}: no path leads to it)"
        lines = []
        for path, factors in zip(self.paths, self._factors_per_path(every_edge)):
            if not factors:
                lines.append(f"{lhs} = 1   (the derivative of a value with respect to itself)")
                continue
            symbols = " · ".join(str(f) for f in factors)
            numbers = _text_product([f.value for f in factors], digits)
            result = _number(path.product, digits)
            if len(factors) > 1:
                line = f"{symbols} = {numbers} = {result}"
            elif len(self.paths) == 1 and symbols == lhs:  # one edge from root to wrt
                line = numbers
            else:
                line = f"{symbols} = {numbers}"
            lines.append(f"{lhs} = {line}" if len(self.paths) == 1 else f"  {line}")
        if len(self.paths) > 1:
            header = f"{lhs}: {len(self.paths)} paths, one line each"
            terms = _text_sum([path.product for path in self.paths], digits)
            lines = [header, *lines, f"{lhs} = {terms} = {_number(self.total, digits)}"]
        return "\n".join(lines)

    def latex(self, *, digits: int = 6, every_edge: bool = False) -> str:
        """The derivation in LaTeX (without ``$`` delimiters)."""
        lhs = rf"\frac{{\partial {latex_symbol(self.root_name)}}}{{\partial {latex_symbol(self.wrt_name)}}}"
        if not self.paths:
            return rf"{lhs} = 0 \quad \text{{(no path)}}"
        products = []
        numbers = []
        for factors in self._factors_per_path(every_edge):
            if not factors:
                products.append("1")
                numbers.append("1")
                continue
            products.append(r" \cdot ".join(f.latex() for f in factors))
            numbers.append(_latex_product([f.value for f in factors], digits))
        total = _latex_number(self.total, digits)
        if len(self.paths) == 1:
            if products[0] == lhs:  # one edge from root to wrt
                return f"{lhs} = {total}"
            if numbers[0] == total:  # a single factor: its number is the result
                return f"{lhs} = {products[0]} = {total}"
            return f"{lhs} = {products[0]} = {numbers[0]} = {total}"
        rows = [rf"{lhs} &= {products[0]}"]
        rows += [rf"&\quad + {p}" for p in products[1:]]
        rows += [rf"&= {numbers[0]}"]
        # a product that starts with a minus sign is subtracted: - a × b, not + -a × b
        rows += [rf"&\quad - {n[1:]}" if n.startswith("-") else rf"&\quad + {n}" for n in numbers[1:]]
        rows += [rf"&= {total}"]
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"


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
    return Explanation(root, target, root_name, wrt_name, _enumerate(root, target, reaching, names))


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
                factor = Factor(node_name, names[child], node.local_grads[index], node, child)
                stack.append((child, factor, entry))
    return tuple(found)


# -- writing names and numbers -------------------------------------------------------

# fmt: off
_GREEK = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
    "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
]
# fmt: on
_SYMBOL = re.compile(r"(?P<base>[A-Za-z]|" + "|".join(_GREEK) + r")(?P<hat>_?hat)?(?:_?(?P<sub>[0-9]+))?\Z")
_HAT_TEXT = re.compile(r"(?P<base>[A-Za-z])_?hat(?P<rest>[0-9]*)\Z")

_LATEX_ESCAPES = {
    "\\": r"\backslash ",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "~": r"\sim ",
    "^": r"\wedge ",
    # `<` and `>` could start HTML tags where a notebook inserts LaTeX as HTML
    "<": r"\lt ",
    ">": r"\gt ",
    " ": r"\ ",
}


def _text_symbol(name: str) -> str:
    """yhat → ŷ (as hand derivations write it); other names unchanged.
    A name with spaces or operators is put in parentheses."""
    match = _HAT_TEXT.match(name)
    if match:
        return unicodedata.normalize("NFC", match["base"] + "\u0302") + match["rest"]
    if any(ch in name for ch in " /·×=+-*()"):
        return f"({name})"
    return name


def latex_symbol(name: str) -> str:
    """A node name as a LaTeX math symbol: w11 → w_{11}, yhat → \\hat{y},
    sigma → \\sigma, anything else upright with LaTeX's special characters
    escaped (``\\mathrm{L1.N0.w1}``)."""
    match = _SYMBOL.match(name)
    if match:
        base = match["base"]
        symbol = f"\\{base}" if len(base) > 1 else base
        if match["hat"]:
            symbol = rf"\hat{{{symbol}}}"
        if match["sub"]:
            symbol = f"{symbol}_{{{match['sub']}}}"
        return symbol
    escaped = "".join(_LATEX_ESCAPES.get(ch, ch if ch.isprintable() else "?") for ch in name)
    return rf"\mathrm{{{escaped}}}"


def _number(x: float, digits: int) -> str:
    return format(x, f".{digits}g")


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
