"""What each step of the inproc floor costs: bench/floor.py's InprocFloor
with one step taken out at a time.

    python bench/profiles/floor_steps.py [COUNT] [ROUNDS]

Each variant is InprocFloor's own source with that step's lines deleted,
so the steps are timed as written rather than written again; a deletion
that no longer matches the source raises, so this fails loudly once
InprocFloor changes. Prints the median ns per message (a sending and a
receiving task on uvloop, 16 B, high-water mark 1000) of RawChannel, of
the whole floor, and of each variant with its difference from the whole:
what that step costs. What the deletions leave between the floor and
RawChannel is the fair queuing (the deque of pipes holding messages), the
resume test and the loops around the parking.
"""

from __future__ import annotations

import inspect
import statistics
import sys
from typing import Any

from bench import floor

#: Each step: (text in InprocFloor's source, what replaces it).
STEPS: dict[str, list[tuple[str, str]]] = {
    "signature checks (flags, addresses, multipart state)": [
        (
            "        if routing_id is not None or group is not None or flags or self._send_parts:\n"
            '            raise NotImplementedError("the floor times single-frame sends without'
            ' flags only")\n',
            "",
        ),
        (
            "        if flags or self._recv_parts:\n"
            '            raise NotImplementedError("the floor times single-frame receives without'
            ' flags only")\n',
            "",
        ),
    ],
    "buffer type test": [
        ("        if type(data) is not bytes:\n            data = bytes(data)\n", ""),
    ],
    "fairness count": [
        (
            "        ops = self._send_ops + 1\n"
            "        if len(data) >= _LARGE:\n"
            "            ops += len(data) >> _SIZE_SHIFT\n"
            "        self._send_ops = ops\n",
            "        ops = 0\n",
        ),
        (
            "                self._recv_ops = ops + 1\n"
            "                if len(message) >= _LARGE:\n"
            "                    self._recv_ops += len(message) >> _SIZE_SHIFT\n",
            "",
        ),
    ],
    "message counter": [("                    pipe.handed += 1\n", "")],
    "backlog test": [
        ("if queued < pipe.room and not pipe.backlog:", "if queued < pipe.room:"),
    ],
    "other receivers test": [
        (
            "                if self._recv_waiters:\n"
            '                    raise NotImplementedError("the floor has one receiving task")\n',
            "",
        ),
    ],
}


def variants() -> dict[str, Any]:
    """The whole floor's class, then one class per step with that step deleted.

    Raises:
        LookupError: a step's text is no longer in InprocFloor's source.
    """
    source = inspect.getsource(floor.InprocFloor)
    found: dict[str, Any] = {"whole floor": floor.InprocFloor}
    for step, edits in STEPS.items():
        text = source
        for old, new in edits:
            if old not in text:
                raise LookupError(f"InprocFloor changed: {step!r} no longer matches")
            text = text.replace(old, new)
        namespace = dict(vars(floor))
        exec(text, namespace)  # in floor's namespace: its constants and imports
        found[f"without {step}"] = namespace["InprocFloor"]
    return found


async def measure(count: int, rounds: int) -> dict[str, float]:
    """Median ns per message of RawChannel and of each variant, round by round."""
    classes = variants()
    times: dict[str, list[float]] = {"RawChannel": [], **{name: [] for name in classes}}
    for _ in range(rounds):
        times["RawChannel"].append(await floor._raw_inproc(count, 16) / count * 1e9)
        for name, cls in classes.items():
            times[name].append(await floor._pair(count, 16, cls(1000)) / count * 1e9)
    return {name: statistics.median(found) for name, found in times.items()}


def main() -> None:
    import uvloop

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    found = uvloop.run(measure(count, rounds))
    whole = found["whole floor"]
    for name, ns in found.items():
        step = "" if name in ("RawChannel", "whole floor") else f"  ({ns - whole:+.1f})"
        print(f"{name:60s} {ns:7.1f} ns{step}")


if __name__ == "__main__":
    main()
