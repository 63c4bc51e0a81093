"""Football news subscriber in pyzmq: the classic version of examples/football_subscriber.py."""

import argparse

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=5563)
parser.add_argument("--countries", nargs="+", default=["Spain", "Italy"])
parser.add_argument("--messages", type=int, default=6)
args = parser.parse_args()

context = zmq.Context()
subscriber = context.socket(zmq.SUB)
subscriber.connect(f"tcp://127.0.0.1:{args.port}")
for country in args.countries:
    subscriber.setsockopt_string(zmq.SUBSCRIBE, f"{country} ")
print(f"Subscribed to {', '.join(args.countries)}", flush=True)
for _ in range(args.messages):
    print(f"Received: {subscriber.recv_string()}", flush=True)
