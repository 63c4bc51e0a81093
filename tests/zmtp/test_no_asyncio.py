"""The codec is sans-I/O: loading it must not import asyncio."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "aiomsg"

# aiomsg/__init__.py imports the asyncio layer, so the codec modules are loaded
# under a stub parent package that does not run it.
SCRIPT = textwrap.dedent(
    """
    import importlib, sys, types
    pkg = types.ModuleType("aiomsg")
    pkg.__path__ = [{package!r}]
    sys.modules["aiomsg"] = pkg
    importlib.import_module({module!r})
    leaked = sorted(m for m in sys.modules if m == "asyncio" or m.startswith("asyncio."))
    assert not leaked, leaked
    print(sorted(m for m in sys.modules if m.startswith("aiomsg")))
    """
)


@pytest.mark.parametrize(
    "module",
    [
        "aiomsg._zmtp",
        "aiomsg._zmtp.codec",
        "aiomsg._zmtp.frames",
        "aiomsg._zmtp.greeting",
        "aiomsg._zmtp.properties",
    ],
)
def test_module_does_not_import_asyncio(module: str) -> None:
    loaded = load_alone(module)
    assert module in loaded  # it really was loaded from this checkout
    if module.endswith(".connection"):
        assert {"aiomsg._security", "aiomsg._zmtp.null"} <= set(loaded)


@pytest.mark.parametrize(
    "module", ["aiomsg._security", "aiomsg._zmtp.null", "aiomsg._zmtp.mechanism"]
)
def test_security_loads_first_without_asyncio(module: str) -> None:
    assert module in load_alone(module)


def load_alone(module: str) -> list[str]:
    """Load *module* in a fresh interpreter under the stub package; the aiomsg modules loaded."""
    code = SCRIPT.format(package=str(PACKAGE), module=module)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip())
