"""rnnchaos.models: RNNs (PLRNN, shPLRNN, ALRNN, Elman, LSTM, GRU, wrapped user modules) as latent maps.

Every model is a :class:`~rnnchaos.models.base.LatentModel`: a batched ``step``, an analytic
``jacobian``, a matrix-free ``tangent`` (``J @ Q``), an observation model and ``as_map()`` for the
analyses in :mod:`rnnchaos.dynamics`. Build one with :func:`build_model`, rebuild a saved one with
:func:`model_from_config` / :func:`load_checkpoint`.
"""

from rnnchaos._util.extras import missing_extra

try:
    from rnnchaos.models.alrnn import ALRNN
    from rnnchaos.models.base import (
        LatentModel,
        ModelMap,
        available_architectures,
        build_model,
        load_checkpoint,
        model_from_config,
        save_checkpoint,
    )
    from rnnchaos.models.gated import INITS, ElmanRNN, GRUModel, LSTMModel, init_recurrent
    from rnnchaos.models.plrnn import PLRNN, ShallowPLRNN
    from rnnchaos.models.spectrum import initial_conditions, model_lyapunov_spectrum
    from rnnchaos.models.wrappers import FunctionModel, TorchModuleModel, autograd_jacobian, wrap_model
except ModuleNotFoundError as _exc:  # PyTorch (and numba) come with the ``torch`` extra
    _err = missing_extra(_exc, "rnnchaos.models (RNNs as maps)")
    if _err is None:
        raise
    raise _err from None

__all__ = [
    "ALRNN",
    "INITS",
    "PLRNN",
    "ElmanRNN",
    "FunctionModel",
    "GRUModel",
    "LSTMModel",
    "LatentModel",
    "ModelMap",
    "ShallowPLRNN",
    "TorchModuleModel",
    "autograd_jacobian",
    "available_architectures",
    "build_model",
    "init_recurrent",
    "initial_conditions",
    "load_checkpoint",
    "model_from_config",
    "model_lyapunov_spectrum",
    "save_checkpoint",
    "wrap_model",
]
