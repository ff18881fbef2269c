"""The training loop: forced BPTT of a latent model on random subsequences, with exact resume.

One epoch is ``batches_per_epoch`` optimizer steps, each on a batch of ``batch_size`` random
subsequences of length ``seq_len`` of the (standardised) training series, with the loss and forcing of
:mod:`rnnchaos.training.forcing`.  The gradient comes from a fused kernel
(:mod:`rnnchaos.training.fused_kernels`) when the model is a plain PLRNN, an ALRNN or a shPLRNN on the CPU,
otherwise from PyTorch autograd (:mod:`rnnchaos.training.torch_loss`); both give the same numbers.

Runs (when ``run_dir`` is given): ``metrics.jsonl`` gets one JSON object per logged epoch (``epoch``,
``loss``, ``grad_norm``, ``tau`` or ``alpha``, ``lr``, ``seconds``, and every ``lyap_every`` epochs
``lambda_max_model`` beside ``lambda_max_data``, both per step), and ``metrics.csv`` the same rows
(:mod:`rnnchaos.training.metrics_log`; also the optional TensorBoard writer); ``checkpoint.pt`` (model, optimizer,
NumPy and torch RNG states, epoch, forcing state, elapsed time) is written atomically every
``checkpoint_every`` epochs and at the end, so that a run killed at any moment and resumed continues
exactly as an uninterrupted run with the same seed would (identical losses), as long as it is bounded
by epochs rather than minutes.  A non-finite or diverging loss stops the run, restores the last good
checkpoint and reports why (``TrainResult.status``).

Cost per epoch: ``batches_per_epoch`` forward/backward passes, O(batches·B·T·M²) for dense models.
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from rnnchaos._util.atomic import atomic_path, json_default
from rnnchaos._util.progress import progress_bar
from rnnchaos._util.torch_files import load_weights_only
from rnnchaos.data.datasets import SequenceSampler
from rnnchaos.data.mapped import StandardizedSeries
from rnnchaos.training.forcing import ForcingSchedule
from rnnchaos.training.free_run_loss import SlowWindowSampler, free_run_masks
from rnnchaos.training.fused_kernels import fused_loss_and_grad, has_fused_kernel
from rnnchaos.training.gtf import ALPHA_RULES, update_alpha
from rnnchaos.training.loss_weights import LOSS_WEIGHTINGS, SPEED_POWERS, SpeedWeights
from rnnchaos.training.metrics_log import append_entry, open_tensorboard, write_log
from rnnchaos.training.regularization import add_latent_l2
from rnnchaos.training.torch_loss import forced_sequence_loss

OPTIMIZERS = ("adam", "radam")
LR_SCHEDULES = ("constant", "cosine", "exponential")
CLIP_MODES = ("norm", "value", "none")
#: clocks of the ``minutes`` budget: wall-clock time, or the process's CPU time (one core's time when the
#: threads are pinned to one: the same epochs on an idle and on a loaded machine)
BUDGET_CLOCKS = ("wall", "cpu")
SELECT_PROTOCOLS = ("pooled", "gtf2023", "gtf2023-median", "gtf2023-max")
SELECT_METRICS = ("d_stsp", "floor-relative")
CHECKPOINT_VERSION = 1
#: model selection on a memory-mapped training series scores against its first this many samples
SELECT_MAX_SAMPLES = 200_000


@dataclass
class TrainSettings:
    """All settings of one training run (stored in ``config.json`` under ``"training"``).

    ``epochs=None`` (allowed only with ``minutes``) trains until the time budget ends.
    ``alpha_mode="auto"`` (GTF, Hess et al. 2023) starts α at ``alpha_max`` and every ``alpha_every``
    optimizer steps (counted within an epoch) re-estimates it on that step's batch by ``alpha_rule``,
    smoothed with ``alpha_smoothing`` (:func:`rnnchaos.training.gtf.update_alpha`).  A fixed α decays
    per epoch when ``alpha_decay`` < 1: α_e = max(``alpha_min``, α·``alpha_decay``^(e−1)).  ``noise`` > 0
    adds fresh Gaussian noise of that standard deviation (standardised units) to every training batch,
    inputs and targets alike (as the GTF code does), drawn from the run's seeded generator.
    ``lr_schedule``: ``constant``; ``cosine`` from ``lr`` to ``lr_end`` (when given) or ``lr * lr_final``;
    ``exponential`` to ``lr_end`` when given, lr·(lr_end/lr)^f (the GTF paper's RAdam 1e−3 → 1e−6),
    else multiplied by ``lr_gamma`` every epoch.  f, the fraction of the run done, is the larger of
    (epoch − 1)/(epochs − 1) (when ``epochs`` is set) and training time / ``minutes`` (when set), unless
    ``lr_decay_epochs`` = E is set: then f = min(1, (epoch − 1)/E) whatever the budget, the schedule of an
    E-epoch run cut off where the budget ends (the GTF code's RAdam with a per-epoch ``ExpDecay`` over its
    5,000 epochs, γ = (lr_end/lr)^(1/E)).  ``clip``: ``norm`` (global
    gradient-norm clipping at ``clip_value``), ``value`` (each entry clipped to ±``clip_value``) or
    ``none``.  ``divergence_threshold``: a loss above it (the data are standardised, so a constant
    prediction scores about 1) counts as divergence.  ``select_every`` > 0 turns on model selection:
    every ``select_every`` epochs, ``select_starts`` free runs of ``select_steps`` steps from training
    points spread over the series are scored by D_stsp against the training series
    (:func:`selection_score`), and the best-scoring state is the one returned at the end.
    ``select_protocol`` = ``gtf2023`` scores instead the GTF protocol on the training series (one free run
    of 1.25 T from the first training point, 0.25 T dropped, preset ``gtf2023``; ``select_steps`` and
    ``select_starts`` unused); ``gtf2023-median`` the median of that score over ``select_starts`` such runs,
    started from training points spread evenly over the series, the first point included (one chaotic run's
    statistics scatter from run to run: a checkpoint chosen by one run is partly chosen by luck);
    ``gtf2023-max`` the largest of those scores (a model is as good as its worst start: one whose free run
    leaves the data's range from any start scores ``inf``);
    ``select_metric`` = ``floor-relative`` ranks by D_stsp/f_stsp + D_H/f_H, each
    over its floor on the training data (its first half against its second half, same protocol and preset).
    ``budget_clock``: what ``minutes`` counts, ``wall`` (wall-clock training time) or ``cpu`` (the process's
    CPU time, :func:`time.process_time`; with one thread, one core's time, so that a run on a loaded machine
    does the epochs it would do alone).  Either excludes the time of model selection and checkpoints.
    ``latent_l2`` = λ > 0 adds λ·(‖1 − A‖² + Σ‖θ‖²) over the latent parameters to every batch's loss (the
    GTF code's latent regularisation, :mod:`rnnchaos.training.regularization`; the logged loss includes it).
    ``loss_weights``: ``none`` (the mean squared error), ``speed`` or ``speed2`` (each step's squared error
    weighted by c / (‖x_t − x_{t−1}‖ + s₀)^p, p = 1 or 2, towards relative velocity errors for slow-fast data:
    :mod:`rnnchaos.training.loss_weights`).
    ``free_run_weight`` = λ > 0 adds λ times the mean squared error of plain free runs of ``free_run_steps``
    steps from ``batch_size`` windows of the slow phase (every step at most the ``free_run_quantile``-quantile
    of the training data's step lengths) to every batch's loss (:mod:`rnnchaos.training.free_run_loss`); the
    logged ``loss`` is the total and ``free_run_loss`` its free-run part before λ.
    ``ema_decay`` = d in (0, 1) keeps an exponential moving average of the parameters, p̄ ← d·p̄ + (1 − d)·p
    after every optimizer step (Polyak averaging as in :class:`torch.optim.swa_utils.AveragedModel`; the
    average over about 1/(1 − d) steps), and model selection scores and returns the averaged parameters
    instead of the current ones (the raw model's score is logged beside it as ``select_score_raw``); 0: off.
    ``tensorboard``: also log the metrics lines to ``run_dir/tensorboard`` (the ``tensorboard`` extra; refused without it)
    (skipped with a warning otherwise).
    """

    forcing: ForcingSchedule = field(default_factory=lambda: ForcingSchedule("stf", tau=30))
    alpha_mode: str = "fixed"
    alpha_every: int = 5
    alpha_max: float = 1.0
    alpha_rule: str = "product_upper_bound"
    alpha_smoothing: float = 0.999
    alpha_decay: float = 1.0
    alpha_min: float = 0.0
    noise: float = 0.0
    latent_l2: float = 0.0
    loss_weights: str = "none"
    free_run_weight: float = 0.0
    free_run_steps: int = 100
    free_run_quantile: float = 0.5
    ema_decay: float = 0.0
    epochs: int | None = 1000
    minutes: float | None = None
    budget_clock: str = "wall"
    seq_len: int = 100
    batch_size: int = 32
    batches_per_epoch: int = 10
    lr: float = 1e-3
    optimizer: str = "adam"
    lr_schedule: str = "constant"
    lr_final: float = 0.01
    lr_end: float | None = None
    lr_gamma: float = 0.999
    lr_decay_epochs: int | None = None
    clip: str = "norm"
    clip_value: float = 10.0
    checkpoint_every: int = 100
    log_every: int = 10
    lyap_every: int = 0
    divergence_threshold: float = 1e3
    select_every: int = 0
    select_steps: int = 20_000
    select_starts: int = 4
    select_protocol: str = "pooled"
    select_metric: str = "d_stsp"
    tensorboard: bool = False
    seed: int = 0
    device: str = "cpu"

    def validate(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}")
        if self.clip not in CLIP_MODES:
            raise ValueError(f"clip must be one of {CLIP_MODES}, got {self.clip!r}")
        if self.budget_clock not in BUDGET_CLOCKS:
            raise ValueError(f"budget_clock must be one of {BUDGET_CLOCKS}, got {self.budget_clock!r}")
        if self.select_protocol not in SELECT_PROTOCOLS:
            raise ValueError(f"select_protocol must be one of {SELECT_PROTOCOLS}, got {self.select_protocol!r}")
        if self.select_metric not in SELECT_METRICS:
            raise ValueError(f"select_metric must be one of {SELECT_METRICS}, got {self.select_metric!r}")
        if self.alpha_mode not in ("fixed", "auto"):
            raise ValueError(f"alpha_mode must be 'fixed' or 'auto', got {self.alpha_mode!r}")
        if self.epochs is None and self.minutes is None:
            raise ValueError("give epochs, minutes or both: with neither the run would never stop")
        for name in ("epochs", "seq_len", "batch_size", "batches_per_epoch", "checkpoint_every", "log_every",
                     "alpha_every"):
            v = getattr(self, name)
            if name == "epochs" and v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if self.seq_len < 2:
            raise ValueError(f"seq_len must be at least 2, got {self.seq_len}")
        for name in ("select_every", "select_steps", "select_starts"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < (0 if name == "select_every" else 1):
                raise ValueError(f"{name} must be a {'non-negative' if name == 'select_every' else 'positive'} "
                                 f"integer, got {v!r}")
        if not (isinstance(self.lyap_every, int) and self.lyap_every >= 0):
            raise ValueError(f"lyap_every must be an integer >= 0 (0 disables), got {self.lyap_every!r}")
        for name in ("lr", "clip_value", "divergence_threshold", "lr_final", "lr_gamma"):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a positive finite number, got {getattr(self, name)!r}")
        if self.alpha_rule not in ALPHA_RULES:
            raise ValueError(f"alpha_rule must be one of {ALPHA_RULES}, got {self.alpha_rule!r}")
        for name, lo_open in (("alpha_smoothing", False), ("alpha_decay", True), ("alpha_max", True),
                              ("alpha_min", False)):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and (v > 0 if lo_open else v >= 0) and v <= 1):
                raise ValueError(f"{name} must be in {'(0, 1]' if lo_open else '[0, 1]'}, got {getattr(self, name)!r}")
        if self.alpha_decay != 1.0 and self.alpha_mode == "auto":
            raise ValueError("alpha_decay applies to a fixed alpha; the adaptive alpha anneals by alpha_smoothing")
        if self.loss_weights not in LOSS_WEIGHTINGS:
            raise ValueError(f"loss_weights must be one of {LOSS_WEIGHTINGS}, got {self.loss_weights!r}")
        if not (math.isfinite(float(self.free_run_weight)) and float(self.free_run_weight) >= 0):
            raise ValueError(f"free_run_weight must be a loss weight >= 0 (0: none), got {self.free_run_weight!r}")
        if isinstance(self.free_run_steps, bool) or not isinstance(self.free_run_steps, int) or self.free_run_steps < 1:
            raise ValueError(f"free_run_steps must be a positive integer, got {self.free_run_steps!r}")
        if not (0.0 < float(self.free_run_quantile) <= 1.0):
            raise ValueError(f"free_run_quantile must be in (0, 1], got {self.free_run_quantile!r}")
        if not (math.isfinite(float(self.ema_decay)) and 0.0 <= float(self.ema_decay) < 1.0):
            raise ValueError(f"ema_decay must be in [0, 1) (0: no weight averaging), got {self.ema_decay!r}")
        if self.ema_decay and not self.select_every:
            raise ValueError("ema_decay needs model selection (select_every > 0): the averaged parameters are "
                             "what selection scores and returns")
        if not (math.isfinite(float(self.latent_l2)) and float(self.latent_l2) >= 0):
            raise ValueError(f"latent_l2 must be a penalty weight >= 0 (0: none), got {self.latent_l2!r}")
        if not (math.isfinite(float(self.noise)) and float(self.noise) >= 0):
            raise ValueError(f"noise must be a standard deviation >= 0 (standardised units), got {self.noise!r}")
        if self.lr_end is not None:
            if not (math.isfinite(float(self.lr_end)) and 0 < float(self.lr_end) <= float(self.lr)):
                raise ValueError(f"lr_end (the final learning rate) must be in (0, lr={self.lr:g}], got {self.lr_end!r}")
            if self.lr_schedule == "constant":
                raise ValueError("a final learning rate needs lr_schedule 'exponential' or 'cosine', not 'constant'")
        if self.lr_decay_epochs is not None:
            v = self.lr_decay_epochs
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"lr_decay_epochs must be a positive integer (epochs over which the learning rate "
                                 f"reaches its final value) or None, got {v!r}")
            if self.lr_schedule == "constant" or (self.lr_schedule == "exponential" and self.lr_end is None):
                raise ValueError("lr_decay_epochs needs lr_schedule 'cosine', or 'exponential' with lr_end")
        if self.minutes is not None and not (math.isfinite(float(self.minutes)) and float(self.minutes) > 0):
            raise ValueError(f"minutes must be a positive number, got {self.minutes!r}")
        if self.device not in ("cpu", "cuda", "auto"):
            raise ValueError(f"device must be 'cpu', 'cuda' or 'auto', got {self.device!r}")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for but no CUDA device is available; use --device cpu or auto")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["forcing"] = self.forcing.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainSettings:
        if not isinstance(d, dict):
            raise ValueError(f"training settings must be a dict, got {type(d).__name__}")
        d = dict(d)
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown training settings {sorted(unknown)}")
        forcing = ForcingSchedule(**d.pop("forcing")) if "forcing" in d else ForcingSchedule("stf", tau=30)
        s = cls(forcing=forcing, **d)
        s.validate()
        return s

    def resolved_device(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)


@dataclass
class TrainResult:
    """What a run did: ``status`` is ``"completed"``, ``"time_budget"`` or ``"diverged"``."""

    epochs: int
    seconds: float
    final_loss: float
    status: str
    message: str
    history: list[dict[str, Any]]
    selected_epoch: int | None = None
    selected_score: float | None = None


def uses_fast_path(model: Any, device: torch.device) -> bool:
    """True when a fused kernel applies (:func:`rnnchaos.training.fused_kernels.has_fused_kernel`): a plain
    PLRNN, an ALRNN or a (clipped) shPLRNN, no inputs, float32, CPU."""
    return has_fused_kernel(model, device)


def lambda_max_of_model(model: Any, z0: NDArray[np.float64], n_steps: int = 2000, transient: int = 500,
                        seed: int = 0) -> float | None:
    """λ_max (per step) of a model along its own orbit from ``z0`` (M,), by the tangent-space QR method
    on the model's device: :func:`rnnchaos.dynamics.lyapunov_spectrum.lyapunov_spectrum` (NumPy) for a CPU
    model, :func:`rnnchaos.dynamics.lyapunov_spectrum_torch.lyapunov_spectrum_torch` (float64, on the GPU)
    for a CUDA one; None when the orbit escapes."""
    from rnnchaos.dynamics.lyapunov_spectrum import lyapunov_spectrum
    from rnnchaos.dynamics.lyapunov_spectrum_torch import lyapunov_spectrum_torch

    on_gpu = next((p.device.type != "cpu" for p in model.parameters()), False)
    zz = np.asarray(z0, dtype=np.float64)[None, :]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if on_gpu:
                res = lyapunov_spectrum_torch(model.as_torch_map(), zz, n_steps, k=1, transient=transient, seed=seed)
            else:
                res = lyapunov_spectrum(model.as_map(), zz, n_steps, k=1, transient=transient, seed=seed)
        value = float(res.exponents[0])
    except (ValueError, FloatingPointError, RuntimeError):
        return None
    return value if math.isfinite(value) else None


def selection_score(model: Any, x_train: NDArray[Any], n_steps: int, n_starts: int, *,
                    protocol: str = "pooled", metric: str = "d_stsp",
                    floors: tuple[float, float] | None = None) -> float:
    """The model-selection score (lower is better) of ``model`` on the standardised training series.

    ``protocol`` = ``pooled``: D_stsp (:func:`rnnchaos.metrics.scoring.score_trajectory`, default preset
    ``stf2022-corrected``; bins for N <= 5) between the series and ``n_starts`` free runs
    (:func:`rnnchaos.models.free_run.free_run`) of ``n_steps`` steps started from training points spread
    evenly over it, pooled.  ``gtf2023``: the GTF protocol of Hess et al. (2023, ``src/evaluation.jl``) on
    the training series of length T: one free run of floor(1.25 T) steps from the state inferred from its
    first point, the first floor(0.25 T) dropped, preset ``gtf2023``.  ``gtf2023-median``: the median of the
    ``gtf2023`` score over ``n_starts`` such runs started from the training points ``i·T // n_starts``
    (i = 0 … n_starts − 1), each scored on its own; ``gtf2023-max``: their maximum.  ``metric`` = ``d_stsp`` returns that
    D_stsp; ``floor-relative`` returns D_stsp / floors[0] + D_H / floors[1] (:func:`training_floors`).
    ``inf`` if a run overflows or a score is undefined (for ``gtf2023-median``: that run's score, so the median
    tolerates a minority of them; ``gtf2023-max`` tolerates none).  Cost: n_starts·n_steps (pooled), 1.25 T
    (gtf2023) or n_starts·1.25 T (gtf2023-median, gtf2023-max) model steps + one histogram and one power spectrum per scored run."""
    from rnnchaos.metrics.presets import DEFAULT_PRESET
    from rnnchaos.models.free_run import free_run, initial_states

    if isinstance(x_train, StandardizedSeries):  # a memory-mapped series: its first SELECT_MAX_SAMPLES rows
        x_train = x_train[:SELECT_MAX_SAMPLES]
    if protocol.startswith("gtf2023"):  # gtf2023 is the median over one start, the first point
        n, k = int(x_train.shape[0]), (1 if protocol == "gtf2023" else int(n_starts))
        runs = free_run(model, initial_states(model, x_train[(np.arange(k) * n) // k]), int(math.floor(1.25 * n)))
        runs = runs[:, int(math.floor(0.25 * n)):]
        values = [_selection_value(x_train, r, "gtf2023", metric, floors) for r in runs]
        return float(np.max(values) if protocol == "gtf2023-max" else np.median(values))
    idx = np.linspace(0, x_train.shape[0] - 1, int(n_starts)).astype(int)
    runs = free_run(model, initial_states(model, x_train[idx]), n_steps)
    return _selection_value(x_train, runs.reshape(-1, runs.shape[-1]), DEFAULT_PRESET, metric, floors)


def _selection_value(x_train: NDArray[Any], run: NDArray[Any], preset: str, metric: str,
                     floors: tuple[float, float] | None) -> float:
    """The score of one (pooled) free run ``run`` (steps × N) against ``x_train`` under ``preset``: D_stsp,
    or D_stsp/floors[0] + D_H/floors[1] for ``metric='floor-relative'``; ``inf`` if the run overflowed or the
    score is undefined."""
    from rnnchaos.metrics.scoring import score_trajectory

    if not np.all(np.isfinite(run)):
        return float("inf")
    s = score_trajectory(np.asarray(x_train, dtype=np.float64), run, preset=preset)
    if metric == "floor-relative":
        if floors is None:
            raise ValueError("metric='floor-relative' needs the training floors")
        value = s.d_stsp / floors[0] + s.d_h / floors[1]
    else:
        value = s.d_stsp
    return float(value) if math.isfinite(value) else float("inf")


def training_floors(x_train: NDArray[Any], protocol: str = "pooled") -> tuple[float, float]:
    """(D_stsp, D_H) of the training series' first half against its second half, under the preset of the
    selection ``protocol`` (``gtf2023`` or the default): the scale by which ``floor-relative`` selection
    divides each metric (a perfect model scores about this on data of this length).  Raises ValueError when
    a floor is not positive and finite (halves that repeat one cycle exactly; a constant series is refused
    earlier, by the scorer)."""
    from rnnchaos.metrics.presets import DEFAULT_PRESET
    from rnnchaos.metrics.scoring import score_trajectory

    if isinstance(x_train, StandardizedSeries):
        x_train = x_train[:SELECT_MAX_SAMPLES]
    x = np.asarray(x_train, dtype=np.float64)
    h = x.shape[0] // 2
    s = score_trajectory(x[h:], x[:h], preset="gtf2023" if protocol.startswith("gtf2023") else DEFAULT_PRESET)
    floors = (float(s.d_stsp), float(s.d_h))
    if not all(math.isfinite(f) and f > 0 for f in floors):
        raise ValueError(f"the training series' halves give floors {floors}: floor-relative selection needs "
                         "both positive and finite (use select_metric='d_stsp')")
    return floors


def _rng_state_to_json(rng: np.random.Generator) -> str:
    return json.dumps(rng.bit_generator.state, default=json_default)


class Trainer:
    """Runs :class:`TrainSettings` on a model and a standardised series, or a list of standardised
    trials (sequences never cross a trial boundary; :class:`rnnchaos.data.datasets.SequenceSampler`);
    see the module docstring."""

    def __init__(self, model: Any, x_train: NDArray[Any] | list[NDArray[Any]], settings: TrainSettings, *,
                 run_dir: str | os.PathLike[str] | None = None, lambda_max_data: float | None = None,
                 progress: bool = False) -> None:
        settings.validate()
        self.model = model
        self.settings = settings
        self.device = settings.resolved_device()
        self.model.to(self.device)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.lambda_max_data = lambda_max_data
        self.progress = progress
        seq = np.random.SeedSequence(settings.seed)
        self.rng = np.random.default_rng(seq.spawn(1)[0])
        trials = list(x_train) if isinstance(x_train, list | tuple) else [x_train]
        self.sampler = SequenceSampler(trials, settings.seq_len, settings.batch_size, seed=self.rng)
        self.x0 = np.asarray(trials[0][0], dtype=np.float64)
        self.step_weights = (SpeedWeights(trials, SPEED_POWERS[settings.loss_weights])
                             if settings.loss_weights in SPEED_POWERS else None)
        self.slow_windows = (SlowWindowSampler(trials, settings.free_run_steps, settings.batch_size,
                                               settings.free_run_quantile) if settings.free_run_weight > 0 else None)
        # model selection scores free runs against the training states pooled over the trials
        self.x_train = trials[0] if len(trials) == 1 else np.concatenate(trials, axis=0)
        self.best: dict[str, Any] | None = None
        self.last_free_run_loss = float("nan")
        self.select_floors = (training_floors(self.x_train, settings.select_protocol)
                              if settings.select_every and settings.select_metric == "floor-relative" else None)
        params = [p for p in model.parameters() if p.requires_grad]
        opt_cls = torch.optim.Adam if settings.optimizer == "adam" else torch.optim.RAdam
        # foreach: one multi-tensor update instead of a Python loop over the parameters (on the CPU RAdam's step
        # took 0.35 ms against 0.22 ms, an eighth of an shPLRNN batch with the fused kernel); same formulas
        self.optimizer = opt_cls(params, lr=settings.lr, foreach=True)
        self.params = params
        # the averaged parameters (ema_decay > 0); AveragedModel deep-copies the model and averages after each step
        self.ema = (AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(float(settings.ema_decay)))
                    if settings.ema_decay else None)
        self.fast = uses_fast_path(model, self.device)
        self.alpha = settings.forcing.alpha
        self.epoch = 0
        self.elapsed = 0.0
        self.history: list[dict[str, Any]] = []
        self._good: dict[str, Any] | None = None

    def _score_name(self) -> str:
        s = self.settings
        name = "D_stsp" if s.select_metric == "d_stsp" else "D_stsp/floor + D_H/floor"
        return name + {"gtf2023": ", GTF protocol", "gtf2023-median": ", GTF protocol, median over "
                       f"{s.select_starts} starts", "gtf2023-max": ", GTF protocol, worst of "
                       f"{s.select_starts} starts"}.get(s.select_protocol, "")

    # ------------------------------------------------------------------ one optimizer step
    def _loss_and_grad(self, X: NDArray[np.float32], masks: tuple[Any, Any, Any],
                       weights: NDArray[np.float32] | None, scale: float = 1.0) -> float:
        """Loss of one batch; adds ``scale`` times its gradient to every parameter's ``.grad``."""
        m_obs, reset, cut = masks
        model = self.model
        sg = self.settings.forcing.signal_grad
        if self.fast:
            before = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
            loss = fused_loss_and_grad(model, X, m_obs, reset, cut, signal_grad=sg, weights=weights)  # replaces .grad
            for n, p in model.named_parameters():
                if p.grad is None:
                    continue
                g = p.grad if scale == 1.0 else scale * p.grad
                p.grad = before[n] + g if n in before else g
            return loss
        Xt = torch.from_numpy(X).to(device=self.device, dtype=model.dtype)
        Wt = None if weights is None else torch.from_numpy(weights).to(device=self.device, dtype=model.dtype)
        loss_t = forced_sequence_loss(model, Xt, m_obs, reset, cut, signal_grad=sg, weights=Wt)
        (loss_t * scale if scale != 1.0 else loss_t).backward()
        return float(loss_t.detach())

    def _batch_loss_and_grad(self, X: NDArray[np.float32], masks: tuple[Any, Any, Any],
                             weights: NDArray[np.float32] | None = None,
                             X_free: NDArray[np.float32] | None = None) -> float:
        """Total loss of one optimizer step (forced batch ``X``, free-run windows ``X_free`` when the free-run
        loss is on, latent L2); sets every parameter's ``.grad`` to its gradient.  The free-run part before λ
        is kept in ``self.last_free_run_loss``."""
        self.optimizer.zero_grad(set_to_none=True)
        loss = self._loss_and_grad(X, masks, weights)
        if X_free is not None:
            lam = float(self.settings.free_run_weight)
            self.last_free_run_loss = self._loss_and_grad(X_free, free_run_masks(X_free.shape[1] - 1), None, lam)
            loss += lam * self.last_free_run_loss
        if self.settings.latent_l2 > 0:
            loss += add_latent_l2(self.model, self.settings.latent_l2)
        return loss

    def _noisy(self, X: NDArray[np.float32]) -> NDArray[np.float32]:
        """``X`` plus fresh Gaussian noise of sd ``noise`` from the run's generator (``X`` itself at 0)."""
        sd = self.settings.noise
        return X if sd <= 0 else X + (sd * self.rng.standard_normal(X.shape)).astype(np.float32)

    def _clip(self) -> float:
        grads = [p.grad for p in self.params if p.grad is not None]
        if not grads:
            return 0.0
        norm = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])))
        s = self.settings
        if s.clip == "norm" and norm > s.clip_value:
            for g in grads:
                g.mul_(s.clip_value / (norm + 1e-6))
        elif s.clip == "value":
            for g in grads:
                g.clamp_(-s.clip_value, s.clip_value)
        return norm

    def _lr(self, epoch: int) -> float:
        s = self.settings
        if s.lr_schedule == "constant":
            return s.lr
        if s.lr_schedule == "exponential" and s.lr_end is None:
            return s.lr * s.lr_gamma ** (epoch - 1)
        frac = min(1.0, self._run_fraction(epoch))
        lo = s.lr * s.lr_final if s.lr_end is None else float(s.lr_end)
        if s.lr_schedule == "exponential":
            return s.lr * (lo / s.lr) ** frac
        return lo + 0.5 * (s.lr - lo) * (1.0 + math.cos(math.pi * frac))

    def _run_fraction(self, epoch: int) -> float:
        """Fraction of the run done at the start of ``epoch``: by epochs, by time, the larger of both; with
        ``lr_decay_epochs`` E set, (epoch − 1)/E capped at 1."""
        s = self.settings
        if s.lr_decay_epochs is not None:
            return min(1.0, (epoch - 1) / s.lr_decay_epochs)
        frac = 0.0 if s.epochs is None else (epoch - 1) / max(1, s.epochs - 1)
        if s.minutes is not None:
            frac = max(frac, min(1.0, self.elapsed / (60.0 * s.minutes)))
        return frac

    def _fixed_alpha(self, epoch: int) -> float | None:
        """α of a fixed-α GTF run at ``epoch``, with the per-epoch decay to ``alpha_min``."""
        a0 = self.settings.forcing.alpha
        if a0 is None or self.settings.alpha_decay == 1.0:
            return a0
        return max(self.settings.alpha_min, a0 * self.settings.alpha_decay ** (epoch - 1))

    # ------------------------------------------------------------------ checkpoints
    def _state(self) -> dict[str, Any]:
        return {
            "version": CHECKPOINT_VERSION,
            "epoch": self.epoch,
            "elapsed": self.elapsed,
            "alpha": self.alpha,
            "model_config": self.model.config(),
            "model": {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()},
            "optimizer": copy.deepcopy(self.optimizer.state_dict()),
            "numpy_rng": _rng_state_to_json(self.rng),
            "torch_rng": torch.get_rng_state(),
            "history_len": len(self.history),
            "best": copy.deepcopy(self.best),
            "ema": None if self.ema is None else copy.deepcopy(self.ema.state_dict()),
        }

    def _restore(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = json.loads(state["numpy_rng"])
        torch.set_rng_state(state["torch_rng"])
        self.epoch = int(state["epoch"])
        self.elapsed = float(state["elapsed"])
        self.alpha = state["alpha"]
        self.history = self.history[: int(state["history_len"])]
        self.best = copy.deepcopy(state.get("best"))
        if self.ema is not None:
            if state.get("ema") is None:
                raise ValueError("the checkpoint holds no averaged parameters (it was written without ema_decay)")
            self.ema.load_state_dict(state["ema"])

    def save_checkpoint(self) -> None:
        self._good = self._state()
        if self.run_dir is None:
            return
        with atomic_path(self.run_dir / "checkpoint.pt") as tmp:
            torch.save(self._good, tmp)
        self.save_model()

    def save_model(self) -> None:
        if self.run_dir is None:
            return
        with atomic_path(self.run_dir / "model.pt") as tmp:
            torch.save({"config": self.model.config(),
                        "state_dict": {k: v.detach().cpu() for k, v in self.model.state_dict().items()}}, tmp)

    def load_checkpoint(self) -> None:
        """Restore the state of ``run_dir/checkpoint.pt`` (``weights_only=True``) and the logged history."""
        if self.run_dir is None:
            raise ValueError("resume needs a run directory (--out DIR)")
        path = self.run_dir / "checkpoint.pt"
        if not path.is_file():
            raise ValueError(f"cannot resume: {str(path)!r} does not exist (was the run started with --out?)")
        state = load_weights_only(path, f"checkpoint {str(path)!r}")
        if not isinstance(state, dict) or state.get("version") != CHECKPOINT_VERSION:
            raise ValueError(f"checkpoint {str(path)!r} is not a version-{CHECKPOINT_VERSION} rnnchaos checkpoint")
        if state.get("model_config") != self.model.config():
            raise ValueError(f"checkpoint {str(path)!r} was written for model {state.get('model_config')}, "
                             f"not {self.model.config()}")
        _check_checkpoint(state, str(path))
        self.history = _read_metrics(self.run_dir / "metrics.jsonl")
        self.history = [h for h in self.history if h.get("epoch", 0) <= int(state["epoch"]) and "event" not in h]
        state["history_len"] = len(self.history)
        try:
            self._restore(state)
        except (RuntimeError, TypeError, KeyError, ValueError, json.JSONDecodeError) as exc:
            raise ValueError(f"checkpoint {str(path)!r} is damaged and cannot be restored: "
                             f"{' '.join(str(exc).split())[:300]}") from None
        self._good = state
        _write_metrics(self.run_dir / "metrics.jsonl", self.history)

    def _tensorboard(self) -> Any:
        """The TensorBoard writer, opened at the first logged epoch (:func:`rnnchaos.training.metrics_log.open_tensorboard`);
        :meth:`run` flushes and closes it in a ``finally``."""
        if not self.settings.tensorboard or self.run_dir is None:
            return None
        if getattr(self, "_tb", None) is None:
            self._tb = open_tensorboard(self.run_dir)
        return self._tb

    def _close_tensorboard(self) -> None:
        tb, self._tb = getattr(self, "_tb", None), None
        if tb is not None:
            try:
                tb.flush()
            finally:
                tb.close()

    def _log(self, entry: dict[str, Any]) -> None:
        tb = self._tensorboard()
        if tb is not None:
            for key, value in entry.items():
                if key != "epoch" and isinstance(value, int | float) and value is not None:
                    tb.add_scalar(key, value, entry["epoch"])
        self.history.append(entry)
        if self.run_dir is not None:  # metrics.jsonl and metrics.csv (rnnchaos.training.metrics_log)
            append_entry(self.run_dir, entry)

    def _selection_score(self, model: Any) -> float:
        """:func:`selection_score` of ``model`` on the training data, with this run's selection settings."""
        s = self.settings
        return selection_score(model, self.x_train, s.select_steps, s.select_starts, protocol=s.select_protocol,
                               metric=s.select_metric, floors=self.select_floors)

    # ------------------------------------------------------------------ the loop
    def run(self) -> TrainResult:
        s = self.settings
        sched = s.forcing
        if self.run_dir is not None:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        if self._good is None:
            self.save_checkpoint()  # epoch 0: the initial state is the first "good" one
        status, message = "completed", ""
        last_loss = float("nan")
        clock = time.process_time if s.budget_clock == "cpu" else time.perf_counter
        bar = progress_bar(desc="train", total=s.epochs, enabled=self.progress, initial=self.epoch)
        try:
            while s.epochs is None or self.epoch < s.epochs:
                if s.minutes is not None and self.elapsed >= 60.0 * s.minutes:
                    status, message = "time_budget", (f"stopped by the time budget of {s.minutes:g} min"
                                                f"{' of CPU time' if s.budget_clock == 'cpu' else ''}")
                    break
                t0 = clock()
                epoch = self.epoch + 1
                lr = self._lr(epoch)
                for g in self.optimizer.param_groups:
                    g["lr"] = lr
                losses, norms, free_losses = [], [], []
                tau_used: int | None = None
                bad = ""
                adaptive = sched.method == "gtf" and s.alpha_mode == "auto"
                if sched.method == "gtf" and not adaptive:
                    self.alpha = self._fixed_alpha(epoch)
                for batch in range(1, s.batches_per_epoch + 1):
                    X = self.sampler.sample()
                    weights = None if self.step_weights is None else self.step_weights(X)  # from the clean data
                    X = self._noisy(X)
                    tau_used = sched.tau_for(epoch, self.rng)
                    if adaptive and batch % s.alpha_every == 0:
                        assert self.alpha is not None
                        self.alpha = update_alpha(self.model, X, self.alpha, smoothing=s.alpha_smoothing,
                                                  alpha_max=s.alpha_max, rule=s.alpha_rule)
                    masks = sched.masks(s.seq_len, tau_used, self.alpha)
                    X_free = None
                    if self.slow_windows is not None:
                        X_free = self._noisy(self.slow_windows.sample(self.rng))
                    loss = (self._batch_loss_and_grad(X, masks, weights) if X_free is None
                            else self._batch_loss_and_grad(X, masks, weights, X_free))
                    if X_free is not None:
                        free_losses.append(self.last_free_run_loss)
                    norm = self._clip()
                    if not (math.isfinite(loss) and math.isfinite(norm)):
                        bad = f"the loss became {'non-finite' if not math.isfinite(loss) else 'finite but its gradient non-finite'}"
                        break
                    if loss > s.divergence_threshold:
                        bad = f"the loss {loss:.3g} exceeded the divergence threshold {s.divergence_threshold:g}"
                        break
                    self.optimizer.step()
                    if self.ema is not None:
                        self.ema.update_parameters(self.model)
                    losses.append(loss)
                    norms.append(norm)
                if bad:
                    good_epoch = int(self._good["epoch"]) if self._good is not None else 0
                    if self._good is not None:
                        self._restore(self._good)
                    status = "diverged"
                    message = (f"training diverged at epoch {epoch}: {bad}; restored the last good checkpoint "
                               f"(epoch {good_epoch}); try a smaller --lr, gradient clipping or a smaller tau")
                    if self.run_dir is not None:
                        with open(self.run_dir / "metrics.jsonl", "a", encoding="utf-8") as fh:
                            fh.write(json.dumps({"event": "diverged", "epoch": epoch, "message": message}) + "\n")
                    break
                self.epoch = epoch
                self.elapsed += clock() - t0
                last_loss = float(np.mean(losses))
                final = epoch == s.epochs or (s.minutes is not None and self.elapsed >= 60.0 * s.minutes)
                score: float | None = None
                score_raw: float | None = None
                if s.select_every and (epoch % s.select_every == 0 or (final and epoch >= s.select_every)):
                    candidate = self.model if self.ema is None else self.ema.module
                    score = self._selection_score(candidate)
                    if self.ema is not None:
                        score_raw = self._selection_score(self.model)
                    if self.best is None or score < self.best["score"]:
                        self.best = {"epoch": epoch, "score": score,
                                     "model": {k: v.detach().cpu().clone()
                                               for k, v in candidate.state_dict().items()}}
                if epoch % s.log_every == 0 or final or score is not None:
                    entry: dict[str, Any] = {"epoch": epoch, "loss": last_loss, "grad_norm": float(np.mean(norms)),
                                             "lr": lr, "seconds": round(self.elapsed, 4)}
                    if score is not None:
                        key = "d_stsp_train" if s.select_metric == "d_stsp" else "select_score"
                        entry[key] = score if math.isfinite(score) else None
                        if score_raw is not None:
                            entry[key + "_raw"] = score_raw if math.isfinite(score_raw) else None
                    if free_losses:
                        entry["free_run_loss"] = float(np.mean(free_losses))
                    if sched.method == "gtf":
                        entry["alpha"] = self.alpha
                    elif tau_used is not None:
                        entry["tau"] = tau_used
                    if s.lyap_every and (epoch % s.lyap_every == 0 or (final and epoch >= s.lyap_every)):
                        z0 = self.model.infer_latent(torch.as_tensor(self.x0[None, :], dtype=self.model.dtype)
                                                     .to(self.device)).detach().cpu().double().numpy()[0]
                        entry["lambda_max_model"] = lambda_max_of_model(self.model, z0)
                        entry["lambda_max_data"] = self.lambda_max_data
                    self._log(entry)
                if epoch % s.checkpoint_every == 0 or final:
                    self.save_checkpoint()
                bar.update(1)
                if epoch % 10 == 0:
                    bar.set_postfix(loss=f"{last_loss:.4g}")
            else:
                status, message = "completed", f"completed {s.epochs} epochs"
        finally:
            bar.close()
            self._close_tensorboard()  # also when the loop raised
        if status == "time_budget" and (self._good is None or self._good["epoch"] != self.epoch):
            self.save_checkpoint()
        if status == "diverged":
            last_loss = self.history[-1]["loss"] if self.history else float("nan")
        elif self.history:
            last_loss = self.history[-1]["loss"]
        selected_epoch = selected_score = None
        if self.best is not None:
            self.model.load_state_dict(self.best["model"])
            selected_epoch, selected_score = int(self.best["epoch"]), float(self.best["score"])
            message += f"; selected the model of epoch {selected_epoch} ({self._score_name()} on training data {selected_score:.4g})"
        self.save_model()
        return TrainResult(epochs=self.epoch, seconds=self.elapsed, final_loss=last_loss, status=status,
                           message=message, history=list(self.history), selected_epoch=selected_epoch,
                           selected_score=selected_score)


def _check_checkpoint(state: dict[str, Any], label: str) -> None:
    """Validate the fields of a checkpoint dict before anything is restored from it."""
    required = {"epoch": int, "elapsed": float, "model": dict, "optimizer": dict, "numpy_rng": str,
                "torch_rng": torch.Tensor, "history_len": int}
    for key, kind in required.items():
        value = state.get(key)
        ok = isinstance(value, kind) or (kind is float and isinstance(value, int))
        if not ok or isinstance(value, bool):
            raise ValueError(f"checkpoint {label!r}: field {key!r} is missing or not a {kind.__name__}")
    if state["epoch"] < 0 or not math.isfinite(state["elapsed"]):
        raise ValueError(f"checkpoint {label!r}: invalid epoch or elapsed time")
    rng = state["torch_rng"]
    if rng.dtype != torch.uint8 or rng.dim() != 1:
        raise ValueError(f"checkpoint {label!r}: torch_rng must be a 1-D uint8 tensor (torch.get_rng_state())")
    for k, v in state["model"].items():
        if not isinstance(v, torch.Tensor) or not bool(torch.isfinite(v).all()):
            raise ValueError(f"checkpoint {label!r}: model tensor {k!r} is missing or not finite")
    best = state.get("best")
    if best is not None and not (isinstance(best, dict) and isinstance(best.get("model"), dict)
                                 and isinstance(best.get("epoch"), int)):
        raise ValueError(f"checkpoint {label!r}: malformed 'best' entry")


def _read_metrics(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut by a kill -9: everything after it is redone
                break
    return out


def _write_metrics(path: Path, history: list[dict[str, Any]]) -> None:
    """Replace ``metrics.jsonl`` (``path``) and the ``metrics.csv`` beside it by ``history``, atomically."""
    write_log(path.parent, history)
