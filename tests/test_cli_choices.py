"""The CLI's option lists are the library's constants (no copies), and loading the CLI stays light."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from rnnchaos.cli import COMMANDS, cli
from rnnchaos.cli._common import LibraryChoice


def _command(name: str) -> click.Command:
    ctx = click.Context(cli)
    cmd = cli.get_command(ctx, name)
    assert cmd is not None
    return cmd


def _choices(cmd: click.Command, opt: str) -> tuple[str, ...]:
    for p in cmd.params:
        if isinstance(p, click.Option) and opt in p.opts:
            assert isinstance(p.type, click.Choice)
            return tuple(p.type.choices)
    raise AssertionError(f"{cmd.name} has no option {opt}")


def test_option_lists_are_the_library_constants() -> None:
    from rnnchaos.dynamics.lambda_max_data import METHODS as LYAP_METHODS
    from rnnchaos.maps1d.network import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
    from rnnchaos.metrics.presets import PRESETS
    from rnnchaos.metrics.state_space import METHODS as DSTSP_METHODS
    from rnnchaos.models.base import OBSERVATIONS, buildable_architectures
    from rnnchaos.models.gated import INITS
    from rnnchaos.reproductions.stf_common import DATASETS
    from rnnchaos.training.forcing import METHODS, TAU_MODES
    from rnnchaos.training.gtf import ALPHA_RULES
    from rnnchaos.training.trainer import CLIP_MODES, LR_SCHEDULES, OPTIMIZERS

    train = _command("train")
    assert _choices(train, "--model") == tuple(buildable_architectures())
    assert _choices(train, "--observation") == OBSERVATIONS
    assert _choices(train, "--forcing") == METHODS and _choices(train, "--tau-mode") == TAU_MODES
    assert _choices(train, "--optimizer") == OPTIMIZERS and _choices(train, "--lr-schedule") == LR_SCHEDULES
    assert _choices(train, "--clip") == CLIP_MODES
    assert _choices(train, "--alpha-rule") == ALPHA_RULES
    for name in ("rnn-lyapunov", "gradients"):
        assert _choices(_command(name), "--arch") == tuple(buildable_architectures())
        assert _choices(_command(name), "--init") == INITS
    assert _choices(_command("lyapunov"), "--method") == LYAP_METHODS
    assert _choices(_command("metrics"), "--method") == ("auto", *DSTSP_METHODS)
    assert _choices(_command("evaluate"), "--preset") == tuple(PRESETS)
    cp = _command("chaos-probability")
    assert _choices(cp, "--hidden-activation") == HIDDEN_ACTIVATIONS
    assert _choices(cp, "--output-activation") == OUTPUT_ACTIVATIONS
    reproduce = _command("reproduce")
    assert isinstance(reproduce, click.Group)
    sweep = reproduce.get_command(click.Context(reproduce), "stf-tau-sweep")
    assert sweep is not None and _choices(sweep, "--dataset") == tuple(f"stf:{k}" for k in DATASETS)


def test_library_choice_loads_lazily_and_rejects_other_values(run_cli) -> None:
    choice = LibraryChoice("rnnchaos.training.forcing:TAU_MODES", extra=("x",))
    assert choice._loaded is None
    assert choice.choices == ("x", "fixed", "random", "anneal")
    with pytest.raises(click.BadParameter):
        choice.convert("sometimes", None, None)
    code, _, err = run_cli("train", "--data", "lorenz63", "--optimizer", "sgd")
    assert code == 2 and "adam" in err and "radam" in err


def test_top_level_help_imports_no_torch() -> None:
    """``rnnchaos --help`` loads every command module; none of them may import torch at load time."""
    code = ("import sys; from rnnchaos.cli import cli\n"
            "try:\n    cli(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            f"assert all(('rnnchaos.cli.' + t.split(':')[0]) in sys.modules for t in {dict(COMMANDS)!r}.values())\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
