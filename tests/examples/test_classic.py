"""The classic pyzmq programs (examples/classic/) mixed with their aiomsg versions.

Each tutorial runs with its roles split between the two libraries, both ways:
the aiomsg version of a program must stand in for the classic one, on the
wire and in what it prints. Clients start before their servers, so every
test also checks that connecting before binding works.
"""

from __future__ import annotations

import re

import pytest

from ._runner import Examples, batch_started_with_enter, free_ports, lines_after

pytest.importorskip("zmq", reason="the classic programs need pyzmq (pip install pyzmq)")

# (the library of the program that binds, the library of the one that connects)
MIXED = pytest.mark.parametrize(
    ("server", "client"), [("aiomsg", "zmq"), ("zmq", "aiomsg")], ids=["aiomsg-binds", "zmq-binds"]
)


@MIXED
def test_hello_world(examples: Examples, server: str, client: str) -> None:
    (port,) = free_ports(1)
    requester = examples.start("hello_client.py", "--port", port, "--requests", 3, lib=client)
    replier = examples.start("hello_server.py", "--port", port, "--count", 3, lib=server)

    assert lines_after("Received reply ", examples.finish(requester)) == [
        f"{n}: World" for n in range(1, 4)
    ]
    assert lines_after("Received request: ", examples.finish(replier)) == ["Hello"] * 3


@MIXED
def test_weather(examples: Examples, server: str, client: str) -> None:
    (port,) = free_ports(1)
    subscriber = examples.start("weather_client.py", "10001", "--port", port, lib=client)
    examples.start("weather_server.py", "--port", port, lib=server)

    updates = re.findall(r"^(\d{5}) -?\d+ \d+$", examples.finish(subscriber), re.MULTILINE)
    assert updates == ["10001"] * 5


@MIXED
def test_load_balanced_client(examples: Examples, server: str, client: str) -> None:
    port_a, port_b = free_ports(2)
    examples.start("multi_rep_server.py", "--port", port_a, "--name", "A", lib=server)
    examples.start("multi_rep_server.py", "--port", port_b, "--name", "B", lib=server)
    requester = examples.start(
        "multi_rep_client.py", "--ports", port_a, port_b, "--requests", 6, lib=client
    )

    answers = re.findall(r"^Request \d+ answered by server (\w+)$", examples.finish(requester), re.M)
    assert sorted(answers) == ["A"] * 3 + ["B"] * 3


@MIXED
def test_football_topics(examples: Examples, server: str, client: str) -> None:
    (port,) = free_ports(1)
    subscriber = examples.start(
        "football_subscriber.py", "--port", port, "--countries", "Spain", "Italy", lib=client
    )
    examples.start("football_publisher.py", "--port", port, "--interval", 0.002, lib=server)

    news = lines_after("Received: ", examples.finish(subscriber))
    assert len(news) == 6
    assert {item.split()[0] for item in news} <= {"Spain", "Italy"}


def test_ventilator_pyzmq_with_aiomsg_workers(examples: Examples) -> None:
    vent, sink, workers = batch_started_with_enter(examples, "zmq")

    assert re.search(r"total expected cost: \d+ msec", examples.finish(vent))
    assert re.search(r"^Total elapsed time: \d+ msec$", examples.finish(sink), re.MULTILINE)
    assert all("." in worker.kill() for worker in workers), "a worker got no task"


def test_ventilator_aiomsg_with_pyzmq_workers(examples: Examples) -> None:
    vent_port, sink_port = free_ports(2)
    workers = [
        examples.start("taskwork.py", "--port", vent_port, "--sink-port", sink_port, lib="zmq")
        for _ in range(2)
    ]
    sink = examples.start("tasksink.py", "--port", sink_port, "--tasks", 40)
    vent = examples.start(
        "taskvent.py", "--port", vent_port, "--sink-port", sink_port,
        "--tasks", 40, "--max-ms", 2, "--wait-workers", 2,
    )  # fmt: skip

    examples.finish(vent)
    assert re.search(r"^Total elapsed time: \d+ msec$", examples.finish(sink), re.MULTILINE)
    assert all("." in worker.kill() for worker in workers), "a worker got no task"


@pytest.mark.parametrize("endpoint", ["inproc://pair", "tcp://127.0.0.1:*"])
def test_pair_with_threads(examples: Examples, endpoint: str) -> None:
    output = examples.finish(examples.start("pair.py", "--endpoint", endpoint, lib="zmq"))
    assert lines_after("ponger received: ", output) == ["ping 1", "ping 2", "ping 3"]
    assert lines_after("pinger received: ", output) == ["pong 1", "pong 2", "pong 3"]


@MIXED
def test_queue_device(examples: Examples, server: str, client: str) -> None:
    front, back = free_ports(2)
    requester = examples.start("rr_client.py", "--port", front, "--requests", 3, lib=client)
    worker = examples.start("rr_worker.py", "--port", back, lib=client)
    examples.start(
        "device_queue.py", "--frontend", f"tcp://127.0.0.1:{front}",
        "--backend", f"tcp://127.0.0.1:{back}", lib=server,
    )  # fmt: skip

    replies = lines_after("Received reply ", examples.finish(requester))
    assert replies == [f"{n}: World" for n in range(1, 4)]
    assert lines_after("Received request: ", worker.kill()) == ["Hello"] * 3


@MIXED
def test_forwarder_device(examples: Examples, server: str, client: str) -> None:
    front, back = free_ports(2)
    subscriber = examples.start(
        "football_subscriber.py", "--port", back, "--countries", "France", lib=client
    )
    examples.start(
        "football_publisher.py", "--connect", f"tcp://127.0.0.1:{front}",
        "--interval", 0.002, lib=client,
    )  # fmt: skip
    examples.start(
        "device_forwarder.py", "--frontend", f"tcp://127.0.0.1:{front}",
        "--backend", f"tcp://127.0.0.1:{back}", lib=server,
    )  # fmt: skip

    news = lines_after("Received: ", examples.finish(subscriber))
    assert len(news) == 6 and {item.split()[0] for item in news} == {"France"}


@MIXED
def test_streamer_device(examples: Examples, server: str, client: str) -> None:
    front, back, sink_port = free_ports(3)
    sink = examples.start("tasksink.py", "--port", sink_port, "--tasks", 20, lib=client)
    examples.start("taskwork.py", "--port", back, "--sink-port", sink_port, lib=client)
    examples.start(
        "device_streamer.py", "--frontend", f"tcp://127.0.0.1:{front}",
        "--backend", f"tcp://127.0.0.1:{back}", lib=server,
    )  # fmt: skip
    # The aiomsg ventilator connects to the device and waits for that connection.
    vent = examples.start(
        "taskvent.py", "--connect", f"tcp://127.0.0.1:{front}", "--sink-port", sink_port,
        "--tasks", 20, "--max-ms", 2,
    )  # fmt: skip

    examples.finish(vent)
    assert re.search(r"^Total elapsed time: \d+ msec$", examples.finish(sink), re.MULTILINE)


@MIXED
def test_poller(examples: Examples, server: str, client: str) -> None:
    vent_port, weather_port, sink_port = free_ports(3)
    poller = examples.start(
        "mspoller.py", "--vent-port", vent_port, "--weather-port", weather_port,
        "--tasks", 5, "--updates", 5, lib=client,
    )  # fmt: skip
    examples.start("weather_server.py", "--port", weather_port, lib=server)
    examples.start("tasksink.py", "--port", sink_port, "--tasks", 0)
    examples.start(
        "taskvent.py", "--port", vent_port, "--sink-port", sink_port,
        "--tasks", 5, "--max-ms", 2, "--wait-workers", 1,
    )  # fmt: skip

    output = examples.finish(poller)
    assert len(lines_after("Task: ", output)) == 5
    updates = lines_after("Weather update: ", output)
    assert len(updates) >= 5 and all(update.startswith("10001 ") for update in updates)
