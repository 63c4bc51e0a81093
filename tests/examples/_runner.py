"""Runs the example programs as real processes, and kills them all at the end.

``lib="aiomsg"`` runs a program of examples/, ``lib="zmq"`` its classic pyzmq
version of the same name in examples/classic/ (same options, same output).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DIRECTORIES = {"aiomsg": EXAMPLES, "zmq": EXAMPLES / "classic"}
# Unbuffered output, so that whatever a program printed is kept even if it is killed.
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
TIMEOUT = 15.0  # seconds allowed to a program that should finish by itself


def free_ports(count: int) -> list[int]:
    """*count* distinct TCP ports that were free a moment ago (the OS chose them)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def lines_after(prefix: str, output: str) -> list[str]:
    """What follows *prefix* on each line of *output* that starts with it."""
    return re.findall(rf"^{re.escape(prefix)}(.*)$", output, re.MULTILINE)


class Example:
    """One example program running in a subprocess, its output going to a temporary file."""

    def __init__(self, script: str, *args: object, lib: str = "aiomsg", stdin: bool = False) -> None:
        self.command = " ".join([f"{lib}:{script}", *map(str, args)])
        self._output = tempfile.TemporaryFile("w+")  # noqa: SIM115 - close() closes it
        self.process = subprocess.Popen(
            [sys.executable, str(DIRECTORIES[lib] / script), *map(str, args)],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            env=ENV,
        )

    def output(self) -> str:
        self._output.seek(0)
        return self._output.read()

    def type(self, text: str) -> None:
        """Write *text* to the program's stdin (as someone at the keyboard)."""
        assert self.process.stdin is not None
        self.process.stdin.write(text.encode())
        self.process.stdin.flush()

    def wait_for_line(self, line: str, timeout: float = TIMEOUT) -> None:
        """Wait until the program has printed *line* (a whole line); fail after *timeout*."""
        deadline = time.monotonic() + timeout
        while line not in self.output().splitlines():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{self.command} did not print {line!r}:\n{self.output()}")
            time.sleep(0.02)  # a polled condition (the output file), bounded above

    def kill(self) -> str:
        """Stop the program if it is still running; return what it printed."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        return self.output()

    def close(self) -> None:
        self.kill()
        if self.process.stdin is not None:
            self.process.stdin.close()
        self._output.close()


class Examples:
    """Starts the example programs of one test."""

    def __init__(self) -> None:
        self.started: list[Example] = []

    def start(self, script: str, *args: object, lib: str = "aiomsg", stdin: bool = False) -> Example:
        example = Example(script, *args, lib=lib, stdin=stdin)
        self.started.append(example)
        return example

    def finish(self, example: Example, timeout: float = TIMEOUT) -> str:
        """Wait for *example* to exit by itself and return its output; fail if it does not."""
        try:
            status = example.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{example.command} did not finish in {timeout:g} s\n{self.transcript()}")
        if status != 0:
            pytest.fail(f"{example.command} exited with status {status}\n{self.transcript()}")
        return example.output()

    def transcript(self) -> str:
        return "\n".join(f"--- {ex.command}\n{ex.output()}" for ex in self.started)

    def close(self) -> None:
        for example in self.started:
            example.close()


def batch_started_with_enter(
    examples: Examples, lib: str, tasks: int = 40
) -> tuple[Example, Example, list[Example]]:
    """The ventilator and sink of *lib* with two aiomsg workers, the batch
    started as the classic program has it: Enter is typed at the ventilator
    once both workers say they are connected. Returns (ventilator, sink,
    workers)."""
    vent_port, sink_port = free_ports(2)
    sink = examples.start("tasksink.py", "--port", sink_port, "--tasks", tasks, lib=lib)
    vent = examples.start(
        "taskvent.py", "--port", vent_port, "--sink-port", sink_port,
        "--tasks", tasks, "--max-ms", 2, lib=lib, stdin=True,
    )  # fmt: skip
    workers = [
        examples.start("taskwork.py", "--port", vent_port, "--sink-port", sink_port)
        for _ in range(2)
    ]
    for worker in workers:
        worker.wait_for_line("Connected to the ventilator")
    vent.type("\n")
    return vent, sink, workers
