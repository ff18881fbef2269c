"""Latent RNN models as maps ``z_{t+1} = F(z_t)`` with an analytic Jacobian and an observation model.

Every architecture in :mod:`rnnchaos.models` subclasses :class:`LatentModel` (a ``torch.nn.Module``):

* ``step(z)``: one step of the latent map, batched ``(B, M) -> (B, M)`` with no Python loop over ``B``;
* ``jacobian(z)``: the analytic Jacobian ``dF/dz`` as ``(B, M, M)``;
* ``tangent(z, Q)``: ``(F(z), J(z) @ Q)`` for tangent frames ``Q`` of shape ``(B, M, k)`` computed
  *without forming* ``J`` (cost ``O(B M^2 k)`` for dense layers instead of ``O(B M^3)``);
* ``observe(z)``: the observation model ``(B, M) -> (B, N)``: identity on the first ``N`` units, a
  learned linear read-out ``x = B z``, or an affine one ``x = B z + b``;
* ``infer_latent(x, z)``: the data-inferred latent state used by (sparse) teacher forcing
  (Mikhaeil, Monfared & Durstewitz, NeurIPS 2022);
* ``as_map()``: a float64 NumPy :class:`rnnchaos.core.TangentMap` adapter that every analysis in
  :mod:`rnnchaos.dynamics` reads (units: per step; ``dt`` is ``None``).

Models are float32 by default (training) and float64 on request (analysis). External inputs ``s`` of
dimension ``input_dim`` are optional; when a model is used as a map the input is zero or a given
constant vector. All random initialisation goes through a ``torch.Generator`` built from ``seed``;
nothing seeds the global torch state.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

Array = NDArray[np.float64]

OBSERVATIONS = ("identity", "linear", "affine")
#: largest number of parameter entries a model may allocate (2**28 entries = 2 GiB in float64): larger
#: sizes are refused with a ValueError instead of failing inside the allocator
MAX_PARAMETERS = 2**28
_DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "float64": torch.float64}


def as_torch_generator(seed: int | torch.Generator | None) -> torch.Generator:
    """Return a ``torch.Generator`` from an int, an existing generator (returned as is) or ``None``.

    ``None`` gives a generator seeded from OS entropy; the global torch RNG is never touched.
    """
    if isinstance(seed, torch.Generator):
        return seed
    gen = torch.Generator()
    if seed is None:
        gen.seed()
        return gen
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be an integer, a torch.Generator or None, got {seed!r}")
    if int(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    gen.manual_seed(int(seed))
    return gen


def resolve_dtype(dtype: Any) -> torch.dtype:
    """Accept ``torch.float32/float64`` or the strings ``"float32"/"float64"``."""
    if isinstance(dtype, torch.dtype):
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        return dtype
    if isinstance(dtype, str) and dtype in _DTYPES:
        return _DTYPES[dtype]
    raise ValueError(f"dtype must be 'float32' or 'float64' (or the torch dtype), got {dtype!r}")


def dtype_name(dtype: torch.dtype) -> str:
    return "float64" if dtype == torch.float64 else "float32"


def _check_dim(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if int(value) > MAX_PARAMETERS:
        raise ValueError(f"{name} = {value} is too large (at most {MAX_PARAMETERS})")
    return int(value)


def check_parameter_count(count: int, what: str) -> None:
    """Refuse a model with more than :data:`MAX_PARAMETERS` parameter entries (before allocating them)."""
    if count > MAX_PARAMETERS:
        raise ValueError(f"{what} would need {count:.3g} parameters, more than the limit of {MAX_PARAMETERS:.3g} "
                         "(2 GiB in float64); use a smaller latent/hidden size")


class LatentModel(torch.nn.Module):
    """Base class: a latent map ``z -> F(z)`` of dimension ``M`` observed in ``N`` dimensions.

    Subclasses implement ``_step(z, b)``, ``_tangent(z, q, b)`` and ``_jacobian(z, b)``, where ``b`` is
    the (possibly ``None``) external input ``s`` of shape ``(B, K)``, and ``_extra_config()``.

    Parameters
    ----------
    latent_dim: ``M``, the size of the state ``z``.
    obs_dim: ``N``, the size of the observations ``x``.
    observation: ``"identity"`` (``x = z[:, :N]``, needs ``N <= M``), ``"linear"`` (``x = z @ B.T``
        with a learned ``B`` of shape ``(N, M)``) or ``"affine"`` (``x = z @ B.T + b``, learned ``B`` and
        offset ``b`` of shape ``(N,)``, initially 0; the observation model of Hess et al. 2023).
    input_dim: ``K`` >= 0, size of an optional external input.
    dtype: ``torch.float32`` (default) or ``torch.float64``.
    """

    arch: ClassVar[str] = "base"
    #: whether ``jacobian`` costs O(M^2) per state (a diagonal times a weight matrix, plus a diagonal), so that a
    #: full-spectrum tangent step may form ``J`` and apply the QR's reflectors to it (``ModelMap``)
    cheap_jacobian: ClassVar[bool] = False

    def __init__(self, latent_dim: int, obs_dim: int, *, observation: str = "identity", input_dim: int = 0,
                 dtype: Any = torch.float32, seed: int | torch.Generator | None = None) -> None:
        super().__init__()
        self.latent_dim = _check_dim(latent_dim, "latent_dim")
        self.obs_dim = _check_dim(obs_dim, "obs_dim")
        if isinstance(input_dim, bool) or not isinstance(input_dim, int | np.integer) or int(input_dim) < 0:
            raise ValueError(f"input_dim must be a non-negative integer, got {input_dim!r}")
        self.input_dim = int(input_dim)
        if observation not in OBSERVATIONS:
            raise ValueError(f"observation must be one of {OBSERVATIONS}, got {observation!r}")
        if observation == "identity" and self.obs_dim > self.latent_dim:
            raise ValueError(
                f"identity observation needs obs_dim <= latent_dim, got obs_dim={self.obs_dim} > "
                f"latent_dim={self.latent_dim}; use observation='linear' or a larger latent_dim")
        self.observation = observation
        self._dtype = resolve_dtype(dtype)
        self._generator = as_torch_generator(seed)
        check_parameter_count(self.latent_dim * self.latent_dim, f"a latent map of size {self.latent_dim}")
        check_parameter_count(self.latent_dim * self.input_dim, f"an input of size {self.input_dim}")
        if observation in ("linear", "affine"):
            check_parameter_count(self.obs_dim * self.latent_dim, f"the {observation} observation model")
            self.B = torch.nn.Parameter(
                self._randn(self.obs_dim, self.latent_dim) / np.sqrt(self.latent_dim))
        if observation == "affine":
            self.b = torch.nn.Parameter(torch.zeros(self.obs_dim, dtype=self._dtype))

    # ------------------------------------------------------------------ random helpers
    def _randn(self, *shape: int) -> Tensor:
        return torch.randn(*shape, generator=self._generator, dtype=torch.float64).to(self._dtype)

    def _uniform(self, bound: float, *shape: int) -> Tensor:
        u = torch.rand(*shape, generator=self._generator, dtype=torch.float64)
        return ((2.0 * u - 1.0) * bound).to(self._dtype)

    # ------------------------------------------------------------------ to be implemented
    def _step(self, z: Tensor, s: Tensor | None) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _tangent(self, z: Tensor, q: Tensor, s: Tensor | None) -> tuple[Tensor, Tensor]:
        return self._step(z, s), self._jacobian(z, s) @ q

    def _jacobian(self, z: Tensor, s: Tensor | None) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _extra_config(self) -> dict[str, Any]:
        return {}

    # ------------------------------------------------------------------ public API
    @property
    def dtype(self) -> torch.dtype:
        """The floating dtype of the parameters (float32 or float64)."""
        for p in self.parameters():
            return p.dtype
        return self._dtype

    @property
    def device(self) -> torch.device:
        """The device of the parameters (the CPU for a model without parameters)."""
        for p in self.parameters():
            return p.device
        return torch.device("cpu")

    def _check_z(self, z: Tensor, name: str = "z") -> Tensor:
        if not isinstance(z, Tensor):
            z = torch.as_tensor(np.asarray(z), dtype=self.dtype, device=self.device)
        if z.dim() == 1:
            z = z[None, :]
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"{name} must have shape (B, {self.latent_dim}), got {tuple(z.shape)}")
        return z

    def _check_s(self, s: Tensor | None, batch: int) -> Tensor | None:
        if s is None or self.input_dim == 0:
            if s is not None and torch.as_tensor(s).numel() > 0:
                raise ValueError("this model has input_dim=0 but an input s was given")
            return None
        s = torch.as_tensor(s, dtype=self.dtype, device=self.device)
        if s.dim() == 1:
            s = s[None, :].expand(batch, -1)
        if s.dim() != 2 or s.shape[1] != self.input_dim:
            raise ValueError(f"input s must have shape (B, {self.input_dim}) or ({self.input_dim},), "
                             f"got {tuple(s.shape)}")
        return s

    def step(self, z: Tensor, s: Tensor | None = None) -> Tensor:
        """One step of the latent map: ``(B, M) -> (B, M)``; ``s`` is an optional input ``(B, K)``."""
        z = self._check_z(z)
        return self._step(z, self._check_s(s, z.shape[0]))

    def forward(self, z: Tensor, s: Tensor | None = None) -> Tensor:
        return self.step(z, s)

    def jacobian(self, z: Tensor, s: Tensor | None = None) -> Tensor:
        """Analytic Jacobian ``dF/dz`` at each state: ``(B, M) -> (B, M, M)``."""
        z = self._check_z(z)
        return self._jacobian(z, self._check_s(s, z.shape[0]))

    def tangent(self, z: Tensor, q: Tensor, s: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Return ``(F(z), J(z) @ Q)`` for ``z`` ``(B, M)`` and ``Q`` ``(B, M, k)`` without forming ``J``."""
        z = self._check_z(z)
        if q.dim() != 3 or q.shape[0] != z.shape[0] or q.shape[1] != self.latent_dim:
            raise ValueError(f"Q must have shape ({z.shape[0]}, {self.latent_dim}, k), got {tuple(q.shape)}")
        return self._tangent(z, q, self._check_s(s, z.shape[0]))

    def observe(self, z: Tensor) -> Tensor:
        """Observation model ``(B, M) -> (B, N)`` (also works on ``(..., M)``)."""
        if self.observation == "identity":
            return z[..., : self.obs_dim]
        if self.observation == "affine":
            return z @ self.B.T + self.b
        return z @ self.B.T

    def infer_latent(self, x: Tensor, z: Tensor | None = None) -> Tensor:
        """Latent state inferred from observations ``x`` ``(B, N)`` for teacher forcing -> ``(B, M)``.

        Identity observation: the first ``N`` units are replaced by ``x`` and the other ``M - N`` are
        kept from ``z`` (zeros if ``z`` is None), as in sparse teacher forcing (Mikhaeil et al. 2022).
        Linear observation: ``z + B^+ (x - B z)`` with the Moore–Penrose pseudo-inverse ``B^+``, i.e. the
        state closest to ``z`` that reproduces ``x`` (``B^+ x`` when ``z`` is None; Brenner et al. 2022).
        Affine observation: the same with ``x - b`` in place of ``x``: ``z + B^+ (x - b - B z)``.
        """
        x = torch.as_tensor(x)
        if x.dim() == 1:
            x = x[None, :]
        if x.dim() != 2 or x.shape[1] != self.obs_dim:
            raise ValueError(f"x must have shape (B, {self.obs_dim}), got {tuple(x.shape)}")
        dt = self.dtype
        x = x.to(dt)
        if z is None:
            z = torch.zeros(x.shape[0], self.latent_dim, dtype=dt, device=x.device)
        else:
            z = self._check_z(z).to(dt)
            if z.shape[0] != x.shape[0]:
                raise ValueError(f"x and z must have the same batch size, got {x.shape[0]} and {z.shape[0]}")
        if self.observation == "identity":
            return torch.cat([x, z[:, self.obs_dim:]], dim=1)
        pinv = torch.linalg.pinv(self.B)
        if self.observation == "affine":
            x = x - self.b
        return z + (x - z @ self.B.T) @ pinv.T

    def trajectory(self, z0: Tensor, n_steps: int, s: Tensor | None = None) -> Tensor:
        """Iterate the map: returns ``(B, n_steps + 1, M)`` starting with ``z0`` ``(B, M)``."""
        z = self._check_z(z0, "z0")
        ss = self._check_s(s, z.shape[0])
        out = [z]
        for _ in range(int(n_steps)):
            z = self._step(z, ss)
            out.append(z)
        return torch.stack(out, dim=1)

    def config(self) -> dict[str, Any]:
        """JSON-serialisable constructor arguments, including ``"arch"`` (see :func:`model_from_config`)."""
        cfg: dict[str, Any] = {"arch": self.arch, "obs_dim": self.obs_dim, "latent_dim": self.latent_dim,
                               "observation": self.observation, "input_dim": self.input_dim,
                               "dtype": dtype_name(self.dtype)}
        cfg.update(self._extra_config())
        return cfg

    def as_map(self, input: Any = None, *, mean: Any = None, std: Any = None) -> ModelMap:  # noqa: A002
        """A float64 NumPy :class:`~rnnchaos.core.TangentMap` of this model (a detached float64 copy).

        ``input``: constant external input ``(K,)`` applied at every step (zero when None); ``mean``/``std``
        (N,): the standardisation of the training data, used by ``encode``/``decode`` (see :class:`ModelMap`).
        """
        return ModelMap(self, input=input, mean=mean, std=std)

    def as_torch_map(self, input: Any = None, *, device: Any = None,  # noqa: A002
                     dtype: Any = torch.float64) -> TorchModelMap:
        """A torch tangent map of this model on ``device`` (``cpu``/``cuda``/``auto``; default: where the
        model is), for :func:`rnnchaos.dynamics.lyapunov_spectrum_torch.lyapunov_spectrum_torch`
        (a detached copy in ``dtype``, float64 by default)."""
        return TorchModelMap(self, input=input, device=device, dtype=dtype)


def _frozen_copy(model: LatentModel, device: torch.device, dtype: torch.dtype) -> LatentModel:
    """A detached deep copy of ``model`` on ``device`` in ``dtype``, in eval mode, without gradients (so later
    training of the original does not change the adapters below)."""
    frozen = copy.deepcopy(model).to(device=device, dtype=dtype).eval()
    for p in frozen.parameters():
        p.requires_grad_(False)
    return frozen


def _constant_input(model: LatentModel, input: Any, device: torch.device,  # noqa: A002
                    dtype: torch.dtype) -> Tensor | None:
    """``input`` as a constant external input ``(K,)`` on ``device``, checked against ``model.input_dim``;
    None stays None (zero input)."""
    if input is None:
        return None
    s = torch.as_tensor(np.asarray(input, dtype=np.float64))
    if s.dim() != 1 or s.shape[0] != model.input_dim or model.input_dim == 0:
        raise ValueError(f"input must be a constant vector of length input_dim={model.input_dim}, "
                         f"got shape {tuple(s.shape)}")
    return s.to(device=device, dtype=dtype)


class ModelMap:
    """The one adapter from a :class:`LatentModel` to float64 NumPy: a :class:`~rnnchaos.core.TangentMap`
    (per-step units) for :mod:`rnnchaos.dynamics`, plus ``encode``/``decode`` between data units and latent
    states for evaluation, prediction error and the estimator.

    Holds a detached float64 deep copy of the model (in eval mode), so later training of the original does
    not change the map. ``tangent_step`` uses the model's matrix-free ``tangent`` (``J @ Q`` without forming
    ``J``). ``mean``/``std`` (N,) are the standardisation the model was trained under (identity when None):
    ``encode(x) = infer_latent((x - mean) / std)`` (B, N) -> (B, M) and
    ``decode(z) = observe(z) * std + mean`` (B, M) -> (B, N), both float64 NumPy, without gradients.
    """

    dt: float | None = None

    def __init__(self, model: LatentModel, input: Any = None, *, mean: Any = None,  # noqa: A002
                 std: Any = None) -> None:
        # a CPU copy: the NumPy arrays this adapter reads and returns live on the host, whatever the
        # device of the model (a model trained on CUDA is analysed here on the CPU)
        self.model = _frozen_copy(model, torch.device("cpu"), torch.float64)
        self.dim = model.latent_dim
        self.obs_dim = model.obs_dim
        self.arch = model.arch
        #: full-spectrum tangent steps by ``tangent_step_householder`` (the engine's choice; cheap Jacobians only)
        self.factored_tangent = bool(model.cheap_jacobian)
        self.input: Tensor | None = _constant_input(model, input, torch.device("cpu"), torch.float64)
        n = int(model.obs_dim)
        self.mean = np.zeros(n) if mean is None else _standardisation(mean, n, "mean")
        self.std = np.ones(n) if std is None else _standardisation(std, n, "std")

    def encode(self, x: Array) -> Array:
        """Latent states (B, M) inferred (``infer_latent``) from observations ``x`` (B, N) in data units."""
        xt = torch.from_numpy((np.asarray(x, dtype=np.float64) - self.mean) / self.std)
        with torch.no_grad():
            return self.model.infer_latent(xt).numpy()

    def decode(self, z: Array) -> Array:
        """Observations (B, N) in data units of latent states ``z`` (B, M): ``observe(z) * std + mean``."""
        zt = torch.from_numpy(np.asarray(z, dtype=np.float64))
        with torch.no_grad():
            return self.model.observe(zt).numpy() * self.std + self.mean

    def _s(self, batch: int) -> Tensor | None:
        return None if self.input is None else self.input[None, :].expand(batch, -1)

    def step(self, z: Array) -> Array:
        zt = torch.from_numpy(np.ascontiguousarray(z, dtype=np.float64))
        with torch.no_grad():
            return self.model.step(zt, self._s(zt.shape[0])).numpy()

    def tangent_step(self, z: Array, q: Array) -> tuple[Array, Array]:
        zt = torch.from_numpy(np.ascontiguousarray(z, dtype=np.float64))
        qt = torch.from_numpy(np.asarray(q, dtype=np.float64))  # any strides (the QR returns column-major frames)
        with torch.no_grad():
            f, jq = self.model.tangent(zt, qt, self._s(zt.shape[0]))
        return f.numpy(), jq.numpy()

    def tangent_step_householder(self, z: Array, frame: Any) -> tuple[Array, Array]:
        """``(F(z), J(z) Q)`` with ``Q`` given as Householder reflectors (a
        :class:`~rnnchaos.dynamics.householder_qr.HouseholderFrame` of full frames): ``J`` formed by the model's
        analytic ``jacobian`` and applied to ``Q`` by LAPACK's ``?ormqr``, so ``Q`` is never formed."""
        zt = torch.from_numpy(np.ascontiguousarray(z, dtype=np.float64))
        s = self._s(zt.shape[0])
        with torch.no_grad():
            f = self.model.step(zt, s)
            return f.numpy(), frame.times(self.model.jacobian(zt, s).to(torch.float64)).numpy()

    def jacobian(self, z: Array) -> Array:
        zt = torch.from_numpy(np.ascontiguousarray(z, dtype=np.float64))
        with torch.no_grad():
            return self.model.jacobian(zt, self._s(zt.shape[0])).numpy()

    def __repr__(self) -> str:
        return f"ModelMap(arch={self.arch!r}, dim={self.dim})"


class TorchModelMap:
    """A :class:`LatentModel` as a torch tangent map on a device: ``dim``, ``dt`` (None: per-step units),
    ``device``, ``dtype``, ``step(z)`` ``(B, M) -> (B, M)`` and ``tangent_step(z, Q)`` ``-> (F(z), J(z) Q)``
    (matrix-free) on tensors of that device, for the torch Lyapunov engine
    (:mod:`rnnchaos.dynamics.lyapunov_spectrum_torch`). Holds a detached copy (eval mode) of the model in
    ``dtype`` on ``device`` (``cpu``/``cuda``/``auto``; default: the model's own device); ``input`` is a
    constant external input ``(K,)`` (zero when None)."""

    dt: float | None = None

    def __init__(self, model: LatentModel, input: Any = None, *, device: Any = None,  # noqa: A002
                 dtype: Any = torch.float64) -> None:
        from rnnchaos._util.device import resolve_device

        if device is None:
            device = next((p.device for p in model.parameters()), torch.device("cpu"))
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype)
        self.model = _frozen_copy(model, self.device, self.dtype)
        self.dim = model.latent_dim
        self.arch = model.arch
        self.input: Tensor | None = _constant_input(model, input, self.device, self.dtype)

    def _s(self, batch: int) -> Tensor | None:
        return None if self.input is None else self.input[None, :].expand(batch, -1)

    def step(self, z: Tensor) -> Tensor:
        with torch.no_grad():
            return self.model.step(z, self._s(z.shape[0]))

    def tangent_step(self, z: Tensor, q: Tensor) -> tuple[Tensor, Tensor]:
        with torch.no_grad():
            return self.model.tangent(z, q, self._s(z.shape[0]))

    def __repr__(self) -> str:
        return f"TorchModelMap(arch={self.arch!r}, dim={self.dim}, device={str(self.device)!r})"


def _standardisation(value: Any, n: int, name: str) -> Array:
    a = np.asarray(value, dtype=np.float64).reshape(-1)
    if a.shape != (n,) or not np.all(np.isfinite(a)) or (name == "std" and np.any(a <= 0)):
        raise ValueError(f"{name} must be {'a positive' if name == 'std' else 'a'} finite vector of length {n} "
                         f"(the model's observed dimensions), got {value!r}")
    return a


# ---------------------------------------------------------------------- registry
#: architecture name -> class, filled by the ``@register`` decorator in the modules that define the
#: architectures (gated.py, plrnn.py, wrappers.py); ``rnnchaos/models/__init__.py`` imports them, and
#: Python imports that package before this module, so the registry is full whenever it is read. This module
#: imports no architecture module (no import circle inside models/).
_REGISTRY: dict[str, type[LatentModel]] = {}


def register(cls: type[LatentModel]) -> type[LatentModel]:
    """Class decorator: make an architecture available to :func:`build_model` under ``cls.arch``."""
    _REGISTRY[cls.arch] = cls
    return cls


def available_architectures() -> list[str]:
    return sorted(_REGISTRY)


def buildable_architectures() -> list[str]:
    """Names :func:`build_model` accepts: the registry less the wrappers of user code (``torch_*``,
    ``function``), which are built with :func:`rnnchaos.models.wrappers.wrap_model` instead."""
    return [a for a in sorted(_REGISTRY) if not a.startswith("torch_") and a != "function"]


def build_model(arch: str, obs_dim: int, latent_dim: int, *, observation: str = "identity",
                seed: int | torch.Generator | None = None, **kwargs: Any) -> LatentModel:
    """Build a latent model by name: ``plrnn``, ``shplrnn``, ``alrnn``, ``rnn``, ``lstm``, ``gru``.

    ``latent_dim`` is the size ``M`` of the map's state ``z`` (for ``lstm`` the state is ``[h, c]``, so
    ``M = 2 H`` must be even). Extra keyword arguments go to the architecture (e.g. ``clipped=True``,
    ``hidden_dim=L`` for ``shplrnn``, ``relu_units=P`` for ``alrnn``, ``gain``/``init`` for ``rnn``, ``dtype=torch.float64``).
    """
    if arch not in buildable_architectures():
        raise ValueError(f"unknown architecture {arch!r}; choose one of {buildable_architectures()}")
    try:
        return _REGISTRY[arch](latent_dim=latent_dim, obs_dim=obs_dim, observation=observation, seed=seed,
                               **kwargs)
    except (RuntimeError, MemoryError) as exc:  # allocation failures
        raise ValueError(f"cannot allocate a {arch!r} model with latent_dim={latent_dim}: {exc}") from None


def model_from_config(config: dict[str, Any]) -> LatentModel:
    """Rebuild a model (fresh parameters) from ``model.config()``; load a ``state_dict`` afterwards.

    Checkpoint format used across rnnchaos: ``torch.save({"config": model.config(),
    "state_dict": model.state_dict()}, path)``, read back with :func:`load_checkpoint`.
    """
    if not isinstance(config, dict) or "arch" not in config:
        raise ValueError("config must be a dict with an 'arch' key, as returned by model.config()")
    cfg = dict(config)
    arch = cfg.pop("arch")
    if arch not in _REGISTRY or arch == "function":
        raise ValueError(f"cannot rebuild architecture {arch!r} from a config; known: "
                         f"{[a for a in sorted(_REGISTRY) if a != 'function']}")
    try:
        return _REGISTRY[arch](**cfg)
    except TypeError as exc:
        raise ValueError(f"config does not match architecture {arch!r}: {exc}") from None
    except (RuntimeError, MemoryError) as exc:  # allocation failures
        raise ValueError(f"cannot allocate the {arch!r} model of this config: {exc}") from None


def save_checkpoint(model: LatentModel, path: Any) -> None:
    """Save ``{"config": model.config(), "state_dict": model.state_dict()}`` atomically with ``torch.save``."""
    from rnnchaos._util.atomic import atomic_path

    with atomic_path(path) as tmp:
        torch.save({"config": model.config(), "state_dict": model.state_dict()}, tmp)


def load_checkpoint(path: Any) -> LatentModel:
    """Load a checkpoint ``{"config": ..., "state_dict": ...}`` with ``torch.load(weights_only=True)``."""
    from rnnchaos._util.torch_files import load_weights_only

    try:
        data = load_weights_only(path, f"checkpoint {str(path)!r}")
    except FileNotFoundError:
        raise ValueError(f"checkpoint file {str(path)!r} does not exist") from None
    if not isinstance(data, dict) or "config" not in data or "state_dict" not in data:
        raise ValueError(f"checkpoint {str(path)!r} must be a dict with keys 'config' and 'state_dict'")
    model = model_from_config(data["config"])
    try:
        model.load_state_dict(data["state_dict"])
    except (RuntimeError, TypeError, AttributeError) as exc:
        raise ValueError(f"checkpoint {str(path)!r}: state_dict does not fit its config: {exc}") from None
    for name, p in model.state_dict().items():
        if torch.is_floating_point(p) and not bool(torch.isfinite(p).all()):
            raise ValueError(f"checkpoint {str(path)!r}: parameter {name!r} holds NaN or inf; weights must be finite")
    return model
