"""A graph's nodes as symbols, and their local derivatives as formulas.

A hand derivation writes ``∂ŷ/∂a = ŷ(1 − ŷ)`` and ``∂a/∂h1 = w1``: the local
derivative from the op table, over the names of the nodes. This module gives
each node of a graph its symbol (its label, a number for a constant, the name
the tools print otherwise) and writes any local derivative over those symbols,
from the op table's own rules (:meth:`autograd.rules.Op.expressions`).

An unlabelled node can also be written out as what it computes
(:meth:`GraphSymbols.expand`): ``v1`` becomes ``y − ŷ``, which is how a
derivation shows the temporaries of ``½(y − ŷ)²``. Expansion stops at a size
limit, so a long chain of unlabelled nodes keeps its names instead of
becoming a formula nobody can read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from autograd.expressions import Expr, fold, num, substitute, var, variables
from autograd.naming import latex_symbol, names_and_expressions, text_symbols
from autograd.notation import latex
from autograd.rules import OUT, input_key, param_key
from autograd.value import OPS, Value

MAX_EXPANSION = 80
"""The largest tree (in operators and symbols) an unlabelled node is written out as."""

_USABLE = re.compile(r"[^\W\d]\w*(\.[^\W\d]\w*)*\Z")


class GraphSymbols:
    """Symbols for the nodes of one graph (``order``: a topological order)."""

    def __init__(self, order: Sequence[Value]) -> None:
        self.order = order
        self.index = {node: k for k, node in enumerate(order)}
        self.names, self.written = names_and_expressions(order)
        """the nodes named by what they compute (``w1·x1``), and that expression"""
        self._expansions: dict[Value, Expr | None] = {}

    def symbol(self, node: Value) -> Expr:
        """A constant is its number; any other node a symbol of its own."""
        return num(node.data) if node.is_constant else var(node)

    def definition(self, node: Value) -> Expr:
        """What ``node`` computes, over its inputs' symbols, as people write it
        (``relu(z)``, ``x / y``: :meth:`autograd.rules.Op.shown`)."""
        return substitute(OPS[node.op].shown(len(node.inputs)), self._replacements(node))

    def local(self, node: Value, position: int) -> Expr:
        """∂node/∂(its input at ``position``), over the symbols of the node and its inputs."""
        _, locals_ = OPS[node.op].expressions(len(node.inputs))
        return substitute(locals_[position], self._replacements(node))

    def _replacements(self, node: Value) -> dict[Any, Expr]:
        replacements: dict[Any, Expr] = {input_key(i): self.symbol(v) for i, v in enumerate(node.inputs)}
        replacements.update({param_key(j): num(p) for j, p in enumerate(node.params)})
        replacements[OUT] = self.symbol(node)
        return replacements

    def expand(self, expr: Expr, expandable: Iterable[Value]) -> Expr:
        """``expr`` with each symbol of an ``expandable`` node replaced by what
        the node computes, and so on down, as long as the result stays under
        :data:`MAX_EXPANSION`."""
        allowed = {node for node in expandable if node.inputs}
        needed: set[Value] = set()
        stack = [key for key in variables(expr) if key in allowed]
        while stack:
            node = stack.pop()
            if node not in needed:
                needed.add(node)
                stack.extend(v for v in node.inputs if v in allowed)
        written: dict[Value, Expr] = {}
        for node in sorted(needed, key=self.index.__getitem__):  # inputs first
            if node in self._expansions and self._expansions[node] is None:
                continue
            expanded = substitute(self.definition(node), {v: written[v] for v in node.inputs if v in written})
            if _size(expanded) <= MAX_EXPANSION:
                written[node] = expanded
            else:
                self._expansions[node] = None  # too big, whatever is allowed: keep its name
        return substitute(expr, written) if written else expr

    def unlabelled(self) -> list[Value]:
        """The nodes an op made that have no label (the temporaries)."""
        return [node for node in self.order if node.inputs and not node.label]

    # -- names for each notation ---------------------------------------------------------

    def text_names(self) -> dict[Value, str]:
        """Names as text: ``ŷ`` for yhat, and in brackets a node named by what it computes: ``(w1·x1)``."""
        return text_symbols(self.names, self.written)

    def latex_names(self) -> dict[Value, str]:
        names = {node: latex_symbol(name) for node, name in self.names.items() if node not in self.written}
        for node, expression in self.written.items():  # inputs come first, so their names are ready
            names[node] = rf"\left({latex(expression, names)}\right)"
        return names

    def formula_names(self) -> dict[Value, str]:
        """Names :func:`autograd.parse` reads and :func:`autograd.check_formula`
        finds again: a label that is a name and no other node's (``w1``,
        ``L1.N0.w1``), or for an unlabelled node the name the tools print
        (``v3``, ``f``). A node whose label is neither has no entry."""
        counts: dict[str, int] = {}
        for node in self.order:
            if node.label:
                counts[node.label] = counts.get(node.label, 0) + 1
        usable = {
            node: name
            for node, name in self.names.items()
            if (node.label and counts[name] == 1) or not node.label
        }
        return {node: name for node, name in usable.items() if _USABLE.match(name)}


def _size(expr: Expr) -> int:
    """The number of nodes of the tree as written (a shared part counts each time)."""
    return int(fold(expr, lambda e, parts: 1 + sum(parts), lambda e: 1))


__all__ = ["MAX_EXPANSION", "GraphSymbols"]
