"""From a rule written once to everything that reads it: :func:`define_op`.

An op is defined by two Python functions:

* ``forward(x1, ..., xn)``: the output from the inputs;
* ``local(x1, ..., xn)``: the local derivative ∂out/∂xi of each input (a
  tuple, or one expression for one input). It may also take ``out``, the
  output, by that name: ``lambda x, out: 1 - out * out`` for tanh.

Both are written with arithmetic and the functions of
:mod:`autograd.functions`. :func:`define_op` runs them once on symbols
(:mod:`autograd.expressions`) and checks the result; from then on

* floats: the rules are compiled into small Python functions, and every new
  node stores their numbers (the engine's hot path never touches symbols);
* Values: :func:`autograd.grad` evaluates the recorded rule on Values for
  higher-order derivatives;
* code, text and LaTeX: :mod:`autograd.notation` writes the recorded rule
  for ``compile``, ``explain``, stepping and drawing.

Ops may have number parameters that are not inputs (the ``n`` of ``x ** n``,
a slope): name them in ``params``; the rules receive them after the inputs.
A variadic op (``sum``, ``linear``) receives its inputs as one tuple.
"""

from __future__ import annotations

import builtins
import inspect
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from autograd import notation
from autograd.errors import DomainError, WrongTypeError
from autograd.expressions import (
    Expr,
    RuleError,
    call,
    evaluate,
    fold_numbers,
    function_names,
    num,
    simplify,
    substitute,
    var,
)
from autograd.functions import FLOAT_FUNCTIONS, NAMES
from autograd.value import (
    OPS,
    InfiniteDerivative,
    Value,
    apply_op,
    constant,
    is_grad_enabled,
    make_leaf,
    make_node,
)

MAX_SPECIALIZED = 256
"""Parameter values (exponents, slopes) an op gets float functions written for."""

OUT = "out"
"""The key of the symbol that stands for the op's output in a local rule."""


def input_key(i: int) -> tuple[str, int]:
    """The key of the symbol for input i (from 0)."""
    return ("input", i)


def param_key(j: int) -> tuple[str, int]:
    """The key of the symbol for number parameter j (from 0)."""
    return ("param", j)


class _OutsideDomain(DomainError):
    """Raised by generated float code when a domain guard fails (and turned
    into a DomainError that names the op and its inputs)."""


def _outside() -> float:
    raise _OutsideDomain


class Op:
    """One op: its rules as written, as expressions, and as float functions.

    name:      what ``Value.op`` holds and what graphs show (``"tanh"``, ``"+"``)
    param_defaults: values of the last parameters when a text leaves them out
    as_call:   whether a node is written as a call (``relu(z)``) or as its rule
               (``x / y``, ``a^b``): named ops are calls unless they say otherwise
    inputs:    the rule's names for its inputs (``("a", "b")``); ``("xs",)`` if variadic
    params:    names of number parameters that are not inputs (``("n",)`` for ``x ** n``)
    variadic:  True when the op takes any number of inputs, as one tuple
    math:      the rules as text, for docstrings and help
    domain:    where the op is defined, as text over the input names (``"b ≠ 0"``)
    function:  the function :func:`define_op` returned: applies the op to
               numbers (a float), Values (a node) or symbols (a recorded call)
    """

    def __init__(
        self,
        name: str,
        forward: Callable[..., Any],
        local: Callable[..., Any],
        *,
        params: Sequence[str],
        domain: str | Callable[..., Any] | None,
        variadic: bool,
        example: Sequence[str] | None,
        math_text: str | None,
        defaults: Sequence[float] = (),
        as_call: bool | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        self.local = local
        self.params = tuple(params)
        self.param_defaults: tuple[float, ...] = tuple(defaults)
        if len(self.param_defaults) > len(self.params):
            raise RuleError(f"op {name!r}: more defaults than parameters")
        self.variadic = variadic
        self.as_call = as_call if as_call is not None else name.isidentifier() and not variadic
        self._cache: dict[int, tuple[Expr, tuple[Expr, ...]]] = {}
        self.inputs, self.local_takes_out = _signature(name, forward, local, self.params, variadic)
        self.arity: int | None = None if variadic else len(self.inputs)
        self.domain_rule: Expr | None = None
        if callable(domain):
            self.domain_rule = _trace_domain(self, domain)
            domain = notation.plain_text(self.domain_rule, self._rule_names(len(self.inputs)))
        self.domain = domain or ""
        self.example = tuple(example) if example else ("x1", "x2", "x3")
        self.math = math_text or self._describe()
        self._numpy_forward: Callable[..., Any] | None = None
        self.specialized: dict[tuple[float, ...], tuple[Callable[..., Any], Callable[..., Any]]] = {}
        self.function: Callable[..., Any] = _public_function(self)
        if variadic:
            self.expressions(len(self.example))  # checks the rules once
            self.float_forward, self.float_rule = _variadic_float_functions(self)
            self.float_locals: tuple[Callable[..., Any], ...] = ()
        else:
            self.float_forward, self.float_rule, self.float_locals = _float_functions(self)

    def __repr__(self) -> str:
        return f"<op {self.name}: {self.math}>"

    # -- the rules as expressions ----------------------------------------------------

    def expressions(self, n_inputs: int | None = None) -> tuple[Expr, tuple[Expr, ...]]:
        """The forward rule and the local derivatives, as expressions over
        ``input_key(i)``, ``param_key(j)`` and ``OUT``. A variadic op needs
        the number of inputs; its expressions are made once per number."""
        n = self.arity if self.arity is not None else n_inputs
        if n is None:
            raise WrongTypeError(f"op {self.name!r} takes any number of inputs: say how many")
        found = self._cache.get(n)
        if found is None:
            found = _trace(self, n)
            self._cache[n] = found
        return found

    def _rule_names(self, n: int) -> dict[Any, str]:
        """The rule's own names for its symbols, for text about the rule."""
        if self.variadic:
            inputs = list(self.example) if n == len(self.example) else [f"x{i + 1}" for i in range(n)]
        else:
            inputs = list(self.inputs)
        names: dict[Any, str] = {input_key(i): inputs[i] for i in range(n)}
        names.update({param_key(j): p for j, p in enumerate(self.params)})
        names[OUT] = OUT
        return names

    def _describe(self) -> str:
        n = len(self.example) if self.variadic else len(self.inputs)
        forward, locals_ = self.expressions(n)
        names = self._rule_names(n)
        text = f"out = {notation.plain_text(simplify(forward), names)}"
        parts = [
            f"∂out/∂{names[input_key(i)]} = {notation.plain_text(simplify(d), names)}"
            for i, d in enumerate(locals_)
        ]
        shown = " (shown for these inputs; any number works)" if self.variadic else ""
        return f"{text};  {', '.join(parts)}{shown}"

    def rules_for(self, params: tuple[float, ...]) -> tuple[Callable[..., Any], Callable[..., Any]]:
        """``forward(*inputs)`` and ``rule(*inputs)`` for these parameter values,
        generated once per value (up to :data:`MAX_SPECIALIZED` of them)."""
        found = self.specialized.get(params)
        if found is None:
            if len(self.specialized) < MAX_SPECIALIZED:
                forward, rule, _ = _float_functions(self, params)
            else:
                generic_forward, generic_rule = self.float_forward, self.float_rule
                forward = lambda *xs: generic_forward(*xs, *params)
                rule = lambda *xs: generic_rule(*xs, *params)
            found = self.specialized[params] = (forward, rule)
        return found

    def failed(self, inputs: tuple[Value, ...], params: tuple[float, ...]) -> Value:
        """The slow path of applying the op (see :func:`failed_apply`)."""
        return failed_apply(self, inputs, params)

    # -- errors -------------------------------------------------------------------------

    def domain_error(
        self, inputs: Sequence[Value], params: Sequence[float], exc: BaseException | None
    ) -> DomainError:
        """The error for the op applied where it is not defined: the op, each
        input as ``label=value`` (the rule's own name when it has no label),
        and the rule that was broken, in those same names."""
        names = [v.label or self._input_name(i, len(inputs)) for i, v in enumerate(inputs)]
        shown = [f"{n}={v.data!r}" for n, v in zip(names, inputs)]
        shown += [f"{p}={v!r}" for p, v in zip(self.params, params)]
        if exc is None:
            why = "the result is not a finite number (it overflowed)"
        elif isinstance(exc, OverflowError):
            why = "the result overflows a float"
        elif self.domain:
            why = f"{self.name} is defined only for {self._in_names(self.domain, names, params)}"
        elif isinstance(exc, ZeroDivisionError):
            why = "the result is infinite here (a division by zero)"
        else:
            why = str(exc) or type(exc).__name__
        return DomainError(f"{self.name}({', '.join(shown)}): {why}")

    def _input_name(self, i: int, n: int) -> str:
        return self._rule_names(n)[input_key(i)]

    def shown(self, n_inputs: int | None = None) -> Expr:
        """How a node of this op is written for people: an op with a name is a
        call (``relu(z)``, ``swish(x)``, ``leaky_relu(z, 0.01)``), an operator or a
        sum its rule (``x / y``, ``x ** 2``, ``w1·x1 + w2·x2 + b``)."""
        forward, _ = self.expressions(n_inputs)
        if not self.as_call:
            return forward
        n = len(self.inputs)
        return call(
            self.name,
            *[var(input_key(i)) for i in range(n)],
            *[var(param_key(j)) for j in range(len(self.params))],
        )

    def written(self, names: Sequence[str], params: Sequence[float]) -> str:
        """A node of this op written over ``names``: ``x / y``, ``relu(z)``, ``x ** 2``."""
        forward = self.shown(len(names))
        replaced = substitute(forward, {param_key(j): num(p) for j, p in enumerate(params)})
        symbols: dict[Any, str] = {input_key(i): name for i, name in enumerate(names)}
        return notation.plain_text(simplify(replaced, collect=False), symbols)

    def _in_names(self, text: str, names: Sequence[str], params: Sequence[float]) -> str:
        """Domain text with the rule's names replaced by the user's."""
        rule_names = self._rule_names(len(names))
        replacements = {rule_names[input_key(i)]: name for i, name in enumerate(names)}
        pattern = re.compile(
            r"(?<!\w)(" + "|".join(map(re.escape, sorted(replacements, key=len)[::-1])) + r")(?!\w)"
        )
        return pattern.sub(lambda m: replacements[m.group(1)], text)

    def infinite_derivative(
        self, inputs: Sequence[Value], params: Sequence[float], i: int
    ) -> InfiniteDerivative:
        """The marker stored as ∂out/∂input i where that derivative is infinite."""
        names = [v.label or self._input_name(k, len(inputs)) for k, v in enumerate(inputs)]
        forward, locals_ = self.expressions(len(inputs))
        symbols = {input_key(k): name for k, name in enumerate(names)}
        numbers_of = {param_key(j): num(p) for j, p in enumerate(params)}
        numbers_of[OUT] = substitute(forward, numbers_of)  # out written as what it is: 0.5/√x, not 0.5/out
        replaced = substitute(locals_[i], numbers_of)
        rule = notation.plain_text(simplify(replaced), symbols)
        numbers = ", ".join(f"{n} = {v.data!r}" for n, v in zip(names, inputs))
        reason = (
            f"∂({self.written(names, params)})/∂{names[i]} = {rule} is infinite or undefined at {numbers}"
        )
        return InfiniteDerivative(reason, into_constant=inputs[i].is_constant)

    # -- the NumPy form of the forward rule (for code that calls this op by name) -------

    def numpy_forward(self, np: Any) -> Callable[..., Any]:
        """The forward rule over NumPy arrays (generated once)."""
        if self._numpy_forward is None:
            if self.variadic:
                raise RuleError(f"op {self.name!r} takes any number of inputs; it cannot be called by name")
            forward, _ = self.expressions()
            names = _code_names(self)
            args = ", ".join([names[input_key(i)] for i in range(len(self.inputs))] + _param_args(self))
            source = f"def forward({args}):\n    return {notation.python_code(forward, names, numpy=True)}\n"
            namespace = numpy_namespace(np, function_names(forward))
            self._numpy_forward = _build(self, source, namespace)["forward"]
        return self._numpy_forward


# -- reading and tracing the rules -----------------------------------------------------------


def _signature(
    name: str,
    forward: Callable[..., Any],
    local: Callable[..., Any],
    params: tuple[str, ...],
    variadic: bool,
) -> tuple[tuple[str, ...], bool]:
    """The input names of the forward rule, and whether the local rule takes ``out``."""
    forward_names = _positional(name, "forward", forward)
    local_names = _positional(name, "local", local)
    if OUT in forward_names:
        raise RuleError(f"op {name!r}: the forward rule computes out, so it cannot take `out`")
    if list(forward_names[len(forward_names) - len(params) :]) != list(params) and params:
        raise RuleError(
            f"op {name!r}: the forward rule's last arguments must be the parameters {list(params)}, "
            f"got {list(forward_names)}"
        )
    inputs = forward_names[: len(forward_names) - len(params)]
    if variadic and params:
        raise RuleError(f"op {name!r}: a variadic op cannot have number parameters")
    if variadic and len(inputs) != 1:
        raise RuleError(
            f"op {name!r} is variadic: its forward rule takes the inputs as ONE tuple, e.g. lambda xs: ..."
        )
    if not inputs:
        raise RuleError(f"op {name!r}: the forward rule takes no input")
    takes_out = OUT in local_names
    expected = [*inputs, *params]
    given = [n for n in local_names if n != OUT]
    if given != expected:
        raise RuleError(
            f"op {name!r}: the local rule must take the same arguments as the forward rule "
            f"({', '.join(expected)}), and may take `out`; it takes ({', '.join(local_names)})"
        )
    return inputs, takes_out


def _positional(name: str, which: str, rule: Callable[..., Any]) -> tuple[str, ...]:
    if not callable(rule):
        raise RuleError(f"op {name!r}: the {which} rule must be a function, got {type(rule).__name__}")
    try:
        parameters = inspect.signature(rule).parameters.values()
    except (TypeError, ValueError):
        raise RuleError(f"op {name!r}: cannot read the arguments of the {which} rule") from None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = []
    for p in parameters:
        if p.kind not in kinds or p.default is not inspect.Parameter.empty:
            raise RuleError(
                f"op {name!r}: the {which} rule must take plain named arguments (no *args, defaults "
                f"or keywords), got `{p}`"
            )
        names.append(p.name)
    return tuple(names)


def _run(op: Op, which: str, rule: Callable[..., Any], args: list[Any], out: Expr | None) -> Any:
    try:
        return rule(*args, **({OUT: out} if out is not None else {}))
    except RuleError as exc:
        raise RuleError(f"op {op.name!r}, {which} rule: {exc}") from None
    except Exception as exc:  # a rule that cannot run on symbols at all
        raise RuleError(
            f"op {op.name!r}: the {which} rule cannot be written as code ({type(exc).__name__}: {exc}); "
            "write it with arithmetic, comparisons inside where(), and autograd.functions"
        ) from None


def _as_rule_expr(op: Op, which: str, x: Any) -> Expr:
    if isinstance(x, Expr):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x):
        return num(x)
    raise RuleError(
        f"op {op.name!r}: the {which} rule must give an expression or a finite number, got "
        f"{type(x).__name__} {x!r:.40}"
    )


def _trace(op: Op, n: int) -> tuple[Expr, tuple[Expr, ...]]:
    """Run both rules on symbols and check what they give."""
    inputs = [var(input_key(i)) for i in range(n)]
    params = [var(param_key(j)) for j in range(len(op.params))]
    args: list[Any] = [tuple(inputs), *params] if op.variadic else [*inputs, *params]
    forward = _as_rule_expr(op, "forward", _run(op, "forward", op.forward, args, None))
    out = var(OUT) if op.local_takes_out else None
    given = _run(op, "local", op.local, args, out)
    if isinstance(given, (tuple, list)):
        locals_ = tuple(given)
    elif n == 1:
        locals_ = (given,)
    else:
        raise RuleError(
            f"op {op.name!r}: the local rule must give a tuple of {n} derivatives (one per input), "
            f"got one {type(given).__name__}"
        )
    if len(locals_) != n:
        raise RuleError(
            f"op {op.name!r}: the local rule gives {len(locals_)} derivatives, but the op has {n} "
            f"input{'s' if n != 1 else ''}: one ∂out/∂input per input, in order"
        )
    checked = tuple(_as_rule_expr(op, f"local (derivative {i + 1})", d) for i, d in enumerate(locals_))
    for expr in (forward, *checked):
        _check_calls(op, expr)
    return forward, checked


def _trace_domain(op: Op, rule: Callable[..., Any]) -> Expr:
    n = len(op.inputs)
    args = [var(input_key(i)) for i in range(n)] + [var(param_key(j)) for j in range(len(op.params))]
    condition = _run(op, "domain", rule, args, None)
    if not (isinstance(condition, Expr) and condition.kind == "cmp"):
        raise RuleError(f"op {op.name!r}: the domain rule must give one comparison, such as a >= 0")
    return condition


def _check_calls(op: Op, expr: Expr) -> None:
    for called in function_names(expr):
        if called not in NAMES and called not in OPS:
            raise RuleError(
                f"op {op.name!r}: its rule calls {called!r}, which is not a function chaingrad knows"
            )
        if called == op.name and called not in NAMES:
            raise RuleError(f"op {op.name!r}: its rule calls the op itself")


# -- generating the float functions ------------------------------------------------------------


def _code_names(op: Op) -> dict[Any, str]:
    names: dict[Any, str] = {input_key(i): f"a{i}" for i in range(len(op.inputs))}
    names.update({param_key(j): f"p{j}" for j in range(len(op.params))})
    names[OUT] = "out"
    return names


def _param_args(op: Op) -> list[str]:
    return [f"p{j}" for j in range(len(op.params))]


def _float_functions(
    op: Op, params: tuple[float, ...] | None = None
) -> tuple[Callable[..., Any], Callable[..., Any], tuple[Callable[..., Any], ...]]:
    """``forward(a0, .., p0, ..)``, ``rule(...) -> (out, (∂out/∂a0, ...))`` and
    one ``local_i(..., out)`` per input, generated from the expressions.

    Given ``params``, the functions are written for those parameter values
    (``x ** 2`` gets ``a0 ** 2.0``, with no parameter argument), which lets
    Python compute whole-number powers inline."""
    forward, locals_ = op.expressions()
    domain = op.domain_rule
    names = _code_names(op)
    args = [names[input_key(i)] for i in range(len(op.inputs))]
    if params is None:
        args += _param_args(op)
    else:
        numbers = {param_key(j): num(p) for j, p in enumerate(params)}
        forward = fold_numbers(substitute(forward, numbers))
        locals_ = tuple(fold_numbers(substitute(d, numbers)) for d in locals_)
        domain = fold_numbers(substitute(domain, numbers)) if domain is not None else None
    arguments = ", ".join(args)
    code = notation.python_code(forward, names)
    if domain is not None:
        code = f"{code} if {notation.python_code(domain, names)} else outside()"
    local_code = [notation.python_code(d, names) for d in locals_]
    lines = [
        f"def forward({arguments}):",
        f"    return {code}",
        f"def rule({arguments}):",
        f"    out = {code}",
        f"    return out, ({''.join(c + ', ' for c in local_code)})",
    ]
    for i, c in enumerate(local_code):
        lines += [f"def local{i}({arguments}, out):", f"    return {c}"]
    called = set().union(*[function_names(e) for e in (forward, *locals_)])
    namespace = _build(op, "\n".join(lines) + "\n", float_namespace(called))
    return (
        namespace["forward"],
        namespace["rule"],
        tuple(namespace[f"local{i}"] for i in range(len(local_code))),
    )


def _variadic_float_functions(op: Op) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """A variadic rule runs on the floats themselves (its expressions differ
    for every number of inputs); it is written to work on floats and symbols
    alike. ``rule(xs)`` takes the inputs as one tuple; ``forward(*xs)`` as arguments."""
    forward_rule, local_rule = op.forward, op.local

    def forward(*xs: float) -> float:
        return forward_rule(xs)  # type: ignore[no-any-return]

    if op.local_takes_out:

        def rule(xs: tuple[float, ...]) -> tuple[float, tuple[float, ...]]:
            out = forward_rule(xs)
            return out, tuple(local_rule(xs, out))

    else:

        def rule(xs: tuple[float, ...]) -> tuple[float, tuple[float, ...]]:
            return forward_rule(xs), tuple(local_rule(xs))

    return forward, rule


def float_namespace(called: set[str]) -> dict[str, Any]:
    """What generated float code may call: the float functions, and the float
    forward rule of every op that is called by name."""
    namespace: dict[str, Any] = {"__builtins__": {}, "outside": _outside}
    for name in called | {"power"}:
        namespace[name] = FLOAT_FUNCTIONS[name] if name in FLOAT_FUNCTIONS else OPS[name].float_forward
    return namespace


def numpy_namespace(np: Any, called: set[str]) -> dict[str, Any]:
    """What generated NumPy code may call (see :func:`numpy_functions`)."""
    namespace = dict(numpy_functions(np))
    for name in called:
        if name not in namespace:
            namespace[name] = OPS[name].numpy_forward(np)
    return namespace


_NUMPY_FUNCTIONS: dict[int, dict[str, Any]] = {}


def numpy_functions(np: Any) -> dict[str, Any]:
    """The functions of :mod:`autograd.functions` over NumPy arrays, computed as
    the float forms are (the same stable sigmoid, softplus and logsumexp)."""
    found = _NUMPY_FUNCTIONS.get(id(np))
    if found is not None:
        return found

    def sigmoid(x: Any) -> Any:
        e = np.exp(-np.abs(x))
        return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))

    def softplus(x: Any) -> Any:
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))

    def logsumexp(*xs: Any) -> Any:
        m = xs[0]
        for x in xs[1:]:
            m = np.maximum(m, x)
        total = np.exp(xs[0] - m)
        for x in xs[1:]:
            total = total + np.exp(x - m)
        return m + np.log(total)

    def select(condition: Any, if_true: Callable[[], Any], if_false: Callable[[], Any]) -> Any:
        """where() whose branches may fail where they are not taken (log of 0):
        both are computed quietly, then only the chosen values must be finite."""
        with np.errstate(all="ignore"):
            a, b = if_true(), if_false()
        chosen = np.where(condition, a, b)
        if not np.all(np.isfinite(chosen)):
            raise DomainError("a chosen branch is not finite")
        return chosen

    found = {
        "__builtins__": {},
        "exp": np.exp,
        "log": np.log,
        "sqrt": np.sqrt,
        "tanh": np.tanh,
        "sin": np.sin,
        "cos": np.cos,
        "abs": np.abs,
        "sigmoid": sigmoid,
        "softplus": softplus,
        "logsumexp": logsumexp,
        "where": np.where,
        "select": select,
    }
    _NUMPY_FUNCTIONS[id(np)] = found
    return found


def _build(op: Op, source: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Run OUR generated source (from the expression tree: our own variable
    names, number literals, and function names checked against the known
    ones) in a namespace that holds only those functions."""
    try:
        code = builtins.compile(source, f"<chaingrad op {op.name}>", "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        raise RuleError(f"op {op.name!r}: its rule cannot be written as code ({exc})") from None
    exec(code, namespace)
    return namespace


# -- the function that applies an op ---------------------------------------------------------


def _public_function(op: Op) -> Callable[..., Any]:
    """The function :func:`define_op` returns: on numbers a float, on Values a
    node, on symbols a recorded call."""
    n_params = len(op.params)

    def function(*args: Any) -> Any:
        if op.variadic and len(args) == 1 + n_params and not isinstance(args[0], (Value, Expr, int, float)):
            args = (*args[0], *args[1:])  # the inputs as one iterable
        n_inputs = len(args) - n_params
        if n_inputs < 1 or (op.arity is not None and n_inputs != op.arity):
            wanted = f"{op.arity} input{'s' if op.arity != 1 else ''}" if op.arity else "inputs"
            extra = f" and the parameters {', '.join(op.params)}" if op.params else ""
            raise WrongTypeError(f"{op.name}() takes {wanted}{extra}, got {len(args)} arguments")
        inputs, params = args[:n_inputs], args[n_inputs:]
        if any(isinstance(x, Expr) for x in args):
            return Expr("call", (op.name, *[x if isinstance(x, Expr) else num(x) for x in args]))
        numbers = [_param(op, p, j) for j, p in enumerate(params)]
        if not any(isinstance(x, Value) for x in inputs):
            with_values = [constant(x) for x in inputs]
            try:
                out = op.float_forward(*[v.data for v in with_values], *numbers)
            except (ArithmeticError, ValueError) as exc:
                raise op.domain_error(with_values, numbers, exc) from None
            if out - out != 0.0:
                raise op.domain_error(with_values, numbers, None)
            return out
        return apply_op(op, tuple(x if isinstance(x, Value) else constant(x) for x in inputs), tuple(numbers))

    function.__name__ = function.__qualname__ = op.name if op.name.isidentifier() else "op"
    function.__doc__ = f"The op {op.name!r}: {op.math}"
    function.op = op  # type: ignore[attr-defined]
    return function


def _param(op: Op, p: Any, j: int) -> float:
    if isinstance(p, (Value, bool)) or not isinstance(p, (int, float)) or not math.isfinite(p):
        raise WrongTypeError(
            f"{op.name}(): the parameter {op.params[j]} must be a finite number (it is not an input, "
            f"so it is not differentiated), got {p!r:.40}"
        )
    return float(p)


def failed_apply(op: Op, inputs: tuple[Value, ...], params: tuple[float, ...]) -> Value:
    """The slow path of applying an op, taken when the fast one raised or made
    a non-finite number: find out what went wrong.

    The value itself outside the op's domain, or not finite, is an error. A
    local derivative that is infinite or undefined (√x at 0) is not, yet: it
    is stored as an :class:`~autograd.value.InfiniteDerivative`, and backward
    raises only if it has to multiply it by a gradient that is not zero.
    """
    datas = [v.data for v in inputs]
    try:
        out = op.float_forward(*datas, *params)
    except (ArithmeticError, ValueError) as exc:
        raise op.domain_error(inputs, params, exc) from None
    if out - out != 0.0:
        raise op.domain_error(inputs, params, None)
    if not is_grad_enabled():
        return make_leaf(out)
    if op.variadic:
        try:
            _, found = op.float_rule(tuple(datas))
        except (ArithmeticError, ValueError):
            found = [math.inf] * len(inputs)
        locals_ = [
            d if d - d == 0.0 else op.infinite_derivative(inputs, params, i) for i, d in enumerate(found)
        ]
    else:
        locals_ = []
        for i, local in enumerate(op.float_locals):
            try:
                d = local(*datas, *params, out)
            except (ArithmeticError, ValueError):
                d = math.inf
            locals_.append(d if d - d == 0.0 else op.infinite_derivative(inputs, params, i))
    return make_node(out, op.name, inputs, tuple(locals_), params)


# -- the rules on Values: derivatives of derivatives ------------------------------------------


def value_functions() -> dict[str, Callable[..., Any]]:
    """Each function a rule may call, by name, as it applies to Values."""
    from autograd import functions

    found: dict[str, Callable[..., Any]] = {name: op.function for name, op in OPS.items()}
    found.update({name: getattr(functions, name) for name in NAMES})
    return found


def local_grads_of(node: Value) -> tuple[Any, ...]:
    """Evaluate ``node``'s local derivatives again, on Values this time.

    Used for higher-order derivatives: the result is built from the node's
    inputs (and the node itself, for rules that use ``out``), so it can be
    differentiated again. ``where`` takes the branch the numbers pick.
    """
    op = OPS[node.op]
    _, locals_ = op.expressions(len(node.inputs))
    values: dict[Any, Any] = {input_key(i): v for i, v in enumerate(node.inputs)}
    values.update({param_key(j): p for j, p in enumerate(node.params)})
    values[OUT] = node
    functions = value_functions()
    return tuple(evaluate(d, values, functions) for d in locals_)


# -- define_op ---------------------------------------------------------------------------------

_RESERVED = frozenset(
    {"where", "power", "outside", "select", "const", "input", "param", OUT}
    # names the code that compile generates uses for its own variables and helpers
    | {"params", "values", "add_value", "zip", "all", "domain_error", "not_finite"}
)
_GENERATED_NAME = re.compile(r"(v|g|t|column|unused|arg_grads|add_arg_grad)[0-9]")


def define_op(
    name: str,
    forward: Callable[..., Any],
    local: Callable[..., Any],
    math: str | None = None,
    *,
    params: Sequence[str] = (),
    domain: str | Callable[..., Any] | None = None,
    variadic: bool = False,
    example: Sequence[str] | None = None,
) -> Callable[..., Any]:
    """Add an op to the table; returns the function that applies it.

    >>> from autograd.functions import sigmoid
    >>> swish = define_op("swish", lambda x: x * sigmoid(x),
    ...                   lambda x: sigmoid(x) * (1 + x * (1 - sigmoid(x))))
    >>> y = swish(Value(1.0, "x")); y.backward()   # drawn, stepped, explained, compiled like any op

    name:     a Python identifier not taken by another op (built-in ones are
              symbols too: ``+``, ``**``)
    forward:  ``forward(x1, .., xn, *params) -> out``
    local:    ``local(x1, .., xn, *params[, out]) -> (∂out/∂x1, .., ∂out/∂xn)``
              (one expression is enough for one input; take ``out`` by that name)
    math:     the rules in words for help texts (default: written from the rules)
    params:   names of number parameters that are not inputs, last in both rules
    domain:   where the op is defined: a comparison rule (``lambda a, b: a >= 0``),
              checked on every application, or text (``"x > 0"``) for messages
              when Python itself refuses (``math.log(-1)``)
    variadic: the op takes any number of inputs, which the rules receive as
              one tuple; ``example`` names a few of them for help texts

    The function returned takes the inputs (numbers or Values) then the
    parameters: on numbers alone it returns a float, with a Value a new node,
    inside another op's rule a recorded call. Redefining a name with the very
    same rules returns the op already defined (a notebook cell run twice);
    any other reuse of a name is refused with :class:`RuleError`.
    """
    if not isinstance(name, str) or not name:
        raise RuleError(f"an op needs a name (a non-empty string), got {name!r:.40}")
    if not name.isidentifier() or name in _RESERVED or name.startswith("_") or _GENERATED_NAME.match(name):
        raise RuleError(
            f"op name {name!r} is not allowed: use a Python identifier (letters, digits, _), not "
            f"starting with _, not a letter and digits such as v1 (compiled code names its variables "
            f"so), and not one of {', '.join(sorted(_RESERVED))}"
        )
    if name in NAMES and name not in OPS:
        raise RuleError(f"op name {name!r} is taken by a function of autograd.functions")
    for p in params:
        if not isinstance(p, str) or not p.isidentifier() or p == OUT:
            raise RuleError(f"op {name!r}: parameter names must be identifiers other than out, got {p!r}")
    op = Op(
        name,
        forward,
        local,
        params=params,
        domain=domain,
        variadic=variadic,
        example=example,
        math_text=math,
    )
    return _register(op).function


def _register(op: Op) -> Op:
    """Put ``op`` in the table, or return the op already there if it has the very same rules."""
    existing = OPS.get(op.name)
    if existing is not None:
        if _same_rules(existing, op):
            return existing
        raise RuleError(
            f"op name {op.name!r} is taken ({existing.math}); choose another name "
            "(graphs already built refer to ops by name, so an op cannot be replaced)"
        )
    OPS[op.name] = op
    return op


def _same_rules(a: Op, b: Op) -> bool:
    from autograd.expressions import same

    if (a.params, a.variadic, a.domain, a.inputs) != (b.params, b.variadic, b.domain, b.inputs):
        return False
    n = len(a.example) if a.variadic else len(a.inputs)
    (fa, la), (fb, lb) = a.expressions(n), b.expressions(n)
    return same(fa, fb) and len(la) == len(lb) and all(same(x, y) for x, y in zip(la, lb))


def builtin_op(name: str, forward: Callable[..., Any], local: Callable[..., Any], **options: Any) -> Op:
    """One row of the built-in table (:mod:`autograd.ops`): the same Op and the
    same registration as :func:`define_op`, for names such as ``+`` and ``**``
    that are symbols rather than identifiers. Returns the Op."""
    return _register(
        Op(
            name,
            forward,
            local,
            params=options.get("params", ()),
            domain=options.get("domain"),
            variadic=options.get("variadic", False),
            example=options.get("example"),
            math_text=options.get("math"),
            defaults=options.get("defaults", ()),
            as_call=options.get("as_call"),
        )
    )


__all__ = ["OUT", "Op", "RuleError", "define_op", "input_key", "param_key"]
