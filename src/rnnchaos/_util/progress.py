"""Progress bars on stderr (tqdm), shown only for work that lasts longer than a second."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T], *, desc: str = "", total: int | None = None, enabled: bool = True,
             **kwargs: Any) -> Iterator[T]:
    """Wrap ``iterable`` in a tqdm bar on stderr that appears after one second (``delay=1``)."""
    if not enabled:
        yield from iterable
        return
    yield from tqdm(iterable, desc=desc, total=total, file=sys.stderr, delay=1.0, dynamic_ncols=True,
                    leave=False, **kwargs)


def progress_bar(*, desc: str = "", total: int | None = None, enabled: bool = True, **kwargs: Any) -> Any:
    """A manual tqdm bar on stderr (``bar.update(n)``, ``bar.set_postfix(...)``); disabled when not enabled."""
    return tqdm(desc=desc, total=total, file=sys.stderr, delay=1.0, dynamic_ncols=True, leave=False,
                disable=not enabled, **kwargs)
