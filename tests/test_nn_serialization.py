"""Saving and loading: exact round trips, refused damage, and crash-safe writes."""

import json
import math
import os
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from autograd.errors import ModelFileError

MODELS = {
    "mlp": lambda: nn.MLP(
        2, [4, 3, 1], activation="leaky_relu", output_activation="sigmoid", slope=0.2, seed=3
    ),
    "mlp scoped": lambda: nn.MLP(3, [2, 2], name="net", seed=1),
    "layer": lambda: nn.Layer(3, 2, activation="relu", seed=2),
    "neuron": lambda: nn.Neuron(4, activation="sigmoid", seed=5),
    "logistic": lambda: nn.LogisticRegression(3, init="random", seed=4),
    "linear": lambda: nn.LinearRegression(2, init="he_normal", seed=6),
}


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def same_numbers(a: dict, b: dict) -> bool:
    return list(a) == list(b) and all(bits(a[k]) == bits(b[k]) for k in a)


@pytest.mark.parametrize("name", list(MODELS))
def test_save_then_load_rebuilds_the_same_model_exactly(name, tmp_path):
    model = MODELS[name]()
    path = tmp_path / "model.json"
    model.save(path)
    loaded = nn.load(path)
    assert type(loaded) is type(model) and loaded.config() == model.config()
    assert same_numbers(loaded.state_dict(), model.state_dict())
    x = [0.3, -1.2, 0.7, 2.0][: model.nin]
    out, again = model(x), loaded(x)
    if isinstance(out, list):
        assert [v.data for v in out] == [v.data for v in again]
    else:
        assert out.data == again.data
    assert [p.label for p in loaded.parameters()] == [p.label for p in model.parameters()]


weights = st.floats(allow_nan=False, allow_infinity=False)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(weights, min_size=9, max_size=9))
def test_every_finite_float_round_trips_bit_for_bit(values, tmp_path):
    model = nn.MLP(2, [2, 1])
    model.load_state_dict(dict(zip(model.state_dict(), values)))
    path = tmp_path / "w.json"
    nn.save(model, path)
    assert same_numbers(nn.load(path).state_dict(), model.state_dict())  # -0.0, subnormals, 1e308 alike


def test_load_into_an_existing_model(tmp_path):
    path = tmp_path / "m.json"
    trained = nn.MLP(2, [3, 1], seed=1)
    trained.save(path)
    fresh = nn.MLP(2, [3, 1], seed=2)
    assert fresh.load(path) is fresh
    assert same_numbers(fresh.state_dict(), trained.state_dict())


def test_the_file_is_readable_json_with_format_and_version(tmp_path):
    path = tmp_path / "m.json"
    nn.LogisticRegression(2).save(str(path))
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == "chaingrad-model" and doc["version"] == 1
    assert doc["model"] == "LogisticRegression" and doc["config"] == {"nin": 2, "name": ""}
    assert doc["parameters"] == {"w1": 0.0, "w2": 0.0, "b": 0.0}


# -- damaged files ---------------------------------------------------------------------


def good_document():
    model = nn.MLP(2, [2, 1], seed=0)
    return {
        "format": "chaingrad-model",
        "version": 1,
        "model": "MLP",
        "config": model.config(),
        "parameters": model.state_dict(),
    }


def with_changes(**changes):
    doc = good_document()
    for key, value in changes.items():
        if value is None:
            del doc[key]
        else:
            doc[key] = value
    return json.dumps(doc)


def one_parameter(value):
    doc = good_document()
    doc["parameters"]["L1.N1.w2"] = value
    return json.dumps(doc).replace('"__NAN__"', "NaN").replace('"__INF__"', "-Infinity")


DAMAGED = {
    "truncated": (lambda: with_changes()[:150], "not valid JSON \\(truncated or corrupted\\?\\)"),
    "empty": (lambda: "", "not valid JSON"),
    "not utf-8": (lambda: b"\xff\xfe\x00garbage", "not a text"),
    "a list": (lambda: "[1, 2, 3]", "expected a JSON object, got list"),
    "wrong format": (lambda: with_changes(format="keras"), "not a chaingrad model file \\(format 'keras'"),
    "no format": (lambda: with_changes(format=None), "no 'format' field"),
    "newer version": (lambda: with_changes(version=2), "version 2 by a newer chaingrad"),
    "bad version": (lambda: with_changes(version="1"), "'version' must be an int"),
    "missing parameters": (lambda: with_changes(parameters=None), "'parameters' field is missing"),
    "missing config": (lambda: with_changes(config=None), "'config' field is missing"),
    "unknown model": (lambda: with_changes(model="Transformer"), "unknown model 'Transformer'"),
    "bad activation": (
        lambda: with_changes(config={**good_document()["config"], "activation": "swish"}),
        "architecture MLP .* is invalid: unknown activation 'swish'",
    ),
    "unknown config key": (
        lambda: with_changes(config={**good_document()["config"], "depth": 3}),
        "is invalid: .*depth",
    ),
    "wrong shapes": (
        lambda: with_changes(config={**good_document()["config"], "sizes": [3, 1]}),
        "has 13 parameters but the file lists 9",
    ),
    "huge architecture": (
        lambda: with_changes(config={**good_document()["config"], "sizes": [10**9, 1]}),
        "but the file lists 9",
    ),
    "NaN": (lambda: one_parameter("__NAN__"), "NaN, which is not a finite number"),
    "-Infinity": (lambda: one_parameter("__INF__"), "-Infinity"),
    "1e999": (
        lambda: one_parameter(0.125).replace("0.125", "1e999"),
        "'L1.N1.w2' is inf; parameters must be finite",
    ),
    "a string": (lambda: one_parameter("0.5"), "'L1.N1.w2' is '0.5', not a number"),
    "a bool": (lambda: one_parameter(True), "'L1.N1.w2' is True, not a number"),
    "a missing weight": (
        lambda: json.dumps(
            {**good_document(), "parameters": dict(list(good_document()["parameters"].items())[1:])}
        ),
        "has 9 parameters but the file lists 8",
    ),
    "a renamed weight": (
        lambda: with_changes().replace('"L2.N0.b"', '"L2.N0.bias"'),
        "missing 1: 'L2.N0.b'; unexpected 1: 'L2.N0.bias'",
    ),
    "nested too deep": (lambda: "[" * 100_000 + "]" * 100_000, "nested too deeply|expected a JSON object"),
}


@pytest.mark.parametrize("name", list(DAMAGED))
def test_damaged_files_are_refused_with_a_reason(name, tmp_path):
    make, words = DAMAGED[name]
    content = make()
    path = tmp_path / "bad.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelFileError, match=words) as caught:
        nn.load(path)
    assert str(path) in str(caught.value)
    # loading into a model: refused the same way, and the model is untouched
    model = nn.MLP(2, [2, 1], seed=9)
    before = model.state_dict()
    with pytest.raises(ModelFileError):
        model.load(path)
    assert same_numbers(model.state_dict(), before)


def test_loading_a_different_architecture_into_a_model_is_refused(tmp_path):
    path = tmp_path / "m.json"
    nn.MLP(2, [4, 1]).save(path)
    model = nn.MLP(2, [16, 16, 1], seed=3)
    before = model.state_dict()
    with pytest.raises(ModelFileError, match=r"holds MLP .* but this model is MLP.*nn.load"):
        model.load(path)
    assert same_numbers(model.state_dict(), before)


def test_load_state_dict_checks_everything_before_changing_anything():
    model = nn.MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    bad = {name: 1.0 for name in before}
    bad["L2.N0.b"] = math.nan  # the last one is bad: nothing may have been set before we notice
    with pytest.raises(ModelFileError, match=r"'L2.N0.b' is nan"):
        model.load_state_dict(bad)
    assert same_numbers(model.state_dict(), before)
    with pytest.raises(ModelFileError, match="missing 9"):
        model.load_state_dict({})
    with pytest.raises(ModelFileError, match="mapping"):
        model.load_state_dict([1.0] * 9)


def test_missing_file_is_the_usual_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nothing.json")


def test_only_known_models_can_be_saved(tmp_path):
    class Custom(nn.MLP):
        pass

    with pytest.raises(TypeError, match="cannot save a Custom"):
        Custom(2, [1]).save(tmp_path / "c.json")


# -- crashes while saving ------------------------------------------------------------------


def crash_scenarios():
    real_write = os.write

    def half_written(fd, data):
        real_write(fd, bytes(data[:40]))
        raise KeyboardInterrupt("power cut")

    def failing_fsync(fd):
        raise OSError("I/O error")

    def failing_replace(src, dst):
        raise OSError("disk full")

    return {
        "os.write": (os, "write", half_written),
        "os.fsync": (os, "fsync", failing_fsync),
        "os.replace": (os, "replace", failing_replace),
    }


@pytest.mark.parametrize("where", ["os.write", "os.fsync", "os.replace"])
def test_a_crash_during_save_leaves_the_old_file_and_no_temporary(where, tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    old = nn.MLP(2, [2, 1], seed=0)
    old.save(path)
    old_text = path.read_text(encoding="utf-8")
    module, attribute, replacement = crash_scenarios()[where]
    monkeypatch.setattr(module, attribute, replacement)
    with pytest.raises((KeyboardInterrupt, OSError)):
        nn.MLP(2, [2, 1], seed=1).save(path)
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == old_text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]
    assert same_numbers(nn.load(path).state_dict(), old.state_dict())


def test_saving_over_a_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "m.json"
    nn.Neuron(1).save(path)
    assert path.stat().st_mode & 0o777 == 0o644
    path.chmod(0o600)
    nn.Neuron(1).save(path)
    assert path.stat().st_mode & 0o777 == 0o600
