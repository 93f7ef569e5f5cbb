"""A step player: backward, one step at a time, in one self-contained HTML file.

:func:`save_steps` writes the steps of a backward pass into a single HTML
file, and :func:`step_through` returns the same player for Jupyter. Every
step's drawing (an SVG rendered by Graphviz) and its arithmetic (exactly
``str(step)``; see :func:`shown` for the few characters a page cannot hold)
are embedded in the page, with a little JavaScript for the
controls: **Previous**, **Next**, **Play**, a slider, a counter ``step k/N``,
and the arrow keys. Nothing is loaded from the network, no kernel is needed,
and the file opens in any browser, so the player keeps working in a saved
notebook, in nbconvert's HTML, on nbviewer and on a course page.

All frames share one layout (see :mod:`autograd.frames`), so nothing moves
while you step; only the numbers and the highlight change.

The page holds the first drawing whole and, for every later step, only the
nodes and edges that step changed (see :func:`_pieces`); its script puts each
drawing back together when it is shown. ``max_frames`` (steps) and
``max_bytes`` (the page) bound a player; one over either is refused with
:class:`GraphTooLargeError`, and the gradients are left as they were.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograd.drawing import (
    DEFAULT_MAX_NODES,
    GraphvizNotFoundError,
    dot_program,
    refuse_if_too_large,
    to_dot,
    write_atomically,
)
from autograd.errors import GraphTooLargeError, StepPlayerError, WrongTypeError
from autograd.frames import render_frames
from autograd.graph import topological_order
from autograd.inline_svg import inline_svg, new_prefix
from autograd.stepping import Step, backward_steps
from autograd.value import Value

DEFAULT_MAX_FRAMES = 300
"""A backward pass of more steps than this is refused unless ``max_frames`` is raised."""

DEFAULT_MAX_BYTES = 10_000_000
"""A player larger than this (about 10 MB) is refused unless ``max_bytes`` is raised."""

SUFFIXES = (".html", ".htm")


# -- the page --------------------------------------------------------------------------

_STYLE = """
#{id} {{ font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 100%;
  outline: none; }}
#{id}:focus-visible {{ outline: 2px solid #93c5fd; outline-offset: 2px; }}
#{id} .cgp-controls {{ display: flex; flex-wrap: wrap; align-items: center; gap: 0.5em; margin: 0.3em 0; }}
#{id} .cgp-controls button {{ font: inherit; padding: 0.2em 0.9em; min-width: 5.5em; cursor: pointer; }}
#{id} .cgp-controls button:disabled {{ cursor: default; }}
#{id} .cgp-slider {{ flex: 1 1 12em; max-width: 30em; }}
#{id} .cgp-counter {{ font-variant-numeric: tabular-nums; font-weight: 600; min-width: 7em; }}
#{id} .cgp-hint, #{id} .cgp-note {{ font-size: smaller; opacity: 0.7; }}
#{id} .cgp-text {{ font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 0.9em; line-height: 1.35; white-space: pre-wrap; margin: 0.4em 0; min-height: {lines}em; }}
#{id} .cgp-picture {{ max-width: 100%; overflow-x: auto; cursor: zoom-in; }}
#{id}.cgp-full .cgp-picture {{ cursor: zoom-out; }}
#{id}.cgp-full .cgp-picture svg {{ max-width: none !important; }}
"""

_SCRIPT = """
(function () {
  var root = document.getElementById("%(id)s");
  if (!root || root.getAttribute("data-ready")) return;
  root.setAttribute("data-ready", "1");
  function part(name) { return root.querySelector(".cgp-" + name); }
  var data = JSON.parse(part("data").textContent);
  var texts = data.texts, pieces = data.pieces;
  var text = part("text"), picture = part("picture"), counter = part("counter"), slider = part("slider");
  var previous = part("previous"), next = part("next"), play = part("play");
  var n = texts.length, k = 0, timer = null, delay = %(delay)d;
  function drawing(i) {  // each piece of the drawing as it was last changed at or before step i
    var out = [];
    for (var g = 0; g < pieces.length; g++) {
      var versions = pieces[g], chosen = versions[0][1];
      for (var v = 1; v < versions.length && versions[v][0] <= i; v++) chosen = versions[v][1];
      out.push(chosen);
    }
    return out.join("");
  }
  function show(i) {
    k = Math.max(0, Math.min(n - 1, i));
    text.textContent = texts[k];
    if (picture) picture.innerHTML = drawing(k);
    counter.textContent = "step " + (k + 1) + "/" + n;
    slider.value = String(k + 1);
    var focused = document.activeElement;
    previous.disabled = k === 0;
    next.disabled = k === n - 1;
    if ((focused === previous || focused === next) && focused.disabled) root.focus();  // keys keep working
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "Play";
  }
  function start() {
    if (k === n - 1) show(0);
    play.textContent = "Pause";
    timer = setInterval(function () { show(k + 1); if (k === n - 1) stop(); }, delay);
  }
  previous.addEventListener("click", function () { stop(); show(k - 1); });
  next.addEventListener("click", function () { stop(); show(k + 1); });
  play.addEventListener("click", function () { if (timer === null) start(); else stop(); });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10) - 1); });
  if (picture) picture.addEventListener("click", function () { root.classList.toggle("cgp-full"); });
  root.addEventListener("keydown", function (event) {
    if (event.target === slider || event.altKey || event.ctrlKey || event.metaKey) return;
    var moves = {ArrowLeft: k - 1, ArrowRight: k + 1, Home: 0, End: n - 1};
    if (!(event.key in moves)) return;
    event.preventDefault();
    event.stopPropagation();
    stop();
    show(moves[event.key]);
  });
  [previous, next, play, slider].forEach(function (c) { c.disabled = false; });
  part("hint").textContent = "← → keys step; click the picture to zoom";
  show(0);
  if (root.hasAttribute("data-autofocus")) root.focus();
})();
"""

_PIECE = re.compile(r'<g id="[^"]*" class="(?:node|edge|cluster)">')


def _pieces(drawings: list[str]) -> list[list[tuple[int, str]]]:
    """The drawings of all steps, stored once: each drawing cut into pieces (one
    per node, edge and cluster of the graph), and each piece kept only at the
    steps where it changes, as ``(step, text)``. Joining, for each piece, its
    last version at or before step k gives drawing k back.

    A step changes a few nodes and edges, so a player holds a few drawings'
    worth of text instead of one per step. Drawings that do not cut into the
    same number of pieces are kept whole, one version per step.
    """
    cuts = [[m.start() for m in _PIECE.finditer(d)] for d in drawings]
    if len({len(c) for c in cuts}) != 1:
        return [[(k, d) for k, d in enumerate(drawings)]]
    split = [[d[a:b] for a, b in zip([0, *c], [*c, len(d)])] for d, c in zip(drawings, cuts)]
    pieces: list[list[tuple[int, str]]] = []
    for g in range(len(split[0])):
        versions = [(0, split[0][g])]
        for k in range(1, len(split)):
            if split[k][g] != versions[-1][1]:
                versions.append((k, split[k][g]))
        pieces.append(versions)
    return pieces


def _script_json(value: Any) -> str:
    """JSON that can sit inside a <script> element: no ``</`` and no ``<!--`` in it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--")


class StepPlayer:
    """The steps of one backward pass as a player: Previous, Next, Play, a slider.

    ``steps``   the :class:`~autograd.stepping.Step` objects, in order
    ``texts``   ``str(step)`` of each step, as the player shows it
    ``frames``  the SVG drawing of each step (None when Graphviz's ``dot`` is
                not installed: the player then shows the arithmetic alone)

    In Jupyter it displays as the player itself (its ``_repr_html_``);
    :meth:`save` writes it as a web page; ``print(player)`` prints every step.
    """

    def __init__(
        self, steps: Sequence[Step], frames: Sequence[str] | None, *, delay: float = 1.0, note: str = ""
    ) -> None:
        if not steps:
            raise StepPlayerError("a step player needs at least one step")
        self.steps = tuple(steps)
        self.texts = tuple(str(step) for step in self.steps)
        self.frames = tuple(frames) if frames is not None else None
        self.delay = _check_delay(delay)
        self.note = note
        first = self.steps[0]
        self.title = f"backward from {first.root_name}, step by step"

    def __len__(self) -> int:
        return len(self.steps)

    def __str__(self) -> str:
        return "\n\n".join(self.texts)

    def __repr__(self) -> str:
        more = len(self) - 1
        rest = f"\n... {more} more step{'s' if more != 1 else ''} (print it to see them all)" if more else ""
        return (
            f"StepPlayer: {len(self)} step{'s' if len(self) != 1 else ''} of backward from "
            f"{self.steps[0].root_name} "
            f"(Previous / Next / Play in Jupyter, or .save('steps.html') for any browser)\n"
            f"{self.texts[0]}{rest}"
        )

    def _repr_html_(self) -> str:
        return self.html()

    def html(self, *, autofocus: bool = False) -> str:
        """The player as an HTML fragment, to sit in a notebook or in any page.

        Its ids are new at every call, so several players (or several displays
        of one player) on a page never act on each other.
        """
        player_id = new_prefix() + "player"
        n = len(self)
        lines = max(text.count("\n") + 1 for text in self.texts)
        style = _STYLE.format(id=player_id, lines=round(lines * 1.35, 2))
        # one prefix for every step's drawing: only one of them is ever on the page
        drawings = [inline_svg(f, f"{player_id}-") for f in self.frames] if self.frames is not None else []
        data = {
            "texts": [shown(text) for text in self.texts],
            "pieces": _pieces(drawings) if drawings else [],
        }
        first = f'<pre class="cgp-text">{_escape(self.texts[0])}</pre>'
        if drawings:
            first += f'<div class="cgp-picture" title="click to zoom">{drawings[0]}</div>'
        focus = " data-autofocus" if autofocus else ""
        note = f'<p class="cgp-note">{html.escape(self.note)}</p>' if self.note else ""
        return (
            f'<div class="chaingrad-player" id="{player_id}" tabindex="0" data-lm-suppress-shortcuts="true" '
            f'role="group" aria-label="{_escape(self.title)}"{focus}>'
            f"<style>{style}</style>"
            '<div class="cgp-controls">'
            '<button type="button" class="cgp-previous" disabled>Previous</button>'
            '<button type="button" class="cgp-play" disabled>Play</button>'
            '<button type="button" class="cgp-next" disabled>Next</button>'
            f'<input type="range" class="cgp-slider" min="1" max="{n}" value="1" step="1" '
            'aria-label="step" disabled>'
            f'<span class="cgp-counter" aria-live="polite">step 1/{n}</span>'
            '<span class="cgp-hint">(the controls need JavaScript: open the saved page in a browser, '
            "or trust the notebook)</span>"
            f"</div>{note}"
            f'<div class="cgp-stage">{first}</div>'
            f'<script type="application/json" class="cgp-data">{_script_json(data)}</script>'
            "</div>"
            f"<script>{_SCRIPT % {'id': player_id, 'delay': max(1, round(self.delay * 1000))}}</script>"
        )

    def page(self) -> str:
        """The player as a complete web page (what :meth:`save` writes)."""
        title = _escape(self.title)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n</head>\n"
            '<body style="margin: 1em 1.5em">\n'
            f'<h1 style="font: 600 1.2em system-ui, Helvetica, Arial, sans-serif">{title}</h1>\n'
            f"{self.html(autofocus=True)}\n</body>\n</html>\n"
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the player as one self-contained HTML file and return its path.

        Open the file in any browser: everything it needs is inside it.
        """
        target = _html_path(path)
        write_atomically(target, self.page().encode("utf-8"))
        return target


def _shown_char(ch: str) -> str:
    code = ord(ch)
    if ch in "\n\t":
        return ch
    if code < 32 or code == 0x7F:
        return chr(0x2400 + code) if code < 32 else "\u2421"  # the control's visible picture: ␀ ␛
    if 0xD800 <= code <= 0xDFFF or (code & 0xFFFE) == 0xFFFE or 0xFDD0 <= code <= 0xFDEF:
        return "\ufffd"  # lone surrogates and noncharacters: no page can hold them
    return ch


def shown(text: str) -> str:
    """``text`` as a page can show it: unchanged, except the characters HTML cannot
    carry (control characters, lone surrogates), which become visible stand-ins.
    ``str(step)`` of any ordinary graph passes through untouched."""
    return "".join(map(_shown_char, text))


def _escape(text: str) -> str:
    return html.escape(shown(text))


def _check_delay(delay: Any) -> float:
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0.01 <= delay <= 60:
        raise StepPlayerError(
            f"delay is the number of seconds between steps when playing, from 0.01 to 60; got {delay!r}"
        )
    return float(delay)


def _html_path(path: Any) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise WrongTypeError(f"save_steps: the path must be a string or a Path, got {type(path).__name__}")
    target = Path(path)
    if target.suffix.lower() not in SUFFIXES:
        raise StepPlayerError(
            f"save_steps: {target.name!r} is not an HTML file name; end it in .html "
            f"(e.g. {target.stem or 'steps'}.html) so that a browser opens it"
        )
    if not target.parent.is_dir():
        raise StepPlayerError(
            f"save_steps: the folder {str(target.parent)!r} does not exist; create it first"
        )
    return target


def _check_budget(count: int, max_frames: int, who: str) -> None:
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1:
        raise StepPlayerError(f"max_frames must be a whole number >= 1, got {max_frames!r}")
    if count > max_frames:
        raise GraphTooLargeError(
            f"{who}: this graph has {count} nodes, so the player would hold up to {count} frames, more "
            f"than max_frames={max_frames}. Step through a smaller part (one neuron, one sample), or "
            f"pass max_frames={count} to build it anyway."
        )


def _refuse_if_too_many_bytes(size: int, max_bytes: int, who: str) -> None:
    if size > max_bytes:
        raise GraphTooLargeError(
            f"{who}: the player is {size:,} bytes, more than max_bytes={max_bytes}. Step through "
            f"a smaller graph (one neuron, one sample), or pass max_bytes={size} to keep it anyway."
        )


def build_player(
    root: Value,
    *,
    delay: float = 1.0,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    who: str = "step_through",
    **options: Any,
) -> StepPlayer:
    """Run backward on ``root`` step by step and build its :class:`StepPlayer`.

    A refusal leaves every gradient as it was: the options and the number of
    steps are checked first, and a player found too large once it is drawn
    puts back the gradients its backward pass changed.
    """
    if not isinstance(root, Value):
        raise WrongTypeError(f"{who} needs a Value, got {type(root).__name__}")
    if "step" in options:
        raise WrongTypeError(f"{who} draws every step itself; do not pass step=")
    if options.get("view", "values") != "values":
        raise StepPlayerError(f"{who} steps through the value graph; leave out view={options['view']!r}")
    _check_delay(delay)
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise StepPlayerError(f"max_bytes must be a whole number >= 1, got {max_bytes!r}")
    order = topological_order(root)
    refuse_if_too_large(len(order), options.get("max_nodes", DEFAULT_MAX_NODES), who)
    _check_budget(sum(not node.is_constant for node in order), max_frames, who)  # constants: no steps
    to_dot(root, **options)  # checks the other options
    try:
        dot_program()
        drawn = True
    except GraphvizNotFoundError:
        drawn = False

    before = [node.grad for node in order]
    steps = list(backward_steps(root))
    try:
        if drawn:
            player = StepPlayer(steps, render_frames([step.to_dot(**options) for step in steps]), delay=delay)
        else:
            note = (
                "Install Graphviz (apt-get install graphviz, brew install graphviz) to see a drawing "
                "of each step; here is the arithmetic alone."
            )
            player = StepPlayer(steps, None, delay=delay, note=note)
        _refuse_if_too_many_bytes(len(player.html().encode("utf-8")), max_bytes, who)
    except BaseException:
        for node, grad in zip(order, before):
            node.grad = grad
        raise
    return player


def step_through(
    root: Value,
    *,
    delay: float = 1.0,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    **options: Any,
) -> StepPlayer:
    """Step through backward on ``root``: a player with Previous, Next, Play and a slider.

    Returns a :class:`StepPlayer`. Jupyter shows it as the player, and it
    keeps working in the saved notebook and in any HTML export of it, since
    it needs no kernel. ``player.save("steps.html")`` writes it as a web page.
    Each step shows the graph as it was right after that step (see
    :meth:`Step.draw <autograd.stepping.Step.draw>`) above its arithmetic,
    exactly as ``print(step)`` writes it; Play advances every ``delay``
    seconds. ``options`` go to :func:`autograd.to_dot` (e.g. ``cluster=True``,
    ``show_local=False``). Without Graphviz's ``dot`` the player shows the
    arithmetic alone.

    This performs backward on the graph itself: afterwards every ``grad`` is
    what ``backward()`` gives. A graph of more than ``max_frames`` nodes, or a
    page of more than ``max_bytes``, is refused (:class:`GraphTooLargeError`)
    and leaves every gradient as it was.
    """
    return build_player(root, delay=delay, max_frames=max_frames, max_bytes=max_bytes, **options)


def save_steps(
    root: Value,
    path: str | os.PathLike[str],
    *,
    delay: float = 1.0,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    **options: Any,
) -> Path:
    """Write the step player of ``root``'s backward pass to ``path``, one HTML file.

    Every frame and every step's arithmetic is inside the file, which needs
    no network and no kernel: open it in any browser. Previous / Next (or the
    ← → keys) step, Play plays, the slider jumps. ``path`` must end in
    ``.html``; the file is written atomically. Options as for
    :func:`step_through`, which this is plus :meth:`StepPlayer.save`.
    Returns the path.
    """
    target = _html_path(path)  # a wrong name is refused before backward runs
    player = build_player(
        root, delay=delay, max_frames=max_frames, max_bytes=max_bytes, who="save_steps", **options
    )
    return player.save(target)


__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_FRAMES",
    "StepPlayer",
    "StepPlayerError",
    "build_player",
    "save_steps",
    "shown",
    "step_through",
]
