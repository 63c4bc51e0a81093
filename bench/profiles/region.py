"""One scenario with one method's calls made countable: its inclusive instructions.

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=functools_reduce \\
        python bench/profiles/region.py SCENARIO N module:Class.method [...]

Each listed method is replaced by a wrapper that runs the original inside
``functools.reduce`` (a C function nothing on the hot paths calls), so with
the options above callgrind counts only what runs inside the method's calls:
its inclusive cost, in place in a real scenario (scenario.py). Divide the
summary by N and by the calls per message. Methods must be plain (not
coroutines): what a coroutine does runs when it is resumed, not called.

Several methods at once: a wrapped method called inside another's region
toggles collection off for its own duration, so the total is then the sum
of their exclusive parts. ``noop`` as the method measures the wrapper alone
(``noop`` as the only target: N wrapped calls of an empty function, the
fixed cost of one wrapped call).
"""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Any

_ONE = (None,)


def noop() -> None:
    """A wrapped call that does nothing: the wrapper's own cost."""


def _wrap(owner: Any, name: str) -> None:
    original = getattr(owner, name)

    def wrapper(*args: Any) -> Any:
        return functools.reduce(lambda _, __: original(*args), _ONE, None)

    setattr(owner, name, wrapper)


def main() -> None:
    scenario, n, *targets = sys.argv[1:]
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    for target in targets:
        if target == "noop":
            for _ in range(int(n)):
                functools.reduce(lambda _, __: noop(), _ONE, None)
            return
        module_name, _, attribute = target.partition(":")
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        _wrap(owner, name)
    import scenario as scenarios  # bench/profiles/scenario.py

    sys.argv = ["scenario.py", scenario, n]
    scenarios.main()


if __name__ == "__main__":
    main()
