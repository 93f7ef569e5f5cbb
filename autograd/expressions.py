"""Expressions: what an op's rule computes, recorded as a small tree.

An op's rule is ordinary Python, e.g. the local derivative of tanh::

    lambda x, out: 1 - out * out

Run on floats, it computes a number. Run on the symbols of this module, it
records what it computes instead: ``1 - out * out`` becomes the tree
``sub(num 1, mul(var out, var out))``. Every reader of the op table works from
that one tree: :mod:`autograd.notation` writes it as Python or NumPy code, as
text and as LaTeX; :func:`evaluate` computes it on Values for higher-order
derivatives.

The tree has a handful of node kinds:

=========  ==============================  ==================================
kind       args                            meaning
=========  ==============================  ==================================
``var``    (key,)                          an input, ``out`` or a parameter
``num``    (number,)                       a constant
``add``    (a, b, ...)                     a + b + ... (left to right)
``sub``    (a, b)                          a - b
``mul``    (a, b, ...)                     a · b · ... (left to right)
``div``    (a, b)                          a / b
``pow``    (a, b)                          a ** b
``neg``    (a,)                            -a
``call``   (name, a, ...)                  a function of :mod:`autograd.functions`
                                           or an op defined by name
``cmp``    (symbol, a, b)                  a > b, a >= b, a < b, a <= b, a == b, a != b
``where``  (condition, a, b)               a where the condition holds, else b
=========  ==============================  ==================================

A rule may use arithmetic, comparisons inside ``where``, and the functions of
:mod:`autograd.functions`. It may not decide with ``if``, ``and``, ``or``,
``min`` or ``max`` on its inputs (the rule runs once on symbols, so a Python
decision would be taken once for every input), nor call :mod:`math` (which
needs a float): both raise :class:`RuleError`, which says what to write instead.

Every walk over a tree here uses an explicit stack, so a tree of any depth
(the sum of a hundred thousand inputs) is fine.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from autograd.errors import ChaingradError

COMPARISONS = (">", ">=", "<", "<=", "==", "!=")


class RuleError(ChaingradError, ValueError):
    """An op's rule cannot be turned into code: it uses a Python decision or a
    function that needs a plain float, or returns the wrong number of
    derivatives."""


class Expr:
    """One node of an expression tree; build them with Python operators.

    >>> x = var("x")
    >>> (1 - x * x).kind
    'sub'
    """

    __slots__ = ("args", "kind")

    kind: str
    args: tuple[Any, ...]

    def __init__(self, kind: str, args: tuple[Any, ...]) -> None:
        self.kind = kind
        self.args = args

    # -- arithmetic builds trees --------------------------------------------------

    def __add__(self, other: Any) -> Expr:
        return _binary("add", self, other)

    def __radd__(self, other: Any) -> Expr:
        return _binary("add", other, self)

    def __sub__(self, other: Any) -> Expr:
        return _binary("sub", self, other)

    def __rsub__(self, other: Any) -> Expr:
        return _binary("sub", other, self)

    def __mul__(self, other: Any) -> Expr:
        return _binary("mul", self, other)

    def __rmul__(self, other: Any) -> Expr:
        return _binary("mul", other, self)

    def __truediv__(self, other: Any) -> Expr:
        return _binary("div", self, other)

    def __rtruediv__(self, other: Any) -> Expr:
        return _binary("div", other, self)

    def __pow__(self, other: Any) -> Expr:
        return _binary("pow", self, other)

    def __rpow__(self, other: Any) -> Expr:
        return _binary("pow", other, self)

    def __neg__(self) -> Expr:
        return Expr("neg", (self,))

    def __pos__(self) -> Expr:
        return self

    def __abs__(self) -> Expr:
        return call("abs", self)

    # -- comparisons build conditions for where() ------------------------------------

    def __gt__(self, other: Any) -> Expr:  # type: ignore[override]
        return compare(">", self, other)

    def __ge__(self, other: Any) -> Expr:  # type: ignore[override]
        return compare(">=", self, other)

    def __lt__(self, other: Any) -> Expr:  # type: ignore[override]
        return compare("<", self, other)

    def __le__(self, other: Any) -> Expr:  # type: ignore[override]
        return compare("<=", self, other)

    def __eq__(self, other: Any) -> Expr:  # type: ignore[override]
        return compare("==", self, other)

    def __ne__(self, other: Any) -> Expr:  # type: ignore[override]
        return compare("!=", self, other)

    __hash__ = object.__hash__  # identity, as for any object: trees are compared with same()

    # -- what a rule may not do ------------------------------------------------------

    def __bool__(self) -> bool:
        raise RuleError(
            "the rule decides with a Python `if`, `and`, `or`, `min` or `max` on a symbolic value; "
            "a rule is written once for every input, so write the choice as where(condition, a, b), "
            "e.g. where(x > 0, x, 0) for relu"
        )

    def __float__(self) -> float:
        raise RuleError(
            "the rule calls a function that needs a plain float (math.exp, math.log, ...); "
            "use the functions of autograd.functions instead (exp, log, sqrt, tanh, sigmoid, ...), "
            "which work on floats, Values and symbols alike"
        )

    __int__ = __index__ = __complex__ = __float__  # type: ignore[assignment]

    def _apply_function(self, name: str, args: tuple[Any, ...]) -> Expr:
        """How :mod:`autograd.functions` applies a function to a symbol: record the call."""
        return call(name, *args)

    def __repr__(self) -> str:
        def combine(e: Expr, parts: list[str]) -> str:
            head = e.args[0] if e.kind in ("call", "cmp") else e.kind
            return f"{head}({', '.join(parts)})"

        return f"Expr({fold(self, combine, _leaf_text)})"


def _leaf_text(e: Expr) -> str:
    return str(e.args[0]) if e.kind == "var" else format(e.args[0], "g")


def _as_expr(x: Any) -> Expr:
    if isinstance(x, Expr):
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise RuleError(f"a rule can only combine symbols with numbers, got {type(x).__name__} {x!r:.40}")
    return num(float(x))


def _binary(kind: str, a: Any, b: Any) -> Expr:
    if not isinstance(a, (Expr, numbers.Real)) or not isinstance(b, (Expr, numbers.Real)):
        return NotImplemented  # type: ignore[return-value]
    return Expr(kind, (_as_expr(a), _as_expr(b)))


def var(key: Any) -> Expr:
    """A symbol: an input of a rule, its output ``out`` or a parameter."""
    return Expr("var", (key,))


def num(x: float) -> Expr:
    """A number in an expression."""
    return Expr("num", (float(x),))


def call(name: str, *args: Any) -> Expr:
    """``name(args)``: a function of :mod:`autograd.functions` or an op defined by name."""
    return Expr("call", (name, *[_as_expr(a) for a in args]))


def compare(symbol: str, a: Any, b: Any) -> Expr:
    """A condition ``a symbol b``, for :func:`where`."""
    if symbol not in COMPARISONS:
        raise RuleError(f"unknown comparison {symbol!r}; use one of {', '.join(COMPARISONS)}")
    return Expr("cmp", (symbol, _as_expr(a), _as_expr(b)))


def where(condition: Any, if_true: Any, if_false: Any) -> Expr:
    """``if_true`` where ``condition`` holds, else ``if_false``."""
    if not (isinstance(condition, Expr) and condition.kind == "cmp"):
        raise RuleError("where() needs a comparison as its condition, e.g. where(x > 0, x, 0)")
    return Expr("where", (condition, _as_expr(if_true), _as_expr(if_false)))


# -- walking trees without recursion ------------------------------------------------------


def children(expr: Expr) -> tuple[Expr, ...]:
    """The sub-expressions of ``expr``, in order."""
    kind = expr.kind
    if kind in ("var", "num"):
        return ()
    if kind in ("call", "cmp"):
        return expr.args[1:]
    return expr.args


def fold(expr: Expr, combine: Callable[[Expr, list[Any]], Any], leaf: Callable[[Expr], Any]) -> Any:
    """Compute something over a tree bottom up: ``leaf(e)`` for ``var``/``num``
    nodes, ``combine(e, results of its children)`` for the others.

    A sub-tree shared by several parents is computed once (results are kept
    by identity), so a tree that is really a DAG costs its size, not more.
    """
    done: dict[int, Any] = {}
    keep: list[Expr] = []  # keeps every node alive while its id is a key of `done`
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if key in done:
            continue
        parts = children(node)
        if not parts:
            done[key] = leaf(node)
            keep.append(node)
        elif expanded:
            done[key] = combine(node, [done[id(p)] for p in parts])
            keep.append(node)
        else:
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(parts) if id(p) not in done)
    return done[id(expr)]


def subexpressions(expr: Expr) -> Iterator[Expr]:
    """Every distinct node of the tree (a shared sub-expression once), without recursion."""
    stack = [expr]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(children(node))


def variables(expr: Expr) -> set[Any]:
    """The keys of every ``var`` in the tree."""
    return {node.args[0] for node in subexpressions(expr) if node.kind == "var"}


def function_names(expr: Expr) -> set[str]:
    """The names of every function the tree calls."""
    return {node.args[0] for node in subexpressions(expr) if node.kind == "call"}


def depth(expr: Expr) -> int:
    """The number of levels of the tree (a lone symbol is 1)."""
    return int(fold(expr, lambda e, parts: 1 + max(parts), lambda e: 1))


def same(a: Expr, b: Expr) -> bool:
    """True when the two trees are equal, node for node."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if x is y:
            continue
        if x.kind != y.kind:
            return False
        if x.kind in ("var", "num", "call", "cmp") and x.args[0] != y.args[0]:
            return False
        xs, ys = children(x), children(y)
        if len(xs) != len(ys):
            return False
        stack.extend(zip(xs, ys))
    return True


def substitute(expr: Expr, replacements: Mapping[Any, Expr]) -> Expr:
    """The tree with each ``var`` whose key is in ``replacements`` replaced."""

    def leaf(e: Expr) -> Expr:
        if e.kind == "var" and e.args[0] in replacements:
            return replacements[e.args[0]]
        return e

    def combine(e: Expr, parts: list[Expr]) -> Expr:
        head = e.args[:1] if e.kind in ("call", "cmp") else ()
        return Expr(e.kind, (*head, *parts))

    return fold(expr, combine, leaf)  # type: ignore[no-any-return]


def flatten_chains(expr: Expr) -> Expr:
    """The same expression with chains of sums and of products as one node each:
    ``((a + b) - c) + d`` becomes ``add(a, b, -c, d)``, ``(a · b) · c`` becomes
    ``mul(a, b, c)``. The terms keep their order, so the value is the same to
    the last bit (``a - c`` and ``a + (-c)`` are equal floats). Writing a flat
    node is one join, so a sum of a hundred thousand terms is written in
    linear time."""
    done: dict[int, Expr] = {}
    keep: list[Expr] = []
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        key = id(node)
        if key in done:
            continue
        if node.kind in ("add", "sub", "mul"):
            chain = ("add", "sub") if node.kind != "mul" else ("mul",)
            terms: list[tuple[Expr, bool]] = []  # (term, negated), last term first
            head = node
            while head.kind in chain:  # down the left spine; a node may already be flat
                terms.extend((t, head.kind == "sub") for t in reversed(head.args[1:]))
                head = head.args[0]
            terms.append((head, False))
            waiting = [t for t, _ in terms if id(t) not in done]
            if waiting and not ready:
                stack.append((node, True))
                stack.extend((t, False) for t in waiting)
                continue
            parts = [
                done[id(t)] if not negated else Expr("neg", (done[id(t)],)) for t, negated in reversed(terms)
            ]
            done[key] = Expr("mul" if node.kind == "mul" else "add", tuple(parts))
        else:
            parts_of = children(node)
            waiting = [p for p in parts_of if id(p) not in done]
            if waiting:
                stack.append((node, True))
                stack.extend((p, False) for p in waiting)
                continue
            head_args = node.args[:1] if node.kind in ("call", "cmp") else ()
            done[key] = Expr(node.kind, (*head_args, *[done[id(p)] for p in parts_of])) if parts_of else node
        keep.append(node)
    return done[id(expr)]


# -- evaluating a tree --------------------------------------------------------------------


def evaluate(expr: Expr, values: Mapping[Any, Any], functions: Mapping[str, Callable[..., Any]]) -> Any:
    """The value of ``expr`` with each ``var`` read from ``values``.

    Works on any kind of number that supports Python arithmetic and
    comparisons: floats, or Values (which builds a graph, as higher-order
    derivatives need). ``functions`` gives each called name its function.
    ``where`` evaluates only the branch its condition picks, so
    ``where(a > 0, log(a), 0)`` is safe at a = 0.
    """
    results: dict[int, Any] = {}
    keep: list[Expr] = []
    stack: list[tuple[Expr, int]] = [(expr, 0)]  # (node, state): 0 new, 1 children done, 2 condition done
    while stack:
        node, state = stack.pop()
        key = id(node)
        if key in results:
            continue
        kind = node.kind
        if kind == "var":
            results[key] = values[node.args[0]]
        elif kind == "num":
            results[key] = node.args[0]
        elif kind == "where":
            condition, if_true, if_false = node.args
            if state == 0:
                stack.append((node, 2))
                stack.append((condition, 0))
                continue
            chosen = if_true if results[id(condition)] else if_false
            if id(chosen) not in results:
                stack.append((node, 2))
                stack.append((chosen, 0))
                continue
            results[key] = results[id(chosen)]
        elif state == 0:
            stack.append((node, 1))
            stack.extend((p, 0) for p in reversed(children(node)) if id(p) not in results)
            continue
        else:
            parts = [results[id(p)] for p in children(node)]
            results[key] = _apply(node, parts, functions)
        keep.append(node)
    return results[id(expr)]


def _apply(node: Expr, parts: list[Any], functions: Mapping[str, Callable[..., Any]]) -> Any:
    kind = node.kind
    if kind == "add":
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return total
    if kind == "mul":
        product = parts[0]
        for p in parts[1:]:
            product = product * p
        return product
    if kind == "sub":
        return parts[0] - parts[1]
    if kind == "div":
        return parts[0] / parts[1]
    if kind == "pow":
        return parts[0] ** parts[1]
    if kind == "neg":
        return -parts[0]
    if kind == "call":
        return functions[node.args[0]](*parts)
    if kind == "cmp":
        return _COMPARE[node.args[0]](parts[0], parts[1])
    raise RuleError(f"unknown expression kind {kind!r}")  # pragma: no cover - every kind is handled


def _number(x: Any) -> Any:
    """Compare Values by their numbers (a Value's == is identity)."""
    return getattr(x, "data", x)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">": lambda a, b: _number(a) > _number(b),
    ">=": lambda a, b: _number(a) >= _number(b),
    "<": lambda a, b: _number(a) < _number(b),
    "<=": lambda a, b: _number(a) <= _number(b),
    "==": lambda a, b: _number(a) == _number(b),
    "!=": lambda a, b: _number(a) != _number(b),
}


# -- folding numbers --------------------------------------------------------------------


def fold_numbers(expr: Expr) -> Expr:
    """The same expression with every part that involves only numbers computed
    (``2.0 - 1.0`` → ``1.0``) and every ``where`` whose condition compares
    numbers replaced by its branch. Exact: the folded number is the very float
    the arithmetic would give when run, so generated code keeps its results."""

    def combine(e: Expr, parts: list[Expr]) -> Expr:
        kind = e.kind
        if kind == "where":
            condition, if_true, if_false = parts
            if condition.kind == "num":
                return if_true if condition.args[0] else if_false
            return Expr("where", (condition, if_true, if_false))
        head = e.args[:1] if kind in ("call", "cmp") else ()
        if kind != "call" and all(p.kind == "num" for p in parts):
            numbers = [p.args[0] for p in parts]
            try:
                value = _apply(e, numbers, {})
            except (ArithmeticError, ValueError):
                value = None
            if isinstance(value, bool):
                return num(1.0 if value else 0.0)
            if isinstance(value, float) and math.isfinite(value):
                return num(value)
        return Expr(kind, (*head, *parts))

    return fold(expr, combine, lambda e: e)  # type: ignore[no-any-return]


# -- simplifying for people ---------------------------------------------------------------


def simplify(expr: Expr, *, collect: bool = True) -> Expr:
    """The same expression, as a person would write it.

    Numbers are folded (``0.5 · 2 · -1`` → ``-1``), factors of 1 and terms of
    0 dropped, products and sums flattened, a product's numbers gathered in
    front (``2 · x · 3`` → ``6 · x``), ``x · x`` written ``x ** 2``, double
    negations removed, and a ``where`` whose condition is decided by numbers
    replaced by its branch. Used for what people read (explanations, steps);
    generated code follows the rule as written, so that its floating-point
    results are the engine's, bit for bit.

    ``collect=False`` keeps equal factors and terms apart (``x · x`` stays
    ``x · x``, ``x + x`` stays ``x + x``): the name of a node must say which op
    made it, and ``x²`` would say a power.
    """
    combine = _simplify_node if collect else _simplify_node_apart
    return fold(flatten_chains(expr), combine, lambda e: e)  # type: ignore[no-any-return]


def _simplify_node_apart(e: Expr, parts: list[Expr]) -> Expr:
    """:func:`_simplify_node` without gathering equal factors or like terms."""
    if e.kind == "add":
        return _sum(parts, collect=False)
    if e.kind == "sub":
        return _sum([parts[0], _negate(parts[1])], collect=False)
    if e.kind == "mul":
        return _product(parts, collect=False)
    return _simplify_node(e, parts)


def _is_num(e: Expr, value: float | None = None) -> bool:
    return e.kind == "num" and (value is None or e.args[0] == value)


def _simplify_node(e: Expr, parts: list[Expr]) -> Expr:
    kind = e.kind
    if kind == "add":
        return _sum(parts)
    if kind == "sub":
        return _sum([parts[0], _negate(parts[1])])
    if kind == "mul":
        return _product(parts)
    if kind == "div":
        a, b = parts
        if _is_num(b, 1.0):
            return a
        if _is_num(a) and _is_num(b) and b.args[0] != 0.0:
            return _folded(a.args[0] / b.args[0], e, parts)
        if _is_num(a, 0.0):
            return a
        if a.kind == "neg":
            return _negate(Expr("div", (a.args[0], b)))
        return Expr("div", (a, b))
    if kind == "pow":
        a, b = parts
        if _is_num(b, 1.0):
            return a
        if _is_num(b, 0.0):
            return num(1.0)
        if _is_num(a) and _is_num(b):
            try:
                return _folded(a.args[0] ** b.args[0], e, parts)
            except (ArithmeticError, ValueError):
                pass
        return Expr("pow", (a, b))
    if kind == "neg":
        return _negate(parts[0])
    if kind == "cmp":
        a, b = parts
        return Expr("cmp", (e.args[0], a, b))
    if kind == "where":
        condition, if_true, if_false = parts
        symbol, a, b = condition.args
        if _is_num(a) and _is_num(b):
            return if_true if _COMPARE[symbol](a.args[0], b.args[0]) else if_false
        if same(if_true, if_false):
            return if_true
        return Expr("where", (condition, if_true, if_false))
    if kind == "call":
        return Expr("call", (e.args[0], *parts))
    raise RuleError(f"unknown expression kind {kind!r}")  # pragma: no cover - every kind is handled


def _folded(value: Any, e: Expr, parts: list[Expr]) -> Expr:
    if isinstance(value, float) and math.isfinite(value):
        return num(value)
    return Expr(e.kind, tuple(parts))


def _negate(e: Expr) -> Expr:
    if e.kind == "num":
        return num(-e.args[0]) if e.args[0] != 0.0 else e
    if e.kind == "neg":
        return e.args[0]
    if e.kind == "mul" and e.args[0].kind == "num":
        return _product([num(-e.args[0].args[0]), *e.args[1:]])
    return Expr("neg", (e,))


MAX_COLLECTED = 200
"""Sums with more terms than this are not searched for like terms (the search is quadratic)."""


def _sum(terms: list[Expr], *, collect: bool = True) -> Expr:
    flat: list[Expr] = []
    for t in terms:
        flat.extend(t.args if t.kind == "add" else (t,))
    if collect and len(flat) <= MAX_COLLECTED:
        flat = _collect_like_terms(flat)
    numbers = [t.args[0] for t in flat if t.kind == "num"]
    if len(numbers) > 1 or (numbers and numbers[0] == 0.0):  # one number, where the first one stood
        total = math.fsum(numbers)
        first = next(k for k, t in enumerate(flat) if t.kind == "num")
        rest = [t for t in flat if t.kind != "num"]
        flat = rest[:first] + ([num(total)] if total != 0.0 or not rest else []) + rest[first:]
    if not flat:
        return num(0.0)
    return flat[0] if len(flat) == 1 else Expr("add", tuple(flat))


def _split_coefficient(term: Expr) -> tuple[float, Expr | None]:
    """``-3·x·y`` → (-3, x·y); a number → (it, None)."""
    if term.kind == "num":
        return term.args[0], None
    if term.kind == "neg":
        c, rest = _split_coefficient(term.args[0])
        return -c, rest
    if term.kind == "mul" and term.args[0].kind == "num":
        rest = term.args[1:]
        return term.args[0].args[0], rest[0] if len(rest) == 1 else Expr("mul", rest)
    return 1.0, term


def _collect_like_terms(terms: list[Expr]) -> list[Expr]:
    """x + x + cos(x) → 2·x + cos(x): equal terms (but for their number) are added up,
    where the first of them stood."""
    groups: list[tuple[float, Expr | None]] = []
    for term in terms:
        c, rest = _split_coefficient(term)
        if rest is None:
            groups.append((c, None))
            continue
        for k, (c0, rest0) in enumerate(groups):
            if rest0 is not None and same(rest0, rest):
                groups[k] = (c0 + c, rest0)
                break
        else:
            groups.append((c, rest))
    if len(groups) == len(terms):
        return terms
    return [
        num(c) if rest is None else _product([num(c), rest]) for c, rest in groups if c != 0.0 or rest is None
    ]


def _product(factors: list[Expr], *, collect: bool = True) -> Expr:
    coefficient = 1.0
    rest: list[Expr] = []
    pending = list(reversed(factors))
    while pending:
        f = pending.pop()
        if f.kind == "mul":
            pending.extend(reversed(f.args))
        elif f.kind == "num":
            coefficient *= f.args[0]
        elif f.kind == "neg":
            coefficient = -coefficient
            pending.append(f.args[0])
        else:
            rest.append(f)
    if coefficient == 0.0 or not math.isfinite(coefficient):
        return num(coefficient) if coefficient == 0.0 else Expr("mul", tuple(factors))
    merged: list[Expr] = []
    for f in rest:  # x · x → x ** 2 (adjacent equal factors only, to keep the order of the rest)
        if not collect:
            merged.append(f)
        elif merged and same(merged[-1], f):
            merged[-1] = Expr("pow", (f, num(2.0)))
        elif (
            merged
            and merged[-1].kind == "pow"
            and same(merged[-1].args[0], f)
            and _is_num(merged[-1].args[1])
        ):
            merged[-1] = Expr("pow", (f, num(merged[-1].args[1].args[0] + 1.0)))
        else:
            merged.append(f)
    if not merged:
        return num(coefficient)
    body = merged[0] if len(merged) == 1 else Expr("mul", tuple(merged))
    if coefficient == 1.0:
        return body
    if coefficient == -1.0:
        return Expr("neg", (body,))
    return Expr("mul", (num(coefficient), *merged))


__all__ = [
    "COMPARISONS",
    "Expr",
    "RuleError",
    "call",
    "children",
    "compare",
    "depth",
    "evaluate",
    "flatten_chains",
    "fold",
    "fold_numbers",
    "function_names",
    "num",
    "same",
    "simplify",
    "substitute",
    "var",
    "variables",
    "where",
]
