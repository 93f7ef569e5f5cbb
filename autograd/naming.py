"""Names for nodes, so that every tool prints the same name for the same node.

A node's name is its label when it has one. A constant that the code wrote
(the ``2`` in ``x * 2``) is named by its number. An unlabelled output is
``f`` (as in f(x)), unless some node is labelled ``f``. Any other unlabelled
node that an op made from labelled nodes and numbers, in a few characters, is
named by what it computes (``w1·x1``, ``x·x``, ``y − ŷ``), written from the op
table's rule with each op kept apart (``x·x`` is a product, ``x²`` a power).
The rest are ``v1``, ``v2``, ... numbered in topological order without gaps
(a number that is some node's label is skipped), so the same graph always
gets the same names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from autograd.expressions import Expr, num, simplify, substitute, var
from autograd.notation import plain_text
from autograd.rules import OUT, input_key, param_key
from autograd.value import OPS, Value

OUTPUT_NAME = "f"

SHORT_NAME = 12
"""An unlabelled node is named by its expression when that is at most this many characters."""

MAX_NAMED_BY_EXPRESSION = 20_000
"""Past this many nodes, unlabelled nodes are simply numbered (naming by expression costs time)."""


def node_names(order: Sequence[Value]) -> dict[Value, str]:
    """A display name for each node of ``order`` (a topological order, the output last)."""
    return names_and_expressions(order)[0]


def names_and_expressions(order: Sequence[Value]) -> tuple[dict[Value, str], dict[Value, Expr]]:
    """:func:`node_names`, and for the nodes named by what they compute, that expression."""
    labels = {node.label for node in order if node.label}
    root = order[-1] if order else None
    names: dict[Value, str] = {}
    written: dict[Value, Expr] = {}  # nodes named by their expression: that expression
    by_expression = len(order) <= MAX_NAMED_BY_EXPRESSION
    count = 0
    for node in order:
        if node.label:
            names[node] = node.label
            continue
        if node.is_constant:
            names[node] = format(node.data, "g")
            continue
        if node is root and OUTPUT_NAME not in labels:
            names[node] = OUTPUT_NAME
            continue
        if by_expression and node.inputs:
            expression = _expression(node, names, written)
            if expression is not None:
                text = plain_text(expression, _Symbols(names))
                if len(text) <= SHORT_NAME:
                    names[node] = text
                    written[node] = expression
                    continue
        count += 1
        while f"v{count}" in labels:
            count += 1
        names[node] = f"v{count}"
    return names, written


def _expression(node: Value, names: dict[Value, str], written: dict[Value, Expr]) -> Expr | None:
    """What ``node`` computes, over labelled inputs, numbers and the inputs
    already named by their expression; None if an input only has a number name."""
    for v in node.inputs:
        if not (v.is_constant or v in written or v.label or names.get(v) == OUTPUT_NAME):
            return None  # a v-numbered input: the name would hide it
    return computed_as(node, written)


def computed_as(node: Value, written: dict[Value, Expr]) -> Expr:
    """What ``node`` computes from its inputs, written from the op table's rule:
    numbers written in the code as numbers, inputs named by what they compute
    as that expression, any other input as its symbol (``var(input)``)."""
    replacements: dict[object, Expr] = {}
    for i, v in enumerate(node.inputs):
        if v.is_constant:
            replacements[input_key(i)] = num(v.data)
        elif v in written:
            replacements[input_key(i)] = written[v]
        else:
            replacements[input_key(i)] = var(v)
    replacements.update({param_key(j): num(p) for j, p in enumerate(node.params)})
    replacements[OUT] = var(node)
    return simplify(substitute(OPS[node.op].shown(len(node.inputs)), replacements), collect=False)


def name_symbols(names: dict[Value, str]) -> dict[Value, str]:
    """Text for the symbols of :func:`computed_as`: each node's name as hand
    derivations write it (yhat → ŷ; a name with operators in parentheses)."""
    return _Symbols(names)


def operand(position: int) -> str:
    """``1st operand`` for position 0: which input of a node like ``x * x`` an edge enters."""
    n = position + 1
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} operand"


class _Symbols(dict):  # type: ignore[type-arg]
    """Text for the symbols of an expression name: labels as hand derivations write them."""

    def __init__(self, names: dict[Value, str]) -> None:
        super().__init__()
        self.names = names

    def __missing__(self, node: Value) -> str:
        return text_symbol(self.names[node])


# -- writing names ------------------------------------------------------------------------

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


def text_symbol(name: str) -> str:
    """yhat → ŷ (as hand derivations write it); other names unchanged.
    A name with spaces or operators is put in parentheses."""
    match = _HAT_TEXT.match(name)
    if match:
        return unicodedata.normalize("NFC", match["base"] + "\u0302") + match["rest"]
    if any(ch in name for ch in " /·×=+-−*()") and not _one_bracketed_group(name):
        return f"({name})"
    return name


def text_symbols(names: dict[Value, str], written: dict[Value, Expr]) -> dict[Value, str]:
    """Each node's name as it follows ∂ in text: labels by :func:`text_symbol`
    (yhat → ŷ), a node named by what it computes always in brackets: ∂f/∂(x²)."""
    return {node: f"({name})" if node in written else text_symbol(name) for node, name in names.items()}


def _one_bracketed_group(name: str) -> bool:
    """``(a + b)`` is one group in brackets; ``(1 − y)·(b)`` is not."""
    if not (name.startswith("(") and name.endswith(")")):
        return False
    depth = 0
    for k, ch in enumerate(name):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and k < len(name) - 1:
            return False  # the first bracket closes before the end
    return True


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
