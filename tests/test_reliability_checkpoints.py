"""Untrusted checkpoints: a file that would run code when unpickled is refused by every loader with a
clear ``ValueError``, and the code never runs (the marker file it would write never appears)."""

from __future__ import annotations

import pickle
import shutil
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


TRAIN = ["train", "--data", "lorenz63", "--n-steps", "400", "--epochs", "4", "--hidden", "4", "--seq-len", "20",
         "--batch-size", "4", "--batches-per-epoch", "1", "--tau", "5", "--checkpoint-every", "2", "--no-progress"]


@pytest.fixture(scope="module")
def template_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small finished training run (``rnnchaos train ... --out``)."""
    from rnnchaos.cli import main

    d = tmp_path_factory.mktemp("run") / "run"
    assert main([*TRAIN, "--out", str(d)]) == 0
    return d


def _load_run_model(path: Path) -> Any:
    """``Reconstructor.load`` on a copy of the template run whose model.pt is ``path``."""
    from rnnchaos.training.reconstructor import Reconstructor

    run = path.parent / f"run_{path.stem}"
    shutil.copytree(TEMPLATE[0], run)
    shutil.copy(path, run / "model.pt")
    return Reconstructor.load(run)


def _resume_from(path: Path) -> Any:
    """``rnnchaos train --resume`` on a copy of the template run whose checkpoint.pt is ``path``."""
    from rnnchaos.training.run import train_from_source

    run = path.parent / f"resume_{path.stem}"
    shutil.copytree(TEMPLATE[0], run)
    shutil.copy(path, run / "checkpoint.pt")
    return train_from_source("lorenz63", n_steps=400, epochs=4, hidden=4, seq_len=20, batch_size=4,
                             batches_per_epoch=1, tau=5, checkpoint_every=2, observation="linear", out=run,
                             resume=True)


TEMPLATE: list[Path] = []
LOADERS: dict[str, Callable[[Path], Any]] = {"models.load_checkpoint": load_checkpoint,
                                             "Reconstructor.load": _load_run_model,
                                             "train --resume": _resume_from}


def test_the_payload_is_live(tmp_path: Path) -> None:
    """Control: with an unsafe loader the payload does write the marker (so the tests below mean something)."""
    marker = tmp_path / "control"
    files = _evil_files(tmp_path, marker)
    torch.load(files["in_state_dict"], weights_only=False)
    assert marker.read_text() == "pwned"


@pytest.mark.parametrize("loader", list(LOADERS), ids=list(LOADERS))
@pytest.mark.parametrize("how", ["in_state_dict", "in_config", "top_level", "legacy_pickle"])
def test_code_carrying_checkpoint_is_refused(tmp_path: Path, loader: str, how: str, template_run: Path) -> None:
    TEMPLATE[:] = [template_run]
    marker = tmp_path / "PWNED"
    path = _evil_files(tmp_path, marker)[how]
    with pytest.raises(ValueError, match="is not a plain weights file and was refused") as info:
        LOADERS[loader](path)
    # torch's advice (weights_only=False, allow-listing the global) is wrong for an untrusted file: never passed on
    text = str(info.value)
    assert "weights_only` set to `False`" not in text and "weights_only=False" not in text
    assert "add_safe_globals" not in text and "safe_globals" not in text and "trust" not in text
    assert not marker.exists()


def test_cli_refuses_code_carrying_checkpoint(tmp_path: Path, run_cli) -> None:
    marker = tmp_path / "PWNED"
    for path in _evil_files(tmp_path, marker).values():
        code, out, err = run_cli("rnn-lyapunov", "--checkpoint", str(path), "--steps", "20")
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert "is not a plain weights file and was refused" in err and "weights_only" not in err
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


def test_full_disk_during_training_keeps_the_last_checkpoint(tmp_path: Path, run_cli,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up when the epoch-4 checkpoint is written: one line, exit 2, and the epoch-2
    checkpoint survives intact; once there is space, --resume finishes with the uninterrupted result."""
    import errno
    import json

    ref = tmp_path / "ref"
    code, out, _ = run_cli(*TRAIN, "--out", str(ref), "--json")
    assert code == 0
    reference = json.loads(out)

    run = tmp_path / "run"
    real_save = torch.save
    calls = {"n": 0}

    def save(obj: Any, f: Any, *a: Any, **k: Any) -> None:
        if isinstance(obj, dict) and obj.get("epoch") == 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        calls["n"] += 1
        real_save(obj, f, *a, **k)

    monkeypatch.setattr(torch, "save", save)
    code, out, err = run_cli(*TRAIN, "--out", str(run))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "No space left" in err
    monkeypatch.undo()
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    assert state["epoch"] == 2
    assert not [p for p in run.iterdir() if p.name.endswith(".tmp")]
    code, out, err = run_cli(*TRAIN, "--out", str(run), "--resume", "--json")
    assert code == 0, err
    resumed = json.loads(out)
    assert resumed["final_loss"] == reference["final_loss"] and resumed["epochs"] == reference["epochs"]
