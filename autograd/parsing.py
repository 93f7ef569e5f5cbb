"""Expressions from text, safely: ``parse("sigmoid(w1*x1 + w2*x2 + b)", w1=0.5, ...)``.

The text is read by Python's own parser (:func:`ast.parse`, which builds a
syntax tree and runs nothing), then every node of the tree is checked against
a short whitelist before a single Value is made:

* numbers (``2``, ``0.5``, ``1e-3``), names (``x1``, ``yhat``, ``ŷ``),
* ``+ - * / **``, unary ``-`` and ``+``, parentheses,
* calls by name to every op of the table that has a name (``exp log sqrt
  tanh sigmoid softplus relu abs sin cos``, ``leaky_relu(x)`` or
  ``leaky_relu(x, slope)`` with a number for the slope, ``prelu(x, alpha)``,
  ``logsumexp(a, b, c)``, and the ops you define with
  :func:`autograd.define_op`),
* ``where(condition, a, b)``: ``a`` where the comparison holds (``x > 0``,
  ``x <= y``, ``x == 0``, ...), else ``b``; only the branch taken is computed.
  This is how :func:`autograd.explain` writes the derivative of a piecewise
  op (``where(z > 0, 1, 0)`` for relu).

Everything else (attributes, indexing, keywords, comparisons outside
``where``, strings, lambdas, ...) is refused with a
:class:`~autograd.errors.ParseError` that names the offending piece and its
column. The text is never given to ``eval``, ``exec`` or the bytecode
compiler.

Limits keep hostile input from hanging or exhausting memory: the length of
the text (:data:`MAX_LENGTH`), the nesting depth of the tree
(:data:`MAX_DEPTH`, checked without recursion), the size of a number exponent
(:data:`MAX_EXPONENT`) and of number literals. The tree is turned into Values
with an explicit stack, so deep expressions cannot exhaust Python's stack.

A part without names is a number, as in Python: ``2 * 3 * x`` multiplies x by
the constant 6, and ``x ** (1/2)`` has the number 0.5 as its exponent.
"""

from __future__ import annotations

import ast
import operator
import re
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from autograd.errors import MissingValueError, ParseError, WrongTypeError
from autograd.rules import Op
from autograd.value import OPS, Value, constant, no_grad

MAX_LENGTH = 10_000
"""Longest text accepted, in characters."""

MAX_DEPTH = 200
"""Deepest syntax tree accepted. Every operator, call, unary sign and name or
number is one level: ``-(-x)`` is 3 levels deep, a sum of n terms written with
``+`` is n levels. (Python's own parser stops at 200 nested parentheses.)"""

MAX_EXPONENT = 1e4
"""Largest number exponent accepted in ``x ** n``, in magnitude."""

MAX_DIGITS = 400
"""Longest run of digits accepted in one number (no float needs more)."""


def callable_ops() -> dict[str, Op]:
    """The ops a text may call by name: every op of the table whose name is an
    identifier (so ``exp``, ``tanh``, ``leaky_relu`` and the ops users define,
    but not ``+`` or ``**``)."""
    return {name: op for name, op in OPS.items() if name.isidentifier()}


def _function_names() -> str:
    return ", ".join([*sorted(callable_ops()), "where"])


_COMPARE: dict[type, Callable[[float, float], bool]] = {
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}

_BINARY: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.Pow: ("**", operator.pow),
}

_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}

_OPERATOR_SYMBOLS: dict[type, str] = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Not: "not",
    ast.Invert: "~",
}

# What a learner would call each refused kind of syntax (the verb is included
# so that the message reads as a sentence).
_REFUSED: dict[type, str] = {
    ast.Attribute: "attribute access is",
    ast.Subscript: "indexing is",
    ast.Slice: "slicing is",
    ast.Compare: "a comparison is",
    ast.BoolOp: "`and`/`or` is",
    ast.IfExp: "a conditional expression (if/else) is",
    ast.Lambda: "a lambda is",
    ast.NamedExpr: "an assignment (:=) is",
    ast.List: "a list is",
    ast.Tuple: "a tuple is",
    ast.Set: "a set is",
    ast.Dict: "a dict is",
    ast.ListComp: "a comprehension is",
    ast.SetComp: "a comprehension is",
    ast.DictComp: "a comprehension is",
    ast.GeneratorExp: "a generator expression is",
    ast.JoinedStr: "an f-string is",
    ast.FormattedValue: "an f-string is",
    ast.Starred: "a starred argument is",
    ast.Await: "`await` is",
    ast.Yield: "`yield` is",
    ast.YieldFrom: "`yield` is",
}

_LONG_NUMBER = re.compile(rf"(?<![\w.])[0-9][0-9_]{{{MAX_DIGITS - 1},}}")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def parse(text: str, /, **values: Any) -> Value:
    """Build a Value graph from an expression written as text.

    >>> y = parse("sigmoid(w*x + b)", w=0.5, x=2.0, b=-1.0)
    >>> y.data
    0.5

    Each name becomes one leaf Value labelled with that name (``x*x`` uses the
    same leaf twice, so its gradient is 2x). A value may also be a Value, which
    is then used as it is, so the result joins an existing graph.

    Raises :class:`ParseError` for text that is not a whitelisted expression,
    for a name without a value, and for text beyond the limits; the message
    names the offending piece and its column (1-based). Domain errors of the
    engine (``log(-1)``, ``1/0``) propagate as :class:`DomainError`.
    """
    source = Source(text)
    tree = source.checked_tree()
    lookup = _normalized_keys(values)
    missing = [(name, where) for name, where in tree.names.items() if name not in lookup]
    if missing:
        problem, hint = _missing_message(missing, known=sorted(values))
        raise MissingValueError(problem, missing=tuple(name for name, _ in missing), hint=hint)
    leaves: dict[str, Value] = {}

    def leaf(name: str) -> Value:
        if name not in leaves:
            key = lookup[name]
            given = values[key]
            leaves[name] = given if isinstance(given, Value) else Value(given, label=key)
        return leaves[name]

    return tree.build(leaf)


def _normalized_keys(values: Mapping[str, Any]) -> dict[str, str]:
    """name as the parser reads it -> key as the caller wrote it.

    Python's parser normalizes identifiers to NFKC (``ｘ`` is read as ``x``),
    so a key is found under its normalized form too.
    """
    lookup = {unicodedata.normalize("NFKC", key): key for key in values}
    lookup.update({key: key for key in values})
    return lookup


def _missing_message(missing: list[tuple[str, str]], known: list[str]) -> tuple[str, str]:
    """The problem (which names, where, what was given) and the advice for Python code."""
    pieces = ", ".join(f"`{name}` at {where}" for name, where in missing)
    given = ", ".join(known) if known else "none"
    first = missing[0][0]
    hint = f"give it as parse(text, {first}=...)" if first.isidentifier() else "give a value for it"
    noun = "a name" if len(missing) == 1 else "names"
    return f"no value for {noun}: {pieces} (values given: {given})", hint


class Source:
    """The text of one expression, with what is needed to report positions.

    Columns are 1-based and count characters (the parser counts UTF-8 bytes).
    """

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise WrongTypeError(
                f"parse needs the expression as a str, got {type(text).__name__} {text!r:.60}"
            )
        self.text = text
        # Like eval(), ignore leading spaces and tabs (ast.parse would call them
        # an indentation error); columns on the first line are shifted back.
        self.code = text.lstrip(" \t")
        self.indent = len(text) - len(self.code)
        self.lines = _LINE_BREAK.split(self.code)

    # -- positions --------------------------------------------------------------

    def where(self, line: int, column: int) -> str:
        """Where a position is: ``column 7``, or ``line 2, column 3`` in text of several lines."""
        if line == 1:
            column += self.indent
        return f"column {column}" if len(self.lines) == 1 else f"line {line}, column {column}"

    def where_node(self, node: ast.AST) -> str:
        line = getattr(node, "lineno", 1)
        byte_offset = getattr(node, "col_offset", 0)
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        column = len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")) + 1
        return self.where(line, column)

    def piece(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.code, node) or ""
        return _shorten(segment)

    def refuse(self, what: str, node: ast.AST) -> ParseError:
        return ParseError(f"{what}: `{self.piece(node)}` at {self.where_node(node)}")

    def refuse_operator(self, what: str, node: ast.BinOp) -> ParseError:
        """:meth:`refuse` for a binary operator, at the column of the operator itself
        (``3*x^2`` points at the ``^``, not at the ``3`` where the expression starts)
        and quotes the operator alone."""
        symbol = _OPERATOR_SYMBOLS[type(node.op)].encode("utf-8")
        line = getattr(node.left, "end_lineno", None) or 1
        start = getattr(node.left, "end_col_offset", None) or 0
        text = self.lines[line - 1].encode("utf-8") if 0 < line <= len(self.lines) else b""
        found = text.find(symbol, start)
        if line != getattr(node.right, "lineno", line) or found < 0:
            return self.refuse(what, node)  # the operator is on another line: point at the expression
        column = len(text[:found].decode("utf-8", errors="ignore")) + 1
        return ParseError(f"{what}: `{symbol.decode('utf-8')}` at {self.where(line, column)}")

    # -- reading ----------------------------------------------------------------

    def checked_tree(self, *, dotted_names: bool = False) -> CheckedTree:
        """Parse the text and check every node against the whitelist.

        With ``dotted_names`` a chain like ``L1.N0.w1`` is read as one name
        (for labels with a name scope); otherwise it is attribute access.
        """
        tree = self._syntax_tree()
        return CheckedTree(self, tree.body, dotted_names)

    def _syntax_tree(self) -> ast.Expression:
        text = self.text
        if len(text) > MAX_LENGTH:
            raise ParseError(
                f"the expression is too long: {len(text)} characters (the limit is {MAX_LENGTH}): "
                f"`{_shorten(text)}` at column 1"
            )
        if "\0" in text:
            column = text.index("\0") + 1
            raise ParseError(f"a null character is not allowed: `\\0` at column {column}")
        long_number = _LONG_NUMBER.search(self.code)
        if long_number:
            line, column = self._position_of(long_number.start())
            raise ParseError(
                f"a number has more than {MAX_DIGITS} digits: `{_shorten(long_number.group())}` "
                f"at {self.where(line, column)}"
            )
        try:
            with warnings.catch_warnings():
                # e.g. invalid escape sequences in strings, refused anyway
                warnings.simplefilter("ignore")
                return ast.parse(self.code, mode="eval")
        except SyntaxError as exc:
            raise self._syntax_error(exc) from None
        except (RecursionError, MemoryError):
            raise ParseError(
                f"the expression is nested too deeply for Python's parser (the limit here is "
                f"{MAX_DEPTH} levels): `{_shorten(text)}` at column 1"
            ) from None
        except (ValueError, OverflowError) as exc:  # a literal the parser cannot hold
            raise ParseError(f"cannot read the expression ({exc}): `{_shorten(text)}` at column 1") from None

    def _position_of(self, index: int) -> tuple[int, int]:
        """(line, column) of a character index of ``self.code``."""
        before = self.code[:index]
        breaks = list(_LINE_BREAK.finditer(before))
        if not breaks:
            return 1, index + 1
        return len(breaks) + 1, index - breaks[-1].end() + 1

    def _syntax_error(self, exc: SyntaxError) -> ParseError:
        line = exc.lineno or 1
        column = exc.offset or 1
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else self.code
        column = max(1, min(column, len(text) + 1))
        start = max(0, column - 30)
        window = text[start : column + 30]
        caret = " " * (column - 1 - start) + "^"
        piece = _shorten(text[column - 1 : column + 19].rstrip() or text)
        return ParseError(
            f"syntax error ({exc.msg}): `{piece}` at {self.where(line, column)}\n    {window}\n    {caret}"
        )


def _shorten(text: str, limit: int = 40) -> str:
    text = text.replace("\n", "⏎")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class CheckedTree:
    """A syntax tree that passed every check, ready to become Values.

    ``names`` maps each name the expression uses to where it first occurs.
    """

    def __init__(self, source: Source, body: ast.expr, dotted_names: bool) -> None:
        self.source = source
        self.body = body
        self.dotted_names = dotted_names
        self.names: dict[str, str] = {}
        self.numbers: dict[ast.AST, float] = {}
        self._conditions: set[int] = set()  # the comparisons that are the first argument of a where()
        self._check()

    # -- checking ---------------------------------------------------------------

    def _check(self) -> None:
        """Walk the tree (depth first, left to right, with an explicit stack)
        and refuse the first node that is not whitelisted or too deep."""
        source = self.source
        stack: list[tuple[ast.AST, int]] = [(self.body, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise source.refuse(f"the expression is nested more than {MAX_DEPTH} levels deep", node)
            children = self._check_node(node)
            stack.extend((child, depth + 1) for child in reversed(children))

    def _check_node(self, node: ast.AST) -> list[ast.AST]:
        """Refuse ``node`` or return the children to check next."""
        source = self.source
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                raise source.refuse(_constant_complaint(node.value), node)
            self.numbers[node] = self._number(node)
            return []
        if isinstance(node, ast.Name):
            self.names.setdefault(node.id, source.where_node(node))
            return []
        dotted = self._dotted_name(node)
        if dotted is not None:
            self.names.setdefault(dotted, source.where_node(node))
            return []
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.BitXor):
                raise source.refuse_operator(
                    "this operator is not a power here (as in Python; write `**` for a power)", node
                )
            if type(node.op) not in _BINARY:
                raise source.refuse_operator("this operator is not allowed", node)
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise source.refuse(f"the operator `{_OPERATOR_SYMBOLS[type(node.op)]}` is not allowed", node)
            return [node.operand]
        if isinstance(node, ast.Call):
            return self._check_call(node)
        if isinstance(node, ast.Compare) and id(node) in self._conditions:
            if len(node.ops) != 1:
                raise source.refuse("compare two things at a time (no chains such as 0 < x < 1)", node)
            return [node.left, *node.comparators]
        what = _REFUSED.get(type(node), f"this kind of expression ({type(node).__name__}) is")
        raise source.refuse(f"{what} not allowed", node)

    def _check_call(self, node: ast.Call) -> list[ast.AST]:
        source = self.source
        if not isinstance(node.func, ast.Name):
            raise source.refuse(f"only the engine's functions can be called ({_function_names()})", node)
        name = node.func.id
        if node.keywords:
            raise source.refuse("keyword arguments are not allowed", node.keywords[0])
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise source.refuse("a starred argument is not allowed", arg)
        if name == "where":
            if len(node.args) != 3:
                raise source.refuse(f"where takes 3 arguments (condition, a, b), got {len(node.args)}", node)
            if not isinstance(node.args[0], ast.Compare):
                raise source.refuse("the condition of where must be a comparison such as x > 0", node.args[0])
            self._conditions.add(id(node.args[0]))
            return list(node.args)
        op = callable_ops().get(name)
        if op is None:
            raise source.refuse(f"unknown function `{name}` (known: {_function_names()})", node)
        given = len(node.args)
        if op.variadic:
            if given < 1:
                raise source.refuse(f"{name} takes at least 1 argument", node)
        else:
            inputs, optional = len(op.inputs), len(op.param_defaults)
            least, most = inputs + len(op.params) - optional, inputs + len(op.params)
            if not least <= given <= most:
                wanted = ", ".join([*op.inputs, *op.params])
                count = (
                    str(most)
                    if least == most
                    else f"{least} or {most}"
                    if most - least == 1
                    else f"{least} to {most}"
                )
                plural = "s" if most != 1 else ""
                raise source.refuse(
                    f"{name} takes {count} argument{plural}, got {given}: {name}({wanted})", node
                )
        return list(node.args)

    def _number(self, literal: ast.Constant) -> float:
        try:
            number = float(literal.value)
        except OverflowError:
            raise self.source.refuse("the number is too large for a float", literal) from None
        if number - number != 0.0:
            raise self.source.refuse("a number must be finite", literal)
        return number

    def _dotted_name(self, node: ast.AST) -> str | None:
        """``a.b.c`` as one name, when dotted names are allowed."""
        if not (self.dotted_names and isinstance(node, ast.Attribute)):
            return None
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(node.id)
        return ".".join(reversed(parts))

    # -- building ---------------------------------------------------------------

    def build(self, leaf: Callable[[str], Value]) -> Value:
        """Turn the tree into Values, children before parents (post-order,
        with an explicit stack). ``leaf(name)`` gives the Value of a name.

        A part without names (``2 * 3``, ``1/100``) stays a number, as it does
        in Python: so ``x ** (1/2)`` has a number exponent and ``2 * 3 * x``
        multiplies x by the constant 6.
        """
        results: list[Any] = []
        # (node, state): 0 not started, 1 operands on `results`, 2 the condition of a where decided
        stack: list[tuple[ast.AST, int]] = [(self.body, 0)]
        while stack:
            node, state = stack.pop()
            if node in self.numbers:
                results.append(self.numbers[node])
            elif isinstance(node, ast.Name):
                results.append(leaf(node.id))
            elif isinstance(node, ast.Attribute):  # a dotted name (checked above)
                results.append(leaf(self._dotted_name(node) or ""))
            elif _is_where(node) and state == 0:  # the condition first, then only the branch it picks
                stack.append((node, 2))
                stack.append((node.args[0], 0))  # type: ignore[attr-defined]
            elif state == 2:
                holds = results.pop()
                stack.append((node.args[1] if holds else node.args[2], 0))  # type: ignore[attr-defined]
            elif state == 0:
                stack.append((node, 1))
                stack.extend((child, 0) for child in reversed(_operands(node)))
            else:
                count = len(_operands(node))
                args = results[len(results) - count :]
                del results[len(results) - count :]
                results.append(self._apply(node, args))
        (result,) = results
        return result if isinstance(result, Value) else constant(result)

    def _apply(self, node: ast.AST, args: list[Any]) -> Any:
        if isinstance(node, ast.Compare):
            return _COMPARE[type(node.ops[0])](_number(args[0]), _number(args[1]))
        if isinstance(node, ast.Call):
            return self._call(node, args)
        number_exponent = (
            isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and not isinstance(args[1], Value)
        )
        if number_exponent and abs(args[1]) > MAX_EXPONENT:
            raise self.source.refuse(
                f"the exponent is too large (the limit is {MAX_EXPONENT:g} in magnitude)", node.right
            )
        if any(isinstance(a, Value) for a in args):
            return _rule(node, args)
        # Compute a part without names with the engine (so that its domain
        # errors read the same), then keep only the number.
        with no_grad():
            return _rule(node, [constant(args[0]), *args[1:]]).data

    def _call(self, node: ast.Call, args: list[Any]) -> Any:
        """An op called by name: its inputs, then its number parameters (the
        missing ones take their defaults). On numbers alone, a number."""
        op = OPS[node.func.id]  # type: ignore[attr-defined]
        n = len(args) if op.variadic else len(op.inputs)
        params = args[n:]
        for position, p in enumerate(params):
            if isinstance(p, Value):
                name = op.params[position]
                raise self.source.refuse(
                    f"the {name} of {op.name} must be a number (an expression without names)",
                    node.args[n + position],
                )
        missing = len(op.params) - len(params)
        params += list(op.param_defaults[len(op.param_defaults) - missing :]) if missing else []
        return op.function(*args[:n], *params)


def _is_where(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "where"


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _operands(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Compare):
        return [node.left, *node.comparators]
    assert isinstance(node, ast.Call)
    return list(node.args)


def _rule(node: ast.AST, args: list[Any]) -> Any:
    """Apply the operator of ``node`` to ``args`` (the first one a Value
    when only numbers are involved, so that the engine computes it)."""
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)][1](args[0], args[1])
    assert isinstance(node, ast.UnaryOp)
    return _UNARY[type(node.op)](args[0])


def _constant_complaint(value: Any) -> str:
    if isinstance(value, bool):
        return "True and False are not numbers here; write 1 or 0"
    if isinstance(value, str):
        return "a string is not allowed"
    if isinstance(value, bytes):
        return "bytes are not allowed"
    if isinstance(value, complex):
        return "a complex number is not allowed"
    if value is None:
        return "None is not allowed"
    return f"the constant {value!r:.20} is not allowed"


__all__ = ["MAX_DEPTH", "MAX_EXPONENT", "MAX_LENGTH", "callable_ops", "parse"]
