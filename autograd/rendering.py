"""Running Graphviz: finding ``dot``, refusing layouts it could not finish,
and running it with a time limit that is kept even if Python is killed.

:func:`render` turns DOT text into an image (svg, png, pdf); everything that
draws goes through it.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

from autograd import files
from autograd.errors import ChaingradError, GraphTooLargeError, InvalidArgumentError, WrongTypeError


class GraphvizError(ChaingradError, RuntimeError):
    """Graphviz's ``dot`` program failed to render a drawing."""


class GraphvizNotFoundError(GraphvizError):
    """Graphviz's ``dot`` program is not installed (or not on ``PATH``)."""


def dot_program() -> str:
    """The path of Graphviz's ``dot`` program, or an error that says how to install it."""
    found = shutil.which("dot")
    if found is None:
        raise GraphvizNotFoundError(
            "rendering an image needs Graphviz's dot program, which is not installed (or not on PATH). "
            "Install it with `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
            "(macOS) or `conda install -c conda-forge graphviz`; or save the DOT text instead, "
            'e.g. save_graph(root, "graph.dot"), which needs no Graphviz.'
        )
    return found


# -- rendering with dot, bounded -----------------------------------------------

DEFAULT_RENDER_TIMEOUT = 60.0
"""Seconds :func:`render` lets Graphviz's ``dot`` run before stopping it."""

MAX_LONG_EDGE_STEPS = 3000
"""The layout work :func:`render` accepts, in ranks crossed by long edges (see
:func:`estimate_layout`): past about 3,000, ``dot`` needs minutes (an 80-term
sum of sin(x), 161 value nodes, needs about 6,400 and did not finish in 90 s)."""

MAX_DOT_CHARACTERS = 2_000_000
"""The longest DOT text :func:`render` hands to ``dot`` (huge labels)."""

# an edge "tail -> head"; a name starts only where no name character precedes it (so a
# long run of letters is scanned once, not once per letter), and the head is not
# consumed, so "a -> b -> c" gives both edges
_EDGE = re.compile(r'(?<![\w."])"?([\w.]+)"?\s*->\s*(?="?([\w.]+))')


class GraphvizTimeoutError(GraphvizError, TimeoutError):
    """Graphviz's ``dot`` did not finish within the timeout and was stopped."""


class LayoutEstimate(NamedTuple):
    """What ``dot`` must lay out: boxes, arrows, and long-edge steps.

    ``long_edge_steps`` counts, over all edges, the ranks an edge crosses
    between its ends: ``dot`` puts a hidden node on each, and its time grows
    steeply with them (an input used at both ends of a long chain of ops makes
    edges that cross every rank in between). Ranks are estimated the way
    ``dot`` assigns them: each node one rank after its inputs, then pulled
    towards its users when it has more users than inputs.
    """

    nodes: int
    edges: int
    long_edge_steps: int
    characters: int


_SAME_RANK = re.compile(r"\{rank=same;[^{}]*\}")


def estimate_layout(dot_text: str) -> LayoutEstimate:
    """The size of the layout ``dot`` would compute for ``dot_text``, in linear time.

    Edges inside a ``{rank=same; ...}`` group only order nodes within one rank
    (the neuron view keeps a layer's neurons in order so), so they are left out."""
    edges = _EDGE.findall(_SAME_RANK.sub("", dot_text))
    users: dict[str, list[str]] = {}
    inputs: dict[str, list[str]] = {}
    for tail, head in edges:
        users.setdefault(tail, []).append(head)
        inputs.setdefault(head, []).append(tail)
        users.setdefault(head, [])
        inputs.setdefault(tail, [])
    waiting = {node: len(tails) for node, tails in inputs.items()}
    ready = [node for node, count in waiting.items() if count == 0]
    order: list[str] = []
    while ready:  # Kahn's algorithm; nodes on a cycle (hand-written DOT) are left out
        node = ready.pop()
        order.append(node)
        for head in users[node]:
            waiting[head] -= 1
            if waiting[head] == 0:
                ready.append(head)
    rank: dict[str, int] = {}
    for node in order:
        rank[node] = max((rank[t] + 1 for t in inputs[node] if t in rank), default=0)
    for node in reversed(order):
        if users[node] and len(users[node]) >= len(inputs[node]):
            rank[node] = min(rank[h] for h in users[node]) - 1
    steps = sum(max(rank[h] - rank[t] - 1, 0) for t, h in edges if t in rank and h in rank)
    return LayoutEstimate(len(users), len(edges), steps, len(dot_text))


def refuse_hopeless_layout(dot_text: str, who: str = "") -> LayoutEstimate:
    """Raise :class:`GraphTooLargeError` when ``dot`` would need minutes or more for ``dot_text``."""
    prefix = f"{who}: " if who else ""
    if len(dot_text) > MAX_DOT_CHARACTERS:
        raise GraphTooLargeError(
            f"{prefix}the DOT text is {len(dot_text):,} characters, more than {MAX_DOT_CHARACTERS:,}; "
            "labels that long cannot be drawn. Shorten the labels, or save the text as a .dot file"
        )
    estimate = estimate_layout(dot_text)
    if estimate.long_edge_steps > MAX_LONG_EDGE_STEPS:
        raise GraphTooLargeError(
            f"{prefix}Graphviz would need minutes or hours for this drawing ({estimate.nodes} boxes, "
            f"{estimate.edges} arrows, and edges that cross {estimate.long_edge_steps:,} ranks in all, "
            f"more than {MAX_LONG_EDGE_STEPS:,}): a value used both early and late in a long chain of "
            "ops, such as x in a sum of many sin(x) terms, draws an arrow across the whole chain. "
            "Draw a smaller expression (sum_values makes one node of a long sum), save the DOT text "
            "instead (a .dot file), or use explain(root, x) for the chain rule as text"
        )
    return estimate


def _limit_cpu(seconds: int) -> Callable[[], None]:
    """A preexec function for ``dot``: a CPU time limit, so that even a ``dot``
    orphaned by a killed Python process stops by itself (SIGXCPU)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))

    return limit


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill ``dot`` and anything it started (its own process group), and reap it."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
    except OSError:
        pass  # already gone
    process.wait()


def _run_dot(program: str, dot_text: str, fmt: str, timeout: float | None) -> bytes:
    options: dict[str, Any] = {}
    if hasattr(os, "killpg"):
        options["start_new_session"] = True  # its own process group: killed as one
    if timeout is not None and resource is not None:
        options["preexec_fn"] = _limit_cpu(math.ceil(timeout) + 2)
    try:
        process = subprocess.Popen(
            [program, f"-T{fmt}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **options,
        )
    except OSError as exc:
        raise GraphvizError(f"could not run Graphviz's dot program ({program}): {exc}") from exc
    try:
        out, err = process.communicate(dot_text.encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise GraphvizTimeoutError(
            f"Graphviz's dot did not finish the drawing in {timeout:g} s and was stopped; the graph is "
            "too large or too tangled to lay out. Draw a smaller part of it, save the DOT text "
            "instead (a .dot file), or pass a longer timeout="
        ) from None
    except BaseException:  # KeyboardInterrupt included: never leave dot running
        _stop(process)
        raise
    if process.returncode != 0 or not out:
        message = err.decode("utf-8", "replace").strip() or f"exit status {process.returncode}"
        raise GraphvizError(f"Graphviz's dot could not render the drawing as {fmt}: {message}")
    return out


def render(dot_text: str, fmt: str, *, timeout: float | None = DEFAULT_RENDER_TIMEOUT) -> bytes:
    """Run ``dot -T<fmt>`` on ``dot_text`` and return the image bytes (``fmt``: svg, png).

    Bounded: a layout estimated to need minutes (:func:`estimate_layout`) is
    refused at once with :class:`GraphTooLargeError`; ``dot`` runs in its own
    process group with a CPU time limit, and is killed, with anything it
    started, after ``timeout`` seconds (:class:`GraphvizTimeoutError`) or
    when the call is interrupted (Ctrl-C). ``timeout=None`` waits for ever.
    """
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise WrongTypeError(f"timeout must be a number of seconds or None, got {timeout!r:.60}")
        if not timeout > 0 or timeout - timeout != 0.0:
            raise InvalidArgumentError(f"timeout must be a positive number of seconds, got {timeout!r}")
    program = dot_program()
    refuse_hopeless_layout(dot_text)
    return _run_dot(program, dot_text, fmt, timeout)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename it over ``path``,
    so a failure never leaves a half-written file behind (see :mod:`autograd.files`:
    symbolic links are written through, the umask is kept)."""
    try:
        files.write_atomically(path, data, durable=False)
    except InvalidArgumentError as exc:
        raise InvalidArgumentError(f"save_graph: {exc}") from None


__all__ = [
    "DEFAULT_RENDER_TIMEOUT",
    "MAX_DOT_CHARACTERS",
    "MAX_LONG_EDGE_STEPS",
    "GraphvizError",
    "GraphvizNotFoundError",
    "GraphvizTimeoutError",
    "LayoutEstimate",
    "dot_program",
    "estimate_layout",
    "refuse_hopeless_layout",
    "render",
    "write_atomically",
]
