"""``import rnnchaos as rc`` exposes every advertised name, each with a docstring."""

from __future__ import annotations

import subprocess
import sys

import pytest

import rnnchaos as rc


@pytest.mark.parametrize("name", [n for n in rc.__all__ if n != "__version__"])
def test_export_resolves_with_docstring(name):
    obj = getattr(rc, name)
    assert obj.__doc__ and len(obj.__doc__.strip()) > 20, f"{name} lacks a docstring"


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError):
        rc.no_such_function  # noqa: B018


def test_import_does_not_load_torch():
    code = "import sys, rnnchaos; rnnchaos.get_system; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_all_matches_export_table():
    assert sorted(rc.__all__) == sorted(["__version__", *rc._EXPORTS])
