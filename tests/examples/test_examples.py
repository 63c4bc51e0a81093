"""The example programs in examples/, run as real processes on free ports.

Each test starts one pattern's programs with the interpreter running the tests,
waits (with a timeout) for the programs that finish by themselves, checks what
they printed, and kills every process it started, whatever happens.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import httpx
import pytest

from ._runner import (
    ENV,
    EXAMPLES,
    TIMEOUT,
    Examples,
    batch_started_with_enter,
    free_ports,
    lines_after,
)


def test_hello_world(examples: Examples) -> None:
    (port,) = free_ports(1)
    server = examples.start("hello_server.py", "--port", port, "--count", 10)
    client = examples.start("hello_client.py", "--port", port)

    replies = lines_after("Received reply ", examples.finish(client))
    assert replies == [f"{n}: World" for n in range(1, 11)]
    assert lines_after("Received request: ", examples.finish(server)) == ["Hello"] * 10


def test_weather_updates_are_for_the_chosen_zipcode(examples: Examples) -> None:
    (port,) = free_ports(1)
    examples.start("weather_server.py", "--port", port, "--hot", 12345)
    output = examples.finish(examples.start("weather_client.py", "12345", "--port", port))

    updates = re.findall(r"^(\d{5}) (-?\d+) (\d+)$", output, re.MULTILINE)
    assert len(updates) == 5
    assert {zipcode for zipcode, _, _ in updates} == {"12345"}
    average = sum(int(temperature) for _, temperature, _ in updates) / 5
    assert f"Average temperature for zipcode '12345' was {average:.0f}F" in output.splitlines()


def test_pipeline_shares_tasks_between_workers(examples: Examples) -> None:
    vent_port, sink_port = free_ports(2)
    sink = examples.start("tasksink.py", "--port", sink_port, "--tasks", 100)
    workers = [
        examples.start("taskwork.py", "--port", vent_port, "--sink-port", sink_port)
        for _ in range(2)
    ]
    vent = examples.start(
        "taskvent.py", "--port", vent_port, "--sink-port", sink_port,
        "--tasks", 100, "--max-ms", 3, "--wait-workers", 2,
    )  # fmt: skip

    assert re.search(r"total expected cost: \d+ msec", examples.finish(vent))
    progress, total = examples.finish(sink).splitlines()[-2:]
    assert len(progress) == 100 and progress.count(":") == 10
    assert re.fullmatch(r"Total elapsed time: \d+ msec", total)
    assert all("." in worker.kill() for worker in workers), "a worker got no task"


def test_req_alternates_between_two_rep_servers(examples: Examples) -> None:
    port_a, port_b = free_ports(2)
    examples.start("multi_rep_server.py", "--port", port_a, "--name", "A")
    examples.start("multi_rep_server.py", "--port", port_b, "--name", "B")
    client = examples.start("multi_rep_client.py", "--ports", port_a, port_b, "--requests", 6)

    servers = re.findall(r"^Request \d+ answered by server (\w+)$", examples.finish(client), re.M)
    assert servers in (["A", "B"] * 3, ["B", "A"] * 3)


def test_football_subscriber_gets_only_its_two_countries(examples: Examples) -> None:
    (port,) = free_ports(1)
    examples.start("football_publisher.py", "--port", port, "--interval", 0.002)
    subscriber = examples.start("football_subscriber.py", "--port", port)  # Spain and Italy

    news = lines_after("Received: ", examples.finish(subscriber))
    assert len(news) == 6
    assert {message.split()[0] for message in news} <= {"Spain", "Italy"}


@pytest.mark.parametrize("args", [(), ("--endpoint", "tcp://127.0.0.1:*")], ids=["inproc", "tcp"])
def test_pair_talks_both_ways(examples: Examples, args: tuple[str, ...]) -> None:
    output = examples.finish(examples.start("pair.py", *args))

    assert lines_after("ponger received: ", output) == ["ping 1", "ping 2", "ping 3"]
    assert lines_after("pinger received: ", output) == ["pong 1", "pong 2", "pong 3"]


def test_queue_device_relays_requests_and_replies(examples: Examples) -> None:
    front, back = free_ports(2)
    examples.start(
        "device_queue.py", "--frontend", f"tcp://127.0.0.1:{front}",
        "--backend", f"tcp://127.0.0.1:{back}",
    )  # fmt: skip
    worker = examples.start("rr_worker.py", "--port", back)
    client = examples.start("rr_client.py", "--port", front, "--requests", 5)

    replies = lines_after("Received reply ", examples.finish(client))
    assert replies == [f"{n}: World" for n in range(1, 6)]
    assert lines_after("Received request: ", worker.kill()) == ["Hello"] * 5


def test_forwarder_device_relays_news_and_subscriptions(examples: Examples) -> None:
    front, back = free_ports(2)
    examples.start(
        "device_forwarder.py", "--frontend", f"tcp://127.0.0.1:{front}",
        "--backend", f"tcp://127.0.0.1:{back}",
    )  # fmt: skip
    examples.start(
        "football_publisher.py", "--connect", f"tcp://127.0.0.1:{front}", "--interval", 0.002
    )
    subscriber = examples.start("football_subscriber.py", "--port", back, "--countries", "France")

    news = lines_after("Received: ", examples.finish(subscriber))
    assert len(news) == 6
    assert {message.split()[0] for message in news} == {"France"}


def test_streamer_device_relays_tasks(examples: Examples) -> None:
    front, back, sink_port = free_ports(3)
    examples.start(
        "device_streamer.py", "--frontend", f"tcp://127.0.0.1:{front}",
        "--backend", f"tcp://127.0.0.1:{back}",
    )  # fmt: skip
    sink = examples.start("tasksink.py", "--port", sink_port, "--tasks", 20)
    for _ in range(2):
        examples.start("taskwork.py", "--port", back, "--sink-port", sink_port)
    vent = examples.start(
        "taskvent.py", "--connect", f"tcp://127.0.0.1:{front}", "--sink-port", sink_port,
        "--tasks", 20, "--max-ms", 3,
    )  # fmt: skip

    examples.finish(vent)
    assert re.search(r"^Total elapsed time: \d+ msec$", examples.finish(sink), re.MULTILINE)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_run_demo() -> None:
    # The demo starts processes of its own: give it a process group, to kill them all if need be.
    demo = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "run_demo.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
        start_new_session=True,
    )
    try:
        output, _ = demo.communicate(timeout=100)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.communicate()
    assert demo.returncode == 0, output
    assert len(re.findall(r"^== .* ==$", output, re.MULTILINE)) == 11
    assert "All examples ran as expected" in output
    # The weather example over epgm ran in a private namespace, or says why not.
    multicast = output.split("over reliable multicast (epgm)", 1)[1].split("\n== ", 1)[0]
    assert "Average temperature for zipcode '10001'" in multicast or "(skipped: " in multicast


def test_ventilator_waits_for_enter_while_workers_connect(examples: Examples) -> None:
    # The classic "press Enter when the workers are ready": the wait must not
    # stop the event loop, or the workers could not even finish connecting and
    # the whole batch would go to whoever connected first.
    vent, sink, workers = batch_started_with_enter(examples, "aiomsg")

    examples.finish(vent)
    examples.finish(sink)
    shares = [worker.kill().count(".") for worker in workers]
    assert sum(shares) == 40 and min(shares) >= 10, shares


def test_client_server_answers_each_client(examples: Examples) -> None:
    output = examples.finish(examples.start("client_server.py", "--clients", 3))
    assert sorted(lines_after("client ", output)) == [
        f"{n}: {n} * 7 = {n * 7}" for n in range(1, 4)
    ]


def test_weather_over_radio_dish(examples: Examples) -> None:
    # Unicast on loopback: multicast is tested only inside a private network
    # namespace (tests/interop/test_interop_udp.py).
    (port,) = free_ports(1)
    endpoint = f"udp://127.0.0.1:{port}"
    dish = examples.start("weather_dish.py", "--endpoint", endpoint, "--count", 3, "oslo")
    examples.start("weather_radio.py", "--endpoint", endpoint)
    readings = re.findall(r"^(\w+): (-?\d+) C$", examples.finish(dish), re.MULTILINE)
    assert len(readings) == 3 and {city for city, _ in readings} == {"oslo"}


def test_stream_serves_http_to_curl_and_httpx(examples: Examples) -> None:
    """The STREAM example answers real HTTP clients: httpx, and curl if present."""
    (port,) = free_ports(1)
    clients = 2 if shutil.which("curl") else 1
    server = examples.start("stream_http.py", "--port", port, "--count", clients)
    url = f"http://127.0.0.1:{port}/hello"
    deadline = time.monotonic() + TIMEOUT
    while True:  # bounded: until the server listens, or TIMEOUT
        try:
            reply = httpx.get(url, timeout=TIMEOUT)
            break
        except httpx.ConnectError:
            if time.monotonic() > deadline or server.process.poll() is not None:
                pytest.fail(f"stream_http.py never listened\n{examples.transcript()}")
            time.sleep(0.05)  # polling a process we cannot await; bounded above
    assert reply.status_code == 200
    assert reply.text == "Hello from aiomsg! You asked: GET /hello HTTP/1.1\n"
    if clients == 2:
        curl = subprocess.run(
            ["curl", "-s", "--max-time", str(TIMEOUT), f"http://127.0.0.1:{port}/curl"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert curl.stdout == "Hello from aiomsg! You asked: GET /curl HTTP/1.1\n"
    assert lines_after("Request: ", examples.finish(server))[0] == "GET /hello HTTP/1.1"


def test_web_example_serves_the_page_and_relays_the_feed_over_websocket(
    examples: Examples,
) -> None:
    """examples/web/aiohttp_app.py relays examples/weather_server.py's feed on its
    own port: weather_client.py follows 10001 there over ws://, and the live
    page and its script are served beside it."""
    feed, worker, app = free_ports(3)
    examples.start("weather_server.py", "--port", feed, "--hot", 10001)
    examples.start("web/worker.py", "--bind", f"tcp://127.0.0.1:{worker}", "--name", "w1")
    server = examples.start(
        "web/aiohttp_app.py", "--port", app,
        "--workers", f"tcp://127.0.0.1:{worker}", "--feed", f"tcp://127.0.0.1:{feed}",
    )  # fmt: skip
    server.wait_for_line(f"======== Running on http://127.0.0.1:{app} ========")
    client = examples.start(
        "weather_client.py", "10001", "--endpoint", f"ws://127.0.0.1:{app}/zmq/weather"
    )
    output = examples.finish(client)
    updates = re.findall(r"^(\d{5}) (-?\d+) (\d+)$", output, re.MULTILINE)
    assert len(updates) == 5 and {zipcode for zipcode, _, _ in updates} == {"10001"}
    page = httpx.get(f"http://127.0.0.1:{app}/weather", timeout=TIMEOUT)
    assert page.status_code == 200 and 'from "/static/zws.js"' in page.text
    script = httpx.get(f"http://127.0.0.1:{app}/static/zws.js", timeout=TIMEOUT)
    assert script.status_code == 200 and "export class ZwsSubscriber" in script.text
