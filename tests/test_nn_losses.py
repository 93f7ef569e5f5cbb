"""Every loss against its closed form (plain floats) and PyTorch (float64), values and gradients."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from torch_or_skip import F, torch

import nn
from autograd import DomainError, Value

finite = st.floats(-5.0, 5.0, allow_nan=False)


def leaves(xs, prefix="p"):
    return [Value(x, label=f"{prefix}{i}") for i, x in enumerate(xs)]


def tensor(xs, grad=True):
    return torch.tensor(xs, dtype=torch.float64, requires_grad=grad)


def check_against_torch(loss_value, predictions, torch_loss, torch_predictions):
    torch_loss.backward()
    assert loss_value.data == pytest.approx(torch_loss.item(), rel=1e-12, abs=1e-12)
    for p, g in zip(predictions, torch_predictions.grad.flatten().tolist()):
        assert p.grad == pytest.approx(g, rel=1e-9, abs=1e-12)


# -- regression losses -------------------------------------------------------------

REGRESSION = {
    # name: (closed form on floats, torch on tensors)
    "mse": (lambda p, t: sum((b - a) ** 2 for a, b in zip(p, t)) / len(p), F.mse_loss),
    "mae": (lambda p, t: sum(abs(b - a) for a, b in zip(p, t)) / len(p), F.l1_loss),
    "l2": (
        lambda p, t: sum((b - a) ** 2 for a, b in zip(p, t)),
        lambda p, t: F.mse_loss(p, t, reduction="sum"),
    ),
    "l1": (lambda p, t: sum(abs(b - a) for a, b in zip(p, t)), lambda p, t: F.l1_loss(p, t, reduction="sum")),
    "half_sse": (
        lambda p, t: 0.5 * sum((b - a) ** 2 for a, b in zip(p, t)),
        lambda p, t: 0.5 * F.mse_loss(p, t, reduction="sum"),
    ),
}


@pytest.mark.parametrize("name", list(REGRESSION))
@given(data=st.lists(st.tuples(finite, finite), min_size=1, max_size=8))
def test_regression_losses_match_closed_form_and_torch(name, data):
    closed, torch_fn = REGRESSION[name]
    ps_, ts = [d[0] for d in data], [d[1] for d in data]
    ps = leaves(ps_)
    loss = nn.LOSSES[name](ps, ts)
    assert loss.label == "L"
    assert loss.data == pytest.approx(closed(ps_, ts), rel=1e-12, abs=1e-12)
    loss.backward()
    tp = tensor(ps_)
    check_against_torch(loss, ps, torch_fn(tp, tensor(ts, grad=False)), tp)


def test_l1_and_l2_are_sums_mae_and_mse_are_means():
    ps, ts = [1.0, 2.0, 4.0], [0.0, 0.0, 0.0]
    assert nn.l1(ps, ts).data == 7.0 and nn.mae(ps, ts).data == 7.0 / 3
    assert nn.l2(ps, ts).data == 21.0 and nn.mse(ps, ts).data == 7.0
    assert nn.half_sse(ps, ts).data == 10.5


@given(data=st.lists(st.tuples(finite, finite), min_size=1, max_size=5))
def test_targets_that_are_values_get_gradients_too(data):
    ps, ts = leaves([d[0] for d in data]), leaves([d[1] for d in data], "t")
    nn.mse(ps, ts).backward()
    tp, tt = tensor([d[0] for d in data]), tensor([d[1] for d in data])
    F.mse_loss(tp, tt).backward()
    for t, g in zip(ts, tt.grad.tolist()):
        assert t.grad == pytest.approx(g, rel=1e-9, abs=1e-12)


def test_several_outputs_per_sample_are_flattened():
    ps = [leaves([1.0, 2.0], "a"), leaves([3.0, -1.0], "b")]
    ts = [[0.5, 2.5], [3.0, 1.0]]
    loss = nn.mse(ps, ts)
    tp = tensor([[1.0, 2.0], [3.0, -1.0]])
    loss.backward()
    check_against_torch(loss, [*ps[0], *ps[1]], F.mse_loss(tp, tensor(ts, grad=False)), tp)


def test_one_prediction_without_a_list():
    p = Value(3.0)
    assert nn.half_sse(p, 1.0).data == 2.0


@pytest.mark.parametrize(
    ("predictions", "targets", "error", "words"),
    [
        ([1.0, 2.0], [1.0], ValueError, "2 predictions but 1 targets"),
        ([], [], ValueError, "no predictions"),
        ([[1.0, 2.0]], [[1.0]], ValueError, "sample 0 has 2 outputs but its target has 1"),
        ([1.0], [[1.0]], ValueError, "prediction is one number but the target is a list"),
        ([1.0], ["1"], TypeError, "list of numbers"),
        ([1.0], [None], TypeError, "list of numbers"),
        ("ab", [1.0, 2.0], TypeError, "predictions must be a list"),
        ([1.0], [math.inf], ValueError, "finite"),
        ([math.nan], [1.0], ValueError, "finite"),
    ],
)
def test_shape_and_type_problems_are_named(predictions, targets, error, words):
    with pytest.raises(error, match=words):
        nn.mse(predictions, targets)


# -- binary cross-entropy --------------------------------------------------------

probability = st.floats(0.001, 0.999)
target01 = st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0)


def bce_closed(p, t):
    return -sum(b * math.log(a) + (1 - b) * math.log(1 - a) for a, b in zip(p, t)) / len(p)


@given(data=st.lists(st.tuples(probability, target01), min_size=1, max_size=8))
def test_binary_cross_entropy_matches_closed_form_and_torch(data):
    ps_, ts = [d[0] for d in data], [d[1] for d in data]
    ps = leaves(ps_)
    loss = nn.binary_cross_entropy(ps, ts)
    assert loss.data == pytest.approx(bce_closed(ps_, ts), rel=1e-12, abs=1e-12)
    loss.backward()
    tp = tensor(ps_)
    check_against_torch(loss, ps, F.binary_cross_entropy(tp, tensor(ts, grad=False)), tp)


def test_binary_cross_entropy_refuses_probabilities_it_cannot_log():
    with pytest.raises(DomainError, match=r"prediction 1 is 1\.0.*with_logits.*eps"):
        nn.binary_cross_entropy([0.5, 1.0], [1, 0])
    with pytest.raises(DomainError, match=r"prediction 0 is 0.0"):
        nn.binary_cross_entropy([0.0], [0.5])
    with pytest.raises(DomainError, match="strictly between 0 and 1"):
        nn.binary_cross_entropy([1.5], [1])
    # a term whose coefficient is 0 is left out: p = 1 with y = 1 costs nothing
    assert nn.binary_cross_entropy([1.0, 0.0], [1, 0]).data == 0.0


def test_binary_cross_entropy_eps_clamps_like_torch_clamp():
    p = Value(1.0)
    loss = nn.binary_cross_entropy([p], [0], eps=1e-7)
    assert loss.data == pytest.approx(-math.log(1e-7), rel=1e-9)
    loss.backward()
    assert p.grad == 0.0  # no gradient through a clamped probability
    tp = tensor([1.0])
    torch.clamp(tp, 1e-7, 1 - 1e-7).log().neg().backward()  # the same clamp in torch: no gradient either
    assert tp.grad.item() == 0.0
    with pytest.raises(ValueError, match="eps"):
        nn.binary_cross_entropy([0.5], [1], eps=0.7)


@pytest.mark.parametrize("loss", [nn.binary_cross_entropy, nn.binary_cross_entropy_with_logits])
def test_binary_targets_must_be_probabilities(loss):
    with pytest.raises(ValueError, match=r"target 0 is -1\.0.*hinge"):
        loss([0.5], [-1])


logit = st.floats(-30.0, 30.0) | st.sampled_from([0.0, -800.0, 800.0, -40.0, 40.0])


@given(data=st.lists(st.tuples(logit, target01), min_size=1, max_size=8))
def test_binary_cross_entropy_with_logits_matches_torch_for_any_score(data):
    zs_, ts = [d[0] for d in data], [d[1] for d in data]
    zs = leaves(zs_)
    loss = nn.binary_cross_entropy_with_logits(zs, ts)
    loss.backward()
    tz = tensor(zs_)
    check_against_torch(loss, zs, F.binary_cross_entropy_with_logits(tz, tensor(ts, grad=False)), tz)


def stable_bce_closed(z, y):
    """softplus(z) - y·z, with softplus(z) = max(z, 0) + log1p(e^-|z|); ∂/∂z = σ(z) - y."""
    value = max(z, 0.0) + math.log1p(math.exp(-abs(z))) - y * z
    sigma = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
    return value, sigma - y


@pytest.mark.parametrize("z", [800.0, -800.0, 0.0, 1e-300, -37.5, 36.0])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.25])
def test_binary_cross_entropy_with_logits_closed_form_at_extremes(z, y):
    v = Value(z)
    loss = nn.binary_cross_entropy_with_logits([v], [y])
    loss.backward()
    value, slope = stable_bce_closed(z, y)
    assert loss.data == pytest.approx(value, rel=1e-12, abs=1e-12)
    assert v.grad == pytest.approx(slope, rel=1e-12, abs=1e-15)


def test_logits_loss_gradient_at_zero_is_one_half_minus_y():
    """At z = 0 the slope is σ(0) - y = 0.5 - y (no subgradient artefact of max and |z|)."""
    for y in (0.0, 1.0):
        z = Value(0.0)
        nn.binary_cross_entropy_with_logits(z, y).backward()
        assert z.grad == 0.5 - y


# -- softmax cross-entropy ---------------------------------------------------------


@given(
    rows=st.integers(2, 5).flatmap(
        lambda k: st.lists(
            st.tuples(st.lists(st.floats(-50, 50), min_size=k, max_size=k), st.integers(0, k - 1)),
            min_size=1,
            max_size=5,
        )
    )
)
def test_cross_entropy_matches_closed_form_and_torch(rows):
    logits_ = [r[0] for r in rows]
    classes = [r[1] for r in rows]
    logits = [leaves(row, f"s{i}.") for i, row in enumerate(logits_)]
    loss = nn.cross_entropy(logits, classes)
    closed = sum(
        math.log(math.fsum(math.exp(z - max(r)) for z in r)) + max(r) - r[c] for r, c in zip(logits_, classes)
    )
    assert loss.data == pytest.approx(closed / len(rows), rel=1e-9, abs=1e-12)
    loss.backward()
    tl = tensor(logits_)
    check_against_torch(
        loss, [v for row in logits for v in row], F.cross_entropy(tl, torch.tensor(classes)), tl
    )


def test_cross_entropy_is_stable_for_huge_logits_and_takes_one_sample():
    z = leaves([1000.0, -1000.0, 999.0])
    loss = nn.cross_entropy(z, 2)
    assert loss.data == pytest.approx(math.log(1 + math.exp(-1) + math.exp(-1999)) + 1.0, rel=1e-12)
    loss.backward()
    # ∂L/∂zi = e^(zi - logsumexp(z)) - [i = c]: accurate to the rounding of logsumexp(z) ≈ 1000
    assert sum(v.grad for v in z) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("logits", "classes", "error", "words"),
    [
        ([[1.0, 2.0]], [2], ValueError, "class 0 is 2, but there are 2 classes"),
        ([[1.0, 2.0]], [-1], ValueError, "indices 0 to 1"),
        ([[1.0, 2.0]], [0.5], ValueError, "whole number"),
        ([[1.0, 2.0]], ["0"], TypeError, "class index"),
        ([[1.0, 2.0], [1.0]], [0, 0], ValueError, "sample 1 has 1 logits but sample 0 has 2"),
        ([[1.0, 2.0]], [0, 1], ValueError, "1 samples of logits but 2 classes"),
    ],
)
def test_cross_entropy_problems_are_named(logits, classes, error, words):
    with pytest.raises(error, match=words):
        nn.cross_entropy(logits, classes)


# -- hinge --------------------------------------------------------------------------


@given(data=st.lists(st.tuples(finite, st.sampled_from([-1, 1])), min_size=1, max_size=8))
def test_hinge_matches_closed_form_and_torch(data):
    """torch's relu, like ours, has slope 0 at the kink y·s = 1 (torch.clamp would give 1 there)."""
    ss_, ys = [d[0] for d in data], [d[1] for d in data]
    ss = leaves(ss_)
    loss = nn.hinge(ss, ys)
    assert loss.data == pytest.approx(
        sum(max(0.0, 1 - y * s) for s, y in data) / len(data), rel=1e-12, abs=1e-12
    )
    loss.backward()
    ts = tensor(ss_)
    check_against_torch(loss, ss, F.relu(1 - tensor(ys, grad=False) * ts).mean(), ts)


def test_hinge_reads_label_0_as_minus_1():
    scores = [0.3, -2.0, 0.9]
    assert nn.hinge(scores, [0, 0, 1]).data == nn.hinge(scores, [-1, -1, 1]).data
    with pytest.raises(ValueError, match="mix 0 and -1"):
        nn.hinge(scores, [0, -1, 1])
    with pytest.raises(ValueError, match="label 2"):
        nn.hinge(scores, [0, 2, 1])


def test_losses_by_name():
    assert set(nn.LOSSES) == {
        "mse",
        "mae",
        "l1",
        "l2",
        "half_sse",
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
        "cross_entropy",
        "hinge",
    }
    assert all(getattr(nn, name) is fn for name, fn in nn.LOSSES.items())
