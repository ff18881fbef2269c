"""Choosing the torch device of an analysis or a training run: ``cpu``, ``cuda`` or ``auto``."""

from __future__ import annotations

from typing import Any

__all__ = ["DEVICES", "resolve_device"]

#: the device names every command and function accepts (``auto``: CUDA when present, else the CPU)
DEVICES = ("cpu", "cuda", "auto")


def resolve_device(device: Any = "cpu") -> Any:
    """The ``torch.device`` for ``device``: ``"cpu"``, ``"cuda"`` (refused with a ``ValueError`` when no
    CUDA device is available), ``"auto"`` (CUDA when available, else the CPU), or a ``torch.device``.
    ``None`` means the CPU."""
    import torch

    if device is None:
        return torch.device("cpu")
    if isinstance(device, torch.device):
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for but no CUDA device is available; use --device cpu or auto")
        if device.type not in ("cpu", "cuda"):
            raise ValueError(f"device must be a CPU or CUDA device, got {device}")
        return device
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA device is available; use --device cpu or auto")
    return torch.device(device)
