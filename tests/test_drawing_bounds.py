"""Rendering is bounded: hopeless layouts are refused before dot starts, and dot
runs with a timeout, in its own process group, killed on timeout or Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import GraphTooLargeError, Value, sum_values
from autograd.drawing import GraphvizTimeoutError, estimate_layout, render, save_graph, to_dot
from autograd.rendering import MAX_LONG_EDGE_STEPS


def sum_of_sines(k: int) -> Value:
    """sin(x) + sin(x) + ... : x feeds every term of a chain of k - 1 additions."""
    return autograd.parse(" + ".join(["sin(x)"] * k), x=0.5)


def test_80_sin_terms_are_refused_before_dot_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """161 value nodes, under max_nodes, but a layout dot does not finish in 90 s."""

    def no_dot(*args: object, **kwargs: object) -> None:
        raise AssertionError("dot must not be started for a hopeless drawing")

    monkeypatch.setattr(subprocess, "Popen", no_dot)
    root = sum_of_sines(80)
    target = tmp_path / "g.svg"
    with pytest.raises(GraphTooLargeError, match=r"edges that cross 6,162 ranks .*sum_values.*\.dot file"):
        save_graph(root, target)
    assert not target.exists() and list(tmp_path.iterdir()) == []
    save_graph(root, tmp_path / "g.dot")  # the DOT text itself needs no layout
    assert (tmp_path / "g.dot").stat().st_size > 0


def test_the_estimate_counts_the_ranks_long_edges_cross() -> None:
    assert estimate_layout(to_dot(sum_of_sines(10))).long_edge_steps == 72
    assert estimate_layout(to_dot(sum_of_sines(40))).long_edge_steps == 1482  # grows as k²
    # a long chain whose constants are drawn next to their users: no long edges
    top = Value(0.1, "x")
    for _ in range(140):
        top = top * 1.0
    assert estimate_layout(to_dot(top)).long_edge_steps == 0
    # one node for the whole sum: nothing crosses ranks
    x = Value(0.5, "x")
    assert estimate_layout(to_dot(sum_values([x.sin() for _ in range(80)]))).long_edge_steps == 0
    assert estimate_layout("digraph { a -> b; b -> a; }").nodes == 2  # a cycle does not hang
    assert estimate_layout('digraph { "a" -> b -> c; }')[:2] == (3, 2)


def test_a_drawing_under_the_estimate_still_renders() -> None:
    assert estimate_layout(to_dot(sum_of_sines(20))).long_edge_steps < MAX_LONG_EDGE_STEPS
    assert render(to_dot(sum_of_sines(20)), "svg").startswith(b"<?xml")


def test_a_million_node_graph_is_refused_without_walking_it() -> None:
    v = Value(0.0, "x")
    for _ in range(1_000_000):
        v = v + 1.0
    with pytest.raises(GraphTooLargeError, match="more than 100,000 value nodes"):
        to_dot(v)


def test_label_text_beyond_the_limit_is_refused() -> None:
    x = Value(1.0, "x" * 3_000_000)
    with pytest.raises(GraphTooLargeError, match="characters"):
        render(to_dot(x * 2), "svg")


# -- a dot that never finishes ------------------------------------------------------------------

FAKE_DOT = """#!{python}
import os, resource, subprocess, sys, time
helper = subprocess.Popen([{sleep!r}, "600"])  # a child that outlives dot unless its group is stopped
soft, _ = resource.getrlimit(resource.RLIMIT_CPU)
with open(os.environ["FAKE_DOT_REPORT"] + ".part", "w") as report:
    report.write(f"{{os.getpid()}} {{helper.pid}} {{os.getpgid(0)}} {{soft}}")
os.rename(os.environ["FAKE_DOT_REPORT"] + ".part", os.environ["FAKE_DOT_REPORT"])
sys.stdin.read()
time.sleep(600)
"""


@pytest.fixture
def stuck_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `dot` on PATH that starts a helper process and never answers; returns its report file."""
    folder = tmp_path / "bin"
    folder.mkdir()
    program = folder / "dot"
    program.write_text(FAKE_DOT.format(python=sys.executable, sleep=shutil.which("sleep")))
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))
    report = tmp_path / "report"
    monkeypatch.setenv("FAKE_DOT_REPORT", str(report))
    return report


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie nobody has reaped yet is dead too
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def processes_of(report: Path) -> tuple[int, int, int, int]:
    for _ in range(600):  # up to 30 s: the fake dot is a Python start-up, slow on a loaded machine
        if report.exists():
            break
        time.sleep(0.05)
    pid, helper, group, cpu_limit = map(int, report.read_text().split())
    return pid, helper, group, cpu_limit


def wait_until_dead(*pids: int) -> bool:
    for _ in range(100):
        if not any(alive(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


def test_dot_is_stopped_with_its_process_group_after_the_timeout(stuck_dot: Path) -> None:
    with pytest.raises(
        GraphvizTimeoutError, match=r"did not finish the drawing in 3 s and was stopped"
    ) as caught:
        render(to_dot(Value(1.0, "x") * 2), "svg", timeout=3)
    assert isinstance(caught.value, TimeoutError) and isinstance(caught.value, autograd.ChaingradError)
    pid, helper, group, cpu_limit = processes_of(stuck_dot)
    assert group == pid  # dot led its own process group
    assert 3 < cpu_limit <= 10  # and had a CPU limit that stops it even if we are killed
    assert wait_until_dead(pid, helper)


def test_dot_is_stopped_when_the_call_is_interrupted(stuck_dot: Path) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("interrupt_main reaches only the main thread")
    main = threading.main_thread().ident
    stop = threading.Event()

    def press_ctrl_c_once_dot_runs() -> None:  # not at a fixed time: a loaded machine starts dot late
        while not stop.is_set() and not stuck_dot.exists():
            time.sleep(0.05)
        if not stop.is_set():
            signal.pthread_kill(main, signal.SIGINT)  # Ctrl-C, as a real signal

    # Python turns SIGINT into KeyboardInterrupt only if SIGINT was not ignored when it
    # started, and a shell ignores it for commands run in the background (`pytest &`)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    presser = threading.Thread(target=press_ctrl_c_once_dot_runs, daemon=True)
    presser.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            render(to_dot(Value(1.0, "x") * 2), "svg", timeout=60)
    finally:
        stop.set()
        presser.join()
        signal.signal(signal.SIGINT, previous)
    pid, helper, _, _ = processes_of(stuck_dot)
    assert wait_until_dead(pid, helper)


def test_save_graph_passes_the_timeout(stuck_dot: Path, tmp_path: Path) -> None:
    with pytest.raises(GraphvizTimeoutError, match="in 2 s"):
        save_graph(Value(1.0, "x") * 2, tmp_path / "g.png", timeout=2)
    assert not (tmp_path / "g.png").exists()
    processes_of(stuck_dot)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "5", True])
def test_the_timeout_must_be_a_positive_number(bad: object) -> None:
    with pytest.raises((TypeError, ValueError), match="timeout"):
        render("digraph { a -> b; }", "svg", timeout=bad)  # type: ignore[arg-type]


@given(st.text(alphabet=st.sampled_from('ab.-> "\n{};'), max_size=300))
def test_the_estimate_reads_any_text(text: str) -> None:
    estimate = estimate_layout(text)
    assert estimate.edges <= text.count("->") and estimate.long_edge_steps >= 0


@pytest.mark.parametrize("unit", ["x", "a.b", "a -", '"a" ', "a->", "->"])
def test_the_estimate_is_linear_on_long_runs(unit: str) -> None:
    """Each of these is 1.2 to 2 million characters; a regex that backtracked per
    letter would take hours on them."""
    text = unit * (2_000_000 // len(unit))
    assert estimate_layout(text).characters == len(text)
