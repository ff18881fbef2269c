"""Parameter sweeps on local processes or a Ray cluster: ``rnnchaos sweep CONFIG.toml``.

* :mod:`rnnchaos.sweep.config`    -- the TOML schema and its validation (``load_config``);
* :mod:`rnnchaos.sweep.grid`      -- trials, their deterministic ids and seeds (``expand``);
* :mod:`rnnchaos.sweep.registry`  -- trial kinds ``kind -> "module:function"``;
* :mod:`rnnchaos.sweep.builtin`   -- the built-in trial functions (train, chaos-probability, lyapunov);
* :mod:`rnnchaos.sweep.executors` -- serial, process-pool and Ray execution;
* :mod:`rnnchaos.sweep.journal`   -- the durable ``trials.jsonl`` journal that makes sweeps resumable;
* :mod:`rnnchaos.sweep.engine`    -- ``run_sweep``: all of the above, and the result tables.
"""

from rnnchaos.sweep.config import SweepConfig, load_config, parse_config
from rnnchaos.sweep.engine import SweepResult, run_sweep
from rnnchaos.sweep.grid import Trial, expand

__all__ = ["SweepConfig", "SweepResult", "Trial", "expand", "load_config", "parse_config", "run_sweep"]
