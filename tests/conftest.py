"""Shared fixtures. BLAS and torch threads are pinned so timings and results are reproducible."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data (real and reference datasets); tests that need it skip when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture(scope="module")
def ray_local():
    """One local Ray instance (2 CPUs) per test module that asks for it; run_sweep reuses an initialised Ray."""
    ray = pytest.importorskip("ray")
    import logging
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    yield ray
    ray.shutdown()


@pytest.fixture
def run_cli():
    """Run the CLI in-process: returns (exit_code, stdout, stderr)."""
    import contextlib
    import io

    from rnnchaos.cli import main

    def _run(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
        return code, out.getvalue(), err.getvalue()

    return _run


@pytest.fixture
def interrupt_training_at(monkeypatch):
    """``interrupt_training_at(fit, epoch)``: runs ``fit()`` with the trainer raising KeyboardInterrupt when it
    logs ``epoch`` (a kill mid-run; the checkpoints written before it stay), expects the interrupt, and restores
    the trainer."""
    from rnnchaos.training.trainer import Trainer

    def _run(fit, epoch: int) -> None:
        original = Trainer._log

        def dying_log(self, entry):
            if entry["epoch"] == epoch:
                raise KeyboardInterrupt
            original(self, entry)

        monkeypatch.setattr(Trainer, "_log", dying_log)
        with pytest.raises(KeyboardInterrupt):
            fit()
        monkeypatch.setattr(Trainer, "_log", original)

    return _run
