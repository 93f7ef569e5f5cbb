"""Saving and loading models as JSON files that survive crashes and reject damage.

A model file looks like::

    {
      "format": "chaingrad-model",
      "version": 1,
      "model": "MLP",
      "config": {"nin": 2, "sizes": [16, 16, 1], "activation": "tanh", ...},
      "parameters": {"L1.N0.w1": 0.8444218515250481, ...}
    }

* The numbers round-trip exactly: JSON holds each float as its shortest
  ``repr``, which reads back as the very same float.
* Writing is atomic: the text goes to a temporary file in the same folder,
  is flushed to disk (fsync), and only then renamed over the target
  (``os.replace``). A crash at any moment leaves either the old file or the
  new one, never half of one, and no temporary file behind.
* Reading checks everything before touching a model: valid JSON, the format
  name and version, the architecture, the parameter names (no missing, no
  extra), and that every number is finite. Any problem raises
  :class:`autograd.errors.ModelFileError` saying what is wrong, and a model in
  memory is left as it was.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import numbers
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from autograd.errors import ModelFileError, WrongTypeError
from nn.layers import MLP, Layer, Neuron
from nn.module import Module
from nn.regression import LinearRegression, LogisticRegression

FORMAT_NAME = "chaingrad-model"
FORMAT_VERSION = 1

MODEL_CLASSES: dict[str, type[Module]] = {
    cls.__name__: cls for cls in (MLP, Layer, Neuron, LogisticRegression, LinearRegression)
}
"""The models a file can hold, by the name stored in its ``"model"`` field."""

_MAX_LISTED = 5


def _names(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_MAX_LISTED])
    return shown + (f" and {len(names) - _MAX_LISTED} more" if len(names) > _MAX_LISTED else "")


# -- checking ---------------------------------------------------------------------


def check_state_dict(model: Module, state: Any, source: str = "state_dict") -> dict[str, float]:
    """``state`` as ``{name: float}`` with exactly ``model``'s parameter names, or ModelFileError.

    Every value must be a finite real number (not a bool, not NaN or inf).
    """
    if not isinstance(state, Mapping):
        raise ModelFileError(
            f"{source}: the parameters must be a mapping of names to numbers, got {state!r:.60}"
        )
    expected = [name for name, _ in model.named_parameters()]
    missing = [name for name in expected if name not in state]
    unexpected = [name for name in state if name not in set(expected)]
    if missing or unexpected:
        problems = []
        if missing:
            problems.append(f"missing {len(missing)}: {_names(missing)}")
        if unexpected:
            problems.append(f"unexpected {len(unexpected)}: {_names([str(n) for n in unexpected])}")
        raise ModelFileError(
            f"{source}: the parameters do not match {model!r} ({len(expected)} parameters); "
            + "; ".join(problems)
        )
    numbers_: dict[str, float] = {}
    for name in expected:
        value = state[name]
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ModelFileError(f"{source}: parameter {name!r} is {value!r:.60}, not a number")
        number = float(value)
        if number - number != 0.0:
            raise ModelFileError(f"{source}: parameter {name!r} is {number!r}; parameters must be finite")
        numbers_[name] = number
    return numbers_


def _reject_constant(name: str) -> Any:
    raise ModelFileError(f"the file holds {name}, which is not a finite number")


def _parse(text: str, source: str) -> dict[str, Any]:
    """The JSON document of a model file, with its envelope checked."""
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{source} is not valid JSON (truncated or corrupted?): {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}"
        ) from None
    except ModelFileError as exc:
        raise ModelFileError(f"{source}: {exc}") from None
    except RecursionError:
        raise ModelFileError(f"{source} is nested too deeply to be a model file") from None
    if not isinstance(doc, dict):
        raise ModelFileError(
            f"{source} does not hold a model: expected a JSON object, got {type(doc).__name__}"
        )
    if doc.get("format") != FORMAT_NAME:
        found = f"format {doc['format']!r:.60}" if "format" in doc else "no 'format' field"
        raise ModelFileError(f"{source} is not a chaingrad model file ({found}; expected {FORMAT_NAME!r})")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ModelFileError(f"{source}: 'version' must be an int, got {version!r:.60}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{source} was written in format version {version} by a newer chaingrad; "
            f"this one reads version {FORMAT_VERSION}: upgrade chaingrad"
        )
    if version < 1:
        raise ModelFileError(f"{source}: unknown format version {version}")
    for key, kind in (("model", str), ("config", dict), ("parameters", dict)):
        if key not in doc:
            raise ModelFileError(f"{source}: the {key!r} field is missing")
        if not isinstance(doc[key], kind):
            raise ModelFileError(f"{source}: {key!r} must be a JSON {'string' if kind is str else 'object'}")
    if doc["model"] not in MODEL_CLASSES:
        raise ModelFileError(
            f"{source}: unknown model {doc['model']!r:.60}; this chaingrad knows {', '.join(MODEL_CLASSES)}"
        )
    return doc


def _expected_count(model: str, config: dict[str, Any]) -> int | None:
    """How many parameters ``config`` describes, computed without building it
    (so a damaged file cannot make us build a huge model); None if unclear."""

    def per_neuron(nin: int, activation: Any) -> int:  # weights, bias, and pReLU's learned α
        return nin + 1 + (activation == "prelu")

    try:
        if model == "MLP":
            widths = [config["nin"], *config["sizes"]]
            last = len(widths) - 2
            return sum(
                per_neuron(a, config["output_activation"] if i == last else config["activation"]) * b
                for i, (a, b) in enumerate(itertools.pairwise(widths))
            )
        if model == "Layer":
            return per_neuron(config["nin"], config["activation"]) * config["nout"]
        return per_neuron(config["nin"], config.get("activation"))
    except (KeyError, TypeError):
        return None


def _build(doc: dict[str, Any], source: str) -> Module:
    name, config, parameters = doc["model"], doc["config"], doc["parameters"]
    expected = _expected_count(name, config)
    if expected is not None and expected != len(parameters):
        raise ModelFileError(
            f"{source}: the architecture {name} {config!r:.120} has {expected} parameters "
            f"but the file lists {len(parameters)}"
        )
    try:
        return MODEL_CLASSES[name](**config)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{source}: the architecture {name} {config!r:.120} is invalid: {exc}") from None


def _read(path: str | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    source = os.fspath(path)
    raw = Path(source).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelFileError(f"{source} is not a text (UTF-8) file; it cannot be a model file") from None
    return _parse(text, source), source


# -- the public functions --------------------------------------------------------------


def model_document(model: Module) -> dict[str, Any]:
    """The JSON document :func:`save` writes for ``model``."""
    name = type(model).__name__
    if MODEL_CLASSES.get(name) is not type(model):
        raise WrongTypeError(f"cannot save a {name}: files hold one of {', '.join(MODEL_CLASSES)}")
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "model": name,
        "config": model.config(),
        "parameters": model.state_dict(),
    }


def save(model: Module, path: str | os.PathLike[str]) -> None:
    """Write ``model`` (architecture and weights) to the JSON file ``path``, atomically."""
    doc = model_document(model)
    target = Path(path)
    folder = target.parent
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(doc, handle, indent=2, allow_nan=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Flush the rename itself to disk (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def load(path: str | os.PathLike[str]) -> Module:
    """Rebuild the model saved in ``path`` (an MLP, a Layer, a Neuron, a
    LogisticRegression or a LinearRegression) with its weights."""
    doc, source = _read(path)
    model = _build(doc, source)
    _assign(model, check_state_dict(model, doc["parameters"], source))
    return model


def load_into(model: Module, path: str | os.PathLike[str]) -> None:
    """Read the weights in ``path`` into ``model``, which must have the same architecture."""
    doc, source = _read(path)
    name = type(model).__name__
    if doc["model"] != name or doc["config"] != model.config():
        raise ModelFileError(
            f"{source} holds {doc['model']} {doc['config']!r:.200}, but this model is {model!r}; "
            "use nn.load(path) to rebuild the saved model"
        )
    _assign(model, check_state_dict(model, doc["parameters"], source))


def _assign(model: Module, numbers_: dict[str, float]) -> None:
    """Set each parameter from already checked numbers."""
    for name, p in model.named_parameters():
        p.data = numbers_[name]


__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "MODEL_CLASSES", "check_state_dict", "load", "load_into", "save"]
