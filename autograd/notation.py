"""Writing an expression tree down: as Python or NumPy code, as a formula
that :func:`autograd.parse` reads, as text for people, and as LaTeX.

Every writer takes the tree (see :mod:`autograd.expressions`) and ``names``,
the text to write for each ``var`` key (``{"x": "v3"}`` in code,
``{"x": "ŷ"}`` in text), and puts parentheses only where the precedence of
the operators needs them. The walk uses an explicit stack, so trees of any
depth are written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from autograd.expressions import Expr, RuleError, flatten_chains, fold

# precedence levels, loosest first
WHERE, COMPARE, ADD, MUL, NEG, POW, ATOM = range(7)

Part = tuple[str, int]  # written text and the precedence of its outermost operator


def _wrap(part: Part, at_least: int, left: str = "(", right: str = ")") -> str:
    text, level = part
    return text if level >= at_least else f"{left}{text}{right}"


class Writer:
    """How one notation writes each kind of node. Subclasses change the pieces."""

    times = " * "
    plus = " + "
    minus = " - "
    open, close = "(", ")"

    def __init__(self, names: Mapping[Any, str]) -> None:
        self.names = names

    def write(self, expr: Expr) -> str:
        return str(fold(flatten_chains(expr), self.node, self.leaf)[0])

    # -- leaves --------------------------------------------------------------------

    def leaf(self, e: Expr) -> Part:
        if e.kind == "num":
            return self.number(e.args[0])
        key = e.args[0]
        try:
            return self.names[key], ATOM
        except KeyError:
            raise RuleError(f"no name given for the symbol {key!r}") from None

    def number(self, x: float) -> Part:
        text = short_number(x)
        return text, NEG if text.startswith("-") else ATOM

    # -- operators -----------------------------------------------------------------

    def node(self, e: Expr, parts: list[Part]) -> Part:
        kind = e.kind
        if kind == "add":
            return self.add(parts)
        if kind == "sub":
            return self.wrap(parts[0], ADD) + self.minus + self.wrap(parts[1], ADD + 1), ADD
        if kind == "mul":
            return self.mul(parts)
        if kind == "div":
            return self.div(parts[0], parts[1])
        if kind == "pow":
            return self.pow(e, parts[0], parts[1])
        if kind == "neg":
            return self.neg(parts[0])
        if kind == "call":
            return self.call(e.args[0], parts)
        if kind == "cmp":
            return self.compare(e.args[0], parts[0], parts[1])
        if kind == "where":
            return self.where(e, parts[0], parts[1], parts[2])
        raise RuleError(f"unknown expression kind {kind!r}")  # pragma: no cover - every kind is handled

    def wrap(self, part: Part, at_least: int) -> str:
        return _wrap(part, at_least, self.open, self.close)

    def add(self, parts: list[Part]) -> Part:
        text = self.wrap(parts[0], ADD)
        for part in parts[1:]:
            if part[1] in (NEG, MUL) and part[0].startswith(("-", "−")):  # a + (-b) is written a - b
                text += self.minus + part[0][1:]
            else:
                text += self.plus + self.wrap(part, ADD + 1)
        return text, ADD

    def mul(self, parts: list[Part]) -> Part:
        text = self.wrap(parts[0], MUL)
        for part in parts[1:]:
            text += self.times + self.wrap(part, MUL + 1)
        return text, MUL

    def div(self, a: Part, b: Part) -> Part:
        return f"{self.wrap(a, MUL)} / {self.wrap(b, MUL + 1)}", MUL

    def pow(self, e: Expr, base: Part, exponent: Part) -> Part:
        return f"{self.wrap(base, ATOM)} ** {self.wrap(exponent, POW)}", POW

    def neg(self, a: Part) -> Part:
        return _negated(a, "-", self.wrap)

    def call(self, name: str, parts: list[Part]) -> Part:
        return f"{name}({', '.join(p[0] for p in parts)})", ATOM

    def compare(self, symbol: str, a: Part, b: Part) -> Part:
        return f"{self.wrap(a, ADD)} {symbol} {self.wrap(b, ADD)}", COMPARE

    def where(self, e: Expr, condition: Part, a: Part, b: Part) -> Part:
        return f"where({condition[0]}, {a[0]}, {b[0]})", ATOM


def _negated(a: Part, minus: str, wrap: Callable[[Part, int], str]) -> Part:
    """-a. A product keeps no brackets: -(a·b) is written -a·b, which is read
    (-a)·b, the same number even in floating point (negation is exact)."""
    if a[1] >= POW:
        return minus + a[0], NEG
    if a[1] == MUL:
        return minus + a[0], MUL
    return minus + wrap(a, ATOM), NEG


def short_number(x: float) -> str:
    """The shortest text that reads back as ``x``: ``2``, ``0.5``, ``1e-07``."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


# -- code ---------------------------------------------------------------------------------


class PythonWriter(Writer):
    """Python over floats: numbers as exact literals, ``where`` as a conditional
    expression (only the branch taken is computed), and a power whose exponent
    is not a whole number through ``power`` (which refuses a complex result)."""

    def number(self, x: float) -> Part:
        text = repr(float(x))
        return text, NEG if text.startswith("-") else ATOM

    def pow(self, e: Expr, base: Part, exponent: Part) -> Part:
        power = e.args[1]
        if power.kind == "num" and power.args[0] == int(power.args[0]) and abs(power.args[0]) <= 64:
            return super().pow(e, base, exponent)
        return f"power({base[0]}, {exponent[0]})", ATOM

    def where(self, e: Expr, condition: Part, a: Part, b: Part) -> Part:
        return f"{self.wrap(a, COMPARE)} if {self.wrap(condition, COMPARE)} else {b[0]}", WHERE


_SAFE_KINDS = frozenset({"var", "num", "add", "sub", "mul", "neg", "cmp", "where"})


def _cannot_fail(e: Expr) -> bool:
    """True when computing ``e`` on finite arrays can raise no floating-point error."""
    stack = [e]
    while stack:
        node = stack.pop()
        if node.kind not in _SAFE_KINDS:
            return False
        stack.extend(a for a in node.args if isinstance(a, Expr))
    return True


class NumpyWriter(PythonWriter):
    """Python over NumPy arrays (one element per sample): ``where`` becomes
    ``where(condition, a, b)``; when a branch could fail where it is not
    taken (``log(a)`` where a <= 0), ``select(condition, lambda: a, lambda: b)``,
    which computes both sides quietly and checks only the chosen one."""

    def pow(self, e: Expr, base: Part, exponent: Part) -> Part:
        return Writer.pow(self, e, base, exponent)

    def where(self, e: Expr, condition: Part, a: Part, b: Part) -> Part:
        _, if_true, if_false = e.args
        if _cannot_fail(if_true) and _cannot_fail(if_false):
            return f"where({condition[0]}, {a[0]}, {b[0]})", ATOM
        return f"select({condition[0]}, lambda: {a[0]}, lambda: {b[0]})", ATOM


def python_code(expr: Expr, names: Mapping[Any, str], numpy: bool = False) -> str:
    """``expr`` as one Python expression over floats (or NumPy arrays)."""
    return (NumpyWriter if numpy else PythonWriter)(names).write(expr)


class FormulaWriter(Writer):
    """What :func:`autograd.parse` reads. A sum or product of many terms is
    written in brackets of at most :data:`GROUP` terms each, and brackets of
    brackets, so the text stays a few levels deep (Python's parser nests a
    long flat sum once per term, and gives up after a thousand or so)."""

    def add(self, parts: list[Part]) -> Part:
        return self._grouped(parts, super().add)

    def mul(self, parts: list[Part]) -> Part:
        return self._grouped(parts, super().mul)

    def _grouped(self, parts: list[Part], join: Callable[[list[Part]], Part]) -> Part:
        while len(parts) > GROUP:
            parts = [(f"({join(parts[k : k + GROUP])[0]})", ATOM) for k in range(0, len(parts), GROUP)]
        return join(parts)


GROUP = 32


def formula_text(expr: Expr, names: Mapping[Any, str] | None = None) -> str:
    """``expr`` as a formula that :func:`autograd.parse` reads: ASCII operators,
    short numbers, ``where(condition, a, b)`` for a choice. Without ``names``
    each symbol is written by its key."""
    if names is None:
        names = _KeyNames()
    return FormulaWriter(names).write(expr)


class _KeyNames(dict):  # type: ignore[type-arg]
    def __missing__(self, key: Any) -> str:
        return str(key)


# -- text for people ----------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_COMPARISON_TEXT = {">": ">", ">=": "≥", "<": "<", "<=": "≤", "==": "=", "!=": "≠"}
_FUNCTION_TEXT = {"sigmoid": "σ"}


class _HandWriter(Writer):
    """What text and LaTeX share: products written as by hand."""

    def mul(self, parts: list[Part]) -> Part:
        text = self.wrap(parts[0], MUL)
        previous = parts[0]
        for part in parts[1:]:
            written = self.wrap(part, MUL + 1)
            # a symbol followed by a bracketed sum reads as a product: ŷ(1 − ŷ)
            juxtapose = previous[1] == ATOM and not _is_numeric(previous[0]) and part[1] == ADD
            text += ("" if juxtapose else self.times) + written
            previous = part
        return text, MUL


class TextWriter(_HandWriter):
    """Text as a person writes it: ``−(y − ŷ)·ŷ(1 − ŷ)·w1``, ``x²``, ``σ(z)``."""

    times = "·"
    minus = " − "

    def node(self, e: Expr, parts: list[Part]) -> Part:
        if e.kind == "mul" and e.args[0].kind == "div":
            # a quotient that starts a product is bracketed: (1/ŷ)·ŷ, never 1/ŷ·ŷ,
            # which many read as 1/(ŷ·ŷ); LaTeX's fraction bar needs no brackets
            parts = [(f"({parts[0][0]})", ATOM), *parts[1:]]
        return super().node(e, parts)

    def number(self, x: float) -> Part:
        text = short_number(x).replace("-", "−")
        return text, NEG if text.startswith("−") else ATOM

    def div(self, a: Part, b: Part) -> Part:
        return f"{self.wrap(a, MUL)}/{self.wrap(b, POW)}", MUL

    def pow(self, e: Expr, base: Part, exponent: Part) -> Part:
        power = e.args[1]
        if power.kind == "num" and power.args[0] == int(power.args[0]) and abs(power.args[0]) < 100:
            return self.wrap(base, ATOM) + str(int(power.args[0])).translate(_SUPERSCRIPTS), POW
        return f"{self.wrap(base, ATOM)}^{self.wrap(exponent, ATOM)}", POW

    def neg(self, a: Part) -> Part:
        return _negated(a, "−", self.wrap)

    def call(self, name: str, parts: list[Part]) -> Part:
        if name == "abs":
            return f"|{parts[0][0]}|", ATOM
        if name == "sqrt":
            return "√" + self.wrap(parts[0], ATOM), ATOM
        return f"{_FUNCTION_TEXT.get(name, name)}({', '.join(p[0] for p in parts)})", ATOM

    def compare(self, symbol: str, a: Part, b: Part) -> Part:
        return f"{self.wrap(a, ADD)} {_COMPARISON_TEXT[symbol]} {self.wrap(b, ADD)}", COMPARE

    def where(self, e: Expr, condition: Part, a: Part, b: Part) -> Part:
        return f"{self.wrap(a, COMPARE)} if {self.wrap(condition, COMPARE)} else {b[0]}", WHERE


def _is_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[−-]?[0-9.e+−-]+", text))


def plain_text(expr: Expr, names: Mapping[Any, str]) -> str:
    """``expr`` as text for people (Unicode: −, ·, ², σ, √, ≥)."""
    return TextWriter(names).write(expr)


# -- LaTeX --------------------------------------------------------------------------------

_LATEX_FUNCTIONS = {
    "exp": r"\exp",
    "log": r"\log",
    "tanh": r"\tanh",
    "sin": r"\sin",
    "cos": r"\cos",
    "sigmoid": r"\sigma",
}
_LATEX_COMPARISONS = {">": ">", ">=": r"\geq", "<": "<", "<=": r"\leq", "==": "=", "!=": r"\neq"}


class LatexWriter(_HandWriter):
    """LaTeX math (without ``$``): ``\\hat{y}\\left(1 - \\hat{y}\\right)``, ``\\frac{a}{b}``."""

    times = r" \cdot "
    open, close = r"\left(", r"\right)"

    def number(self, x: float) -> Part:
        text = short_number(x)
        if "e" in text:
            mantissa, exponent = text.split("e")
            text = rf"{mantissa} \times 10^{{{int(exponent)}}}"
            return text, MUL
        return text, NEG if text.startswith("-") else ATOM

    def div(self, a: Part, b: Part) -> Part:
        return rf"\frac{{{a[0]}}}{{{b[0]}}}", ATOM

    def pow(self, e: Expr, base: Part, exponent: Part) -> Part:
        return f"{self.wrap(base, ATOM)}^{{{exponent[0]}}}", POW

    def call(self, name: str, parts: list[Part]) -> Part:
        inner = ", ".join(p[0] for p in parts)
        if name == "abs":
            return rf"\left|{inner}\right|", ATOM
        if name == "sqrt":
            return rf"\sqrt{{{inner}}}", ATOM
        head = _LATEX_FUNCTIONS.get(name, rf"\operatorname{{{_latex_escape(name)}}}")
        return rf"{head}\left({inner}\right)", ATOM

    def compare(self, symbol: str, a: Part, b: Part) -> Part:
        return f"{self.wrap(a, ADD)} {_LATEX_COMPARISONS[symbol]} {self.wrap(b, ADD)}", COMPARE

    def where(self, e: Expr, condition: Part, a: Part, b: Part) -> Part:
        return (
            rf"\begin{{cases}} {a[0]} & {condition[0]} \\ {b[0]} & \text{{otherwise}} \end{{cases}}",
            WHERE,
        )


def _latex_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "_{}#$%&" else ch for ch in text)


def latex(expr: Expr, names: Mapping[Any, str]) -> str:
    """``expr`` in LaTeX math mode, without ``$`` delimiters."""
    return LatexWriter(names).write(expr)


__all__ = ["formula_text", "latex", "plain_text", "python_code", "short_number"]
