"""Initialisers: the variance of many draws against each formula; reproducibility."""

import math
import random
import statistics

import pytest

import nn
from nn import init

DRAWS = 20_000

# name -> (variance formula, half-width of the support or None for a normal)
FORMULAS = {
    "random": (lambda fi, fo: 1.0 / 3.0, lambda fi, fo: 1.0),
    "xavier_uniform": (lambda fi, fo: 2.0 / (fi + fo), lambda fi, fo: math.sqrt(6.0 / (fi + fo))),
    "xavier_normal": (lambda fi, fo: 2.0 / (fi + fo), None),
    "he_uniform": (lambda fi, fo: 2.0 / fi, lambda fi, fo: math.sqrt(6.0 / fi)),
    "he_normal": (lambda fi, fo: 2.0 / fi, None),
}


@pytest.mark.parametrize("name", list(FORMULAS))
@pytest.mark.parametrize(("fan_in", "fan_out"), [(2, 16), (64, 32), (300, 1)])
def test_empirical_variance_matches_the_formula(name, fan_in, fan_out):
    variance, half_width = FORMULAS[name]
    rng = random.Random(1234)
    draws = [init.INITIALIZERS[name](fan_in, fan_out, rng) for _ in range(DRAWS)]
    expected = variance(fan_in, fan_out)
    # the sample variance of 20,000 draws is within a few percent (its relative sd is about 1-2%)
    assert statistics.pvariance(draws) == pytest.approx(expected, rel=0.06)
    assert abs(statistics.fmean(draws)) < 4 * math.sqrt(expected / DRAWS)
    if half_width is not None:
        assert max(abs(d) for d in draws) <= half_width(fan_in, fan_out)


def test_aliases_and_zeros():
    assert init.INITIALIZERS["glorot_uniform"] is init.xavier_uniform
    assert init.INITIALIZERS["kaiming_normal"] is init.he_normal
    assert init.zeros(3, 4, random.Random(0)) == 0.0


def test_a_layer_passes_its_width_as_fan_out():
    layer = nn.Layer(64, 32, init="xavier_uniform", seed=5)
    weights = [w.data for n in layer.neurons for w in n.w]
    limit = math.sqrt(6.0 / (64 + 32))
    assert max(abs(w) for w in weights) <= limit
    assert statistics.pvariance(weights) == pytest.approx(2.0 / 96, rel=0.1)
    assert all(n.b.data == 0.0 for n in layer.neurons)  # biases start at zero


def test_he_normal_in_an_mlp_has_the_right_spread_per_layer():
    model = nn.MLP(50, [40, 1], activation="relu", init="he_normal", seed=3)
    first = [w.data for n in model.layers[0].neurons for w in n.w]
    assert statistics.pvariance(first) == pytest.approx(2.0 / 50, rel=0.1)


def test_seeds_reproduce_and_never_touch_global_random_state():
    random.seed(99)
    before = random.getstate()
    a = nn.MLP(3, [5, 2], init="xavier_normal", seed=11).state_dict()
    b = nn.MLP(3, [5, 2], init="xavier_normal", seed=11).state_dict()
    assert random.getstate() == before
    assert a == b
    assert a != nn.MLP(3, [5, 2], init="xavier_normal", seed=12).state_dict()


def test_a_random_generator_is_used_and_advanced():
    rng = random.Random(4)
    first = nn.Neuron(3, seed=rng).state_dict()
    second = nn.Neuron(3, seed=rng).state_dict()
    assert first != second
    assert first == nn.Neuron(3, seed=random.Random(4)).state_dict()


def test_seed_none_draws_fresh_weights():
    assert nn.MLP(4, [8, 1], seed=None).state_dict() != nn.MLP(4, [8, 1], seed=None).state_dict()


def test_custom_initialisers_and_bias_init():
    neuron = nn.Neuron(2, init=lambda fi, fo, rng: fi * 10 + fo, bias_init="he_uniform", fan_out=3, seed=0)
    assert [w.data for w in neuron.w] == [23.0, 23.0]
    assert 0 < abs(neuron.b.data) <= math.sqrt(6.0 / 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"init": "gaussian"}, ValueError, "unknown initialiser 'gaussian'"),
        ({"init": 3}, TypeError, "init must be"),
        ({"init": lambda *_: math.nan}, ValueError, "finite number"),
        ({"init": lambda *_: "1"}, ValueError, "finite number"),
        ({"seed": 1.5}, TypeError, "seed must be"),
        ({"seed": True}, TypeError, "seed must be"),
    ],
)
def test_bad_initialisers_are_explained(kwargs, error, words):
    with pytest.raises(error, match=words):
        nn.Neuron(2, **kwargs)
