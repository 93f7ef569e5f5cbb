"""Every error the command line can meet is one line on stderr with exit status 2:
no traceback, and nothing the user typed reaches the terminal raw."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from autograd.cli import main, terminal_safe

ESC = "\x1b"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, needle: str) -> None:
    assert code == 2, (out, err)
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith("chaingrad: error: ")
    assert needle in lines[0], lines[0]
    assert "Traceback" not in err
    assert ESC not in out + err and "\r" not in out + err


def with_out(argv: list[str], tmp_path: Path) -> list[str]:
    return (
        [*argv, "--out", str(tmp_path / "run"), "--no-progress", "--epochs", "1"]
        if argv[0] == "train"
        else argv
    )


CLI_ERRORS = {
    "draw to a .txt file": (
        ["grad", "x*x", "x=2", "--draw", "g.txt"],
        "the file name must end in .svg, .png, .pdf or .dot",
    ),
    "draw into a missing folder": (["grad", "x*x", "x=2", "--draw", "nowhere/g.svg"], "does not exist"),
    "draw a hopeless layout": (
        ["grad", " + ".join(["sin(x)"] * 80), "x=0.5", "--draw", "PLACEHOLDER.svg"],
        "Graphviz would need minutes",
    ),
    "hinge on three classes": (["train", "--dataset", "blobs", "--loss", "hinge"], "blobs has 3"),
    "BCE on three classes": (["train", "--dataset", "blobs", "--loss", "binary_cross_entropy"], "has 3"),
    "hinge on regression": (["train", "--dataset", "linear", "--loss", "hinge"], "regression dataset"),
    "cross_entropy on two classes": (
        ["train", "--dataset", "moons", "--loss", "cross_entropy"],
        "more than two",
    ),
    "a NaN binding": (["grad", "x*2", "x=nan"], "not a finite number"),
    "an inf binding": (["grad", "x*2", "x=1e400"], "not a finite number"),
    "a domain error": (["grad", "log(x)", "x=0"], "log"),
    "an unknown function": (["grad", "foo(x)", "x=1"], "unknown function"),
    "a bad check formula": (["grad", "x*x", "x=1", "--check", "x", "2*"], "column"),
    "explain an unknown name": (["grad", "x*x", "x=1", "--explain", "y"], "unknown name 'y'"),
}


@pytest.mark.parametrize("case", list(CLI_ERRORS))
def test_each_cli_error_is_one_line_with_status_2(
    case: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv, needle = CLI_ERRORS[case]
    argv = [a.replace("PLACEHOLDER", str(tmp_path / "g")) for a in argv]
    if "nowhere" in argv[-1]:
        argv[-1] = str(tmp_path / "nowhere" / "g.svg")
    code, out, err = run(capsys, *with_out(argv, tmp_path))
    assert_one_line_error(code, out, err, needle)


HOSTILE = {
    "in the expression": ["grad", f"x{ESC}[31m", "x=1"],
    "in a binding name": ["grad", "x", f"x{ESC}[2J=1"],
    "in a binding value": ["grad", "x", f"x=1{ESC}]0;pwned\x07"],
    "in --explain": ["grad", "x*x", "x=1", "--explain", f"{ESC}[2J"],
    "in --draw": ["grad", "x*x", "x=1", "--draw", f"g{ESC}[2J.txt"],
    "in a command name": [f"gr{ESC}[5mad"],
    "in a dataset name": ["train", "--dataset", f"moons{ESC}c"],
    "a carriage return": ["grad", "x", "x=1\rERASED"],
    "a right-to-left override": ["grad", "x", "x=1\u202e2"],
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_escape_sequences_typed_by_the_user_are_shown_escaped(
    case: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, *with_out(HOSTILE[case], tmp_path))
    assert_one_line_error(code, out, err, "")
    assert "\u202e" not in err
    assert "\\x1b" in err or "\\x0d" in err or "\\u202e" in err


def test_a_comment_cannot_smuggle_escapes_into_the_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "grad", f"x * 2  # {ESC}[2J{ESC}]0;title\x07", "x=3")
    assert code == 0 and err == ""
    assert ESC not in out and "\x07" not in out
    assert "\\x1b[2J" in out and "= 6" in out


def test_terminal_safe_keeps_text_and_newlines() -> None:
    assert terminal_safe("∂L/∂w = 0.5\nŷ") == "∂L/∂w = 0.5\nŷ"
    assert terminal_safe("a\nb", keep_newlines=False) == "a\\x0ab"
    assert terminal_safe("\x00\x7f\x9b\u2028\U000e0001") == "\\x00\\x7f\\x9b\\u2028\\U000e0001"


def test_the_installed_command_never_prints_a_traceback(tmp_path: Path) -> None:
    for argv in (
        ["grad", "x*x", "x=2", "--draw", str(tmp_path / "g.txt")],
        ["train", "--dataset", "blobs", "--loss", "hinge", "--out", str(tmp_path / "r"), "--no-progress"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "autograd", *argv], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert done.stderr.startswith("chaingrad: error: ")
