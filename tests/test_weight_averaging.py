"""Weight averaging (``ema_decay``): model selection among, and the result taken from, the exponential moving
average of the parameters (Polyak averaging through :class:`torch.optim.swa_utils.AveragedModel`)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from rnnchaos.models.base import build_model
from rnnchaos.training.forcing import ForcingSchedule
from rnnchaos.training.reconstructor import Reconstructor
from rnnchaos.training.trainer import Trainer, TrainSettings

torch.set_num_threads(1)


def _settings(**kw):
    base = dict(epochs=3, seq_len=20, batch_size=4, batches_per_epoch=4, log_every=1, checkpoint_every=100,
                forcing=ForcingSchedule("gtf", alpha=0.3), select_every=3, select_steps=300, select_starts=2,
                lr=1e-2, seed=1)
    base.update(kw)
    return TrainSettings(**base)


class _RecordingSteps(Trainer):
    """Records the raw parameters after every optimizer step."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.steps: list[dict[str, torch.Tensor]] = []
        step = self.optimizer.step

        def recording_step(*args, **kwargs):
            out = step(*args, **kwargs)
            self.steps.append({k: v.detach().clone() for k, v in self.model.named_parameters()})
            return out

        self.optimizer.step = recording_step  # type: ignore[method-assign]


@pytest.mark.parametrize("decay", [0.5, 0.9])
def test_the_average_follows_its_recurrence_and_is_what_selection_returns(decay):
    x = np.sin(np.arange(1500)[:, None] * np.array([0.05, 0.13]))
    model = build_model("shplrnn", 2, 8, observation="linear", seed=0, dtype=torch.float64)
    tr = _RecordingSteps(model, x, _settings(ema_decay=decay))
    res = tr.run()
    assert len(tr.steps) == 12
    want = dict(tr.steps[0])  # the first update copies the parameters, later ones average
    for p in tr.steps[1:]:
        want = {k: decay * want[k] + (1 - decay) * p[k] for k in want}
    for k, v in tr.ema.module.named_parameters():
        torch.testing.assert_close(v, want[k], rtol=1e-12, atol=1e-12)
    # the only selection (epoch 3) scored the average; the model returned is the average, not the last iterate
    assert res.selected_epoch == 3
    for k, v in model.named_parameters():
        torch.testing.assert_close(v.detach(), want[k], rtol=1e-12, atol=1e-12)
        assert not torch.equal(v.detach(), tr.steps[-1][k])
    entry = [h for h in res.history if "d_stsp_train" in h][0]
    assert entry["d_stsp_train"] == pytest.approx(res.selected_score)
    assert np.isfinite(entry["d_stsp_train_raw"]) and entry["d_stsp_train_raw"] != entry["d_stsp_train"]


def test_without_averaging_nothing_changes():
    x = np.sin(np.arange(1500)[:, None] * np.array([0.05, 0.13]))
    model = build_model("shplrnn", 2, 8, observation="linear", seed=0, dtype=torch.float64)
    tr = _RecordingSteps(model, x, _settings())
    res = tr.run()
    assert tr.ema is None and all("d_stsp_train_raw" not in h for h in res.history)
    for k, v in model.named_parameters():  # selection at the last epoch returns the last iterate
        assert torch.equal(v.detach(), tr.steps[-1][k])


def test_averaging_resumes_exactly(tmp_path, interrupt_training_at):
    from rnnchaos.systems.registry import get_system

    x = get_system("lorenz63").trajectory(2000, seed=2)
    kw = dict(model="shplrnn", hidden=3, width=10, epochs=12, seq_len=20, batch_size=4, batches_per_epoch=5,
              forcing="gtf", alpha=0.3, optimizer="radam", checkpoint_every=4, log_every=1, lyap_every=0,
              select_every=4, select_steps=500, ema_decay=0.9, seed=3)
    ref = Reconstructor(out=tmp_path / "ref", **kw).fit(x)
    assert json.loads((tmp_path / "ref" / "config.json").read_text())["training"]["ema_decay"] == 0.9
    interrupt_training_at(lambda: Reconstructor(out=tmp_path / "run", **kw).fit(x), 7)
    rec = Reconstructor(out=tmp_path / "run", **kw).fit(x, resume=True)
    keys = ("epoch", "loss", "d_stsp_train", "d_stsp_train_raw")
    assert [[h.get(k) for k in keys] for h in rec.history_] == [[h.get(k) for k in keys] for h in ref.history_]
    assert rec.result_.selected_epoch == ref.result_.selected_epoch
    a, b = ref.model_.state_dict(), rec.model_.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("bad", [1.0, -0.1, float("nan")])
def test_bad_decay_is_refused(bad):
    with pytest.raises(ValueError, match="ema_decay must be in"):
        _settings(ema_decay=bad).validate()


def test_averaging_without_selection_is_refused_and_the_cli_says_so(run_cli):
    with pytest.raises(ValueError, match="needs model selection"):
        _settings(ema_decay=0.9, select_every=0).validate()
    code, out, err = run_cli("train", "--data", "lorenz63", "--n-steps", "2000", "--epochs", "1",
                             "--select-every", "0", "--ema-decay", "0.9", "--no-progress")
    assert code != 0 and "needs model selection" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
