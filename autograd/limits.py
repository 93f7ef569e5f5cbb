"""Limits that keep the tools bounded.

Drawing, stepping and explaining do work that grows with the graph (or with
the number of chain-rule paths, which can grow exponentially). Each tool
measures what it is about to do against a limit first, and refuses with
:class:`autograd.GraphTooLargeError` and advice, in a fraction of a second,
rather than running for minutes or filling the memory. Every limit is a
keyword argument of the tool, so a learner who really wants the large result
can raise it.
"""

from __future__ import annotations

from typing import Any

from autograd.errors import InvalidArgumentError, WrongTypeError
from autograd.value import Value


def count_nodes(root: Value, limit: int) -> int:
    """The number of Values ``root`` depends on (itself included), but at most
    ``limit + 1``: the walk stops as soon as the graph is known to be over the
    limit, so a graph of a million nodes is measured against a limit of 300 at once."""
    seen = {root}
    stack = [root]
    while stack:
        for child in stack.pop().inputs:
            if child not in seen:
                seen.add(child)
                if len(seen) > limit:
                    return len(seen)
                stack.append(child)
    return len(seen)


def check_limit(value: Any, name: str) -> int:
    """A limit as a positive int, or an error naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise WrongTypeError(f"{name} must be an int, got {type(value).__name__} {value!r:.60}")
    if value < 1:
        raise InvalidArgumentError(f"{name} must be at least 1, got {value}")
    return value


def describe_size(count: int, limit: int) -> str:
    """``"1,234"``, or ``"more than 300"`` for a count that stopped past the limit."""
    return f"more than {limit:,}" if count > limit else f"{count:,}"


__all__ = ["check_limit", "count_nodes", "describe_size"]
