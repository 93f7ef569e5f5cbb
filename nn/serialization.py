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
* Writing is atomic (:func:`autograd.files.write_atomically`): the text goes
  to a temporary file in the same folder, is flushed to disk (fsync), and only
  then renamed over the target (``os.replace``). A crash at any moment leaves
  either the old file or the new one, never half of one. A new file gets the
  permissions the umask gives (as ``open`` would), a file that exists keeps
  its own, and a symbolic link stays a link: the file it points to is
  replaced. A temporary file left by a save that was killed is removed by the
  next save to the same file.
* Reading is bounded before anything is built: only a regular file (a FIFO,
  ``/dev/zero`` or a folder is refused at once, without reading), at most
  :data:`MAX_FILE_BYTES` bytes, JSON nested at most :data:`MAX_DEPTH` levels,
  and an architecture whose parameter count, computed from the config alone,
  equals the number of parameters the file lists.
* Reading checks everything before touching a model: valid JSON, the format
  name and version, the architecture, the parameter names (no missing, no
  extra), and that every number is finite. Any problem raises
  :class:`autograd.errors.ModelFileError` saying what is wrong, and a model in
  memory is left as it was.
"""

from __future__ import annotations

import inspect
import json
import numbers
import os
import stat
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from autograd.errors import (
    ChaingradError,
    InvalidArgumentError,
    MissingFolderError,
    ModelFileError,
    ModelFileNotFoundError,
    WrongTypeError,
)
from autograd.files import describe_kind, write_atomically

if TYPE_CHECKING:
    from nn.module import Module

FORMAT_NAME = "chaingrad-model"
FORMAT_VERSION = 1

MODEL_CLASSES: dict[str, type[Module]] = {}
"""The models a file can hold, by the name stored in its ``"model"`` field:
every Module class that says ``saveable = True`` registers itself here when it
is defined (:func:`register`)."""


def register(cls: type[Module]) -> None:
    """Make ``cls`` a model that files can hold, under its class name."""
    existing = MODEL_CLASSES.get(cls.__name__)
    if existing is not None and existing is not cls:
        raise InvalidArgumentError(
            f"two model classes are both named {cls.__name__!r}; files name models by class, so give yours "
            "another name"
        )
    MODEL_CLASSES[cls.__name__] = cls


MAX_FILE_BYTES = 16 * 2**20
"""The largest model file :func:`load` reads (16 MiB, about 400,000 parameters);
pass ``max_bytes=`` to read a larger one."""

MAX_DEPTH = 10
"""How deeply the JSON of a model file may nest (a model file nests 3 levels)."""

_MAX_DIGITS = 400  # digits in one JSON number: more is damage (Python refuses ints over 4300)
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


def _bounded_number(kind: type) -> Any:
    def parse(text: str) -> Any:
        if len(text) > _MAX_DIGITS:
            raise ModelFileError(f"the file holds a number written with {len(text):,} characters")
        return kind(text)

    return parse


def _depth(doc: Any) -> int:
    """How many levels of lists and objects nest in ``doc`` (walked with a stack)."""
    deepest = 0
    stack = [(doc, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            if level <= MAX_DEPTH:
                stack.extend((child, level + 1) for child in children)
    return deepest


def _parse(text: str, source: str) -> dict[str, Any]:
    """The JSON document of a model file, with its envelope checked."""
    try:
        doc = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_int=_bounded_number(int),
            parse_float=_bounded_number(float),
        )
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{source} is not valid JSON (truncated or corrupted?): {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}"
        ) from None
    except ModelFileError as exc:
        raise ModelFileError(f"{source}: {exc}") from None
    except RecursionError:
        raise ModelFileError(
            f"{source} is nested too deeply to be a model file (more than {MAX_DEPTH} levels)"
        ) from None
    if _depth(doc) > MAX_DEPTH:
        raise ModelFileError(
            f"{source} is nested too deeply to be a model file (more than {MAX_DEPTH} levels; "
            "a model file has 3)"
        )
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


def _arguments(name: str, config: dict[str, Any], source: str) -> dict[str, Any]:
    """The constructor arguments ``config`` stands for, defaults filled in from
    the constructor itself (so a setting left out means what it means in code)."""
    signature = inspect.signature(MODEL_CLASSES[name].__init__)
    accepted = {
        key: p.default
        for key, p in signature.parameters.items()
        if key != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    unknown = [key for key in config if key not in accepted]
    if unknown:
        raise ModelFileError(
            f"{source}: the architecture {name} {config!r:.120} is invalid: unknown setting "
            f"{_names([str(k) for k in unknown])}; {name} takes {', '.join(accepted)}"
        )
    required = [key for key, default in accepted.items() if default is inspect.Parameter.empty]
    missing = [key for key in required if key not in config]
    if missing:
        raise ModelFileError(f"{source}: the architecture {name} is missing {_names(missing)}")
    return {**accepted, **config}


def parameter_count(name: str, config: dict[str, Any], source: str = "config") -> int:
    """How many parameters the model ``name`` built from ``config`` has, computed
    without building it (each model class counts its own, from its arguments),
    so a damaged file cannot make us build a huge model. Raises ModelFileError
    when ``config`` does not describe a valid architecture."""
    arguments = _arguments(name, config, source)
    try:
        return MODEL_CLASSES[name].parameter_count(arguments)
    except ChaingradError as exc:
        raise ModelFileError(f"{source}: the architecture {name} {config!r:.120} is invalid: {exc}") from None


def _build(doc: dict[str, Any], source: str) -> Module:
    name, config, parameters = doc["model"], doc["config"], doc["parameters"]
    expected = parameter_count(name, config, source)
    if expected != len(parameters):
        raise ModelFileError(
            f"{source}: the architecture {name} {config!r:.120} has {expected:,} parameters "
            f"but the file lists {len(parameters):,}"
        )
    try:
        return MODEL_CLASSES[name](**config)
    except (ChaingradError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{source}: the architecture {name} {config!r:.120} is invalid: {exc}") from None


def _read_bytes(source: str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, or ModelFileError.

    The file is opened without blocking (a FIFO would wait for a writer) and
    checked with fstat before a byte is read; reading stops after ``max_bytes``
    (files in /proc report a size of 0).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(source, flags)
    except FileNotFoundError:
        raise ModelFileNotFoundError(f"{source}: no such file") from None
    except OSError as exc:
        raise ModelFileError(f"{source} cannot be read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ModelFileError(
                f"{source} is {describe_kind(info.st_mode)}, not a regular file; a model file is a "
                "regular file written by save()"
            )
        if info.st_size > max_bytes:
            raise ModelFileError(
                f"{source} is {info.st_size:,} bytes, more than max_bytes={max_bytes:,}; a model file "
                "that large is damaged, or pass a larger max_bytes= to load it"
            )
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                chunk = os.read(fd, min(2**20, max_bytes + 1 - total))
            except OSError as exc:
                raise ModelFileError(f"{source} cannot be read: {exc.strerror or exc}") from None
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise ModelFileError(
                    f"{source} holds more than max_bytes={max_bytes:,} bytes; a model file that large "
                    "is damaged, or pass a larger max_bytes= to load it"
                )
    finally:
        os.close(fd)


def _check_max_bytes(max_bytes: Any) -> int:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int):
        raise WrongTypeError(f"max_bytes must be an int, got {type(max_bytes).__name__} {max_bytes!r:.60}")
    if max_bytes < 1:
        raise InvalidArgumentError(f"max_bytes must be at least 1, got {max_bytes}")
    return max_bytes


def _read(path: str | os.PathLike[str], max_bytes: int) -> tuple[dict[str, Any], str]:
    if not isinstance(path, (str, os.PathLike)):
        raise WrongTypeError(f"a model file path must be a str or a Path, got {type(path).__name__}")
    source = os.fspath(path)
    if not isinstance(source, str):
        raise WrongTypeError(f"a model file path must be a str or a Path, got {source!r:.60}")
    raw = _read_bytes(source, _check_max_bytes(max_bytes))
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
    """Write ``model`` (architecture and weights) to the JSON file ``path``, atomically.

    See the module's notes: the old file or the new one survives any crash,
    the umask and an existing file's permissions are respected, a symbolic
    link is written through, and a temporary file that a killed save left
    behind is removed.
    """
    doc = model_document(model)
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    folder = os.path.dirname(os.path.realpath(os.fspath(path)))
    if not os.path.isdir(folder):
        raise MissingFolderError(f"save: the folder {folder!r} does not exist; create it first")
    try:
        write_atomically(path, text.encode("utf-8"))
    except InvalidArgumentError as exc:
        raise ModelFileError(f"save: {exc}") from None


def load(path: str | os.PathLike[str], *, max_bytes: int = MAX_FILE_BYTES) -> Module:
    """Rebuild the model saved in ``path`` (an MLP, a Layer, a Neuron, a
    LogisticRegression or a LinearRegression) with its weights.

    Files larger than ``max_bytes`` are refused before they are read.
    """
    doc, source = _read(path, max_bytes)
    model = _build(doc, source)
    _assign(model, check_state_dict(model, doc["parameters"], source))
    return model


def load_into(model: Module, path: str | os.PathLike[str], *, max_bytes: int = MAX_FILE_BYTES) -> None:
    """Read the weights in ``path`` into ``model``, which must have the same architecture."""
    doc, source = _read(path, max_bytes)
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


__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MODEL_CLASSES",
    "check_state_dict",
    "load",
    "load_into",
    "parameter_count",
    "register",
    "save",
]
