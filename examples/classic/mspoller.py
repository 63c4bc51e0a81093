"""Multiple socket poller in pyzmq: the classic version of examples/mspoller.py."""

import argparse

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--vent-port", type=int, default=5557)
parser.add_argument("--weather-port", type=int, default=5556)
parser.add_argument("--tasks", type=int)
parser.add_argument("--updates", type=int)
args = parser.parse_args()

context = zmq.Context()
receiver = context.socket(zmq.PULL)
receiver.connect(f"tcp://127.0.0.1:{args.vent_port}")
subscriber = context.socket(zmq.SUB)
subscriber.connect(f"tcp://127.0.0.1:{args.weather_port}")
subscriber.setsockopt(zmq.SUBSCRIBE, b"10001")

poller = zmq.Poller()
poller.register(receiver, zmq.POLLIN)
poller.register(subscriber, zmq.POLLIN)
got_tasks = got_updates = 0
while (args.tasks is None or got_tasks < args.tasks) or (
    args.updates is None or got_updates < args.updates
):
    ready = dict(poller.poll())
    if receiver in ready:
        print(f"Task: {receiver.recv_string()} ms", flush=True)
        got_tasks += 1
    if subscriber in ready:
        print(f"Weather update: {subscriber.recv_string()}", flush=True)
        got_updates += 1
