"""Writing a network's layers as NumPy code: the equations of a hand derivation.

For a :class:`~autograd.matrix_plan.Plan` the generated function reads, for
``MLP(2, [16, 16, 1])`` with tanh and a loss on top::

    Z1 = X @ W1.T + b1                  # forward: one matrix product per layer
    A1 = tanh(Z1)
    Z2 = A1 @ W2.T + b2
    A2 = tanh(Z2)
    Z3 = A2 @ W3.T + b3
    v40 = Z3[:, 0]                      # the loss of each sample, node by node,
    v41 = softplus(v40)                 # over whole columns (the per-edge form)
    ...
    dZ3[:, 0] = g40                     # ∂loss/∂Z3, one row per sample
    dW3 = dZ3.T @ A2 / m                # backward: dW, db averaged over the batch
    db3 = sum_over_samples(dZ3) / m
    dA2 = dZ3 @ W3
    dZ2 = dA2 * (1.0 - A2 * A2)         # the activation's local derivative
    ...

Row ``s`` of every matrix is sample ``s``; row ``j`` of ``W`` is neuron ``j``'s
weights. The elementwise code (activations, the head's ops and their local
derivatives) comes from the op table through :func:`_elementwise_forward`
and :func:`_elementwise_local`, the only two places that read it.

Several plans of one network (the loss of each class label is its own
graph) share the layers: their heads run one after the other, each on the
rows ``rows[c]`` of its samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from autograd.codegen import lit
from autograd.errors import InvalidArgumentError
from autograd.expressions import Expr, depth, flatten_chains, fold_numbers, num, substitute, var
from autograd.matrix_plan import Layer, Plan
from autograd.notation import python_code
from autograd.rules import OUT, input_key, param_key
from autograd.value import OPS

_CHUNK = 100  # terms per line in long sums (CPython's compiler recurses once per term)


def _over_arrays(op: str, operands: Sequence[str], params: Sequence[float], out: str | None = None) -> Any:
    """``op``'s forward rule and local derivatives with ``operands`` (code that
    names whole arrays) in place of the rule's inputs."""
    rule = OPS[op]
    forward, locals_ = rule.expressions(len(operands))
    replacements: dict[Any, Expr] = {input_key(i): var(("code", code)) for i, code in enumerate(operands)}
    replacements.update({param_key(j): num(p) for j, p in enumerate(params)})
    if out is not None:
        replacements[OUT] = var(("code", out))
    return substitute(forward, replacements), [substitute(d, replacements) for d in locals_]


class _Code(dict):  # type: ignore[type-arg]
    def __missing__(self, key: Any) -> str:
        return str(key[1])


def _elementwise_forward(op: str, operands: Sequence[str], params: Sequence[float]) -> str | list[str]:
    """The code of ``op``'s forward rule over whole arrays, written from the op
    table: an expression, or for a long sum (``sum``, ``linear`` of many
    inputs) the list of its terms, to add left to right."""
    forward, _ = _over_arrays(op, operands, params)
    if depth(forward) > _CHUNK:
        flat = flatten_chains(forward)
        if flat.kind == "add":
            return [python_code(term, _Code(), numpy=True) for term in flat.args]
    return python_code(forward, _Code(), numpy=True)


def _elementwise_local(
    op: str, operands: Sequence[str], out: str, params: Sequence[float]
) -> tuple[str, ...]:
    """The code of ``op``'s local derivatives over whole arrays, one per input:
    ∂out/∂input, with ``out`` the name of the op's result."""
    _, locals_ = _over_arrays(op, operands, params, out)
    return tuple(python_code(fold_numbers(d), _Code(), numpy=True) for d in locals_)


def _factor(code: str) -> str:
    """``code`` as the right operand of ``*``: bare if it is one name or number."""
    return code if code.replace("_", "").replace(".", "").isalnum() else f"({code})"


def _label(label: str) -> str:
    """A label for a comment: repr-escaped, on one line, cut when long."""
    text = repr(label if len(label) <= 40 else label[:40] + "…")
    return text if text.isprintable() else ascii(text)


class MatrixCode(NamedTuple):
    """The generated source and what its results mean.

    The function is ``forward_backward(X, args, P, m, rows, *layer_arrays)``
    and returns ``value, outputs, arg_grads, layer_grads, head_grads``:

    * ``layer_arrays`` / ``layer_grads``: per layer W, b (and α), in order;
    * ``head_grads``: ∂/∂parameter for each slot of ``head_params`` (the
      head's own use of parameters, such as an L2 penalty), averaged;
    * ``outputs``: the last layer's output matrix (the model's outputs).
    """

    source: str
    head_params: tuple[int, ...]


def layer_array_names(layers: Sequence[Layer]) -> list[str]:
    """W1, b1, (alpha1,) W2, b2, ...: the arrays each layer needs, in order."""
    names = []
    for layer in layers:
        k = layer.number
        names += [f"W{k}", f"b{k}"] + ([f"alpha{k}"] if layer.neuron_params else [])
    return names


def _output_name(layer: Layer) -> str:
    return f"A{layer.number}" if layer.activation else f"Z{layer.number}"


class _Writer:
    def __init__(self, plans: Sequence[Plan], n_args: int, arg_grads: bool, notes: Sequence[str]) -> None:
        self.plans = plans
        self.layers = plans[0].layers
        self.n_args = n_args
        self.arg_grads = arg_grads
        self.notes = notes
        self.lines: list[str] = []
        params = sorted({s for plan in plans for s in plan.head_params()})
        self.head_params = tuple(params)
        self.several = len(plans) > 1
        self.head_arg_grads: dict[int, str] = {}  # argument slot -> its gradient from the head (one plan)

    def add(self, code: str, comment: str = "") -> None:
        self.lines.append("    " + code + (f"  # {comment}" if comment else ""))

    def write(self) -> MatrixCode:
        layers = self.layers
        arrays = layer_array_names(layers)
        self.lines.append(f"def forward_backward(X, args, P, m, rows, {', '.join(arrays)}):")
        self.add("# Generated by autograd.compile: the layers as matrix products over a batch (row s of X")
        self.add("# and of every Z and A is sample s), then the rest of the graph over whole columns.")
        self.add("# W[j, i] is weight i of neuron j; m is the batch size (the parameter gradients are")
        self.add("# averaged; m = 1 sums them).")
        self.add("# forward: one matrix product per layer, then its activation")
        previous = "X"
        for layer in layers:
            k = layer.number
            self.add(
                f"Z{k} = {previous} @ W{k}.T + b{k}",
                f"layer {k}: {layer.size} neuron{'s' if layer.size > 1 else ''}",
            )
            if layer.activation:
                operands = [f"Z{k}"] + ([f"alpha{k}"] if layer.neuron_params else [])
                code = _elementwise_forward(layer.activation, operands, layer.activation_params)
                self.add(f"A{k} = {code}")
            previous = _output_name(layer)
        out = previous
        self.add(f"# the output of each sample: the nodes after layer {len(layers)}, one line each")
        self.add(f"d{out} = zeros({out}.shape)", f"∂output/∂{out}, one row per sample")
        if self.several:
            self.add("value = empty(len(X))")
        for s in self.head_params:
            if self.several:
                self.add(f"h{s} = 0.0", f"∂/∂P[{s}] from the nodes after the layers")
        for c, plan in enumerate(self.plans):
            self.head(c, plan, out)
        self.backward(out)
        return MatrixCode("\n".join(self.lines) + "\n", self.head_params)

    # -- the head: per sample, node by node -------------------------------------------

    def head(self, c: int, plan: Plan, out: str) -> None:
        nodes = plan.nodes
        if self.several:
            note = self.notes[c] if c < len(self.notes) else ""
            self.add(f"r = rows[{c}]", f"the samples of graph {c}{': ' + note if note else ''}")
            rows, count = "r", "len(r)"
        else:
            rows, count = ":", "len(X)"
        feature_column = {slot: j for j, slot in enumerate(plan.features)}
        operand: dict[int, str] = {}
        in_head = set(plan.head)
        for k in plan.head:  # the leaves and layer outputs the head reads, once each
            for i in nodes[k].inputs:
                if i in operand or i in in_head:
                    continue
                node = nodes[i]
                operand[i] = lit(node.data) if node.kind == "const" else f"v{i}"
                if i in plan.column_of:
                    self.add(f"v{i} = {out}[{rows}, {plan.column_of[i]}]", node.label and _label(node.label))
                elif node.kind == "arg":
                    source = (
                        f"X[{rows}, {feature_column[node.slot]}]"
                        if node.slot in feature_column
                        else f"args[{node.slot}]" + ("[r]" if self.several else "")
                    )
                    self.add(
                        f"v{i} = {source}",
                        f"argument {node.slot}" + (f" {_label(node.label)}" if node.label else ""),
                    )
                elif node.kind == "param":
                    self.add(f"v{i} = P[{node.slot}]", node.label and _label(node.label))
        for k in plan.head:
            operand[k] = f"v{k}"
            node = nodes[k]
            code = _elementwise_forward(node.op, [operand[i] for i in node.inputs], node.params)
            comment = node.label and _label(node.label)
            if isinstance(code, list):
                for start in range(0, len(code), _CHUNK):
                    terms = ([f"v{k}"] if start else []) + code[start : start + _CHUNK]
                    self.add(f"v{k} = {' + '.join(terms)}", comment)
            else:
                self.add(f"v{k} = {code}", comment)
        root = plan.root
        value = f"{out}[{rows}, {plan.column_of[root]}]" if not plan.head else f"v{root}"
        if self.several:
            self.add(f"value[r] = {value}")
        else:
            self.add(f"value = broadcast({value}, len(X))")
        grads = self.head_backward(plan, operand)
        for j, node in enumerate(plan.layers[-1].outputs):
            if node in grads:
                self.add(f"d{out}[{rows}, {j}] = {grads[node]}")
        for s in self.head_params:
            g = next((grads[i] for i in grads if nodes[i].kind == "param" and nodes[i].slot == s), None)
            if g is not None:
                self.add(
                    f"h{s} = h{s} + total({g}, {count})" if self.several else f"h{s} = total({g}, {count})"
                )
            elif not self.several:
                self.add(f"h{s} = 0.0")
        if not self.several:
            self.head_arg_grads = {nodes[i].slot: g for i, g in grads.items() if nodes[i].kind == "arg"}

    def head_backward(self, plan: Plan, operand: dict[int, str]) -> dict[int, str]:
        """One line per edge of the head, from its output back to the layer outputs
        (and parameters, and arguments when asked). Returns node -> gradient name."""
        nodes = plan.nodes
        if not plan.head:
            return {plan.root: "1.0"}
        needed: dict[int, bool] = {}
        for i in plan.column_of:
            needed[i] = True
        for k in plan.head:
            for i in nodes[k].inputs:
                if i not in needed:
                    kind = nodes[i].kind
                    needed[i] = kind == "param" or (kind == "arg" and self.arg_grads and not self.several)
            needed[k] = any(needed[i] for i in nodes[k].inputs)
        assigned: set[int] = set()
        root = plan.root
        if not needed[root]:
            return {}
        self.add(f"g{root} = 1.0", "backward through the nodes after the layers: gN = ∂output/∂vN")
        assigned.add(root)
        for u in reversed(plan.head):
            node = nodes[u]
            if not needed[u]:
                continue
            locals_ = _elementwise_local(node.op, [operand[i] for i in node.inputs], f"v{u}", node.params)
            for i, local in zip(node.inputs, locals_):
                if not needed[i]:
                    continue
                if local in ("1.0", "-1.0"):
                    term, sign = f"g{u}", "-" if local == "-1.0" else "+"
                else:
                    term, sign = f"g{u} * {_factor(local)}", "+"
                if i in assigned:
                    self.add(f"g{i} = g{i} {sign} {term}")
                else:
                    self.add(f"g{i} = {'-' if sign == '-' else ''}{term}")
                    assigned.add(i)
        return {i: f"g{i}" for i in assigned if nodes[i].kind != "op" or i in plan.column_of}

    # -- backward through the layers ----------------------------------------------------

    def backward(self, out: str) -> None:
        layers = self.layers
        self.add("# backward: dZ = dA times the activation's derivative; dW, db average over the batch")
        results = []
        for index in range(len(layers) - 1, -1, -1):
            layer = layers[index]
            k = layer.number
            below = "X" if index == 0 else _output_name(layers[index - 1])
            if layer.activation:
                operands = [f"Z{k}"] + ([f"alpha{k}"] if layer.neuron_params else [])
                locals_ = _elementwise_local(layer.activation, operands, f"A{k}", layer.activation_params)
                self.add(
                    f"dZ{k} = dA{k}" if locals_[0] == "1.0" else f"dZ{k} = dA{k} * {_factor(locals_[0])}"
                )
                if layer.neuron_params:
                    self.add(f"dalpha{k} = sum_over_samples(dA{k} * {_factor(locals_[1])}) / m")
            self.add(f"dW{k} = dZ{k}.T @ {below} / m")
            self.add(f"db{k} = sum_over_samples(dZ{k}) / m")
            if index > 0 or self.arg_grads:
                self.add(f"d{below} = dZ{k} @ W{k}")
            results = [f"dW{k}", f"db{k}"] + ([f"dalpha{k}"] if layer.neuron_params else []) + results
        arg_results = []
        if self.arg_grads:
            plan = self.plans[0]
            feature_column = {slot: j for j, slot in enumerate(plan.features)}
            for slot in range(self.n_args):
                parts = [f"dX[:, {feature_column[slot]}]"] if slot in feature_column else []
                if slot in self.head_arg_grads:
                    parts.append(self.head_arg_grads[slot])
                arg_results.append(f"broadcast({' + '.join(parts) or '0.0'}, len(X))")
        head = [f"h{s} / m" for s in self.head_params]
        self.add(f"return value, {out}, {_tuple(arg_results)}, {_tuple(results)}, {_tuple(head)}")


def _tuple(items: Sequence[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def write_matrix_code(
    plans: Sequence[Plan], n_args: int, arg_grads: bool = False, notes: Sequence[str] = ()
) -> MatrixCode:
    """The NumPy source of ``plans`` (one network, one head per plan): see the module."""
    if arg_grads and len(plans) > 1:
        raise InvalidArgumentError("argument gradients are written for one plan only")
    return _Writer(plans, n_args, arg_grads, notes).write()


__all__ = ["MatrixCode", "layer_array_names", "write_matrix_code"]
