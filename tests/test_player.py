"""The step player's HTML: self-contained, every step's arithmetic as ``str(step)``,
one frame per step in one shared layout, escaped, bounded in size, and refused
before any gradient changes. (tests/test_player_browser.py drives it in Chromium.)"""

from __future__ import annotations

import itertools
import json
import re
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import GraphTooLargeError, Parameter, Value, backward_steps, linear, topological_order
from autograd.frames import render_frames
from autograd.inline_svg import inline_svg
from autograd.player import (
    StepPlayer,
    StepPlayerError,
    save_steps,
    shown,
    step_through,
)

SVG = "{http://www.w3.org/2000/svg}"


def expression() -> Value:
    """f = σ(x·y + x) at x = 2, y = -0.5: x is used twice."""
    x, y = Value(2.0, "x"), Value(-0.5, "y")
    q = x * y
    q.label = "q"
    r = q + x
    r.label = "r"
    f = r.sigmoid()
    f.label = "f"
    return f


def neuron_loss() -> Value:
    """A sigmoid neuron with a squared error: parameters, inputs, a constant."""
    x1, x2 = Value(1.0, "x1"), Value(2.0, "x2")
    w1, w2, b = Parameter(0.5, "w1"), Parameter(-0.25, "w2"), Parameter(0.0, "b")
    u = linear([w1, w2], [x1, x2], b)
    u.label = "u"
    p = u.sigmoid()
    p.label = "p"
    loss = 0.5 * (Value(1.0, "y") - p) ** 2
    loss.label = "L"
    return loss


def two_two_one() -> Value:
    """The 2-2-1 sigmoid network worked by hand, L = ½ (y − ŷ)²: shared inputs, two layers."""
    x1, x2 = Value(1.0, "x1"), Value(-1.0, "x2")
    hidden = []
    for k, (w_a, w_b, bias) in enumerate([(1.0, -2.0, 1.0), (-1.0, 1.0, 0.0)], start=1):
        a = linear([Parameter(w_a, f"w{k}1"), Parameter(w_b, f"w{k}2")], [x1, x2], Parameter(bias, f"b{k}"))
        a.label = f"a{k}"
        h = a.sigmoid()
        h.label = f"h{k}"
        hidden.append(h)
    a = linear([Parameter(0.5, "w1"), Parameter(-0.5, "w2")], hidden, Parameter(0.1, "b"))
    a.label = "a"
    yhat = a.sigmoid()
    yhat.label = "yhat"
    loss = 0.5 * (Value(1.0, "y") - yhat) ** 2
    loss.label = "L"
    return loss


def grads(root: Value) -> list[float]:
    return [node.grad for node in topological_order(root)]


class Page(HTMLParser):
    """What a page holds: its tags, the text of its <pre>, its scripts, its ids,
    and the player's data (every step's text and the pieces of its drawings)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.pre_texts: list[str] = []
        self.scripts: list[tuple[str | None, str]] = []  # (type, text)
        self._in: str | None = None
        self._type: str | None = None
        self._buffer: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("pre", "script"):
            self._in, self._type, self._buffer = tag, dict(attrs).get("type"), []

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            text = "".join(self._buffer)
            if tag == "pre":
                self.pre_texts.append(text)
            else:
                self.scripts.append((self._type, text))
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._buffer.append(data)

    def ids(self) -> list[str]:
        return [attrs["id"] for _, attrs in self.tags if attrs.get("id")]

    @property
    def code(self) -> list[str]:
        """The scripts that run."""
        return [text for kind, text in self.scripts if kind is None]

    @property
    def data(self) -> dict:
        (text,) = [text for kind, text in self.scripts if kind == "application/json"]
        return json.loads(text)

    def texts(self) -> list[str]:
        return self.data["texts"]

    def drawings(self) -> list[str]:
        """Each step's drawing put back together, as the page's script does."""
        pieces = self.data["pieces"]
        drawings = []
        for k in range(len(self.texts())):
            parts = []
            for versions in pieces:
                chosen = versions[0][1]
                for step, text in versions[1:]:
                    if step <= k:
                        chosen = text
                parts.append(chosen)
            drawings.append("".join(parts))
        return drawings


# -- the file ------------------------------------------------------------------------


def test_save_steps_writes_one_page_with_every_step(tmp_path):
    path = save_steps(expression(), tmp_path / "steps.html")
    steps = [str(step) for step in backward_steps(expression())]
    text = path.read_text(encoding="utf-8")
    page = Page(text)
    assert page.pre_texts == [steps[0]]  # on the page as it loads, before any script runs
    assert page.texts() == steps
    assert len(page.drawings()) == len(steps)
    assert f"step 1/{len(steps)}" in text
    labels = [tag for tag, attrs in page.tags if tag == "button"]
    assert labels == ["button"] * 3
    for label in ("Previous", "Next", "Play"):
        assert f">{label}</button>" in text
    slider = next(attrs for tag, attrs in page.tags if tag == "input")
    assert slider["type"] == "range" and slider["min"] == "1" and slider["max"] == str(len(steps))
    assert text.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in text


def test_the_page_needs_nothing_from_outside(tmp_path):
    text = save_steps(neuron_loss(), tmp_path / "steps.html").read_text(encoding="utf-8")
    page = Page(text)
    for tag, attrs in page.tags:
        assert "src" not in attrs and tag not in ("link", "iframe", "img"), tag
        assert not (attrs.get("href") or "").startswith(("http", "//")), attrs
    urls = set(re.findall(r"https?://[^\s\"')\\]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert "@import" not in text and "url(" not in text


def test_every_frame_is_a_drawing_of_its_step(tmp_path):
    loss = neuron_loss()
    player = step_through(loss)
    ids = {node: f"n{i}" for i, node in enumerate(topological_order(loss))}
    assert len(player) == len(player.frames) == len(list(backward_steps(neuron_loss())))
    for frame, step in zip(player.frames, player.steps):
        root = ET.fromstring(frame)
        outlined = [
            group.find(f"{SVG}title").text
            for group in root.iter(f"{SVG}g")
            if group.get("class") == "node" and any(e.get("stroke") == "#dc2626" for e in group)
        ]
        assert ids[step.node] in outlined, f"step {step.index + 1}: {step.name} is not outlined"
    assert len(set(player.frames)) == len(player.frames)  # the picture changes at every step


def svg_geometry(svg: str) -> dict[str, str]:
    """Each node's outline (its shape's coordinates), by node id."""
    shapes = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if group.get("class") == "node":
            shape = next(e for e in group if e.tag in (f"{SVG}polygon", f"{SVG}path", f"{SVG}ellipse"))
            shapes[group.find(f"{SVG}title").text] = " ".join(
                f"{k}={shape.get(k)}" for k in ("points", "d", "cx", "cy", "rx", "ry") if shape.get(k)
            )
    return shapes


@pytest.mark.parametrize("options", [{}, {"cluster": True}, {"show_local": False, "rankdir": "TB"}])
def test_nothing_moves_between_frames(options):
    player = step_through(two_two_one(), **options)
    sizes = {re.search(r'<svg width="[^"]*" height="[^"]*"', f).group(0) for f in player.frames}
    assert len(sizes) == 1  # one size for every frame
    first = svg_geometry(player.frames[0])
    for frame in player.frames[1:]:
        assert svg_geometry(frame) == first  # every node at the same place, the same size


def test_without_a_shared_layout_frames_are_still_drawn(monkeypatch):
    import autograd.frames

    monkeypatch.setattr(autograd.frames, "_pinned_frames", lambda dots: None)
    player = step_through(neuron_loss())
    assert len(player.frames) == len(player) and all("<svg" in f for f in player.frames)


def test_render_frames_draws_each_text():
    dots = [step.to_dot() for step in backward_steps(expression())]
    frames = render_frames(dots)
    assert len(frames) == len(dots) and all(f.lstrip().startswith("<?xml") for f in frames)


# -- the object Jupyter shows ------------------------------------------------------------------


def test_step_through_returns_the_player_and_does_backward():
    f = expression()
    player = step_through(f)
    reference = expression()
    reference.backward()
    assert isinstance(player, StepPlayer) and grads(f) == grads(reference)
    assert player.texts == tuple(str(s) for s in backward_steps(expression()))
    assert Page(player._repr_html_()).texts() == list(player.texts)
    assert autograd.step_through is step_through and autograd.save_steps is save_steps


def test_the_text_forms_say_what_it_is():
    player = step_through(expression())
    first = repr(player).splitlines()
    assert first[0].startswith(f"StepPlayer: {len(player)} steps of backward from f")
    assert first[1] == player.texts[0].splitlines()[0]
    assert "VBox" not in repr(player)
    assert str(player) == "\n\n".join(player.texts)
    alone = step_through(Value(3.0, "x"))
    assert repr(alone).splitlines()[0].startswith("StepPlayer: 1 step of backward from x (")
    assert "more step" not in repr(alone)


def test_each_display_has_ids_of_its_own():
    player = step_through(expression())
    first, second = Page(player.html()), Page(player.html())
    assert set(first.ids()).isdisjoint(second.ids())
    player_id = next(i for i in first.ids() if i.endswith("player"))
    (script,) = first.code
    assert f'document.getElementById("{player_id}")' in script
    assert "document.querySelector" not in script  # everything is looked up inside the player
    style = re.search(r"<style>(.*?)</style>", player.html(), re.S).group(1)
    rules = [r.strip() for r in re.findall(r"([^{}]+)\{", style)]
    assert rules and all(rule.startswith("#cg") for rule in rules), rules


def test_without_graphviz_the_player_shows_the_arithmetic(monkeypatch):
    monkeypatch.setenv("PATH", "")
    player = step_through(expression())
    assert player.frames is None
    page = player.html()
    assert "<svg" not in page and "apt-get install graphviz" in page
    assert Page(page).texts() == list(player.texts) and Page(page).data["pieces"] == []


# -- escaping ---------------------------------------------------------------------------------

NASTY = ["</script><script>window.pwned=1</script>", "a<b & c>d", "\"quoted\" 'single'", "<!--", "]]>"]


def labelled_graph(labels: list[str]) -> Value:
    a, b = Value(1.5, labels[0]), Parameter(-2.0, labels[1])
    c = a * b
    c.label = labels[2]
    d = (c + a).tanh()
    d.label = labels[3]
    e = d * Value(3.0, labels[4])
    e.label = labels[0] + labels[4]
    return e


def test_labels_that_look_like_markup_stay_text(tmp_path):
    path = save_steps(labelled_graph(NASTY), tmp_path / "steps.html")
    text = path.read_text(encoding="utf-8")
    page = Page(text)
    assert page.texts() == [str(s) for s in backward_steps(labelled_graph(NASTY))]
    assert page.pre_texts == [page.texts()[0]]
    assert len(page.code) == 1 and "pwned" not in page.code[0]
    assert len(page.scripts) == 2 and text.count("</script>") == 2  # the data and the code
    data = next(body for kind, body in page.scripts if kind == "application/json")
    assert "</" not in data and "<!--" not in data  # nothing in it can end or bend the script element
    for drawing in page.drawings():
        ET.fromstring(drawing)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=5, max_size=5))
def test_any_labels_give_the_exact_texts(labels):
    monkey = pytest.MonkeyPatch()
    monkey.setenv("PATH", "")  # the text alone: fast, and the same escaping
    try:
        player = step_through(labelled_graph(labels))
        page = Page(player.html())
    finally:
        monkey.undo()
    expected = [str(s) for s in backward_steps(labelled_graph(labels))]
    assert list(player.texts) == expected
    assert page.texts() == [shown(text) for text in expected]
    assert len(page.code) == 1


# -- limits and bad arguments, refused before any gradient changes ---------------------------


def chain(n: int) -> Value:
    v = Value(0.5, "x")
    for _ in range(n - 1):
        v = v.sin()
    return v


def test_too_many_frames_are_refused_before_backward(tmp_path):
    root = chain(40)
    before = grads(root)
    with pytest.raises(GraphTooLargeError) as caught:
        save_steps(root, tmp_path / "s.html", max_frames=30)
    message = str(caught.value)
    assert "40 nodes" in message and "max_frames=30" in message and "max_frames=40" in message
    assert grads(root) == before and list(tmp_path.iterdir()) == []
    assert len(step_through(root, max_frames=40)) == 40


def test_too_many_bytes_are_refused_and_the_gradients_left_as_they_were(tmp_path):
    root = neuron_loss()
    before = grads(root)
    with pytest.raises(
        GraphTooLargeError, match=r"the player is [\d,]+ bytes, more than max_bytes=50000"
    ) as caught:
        save_steps(root, tmp_path / "s.html", max_bytes=50_000)
    assert grads(root) == before and list(tmp_path.iterdir()) == []
    size = int(re.search(r"pass max_bytes=(\d+)", str(caught.value)).group(1))
    player = step_through(root, max_bytes=size)
    assert len(player.html().encode("utf-8")) <= size + 200  # the same page, but for its fresh ids


def test_the_node_limit_of_drawings_applies(tmp_path):
    root = chain(12)
    with pytest.raises(GraphTooLargeError, match="max_nodes=10"):
        step_through(root, max_nodes=10)


@pytest.mark.parametrize(
    ("name", "error", "match"),
    [
        ("steps.txt", StepPlayerError, r"end it in \.html \(e\.g\. steps\.html\)"),
        ("steps", StepPlayerError, r"end it in \.html"),
        ("no/such/folder/steps.html", StepPlayerError, "does not exist"),
    ],
)
def test_bad_file_names_are_refused_before_backward(tmp_path, name, error, match):
    root = expression()
    before = grads(root)
    with pytest.raises(error, match=match) as caught:
        save_steps(root, tmp_path / name)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, autograd.ChaingradError)
    assert grads(root) == before and list(tmp_path.iterdir()) == []


def test_bad_arguments_are_refused_clearly():
    root = expression()
    before = grads(root)
    with pytest.raises(StepPlayerError, match="delay"):
        step_through(root, delay=0)
    with pytest.raises(StepPlayerError, match="max_frames"):
        step_through(root, max_frames=0)
    with pytest.raises(StepPlayerError, match="max_bytes"):
        step_through(root, max_bytes=-1)
    with pytest.raises(TypeError, match="step="):
        step_through(root, step=None)
    with pytest.raises(StepPlayerError, match="value graph"):
        step_through(root, view="neurons")
    with pytest.raises(ValueError, match="rankdir"):
        step_through(root, rankdir="sideways")
    with pytest.raises(TypeError, match="Value"):
        step_through(3.0)
    with pytest.raises(TypeError, match="path"):
        save_steps(root, 42)
    assert grads(root) == before


def test_a_second_player_of_the_same_graph_shows_the_second_pass():
    f = expression()
    first = step_through(f)
    second = step_through(f)
    reference = expression()
    reference.backward()
    assert first.texts == tuple(str(s) for s in backward_steps(expression()))
    assert second.texts == tuple(str(s) for s in backward_steps(reference))
    assert len(second.frames) == len(first.frames)


def test_saving_twice_replaces_the_file(tmp_path):
    path = tmp_path / "steps.html"
    save_steps(expression(), path)
    save_steps(chain(3), path)
    assert "step 1/3" in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["steps.html"]


def test_the_module_is_importable_without_a_browser_or_widgets(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    assert len(step_through(expression())) == 5
    assert Path(autograd.player.__file__).name == "player.py"


def test_characters_a_page_cannot_hold_are_shown_as_stand_ins(tmp_path):
    root = labelled_graph(["nul\x00", "esc\x1b[31m", "lone\ud800", "tab\tbell\x07", "ok"])
    text = save_steps(root, tmp_path / "steps.html").read_text(encoding="utf-8")  # it encodes
    assert "\x00" not in text and "\x1b" not in text and "nul␀" in text and "esc␛[31m" in text
    assert "lone\ufffd" in text and "tab\tbell␇" in text
    assert shown("∂L/∂w1 = -0.125 × 2\n  next") == "∂L/∂w1 = -0.125 × 2\n  next"


def test_without_neato_each_frame_keeps_its_own_layout(monkeypatch):
    import autograd.frames

    real = autograd.frames._run_graphviz

    def no_neato(program, *args):
        if program == "neato":
            raise autograd.GraphvizError("neato is not installed")
        return real(program, *args)

    monkeypatch.setattr(autograd.frames, "_run_graphviz", no_neato)
    dots = [step.to_dot() for step in backward_steps(expression())]
    frames = render_frames(dots)
    assert len(frames) == len(dots) and all("<svg" in f for f in frames)


def test_the_page_holds_each_drawing_once_and_only_what_changes():
    player = step_through(two_two_one())
    text = player.html()
    page = Page(text)
    prefix = next(i for i in page.ids() if i.endswith("player")) + "-"
    # every step's drawing comes back exactly from the pieces
    assert page.drawings() == [inline_svg(frame, prefix) for frame in player.frames]
    # and the page is far smaller than one drawing per step
    assert len(text) < sum(len(frame) for frame in player.frames) / 3
    pieces = page.data["pieces"]
    assert len(pieces) > 40 and all(versions[0][0] == 0 for versions in pieces)
    assert all(a[0] < b[0] for versions in pieces for a, b in itertools.pairwise(versions))


def test_drawings_that_do_not_line_up_are_kept_whole():
    from autograd.player import _pieces

    one = '<svg><g id="a" class="node">1</g></svg>'
    two = '<svg><g id="a" class="node">1</g><g id="b" class="edge">2</g></svg>'
    assert _pieces([one, two]) == [[(0, one), (1, two)]]
