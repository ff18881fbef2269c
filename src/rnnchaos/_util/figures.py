"""The project's figure helpers: a style applied only inside ``matplotlib.rc_context``, figures built as
``matplotlib.figure.Figure`` objects (no pyplot, no backend chosen), and the one PNG saver.

Nothing here touches global matplotlib state: importing rnnchaos never calls ``matplotlib.use`` nor
changes ``matplotlib.rcParams``, so figures show inline in a notebook and the user's style is kept.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from rnnchaos._util.atomic import atomic_path

__all__ = ["STYLE", "SMALL_STYLE", "new_figure", "styled", "save_figure"]

#: the report style (matplotlib rc keys); applied with ``matplotlib.rc_context``, never globally
STYLE: dict[str, Any] = {"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 10}
#: the smaller style of the scrambling reproductions' figures
SMALL_STYLE: dict[str, Any] = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 9}

F = TypeVar("F", bound=Callable[..., Any])


def new_figure(figsize: tuple[float, float] | None = None, *,
               layout: Literal["constrained", "compressed", "tight"] | None = None) -> Any:
    """A ``matplotlib.figure.Figure`` not registered with pyplot: it needs no backend, is shown inline by
    Jupyter when it is a cell's value, is freed with its last reference, and saves through ``save_figure``."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout=layout)


def _fix_tick_style(fig: Any) -> None:
    # Tick labels are created lazily (often only when the figure is drawn, outside the style's context);
    # later ticks copy the first one's properties, so creating the first major and minor tick of every
    # axis here fixes their font size to the style's.
    for ax in fig.axes:
        for name in ("xaxis", "yaxis", "zaxis"):
            axis = getattr(ax, name, None)
            if axis is not None:
                axis.get_major_ticks(1)
                axis.get_minor_ticks(1)


def styled(style: Mapping[str, Any] = STYLE) -> Callable[[F], F]:
    """Decorator: run a figure function inside ``matplotlib.rc_context(style)``; the global rcParams are
    left as they were. When the function returns a Figure (rather than saving it inside), its first ticks
    are created inside the context too, so that a later draw keeps the style's tick label size."""

    def wrap(func: F) -> F:
        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> Any:
            import matplotlib

            with matplotlib.rc_context(cast(Any, dict(style))):
                result = func(*args, **kwargs)
                if hasattr(result, "savefig") and hasattr(result, "axes"):
                    _fix_tick_style(result)
            return result

        return inner  # type: ignore[return-value]

    return wrap


def save_figure(fig: Any, path: str | os.PathLike[str], dpi: int = 110, *, tight: bool = True) -> Path:
    """Save ``fig`` as PNG at ``dpi`` dots per inch to ``path`` atomically and return the path.
    ``tight``: crop to the drawn area (``bbox_inches="tight"``); False keeps the figure size. The file gets
    the mode a plain ``open`` would give (``_util.atomic``). A figure made through pyplot is closed (also on
    error); a plain ``Figure`` (``new_figure``) needs no closing. PNG output uses matplotlib's Agg renderer
    whatever the backend."""
    target = Path(path)
    try:
        with atomic_path(target, suffix=".png") as tmp:
            if tight:
                fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
            else:
                fig.savefig(tmp, dpi=dpi, format="png")
    finally:
        manager = getattr(getattr(fig, "canvas", None), "manager", None)
        plt = sys.modules.get("matplotlib.pyplot")
        if manager is not None and plt is not None:
            plt.close(fig)
    return target
