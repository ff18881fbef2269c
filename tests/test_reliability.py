"""Bad input through the CLI: every row of docs/reliability.md is a case here.

Each case feeds one bad value to one command and requires exit code 2, exactly one line on stderr,
nothing on stdout and no traceback; its message must equal the one in docs/reliability.md. The table
of the docs is generated from these cases and the real messages:

    .venv/bin/python tests/test_reliability.py          # rewrite docs/reliability.md

A case with ``bug`` set documents a defect found in another module: the test is ``xfail(strict=True)``
(so it starts failing, as a reminder to drop the mark, the day the defect is fixed).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
GIB = 1024**3


@dataclass(frozen=True)
class Case:
    """One bad value fed to one command. ``argv(tmp)`` creates any files under ``tmp`` and returns the
    command line (without ``rnnchaos``)."""

    id: str
    input: str
    bad: str
    argv: Callable[[Path], list[str]]
    bug: str | None = None
    #: run in a subprocess killed after this many seconds (for inputs that make a command hang)
    timeout: float | None = None
    #: run as on a machine without CUDA (``torch.cuda.is_available`` patched to False where a GPU exists)
    no_cuda: bool = False
    #: environment variables set while the case runs (``{tmp}`` stands for its directory)
    env: tuple[tuple[str, str], ...] = ()
    #: modules hidden (``sys.modules[name] = None``) while the case runs, as if not installed
    hide: tuple[str, ...] = ()
    #: an optional module the case needs (skipped without it)
    needs: str | None = None

    def environ(self, tmp: Path) -> dict[str, str]:
        return {k: v.format(tmp=tmp) for k, v in self.env}


# --- file makers -------------------------------------------------------------------------------------

def _bytes(name: str, data: bytes) -> Callable[[Path], str]:
    def make(tmp: Path) -> str:
        path = tmp / name
        path.write_bytes(data)
        return str(path)
    return make


def _npy(name: str, arr: object, allow_pickle: bool = False) -> Callable[[Path], str]:
    def make(tmp: Path) -> str:
        path = tmp / name
        np.save(path, arr, allow_pickle=allow_pickle)
        return str(path)
    return make


def _truncated_npy(tmp: Path) -> str:
    buf = io.BytesIO()
    np.save(buf, np.random.default_rng(0).normal(size=(500, 3)))
    path = tmp / "cut.npy"
    path.write_bytes(buf.getvalue()[:3000])
    return str(path)


def _sparse(name: str, size: int) -> Callable[[Path], str]:
    """A file of ``size`` bytes that takes no disk space (sparse): the size guard must refuse it unread."""
    def make(tmp: Path) -> str:
        path = tmp / name
        with open(path, "wb") as fh:
            fh.truncate(size)
        return str(path)
    return make


def _dir(tmp: Path) -> str:
    path = tmp / "adir.npy"
    path.mkdir()
    return str(path)


def _good_series(tmp: Path, name: str = "good.npy", n: int = 3) -> str:
    x = np.sin(np.linspace(0, 60, 2000))[:, None] * np.ones((1, n)) + 0.1 * np.arange(n)
    path = tmp / name
    np.save(path, x)
    return str(path)


_RNG = np.random.default_rng(0)
_NAN = _RNG.normal(size=(300, 3))
_NAN[17, 1] = np.nan
_INF = _RNG.normal(size=(300, 2))
_INF[5, 0] = np.inf

# bad data files, fed to `lyapunov --data` (the loader is shared by every command that reads series)
DATA_FILES: list[tuple[str, str, Callable[[Path], str]]] = [
    ("missing", "missing file", lambda t: str(t / "nope.npy")),
    ("empty-npy", "empty .npy (0 bytes)", _bytes("empty.npy", b"")),
    ("empty-csv", "empty .csv (0 bytes)", _bytes("empty.csv", b"")),
    ("directory", "a directory", _dir),
    ("comments-only", ".csv of comment lines only (no numpy warning)", _bytes("comments.csv", b"# a\n# b\n")),
    ("header-only", ".csv with a header line only (no numpy warning)", _bytes("header.csv", b"x,y\n")),
    ("npz-corrupt", "corrupt .npz (no unclosed-file warning)", _bytes("bad.npz", b"PK\x03\x04garbage")),
    ("nan", "NaN in .npy", _npy("nan.npy", _NAN)),
    ("inf-csv", "inf in .csv", _bytes("inf.csv", b"1.0,2.0\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in _INF[1:]).encode())),
    ("3d", "wrong shape (3-D array)", _npy("cube.npy", np.zeros((10, 4, 3)))),
    ("one-sample", "one sample", _npy("one.npy", np.zeros((1, 3)))),
    ("strings", "wrong dtype (strings)", _npy("str.npy", np.array(["a", "b", "c"]))),
    ("complex", "wrong dtype (complex)", _npy("cplx.npy", np.ones((50, 2), dtype=complex))),
    ("pickle", "pickled object array", _npy("obj.npy", np.array([{"a": 1}, None], dtype=object), True)),
    ("garbage", "random bytes named .npy", _bytes("junk.npy", bytes(range(256)) * 4)),
    ("truncated", "truncated .npy", _truncated_npy),
    ("non-utf8", "non-UTF-8 .csv", _bytes("latin.csv", "x\n1,2\n3,4\n\xe9\xe8,1\n".encode("latin-1"))),
    ("text-in-csv", "non-numeric .csv cell", _bytes("words.csv", b"1,2\n3,four\n5,6\n")),
    ("ragged-csv", "ragged .csv rows", _bytes("ragged.csv", b"1,2\n3\n5,6\n")),
    ("extension", "unknown extension", _bytes("data.xlsx", b"PK\x03\x04")),
    ("too-large", "too large (3 GiB sparse file)", _sparse("huge.npy", 3 * GIB)),
]


def _nul_header_npy(tmp: Path) -> str:
    buf = io.BytesIO()
    np.save(buf, np.random.default_rng(1).normal(size=(20, 3)))
    data = bytearray(buf.getvalue()[:128])
    data[66] = 0
    path = tmp / "nul.npy"
    path.write_bytes(bytes(data))
    return str(path)




# --- sweep configs -------------------------------------------------------------------------------------

_SWEEP_HEAD = '[sweep]\nkind = "lyapunov"\n'


def _toml(text: str | bytes, name: str = "sweep.toml") -> Callable[[Path], list[str]]:
    data = text.encode("utf-8") if isinstance(text, str) else text

    def make(tmp: Path) -> list[str]:
        path = tmp / name
        path.write_bytes(data)
        return ["sweep", str(path), "--out", str(tmp / "out"), "-q"]
    return make


def _sweep_ok(*extra: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        path = tmp / "ok.toml"
        path.write_text(_SWEEP_HEAD + '[fixed]\nsystem = "henon"\nn_steps = 10\n[grid]\na = [1.4]\n')
        return ["sweep", str(path), *[e.replace("<tmp>", str(tmp)) for e in extra]]
    return make


def _sweep_out_is_file(tmp: Path) -> list[str]:
    (tmp / "afile").write_text("x")
    return [*_sweep_ok()(tmp), "--out", str(tmp / "afile"), "-q"]


def _sweep_journal_special(kind: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        (tmp / "out").mkdir()
        journal = tmp / "out" / "trials.jsonl"
        os.mkfifo(journal) if kind == "fifo" else journal.mkdir()
        return [*_sweep_ok()(tmp), "--out", str(tmp / "out"), "-q"]
    return make


_OK_TOML = _SWEEP_HEAD + '[fixed]\nsystem = "henon"\n[grid]\na = [1.4]\n'

SWEEP_CONFIGS: list[tuple[str, str, Callable[[Path], list[str]]]] = [
    ("missing", "missing file", lambda t: ["sweep", str(t / "nope.toml")]),
    ("empty", "empty file", _toml("")),
    ("directory", "a directory", lambda t: ["sweep", str(t)]),
    ("non-utf8", "non-UTF-8 bytes", _toml(b'[sweep]\nname = "\xff\xfe"\n')),
    ("nul", "binary (NUL bytes)", _toml(b"[sweep]\x00\x00\x00")),
    ("truncated", "truncated TOML", _toml(_OK_TOML[:-5])),
    ("not-toml", "not TOML (JSON)", _toml('{"sweep": {"kind": "lyapunov"}}')),
    ("too-large", "too large (2 MB)", _toml("# " + "x" * (2 * 1024 * 1024) + "\n" + _OK_TOML)),
    ("unknown-section", "unknown section", _toml(_OK_TOML + "[grdi]\nx = [1]\n")),
    ("unknown-key", "unknown key", _toml(_OK_TOML.replace('kind = "lyapunov"', 'kind = "lyapunov"\nsed = 1'))),
    ("no-kind", "missing kind", _toml('[sweep]\nname = "x"\n[grid]\na = [1]\n')),
    ("kind-type", "kind of wrong type", _toml('[sweep]\nkind = 3\n[grid]\na = [1]\n')),
    ("kind-unknown", "unknown kind", _toml('[sweep]\nkind = "magic"\n[grid]\na = [1]\n')),
    ("seed-type", "seed of wrong type", _toml(_OK_TOML.replace('kind = "lyapunov"', 'kind = "lyapunov"\nseed = "1"'))),
    ("seed-negative", "negative seed", _toml(_OK_TOML.replace('kind = "lyapunov"', 'kind = "lyapunov"\nseed = -1'))),
    ("sweep-not-table", "[sweep] not a table", _toml('sweep = 3\n[grid]\na = [1]\n')),
    ("no-grid", "missing [grid]", _toml(_SWEEP_HEAD + '[fixed]\nsystem = "henon"\n')),
    ("empty-grid", "empty [grid]", _toml(_SWEEP_HEAD + '[fixed]\nsystem = "henon"\n[grid]\n')),
    ("empty-list", "empty grid list", _toml(_SWEEP_HEAD + '[fixed]\nsystem = "henon"\n[grid]\na = []\n')),
    ("scalar-grid", "grid value not a list", _toml(_SWEEP_HEAD + '[fixed]\nsystem = "henon"\n[grid]\na = 1.4\n')),
    ("duplicate", "duplicate grid value", _toml(_SWEEP_HEAD + '[fixed]\nsystem = "henon"\n[grid]\na = [1.4, 1.4]\n')),
    ("nan", "NaN parameter", _toml(_SWEEP_HEAD + '[fixed]\nsystem = "henon"\n[grid]\na = [1.4, nan]\n')),
    ("inf", "inf parameter", _toml(_SWEEP_HEAD + '[fixed]\nsystem = "henon"\nb = inf\n[grid]\na = [1.4]\n')),
    ("date", "date parameter", _toml(_SWEEP_HEAD + '[fixed]\nsystem = "henon"\n[grid]\na = [2024-01-01]\n')),
    ("fixed-and-grid", "key both fixed and swept", _toml(_SWEEP_HEAD + '[fixed]\nsystem = "henon"\na = 1\n[grid]\na = [1.4]\n')),
    ("unknown-system", "unknown system", _toml(_SWEEP_HEAD + '[grid]\nsystem = ["henon", "lorenz"]\n')),
    ("unknown-param", "unknown parameter", _toml(_SWEEP_HEAD + '[fixed]\nsystem = "henon"\n[grid]\nrho = [28]\n')),
    ("too-many-trials", "too many trials (10^8)", _toml(
        '[sweep]\nkind = "python"\nfunction = "m:f"\n[grid]\n'
        + "".join(f"x{i} = [{', '.join(str(j) for j in range(10))}]\n" for i in range(8)))),
    ("bad-function", "python function not module:function", _toml('[sweep]\nkind = "python"\nfunction = "os.system"\n[grid]\na = [1]\n')),
]

SWEEP_OPTIONS: list[tuple[str, str, Callable[[Path], list[str]]]] = [
    ("workers-zero", "--workers 0", _sweep_ok("--workers", "0")),
    ("workers-negative", "--workers -2", _sweep_ok("--workers", "-2")),
    ("workers-text", "--workers abc", _sweep_ok("--workers", "abc")),
    ("out-is-file", "--out is a file", _sweep_out_is_file),
    ("ray-empty", "--ray ''", _sweep_ok("--ray", " ", "--out", "<tmp>/o")),
    ("journal-fifo", "`OUT/trials.jsonl` is a FIFO (reading it would block)", _sweep_journal_special("fifo")),
    ("journal-dir", "`OUT/trials.jsonl` is a directory", _sweep_journal_special("dir")),
]


# --- numeric options -----------------------------------------------------------------------------------

LYAPUNOV_OPTIONS: list[tuple[str, str, list[str]]] = [
    ("steps-zero", "--steps 0", ["lorenz63", "--steps", "0"]),
    ("steps-negative", "--steps -5", ["lorenz63", "--steps", "-5"]),
    ("steps-text", "--steps ten", ["lorenz63", "--steps", "ten"]),
    ("dt-zero", "--dt 0", ["lorenz63", "--dt", "0"]),
    ("dt-nan", "--dt nan", ["lorenz63", "--dt", "nan"]),
    ("dt-inf", "--dt inf", ["lorenz63", "--dt", "inf"]),
    ("dt-map", "--dt for a map", ["henon", "--dt", "0.1"]),
    ("ics-zero", "--ics 0", ["lorenz63", "--ics", "0"]),
    ("exponents-zero", "--exponents 0", ["lorenz63", "--exponents", "0"]),
    ("exponents-too-many", "--exponents > dimension", ["lorenz63", "--exponents", "10"]),
    ("transient-negative", "--transient -1", ["lorenz63", "--transient", "-1"]),
    ("param-nan", "--param rho=nan", ["lorenz63", "--param", "rho=nan"]),
    ("param-text", "--param rho=abc", ["lorenz63", "--param", "rho=abc"]),
    ("param-unknown", "--param nope=1", ["lorenz63", "--param", "nope=1"]),
    ("param-range", "--param r=5 (logistic)", ["logistic", "--param", "r=5"]),
    ("system-unknown", "unknown SYSTEM", ["lorenz"]),
    ("neither", "neither SYSTEM nor --data", []),
]



def _weights(obj: object | None = None, raw: bytes | None = None, name: str = "w.json"
             ) -> Callable[[Path], list[str]]:
    data = raw if raw is not None else json.dumps(obj).encode()

    def make(tmp: Path) -> list[str]:
        path = tmp / name
        path.write_bytes(data)
        return ["periods", "--weights", str(path)]
    return make


_W = {"w1": [1, 2], "b1": [0, 1], "w2": [1, -1], "b2": 0}

WEIGHTS_FILES: list[tuple[str, str, Callable[[Path], list[str]]]] = [
    ("missing", "missing file", lambda t: ["periods", "--weights", str(t / "nope.json")]),
    ("empty", "empty file", _weights(raw=b"")),
    ("non-utf8", "non-UTF-8 bytes", _weights(raw=b'\xff\xfe{"w1": [1]}')),
    ("truncated", "truncated JSON", _weights(raw=json.dumps(_W).encode()[:-9])),
    ("not-object", "JSON array, not object", _weights([1, 2, 3])),
    ("missing-key", "missing key b2", _weights({k: v for k, v in _W.items() if k != "b2"})),
    ("unknown-key", "unknown key", _weights({**_W, "w9x": 1})),
    ("nan-literal", "NaN literal", _weights(raw=b'{"w1": [1, NaN], "b1": [0, 1], "w2": [1, -1], "b2": 0}')),
    ("inf-literal", "inf (1e999)", _weights(raw=b'{"w1": [1, 1e999], "b1": [0, 1], "w2": [1, -1], "b2": 0}')),
    ("nan-string", "\"nan\" string", _weights({**_W, "w1": [1, "nan"]})),
    ("zero-denominator", "\"1/0\" rational", _weights({**_W, "w1": [1, "1/0"]})),
    ("shape", "wrong shape (3 weights, 2 biases)", _weights({**_W, "w1": [1, 2, 3]})),
    ("ragged", "ragged hidden layer", _weights({"w1": [1, 2], "b1": [0, 0], "w2": [[1, 2], [3]], "b2": [0, 0],
                                                "w3": [1, 1], "b3": 0})),
    ("string", "wrong type (string)", _weights({**_W, "w1": "abc"})),
    ("bool", "wrong type (boolean)", _weights({**_W, "w1": [True, 1]})),
    ("null", "wrong type (null)", _weights({**_W, "b2": None})),
    ("activation", "unknown activation", _weights({**_W, "hidden_activation": "sigmoid"})),
    ("max-period-zero", "--max-period 0", lambda t: [*_weights(_W)(t), "--max-period", "0"]),
    ("max-period-negative", "--max-period -1", lambda t: [*_weights(_W)(t), "--max-period", "-1"]),
]


CHAOS_OPTIONS: list[tuple[str, str, list[str]]] = [
    ("width-zero", "--width 0", ["--width", "0"]),
    ("width-large", "--width 5000 (too large)", ["--width", "5000"]),
    ("trials-zero", "--trials 0", ["--trials", "0"]),
    ("trials-negative", "--trials -1", ["--trials", "-1"]),
    ("init-unknown", "--init foo", ["--init", "foo"]),
    ("gain-nan", "--output-gain nan", ["--output-gain", "nan"]),
    ("gain-inf", "--output-gain inf", ["--output-gain", "inf"]),
    ("workers-zero", "--workers 0", ["--workers", "0"]),
    ("depth", "--depth 4", ["--depth", "4"]),
    ("activation", "--hidden-activation sigmoid", ["--hidden-activation", "sigmoid"]),
]



class Payload:
    """Unpickling this object runs ``exec(code)``: a checkpoint that carries it must never be loaded."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (self.code,))


def _model_parts() -> tuple[dict, dict, dict]:
    from rnnchaos.models import build_model

    m = build_model("plrnn", 3, 4, seed=0)
    g = build_model("gru", 3, 4, seed=0)
    return m.config(), dict(m.state_dict()), g.config()


def _ckpt(build: Callable[[dict, dict, dict, Path], object] | None = None, raw: bytes | None = None,
          name: str = "model.pt") -> Callable[[Path], list[str]]:
    """A checkpoint file for ``rnn-lyapunov --checkpoint``: ``build(config, state_dict, gru_config, tmp)``
    returns the object passed to ``torch.save``, or ``raw`` gives the bytes."""
    def make(tmp: Path) -> list[str]:
        import torch

        path = tmp / name
        if raw is not None:
            path.write_bytes(raw)
        else:
            assert build is not None
            torch.save(build(*_model_parts(), tmp), path)
        return ["rnn-lyapunov", "--checkpoint", str(path), "--steps", "50", "--transient", "5"]
    return make


def _nan_state(sd: dict) -> dict:
    out = dict(sd)
    key = next(iter(out))
    out[key] = out[key] * float("nan")
    return out


def _truncated_ckpt(tmp: Path) -> list[str]:
    argv = _ckpt(lambda c, sd, g, t: {"config": c, "state_dict": sd})(tmp)
    path = Path(argv[2])
    path.write_bytes(path.read_bytes()[:700])
    return argv


CHECKPOINTS: list[tuple[str, str, Callable[[Path], list[str]]]] = [
    ("missing", "missing file", lambda t: ["rnn-lyapunov", "--checkpoint", str(t / "nope.pt")]),
    ("empty", "empty file", _ckpt(raw=b"")),
    ("garbage", "random bytes", _ckpt(raw=bytes(range(256)) * 8)),
    ("truncated", "truncated archive", _truncated_ckpt),
    ("code", "pickle that runs code (`__reduce__`)",
     _ckpt(lambda c, sd, g, t: {"config": c, "state_dict": {**sd, "A": Payload(f"open({str(t / 'PWNED')!r}, 'w')")}})),
    ("plain-state-dict", "bare state_dict (other format)", _ckpt(lambda c, sd, g, t: sd)),
    ("list", "a list, not a dict", _ckpt(lambda c, sd, g, t: [1, 2, 3])),
    ("arch-unknown", "unknown architecture", _ckpt(lambda c, sd, g, t: {"config": {**c, "arch": "transformer"},
                                                                        "state_dict": sd})),
    ("other-model", "weights of another model (GRU config, PLRNN weights)",
     _ckpt(lambda c, sd, g, t: {"config": g, "state_dict": sd})),
    ("config-key", "unknown config key", _ckpt(lambda c, sd, g, t: {"config": {**c, "layers": 3}, "state_dict": sd})),
    ("config-type", "wrong type in config", _ckpt(lambda c, sd, g, t: {"config": {**c, "latent_dim": "4"},
                                                                       "state_dict": sd})),
    ("config-negative", "negative latent_dim", _ckpt(lambda c, sd, g, t: {"config": {**c, "latent_dim": -4},
                                                                          "state_dict": sd})),
    ("dtype", "unknown dtype", _ckpt(lambda c, sd, g, t: {"config": {**c, "dtype": "float16x"}, "state_dict": sd})),
    ("nan-weights", "NaN weights", _ckpt(lambda c, sd, g, t: {"config": c, "state_dict": _nan_state(sd)})),
    ("with-arch", "--checkpoint with --arch", lambda t: [*_ckpt(lambda c, sd, g, tt: {"config": c, "state_dict": sd})(t),
                                                         "--arch", "rnn"]),
]

RNN_OPTIONS: list[tuple[str, str, list[str]]] = [
    ("hidden-zero", "--hidden 0", ["rnn-lyapunov", "--hidden", "0"]),
    ("steps-zero", "--steps 0", ["rnn-lyapunov", "--hidden", "4", "--steps", "0"]),
    ("transient-negative", "--transient -1", ["rnn-lyapunov", "--hidden", "4", "--transient", "-1"]),
    ("gain-negative", "--gain -1", ["rnn-lyapunov", "--hidden", "4", "--gain", "-1"]),
    ("gain-nan", "--gain nan", ["rnn-lyapunov", "--hidden", "4", "--gain", "nan"]),
    ("gain-inf", "--gain inf", ["rnn-lyapunov", "--hidden", "4", "--gain", "inf"]),
    ("ics-zero", "--ics 0", ["rnn-lyapunov", "--hidden", "4", "--ics", "0"]),
    ("exponents-too-many", "--exponents > latent size", ["rnn-lyapunov", "--hidden", "4", "--exponents", "9"]),
    ("arch-unknown", "--arch transformer", ["rnn-lyapunov", "--arch", "transformer"]),
    ("width-zero", "--width 0", ["rnn-lyapunov", "--arch", "shplrnn", "--width", "0"]),
    ("gradients-steps-zero", "gradients --steps 0", ["gradients", "--hidden", "4", "--steps", "0"]),
    ("gradients-gain-nan", "gradients --gain nan", ["gradients", "--hidden", "4", "--gain", "nan"]),
    ("gradients-windows-zero", "gradients --windows 0", ["gradients", "--hidden", "4", "--windows", "0"]),
    ("reortho-zero", "--reortho 0", ["rnn-lyapunov", "--hidden", "4", "--reortho", "0"]),
    ("reortho-word", "--reortho often", ["rnn-lyapunov", "--hidden", "4", "--reortho", "often"]),
    ("tangent-dtype-unknown", "--tangent-dtype float16", ["rnn-lyapunov", "--hidden", "4", "--tangent-dtype", "float16"]),
    ("lyapunov-reortho-zero", "lyapunov --reortho 0", ["lyapunov", "henon", "--reortho", "0"]),
    ("device-unknown", "--device tpu", ["rnn-lyapunov", "--hidden", "4", "--device", "tpu"]),
    ("gradients-device-unknown", "gradients --device tpu", ["gradients", "--hidden", "4", "--device", "tpu"]),
]

#: ``--device cuda`` on a machine without CUDA (simulated where a GPU exists)
DEVICE_CUDA_ABSENT: list[tuple[str, str, list[str]]] = [
    ("rnn-lyapunov", "`rnn-lyapunov`", ["rnn-lyapunov", "--hidden", "4", "--device", "cuda"]),
    ("gradients", "`gradients`", ["gradients", "--hidden", "4", "--device", "cuda"]),
    ("evaluate", "`evaluate`", ["evaluate", "run", "--device", "cuda"]),
    ("report", "`report`", ["report", "run", "--device", "cuda"]),
]




# --- training runs: `train` options, `train --resume` checkpoints, `evaluate` run directories -------------

TRAIN = ["train", "--data", "lorenz63", "--n-steps", "400", "--epochs", "4", "--hidden", "4", "--seq-len", "20",
         "--batch-size", "4", "--batches-per-epoch", "1", "--tau", "5", "--checkpoint-every", "2", "--no-progress"]
EVALUATE = ["evaluate", "--n-steps", "500", "--lyapunov-steps", "50"]


@functools.lru_cache(maxsize=1)
def _template_run() -> Path:
    """One small finished training run (a few seconds), copied by every case that needs a run directory."""
    d = Path(tempfile.mkdtemp(prefix="rnnchaos-reliability-")) / "run"
    atexit.register(shutil.rmtree, d.parent, True)
    code, _, err = run([*TRAIN, "--out", str(d)])
    assert code == 0, err
    return d


def _train_args(*extra: str) -> list[str]:
    """TRAIN with the options in ``extra`` replacing their defaults."""
    args = list(TRAIN)
    i = 0
    while i < len(extra):
        if extra[i] in args and extra[i].startswith("--") and i + 1 < len(extra) and extra[i] != "--resume":
            j = args.index(extra[i])
            del args[j:j + 2]
        i += 1
    return [*args, *extra]


def _with_run(mutate: Callable[[Path], object], argv: Callable[[Path], list[str]]) -> Callable[[Path], list[str]]:
    """Copy the template run to ``tmp/run``, apply ``mutate(run_dir)`` and return ``argv(run_dir)``."""
    def make(tmp: Path) -> list[str]:
        d = tmp / "run"
        shutil.copytree(_template_run(), d)
        mutate(d)
        return argv(d)
    return make


def _evaluate(mutate: Callable[[Path], object], *extra: str) -> Callable[[Path], list[str]]:
    return _with_run(mutate, lambda d: [*EVALUATE, str(d), *extra])


def _resume(mutate: Callable[[Path], object]) -> Callable[[Path], list[str]]:
    return _with_run(mutate, lambda d: _train_args("--out", str(d), "--resume"))


def _edit_json(name: str, edit: Callable[[dict], object]) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        cfg = json.loads((d / name).read_text())
        edit(cfg)
        (d / name).write_text(json.dumps(cfg))
    return mutate


def _edit_torch(name: str, edit: Callable[[dict], object]) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        import torch

        data = torch.load(d / name, weights_only=True)
        edit(data)
        torch.save(data, d / name)
    return mutate


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda d: (d / name).write_bytes(data)


def _truncate(name: str, keep: int) -> Callable[[Path], None]:
    return lambda d: (d / name).write_bytes((d / name).read_bytes()[:keep])


def _nan_first(sd: dict) -> None:
    key = next(iter(sd))
    sd[key] = sd[key] * float("nan")


def _other_model(d: Path) -> None:
    import torch

    from rnnchaos.models import build_model

    g = build_model("gru", 3, 4, seed=0)
    torch.save({"config": g.config(), "state_dict": g.state_dict()}, d / "model.pt")


def _noop(d: Path) -> None:
    return None


def _remove(name: str) -> Callable[[Path], None]:
    return lambda d: (d / name).unlink()


def _series_npy(name: str, arr: np.ndarray) -> Callable[[Path], None]:
    return lambda d: np.save(d.parent / name, arr)


_NAN3 = np.ones((100, 3))
_NAN3[3, 1] = np.nan

TRAIN_OPTIONS: list[tuple[str, str, list[str]]] = [
    ("epochs-zero", "--epochs 0", ["--epochs", "0"]),
    ("hidden-zero", "--hidden 0", ["--hidden", "0"]),
    ("tau-zero", "--tau 0", ["--tau", "0"]),
    ("tau-text", "--tau abc", ["--tau", "abc"]),
    ("alpha-range", "--alpha 2 (gtf)", ["--forcing", "gtf", "--alpha", "2"]),
    ("alpha-missing", "gtf without --alpha", ["--forcing", "gtf"]),
    ("lr-zero", "--lr 0", ["--lr", "0"]),
    ("lr-nan", "--lr nan", ["--lr", "nan"]),
    ("lr-negative", "--lr -1", ["--lr", "-1"]),
    ("seq-len-zero", "--seq-len 0", ["--seq-len", "0"]),
    ("seq-len-long", "--seq-len longer than the data", ["--seq-len", "1000"]),
    ("batch-size-zero", "--batch-size 0", ["--batch-size", "0"]),
    ("test-fraction-one", "--test-fraction 1", ["--test-fraction", "1.0"]),
    ("test-fraction-nan", "--test-fraction nan", ["--test-fraction", "nan"]),
    ("test-fraction-negative", "--test-fraction -0.1", ["--test-fraction", "-0.1"]),
    ("n-steps-zero", "--n-steps 0", ["--n-steps", "0"]),
    ("dt-zero", "--dt 0", ["--dt", "0"]),
    ("clip-value-nan", "--clip-value nan", ["--clip-value", "nan"]),
    ("clip-value-zero", "--clip-value 0", ["--clip-value", "0"]),
    ("minutes-zero", "--minutes 0", ["--minutes", "0"]),
    ("minutes-negative", "--minutes -1", ["--minutes", "-1"]),
    ("embed-vector", "--embed-dim for a vector series", ["--embed-dim", "3"]),
    ("checkpoint-every-zero", "--checkpoint-every 0", ["--checkpoint-every", "0"]),
    ("batches-zero", "--batches-per-epoch 0", ["--batches-per-epoch", "0"]),
    ("delta-negative", "--delta -1", ["--delta", "-1"]),
    ("param-nan", "--param rho=nan", ["--param", "rho=nan"]),
    ("param-unknown", "--param nope=1", ["--param", "nope=1"]),
    ("data-unknown", "--data unknown name", ["--data", "nosuch"]),
    ("resume-no-out", "--resume without --out", ["--resume"]),
    ("budget-clock-unknown", "--budget-clock gpu", ["--budget-clock", "gpu"]),
    ("lr-decay-epochs-no-final", "--lr-decay-epochs without --lr-final", ["--lr-decay-epochs", "100"]),
    ("lr-decay-epochs-zero", "--lr-decay-epochs 0", ["--lr-decay-epochs", "0", "--lr-final", "1e-6"]),
    ("init-not-shplrnn", "--init gtf2023 for a plrnn", ["--init", "gtf2023"]),
    ("init-unknown", "--init nosuch", ["--init", "nosuch"]),
    ("latent-l2-negative", "--latent-l2 -1", ["--latent-l2", "-1"]),
]

TRAIN_LIMITS: list[tuple[str, str, list[str], str]] = [
    ("hidden-huge", "--hidden 1000000 (too large)", ["--hidden", "1000000"],
     "rnnchaos train --hidden 10**6 allocates the weights unchecked: RuntimeError (allocation failure) traceback "
     "(training/reconstructor.py or models need an upper bound)"),
    ("n-steps-huge", "--n-steps 10**11 (too large)", ["--n-steps", "100000000000"],
     "rnnchaos train --n-steps 10**11 allocates the trajectory unchecked: MemoryError traceback "
     "(data/datasets.py load_source / systems trajectory need an upper bound)"),
]

def _gappy(name: str, gaps: list[tuple[int, int]], T: int = 400, fill: bool = False) -> Callable[[Path], str]:
    """A (T, 3) series with NaN rows at ``gaps`` (all NaN with ``fill``)."""
    def make(tmp: Path) -> str:
        x = np.sin(np.linspace(0, 40, T))[:, None] * np.ones((1, 3)) + 0.1 * np.arange(3)
        for a, b in gaps:
            x[a:b] = np.nan
        if fill:
            x[:] = np.nan
        np.save(tmp / name, x)
        return str(tmp / name)
    return make


def _train_on(make: Callable[[Path], str], *extra: str) -> Callable[[Path], list[str]]:
    return lambda t: _train_args("--data", make(t), *extra)


TRAIN_GAPS: list[tuple[str, str, Callable[[Path], list[str]]]] = [
    ("nan-default", "series with NaN gaps, no --nan (default error)",
     _train_on(_gappy("gaps.npy", [(100, 104), (200, 201), (300, 310)]))),
    ("nan-all", "--nan split on a series that is all NaN", _train_on(_gappy("allnan.npy", [], fill=True), "--nan", "split")),
    ("nan-too-short", "--nan split: gaps leave no trial as long as --seq-len",
     _train_on(_gappy("short.npy", [(15, 16), (30, 31), (45, 46)], T=60), "--nan", "split")),
    ("nan-unknown", "--nan drop", _train_on(_gappy("gaps2.npy", [(100, 104)]), "--nan", "drop")),
]

def _locked_run(tmp: Path) -> list[str]:
    """A run directory whose train.lock another process holds (``flock``); that holder writes PID 4242 into
    the file, so the message is reproducible.  The holder is killed when the tests end (or after 120 s)."""
    import subprocess

    d = tmp / "run"
    d.mkdir()
    code = ("import fcntl, sys, time; f = open(sys.argv[1], 'a+'); fcntl.flock(f, fcntl.LOCK_EX); f.truncate(0); "
            "f.write('4242\\n'); f.flush(); print('locked', flush=True); time.sleep(120)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(d / "train.lock")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    atexit.register(holder.kill)
    return _train_args("--out", str(d))


def _out_is_file(tmp: Path) -> list[str]:
    (tmp / "afile").write_text("x")
    return _train_args("--out", str(tmp / "afile"))


RUN_DIRS: list[tuple[str, str, Callable[[Path], list[str]], str | None]] = [
    ("eval-missing", "run directory missing", _with_run(lambda d: shutil.rmtree(d), lambda d: [*EVALUATE, str(d)]), None),
    ("eval-empty", "empty directory", _with_run(lambda d: [p.unlink() for p in d.iterdir()],
                                                 lambda d: [*EVALUATE, str(d)]), None),
    ("eval-config-binary", "config.json non-UTF-8", _evaluate(_write("config.json", b"\xff\x00garbage")), None),
    ("eval-config-truncated", "config.json truncated", _evaluate(_truncate("config.json", 100)), None),
    ("eval-config-list", "config.json a list", _evaluate(_write("config.json", b"[1, 2]")), None),
    ("eval-config-format", "config.json of another format", _evaluate(_edit_json("config.json",
                                                                                  lambda c: c.update(format="x"))), None),
    ("eval-config-version", "config.json of another version", _evaluate(_edit_json("config.json",
                                                                                    lambda c: c.update(version=99))), None),
    ("eval-config-section", "config.json without a section", _evaluate(_edit_json("config.json",
                                                                                   lambda c: c.pop("model"))), None),
    ("eval-config-std-zero", "standardization std 0", _evaluate(_edit_json(
        "config.json", lambda c: c["standardization"].update(std=[1.0, 0.0, 1.0]))), None),
    ("eval-config-std-length", "standardization of wrong length", _evaluate(_edit_json(
        "config.json", lambda c: c["standardization"].update(std=[1.0]))), None),
    ("eval-config-std-nan", "standardization std NaN", _evaluate(_edit_json(
        "config.json", lambda c: c["standardization"].update(std=[1.0, float("nan"), 1.0]))),
     None),
    ("eval-model-missing", "model.pt missing", _evaluate(_remove("model.pt")), None),
    ("eval-model-code", "model.pt that runs code", _evaluate(_edit_torch(
        "model.pt", lambda m: m["state_dict"].update(A=Payload("open('PWNED_EVAL', 'w')")))), None),
    ("eval-model-truncated", "model.pt truncated", _evaluate(_truncate("model.pt", 500)), None),
    ("eval-model-other", "model.pt of another model", _evaluate(_other_model), None),
    ("eval-model-nan", "model.pt with NaN weights", _evaluate(_edit_torch("model.pt", lambda m: _nan_first(m["state_dict"]))),
     None),
    ("eval-n-steps-zero", "--n-steps 0", _with_run(_noop, lambda d: ["evaluate", str(d), "--n-steps", "0"]), None),
    ("eval-pe-steps-zero", "--pe-steps 0", _evaluate(_noop, "--pe-steps", "0"), None),
    ("eval-exponents-too-many", "--exponents > latent size", _evaluate(_noop, "--exponents", "999"), None),
    ("eval-reortho-word", "--reortho often", _evaluate(_noop, "--reortho", "often"), None),
    ("eval-lyapunov-steps-zero", "--lyapunov-steps 0", _with_run(
        _noop, lambda d: ["evaluate", str(d), "--n-steps", "500", "--lyapunov-steps", "0"]), None),
    ("eval-test-nan", "--test with NaN", _with_run(_series_npy("nan.npy", _NAN3),
                                                   lambda d: [*EVALUATE, str(d), "--test", str(d.parent / "nan.npy")]),
     None),
    ("eval-test-width", "--test of another width", _with_run(
        _series_npy("two.npy", np.random.default_rng(0).normal(size=(100, 2))),
        lambda d: [*EVALUATE, str(d), "--test", str(d.parent / "two.npy")]), None),
    ("eval-report-missing", "`report`: run directory missing", _with_run(
        lambda d: shutil.rmtree(d), lambda d: ["report", str(d)]), None),
    ("eval-report-n-steps-zero", "`report --n-steps 0`", _with_run(_noop, lambda d: ["report", str(d), "--n-steps", "0"]),
     None),
    ("eval-report-out-file", "`report --out` is a file", _with_run(
        lambda d: (d.parent / "afile").write_text("x"), lambda d: ["report", str(d), "--out", str(d.parent / "afile")]),
     None),
    ("resume-missing", "checkpoint.pt missing", _resume(_remove("checkpoint.pt")), None),
    ("resume-code", "checkpoint.pt that runs code", _resume(_edit_torch(
        "checkpoint.pt", lambda s: s.update(optimizer=Payload("open('PWNED_RESUME', 'w')")))), None),
    ("resume-truncated", "checkpoint.pt truncated", _resume(_truncate("checkpoint.pt", 800)), None),
    ("resume-version", "checkpoint.pt of another version", _resume(_edit_torch("checkpoint.pt",
                                                                               lambda s: s.update(version=99))), None),
    ("resume-optimizer", "checkpoint.pt with a foreign optimizer state", _resume(_edit_torch(
        "checkpoint.pt", lambda s: s.update(optimizer={"state": {}, "param_groups": []}))), None),
    ("resume-rng", "checkpoint.pt with a corrupt RNG state", _resume(_edit_torch(
        "checkpoint.pt", lambda s: s.update(numpy_rng="{bad"))), None),
    ("resume-torch-rng", "checkpoint.pt with a wrong-type torch RNG state", _resume(_edit_torch(
        "checkpoint.pt", lambda s: s.update(torch_rng=__import__("torch").zeros(3)))),
     None),
    ("resume-empty-model", "checkpoint.pt with an empty model state", _resume(_edit_torch(
        "checkpoint.pt", lambda s: s.update(model={}))),
     None),
    ("resume-other-settings", "--resume with other options", _with_run(
        _noop, lambda d: _train_args("--hidden", "6", "--out", str(d), "--resume")), None),
    ("resume-config-empty", "config.json emptied", _resume(_write("config.json", b"{}")), None),
    ("resume-metrics-binary", "metrics.jsonl non-UTF-8", _resume(_write("metrics.jsonl", b"\xff\xfe garbage\n")),
     None),
    ("run-locked", "run directory in use by another process (its lock file says PID 4242)", _locked_run, None),
    ("run-out-file", "--out is a file", _out_is_file, None),
    ("resume-shrink", "--resume with fewer --epochs than stored", _with_run(
        _noop, lambda d: _train_args("--epochs", "2", "--out", str(d), "--resume")), None),
    ("resume-budget-added", "--resume adding --minutes to an unbounded run", _with_run(
        _noop, lambda d: _train_args("--minutes", "5", "--out", str(d), "--resume")), None),
    ("resume-config-version", "config.json of a newer version", _resume(_edit_json(
        "config.json", lambda c: c.update(version=2))), None),
    ("existing-run", "--out holding a run, no --resume", _with_run(_noop, lambda d: _train_args("--out", str(d))),
     None),
]


def _train_config(name: str, text: str) -> Callable[[Path], list[str]]:
    """``train --config FILE`` with ``text`` written to ``tmp/name``."""
    def make(tmp: Path) -> list[str]:
        (tmp / name).write_text(text, encoding="utf-8")
        return ["train", "--config", str(tmp / name)]
    return make


TRAIN_CONFIGS: list[tuple[str, str, Callable[[Path], list[str]]]] = [
    ("bad-toml", "unterminated string", _train_config("run.toml", 'data = "lorenz63\nhidden = 3\n')),
    ("unknown-key", "unknown key `hiden`", _train_config("run.toml", 'data = "lorenz63"\nhiden = 3\n')),
    ("wrong-type", "`hidden = \"three\"`", _train_config("run.toml", 'data = "lorenz63"\nhidden = "three"\n')),
    ("fraction-int", "`hidden = 3.5`", _train_config("run.toml", 'data = "lorenz63"\nhidden = 3.5\n')),
    ("bad-choice", "`forcing = \"magic\"`", _train_config("run.toml", 'data = "lorenz63"\nforcing = "magic"\n')),
    ("not-object", "JSON array", _train_config("run.json", "[1, 2]")),
    ("bad-json", "invalid JSON", _train_config("config.json", '{"format": ')),
    ("run-in-memory", "run config.json of in-memory data", _train_config(
        "config.json", json.dumps({"format": "rnnchaos-run", "version": 1, "data": {"kind": "array",
                                                                                  "source": "<array>"}}))),
    ("missing", "missing file", lambda t: ["train", "--config", str(t / "nope.toml")]),
]


def _demo_out_file(tmp: Path) -> list[str]:
    (tmp / "afile").write_text("x")
    return ["demo", "--out", str(tmp / "afile")]


DEMO_OPTIONS: list[tuple[str, str, Callable[[Path], list[str]]]] = [
    ("minutes-zero", "--minutes 0", lambda t: ["demo", "--minutes", "0", "--out", str(t / "demo")]),
    ("trials-small", "--trials 5", lambda t: ["demo", "--trials", "5", "--out", str(t / "demo")]),
    ("out-file", "--out is a file", _demo_out_file),
]



def _metrics(truth: Callable[[Path], str], generated: Callable[[Path], str]) -> Callable[[Path], list[str]]:
    return lambda t: ["metrics", "--truth", truth(t), "--generated", generated(t)]


def _data_argv(make: Callable[[Path], str]) -> Callable[[Path], list[str]]:
    return lambda t: ["lyapunov", "--data", make(t)]


def _fixed_argv(argv: list[str]) -> Callable[[Path], list[str]]:
    return lambda t: list(argv)


def _file_dir(t: Path) -> list[str]:
    (t / "file").write_text("not a directory")
    return ["data", "fetch", "stf:lorenz63", "--dir", str(t / "file")]


#: data sets outside the repository (``rnnchaos data fetch``; a data set not fetched yet); the network
#: faults (checksum mismatch, connection closed mid-body) are tests/test_data_fetch.py, against a local server
DATA_SETS = [
    ("fetch-unknown", "data set (`data fetch`)", "unknown name", {},
     lambda t: ["data", "fetch", "stf:mars", "--dir", str(t / "d")]),
    ("fetch-base-url", "data set (`data fetch`)", "--base-url ftp://example.org (not http)", {},
     lambda t: ["data", "fetch", "stf:lorenz63", "--dir", str(t / "d"), "--base-url", "ftp://example.org"]),
    ("fetch-dir-file", "data set (`data fetch`)", "--dir is a file", {}, _file_dir),
    ("fetch-timeout", "data set (`data fetch`)", "--timeout 0", {},
     lambda t: ["data", "fetch", "stf:lorenz63", "--dir", str(t / "d"), "--timeout", "0"]),
    ("missing", "data set (`train --data NAME`)", "not fetched (RNNCHAOS_DATA_DIR empty)",
     {"RNNCHAOS_DATA_DIR": "{tmp}/empty"}, lambda t: _train_args("--data", "stf:lorenz63")),
    ("missing-stem", "data set (`train --data NAME`)", "older spelling stf_lorenz63, not fetched",
     {"RNNCHAOS_DATA_DIR": "{tmp}/empty"}, lambda t: _train_args("--data", "stf_lorenz63")),
    ("missing-lyapunov", "data set (`lyapunov --data NAME`)", "not fetched (RNNCHAOS_DATA_DIR empty)",
     {"RNNCHAOS_DATA_DIR": "{tmp}/empty"}, lambda t: ["lyapunov", "--data", "gtf:ecg"]),
    ("missing-dir", "data set (`reproduce --data-dir`)", "not in --data-dir", {},
     lambda t: ["reproduce", "stf-tau-sweep", "--dataset", "stf:rossler", "--data-dir", str(t / "none"),
                "--minutes", "0.01"]),
]


#: bad options of ``rnnchaos reproduce scrambling-width`` (the chunked width study)
SCRAMBLING_WIDTH_OPTIONS: list[tuple[str, str, list[str]]] = [
    ("widths-text", "--widths 4,x", ["--widths", "4,x"]),
    ("widths-zero", "--widths 0", ["--widths", "0"]),
    ("widths-huge", "--widths 10**9 (too large)", ["--widths", "1000000000"]),
    ("inits-unknown", "--inits he,bogus", ["--inits", "he,bogus"]),
    ("trials-not-multiple", "--trials 12 --chunk-size 5 (not a multiple)", ["--trials", "12"]),
    ("chunk-zero", "--chunk-size 0", ["--chunk-size", "0"]),
    ("chunks-huge", "--trials 10**13 --chunk-size 5 (too many chunks)", ["--trials", "10000000000000"]),
    ("workers-zero", "--workers 0", ["--workers", "0"]),
]


CASES: list[Case] = [
    *(Case(f"data-{cid}", "data file (`lyapunov --data`)", bad, _data_argv(mk)) for cid, bad, mk in DATA_FILES),
    Case("data-nul-header", "data file (`lyapunov --data`)", "NUL byte in the .npy header (found by fuzzing)",
         _data_argv(_nul_header_npy)),
    Case("metrics-nan", "data file (`metrics --truth`)", "NaN in .npy",
         _metrics(_npy("nan.npy", _NAN), _good_series)),
    Case("metrics-width", "data files (`metrics`)", "different widths",
         _metrics(_good_series, lambda t: _good_series(t, "two.npy", 2))),
    Case("metrics-missing", "data file (`metrics --generated`)", "missing file",
         _metrics(_good_series, lambda t: str(t / "nope.npy"))),
    Case("metrics-preset", "numeric/choice option (`metrics`)", "--preset unknown",
         lambda t: ["metrics", "--truth", _good_series(t), "--generated", _good_series(t), "--preset", "x"]),
    *(Case(f"lyapunov-{cid}", "numeric option (`lyapunov`)", bad, _fixed_argv(["lyapunov", *args]))
      for cid, bad, args in LYAPUNOV_OPTIONS),
    Case("lyapunov-ics-huge", "numeric option (`lyapunov`)", "--ics 100000000000 (too large)",
         lambda t: ["lyapunov", "lorenz63", "--ics", "100000000000"]),
    Case("lyapunov-dysts-unknown", "system name (`lyapunov`)", "dysts:Lorentz (unknown dysts system)",
         _fixed_argv(["lyapunov", "dysts:Lorentz"]), needs="dysts"),
    Case("lyapunov-dysts-missing", "system name (`lyapunov`)", "dysts:Lorenz without the dysts extra",
         _fixed_argv(["lyapunov", "dysts:Lorenz"]), hide=("dysts", "dysts.flows", "dysts.base", "dysts.systems")),
    Case("train-dysts-missing", "system name (`train --data`)", "dysts:Lorenz without the dysts extra",
         lambda t: _train_args("--data", "dysts:Lorenz"), hide=("dysts", "dysts.flows", "dysts.base", "dysts.systems")),
    *(Case(f"periods-{cid}", "weights file (`periods --weights`)", bad, mk) for cid, bad, mk in WEIGHTS_FILES),
    Case("periods-deep", "weights file (`periods --weights`)", "nesting 100,000 deep",
         _weights(raw=b'{"w1": ' + b"[" * 100_000 + b"1" + b"]" * 100_000 + b', "b1": [0], "w2": [1], "b2": 0}')),
    Case("periods-huge-exponent", "weights file (`periods --weights`)", "rational \"1e10000000\" (too large)",
         _weights({"w1": ["1e10000000"], "b1": [0], "w2": [1], "b2": 0}), timeout=6),
    *(Case(f"chaos-probability-{cid}", "numeric option (`chaos-probability`)", bad,
           _fixed_argv(["chaos-probability", "--width", "4", "--trials", "10", *args]))
      for cid, bad, args in CHAOS_OPTIONS),
    *(Case(f"scrambling-width-{cid}", "option (`reproduce scrambling-width`)", bad,
           lambda t, a=args: ["reproduce", "scrambling-width", "--out", str(t / "sw"), "--widths", "4", "--trials",
                              "10", "--chunk-size", "5", "-q", *a])
      for cid, bad, args in SCRAMBLING_WIDTH_OPTIONS),
    Case("scrambling-claims-bases-zero", "option (`reproduce scrambling-claims`)", "--bases 0",
         lambda t: ["reproduce", "scrambling-claims", "--out", str(t / "sc"), "--bases", "0"]),
    Case("chaos-probability-trials-huge", "numeric option (`chaos-probability`)", "--trials 10**13 (too large)",
         _fixed_argv(["chaos-probability", "--width", "4", "--trials", "10000000000000"]),
         timeout=6),
    *(Case(f"checkpoint-{cid}", "checkpoint (`rnn-lyapunov --checkpoint`)", bad, mk) for cid, bad, mk in CHECKPOINTS),
    Case("checkpoint-huge", "checkpoint (`rnn-lyapunov --checkpoint`)", "latent_dim 10**6 in config (too large)",
         _ckpt(lambda c, sd, g, t: {"config": {**c, "latent_dim": 10**6}, "state_dict": sd})),
    *(Case(f"rnn-{cid}", "numeric option (`rnn-lyapunov`, `gradients`)", bad, _fixed_argv(args))
      for cid, bad, args in RNN_OPTIONS),
    Case("rnn-hidden-huge", "numeric option (`rnn-lyapunov`, `gradients`)", "--hidden 1000000 (too large)",
         _fixed_argv(["rnn-lyapunov", "--hidden", "1000000"])),
    *(Case(f"device-cuda-absent-{cid}", f"device ({where})", "--device cuda on a machine without CUDA",
           _fixed_argv(args), no_cuda=True) for cid, where, args in DEVICE_CUDA_ABSENT),
    *(Case(f"train-{cid}", "numeric option (`train`)", bad, _fixed_argv(_train_args(*args)))
      for cid, bad, args in TRAIN_OPTIONS),
    *(Case(f"train-{cid}", "numeric option (`train`)", bad, _fixed_argv(_train_args(*args)))
      for cid, bad, args, _fixed in TRAIN_LIMITS),
    *(Case(f"train-{cid}", "gaps (`train --nan`)", bad, mk) for cid, bad, mk in TRAIN_GAPS),
    *(Case(f"train-config-{cid}", "config file (`train --config`)", bad, mk) for cid, bad, mk in TRAIN_CONFIGS),
    *(Case(cid, "run directory (`evaluate`)" if cid.startswith("eval") else "run directory (`train --out`)"
           if cid.startswith(("run-", "existing-")) else "run directory (`train --resume`)",
           bad, mk, bug=bug) for cid, bad, mk, bug in RUN_DIRS),
    *(Case(f"demo-{cid}", "numeric option (`demo`)", bad, mk) for cid, bad, mk in DEMO_OPTIONS),
    Case("demo-minutes-nan", "numeric option (`demo`)", "--minutes nan",
         lambda t: ["demo", "--minutes", "nan", "--out", str(t / "demo")]),
    *(Case(f"sweep-{cid}", "sweep config (`sweep`)", bad, mk) for cid, bad, mk in SWEEP_CONFIGS),
    *(Case(f"sweep-{cid}", "option (`sweep`)", bad, mk) for cid, bad, mk in SWEEP_OPTIONS),
    *(Case(f"dataset-{cid}", what, bad, mk, env=tuple(env.items())) for cid, what, bad, env, mk in DATA_SETS),
]


#: defects this page found in other modules that their owners have fixed since (their rows now pass)
FIXED: list[tuple[str, str]] = [
    ("data-nul-header", "a NUL byte in a .npy header made numpy raise tokenize.TokenError through load_series "
                        "(traceback); found by tests/test_fuzz_loaders.py"),
    ("lyapunov-ics-huge", "rnnchaos lyapunov --ics 10**11 allocated the initial conditions unchecked (MemoryError)"),
    ("checkpoint-huge", "a checkpoint config with latent_dim = 10**6 allocated the weights before any check "
                        "(RuntimeError)"),
    ("rnn-hidden-huge", "rnnchaos rnn-lyapunov --hidden 10**6 allocated a 10**6 x 10**6 matrix (RuntimeError)"),
    ("train-hidden-huge", "rnnchaos train --hidden 10**6 allocated the weights unchecked (RuntimeError)"),
    ("train-n-steps-huge", "rnnchaos train --n-steps 10**11 allocated the trajectory unchecked (MemoryError)"),
    ("eval-config-std-nan", "a config.json with NaN standardization loaded; evaluate exited 0 with null metrics "
                            "and a misleading 'free run diverged' warning"),
    ("eval-model-nan", "a model.pt with NaN weights made evaluate raise numpy's LinAlgError (traceback)"),
    ("resume-torch-rng", "train --resume did not validate the checkpoint's torch_rng (TypeError traceback)"),
    ("periods-deep", "a weights file nested 100,000 deep raised RecursionError from json.loads (traceback)"),
    ("periods-huge-exponent", "the rational string \"1e10000000\" built a ten-million-digit integer (hang)"),
    ("chaos-probability-trials-huge", "chaos-probability --trials 10**13 hung before any progress"),
    ("demo-minutes-nan", "demo --minutes nan was refused only after ~10 s of work, leaving a partial run directory"),
    ("resume-empty-model", "train --resume on a checkpoint whose state_dict lacked keys raised RuntimeError "
                           "(traceback)"),
]


# --- running a case --------------------------------------------------------------------------------------

def run_subprocess(argv: list[str], timeout: float) -> tuple[int, str, str]:
    """Run the CLI in a subprocess limited to ``timeout`` seconds of CPU time (``RLIMIT_CPU``), so that the
    verdict does not depend on the machine's load; a run over the limit is killed and reported as exit code -1
    with "hang" on stderr.  A wall-clock limit of ``max(120, 20 * timeout)`` s is only a safety net."""
    import resource
    import signal
    import subprocess

    def limit_cpu() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (int(math.ceil(timeout)), int(math.ceil(timeout)) + 1))

    cmd = [sys.executable, "-c", "import sys; from rnnchaos.cli import main; sys.exit(main())", *argv]
    hang = f"hang: no answer within {timeout:g} CPU-seconds (killed)"
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=max(120.0, 20.0 * timeout),
                              env={**os.environ, "OMP_NUM_THREADS": "1"}, preexec_fn=limit_cpu)
    except subprocess.TimeoutExpired:
        return -1, "", hang
    if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return -1, "", hang
    return proc.returncode, proc.stdout, proc.stderr


def run(argv: list[str]) -> tuple[int, str, str]:
    """Run the CLI in-process (as the ``run_cli`` fixture does)."""
    from rnnchaos.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def normalise(message: str, tmp: Path) -> str:
    """Make a message independent of the temporary directory."""
    text = message.strip().replace(str(tmp.resolve()), "<tmp>").replace(str(tmp), "<tmp>")
    return text.removeprefix("rnnchaos: error: ")


def documented() -> dict[str, str]:
    """``{case id: message}`` from the table in docs/reliability.md."""
    if not DOC.exists():
        return {}
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            break  # the case table comes first; later tables are prose
        m = re.match(r"^\| `([\w.-]+)` \|", line)
        if m:
            msg = re.search(r"\| `` (.*) `` \|$", line)
            rows[m.group(1)] = msg.group(1).replace("\\|", "|") if msg else line
    return rows


@pytest.fixture(scope="module")
def doc_rows() -> dict[str, str]:
    return documented()


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.bug)]
                                               if c.bug else []) for c in CASES])
def test_bad_input_gives_one_line_and_exit_2(case: Case, tmp_path: Path, run_cli, doc_rows,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    argv = case.argv(tmp_path)
    for key, value in case.environ(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    if case.no_cuda:
        monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    if case.needs:
        pytest.importorskip(case.needs)
    for name in case.hide:
        monkeypatch.setitem(sys.modules, name, None)
    code, out, err = run_subprocess(argv, case.timeout) if case.timeout else run_cli(*argv)
    assert not list(tmp_path.glob("PWNED*")), "a file ran code while being loaded"
    assert "Traceback" not in err
    assert not (tmp_path / "PWNED").exists(), "a checkpoint ran code while being loaded"
    assert code == 2, (code, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("rnnchaos: error: ")
    assert "Traceback" not in out and "nan" not in out.lower()
    message = normalise(lines[0], tmp_path)
    assert case.id in doc_rows, f"{case.id} is not in docs/reliability.md; run: python tests/test_reliability.py"
    if case.bug:
        return  # a fixed defect: this strict xfail now passes; drop its bug mark and regenerate the page
    assert doc_rows[case.id] == message, "message changed; regenerate docs/reliability.md: python tests/test_reliability.py"


def test_every_documented_row_is_a_case(doc_rows) -> None:
    assert set(doc_rows) == {c.id for c in CASES}


# --- the docs page ---------------------------------------------------------------------------------------

INTRO = """\
# Reliability: bad input, faults and untrusted files

Every row below is a test (`tests/test_reliability.py`): the command is run with the bad value and
must exit with code 2, print nothing on stdout and exactly one line on stderr, and never a
traceback. The error column is the real message, generated by running the cases
(`python tests/test_reliability.py` rewrites this page; `<tmp>` stands for the directory the test
created its files in). A row marked **bug** is a known defect, kept as an `xfail(strict=True)` test
until it is fixed.

Rows for `train` and `evaluate` use a small run (`rnnchaos train --data lorenz63 --n-steps 400
--epochs 4 --hidden 4 --seq-len 20 --batch-size 4 --batches-per-epoch 1 --tau 5 --checkpoint-every 2`,
shown as `...`); the run-directory rows copy one such finished run and damage one file.

The data-file rows go through `rnnchaos.data.io.load_series`, which every command that reads a
series uses (`lyapunov --data`, `metrics`, `train`, `evaluate --test`), so they hold for all of them.
"""


def _abridged(argv: list[str]) -> list[str]:
    """``argv`` without the small-run defaults of ``TRAIN``/``EVALUATE`` (shown as one "...")."""
    defaults = {}
    for base in (TRAIN, EVALUATE):
        if argv[:1] != base[:1]:
            continue
        for i in range(1, len(base) - 1):
            if base[i].startswith("--") and not base[i + 1].startswith("--"):
                defaults[base[i]] = base[i + 1]
    if argv[:1] not in (["train"], ["evaluate"]):
        return argv
    out, i, cut = [argv[0]], 1, False
    while i < len(argv):
        if argv[i] in defaults and i + 1 < len(argv) and argv[i + 1] == defaults[argv[i]]:
            i += 2
            cut = True
            continue
        if argv[i] == "--no-progress":
            i += 1
            continue
        out.append(argv[i])
        i += 1
    return [out[0], "..." if cut else "", *out[1:]] if cut else out


@contextlib.contextmanager
def _without_cuda(active: bool):  # type: ignore[no-untyped-def]
    """Patch ``torch.cuda.is_available`` to False while a ``no_cuda`` case runs (in-process cases only)."""
    if not active:
        yield
        return
    from unittest import mock

    with mock.patch("torch.cuda.is_available", lambda: False):
        yield


@contextlib.contextmanager
def _hidden(names: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """Make the modules ``names`` unimportable while a case runs (as if the extra were not installed)."""
    saved = {name: sys.modules.get(name) for name in names}
    sys.modules.update(dict.fromkeys(names))
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def render() -> str:
    lines = [INTRO, "", "| id | input | bad value | command | error (exit 2, one line on stderr) |",
             "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as d:
        base = Path(d)
        for i, case in enumerate(CASES):
            tmp = base / f"c{i}"
            tmp.mkdir()
            argv = case.argv(tmp)
            env = case.environ(tmp)
            shown = "".join(f"{k}={normalise(v, tmp)} " for k, v in env.items()) + "rnnchaos "
            shown += " ".join(normalise(a, tmp) for a in _abridged(argv))
            cwd = os.getcwd()
            os.chdir(tmp)
            saved = {k: os.environ.get(k) for k in env}
            os.environ.update(env)
            try:
                with _without_cuda(case.no_cuda), _hidden(case.hide):
                    code, out, err = run_subprocess(argv, case.timeout) if case.timeout else run(argv)
                msg_lines = err.strip().splitlines()
                msg = normalise(msg_lines[-1], tmp) if msg_lines else f"(exit {code}, nothing on stderr)"
                if code == -1:
                    msg = msg_lines[-1]
                if code != 2 or len(msg_lines) != 1 or "Traceback" in err:
                    msg = f"(exit {code}, {len(msg_lines)} stderr lines) {msg}"
            except BaseException as exc:  # noqa: BLE001 - a crash is what the bug rows document
                msg = f"uncaught {type(exc).__name__}: {' '.join(str(exc).split())[:150]}"
            finally:
                os.chdir(cwd)
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
            if list(tmp.glob("PWNED*")):
                msg = f"**code ran while loading** {msg}"
            if case.bug:
                msg = f"**bug**: {msg}"
                cell = f"`{case.id}` | {case.input} | {case.bad} | `{shown}` | {msg} ({case.bug})"
                lines.append(f"| {cell} |")
                continue
            if msg.startswith("(exit") or msg.startswith("uncaught"):
                # a case without a bug mark must give its one-line error: refuse to document a failure
                # (under heavy load a slow run once put a "hang" into the page, and CI then failed on it)
                raise SystemExit(f"case {case.id} did not give a one-line error: {msg}; page not written")
            msg = msg.replace("|", "\\|")
            lines.append(f"| `{case.id}` | {case.input} | {case.bad} | `{shown}` | `` {msg} `` |")
    bugs = [c for c in CASES if c.bug]
    lines += ["", "## Known defects (strict xfail tests, routed to the owners of the modules)", ""]
    lines += [f"- `{c.id}`: {c.bug}." for c in bugs]
    lines += ["", "## Defects found by these tests and fixed since (their rows above now pass)", ""]
    lines += [f"- `{cid}`: {text}." for cid, text in FIXED]
    return "\n".join(lines) + "\n" + OUTRO


OUTRO = """
## Fuzzing (hypothesis, at most 50 examples per property, no deadline)

Any input either works or raises `ValueError` with a one-line message, never another exception:

| target | inputs | test |
|---|---|---|
| `rnnchaos.data.io.load_series` | random bytes under every extension; random CSV text (numbers, `nan`, `1e400`, words, mixed separators and newlines); arrays of every dtype and 0-4 dimensions as `.npy`/`.npz`; a valid `.npy` with flipped bytes and cut at any length; truncated `.npz` archives | `tests/test_fuzz_loaders.py` |
| weights files of `rnnchaos periods` (`Network1D.from_dict` / `from_json`) | random JSON documents (numbers, rationals as strings, booleans, null, nesting); random bytes; a valid file with random edits | `tests/test_fuzz_maps1d.py` |
| sweep configs (`rnnchaos.sweep.parse_config`) | random documents (every TOML type, dates, NaN, nesting); random text; a valid file with random edits; valid configs also expand into distinct trial ids | `tests/test_fuzz_sweep.py` |
| the sweep journal `trials.jsonl` (`rnnchaos.sweep.journal.Journal`) | valid records followed by random junk lines and a record torn at any byte: every intact record is kept, the file is rewritten to valid lines only, and appending works | `tests/test_fuzz_sweep.py` |
| exact map algebra (`PiecewiseLinear`) | random rational maps: composition is associative and equals pointwise evaluation, `iterate(n)` equals `n` evaluations, sums, scaling and the identity; the constructor on arbitrary numbers (NaN, inf, unsorted) | `tests/test_fuzz_maps1d.py` |

## Untrusted checkpoints

Checkpoints are read with `torch.load(..., weights_only=True)` and their config is checked by the
model's constructor. `tests/test_reliability_checkpoints.py` crafts files whose unpickling would run
code (an object with a `__reduce__` that writes a marker file) hidden in the state_dict, in the
config, at the top level, and as a legacy (non-zip) pickle stream; it first shows the payload works
with an unsafe `torch.load(weights_only=False)`, then that every loader refuses each file with a
`ValueError` and the marker never appears, and that `rnnchaos rnn-lyapunov --checkpoint` exits 2 with
one line. The table above lists the other-model and other-format cases.

## Faults

`tests/test_reliability_faults.py`: a full disk (`OSError(ENOSPC)` raised by a monkeypatched write,
at the start of a sweep, while journaling, or while writing the final tables) and a read-only output
directory (`EROFS` from file creation; permissions when not run as root) each give exit code 2 and
one line on stderr; the previous `results.csv`, `results.json` and checkpoint are byte-for-byte
unchanged, no temporary file is left behind, and the sweep resumes afterwards without rerunning
journaled trials. `tests/test_sweep.py` kills a running sweep with `SIGKILL` and checks that the
restarted sweep skips exactly the journaled trials and ends with the same table; a worker process
that dies fails only its own trial.

**Sweeps under faults.** `tests/test_sweep_faults.py`: a worker process SIGKILLed by another process
in the middle of a trial (local process pool, and Ray where it is installed) is retried, and the final
`results.csv` is byte for byte that of an undisturbed sweep. The journal appends each record with one
`os.write` loop on an `O_APPEND` descriptor and an `fsync`; a write that fails half-way (a
monkeypatched `os.write` that writes half a record, then raises `ENOSPC`) is truncated back, so the
journal is byte for byte what it was, and the sweep stops with exit 2 and one line ("cannot append to
the journal ...: No space left on device; it keeps every record written before ..."); run again with
space, it runs only the missing trial and ends with the table of a fresh sweep. Where `unshare -rm`
is allowed, the same is checked on a real 1 MiB tmpfs filled to one free page. `tests/test_reliability_checkpoints.py` fills the disk while a
training writes its epoch-4 checkpoint: exit 2, one line, the epoch-2 checkpoint intact, and
`--resume` then ends with exactly the uninterrupted result. `tests/test_reliability_faults.py`
trains with `--lr 1e10`: the run stops with exit code 1 and one line ("training diverged at epoch
..."), and keeps finite last-good `checkpoint.pt`, `model.pt` and logged losses.

**Concurrent and changed runs.** `tests/test_run_safety.py`: two `rnnchaos train --out SAME` at once:
the one that holds `DIR/train.lock` (an `fcntl.flock`, with its PID written in the file) runs to the end,
the other exits 2 with one line naming that PID; a holder killed with `SIGKILL` frees the directory at
once. `--resume` compares every setting with the stored ones and lists each difference in one line;
only `--epochs` and `--minutes` may grow, and a run grown from 4 to 6 epochs ends bit for bit as a
straight 6-epoch run. A `config.json` written before the newer options (`width`, the GTF α options,
`noise`, `lr_end`, `nan`) opens and resumes with their defaults; one of another format version is
refused naming the version.

**Gaps.** `tests/test_gaps.py`: `train --nan split` on a series with three NaN gaps trains on the
kept pieces only (the trainer receives exactly them; a piece shorter than `--seq-len` is dropped and
counted), and a hypothesis property checks that no sampled training window crosses a gap.

**Large data.** A `.npy` of 64 MiB or more (C-ordered float32/float64) is memory-mapped
(`rnnchaos.data.mapped`): NaN/inf check, mean and sd block by block, each training batch standardised
from the rows it draws, mapped pages released after each block; `tests/test_large_data.py` checks the
same messages, statistics, batches and command outputs as the in-memory path, and that training never
builds the whole standardised series. `benchmarks/bench_memory.py` measures the peak resident memory of
`rnnchaos train --epochs 2` and `rnnchaos evaluate` on a 10^6 x 64 float32 `.npy` (244 MiB). Measured
(2 shared cores; `benchmarks/results/bench_memory.txt`): train peaks at 637 MiB, **2.61x** the file (a
bare process is 444 MiB), in 611 s; evaluate at 542 MiB, **2.22x** (before: 15x and 4.8x). Most of
train's time and its remaining data cost is the λ_max estimate on the first 10^5 samples (`n_samples` of
`n_samples_total` in the summary and in `tau_rule`); its neighbour queries and the autocorrelation FFT
now work in bounded blocks. That estimate now runs only when used: for `--tau auto`, or on the first
2·10^4 samples when an integer `--tau` leaves only the `--lyap-every` logging to need it, and not at all
with `--tau N --lyap-every 0` (not re-measured here). Estimators that subsample say how many samples they used:
`lambda_max_data_n_samples` (train), `d_stsp_n_samples` and `lambda_max_data_n_samples` (evaluate),
`n_samples`/`n_references` (`lambda_max_from_series`). `--nan split` and several trials still copy the
pieces.

**SIGKILL during training.** `benchmarks/bench_sigkill_resume.py` kills a 1,500-epoch training
(`rnnchaos train --data lorenz63 --n-steps 3000 --hidden 8 ...`, checkpoint every 25 epochs) with
`SIGKILL` at 20 random moments (one during start-up, 19 at uniform times during training) and then
runs the same command with `--resume`. Measured (run of this page's commit, 2 cores shared with
other jobs): **20/20** resumed runs ended identical to the uninterrupted reference (final loss,
every tensor of `model.pt` and every logged loss, bit for bit), and no file in any killed run
directory was unreadable.
"""


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    text = render()
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC} ({len(CASES)} cases)", file=sys.stderr)
    json.dumps({})  # keep json imported for case makers
