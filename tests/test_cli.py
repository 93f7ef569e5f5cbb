"""The command line: each command's main job, and one-line errors with exit status 2."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograd.cli import COINCIDENCE, NETWORK_2_2_1_HAND_FORMULAS, main, network_2_2_1


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_grad_prints_value_and_gradients(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "grad", "sigmoid(w*x + b)", "w=0.5", "x=2", "b=-1")
    assert code == 0
    s = 1 / (1 + math.exp(-(0.5 * 2 - 1)))
    assert f"= {s:.6g}" in out
    rows = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in out.splitlines()[3:] if line}
    assert rows["w"] == pytest.approx([0.5, s * (1 - s) * 2], rel=1e-5)
    assert rows["x"] == pytest.approx([2.0, s * (1 - s) * 0.5], rel=1e-5)
    assert rows["b"] == pytest.approx([-1.0, s * (1 - s)], rel=1e-5)


def test_grad_explain_steps_check_draw(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    code, out, err = run(
        capsys,
        "grad",
        "x*x*3",
        "x=2",
        "--explain",
        "x",
        "--steps",
        "--check",
        "x",
        "6*x",
        "--draw",
        str(target),
    )
    assert code == 0, err
    assert "∂f/∂x" in out and "12" in out
    assert "backward, one node at a time" in out
    assert "ok" in out
    assert target.read_text().startswith("digraph")


def test_grad_failed_check_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "grad", "x*x*3", "x=2", "--check", "x", "3*x")
    assert code == 1
    assert "MISMATCH" in out.upper() or "mismatch" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["grad", "x*x", "x=abc"], "not a finite number"),
        (["grad", "x*x", "x"], "expected name=value"),
        (["grad", "x.y", "x=1"], "attribute"),
        (["grad", "x*q", "x=1"], "`q`"),
        (["grad", "log(x)", "x=-1"], "log"),
        (["grad", "x*(", "x=1"], "column"),
        (["grad", "x*x", "x=1", "--explain", "zz"], "unknown name 'zz'"),
        (["train", "--dataset", "nope"], "unknown dataset 'nope'"),
        (["train", "--hidden", "16,a"], "--hidden"),
        (["train", "--hidden", ""], "--hidden takes the sizes of the hidden layers"),
        (["train", "--hidden", "16,,16"], "got '16,,16'"),
        (["train", "--hidden", "-4"], "--hidden"),
        (["train", "--hidden", "0"], "--hidden sizes must be at least 1"),
        (["grad", "x*x", "x=1", "--draw", "g.jpg"], "must end in .svg, .png, .pdf or .dot"),
        (["grad", "x*x", "x=1", "--draw", "graph"], "got no suffix"),
        (["grad", "x*x", "x=1", "--save-steps", "steps.txt"], "ending in .html"),
        (["train", "--epochs", "0"], "--epochs must be positive"),
        (["train", "--loss", "nonsense"], "unknown loss"),
        (["train", "--lr", "nan"], "--lr"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_errors_are_one_line_with_status_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], needle: str
) -> None:
    if argv and argv[0] == "train":
        argv = [*argv, "--out", str(tmp_path / "run"), "--no-progress"]
    code, _, err = run(capsys, *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("chaingrad: error: ")
    assert needle in lines[0]
    assert "Traceback" not in err


def test_unwritable_output_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, _, err = run(capsys, "train", "--out", str(blocker / "sub"), "--epochs", "1", "--no-progress")
    assert code == 2
    assert "cannot write to the output folder" in err
    assert len(err.strip().splitlines()) == 1


def test_train_writes_model_and_plots(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import nn

    out_dir = tmp_path / "run"
    code, out, err = run(
        capsys, "train", "--dataset", "moons", "--hidden", "8", "--epochs", "40", "--seed", "1",
        "--out", str(out_dir), "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    assert "final loss" in out and "accuracy" in out
    for name in ("model.json", "loss.png", "loss.svg", "decision_boundary.png", "decision_boundary.svg"):
        assert (out_dir / name).stat().st_size > 0
        assert f"wrote {out_dir / name}" in out
    assert (out_dir / "loss.png").read_bytes().startswith(b"\x89PNG")
    assert "<svg" in (out_dir / "decision_boundary.svg").read_text()
    model = nn.load(out_dir / "model.json")
    X, y = nn.datasets.moons(100, seed=1)
    reported = float(out.split("accuracy ")[1].split("%")[0]) / 100
    assert reported > 0.8
    assert json.loads((out_dir / "model.json").read_text())["format"] == "chaingrad-model"
    assert 0.0 <= nn.accuracy([model(x) for x in X], y, threshold=0.0) <= 1.0


def test_demo_checks_every_hand_formula_at_eleven_points(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "demo", "--out", str(tmp_path), "--format", "dot")
    assert code == 0, err
    for wrt in NETWORK_2_2_1_HAND_FORMULAS:
        assert f"∂L/∂{wrt}" in out
    assert out.count("[ok ]") == len(NETWORK_2_2_1_HAND_FORMULAS)
    assert out.count("11/11 points agree") == len(NETWORK_2_2_1_HAND_FORMULAS)
    assert "∂L/∂w11 = ∂L/∂ŷ · ∂ŷ/∂a · ∂a/∂h1 · ∂h1/∂a1 · ∂a1/∂w11" in out
    assert "= −(y − ŷ)·ŷ(1 − ŷ)·w1·h1(1 − h1)·x1" in out
    assert (tmp_path / "network_2_2_1.dot").read_text().startswith("digraph")
    assert "seed" not in out.lower()


def test_demo_shows_a_formula_that_only_its_own_point_accepts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """∂L/∂w11 without x1 agrees where x1 = 1, and the random points catch it."""
    import autograd

    wrt, wrong = COINCIDENCE
    loss = network_2_2_1()
    loss.backward()
    report = autograd.check_formula(loss, wrt, wrong)
    assert report.rows[0].ok and not report.ok
    _, out, _ = run(capsys, "demo", "--out", str(tmp_path), "--format", "dot")
    assert f"[MISMATCH] ∂L/∂{wrt} = {wrong}" in out
    assert f"{report.agreed}/{len(report.rows)} points agree" in out
    assert "counterexample: at " in out


def test_the_hand_network_hidden_layer_gives_4_and_minus_2() -> None:
    """W = [[1,-2],[-1,1]], x = [1,-1], b = [1,0] gives [4,-2] before the activation."""
    from autograd import topological_order

    loss = network_2_2_1()
    nodes = {v.label: v for v in topological_order(loss) if v.label}
    assert (nodes["a1"].data, nodes["a2"].data) == (4.0, -2.0)


@pytest.mark.skipif(shutil.which("dot") is None, reason="rendering needs Graphviz's dot binary")
def test_demo_renders_svg(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "demo", "--out", str(tmp_path))
    assert code == 0, err
    assert "<svg" in (tmp_path / "network_2_2_1.svg").read_text()


def test_python_dash_m_autograd_and_help() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for argv in (["--help"], ["grad", "--help"], ["train", "--help"], ["demo", "--help"]):
        done = subprocess.run(
            [sys.executable, "-m", "autograd", *argv], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert "example:" in done.stdout


# -- grad: drawings in every format, the step player -----------------------------------------


@pytest.mark.skipif(shutil.which("dot") is None, reason="rendering needs Graphviz's dot binary")
@pytest.mark.parametrize(
    ("suffix", "magic"), [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF"), (".DOT", b"digraph")]
)
def test_grad_draws_every_format(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str, magic: bytes
) -> None:
    target = tmp_path / f"graph{suffix}"
    code, out, err = run(capsys, "grad", "x*x*3", "x=2", "--draw", str(target))
    assert code == 0, err
    assert target.read_bytes().startswith(magic) and f"graph written to {target}" in out


def test_a_bad_draw_name_is_refused_before_any_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "grad", "log(x)", "x=-1", "--draw", str(tmp_path / "g.gif"))
    assert code == 2 and out == "" and "'.gif'" in err  # the name, not the domain error, is reported
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("dot") is None, reason="the player's drawings need Graphviz's dot binary")
def test_grad_saves_the_step_player(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import autograd

    target = tmp_path / "steps.html"
    code, out, err = run(
        capsys, "grad", "sigmoid(w*x + b)", "w=0.5", "x=2", "b=-1", "--save-steps", str(target)
    )
    assert code == 0, err
    assert f"step player written to {target}" in out and "browser" in out
    page = target.read_text(encoding="utf-8")
    expected = autograd.parse("sigmoid(w*x + b)", w=0.5, x=2, b=-1)
    expected.label = "f"
    steps = [str(step) for step in autograd.backward_steps(expected)]
    data = re.search(r'<script type="application/json" class="cgp-data">(.*?)</script>', page, re.S).group(1)
    assert json.loads(data)["texts"] == steps and f"step 1/{len(steps)}" in page
    # the table is the one backward pass, not two added together
    rows = {
        line.split()[0]: float(line.split()[2])
        for line in out.splitlines()
        if line[:1] in "wxb" and len(line.split()) == 3
    }
    s = 1 / (1 + math.exp(0.0))
    assert rows["w"] == pytest.approx(s * (1 - s) * 2, rel=1e-5)


# -- train: divergence, runs already there, defaults ----------------------------------------


def test_training_that_diverges_stops_with_one_line_and_status_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "run"
    code, out, err = run(
        capsys,
        "train",
        "--lr",
        "100",
        "--optimizer",
        "sgd",
        "--epochs",
        "30",
        "--out",
        str(out_dir),
        "--no-progress",
    )
    assert code == 1
    lines = err.strip().splitlines()
    assert (
        len(lines) == 1
        and "training diverged" in lines[0]
        and "smaller --lr" in lines[0]
        and "--lr 10" in lines[0]
        and "at epoch 2" in lines[0]  # stopped when it ran away, not after all 30 epochs
    )
    assert not out_dir.exists() or not any(out_dir.iterdir())
    assert "wrote" not in out


def test_divergence_is_a_non_finite_loss_or_one_far_above_its_start() -> None:
    from autograd.cli import divergence

    assert divergence([0.7, 0.5, 0.3]) == ""
    assert divergence([0.7, 3.0, 0.2]) == ""  # a spike that training recovers from
    assert divergence([0.7]) == ""
    assert "rose from 0.7 at epoch 1 to 2 at epoch 3" in divergence([0.7, 1.0, 2.0])
    assert "became nan at epoch 2" in divergence([0.7, float("nan"), 0.1])
    assert "to 8 at epoch 2" in divergence([0.7, 8.0], finished=False)  # a runaway stops training at once
    assert divergence([0.7, 3.0], finished=False) == ""
    assert "became inf at epoch 1" in divergence([float("inf")])


def test_a_folder_that_holds_a_run_is_refused_unless_forced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "run"
    argv = ["train", "--hidden", "4", "--epochs", "3", "--out", str(out_dir), "--no-progress"]
    assert run(capsys, *argv)[0] == 0
    (out_dir / "notes.txt").write_text("mine")
    before = (out_dir / "model.json").read_bytes()
    code, _, err = run(capsys, *[a if a != "3" else "5" for a in argv])
    assert (
        code == 2 and "already holds a run" in err and "--force" in err and len(err.strip().splitlines()) == 1
    )
    assert (out_dir / "model.json").read_bytes() == before
    code, _, err = run(capsys, *argv[:4], "5", *argv[5:], "--force")
    assert code == 0, err
    assert (out_dir / "model.json").read_bytes() != before and (out_dir / "notes.txt").read_text() == "mine"
    other = tmp_path / "other"
    other.mkdir()
    (other / "data.csv").write_text("1,2")  # a folder without a run is fine
    assert (
        run(capsys, "train", "--hidden", "4", "--epochs", "2", "--out", str(other), "--no-progress")[0] == 0
    )


def test_help_shows_every_default() -> None:
    from autograd.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    checked = 0
    for name, sub in commands.choices.items():
        text = " ".join(sub.format_help().split())
        for action in sub._actions:
            unset = action.default is None or action.default is False or action.default is argparse.SUPPRESS
            if unset or not action.option_strings:
                continue
            assert f"(default: {action.default})" in text, (name, action.option_strings)
            checked += 1
        assert "--loss" not in text or "(default: binary_cross_entropy_with_logits" in text
    assert checked == 11  # train: 9 options with a default, demo: 2
