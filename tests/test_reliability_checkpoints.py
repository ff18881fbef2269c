"""Untrusted checkpoints: a file that would run code when unpickled is refused by every loader with a
clear ``ValueError``, and the code never runs (the marker file it would write never appears)."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from rnnchaos.models import build_model, load_checkpoint, save_checkpoint


class Payload:
    """Unpickling this object runs ``exec(code)``."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (exec, (self.code,))


def _touch(marker: Path) -> Payload:
    return Payload(f"open({str(marker)!r}, 'w').write('pwned')")


def _good_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    m = build_model("plrnn", 3, 4, seed=0)
    return m.config(), dict(m.state_dict())


def _evil_files(tmp: Path, marker: Path) -> dict[str, Path]:
    """Several ways of smuggling the payload into a checkpoint."""
    config, state = _good_parts()
    files = {}
    files["in_state_dict"] = tmp / "a.pt"
    torch.save({"config": config, "state_dict": {**state, "A": _touch(marker)}}, files["in_state_dict"])
    files["in_config"] = tmp / "b.pt"
    torch.save({"config": {**config, "init_radius": _touch(marker)}, "state_dict": state}, files["in_config"])
    files["top_level"] = tmp / "c.pt"
    torch.save(_touch(marker), files["top_level"])
    files["legacy_pickle"] = tmp / "d.pt"  # plain pickle stream, not torch's zip format
    with open(files["legacy_pickle"], "wb") as fh:
        pickle.dump({"config": config, "state_dict": _touch(marker)}, fh)
    return files


LOADERS: dict[str, Callable[[Path], Any]] = {"models.load_checkpoint": load_checkpoint}


def test_the_payload_is_live(tmp_path: Path) -> None:
    """Control: with an unsafe loader the payload does write the marker (so the tests below mean something)."""
    marker = tmp_path / "control"
    files = _evil_files(tmp_path, marker)
    torch.load(files["in_state_dict"], weights_only=False)
    assert marker.read_text() == "pwned"


@pytest.mark.parametrize("loader", list(LOADERS), ids=list(LOADERS))
@pytest.mark.parametrize("how", ["in_state_dict", "in_config", "top_level", "legacy_pickle"])
def test_code_carrying_checkpoint_is_refused(tmp_path: Path, loader: str, how: str) -> None:
    marker = tmp_path / "PWNED"
    path = _evil_files(tmp_path, marker)[how]
    with pytest.raises(ValueError, match="cannot read checkpoint") as info:
        LOADERS[loader](path)
    assert "\n" not in str(info.value).strip() or "Weights only load failed" in str(info.value)
    assert not marker.exists()


def test_cli_refuses_code_carrying_checkpoint(tmp_path: Path, run_cli) -> None:
    marker = tmp_path / "PWNED"
    for path in _evil_files(tmp_path, marker).values():
        code, out, err = run_cli("rnn-lyapunov", "--checkpoint", str(path), "--steps", "20")
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert "cannot read checkpoint" in err
    assert not marker.exists()


def test_good_checkpoint_round_trips(tmp_path: Path) -> None:
    m = build_model("plrnn", 3, 4, seed=1)
    save_checkpoint(m, tmp_path / "m.pt")
    back = load_checkpoint(tmp_path / "m.pt")
    assert back.config() == m.config()
    for (k1, v1), (k2, v2) in zip(m.state_dict().items(), back.state_dict().items(), strict=True):
        assert k1 == k2 and torch.equal(v1, v2)


def test_failed_save_keeps_the_previous_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk while saving (OSError ENOSPC from the write) leaves the previous checkpoint intact."""
    import errno

    path = tmp_path / "m.pt"
    first = build_model("plrnn", 3, 4, seed=1)
    save_checkpoint(first, path)
    before = path.read_bytes()

    def full_disk(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(build_model("plrnn", 3, 4, seed=2), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]  # no temporary file left behind
    monkeypatch.undo()
    assert load_checkpoint(path).config() == first.config()
