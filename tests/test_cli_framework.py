"""The CLI framework: help, unknown commands, one-line errors with exit code 2."""

from __future__ import annotations


def test_help_lists_commands(run_cli):
    code, out, err = run_cli("--help")
    assert code == 0
    assert "reproduce" in out


def test_unknown_command_is_one_line_exit_2(run_cli):
    code, out, err = run_cli("no-such-command")
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "no-such-command" in err
