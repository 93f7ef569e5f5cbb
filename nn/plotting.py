"""Where plots are drawn: into the caller's matplotlib Axes, or a new Figure.

matplotlib is optional (``pip install chaingrad[train]``) and imported only
when something is plotted.
"""

from __future__ import annotations

from typing import Any

from autograd.errors import MissingPackageError


def new_axes(ax: Any = None) -> tuple[Any, Any]:
    """``(figure, ax)``: ``(None, ax)`` if the caller gave ``ax``, else a new Figure and its Axes.

    The new Figure is not registered with pyplot, so Jupyter shows the returned
    figure exactly once and nothing stays open in the background.
    """
    if ax is not None:
        return None, ax
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingPackageError(
            "plotting needs matplotlib, which is not installed: pip install matplotlib", name="matplotlib"
        ) from None
    figure = Figure(figsize=(6, 4))
    return figure, figure.add_subplot()


__all__ = ["new_axes"]
