"""SGD and Adam against torch.optim (float64) on the same parameters and gradients."""

import math
import random

import pytest
from torch_or_skip import torch

import nn
from autograd import DomainError, NonFiniteUpdateError, Parameter, Value

STEPS = 6


def run_both(make_ours, make_torch, n_params=4, seed=0, torch_scheduler=None):
    """Apply the same random gradients for STEPS updates; return both parameter histories."""
    rng = random.Random(seed)
    start = [rng.uniform(-1, 1) for _ in range(n_params)]
    ours = [Parameter(x, label=f"p{i}") for i, x in enumerate(start)]
    theirs = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_ours(ours)
    topt = make_torch([theirs])
    sched = torch_scheduler(topt) if torch_scheduler else None
    history = []
    for _ in range(STEPS):
        grads = [rng.uniform(-2, 2) for _ in range(n_params)]
        for p, g in zip(ours, grads):
            p.grad = g
        theirs.grad = torch.tensor(grads, dtype=torch.float64)
        opt.step()
        topt.step()
        if sched:
            sched.step()
        history.append(([p.data for p in ours], theirs.detach().tolist()))
    return history


CONFIGS = {
    "sgd": (lambda ps: nn.SGD(ps, lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
    "sgd momentum": (
        lambda ps: nn.SGD(ps, lr=0.05, momentum=0.9),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9),
    ),
    "sgd weight decay": (
        lambda ps: nn.SGD(ps, lr=0.1, weight_decay=0.01),
        lambda ps: torch.optim.SGD(ps, lr=0.1, weight_decay=0.01),
    ),
    "sgd momentum + weight decay": (
        lambda ps: nn.SGD(ps, lr=0.1, momentum=0.5, weight_decay=0.1),
        lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.5, weight_decay=0.1),
    ),
    "adam": (lambda ps: nn.Adam(ps), lambda ps: torch.optim.Adam(ps)),
    "adam tuned": (
        lambda ps: nn.Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6),
        lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6),
    ),
    "adam weight decay": (
        lambda ps: nn.Adam(ps, lr=0.01, weight_decay=0.1),
        lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=0.1),
    ),
}


@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("seed", [0, 1])
def test_updates_equal_torch_optim(name, seed):
    make_ours, make_torch = CONFIGS[name]
    for ours, theirs in run_both(make_ours, make_torch, seed=seed):
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-14)


def test_lr_schedule_equals_torch_lambda_lr():
    """Our schedule returns the rate for update t = 0, 1, ...; LambdaLR multiplies the base rate."""
    history = run_both(
        lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9, lr_schedule=lambda t: 0.1 * 0.5**t),
        lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
        torch_scheduler=lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5**t),
    )
    for ours, theirs in history:
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-14)


def test_plain_sgd_is_the_seed_rule():
    """θ ← θ - η ∂L/∂θ, computed by hand."""
    w = Parameter(2.0, label="w")
    (w * w * 3).backward()  # ∂/∂w 3w² = 6w = 12
    nn.SGD([w], lr=0.01).step()
    assert w.data == 2.0 - 0.01 * 12.0


def test_schedule_receives_the_update_number():
    seen = []
    p = Parameter(1.0)
    opt = nn.Adam([p], lr_schedule=lambda t: seen.append(t) or 0.1)
    for _ in range(3):
        p.grad = 1.0
        opt.step()
    assert seen == [0, 1, 2] and opt.step_count == 3


def test_zero_grad_and_duplicates():
    model = nn.MLP(2, [2, 1])
    opt = nn.SGD(model.parameters() + model.parameters(), lr=0.1)
    assert len(opt.params) == len(model.parameters())  # each parameter once
    model([1.0, 2.0]).backward()
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_step_builds_no_graph_and_keeps_the_same_objects():
    p = Parameter(1.0, label="w")
    p.grad = 0.5
    nn.Adam([p], lr=0.1).step()
    assert p.is_leaf and p.inputs == () and isinstance(p.data, float)


def test_a_non_finite_update_is_refused_and_changes_nothing():
    a, b = Parameter(1.0, label="a"), Parameter(2.0, label="b")
    a.grad, b.grad = 1.0, 1e308
    opt = nn.SGD([a, b], lr=1e10, momentum=0.9)
    with pytest.raises(DomainError, match=r"'b' would become -inf.*smaller learning rate"):
        opt.step()
    assert (a.data, b.data) == (1.0, 2.0)
    assert opt.step_count == 0 and opt.velocity is None


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: nn.SGD([], lr=0.1), ValueError, "no parameters"),
        (lambda: nn.SGD([1.0], lr=0.1), TypeError, "updates Values"),
        (lambda: nn.SGD([Value(1.0)], lr=-1), ValueError, "lr must be"),
        (lambda: nn.SGD([Value(1.0)], lr=math.nan), ValueError, "lr must be"),
        (lambda: nn.SGD([Value(1.0)], lr="0.1"), TypeError, "lr must be a number"),
        (lambda: nn.Adam([Value(1.0)], betas=(0.9, 1.0)), ValueError, "below 1"),
        (lambda: nn.Adam([Value(1.0)], betas=(0.9,)), ValueError, "two numbers"),
        (lambda: nn.Adam([Value(1.0)], eps=0.0), ValueError, "eps"),
        (lambda: nn.SGD([Value(1.0)], lr=0.1, lr_schedule=0.5), TypeError, "lr_schedule"),
    ],
)
def test_bad_settings_are_explained(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_a_schedule_returning_nonsense_is_explained():
    p = Parameter(1.0)
    opt = nn.SGD([p], lr=0.1, lr_schedule=lambda t: -1.0)
    with pytest.raises(ValueError, match=r"lr_schedule\(0\)"):
        opt.step()


def test_reprs():
    assert repr(nn.SGD([Value(1.0)], lr=0.1)).startswith("SGD(1 parameters, lr=0.1")
    assert "betas=(0.9, 0.999)" in repr(nn.Adam([Value(1.0)]))


# -- non-finite state: refused, never a silent freeze ------------------------------------


def test_adam_refuses_a_second_moment_that_overflows_instead_of_freezing():
    """g = 1e200 makes g² = inf: Adam's step would be m/√inf = 0 and w would stop learning."""
    w, b = Parameter(0.5, label="L1.N0.w1"), Parameter(0.1, label="L1.N0.b")
    opt = nn.Adam([w, b], lr=0.01)
    w.grad, b.grad = 1e200, 0.5
    with pytest.raises(
        NonFiniteUpdateError,
        match=r"Adam step 0: the running average of the squared gradient v of 'L1.N0.w1' became inf",
    ) as caught:
        opt.step()
    assert isinstance(caught.value, DomainError) and isinstance(caught.value, ValueError)
    assert "stop learning" in str(caught.value)
    assert (w.data, b.data) == (0.5, 0.1)
    assert opt.step_count == 0 and opt.v == [0.0, 0.0] and opt.m == [0.0, 0.0]


def test_adam_refuses_when_the_moments_overflow_over_several_steps():
    """(1 - β2)·g·g is finite for g = 1e155, but v grows towards g² = 1e310 and overflows."""
    w = Parameter(0.0, label="w")
    opt = nn.Adam([w], lr=0.01)
    steps = 0
    with pytest.raises(NonFiniteUpdateError, match=r"squared gradient v of 'w' became inf"):
        for steps in range(1, 100):  # noqa: B007 - read after the loop
            w.grad = 1e155
            opt.step()
    assert 1 < steps < 100 and opt.step_count == steps - 1
    assert all(math.isfinite(v) for v in opt.v) and math.isfinite(w.data)


def test_sgd_refuses_a_momentum_buffer_that_overflows():
    w = Parameter(1.0, label="w")
    opt = nn.SGD([w], lr=0.0, momentum=1.0)  # lr 0: w itself would stay finite
    w.grad = 1e308
    opt.step()
    with pytest.raises(NonFiniteUpdateError, match=r"SGD step 1: the momentum buffer v of 'w' became inf"):
        opt.step()
    assert opt.step_count == 1 and w.data == 1.0


def test_sgd_non_finite_update_is_a_named_error():
    w = Parameter(1.0, label="w")
    w.grad = 1e300
    with pytest.raises(NonFiniteUpdateError, match="'w' would become -inf"):
        nn.SGD([w], lr=1e10).step()
