"""Grad mode belongs to a thread (and an asyncio task), as in PyTorch.

``no_grad`` in one thread never switches recording off in another; blocks that
close out of order never leave the mode changed; ``enable_grad``,
``set_grad_enabled`` and the decorator forms work.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import nn
from autograd import Value, enable_grad, is_grad_enabled, no_grad, set_grad_enabled


def records(x: Value) -> bool:
    """True when an op on x records its input (grad mode on)."""
    return bool((x * 2.0).inputs)


def test_no_grad_enable_grad_and_set_grad_enabled_nest():
    x = Value(1.0)
    assert records(x)
    with no_grad():
        assert not records(x) and not is_grad_enabled()
        with enable_grad():
            assert records(x)
            with set_grad_enabled(False):
                assert not records(x)
            assert records(x)
        assert not records(x)
    assert records(x) and is_grad_enabled()


def test_decorators_with_and_without_parentheses():
    @no_grad
    def plain(x):
        return records(x)

    @no_grad()
    def called(x):
        return records(x)

    @set_grad_enabled(False)
    def explicit(x):
        return records(x)

    @enable_grad
    def inside(x):
        return records(x)

    x = Value(1.0)
    assert (plain(x), called(x), explicit(x)) == (False, False, False)
    with no_grad():
        assert inside(x)
    assert records(x)
    assert plain.__name__ == "plain"


def test_blocks_closed_out_of_order_leave_the_mode_as_it_was():
    """A enters, B enters, A exits, B exits (two generators, say)."""
    a, b = no_grad(), no_grad()
    a.__enter__()
    b.__enter__()
    a.__exit__(None, None, None)
    assert not is_grad_enabled()  # B is still open
    b.__exit__(None, None, None)
    assert is_grad_enabled()
    enabling, disabling = enable_grad(), no_grad()
    disabling.__enter__()
    enabling.__enter__()
    disabling.__exit__(None, None, None)
    assert is_grad_enabled()  # the enable block is the innermost one still open
    enabling.__exit__(None, None, None)
    assert is_grad_enabled()


def test_an_exception_inside_the_block_restores_the_mode():
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert is_grad_enabled()


def test_set_grad_enabled_takes_a_bool():
    with pytest.raises(TypeError, match="True or False"):
        set_grad_enabled(0)


def test_another_threads_no_grad_does_not_reach_this_thread():
    entered, release = threading.Event(), threading.Event()

    def evaluate():
        with no_grad():
            entered.set()
            release.wait(5)

    worker = threading.Thread(target=evaluate)
    worker.start()
    entered.wait(5)
    try:
        assert is_grad_enabled() and records(Value(1.0))
    finally:
        release.set()
        worker.join()


def test_interleaved_blocks_in_two_threads():
    """A enters, B enters, A exits, B exits, in two threads: both threads end with grads on."""
    steps = [threading.Event() for _ in range(4)]
    seen: dict[str, bool] = {}

    def thread_a():
        with no_grad():
            steps[0].set()
            steps[1].wait(5)
        seen["a after"] = is_grad_enabled()
        steps[2].set()

    def thread_b():
        steps[0].wait(5)
        with no_grad():
            steps[1].set()
            steps[2].wait(5)
            seen["b inside"] = is_grad_enabled()
        seen["b after"] = is_grad_enabled()

    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"a after": True, "b inside": False, "b after": True}
    assert is_grad_enabled()


def test_asyncio_tasks_have_their_own_mode():
    async def evaluating(started: asyncio.Event, done: asyncio.Event) -> None:
        with no_grad():
            started.set()
            await done.wait()

    async def training(started: asyncio.Event, done: asyncio.Event) -> bool:
        await started.wait()
        result = records(Value(1.0))
        done.set()
        return result

    async def main() -> bool:
        started, done = asyncio.Event(), asyncio.Event()
        _, trained = await asyncio.gather(evaluating(started, done), training(started, done))
        return trained

    assert asyncio.run(main())


def test_training_and_evaluation_threads_lose_no_gradient():
    """One thread trains (every step must produce non-zero gradients) while
    another evaluates under no_grad as fast as it can, for about two seconds."""
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    other = nn.MLP(2, [4, 1], activation="tanh", seed=1)
    X, y = nn.datasets.moons(8, noise=0.1, seed=0)
    stop = threading.Event()
    evaluations = [0]

    def evaluate():
        while not stop.is_set():
            with no_grad():
                for x in X:
                    other(x)
            evaluations[0] += 1

    worker = threading.Thread(target=evaluate)
    worker.start()
    steps = lost = 0
    deadline = time.monotonic() + 2.0
    try:
        while time.monotonic() < deadline:
            loss = nn.mse([model(x) for x in X], y)
            model.zero_grad()
            loss.backward()
            steps += 1
            lost += all(p.grad == 0.0 for p in model.parameters())
    finally:
        stop.set()
        worker.join()
    assert steps > 10 and evaluations[0] > 10
    assert lost == 0, f"{lost} of {steps} training steps got no gradient"


def test_two_threads_fit_their_own_models():
    X, y = nn.datasets.moons(40, noise=0.1, seed=0)
    results = {}

    def fitted_losses(seed: int) -> list[float]:
        model = nn.MLP(2, [4, 1], activation="tanh", seed=seed)
        optimizer = nn.Adam(model.parameters(), lr=0.05)
        loss = "binary_cross_entropy_with_logits"
        history = nn.fit(model, X, y, loss, optimizer, epochs=15, progress=False)
        return history.loss

    def train(seed: int) -> None:
        results[seed] = fitted_losses(seed)

    threads = [threading.Thread(target=train, args=(seed,)) for seed in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for seed in (0, 1):
        assert results[seed] == fitted_losses(seed)  # the same as trained alone
