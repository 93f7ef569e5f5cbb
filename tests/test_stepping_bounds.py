"""export_steps has a frame budget and a size budget, checked before any gradient
changes and before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

import nn
from autograd import GraphTooLargeError, Value, stepping, topological_order
from autograd.stepping import DEFAULT_MAX_FRAMES, estimate_export, export_steps


def mlp_loss(nin: int, sizes: list[int]) -> Value:
    model = nn.MLP(nin, sizes, seed=0)
    return nn.mse([model([0.5] * nin)], [1.0])


def grads(root: Value) -> list[float]:
    return [v.grad for v in topological_order(root)]


def test_87_nodes_are_refused_by_size_before_anything_changes(tmp_path: Path) -> None:
    """The network whose 87 steps used to take 156 s and make a 32 MB GIF (its
    loss now makes no sum of one term: 84 nodes, 83 steps, the 1 of y is no step)."""
    loss = mlp_loss(3, [6, 4, 1])
    steps = [node for node in topological_order(loss) if not node.is_constant]
    assert len(steps) == 83 <= DEFAULT_MAX_FRAMES
    before = grads(loss)
    with pytest.raises(
        GraphTooLargeError, match=r"export_steps: 83 frames of about .* more than max_bytes=25.0 MB"
    ):
        export_steps(loss, tmp_path / "frames")
    assert grads(loss) == before
    assert list(tmp_path.iterdir()) == []


def test_the_frame_budget_is_checked_before_drawing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_render(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("nothing is drawn for an export over the frame budget")

    monkeypatch.setattr(stepping, "render", no_render)
    x = Value(0.5, "x")
    root = (x * 2.0).tanh()  # 4 nodes, 3 steps (the 2.0 written in the code is none)
    with pytest.raises(GraphTooLargeError, match=r"takes 3 steps, more than max_frames=2.*backward_steps"):
        export_steps(root, tmp_path, max_frames=2)
    assert list(tmp_path.iterdir()) == []


def test_a_small_export_within_the_budget_is_written(tmp_path: Path) -> None:
    x = Value(0.5, "x")
    root = (x * 2.0).tanh()
    budget = estimate_export(root, 4, "png", True, {})
    paths = export_steps(root, tmp_path, duration_ms=20, max_bytes=budget.total_bytes * 3)
    written = sum(p.stat().st_size for p in paths)
    assert len(paths) == 4 and written <= budget.total_bytes * 3  # x, x·2, tanh and the GIF (2.0 is no step)
    # the estimate is of the right size: within a factor of three of what was written
    assert budget.total_bytes / 3 <= written <= budget.total_bytes * 3
    with pytest.raises(GraphTooLargeError, match="max_bytes"):
        export_steps((Value(0.5, "x") * 2.0).tanh(), tmp_path / "again", max_bytes=budget.total_bytes // 10)


def test_dot_frames_are_measured_without_graphviz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    root = (Value(0.5, "x") * 2.0).tanh()
    budget = estimate_export(root, 4, "dot", False, {})
    assert budget.gif_bytes == 0 and budget.frame_bytes > 100 and budget.seconds < 1.0
    with pytest.raises(GraphTooLargeError, match="max_bytes"):
        export_steps(root, tmp_path, fmt="dot", gif=False, max_bytes=budget.frame_bytes)


@pytest.mark.parametrize("name", ["max_frames", "max_bytes"])
@pytest.mark.parametrize("bad", [0, -5, 1.5, "10", True])
def test_budgets_must_be_positive_ints(name: str, bad: object, tmp_path: Path) -> None:
    with pytest.raises((TypeError, ValueError), match=name):
        export_steps(Value(1.0, "x") * 2, tmp_path, **{name: bad})
