"""explain and count_paths stay bounded: saturating counts with memory linear in
the graph, a node limit checked by a walk that stops early, and a limit on the
text they would write."""

from __future__ import annotations

import tracemalloc

import pytest

from autograd import GraphTooLargeError, Value
from autograd.explaining import DEFAULT_MAX_NODES, PATH_COUNT_LIMIT, count_paths, explain
from autograd.limits import count_nodes


def doubling_chain(n: int) -> tuple[Value, Value]:
    """y = y + y, n times: 2ⁿ paths from the end down to x (x = 0 keeps every value finite)."""
    x = y = Value(0.0, label="x")
    for _ in range(n):
        y = y + y
    return y, x


def test_a_doubling_chain_is_counted_in_memory_linear_in_the_graph() -> None:
    y, x = doubling_chain(50_000)
    tracemalloc.start()
    try:
        with pytest.raises(GraphTooLargeError, match=r"more than 10\^18 paths"):
            count_paths(y, x)
        with pytest.raises(GraphTooLargeError, match=r"more than 10\^18 paths .*max_paths=1000"):
            explain(y, x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # exact counts would hold integers of up to 50,000 bits at every node: about 150 MB
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MB"


def test_a_chain_of_200_thousand_doublings_is_refused() -> None:
    y, x = doubling_chain(200_000)
    with pytest.raises(GraphTooLargeError, match=r"more than 10\^18 paths"):
        explain(y, x)
    with pytest.raises(GraphTooLargeError, match=r"more than 10\^18 paths"):
        count_paths(y, "x")


def test_a_chain_of_a_million_doublings_is_refused_by_its_size_at_once() -> None:
    y, x = doubling_chain(1_000_000)
    for tool in (explain, count_paths):
        with pytest.raises(GraphTooLargeError, match=r"more than max_nodes=250,000 nodes.*autograd.grad"):
            tool(y, x)


def test_the_node_walk_stops_at_the_limit() -> None:
    y, _ = doubling_chain(1000)
    assert count_nodes(y, 10_000) == 1001
    assert count_nodes(y, 10) == 11  # stopped: "more than 10"
    assert count_nodes(y, 1001) == 1001


def test_a_large_graph_is_explained_when_the_limit_is_raised() -> None:
    x = top = Value(0.5, label="x")
    for _ in range(DEFAULT_MAX_NODES // 2):  # two nodes per step: a constant and the product
        top = top * 1.0
    with pytest.raises(GraphTooLargeError, match="max_nodes"):
        count_paths(top, x)
    assert count_paths(top, x, max_nodes=DEFAULT_MAX_NODES + 10) == 1


def long_paths(n_diamonds: int, length: int) -> tuple[Value, Value]:
    """2^n_diamonds paths, each with about ``length`` factors: a long chain, then diamonds."""
    x = top = Value(0.5, label="x")
    for _ in range(length):
        top = top * 1.0
    for _ in range(n_diamonds):
        top = top * 0.5 + top * 0.5
    return top, x


def test_512_paths_of_40_thousand_factors_are_refused_before_any_text() -> None:
    root, x = long_paths(9, 40_000)
    assert count_paths(root, x) == 512
    words = r"the 512 paths from .* have 20,489,216 factors in all, more than max_factors=100,000"
    with pytest.raises(GraphTooLargeError, match=words):
        explain(root, x)


def test_the_factor_limit_counts_every_path() -> None:
    root, x = long_paths(3, 100)  # 8 paths of 100 + 2·3 edges
    explanation = explain(root, x, max_factors=8 * 106)
    assert sum(len(p.factors) for p in explanation.paths) == 8 * 106
    assert len(str(explanation)) < 200_000
    with pytest.raises(GraphTooLargeError, match="847"):
        explain(root, x, max_factors=8 * 106 - 1)


@pytest.mark.parametrize("name", ["max_paths", "max_factors", "max_nodes"])
@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_limits_must_be_positive_ints(name: str, bad: object) -> None:
    x = Value(1.0, label="x")
    with pytest.raises((TypeError, ValueError), match=name):
        explain(x * 2, x, **{name: bad})


def test_the_limit_is_ten_to_the_eighteen() -> None:
    assert PATH_COUNT_LIMIT == 10**18
