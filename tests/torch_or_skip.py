"""PyTorch for the reference tests, or a stand-in that skips them.

CI installs PyTorch (``pip install torch==2.13.0``), so every reference test
runs there. Without it, ``torch`` here is a stand-in: building tables of torch
functions still works, and the first *call* of one skips that test with a
clear reason instead of failing the whole file at import.
"""

from __future__ import annotations

from typing import Any

import pytest

REASON = "PyTorch is the reference for this test and is not installed (pip install torch)"


class _Absent:
    """Any attribute is another stand-in; calling one skips the running test."""

    def __init__(self, path: str) -> None:
        self._path = path

    def __getattr__(self, name: str) -> _Absent:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Absent(f"{self._path}.{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        pytest.skip(f"{REASON}; needed {self._path}()")


try:
    import torch
except ImportError:  # pragma: no cover - CI has torch
    torch = _Absent("torch")
    HAVE_TORCH = False
else:
    HAVE_TORCH = True

F = torch.nn.functional

__all__ = ["HAVE_TORCH", "REASON", "F", "torch"]
