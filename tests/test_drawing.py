"""Drawing graphs: DOT text that is deterministic, escaped, coloured by role,
clustered by name scope, size-limited, and rendered for real by Graphviz's dot."""

from __future__ import annotations

import math
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import example, given, reject, settings
from hypothesis import strategies as st

from autograd import (
    ChaingradError,
    DomainError,
    GraphTooLargeError,
    Parameter,
    Value,
    linear,
    node_names,
    sum_values,
    topological_order,
)
from autograd.drawing import (
    COLOURS,
    HIGHLIGHT_COLOUR,
    GraphvizError,
    GraphvizNotFoundError,
    MissingPackageError,
    draw,
    render,
    save_graph,
    to_dot,
)

SVG = "{http://www.w3.org/2000/svg}"

# -- reading our DOT back ----------------------------------------------------------

NODE = re.compile(r"^(?P<id>(?:n|op)\d+) \[(?P<attrs>.*)\];$")
EDGE = re.compile(r"^(?P<tail>\w+) -> (?P<head>\w+)(?: \[(?P<attrs>.*)\])?;$")
CLUSTER = re.compile(r"^subgraph (cluster_\d+) \{$")
CLUSTER_LABEL = re.compile(r"^label=<(?P<label>.*?)>; style=")


def parse_dot(text: str) -> tuple[dict[str, str], dict[str, list[str]], list[tuple[str, str, str]]]:
    """Node attributes by id, the cluster labels enclosing each node (outermost
    first), and the edges (tail, head, attributes) in order."""
    attrs: dict[str, str] = {}
    where: dict[str, list[str]] = {}
    edges: list[tuple[str, str, str]] = []
    stack: list[str] = []
    lines = text.splitlines()
    assert lines[0] == "digraph chaingrad {" and lines[-1] == "}"
    for line in lines[1:-1]:
        if CLUSTER.match(line):
            stack.append("?")
        elif (m := CLUSTER_LABEL.match(line)) and stack and stack[-1] == "?":
            stack[-1] = m["label"]
        elif line == "}":
            stack.pop()
        elif m := NODE.match(line):
            attrs[m["id"]] = m["attrs"]
            where[m["id"]] = list(stack)
        elif m := EDGE.match(line):
            edges.append((m["tail"], m["head"], m["attrs"] or ""))
    assert not stack
    return attrs, where, edges


def label_of(attrs: str) -> str:
    return re.match(r"label=<(.*)>, ", attrs + ", ")[1]


def fill_of(attrs: str) -> str:
    return re.search(r'fillcolor="([^"]*)"', attrs)[1]


def number_after(word: str, label: str) -> float:
    return float(re.search(rf"{word} (\S+?)(?:<|$)", label)[1])


# -- graphs to draw ----------------------------------------------------------------


def neuron() -> dict[str, Value]:
    """y = tanh(2 · (w·x + b)): one node of every role."""
    x = Value(1.5, "x")
    w = Parameter(-0.5, "w")
    b = Parameter(0.25, "b")
    z = linear([w], [x], b)
    z.label = "z"
    doubled = z * 2
    y = doubled.tanh()
    y.label = "y"
    y.backward()
    return {"x": x, "w": w, "b": b, "z": z, "doubled": doubled, "y": y, "two": doubled.inputs[1]}


def ids(root: Value) -> dict[Value, str]:
    return {node: f"n{i}" for i, node in enumerate(topological_order(root))}


UNARY = (Value.tanh, Value.sigmoid, Value.sin, Value.cos, Value.relu, Value.abs, Value.__neg__)


@st.composite
def recipes(draw_: st.DrawFn) -> tuple[list[float], list[tuple[int, int, int]]]:
    leaves = draw_(st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=4))
    ops = draw_(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 99), st.integers(0, 99)), max_size=10))
    return leaves, ops


def build(recipe: tuple[list[float], list[tuple[int, int, int]]]) -> Value:
    """A graph from a recipe: the same recipe always builds an equal graph."""
    leaves, ops = recipe
    nodes: list[Value] = [
        Parameter(v, f"L{i % 2}.p{i}") if i % 2 else Value(v, f"x{i}") for i, v in enumerate(leaves)
    ]
    for kind, i, j in ops:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if kind == 0:
            out = a + b
        elif kind == 1:
            out = a * b
        elif kind == 2:
            out = a - 1.5
        elif kind == 3:
            out = a**3
        elif kind == 4:
            out = sum_values([a, b, a])
        elif kind == 5:
            out = a.leaky_relu(0.1)
        else:
            out = UNARY[(i + j) % len(UNARY)](a)
        nodes.append(out)
    return nodes[-1]


# -- determinism -------------------------------------------------------------------


@given(recipes(), st.booleans())
def test_equal_graphs_built_separately_give_byte_identical_dot(recipe, cluster):
    try:
        first, second = build(recipe), build(recipe)
    except DomainError:
        reject()
    first.backward()
    second.backward()
    text = to_dot(first, cluster=cluster)
    assert to_dot(first, cluster=cluster) == text
    assert to_dot(second, cluster=cluster) == text
    assert "0x" not in text  # no memory addresses


def test_node_ids_follow_the_topological_order():
    g = neuron()
    order = topological_order(g["y"])
    attrs, _, _ = parse_dot(to_dot(g["y"]))
    assert sorted(k for k in attrs if k.startswith("n")) == sorted(f"n{i}" for i in range(len(order)))
    assert sorted(k for k in attrs if k.startswith("op")) == sorted(
        f"op{i}" for i, node in enumerate(order) if node.inputs
    )


# -- what a drawing shows ----------------------------------------------------------


def test_each_value_node_shows_its_name_data_and_grad():
    g = neuron()
    root = g["y"]
    attrs, _, _ = parse_dot(to_dot(root))
    names = node_names(topological_order(root))
    for node, node_id in ids(root).items():
        label = label_of(attrs[node_id])
        assert f"<B>{names[node]}</B>" in label
        assert math.isclose(number_after("data", label), node.data, rel_tol=1e-3)
        if node.is_constant:  # the 2 written in the code: no gradient to show
            assert "grad" not in label
            continue
        assert math.isclose(number_after("grad", label), node.grad, rel_tol=1e-3, abs_tol=1e-12)
    # by hand: y = tanh(2(wx + b)), z = -0.5, dy/dw = (1 - tanh(-1)^2) * 2 * x
    by_hand = (1 - math.tanh(2 * (-0.5 * 1.5 + 0.25)) ** 2) * 2 * 1.5
    assert math.isclose(number_after("grad", label_of(attrs[ids(root)[g["w"]]])), by_hand, rel_tol=1e-3)
    assert "<BR/>grad " in to_dot(root) and "<BR/>grad " not in to_dot(root, show_grad=False)


def test_edges_go_input_to_op_to_output_with_the_local_derivative():
    g = neuron()
    root = g["y"]
    number = ids(root)
    _, _, edges = parse_dot(to_dot(root))
    expected = []
    for node, node_id in number.items():
        for child in node.inputs:
            expected.append((number[child], f"op{node_id[1:]}"))
        if node.inputs:
            expected.append((f"op{node_id[1:]}", node_id))
    assert sorted((t, h) for t, h, _ in edges) == sorted(expected)
    locals_by_edge = {(t, h): float(re.search(r"label=<(.*?)>", a)[1]) for t, h, a in edges if "label" in a}
    # ∂z/∂w = x, ∂z/∂x = w, ∂z/∂b = 1 (the linear node); ∂y/∂(2z) = 1 - tanh²(2z)
    op_z = f"op{number[g['z']][1:]}"
    assert locals_by_edge[(number[g["w"]], op_z)] == 1.5
    assert locals_by_edge[(number[g["x"]], op_z)] == -0.5
    assert locals_by_edge[(number[g["b"]], op_z)] == 1.0
    op_y = f"op{number[root][1:]}"
    assert math.isclose(locals_by_edge[(number[g["doubled"]], op_y)], 1 - math.tanh(-1.0) ** 2, rel_tol=1e-3)
    _, _, bare = parse_dot(to_dot(root, show_local=False))
    assert all("label" not in a for _, _, a in bare)


def test_an_input_used_twice_gets_two_edges():
    x = Value(3.0, "x")
    y = x * x
    _, _, edges = parse_dot(to_dot(y))
    assert [(t, h) for t, h, _ in edges] == [("n0", "op1"), ("n0", "op1"), ("op1", "n1")]


def test_op_nodes_show_the_op_and_its_number_parameters():
    x = Value(0.5, "x")
    cube = x**3
    leaky = x.leaky_relu(0.01)
    power = x ** Value(2.0, "k")
    root = sum_values([cube, leaky, power, linear([x], [x], x)])
    attrs, _, _ = parse_dot(to_dot(root))
    titles = sorted(label_of(a) for k, a in attrs.items() if k.startswith("op"))
    assert titles == ["**3", "leaky_relu(0.01)", "linear", "pow", "sum"]


def test_fill_colours_tell_the_roles_apart():
    g = neuron()
    attrs, _, _ = parse_dot(to_dot(g["y"]))
    number = ids(g["y"])
    role = {"x": "input", "w": "parameter", "b": "parameter", "two": "constant", "z": "intermediate"}
    role |= {"doubled": "intermediate", "y": "output"}
    for name, expected in role.items():
        assert fill_of(attrs[number[g[name]]]) == COLOURS[expected], name
    assert len(set(COLOURS.values())) == len(COLOURS) == 5
    op_fills = {fill_of(a) for k, a in attrs.items() if k.startswith("op")}
    assert len(op_fills) == 1 and op_fills.isdisjoint(COLOURS.values())


def test_highlight_outlines_exactly_the_given_values():
    g = neuron()
    root = g["y"]
    number = ids(root)
    for chosen in ([g["w"]], [g["w"], g["z"]]):
        highlight = chosen[0] if len(chosen) == 1 else chosen
        attrs, _, edges = parse_dot(to_dot(root, highlight=highlight))
        marked = {k for k, a in attrs.items() if HIGHLIGHT_COLOUR in a}
        assert marked == {number[v] for v in chosen}
        assert all(HIGHLIGHT_COLOUR not in a for _, _, a in edges)
    with pytest.raises(ValueError, match="not part of this graph"):
        to_dot(root, highlight=Value(1.0, "elsewhere"))
    with pytest.raises(TypeError, match="highlight"):
        to_dot(root, highlight=[1.0])


def test_clusters_nest_by_the_dotted_scope_of_labels():
    x = Value(1.0, "x")
    hidden = []
    for n in range(2):
        w = Parameter(0.5 - n, f"L1.N{n}.w")
        b = Parameter(0.1, f"L1.N{n}.b")
        h = linear([w], [x], b).tanh()
        h.label = f"L1.N{n}.out"
        hidden.append(h)
    v = Parameter(0.3, "L2.N0.w0")
    u = Parameter(-0.2, "L2.N0.w1")
    out = linear([v, u], hidden, Parameter(0.0, "L2.N0.b")).sigmoid()
    out.label = "L2.N0.out"
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    text = to_dot(loss, cluster=True)
    _, where, _ = parse_dot(text)
    number = ids(loss)
    for node, node_id in number.items():
        parts = node.label.split(".")[:-1]
        scopes = [".".join(parts[: k + 1]) for k in range(len(parts))]
        assert where[node_id] == scopes, node.label
        if node.inputs:
            assert where[f"op{node_id[1:]}"] == scopes  # an op sits in its output's box
    assert where[number[hidden[0]]] == ["L1", "L1.N0"]
    assert where[number[x]] == []
    assert text.count("subgraph cluster_") == 5  # L1, L1.N0, L1.N1, L2, L2.N0
    assert "subgraph" not in to_dot(loss)
    ET.fromstring(render(text, "svg"))  # and Graphviz accepts the nesting


# -- escaping: any label renders, and shows as written -----------------------------


def visible(text: str) -> str:
    """What a reader can compare: no control/format/unassigned characters, no
    control pictures (our stand-ins for control characters), spaces collapsed."""
    kept = (
        " " if ch in "\n\r\t" else ch
        for ch in text
        if ch in "\n\r\t" or (unicodedata.category(ch)[0] != "C" and not 0x2400 <= ord(ch) <= 0x2421)
    )
    return " ".join("".join(kept).split())


# Pieces that Graphviz treats specially: escapes (\N is the node's id), a text
# of only "]"s (a syntax error in Graphviz 2.43), XML-looking text, blanks.
TRICKY = ["]", "]]", "[", "\\N", "\\G", "\\L", "\\", "\\n", "&amp;", "]]>", "<B>", "<BR/>", "", " ", "\n"]

labels = st.one_of(
    st.text(),
    st.lists(st.sampled_from(TRICKY), min_size=1, max_size=3).map("".join),
    st.text(alphabet="\"<>{}|\\[]&;.\n\r\t #'-/NGLET中文标签ŷ∂", max_size=12),
    st.lists(st.text(max_size=5), min_size=2, max_size=4).map(".".join),
)


@given(st.lists(labels, min_size=1, max_size=8))
def test_any_label_gives_well_formed_label_markup(texts):
    leaves = [Value(float(i), text) for i, text in enumerate(texts)]
    root = sum_values(leaves)
    root.label = texts[0]
    dot = to_dot(root, cluster=True)
    assert "\x00" not in dot
    attrs, _, _ = parse_dot(dot)
    for a in attrs.values():
        ET.fromstring(f"<x>{label_of(a)}</x>")  # Graphviz parses labels as XML
    for label in re.findall(r"^label=<(.*?)>; style=", dot, flags=re.M):
        ET.fromstring(f"<x>{label}</x>")


@settings(max_examples=25)
@given(st.lists(labels, min_size=1, max_size=8))
@example(TRICKY)
@example([*TRICKY[::-1], "a\\Nb", "中文\n标签", '"quoted"', "{a|b}", "\x00\x1f\x7f"])
def test_any_label_renders_with_real_dot_and_survives(texts):
    leaves = [Value(float(i), text) for i, text in enumerate(texts)]
    root = sum_values(leaves)
    root.label = texts[-1]
    order = topological_order(root)
    names = node_names(order)
    svg = ET.fromstring(render(to_dot(root, cluster=True), "svg"))
    shown: dict[str, list[str]] = {}
    for group in svg.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        if title is not None:
            shown[title.text] = [t.text or "" for t in group.iter(f"{SVG}text")]
    for i, node in enumerate(order):
        lines = shown[f"n{i}"]
        assert lines[-2].startswith("data") and lines[-1].startswith("grad")
        assert visible("\n".join(lines[:-2])) == visible(names[node])
    scopes = {".".join(p[: k + 1]) for n in order for p in [n.label.split(".")[:-1]] for k in range(len(p))}
    cluster_titles = [k for k in shown if k.startswith("cluster_")]
    assert len(cluster_titles) == len(scopes)
    got = sorted(visible("\n".join(shown[k])) for k in cluster_titles)
    assert got == sorted(visible(s) for s in scopes)


# -- size limit ----------------------------------------------------------------------


def test_a_graph_over_the_limit_is_refused_with_the_count_and_the_options():
    root = sum_values([Value(float(i), f"x{i}") for i in range(301)])  # 302 value nodes
    with pytest.raises(GraphTooLargeError) as caught:
        to_dot(root)
    message = str(caught.value)
    assert "302" in message and "max_nodes=300" in message and "max_nodes=302" in message
    # no scoped labels and no neuron: neither cluster=True nor view="neurons" would help
    assert "cluster=True" not in message and "neurons" not in message
    assert isinstance(caught.value, ChaingradError)
    assert to_dot(root, max_nodes=302).count(" [label=<<B>") == 302
    with pytest.raises(GraphTooLargeError, match="max_nodes=301"):
        to_dot(root, max_nodes=301)


def test_a_very_large_graph_is_counted_without_recursion():
    v = Value(0.0, "start")
    for _ in range(30_000):
        v = v.sin()
    with pytest.raises(GraphTooLargeError, match="30001"):
        to_dot(v)


def test_bad_options_are_refused_clearly():
    y = neuron()["y"]
    with pytest.raises(ValueError, match="rankdir"):
        to_dot(y, rankdir="sideways")
    with pytest.raises(ValueError, match="max_nodes"):
        to_dot(y, max_nodes=0)
    with pytest.raises(TypeError, match="max_nodes"):
        to_dot(y, max_nodes=3.5)
    with pytest.raises(TypeError, match="Value"):
        to_dot(1.0)
    assert "rankdir=TB" in to_dot(y, rankdir="TB")


# -- draw(): a graphviz.Digraph ------------------------------------------------------


def test_draw_wraps_the_same_dot_and_needs_no_binary(monkeypatch):
    import graphviz

    monkeypatch.setenv("PATH", "")
    y = neuron()["y"]
    for options in ({}, {"cluster": True, "rankdir": "TB"}, {"show_grad": False, "highlight": y}):
        digraph = draw(y, **options)
        assert isinstance(digraph, graphviz.Digraph)
        assert digraph.source == to_dot(y, **options)


def test_draw_without_the_graphviz_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(MissingPackageError, match=re.escape('pip install "chaingrad[draw]"')) as caught:
        draw(neuron()["y"])
    assert isinstance(caught.value, ImportError)


# -- save_graph: files ---------------------------------------------------------------


def test_save_graph_writes_dot_text(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")  # .dot needs no Graphviz
    y = neuron()["y"]
    path = save_graph(y, tmp_path / "g.dot", rankdir="TB")
    assert path == tmp_path / "g.dot"
    assert path.read_text(encoding="utf-8") == to_dot(y, rankdir="TB")


def test_save_graph_renders_svg_and_png_with_dot(tmp_path):
    from PIL import Image

    y = neuron()["y"]
    svg = ET.parse(save_graph(y, tmp_path / "g.svg")).getroot()
    assert svg.tag == f"{SVG}svg"
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"x", "w", "b", "z", "y", "linear", "tanh"} <= set(texts)
    png = save_graph(y, tmp_path / "g.PNG")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(png) as image:
        assert image.width > 100 and image.height > 50
    # a Digraph or DOT text saves the same picture as the Value
    assert save_graph(draw(y), tmp_path / "d.svg").read_bytes() == (tmp_path / "g.svg").read_bytes()
    assert save_graph(to_dot(y), tmp_path / "t.svg").read_bytes() == (tmp_path / "g.svg").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.svg", "g.PNG", "g.svg", "t.svg"]


def test_save_graph_refuses_other_suffixes_and_misplaced_options(tmp_path):
    y = neuron()["y"]
    with pytest.raises(ValueError, match=r"\.dot, \.pdf, \.png, \.svg"):
        save_graph(y, tmp_path / "g.jpg")
    with pytest.raises(ValueError, match="suffix"):
        save_graph(y, tmp_path / "graph")
    with pytest.raises(TypeError, match="rankdir"):
        save_graph(to_dot(y), tmp_path / "g.dot", rankdir="TB")
    with pytest.raises(TypeError, match="Value"):
        save_graph(42, tmp_path / "g.dot")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_graph(y, tmp_path / "no" / "such" / "g.dot")
    assert list(tmp_path.iterdir()) == []


def test_missing_dot_binary_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GraphvizNotFoundError) as caught:
        save_graph(neuron()["y"], tmp_path / "g.svg")
    message = str(caught.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert isinstance(caught.value, ChaingradError) and isinstance(caught.value, RuntimeError)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_render_leaves_no_partial_file(tmp_path):
    target = tmp_path / "g.svg"
    target.write_text("the previous picture")
    with pytest.raises(GraphvizError, match="could not render"):
        save_graph("digraph { this is -> -> not dot", target)
    assert target.read_text() == "the previous picture"
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]


def test_save_graph_returns_a_path(tmp_path):
    y = neuron()["y"]
    assert isinstance(save_graph(y, str(tmp_path / "g.dot")), Path)


def test_the_readme_images_script_writes_both_pictures(tmp_path):
    import subprocess

    script = Path(__file__).resolve().parent.parent / "scripts" / "make_readme_images.py"
    subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path), "--no-browser"], check=True, capture_output=True
    )
    graph = ET.parse(tmp_path / "graph.svg").getroot()
    step = ET.parse(tmp_path / "step.svg").getroot()
    assert {"w1", "x1", "u", "ŷ", "L"} <= {t.text for t in graph.iter(f"{SVG}text")}
    assert "adds -0.125" in {t.text for t in step.iter(f"{SVG}text")}  # ∂L/∂w1 = ∂L/∂u · x1
    assert (tmp_path / "neurons.png").read_bytes().startswith(b"\x89PNG")
    assert ET.parse(tmp_path / "neurons_mlp.svg").getroot().get("width").endswith("pt")
    assert not (tmp_path / "player.png").exists()


# -- large networks: the limit's advice, the order inside a neuron, fitting a notebook ----------


def one_sample_mlp(sizes: list[int], seed: int = 0) -> Value:
    import nn

    model = nn.MLP(2, sizes, seed=seed)
    loss = nn.half_sse(model([1.0, -1.0]), 1.0)
    loss.backward()
    return loss


def test_the_limit_suggests_the_neuron_view_and_never_an_option_already_given():
    loss = one_sample_mlp([16, 16, 1])  # 409 value nodes
    with pytest.raises(GraphTooLargeError) as caught:
        to_dot(loss)
    message = str(caught.value)
    assert "409 value nodes" in message and "max_nodes=409" in message
    assert 'view="neurons"' in message and "cluster=True" in message
    with pytest.raises(GraphTooLargeError) as caught:
        to_dot(loss, cluster=True)
    assert 'view="neurons"' in str(caught.value) and "cluster=True" not in str(caught.value)
    assert to_dot(loss, view="neurons").count("shape=circle") == 2 + 33  # it fits the limit


def svg_positions(svg: bytes) -> dict[str, tuple[float, float]]:
    """The centre of every node of a Graphviz SVG, by its DOT id."""
    positions = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        name = group.find(f"{SVG}title").text
        texts = [float(t.get("y")) for t in group.iter(f"{SVG}text")]
        xs = [float(t.get("x")) for t in group.iter(f"{SVG}text")]
        positions[name] = (sum(xs) / len(xs), sum(texts) / len(texts))
    return positions


@pytest.mark.parametrize("cluster", [False, True])
def test_a_neurons_weights_are_drawn_in_index_order_then_the_bias(cluster):
    loss = one_sample_mlp([16, 16, 1])
    order = topological_order(loss)
    svg = render(to_dot(loss, cluster=cluster, max_nodes=500), "svg")
    where = svg_positions(svg)
    for scope in ("L1.N3", "L2.N0", "L2.N7", "L3.N0"):
        count = 2 if scope.startswith("L1") else 16
        wanted = [f"{scope}.w{i}" for i in range(1, count + 1)] + [f"{scope}.b"]
        by_label = {node.label: f"n{i}" for i, node in enumerate(order)}
        tops = [where[by_label[label]][1] for label in wanted]  # rankdir LR: top to bottom
        assert tops == sorted(tops), (
            scope,
            [wanted[k] for k in sorted(range(len(tops)), key=tops.__getitem__)],
        )


def test_in_a_notebook_a_drawing_scales_to_the_cell_and_zooms_on_click():
    loss = one_sample_mlp([4, 1])
    drawing = draw(loss)
    bundle = drawing._repr_mimebundle_()
    assert list(bundle) == ["text/html"]  # one form only: the notebook file does not hold two copies
    page = bundle["text/html"]
    assert page.count("<svg") == 1 and "<?xml" not in page and "<!DOCTYPE" not in page
    assert "max-width:100%" in page and "height:auto" in page and "onclick=" in page
    assert "click the drawing for its full size" in page  # this one is wider than a cell
    ids_ = re.findall(r'\bid="([^"]*)"', page)
    assert ids_ and all(i.startswith("cg") for i in ids_)
    again = re.findall(r'\bid="([^"]*)"', draw(loss)._repr_mimebundle_()["text/html"])
    assert not set(ids_) & set(again)  # two drawings on one page share no id
    small = draw(Value(2.0, "x") * 3)._repr_mimebundle_()["text/html"]
    assert "full size" not in small


def test_a_notebook_drawing_without_dot_says_what_to_install(monkeypatch):
    drawing = draw(neuron()["y"])
    monkeypatch.setenv("PATH", "")
    assert "apt-get install graphviz" in drawing._repr_mimebundle_()["text/html"]


def test_save_graph_writes_pdf(tmp_path):
    path = save_graph(neuron()["y"], tmp_path / "g.pdf")
    assert path.read_bytes().startswith(b"%PDF")
    neurons_pdf = save_graph(one_sample_mlp([2, 1]), tmp_path / "n.pdf", view="neurons")
    assert neurons_pdf.read_bytes().startswith(b"%PDF")


def test_unknown_views_are_refused():
    with pytest.raises(ValueError, match="view must be one of 'values', 'neurons'"):
        to_dot(neuron()["y"], view="layers")
