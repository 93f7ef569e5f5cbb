"""Re-evaluating a recorded graph at other values of its leaves.

A graph remembers which op made each node from which inputs. Given new numbers
for some leaves, every node can be computed again with the op table's float
rules, in topological order, and so can every local derivative; backward over
those local derivatives gives the gradient at the new point. Nothing in the
graph changes: the new numbers live in lists beside it.

:func:`autograd.check_formula` uses this to compare a hand-derived formula
with the engine at many points, not only at the one the graph was built at.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from autograd.errors import DomainError
from autograd.expressions import Expr, evaluate
from autograd.functions import FLOAT_FUNCTIONS
from autograd.rules import OUT, input_key, param_key
from autograd.value import OPS, Value


class OutsideDomain(DomainError):
    """The graph cannot be computed at this point (an op outside its domain, an
    infinite number, or an infinite local derivative)."""


class Replay:
    """The numbers of every node of ``order`` at another point.

    ``data[k]`` is node k's number (k its position in ``order``);
    ``local_grads[k]`` its local derivatives. Raises :class:`OutsideDomain`
    when the graph is not defined at that point.
    """

    def __init__(self, order: Sequence[Value], leaves: Mapping[Value, float]) -> None:
        self.order = order
        self.index = {node: k for k, node in enumerate(order)}
        data: list[float] = []
        local_grads: list[tuple[float, ...]] = []
        for node in order:
            if not node.inputs:
                data.append(leaves.get(node, node.data))
                local_grads.append(())
                continue
            xs = tuple([data[self.index[v]] for v in node.inputs])
            op = OPS[node.op]
            try:
                if op.variadic:
                    out, local = op.float_rule(xs)
                elif node.params:
                    out, local = op.rules_for(node.params)[1](*xs)
                else:
                    out, local = op.float_rule(*xs)
            except (ArithmeticError, ValueError) as exc:
                raise OutsideDomain(str(exc)) from None
            if not (math.isfinite(out) and all(math.isfinite(d) for d in local)):
                raise OutsideDomain("not a finite number")
            data.append(out)
            local_grads.append(tuple(local))
        self.data = data
        self.local_grads = local_grads

    def value(self, node: Value) -> float:
        return self.data[self.index[node]]

    def gradient(self, root: Value, wrt: Value) -> float:
        """∂root/∂wrt at this point: backward over the replayed local derivatives."""
        grads = [0.0] * len(self.order)
        grads[self.index[root]] = 1.0
        for k in range(self.index[root], -1, -1):
            g = grads[k]
            if g == 0.0:
                continue
            for child, local in zip(self.order[k].inputs, self.local_grads[k]):
                grads[self.index[child]] += g * local
        result = grads[self.index[wrt]]
        if not math.isfinite(result):
            raise OutsideDomain("the gradient is not a finite number")
        return result

    def branches(self, node: Value) -> tuple[bool, ...]:
        """Which way each choice (``where``) in the rules of ``node``'s op goes here."""
        if not node.inputs:
            return ()
        conditions = _conditions(node)
        if not conditions:
            return ()
        values: dict[Any, Any] = {input_key(i): self.value(v) for i, v in enumerate(node.inputs)}
        values.update({param_key(j): p for j, p in enumerate(node.params)})
        values[OUT] = self.value(node)
        return tuple(bool(evaluate(c, values, FLOAT_FUNCTIONS)) for c in conditions)


def _conditions(node: Value) -> list[Expr]:
    forward, locals_ = OPS[node.op].expressions(len(node.inputs))
    found: list[Expr] = []
    stack = [forward, *locals_]
    while stack:
        e = stack.pop()
        if e.kind == "cmp":
            found.append(e)
        stack.extend(a for a in e.args if isinstance(a, Expr))
    return found


__all__ = ["OutsideDomain", "Replay"]
