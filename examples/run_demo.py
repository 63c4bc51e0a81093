"""Run every example as real processes and show what each one printed.

This is what `make demo` runs. For each messaging pattern it starts the example
programs as separate processes on free TCP ports, waits (with a timeout) for
the ones that finish by themselves, stops the servers, workers and devices,
and prints an abridged transcript. It exits with status 1 if any example
failed or timed out.

The weather example also runs over reliable multicast (epgm://) where the
machine allows it: multicast stays inside a private network namespace made
for it (``unshare -n``, root only), never on the host's network. Elsewhere
the demo says why it skipped that step.

    python examples/run_demo.py [--timeout 10]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
# Unbuffered output, so that whatever a program printed is kept even if it is killed.
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


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


@dataclass
class Step:
    """One pattern: programs that finish by themselves, and services that run until stopped.

    A step in a *namespace* runs its services and programs in one private
    network namespace, where only ``lo`` exists (multicast must not leave the
    machine); they then share one transcript.
    """

    title: str
    programs: list[str]
    services: list[str] = field(default_factory=list)
    namespace: bool = False


#: The namespace of a multicast step: lo up, multicast on, every group routed to it.
NAMESPACE_SETUP = "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo"


def multicast_missing() -> str | None:
    """Why the multicast step cannot run here, or None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "it runs in a private network namespace, which needs root (unshare -n)"
    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (util-linux, iproute2)"
    if subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False).returncode:
        return "unshare -n does not work here (a container without CAP_SYS_ADMIN?)"
    return None


def steps() -> list[Step]:
    hello, weather, sink, vent, rep_a, rep_b, football, *more = free_ports(17)
    queue_in, queue_out, fwd_in, fwd_out, stream_in, stream_out, stream_sink, *more = more
    poll_vent, poll_weather, poll_sink = more
    multicast = f"epgm://127.0.0.1;239.192.1.1:{weather}"
    return [
        Step(
            "request/reply: hello world",
            programs=[
                f"hello_server.py --port {hello} --count 10",
                f"hello_client.py --port {hello}",
            ],
        ),
        Step(
            "publish/subscribe: weather updates",
            services=[f"weather_server.py --port {weather}"],
            programs=[f"weather_client.py 10001 --port {weather}"],
        ),
        Step(
            "publish/subscribe over reliable multicast (epgm): weather updates",
            services=[f"weather_server.py --endpoint {multicast}"],
            programs=[f"weather_client.py 10001 --endpoint {multicast}"],
            namespace=True,
        ),
        Step(
            "pipeline: ventilator, two workers and a sink",
            services=[f"taskwork.py --port {vent} --sink-port {sink}"] * 2,
            programs=[
                f"tasksink.py --port {sink}",
                f"taskvent.py --port {vent} --sink-port {sink} --max-ms 20 --wait-workers 2",
            ],
        ),
        Step(
            "request/reply: one client, two servers",
            services=[
                f"multi_rep_server.py --port {rep_a} --name A",
                f"multi_rep_server.py --port {rep_b} --name B",
            ],
            programs=[f"multi_rep_client.py --ports {rep_a} {rep_b}"],
        ),
        Step(
            "publish/subscribe: two subscriptions on one socket",
            services=[f"football_publisher.py --port {football} --interval 0.01"],
            programs=[f"football_subscriber.py --port {football} --countries Spain Italy"],
        ),
        Step("exclusive pair: ping-pong over inproc", programs=["pair.py"]),
        Step(
            "queue device: clients and workers meet at a ROUTER/DEALER proxy",
            services=[
                f"device_queue.py --frontend tcp://*:{queue_in} --backend tcp://*:{queue_out}",
                f"rr_worker.py --port {queue_out}",
            ],
            programs=[f"rr_client.py --port {queue_in} --requests 5"],
        ),
        Step(
            "forwarder device: publishers and subscribers meet at an XSUB/XPUB proxy",
            services=[
                f"device_forwarder.py --frontend tcp://*:{fwd_in} --backend tcp://*:{fwd_out}",
                f"football_publisher.py --connect tcp://127.0.0.1:{fwd_in} --interval 0.01",
            ],
            programs=[f"football_subscriber.py --port {fwd_out}"],
        ),
        Step(
            "streamer device: a pipeline through a PULL/PUSH proxy",
            services=[
                f"device_streamer.py --frontend tcp://*:{stream_in} --backend tcp://*:{stream_out}",
                f"taskwork.py --port {stream_out} --sink-port {stream_sink}",
            ],
            programs=[
                f"tasksink.py --port {stream_sink}",
                f"taskvent.py --connect tcp://127.0.0.1:{stream_in}"
                f" --sink-port {stream_sink} --max-ms 20",
            ],
        ),
        Step(
            "poller: one loop reading tasks and weather updates",
            services=[
                f"weather_server.py --port {poll_weather}",
                f"tasksink.py --port {poll_sink} --tasks 0",
            ],
            programs=[
                f"mspoller.py --vent-port {poll_vent} --weather-port {poll_weather}"
                " --tasks 5 --updates 5",
                f"taskvent.py --port {poll_vent} --sink-port {poll_sink} --tasks 5 --max-ms 5"
                " --wait-workers 1",
            ],
        ),
    ]


class Process:
    """An example program running in a subprocess, its output going to a temporary file."""

    def __init__(self, command: str, argv: list[str] | None = None) -> None:
        self.command = command
        self.problem = ""
        self._output = tempfile.TemporaryFile("w+")  # noqa: SIM115 - output() closes it
        script, *args = shlex.split(command)
        self._popen = subprocess.Popen(
            argv or [sys.executable, str(EXAMPLES / script), *args],
            stdout=self._output,
            stderr=subprocess.STDOUT,
            env=ENV,
        )

    def wait(self, timeout: float) -> None:
        """Wait for the program to finish; note a problem if it fails or takes too long."""
        try:
            status = self._popen.wait(max(timeout, 0))
        except subprocess.TimeoutExpired:
            self.problem = "timed out"
        else:
            if status != 0:
                self.problem = f"failed with exit status {status}"

    def check_running(self) -> None:
        """Note a problem if a service has already ended with an error."""
        status = self._popen.poll()
        if status is not None and status != 0:
            self.problem = f"ended early with exit status {status}"

    def stop(self) -> None:
        if self._popen.poll() is None:
            self._popen.kill()
        self._popen.wait()

    def output(self) -> str:
        self._output.seek(0)
        text = self._output.read()
        self._output.close()
        return text


def abridge(text: str, head: int = 4, tail: int = 2) -> str:
    lines = text.rstrip("\n").splitlines() or ["(no output)"]
    if len(lines) > head + tail + 1:
        lines = [*lines[:head], f"... ({len(lines) - head - tail} more lines)", *lines[-tail:]]
    return "\n".join(lines)


def in_namespace(step: Step) -> Process:
    """One process: a shell in a fresh network namespace that starts the
    step's services in the background and then runs its programs. The
    namespace ends with the shell, which stops the services it started."""
    python = shlex.quote(sys.executable)

    def line(command: str) -> str:
        script, *args = shlex.split(command)
        return " ".join([python, shlex.quote(str(EXAMPLES / script)), *map(shlex.quote, args)])

    services = "".join(f'{line(command)} & pids="$pids $!"; ' for command in step.services)
    programs = " && ".join(line(command) for command in step.programs)
    script = f"{NAMESPACE_SETUP} || exit 1; {services}{programs}; status=$?; kill $pids; exit $status"
    command = " ; ".join([*step.services, *step.programs])
    return Process(command, argv=["unshare", "-n", "sh", "-c", script])


def run(step: Step, timeout: float) -> bool:
    """Run one step's processes and print their output; return whether all went well."""
    print(f"== {step.title} ==")
    services: list[Process] = []
    programs: list[Process] = []
    if step.namespace:
        missing = multicast_missing()
        if missing is not None:
            print(f"(skipped: {missing})\n")
            return True
    try:
        if step.namespace:
            programs.append(in_namespace(step))
        else:
            for command in step.services:
                services.append(Process(command))
            for command in step.programs:
                programs.append(Process(command))
        deadline = time.monotonic() + timeout
        for program in programs:
            program.wait(deadline - time.monotonic())
        for service in services:
            service.check_running()
    finally:
        for process in services + programs:
            process.stop()

    processes = services + programs
    for process in processes:
        print(f"$ {process.command}")
        print(textwrap.indent(abridge(process.output()), "    "))
        if process.problem:
            print(f"!! {process.command}: {process.problem}")
    print()
    return not any(process.problem for process in processes)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--timeout", type=float, default=10, help="seconds allowed per pattern (default: 10)"
    )
    timeout = parser.parse_args().timeout

    started = time.monotonic()
    failed = [step.title for step in steps() if not run(step, timeout)]
    elapsed = time.monotonic() - started
    if failed:
        print(f"FAILED ({elapsed:.1f} s): {'; '.join(failed)}")
        return 1
    print(f"All examples ran as expected ({elapsed:.1f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
