"""Thread pinning for small-matrix workloads (docs/architecture.md, "Conventions")."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Pin BLAS (threadpoolctl) and torch to one thread; on 2 cores this is fastest for the small
    matrices of RNN training and Lyapunov analysis. The previous torch setting is restored afterwards."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(before)
