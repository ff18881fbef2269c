"""Importing rnnchaos leaves matplotlib's global state alone (notebooks keep their inline backend and style).

A subprocess starts with a backend that is not Agg (``MPLBACKEND=template``), records
``matplotlib.get_backend()`` and ``dict(matplotlib.rcParams)``, imports every module of the package
(``pkgutil.walk_packages``), draws a report figure, and records them again. The check is first shown to
catch a planted ``matplotlib.use("Agg")`` and a planted ``rcParams`` change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
OPTIONAL = {"ray", "tensorboard", "torch.utils.tensorboard", "dysts", "sklearn"}  # extras a module may need

SCRIPT = r"""
import importlib, json, pkgutil, sys
import matplotlib

def state():
    return matplotlib.get_backend(), {k: repr(v) for k, v in dict(matplotlib.rcParams).items()}

before = state()
import rnnchaos
imported, skipped = [], []
for info in pkgutil.walk_packages(rnnchaos.__path__, "rnnchaos."):
    try:
        importlib.import_module(info.name)
        imported.append(info.name)
    except ModuleNotFoundError as exc:
        if exc.name.split(".")[0] not in OPTIONAL and exc.name not in OPTIONAL:
            raise
        skipped.append(info.name)
from rnnchaos.report.figures import plot_prediction_error
fig = plot_prediction_error([1.0, 2.0, 4.0], baseline=[2.0, 2.0, 2.0])
fig.canvas.draw() if hasattr(fig.canvas, "draw") else None
label_size = fig.axes[0].xaxis.label.get_fontsize()
tick_size = fig.axes[0].xaxis.get_major_ticks()[0].label1.get_fontsize()
exec(sys.argv[1])
after = state()
changed = sorted(k for k in after[1] if after[1][k] != before[1].get(k))
print(json.dumps({"before": before[0], "after": after[0], "changed": changed, "imported": imported,
                  "skipped": skipped, "label_size": label_size, "tick_size": tick_size,
                  "figure_type": type(fig).__module__ + "." + type(fig).__name__}))
"""


def _run(planted: str = "") -> dict:
    env = {**os.environ, "MPLBACKEND": "template", "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", f"OPTIONAL = {OPTIONAL!r}\n" + SCRIPT, planted],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_importing_every_module_keeps_backend_and_rcparams() -> None:
    planted = _run('matplotlib.use("Agg"); matplotlib.rcParams["font.size"] = 13')
    assert planted["after"].lower() == "agg" and planted["before"].lower() == "template"
    assert "font.size" in planted["changed"]  # the check sees a change when there is one

    res = _run()
    assert res["before"].lower() == "template"
    assert res["after"] == res["before"]
    assert res["changed"] == []
    # every module was imported (only those needing an optional extra may be skipped)
    assert "rnnchaos.report.figures" in res["imported"] and "rnnchaos.reproductions.demo" in res["imported"]
    assert "rnnchaos.dynamics.lambda_max_data" in res["imported"]
    assert len(res["imported"]) > 50
    # the figure is a plain Figure drawn in the report style (11 pt labels, 11 pt medium tick labels),
    # although the global font size stayed matplotlib's default 10
    assert res["figure_type"] == "matplotlib.figure.Figure"
    assert res["label_size"] == 11.0 and res["tick_size"] == 11.0


def _report_figures() -> list[str]:
    """The ``plot_*`` functions that report/markdown.py draws, read from its source (so a figure added to the
    report is checked here too)."""
    import ast

    import rnnchaos.report.markdown as md

    tree = ast.parse(Path(md.__file__).read_text())
    return sorted(a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                  and n.module == "rnnchaos.report.figures" for a in n.names if a.name.startswith("plot_"))


def test_report_figure_functions_return_styled_figures_saved_separately(tmp_path: Path) -> None:
    import matplotlib
    from matplotlib.figure import Figure

    import rnnchaos.report.figures as figs
    from rnnchaos.systems import get_system

    x = get_system("lorenz63").trajectory(2000, seed=0)
    y = x + 0.1 * np.random.default_rng(0).standard_normal(x.shape)
    history = [{"epoch": e, "loss": 1.0 / (e + 1), "tau": 10, "lambda_max_model": 0.01,
                "lambda_max_data": 0.009} for e in range(5)]
    inputs: dict[str, tuple[tuple, dict]] = {  # arguments of plot_<name>
        "attractors": ((x, y), {}),
        "time_series": ((x, y), {"mark": 70.0}),
        "power_spectra": ((x, y), {}),
        "prediction_error": (([0.1, 0.2, 0.4],), {"baseline": [0.3, 0.3, 0.3]}),
        "lyapunov": (([0.01, 0.0, -0.15], 0.009), {}),
        "training": ((history,), {}),
    }
    drawn = _report_figures()
    assert len(drawn) >= 6 and sorted("plot_" + k for k in inputs) == drawn  # every report figure has inputs
    before = {k: repr(v) for k, v in matplotlib.rcParams.items()}
    figures = {k: getattr(figs, "plot_" + k)(*args, **kw) for k, (args, kw) in inputs.items()}
    assert {k: repr(v) for k, v in matplotlib.rcParams.items()} == before
    for name, fig in figures.items():
        assert type(fig) is Figure, name
        ax = fig.axes[0]
        assert ax.title.get_fontsize() in (figs.STYLE["axes.titlesize"], 10.0)  # 10: titles given a size explicitly
        label = ax.xaxis.label.get_fontsize()
        assert label == figs.STYLE["axes.labelsize"], name
        path = figs.save_figure(fig, tmp_path / f"{name}.png")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.stem for p in tmp_path.glob("*.png")) == sorted(figures)
