"""Where plots are drawn: into the caller's matplotlib Axes, or a new Figure.

matplotlib is optional (``pip install chaingrad[train]``) and imported only
when something is plotted.
"""

from __future__ import annotations

from typing import Any

from autograd.errors import MissingPackageError


def _figure_class() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingPackageError(
            "plotting needs matplotlib, which is not installed: pip install matplotlib", name="matplotlib"
        ) from None
    return Figure


def new_axes(ax: Any = None) -> tuple[Any, Any]:
    """``(figure, ax)``: ``(None, ax)`` if the caller gave ``ax``, else a new Figure and its Axes.

    The new Figure is not registered with pyplot, so Jupyter shows the returned
    figure exactly once and nothing stays open in the background.
    """
    if ax is not None:
        return None, ax
    figure = _figure_class()(figsize=(6, 4))
    return figure, figure.add_subplot()


def new_panels(rows: int, *, height: float = 2.6) -> tuple[Any, list[Any]]:
    """A new Figure of ``rows`` panels one above the other, sharing their x axis
    (not registered with pyplot, as :func:`new_axes`)."""
    figure = _figure_class()(figsize=(6, 0.8 + height * rows))
    axes = figure.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    return figure, list(axes)


def whole_number_ticks(ax: Any, last: int) -> None:
    """Ticks of the x axis only at whole numbers from 1 to ``last`` (epochs: 1, 2, 3, never 2.5).

    A few epochs get half an epoch of room on each side, so that even a single
    one has its tick.
    """
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    if last <= 30:
        ax.set_xlim(0.5, last + 0.5)


__all__ = ["new_axes", "new_panels", "whole_number_ticks"]
