"""Every deliberate error is a ChaingradError that also keeps a built-in base.

The test reads the source of every module of ``autograd`` and ``nn`` with
``ast``, finds every ``raise`` statement, works out the class it raises and
checks it. A raise it cannot judge fails the test, unless it is one of the
few cases listed below with the reason it is allowed.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import typing
from pathlib import Path

import pytest

import autograd
from autograd import errors
from autograd.errors import ChaingradError

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn")

# (module, the raised name) -> why it may be something else
ALLOWED = {
    ("autograd", "AttributeError"): "module __getattr__: Python's attribute protocol needs AttributeError",
    ("autograd.generated", "OutsideDomain"): "raised by generated code, turned into a DomainError",
    ("autograd.generated", "NotFinite"): "raised by generated code, turned into a DomainError",
    ("autograd.compiling", "self._explain"): "returns a DomainError, or the caught exception itself",
}

_BUILTIN_BASES = {
    cls for cls in vars(builtins).values() if isinstance(cls, type) and issubclass(cls, BaseException)
} - {BaseException, Exception}


def keeps_a_builtin_base(cls: type) -> bool:
    return issubclass(cls, ChaingradError) and any(base in _BUILTIN_BASES for base in cls.__mro__)


def _module_names() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            names.append(package if path.stem == "__init__" else f"{package}.{path.stem}")
    return names


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _enclosing(node: ast.AST, parents: dict[ast.AST, ast.AST], kind: type) -> list[ast.AST]:
    found = []
    while node in parents:
        node = parents[node]
        if isinstance(node, kind):
            found.append(node)
    return found


def _caught_classes(handler: ast.ExceptHandler, module: object) -> list[object]:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return [_resolve_name(kind, module) for kind in kinds]


def _resolve_name(node: ast.AST | None, module: object) -> object:
    if isinstance(node, ast.Name):
        return getattr(module, node.id, getattr(builtins, node.id, None))
    if isinstance(node, ast.Attribute):
        owner = _resolve_name(node.value, module)
        return getattr(owner, node.attr, None)
    return None


def _method(name: str, raise_node: ast.AST, parents: dict[ast.AST, ast.AST], module: object) -> object:
    """``self.name`` in the enclosing class, else the one class of the module that defines ``name``."""
    classes = _enclosing(raise_node, parents, ast.ClassDef)
    if classes:
        cls = getattr(module, classes[0].name, None)
        if hasattr(cls, name):
            return getattr(cls, name)
    owners = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and obj.__module__ == module.__name__ and name in vars(obj)
    ]
    return getattr(owners[0], name) if len(owners) == 1 else None


def _returned_class(function: object) -> object:
    """The exception class a factory function is annotated to return."""
    try:
        return typing.get_type_hints(function).get("return")
    except Exception:  # unresolvable annotations: judged as unknown
        return None


def judge(raise_node: ast.Raise, parents: dict[ast.AST, ast.AST], module: object) -> str | None:
    """None if this raise is fine, else what is wrong with it."""
    exc = raise_node.exc
    if exc is None:
        return None  # a bare re-raise inside an except block
    handlers = _enclosing(raise_node, parents, ast.ExceptHandler)
    if isinstance(exc, ast.Name) and any(h.name == exc.id for h in handlers):
        return None  # re-raising the exception just caught
    target = exc.func if isinstance(exc, ast.Call) else exc
    shown = ast.unparse(target)
    if (module.__name__, shown) in ALLOWED:
        return None
    if (
        isinstance(target, ast.Call)
        and ast.unparse(target.func) == "type"
        and isinstance(target.args[0], ast.Name)
    ):
        # type(exc)(...): the class of an exception caught here; every caught class must be in the family
        caught = [c for h in handlers if h.name == target.args[0].id for c in _caught_classes(h, module)]
        if caught and all(isinstance(c, type) and issubclass(c, ChaingradError) for c in caught):
            return None
        return f"{shown} re-raises a class outside the family"
    if isinstance(target, ast.Attribute) and isinstance(target.value, (ast.Name, ast.Attribute)):
        resolved = _resolve_name(target, module)
        if resolved is None:
            resolved = _method(target.attr, raise_node, parents, module)
    else:
        resolved = _resolve_name(target, module)
    if isinstance(resolved, type) and issubclass(resolved, BaseException):
        cls = resolved
    elif callable(resolved):
        cls = _returned_class(resolved)
        if not isinstance(cls, type):
            return f"{shown} returns {cls!r}, not an exception class of the family"
    else:
        return f"cannot tell what {shown} raises"
    if (module.__name__, cls.__name__) in ALLOWED:
        return None
    if not keeps_a_builtin_base(cls):
        return f"raise {shown}: {cls.__name__} is not a ChaingradError with a built-in base"
    return None


def _path(module_name: str) -> Path:
    package, _, stem = module_name.partition(".")
    return ROOT / package / f"{stem or '__init__'}.py"


def raises_of(module_name: str) -> list[tuple[int, str | None]]:
    """Each raise statement of the module (line, problem or None); the module is
    imported only if it has any (``autograd.__main__`` runs the CLI on import)."""
    tree = ast.parse(_path(module_name).read_text(encoding="utf-8"))
    found = [node for node in ast.walk(tree) if isinstance(node, ast.Raise)]
    if not found:
        return []
    module = importlib.import_module(module_name)
    parents = _parents(tree)
    return [(node.lineno, judge(node, parents, module)) for node in found]


@pytest.mark.parametrize("module_name", _module_names())
def test_every_raise_is_in_the_family(module_name: str) -> None:
    problems = [f"line {line}: {problem}" for line, problem in raises_of(module_name) if problem]
    assert not problems, f"{module_name}:\n" + "\n".join(problems)


def test_the_walk_sees_the_raises() -> None:
    """The walk finds raise statements (a walk that found none would pass vacuously)."""
    total = sum(len(raises_of(name)) for name in _module_names())
    assert total > 150


def test_the_judge_refuses_plain_builtins() -> None:
    source = "def f(x):\n    raise ValueError('bad')\n"
    tree = ast.parse(source)
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.Raise))
    assert "not a ChaingradError" in judge(node, _parents(tree), errors)


def test_the_judge_refuses_a_bare_chaingrad_error() -> None:
    tree = ast.parse("def f(x):\n    raise ChaingradError('bad')\n")
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.Raise))
    assert judge(node, _parents(tree), errors) is not None


def test_every_exported_error_keeps_a_builtin_base() -> None:
    exported = [getattr(autograd, name) for name in autograd.__all__]
    classes = [obj for obj in exported if isinstance(obj, type) and issubclass(obj, BaseException)]
    assert len(classes) > 15
    for cls in classes:
        assert cls is ChaingradError or keeps_a_builtin_base(cls), cls


@pytest.mark.parametrize(
    ("make", "builtin"),
    [
        (lambda: autograd.Value(float("nan")), ValueError),
        (lambda: autograd.Value("1.0"), TypeError),
        (lambda: autograd.Value(1.0, label=3), TypeError),
        (lambda: bool(autograd.Value(1.0)), TypeError),
        (lambda: autograd.sum_values([]), ValueError),
    ],
)
def test_engine_errors_are_both(make: typing.Callable[[], object], builtin: type) -> None:
    with pytest.raises(ChaingradError) as caught:
        make()
    assert isinstance(caught.value, builtin)
