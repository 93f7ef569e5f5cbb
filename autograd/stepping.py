"""Stepping through backward: one node at a time, with the arithmetic written out.

Backward visits the nodes in reverse topological order (the output first). At
each node the gradient ∂L/∂node is complete, because every node that uses it
has already been visited; the chain rule then sends along each input edge

    contribution = ∂L/∂node × ∂node/∂input      (gradient × local derivative)

which is added to the input's gradient. :func:`backward_steps` does exactly
this with :func:`autograd.propagate` (the step ``backward`` itself takes) and
yields a :class:`Step` per node, which prints the way a learner writes it:

    ∂L/∂a = ∂L/∂ŷ · ∂ŷ/∂a = -0.2 × 0.25 = -0.05

:func:`export_steps` turns a whole pass into numbered images and an animated
GIF; :mod:`autograd.player` makes it a web page with Previous / Next / Play
(:func:`~autograd.player.step_through` in Jupyter, :func:`~autograd.player.save_steps`
for a file).
"""

from __future__ import annotations

import html
import time
from array import array
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from autograd.drawing import (
    DEFAULT_MAX_NODES,
    MissingPackageError,
    dot_program,
    draw,
    format_number,
    refuse_if_too_large,
    render,
    to_dot,
    write_atomically,
)
from autograd.errors import GraphTooLargeError, InvalidArgumentError, WrongTypeError
from autograd.graph import propagate, start_backward, topological_order
from autograd.limits import check_limit
from autograd.naming import computed_as, name_symbols, names_and_expressions, operand, text_symbols
from autograd.notation import plain_text
from autograd.value import Value

if TYPE_CHECKING:
    import graphviz

_DIGITS = 6  # significant digits in the written-out arithmetic


def _num(x: float) -> str:
    return format_number(x, _DIGITS)


def _factor(x: float) -> str:
    """A number as the second factor of a product: negative ones in parentheses."""
    text = _num(x)
    return f"({text})" if text.startswith("-") else text


class Edge(NamedTuple):
    """One input edge of a step: what the chain rule sends to ``input``."""

    input: Value
    """The input node that receives the contribution."""
    name: str
    """Its display name (see :func:`autograd.node_names`)."""
    local: float
    """The local derivative ∂node/∂input."""
    contribution: float
    """∂L/∂node × ∂node/∂input, added to the input's gradient."""
    grad_before: float
    """The input's gradient in this pass before this contribution."""
    grad_after: float
    """The input's gradient in this pass after adding it (not final if other paths remain)."""
    added: bool
    """True when another path of this pass already reached the input, so this
    contribution is added to it (``+=``)."""


class _Run:
    """What the steps of one pass share: the order, the names, and a log of
    every gradient change of this pass, so any step can say what all
    gradients were right after it (for drawing it later) without copying them
    at every step."""

    __slots__ = (
        "written",
        "constants",
        "edge_end",
        "index",
        "log_grads",
        "log_nodes",
        "names",
        "order",
        "raw_names",
        "root",
        "start_grads",
        "step_of",
        "total",
    )

    def __init__(self, root: Value, order: list[Value], constants: bool) -> None:
        self.root = root
        self.order = order
        self.constants = constants
        names, written = names_and_expressions(order)
        # a node named by what it computes is bracketed where it follows ∂: ∂f/∂(relu(z))
        # and labels are written as in explain and in hand derivations: yhat → ŷ
        self.names = text_symbols(names, written)
        self.raw_names = names
        self.written = written
        self.index = {node: i for i, node in enumerate(order)}
        # which step visits each node (by topological position); a constant that
        # is not shown counts as visited from the start
        self.step_of = array("q", [-1] * len(order))
        shown = 0
        for position in range(len(order) - 1, -1, -1):
            if constants or not order[position].is_constant:
                self.step_of[position] = shown
                shown += 1
        self.total = shown
        self.start_grads = array("d")  # this pass's gradient of every node, after the seed
        self.log_nodes = array("q")  # for each edge, in order: which node changed
        self.log_grads = array("d")  # ... and its gradient in this pass after the change
        self.edge_end = array("q")  # for each step: the log length after it


class Step:
    """One step of backward: the visit of one node.

    index   0 for the output (the first step), ``total - 1`` for the last
    node    the Value visited; ``name`` its display name
    grad    ∂root/∂node, complete at this point
    edges   one :class:`Edge` per input (empty for a leaf)
    root    the output backward started from; ``root_name`` its name

    ``str(step)`` is the arithmetic; ``step.draw()`` the graph with this step
    highlighted.
    """

    __slots__ = ("_run", "edges", "grad", "index", "name", "node", "root", "root_name", "total")

    def __init__(self, run: _Run, index: int, node: Value, grad: float, edges: tuple[Edge, ...]) -> None:
        self._run = run
        self.index = index
        self.total = run.total
        self.node = node
        self.name = run.names[node]
        self.grad = grad
        self.edges = edges
        self.root = run.root
        self.root_name = run.names[run.root]

    @property
    def is_root(self) -> bool:
        return self.node is self.root

    @property
    def is_leaf(self) -> bool:
        return not self.node.inputs

    # -- the state of the graph right after this step -------------------------

    def has_visited(self, node: Value) -> bool:
        """True if backward had visited ``node`` by the end of this step, so its
        gradient was final."""
        return self._run.step_of[self._run.index[node]] <= self.index

    def grads_after(self) -> dict[Value, float]:
        """The gradient of every node right after this step (a dict by node).

        Nodes not visited yet hold partial sums. Reconstructed from the pass's
        log, so it is right even after the pass has moved on.
        """
        run = self._run
        grads = list(run.start_grads)
        order = run.order
        end = run.edge_end[self.index]
        for position, value in zip(run.log_nodes[:end], run.log_grads[:end]):
            grads[position] = value
        return dict(zip(order, grads))

    # -- showing it -----------------------------------------------------------

    def _d(self, name: str) -> str:
        return f"∂{self.root_name}/∂{name}"

    def _formula(self) -> str:
        """How the node was computed, in its inputs' names, written from the op
        table's forward rule: ``ŷ = σ(a)``, ``z = w1·x1 + w2·x2 + b``. A node
        named by what it computes is just that: ``relu(z)``."""
        node, run = self.node, self._run
        if node in run.written:
            return plain_text(run.written[node], name_symbols(run.raw_names))
        written = plain_text(computed_as(node, run.written), name_symbols(run.raw_names))
        return f"{self.name} = {written}"

    def _header(self) -> str:
        where = f"step {self.index + 1}/{self.total}"
        grad = f"{self._d(self.name)} = {_num(self.grad)}"
        if self.is_root:
            if self.is_leaf:
                return f"{where}: {self.name} is the output (a leaf); backward starts with {grad}"
            return f"{where}: {self._formula()} is the output; backward starts with {grad}"
        if self.is_leaf:
            kind = "parameter" if self.node.is_parameter else "constant" if self.node.is_constant else "input"
            return f"{where}: {self.name} is a leaf ({kind}); {grad} is final"
        return f"{where}: {self._formula()}; {grad} is complete, pass it to the inputs:"

    def edge_lines(self) -> list[str]:
        """One line of arithmetic per input edge."""
        lines = []
        upstream = self._d(self.name)
        uses = Counter(self.node.inputs)
        for position, edge in enumerate(self.edges):
            if edge.input.is_constant and not self._run.constants:
                continue  # the gradient of a number written in the code: nobody needs it
            chain = f"{upstream} · ∂{self.name}/∂{edge.name}"
            if uses[edge.input] > 1:  # x * x: say which operand this edge enters
                chain += f" ({operand(position)})"
            numbers = f"{_num(self.grad)} × {_factor(edge.local)} = {_num(edge.contribution)}"
            if edge.added:
                lines.append(f"{self._d(edge.name)} += {chain} = {numbers} → total {_num(edge.grad_after)}")
            else:
                lines.append(f"{self._d(edge.name)} = {chain} = {numbers}")
        return lines

    def __str__(self) -> str:
        return "\n".join([self._header(), *("  " + line for line in self.edge_lines())])

    def __repr__(self) -> str:
        return f"<Step {self.index + 1}/{self.total} {self.name}: {self._d(self.name)} = {_num(self.grad)}>"

    def _repr_html_(self) -> str:
        lines = [f"<div><b>{html.escape(self._header())}</b></div>"]
        indent = "<div style='margin-left:1.5em'>"
        lines.extend(f"{indent}{html.escape(line)}</div>" for line in self.edge_lines())
        return "<div style='font-family:monospace'>" + "".join(lines) + "</div>"

    def to_dot(self, **options: Any) -> str:
        """The DOT text of the graph with this step highlighted (see :func:`to_dot`)."""
        return to_dot(self.root, step=self, **options)

    def draw(self, **options: Any) -> graphviz.Digraph:
        """The graph with this step highlighted, the gradients as they were right
        after it (those not final yet greyed out). Options as for :func:`draw`."""
        return draw(self.root, step=self, **options)


def backward_steps(root: Value, *, constants: bool = False) -> Iterator[Step]:
    """Run backward from ``root`` one node at a time, yielding a :class:`Step` each.

    Same rule as ``root.backward()``: gradients of intermediate nodes are reset
    to 0, ``root.grad += 1`` (the seed ∂root/∂root = 1), then each node in
    reverse topological order passes its gradient to its inputs with
    :func:`autograd.propagate`. Nothing changes until the first step is asked
    for; after the last one every ``grad`` is exactly what ``backward()``
    gives, which means leaf gradients have this pass added to what they held.

    The steps show this pass: every gradient they print (and draw) is the one
    this backward computes, starting from 0 for every node but the root, never
    a total left in a leaf by an earlier ``backward()``. Stepping the same
    graph twice shows the same numbers.

    Numbers written in the code (constants, the 3 of ``x * 3``) are not steps
    of their own and their gradients are not printed; ``constants=True`` shows them.
    """
    if not isinstance(root, Value):
        raise WrongTypeError(f"backward_steps needs a Value, got {type(root).__name__}")
    return _steps(_Run(root, topological_order(root), constants))


def _steps(run: _Run) -> Iterator[Step]:
    order, index = run.order, run.index
    start_backward(order)  # the .grad side: exactly what backward() does
    this_pass = [0.0] * len(order)  # the side the steps show: this pass's gradients only
    this_pass[-1] = 1.0
    run.start_grads.extend(this_pass)
    received: set[Value] = set()  # inputs that got a contribution in this pass
    names = run.names
    shown = 0
    for k in range(len(order) - 1, -1, -1):
        node = order[k]
        g = this_pass[k]  # equal to node.grad for every node with inputs: same floats, same order
        edges = []
        for child, local in zip(node.inputs, node.local_grads):
            contribution = g * local
            position = index[child]
            previous = this_pass[position]
            this_pass[position] = previous + contribution
            edges.append(
                Edge(
                    child, names[child], local, contribution, previous, this_pass[position], child in received
                )
            )
            received.add(child)
            run.log_nodes.append(position)
            run.log_grads.append(this_pass[position])
        propagate(node)
        if run.step_of[k] < 0:
            continue  # a constant, not shown
        run.edge_end.append(len(run.log_nodes))
        yield Step(run, shown, node, g, tuple(edges))
        shown += 1


# -- images ---------------------------------------------------------------------


def _import_pillow() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise MissingPackageError(
            'making a GIF needs Pillow: pip install "chaingrad[draw]" (or pass gif=False)'
        ) from None
    return Image


_EXPORT_FORMATS = ("png", "svg", "dot")

DEFAULT_MAX_FRAMES = 100
"""The most steps :func:`export_steps` draws unless asked to (one frame per node)."""

DEFAULT_MAX_EXPORT_BYTES = 25 * 2**20
"""The most bytes (frames and GIF together, estimated) :func:`export_steps` writes unless asked to."""

MAX_GIF_PIXELS = 300_000_000
"""Pillow holds every frame of a GIF in memory while writing it (a byte per pixel at least)."""

GIF_BYTES_PER_PIXEL = 0.05
"""A GIF of these drawings (mostly white) takes about 0.03 bytes per pixel per frame."""


class ExportBudget(NamedTuple):
    """What :func:`export_steps` is about to make, estimated from one drawing of the graph."""

    frames: int
    frame_bytes: int
    gif_bytes: int
    gif_pixels: int
    seconds: float

    @property
    def total_bytes(self) -> int:
        return self.frames * self.frame_bytes + self.gif_bytes

    def describe(self) -> str:
        parts = [f"{self.frames} frames of about {_size(self.frame_bytes)}"]
        if self.gif_bytes:
            parts.append(f"a GIF of about {_size(self.gif_bytes)}")
        return (
            f"{' and '.join(parts)}: about {_size(self.total_bytes)} in all, {self.seconds:.0f} s of drawing"
        )


def _size(n: float) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 2**10:.0f} KB"


def _png_pixels(data: bytes) -> int:
    """Width × height from a PNG's header."""
    return int.from_bytes(data[16:20], "big") * int.from_bytes(data[20:24], "big")


def estimate_export(root: Value, frames: int, fmt: str, gif: bool, options: dict[str, Any]) -> ExportBudget:
    """Draw ``root`` once (without a step: it looks like every frame) and
    extrapolate to ``frames`` frames: bytes on disk, GIF pixels, seconds."""
    text = to_dot(root, **options)
    renders = {"dot": [], "svg": ["svg"], "png": ["png"]}[fmt] + (["png"] if gif and fmt != "png" else [])
    started = time.perf_counter()
    drawn = {kind: render(text, kind) for kind in renders}
    # a step's drawing has more to say than this one, and the GIF is made after: about 3 times as long
    seconds = 3.0 * (time.perf_counter() - started) * frames
    frame_bytes = len(text.encode("utf-8")) if fmt == "dot" else len(drawn[fmt])
    pixels = _png_pixels(drawn["png"]) * frames if gif else 0
    return ExportBudget(frames, frame_bytes, int(pixels * GIF_BYTES_PER_PIXEL), pixels, seconds)


def refuse_over_budget(budget: ExportBudget, max_frames: int, max_bytes: int) -> None:
    """Raise :class:`GraphTooLargeError` when an export would be too long, too large or too heavy."""
    advice = (
        "Export a smaller graph (one neuron, one sample), print the steps of backward_steps(root) "
        "instead (the same arithmetic, no pictures), or use step_through(root) in Jupyter"
    )
    if budget.frames > max_frames:
        raise GraphTooLargeError(
            f"export_steps: backward on this graph takes {budget.frames} steps, more than "
            f"max_frames={max_frames}, and each step is a drawing of the whole graph. {advice}; "
            "or pass max_frames="
        )
    if budget.total_bytes > max_bytes:
        raise GraphTooLargeError(
            f"export_steps: {budget.describe()}, more than max_bytes={_size(max_bytes)}. {advice}; "
            "fmt='svg' or gif=False make less; or pass max_bytes="
        )
    if budget.gif_pixels > MAX_GIF_PIXELS:
        raise GraphTooLargeError(
            f"export_steps: the GIF would hold {budget.gif_pixels:,} pixels, and Pillow keeps them all in "
            f"memory while writing it (the limit is {MAX_GIF_PIXELS:,}). {advice}; or pass gif=False"
        )


def export_steps(
    root: Value,
    folder: str | Path,
    *,
    fmt: str = "png",
    gif: bool = True,
    duration_ms: int = 1000,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_bytes: int = DEFAULT_MAX_EXPORT_BYTES,
    **options: Any,
) -> list[Path]:
    """Run backward on ``root`` step by step and save one drawing per step.

    Writes ``step_000.<fmt>``, ``step_001.<fmt>``, ... into ``folder`` (created
    if needed; ``fmt`` is png, svg or dot) and, with ``gif=True``, the animated
    ``backward.gif`` (one frame per step, ``duration_ms`` each, the last held
    three times as long; needs Pillow). ``options`` go to :func:`to_dot`.

    Bounded: one frame per node, at most ``max_frames`` of them, and at most
    ``max_bytes`` written in all, estimated from one drawing of the graph
    before anything else is done; beyond, :class:`GraphTooLargeError` says
    how large the export would be and what to do instead.

    This performs backward on the graph itself: afterwards every ``grad`` is
    what ``root.backward()`` gives (leaf gradients accumulate). Returns the
    paths of the step images, in order, then the GIF's.
    """
    if not isinstance(root, Value):
        raise WrongTypeError(f"export_steps needs a Value, got {type(root).__name__}")
    if fmt not in _EXPORT_FORMATS:
        raise InvalidArgumentError(
            f"export_steps: fmt must be one of {', '.join(_EXPORT_FORMATS)}; got {fmt!r}"
        )
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, int) or duration_ms <= 0:
        raise InvalidArgumentError(
            f"export_steps: duration_ms must be a positive whole number, got {duration_ms!r}"
        )
    if "step" in options:
        raise WrongTypeError("export_steps draws every step itself; do not pass step=")
    max_frames = check_limit(max_frames, "max_frames")
    max_bytes = check_limit(max_bytes, "max_bytes")
    # Everything that can be refused is refused before any gradient changes.
    image_module = _import_pillow() if gif else None
    if fmt != "dot" or gif:
        dot_program()
    order = topological_order(root)
    refuse_if_too_large(len(order), options.get("max_nodes", DEFAULT_MAX_NODES), "export_steps")
    to_dot(root, **options)  # checks the other options
    frames_needed = sum(not node.is_constant for node in order)  # one per step: constants are none
    if frames_needed > max_frames:
        refuse_over_budget(ExportBudget(frames_needed, 0, 0, 0, 0.0), max_frames, max_bytes)
    refuse_over_budget(estimate_export(root, frames_needed, fmt, gif, options), max_frames, max_bytes)

    steps = list(backward_steps(root))
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(steps) - 1)))
    paths: list[Path] = []
    frames: list[bytes] = []
    for step in steps:
        text = to_dot(root, step=step, **options)
        data = text.encode("utf-8") if fmt == "dot" else render(text, fmt)
        path = target / f"step_{step.index:0{width}d}.{fmt}"
        write_atomically(path, data)
        paths.append(path)
        if gif:
            frames.append(data if fmt == "png" else render(text, "png"))
    if gif and image_module is not None:
        gif_path = target / "backward.gif"
        write_atomically(gif_path, _animated_gif(image_module, frames, duration_ms))
        paths.append(gif_path)
    return paths


def _animated_gif(image_module: Any, frames: list[bytes], duration_ms: int) -> bytes:
    """PNG frames → one looping GIF; frames of different sizes are centred on a
    white canvas of the largest size (a GIF has one size)."""
    import io

    images = [image_module.open(io.BytesIO(data)).convert("RGB") for data in frames]
    width = max(image.width for image in images)
    height = max(image.height for image in images)
    canvases = []
    for image in images:
        canvas = image_module.new("RGB", (width, height), "white")
        canvas.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
        canvases.append(canvas)
    durations = [duration_ms] * len(canvases)
    durations[-1] = 3 * duration_ms
    out = io.BytesIO()
    canvases[0].save(out, format="GIF", save_all=True, append_images=canvases[1:], duration=durations, loop=0)
    return out.getvalue()


__all__ = ["Edge", "Step", "backward_steps", "export_steps"]
