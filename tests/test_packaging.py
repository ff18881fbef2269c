"""Packaging: LICENSE, one version, CHANGELOG, CITATION.cff, and the NumPy parts without the torch extra.

Without torch and numba (hidden by an import hook in a subprocess) ``import rnnchaos`` and the NumPy
features work and load neither; a torch feature fails with one line naming ``pip install 'rnnchaos[torch]'``.
The built wheel in a fresh venv without torch, outside the repository: ``test_wheel_in_fresh_venv_without_torch``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import rnnchaos

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
EXTRA_HINT = "pip install 'rnnchaos[torch]'"

# An import hook that makes torch and numba look uninstalled (what `pip install rnnchaos` gives).
HIDE = r"""
import importlib.abc, sys
class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "numba"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _Hide())
"""


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_license_file_is_the_declared_mit_licence() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 the rnnchaos developers" in text
    assert "THE SOFTWARE IS PROVIDED \"AS IS\"" in text
    assert _pyproject()["project"]["license"] == "MIT"


def test_version_is_defined_once() -> None:
    project = _pyproject()
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "rnnchaos.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", rnnchaos.__version__)
    # the changelog and the citation follow it
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog and f"## [{rnnchaos.__version__}]" in changelog
    assert changelog.index("## [Unreleased]") < changelog.index(f"## [{rnnchaos.__version__}]")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert str(cff["version"]) == rnnchaos.__version__


def test_citation_cff_cites_the_software_and_both_papers() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):  # the keys CFF 1.2.0 requires
        assert cff[key]
    assert cff["license"] == "MIT"
    titles = {r["title"]: r for r in cff["references"]}
    assert set(titles) == {"On Scrambling Phenomena for Randomly Initialized Recurrent Networks",
                           "On the difficulty of learning chaotic dynamics with RNNs"}
    for ref in titles.values():
        assert ref["type"] == "conference-paper" and ref["year"] == 2022 and "NeurIPS 2022" in ref["collection-title"]
        assert all(a["family-names"] and a["given-names"] for a in ref["authors"])
    families = {a["family-names"] for r in titles.values() for a in r["authors"]}
    assert {"Chatziafratis", "Stavroulakis", "Mikhaeil", "Durstewitz"} <= families


def test_torch_and_numba_are_an_extra() -> None:
    project = _pyproject()["project"]
    names = {re.split(r"[<>=!~ ;\[]", d)[0].lower() for d in project["dependencies"]}
    assert not names & {"torch", "numba"}
    assert "torch>=2.2" in project["optional-dependencies"]["torch"]
    assert any(d.startswith("numba") for d in project["optional-dependencies"]["torch"])


NUMPY_PARTS = r"""
import json, sys
import numpy as np
import rnnchaos as rc
from rnnchaos.maps1d.init import InitSpec
from rnnchaos.maps1d import fast

out = {"numba_kernel": fast.NUMBA}
lor = rc.get_system("lorenz63")
res = rc.lyapunov_spectrum(lor.as_map(0.01), lor.default_initial_conditions(32, seed=4), 10000, transient=2000,
                           seed=4)
out["lorenz"] = [float(v) for v in res.exponents]
x = rc.get_system("henon").trajectory(5000, seed=0)[:, 0]
out["henon_lambda_max"] = rc.lambda_max_from_series(x).lambda_max
cp = rc.chaos_probability(InitSpec(width=8, init="he", output_gain=2.0), trials=300, seed=3)
out["n_period3"] = cp.n_period3
tent = rc.Network1D.from_dict({"w1": [1, 1], "b1": [0, "-1/2"], "w2": [2, -4], "b2": 0})
out["periodic"] = rc.periodic_points(tent.to_piecewise(), 3).exists
np.save("series.npy", x[:, None])
y = rc.load_series("series.npy")
out["loaded"] = list(y.shape)
out["d_stsp_self"] = rc.state_space_divergence(np.c_[x, np.roll(x, 1)], np.c_[x, np.roll(x, 1)])
errors = {}
for name in ("Reconstructor", "build_model", "model_lyapunov_spectrum", "gradient_growth"):
    try:
        getattr(rc, name)
    except ModuleNotFoundError as exc:
        errors[name] = str(exc)
try:
    import rnnchaos.models  # noqa: F401
except ModuleNotFoundError as exc:
    errors["rnnchaos.models"] = str(exc)
out["errors"] = errors
from rnnchaos.cli import main
out["train_rc"] = main(["train", "--data", "lorenz63", "--epochs", "1", "--out", "run"])
out["loaded_modules"] = sorted(m for m in ("torch", "numba") if m in sys.modules)
print(json.dumps(out))
"""


@pytest.mark.slow
def test_numpy_parts_work_without_torch_and_numba(tmp_path: Path) -> None:
    from rnnchaos.maps1d.init import InitSpec
    from rnnchaos.maps1d.montecarlo import chaos_probability

    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", HIDE + NUMPY_PARTS], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["loaded_modules"] == [] and out["numba_kernel"] is False
    lam = out["lorenz"]
    assert abs(lam[0] / 0.9056 - 1) < 0.01 and abs(lam[1]) < 0.01 and abs(lam[2] / -14.5723 - 1) < 0.01
    assert out["henon_lambda_max"] == pytest.approx(0.41922, rel=0.05)
    # the pure-Python 1-D map kernel counts exactly what the numba kernel counts
    assert out["n_period3"] == chaos_probability(InitSpec(width=8, init="he", output_gain=2.0), trials=300,
                                                 seed=3).n_period3
    assert out["periodic"] is True  # the tent-like map 2 relu(x) - 4 relu(x - 1/2) has period 3
    assert out["loaded"] == [5000, 1] and out["d_stsp_self"] == pytest.approx(0.0, abs=1e-12)
    # torch features: one line naming the extra
    assert set(out["errors"]) == {"Reconstructor", "build_model", "model_lyapunov_spectrum", "gradient_growth",
                                  "rnnchaos.models"}
    for message in out["errors"].values():
        assert "\n" not in message and message.endswith(EXTRA_HINT) and "PyTorch" in message
    assert out["train_rc"] == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        f"rnnchaos: error: 'rnnchaos train' needs PyTorch, which is not installed: {EXTRA_HINT}")


RUNTIME = ("numpy", "scipy", "matplotlib", "click", "tqdm", "threadpoolctl", "pydantic")


@pytest.mark.slow
def test_wheel_in_fresh_venv_without_torch(tmp_path: Path) -> None:
    """``python -m build --wheel``, a fresh venv with the runtime dependencies (pinned by
    requirements/ci.txt, from the package index) but no torch, the wheel installed with ``--no-deps``;
    outside the repository ``rnnchaos lyapunov lorenz63 --json`` gives Lorenz's exponents and a torch
    command names the extra. About 45 s (pip's cache warm); skipped when the package index is not reachable."""
    pytest.importorskip("build")
    import shutil

    src = tmp_path / "src_copy"  # build from a copy: the checkout gets no build/ or egg-info
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(SRC, src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")

    def run(*cmd: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=600, check=False)
        assert not check or proc.returncode == 0, f"{cmd}: {proc.stderr[-3000:]}"
        return proc

    built = run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp_path / "dist", src,
                check=False)
    if built.returncode != 0 and "Missing dependencies" in built.stderr + built.stdout:  # setuptools < 77 here
        run(sys.executable, "-m", "build", "--wheel", "--outdir", tmp_path / "dist", src)  # isolated build
    else:
        assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("rnnchaos-*.whl")
    assert wheel.name == f"rnnchaos-{rnnchaos.__version__}-py3-none-any.whl"
    run(sys.executable, "-m", "venv", tmp_path / "venv")
    bin_dir = tmp_path / "venv" / "bin"
    deps = run(bin_dir / "pip", "install", "--quiet", "-c", ROOT / "requirements" / "ci.txt", *RUNTIME, check=False)
    if deps.returncode != 0:
        pytest.skip(f"the package index is not reachable: {deps.stderr.strip().splitlines()[-1:]}")
    run(bin_dir / "pip", "install", "--quiet", "--no-deps", wheel)
    assert run(bin_dir / "python", "-c", "import torch", check=False).returncode != 0  # no torch here

    assert run(bin_dir / "rnnchaos", "--version").stdout.split()[-1] == rnnchaos.__version__
    out = json.loads(run(bin_dir / "rnnchaos", "lyapunov", "lorenz63", "--json").stdout)
    lam = out["exponents"]
    assert abs(lam[0] / 0.9056 - 1) < 0.01 and abs(lam[2] / -14.5723 - 1) < 0.01
    where = run(bin_dir / "python", "-c", "import rnnchaos; print(rnnchaos.__file__)").stdout.strip()
    assert Path(where).is_relative_to(tmp_path / "venv")  # the installed wheel, not the checkout
    # a data file written and loaded by the installed package, and lambda_max from it (Henon x: 0.41922 per step)
    run(bin_dir / "python", "-c", "import numpy as np, rnnchaos as rc; x = rc.get_system('henon').trajectory(5000); "
        "np.save('henon.npy', x[:, :1]); assert rc.load_series('henon.npy').shape == (5000, 1)")
    lam_data = json.loads(run(bin_dir / "rnnchaos", "lyapunov", "--data", "henon.npy", "--json").stdout)
    assert lam_data["lambda_max"] == pytest.approx(0.41922, rel=0.05) and lam_data["n_samples"] == 5000
    proc = run(bin_dir / "rnnchaos", "train", "--data", "lorenz63", "--epochs", "1", "--out", "run", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"rnnchaos: error: 'rnnchaos train' needs PyTorch, which is not installed: {EXTRA_HINT}"]
