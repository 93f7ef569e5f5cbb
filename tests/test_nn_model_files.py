"""Model files under hostile conditions: bounded loading, and saves that respect
the umask, write through symbolic links and clean up after a killed writer."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from autograd.errors import MissingFolderError, ModelFileError, ModelFileNotFoundError
from autograd.files import remove_stale_temporaries, temporary_name
from nn import serialization

# -- loading is bounded -------------------------------------------------------------------


def document(model: str, config: dict[str, Any], parameters: dict[str, Any] | None = None) -> str:
    doc = {"format": "chaingrad-model", "version": 1, "model": model, "config": config}
    doc["parameters"] = parameters or {}
    return json.dumps(doc, separators=(",", ":"))


@pytest.fixture
def no_building(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every parameter a model constructor makes while the test runs."""
    made: list[str] = []
    real = nn.layers.Parameter

    def counting(data: float, label: str = "") -> Any:
        made.append(label)
        return real(data, label=label)

    monkeypatch.setattr(nn.layers, "Parameter", counting)
    return made


def test_a_150_byte_file_without_output_activation_builds_nothing(tmp_path: Path, no_building: list) -> None:
    """3000 inputs, two layers of 3000: 18 million parameters described, none listed."""
    text = document("MLP", {"nin": 3000, "sizes": [3000, 3000], "activation": "tanh", "name": ""})
    assert len(text) < 150
    path = tmp_path / "small.json"
    path.write_text(text)
    with pytest.raises(ModelFileError, match=r"has 18,006,000 parameters but the file lists 0"):
        nn.load(path)
    assert no_building == []


# every setting a config may leave out, for every model kind
LEAVE_OUT = {
    "MLP": ["activation", "output_activation", "slope", "name"],
    "Layer": ["activation", "slope", "name"],
    "Neuron": ["activation", "slope", "name"],
    "LogisticRegression": ["name"],
    "LinearRegression": ["name"],
}
HUGE = {
    "MLP": {"nin": 10**5, "sizes": [10**5, 1], "activation": "tanh", "output_activation": None},
    "Layer": {"nin": 10**5, "nout": 10**4, "activation": "prelu"},
    "Neuron": {"nin": 10**8, "activation": "relu"},
    "LogisticRegression": {"nin": 10**8},
    "LinearRegression": {"nin": 10**8},
}


@pytest.mark.parametrize(
    ("model", "left_out"), [(m, k) for m, keys in LEAVE_OUT.items() for k in [None, *keys]]
)
def test_every_config_path_is_counted_before_building(
    model: str, left_out: str | None, tmp_path: Path, no_building: list
) -> None:
    config = {k: v for k, v in HUGE[model].items() if k != left_out}
    path = tmp_path / "huge.json"
    path.write_text(document(model, config, {"w1": 0.5}))
    with pytest.raises(ModelFileError, match=r"parameters but the file lists 1\b"):
        nn.load(path)
    assert no_building == []


def test_the_count_uses_the_constructor_defaults() -> None:
    # MLP's default activation is tanh and output_activation None; prelu adds one α per neuron
    assert serialization.parameter_count("MLP", {"nin": 2, "sizes": [3, 1]}) == 3 * 3 + 4
    assert (
        serialization.parameter_count("MLP", {"nin": 2, "sizes": [3, 1], "activation": "prelu"}) == 3 * 4 + 4
    )
    config = {"nin": 2, "sizes": [3, 1], "output_activation": "prelu"}
    assert serialization.parameter_count("MLP", config) == 13 + 1
    assert serialization.parameter_count("Layer", {"nin": 4, "nout": 2, "activation": "prelu"}) == 12
    for name, model in {
        "MLP": nn.MLP(3, [4, 2], "prelu", "prelu"),
        "Layer": nn.Layer(3, 5, "prelu"),
        "Neuron": nn.Neuron(7, None),
        "LogisticRegression": nn.LogisticRegression(4),
    }.items():
        assert serialization.parameter_count(name, model.config()) == len(model.parameters())


BAD_CONFIGS = {
    "nin a string": ({"nin": "3000", "sizes": [1]}, "nin must be a positive int"),
    "nin a bool": ({"nin": True, "sizes": [1]}, "nin must be a positive int"),
    "nin negative": ({"nin": -5, "sizes": [1]}, "nin must be at least 1"),
    "sizes a dict": ({"nin": 2, "sizes": {"a": 1}}, "sizes must be a non-empty list"),
    "sizes empty": ({"nin": 2, "sizes": []}, "sizes must be a non-empty list"),
    "a size of 0": ({"nin": 2, "sizes": [4, 0]}, "layer size 2 must be at least 1"),
    "a float size": ({"nin": 2, "sizes": [2.5]}, "layer size 1 must be a positive int"),
    "no nin": ({"sizes": [1]}, "missing 'nin'"),
    "unknown activation": ({"nin": 2, "sizes": [1], "activation": "swish"}, "unknown activation 'swish'"),
    "unknown key": ({"nin": 2, "sizes": [1], "depth": 3}, "unknown setting 'depth'"),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_configs_are_named_before_building(case: str, tmp_path: Path, no_building: list) -> None:
    config, words = BAD_CONFIGS[case]
    path = tmp_path / "bad.json"
    path.write_text(document("MLP", config))
    with pytest.raises(ModelFileError, match=words):
        nn.load(path)
    assert no_building == []


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["tanh", "prelu", "relu", "sigmoid", "leaky_relu", "linear"]),
)
config_values = st.one_of(json_leaf, st.lists(st.integers(-3, 10**7), max_size=4))
config_keys = st.sampled_from(
    ["nin", "nout", "sizes", "activation", "output_activation", "slope", "name", "x"]
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(
    model=st.sampled_from(list(serialization.MODEL_CLASSES)),
    config=st.dictionaries(config_keys, config_values, max_size=6),
    n_parameters=st.integers(0, 40),
)
def test_any_config_is_refused_or_builds_exactly_what_the_file_lists(
    model: str, config: dict, n_parameters: int, tmp_path: Path
) -> None:
    path = tmp_path / "random.json"
    path.write_text(document(model, config, {f"p{i}": 0.0 for i in range(n_parameters)}))
    made: list[str] = []
    real = nn.layers.Parameter

    def counting(data: float, label: str = "") -> Any:
        made.append(label)
        return real(data, label=label)

    nn.layers.Parameter = counting  # type: ignore[misc]
    try:
        loaded = nn.load(path)
    except ModelFileError:
        loaded = None
    finally:
        nn.layers.Parameter = real  # type: ignore[misc]
    assert len(made) <= n_parameters
    if loaded is not None:
        assert len(loaded.parameters()) == n_parameters == len(made)


def refused_quickly(path: Any, **kwargs: Any) -> BaseException:
    """Load ``path`` in a thread; it must finish (a FIFO must not block) and refuse."""
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            nn.load(path, **kwargs)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), f"nn.load({path!r}) hangs"
    assert outcome and isinstance(outcome[0], ModelFileError), outcome
    return outcome[0]


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert "a FIFO (named pipe), not a regular file" in str(refused_quickly(fifo))


def test_devices_and_folders_are_refused(tmp_path: Path) -> None:
    assert "a character device, not a regular file" in str(refused_quickly("/dev/zero"))
    assert "a folder, not a regular file" in str(refused_quickly(tmp_path))
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    assert "a character device" in str(refused_quickly(link))


def test_a_file_over_the_size_cap_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with open(path, "wb") as handle:  # sparse: nothing is written
        handle.truncate(serialization.MAX_FILE_BYTES + 1)
    error = refused_quickly(path)
    assert f"more than max_bytes={serialization.MAX_FILE_BYTES:,}" in str(error)
    small = tmp_path / "small.json"
    nn.MLP(2, [2, 1]).save(small)
    with pytest.raises(ModelFileError, match="max_bytes=100"):
        nn.load(small, max_bytes=100)
    assert nn.load(small, max_bytes=small.stat().st_size).config() == nn.MLP(2, [2, 1]).config()


def test_a_file_that_reports_size_0_is_still_read_only_up_to_the_cap() -> None:
    proc = Path("/proc/self/maps")
    if not proc.exists():
        pytest.skip("needs Linux's /proc")
    assert proc.stat().st_size == 0
    assert "holds more than max_bytes=64 bytes" in str(refused_quickly(proc, max_bytes=64))


@pytest.mark.parametrize("depth", [11, 900, 100_000])
def test_deep_nesting_is_refused_with_the_limit(depth: int, tmp_path: Path) -> None:
    doc = json.loads(document("MLP", {"nin": 2, "sizes": [1]}))
    text = json.dumps(doc)[:-1] + ', "extra": ' + "[" * depth + "]" * depth + "}"
    path = tmp_path / "deep.json"
    path.write_text(text)
    with pytest.raises(
        ModelFileError, match=rf"nested too deeply .*more than {serialization.MAX_DEPTH} levels"
    ):
        nn.load(path)


def test_numbers_with_thousands_of_digits_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "digits.json"
    path.write_text(
        document("MLP", {"nin": 2, "sizes": [1]}).replace('"version":1', '"version":1' + "0" * 5000)
    )
    with pytest.raises(ModelFileError, match="a number written with 5,001 characters"):
        nn.load(path)


def test_missing_and_unreadable_files_are_model_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelFileNotFoundError, match="no such file") as caught:
        nn.load(tmp_path / "nothing.json")
    assert isinstance(caught.value, FileNotFoundError)
    if os.geteuid() != 0:  # root reads anything
        path = tmp_path / "secret.json"
        nn.Neuron(1).save(path)
        path.chmod(0)
        with pytest.raises(ModelFileError, match="cannot be read: Permission denied"):
            nn.load(path)


# -- saving -------------------------------------------------------------------------------


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    original = os.umask(0o022)
    os.umask(original)

    def set_umask(mask: int) -> None:
        os.umask(mask)

    yield set_umask
    os.umask(original)


@pytest.mark.parametrize(("mask", "mode"), [(0o077, 0o600), (0o002, 0o664), (0o022, 0o644)])
def test_a_new_file_gets_the_mode_the_umask_gives(
    mask: int, mode: int, umask: Callable[[int], None], tmp_path: Path
) -> None:
    umask(mask)
    path = tmp_path / "m.json"
    nn.Neuron(2).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    path.chmod(0o640)
    nn.Neuron(2).save(path)  # an existing file keeps its own mode
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_saving_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "store" / "model.json"
    real.parent.mkdir()
    nn.Neuron(2, seed=1).save(real)
    link = tmp_path / "current.json"
    link.symlink_to(real)
    model = nn.Neuron(2, seed=2)
    model.save(link)
    assert link.is_symlink() and link.resolve() == real
    assert nn.load(real).state_dict() == model.state_dict()
    assert sorted(p.name for p in real.parent.iterdir()) == ["model.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current.json", "store"]


def test_saving_through_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "target.json")
    nn.Neuron(1).save(link)
    assert link.is_symlink() and (tmp_path / "target.json").is_file()


def test_saving_into_a_missing_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(MissingFolderError, match="does not exist; create it first") as caught:
        nn.Neuron(1).save(tmp_path / "nowhere" / "m.json")
    assert isinstance(caught.value, FileNotFoundError)


def test_saving_onto_a_special_file_is_refused_and_leaves_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match="a FIFO"):
        nn.Neuron(1).save(fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    with pytest.raises(ModelFileError, match="a folder"):
        nn.Neuron(1).save(tmp_path)


KILLED_SAVE = """
import os, sys, time
import nn

def pause(fd):  # the data is written, not yet renamed: tell the parent, then wait to be killed
    print("paused", flush=True)
    time.sleep(600)

os.fsync = pause
nn.MLP(2, [3, 1], seed=1).save(sys.argv[1])
"""


def test_a_save_killed_with_sigkill_leaves_no_temporary_after_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    old = nn.MLP(2, [3, 1], seed=0)
    old.save(path)
    old_text = path.read_text()
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_SAVE, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "paused\n"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "model.json"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".model.json.")  # the kill left one behind
    assert path.read_text() == old_text  # and the old file is whole
    new = nn.MLP(2, [3, 1], seed=2)
    new.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]
    assert nn.load(path).state_dict() == new.state_dict()


def test_a_live_writers_temporary_file_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    live = tmp_path / temporary_name(target.name)
    stale = tmp_path / temporary_name(target.name)
    fresh_empty = tmp_path / temporary_name(target.name)
    other = tmp_path / ".model.json.notours.tmp"
    for p in (live, stale, other):
        p.write_text("{partial")
    fresh_empty.touch()
    with open(live, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as a save in another process holds it
        removed = remove_stale_temporaries(target)
        assert removed == [stale]
        nn.Neuron(1).save(target)
        assert live.exists() and fresh_empty.exists() and other.exists()
    old = os.path.getmtime(fresh_empty) - 3600
    os.utime(fresh_empty, (old, old))  # an empty file from a writer killed an hour ago
    assert sorted(remove_stale_temporaries(target)) == sorted([live, fresh_empty])
    assert other.exists()


CONCURRENT_SAVER = """
import sys
import nn
for i in range(40):
    nn.MLP(2, [8, 1], seed=int(sys.argv[2]) * 1000 + i).save(sys.argv[1])
"""


def test_concurrent_saves_and_loads_never_see_a_torn_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    nn.MLP(2, [8, 1]).save(path)
    savers = [subprocess.Popen([sys.executable, "-c", CONCURRENT_SAVER, str(path), str(k)]) for k in (1, 2)]
    loads = 0
    while any(s.poll() is None for s in savers):
        assert nn.load(path).config()["sizes"] == [8, 1]
        loads += 1
    assert [s.wait() for s in savers] == [0, 0]
    assert loads > 0
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]
