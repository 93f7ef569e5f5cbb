"""Test doubles shared by the training tests."""

from __future__ import annotations

from typing import Any

import nn


class CountingSGD(nn.SGD):
    """An SGD of the user's own that counts its updates: its step must run at every update."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = 0

    def step(self) -> None:
        self.calls += 1
        super().step()
