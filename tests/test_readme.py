"""The README's "Ten lines" example prints what the README says it prints.

The section's Python blocks run as one script in a fresh interpreter; its
``text`` block (the output of ``explain``) must appear in the output verbatim,
and each ``print(...)  # output`` comment must match the line printed, numbers
compared to the digits the comment shows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Ten lines"


def ten_lines_section() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert SECTION in readme, f"the README has no {SECTION!r} section"
    return readme.split(SECTION, 1)[1].split("\n## ", 1)[0]


def blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def run_script(code: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def same_up_to_shown_digits(shown: str, printed: str) -> bool:
    """``shown`` (a README comment) equals ``printed`` word by word; a number in
    the comment may be ``printed`` rounded to the digits the comment shows."""
    shown_words, printed_words = shown.split(), printed.split()
    if len(shown_words) != len(printed_words):
        return False
    for want, got in zip(shown_words, printed_words):
        if want == got:
            continue
        try:
            got_number = float(got.rstrip(","))
            decimals = len(want.rstrip(",").partition(".")[2])
            if round(got_number, decimals) != float(want.rstrip(",")):
                return False
        except ValueError:
            return False
    return True


@pytest.fixture(scope="module")
def section_and_output() -> tuple[str, list[str]]:
    section = ten_lines_section()
    return section, run_script("\n".join(blocks(section, "python")))


def test_the_shown_explanation_is_what_explain_prints(section_and_output):
    section, printed = section_and_output
    (shown,) = blocks(section, "text")
    assert shown.strip("\n") in "\n".join(printed)
    chain, symbols, numbers = shown.strip("\n").splitlines()  # the symbolic line is shown too
    assert chain.startswith("∂L/∂w1 = ") and "∂" not in symbols and "×" in numbers


def test_every_commented_print_shows_its_output(section_and_output):
    section, printed = section_and_output
    comments = []
    for code in blocks(section, "python"):
        for line in code.splitlines():
            if line.startswith("print(") and "  # " in line:
                comments.append(line.split("  # ", 1)[1].strip())
    # an output comment is the printed line itself, or that line then ", " and words about it
    outputs = [c for c in comments if not c.startswith("the ")]
    assert len(outputs) >= 4
    for shown in outputs:
        verdict = shown.split(",")[0] if shown.startswith(("True,", "False,")) else shown
        assert any(same_up_to_shown_digits(verdict, line) for line in printed), (shown, printed)
    assert any(line.startswith("counterexample: at x = ") for line in printed)


def test_the_stepping_example_is_what_backward_steps_prints(section_and_output):
    """The API tour quotes a step of backward through the "Ten lines" neuron."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith("| `backward_steps(")]
    header, edge = re.findall(r"`(step \d+/\d+: [^`]*)` then `([^`]*)`", row)[0]
    section, _ = section_and_output
    setup = blocks(section, "python")[0].split("L.backward()")[0]
    printed = run_script(setup + "import autograd\nfor s in autograd.backward_steps(L): print(s)\n")
    at = printed.index(header)
    assert printed[at + 1].strip() == edge
