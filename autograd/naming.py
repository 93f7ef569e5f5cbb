"""Names for nodes, so that every tool prints the same name for the same node.

A node's name is its label when it has one. A constant that the code wrote
(the ``2`` in ``x * 2``) is named by its number. Any other unlabelled node is
``v`` followed by its position in the topological order (``v7``), which is
stable for the same graph.
"""

from __future__ import annotations

from collections.abc import Sequence

from autograd.value import Value


def node_names(order: Sequence[Value]) -> dict[Value, str]:
    """A display name for each node of ``order`` (a topological order)."""
    names: dict[Value, str] = {}
    for index, node in enumerate(order):
        if node.label:
            names[node] = node.label
        elif not node.inputs and not node.is_parameter:
            names[node] = format(node.data, "g")
        else:
            names[node] = f"v{index}"
    return names
