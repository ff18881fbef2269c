"""The ``rnnchaos`` command line: thin wrappers that parse, call the library and print.

Every command lives in its own module under ``rnnchaos.cli`` and is loaded lazily, so that
``rnnchaos --help`` is fast and one command's heavy imports (torch, matplotlib) never slow another.
Errors are printed as one line on stderr with exit code 2 (docs/architecture.md, "Conventions").
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import click

# command name -> "module:attribute" (module relative to rnnchaos.cli)
COMMANDS: dict[str, str] = {
    "lyapunov": "lyapunov:lyapunov",
    "periods": "maps1d:periods",
    "chaos-probability": "maps1d:chaos_probability",
    "rnn-lyapunov": "rnn:rnn_lyapunov",
    "gradients": "rnn:gradients",
    "train": "train:train",
    "evaluate": "evaluate:evaluate",
    "metrics": "evaluate:metrics",
    "report": "evaluate:report",
    "reproduce": "reproduce:reproduce",
    "sweep": "sweep:sweep",
    "demo": "demo:demo",
    "data": "data:data",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use from a ``name -> module:attr`` table.

    Commands whose module is not part of this installation are not listed.
    """

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, package: str = __name__,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})
        self.package = package

    def _available(self) -> list[str]:
        names = []
        for name, target in self.lazy.items():
            module = f"{self.package}.{target.split(':')[0]}"
            if importlib.util.find_spec(module) is not None:
                names.append(name)
        return names

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._available()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, attr = self.lazy[cmd_name].split(":")
            full = f"{self.package}.{module_name}"
            if importlib.util.find_spec(full) is None:
                return None
            cmd = getattr(importlib.import_module(full), attr)
            if not isinstance(cmd, click.Command):
                raise TypeError(f"{full}:{attr} is not a click command")
            return cmd
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rnnchaos")
def cli() -> None:
    """rnnchaos: measure chaos in RNNs and dynamical systems, and train RNNs on chaotic data."""


def _fail(message: str, code: int = 2) -> int:
    message = " ".join(str(message).split())  # exactly one line
    click.echo(f"rnnchaos: error: {message}", err=True)
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning every expected error into one line on stderr and exit code 2."""
    args = sys.argv[1:] if argv is None else argv
    try:
        rv = cli.main(args=args, prog_name="rnnchaos", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        return 2
    except click.UsageError as exc:
        hint = f" (see 'rnnchaos {exc.ctx.command_path.split(' ', 1)[1]} --help')" if exc.ctx and " " in exc.ctx.command_path else " (see 'rnnchaos --help')"
        return _fail(exc.format_message() + hint)
    except click.exceptions.Abort:
        return _fail("aborted", 130)
    except click.ClickException as exc:
        return _fail(exc.format_message())
    except ModuleNotFoundError as exc:  # a command of an optional extra (torch) without that extra
        from rnnchaos._util.extras import missing_extra

        command = next((a for a in args if not a.startswith("-")), None)
        err = missing_extra(exc, f"'rnnchaos {command}'" if command in COMMANDS else None)
        if err is None or os.environ.get("RNNCHAOS_DEBUG"):
            raise
        return _fail(str(err))
    except (ValueError, FileNotFoundError, IsADirectoryError, PermissionError, OSError) as exc:
        if os.environ.get("RNNCHAOS_DEBUG"):
            raise
        text = str(exc) or type(exc).__name__
        if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in text:
            text = f"{text}: {exc.filename}"
        return _fail(text)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    if isinstance(rv, int):
        return rv
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
