"""Every frame of a backward pass, drawn by Graphviz in one shared layout.

The drawing of each step of backward is the same graph with other numbers and
another highlight. Laid out one by one, the frames differ a little in size
(a gradient's digits, an edge label of two lines), and dot answers with a new
layout each time: nodes jump from step to step. Here the graph is laid out
once, with every node as large as its largest label in any frame and every
edge label as long as its longest one, and each frame is then drawn at those
positions with ``neato -n2``. One Graphviz run draws all the frames.

Reading positions back relies on the shape of the DOT text :func:`autograd.to_dot`
writes: one statement per line, nodes and edges in the same order in every
frame. When frames do not line up like that, each keeps a layout of its own.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograd.drawing import GraphvizError, dot_program

SECONDS_PER_FRAME = 2.0
"""How long Graphviz may take per frame before it is stopped (plus a minute)."""


def _run_graphviz(program: str, args: Sequence[str], text: str, frames: int) -> str:
    """Run a Graphviz program on ``text`` (several graphs) and return its output."""
    path = dot_program() if program == "dot" else str(Path(dot_program()).with_name(program))
    timeout = 60.0 + SECONDS_PER_FRAME * frames
    try:
        done = subprocess.run(
            [path, *args], input=text.encode("utf-8"), capture_output=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise GraphvizError(
            f"Graphviz's {program} took more than {timeout:.0f} s to draw {frames} frames and was stopped; "
            "step through a smaller graph"
        ) from None
    except OSError as exc:
        raise GraphvizError(f"could not run Graphviz's {program} ({path}): {exc}") from exc
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise GraphvizError(f"Graphviz's {program} could not draw the steps: {message}")
    return done.stdout.decode("utf-8")


def _split_svgs(output: str, count: int) -> list[str]:
    """The SVG documents Graphviz wrote one after another, one per graph."""
    starts = [m.start() for m in re.finditer(r"<\?xml\b", output)]
    svgs = [output[a:b] for a, b in zip(starts, [*starts[1:], len(output)])]
    if len(svgs) != count:
        raise GraphvizError(f"Graphviz drew {len(svgs)} frames for {count} steps")
    return svgs


def _json_documents(output: str) -> list[dict[str, Any]]:
    """Graphviz's JSON output for several graphs: one document per graph."""
    decoder = json.JSONDecoder()
    documents = []
    position = 0
    while True:
        while position < len(output) and output[position].isspace():
            position += 1
        if position >= len(output):
            return documents
        document, position = decoder.raw_decode(output, position)
        documents.append(document)


_NODE = re.compile(r"^(\w+) \[(.*)\];$")
_EDGE = re.compile(r"^(\w+) -> (\w+)(?: \[(.*)\])?;$")
_CLUSTER = re.compile(r"^subgraph (cluster_\w+) \{$")
_KEYWORDS = ("graph", "node", "edge")


def _statement(line: str) -> tuple[str, ...]:
    """What a line of our DOT text declares: a node, an edge, or something else."""
    edge = _EDGE.match(line)
    if edge:
        return ("edge", edge.group(1), edge.group(2))
    node = _NODE.match(line)
    if node and node.group(1) not in _KEYWORDS:
        return ("node", node.group(1))
    return ("other", line)


def _pinned_frames(dots: list[str]) -> list[str] | None:
    """The frames' DOT texts with every node and edge at one shared position.

    None when the frames do not have one structure (same nodes and edges, line
    for line), in which case each frame keeps its own layout.
    """
    lines = [text.splitlines() for text in dots]
    shape = [_statement(line) for line in lines[0]]
    if any(len(frame) != len(shape) for frame in lines):
        return None
    for frame in lines[1:]:
        for line, kind in zip(frame, shape):
            if _statement(line)[:2] != kind[:2] or (kind[0] == "edge" and _statement(line) != kind):
                return None
    # Every node as large as it gets in any frame, measured by Graphviz itself.
    sizes: dict[str, tuple[float, float]] = {}
    for document in _json_documents(_run_graphviz("dot", ["-Tjson0"], "".join(dots), len(dots))):
        for item in document.get("objects", []):
            if "pos" in item:
                w, h = float(item["width"]), float(item["height"])
                old = sizes.get(item["name"], (0.0, 0.0))
                sizes[item["name"]] = (max(old[0], w), max(old[1], h))
    # One reference layout: the longest label of each edge, the largest size of each node.
    reference = []
    for index, kind in enumerate(shape):
        if kind[0] == "edge":
            reference.append(max((frame[index] for frame in lines), key=len))
        else:
            reference.append(lines[0][index])
    minimums = [f"{name} [width={w}, height={h}];" for name, (w, h) in sizes.items()]
    layout = _json_documents(
        _run_graphviz("dot", ["-Tjson0"], "\n".join([*reference[:-1], *minimums, reference[-1]]), 1)
    )[0]
    return [_pin(frame, shape, layout, sizes) for frame in lines]


def _pin(
    frame: list[str],
    shape: list[tuple[str, ...]],
    layout: dict[str, Any],
    sizes: dict[str, tuple[float, float]],
) -> str:
    """One frame's DOT text with the positions of the reference layout."""
    objects = {item["name"]: item for item in layout.get("objects", [])}
    names = {item["_gvid"]: item["name"] for item in layout.get("objects", [])}
    routes: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for edge in layout.get("edges", []):
        routes.setdefault((names[edge["tail"]], names[edge["head"]]), []).append(edge)
    used: dict[tuple[str, str], int] = {}
    out = [frame[0], f'graph [bb="{layout["bb"]}", splines=true];']
    for line, kind in zip(frame[1:], shape[1:]):
        if kind[0] == "node":
            w, h = sizes[kind[1]]
            line = f'{line[:-2]}, pos="{objects[kind[1]]["pos"]}!", width={w}, height={h}, fixedsize=true];'
        elif kind[0] == "edge":
            pair = (kind[1], kind[2])
            route = routes[pair][used.get(pair, 0)]
            used[pair] = used.get(pair, 0) + 1
            pinned = f'pos="{route["pos"]}"' + (f', lp="{route["lp"]}"' if "lp" in route else "")
            attrs = _EDGE.match(line).group(3)  # type: ignore[union-attr]
            line = f"{kind[1]} -> {kind[2]} [{attrs + ', ' if attrs else ''}{pinned}];"
        else:
            cluster = _CLUSTER.match(line)
            if cluster and "bb" in objects.get(cluster.group(1), {}):
                line = f'{line}\ngraph [bb="{objects[cluster.group(1)]["bb"]}"];'
        out.append(line)
    return "\n".join(out) + "\n"


def render_frames(dots: list[str]) -> list[str]:
    """SVG drawings of ``dots`` (the frames of one graph), all in one layout when possible."""
    try:
        pinned = _pinned_frames(dots)
    except (GraphvizError, KeyError, ValueError, IndexError):
        pinned = None  # an unexpected layout: each frame keeps its own
    if pinned is not None:
        try:
            drawn = _run_graphviz("neato", ["-n2", "-Tsvg"], "".join(pinned), len(dots))
            return _split_svgs(drawn, len(dots))
        except GraphvizError:
            pass
    return _split_svgs(_run_graphviz("dot", ["-Tsvg"], "".join(dots), len(dots)), len(dots))


__all__ = ["render_frames"]
