"""The neuron view: a network read out of its value graph and drawn one circle per
neuron, one arrow per weight, for networks of any shape, and refused clearly for
graphs that are not one sample through a network."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import ChaingradError, Parameter, Value, draw, linear, save_graph, to_dot
from autograd.drawing import format_number, render
from autograd.neurons import (
    LABELLED_FAN_IN,
    NeuronViewError,
    NotANetworkError,
    read_network,
)

SVG = "{http://www.w3.org/2000/svg}"
NEURON = re.compile(r"^(u\d+) \[shape=circle.*label=<(<TABLE.*</TABLE>)>.*\];$", re.M)
INPUT = re.compile(r"^(x\d+) \[shape=circle.*\];$", re.M)
WEIGHT = re.compile(r"^(\w+) -> (u\d+) \[(.*)\];$", re.M)


def one_sample(model: nn.Module, x: list[float], target: float = 1.0) -> Value:
    loss = nn.half_sse(model(x), target)
    loss.backward()
    return loss


def hand_network() -> Value:
    """The 2-2-1 sigmoid network worked by hand: a1 = w11·x1 + w12·x2 + b1, ..."""
    v = {name: Parameter(x, name) for name, x in [("w11", 1.0), ("w12", -2.0), ("w21", -1.0), ("w22", 1.0)]}
    x1, x2 = Value(1.0, "x1"), Value(-1.0, "x2")
    b1, b2, b = Parameter(1.0, "b1"), Parameter(0.0, "b2"), Parameter(0.1, "b")
    w1, w2 = Parameter(0.5, "w1"), Parameter(-0.5, "w2")
    a1, a2 = linear([v["w11"], v["w12"]], [x1, x2], b1), linear([v["w21"], v["w22"]], [x1, x2], b2)
    a1.label, a2.label = "a1", "a2"
    h1, h2 = a1.sigmoid(), a2.sigmoid()
    h1.label, h2.label = "h1", "h2"
    a = linear([w1, w2], [h1, h2], b)
    a.label = "a"
    yhat = a.sigmoid()
    yhat.label = "yhat"
    loss = 0.5 * (Value(1.0, "y") - yhat) ** 2
    loss.label = "L"
    loss.backward()
    return loss


# -- reading the network ---------------------------------------------------------------


def test_an_mlp_is_read_layer_by_layer_in_its_own_order():
    model = nn.MLP(3, [4, 5, 2], seed=1)
    out = model([0.5, -1.0, 2.0])
    loss = nn.mse(out, [1.0, 0.0])
    network = read_network(loss)
    assert [x.label for x in network.inputs] == ["x1", "x2", "x3"]
    assert [[n.z.label for n in layer] for layer in network.layers] == [
        [f"L{k}.N{j}.z" for j in range(size)] for k, size in ((1, 4), (2, 5), (3, 2))
    ]
    for layer, neurons in zip(model.layers, network.layers):
        for module, neuron in zip(layer.neurons, neurons):
            assert list(neuron.weights) == module.w and neuron.bias is module.b
    assert [n.h.label for n in network.outputs] == ["L3.N0.z", "L3.N1.z"]  # linear outputs: h is z
    assert network.layers[0][0].activation == "tanh" and network.layers[2][0].activation == "linear"


def test_the_hand_built_network_is_read_by_its_labels():
    network = read_network(hand_network())
    assert [[(n.z.label, n.h.label, n.bias.label) for n in layer] for layer in network.layers] == [
        [("a1", "h1", "b1"), ("a2", "h2", "b2")],
        [("a", "yhat", "b")],
    ]
    assert [leaf.label for leaf in network.tail_inputs] == ["y"]


def test_a_neuron_alone_has_no_tail():
    neuron = nn.Neuron(3, activation="sigmoid", seed=2)
    h = neuron([1.0, 2.0, 3.0])
    network = read_network(h)
    assert network.root_neuron is not None and network.root_neuron.h is h and network.outputs == []
    text = to_dot(h, view="neurons")
    assert "loss" not in text and text.count("shape=circle") == 4


def test_prelu_shows_its_learned_slope_inside_the_neuron():
    loss = one_sample(nn.MLP(2, [2, 1], activation="prelu", seed=1), [1.0, -1.0])
    network = read_network(loss)
    first = network.layers[0][0]
    assert first.activation == "prelu" and [a.label for a in first.extra] == ["L1.N0.alpha"]
    assert "α = 0.01" in to_dot(loss, view="neurons")


def test_leaky_relu_names_its_slope_and_linear_outputs_have_no_h():
    loss = one_sample(nn.MLP(2, [2, 1], activation="leaky_relu", slope=0.1, seed=1), [1.0, -1.0])
    text = to_dot(loss, view="neurons")
    assert text.count("leaky_relu(0.1)") == 2
    output = NEURON.findall(text)[-1][1]
    assert "linear" in output and "h = " not in output


@pytest.mark.parametrize(
    ("model", "loss_name", "target"),
    [
        (nn.LogisticRegression(2, init="random", seed=1), "binary_cross_entropy", 1.0),
        (nn.LinearRegression(2, init="random", seed=1), "mse", 0.5),
        (nn.MLP(2, [3, 1], seed=3), "binary_cross_entropy_with_logits", 1.0),
        (nn.MLP(2, [3, 3], seed=3), "cross_entropy", 2),
        (nn.MLP(2, [2, 1], activation="relu", seed=3), "hinge", 1.0),
    ],
    ids=["logistic", "linear", "bce-logits", "cross-entropy", "hinge"],
)
def test_models_and_losses_draw_with_the_loss_as_a_tail(model, loss_name, target):
    loss = nn.LOSSES[loss_name]([model([1.0, 2.0])], [target])
    loss.backward()
    text = to_dot(loss, view="neurons")
    network = read_network(loss)
    assert len(NEURON.findall(text)) == len(network.neurons)
    assert len(WEIGHT.findall(text)) == sum(len(n.weights) for n in network.neurons)
    assert text.count(" -> loss ") == len(network.outputs) >= 1
    ET.fromstring(render(text, "svg"))


def test_a_layer_summed_by_hand():
    layer = nn.Layer(2, 3, activation="relu", seed=1)
    from autograd import sum_values

    total = sum_values(layer([1.0, 2.0]))
    total.backward()
    network = read_network(total)
    assert len(network.outputs) == 3 and len(network.layers) == 1


# -- refusing what is not one sample through a network ---------------------------------------


def test_a_graph_without_neurons_is_refused_with_what_a_neuron_is():
    x = Value(2.0, "x")
    with pytest.raises(NotANetworkError) as caught:
        to_dot((x * x).tanh(), view="neurons")
    message = str(caught.value)
    assert "linear node" in message and 'view="values"' in message
    assert isinstance(caught.value, ChaingradError) and isinstance(caught.value, ValueError)


def test_a_loss_summed_over_samples_is_refused_with_how_to_draw_one():
    model = nn.MLP(2, [3, 1], seed=1)
    X, y = [[1.0, -1.0], [0.5, 2.0], [0.0, 1.0]], [1.0, 0.0, 1.0]
    loss = nn.mse([model(x) for x in X], y)
    with pytest.raises(NotANetworkError) as caught:
        draw(loss, view="neurons")
    message = str(caught.value)
    assert "'L1.N0.w1' is the weight of 3 neurons" in message and "summed over 3 samples" in message
    assert "nn.mse([model(X[0])], [y[0]])" in message
    one = nn.mse([model(X[0])], y[:1])
    assert to_dot(one, view="neurons").count("shape=circle") == 2 + 4


def test_an_input_computed_from_neurons_but_not_by_a_neuron_is_refused():
    first = nn.Neuron(1, activation="tanh", seed=1, name="A")
    second = nn.Neuron(1, activation="tanh", seed=2, name="B")
    middle = first([1.0]) * 2.0  # not a neuron: an op between two neurons
    out = second([middle])
    with pytest.raises(NotANetworkError, match="computed from other neurons"):
        to_dot(out, view="neurons")


def test_options_of_the_value_view_are_refused_in_the_neuron_view():
    from autograd import backward_steps

    loss = one_sample(nn.MLP(2, [2, 1], seed=1), [1.0, 2.0])
    with pytest.raises(NeuronViewError, match="cluster"):
        to_dot(loss, view="neurons", cluster=True)
    step = next(iter(backward_steps(loss)))
    with pytest.raises(NeuronViewError, match="step"):
        to_dot(loss, view="neurons", step=step)


# -- what the drawing shows --------------------------------------------------------------


def test_each_neuron_shows_z_h_bias_and_delta_and_each_weight_its_value_and_gradient():
    loss = hand_network()
    text = to_dot(loss, view="neurons")
    network = read_network(loss)
    rows = dict(NEURON.findall(text))
    assert len(rows) == 3
    for neuron, label in zip(network.neurons, rows.values()):
        cells = re.findall(r"<TD>(.*?)</TD>", label)
        plain = [re.sub(r"<[^>]+>", "", cell) for cell in cells]
        assert plain == [
            "sigmoid",
            f"{neuron.z.label} = {format_number(neuron.z.data)}",
            f"{neuron.h.label} = {format_number(neuron.h.data)}",
            f"{neuron.bias.label} = {format_number(neuron.bias.data)}",
            f"δ = {format_number(neuron.z.grad)}",
        ]
    edges = WEIGHT.findall(text)
    weights = [w for neuron in network.neurons for w in neuron.weights]
    assert len(edges) == len(weights) == 6
    for (_, _, attrs), w in zip(edges, weights):
        plain = re.sub(r"<[^>]+>", " ", attrs)
        assert f"{w.label} = {format_number(w.data)}" in plain
        assert f"grad {format_number(w.grad)}" in plain
    assert "∂L/∂yhat = " + format_number(network.outputs[0].h.grad) in text


def test_delta_is_the_gradient_of_z_and_gives_every_weight_gradient():
    loss = one_sample(nn.MLP(2, [3, 2, 1], activation="sigmoid", seed=5), [0.3, -0.7])
    for neuron in read_network(loss).neurons:
        delta = neuron.z.grad
        assert neuron.bias.grad == pytest.approx(delta, rel=1e-12, abs=1e-15)
        for w, x in zip(neuron.weights, neuron.inputs):
            assert w.grad == pytest.approx(delta * x.data, rel=1e-12, abs=1e-15)


def test_show_grad_false_leaves_out_every_gradient():
    text = to_dot(hand_network(), view="neurons", show_grad=False)
    assert "δ" not in text and "∂" not in text and not re.search(r"grad -?[0-9]", text)


def test_highlight_outlines_the_neuron_or_the_weight():
    loss = hand_network()
    network = read_network(loss)
    second = network.layers[0][1]
    text = to_dot(loss, view="neurons", highlight=[second.h, network.layers[1][0].weights[0]])
    outlined = [line for line in text.splitlines() if "penwidth=3" in line]
    assert len(outlined) == 2 and "a2 = " in outlined[0] and "w1 = " in outlined[1]
    with pytest.raises(ValueError, match="not part of this graph"):
        to_dot(loss, view="neurons", highlight=Value(1.0))


@pytest.mark.parametrize("name", ['<b>"&</script>', "line\nbreak\x00\x1b[31m \\N ]]"])
def test_labels_with_markup_are_escaped(tmp_path, name):
    neuron = nn.Neuron(2, activation="tanh", seed=1, name=name)
    h = neuron([1.0, 2.0])
    h.backward()
    text = to_dot(h, view="neurons")
    markup = re.sub(r'tooltip="(?:[^"\\]|\\.)*"', "", text)  # tooltips are plain strings, escaped by dot
    assert "<b>" not in markup and "\x00" not in text and "\x1b" not in text
    assert all(line.endswith((";", "{", "}")) for line in text.splitlines())  # one statement a line
    if name.startswith("<b>"):
        assert "&lt;b&gt;&quot;&amp;&lt;/script&gt;" in markup
    svg = save_graph(h, tmp_path / "n.svg", view="neurons").read_bytes()
    ET.fromstring(svg)


def test_the_same_graph_gives_the_same_bytes():
    a = to_dot(one_sample(nn.MLP(2, [4, 4, 1], seed=7), [1.0, 2.0]), view="neurons")
    b = to_dot(one_sample(nn.MLP(2, [4, 4, 1], seed=7), [1.0, 2.0]), view="neurons")
    assert a == b


def test_dense_layers_keep_their_numbers_in_tooltips():
    loss = one_sample(nn.MLP(2, [16, 16, 1], seed=0), [1.0, -1.0])
    text = to_dot(loss, view="neurons")
    edges = WEIGHT.findall(text)
    assert len(edges) == 2 * 16 + 16 * 16 + 16
    labelled = [attrs for _, _, attrs in edges if "label=<" in attrs]
    assert len(labelled) == 16 == LABELLED_FAN_IN  # only the 16 weights fanning into the output neuron
    assert all("tooltip=" in attrs for _, _, attrs in edges)
    arrows = [line for line in text.splitlines() if " -> " in line]
    assert not any(" label=<" in line for line in arrows)  # beside the arrows: no rank is added


# -- size: MLP(2, [16, 16, 1]) on one page -----------------------------------------------


def test_mlp_2_16_16_1_fits_about_2000_by_2000_points(tmp_path):
    loss = one_sample(nn.MLP(2, [16, 16, 1], seed=0), [1.0, -1.0])
    path = save_graph(loss, tmp_path / "mlp.svg", view="neurons")
    root = ET.fromstring(path.read_bytes())
    width, height = (float(root.get(k).removesuffix("pt")) for k in ("width", "height"))
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert len(nodes) == 2 + 16 + 16 + 1 + 1 < 60
    assert width <= 2100 and height <= 2100, (width, height)


# -- any shape --------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    nin=st.integers(1, 4),
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    activation=st.sampled_from(["tanh", "sigmoid", "relu", "leaky_relu", "prelu", None]),
    seed=st.integers(0, 100),
)
def test_every_mlp_shape_draws_one_circle_per_neuron_and_one_arrow_per_weight(nin, sizes, activation, seed):
    model = nn.MLP(nin, sizes, activation=activation, seed=seed)
    out = model([0.25 * (k + 1) for k in range(nin)])
    outputs = out if isinstance(out, list) else [out]
    loss = nn.mse(outputs, [0.5] * len(outputs))
    loss.backward()
    text = to_dot(loss, view="neurons")
    assert len(INPUT.findall(text)) == nin
    assert len(NEURON.findall(text)) == sum(sizes)
    widths = [nin, *sizes]
    assert len(WEIGHT.findall(text)) == sum(a * b for a, b in itertools.pairwise(widths))
    assert text.count(" -> loss ") == sizes[-1]
    network = read_network(loss)
    assert [len(layer) for layer in network.layers] == sizes
    deltas = [float(d) for d in re.findall(r"δ = ([-0-9.e+]+)<", text)]
    assert deltas == [float(format_number(n.z.grad)) for n in network.neurons]


def test_arrows_carry_numbers_where_they_stay_readable():
    # 2-3-3: 6 and 9 weights, all written out; 2-4-4-1: the 4 x 4 layer's 16 crossing arrows are not
    small = to_dot(one_sample(nn.MLP(2, [3, 3, 1], seed=1), [1.0, 2.0]), view="neurons")
    assert all("label=<" in attrs for _, _, attrs in WEIGHT.findall(small))
    assert "point at an arrow" not in small
    text = to_dot(one_sample(nn.MLP(2, [4, 4, 1], seed=1), [1.0, 2.0]), view="neurons")
    edges = WEIGHT.findall(text)
    numbered = [head for _, head, attrs in edges if "label=<" in attrs]
    assert len(edges) == 8 + 16 + 4 and len(numbered) == 8 + 4
    assert "point at an arrow without numbers" in text
