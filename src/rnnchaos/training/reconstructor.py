"""``Reconstructor``: a scikit-learn style estimator that trains an RNN to reconstruct a dynamical system.

    rec = Reconstructor(model="plrnn", hidden=30, forcing="stf", tau="auto", epochs=2000).fit(X)
    X_gen = rec.generate(100_000)          # free run in data units, (T, N) float64
    rec.score(X_test)                      # -D_stsp of a free run against X_test: one float, higher is better
    rec.evaluate(X_test)                   # {"d_stsp": ..., "d_h": ..., "pe": ...}, as rnnchaos evaluate
    rec.predict(X_test, n_steps=10)        # (T, 10, N) forecasts from every observed point
    rec.save("runs/lorenz"); Reconstructor.load("runs/lorenz")

``fit`` standardises X (mean and standard deviation are stored), picks τ (``"auto"``: τ = c·ln2/λ_max of
the data, or a documented fallback when λ_max cannot be confirmed; :mod:`rnnchaos.training.tau`; the
rule is recorded in ``config.json`` under ``tau_rule.rule``), builds the model with :func:`rnnchaos.models.base.build_model`
and trains it with :class:`rnnchaos.training.trainer.Trainer` (sparse or generalized teacher forcing,
BPTT, truncated BPTT or windowing; Mikhaeil, Monfared & Durstewitz 2022; Hess et al. 2023).  With
``out=DIR`` the run directory holds ``config.json``, ``metrics.jsonl``, ``metrics.csv``, ``checkpoint.pt`` and
``model.pt``;
``fit(X, resume=True)`` continues an interrupted run exactly.  Files are read with
``torch.load(weights_only=True)`` and validated; nothing is unpickled.

It follows scikit-learn's estimator conventions (without depending on it): every ``__init__`` parameter is
stored unchanged as an attribute of the same name, ``get_params(deep)``/``set_params`` work, so
``sklearn.base.clone`` and ``GridSearchCV`` (with ``TimeSeriesSplit``: each fold trains on a prefix of the
series and scores the block after it) do too; ``fit(X)`` takes a (T, N) series or a list of trials.

This module holds the parameters and ``fit``; persistence (``save``, ``load``, ``read_config``) lives in
:mod:`rnnchaos.training.run_directory` and scoring (``evaluate``) in :mod:`rnnchaos.training.estimator_scoring`.

Observation model: ``"linear"`` (x = B z with learned B; forcing uses the pseudo-inverse, as in the STF
paper's code) is the default for every architecture; ``"identity"`` (x = first N units) is available.
On the STF Lorenz-63 data the identity observation with the hidden units kept at forcing trained far
worse in our tests (D_stsp 2–8 after 2 minutes against 0.02 for the linear one; docs/training.md).
"""

from __future__ import annotations

import inspect
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnchaos._util.atomic import write_json_atomic
from rnnchaos._util.validation import positive_int
from rnnchaos.data.datasets import DataSpec, Standardizer
from rnnchaos.data.denoise import DENOISE_METHODS, denoise_trials
from rnnchaos.data.gaps import NAN_POLICIES, split_trials_at_gaps
from rnnchaos.data.mapped import StandardizedSeries, is_mapped, release
from rnnchaos.data.trials import as_trials, check_gapless
from rnnchaos.metrics.presets import DEFAULT_PRESET
from rnnchaos.training.forcing import METHODS, ForcingSchedule
from rnnchaos.training.metrics_log import check_tensorboard, write_log
from rnnchaos.training.run_directory import (
    RUN_FORMAT,
    RUN_VERSION,
    load_run,
    read_config,
    resume_differences,
    run_config,
    save_run,
    stored_estimator_params,
)
from rnnchaos.training.run_lock import run_lock
from rnnchaos.training.trainer import Trainer, TrainSettings

__all__ = ["ARCHS", "MAX_HIDDEN", "RUN_FORMAT", "RUN_VERSION", "Reconstructor", "read_config"]

ARCHS = ("plrnn", "shplrnn", "alrnn", "rnn", "lstm", "gru")
#: the model keyword that ``width`` sets, per architecture
_WIDTH_KWARG = {"shplrnn": "hidden_dim", "alrnn": "relu_units"}
#: epochs of a run given neither ``epochs`` nor ``minutes``
DEFAULT_EPOCHS = 1000
#: estimator parameters not written to ``config.json``
_NOT_STORED = ("out", "progress")
#: upper bound on ``hidden`` (a 10,000-unit PLRNN already has 10⁸ recurrent weights)
MAX_HIDDEN = 10_000


class Reconstructor:
    """Train an RNN on a (T, N) series and use it as a generative model of the dynamics.

    Parameters (all stored in ``config.json``)
    ------------------------------------------
    model : ``plrnn``, ``shplrnn``, ``alrnn``, ``rnn``, ``lstm`` or ``gru``.
    hidden : size of the recurrent state: the latent dimension M (for ``lstm`` the number of cells H;
        its map state [h, c] has 2H units).
    width : the second size of the GTF-line models: for ``shplrnn`` the hidden width L of
        ``W1 relu(W2 z + h2)`` (default 4M; Hess et al. 2023 use L = 250 for M = 5 on ECG), for ``alrnn``
        the number P of rectified units (default M // 2; Brenner et al. 2024).  None: the model's
        default; other models refuse it.  ``clipped=True`` (a model keyword) gives the clipped variants.
    forcing : ``stf``, ``gtf``, ``bptt``, ``tbptt`` or ``window`` (:mod:`rnnchaos.training.forcing`).
    tau : ``"auto"`` or an int ≥ 1 (steps) for ``stf``/``tbptt``/``window``; ``tau_mode`` ``fixed``,
        ``random`` (± ``delta``) or ``anneal`` (from 1 up to τ at ``anneal_epochs``).  λ_max of the data
        is estimated only for ``tau="auto"`` (first 10⁵ samples) or ``lyap_every > 0`` (first 2·10⁴);
        otherwise ``lambda_max_data_`` is None and ``tau_rule_`` says ``"estimated": False``.
    alpha : GTF weight in [0, 1] or ``"auto"`` (Hess et al. 2023 adaptive rule: ``alpha_rule``
        ``product_upper_bound`` or ``pooled_geomean``, re-estimated every ``alpha_every`` optimizer steps,
        annealed with ``alpha_smoothing``; :mod:`rnnchaos.training.gtf`).  ``alpha_decay``, ``alpha_min``:
        per-epoch decay of a fixed α to a floor.  ``loss_weights``: ``none``, ``speed`` or ``speed2`` (towards
        relative velocity errors, for slow-fast data; :mod:`rnnchaos.training.loss_weights`).  ``free_run_weight``
        λ > 0, ``free_run_steps``, ``free_run_quantile``: add λ × the error of plain free runs from slow-phase
        windows (:mod:`rnnchaos.training.free_run_loss`).  ``noise``: sd of Gaussian noise added to every training
        batch (standardised units).  ``lr_end``: the final learning rate of the ``exponential`` (or
        ``cosine``) schedule (CLI ``--lr-final``).  ``lr_decay_epochs``: the schedule reaches ``lr_end`` after
        this many epochs whatever the budget (default None: over the run, by epochs or ``minutes``).
        ``forcing_signal_grad``: False treats the forcing signal as a constant of the observation parameters
        (:mod:`rnnchaos.training.forcing`; Hess et al.'s GTF code does so).  ``latent_l2``: weight λ of the
        L2 penalty on the latent parameters (A towards 1; :mod:`rnnchaos.training.regularization`).
    epochs, minutes : stop after this many epochs or this much training time (``budget_clock`` ``wall``, the
        default, or ``cpu``: the process's CPU time, the same epochs on a loaded machine), whichever comes first;
        ``epochs=None`` (the default) means unbounded when ``minutes`` is given (the run ends with the
        time budget) and ``DEFAULT_EPOCHS`` (1000) when it is not.
    seq_len, batch_size, batches_per_epoch, lr, optimizer (``adam``/``radam``), lr_schedule, clip,
    clip_value : see :class:`rnnchaos.training.trainer.TrainSettings`.
    observation : ``"linear"`` (default), ``"affine"`` (``x = B z + b``, as in Hess et al. 2023) or
        ``"identity"``.
    seed : seeds the model initialisation, the batches and random τ.  device : ``cpu``/``cuda``/``auto``.
    select_every, select_steps, select_starts : model selection (default on, every 250 epochs; off with
        0): every ``select_every`` epochs the model is scored by D_stsp of free runs against the
        *training* series and the best state is kept (:func:`rnnchaos.training.trainer.selection_score`).
        ``select_protocol`` (``pooled``/``gtf2023``/``gtf2023-median``/``gtf2023-max``) and ``select_metric`` (``d_stsp``/``floor-relative``): see
        :class:`rnnchaos.training.trainer.TrainSettings`.  Without it, PLRNNs trained for a few minutes on the STF Lorenz-63 data often end on a model
        whose free runs fall onto a spurious stable fixed point after a long chaotic transient.
    denoise : ``"none"`` (default) or ``"wiener"``: remove white observation noise from the training data
        before anything else sees it (the FFT Wiener filter of :mod:`rnnchaos.data.denoise`, each trial on its
        own; the estimated noise sd: ``denoise_`` and ``denoise`` in ``config.json``).
    nan : ``"error"`` (default) refuses NaN/inf in X; ``"split"`` cuts every trial at its runs of
        non-finite rows and trains on the pieces of at least ``seq_len`` samples (:mod:`rnnchaos.data.gaps`;
        what was kept: ``gaps_``, and ``split["gaps"]`` in ``config.json``).
    out : run directory; progress : tqdm bar on stderr; tensorboard : also log the metrics to
        ``out/tensorboard`` (the ``tensorboard`` extra; without the package ``fit`` refuses).  model_kwargs : a dict of architecture options
        (e.g. ``{"clipped": True}``, ``{"init": "gtf2023"}``) or None.  score_steps : free-run length of
        :meth:`score` (and the default of :meth:`evaluate`).

    Fitted attributes: ``model_`` (a :class:`rnnchaos.models.base.LatentModel`), ``n_features_in_`` (N), ``tau_``, ``alpha_``,
    ``lambda_max_data_`` (per step), ``mean_``, ``std_``, ``history_``, ``result_``.
    """

    def __init__(self, model: str = "plrnn", hidden: int = 30, *, width: int | None = None, forcing: str = "stf",
                 tau: int | str = "auto", alpha: float | str | None = None, epochs: int | None = None,
                 minutes: float | None = None,
                 seq_len: int = 100, batch_size: int = 32, batches_per_epoch: int = 10, lr: float = 1e-3,
                 optimizer: str = "adam", observation: str | None = None, seed: int = 0, device: str = "cpu",
                 out: str | os.PathLike[str] | None = None, progress: bool = False, tau_mode: str = "fixed",
                 delta: int = 0, anneal_epochs: int | None = None, tau_factor: float | None = None,
                 lr_schedule: str = "constant", lr_final: float = 0.01, clip: str = "norm",
                 clip_value: float = 10.0, checkpoint_every: int = 100, log_every: int = 10, lyap_every: int = 500,
                 select_every: int = 250, select_steps: int = 20_000, select_starts: int = 4,
                 select_protocol: str = "pooled", select_metric: str = "d_stsp",
                 tensorboard: bool = False, alpha_rule: str = "product_upper_bound", alpha_every: int = 5,
                 alpha_smoothing: float = 0.999, alpha_decay: float = 1.0, alpha_min: float = 0.0,
                 noise: float = 0.0, lr_end: float | None = None, nan: str = "error", loss_weights: str = "none",
                 free_run_weight: float = 0.0, free_run_steps: int = 100, free_run_quantile: float = 0.5,
                 ema_decay: float = 0.0, forcing_signal_grad: bool = True, lr_decay_epochs: int | None = None, budget_clock: str = "wall",
                 latent_l2: float = 0.0, denoise: str = "none", model_kwargs: dict[str, Any] | None = None,
                 score_steps: int = 100_000) -> None:
        self.model = model
        self.hidden = hidden
        self.width = width
        self.forcing = forcing
        self.tau = tau
        self.alpha = alpha
        self.epochs = epochs
        self.minutes = minutes
        self.seq_len = seq_len
        self.batch_size = batch_size
        self.batches_per_epoch = batches_per_epoch
        self.lr = lr
        self.optimizer = optimizer
        self.observation = observation
        self.seed = seed
        self.device = device
        self.out = out
        self.progress = progress
        self.tau_mode = tau_mode
        self.delta = delta
        self.anneal_epochs = anneal_epochs
        self.tau_factor = tau_factor
        self.lr_schedule = lr_schedule
        self.lr_final = lr_final
        self.clip = clip
        self.clip_value = clip_value
        self.checkpoint_every = checkpoint_every
        self.log_every = log_every
        self.lyap_every = lyap_every
        self.select_every = select_every
        self.select_steps = select_steps
        self.select_starts = select_starts
        self.select_protocol = select_protocol
        self.select_metric = select_metric
        self.tensorboard = tensorboard
        self.alpha_rule = alpha_rule
        self.alpha_every = alpha_every
        self.alpha_smoothing = alpha_smoothing
        self.alpha_decay = alpha_decay
        self.alpha_min = alpha_min
        self.noise = noise
        self.loss_weights = loss_weights
        self.free_run_weight = free_run_weight
        self.free_run_steps = free_run_steps
        self.free_run_quantile = free_run_quantile
        self.ema_decay = ema_decay
        self.lr_end = lr_end
        self.nan = nan
        self.forcing_signal_grad = forcing_signal_grad
        self.lr_decay_epochs = lr_decay_epochs
        self.budget_clock = budget_clock
        self.latent_l2 = latent_l2
        self.denoise = denoise
        self.model_kwargs = model_kwargs
        self.score_steps = score_steps

    # ------------------------------------------------------------------ configuration
    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The ``__init__`` parameters, in order (scikit-learn's convention: each is an attribute)."""
        return [n for n in inspect.signature(cls.__init__).parameters if n != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The ``__init__`` parameters as stored (scikit-learn ``get_params``; no parameter is an estimator,
        so ``deep`` changes nothing)."""
        return {n: getattr(self, n) for n in self._get_param_names()}

    def set_params(self, **params: Any) -> Reconstructor:
        """Set ``__init__`` parameters by name (scikit-learn ``set_params``); returns ``self``."""
        valid = set(self._get_param_names())
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for Reconstructor; valid: {', '.join(sorted(valid))}")
            setattr(self, name, value)
        return self

    def __sklearn_tags__(self) -> Any:
        """scikit-learn tags (imported here: scikit-learn is not a dependency): an unsupervised estimator
        of 2-D float data (a (T, N) series; also the sequence of its rows, which ``TimeSeriesSplit`` cuts)."""
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False), input_tags=InputTags(),
                    non_deterministic=False)

    def _model_kwargs(self) -> dict[str, Any]:
        if self.model_kwargs is None:
            return {}
        if not isinstance(self.model_kwargs, dict):
            raise ValueError(f"model_kwargs must be a dict of architecture options or None, got {self.model_kwargs!r}")
        return dict(self.model_kwargs)

    def _stored_params(self) -> dict[str, Any]:
        """``get_params()`` as written to ``config.json``: ``model_kwargs`` None as ``{}``, without ``out`` and
        ``progress`` (where and how a run is shown is not part of it; a run directory may move)."""
        params = {**self.get_params(), "model_kwargs": self._model_kwargs()}
        for name in _NOT_STORED:
            params.pop(name)
        return params

    def _check_params(self) -> None:
        if self.model not in ARCHS:
            raise ValueError(f"model must be one of {', '.join(ARCHS)}, got {self.model!r}")
        if positive_int(self.hidden, "hidden") > MAX_HIDDEN:
            raise ValueError(f"hidden must be at most {MAX_HIDDEN}, got {self.hidden}")
        if self.forcing not in METHODS:
            raise ValueError(f"forcing must be one of {', '.join(METHODS)}, got {self.forcing!r}")
        if not (self.tau == "auto" or (isinstance(self.tau, int | np.integer) and not isinstance(self.tau, bool)
                                       and int(self.tau) >= 1)):
            raise ValueError(f"tau must be 'auto' or an integer >= 1, got {self.tau!r}")
        if self.forcing == "gtf":
            if self.alpha is None:
                raise ValueError("forcing 'gtf' needs alpha: a number in [0, 1] or 'auto'")
            if self.alpha != "auto":
                a = float(self.alpha)
                if not 0.0 <= a <= 1.0:
                    raise ValueError(f"alpha must be in [0, 1] or 'auto', got {self.alpha!r}")
        if self.observation not in (None, "linear", "affine", "identity"):
            raise ValueError(f"observation must be 'linear', 'affine' or 'identity', got {self.observation!r}")
        if self.width is not None:
            if self.model not in _WIDTH_KWARG:
                raise ValueError(f"width applies to shplrnn (hidden width L) and alrnn (ReLU units P) only, "
                                 f"not to {self.model!r}; leave it None")
            w = positive_int(self.width, "width") if self.model == "shplrnn" else self.width
            if isinstance(w, bool) or not isinstance(w, int | np.integer) or int(w) < 0:
                raise ValueError(f"width (alrnn: the number P of ReLU units, 0 <= P <= hidden) must be a "
                                 f"non-negative integer, got {self.width!r}")
            if _WIDTH_KWARG[self.model] in self._model_kwargs():
                raise ValueError(f"give the {self.model} width once: width={self.width!r} and "
                                 f"{_WIDTH_KWARG[self.model]}={self._model_kwargs()[_WIDTH_KWARG[self.model]]!r}")
        if self.denoise not in DENOISE_METHODS:
            raise ValueError(f"denoise must be one of {', '.join(DENOISE_METHODS)}, got {self.denoise!r}")
        if self.nan not in NAN_POLICIES:
            raise ValueError(f"nan must be one of {', '.join(NAN_POLICIES)}, got {self.nan!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        if self.tensorboard:
            check_tensorboard()

    def _latent_dim(self) -> int:
        h = positive_int(self.hidden, "hidden")
        return 2 * h if self.model == "lstm" else h

    def _build_model(self, obs_dim: int) -> Any:
        from rnnchaos.models.base import build_model

        obs = self.observation or "linear"
        kwargs = self._model_kwargs()
        if self.width is not None:
            kwargs[_WIDTH_KWARG[self.model]] = int(self.width)
        try:
            return build_model(self.model, obs_dim, self._latent_dim(), observation=obs, seed=int(self.seed),
                               **kwargs)
        except TypeError as exc:
            raise ValueError(f"invalid model options {self.model_kwargs} for {self.model!r}: {exc}") from None

    def _epochs(self) -> int | None:
        """The epoch cap: ``epochs`` when given, None (time budget only) under ``minutes``, else 1000."""
        if self.epochs is not None:
            return positive_int(self.epochs, "epochs")
        return None if self.minutes is not None else DEFAULT_EPOCHS

    def _settings(self, tau: int | None, alpha: float | None) -> TrainSettings:
        method = self.forcing
        needs_tau = method in ("stf", "window", "tbptt")
        sched = ForcingSchedule(method=method, tau=tau if needs_tau else None,
                                tau_mode=self.tau_mode if needs_tau else "fixed", delta=int(self.delta),
                                anneal_epochs=self.anneal_epochs, alpha=alpha if method == "gtf" else None,
                                signal_grad=self.forcing_signal_grad)
        return TrainSettings(
            forcing=sched, alpha_mode="auto" if (method == "gtf" and self.alpha == "auto") else "fixed",
            epochs=self._epochs(),
            minutes=None if self.minutes is None else float(self.minutes), budget_clock=self.budget_clock,
            seq_len=int(self.seq_len),
            batch_size=int(self.batch_size), batches_per_epoch=int(self.batches_per_epoch), lr=float(self.lr),
            optimizer=self.optimizer, lr_schedule=self.lr_schedule, lr_final=float(self.lr_final),
            clip=self.clip, clip_value=float(self.clip_value), checkpoint_every=int(self.checkpoint_every),
            log_every=int(self.log_every), lyap_every=int(self.lyap_every), select_every=int(self.select_every),
            select_steps=int(self.select_steps), select_starts=int(self.select_starts),
            select_protocol=str(self.select_protocol), select_metric=str(self.select_metric),
            tensorboard=bool(self.tensorboard), seed=int(self.seed),
            device=self.device, alpha_rule=self.alpha_rule, alpha_every=int(self.alpha_every),
            alpha_smoothing=float(self.alpha_smoothing), alpha_decay=float(self.alpha_decay),
            alpha_min=float(self.alpha_min), noise=float(self.noise), latent_l2=float(self.latent_l2),
            loss_weights=str(self.loss_weights), free_run_weight=float(self.free_run_weight),
            free_run_steps=int(self.free_run_steps), free_run_quantile=float(self.free_run_quantile),
            ema_decay=float(self.ema_decay), lr_end=None if self.lr_end is None else float(self.lr_end), lr_decay_epochs=self.lr_decay_epochs)

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None, *, data_spec: DataSpec | None = None, split: dict[str, Any] | None = None,
            resume: bool = False) -> Reconstructor:
        """Train on ``X`` (see :meth:`_fit`), holding the lock of the run directory ``out``
        (:mod:`rnnchaos.training.run_lock`: a second process on the same ``out`` is refused, naming the PID).
        ``X``: one (T, N) series or a list of trials (T_i, N); ``y`` is ignored (scikit-learn convention)."""
        with run_lock(self.out):
            return self._fit(X, data_spec=data_spec, split=split, resume=resume)

    def _fit(self, X: Any, *, data_spec: DataSpec | None = None, split: dict[str, Any] | None = None,
             resume: bool = False) -> Reconstructor:
        """Train on ``X``: a (T, N) series, or several trials as a list of (T_i, N) arrays or a (K, T, N)
        array (:mod:`rnnchaos.data.trials`: standardised over all trials pooled, sequences never cross a
        trial boundary, τ = auto from the longest trial).  NaN/inf are rejected with a ``ValueError``
        (``nan="split"``: cut into trials at the gaps);
        ``resume=True`` continues the run in ``out`` from its checkpoint.  Returns ``self``; see ``result_.status`` for how it ended."""
        from rnnchaos.training.tau import AUTO_TAU_SAMPLES, LOGGED_LAMBDA_SAMPLES, TAU_FACTOR, auto_tau

        self._check_params()
        raw = as_trials(X, name="training data", min_length=3, allow_nonfinite=True)
        self.gaps_: dict[str, Any] | None = None
        if self.nan == "split":  # cut at runs of NaN/inf, keep pieces of >= seq_len samples (rnnchaos.data.gaps)
            trials, self.gaps_ = split_trials_at_gaps(raw, positive_int(self.seq_len, "seq_len"), name="training data")
            self.gaps_.pop("pieces")
        else:
            for i, t in enumerate(raw):
                check_gapless(t, "training data" if len(raw) == 1 else f"training data, trial {i}", "error")
            trials = raw
        self.denoise_: dict[str, Any] | None = None
        if self.denoise != "none":  # the filtered trials replace the data for everything below
            trials, info = denoise_trials([np.asarray(t) for t in trials], self.denoise)
            self.denoise_ = info.to_dict() if info is not None else None
        longest = max(trials, key=lambda t: t.shape[0])
        if longest.shape[0] < int(self.seq_len):
            raise ValueError(f"training data has {longest.shape[0]} samples"
                             f"{' in its longest trial' if len(trials) > 1 else ''}, fewer than seq_len={self.seq_len}")
        x = trials[0] if len(trials) == 1 else np.concatenate(trials, axis=0)
        self.n_features_in_ = int(x.shape[1])
        run_dir = Path(self.out) if self.out is not None else None
        previous: dict[str, Any] | None = None
        if resume:
            if run_dir is None:
                raise ValueError("resume needs a run directory (out=DIR / --out DIR)")
            previous = read_config(run_dir)
            if self.epochs is None and self.minutes is None:  # no budget given: the stored one, not the default
                stored = stored_estimator_params(type(self), previous)
                self.epochs, self.minutes = stored.get("epochs"), stored.get("minutes")
                budget = previous.get("training") or {}
                warnings.warn(f"resume without epochs or minutes (--epochs, --minutes): keeping the stored budget "
                              f"(epochs {budget.get('epochs')}, minutes {budget.get('minutes')}); give a larger "
                              "one to train longer", stacklevel=3)
        elif run_dir is not None and (run_dir / "checkpoint.pt").exists():
            raise ValueError(f"run directory {str(run_dir)!r} already holds a run; use --resume to continue it "
                             "or choose another --out")
        if len(trials) == 1 and is_mapped(x):  # a memory-mapped file: statistics and standardisation by blocks
            std = Standardizer.fit_blockwise(x)
            xs: list[Any] = [StandardizedSeries(x, std.mean, std.std)]
        else:
            std = Standardizer.fit(x)  # over all trials pooled
            xs = [std.transform(t) for t in trials]
        self.mean_, self.std_ = std.mean, std.std
        self.x0_ = np.array(x[0], dtype=np.float64)
        tau_rule: dict[str, Any] | None = None
        lam: float | None = None
        if previous is not None:
            tau = previous.get("tau")
            lam = previous.get("lambda_max_data")
            tau_rule = previous.get("tau_rule")
        else:
            tau = None
            uses_tau = self.forcing in ("stf", "window", "tbptt")
            for_tau = self.tau == "auto" and uses_tau
            # which rule of rnnchaos.training.tau gave τ ("given" when tau is an integer, "unused" when the
            # forcing has no interval); λ_max of the data is estimated only when τ = auto needs it or the
            # λ_max logging (lyap_every > 0) writes it beside the model's, then from fewer samples
            tau_rule = {"rule": "auto" if for_tau else "given" if uses_tau else "unused", "estimated": False}
            if for_tau or int(self.lyap_every) > 0:
                try:
                    # λ_max from the longest trial (an estimate must not run across a trial boundary)
                    res = auto_tau(longest, factor=self.tau_factor or TAU_FACTOR, seed=int(self.seed),
                                   max_samples=AUTO_TAU_SAMPLES if for_tau else LOGGED_LAMBDA_SAMPLES)
                    release(longest)  # the pages of a memory-mapped series that the estimate read
                    lam = res.lambda_max
                    tau_rule = {**res.to_dict(), **({} if for_tau else {"rule": tau_rule["rule"]})}
                    if for_tau:
                        tau = res.tau
                        if res.warning:
                            warnings.warn(f"tau=auto: {res.warning}", stacklevel=2)
                except ValueError as exc:
                    if for_tau:
                        raise ValueError(f"tau='auto' needs λ_max of the data, which failed: {exc}; "
                                         "give an integer tau instead") from None
            if self.tau != "auto":
                tau = int(self.tau)
        if self.forcing not in ("stf", "window", "tbptt"):
            tau = None
        elif tau is not None and int(tau) >= int(self.seq_len):
            warnings.warn(f"tau={tau} is not shorter than seq_len={self.seq_len}: no training sequence is ever "
                          f"forced, which is plain BPTT; use seq_len >= 2*tau (--seq-len {2 * int(tau)})",
                          stacklevel=2)
        self.tau_ = tau
        self.lambda_max_data_ = lam
        self.tau_rule_ = tau_rule
        self.model_ = self._build_model(x.shape[1])
        alpha: float | None = None
        if self.forcing == "gtf":
            # the adaptive α starts at alpha_max = 1 and anneals down (Hess et al. 2023's code)
            alpha = 1.0 if self.alpha == "auto" else float(self.alpha)  # type: ignore[arg-type]
        settings = self._settings(tau, alpha)
        if previous is not None:  # only the epoch cap and the time budget may grow (run_directory.GROWABLE)
            differ = resume_differences(type(self), previous, self._stored_params(), settings.to_dict())
            if differ:
                raise ValueError(f"cannot resume {str(self.out)!r}: its training settings differ from the stored ones "
                                 f"({'; '.join(differ)}); resume with the stored options (only --epochs and "
                                 "--minutes may grow)")
        self.data_spec_ = data_spec or DataSpec(kind="array", source="<array>")
        self.split_ = split or {"test_fraction": 0.0, "n_train": int(x.shape[0]), "n_test": 0}
        if self.gaps_ is not None and "gaps" not in self.split_:
            self.split_ = {**self.split_, "gaps": self.gaps_}
        if run_dir is not None and previous is None:
            run_dir.mkdir(parents=True, exist_ok=True)
            write_json_atomic(run_dir / "config.json", self._config(settings))
            write_log(run_dir, [])  # empty metrics.jsonl and metrics.csv (rnnchaos.training.metrics_log)
        trainer = Trainer(self.model_, xs if len(xs) > 1 else xs[0], settings, run_dir=run_dir, lambda_max_data=lam, progress=self.progress)
        if previous is not None:
            trainer.load_checkpoint()
        result = trainer.run()
        self.model_.eval()
        self.alpha_ = trainer.alpha
        self.settings_ = settings
        self.result_ = result
        self.history_ = result.history
        if run_dir is not None:
            write_json_atomic(run_dir / "config.json", self._config(settings))
        if result.status == "diverged":
            warnings.warn(result.message, stacklevel=2)
        return self

    def _config(self, settings: TrainSettings) -> dict[str, Any]:
        return run_config(self, settings)

    # ------------------------------------------------------------------ use
    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise ValueError("this Reconstructor is not fitted yet; call fit(X) or Reconstructor.load(run_dir)")

    def _check_width(self, x: NDArray[np.float64]) -> None:
        if x.shape[1] != self.mean_.shape[0]:  # scikit-learn's wording (its estimator checks match it)
            raise ValueError(f"X has {x.shape[1]} features, but Reconstructor is expecting {self.mean_.shape[0]} "
                             "features as input (the columns it was fitted on)")

    def generate(self, T: int, x0: Any | None = None) -> NDArray[np.float64]:
        """Free run of T steps in data units, (T, N) float64, from the latent state inferred from ``x0``
        (data units; default the first training point); :func:`rnnchaos.models.free_run.free_run` on the
        model in its training dtype.  Entries after an overflow are ``inf``."""
        from rnnchaos.models.free_run import free_run, initial_states

        self._check_fitted()
        T = positive_int(T, "T")
        x0a = np.asarray(self.x0_ if x0 is None else x0, dtype=np.float64).reshape(-1)
        if x0a.shape != self.mean_.shape or not np.all(np.isfinite(x0a)):
            raise ValueError(f"x0 must be a finite vector of length {self.mean_.shape[0]}, got {x0!r}")
        y = free_run(self.model_, initial_states(self.model_, ((x0a - self.mean_) / self.std_)[None, :]), T)[0]
        with np.errstate(over="ignore", invalid="ignore"):
            out = y * self.std_ + self.mean_
        out[~np.isfinite(out)] = np.inf
        return out

    def evaluate(self, X_test: Any, preset: str = DEFAULT_PRESET, n_steps: int | None = None, pe_steps: int = 20,
                 seed: int = 0) -> dict[str, Any]:
        """D_stsp, D_H and PE(``pe_steps``) against ``X_test`` (T, N) by the protocol of ``rnnchaos evaluate``
        (the same numbers for the same run, data and seed; free run of ``n_steps``, default ``score_steps``);
        see :func:`rnnchaos.training.estimator_scoring.score_estimator`."""
        from rnnchaos.training.estimator_scoring import score_estimator

        steps = positive_int(self.score_steps if n_steps is None else n_steps, "n_steps")
        return score_estimator(self, X_test, preset=preset, n_steps=steps, pe_steps=pe_steps, seed=seed)

    def score(self, X: Any, y: Any = None) -> float:
        """One number, higher is better (scikit-learn ``score``): −D_stsp of a free run of ``score_steps`` steps
        from the state inferred from ``X[0]`` against ``X`` (T, N), the state-space divergence of
        :meth:`evaluate` (default preset); a list of trials gives the mean over the trials.  A free run that
        overflows scores ``-inf`` (not the D_stsp of its finite prefix); ``y`` is ignored."""
        self._check_fitted()
        trials = as_trials(X, name="X", min_length=2)
        self._check_width(trials[0])
        values = []
        for t in trials:
            res = self.evaluate(t, pe_steps=max(1, t.shape[0]))  # pe_steps >= T: no PE computed
            d = res["d_stsp"]
            values.append(-float(d) if res["finite"] and d is not None and np.isfinite(d) else -np.inf)
        return float(np.mean(values))

    def predict(self, X: Any, n_steps: int = 1) -> NDArray[np.float64]:
        """Forecasts from every observed point: ``out[t, k]`` (data units) is the model's prediction of
        ``X[t + k + 1]`` from the latent state inferred from ``X[t]`` alone (``ModelMap.encode``, then
        ``k + 1`` model steps; the states behind PE(n) in :meth:`evaluate`).  ``X``: (T, N); returns
        (T, n_steps, N) float64; predictions that overflow are ``inf``.  Cost: T·n_steps model steps."""
        from rnnchaos._util.validation import as_trajectory

        self._check_fitted()
        x = as_trajectory(X, name="X", min_length=1)
        self._check_width(x)
        n = positive_int(n_steps, "n_steps")
        fmap = self.model_.as_map(mean=self.mean_, std=self.std_)
        out = np.empty((x.shape[0], n, x.shape[1]), dtype=np.float64)
        s = fmap.encode(x)
        for k in range(n):
            s = fmap.step(s)
            with np.errstate(over="ignore", invalid="ignore"):
                out[:, k] = np.asarray(fmap.decode(s), dtype=np.float64)
        out[~np.isfinite(out)] = np.inf
        return out

    # ------------------------------------------------------------------ persistence
    def save(self, run_dir: str | os.PathLike[str]) -> None:
        """Write ``config.json`` and ``model.pt`` (``{"config", "state_dict"}``) to ``run_dir`` atomically
        (:func:`rnnchaos.training.run_directory.save_run`)."""
        save_run(self, run_dir)

    @classmethod
    def load(cls, run_dir: str | os.PathLike[str]) -> Reconstructor:
        """Rebuild a fitted estimator from a run directory (``torch.load(weights_only=True)``, validated;
        :func:`rnnchaos.training.run_directory.load_run`)."""
        return load_run(cls, run_dir)
