"""Any device (issue 13, item 5): the torch Lyapunov engine, ``--device cpu|cuda|auto``, and runs trained on
CUDA opened on a machine without one. The CUDA tests run where CUDA exists and are skipped elsewhere."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnchaos.dynamics.gradient_growth import gradient_growth
from rnnchaos.dynamics.lyapunov_spectrum import lyapunov_spectrum
from rnnchaos.dynamics.lyapunov_spectrum_torch import lyapunov_spectrum_torch
from rnnchaos.models import build_model
from rnnchaos.models.spectrum import initial_conditions, model_lyapunov_spectrum

F64 = torch.float64
HAS_CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA device")
no_cuda = pytest.mark.skipif(HAS_CUDA, reason="checks the behaviour of a machine without CUDA")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _models() -> list[tuple[str, torch.nn.Module]]:
    from rnnchaos.models import wrap_model

    gen_state = torch.get_rng_state()
    torch.manual_seed(5)  # only to create the user's module; restored below
    module = torch.nn.RNN(2, 6, bias=False).to(F64)
    torch.set_rng_state(gen_state)
    with torch.no_grad():
        module.weight_hh_l0.mul_(3.0)
    return [("rnn", build_model("rnn", 3, 16, gain=2.5, seed=1, dtype=F64)),
            ("lstm", build_model("lstm", 3, 32, gain=8.0, init="normal", seed=0, dtype=F64)),
            ("gru", build_model("gru", 3, 8, gain=4.0, seed=0, dtype=F64)),
            ("plrnn", build_model("plrnn", 3, 6, seed=0, dtype=F64)),
            ("torch_rnn-nobias", wrap_model(module))]


def _same_spectrum(a, b, rel: float) -> None:
    np.testing.assert_allclose(a.exponents, b.exponents, rtol=rel, atol=rel)
    np.testing.assert_allclose(a.per_initial_condition, b.per_initial_condition, rtol=rel, atol=rel)
    np.testing.assert_allclose(a.running, b.running, rtol=rel, atol=rel)
    assert a.running_steps.tolist() == b.running_steps.tolist()
    assert a.reortho_every == b.reortho_every and a.units == b.units


@pytest.mark.parametrize(("every", "k"), [(1, None), (8, 4)])
def test_torch_engine_equals_numpy_engine_on_cpu_float64(every, k):
    # a chaotic tanh RNN (λ_max ≈ 0.1); the same ICs and initial frame (NumPy, from the seed): the two engines
    # do the same arithmetic in float64 and differ only by the rounding of the two QR implementations. (With
    # a QR every 8 steps only the leading exponents are well conditioned: the frame's smallest directions
    # lose digits in both engines alike, so those are compared for k = 4.)
    model = build_model("rnn", 3, 16, gain=2.5, seed=1, dtype=F64)
    z0 = initial_conditions(model, 3, seed=4)
    ref = lyapunov_spectrum(model.as_map(), z0, 3000, k=k, transient=200, reortho_every=every, seed=7)
    got = lyapunov_spectrum_torch(model.as_torch_map(device="cpu"), z0, 3000, k=k, transient=200,
                                  reortho_every=every, seed=7)
    assert ref.lambda_max > 0.05
    _same_spectrum(got, ref, 1e-9)
    np.testing.assert_allclose(got.stderr, ref.stderr, rtol=1e-7, atol=1e-12)


def test_torch_engine_drops_escaping_orbits_like_the_numpy_engine():
    # z' = 2 z (a linear map of rate ln 2): an initial condition of inf escapes at once, the rest is exact
    class Doubling:
        dim, dt = 2, None

        def step(self, z):
            return 2.0 * z

        def tangent_step(self, z, q):
            return 2.0 * z, 2.0 * q

    z0 = np.array([[1e-300, 0.0], [np.inf, 0.0], [-1e-300, 1e-300]])
    with pytest.raises(ValueError, match="finite"):
        lyapunov_spectrum_torch(Doubling(), z0, 10, transient=0, seed=0)
    got = lyapunov_spectrum_torch(Doubling(), z0[[0, 2]], 50, transient=0, seed=0)
    np.testing.assert_allclose(got.exponents, [np.log(2)] * 2, rtol=1e-12)


def test_model_spectrum_device_cpu_and_auto_without_cuda_use_the_numpy_engine():
    model = build_model("rnn", 3, 16, gain=2.5, seed=1, dtype=F64)
    ref = model_lyapunov_spectrum(model, 500, k=3, n_initial_conditions=2, transient=100, seed=0)
    cpu = model_lyapunov_spectrum(model, 500, k=3, n_initial_conditions=2, transient=100, seed=0, device="cpu")
    np.testing.assert_array_equal(cpu.exponents, ref.exponents)
    if not HAS_CUDA:
        auto = model_lyapunov_spectrum(model, 500, k=3, n_initial_conditions=2, transient=100, seed=0, device="auto")
        np.testing.assert_array_equal(auto.exponents, ref.exponents)
    with pytest.raises(ValueError, match="device must be one of"):
        model_lyapunov_spectrum(model, 10, device="tpu")


@no_cuda
def test_cuda_without_cuda_is_one_line_exit_2(run_cli, tmp_path: Path):
    with pytest.raises(ValueError, match="no CUDA device is available"):
        model_lyapunov_spectrum(build_model("rnn", 3, 4, seed=0, dtype=F64), 10, device="cuda")
    for argv in (["rnn-lyapunov", "--hidden", "4", "--steps", "10"], ["gradients", "--hidden", "4", "--steps", "10"],
                 ["evaluate", str(tmp_path)], ["report", str(tmp_path)]):
        code, out, err = run_cli(*argv, "--device", "cuda")
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and "no CUDA device is available" in err, err


def _tiny_run(tmp_path: Path) -> tuple[Path, np.ndarray]:
    from rnnchaos.data.datasets import DataSpec
    from rnnchaos.systems.flows import Lorenz63
    from rnnchaos.training.reconstructor import Reconstructor

    torch.set_num_threads(1)
    x = Lorenz63().trajectory(1500, dt=0.01, seed=1)
    data = tmp_path / "lorenz.npy"
    np.save(data, x)
    run = tmp_path / "run"
    Reconstructor(model="plrnn", hidden=6, tau=20, epochs=5, out=run, seed=0, select_every=0,
                  lyap_every=0).fit(x, data_spec=DataSpec(kind="file", source=str(data)))
    return run, x


def test_run_whose_config_says_cuda_evaluates_and_reports_on_this_machine(run_cli, tmp_path: Path):
    run, _ = _tiny_run(tmp_path)
    args = ("--n-steps", "1000", "--lyapunov-steps", "200", "--pe-steps", "5", "--json")
    code, out, err = run_cli("evaluate", str(run), *args)
    assert code == 0, err
    before = json.loads(out)
    cfg_path = run / "config.json"
    cfg = json.loads(cfg_path.read_text())
    assert cfg["training"]["device"] == "cpu" and cfg["estimator"]["device"] == "cpu"
    cfg["training"]["device"] = cfg["estimator"]["device"] = "cuda"  # as a run trained on a GPU stores it
    cfg_path.write_text(json.dumps(cfg))

    from rnnchaos.training.reconstructor import Reconstructor

    rec = Reconstructor.load(run)
    assert next(rec.model_.parameters()).device.type == "cpu"
    code, out, err = run_cli("evaluate", str(run), *args)
    assert code == 0, err
    after = json.loads(out)
    # the same model and data: the same numbers, whatever device the config names
    for key in ("d_stsp", "d_h", "pe", "lambda_max_model", "lambda_max_data"):
        assert after[key] == before[key], key
    if not HAS_CUDA:
        info = [line for line in err.splitlines() if line]
        assert len(info) == 1 and info[0].startswith("rnnchaos: info:") and "opened on the CPU" in info[0]
    code, out, err = run_cli("report", str(run), "--n-steps", "1000", "--lyapunov-steps", "200", "--json")
    assert code == 0, err
    report = Path(json.loads(out)["report"])
    assert report.is_file() and (report.parent / "lyapunov.png").is_file()
    assert "lambda_max model (per step)" in report.read_text()
    assert json.loads(cfg_path.read_text())["training"]["device"] == "cuda"  # the file is left as it was


# ---------------------------------------------------------------------- CUDA (skipped without a GPU)
@needs_cuda
@pytest.mark.parametrize("name", ["rnn", "lstm", "gru", "plrnn", "torch_rnn-nobias"])
def test_cuda_engine_equals_numpy_engine(name):
    model = dict(_models())[name]
    z0 = initial_conditions(model, 3, seed=2)
    ref = lyapunov_spectrum(model.as_map(), z0, 2000, transient=200, seed=3)
    got = lyapunov_spectrum_torch(model.as_torch_map(device="cuda"), z0, 2000, transient=200, seed=3)
    assert got.lambda_max == pytest.approx(ref.lambda_max, rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(got.exponents, ref.exponents, rtol=1e-6, atol=1e-8)


@needs_cuda
@pytest.mark.parametrize("name", ["rnn", "lstm", "gru", "plrnn", "torch_rnn-nobias"])
def test_cuda_models_step_jacobian_and_numpy_adapter(name):
    # a model on CUDA: step/jacobian/tangent stay on the device (the GRU's identity, a bias-free wrapped
    # module's zero bias); its NumPy adapter (ModelMap) is a CPU copy giving the same numbers
    model = dict(_models())[name]
    gpu = model.to("cuda")
    z = torch.as_tensor(initial_conditions(model, 2, seed=0), dtype=F64, device="cuda")
    q = torch.eye(gpu.latent_dim, dtype=F64, device="cuda").expand(2, -1, -1)
    with torch.no_grad():
        j = gpu.jacobian(z)
        f, jq = gpu.tangent(z, q)
    assert j.device.type == "cuda" and jq.device.type == "cuda"
    torch.testing.assert_close(jq, j)
    fmap = gpu.as_map()
    np.testing.assert_allclose(fmap.jacobian(z.cpu().numpy()), j.cpu().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fmap.step(z.cpu().numpy()), f.cpu().numpy(), rtol=1e-10, atol=1e-12)


@needs_cuda
def test_cuda_gradient_growth_equals_cpu():
    model = build_model("rnn", 3, 32, gain=3.0, seed=2, dtype=F64)
    z0 = initial_conditions(model, 2, seed=0)
    cpu = gradient_growth(model, z0, 100, n_windows=4, seed=0)
    gpu = gradient_growth(model, z0, 100, n_windows=4, seed=0, device="cuda")
    assert gpu.jacobian_growth_rate == pytest.approx(cpu.jacobian_growth_rate, rel=1e-6)
    assert gpu.gradient_growth_rate == pytest.approx(cpu.gradient_growth_rate, rel=1e-6)


@needs_cuda
def test_cuda_cli_commands_agree_with_cpu(run_cli, tmp_path: Path):
    base = ("--arch", "rnn", "--hidden", "16", "--gain", "2.5", "--seed", "1", "--ics", "2", "--json")
    outs = {}
    for dev in ("cpu", "cuda", "auto"):
        code, out, err = run_cli("rnn-lyapunov", *base, "--steps", "1000", "--device", dev)
        assert code == 0, err
        outs[dev] = json.loads(out)
    assert outs["cuda"]["device"] == outs["auto"]["device"] == "cuda"
    np.testing.assert_allclose(outs["cuda"]["exponents"], outs["cpu"]["exponents"], rtol=1e-6, atol=1e-8)
    code, out, err = run_cli("gradients", *base, "--steps", "60", "--windows", "2", "--lyapunov-steps", "500",
                             "--device", "cuda")
    assert code == 0, err
    assert json.loads(out)["device"] == "cuda"


@needs_cuda
def test_cuda_training_logs_lambda_max_and_the_run_opens_anywhere(run_cli, tmp_path: Path):
    from rnnchaos.systems.flows import Lorenz63
    from rnnchaos.training.reconstructor import Reconstructor

    x = Lorenz63().trajectory(3000, dt=0.01, seed=1)
    run = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Reconstructor(model="gru", hidden=6, tau=20, epochs=4, out=run, seed=0, device="cuda", select_every=0,
                      lyap_every=2, log_every=2).fit(x)
    lams = [json.loads(line).get("lambda_max_model") for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any(v is not None for v in lams)
    code, out, err = run_cli("evaluate", str(run), "--test", str(_save(tmp_path, x)), "--n-steps", "2000",
                             "--lyapunov-steps", "300", "--device", "cuda", "--json")
    assert code == 0, err
    assert json.loads(out)["lambda_max_model"] is not None


def _save(tmp_path: Path, x: np.ndarray) -> Path:
    path = tmp_path / "x.npy"
    np.save(path, x)
    return path
