"""Training options of issue #11: time-budget runs without an epoch cap, GTF α rules, noise, LR decay."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.models.base import build_model
from rnnchaos.training.forcing import ForcingSchedule
from rnnchaos.training.reconstructor import DEFAULT_EPOCHS, Reconstructor
from rnnchaos.training.trainer import Trainer, TrainSettings

torch.set_num_threads(1)

TINY = ["--data", "lorenz63", "--model", "rnn", "--n-steps", "2000", "--hidden", "3", "--batch-size", "2",
        "--batches-per-epoch", "1", "--seq-len", "10", "--select-every", "0", "--lyap-every", "0", "--tau", "5",
        "--no-progress", "--json"]


def test_minutes_alone_trains_until_the_budget(run_cli):
    # a tiny RNN does an epoch in ~2 ms: with the old default cap of 1000 epochs it stopped after ~2 s
    code, out, err = run_cli("train", *TINY, "--minutes", "0.1", "--log-every", "100000",
                             "--checkpoint-every", "100000")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["status"] == "time_budget"
    assert summary["seconds"] >= 6.0
    # the same run with an explicit epoch cap stops at the cap, long before the budget (the contrast that
    # shows the budget, not a hidden default cap, ended the run above; epoch counts depend on the load)
    code, out, err = run_cli("train", *TINY, "--minutes", "0.1", "--epochs", "5")
    assert code == 0, err
    capped = json.loads(out)
    assert capped["status"] == "completed" and capped["epochs"] == 5
    assert summary["epochs"] > capped["epochs"]


def test_epoch_cap_defaults():
    assert Reconstructor()._epochs() == DEFAULT_EPOCHS == 1000
    assert Reconstructor(minutes=1.0)._epochs() is None
    assert Reconstructor(minutes=1.0, epochs=7)._epochs() == 7
    with pytest.raises(ValueError, match="epochs, minutes or both"):
        TrainSettings(epochs=None, minutes=None).validate()
    TrainSettings(epochs=None, minutes=0.5).validate()
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        TrainSettings(epochs=0).validate()


def test_cosine_schedule_over_the_time_budget_without_epochs():
    x = np.random.default_rng(0).standard_normal((200, 2))
    s = TrainSettings(epochs=None, minutes=1.0, lr=1e-2, lr_schedule="cosine", lr_final=0.1, seq_len=10,
                      batch_size=2)
    tr = Trainer(build_model("rnn", 2, 3, observation="linear", seed=0), x, s)
    tr.elapsed = 0.0
    assert tr._lr(5) == pytest.approx(1e-2)
    tr.elapsed = 30.0
    assert tr._lr(5) == pytest.approx(1e-3 + 0.5 * (1e-2 - 1e-3))
    tr.elapsed = 60.0
    assert tr._lr(5) == pytest.approx(1e-3)



def test_lr_decay_epochs_follows_epochs_not_the_time_budget():
    """lr_decay_epochs = E: lr_e = lr·(lr_end/lr)^((e−1)/E), the GTF code's per-epoch ExpDecay with
    γ = (lr_end/lr)^(1/E), however much of the time budget has gone; lr_end from epoch E + 1 on."""
    x = np.random.default_rng(0).standard_normal((200, 2))
    s = TrainSettings(epochs=None, minutes=1.0, lr=1e-3, lr_schedule="exponential", lr_end=1e-6,
                      lr_decay_epochs=5000, seq_len=10, batch_size=2)
    tr = Trainer(build_model("rnn", 2, 3, observation="linear", seed=0), x, s)
    gamma = (1e-6 / 1e-3) ** (1 / 5000)
    for elapsed in (0.0, 30.0, 59.0):
        tr.elapsed = elapsed
        assert tr._lr(1) == pytest.approx(1e-3)
        assert tr._lr(501) == pytest.approx(1e-3 * gamma ** 500, rel=1e-12)
        assert tr._lr(5001) == pytest.approx(1e-6)
        assert tr._lr(9000) == pytest.approx(1e-6)
    tr.elapsed = 30.0  # without it the time budget sets the fraction: half-way, 1e-3·(1e-3)^0.5
    tr.settings = TrainSettings(epochs=None, minutes=1.0, lr=1e-3, lr_schedule="exponential", lr_end=1e-6)
    assert tr._lr(501) == pytest.approx(1e-3 * 1e-3 ** 0.5, rel=1e-12)
    with pytest.raises(ValueError, match="lr_decay_epochs must be a positive integer"):
        TrainSettings(lr_schedule="exponential", lr_end=1e-6, lr_decay_epochs=0).validate()
    with pytest.raises(ValueError, match="lr_decay_epochs needs"):
        TrainSettings(lr_decay_epochs=100).validate()
    rec = Reconstructor(lr_schedule="exponential", lr_end=1e-6, lr_decay_epochs=5000, forcing="gtf", alpha=0.3,
                        forcing_signal_grad=False)
    st = rec._settings(None, 0.3)
    assert st.lr_decay_epochs == 5000 and st.forcing.signal_grad is False
    assert rec.get_params()["lr_decay_epochs"] == 5000 and rec.get_params()["forcing_signal_grad"] is False

def test_cpu_budget_clock_counts_process_time_not_wall_time(monkeypatch):
    """budget_clock='cpu' ends the run by time.process_time: a fake CPU clock that advances 10 s per reading
    (two readings per epoch, 10 s each) ends a 1-minute budget after 6 epochs, whatever the wall clock did."""
    import rnnchaos.training.trainer as trainer_module

    ticks = iter(range(0, 10_000, 10))
    monkeypatch.setattr(trainer_module.time, "process_time", lambda: float(next(ticks)))
    x = np.random.default_rng(0).standard_normal((200, 2))
    s = TrainSettings(epochs=None, minutes=1.0, budget_clock="cpu", seq_len=10, batch_size=2, batches_per_epoch=1,
                      forcing=ForcingSchedule("stf", tau=5))
    res = Trainer(build_model("rnn", 2, 3, observation="linear", seed=0), x, s).run()
    assert res.status == "time_budget" and "of CPU time" in res.message
    assert res.epochs == 6 and res.seconds == pytest.approx(60.0)
    with pytest.raises(ValueError, match="budget_clock must be one of"):
        TrainSettings(budget_clock="gpu").validate()


def test_train_cli_sets_the_gtf_code_options(run_cli, tmp_path):
    """--lr-decay-epochs, --no-forcing-signal-grad, --init gtf2023 and --budget-clock reach the run's config."""
    out = tmp_path / "run"
    code, _, err = run_cli("train", *TINY[:4], "--model", "shplrnn", "--hidden", "3", "--width", "8",
                           "--n-steps", "2000", "--batch-size", "2", "--batches-per-epoch", "1", "--seq-len", "10",
                           "--select-every", "0", "--lyap-every", "0", "--no-progress", "--json",
                           "--forcing", "gtf", "--alpha", "0.3", "--epochs", "2", "--lr-final", "1e-6",
                           "--lr-decay-epochs", "5000", "--no-forcing-signal-grad", "--init", "gtf2023",
                           "--budget-clock", "cpu", "--optimizer", "radam", "--out", str(out))
    assert code == 0, err
    cfg = json.loads((out / "config.json").read_text())
    flat = json.dumps(cfg)
    assert '"lr_decay_epochs": 5000' in flat and '"budget_clock": "cpu"' in flat
    assert '"signal_grad": false' in flat and '"init": "gtf2023"' in flat
    code, _, err = run_cli("train", *TINY, "--init", "gtf2023", "--epochs", "1")
    assert code == 2 and "--init applies to shplrnn only" in err
    code, _, err = run_cli("train", *TINY, "--lr-decay-epochs", "10", "--epochs", "1")
    assert code == 2 and "--lr-decay-epochs needs --lr-final" in err


@pytest.mark.parametrize("arch,fast", [("shplrnn", True), ("plrnn", True), ("plrnn", False)])
def test_latent_l2_adds_its_exact_gradient_to_the_batch_gradient(arch, fast):
    """latent_l2 = λ: every latent parameter's gradient grows by 2λθ (the diagonal A by −2λ(1 − A)), the
    observation's is unchanged, and the loss by λ(‖1 − A‖² + Σ‖θ‖²), on the fused and the autograd path."""
    x = np.random.default_rng(1).standard_normal((300, 3)).astype(np.float32)
    lam = 0.05
    grads, losses = [], []
    for weight in (0.0, lam):
        model = build_model(arch, 3, 4, observation="linear", seed=3)
        s = TrainSettings(forcing=ForcingSchedule("gtf", alpha=0.3), epochs=1, seq_len=20, batch_size=4,
                          latent_l2=weight)
        tr = Trainer(model, x, s)
        assert tr.fast == fast or not fast
        tr.fast = fast
        X = np.random.default_rng(2).standard_normal((4, 20, 3)).astype(np.float32)
        losses.append(tr._batch_loss_and_grad(X, s.forcing.masks(20, None, 0.3)))
        grads.append({n: p.grad.detach().clone().double() for n, p in model.named_parameters()})
        params = {n: p.detach().double() for n, p in model.named_parameters()}
    penalty = 0.0
    for name, p in params.items():
        if name == "B":
            expected = grads[0][name]
        elif name == "A":
            expected = grads[0][name] - 2 * lam * (1 - p)
            penalty += float(((1 - p) ** 2).sum())
        else:
            expected = grads[0][name] + 2 * lam * p
            penalty += float((p ** 2).sum())
        torch.testing.assert_close(grads[1][name], expected, rtol=1e-5, atol=1e-6)
    assert losses[1] == pytest.approx(losses[0] + lam * penalty, rel=1e-5)
    with pytest.raises(ValueError, match="latent_l2 must be a penalty weight"):
        TrainSettings(latent_l2=-1.0).validate()


# ---------------------------------------------------------------- GTF adaptive α (Hess et al. 2023)
def _two_unit_plrnn(a1: float, a2: float, w: float):
    """z <- diag(a) z + W relu(z), W = [[0, w], [0, 0]]: J(z) = [[a1, w·1(z2 > 0)], [0, a2]]."""
    model = build_model("plrnn", 2, 2, observation="identity", seed=0, dtype=torch.float64)
    with torch.no_grad():
        model.A.copy_(torch.tensor([a1, a2], dtype=torch.float64))
        model.W.copy_(torch.tensor([[0.0, w], [0.0, 0.0]], dtype=torch.float64))
        model.h.zero_()
    return model


def _exact_growth(X: np.ndarray, a1: float, a2: float, w: float) -> np.ndarray:
    """Per-sequence geometric mean of ‖J(x_t)‖₂ over t = 1 … T−1 (identity observation, M = N: ẑ_t = x_t)."""
    out = []
    for seq in X:
        norms = [np.linalg.norm(np.array([[a1, w * (x[1] > 0)], [0.0, a2]]), 2) for x in seq[1:]]
        out.append(np.exp(np.mean(np.log(norms))))
    return np.array(out)


def test_product_upper_bound_is_the_largest_per_sequence_geometric_mean():
    from rnnchaos.training.gtf import adaptive_alpha, jacobian_norm_growth, sequence_norm_growth

    a1, a2, w = 0.8, 0.6, 1.5
    model = _two_unit_plrnn(a1, a2, w)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((4, 12, 2))
    X[0, :, 1] = np.abs(X[0, :, 1]) + 0.1  # sequence 0: unit 2 always active, the largest norms
    G = _exact_growth(X, a1, a2, w)
    np.testing.assert_allclose(sequence_norm_growth(model, X), G, rtol=1e-12)
    assert adaptive_alpha(model, X) == pytest.approx(max(0.0, 1.0 - 1.0 / G.max()), rel=1e-12)
    assert adaptive_alpha(model, X, alpha_max=0.1) == pytest.approx(min(0.1, 1.0 - 1.0 / G.max()), rel=1e-12)
    # the earlier rule pools every state of the batch (t = 0 … T−2) into one geometric mean
    pooled = []
    for t in range(11):
        for b in range(4):
            x = X[b, t]
            pooled.append(np.linalg.norm(np.array([[a1, w * (x[1] > 0)], [0.0, a2]]), 2))
    assert jacobian_norm_growth(model, X) == pytest.approx(np.exp(np.mean(np.log(pooled))), rel=1e-12)
    assert adaptive_alpha(model, X, rule="pooled_geomean") < adaptive_alpha(model, X)
    with pytest.raises(ValueError, match="alpha rule must be one of"):
        adaptive_alpha(model, X, rule="nope")


@settings(max_examples=200, deadline=None)
@given(alpha=st.floats(0, 1), estimate=st.floats(0, 1), gamma=st.floats(0, 1), cap=st.floats(0.01, 1))
def test_smoothed_alpha_jumps_up_and_anneals_down(alpha, estimate, gamma, cap):
    from rnnchaos.training.gtf import smoothed_alpha

    new = smoothed_alpha(alpha, estimate, gamma, cap)
    if estimate > alpha:
        assert new == min(cap, estimate)
    else:
        assert new == min(cap, gamma * alpha + (1 - gamma) * estimate)
        assert estimate - 1e-12 <= new or new == cap


def _settings(**kw):
    base = dict(epochs=2, seq_len=10, batch_size=4, batches_per_epoch=10, log_every=1, checkpoint_every=100)
    base.update(kw)
    return TrainSettings(**base)


def test_adaptive_alpha_in_the_trainer_starts_at_one_and_anneals_every_k_steps():
    # ‖J‖₂ = 2 everywhere (A = diag(2, 0.5), W = 0): the estimate is α* = 1/2 at every update; with a
    # negligible learning rate the weights stay put, so after n updates α = 1/2 + (1 − 1/2)·γⁿ
    model = _two_unit_plrnn(2.0, 0.5, 0.0)
    x = np.random.default_rng(0).standard_normal((300, 2))
    s = _settings(forcing=ForcingSchedule("gtf", alpha=1.0), alpha_mode="auto", alpha_every=5,
                  alpha_smoothing=0.5, lr=1e-12, clip="none")
    res = Trainer(model, x, s).run()
    alphas = [h["alpha"] for h in res.history]
    assert alphas == pytest.approx([0.5 + 0.5 * 0.5 ** 2, 0.5 + 0.5 * 0.5 ** 4], rel=1e-9)


def test_fixed_alpha_decays_per_epoch_to_its_floor():
    x = np.random.default_rng(0).standard_normal((300, 2))
    s = _settings(epochs=5, batches_per_epoch=1, forcing=ForcingSchedule("gtf", alpha=0.5), alpha_decay=0.5,
                  alpha_min=0.1)
    res = Trainer(build_model("plrnn", 2, 4, observation="linear", seed=0), x, s).run()
    assert [h["alpha"] for h in res.history] == [0.5, 0.25, 0.125, 0.1, 0.1]
    with pytest.raises(ValueError, match="alpha_decay applies to a fixed alpha"):
        _settings(forcing=ForcingSchedule("gtf", alpha=0.5), alpha_mode="auto", alpha_decay=0.9).validate()


def test_exponential_learning_rate_decay_to_a_final_rate():
    x = np.random.default_rng(0).standard_normal((300, 2))
    s = _settings(epochs=5, batches_per_epoch=1, optimizer="radam", lr_schedule="exponential", lr_end=1e-6,
                  forcing=ForcingSchedule("stf", tau=3))
    res = Trainer(build_model("plrnn", 2, 4, observation="linear", seed=0), x, s).run()
    want = [1e-3 * (1e-3) ** ((e - 1) / 4) for e in range(1, 6)]
    assert [h["lr"] for h in res.history] == pytest.approx(want, rel=1e-12)
    with pytest.raises(ValueError, match="needs lr_schedule"):
        _settings(lr_end=1e-6).validate()
    with pytest.raises(ValueError, match="lr_end"):
        _settings(lr_schedule="exponential", lr_end=1e-2).validate()


class _Recording(Trainer):
    def _batch_loss_and_grad(self, X, masks, weights=None):
        self.batches.append(X.copy())
        return 0.0


def test_noise_is_fresh_gaussian_per_batch_and_seeded():
    x = np.random.default_rng(0).standard_normal((2000, 3))
    runs = {}
    for key, noise, seed in (("clean", 0.0, 1), ("noisy", 0.1, 1), ("again", 0.1, 1), ("other", 0.1, 2)):
        s = _settings(epochs=1, batches_per_epoch=3, batch_size=32, seq_len=100, noise=noise, seed=seed,
                      forcing=ForcingSchedule("stf", tau=5))
        tr = _Recording(build_model("rnn", 3, 4, observation="linear", seed=0), x, s)
        tr.batches = []
        tr.run()
        runs[key] = tr.batches
    diff = runs["noisy"][0] - runs["clean"][0]  # same first windows, noise added
    assert abs(diff.mean()) < 0.005 and diff.std() == pytest.approx(0.1, rel=0.05)
    assert all(np.array_equal(a, b) for a, b in zip(runs["noisy"], runs["again"], strict=True))
    assert not np.array_equal(runs["noisy"][0], runs["other"][0])
    assert runs["noisy"][0].dtype == np.float32
    with pytest.raises(ValueError, match="noise must be"):
        _settings(noise=-0.1).validate()


def test_new_options_resume_exactly(tmp_path, interrupt_training_at):
    from rnnchaos.systems.registry import get_system

    x = get_system("lorenz63").trajectory(2000, seed=2)
    kw = dict(hidden=6, epochs=12, seq_len=20, batch_size=4, batches_per_epoch=5, forcing="gtf", alpha="auto",
              alpha_every=2, noise=0.05, optimizer="radam", lr_schedule="exponential", lr_end=1e-5,
              checkpoint_every=4, log_every=1, lyap_every=0, select_every=0, seed=3)
    ref = Reconstructor(out=tmp_path / "ref", **kw).fit(x)
    cfg = json.loads((tmp_path / "ref" / "config.json").read_text())
    assert cfg["training"]["noise"] == 0.05 and cfg["training"]["lr_end"] == 1e-5
    assert cfg["training"]["alpha_rule"] == "product_upper_bound" and cfg["estimator"]["alpha_every"] == 2

    interrupt_training_at(lambda: Reconstructor(out=tmp_path / "run", **kw).fit(x), 7)
    rec = Reconstructor(out=tmp_path / "run", **kw).fit(x, resume=True)
    assert rec.result_.epochs == 12
    want = [(h["epoch"], h["loss"], h["alpha"], h["lr"]) for h in ref.history_]
    got = [(h["epoch"], h["loss"], h["alpha"], h["lr"]) for h in rec.history_]
    assert got == want


@pytest.mark.parametrize("observation", ["linear", "affine"])
def test_forcing_signals_are_the_pseudo_inverse_of_the_observation(observation):
    from rnnchaos.training.gtf import forcing_signals

    model = build_model("plrnn", 2, 4, observation=observation, seed=1, dtype=torch.float64)
    if observation == "affine":
        with torch.no_grad():
            model.b.copy_(torch.tensor([0.3, -0.7], dtype=torch.float64))
    X = np.random.default_rng(4).standard_normal((3, 6, 2))
    B = model.B.detach().numpy()
    b = model.b.detach().numpy() if observation == "affine" else np.zeros(2)
    want = (X - b) @ np.linalg.pinv(B).T  # Hess et al.'s apply_inverse: B⁺(x − b)
    np.testing.assert_allclose(forcing_signals(model, X).numpy(), want, rtol=1e-10, atol=1e-12)
