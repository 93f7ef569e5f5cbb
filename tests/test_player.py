"""The step player's HTML: self-contained, every step's arithmetic as ``str(step)``,
one frame per step in one shared layout, escaped, bounded in size, and refused
before any gradient changes. (tests/test_player_browser.py drives it in Chromium.)"""

from __future__ import annotations

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
    """What a page holds: its tags, its templates' texts, its scripts, its ids."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.pre_texts: list[str] = []
        self.scripts: list[str] = []
        self._in: str | None = None
        self._buffer: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("pre", "script"):
            self._in, self._buffer = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            (self.pre_texts if tag == "pre" else self.scripts).append("".join(self._buffer))
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._buffer.append(data)

    def ids(self) -> list[str]:
        return [attrs["id"] for _, attrs in self.tags if attrs.get("id")]


# -- the file ------------------------------------------------------------------------


def test_save_steps_writes_one_page_with_every_step(tmp_path):
    path = save_steps(expression(), tmp_path / "steps.html")
    steps = [str(step) for step in backward_steps(expression())]
    text = path.read_text(encoding="utf-8")
    page = Page(text)
    # the first step is on the page as it loads; then one frame per step
    assert page.pre_texts == [steps[0], *steps]
    assert text.count('<template class="cgp-frame">') == len(steps)
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
    urls = set(re.findall(r"https?://[^\s\"')]+", text))
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
    assert player._repr_html_().count('<template class="cgp-frame">') == len(player)
    assert autograd.step_through is step_through and autograd.save_steps is save_steps


def test_the_text_forms_say_what_it_is():
    player = step_through(expression())
    first = repr(player).splitlines()
    assert first[0].startswith(f"StepPlayer: {len(player)} steps of backward from f")
    assert first[1] == player.texts[0].splitlines()[0]
    assert "VBox" not in repr(player)
    assert str(player) == "\n\n".join(player.texts)


def test_each_display_has_ids_of_its_own():
    player = step_through(expression())
    first, second = Page(player.html()), Page(player.html())
    assert set(first.ids()).isdisjoint(second.ids())
    player_id = next(i for i in first.ids() if i.endswith("player"))
    script = first.scripts[0]
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
    assert Page(page).pre_texts[1:] == list(player.texts)


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
    assert page.pre_texts[1:] == [str(s) for s in backward_steps(labelled_graph(NASTY))]
    assert len(page.scripts) == 1 and "pwned" not in page.scripts[0]
    assert text.count("<script>") == 1 and text.count("</script>") == 1
    for frame in re.findall(r'<div class="cgp-picture"[^>]*>(.*?)</div>', text, re.S):
        ET.fromstring(frame)  # each inline drawing is well-formed


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
    assert page.pre_texts[1:] == [shown(text) for text in expected]
    assert len(page.scripts) == 1


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


def test_too_many_bytes_are_refused_before_backward(tmp_path):
    root = neuron_loss()
    before = grads(root)
    with pytest.raises(GraphTooLargeError, match=r"MB .*max_bytes=50000"):
        step_through(root, max_bytes=50_000)
    assert grads(root) == before
    player = step_through(root, max_bytes=5_000_000)
    assert sum(len(f) for f in player.frames) < 5_000_000


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
