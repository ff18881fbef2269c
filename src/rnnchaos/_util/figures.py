"""The project's one figure saver: a matplotlib figure -> PNG, written atomically, figure closed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rnnchaos._util.atomic import atomic_path

__all__ = ["save_figure"]


def save_figure(fig: Any, path: str | os.PathLike[str], dpi: int = 110, *, tight: bool = True) -> Path:
    """Save ``fig`` as PNG at ``dpi`` dots per inch to ``path`` atomically, close it (also on error) and
    return the path. ``tight``: crop to the drawn area (``bbox_inches="tight"``); False keeps the figure
    size. The file gets the mode a plain ``open`` would give (``_util.atomic``)."""
    import matplotlib.pyplot as plt

    target = Path(path)
    try:
        with atomic_path(target, suffix=".png") as tmp:
            if tight:
                fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
            else:
                fig.savefig(tmp, dpi=dpi, format="png")
    finally:
        plt.close(fig)
    return target
