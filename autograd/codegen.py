"""Writing a traced graph as Python: forward one line per node, backward one
line per edge.

For every op node the code comes from the op table's own rules
(:meth:`autograd.rules.Op.expressions`), with the node's operands put in
place of the rule's symbols: a variable ``vK`` for node K, a number for a
constant, the number of a parameter such as the exponent of ``x ** 2``.
Backward adds ``g_input = g_node · ∂node/∂input`` for each edge, in reverse
topological order; the first contribution to a gradient assigns, later ones
add. Nothing here knows any particular op.

The same generator writes three forms of one function: over floats (one
sample), over NumPy arrays (one element per sample; ``where`` for a choice),
and a loop over samples that sums parameter gradients.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from autograd.errors import InvalidArgumentError
from autograd.expressions import Expr, depth, fold, num, substitute, var, variables
from autograd.notation import python_code
from autograd.rules import OUT, input_key, param_key
from autograd.tracing import TracedNode
from autograd.value import OPS

MAX_EXPRESSION_DEPTH = 90
"""Deeper expressions (the sum of thousands of inputs) are split over several
lines: CPython's own compiler recurses once per level."""


def lit(x: float) -> str:
    """A float as a Python literal that reads back exactly; negative ones in
    parentheses, so ``v ** lit(-2.0)`` is ``v ** (-2.0)``."""
    if x - x != 0.0:
        raise InvalidArgumentError(f"cannot write {x!r} into compiled code: only finite numbers")
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


class _Names(dict):  # type: ignore[type-arg]
    """How code names a symbol: node K is ``vK``, its gradient ``gK``, a temporary itself."""

    def __missing__(self, key: Any) -> str:
        if isinstance(key, int):
            return f"v{key}"
        kind, k = key
        return f"g{k}" if kind == "grad" else str(k)


def node_expressions(nodes: Sequence[TracedNode], k: int) -> tuple[Expr, tuple[Expr, ...], Expr | None]:
    """Node k's forward rule, local derivatives and domain condition, over the
    traced graph: ``var(i)`` stands for node i, constants and parameters are numbers."""
    node = nodes[k]
    op = OPS[node.op]
    forward, locals_ = op.expressions(len(node.inputs))
    replacements: dict[Any, Expr] = {}
    for position, i in enumerate(node.inputs):
        source = nodes[i]
        replacements[input_key(position)] = num(source.data) if source.kind == "const" else var(i)
    for j, p in enumerate(node.params):
        replacements[param_key(j)] = num(p)
    replacements[OUT] = var(k)
    domain = substitute(op.domain_rule, replacements) if op.domain_rule is not None else None
    return (
        substitute(forward, replacements),
        tuple(substitute(d, replacements) for d in locals_),
        domain,
    )


def _inside_where(expr: Expr) -> set[int]:
    """The ids of the sub-expressions inside a branch of a ``where``: computed
    only when their branch is taken, so never moved to a line of their own."""
    found: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        e, inside = stack.pop()
        if inside:
            found.add(id(e))
        branch = inside or e.kind == "where"
        stack.extend((a, branch) for a in e.args if isinstance(a, Expr))
    return found


def may_overflow(expr: Expr) -> bool:
    """True when plain float arithmetic in ``expr`` can turn finite numbers into
    inf without raising (``1e200 * 1e200``); functions such as exp raise instead."""
    stack = [expr]
    while stack:
        e = stack.pop()
        if e.kind in ("add", "sub", "mul", "div"):
            return True
        stack.extend(a for a in e.args if isinstance(a, Expr))
    return False


def _comment(text: str) -> str:
    """Text for a comment, on one line: labels arrive here already escaped by
    repr() (which escapes \\n, \\r, U+2028, U+0085, U+202E and every other
    character that could end the line or hide text); anything else that is not
    printable is escaped again, to be sure."""
    return text if text.isprintable() else ascii(text)


def _name(node: TracedNode, k: int) -> str:
    """How comments call node k: its label (repr-escaped, cut when long) or its variable."""
    if node.label:
        label = node.label if len(node.label) <= 40 else node.label[:40] + "…"
        return repr(label)
    return f"v{k}"


def _tuple(names: Sequence[str]) -> str:
    """Python's tuple display: ``()``, ``(a,)``, ``(a, b)``."""
    return f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"


class LineInfo(NamedTuple):
    node: int  # the node whose forward rule, or local derivative, this line computes
    phase: str  # "forward", "check" or "backward"
    code: str  # the line without its comment


@dataclass
class Variant:
    """One generated function and what is needed to explain its failures."""

    source: str
    function_name: str
    lines: dict[int, LineInfo]  # line number -> what it computes
    checked: tuple[int, ...]  # nodes whose value the code checks for inf / NaN
    param_is_array: tuple[bool, ...] = ()  # NumPy form: gradients that vary per sample
    function: Callable[..., Any] | None = field(default=None, repr=False)


class Generator:
    """Writes one form of the compiled function, section by section.

    numpy: expressions over arrays (one element per sample) instead of floats.
    loop: a loop over samples that sums the parameter gradients (floats only).
    arg_grads: also compute ∂out/∂argument (training needs only parameters).
    """

    def __init__(
        self, nodes: Sequence[TracedNode], n_args: int, n_params: int, numpy: bool, loop: bool
    ) -> None:
        self.nodes = nodes
        self.numpy = numpy
        self.loop = loop
        self.indent = 2 if loop else 1
        self.lines: list[str] = []
        self.info: dict[int, LineInfo] = {}
        self.names = _Names()
        # constants are written as numbers, every other node is a variable named after its position
        self.operand = [f"v{k}" if node.kind != "const" else lit(node.data) for k, node in enumerate(nodes)]
        self.arg_node: list[int | None] = [None] * n_args
        self.param_node: list[int | None] = [None] * n_params
        for k, node in enumerate(nodes):
            if node.kind == "arg":
                self.arg_node[node.slot] = k
            elif node.kind == "param":
                self.param_node[node.slot] = k

    def add(self, code: str, indent: int, comment: str = "", node: int = -1, phase: str = "") -> None:
        self.lines.append("    " * indent + code + (f"  # {_comment(comment)}" if comment else ""))
        if node >= 0:
            self.info[len(self.lines)] = LineInfo(node, phase, code)

    def rows(self, names: Sequence[str], indent: int) -> None:
        for start in range(0, len(names), 8):
            self.add(", ".join(names[start : start + 8]) + ",", indent)

    def write(self, arg_grads: bool, grads: bool = True) -> Variant:
        nodes = self.nodes
        # needed[k]: node k leads to a gradient someone asked for; only those get backward lines
        # (none at all for the forward-only form, grads=False)
        needed = [False] * len(nodes)
        for k, node in enumerate(nodes):
            if not grads:
                break
            if node.kind == "op":
                needed[k] = any(needed[i] for i in node.inputs)
            else:
                needed[k] = node.kind == "param" or (node.kind == "arg" and arg_grads)
        self.header(arg_grads)
        self.forward()
        checked = () if self.numpy else self.checks()
        grad_is_array = self.backward(needed)
        self.results(needed, arg_grads)
        return Variant(
            source="\n".join(self.lines) + "\n",
            function_name="forward_backward_batch" if self.loop else "forward_backward",
            lines=self.info,
            checked=checked,
            param_is_array=tuple(k is not None and grad_is_array[k] for k in self.param_node),
        )

    def header(self, arg_grads: bool) -> None:
        """def line; which variable is which argument and parameter; unpacking."""
        nodes, loop = self.nodes, self.loop
        arguments = [
            f"column{i}" if loop else (f"v{k}" if k is not None else f"unused{i}")
            for i, k in enumerate(self.arg_node)
        ]
        name = "forward_backward_batch" if loop else "forward_backward"
        self.add(f"def {name}({', '.join([*arguments, 'params'])}):", 0)
        self.add("# Generated by autograd.compile: forward pass, then the chain rule edge by edge.", 1)
        for what, slots in (("argument", self.arg_node), ("parameter", self.param_node)):
            for i, k in enumerate(slots):
                if k is not None:
                    label = nodes[k].label and " " + _name(nodes[k], k)
                    self.add(f"# {_comment(f'v{k} = {what} {i}{label}')}", 1)
        if self.param_node:
            unpacked = [f"v{k}" if k is not None else "_" for k in self.param_node]
            if len(unpacked) <= 8:
                self.add(f"{_tuple(unpacked)} = params", 1)
            else:
                self.add("(", 1)
                self.rows(unpacked, 2)
                self.add(") = params", 1)
        if loop:
            sums = [f"g{k}" for k in self.param_node if k is not None]
            for start in range(0, len(sums), 12):
                self.add(" = ".join(sums[start : start + 12]) + " = 0.0", 1, "sums over the samples")
            self.add("values = []", 1)
            self.add("add_value = values.append", 1)
            if arg_grads:
                for i in range(len(self.arg_node)):
                    self.add(f"arg_grads{i} = []", 1)
                    self.add(f"add_arg_grad{i} = arg_grads{i}.append", 1)
            targets = [f"v{k}" if k is not None else "_" for k in self.arg_node]
            self.add(f"for {', '.join(targets)}, in zip({', '.join(arguments)}):", 1)

    def forward(self) -> None:
        """One line per op node: its forward rule from the op table."""
        self.add("# forward: one line per node, inputs before the nodes that use them", self.indent)
        for k, node in enumerate(self.nodes):
            if node.kind != "op":
                continue
            forward, _, domain = node_expressions(self.nodes, k)
            comment = node.label and _name(node, k)
            code = self.code(forward, k, "forward", comment)
            if domain is not None:  # a condition Python would not check itself
                condition = self.code(domain, k, "forward", comment)
                condition = f"all({condition})" if self.numpy else condition
                code = f"{code} if {condition} else domain_error()"
            self.add(f"v{k} = {code}", self.indent, comment, k, "forward")

    def code(self, expr: Expr, k: int, phase: str, comment: str) -> str:
        """``expr`` as code; an expression too deep for one line (a sum of
        thousands of terms) is computed part by part into temporaries first."""
        if depth(expr) <= MAX_EXPRESSION_DEPTH:
            return python_code(expr, self.names, self.numpy)
        lazy = _inside_where(expr)
        count = 0

        def combine(e: Expr, parts: list[tuple[Expr, int]]) -> tuple[Expr, int]:
            nonlocal count
            head = e.args[:1] if e.kind in ("call", "cmp") else ()
            rebuilt = Expr(e.kind, (*head, *[p[0] for p in parts]))
            levels = 1 + max(p[1] for p in parts)
            if levels < MAX_EXPRESSION_DEPTH or id(e) in lazy:
                return rebuilt, levels
            count += 1
            temporary = ("temp", f"t{k}_{count}")
            self.add(
                f"t{k}_{count} = {python_code(rebuilt, self.names, self.numpy)}",
                self.indent,
                comment,
                k,
                phase,
            )
            return var(temporary), 1

        spilled, _ = fold(expr, combine, lambda e: (e, 1))
        return python_code(spilled, self.names, self.numpy)

    def checks(self) -> tuple[int, ...]:
        """Float arithmetic overflows to inf without an exception; the engine
        checks every node, so check the nodes that can (v - v is 0 unless v is
        inf or NaN)."""
        checked = tuple(
            k
            for k, n in enumerate(self.nodes)
            if n.kind == "op" and may_overflow(node_expressions(self.nodes, k)[0])
        )
        for start in range(0, len(checked), 8):
            terms = " + ".join(f"v{k} - v{k}" for k in checked[start : start + 8])
            why = "inf or NaN: stop, as the engine does"
            self.add(f"if {terms} != 0.0: not_finite()", self.indent, why, checked[start], "check")
        return checked

    def backward(self, needed: Sequence[bool]) -> list[bool]:
        """g_out = 1, then one line per edge, in reverse topological order:
        g_input += g_node · ∂node/∂input. Returns which gradients are arrays
        (NumPy form)."""
        nodes, root = self.nodes, len(self.nodes) - 1
        self.add("# backward: one line per edge, gN = ∂out/∂vN", self.indent)
        is_array = [False] * len(nodes)  # NumPy form: the value varies per sample
        for k, node in enumerate(nodes):
            is_array[k] = node.kind == "arg" or any(is_array[i] for i in node.inputs)
        grad_is_array = [False] * len(nodes)
        assigned: set[int] = set()
        if needed[root]:
            self.contribute(root, "1.0", False, "", -1, assigned)
        for u in reversed(range(len(nodes))):
            node = nodes[u]
            if node.kind != "op" or not needed[u]:
                continue
            _, locals_, _ = node_expressions(nodes, u)
            for i, local in zip(node.inputs, locals_):
                if not needed[i]:
                    continue
                comment = f"{node.op}: ∂{_name(node, u)}/∂{_name(nodes[i], i)}"
                if local.kind == "num" and local.args[0] in (1.0, -1.0):
                    term, negate = f"g{u}", local.args[0] == -1.0
                else:
                    product = Expr("mul", (var(("grad", u)), local))
                    term, negate = self.code(product, u, "backward", comment), False
                local_is_array = any(isinstance(v, int) and is_array[v] for v in variables(local))
                grad_is_array[i] = grad_is_array[i] or grad_is_array[u] or local_is_array
                self.contribute(i, term, negate, comment, u, assigned)
        return grad_is_array

    def contribute(
        self, target: int, term: str, negate: bool, comment: str, node: int, assigned: set[int]
    ) -> None:
        """The first contribution to a gradient assigns, the later ones add
        (in the loop form, parameter gradients always add: they sum over samples)."""
        accumulate = target in assigned or (self.loop and self.nodes[target].kind == "param")
        g = f"g{target}"
        if not accumulate:
            code = f"{g} = -{term}" if negate else f"{g} = {term}"
        elif self.numpy:  # never `+=` on arrays: g may be the same array object as another gradient
            code = f"{g} = {g} {'-' if negate else '+'} {term}"
        else:
            code = f"{g} {'-' if negate else '+'}= {term}"
        self.add(code, self.indent, comment, node, "backward")
        assigned.add(target)

    def results(self, needed: Sequence[bool], arg_grads: bool) -> None:
        """return value, (∂out/∂arguments), (∂out/∂parameters)."""
        root = len(self.nodes) - 1

        def grad_of(k: int | None) -> str:
            return f"g{k}" if k is not None and needed[k] else "0.0"

        if self.loop:
            self.add(f"add_value({self.operand[root]})", self.indent)
            if arg_grads:
                for i, k in enumerate(self.arg_node):
                    self.add(f"add_arg_grad{i}({grad_of(k)})", self.indent)
            value = "values"
            arg_results = [f"arg_grads{i}" for i in range(len(self.arg_node))] if arg_grads else []
        else:
            value = self.operand[root]
            arg_results = [grad_of(k) for k in self.arg_node] if arg_grads else []
        param_results = [grad_of(k) for k in self.param_node]
        one_line = f"return {value}, {_tuple(arg_results)}, {_tuple(param_results)}"
        if len(one_line) <= 100:
            self.add(one_line, 1)
        else:
            self.add(f"return {value}, (", 1)
            self.rows(arg_results, 2)
            self.add("), (", 1)
            self.rows(param_results, 2)
            self.add(")", 1)


__all__ = [
    "MAX_EXPRESSION_DEPTH",
    "Generator",
    "LineInfo",
    "Variant",
    "lit",
    "may_overflow",
    "node_expressions",
]
